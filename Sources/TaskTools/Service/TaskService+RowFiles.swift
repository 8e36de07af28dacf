import Foundation
import GuardedFetch
import JSON
import Logging

/// Rows that do not pass through the model: `inputs_url` (a CSV, TSV, JSON or XLSX file at a URL)
/// and `file` (a file the client attached, as ChatGPT's `openai/fileParams` deliver it).
extension TaskService {
    /// The arguments that can hold a group's rows; exactly one is given.
    static let rowArguments = ["inputs", "inputs_url", "file", "inputs_upload"]

    /// The rows of `arguments` when they come as a file, else `nil` (inline `inputs`).
    func rowsFromFile(_ arguments: [String: JSONValue], caller: Caller) async throws(TaskServiceError) -> GroupRows? {
        let given = Self.rowArguments.filter { arguments[$0].map { !$0.isNull } ?? false }
        guard given.count == 1 else {
            let message =
                given.isEmpty
                ? "Give the rows as one of: inputs (an array of objects or CSV text, for up to about 200 rows), inputs_url (an https link to a CSV, TSV, JSON or XLSX file), inputs_upload (the upload_id of a file PUT to POST /v1/uploads's upload_url), or file (a file attached in ChatGPT)."
                : "Give the rows in one way only: \(given.joined(separator: " and ")) were both sent; keep one of them."
            throw .invalid(given.first ?? "inputs", message)
        }
        let sheet: String?
        switch arguments["sheet"] {
        case nil, .null?: sheet = nil
        case .string(let name)?: sheet = name
        default: throw .invalid("sheet", "sheet must be the name of a sheet of the XLSX file, as a string.")
        }
        switch given[0] {
        case "inputs_url":
            guard case .string(let url)? = arguments["inputs_url"] else {
                throw .invalid("inputs_url", "inputs_url must be a URL string, such as \"https://example.com/companies.csv\".")
            }
            return try await rows(at: RowFile.exportURL(url), argument: "inputs_url", name: nil, sheet: sheet)
        case "file":
            let file = try Self.attachedFile(arguments["file"])
            return try await rows(at: file.url, argument: "file", name: file.name, sheet: sheet)
        case "inputs_upload":
            guard case .string(let id)? = arguments["inputs_upload"] else {
                throw .invalid("inputs_upload", "inputs_upload must be the upload_id string that POST /v1/uploads returned.")
            }
            return try await rows(ofUpload: id, caller: caller, sheet: sheet)
        default:
            if sheet != nil { throw .invalid("sheet", "sheet applies to an XLSX file given by inputs_url or file; leave it out with inputs.") }
            return nil
        }
    }

    /// Fetches `url` through the SSRF guard and reads it as rows.
    private func rows(at url: String, argument: String, name: String?, sheet: String?) async throws(TaskServiceError) -> GroupRows {
        var policy = GuardedFetcher.Policy(maxBytes: configuration.maxInputFileBytes, timeout: configuration.inputFetchTimeout)
        policy.maxRedirects = 3
        policy.allowLoopbackHTTP = configuration.allowLoopbackInputURLs
        policy.userAgent = "task-mcp (rows for createTaskGroup)"
        policy.accept = "text/csv, text/tab-separated-values, application/json, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9, */*;q=0.5"
        guard GuardedFetcher.isFetchable(url, policy: policy) else {
            throw .invalid(
                argument,
                "\(argument) must be an absolute https URL of a CSV, TSV, JSON or XLSX file"
                    + (configuration.allowLoopbackInputURLs ? " (or http on localhost in this development server)." : "."))
        }
        let response: GuardedFetcher.Response
        do {
            // The URL may carry a signature (ChatGPT's download_url): it is never logged.
            response = try await GuardedFetcher.get(url, policy: policy, logger: Logger(label: "task-mcp.rows") { _ in SwiftLogNoOpLogHandler() })
        } catch {
            throw .invalid(argument, Self.sentence(error, argument: argument, maxBytes: policy.maxBytes, timeout: policy.timeout))
        }
        let bytes = response.bytes
        do {
            return try RowFile.rows(bytes, contentType: response.contentType, name: name ?? url, sheet: sheet, maxRows: configuration.maxGroupRows)
        } catch {
            throw .invalid(argument, error, prefix: "The file at \(argument): ")
        }
    }

    /// A fetch failure as a sentence saying what to do.
    static func sentence(_ failure: FetchFailure, argument: String, maxBytes: Int, timeout: Duration) -> String {
        let what = "The file at \(argument)"
        switch failure.kind {
        case .invalidURL: return "\(argument) must be an absolute https URL of a CSV, TSV, JSON or XLSX file."
        case .notPublic, .resolvesToNonPublic:
            return "\(what) is on a private or local address, which this server does not fetch from; publish the file at a public https URL, or send the rows in inputs."
        case .unresolvable: return "\(what) could not be reached: its host name does not resolve. Check the link."
        case .redirected, .badRedirect: return "\(what) redirected too often (or without a target); link the file itself."
        case .status(let status) where status == 401 || status == 403:
            return "\(what) answered HTTP \(status): the file is not public. Share it publicly (for Google Sheets: Publish to web as CSV) or send the rows in inputs."
        case .status(404): return "\(what) answered HTTP 404: there is no file at that link. Check the URL."
        case .status(let status): return "\(what) answered HTTP \(status) instead of the file; try again later or check the link."
        case .contentType(let type): return "\(what) has a content type that is no table (\(type ?? "none"))."
        case .tooLarge:
            return "\(what) is larger than \(maxBytes >> 20) MiB, the limit for rows by file; split it into several groups."
        case .timedOut:
            return "\(what) did not arrive within \(timeout.components.seconds) s; try again, or host the file somewhere faster."
        case .cancelled: return "Fetching the file at \(argument) was cancelled."
        case .unreachable(let hint): return "\(what) could not be fetched (\(hint)); check the link."
        }
    }

    /// A file parameter as ChatGPT sends it: `{download_url, file_id, mime_type?, file_name?}`.
    static func attachedFile(_ value: JSONValue?) throws(TaskServiceError) -> (url: String, name: String?) {
        switch value {
        case .object(let members)?:
            guard case .string(let url)? = members["download_url"], !url.isEmpty else {
                throw .invalid("file", "file must be an attached file with a download_url; attach the file again, or give its link as inputs_url.")
            }
            if case .string(let name)? = members["file_name"] { return (url, name) }
            return (url, nil)
        case .string(let text)?:
            // ChatGPT's mobile apps have sent "chat_upload://…" strings instead of file objects.
            let shown = MarkdownText.shorten(text, to: 40).text
            throw .invalid(
                "file",
                "file arrived as the text \"\(shown)\", not as an attached file (some ChatGPT surfaces do not pass files to apps). Attach the file in ChatGPT on the web, or give a public link as inputs_url, or the rows as inputs.")
        default:
            throw .invalid("file", "file must be an attached file object with download_url and file_id.")
        }
    }
}
