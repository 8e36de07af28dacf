import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import Metrics
import NIOCore
import ParallelAPI
import Storage
import TaskTools

/// `POST /webhooks/parallel`: Parallel's completion webhooks (`task_run.status`), served only
/// when a webhook secret is configured.
///
/// The signature is the authentication (no bearer token): a delivery is verified (Standard
/// Webhooks, 5 minutes of timestamp tolerance), its `webhook-id` is recorded so that a retry or a
/// replay changes nothing, and a run that ended settles its `tasks` row and the MCP tasks working
/// on it, and is announced (with its group) so that waits and pages on it, on any replica, read it
/// again at once. A verified delivery about a run this server does not know gets the same answer as one
/// about a run it knows.
///
/// Answers: 200 `{"status": "accepted" | "duplicate" | "ignored"}`; problems (`application/problem+json`):
/// 401 missing or invalid signature, 400 stale or malformed timestamp or payload, 413 body over
/// 256 KiB, 500 when the database failed (the delivery is forgotten, so Parallel's retry counts).
struct WebhookRoute: Sendable {
    static let path = "/webhooks/parallel"
    /// A run status event is about a kilobyte; anything near this is not from Parallel.
    static let maxBodyBytes = 256 * 1024

    let verifier: StandardWebhook
    let store: any WebhookStorage
    /// Told about every run the delivery settled, so that waits and pages on it (on any replica)
    /// read it again at once.
    let signals: any TaskSignals

    func register(on router: Router<AppRequestContext>) {
        router.post(RouterPath(Self.path), use: receive)
    }

    /// What became of a delivery: the `outcome` of `parallel_webhooks_received_total`.
    enum Outcome: String {
        /// Verified, new, and it settled a run this server tracks.
        case accepted
        /// Verified, but its `webhook-id` was accepted before.
        case duplicate
        /// Missing headers or no valid signature.
        case invalidSignature = "invalid_signature"
        /// Authentic, but its timestamp is outside the tolerance.
        case stale
        /// Too large, a malformed timestamp, or a body that is not a webhook event.
        case malformed
        /// Verified and new, but about nothing to settle: another event type, a status that is
        /// not final, or a run this server does not track.
        case ignored
    }

    @Sendable func receive(_ request: Request, context: AppRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            return refuse(
                .malformed,
                .contentTooLarge(detail: "A webhook body is at most \(Self.maxBodyBytes) bytes."),
                context: context)
        }
        let bytes = Data(body.readableBytesView)

        let delivery: VerifiedWebhook
        do {
            delivery = try verifier.verify(
                id: request.headers[Self.idHeader], timestamp: request.headers[Self.timestampHeader],
                signature: request.headers[Self.signatureHeader], body: bytes)
        } catch {
            return refuse(error, context: context)
        }

        let event: WebhookEvent
        do {
            event = try WebhookEvent(body: bytes)
        } catch {
            return refuse(
                .malformed,
                .badRequest(detail: "The body is not a webhook event: \(error.reason).", code: "malformed_payload"),
                context: context, deliveryID: delivery.id)
        }

        do {
            guard try await store.recordWebhookDelivery(id: delivery.id) else {
                return answer(.duplicate, status: "duplicate", context: context, deliveryID: delivery.id, run: event.run)
            }
        } catch {
            return await failed(error, context: context, deliveryID: delivery.id, forget: false)
        }

        guard event.isRunStatus, let run = event.run, let settled = SettledStatus(rawValue: run.status.rawValue) else {
            return answer(.ignored, status: "ignored", context: context, deliveryID: delivery.id, run: event.run)
        }
        let changed: Int
        do {
            changed = try await store.markRunSettled(runID: run.runID, status: settled, message: run.error?.message, at: Date())
        } catch {
            return await failed(error, context: context, deliveryID: delivery.id, forget: true)
        }
        announce(run, settledHere: changed > 0)
        // The same answer whether or not the run is known here: the sender learns nothing.
        return answer(changed > 0 ? .accepted : .ignored, status: "accepted", context: context, deliveryID: delivery.id, run: run)
    }

    /// Wakes the followers of a run that ended: the run itself when its row changed here, and its
    /// group when it belongs to one. The store keeps no map from runs to groups (only the group is
    /// registered, so such a run changes no row); the signed event names the group instead. Which
    /// run is a group's last cannot be told, so every run's end is a hint to re-read the group
    /// (``TaskSignalHub`` folds the hints of a busy group into about one a second).
    private func announce(_ run: TaskRun, settledHere: Bool) {
        if settledHere { signals.announce(run.runID) }
        if let group = run.taskGroupID, let id = try? TaskIdentifier(group), id.kind == .group {
            signals.announce(id.rawValue)
        }
    }

    // MARK: Answers

    static let idHeader = field(StandardWebhook.Header.id)
    static let timestampHeader = field(StandardWebhook.Header.timestamp)
    static let signatureHeader = field(StandardWebhook.Header.signature)

    private static func field(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }

    private func answer(_ outcome: Outcome, status: String, context: AppRequestContext, deliveryID: String, run: TaskRun?) -> Response {
        record(outcome, context: context, deliveryID: deliveryID, run: run)
        return JSONBytes.response(JSONValue.object(["status": .string(status)]), headers: [.cacheControl: "no-store"])
    }

    private func refuse(_ error: WebhookVerificationError, context: AppRequestContext) -> Response {
        switch error {
        case .missingHeader, .noValidSignature:
            var headers = HTTPFields()
            // RFC 9110 asks a 401 to name a scheme: here, a Standard Webhooks signature.
            headers[.wwwAuthenticate] = "Standard-Webhooks"
            return refuse(
                .invalidSignature,
                .unauthorized(detail: "The delivery is not signed with this server's webhook secret (\(error)).", code: "invalid_signature"),
                context: context, headers: headers)
        case .malformedTimestamp:
            return refuse(
                .malformed, .badRequest(detail: "\(error).", code: "malformed_timestamp"), context: context)
        case .timestampTooOld, .timestampInFuture:
            return refuse(
                .stale,
                .badRequest(detail: "\(error) (\(Int(verifier.tolerance)) seconds).", code: "stale_timestamp"),
                context: context)
        }
    }

    private func refuse(
        _ outcome: Outcome, _ problem: Problem, context: AppRequestContext, deliveryID: String? = nil, headers: HTTPFields = [:]
    ) -> Response {
        record(outcome, context: context, deliveryID: deliveryID, run: nil, reason: problem.code)
        return problem.response(headers: headers)
    }

    /// The database failed: 500 (503 with `Retry-After` while it is unavailable), and (once the id
    /// was recorded) the delivery is forgotten so that Parallel's retry is processed.
    private func failed(_ error: any Error, context: AppRequestContext, deliveryID: String, forget: Bool) async -> Response {
        let logger = Self.logger(context)
        logger.error("Webhook delivery could not be processed", metadata: ["webhook.id": "\(deliveryID)", "error": "\(error)"])
        if forget {
            do {
                try await store.forgetWebhookDelivery(id: deliveryID)
            } catch {
                logger.error(
                    "Forgetting a failed webhook delivery failed too; its retry will count as a duplicate",
                    metadata: ["webhook.id": "\(deliveryID)"])
            }
        }
        if error is StoreUnavailable { return Problem.databaseUnavailable.response() }
        return Problem.internalServerError(detail: "The delivery could not be processed; retry later.").response()
    }

    /// One log line and one count per delivery; never a header value or the body, and the
    /// delivery id only once it is verified.
    private func record(_ outcome: Outcome, context: AppRequestContext, deliveryID: String?, run: TaskRun?, reason: String? = nil) {
        Counter(label: "parallel_webhooks_received_total", dimensions: [("outcome", outcome.rawValue)]).increment()
        var metadata: Logger.Metadata = ["webhook.outcome": .string(outcome.rawValue)]
        if let deliveryID { metadata["webhook.id"] = .string(deliveryID) }
        if let run {
            metadata["run_id"] = .string(run.runID)
            metadata["run.status"] = .string(run.status.rawValue)
        }
        if let reason { metadata["reason"] = .string(reason) }
        let level: Logger.Level = [.invalidSignature, .stale, .malformed].contains(outcome) ? .notice : .info
        Self.logger(context).log(level: level, "Parallel webhook", metadata: metadata)
    }

    /// The request's logger (it carries the request id), marked as this component's.
    private static func logger(_ context: AppRequestContext) -> Logger {
        context.logger.component("webhooks")
    }
}
