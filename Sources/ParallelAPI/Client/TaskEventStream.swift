import AsyncHTTPClient
import Foundation
import NIOCore
import ServerSentEvents

/// One event from a task stream, with the cursor to resume after it.
public struct StreamedTaskEvent: Sendable, Hashable {
    public var event: TaskEvent
    /// The JSON `event_id`, else the SSE `id:`; pass it as `last_event_id` to resume.
    public var cursor: String?
}

/// The events of a run or group stream, decoded as they arrive.
///
/// Reads the response body incrementally; a cut connection surfaces as a retryable
/// `ParallelAPIError` (`.transport`/`.timeout`) from `next()`.
public struct TaskEventStream: AsyncSequence, Sendable {
    public typealias Element = StreamedTaskEvent
    public typealias Failure = ParallelAPIError

    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator())
    }

    public struct Iterator: AsyncIteratorProtocol {
        var body: HTTPClientResponse.Body.AsyncIterator
        var parser = ServerSentEventParser()
        var pending: [ServerSentEvent] = []
        var pendingIndex = 0
        var finished = false

        public mutating func next() async throws(ParallelAPIError) -> StreamedTaskEvent? {
            while true {
                if pendingIndex < pending.count {
                    let raw = pending[pendingIndex]
                    pendingIndex += 1
                    if raw.data.isEmpty { continue }
                    do {
                        let event = try JSONDecoder().decode(TaskEvent.self, from: Data(raw.data.utf8))
                        return StreamedTaskEvent(event: event, cursor: event.eventID ?? raw.id)
                    } catch {
                        throw ParallelAPIError(kind: .decoding, message: "stream event does not decode: \(error)")
                    }
                }
                if finished { return nil }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body.next()
                } catch {
                    finished = true
                    throw ParallelClient.transportError(error)
                }
                guard let chunk else {
                    finished = true
                    parser.finish()
                    return nil
                }
                do {
                    pending = try parser.parse(chunk.readableBytesView)
                    pendingIndex = 0
                } catch {
                    finished = true
                    throw ParallelAPIError(kind: .decoding, message: "malformed event stream: \(error)")
                }
            }
        }
    }
}
