import JSON

/// The rules for RFC 7591 client metadata fields that both ways a client introduces itself share:
/// `/register` (``AuthorizationServer/register(body:clientAddress:)``) and Client ID Metadata
/// Documents (``ClientMetadataDocumentFetcher/validate(json:clientID:expiresAt:)``). The name
/// rule lives in ``ClientNames``, the redirect URI rule in ``RedirectURIPolicy``.
///
/// Problems are ``ClientMetadataError``s whose description has no final period; `/register`
/// adds one to its `error_description`.
enum ClientMetadataFields {
    /// How to treat declared grant or response types this server does not support.
    enum Unsupported {
        /// `/register`: a registration is made with this server alone, so anything else is refused.
        case refused
        /// Metadata documents: one document serves many servers, so it may list types this one
        /// does not support; they are ignored.
        case ignored
    }

    /// The strings of an optional array member; `nil` when absent or null.
    static func strings(_ value: JSONValue?, _ name: String) throws(ClientMetadataError) -> [String]? {
        guard let value, !value.isNull else { return nil }
        guard case .array(let items) = value else { throw ClientMetadataError("\(name) must be an array of strings") }
        var result: [String] = []
        for item in items {
            guard let string = item.stringValue else { throw ClientMetadataError("\(name) must be an array of strings") }
            result.append(string)
        }
        return result
    }

    /// Checks declared `grant_types` (already read with ``strings(_:_:)``): when present they
    /// must include ``GrantType/required``; with `.refused`, each must be a ``GrantType``.
    static func checkGrantTypes(_ declared: [String]?, unsupported: Unsupported) throws(ClientMetadataError) {
        guard let declared else { return }
        if unsupported == .refused, let name = declared.first(where: { GrantType(rawValue: $0) == nil }) {
            throw ClientMetadataError(
                "grant_type '\(name.prefix(64))' is not supported; use \(GrantType.supportedNames.joined(separator: " and "))")
        }
        guard declared.contains(GrantType.required.rawValue) else {
            throw ClientMetadataError("grant_types must include \(GrantType.required.rawValue)")
        }
    }

    /// Checks declared `response_types`: when present they must include `code`; with
    /// `.refused`, `code` must be the only one.
    static func checkResponseTypes(_ declared: [String]?, unsupported: Unsupported) throws(ClientMetadataError) {
        guard let declared else { return }
        switch unsupported {
        case .refused:
            guard declared == ["code"] else { throw ClientMetadataError("Only the response type 'code' is supported") }
        case .ignored:
            guard declared.contains("code") else { throw ClientMetadataError("response_types must include code") }
        }
    }
}
