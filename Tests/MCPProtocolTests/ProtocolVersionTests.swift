import MCPProtocol
import Testing

/// Pins what every supported revision means. Adding a revision to `ProtocolVersion.supported`
/// fails these tests until its row below says, feature by feature, what it is.
@Suite("ProtocolVersion: the features of each revision")
struct ProtocolVersionTests {
    struct Features: Hashable, CustomStringConvertible {
        var isStateless: Bool
        var hasTasks: Bool
        var hasTasksExtension: Bool
        var hasStructuredContent: Bool
        var allowsAnyStructuredContent: Bool
        var hasResourceLinks: Bool
        var hasImplementationTitle: Bool
        var hasImplementationDescription: Bool

        init(
            isStateless: Bool = false, hasTasks: Bool = false, hasTasksExtension: Bool = false, hasStructuredContent: Bool = false,
            allowsAnyStructuredContent: Bool = false, hasResourceLinks: Bool = false, hasImplementationTitle: Bool = false,
            hasImplementationDescription: Bool = false
        ) {
            self.isStateless = isStateless
            self.hasTasks = hasTasks
            self.hasTasksExtension = hasTasksExtension
            self.hasStructuredContent = hasStructuredContent
            self.allowsAnyStructuredContent = allowsAnyStructuredContent
            self.hasResourceLinks = hasResourceLinks
            self.hasImplementationTitle = hasImplementationTitle
            self.hasImplementationDescription = hasImplementationDescription
        }

        init(of version: ProtocolVersion) {
            self.init(
                isStateless: version.isStateless, hasTasks: version.hasTasks, hasTasksExtension: version.hasTasksExtension,
                hasStructuredContent: version.hasStructuredContent, allowsAnyStructuredContent: version.allowsAnyStructuredContent,
                hasResourceLinks: version.hasResourceLinks, hasImplementationTitle: version.hasImplementationTitle,
                hasImplementationDescription: version.hasImplementationDescription)
        }

        var description: String {
            let names: [(String, Bool)] = [
                ("isStateless", isStateless), ("hasTasks", hasTasks), ("hasTasksExtension", hasTasksExtension),
                ("hasStructuredContent", hasStructuredContent), ("allowsAnyStructuredContent", allowsAnyStructuredContent),
                ("hasResourceLinks", hasResourceLinks), ("hasImplementationTitle", hasImplementationTitle),
                ("hasImplementationDescription", hasImplementationDescription),
            ]
            return names.filter(\.1).map(\.0).joined(separator: ", ")
        }
    }

    static let expected: [ProtocolVersion: Features] = [
        "2025-03-26": Features(),
        "2025-06-18": Features(hasStructuredContent: true, hasResourceLinks: true, hasImplementationTitle: true),
        "2025-11-25": Features(
            hasTasks: true, hasStructuredContent: true, hasResourceLinks: true, hasImplementationTitle: true,
            hasImplementationDescription: true),
        "2026-07-28": Features(
            isStateless: true, hasTasksExtension: true, hasStructuredContent: true, allowsAnyStructuredContent: true,
            hasResourceLinks: true, hasImplementationTitle: true, hasImplementationDescription: true),
    ]

    @Test func supportedIsNewestFirstAndEveryRevisionIsPinned() {
        #expect(ProtocolVersion.supported == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
        #expect(ProtocolVersion.supported == ProtocolVersion.supported.sorted(by: >))
        #expect(Set(Self.expected.keys) == Set(ProtocolVersion.supported), "a supported revision has no row in `expected`")
    }

    @Test(arguments: ProtocolVersion.supported)
    func features(of version: ProtocolVersion) {
        #expect(Features(of: version) == Self.expected[version])
    }

    @Test func aRequestWithoutAHeaderIsTakenFor20250326() {
        #expect(ProtocolVersion.assumedWithoutHeader == "2025-03-26")
    }

    @Test("an unknown later date counts as stateless; an earlier one has no features")
    func unknownDates() {
        #expect(ProtocolVersion(rawValue: "2099-01-01").isStateless)
        #expect(Features(of: "1999-01-01") == Features())
    }
}
