// swift-tools-version:6.0
import PackageDescription

/// Module layout follows ../shared/DESIGN.md: dependencies point downwards and the pure
/// modules (SchemaModel, SchemaDiff, SchemaPlanner, Manifest) do no I/O.
let package = Package(
    name: "drover",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "drover", targets: ["drover"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // C libraries, wrapped through pkg-config and nothing else.
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2",
                       providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),

        // Swift wrappers: the only importers of the C modules.
        .target(name: "Git", dependencies: ["CGit2"]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "SQLText"]),
        /// A private PostgreSQL cluster (initdb + postgres from the local install).
        .target(name: "PostgresServer", dependencies: ["Postgres"]),

        // Pure modules.
        /// The one place SQL identifiers and literals are quoted.
        .target(name: "SQLText"),
        .target(name: "Manifest", dependencies: ["Yams", "SchemaModel"]),
        .target(name: "SchemaModel", dependencies: ["SQLText"]),
        .target(name: "SchemaDiff", dependencies: ["SchemaModel", "SQLText"]),
        .target(name: "SchemaPlanner", dependencies: ["SchemaModel", "SchemaDiff", "SQLText"]),

        // Catalog reader.
        .target(name: "SchemaInspector", dependencies: ["SchemaModel", "Postgres"]),

        // One reconcile, and the daemon around it.
        .target(name: "Reconciler", dependencies: [
            "Manifest", "SchemaModel", "SchemaDiff", "SchemaPlanner", "SchemaInspector",
            "Postgres", "PostgresServer", "SQLText",
        ]),
        .target(name: "Daemon", dependencies: [
            "Reconciler", "Manifest", "SchemaDiff", "Git", "Postgres", "PostgresServer", "SQLText", "Yams",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], linkerSettings: [
            // Webhooks go through FoundationNetworking (libcurl); a --static-swift-stdlib
            // build must name libcurl itself.
            .linkedLibrary("curl", .when(platforms: [.linux])),
        ]),
        .executableTarget(name: "drover", dependencies: [
            "Daemon", "Reconciler", "SchemaModel", "SQLText",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test support shared by every test target: throwaway PostgreSQL, real git repositories.
        .target(name: "TestSupport", dependencies: ["Postgres", "PostgresServer", "SQLText"], path: "Tests/TestSupport"),

        .testTarget(name: "GitTests", dependencies: ["Git", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "PostgresServer", "SQLText", "TestSupport"]),
        .testTarget(name: "ManifestTests", dependencies: ["Manifest", "SchemaModel"]),
        .testTarget(name: "SchemaDiffTests", dependencies: ["SchemaModel", "SchemaDiff", "SchemaPlanner", "SQLText"]),
        .testTarget(name: "ReconcilerTests", dependencies: ["Reconciler", "SchemaInspector", "SchemaPlanner", "Manifest", "Postgres", "PostgresServer", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: [
            "Daemon", "Git", "Manifest", "Postgres", "Reconciler", "TestSupport",
            .product(name: "FlyingFox", package: "FlyingFox"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
