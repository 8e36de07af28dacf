import Foundation
import Hummingbird
import Logging
import NIOCore

// The floor for scripts/benchmark-load.sh: a Hummingbird server with one POST /mcp route that reads
// the request body and answers a fixed JSON body (the script passes task-mcp's own tools/list
// response, so both send the same bytes). No middleware, no logging, no JSON parsing, no
// authentication: what is left is Hummingbird and NIO, which task-mcp is measured against.
//
//   task-mcp-benchmarks --bare-route --body-file PATH [--host 127.0.0.1] [--port 0]
//
// Prints `bare-route listening on http://HOST:PORT` on stdout once bound; stops on SIGTERM/SIGINT.

/// The value after `flag` on the command line, if any.
func argument(after flag: String) -> String? {
    CommandLine.arguments.firstIndex(of: flag).flatMap { index in
        CommandLine.arguments.indices.contains(index + 1) ? CommandLine.arguments[index + 1] : nil
    }
}

func runBareRoute() async throws {
    guard let path = argument(after: "--body-file") else {
        throw BenchmarkFailure("--bare-route needs --body-file PATH (the JSON body to answer with)")
    }
    let host = argument(after: "--host") ?? "127.0.0.1"
    guard let port = Int(argument(after: "--port") ?? "0"), (0...65_535).contains(port) else {
        throw BenchmarkFailure("--port must be a number from 0 to 65535")
    }
    let body = ByteBuffer(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    let router = Router()
    router.post("/mcp") { request, _ -> Response in
        // Read the request as any real handler must, so that only the work after it is skipped.
        _ = try await request.body.collect(upTo: 1 << 20)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
    let app = Application(
        router: router, configuration: .init(address: .hostname(host, port: port)),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            FileHandle.standardOutput.write(Data("bare-route listening on http://\(host):\(bound)\n".utf8))
        },
        logger: Logger(label: "bare-route", factory: { _ in SwiftLogNoOpLogHandler() }))
    try await app.runService()
}
