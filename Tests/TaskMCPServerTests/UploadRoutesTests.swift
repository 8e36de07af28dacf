import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import Testing

/// `POST /v1/uploads`, the one `PUT` to its URL, and `inputs_upload` in `/v1/multitask`.
extension RESTRoutesTests {
    @Test func anUploadedCSVBecomesAGroupOnceAndItsURLIsOneTime() async throws {
        try await withTaskMCP { client, _, _ in
            let opened = try await post(client, "/v1/uploads", [:])
            #expect(opened.status == .created, "\(opened.text)")
            let slot = try opened.json
            let id = try #require(slot["upload_id"]?.stringValue)
            let url = try #require(slot["upload_url"]?.stringValue.flatMap(URLComponents.init(string:)))
            #expect(slot["method"] == "PUT")
            #expect(slot["curl"]?.stringValue?.contains("curl") == true)
            let target = url.path + "?" + (url.query ?? "")

            // Without the secret, or with another, nothing is stored.
            let wrong = try await client.execute(uri: "\(url.path)?secret=nope", method: .put, body: ByteBuffer(string: "a\n1\n"))
            #expect(wrong.status == .notFound)
            #expect(try await post(client, "/v1/multitask", ["inputs_upload": .string(id), "output": "ceo_name", "output_type": "json"]).status == .badRequest)

            let put = try await client.execute(
                uri: target, method: .put, headers: [.contentType: "text/csv"], body: ByteBuffer(string: Self.csv))
            #expect(put.status == .created, "\(put.text)")
            let again = try await client.execute(uri: target, method: .put, body: ByteBuffer(string: Self.csv))
            #expect(again.status == .conflict)
            #expect(again.headers[.contentType]?.hasPrefix("application/problem+json") == true)

            // Another caller cannot use it.
            let stranger = try await post(
                client, "/v1/multitask", ["inputs_upload": .string(id), "output": "ceo_name", "output_type": "json"], key: "another-key")
            #expect(stranger.status != .accepted)

            let created = try await post(client, "/v1/multitask", ["inputs_upload": .string(id), "output": "ceo_name", "output_type": "json"])
            #expect(created.status == .accepted, "\(created.text)")
            #expect(try created.json["submitted"] == 3)
            // Used once: gone.
            let reused = try await post(client, "/v1/multitask", ["inputs_upload": .string(id), "output": "ceo_name", "output_type": "json"])
            #expect(reused.status == .badRequest)
            #expect(try reused.json["detail"]?.stringValue?.contains("POST /v1/uploads") == true)
        }
    }

    @Test func anUploadNeedsCredentialsToOpen() async throws {
        try await withTaskMCP { client, _, _ in
            let anonymous = try await post(client, "/v1/uploads", [:], key: nil)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
