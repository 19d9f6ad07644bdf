import ArgumentParser
import Foundation
import LFMHub
import Logging

/// `lfm-serve download`: fetches a model from the Hugging Face Hub into the cache and prints
/// the local path, for pre-seeding images and offline machines.
struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a model from the Hugging Face Hub into the cache and print its local path.",
        discussion: """
            Only the files lfm-serve loads are fetched: config, tokenizer, chat template and \
            weights (or the one GGUF file picked by :QUANT). Honours HF_ENDPOINT, HF_TOKEN, \
            HF_HUB_OFFLINE, HF_HOME and HF_HUB_CACHE. See docs/models.md.
            """)

    @Argument(help: "Hub repository: owner/name[@revision][:QUANT], e.g. LiquidAI/LFM2-350M or LiquidAI/LFM2-350M-GGUF:Q4_K_M.")
    var model: String

    @Option(help: "Branch, tag or commit to fetch (the same as @revision; default main).")
    var revision: String?

    @Flag(help: "Ask the Hub for the revision's current commit even when the cache already holds a complete snapshot.")
    var refresh = false

    @Flag(help: "Re-hash the cached files against their etags; corrupt ones are removed and downloaded again.")
    var verify = false

    @Option(name: .customLong("log-level"), help: "trace | debug | info | notice | warning | error | critical")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        if revision != nil && model.contains("@") { throw ValidationError("give the revision once: either @revision or --revision") }
    }

    func run() throws {
        var logger = Logger(label: "lfm-serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // Here the text always names a repository, even if a folder of that name exists.
        var reference = try HubModelReference(parsing: model)
        if let revision {
            try HubModelReference.validateRevision(revision)
            reference.revision = revision
        }
        let resolved = try HubDownloader(configuration: .lfmServe(refresh: refresh, verify: verify), logger: logger).resolve(reference)
        print(resolved.path)
    }
}
