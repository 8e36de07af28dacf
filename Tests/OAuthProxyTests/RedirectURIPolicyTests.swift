import OAuthProxy
import Testing

@Suite struct RedirectURIPolicyTests {
    @Test(arguments: [
        // Real clients' callbacks.
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
        "https://chatgpt.com/connector/oauth/AbC123xyz",
        "https://chatgpt.com/connector_platform_oauth_redirect",
        "http://localhost:53682/callback",
        "http://localhost/callback",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:33418/",
        "http://127.0.0.1/",
        "http://[::1]:8080/callback",
        "https://vscode.dev/redirect",
        "https://insiders.vscode.dev/redirect",
        "http://localhost:6274/oauth/callback",
        "http://localhost:6274/oauth/callback/debug",
        "http://localhost:3334/oauth/callback",
        "http://127.0.0.1:49152/callback/AbCdEfGhIjKl",
        "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "https://www.cursor.com/agents/mcp/oauth/callback",
        "vscode://vscode.github-authentication/did-authenticate",
        "com.example.app:/oauth2redirect/example-provider",
        // Other acceptable shapes.
        "https://example.com",
        "https://example.com:8443/cb?tenant=a&x=%20y",
        "https://[2001:db8::1]/cb",
    ])
    func accepted(_ uri: String) {
        #expect(RedirectURIPolicy.registrationProblem(uri) == nil)
    }

    @Test(arguments: [
        // Userinfo and look-alike hosts.
        "https://good.com@evil.com/cb",
        "https://good.com:443@evil.com/cb",
        "https://user:pass@good.com/cb",
        // Relative and scheme-relative.
        "//evil.com/cb",
        "/cb",
        "evil.com/cb",
        "localhost:8080/cb",
        "https:evil.com/cb",
        "https:/evil.com/cb",
        "https:///cb",
        "https://",
        "https://:443/cb",
        // Percent-encoded authority tricks.
        "https://good.com%2F@evil.com/cb",
        "https://good.com%2Fevil.com/cb",
        "https://good.com%40evil.com/cb",
        "https://evil%2Ecom/cb",
        "https://good.com%252F@evil.com/cb",
        "https://good.com/cb%zz",
        "https://good.com/cb%0d%0aSet-Cookie:x",
        // Backslashes, whitespace, control characters, non-ASCII.
        "https://good.com\\@evil.com/cb",
        "https:\\\\evil.com/cb",
        "https://good.com/c b",
        " https://good.com/cb",
        "https://good.com/cb\n",
        "https://good.com/cb\t",
        "java\tscript:alert(1)",
        "https://good.com/\u{0}",
        "https://gööd.com/cb",
        "https://good.com/cb\u{202E}",
        // Fragments and wildcards.
        "https://good.com/cb#frag",
        "https://evil.com#@good.com/cb",
        "https://*.good.com/cb",
        "https://good.com/*",
        // Dangerous schemes, any case.
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "javascript://good.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "DATA:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "about:blank",
        "blob:https://good.com/uuid",
        "filesystem:https://good.com/temporary/x",
        "view-source:https://good.com/",
        "ws://localhost/cb",
        "wss://good.com/cb",
        "ftp://good.com/cb",
        "chrome://settings",
        "chrome-extension://abcdef/cb",
        "intent://scan/#Intent;scheme=zxing;end",
        "jar:https://good.com/x.jar!/",
        "mailto:a@b.c",
        "tel:+15555555555",
        "sms:+15555555555",
        // http off loopback.
        "http://good.com/cb",
        "http://localhost.evil.com/cb",
        "http://127.0.0.1.nip.io/cb",
        "http://LOCALHOST/cb",
        "http://0x7f000001/cb",
        "http://2130706433/cb",
        "http://127.1/cb",
        "http://[::ffff:127.0.0.1]/cb",
        "http://10.0.0.1/cb",
        // Uppercase scheme, bad ports, broken hosts.
        "HTTPS://good.com/cb",
        "http://localhost:0/cb",
        "http://localhost:65536/cb",
        "http://localhost:/cb",
        "http://localhost:80a/cb",
        "https://good..com/cb",
        "https://good.com:1:2/cb",
        "https://[::1/cb",
        "https://[not-ipv6]/cb",
        "https://good_com!/cb",
        // Private-use schemes with nothing useful after them.
        "myapp:",
        "myapp://",
        "myapp:callback",
        "myapp://user@host/cb",
        "1app://host/cb",
        "",
    ])
    func rejected(_ uri: String) {
        #expect(RedirectURIPolicy.registrationProblem(uri) != nil)
    }

    @Test func overlongIsRejected() {
        let base = "https://good.com/"
        let fits = base + String(repeating: "a", count: RedirectURIPolicy.maxLength - base.utf8.count)
        #expect(RedirectURIPolicy.registrationProblem(fits) == nil)
        #expect(RedirectURIPolicy.registrationProblem(fits + "a") != nil)
    }

    struct MatchCase: Sendable, CustomTestStringConvertible {
        var registered: String
        var requested: String
        var matches: Bool
        var testDescription: String { "\(registered) ← \(requested): \(matches)" }
    }

    @Test(arguments: [
        // Loopback: any port for the same host literal, path and query.
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost/cb", matches: true),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:53682/cb", matches: true),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:1/cb", matches: true),
        MatchCase(registered: "http://127.0.0.1/cb", requested: "http://127.0.0.1:49152/cb", matches: true),
        MatchCase(registered: "http://127.0.0.1:33418/", requested: "http://127.0.0.1:50000/", matches: true),
        MatchCase(registered: "http://127.0.0.1:33418/", requested: "http://127.0.0.1/", matches: true),
        MatchCase(registered: "http://[::1]/cb", requested: "http://[::1]:8080/cb", matches: true),
        MatchCase(registered: "http://localhost/cb?a=1", requested: "http://localhost:9/cb?a=1", matches: true),
        // Loopback: everything but the port must be identical.
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:53682/cb2", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:53682/cb/", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:53682/CB", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:53682/cb?x=1", matches: false),
        MatchCase(registered: "http://localhost/cb?a=1", requested: "http://localhost/cb?a=2", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://user@localhost:53682/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "https://localhost/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "https://localhost:53682/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://127.0.0.1:53682/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://127.0.0.1/cb", matches: false),
        MatchCase(registered: "http://127.0.0.1/cb", requested: "http://localhost/cb", matches: false),
        MatchCase(registered: "http://127.0.0.1/cb", requested: "http://[::1]/cb", matches: false),
        MatchCase(registered: "http://[::1]/cb", requested: "http://localhost/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost.evil.com/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost.evil.com:80/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://LOCALHOST:80/cb", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:53682/cb#x", matches: false),
        MatchCase(registered: "http://localhost/cb", requested: "http://localhost:99999/cb", matches: false),
        // Non-loopback: exact string equality only.
        MatchCase(
            registered: "https://claude.ai/api/mcp/auth_callback", requested: "https://claude.ai/api/mcp/auth_callback",
            matches: true),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com:443/cb", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com:8443/cb", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com/cb/", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://GOOD.com/cb", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com/CB", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com/cb?x=1", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com.evil.com/cb", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "https://good.com@evil.com/cb", matches: false),
        MatchCase(registered: "https://good.com/cb", requested: "http://good.com/cb", matches: false),
        MatchCase(
            registered: "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            requested: "cursor://anysphere.cursor-retrieval/oauth/user-x/callback", matches: true),
        MatchCase(
            registered: "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            requested: "cursor://anysphere.cursor-retrieval:1/oauth/user-x/callback", matches: false),
        // An unacceptable URI never matches, even when registered verbatim.
        MatchCase(registered: "javascript:alert(1)", requested: "javascript:alert(1)", matches: false),
        MatchCase(registered: "https://good.com/cb#x", requested: "https://good.com/cb#x", matches: false),
    ])
    func matching(_ example: MatchCase) {
        #expect(RedirectURIPolicy.matches(registered: example.registered, requested: example.requested) == example.matches)
    }

    @Test(arguments: [
        ("http://localhost/cb", true),
        ("http://localhost:53682/callback", true),
        ("http://127.0.0.1:33418/", true),
        ("http://[::1]/cb", true),
        ("https://localhost/cb", false),
        ("http://localhost.evil.com/cb", false),
        ("https://claude.ai/api/mcp/auth_callback", false),
        ("cursor://anysphere.cursor-retrieval/oauth/callback", false),
        ("http://user@localhost/cb", false),
    ])
    func loopback(_ uri: String, _ expected: Bool) {
        #expect(RedirectURIPolicy.isLoopback(uri) == expected)
    }

    @Test(arguments: [
        ("https://claude.ai/api/mcp/auth_callback", "claude.ai"),
        ("http://localhost:53682/callback", "localhost"),
        ("http://[::1]:8080/cb", "[::1]"),
        ("https://good.com:8443/cb", "good.com"),
        ("cursor://anysphere.cursor-retrieval/oauth/callback", "cursor://anysphere.cursor-retrieval"),
        ("com.example.app:/oauth2redirect", "com.example.app:"),
    ])
    func displayHost(_ uri: String, _ host: String) {
        #expect(RedirectURIPolicy.displayHost(uri) == host)
    }
}
