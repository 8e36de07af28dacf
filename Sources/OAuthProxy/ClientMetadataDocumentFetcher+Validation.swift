public import Foundation
import JSON

extension ClientMetadataDocumentFetcher {
    /// The longest `client_name` accepted (``ClientNames/maxLength``, shared with `/register`).
    public static let maxClientNameLength = ClientNames.maxLength

    /// Validates a fetched document for `clientID`.
    ///
    /// Requires a JSON object whose `client_id` equals `clientID`, a non-empty `client_name`, and
    /// non-empty `redirect_uris` that ``RedirectURIPolicy`` accepts; rejects secrets and private
    /// keys. `token_endpoint_auth_method` must be absent or `none`, or `private_key_jwt` with
    /// `none` among `token_endpoint_auth_methods_supported` (then `none` is used).
    public static func validate(json: Data, clientID: String, expiresAt: Date) throws(ClientMetadataError)
        -> ClientMetadataDocument
    {
        guard let value = try? JSONValue(parsing: json) else {
            throw ClientMetadataError("the client metadata document is not valid JSON")
        }
        guard case .object(let members) = value else {
            throw ClientMetadataError("the client metadata document must be a JSON object")
        }
        guard let documentID = members["client_id"]?.stringValue else {
            throw ClientMetadataError("the client metadata document has no client_id")
        }
        guard documentID == clientID else {
            throw ClientMetadataError("the client metadata document's client_id does not match the URL it was fetched from")
        }
        if members["client_secret"] != nil || members["client_secret_expires_at"] != nil {
            throw ClientMetadataError("the client metadata document must not contain a client_secret")
        }
        if let jwks = members["jwks"], containsPrivateKey(jwks) {
            throw ClientMetadataError("the client metadata document's jwks contains private key material")
        }

        guard let name = members["client_name"]?.stringValue,
            !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw ClientMetadataError("the client metadata document has no client_name")
        }
        if let problem = ClientNames.problem(name) { throw ClientMetadataError(problem) }

        guard case .array(let uriValues)? = members["redirect_uris"], !uriValues.isEmpty else {
            throw ClientMetadataError("the client metadata document must list redirect_uris")
        }
        var redirectURIs: [String] = []
        for uriValue in uriValues {
            guard let uri = uriValue.stringValue else {
                throw ClientMetadataError("redirect_uris must contain only strings")
            }
            if let problem = RedirectURIPolicy.registrationProblem(uri) {
                throw ClientMetadataError("redirect_uris: \(problem)")
            }
            redirectURIs.append(uri)
        }

        let supportedMethods =
            try ClientMetadataFields.strings(members["token_endpoint_auth_methods_supported"], "token_endpoint_auth_methods_supported") ?? []
        switch members["token_endpoint_auth_method"] {
        case nil, .null?, .string("none")?:
            break
        case .string("private_key_jwt")? where supportedMethods.contains("none"):
            break
        default:
            throw ClientMetadataError("only public clients (token_endpoint_auth_method none) are supported")
        }
        try ClientMetadataFields.checkGrantTypes(ClientMetadataFields.strings(members["grant_types"], "grant_types"), unsupported: .ignored)
        try ClientMetadataFields.checkResponseTypes(ClientMetadataFields.strings(members["response_types"], "response_types"), unsupported: .ignored)

        return ClientMetadataDocument(
            clientID: clientID, clientName: name, redirectURIs: redirectURIs, tokenEndpointAuthMethod: "none",
            logoURI: httpsURL(members["logo_uri"]), clientURI: httpsURL(members["client_uri"]),
            json: String(decoding: json, as: UTF8.self), expiresAt: expiresAt)
    }

    private static func httpsURL(_ value: JSONValue?) -> String? {
        guard let uri = value?.stringValue, uri.hasPrefix("https://"), RedirectURIPolicy.registrationProblem(uri) == nil
        else { return nil }
        return uri
    }

    /// JWK members that only private (or symmetric) keys have.
    private static let privateKeyMembers: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]

    private static func containsPrivateKey(_ jwks: JSONValue) -> Bool {
        switch jwks {
        case .object(let members):
            if members.keys.contains(where: privateKeyMembers.contains) { return true }
            return members["keys"].map(containsPrivateKey) ?? false
        case .array(let keys):
            return keys.contains(where: containsPrivateKey)
        default:
            return false
        }
    }
}
