import Crypto
public import Foundation
public import JSON
import WebEncoding

/// A slot for a file of rows: `PUT` the file to ``url`` (one-time, short-lived), then pass ``id``
/// as `inputs_upload` to `createTaskGroup`.
public struct UploadSlot: Sendable, Hashable {
    public var id: String
    /// The one-time URL that accepts the `PUT`; it carries the slot's secret.
    public var url: String
    public var expiresAt: Date
    public var maxBytes: Int

    public var jsonValue: JSONValue {
        let quoted = url.replacingOccurrences(of: "'", with: "'\\''")
        return [
            "upload_id": .string(id), "upload_url": .string(url), "method": "PUT",
            "expires_at": .string(expiresAt.formatted(.iso8601)), "max_bytes": .int(maxBytes),
            "curl": .string("curl --fail-with-body -T ./rows.csv '\(quoted)'"),
            "next_step": .string("PUT the CSV, TSV, JSON or XLSX file to upload_url once, then call createTaskGroup with inputs_upload set to upload_id."),
        ]
    }
}

extension TaskService {
    /// Opens an upload slot for the caller, valid for ``Configuration/uploadLifetime``.
    public func createUpload(caller: Caller) async throws(TaskServiceError) -> UploadSlot {
        let id = "upl_" + ViewLinks.newNonce()
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64URLEncoded() }
        let created = now()
        let expires = created.addingTimeInterval(Double(configuration.uploadLifetime.components.seconds))
        let slot = UploadSlotRecord(
            id: id, owner: caller.subject, secretHash: Self.secretHash(secret), createdAt: created, expiresAt: expires,
            maxBytes: configuration.maxUploadBytes)
        try await registryCall("The upload could not be opened; try again.") { try await registry.createUpload(slot) }
        return UploadSlot(id: id, url: urls.upload(id, secret), expiresAt: expires, maxBytes: slot.maxBytes)
    }

    /// Stores the file `PUT` to slot `id` with `secret` (the URL's); what it came to.
    public func receiveUpload(id: String, secret: String, body: Data, contentType: String?) async throws(TaskServiceError) -> UploadPut {
        guard id.hasPrefix("upl_"), !secret.isEmpty else { return .notFound }
        return try await registryCall("The upload could not be stored; try again.") {
            try await registry.putUpload(id: id, secretHash: Self.secretHash(secret), body: body, contentType: contentType, at: now())
        }
    }

    /// The rows of the caller's upload `id`.
    func rows(ofUpload id: String, caller: Caller, sheet: String?) async throws(TaskServiceError) -> GroupRows {
        let file = try await registryCall("The upload could not be read; try again.") {
            try await registry.uploadedFile(id: id, owner: caller.subject, at: now())
        }
        guard let file else {
            throw .invalid(
                "inputs_upload",
                "inputs_upload \(MarkdownText.shorten(id, to: 40).text) names no uploaded file of yours: it may not be uploaded yet (PUT the file to its upload_url first), it may have expired (\(configuration.uploadLifetime.components.seconds / 60) minutes), or it was used already. Open a new one with POST /v1/uploads.")
        }
        do {
            return try RowFile.rows(Array(file.body), contentType: file.contentType, name: nil, sheet: sheet, maxRows: configuration.maxGroupRows)
        } catch {
            throw .invalid("inputs_upload", error, prefix: "The uploaded file: ")
        }
    }

    /// `operation` on the registry: its ``TaskServiceError`` (the database unavailable) as it is,
    /// any other failure as an internal error saying `failure`.
    private func registryCall<Value: Sendable>(
        _ failure: String, _ operation: () async throws -> Value
    ) async throws(TaskServiceError) -> Value {
        do {
            return try await operation()
        } catch let error as TaskServiceError {
            throw error
        } catch {
            throw TaskServiceError(.internal, failure)
        }
    }

    static func secretHash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }
}
