import Crypto
import Foundation
import OAuthProxy
import Testing
import WebEncoding

@Suite struct PagesTests {
    private func consent(
        clientName: String = "Claude", clientID: String = "https://claude.ai/oauth/mcp-oauth-client-metadata",
        clientKind: String = "cimd", redirectURI: String = "https://claude.ai/api/mcp/auth_callback",
        scopes: [String] = ["tasks"], requestID: String = "req_123", csrf: String = "csrf_abc",
        formAction: String = "https://mcp.example.com/authorize/consent", providerName: String = "Parallel",
        warnings: [String] = []
    ) -> String {
        OAuthPages.consent(
            clientName: clientName, clientID: clientID, clientKind: clientKind, redirectURI: redirectURI, scopes: scopes,
            requestID: requestID, csrf: csrf, formAction: formAction, providerName: providerName, warnings: warnings)
    }

    @Test func consentPageHasTheFormAndBothButtons() {
        let html = consent()
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains(#"<html lang="en">"#))
        #expect(html.contains(#"<meta name="viewport""#))
        #expect(html.contains("<title>Allow Claude to use your Parallel account?</title>"))
        #expect(html.contains(#"<form method="post" action="https://mcp.example.com/authorize/consent">"#))
        #expect(html.contains(#"<input type="hidden" name="request_id" value="req_123">"#))
        #expect(html.contains(#"<input type="hidden" name="csrf_token" value="csrf_abc">"#))
        #expect(html.contains(#"name="decision" value="approve""#))
        #expect(html.contains(#"name="decision" value="deny""#))
        #expect(html.contains("continue to Parallel"))
        #expect(html.contains("task-mcp"))
    }

    @Test func consentPageShowsTheRedirectHostAndClient() {
        let html = consent()
        #expect(html.contains(#"<p class="host">claude.ai</p>"#))
        #expect(html.contains("<code>https://claude.ai/api/mcp/auth_callback</code>"))
        #expect(html.contains("<code>https://claude.ai/oauth/mcp-oauth-client-metadata</code>"))
        #expect(html.contains("publishes its details at <strong>claude.ai</strong>"))

        let loopback = consent(clientKind: "dcr", redirectURI: "http://localhost:53682/callback")
        #expect(loopback.contains(#"<p class="host">localhost</p>"#))
        #expect(loopback.contains("registered itself"))

        let cursor = consent(redirectURI: "cursor://anysphere.cursor-retrieval/oauth/user-Parallel/callback")
        #expect(cursor.contains(#"<p class="host">cursor://anysphere.cursor-retrieval</p>"#))
    }

    @Test func scopesAreDescribedInPlainWords() {
        let html = consent(scopes: ["tasks", "claudeai", "<b>x</b>"])
        #expect(html.contains("Create and read Parallel Task API runs and task groups with your API key"))
        #expect(html.contains("<code>claudeai</code>"))
        #expect(html.contains("<code>&lt;b&gt;x&lt;/b&gt;</code>"))
        #expect(!html.contains("<b>x</b>"))
    }

    @Test func warningsAreShownAndEscaped() {
        let warning = "This client only redirects to this computer (localhost). Approve only if you started this sign-in yourself."
        let html = consent(warnings: [warning, "<img src=x onerror=alert(1)>"])
        #expect(html.contains(warning))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<img"))
    }

    @Test(arguments: [
        "<script>alert(1)</script>",
        "\" onmouseover=\"alert(1)",
        "' onfocus='alert(1)' autofocus '",
        "</title><script>alert(1)</script>",
        "Tom & Jerry <3",
    ])
    func hostileTextIsEscapedEverywhere(_ hostile: String) {
        let html = consent(
            clientName: hostile, clientID: hostile, redirectURI: hostile, scopes: [hostile], requestID: hostile, csrf: hostile,
            formAction: hostile, providerName: hostile, warnings: [hostile])
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains(hostile))
        #expect(!html.contains("\" onmouseover="))
        #expect(!html.contains("' onfocus="))
        #expect(html.contains(HTMLEscaping.escape(hostile)))

        let error = OAuthPages.error(title: hostile, message: hostile)
        #expect(!error.lowercased().contains("<script"))
        #expect(!error.contains(hostile))
    }

    @Test func escapeCoversTheFiveCharacters() {
        #expect(HTMLEscaping.escape(#"a&b<c>d"e'f"#) == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(HTMLEscaping.escape("plain – text ✓") == "plain – text ✓")
    }

    @Test func errorPageExplainsAndNeverRedirects() {
        let html = OAuthPages.error(
            title: "Unknown application", message: "This application is not registered with this server.")
        #expect(html.contains("<h1>Unknown application</h1>"))
        #expect(html.contains("This application is not registered with this server."))
        #expect(html.contains(#"<html lang="en">"#))
        #expect(!html.lowercased().contains("http-equiv"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<form"))
    }

    @Test func noScriptAnywhere() {
        for html in [consent(), consent(warnings: ["w"]), OAuthPages.error(title: "t", message: "m")] {
            #expect(!html.lowercased().contains("<script"))
            #expect(!html.lowercased().contains("javascript:"))
            #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "no inline event handlers")
        }
    }

    @Test func contentSecurityPolicyAllowsExactlyThePageStyle() throws {
        let html = consent()
        let start = try #require(html.range(of: "<style>"))
        let end = try #require(html.range(of: "</style>"))
        let style = String(html[start.upperBound..<end.lowerBound])
        let hash = Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
        #expect(OAuthPages.contentSecurityPolicy.contains("style-src 'sha256-\(hash)'"))
        #expect(OAuthPages.contentSecurityPolicy.contains("default-src 'none'"))
        #expect(OAuthPages.contentSecurityPolicy.contains("frame-ancestors 'none'"))
        #expect(!OAuthPages.contentSecurityPolicy.contains("script-src"))
    }
}
