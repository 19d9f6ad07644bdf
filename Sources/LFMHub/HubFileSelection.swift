import OrderedJSON

/// Which files of a repository to fetch: only what lfm-serve loads, never the whole repository
/// (which may hold ONNX exports, other formats and every GGUF quantization).
public struct HubFilePlan: Sendable, Equatable {
    /// How the model will be loaded.
    public enum Format: Sendable, Equatable {
        /// A Hugging Face folder: load the snapshot folder.
        case safetensors
        /// One GGUF file: load that file of the snapshot.
        case gguf(file: String)
    }

    public var format: Format
    /// Files to download, in order: small metadata first, weights last (so a snapshot that has
    /// its weights linked also has its configuration).
    public var files: [String]
    /// The safetensors index, when the weights are sharded; its shards are added with
    /// ``addingShards(_:)`` once it has been downloaded.
    public var index: String?

    /// The path to load, relative to the snapshot folder ("" for the folder itself).
    public var entry: String {
        if case .gguf(let file) = format { return file }
        return ""
    }

    /// The plan with the shard files named by the index appended (deduplicated).
    public func addingShards(_ shards: [String]) -> HubFilePlan {
        var p = self
        for s in shards where !p.files.contains(s) { p.files.append(s) }
        return p
    }
}

/// The choice of files, from a repository listing (`siblings[].rfilename`) or a cached snapshot.
public enum HubFileSelection {
    /// Files a Hugging Face folder is loaded with (besides weights), fetched when present.
    public static let metadataFiles = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json", "chat_template.jinja",
    ]
    /// Single-file safetensors weights.
    public static let singleWeights = "model.safetensors"
    /// Sharded safetensors weights: the index naming the shards.
    public static let weightsIndex = "model.safetensors.index.json"

    /// Plans the download from a repository listing.
    ///
    /// A `quantization` selector means GGUF. Without one, safetensors weights are preferred
    /// (the reference format), then GGUF with the default quantization.
    public static func plan(siblings: [String], quantization: String?, repo: String) throws(HubError) -> HubFilePlan {
        let present = Set(siblings)
        let ggufs = GGUFSelector.modelFiles(in: siblings)
        if let quantization {
            guard !ggufs.isEmpty else { throw .notAGGUFRepository(repo: repo, selector: quantization) }
            let file = try GGUFSelector.choose(ggufs, selector: quantization, repo: repo)
            return HubFilePlan(format: .gguf(file: file), files: [file], index: nil)
        }
        let metadata = metadataFiles.filter(present.contains)
        if present.contains(singleWeights) || present.contains(weightsIndex) {
            guard present.contains("config.json") else { throw .missingConfig(repo: repo) }
            if present.contains(singleWeights) {
                return HubFilePlan(format: .safetensors, files: metadata + [singleWeights], index: nil)
            }
            return HubFilePlan(format: .safetensors, files: metadata + [weightsIndex], index: weightsIndex)
        }
        if !ggufs.isEmpty {
            let file = try GGUFSelector.choose(ggufs, selector: nil, repo: repo)
            return HubFilePlan(format: .gguf(file: file), files: [file], index: nil)
        }
        throw .noLoadableWeights(repo: repo, files: siblings.sorted())
    }

    /// The shard files named by a safetensors index (`weight_map` values), in first-use order.
    /// - Throws: `protocolError` for an index that is not JSON or has no `weight_map`,
    ///   `unsafeFileName` for a shard name that would leave the snapshot folder.
    public static func shards(fromIndex bytes: [UInt8], name: String = weightsIndex) throws(HubError) -> [String] {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .protocolError("\(name) is not valid JSON: \(error)") }
        guard let map = json["weight_map"]?.objectValue else { throw .protocolError("\(name) has no \"weight_map\" object") }
        var seen = Set<String>()
        var out: [String] = []
        for (_, value) in map {
            guard let file = value.stringValue else { throw .protocolError("\(name): a weight_map value is not a file name") }
            try HubCache.validateRelativeFileName(file)
            if seen.insert(file).inserted { out.append(file) }
        }
        guard !out.isEmpty else { throw .protocolError("\(name) names no shard files") }
        return out
    }

    /// What a cached snapshot offers for a reference.
    public enum CacheLookup: Sendable, Equatable {
        /// The snapshot is complete for this reference: load `entry` inside it ("" = the folder).
        case hit(entry: String)
        /// It is not; `reason` says what is missing (shown in offline-mode errors).
        case miss(reason: String)
    }

    /// Decides from the files of a cached snapshot (no network) whether it can be loaded as is.
    ///
    /// A folder needs config.json, tokenizer.json and its weights (every shard of an index).
    /// A GGUF needs the file the selector picks among the cached ones; without a selector and
    /// several cached GGUF files, `exactDefault` (online) requires the default quantization
    /// to be cached, while offline the default is chosen among what is there.
    public static func lookup(snapshotFiles: [String], quantization: String?, exactDefault: Bool, repo: String,
                              readFile: (String) -> [UInt8]?) -> CacheLookup {
        let present = Set(snapshotFiles)
        let ggufs = GGUFSelector.modelFiles(in: snapshotFiles)
        if let quantization {
            guard !ggufs.isEmpty else { return .miss(reason: "no GGUF file is cached") }
            do {
                return .hit(entry: try GGUFSelector.choose(ggufs, selector: quantization, repo: repo))
            } catch {
                return .miss(reason: "no cached GGUF file matches ':\(quantization)' (cached: \(GGUFSelector.availableLabels(ggufs).joined(separator: ", ")))")
            }
        }
        if present.contains("config.json") && present.contains("tokenizer.json") {
            if present.contains(singleWeights) { return .hit(entry: "") }
            if present.contains(weightsIndex) {
                guard let bytes = readFile(weightsIndex), let shards = try? shards(fromIndex: bytes) else {
                    return .miss(reason: "the cached \(weightsIndex) cannot be read")
                }
                let missing = shards.filter { !present.contains($0) }
                return missing.isEmpty ? .hit(entry: "") : .miss(reason: "weight shards missing: \(missing.joined(separator: ", "))")
            }
        }
        if ggufs.count == 1 { return .hit(entry: ggufs[0]) }
        if !ggufs.isEmpty {
            if let f = ggufs.first(where: { GGUFSelector.label(of: $0).uppercased() == GGUFSelector.defaultPreference[0] }) {
                return .hit(entry: f)
            }
            if exactDefault { return .miss(reason: "several GGUF files are cached and none is the default \(GGUFSelector.defaultPreference[0])") }
            if let f = try? GGUFSelector.choose(ggufs, selector: nil, repo: repo) { return .hit(entry: f) }
        }
        if present.isEmpty { return .miss(reason: "the snapshot folder is empty") }
        return .miss(reason: "no complete set of weights (config.json, tokenizer.json and model.safetensors, its shards, or a .gguf) is cached")
    }
}
