public import Foundation
import HTTPTypes
import JSON
import Logging
import Storage

extension AuthorizationServer {
    /// Most redirect URIs one client may register.
    static let maxRedirectURIs = 10

    /// `POST /register`: RFC 7591 dynamic client registration, open to anyone (MCP clients
    /// register themselves), rate-limited per address.
    public func register(body: Data, clientAddress: String) async -> OAuthResponse {
        if let refusal = await limit("register", clientAddress) { return refusal }
        guard let json = try? JSONValue(parsing: body), let metadata = json.objectValue else {
            return .error(.invalidClientMetadata, "The body must be a JSON object of client metadata (RFC 7591).")
        }
        guard let redirectURIs = try? ClientMetadataFields.strings(metadata["redirect_uris"], "redirect_uris"), !redirectURIs.isEmpty
        else {
            return .error(.invalidRedirectURI, "redirect_uris must be a non-empty array of strings.")
        }
        guard redirectURIs.count <= Self.maxRedirectURIs else {
            return .error(.invalidRedirectURI, "At most \(Self.maxRedirectURIs) redirect URIs may be registered.")
        }
        for uri in redirectURIs {
            if let problem = RedirectURIPolicy.registrationProblem(uri) {
                return .error(.invalidRedirectURI, "Redirect URI not accepted: \(problem).")
            }
        }
        let grants: [String]
        do throws(ClientMetadataError) {
            let grantTypes = try ClientMetadataFields.strings(metadata["grant_types"], "grant_types")
            try ClientMetadataFields.checkGrantTypes(grantTypes, unsupported: .refused)
            try ClientMetadataFields.checkResponseTypes(
                ClientMetadataFields.strings(metadata["response_types"], "response_types"), unsupported: .refused)
            grants = grantTypes ?? GrantType.registrationDefault.map(\.rawValue)
        } catch {
            return .error(.invalidClientMetadata, error.description + ".")
        }
        let method: String
        switch metadata["token_endpoint_auth_method"] {
        case nil, .null?: method = "client_secret_basic"  // RFC 7591 §2's default
        case .string(let value)? where ["none", "client_secret_basic", "client_secret_post"].contains(value): method = value
        default:
            return .error(
                .invalidClientMetadata, "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post.")
        }
        var name = metadata["client_name"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if metadata["client_name"].map({ !$0.isNull && $0.stringValue == nil }) ?? false {
            return .error(.invalidClientMetadata, "client_name must be a string.")
        }
        // The same rule as for metadata documents: no controls (NUL, ESC, newlines…) and no
        // bidirectional formatting in a name shown on the consent page and in the admin CLI.
        if let problem = ClientNames.problem(name) {
            return .error(.invalidClientMetadata, problem + ".")
        }
        if name.isEmpty { name = URLComponents(string: redirectURIs[0])?.host ?? "Unnamed client" }

        let now = Date()
        let clientID = Secrets.random(Secrets.issuedPrefix + "client_", bytes: 16)
        let secret = method == "none" ? nil : Secrets.random(Secrets.clientSecretPrefix)
        var registered: [String: JSONValue] = [
            "client_id": .string(clientID),
            "client_id_issued_at": .int(Int(now.timeIntervalSince1970)),
            "client_name": .string(name),
            "redirect_uris": .array(redirectURIs.map { .string($0) }),
            "grant_types": .array(grants.map { .string($0) }),
            "response_types": ["code"],
            "token_endpoint_auth_method": .string(method),
            "scope": .string(OAuthConfiguration.scope),
        ]
        for optional in ["client_uri", "logo_uri", "software_id", "software_version", "application_type"] {
            if let value = metadata[optional]?.stringValue, value.count <= 2_000 { registered[optional] = .string(value) }
        }
        if let secret {
            registered["client_secret"] = .string(secret)
            registered["client_secret_expires_at"] = 0
        }
        var stored = registered
        stored["client_secret"] = nil
        let client = OAuthClient(
            id: clientID, kind: .dynamic, name: name, redirectURIs: redirectURIs, tokenEndpointAuthMethod: method,
            metadata: String(decoding: encodeJSON(.object(stored)), as: UTF8.self), createdAt: now,
            expiresAt: now.addingTimeInterval(configuration.registrationLifetime))
        do {
            try await store.saveClient(client, secret: secret)
        } catch {
            return storeFailure(error, "Could not store a client registration", otherwise: "The registration could not be stored; try again.")
        }
        logger.info("Client registered", metadata: ["client": "\(clientID)", "method": "\(method)"])
        OAuthMetrics.registered()
        return .json(.object(registered), status: .created)
    }
}
