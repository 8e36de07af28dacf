public import Foundation
import HTTPTypes
import JSON
import Logging
import Storage

extension AuthorizationServer {
    /// The outcome of client authentication at the token or revocation endpoint.
    enum ClientAuthentication {
        case client(OAuthClient)
        case refused(OAuthResponse)
    }

    /// RFC 6749 §2.3: `client_secret_basic`, `client_secret_post`, or `none` (public clients
    /// send only `client_id`). A client uses exactly the method it registered.
    func authenticateClient(form: [String: String], authorization: String?) async -> ClientAuthentication {
        var clientID = form["client_id"]
        var secret = form["client_secret"]
        if let authorization, authorization.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
                let id = String(text[..<colon]).removingPercentEncoding,
                let password = String(text[text.index(after: colon)...]).removingPercentEncoding
            else {
                return .refused(.error(.invalidClient, "The Basic credentials are malformed.", status: .unauthorized))
            }
            if let formID = clientID, formID != id {
                return .refused(.error(.invalidRequest, "client_id in the body differs from the Basic credentials."))
            }
            guard secret == nil else {
                return .refused(.error(.invalidRequest, "Send the client secret one way only."))
            }
            clientID = id
            secret = password
        }
        guard let clientID, !clientID.isEmpty else {
            return .refused(.error(.invalidClient, "Client authentication is required (client_id is missing).", status: .unauthorized))
        }
        let client: OAuthClient
        do {
            guard let found = try await store.client(id: clientID) else {
                return .refused(
                    .error(.invalidClient, "Unknown client or expired registration; register again.", status: .unauthorized))
            }
            client = found
        } catch {
            return .refused(storeFailure(error, "Client lookup failed", otherwise: "The server could not read its records; try again."))
        }
        switch client.tokenEndpointAuthMethod {
        case "none":
            guard secret == nil else {
                return .refused(.error(.invalidClient, "This client is public and has no secret.", status: .unauthorized))
            }
        default:
            // Either confidential method is accepted: clients differ in which they pick (Claude
            // Code uses Basic whatever it registered).
            guard let secret, !secret.isEmpty else {
                return .refused(.error(.invalidClient, "This client must authenticate with its secret.", status: .unauthorized))
            }
            let valid = (try? await store.verifyClientSecret(clientID: client.id, secret: secret)) ?? false
            guard valid else {
                return .refused(.error(.invalidClient, "Client authentication failed.", status: .unauthorized))
            }
        }
        return .client(client)
    }

    /// `POST /token`: `authorization_code` (PKCE) and `refresh_token` (rotating).
    ///
    /// The moment the request arrived is taken first, from the store's clock: a concurrent request
    /// that consumes the same code or refresh token after this moment makes this one a race loser
    /// (`invalid_grant`, nothing revoked), not a replay (see `SignInStorage.exchangeCode`).
    public func token(body: Data, authorization: String?, clientAddress: String) async -> OAuthResponse {
        let presentedAt = store.currentDate
        if let refusal = await limit("token", clientAddress) { return refusal }
        guard let form = FormEncoding.parse(Substring(decoding: body, as: UTF8.self)) else {
            return .error(.invalidRequest, "The body must be application/x-www-form-urlencoded, each parameter once.")
        }
        guard let grantName = form["grant_type"], !grantName.isEmpty else {
            return .error(.invalidRequest, "grant_type is missing.")
        }
        guard let grantType = GrantType(rawValue: grantName) else {
            return .error(.unsupportedGrantType, "Supported grant types: \(GrantType.supportedNames.joined(separator: ", ")).")
        }
        let client: OAuthClient
        switch await authenticateClient(form: form, authorization: authorization) {
        case .client(let authenticated): client = authenticated
        case .refused(let response): return response
        }
        if let requested = form["resource"], let problem = resourceProblem(requested) {
            return .error(.invalidTarget, problem)
        }
        switch grantType {
        case .authorizationCode: return await exchangeCode(form: form, client: client, presentedAt: presentedAt)
        case .refreshToken: return await refresh(form: form, client: client, presentedAt: presentedAt)
        }
    }

    private func exchangeCode(form: [String: String], client: OAuthClient, presentedAt: Date) async -> OAuthResponse {
        guard let code = form["code"], !code.isEmpty else { return .error(.invalidRequest, "code is missing.") }
        guard let verifier = form["code_verifier"], !verifier.isEmpty else {
            return .error(.invalidRequest, "code_verifier is missing (PKCE is required).")
        }
        let redirectURI = form["redirect_uri"]
        let access = Secrets.random(Secrets.accessTokenPrefix)
        let refresh = Secrets.random(Secrets.refreshTokenPrefix)
        do {
            let outcome = try await store.exchangeCode(
                code, clientID: client.id, presentedAt: presentedAt,
                accepting: { grant in
                    (redirectURI.map { $0 == grant.redirectURI } ?? true)
                        && Secrets.verifyPKCE(verifier: verifier, challenge: grant.codeChallenge)
                },
                accessToken: access, accessLifetime: configuration.accessTokenLifetime, refreshToken: refresh,
                refreshLifetime: configuration.refreshTokenLifetime,
                extendRegistrationUntil: client.kind == .dynamic ? Date().addingTimeInterval(configuration.registrationLifetime) : nil)
            switch outcome {
            case .invalid:
                return .error(.invalidGrant, "The authorization code is invalid or expired.")
            case .raced:
                logger.info("Authorization code redeemed by a concurrent request", metadata: ["client": "\(client.id)"])
                return .error(.invalidGrant, "The authorization code was redeemed by a concurrent request; use the tokens that request received.")
            case .replayed:
                OAuthMetrics.revoked(reason: "code_replay")
                logger.notice("Authorization code replayed; its grant was revoked", metadata: ["client": "\(client.id)"])
                return .error(.invalidGrant, "The authorization code was already used; tokens issued with it are revoked.")
            case .refused(let grant):
                if let redirectURI, redirectURI != grant.redirectURI {
                    OAuthMetrics.revoked(reason: "redirect_mismatch")
                    return .error(.invalidGrant, "redirect_uri differs from the one in the authorization request.")
                }
                OAuthMetrics.revoked(reason: "pkce_mismatch")
                return .error(.invalidGrant, "code_verifier does not match the code_challenge.")
            case .issued(let grant):
                OAuthMetrics.issued(grantType: .authorizationCode)
                return tokenResponse(access: access, refresh: refresh, scope: grant.scope)
            }
        } catch {
            return storeFailure(error, "Code exchange failed", otherwise: "The server could not complete the exchange; try again.")
        }
    }

    private func refresh(form: [String: String], client: OAuthClient, presentedAt: Date) async -> OAuthResponse {
        guard let refreshToken = form["refresh_token"], !refreshToken.isEmpty else {
            return .error(.invalidRequest, "refresh_token is missing.")
        }
        var requestedScope: String?
        if let scope = form["scope"] {
            let scopes = Set(scope.split(separator: " ").map(String.init))
            guard !scopes.isEmpty, scopes.allSatisfy({ $0 == OAuthConfiguration.scope }) else {
                return .error(.invalidScope, "Requested scope exceeds the grant.")
            }
            requestedScope = scopes.sorted().joined(separator: " ")
        }
        let access = Secrets.random(Secrets.accessTokenPrefix)
        let refresh = Secrets.random(Secrets.refreshTokenPrefix)
        do {
            switch try await store.rotateRefreshToken(
                refreshToken, clientID: client.id, requestedScope: requestedScope, newAccessToken: access,
                accessLifetime: configuration.accessTokenLifetime, newRefreshToken: refresh, refreshLifetime: configuration.refreshTokenLifetime,
                presentedAt: presentedAt)
            {
            case .invalid:
                return .error(.invalidGrant, "The refresh token is invalid or expired.")
            case .raced:
                logger.info("Refresh token rotated by a concurrent request", metadata: ["client": "\(client.id)"])
                return .error(
                    .invalidGrant, "The refresh token was rotated by a concurrent request; use the tokens that request received.")
            case .reused:
                OAuthMetrics.revoked(reason: "refresh_reuse")
                logger.notice("Superseded refresh token reused; grant revoked", metadata: ["client": "\(client.id)"])
                return .error(.invalidGrant, "The refresh token was already replaced; the authorization is revoked. Sign in again.")
            case .invalidScope:
                return .error(.invalidScope, "Requested scope exceeds the grant.")
            case .rotated(let grant):
                try await store.touchClient(id: client.id)
                OAuthMetrics.issued(grantType: .refreshToken)
                return tokenResponse(access: access, refresh: refresh, scope: requestedScope ?? grant.scope)
            }
        } catch {
            return storeFailure(error, "Refresh failed", otherwise: "The server could not refresh the token; try again.")
        }
    }

    private func tokenResponse(access: String, refresh: String, scope: String) -> OAuthResponse {
        .json([
            "access_token": .string(access),
            "token_type": "Bearer",
            "expires_in": .int(Int(configuration.accessTokenLifetime)),
            "refresh_token": .string(refresh),
            "scope": .string(scope),
        ])
    }

    /// `POST /revoke` (RFC 7009): always 200 for an authenticated client, whether or not the token
    /// was known or theirs; a refresh token ends its whole grant.
    public func revoke(body: Data, authorization: String?, clientAddress: String) async -> OAuthResponse {
        if let refusal = await limit("token", clientAddress) { return refusal }
        guard let form = FormEncoding.parse(Substring(decoding: body, as: UTF8.self)) else {
            return .error(.invalidRequest, "The body must be application/x-www-form-urlencoded, each parameter once.")
        }
        guard let token = form["token"], !token.isEmpty else { return .error(.invalidRequest, "token is missing.") }
        let client: OAuthClient
        switch await authenticateClient(form: form, authorization: authorization) {
        case .client(let authenticated): client = authenticated
        case .refused(let response): return response
        }
        do {
            if try await store.revoke(token: token, clientID: client.id) {
                OAuthMetrics.revoked(reason: "client")
                logger.info("Token revoked by its client", metadata: ["client": "\(client.id)"])
            }
        } catch {
            return storeFailure(error, "Revocation failed", otherwise: "The server could not revoke the token; try again.")
        }
        return .json([:])
    }
}
