import ArgumentParser
import Foundation
import LFMHub
import Logging

/// `--model` as a Hugging Face Hub reference: resolved to a local snapshot path before loading.
extension ModelOptions {
    /// The path to load: `--model` itself when it is a local path, else the snapshot folder
    /// (or GGUF file) in the Hugging Face cache, downloaded first when missing.
    /// - Throws: `HubError` with a message naming the repository and what to do.
    func resolvedModelPath(logger: Logger) throws -> String {
        try ModelPath.resolve(model, logger: logger)
    }

    /// The model id `/v1/models` reports when `--served-model-name` is not given: the Hub
    /// repository id (`LiquidAI/LFM2-350M`, without `@revision` or `:QUANT`), else the
    /// local path's last component.
    var defaultServedModelName: String {
        if case .hub(let reference)? = try? ModelPath.reference(model) { return reference.repoID }
        return URL(fileURLWithPath: model).lastPathComponent
    }

    /// The logger used for downloads when the subcommand does not pass its own.
    static func makeDefaultLogger() -> Logger {
        var logger = Logger(label: "lfm-serve")
        logger.logLevel = .info
        return logger
    }
}

/// A `--model` value (of `ModelOptions`, or of `tokenize`, `render` and `bench`, which take
/// `--model` directly) turned into a local path.
enum ModelPath {
    /// The parsed value: an existing local path always wins over a Hub repository id.
    static func reference(_ text: String) throws -> ModelReference {
        try ModelReference.parse(text, fileExists: { FileManager.default.fileExists(atPath: $0) })
    }

    /// `text` itself when it is a local path, else the cache path of the Hub reference,
    /// downloaded first when missing (HF_HUB_OFFLINE: from the cache only).
    static func resolve(_ text: String, logger: Logger = ModelOptions.makeDefaultLogger()) throws -> String {
        switch try reference(text) {
        case .local(let path):
            return path
        case .hub(let ref):
            return try HubDownloader(configuration: .lfmServe(), logger: logger).resolve(ref).path
        }
    }
}

extension HubDownloader.Configuration {
    /// Settings from the process environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME,
    /// HF_HUB_CACHE), with a progress line when stderr is a terminal and log lines otherwise.
    static func lfmServe(refresh: Bool = false, verify: Bool = false) -> HubDownloader.Configuration {
        var c = HubDownloader.Configuration(environment: HubEnvironment(environment: ProcessInfo.processInfo.environment))
        c.progress = isatty(STDERR_FILENO) == 1 ? .terminal : .log
        c.userAgent = "lfm-serve/\(LFMServeVersion.string)"
        c.refresh = refresh
        c.verify = verify
        return c
    }
}
