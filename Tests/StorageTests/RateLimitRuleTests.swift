import Storage
import Testing

@Suite("RateLimitRule: the GCRA rule both backends apply for shared rate limits")
struct RateLimitRuleTests {
    let now: Int64 = 1_700_000_000_000_000

    func rule(_ requests: Int, per: Duration) throws -> RateLimitRule {
        guard case .apply(let rule) = RateLimitRule.make(requests: requests, per: per) else {
            throw Unexpected()
        }
        return rule
    }

    /// How many of `attempts` requests at one instant are allowed, from no row.
    func burst(_ rule: RateLimitRule, attempts: Int) -> Int {
        var tat: Int64?
        var allowed = 0
        for _ in 0..<attempts {
            let (decision, newTAT) = rule.decide(tat: tat, now: now)
            if decision == .allowed {
                allowed += 1
                tat = newTAT
            } else {
                #expect(newTAT == nil)
            }
        }
        return allowed
    }

    @Test("a burst is exactly the limit, even where the period does not divide evenly")
    func exactBursts() throws {
        #expect(burst(try rule(7, per: .seconds(60)), attempts: 20) == 7)
        #expect(burst(try rule(1, per: .seconds(3_600)), attempts: 5) == 1)
        #expect(burst(try rule(300, per: .seconds(60)), attempts: 400) == 300)
        // More requests than microseconds in the period: one microsecond each, still exactly the limit.
        #expect(burst(try rule(5_000, per: .milliseconds(1)), attempts: 6_000) == 5_000)
    }

    @Test("a refusal says when the next request fits, rounded up to whole seconds")
    func retryAfter() throws {
        let rule = try rule(3, per: .seconds(10))
        var tat: Int64?
        for _ in 0..<3 { tat = rule.decide(tat: tat, now: now).newTAT }
        // 10/3 s per request, rounded down to the microsecond: 3.333333 s → 4.
        #expect(rule.decide(tat: tat, now: now).decision == .limited(retryAfterSeconds: 4))
        #expect(rule.decide(tat: tat, now: now + 3_000_000).decision == .limited(retryAfterSeconds: 1))
        #expect(rule.decide(tat: tat, now: now + 3_333_333).decision == .allowed)
    }

    @Test("a stored time in the past is the same as none")
    func pastTimes() throws {
        let rule = try rule(2, per: .seconds(60))
        #expect(rule.decide(tat: now - 5_000_000, now: now) == rule.decide(tat: nil, now: now))
        #expect(rule.decide(tat: nil, now: now).newTAT == now + 30_000_000)
    }

    @Test("zero requests refuse, a non-positive period allows, without a row")
    func shortcuts() {
        #expect(RateLimitRule.make(requests: 0, per: .seconds(60)) == .decided(.limited(retryAfterSeconds: 60)))
        #expect(RateLimitRule.make(requests: 10, per: .zero) == .decided(.allowed))
        #expect(RateLimitRule.make(requests: 10, per: .seconds(-1)) == .decided(.allowed))
        #expect(RateLimitRule.microseconds(.milliseconds(1_500)) == 1_500_000)
        #expect(RateLimitRule.microseconds(.seconds(Int64.max)) == .max)
    }

    struct Unexpected: Error {}
}
