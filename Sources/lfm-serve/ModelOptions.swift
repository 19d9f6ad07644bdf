import ArgumentParser
import Foundation
import LFMModel
import LFMRuntime
import Logging

/// `--model` and `--threads`, shared by every subcommand that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model: a Hugging Face folder (config.json + safetensors), a .gguf file, or a Hub repo owner/name[@revision][:QUANT] (downloaded into the Hugging Face cache).")
    var model: String

    @Option(name: .long, help: "Compute threads (default: one per CPU).")
    var threads: Int = ThreadPoolDefaults.threads

    func validate() throws {
        guard threads >= 1 && threads <= 1024 else { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
    }

    /// Loads the model (downloading it first when `--model` names a Hub repository), showing
    /// progress on a terminal, and prints its facts to stderr.
    func load(quiet: Bool = false, logger: Logger? = nil) throws -> LoadedModel {
        let path = try resolvedModelPath(logger: logger ?? Self.makeDefaultLogger())
        let start = Date()
        let tty = isatty(STDERR_FILENO) == 1
        if tty && !quiet { FileHandle.standardError.write(Data("loading \(model) …\r".utf8)) }
        let loaded: LoadedModel
        do {
            loaded = try LoadedModel.load(path: path)
        } catch {
            throw ValidationError("cannot load model: \(error)")
        }
        if !quiet { FileHandle.standardError.write(Data((Self.facts(loaded, path: model, since: start) + "\n").utf8)) }
        return loaded
    }

    /// One line about a loaded model: load time, shape, parameters, weight types, file size, RSS.
    static func facts(_ loaded: LoadedModel, path: String, since start: Date) -> String {
        let c = loaded.checkpoint.config
        let types = loaded.checkpoint.typeCounts.sorted { $0.value > $1.value }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        return String(format: "loaded %@ in %.2f s: %d layers (%d conv + %d attention), hidden %d, %.1fM params, %@, file %.1f MiB, RSS %.1f MiB",
                      path, Date().timeIntervalSince(start), c.numLayers, c.convLayerCount, c.attentionLayerCount, c.hiddenSize,
                      Double(loaded.checkpoint.parameterCount) / 1e6, types, Double(loaded.checkpoint.fileBytes) / 1048576,
                      Double(ProcessInfo.residentBytes) / 1048576)
    }
}

