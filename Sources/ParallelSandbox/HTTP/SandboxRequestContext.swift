public import Hummingbird
import HTTPTypes

/// The request context of the sandbox's routes.
public struct SandboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: Source) { coreContext = .init(source: source) }
    /// Add-runs bodies with 1,000 inputs can be large.
    public var maxUploadSize: Int { 32 * 1024 * 1024 }
}

extension HTTPField.Name {
    static let apiKey = HTTPField.Name("x-api-key")!
    static let parallelBeta = HTTPField.Name("parallel-beta")!
    static let sandboxLabel = HTTPField.Name("x-parallel-sandbox")!
    static let pragma = HTTPField.Name("pragma")!
}
