import Crypto
import Foundation
import MCPProtocol
import ParallelAPI
import TaskTools

/// A service whose upstream is never reached: these tests stop before any call to Parallel.
let offlineService = TaskService(
    configuration: TaskService.Configuration(), registry: InMemoryTaskRegistry(), links: ViewLinks(key: SymmetricKey(size: .bits256)),
    urls: ServiceURLs(publicBaseURL: { "https://tasks.example.test" }, progressPage: { id, _ in "https://tasks.example.test/\(id).html" }),
    makeClient: { key in ParallelClient(apiKey: key, configuration: .init(baseURL: "http://127.0.0.1:9", retry: .none)) })

let callContext = ToolCallContext(protocolVersion: .v2025_06_18, requestID: .int(1))
