import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import NIOCore
import ParallelAPI
import TableFiles
import TaskTools
import Testing

/// Serves the files these tests read rows from, on an ephemeral loopback port.
private func withFileServer(_ body: @escaping @Sendable (_ base: String) async throws -> Void) async throws {
    let router = Router()
    func file(_ path: String, _ type: String, _ bytes: [UInt8]) {
        router.get(RouterPath(path)) { _, _ in
            Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
    file("/companies.csv", "text/csv", Array("company,city\r\nAcme,Berlin\r\nGlobex,Paris\r\nInitech,Austin\r\n".utf8))
    let workbook = (try? XLSXWriter.write([["company"], ["Acme"], ["Globex"]])) ?? []
    file("/companies.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", workbook)
    file("/page.html", "text/html", Array("<html><body>Sign in</body></html>".utf8))
    file("/many.csv", "text/csv", Array(("company\n" + (0...10_000).map { "C\($0)" }.joined(separator: "\n")).utf8))
    router.get("/moved") { _, _ in Response.redirect(to: "/companies.csv", type: .found) }
    let logger = Logger(label: "file-server") { _ in SwiftLogNoOpLogHandler() }
    try await Application(router: router, logger: logger).test(.live) { client in
        try await body("http://127.0.0.1:\(try #require(client.port))")
    }
}

/// A run's `metadata.input_index` (its row's position).
private func index(_ input: TaskRunInput) -> Int {
    if case .int(let index)? = input.metadata?["input_index"] { return index }
    return -1
}

private let output: [String: JSONValue] = ["output": "ceo_name", "output_type": "json", "processor": "lite"]

@Suite("Rows by URL and attached file")
struct RowsByURLTests {
    @Test func aCSVAtAURLBecomesTheGroupsRowsInOrder() async throws {
        try await withFileServer { base in
            try await withService(configure: { $0.allowLoopbackInputURLs = true }) { harness in
                let created = try await harness.service.createTaskGroup(
                    output.merging(["inputs_url": .string("\(base)/moved")]) { $1 }, caller: harness.caller)
                #expect(created.submitted == 3)
                #expect(created.accepted == 3)
                let runs = try await harness.client.allGroupRuns(created.groupID, includeInput: true)
                let inputs = runs.compactMap(\.input).sorted { index($0) < index($1) }.map(\.input)
                #expect(inputs == [["company": "Acme", "city": "Berlin"], ["company": "Globex", "city": "Paris"], ["company": "Initech", "city": "Austin"]])
            }
        }
    }

    @Test func anAttachedXLSXFileIsRead() async throws {
        try await withFileServer { base in
            try await withService(configure: { $0.allowLoopbackInputURLs = true }) { harness in
                let file: JSONValue = [
                    "download_url": .string("\(base)/companies.xlsx"), "file_id": "file_1", "file_name": "companies.xlsx",
                ]
                let created = try await harness.service.createTaskGroup(output.merging(["file": file]) { $1 }, caller: harness.caller)
                #expect(created.submitted == 2)
            }
        }
    }

    @Test func badSourcesAreRefusedSayingWhatToDo() async throws {
        try await withFileServer { base in
            try await withService(configure: { $0.allowLoopbackInputURLs = true }) { harness in
                func refusal(_ arguments: [String: JSONValue]) async -> String {
                    await serviceError { () async throws(TaskServiceError) in
                        try await harness.service.createTaskGroup(output.merging(arguments) { $1 }, caller: harness.caller)
                    }?.message ?? ""
                }
                #expect(await refusal([:]).contains("inputs_url"))
                #expect(await refusal(["inputs": "a\n1", "inputs_url": .string("\(base)/companies.csv")]).contains("one way only"))
                #expect(await refusal(["inputs_url": .string("\(base)/page.html")]).contains("web page"))
                #expect(await refusal(["inputs_url": .string("\(base)/missing.csv")]).contains("HTTP 404"))
                #expect(await refusal(["inputs_url": .string("\(base)/many.csv")]).contains("10000"))
                #expect(await refusal(["inputs_url": "ftp://example.com/rows.csv"]).contains("https URL"))
                #expect(await refusal(["inputs_url": "https://10.1.2.3/rows.csv"]).contains("private or local address"))
                #expect(await refusal(["file": "chat_upload://image_0"]).contains("not as an attached file"))
                #expect(await refusal(["inputs_url": .string("\(base)/companies.csv"), "sheet": 3]).contains("sheet"))
                // Nothing was created by any of these.
                #expect(await harness.registry.recent(owner: harness.caller.subject, limit: 10).isEmpty)
            }
        }
    }

    @Test func aLoopbackURLIsRefusedOutsideDevelopmentMode() async throws {
        try await withFileServer { base in
            try await withService { harness in
                let error = await serviceError { () async throws(TaskServiceError) in
                    try await harness.service.createTaskGroup(
                        output.merging(["inputs_url": .string("\(base)/companies.csv")]) { $1 }, caller: harness.caller)
                }
                #expect(error?.message.contains("https URL") == true, "\(String(describing: error))")
                let https = base.replacingOccurrences(of: "http://", with: "https://") + "/companies.csv"
                let private_ = await serviceError { () async throws(TaskServiceError) in
                    try await harness.service.createTaskGroup(output.merging(["inputs_url": .string(https)]) { $1 }, caller: harness.caller)
                }
                #expect(private_?.message.contains("private or local address") == true, "\(String(describing: private_))")
            }
        }
    }
}
