// swift-tools-version:6.1
import PackageDescription

/// Compiler settings shared by every Swift target (style guide: set once, here). Release
/// builds keep bounds, overflow and precondition checks: everything that parses input
/// (HTTP, JSON, Jinja, tokenizer, model headers, the API, the Hub client, settings) runs
/// exactly as tested.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// No target is built with `-Ounchecked`: every module keeps Swift's bounds, overflow and
// precondition checks in release builds. The kernels' Swift driver was measured with and
// without it (docs/benchmarks.md, "-Ounchecked on the kernels' driver") and it made no
// difference beyond noise.

/// C micro-kernels are always optimised, also in debug builds, so the test suite
/// (which runs a debug build) exercises the same vector code paths as a release build.
let kernelCSettings: [CSetting] = [
    .unsafeFlags(["-O3", "-fno-math-errno", "-fno-trapping-math", "-Wall"]),
]

let package = Package(
    name: "LFMServe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lfm-serve", targets: ["lfm-serve"]),
        .library(name: "LFMRuntime", targets: ["LFMRuntime"]),
        .library(name: "HTTPServer", targets: ["HTTPServer", "HTTP1", "SocketIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // System libraries and C shims.
        .systemLibrary(name: "CEpoll", path: "Sources/CEpoll"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "CLFMKernels", path: "Sources/CLFMKernels", cSettings: kernelCSettings),

        // Foundation layers.
        .target(name: "OrderedJSON", swiftSettings: swiftSettings),
        // A value behind a pthread mutex (visible to ThreadSanitizer), for state shared between threads.
        .target(name: "Locking", swiftSettings: swiftSettings),
        // HTTP/1.1 codec shared by the server and the Hub client: heads, fields, chunked coding.
        .target(name: "HTTP1", swiftSettings: swiftSettings),
        // TLS over sockets for both roles: OpenSSL contexts, sessions and the error queue, shared likewise.
        .target(name: "SocketIO", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(name: "LFMKernels", dependencies: ["CLFMKernels"], swiftSettings: swiftSettings),
        .target(name: "LFMJinja", dependencies: ["OrderedJSON"], swiftSettings: swiftSettings),
        .target(name: "LFMGrammar", dependencies: ["OrderedJSON", "Locking"], swiftSettings: swiftSettings),
        .target(name: "LFMTokenizer", dependencies: ["LFMJinja", "OrderedJSON"],
                swiftSettings: swiftSettings),
        .target(name: "LFMModel", dependencies: ["LFMKernels", "CLFMKernels", "OrderedJSON"],
                swiftSettings: swiftSettings),
        .target(name: "LFMRuntime",
                dependencies: ["LFMModel", "LFMKernels", "LFMTokenizer", "LFMGrammar", "Locking", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .target(name: "HTTPServer",
                dependencies: ["HTTP1", "SocketIO", "CEpoll", "CZlib", "Locking", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .target(name: "ServeConfiguration",
                dependencies: ["OrderedJSON", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .target(name: "LFMHub",
                dependencies: ["HTTP1", "SocketIO", "COpenSSL", "OrderedJSON", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .target(name: "OpenAIAPI", dependencies: ["HTTPServer", "LFMRuntime", "LFMTokenizer", "LFMGrammar", "OrderedJSON", "Locking",
                                                  .product(name: "Logging", package: "swift-log"),
                                                  .product(name: "Prometheus", package: "swift-prometheus")],
                swiftSettings: swiftSettings),
        .executableTarget(name: "lfm-serve",
                          dependencies: ["LFMRuntime", "LFMTokenizer", "LFMModel", "OrderedJSON", "OpenAIAPI", "HTTPServer", "ServeConfiguration", "LFMGrammar",
                                         "LFMHub", "LFMKernels", "Locking",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: swiftSettings),

        // Fuzzing (docs/reliability.md): mutator + targets as a library, used by lfm-fuzz and its test.
        // Always checked (-O at most): the harness itself must trap on overflow.
        .target(name: "LFMFuzz", dependencies: ["LFMJinja", "LFMModel", "OpenAIAPI", "OrderedJSON", "Locking"],
                swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        .executableTarget(name: "lfm-fuzz",
                          dependencies: ["LFMFuzz", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),

        .executableTarget(name: "kernel-bench", dependencies: ["LFMKernels"], swiftSettings: swiftSettings),
        .executableTarget(name: "http-echo",
                          dependencies: ["HTTPServer", .product(name: "Logging", package: "swift-log")],
                          swiftSettings: swiftSettings),

        // Tests mirror Sources/.
        .target(name: "LFMTestSupport", path: "Tests/LFMTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "OrderedJSONTests", dependencies: ["OrderedJSON", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LFMKernelsTests", dependencies: ["LFMKernels", "CLFMKernels", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LFMGrammarTests", dependencies: ["LFMGrammar", "LFMTokenizer", "OrderedJSON", "LFMTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "LFMJinjaTests", dependencies: ["LFMJinja", "OrderedJSON", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LFMTokenizerTests", dependencies: ["LFMTokenizer", "OrderedJSON", "LFMJinja", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LFMModelTests", dependencies: ["LFMModel", "LFMKernels", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LFMRuntimeTests", dependencies: ["LFMRuntime", "LFMModel", "LFMTokenizer", "LFMGrammar", "OrderedJSON", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPServerTests",
                    dependencies: ["HTTPServer", "HTTP1", "SocketIO", "CEpoll", "Locking", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "ServeConfigurationTests",
                    dependencies: ["ServeConfiguration", "OrderedJSON", "LFMTestSupport", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "LFMHubTests", dependencies: ["LFMHub", "HTTP1", "LFMTestSupport", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "LFMFuzzTests", dependencies: ["LFMFuzz", "LFMTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LockingTests", dependencies: ["Locking"], swiftSettings: swiftSettings),
        .testTarget(name: "OpenAIAPITests", dependencies: ["OpenAIAPI", "HTTPServer", "OrderedJSON", "LFMRuntime", "LFMTokenizer", "LFMGrammar", "LFMTestSupport"],
                    swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
