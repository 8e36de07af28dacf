import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import ServerSentEvents
import ServiceLifecycle
import TaskTools

/// How the live progress stream behaves.
struct LiveProgressSettings: Sendable {
    /// Between two `: keep-alive` comments (they also reveal a client that left).
    var heartbeat: Duration = .seconds(15)
    /// The least time between two `progress` events to one viewer; the newest state wins.
    var minimumSpacing: Duration = .milliseconds(500)
    /// The reconnection delay browsers are told (`retry:`).
    var retry: Duration = .seconds(5)
    var limits = ProgressHub.Limits()
    /// Called with the hub once it is built (tests inspect it).
    var onHub: @Sendable (ProgressHub) -> Void = { _ in }
}

/// `GET /{trun_…|tgrp_…}/events`: a task's progress as Server-Sent Events, for live progress
/// pages. Same access as the views: the `?view=` token of a progress link, or the caller's API key
/// (bearer or `x-api-key`).
///
/// Events: `progress` (``TaskProgress/jsonValue``) for each update, at most one per
/// ``LiveProgressSettings/minimumSpacing``, starting with the latest known state; `done` (the
/// settled state) when the task is no longer active; `failed` (`{error, message}`) when its
/// progress cannot be followed. The stream closes after `done` or `failed`, when the client
/// leaves, and when the server begins shutting down. Every viewer of a task shares one upstream
/// subscription through the ``ProgressHub``.
struct ProgressEventRoutes: Sendable {
    let service: TaskService
    let authenticator: Authenticator
    let hub: ProgressHub
    let settings: LiveProgressSettings

    func register(on router: Router<AppRequestContext>) {
        router.get("/:task/events", use: events)
    }

    @Sendable func events(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let task = try? TaskIdentifier(context.parameters.get("task") ?? "") else {
            return Problem.notFound.response()
        }
        let caller: Caller
        if let token = request.uri.queryParameters["view"] {
            do {
                caller = try await service.caller(forViewOf: task.rawValue, token: String(token))
            } catch {
                return Problem(error).response()
            }
        } else {
            switch await authenticator.authenticate(request, allowAPIKeyHeader: true) {
            case .authenticated(let resolved):
                caller = resolved.caller
            case .unavailable:
                return Problem.databaseUnavailable.response()
            case .missing, .invalid:
                let detail = "Use the view token of the progress link (?view=…), or send your API key as a bearer token."
                return Problem.unauthorized(detail: detail)
                    .response(headers: [.wwwAuthenticate: authenticator.challenge(invalid: false)])
            }
            // The stream is shared: join only once this key has shown it may see the task.
            do {
                _ = try await service.status(of: task.rawValue, caller: caller)
            } catch {
                var headers = HTTPFields()
                if error.kind == .unauthorized { headers[.wwwAuthenticate] = authenticator.challenge(invalid: true) }
                return Problem(error).response(headers: headers)
            }
        }
        let feed: ProgressFeed
        do {
            feed = try await hub.subscribe(to: task.rawValue, caller: caller)
        } catch {
            return Self.refusal(error)
        }
        var headers = RESTRoutes.viewHeaders(contentType: "text/event-stream")
        headers[.xAccelBuffering] = "no"
        let settings = settings
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await Self.stream(feed, settings: settings, to: &writer)
            })
    }

    static func refusal(_ refusal: ProgressHub.Refusal) -> Response {
        switch refusal {
        case .tooManyViewersOfTask(let limit):
            Problem.tooManyRequests(
                detail: "This task already has \(limit) live viewers; close one, or try again later.", code: "too_many_viewers"
            ).response(headers: [.retryAfter: "30"])
        case .tooManyViewers(let limit):
            Problem.serviceUnavailable(
                detail: "The server is following \(limit) live viewers, its limit; try again later.", code: "busy"
            ).response(headers: [.retryAfter: "30"])
        }
    }

    private enum Item: Sendable {
        case progress(TaskProgress)
        case done(TaskProgress)
        case failed(TaskServiceError)
        case closed
        case heartbeat
    }

    /// Writes the stream until the task settles, the feed fails, the client leaves (a write fails)
    /// or the server shuts down.
    static func stream(_ feed: ProgressFeed, settings: LiveProgressSettings, to writer: inout any ResponseBodyWriter)
        async throws
    {
        let (items, item) = AsyncStream<Item>.makeStream()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do throws(TaskServiceError) {
                    for try await progress in feed {
                        guard progress.isActive else {
                            item.yield(.done(progress))
                            return
                        }
                        item.yield(.progress(progress))
                        // Meanwhile the feed keeps only the newest state.
                        guard (try? await Task.sleep(for: settings.minimumSpacing)) != nil else { return }
                    }
                    item.yield(.closed)
                } catch {
                    item.yield(.failed(error))
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: settings.heartbeat)) != nil { item.yield(.heartbeat) }
            }
            do {
                try await withGracefulShutdownHandler {
                    try await writer.write(ByteBuffer(bytes: ServerSentEventWriter.retry(milliseconds: Int(settings.retry / .milliseconds(1)))))
                    for await next in items {
                        switch next {
                        case .progress(let progress):
                            try await writer.write(frame("progress", progress.jsonValue))
                        case .done(let progress):
                            try await writer.write(frame("done", progress.jsonValue))
                            return
                        case .failed(let error):
                            let body: JSONValue = ["error": .string(error.kind.rawValue), "message": .string(error.message)]
                            try await writer.write(frame("failed", body))
                            return
                        case .closed:
                            return
                        case .heartbeat:
                            try await writer.write(ByteBuffer(bytes: ServerSentEventWriter.keepAlive))
                        }
                    }
                } onGracefulShutdown: {
                    item.finish()
                }
            } catch {
                // The client left: stop quietly (leaving the feed frees the upstream subscription).
            }
            group.cancelAll()
            item.finish()
        }
        try? await writer.finish(nil)
    }

    static func frame(_ event: String, _ data: JSONValue) -> ByteBuffer {
        ByteBuffer(bytes: ServerSentEventWriter.frame(event: event, data: JSONBytes.encode(data)))
    }
}

extension HTTPField.Name {
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
