public import Foundation
public import HTTPTypes
import JSON

/// What an OAuth endpoint answers, independent of the HTTP server that sends it.
///
/// The server composition turns it into a response; this module never sees a router.
public struct OAuthResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: Data

    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON document, never cached.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, cacheable: Bool = false) -> OAuthResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if cacheable {
            headers[.cacheControl] = "public, max-age=300"
        } else {
            headers[.cacheControl] = "no-store"
            headers[.pragma] = "no-cache"
        }
        return OAuthResponse(status: status, headers: headers, body: encodeJSON(value))
    }

    /// An RFC 6749 §5.2 error body: `{"error", "error_description"}`.
    static func error(_ code: OAuthErrorCode, _ description: String, status: HTTPResponse.Status = .badRequest) -> OAuthResponse {
        var response = json(["error": .string(code.rawValue), "error_description": .string(description)], status: status)
        if code == .invalidClient, status == .unauthorized {
            response.headers[.wwwAuthenticate] = "Basic realm=\"task-mcp\", charset=\"UTF-8\""
        }
        return response
    }

    /// A 429 with `Retry-After`.
    static func tooManyRequests(retryAfter seconds: Int) -> OAuthResponse {
        var response = error(.slowDown, "Too many requests from this address; retry after \(seconds) s.", status: .tooManyRequests)
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// A redirect the browser follows (303 so that a form POST becomes a GET).
    static func redirect(to location: String, cookies: [String] = []) -> OAuthResponse {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store", .referrerPolicy: "no-referrer"]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return OAuthResponse(status: .seeOther, headers: headers)
    }

    /// A server-rendered page that must not be framed, cached or leak its URL.
    static func page(_ html: String, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> OAuthResponse {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: OAuthPages.contentSecurityPolicy,
            .xFrameOptions: "DENY",
            .referrerPolicy: "no-referrer",
            .xContentTypeOptions: "nosniff",
        ]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return OAuthResponse(status: status, headers: headers, body: Data(html.utf8))
    }
}

/// The error codes of RFC 6749, RFC 7591, RFC 8707 and RFC 8628 that this server returns.
public enum OAuthErrorCode: String, Sendable {
    case invalidRequest = "invalid_request"
    case invalidClient = "invalid_client"
    case invalidGrant = "invalid_grant"
    case unauthorizedClient = "unauthorized_client"
    case unsupportedGrantType = "unsupported_grant_type"
    case unsupportedResponseType = "unsupported_response_type"
    case invalidScope = "invalid_scope"
    case invalidTarget = "invalid_target"
    case accessDenied = "access_denied"
    case serverError = "server_error"
    case temporarilyUnavailable = "temporarily_unavailable"
    case invalidRedirectURI = "invalid_redirect_uri"
    case invalidClientMetadata = "invalid_client_metadata"
    case slowDown = "slow_down"
}

extension HTTPField.Name {
    static let pragma = HTTPField.Name("Pragma")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}

/// Sorted-key JSON without escaped slashes (URLs stay readable).
func encodeJSON(_ value: JSONValue) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Data("null".utf8)
}
