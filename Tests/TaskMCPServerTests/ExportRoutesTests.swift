import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

/// `/{id}.csv` and `/{id}.xlsx`: the whole result as a file, from the stored snapshot.
extension RESTRoutesTests {
    @Test func aGroupDownloadsAsCSVAndXLSXWithFormulasNeutralised() async throws {
        try await withTaskMCP { client, _, _ in
            let csv = "company,note\r\nAcme,\"=HYPERLINK(\"\"http://evil\"\")\"\r\n\"Globex, Inc.\",+1 555\r\n"
            let response = try await post(client, "/v1/multitask", ["inputs": .string(csv), "output": "ceo_name", "output_type": "json"])
            #expect(response.status == .accepted, "\(response.text)")
            let body = try response.json
            let id = try #require(body["taskgroup_id"]?.stringValue)
            let token = try #require(body["progress_url"]?.stringValue?.components(separatedBy: "?view=").last)
            try await waitUntilDone(client, id)

            let file = try await get(client, "/\(id).csv?view=\(token)", key: nil)
            #expect(file.status == .ok)
            #expect(file.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(file.headers[.contentDisposition] == "attachment; filename=\"\(id).csv\"")
            #expect(file.headers[.cacheControl] == "no-store, private")
            let bytes = Array(file.body.readableBytesView)
            #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "UTF-8 byte-order mark")
            let lines = String(decoding: bytes.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
            #expect(lines[0].hasPrefix("#,company,note,ceo_name,"), "\(lines[0])")
            #expect(lines[0].hasSuffix(",status,error"))
            #expect(lines[1].hasPrefix("0,Acme,\"'=HYPERLINK(\"\"http://evil\"\")\","), "\(lines[1])")
            #expect(lines[2].hasPrefix("1,\"Globex, Inc.\",'+1 555,"), "\(lines[2])")
            #expect(lines[1].contains(",completed,"))

            let workbook = try await get(client, "/\(id).xlsx?view=\(token)", key: nil)
            #expect(workbook.status == .ok)
            #expect(workbook.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(Array(workbook.body.readableBytesView).starts(with: Array("PK".utf8)))

            // The progress page offers both downloads; the token is required without a key.
            let page = try await get(client, "/\(id).html?view=\(token)", key: nil)
            #expect(page.text.contains("href=\"\(id).csv?view=\(token)\""))
            #expect(page.text.contains("href=\"\(id).xlsx?view=\(token)\""))
            #expect(try await get(client, "/\(id).csv", key: nil).status == .unauthorized)
        }
    }

    @Test func aRunDownloadsAsAOneRowTable() async throws {
        try await withTaskMCP { client, _, _ in
            let run = try await createRun(client)
            try await waitUntilDone(client, run.id)
            let token = try #require(run.url.components(separatedBy: "?view=").last)
            let file = try await get(client, "/\(run.id).csv?view=\(token)", key: nil)
            #expect(file.status == .ok)
            let lines = String(decoding: Array(file.body.readableBytesView).dropFirst(3), as: UTF8.self)
                .components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first?.hasSuffix("status,error") == true, "\(lines)")
            #expect(lines.count >= 2)
        }
    }
}
