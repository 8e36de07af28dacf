import Foundation
import HTTPTypes
import JSON
import OAuthProxy
import Testing

/// `/register` must not keep bidi controls, ESC and NUL in `client_name` (metadata
/// documents refuse them too): the consent page would show them raw.
@Suite struct ClientNameTests {
    static let hostile: [String] = [
        "Evil\u{1B}]0;pwned\u{07}", "Bell\u{07}", "Csi\u{9B}2J", "Two\nlines", "Back\rwrite", "Safe \u{202E}txt.exe",
        "Iso\u{2066}late\u{2069}", "Nul\u{0}truncated", "Del\u{7F}", "Mark\u{200F}", "Line\u{2028}sep",
    ]

    @Test(arguments: hostile)
    func dynamicRegistrationRefusesUnsafeNames(name: String) async throws {
        let harness = try await TokenEndpointHarness()
        defer { harness.close() }
        let body = JSONValue.object([
            "redirect_uris": ["http://localhost/callback"], "token_endpoint_auth_method": "none", "client_name": .string(name),
        ])
        let response = await harness.servers[0].register(body: try JSONEncoder().encode(body), clientAddress: "192.0.2.1")
        #expect(response.status == .badRequest)
        #expect(try JSONDecoder().decode(JSONValue.self, from: response.body)["error"]?.stringValue == "invalid_client_metadata")
    }

    @Test(arguments: hostile)
    func metadataDocumentsApplyTheSameRule(name: String) throws {
        let clientID = "https://app.example.com/client.json"
        let document = JSONValue.object([
            "client_id": .string(clientID), "client_name": .string(name), "redirect_uris": ["https://app.example.com/cb"],
        ])
        #expect(ClientNames.problem(name) != nil)
        #expect(throws: ClientMetadataError.self) {
            try ClientMetadataDocumentFetcher.validate(json: try JSONEncoder().encode(document), clientID: clientID, expiresAt: Date())
        }
    }

    @Test func ordinaryNamesInAnyScriptAreAccepted() async throws {
        let harness = try await TokenEndpointHarness()
        defer { harness.close() }
        for name in ["Café 東京", "עברית client", "Claude Code"] {
            #expect(ClientNames.problem(name) == nil)
            let body = JSONValue.object([
                "redirect_uris": ["http://localhost/callback"], "token_endpoint_auth_method": "none", "client_name": .string(name),
            ])
            let response = await harness.servers[0].register(body: try JSONEncoder().encode(body), clientAddress: "192.0.2.1")
            #expect(response.status == .created)
            #expect(try JSONDecoder().decode(JSONValue.self, from: response.body)["client_name"]?.stringValue == name)
        }
    }

    @Test func theConsentPageIsolatesTheNameAndNeutralisesControls() {
        let html = OAuthPages.consent(
            clientName: "Old \u{202E}name\u{1B}", clientID: "tmcp_client_x", clientKind: "dcr", redirectURI: "http://localhost/cb",
            scopes: ["tasks"], requestID: "req_1", csrf: "csrf_1", formAction: "https://mcp.example.com/authorize/consent",
            providerName: "Parallel", warnings: [])
        #expect(html.contains("<bdi>Old \u{FFFD}name\u{FFFD}</bdi>"))
        #expect(!html.contains("\u{202E}"))
        #expect(!html.contains("\u{1B}"))
    }
}
