import ArgumentParser

/// `lfm-serve`: an OpenAI-compatible inference server for Liquid AI's LFM2 / LFM2.5 models,
/// and the command-line tools around its engine.
@main
struct LFMServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lfm-serve",
        abstract: "Serve and run Liquid AI LFM2 / LFM2.5 models on the CPU.",
        version: LFMServeVersion.string,
        subcommands: [Serve.self, Complete.self, Tokenize.self, Render.self, Bench.self, Download.self, GrammarCheck.self],
        defaultSubcommand: Serve.self)

    /// `lfm-serve --help` shows the server's flags (the default command) and then the other
    /// commands, since most users never type `serve`.
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args == ["--help"] || args == ["-h"] || args == ["help"] {
            print(Serve.helpMessage(for: Serve.self, columns: nil).replacingOccurrences(of: "USAGE: serve", with: "USAGE: lfm-serve [serve]"))
            print("\nOTHER COMMANDS:")
            for command in configuration.subcommands where command != Serve.self {
                let name = command._commandName
                print("  " + name + String(repeating: " ", count: max(2, 14 - name.count)) + command.configuration.abstract)
            }
            print("\n  See 'lfm-serve help <command>' for a command's options.")
            return
        }
        main(nil)
    }
}

/// The version reported by `--version` and `GET /version`.
enum LFMServeVersion {
    static let string = "0.1.0"
}
