public import Foundation
import HTTPTypes
import Logging
import Storage

extension AuthorizationServer {
    /// Name of the cookie that binds a sign-in to the browser that approved it. `__Host-` (so
    /// `Secure`, host-only, `Path=/`) whenever the issuer is served over https.
    var bindingCookieName: String { issuer.hasPrefix("https://") ? "__Host-task-mcp-signin" : "task-mcp-signin" }

    func bindingCookie(_ value: String) -> String {
        var cookie = "\(bindingCookieName)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Int(configuration.signInLifetime))"
        if issuer.hasPrefix("https://") { cookie += "; Secure" }
        return cookie
    }

    /// The browser-binding value from a `Cookie` header, when well-formed.
    func bindingValue(cookieHeader: String?) -> String? {
        guard let cookieHeader else { return nil }
        for part in cookieHeader.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == bindingCookieName else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("b_"), (40...64).contains(value.utf8.count) { return value }
        }
        return nil
    }

    /// A redirect to the client carrying an authorization response: `state` echoed exactly and
    /// the RFC 9207 `iss`.
    func clientRedirect(_ redirectURI: String, state: String?, _ parameters: [(String, String)]) -> OAuthResponse {
        var pairs = parameters
        if let state { pairs.append(("state", state)) }
        pairs.append(("iss", issuer))
        return .redirect(to: FormEncoding.appending(pairs, to: redirectURI))
    }

    func errorPage(_ title: String, _ message: String, status: HTTPResponse.Status = .badRequest) -> OAuthResponse {
        .page(OAuthPages.error(title: title, message: message), status: status)
    }

    /// `GET /authorize`. Every error is shown as our page (none is sent to the redirect URI, which
    /// nobody has vetted yet); a valid request gets our consent page.
    public func authorize(query: Substring, cookieHeader: String?, clientAddress: String) async -> OAuthResponse {
        if let refusal = await limit("authorize", clientAddress) { return refusal }
        guard let parameters = FormEncoding.parse(query) else {
            return errorPage("Sign-in request not valid", "The request repeats a parameter or is not properly encoded.")
        }
        guard let clientID = parameters["client_id"], !clientID.isEmpty else {
            return errorPage("Sign-in request not valid", "The application did not say who it is (client_id is missing).")
        }
        let client: OAuthClient
        switch await lookUpClient(clientID) {
        case .success(let found): client = found
        case .failure(.unknown):
            return errorPage(
                "Unknown application",
                "This application is not registered here, or its registration expired. Remove the server in the application and add it again.")
        case .failure(.invalid(let problem)):
            return errorPage("Application not accepted", "Its client metadata document was not accepted: \(problem)")
        case .failure(.unavailable(let problem)):
            var page = errorPage(
                "Sign-in temporarily unavailable",
                "The application's details could not be fetched right now (temporarily_unavailable: \(problem)).",
                status: .serviceUnavailable)
            page.headers[.retryAfter] = "5"
            return page
        case .failure(.storage(let error)):
            return storeFailurePage(error, "Client lookup failed", otherwise: "The server could not read its records; try again.")
        }
        let redirectURI: String
        if let requested = parameters["redirect_uri"] {
            guard client.redirectURIs.contains(where: { RedirectURIPolicy.matches(registered: $0, requested: requested) }) else {
                return errorPage(
                    "Redirect address not registered",
                    "The application asked to return to an address it did not register, so the sign-in stops here.")
            }
            redirectURI = requested
        } else if client.redirectURIs.count == 1 {
            redirectURI = client.redirectURIs[0]
        } else {
            return errorPage("Sign-in request not valid", "redirect_uri is missing and the application registered several.")
        }
        let state = parameters["state"]
        // RFC 9700 §4.11.2: anyone can register any https redirect URI, and nobody has vetted
        // this client before the user sees our consent page, so errors up to here are shown on
        // our page, never sent to the redirect URI: our origin does not redirect to an address
        // just because it was registered. (After the consent page, the user's deny and the
        // upstream's errors return to the client.)
        func fail(_ code: OAuthErrorCode, _ description: String) -> OAuthResponse {
            errorPage("Sign-in request not valid", "The application sent a request this server cannot accept (\(code.rawValue)): \(description)")
        }
        guard parameters["response_type"] == "code" else {
            return fail(.unsupportedResponseType, "Only response_type=code is supported.")
        }
        guard let challenge = parameters["code_challenge"], !challenge.isEmpty else {
            return fail(.invalidRequest, "PKCE is required: send code_challenge with code_challenge_method=S256.")
        }
        guard parameters["code_challenge_method"] == "S256" else {
            return fail(.invalidRequest, "code_challenge_method must be S256.")
        }
        guard Secrets.isValidChallenge(challenge) else {
            return fail(.invalidRequest, "code_challenge must be the base64url SHA-256 of the verifier (43 characters).")
        }
        if let requested = parameters["resource"], let problem = resourceProblem(requested) {
            return fail(.invalidTarget, problem)
        }
        let pending = PendingAuthorization(
            id: Secrets.random("req_", bytes: 24), clientID: client.id, redirectURI: redirectURI, clientState: state,
            codeChallenge: challenge, scope: Self.grantedScope(parameters["scope"]), resource: resource, createdAt: Date(),
            expiresAt: Date().addingTimeInterval(configuration.signInLifetime))
        let binding = bindingValue(cookieHeader: cookieHeader) ?? Secrets.random("b_")
        let csrf = Secrets.random("csrf_")
        do {
            try await store.createPending(pending, browserBinding: binding, csrf: csrf)
        } catch {
            return storeFailurePage(
                error, "Could not store a pending authorization", otherwise: "The server could not record this sign-in; try again.")
        }
        var warnings: [String] = []
        if client.redirectURIs.allSatisfy(RedirectURIPolicy.isLoopback) {
            warnings.append(
                "This application returns to a program on this computer (\(RedirectURIPolicy.displayHost(redirectURI) ?? "localhost")). Approve only if you started this sign-in yourself, just now.")
        }
        if client.kind == .dynamic {
            warnings.append("The application named itself; the name is not verified.")
        }
        let html = OAuthPages.consent(
            clientName: client.name, clientID: client.id, clientKind: client.kind.rawValue, redirectURI: redirectURI,
            scopes: pending.scope.split(separator: " ").map(String.init), requestID: pending.id, csrf: csrf,
            formAction: issuer + "/authorize/consent", providerName: configuration.upstream.displayName, warnings: warnings)
        return .page(html, cookies: [bindingCookie(binding)])
    }

    /// `POST /authorize/consent`: the user's decision. Approval needs the CSRF token of the page
    /// and the same browser (binding cookie); only then is the upstream `state` created.
    public func consent(body: Data, cookieHeader: String?, clientAddress: String) async -> OAuthResponse {
        if let refusal = await limit("authorize", clientAddress) { return refusal }
        guard let form = FormEncoding.parse(Substring(decoding: body, as: UTF8.self)), let requestID = form["request_id"],
            let csrf = form["csrf_token"], let decision = form["decision"]
        else {
            return errorPage("Sign-in request not valid", "The consent form was incomplete.")
        }
        guard let binding = bindingValue(cookieHeader: cookieHeader) else {
            return errorPage(
                "Sign-in not confirmed", "This browser did not start this sign-in (its cookie is missing). Start again from the application.",
                status: .forbidden)
        }
        do {
            switch decision {
            case "approve":
                let state = Secrets.random("st_")
                let verifier = Secrets.random("", bytes: 48)
                guard
                    try await store.approvePending(
                        id: requestID, browserBinding: binding, csrf: csrf, state: state, upstreamVerifier: verifier,
                        stateLifetime: configuration.signInLifetime) != nil
                else {
                    return errorPage(
                        "Sign-in not confirmed",
                        "This consent form expired, was already used, or came from another browser. Start again from the application.",
                        status: .forbidden)
                }
                return .redirect(
                    to: upstream.authorizationURL(
                        clientID: upstreamClientID, redirectURI: callbackURL, state: state, codeChallenge: Secrets.challenge(for: verifier)))
            case "deny":
                guard let pending = try await store.denyPending(id: requestID, browserBinding: binding, csrf: csrf) else {
                    return errorPage(
                        "Sign-in not confirmed", "This consent form expired, was already used, or came from another browser.",
                        status: .forbidden)
                }
                return clientRedirect(
                    pending.redirectURI, state: pending.clientState,
                    [("error", OAuthErrorCode.accessDenied.rawValue), ("error_description", "The user declined to authorize the application.")])
            default:
                return errorPage("Sign-in request not valid", "The consent form's decision must be approve or deny.")
            }
        } catch {
            return storeFailurePage(error, "Consent could not be recorded", otherwise: "The server could not record your decision; try again.")
        }
    }

    /// `GET /oauth/callback`: Parallel's provider sends the browser back. The `state` must be one
    /// we issued after consent, unused, unexpired, and arrive in the browser that consented.
    public func callback(query: Substring, cookieHeader: String?, clientAddress: String) async -> OAuthResponse {
        if let refusal = await limit("authorize", clientAddress) { return refusal }
        guard let parameters = FormEncoding.parse(query), let state = parameters["state"], !state.isEmpty else {
            return errorPage("Sign-in not valid", "The sign-in response has no state; start again from the application.")
        }
        let lookup: CallbackLookup
        do {
            lookup = try await store.takePending(state: state, browserBinding: bindingValue(cookieHeader: cookieHeader))
        } catch {
            return storeFailurePage(error, "Pending authorization lookup failed", otherwise: "The server could not read its records; try again.")
        }
        let pending: PendingAuthorization
        let verifier: String
        switch lookup {
        case .valid(let found, let upstreamVerifier):
            pending = found
            verifier = upstreamVerifier
        case .unknown:
            return errorPage("Sign-in not valid", "This sign-in response is unknown or was already used. Start again from the application.")
        case .expired:
            return errorPage("Sign-in expired", "The sign-in took longer than \(Int(configuration.signInLifetime / 60)) minutes. Start again from the application.")
        case .wrongBrowser:
            logger.notice("Callback arrived in a browser other than the one that consented")
            return errorPage(
                "Sign-in not confirmed", "This sign-in was approved in another browser, so it stops here. Start again from the application.",
                status: .forbidden)
        }
        func fail(_ code: OAuthErrorCode, _ description: String) -> OAuthResponse {
            clientRedirect(pending.redirectURI, state: pending.clientState, [("error", code.rawValue), ("error_description", description)])
        }
        if let upstreamError = parameters["error"] {
            let code: OAuthErrorCode =
                switch upstreamError {
                case "access_denied": .accessDenied
                case "temporarily_unavailable": .temporarilyUnavailable
                default: .serverError
                }
            return fail(code, "\(configuration.upstream.displayName) did not complete the sign-in (\(upstreamError.prefix(40))).")
        }
        guard let upstreamCode = parameters["code"], !upstreamCode.isEmpty else {
            return fail(.serverError, "\(configuration.upstream.displayName) returned neither a code nor an error.")
        }
        let apiKey: String
        do {
            apiKey = try await upstream.exchange(
                code: upstreamCode, clientID: upstreamClientID, redirectURI: callbackURL, verifier: verifier, logger: logger)
        } catch {
            return fail(error.code, error.description)
        }
        let code = Secrets.random(Secrets.codePrefix)
        do {
            let grantID = try await store.createGrant(
                apiKey: apiKey, clientID: pending.clientID, scope: pending.scope, resource: pending.resource, code: code,
                codeChallenge: pending.codeChallenge, redirectURI: pending.redirectURI, codeLifetime: configuration.codeLifetime)
            logger.info("Authorization granted", metadata: ["client": "\(pending.clientID)", "grant": "\(grantID)"])
        } catch {
            logger.error("Could not store a grant", metadata: ["error": "\(error)"])
            guard error is StoreUnavailable else { return fail(.serverError, "The authorization could not be stored; try again.") }
            return fail(.temporarilyUnavailable, "The server's database is unavailable; sign in again in a few seconds.")
        }
        return clientRedirect(pending.redirectURI, state: pending.clientState, [("code", code)])
    }
}
