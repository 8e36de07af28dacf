import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import WebEncoding

/// Gives every request an id and writes one access-log line when its response head is ready
/// (for a stream, the duration is the time to its first byte).
///
/// The id is the client's `X-Request-Id` when it is a plain token (letters, digits, `._:-`, at
/// most 128), else the one Hummingbird assigned; it is in every log line of the request (as
/// `hb.request.id`) and returned in `X-Request-Id`. The access line has the method, the path
/// without its query (queries carry OAuth codes and state), the route, status and duration.
/// Probes (`/healthz`, `/readyz`, `/metrics`) log at debug level, everything else at info.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let quietPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID: String
        if let incoming = request.headers[.xRequestID], Self.isPlainToken(incoming) {
            requestID = incoming
        } else if let assigned = context.logger[metadataKey: "hb.request.id"] {
            requestID = assigned.description
        } else {
            requestID = (0..<16).map { _ in UInt8.random(in: .min ... .max) }.hexEncoded
        }
        context.logger[metadataKey: "hb.request.id"] = .string(requestID)
        let start = ContinuousClock.now
        let path = request.uri.path
        let level: Logger.Level = Self.quietPaths.contains(path) ? .debug : .info
        do {
            var response = try await RequestID.$current.withValue(requestID) { try await next(request, context) }
            response.headers[.xRequestID] = requestID
            Self.log(context.logger, level: level, request, path: path, route: context.endpointPath ?? "-", status: response.status.code, start: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            Self.log(context.logger, level: level, request, path: path, route: context.endpointPath ?? "-", status: status, start: start)
            throw error
        }
    }

    static func log(
        _ logger: Logger, level: Logger.Level, _ request: Request, path: String, route: String, status: Int,
        start: ContinuousClock.Instant
    ) {
        let milliseconds = start.duration(to: .now) / .milliseconds(1)
        logger.log(
            level: level, "request",
            metadata: [
                "http.method": .string(request.method.rawValue), "http.path": .string(path), "http.route": .string(route),
                "http.status": .stringConvertible(status), "duration_ms": .string(String(format: "%.1f", milliseconds)),
            ])
    }

    static func isPlainToken(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
            }
    }
}

/// The id of the request the current task serves. Every logger made through
/// ``bootstrapLogging(format:level:)`` adds it to its lines (as `hb.request.id`) through
/// ``metadataProvider``, so lines logged by any module during a request carry its id.
public enum RequestID {
    @TaskLocal public static var current: String?

    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = current else { return [:] }
        return ["hb.request.id": .string(id)]
    }
}
