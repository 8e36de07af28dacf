import Foundation
import GuardedFetch
import NIOCore
import NIOHTTP1
import Logging

extension ClientMetadataDocumentFetcher {
    /// Fetches and validates one document, within one time limit (``Policy/timeout``), through
    /// the SSRF guard (``GuardedFetch/GuardedFetcher``): no redirects, a size limit, `200` and a
    /// JSON content type required.
    static func fetch(
        _ clientID: String, policy: Policy, logger: Logger
    ) async -> Result<ClientMetadataDocument, ClientMetadataError> {
        let result: Result<ClientMetadataDocument, ClientMetadataError>
        do throws(ClientMetadataError) {
            let (body, cacheControl) = try await download(clientID, policy: policy, logger: logger)
            let lifetime = cacheLifetime(cacheControl: cacheControl, policy: policy)
            let expiresAt = Date().addingTimeInterval(Double(lifetime.components.seconds))
            result = .success(try validate(json: body, clientID: clientID, expiresAt: expiresAt))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success:
            logger.debug("Fetched a client metadata document", metadata: ["client_id": "\(clientID)"])
        case .failure(let error):
            logger.info(
                "Client metadata document rejected", metadata: ["client_id": "\(clientID)", "reason": "\(error.description)"])
        }
        return result
    }

    /// The document's bytes and its `Cache-Control`, or the guard's failure in OAuth's words.
    private static func download(
        _ clientID: String, policy: Policy, logger: Logger
    ) async throws(ClientMetadataError) -> (Data, String?) {
        var fetch = GuardedFetcher.Policy(maxBytes: policy.maxBytes, timeout: policy.timeout)
        fetch.allowLoopbackHTTP = policy.allowLoopbackHTTP
        fetch.accept = "application/json"
        fetch.userAgent = "task-mcp (client metadata document fetcher)"
        fetch.acceptsContentType = isJSON
        do {
            let response = try await GuardedFetcher.get(clientID, policy: fetch, logger: logger)
            let cacheControl = response.headers["cache-control"].joined(separator: ",")
            return (Data(response.body.readableBytesView), cacheControl.isEmpty ? nil : cacheControl)
        } catch {
            throw ClientMetadataError(error, policy: policy)
        }
    }

    @Sendable private static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}

extension ClientMetadataError {
    /// The guard's failure, said of a client metadata document.
    init(_ failure: FetchFailure, policy: ClientMetadataDocumentFetcher.Policy) {
        switch failure.kind {
        case .invalidURL: self.init("client_id must be an https URL")
        case .notPublic: self.init("client_id URL points to a non-public address")
        case .resolvesToNonPublic: self.init("client_id host resolves to a non-public address")
        case .unresolvable: self.init("client_id host could not be resolved")
        case .redirected(let status):
            self.init("the client metadata document URL redirected (HTTP \(status)); redirects are not followed")
        case .badRedirect: self.init("the client metadata document URL redirected; redirects are not followed")
        case .status(let status): self.init("fetching the client metadata document returned HTTP \(status), not 200")
        case .contentType(let type):
            self.init("the client metadata document URL did not return JSON (Content-Type: \(FetchFailure.hint(type ?? "none")))")
        case .tooLarge: self.init("the client metadata document is larger than \(policy.maxBytes) bytes")
        case .timedOut: self.init("fetching the client metadata document timed out after \(policy.timeout.components.seconds) s")
        case .cancelled: self.init("fetching the client metadata document was cancelled")
        case .unreachable(let hint): self.init("the client metadata document could not be fetched (\(hint))")
        }
    }
}
