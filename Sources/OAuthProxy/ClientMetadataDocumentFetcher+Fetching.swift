import AsyncHTTPClient
import Deadlines
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

extension ClientMetadataDocumentFetcher {
    /// Fetches and validates one document, within one time limit (``Policy/timeout``).
    static func fetch(
        _ clientID: String, policy: Policy, logger: Logger
    ) async -> Result<ClientMetadataDocument, ClientMetadataError> {
        let start = ContinuousClock.now
        let deadline = start + policy.timeout
        let result: Result<ClientMetadataDocument, ClientMetadataError>
        do throws(ClientMetadataError) {
            let (body, cacheControl) = try await bounded(by: deadline, policy: policy) { () async throws(ClientMetadataError) in
                try await download(clientID, policy: policy, deadline: deadline, logger: logger)
            }
            let lifetime = cacheLifetime(cacheControl: cacheControl, policy: policy)
            let expiresAt = Date().addingTimeInterval(Double(lifetime.components.seconds))
            result = .success(try validate(json: body, clientID: clientID, expiresAt: expiresAt))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success:
            logger.debug("Fetched a client metadata document", metadata: ["client_id": "\(clientID)"])
        case .failure(let error):
            logger.info(
                "Client metadata document rejected", metadata: ["client_id": "\(clientID)", "reason": "\(error.description)"])
        }
        return result
    }

    /// `operation`'s outcome, or a time-out once `deadline` passes, whichever comes first
    /// (``Deadlines/Deadline/firstOf(deadline:onTimeout:onCancel:_:)``); the operation is cancelled then
    /// (AsyncHTTPClient closes the connection), so that a body trickled byte by byte cannot keep a
    /// fetch alive past its limit.
    private static func bounded<T: Sendable>(
        by deadline: ContinuousClock.Instant, policy: Policy,
        _ operation: @escaping @Sendable () async throws(ClientMetadataError) -> T
    ) async throws(ClientMetadataError) -> T {
        try await Deadline.firstOf(
            deadline: deadline, onTimeout: .failure(timedOut(policy)),
            onCancel: .answer(.failure(ClientMetadataError("fetching the client metadata document was cancelled")))
        ) { () async -> Result<T, ClientMetadataError> in
            do throws(ClientMetadataError) {
                return .success(try await operation())
            } catch {
                return .failure(error)
            }
        }.get()
    }

    /// Resolves and checks the host, then GETs the document from the checked address.
    private static func download(
        _ clientID: String, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(ClientMetadataError) -> (Data, String?) {
        guard let parts = URIParts(clientID), let host = parts.host else {
            throw ClientMetadataError("client_id must be an https URL")
        }
        var dnsOverride: [String: String] = [:]
        if let address = try await connectAddress(for: host, policy: policy, timeLimit: deadline - .now) {
            // Keyed by the host as AsyncHTTPClient reads it from the URL (case kept); the
            // lowercased spelling too, in case a later version normalises it.
            dnsOverride[host] = address
            dnsOverride[host.lowercased()] = address
        }

        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(policy.timeout), read: TimeAmount(policy.timeout)))
        configuration.dnsOverride = dnsOverride
        configuration.decompression = .disabled
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration,
            backgroundActivityLogger: logger)
        let outcome: Result<(Data, String?), ClientMetadataError>
        do throws(ClientMetadataError) {
            outcome = .success(try await get(clientID, client: client, policy: policy, deadline: deadline, logger: logger))
        } catch {
            outcome = .failure(error)
        }
        do {
            try await client.shutdown()
        } catch {
            logger.debug("Could not shut down a metadata document HTTP client", metadata: ["error": "\(error)"])
        }
        return try outcome.get()
    }

    private static func get(
        _ clientID: String, client: HTTPClient, policy: Policy, deadline: ContinuousClock.Instant, logger: Logger
    ) async throws(ClientMetadataError) -> (Data, String?) {
        var request = HTTPClientRequest(url: clientID)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "task-mcp (client metadata document fetcher)")
        let remaining = deadline - .now
        guard remaining > .zero else { throw timedOut(policy) }
        do {
            let response = try await client.execute(request, deadline: .now() + TimeAmount(remaining), logger: logger)
            let status = response.status.code
            if (300..<400).contains(status) {
                throw ClientMetadataError("the client metadata document URL redirected (HTTP \(status)); redirects are not followed")
            }
            guard status == 200 else {
                throw ClientMetadataError("fetching the client metadata document returned HTTP \(status), not 200")
            }
            let contentType = response.headers.first(name: "content-type")
            guard isJSON(contentType) else {
                throw ClientMetadataError(
                    "the client metadata document URL did not return JSON (Content-Type: \(shortHint(contentType ?? "none")))")
            }
            if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length > policy.maxBytes {
                throw tooLarge(policy)
            }
            var buffer = ByteBuffer()
            for try await var chunk in response.body {
                guard buffer.readableBytes + chunk.readableBytes <= policy.maxBytes else { throw tooLarge(policy) }
                buffer.writeBuffer(&chunk)
            }
            let cacheControl = response.headers["cache-control"].joined(separator: ",")
            return (Data(buffer.readableBytesView), cacheControl.isEmpty ? nil : cacheControl)
        } catch let error as ClientMetadataError {
            throw error
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            throw timedOut(policy)
        } catch {
            if ContinuousClock.now >= deadline { throw timedOut(policy) }
            if error is CancellationError { throw ClientMetadataError("fetching the client metadata document was cancelled") }
            throw ClientMetadataError("the client metadata document could not be fetched (\(shortHint(String(describing: error))))")
        }
    }

    private static func timedOut(_ policy: Policy) -> ClientMetadataError {
        ClientMetadataError("fetching the client metadata document timed out after \(policy.timeout.components.seconds) s")
    }

    private static func tooLarge(_ policy: Policy) -> ClientMetadataError {
        ClientMetadataError("the client metadata document is larger than \(policy.maxBytes) bytes")
    }

    private static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// At most 60 printable ASCII characters of `text`, for error messages.
    private static func shortHint(_ text: String) -> String {
        let printable = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        let hint = String(String.UnicodeScalarView(printable.prefix(60)))
        return printable.count > 60 ? hint + "…" : hint
    }
}
