// swift-tools-version: 6.1
import PackageDescription

/// Settings shared by every target: Swift 6 language mode (set by the tools version),
/// plus the upcoming-feature flags Hummingbird itself builds with.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "task-mcp",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "task-mcp", targets: ["TaskMCPCLI"]),
        .executable(name: "parallel-sandbox", targets: ["ParallelSandboxCLI"]),
        .executable(name: "task-mcp-benchmarks", targets: ["TaskMCPBenchmarks"]),
        .library(name: "ParallelAPI", targets: ["ParallelAPI"]),
        .library(name: "ParallelSandbox", targets: ["ParallelSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", exact: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", exact: "1.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // Arbitrary JSON as a value type, shared by every module that speaks JSON.
        .target(name: "JSON", swiftSettings: swiftSettings),

        // Small text encodings several modules share: base64url, hex, HTML and JSON-string escaping,
        // and the constant-time compare of secrets.
        .target(name: "WebEncoding", swiftSettings: swiftSettings),

        // Work raced against a time limit, the loser cancelled: the one implementation for tool
        // calls and for fetching client metadata documents.
        .target(name: "Deadlines", swiftSettings: swiftSettings),

        // Server-Sent Events, the one codec for every stream: parser, frame writer, keep-alives.
        .target(name: "ServerSentEvents", swiftSettings: swiftSettings),

        // The MCP protocol: JSON-RPC 2.0, MCP messages, version negotiation. No HTTP.
        .target(name: "MCPProtocol", dependencies: ["JSON"], swiftSettings: swiftSettings),

        // Typed client for Parallel's Task and Task Group APIs (upstream).
        .target(
            name: "ParallelAPI",
            dependencies: [
                "JSON",
                "ServerSentEvents",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // NIOConnectionError: tells a create that was never sent from one that may have been.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        // Spreadsheet files: a bounded, streaming .xlsx reader (zip-bomb, DTD and size limits), an
        // .xlsx writer, and a CSV writer, every written cell neutralised against formula injection.
        .target(
            name: "TableFiles",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),

        // The C allocator's knobs (glibc): heap returned to the system after large result reads,
        // and large blocks mapped on their own, so that reading big results does not keep RSS up.
        .target(name: "CHeap"),
        // The task operations behind both edges (MCP and REST), in layers: Inputs (rows, CSV,
        // output specs, processor choice), Markdown (LLM-friendly results, status, pagination),
        // HTML (progress pages), Service (TaskService, progress feed and hub, registry, view links).
        // Knows neither MCP nor HTTP.
        .target(
            name: "TaskTools",
            dependencies: [
                "CHeap",
                "Deadlines",
                "GuardedFetch",
                "TableFiles",
                "WebEncoding",
                "JSON",
                "ParallelAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The MCP edge of TaskTools: the five tool handlers (Tools/), the request's caller, and
        // the MCP task provider over the MCPTaskStore interface (Tasks/).
        .target(
            name: "TaskMCPTools",
            dependencies: [
                "WebEncoding",
                "JSON",
                "MCPProtocol",
                "TaskTools",
            ],
            swiftSettings: swiftSettings
        ),

        // Local emulator of Parallel's Task API and OAuth provider (development tool).
        .target(
            name: "ParallelSandbox",
            dependencies: [
                "WebEncoding",
                "JSON",
                "ParallelAPI",
                "ServerSentEvents",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // What the server keeps, independent of the database: records, one protocol per area
        // (clients, sign-ins, tokens, tasks, MCP tasks, webhooks, admin, health) composed as
        // `ServerStore`, the OAuth rules every backend applies, sealing (AES-GCM) and hashing.
        .target(
            name: "Storage",
            dependencies: [
                "WebEncoding",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // `SQLiteStore`: the `ServerStore` in SQLite through GRDB (WAL). Schema in the numbered SQL
        // files of `migrations/sqlite/` (a link to this module's resource).
        .target(
            name: "SQLiteStorage",
            dependencies: [
                "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("migrations")],
            swiftSettings: swiftSettings
        ),

        // `PostgresStore`: the `ServerStore` in PostgreSQL through postgres-nio's `PostgresClient`, for
        // several replicas on one database (race-free by guarded writes and row locks). Schema in the
        // numbered SQL files of its `migrations/`, translated from SQLiteStorage's.
        .target(
            name: "PostgresStorage",
            dependencies: [
                "Deadlines",
                "Storage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only to recognise its pool's "cannot connect" error (`ConnectionPoolError`).
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // PostgresTaskSignals, the LISTEN/NOTIFY relay between replicas, is a Service.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("migrations")],
            swiftSettings: swiftSettings
        ),

        // The OAuth 2.1 authorization server MCP clients see, federating sign-in to Parallel's
        // provider. Endpoint logic returns plain responses; routing stays in TaskMCPServer.
        // Fetching a URL a client named, behind the SSRF guard: public addresses only (checked per
        // hop, connections pinned to them), redirects re-checked, one time limit, a streamed size cap.
        .target(
            name: "GuardedFetch",
            dependencies: [
                "Deadlines",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OAuthProxy",
            dependencies: [
                "GuardedFetch",
                "Deadlines",
                "WebEncoding",
                "JSON",
                "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        // Composition root and HTTP edge: builds the task-mcp application from its modules and
        // serves /mcp, OAuth, REST, pages and webhooks; OpenStore.swift chooses the storage backend.
        .target(
            name: "TaskMCPServer",
            dependencies: [
                "WebEncoding",
                "JSON",
                "MCPProtocol",
                "ParallelAPI",
                "ParallelSandbox",
                "ServerSentEvents",
                "TaskTools",
                "TaskMCPTools",
                "Storage",
                "SQLiteStorage",
                "PostgresStorage",
                "Deadlines",
                "OAuthProxy",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "TaskMCPCLI",
            dependencies: [
                "CHeap",
                "TaskMCPServer",
                "ParallelSandbox",
                "ParallelAPI",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ParallelSandboxCLI",
            dependencies: [
                "ParallelSandbox",
                "ParallelAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Benchmarks: print figures against an in-run baseline; not part of the tests.
        .executableTarget(
            name: "TaskMCPBenchmarks",
            dependencies: [
                "JSON",
                "MCPProtocol",
                "ParallelAPI",
                "TaskMCPServer",
                "TaskTools",
                "Storage",
                "SQLiteStorage",
                "PostgresStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/TaskMCPBenchmarks",
            swiftSettings: swiftSettings
        ),

        // Helpers every test target may share (a hand-moved clock, polling, hang guards); no
        // dependency on the server's modules, and depended on by test targets only.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),

        // Store fixtures the store test targets share: fixed keys, sample records, a seeded grant
        // (written against `ServerStore`, so for every backend).
        .target(
            name: "StoreTestSupport",
            dependencies: [
                "TestSupport",
                "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/StoreTestSupport",
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "ParallelAPITests",
            dependencies: [
                "JSON",
                "ParallelAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                "ParallelSandbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParallelSandboxTests",
            dependencies: [
                "TestSupport",
                "JSON",
                "ParallelAPI",
                "ParallelSandbox",
                "ServerSentEvents",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskToolsTests",
            dependencies: [
                "CHeap",
                "TestSupport",
                "WebEncoding",
                "JSON",
                "ParallelAPI",
                "ParallelSandbox",
                "TableFiles",
                "TaskTools",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskMCPToolsTests",
            dependencies: [
                "JSON",
                "MCPProtocol",
                "ParallelAPI",
                "TaskTools",
                "TaskMCPTools",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "StoreTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The behaviour every storage backend shares, each test run against every case of
        // `StoreBackend` (Tests/StoreContractTests/StoreBackend.swift).
        .testTarget(
            name: "StoreContractTests",
            dependencies: [
                "TestSupport",
                "StoreTestSupport",
                "Storage",
                "SQLiteStorage",
                "PostgresStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // What only SQLite shows: raw rows, file bytes, the bundled migrations.
        .testTarget(
            name: "SQLiteStorageTests",
            dependencies: [
                "TestSupport",
                "StoreTestSupport",
                "Storage",
                "SQLiteStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OAuthProxyTests",
            dependencies: [
                "TestSupport",
                "WebEncoding",
                "JSON",
                "OAuthProxy",
                "Storage",
                "SQLiteStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs against a real PostgreSQL cluster named by TASK_MCP_TEST_POSTGRES_URL; skipped when unset.
        .testTarget(
            name: "PostgresStorageTests",
            dependencies: [
                "TestSupport",
                "Storage",
                "PostgresStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TableFilesTests",
            dependencies: ["TableFiles", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GuardedFetchTests",
            dependencies: [
                "GuardedFetch",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JSONTests",
            dependencies: ["JSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeadlinesTests",
            dependencies: ["Deadlines"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebEncodingTests",
            dependencies: ["WebEncoding"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MCPProtocolTests",
            dependencies: ["JSON", "MCPProtocol", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerSentEventsTests",
            dependencies: ["ServerSentEvents"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskMCPServerTests",
            dependencies: [
                "TestSupport",
                "WebEncoding",
                "JSON",
                "OAuthProxy",
                "Storage",
                "SQLiteStorage",
                "PostgresStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                "ParallelAPI",
                "ParallelSandbox",
                "ServerSentEvents",
                "TaskMCPServer",
                "TaskTools",
                "TaskMCPTools",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
