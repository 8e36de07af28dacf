import Foundation
import HTTPTypes
import Logging
import Storage

/// How an endpoint answers when its store call failed: while the database is unavailable
/// (``StoreUnavailable``), 503 with `Retry-After` and a sentence saying so, since the same request
/// may succeed in a moment; any other failure stays a 500 with the endpoint's own sentence.
extension AuthorizationServer {
    /// The sentence for a client while the database is unavailable.
    static let storeUnavailableDescription = "The server's database is unavailable; try again in a few seconds."

    /// A JSON error answer (`/token`, `/register`, `/revoke`): 503 `temporarily_unavailable`, or
    /// 500 `server_error` with `otherwise`. Logs `event` with the error.
    func storeFailure(_ error: any Error, _ event: String, otherwise: String) -> OAuthResponse {
        logger.error(Logger.Message(stringLiteral: event), metadata: ["error": "\(error)"])
        guard error is StoreUnavailable else { return .error(.serverError, otherwise, status: .internalServerError) }
        var response = OAuthResponse.error(.temporarilyUnavailable, Self.storeUnavailableDescription, status: .serviceUnavailable)
        response.headers[.retryAfter] = String(StoreUnavailable.retryAfterSeconds)
        return response
    }

    /// A sign-in page (`/authorize`, `/consent`, `/callback` before the client is known): 503
    /// either way, with `Retry-After` and the database named while it is unavailable.
    func storeFailurePage(_ error: any Error, _ event: String, otherwise: String) -> OAuthResponse {
        logger.error(Logger.Message(stringLiteral: event), metadata: ["error": "\(error)"])
        guard error is StoreUnavailable else { return errorPage("Sign-in unavailable", otherwise, status: .serviceUnavailable) }
        var page = errorPage(
            "Sign-in temporarily unavailable", Self.storeUnavailableDescription, status: .serviceUnavailable)
        page.headers[.retryAfter] = String(StoreUnavailable.retryAfterSeconds)
        return page
    }
}
