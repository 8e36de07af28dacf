import ServerSentEvents
import Testing

@Suite("SSE parser")
struct ServerSentEventParserTests {
    func parse(_ text: String, chunkSize: Int? = nil) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        let bytes = Array(text.utf8)
        guard let chunkSize else { return try parser.parse(bytes) }
        var events: [ServerSentEvent] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunkSize, bytes.count)
            events += try parser.parse(bytes[start..<end])
            start = end
        }
        return events
    }

    @Test func parsesEventTypeIdAndData() throws {
        let events = try parse("event: task_run.state\nid: 7\ndata: {\"a\":1}\n\n")
        #expect(events == [ServerSentEvent(event: "task_run.state", data: "{\"a\":1}", id: "7")])
    }

    @Test func joinsMultiLineData() throws {
        let events = try parse("data: first\ndata: second\ndata:third\n\n")
        #expect(events.map(\.data) == ["first\nsecond\nthird"])
    }

    @Test func skipsCommentsAndHeartbeats() throws {
        let events = try parse(": ping\n\n: another\ndata: x\n\n:\n\n")
        #expect(events.map(\.data) == ["x"])
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func acceptsEveryLineEnding(_ ending: String) throws {
        let text = "event: e\(ending)data: a\(ending)data: b\(ending)\(ending)data: c\(ending)\(ending)"
        let events = try parse(text)
        #expect(events.map(\.data) == ["a\nb", "c"])
        #expect(events.first?.event == "e")
        #expect(events.last?.event == nil)
    }

    @Test func sameEventsWhateverTheChunking() throws {
        let text = "\u{FEFF}event: task_run.progress_msg.plan\r\nid: 1\r\ndata: {\"message\":\"héllo ✓\"}\r\n\r\n: hb\r\ndata: x\r\n\r\n"
        let whole = try parse(text)
        #expect(whole.count == 2)
        for size in 1...12 {
            #expect(try parse(text, chunkSize: size) == whole, "chunk size \(size)")
        }
    }

    @Test func idPersistsAcrossEventsAndIgnoresNUL() throws {
        let events = try parse("id: 5\ndata: a\n\ndata: b\n\nid: bad\u{0}\ndata: c\n\n")
        #expect(events.map(\.id) == ["5", "5", "5"])
    }

    @Test func blockWithoutDataDispatchesNothingButKeepsId() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.parse(Array("id: 9\nevent: x\n\n".utf8)).isEmpty)
        #expect(parser.currentLastEventID == "9")
        let next = try parser.parse(Array("data: y\n\n".utf8))
        #expect(next == [ServerSentEvent(event: nil, data: "y", id: "9")])
    }

    @Test func fieldWithoutColonAndOnlyOneLeadingSpaceStripped() throws {
        let events = try parse("data\ndata:  two spaces\n\n")
        #expect(events.map(\.data) == ["\n two spaces"])
    }

    @Test func retryFieldIsParsedOnlyWhenNumeric() throws {
        let events = try parse("retry: 1500\ndata: a\n\nretry: soon\ndata: b\n\n")
        #expect(events.map(\.retry) == [1500, nil])
    }

    @Test func unterminatedEventAtEndIsDiscarded() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.parse(Array("data: partial".utf8)).isEmpty)
        parser.finish()
        #expect(try parser.parse(Array("\n\n".utf8)).isEmpty)
    }

    @Test func refusesOverlongLines() {
        var parser = ServerSentEventParser(maxLineLength: 16)
        #expect(throws: ServerSentEventParser.LineTooLong.self) {
            _ = try parser.parse(Array("data: 0123456789abcdef\n\n".utf8))
        }
    }

    @Test func encodedEventsRoundTrip() throws {
        let event = ServerSentEvent(event: "task_run.state", data: "line1\nline2", id: "3")
        #expect(try parse(event.encoded) == [event])
    }
}
