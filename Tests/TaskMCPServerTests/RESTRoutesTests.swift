import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import ParallelSandbox
@testable import TaskMCPServer
import TaskTools
import TestSupport
import Testing

/// The Multitask REST API and the result views, over the router, with a live sandbox upstream.
@Suite("REST routes")
struct RESTRoutesTests {
    static let csv = "company,country\nAcme,US\nGlobex,DE\nInitech,FR\n"
    static let companies = ["Acme", "Globex", "Initech"]
    /// Only the live script (by its hash, checked against the page in `LiveProgressTests`) and
    /// the page's own event stream are allowed beyond the inline style.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '\(ProgressPage.liveScriptHash)'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    // MARK: Helpers

    func post(_ client: any TestClientProtocol, _ uri: String, _ body: JSONValue, key: String? = demoKey) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: .post, headers: headers(bearer: key, accept: nil), body: ByteBuffer(string: body.jsonText))
    }

    func get(_ client: any TestClientProtocol, _ uri: String, key: String? = demoKey, accept: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: headers(bearer: key, contentType: nil, accept: accept))
    }

    /// Creates a deep-research run and returns its id and progress URL.
    func createRun(_ client: any TestClientProtocol) async throws -> (id: String, url: String) {
        let response = try await post(client, "/v1/deep-research", ["input": "What drives the price of lithium carbonate?"])
        #expect(response.status == .accepted, "\(response.text)")
        let body = try response.json
        return (try #require(body["run_id"]?.stringValue), try #require(body["progress_url"]?.stringValue))
    }

    /// Creates a three-row group from CSV and returns its id and progress URL.
    func createGroup(_ client: any TestClientProtocol) async throws -> (id: String, url: String) {
        let response = try await post(
            client, "/v1/multitask", ["inputs": .string(Self.csv), "output": "ceo_name, founding_year", "output_type": "json"])
        #expect(response.status == .accepted, "\(response.text)")
        let body = try response.json
        return (try #require(body["taskgroup_id"]?.stringValue), try #require(body["progress_url"]?.stringValue))
    }

    /// Polls `GET /v1/tasks/{id}` until the task is no longer active.
    func waitUntilDone(_ client: any TestClientProtocol, _ id: String) async throws {
        let done = try await eventually {
            let response = try await get(client, "/v1/tasks/\(id)")
            return try response.json["is_active"] == false
        }
        try #require(done, "\(id) still active")
    }

    // MARK: Creation

    @Test func deepResearchIsAcceptedWithALocation() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await post(client, "/v1/deep-research", ["input": "What is the state of fusion startups?", "processor": "ultra"])
            #expect(response.status == .accepted)
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json
            let runID = try #require(body["run_id"]?.stringValue)
            #expect(runID.hasPrefix("trun_"))
            #expect(body["processor"] == "ultra")
            #expect(body["interaction_id"]?.stringValue?.isEmpty == false)
            let url = try #require(body["progress_url"]?.stringValue)
            #expect(url.hasPrefix("\(testPublicURL)/\(runID).html?view="), "\(url)")
            #expect(response.headers[.location] == url)
        }
    }

    @Test func anOverlongQuestionIsAProblemWithItsLimits() async throws {
        try await withTaskMCP { client, _, _ in
            let input = String(repeating: "a", count: 15_001)
            let response = try await post(client, "/v1/deep-research", ["input": .string(input)])
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try response.json
            #expect(body["status"] == 400)
            #expect(body["code"] == "invalid_argument")
            #expect(body["context"]?["argument"] == "input")
            #expect(body["context"]?["max_length"] == 15_000)
            #expect(body["context"]?["input_length"] == 15_001)
            #expect(body["detail"]?.stringValue?.hasPrefix("input is 15001 characters; deep research accepts at most 15000.") == true)
        }
    }

    /// RFC 9457: `title` is a short summary of the problem type; problems built from service
    /// errors must carry one just like the schema-check problems ("Bad Request") do.
    @Test func problemsFromServiceErrorsHaveATitle() async throws {
        try await withTaskMCP { client, _, _ in
            let overlong = try await post(client, "/v1/deep-research", ["input": .string(String(repeating: "b", count: 15_001))])
            #expect(overlong.status == .badRequest)
            let overlongBody = try overlong.json
            #expect(overlongBody["title"] == "Bad Request")

            let unknown = try await get(client, "/v1/tasks/not-an-id")
            #expect(unknown.status == .badRequest)
            let unknownBody = try unknown.json
            #expect(unknownBody["title"] == "Bad Request")

            let missing = try await get(client, "/trun_0123456789abcdef.json?view=AAAA", key: nil)
            #expect(missing.status == .notFound)
            let missingBody = try missing.json
            #expect(missingBody["title"] == "Not Found")
        }
    }

    @Test func restBodiesAreCheckedAgainstTheToolSchema() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await post(client, "/v1/deep-research", ["input": "Question", "unknown_member": true])
            #expect(response.status == .badRequest)
            let body = try response.json
            #expect(body["code"] == "invalid_argument")
            #expect(body["context"]?["problems"]?.arrayValue?.count == 1)

            let notJSON = try await client.execute(
                uri: "/v1/deep-research", method: .post, headers: headers(accept: nil), body: ByteBuffer(string: "[1, 2]"))
            #expect(notJSON.status == .badRequest)
            #expect(try notJSON.json["code"] == "invalid_json")

            let unauthenticated = try await post(client, "/v1/deep-research", ["input": "Question"], key: nil)
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.headers[.wwwAuthenticate]?.hasPrefix("Bearer resource_metadata=") == true)
        }
    }

    @Test func multitaskFromCSVIsAcceptedWithARunCount() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await post(
                client, "/v1/multitask", ["inputs": .string(Self.csv), "output": "ceo_name, founding_year", "output_type": "json"])
            #expect(response.status == .accepted)
            let body = try response.json
            let groupID = try #require(body["taskgroup_id"]?.stringValue)
            #expect(groupID.hasPrefix("tgrp_"))
            #expect(body["run_count"] == 3)
            #expect(body["submitted"] == 3)
            #expect(body["failed_rows"] == [])
            #expect(body["output_fields"] == ["ceo_name", "founding_year"])
            let url = try #require(body["progress_url"]?.stringValue)
            #expect(url.hasPrefix("\(testPublicURL)/\(groupID).html?view="))
            #expect(response.headers[.location] == url)
        }
    }

    @Test func restBodiesOverTheLimitOrNotJSONAreRefused() async throws {
        try await withTaskMCP(maxBodyBytes: 1_024) { client, _, _ in
            let large = try await post(
                client, "/v1/multitask",
                ["inputs": .string("company\n" + String(repeating: "Acme\n", count: 400)), "output": "ceo_name", "output_type": "json"])
            #expect(large.status == .contentTooLarge)
            #expect(large.headers[.contentType] == "application/problem+json")
            #expect(try large.json["code"] == "too_large")

            let text = try await client.execute(
                uri: "/v1/multitask", method: .post, headers: headers(contentType: "text/csv", accept: nil),
                body: ByteBuffer(string: "company\nAcme\n"))
            #expect(text.status == .unsupportedMediaType)
            #expect(try text.json["code"] == "unsupported_media_type")

            let foreign = try await client.execute(
                uri: "/v1/deep-research", method: .post, headers: headers(accept: nil, [(.origin, "https://evil.example")]),
                body: ByteBuffer(string: #"{"input":"Question"}"#))
            #expect(foreign.status == .forbidden)
            #expect(try foreign.json["code"] == "forbidden_origin")
        }
    }

    /// 1,500 rows go in two add-runs batches (1,000 + 500) sent together; the account can pay for
    /// the 500-row batch only, so rows 0–999 fail with 402 whichever batch arrives first.
    @Test func aPartlyAddedGroupAnswers207WithTheFailedRows() async throws {
        let sandbox = SandboxConfiguration(timeFactor: 0.002, accounts: [demoKey: AccountSettings(creditsUSD: 4)])
        try await withTaskMCP(sandbox: sandbox) { client, _, _ in
            let rows = (0..<1_500).map { JSONValue.object(["company": .string("Company \($0)")]) }
            let response = try await post(
                client, "/v1/multitask", ["inputs": .array(rows), "output": "ceo_name", "output_type": "json", "processor": "lite"])
            #expect(response.status.code == 207, "\(response.text)")
            let body = try response.json
            #expect(body["submitted"] == 1_500)
            #expect(body["run_count"] == 500)
            let failed = try #require(body["failed_rows"]?.arrayValue)
            try #require(failed.count == 1, "\(failed)")
            #expect(failed[0]["first_row"] == 0)
            #expect(failed[0]["last_row"] == 999)
            #expect(failed[0]["count"] == 1_000)
            #expect(failed[0]["upstream_status"] == 402)
            #expect(body["message"]?.stringValue?.hasPrefix("1000 of 1500 rows were NOT added") == true)
            #expect(response.headers[.location] == body["progress_url"]?.stringValue)

            // The views number rows by input index, as failed_rows does: the first row shown is 1000.
            let url = try #require(body["progress_url"]?.stringValue)
            let token = try #require(url.components(separatedBy: "?view=").last)
            let groupID = try #require(body["taskgroup_id"]?.stringValue)
            let view = try await get(client, "/\(groupID).json?view=\(token)", key: nil)
            let viewRows = try #require(try view.json["rows"]?.arrayValue)
            #expect(viewRows.count == 500)
            #expect(viewRows.first?["input"]?["company"] == "Company 1000")
            #expect(viewRows.first?["index"] == 1_000, "index of Company 1000: \(String(describing: viewRows.first?["index"]))")
        }
    }

    // MARK: Listing and status

    @Test func listingAndStatusShowBothTasks() async throws {
        try await withTaskMCP { client, _, sandbox in
            // A second account: keys are checked with Parallel, so it must exist there.
            await sandbox.setAccount("another-parallel-key", AccountSettings())
            let run = try await createRun(client)
            let group = try await createGroup(client)

            let list = try await get(client, "/v1/tasks")
            #expect(list.status == .ok)
            #expect(list.headers[.cacheControl] == "no-store")
            let tasks = try #require(try list.json["tasks"]?.arrayValue)
            try #require(tasks.count == 2, "\(list.text)")
            // Newest first.
            #expect(tasks[0]["id"] == .string(group.id))
            #expect(tasks[0]["kind"] == "group")
            #expect(tasks[0]["run_count"] == 3)
            #expect(tasks[0]["progress_url"] == .string(group.url))
            #expect(tasks[1]["id"] == .string(run.id))
            #expect(tasks[1]["kind"] == "run")
            #expect(tasks[1]["processor"] == "pro")
            #expect(tasks[1]["progress_url"] == .string(run.url))

            // Another key sees none of them.
            let other = try await get(client, "/v1/tasks", key: "another-parallel-key")
            #expect(try other.json["tasks"] == [])

            let limited = try await get(client, "/v1/tasks?limit=1")
            #expect(try limited.json["tasks"]?.arrayValue?.count == 1)
            let badLimit = try await get(client, "/v1/tasks?limit=0")
            #expect(badLimit.status == .badRequest)

            let runStatus = try await get(client, "/v1/tasks/\(run.id)")
            #expect(runStatus.status == .ok)
            let runJSON = try runStatus.json
            #expect(runJSON["kind"] == "run")
            #expect(runJSON["id"] == .string(run.id))
            #expect(runJSON["processor"] == "pro")
            #expect(runJSON["next_step"]?.stringValue?.isEmpty == false)

            try await waitUntilDone(client, group.id)
            let groupJSON = try await get(client, "/v1/tasks/\(group.id)").json
            #expect(groupJSON["kind"] == "group")
            #expect(groupJSON["status"] == "completed")
            #expect(groupJSON["total"] == 3)
            #expect(groupJSON["counts"]?["completed"] == 3)
            #expect(groupJSON["results_ready"] == true)

            let malformed = try await get(client, "/v1/tasks/not-an-id")
            #expect(malformed.status == .badRequest)
            #expect(try malformed.json["code"] == "invalid_argument")
        }
    }

    // MARK: Views

    @Test func viewsOpenWithTheLinkToken() async throws {
        try await withTaskMCP { client, _, _ in
            let group = try await createGroup(client)
            try await waitUntilDone(client, group.id)
            let token = try #require(group.url.components(separatedBy: "?view=").last)

            let markdown = try await get(client, "/\(group.id).md?view=\(token)", key: nil)
            #expect(markdown.status == .ok)
            #expect(markdown.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(markdown.headers[.cacheControl] == "no-store, private")
            #expect(markdown.headers[Header.referrer] == "no-referrer")
            #expect(markdown.text.contains("# Task group `\(group.id)`"))
            let rows = markdown.text.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true }
            #expect(rows.count == 3)
            for (index, company) in Self.companies.enumerated() where index < rows.count {
                #expect(rows[index].hasPrefix("| \(index) | completed | \(company) |"), "\(rows[index])")
            }

            let json = try await get(client, "/\(group.id).json?view=\(token)", key: nil)
            #expect(json.status == .ok)
            #expect(json.headers[.contentType] == "application/json")
            #expect(json.headers[.cacheControl] == "no-store, private")
            let document = try json.json
            #expect(document["status"]?["id"] == .string(group.id))
            let documentRows = try #require(document["rows"]?.arrayValue)
            #expect(documentRows.map { $0["index"] } == [0, 1, 2])
            #expect(documentRows.map { $0["input"]?["company"] } == Self.companies.map { JSONValue.string($0) })
            #expect(documentRows.allSatisfy { $0["status"] == "completed" })

            let html = try await get(client, "/\(group.id).html?view=\(token)", key: nil)
            #expect(html.status == .ok)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.headers[.contentSecurityPolicy] == Self.contentSecurityPolicy)
            #expect(html.headers[Header.referrer] == "no-referrer")
            #expect(html.headers[.cacheControl] == "no-store, private")
            #expect(html.headers[Header.contentTypeOptions] == "nosniff")
            #expect(!html.text.lowercased().contains("<script"))
            #expect(html.text.contains(group.id))
            #expect(html.text.contains("Globex"))
            // The page links to its sibling views with the same token.
            #expect(html.text.contains("\(group.id).md?view=\(token)"))

            // Without an extension, a browser's Accept gets the HTML page.
            let negotiated = try await get(
                client, "/\(group.id)?view=\(token)", key: nil, accept: "text/html,application/xhtml+xml,*/*;q=0.8")
            #expect(negotiated.status == .ok)
            #expect(negotiated.headers[.contentType] == "text/html; charset=utf-8")
            #expect(negotiated.headers[.contentSecurityPolicy] == Self.contentSecurityPolicy)
            let plain = try await get(client, "/\(group.id)?view=\(token)", key: nil, accept: nil)
            #expect(plain.headers[.contentType] == "text/markdown; charset=utf-8")
        }
    }

    @Test func aRunViewOpensWithItsToken() async throws {
        try await withTaskMCP { client, _, _ in
            let run = try await createRun(client)
            let page = try await get(client, try localPath(of: run.url), key: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy] == Self.contentSecurityPolicy)
            #expect(page.text.contains(run.id))
            // While the run is active the page carries its live script, and no other.
            let withoutLiveScript = page.text.replacingOccurrences(of: "<script>\(ProgressPage.liveScript)</script>", with: "")
            #expect(!withoutLiveScript.lowercased().contains("<script"))
        }
    }

    @Test func aTamperedTokenIsNotFoundAndNoTokenIsUnauthorized() async throws {
        try await withTaskMCP { client, _, _ in
            let group = try await createGroup(client)
            let token = try #require(group.url.components(separatedBy: "?view=").last)
            let first = try #require(token.first)
            let tampered = String(first == "A" ? "B" : "A") + token.dropFirst()

            let html = try await get(client, "/\(group.id).html?view=\(tampered)", key: nil)
            #expect(html.status == .notFound)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(!html.text.lowercased().contains("<script"))

            let json = try await get(client, "/\(group.id).json?view=\(tampered)", key: nil)
            #expect(json.status == .notFound)
            #expect(json.headers[.contentType] == "application/problem+json")
            #expect(try json.json["code"] == "not_found")

            // A valid token for another task does not open this one.
            let run = try await createRun(client)
            let runToken = try #require(run.url.components(separatedBy: "?view=").last)
            let crossed = try await get(client, "/\(group.id).json?view=\(runToken)", key: nil)
            #expect(crossed.status == .notFound)

            let anonymous = try await get(client, "/\(group.id).json", key: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer resource_metadata=\"\(MCPEndpointTests.resourceMetadata)\", scope=\"tasks\"")
            #expect(try anonymous.json["code"] == "unauthorized")
            let anonymousPage = try await get(client, "/\(group.id).html", key: nil)
            #expect(anonymousPage.status == .unauthorized)
            #expect(anonymousPage.headers[.contentType] == "text/html; charset=utf-8")

            // The owner's key opens it without a token.
            let owner = try await get(client, "/\(group.id).json")
            #expect(owner.status == .ok)
        }
    }

    @Test func revokingLinksInvalidatesTheOldOnes() async throws {
        try await withTaskMCP { client, _, sandbox in
            await sandbox.setAccount("another-parallel-key", AccountSettings())
            let run = try await createRun(client)
            let before = try await get(client, try localPath(of: run.url), key: nil)
            #expect(before.status == .ok)

            // Someone else cannot revoke it.
            let foreign = try await client.execute(
                uri: "/v1/tasks/\(run.id)/links", method: .delete, headers: headers(bearer: "another-parallel-key", contentType: nil, accept: nil))
            #expect(foreign.status == .notFound)
            #expect(try await get(client, try localPath(of: run.url), key: nil).status == .ok)

            let revoke = try await client.execute(
                uri: "/v1/tasks/\(run.id)/links", method: .delete, headers: headers(contentType: nil, accept: nil))
            #expect(revoke.status == .noContent)

            let after = try await get(client, try localPath(of: run.url), key: nil)
            #expect(after.status == .notFound)

            // The listing shows a fresh link that works.
            let tasks = try await get(client, "/v1/tasks").json["tasks"]?.arrayValue ?? []
            let fresh = try #require(tasks.first?["progress_url"]?.stringValue)
            #expect(fresh != run.url)
            #expect(try await get(client, try localPath(of: fresh), key: nil).status == .ok)
        }
    }

    // MARK: OpenAPI

    @Test func theOpenAPIDocumentDescribesTheEndpoints() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await get(client, "/openapi.json", key: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let document = try response.json
            #expect(document["openapi"] == "3.1.0")
            #expect(document["servers"]?.arrayValue?.first?["url"] == .string(testPublicURL))
            let paths = try #require(document["paths"]?.objectValue)
            for path in ["/v1/deep-research", "/v1/multitask", "/mcp", "/{task}/events"] {
                #expect(paths[path] != nil, "missing \(path)")
            }
            #expect(paths["/v1/deep-research"]?["post"]?["operationId"] == "createDeepResearch")
            #expect(paths["/v1/multitask"]?["post"]?["operationId"] == "createTaskGroup")
            #expect(paths["/{task}/events"]?["get"]?["responses"]?["200"]?["content"]?["text/event-stream"] != nil)
        }
    }
}
