package import Foundation
package import Storage

/// Sample values.
package enum Sample {
    package static let apiKey = "par_live_SECRET-api-key-0123456789"
    package static let resource = "https://mcp.example.com/mcp"
    package static let redirectURI = "https://client.example/callback"
    package static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    package static func client(id: String = "client-a", name: String = "Client A", expiresAt: Date? = nil, at date: Date)
        -> OAuthClient
    {
        OAuthClient(
            id: id, kind: .dynamic, name: name, redirectURIs: [redirectURI], tokenEndpointAuthMethod: "none",
            metadata: #"{"client_name":"\#(name)"}"#, createdAt: date, expiresAt: expiresAt
        )
    }

    package static func pending(
        id: String = "pnd_1", clientID: String = "client-a", at date: Date, lifetime: TimeInterval = 600
    ) -> PendingAuthorization {
        PendingAuthorization(
            id: id, clientID: clientID, redirectURI: redirectURI, clientState: "client-state", codeChallenge: challenge,
            scope: "tasks:read tasks:write", resource: resource, createdAt: date,
            expiresAt: date.addingTimeInterval(lifetime)
        )
    }

    package static func task(id: String, owner: String = "u_owner", at date: Date, nonce: String = "nonce-1") -> StoredTask {
        StoredTask(
            id: id, kind: "run", owner: owner, createdAt: date, processor: "core", label: "Question \(id)",
            linkNonce: nonce
        )
    }
}
