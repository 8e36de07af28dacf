import ServerSentEvents
import Testing

@Suite("SSE writer")
struct ServerSentEventWriterTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func parse(_ bytes: [UInt8]) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return try parser.parse(bytes)
    }

    @Test func singleLineDataIsOneDataLine() {
        let frame = ServerSentEventWriter.frame(event: "message", data: Array(#"{"jsonrpc":"2.0","id":1}"#.utf8))
        #expect(text(frame) == "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1}\n\n")
    }

    @Test func fieldsComeInOrderBeforeTheData() {
        let frame = ServerSentEventWriter.frame(ServerSentEvent(event: "task_run.state", data: "{}", id: "7", retry: 1500))
        #expect(text(frame) == "event: task_run.state\nid: 7\nretry: 1500\ndata: {}\n\n")
    }

    @Test func emptyDataIsOneEmptyDataLine() throws {
        let frame = ServerSentEventWriter.frame(data: [UInt8]())
        #expect(text(frame) == "data: \n\n")
        #expect(try parse(frame) == [ServerSentEvent(data: "")])
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineBreakStartsADataLine(_ ending: String) throws {
        let frame = ServerSentEventWriter.frame(event: "progress", data: Array("one\(ending)two\(ending)\(ending)three\(ending)".utf8))
        #expect(text(frame) == "event: progress\ndata: one\ndata: two\ndata: \ndata: three\ndata: \n\n")
        #expect(try parse(frame) == [ServerSentEvent(event: "progress", data: "one\ntwo\n\nthree\n")])
    }

    @Test func lineBreaksInFieldValuesAreDropped() throws {
        let frame = ServerSentEventWriter.frame(event: "a\nb", id: "1\r2", data: Array("x".utf8))
        #expect(try parse(frame) == [ServerSentEvent(event: "ab", data: "x", id: "12")])
    }

    @Test func theStringFormIsTheFrame() {
        let event = ServerSentEvent(event: "done", data: "a\nb", id: "3")
        #expect(Array(event.encoded.utf8) == ServerSentEventWriter.frame(event))
    }

    @Test func retryBlockSetsTheDelayAndDispatchesNothing() throws {
        let frame = ServerSentEventWriter.retry(milliseconds: 5000)
        #expect(text(frame) == "retry: 5000\n\n")
        #expect(try parse(frame).isEmpty)
    }

    @Test func keepAliveIsACommentBlock() throws {
        #expect(text(ServerSentEventWriter.keepAlive) == ": keep-alive\n\n")
        let stream = ServerSentEventWriter.keepAlive + ServerSentEventWriter.frame(data: Array("x".utf8)) + ServerSentEventWriter.keepAlive
        #expect(try parse(stream) == [ServerSentEvent(data: "x")])
    }

    @Test func keepAliveLineEndsNoBlock() throws {
        #expect(text(ServerSentEventWriter.keepAliveLine) == ": ping\n")
        // Between two events it stays inside the next block, so no empty event appears even to a
        // decoder that dispatches id-only blocks.
        let stream = ServerSentEventWriter.frame(id: "1", data: Array("a".utf8)) + ServerSentEventWriter.keepAliveLine
            + ServerSentEventWriter.frame(id: "2", data: Array("b".utf8))
        #expect(text(stream) == "id: 1\ndata: a\n\n: ping\nid: 2\ndata: b\n\n")
        #expect(try parse(stream) == [ServerSentEvent(data: "a", id: "1"), ServerSentEvent(data: "b", id: "2")])
    }
}
