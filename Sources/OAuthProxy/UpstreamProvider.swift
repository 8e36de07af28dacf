import AsyncHTTPClient
import Foundation
import JSON
import Logging
import NIOCore
import NIOHTTP1

/// Parallel's OAuth provider, seen from our `/callback`: where to send the browser, and how to
/// turn its code into the user's API key.
struct UpstreamProvider: Sendable {
    let configuration: OAuthConfiguration.Upstream
    let httpClient: HTTPClient
    let timeout: TimeAmount

    /// Why the code exchange failed, phrased for the MCP client's `error_description`.
    struct ExchangeFailure: Error, Sendable {
        var code: OAuthErrorCode
        var description: String
    }

    /// The browser's next stop: the provider's consent screen.
    func authorizationURL(clientID: String, redirectURI: String, state: String, codeChallenge: String) -> String {
        FormEncoding.appending(
            [
                ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI), ("scope", configuration.scope),
                ("state", state), ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
            ], to: configuration.baseURL + "/authorize")
    }

    /// Exchanges the provider's code for its access token, which is the user's Parallel API key.
    func exchange(code: String, clientID: String, redirectURI: String, verifier: String, logger: Logger) async throws(ExchangeFailure)
        -> String
    {
        var request = HTTPClientRequest(url: configuration.baseURL + "/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(
            ByteBuffer(
                string: FormEncoding.encode([
                    ("grant_type", "authorization_code"), ("code", code), ("client_id", clientID), ("redirect_uri", redirectURI),
                    ("code_verifier", verifier),
                ])))
        let status: HTTPResponseStatus
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            status = response.status
            body = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            logger.warning("Upstream token exchange failed to complete", metadata: ["error": "\(type(of: error))"])
            throw ExchangeFailure(
                code: .temporarilyUnavailable, description: "\(configuration.displayName)'s sign-in could not be reached; try again.")
        }
        let json = try? JSONValue(parsing: body.readableBytesView)
        guard status == .ok else {
            let upstreamError = json?["error"]?.stringValue ?? "HTTP \(status.code)"
            logger.notice("Upstream token exchange refused", metadata: ["status": "\(status.code)", "error": "\(upstreamError.prefix(64))"])
            if status.code >= 500 {
                throw ExchangeFailure(
                    code: .temporarilyUnavailable, description: "\(configuration.displayName)'s sign-in is unavailable; try again.")
            }
            throw ExchangeFailure(
                code: .accessDenied,
                description: "\(configuration.displayName) did not accept the sign-in (\(Self.printable(upstreamError))); start again.")
        }
        guard let key = json?["access_token"]?.stringValue, (8...512).contains(key.utf8.count),
            key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw ExchangeFailure(code: .serverError, description: "\(configuration.displayName) returned no usable API key.")
        }
        return key
    }

    /// Upstream text echoed to a client: short, printable ASCII only.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }.prefix(64)))
    }
}
