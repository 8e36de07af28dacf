import JSON
@testable import OAuthProxy
import Testing

/// The client metadata rules `/register` and metadata documents share.
@Suite("Client metadata fields")
struct ClientMetadataFieldsTests {
    @Test("grant types carry the RFC 6749 strings")
    func grantTypeNames() {
        #expect(GrantType.supportedNames == ["authorization_code", "refresh_token"])
        #expect(GrantType(rawValue: "client_credentials") == nil)
    }

    @Test("string arrays: absent or null is nil, anything but an array of strings is refused")
    func strings() throws {
        #expect(try ClientMetadataFields.strings(nil, "x") == nil)
        #expect(try ClientMetadataFields.strings(.null, "x") == nil)
        #expect(try ClientMetadataFields.strings(["a", "b"], "x") == ["a", "b"])
        #expect(try ClientMetadataFields.strings([], "x") == [])
        for bad: JSONValue in ["a", ["a", 1], ["k": "v"], 3] {
            #expect(throws: ClientMetadataError("x must be an array of strings")) { try ClientMetadataFields.strings(bad, "x") }
        }
    }

    @Test("declared grant types must include authorization_code, on both paths")
    func grantTypesNeedTheCodeGrant() throws {
        for unsupported in [ClientMetadataFields.Unsupported.refused, .ignored] {
            try ClientMetadataFields.checkGrantTypes(nil, unsupported: unsupported)
            try ClientMetadataFields.checkGrantTypes(["authorization_code"], unsupported: unsupported)
            try ClientMetadataFields.checkGrantTypes(["refresh_token", "authorization_code"], unsupported: unsupported)
            #expect(throws: ClientMetadataError("grant_types must include authorization_code")) {
                try ClientMetadataFields.checkGrantTypes(["refresh_token"], unsupported: unsupported)
            }
            #expect(throws: ClientMetadataError("grant_types must include authorization_code")) {
                try ClientMetadataFields.checkGrantTypes([], unsupported: unsupported)
            }
        }
    }

    @Test("a grant type this server does not issue is refused at /register and ignored in a document")
    func unknownGrantTypes() throws {
        let declared = ["authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
        try ClientMetadataFields.checkGrantTypes(declared, unsupported: .ignored)
        #expect(
            throws: ClientMetadataError(
                "grant_type 'urn:ietf:params:oauth:grant-type:jwt-bearer' is not supported; use authorization_code and refresh_token")
        ) { try ClientMetadataFields.checkGrantTypes(declared, unsupported: .refused) }
    }

    @Test("response types: code only at /register; code among others in a document")
    func responseTypes() throws {
        try ClientMetadataFields.checkResponseTypes(nil, unsupported: .refused)
        try ClientMetadataFields.checkResponseTypes(["code"], unsupported: .refused)
        #expect(throws: ClientMetadataError("Only the response type 'code' is supported")) {
            try ClientMetadataFields.checkResponseTypes(["code", "token"], unsupported: .refused)
        }
        try ClientMetadataFields.checkResponseTypes(["code", "token"], unsupported: .ignored)
        #expect(throws: ClientMetadataError("response_types must include code")) {
            try ClientMetadataFields.checkResponseTypes(["token"], unsupported: .ignored)
        }
    }
}
