@testable import OAuthProxy
import Testing

@Suite("Form encoding")
struct FormEncodingTests {
    @Test("parses name=value pairs")
    func parsesPairs() {
        #expect(FormEncoding.parse("grant_type=authorization_code&code=abc") == ["grant_type": "authorization_code", "code": "abc"])
        #expect(FormEncoding.parse("") == [:])
    }

    // RFC 6749 §3.1: request parameters must not be included more than once.
    @Test("a repeated parameter refuses the whole form, however its name is spelled", arguments: [
        "a=1&a=2", "a=1&a=1", "a=&a=", "a&a", "a=1&%61=2", "a+b=1&a%20b=2",
    ])
    func refusesRepeats(_ text: String) {
        #expect(FormEncoding.parse(Substring(text)) == nil)
    }

    @Test("+ is a space, percent escapes are decoded, and an escaped + stays a plus")
    func decodes() {
        #expect(FormEncoding.parse("q=a+b") == ["q": "a b"])
        #expect(FormEncoding.parse("q=a%20b") == ["q": "a b"])
        #expect(FormEncoding.parse("q=a%2Bb") == ["q": "a+b"])
        #expect(FormEncoding.parse("redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1") == ["redirect_uri": "https://a.example/cb?x=1"])
        #expect(FormEncoding.parse("n%C3%A9=%E4%B8%AD") == ["né": "中"])
        #expect(FormEncoding.parse("my+name=v") == ["my name": "v"])
    }

    @Test("empty values, bare names, a value with '=' and empty pairs")
    func shapes() {
        #expect(FormEncoding.parse("scope=") == ["scope": ""])
        #expect(FormEncoding.parse("scope") == ["scope": ""])
        #expect(FormEncoding.parse("a=b=c") == ["a": "b=c"])
        #expect(FormEncoding.parse("&&a=1&&b=2&") == ["a": "1", "b": "2"])
    }

    @Test("malformed escapes and invalid UTF-8 refuse the form", arguments: ["a=%", "a=%4", "a=%zz", "%=1", "a=%FF", "a=%C3"])
    func refusesMalformedEscapes(_ text: String) {
        #expect(FormEncoding.parse(Substring(text)) == nil)
    }

    @Test("encoding escapes everything but unreserved characters, in order")
    func encodes() {
        #expect(FormEncoding.encode([("a b", "x&y=z"), ("k", "AZaz09-._~")]) == "a%20b=x%26y%3Dz&k=AZaz09-._~")
        #expect(FormEncoding.encode([("q", "a+b/c?d#é")]) == "q=a%2Bb%2Fc%3Fd%23%C3%A9")
        #expect(FormEncoding.encode([]) == "")
    }

    @Test("what encode writes, parse reads back")
    func roundTrips() {
        let pairs = [("state", "a b+c&d=e"), ("redirect_uri", "https://a.example/cb?x=1#f"), ("empty", ""), ("uni", "é中😀")]
        #expect(FormEncoding.parse(Substring(FormEncoding.encode(pairs))) == Dictionary(uniqueKeysWithValues: pairs))
    }

    @Test("query parameters are appended after ? or &, and nothing is added for none")
    func appends() {
        #expect(FormEncoding.appending([("code", "x y"), ("state", "s")], to: "https://a.example/cb") == "https://a.example/cb?code=x%20y&state=s")
        #expect(FormEncoding.appending([("code", "x")], to: "https://a.example/cb?app=1") == "https://a.example/cb?app=1&code=x")
        #expect(FormEncoding.appending([], to: "https://a.example/cb") == "https://a.example/cb")
    }
}
