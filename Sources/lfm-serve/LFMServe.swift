import ArgumentParser

/// `lfm-serve`: an OpenAI-compatible inference server for Liquid AI's LFM2 / LFM2.5 models,
/// and the command-line tools around its engine.
@main
struct LFMServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lfm-serve",
        abstract: "Serve and run Liquid AI LFM2 / LFM2.5 models on the CPU.",
        version: LFMServeVersion.string,
        subcommands: [Serve.self, Complete.self, Tokenize.self, Render.self, Bench.self, Download.self],
        defaultSubcommand: Serve.self)
}

/// The version reported by `--version` and `GET /version`.
enum LFMServeVersion {
    static let string = "0.1.0"
}
