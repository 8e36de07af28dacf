import Crypto
import Foundation
import WebEncoding

/// Server-rendered HTML for the authorization flow: the consent page and error pages.
///
/// No JavaScript at all; every interpolated string is HTML-escaped. Pages carry one inline
/// `<style>` element whose hash is in ``contentSecurityPolicy``.
public enum OAuthPages {
    /// A `Content-Security-Policy` value for these pages: nothing loads, only the pages' own
    /// style (by hash) applies, no framing. It sets no `form-action`, because the consent form's
    /// response redirects to the provider or to the client's redirect URI (browsers apply
    /// `form-action` to redirects after a form submission).
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src '\(styleHash)'; img-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    /// Plain-language descriptions of the scopes this server knows.
    public static let scopeDescriptions: [String: String] = [
        "tasks": "Create and read Parallel Task API runs and task groups with your API key"
    ]

    /// The consent page: asks whether `clientName` may use the user's account.
    ///
    /// - Parameters:
    ///   - clientName: the client's self-declared name (shown escaped).
    ///   - clientID: the client's id.
    ///   - clientKind: `"dcr"` (dynamically registered) or `"cimd"` (client ID metadata document).
    ///   - redirectURI: where the user returns; its host is shown prominently.
    ///   - scopes: the scopes requested; known ones are described in plain words.
    ///   - requestID: the pending authorization request, posted back as `request_id`.
    ///   - csrf: the CSRF token, posted back as `csrf_token`.
    ///   - formAction: the URL the form posts to.
    ///   - providerName: the upstream sign-in provider, e.g. "Parallel".
    ///   - warnings: sentences shown as warnings above the decision.
    public static func consent(
        clientName: String, clientID: String, clientKind: String, redirectURI: String, scopes: [String],
        requestID: String, csrf: String, formAction: String, providerName: String, warnings: [String]
    ) -> String {
        // Isolated (<bdi>) so that right-to-left text in a name cannot reorder the sentence around it.
        let name = "<bdi>" + HTMLEscaping.escape(ClientNames.displayable(clientName)) + "</bdi>"
        let provider = HTMLEscaping.escape(providerName)
        let host = HTMLEscaping.escape(RedirectURIPolicy.displayHost(redirectURI) ?? redirectURI)

        var body = """
            <h1>Allow <span class="client">\(name)</span> to use your \(provider) account?</h1>

            """
        if !warnings.isEmpty {
            body += #"<section class="warnings" aria-label="Warnings">"# + "\n"
            for warning in warnings {
                body += #"<p class="warning"><strong>Warning:</strong> \#(HTMLEscaping.escape(warning))</p>"# + "\n"
            }
            body += "</section>\n"
        }
        body += """
            <section aria-labelledby="redirect-heading">
            <h2 id="redirect-heading">After you decide, you will be sent to</h2>
            <p class="host">\(host)</p>
            <p class="small">Full address: <code>\(HTMLEscaping.escape(redirectURI))</code></p>
            </section>
            <section aria-labelledby="scopes-heading">
            <h2 id="scopes-heading">\(name) will be able to</h2>
            <ul class="scopes">

            """
        if scopes.isEmpty {
            body += "<li>Use the default access of this server</li>\n"
        }
        for scope in scopes {
            if let description = scopeDescriptions[scope] {
                body += "<li>\(HTMLEscaping.escape(description)) <span class=\"small\">(<code>\(HTMLEscaping.escape(scope))</code>)</span></li>\n"
            } else {
                body += "<li><code>\(HTMLEscaping.escape(scope))</code></li>\n"
            }
        }
        body += """
            </ul>
            </section>
            <section aria-labelledby="client-heading">
            <h2 id="client-heading">About this app</h2>
            <dl>
            <dt>Name</dt><dd>\(name)</dd>
            <dt>Client ID</dt><dd><code>\(HTMLEscaping.escape(clientID))</code></dd>

            """
        switch clientKind {
        case "dcr":
            body += "<dt>Registration</dt><dd>The app registered itself with this server.</dd>\n"
        case "cimd":
            let publisher = URIParts(clientID)?.host.map(HTMLEscaping.escape) ?? HTMLEscaping.escape(clientID)
            body += "<dt>Registration</dt><dd>The app publishes its details at <strong>\(publisher)</strong>.</dd>\n"
        default:
            break
        }
        body += """
            </dl>
            </section>
            <p>If you approve, you will continue to \(provider) to sign in and choose the API key \(name) will use. \
            The key stays on this server; the app gets its own access token, not your key.</p>
            <form method="post" action="\(HTMLEscaping.escape(formAction))">
            <input type="hidden" name="request_id" value="\(HTMLEscaping.escape(requestID))">
            <input type="hidden" name="csrf_token" value="\(HTMLEscaping.escape(csrf))">
            <div class="buttons">
            <button type="submit" name="decision" value="approve" class="primary">Approve and continue to \(provider)</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
            </div>
            </form>

            """
        return page(title: "Allow \(ClientNames.displayable(clientName)) to use your \(providerName) account?", body: body)
    }

    /// An error page for the authorization flow (unknown client, unregistered redirect URI,
    /// expired sign-in…). It explains and stops; it never redirects.
    public static func error(title: String, message: String) -> String {
        let body = """
            <h1>\(HTMLEscaping.escape(title))</h1>
            <p>\(HTMLEscaping.escape(message))</p>
            <p class="small">You can close this window and start again from the app you were connecting.</p>

            """
        return page(title: title, body: body)
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <meta name="robots" content="noindex, nofollow">
        <title>\(HTMLEscaping.escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main>
        \(body)</main>
        <footer>task-mcp</footer>
        </body>
        </html>

        """
    }

    private static let style = """
        :root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1b1f;--muted:#4a4a55;--line:#d0d0d7;\
        --accent:#1d4ed8;--on-accent:#ffffff;--warn-bg:#fff4e5;--warn-fg:#5c2d00;--warn-line:#b45309}\
        @media (prefers-color-scheme:dark){:root{--bg:#121214;--fg:#ececf1;--muted:#b9b9c4;--line:#3a3a44;\
        --accent:#2563eb;--on-accent:#ffffff;--warn-bg:#3a2a10;--warn-fg:#ffe2b8;--warn-line:#f59e0b}}\
        *{box-sizing:border-box}\
        body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}\
        main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem}\
        h1{font-size:1.5rem;line-height:1.3;margin:0 0 1rem}\
        h2{font-size:1rem;margin:1.25rem 0 .25rem}\
        .client{overflow-wrap:anywhere}\
        .host{font-size:1.35rem;font-weight:700;margin:.25rem 0;overflow-wrap:anywhere}\
        .small{font-size:.875rem;color:var(--muted);overflow-wrap:anywhere}\
        code{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}\
        .warning{background:var(--warn-bg);color:var(--warn-fg);border-left:4px solid var(--warn-line);\
        padding:.75rem 1rem;margin:.5rem 0;border-radius:4px}\
        dl{margin:.25rem 0}dt{font-weight:600}dd{margin:0 0 .5rem;overflow-wrap:anywhere}\
        ul{padding-left:1.25rem}\
        .buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}\
        button{font:inherit;font-weight:600;min-height:44px;padding:.6rem 1.2rem;border-radius:6px;cursor:pointer;\
        flex:1 1 12rem}\
        .primary{background:var(--accent);color:var(--on-accent);border:2px solid var(--accent)}\
        .secondary{background:transparent;color:var(--fg);border:2px solid var(--line)}\
        button:focus-visible{outline:3px solid var(--fg);outline-offset:2px}\
        footer{max-width:36rem;margin:0 auto;padding:1rem;border-top:1px solid var(--line);\
        font-size:.8rem;color:var(--muted)}
        """

    private static let styleHash = "sha256-" + Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
}
