public import Foundation

/// A validated Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document):
/// a public client identified by the https URL its metadata is published at.
public struct ClientMetadataDocument: Sendable, Hashable {
    /// The document's URL, which is the client's id.
    public var clientID: String
    public var clientName: String
    public var redirectURIs: [String]
    /// Always `"none"`: only public clients are accepted (see ``ClientMetadataDocumentFetcher``).
    public var tokenEndpointAuthMethod: String
    /// The document's `logo_uri`, kept only when it is an acceptable https URL.
    public var logoURI: String?
    /// The document's `client_uri`, kept only when it is an acceptable https URL.
    public var clientURI: String?
    /// The document as fetched.
    public var json: String
    /// When the cached document must be fetched again.
    public var expiresAt: Date

    public init(
        clientID: String, clientName: String, redirectURIs: [String], tokenEndpointAuthMethod: String = "none",
        logoURI: String? = nil, clientURI: String? = nil, json: String, expiresAt: Date
    ) {
        self.clientID = clientID
        self.clientName = clientName
        self.redirectURIs = redirectURIs
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.logoURI = logoURI
        self.clientURI = clientURI
        self.json = json
        self.expiresAt = expiresAt
    }
}

/// Why a client metadata document could not be used; `description` is fit for an OAuth
/// `invalid_client` `error_description` (it never quotes the response body).
public struct ClientMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    /// The document may be fine but cannot be fetched now (too many fetches at once, shutting
    /// down): an OAuth `temporarily_unavailable`, not a verdict on the client.
    public var isTemporary: Bool

    public init(_ description: String, isTemporary: Bool = false) {
        self.description = description
        self.isTemporary = isTemporary
    }
}
