import Crypto
import Foundation
import JSON
import ParallelAPI
import Testing

/// Signing and verifying Parallel's webhooks (Standard Webhooks), and decoding their payload.
@Suite("Standard Webhooks")
struct StandardWebhookTests {
    let secret = "parallel-webhook-secret-for-tests"
    let id = "whevent_0123456789abcdef"
    let sent = 1_754_000_000
    let body = #"{"timestamp":"2025-08-01T00:00:00Z","type":"task_run.status","data":{"run_id":"trun_1","status":"completed"}}"#
    var now: Date { Date(timeIntervalSince1970: TimeInterval(sent) + 10) }

    /// The signature computed here from the definition (HMAC-SHA256 over `id.timestamp.body`,
    /// standard Base64), independently of the code under test.
    func reference(key: some DataProtocol, id: String, timestamp: String, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(key)))
        return "v1," + Data(mac).base64EncodedString()
    }

    func verify(
        _ webhook: StandardWebhook, id: String? = nil, timestamp: String? = nil, signature: String?, body: String? = nil,
        now: Date? = nil
    ) throws(WebhookVerificationError) -> VerifiedWebhook {
        try webhook.verify(
            id: id ?? self.id, timestamp: timestamp ?? String(sent), signature: signature, body: Data((body ?? self.body).utf8),
            now: now ?? self.now)
    }

    @Test func signingFollowsTheStandardWebhooksConstruction() throws {
        let webhook = try StandardWebhook(secret: secret)
        let signature = webhook.sign(id: id, timestamp: sent, body: Data(body.utf8))
        #expect(signature == reference(key: Data(secret.utf8), id: id, timestamp: String(sent), body: body))
        #expect(signature.hasPrefix("v1,"))
        #expect(Data(base64Encoded: String(signature.dropFirst(3)))?.count == 32)
    }

    @Test func aValidSignatureVerifies() throws {
        let webhook = try StandardWebhook(secret: secret)
        let verified = try verify(webhook, signature: reference(key: Data(secret.utf8), id: id, timestamp: String(sent), body: body))
        #expect(verified == VerifiedWebhook(id: id, timestamp: Date(timeIntervalSince1970: TimeInterval(sent))))
    }

    @Test func anotherSecretsSignatureIsRefused() throws {
        let webhook = try StandardWebhook(secret: secret)
        let other = try StandardWebhook(secret: "another-secret").sign(id: id, timestamp: sent, body: Data(body.utf8))
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: other) }
    }

    @Test func changingTheBodyTheIdOrTheTimestampBreaksTheSignature() throws {
        let webhook = try StandardWebhook(secret: secret)
        let signature = webhook.sign(id: id, timestamp: sent, body: Data(body.utf8))
        let tampered = body.replacingOccurrences(of: "completed", with: "failed")
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: signature, body: tampered) }
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: signature, body: body + " ") }
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, id: id + "x", signature: signature) }
        #expect(throws: WebhookVerificationError.noValidSignature) {
            try verify(webhook, timestamp: String(sent + 1), signature: signature)
        }
    }

    @Test func oneValidSignatureAmongSeveralIsEnough() throws {
        let webhook = try StandardWebhook(secret: secret)
        let valid = webhook.sign(id: id, timestamp: sent, body: Data(body.utf8))
        let stale = try StandardWebhook(secret: "previous-secret").sign(id: id, timestamp: sent, body: Data(body.utf8))
        _ = try verify(webhook, signature: "\(stale) \(valid)")
        _ = try verify(webhook, signature: "\(valid)  \(stale)")
        // An entry that is not Base64 is skipped, not fatal.
        _ = try verify(webhook, signature: "v1,%%%not-base64%%% \(valid)")
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: "\(stale) \(stale)") }
    }

    @Test func entriesOfOtherVersionsAreIgnored() throws {
        let webhook = try StandardWebhook(secret: secret)
        let encoded = String(webhook.sign(id: id, timestamp: sent, body: Data(body.utf8)).dropFirst(3))
        // The right bytes under another version prefix do not count.
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: "v1a,\(encoded)") }
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: "v2,\(encoded)") }
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: encoded) }
        _ = try verify(webhook, signature: "v1a,\(encoded) v1,\(encoded)")
    }

    @Test func timestampsOutsideTheToleranceAreRefusedBothWays() throws {
        let webhook = try StandardWebhook(secret: secret)
        #expect(webhook.tolerance == 300)
        let signature = webhook.sign(id: id, timestamp: sent, body: Data(body.utf8))
        let moment = Date(timeIntervalSince1970: TimeInterval(sent))
        _ = try verify(webhook, signature: signature, now: moment.addingTimeInterval(300))
        _ = try verify(webhook, signature: signature, now: moment.addingTimeInterval(-300))
        #expect(throws: WebhookVerificationError.timestampTooOld) {
            try verify(webhook, signature: signature, now: moment.addingTimeInterval(301))
        }
        #expect(throws: WebhookVerificationError.timestampInFuture) {
            try verify(webhook, signature: signature, now: moment.addingTimeInterval(-301))
        }
        let strict = try StandardWebhook(secret: secret, tolerance: 5)
        #expect(throws: WebhookVerificationError.timestampTooOld) {
            try verify(strict, signature: signature, now: moment.addingTimeInterval(6))
        }
    }

    @Test func aTimestampThatIsNotUnixSecondsIsMalformed() throws {
        let webhook = try StandardWebhook(secret: secret)
        for text in ["1754000000.5", "-1754000000", "+1754000000", "2025-08-01T00:00:00Z", "17540000000000000000"] {
            let signature = reference(key: Data(secret.utf8), id: id, timestamp: text, body: body)
            #expect(throws: WebhookVerificationError.malformedTimestamp, "\(text)") {
                try verify(webhook, timestamp: text, signature: signature)
            }
        }
    }

    @Test func missingOrBlankHeadersAreNamed() throws {
        let webhook = try StandardWebhook(secret: secret)
        let signature = webhook.sign(id: id, timestamp: sent, body: Data(body.utf8))
        #expect(throws: WebhookVerificationError.missingHeader("webhook-id")) {
            try webhook.verify(id: nil, timestamp: String(sent), signature: signature, body: Data(body.utf8), now: now)
        }
        #expect(throws: WebhookVerificationError.missingHeader("webhook-timestamp")) {
            try webhook.verify(id: id, timestamp: " ", signature: signature, body: Data(body.utf8), now: now)
        }
        #expect(throws: WebhookVerificationError.missingHeader("webhook-signature")) {
            try webhook.verify(id: id, timestamp: String(sent), signature: nil, body: Data(body.utf8), now: now)
        }
        #expect(throws: WebhookVerificationError.noValidSignature) { try verify(webhook, signature: "v1,") }
    }

    @Test func aWhsecSecretIsTheBase64OfTheKey() throws {
        let key = Data((0..<32).map { UInt8($0 * 7 % 256) })
        let secretText = "whsec_" + key.base64EncodedString()
        let webhook = try StandardWebhook(secret: secretText)
        let expected = reference(key: key, id: id, timestamp: String(sent), body: body)
        #expect(webhook.sign(id: id, timestamp: sent, body: Data(body.utf8)) == expected)
        _ = try verify(webhook, signature: expected)
        // The same text taken literally is another key.
        #expect(throws: WebhookVerificationError.noValidSignature) {
            try verify(webhook, signature: reference(key: Data(secretText.utf8), id: id, timestamp: String(sent), body: body))
        }
        // Without its padding, and with surrounding whitespace, it is the same key.
        var unpadded = secretText
        while unpadded.hasSuffix("=") { unpadded.removeLast() }
        #expect(try StandardWebhook(secret: " \(unpadded)\n").sign(id: id, timestamp: sent, body: Data(body.utf8)) == expected)
    }

    @Test func unusableSecretsAreRefused() {
        #expect(throws: WebhookSecretError.empty) { try StandardWebhook(secret: "  ") }
        #expect(throws: WebhookSecretError.notBase64) { try StandardWebhook(secret: "whsec_not base64!") }
        #expect(throws: WebhookSecretError.notBase64) { try StandardWebhook(secret: "whsec_") }
    }

    // MARK: Payload

    @Test func aRunStatusEventDecodesItsRun() throws {
        let text = """
            {"timestamp":"2025-08-01T12:00:00.123456Z","type":"task_run.status","data":{"run_id":"trun_9907962f83aa4d9d98fd7f4bf745d654",
            "interaction_id":"trun_9907962f83aa4d9d98fd7f4bf745d654","status":"failed","is_active":false,"warnings":null,
            "error":{"ref_id":"r1","message":"Upstream timeout"},"processor":"pro","metadata":{"k":"v"},"taskgroup_id":null,
            "created_at":"2025-08-01T11:50:00Z","modified_at":"2025-08-01T12:00:00Z"}}
            """
        let event = try WebhookEvent(body: Data(text.utf8))
        #expect(event.type == "task_run.status")
        #expect(event.isRunStatus)
        #expect(event.timestamp == "2025-08-01T12:00:00.123456Z")
        #expect(event.run?.runID == "trun_9907962f83aa4d9d98fd7f4bf745d654")
        #expect(event.run?.status == .failed)
        #expect(event.run?.error?.message == "Upstream timeout")

        // Encoding gives Parallel's shape back.
        let encoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(event))
        #expect(encoded.objectValue.map { Set($0.keys) } == ["timestamp", "type", "data"])
        #expect(encoded["data"]?["run_id"] == "trun_9907962f83aa4d9d98fd7f4bf745d654")
        #expect(try WebhookEvent(body: JSONEncoder().encode(event)) == event)
    }

    @Test func anUnknownTypeDecodesWithoutARun() throws {
        let event = try WebhookEvent(body: Data(#"{"timestamp":"2025-08-01T12:00:00Z","type":"task_group.status","data":{"x":1}}"#.utf8))
        #expect(event.type == "task_group.status")
        #expect(event.run == nil)
        #expect(!event.isRunStatus)
    }

    @Test(arguments: [
        "not json", "[]", #"{"timestamp":"t"}"#, #"{"type":"task_run.status","timestamp":"t"}"#,
        #"{"type":"task_run.status","timestamp":"t","data":{"status":"completed"}}"#,
    ])
    func aBodyThatIsNotAnEventIsMalformed(text: String) {
        #expect(throws: WebhookPayloadError.self) { try WebhookEvent(body: Data(text.utf8)) }
    }
}
