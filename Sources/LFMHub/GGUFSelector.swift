/// Picks one `.gguf` file of a repository by a quantization selector such as `Q4_K_M`,
/// like llama-server's `-hf owner/name:Q4_K_M`.
///
/// Matching is case-insensitive: first on the quantization label of each file name
/// (`LFM2-350M-Q4_K_M.gguf` → `Q4_K_M`), then, when no label equals the selector, on the
/// file name containing it. Exactly one file must match; otherwise the error lists the
/// choices. Without a selector the default is `Q4_K_M` (as llama-server), else the first of
/// a short preference list, else the first file by name.
public enum GGUFSelector {
    /// Quantizations tried in order when no selector is given.
    public static let defaultPreference = ["Q4_K_M", "Q4_0", "Q5_K_M", "Q6_K", "Q8_0", "F16", "BF16", "F32"]

    /// The `.gguf` files of a listing that hold a model: vision projectors (`mmproj`) are left out.
    public static func modelFiles(in files: [String]) -> [String] {
        files.filter {
            let lower = $0.lowercased()
            return lower.hasSuffix(".gguf") && !baseName(lower).contains("mmproj")
        }.sorted()
    }

    /// The quantization label of a GGUF file name: the last `-`/`.`-separated part of the name
    /// that looks like a quantization (`Q4_K_M`, `IQ2_XS`, `Q8_0`, `F16`, `BF16`, …), else the
    /// whole name without `.gguf`.
    public static func label(of file: String) -> String {
        var stem = Substring(baseName(file))
        if stem.lowercased().hasSuffix(".gguf") { stem = stem.dropLast(5) }
        let parts = stem.split(whereSeparator: { $0 == "-" || $0 == "." })
        for part in parts.reversed() where looksLikeQuantization(part) { return String(part) }
        return String(stem)
    }

    /// Chooses the file for `selector` among `files` (already filtered by ``modelFiles(in:)``).
    /// - Throws: `noMatchingQuantization` (listing the available labels) or `ambiguousQuantization`.
    public static func choose(_ files: [String], selector: String?, repo: String) throws(HubError) -> String {
        guard !files.isEmpty else { throw .noLoadableWeights(repo: repo, files: []) }
        guard let selector else {
            if files.count == 1 { return files[0] }
            for q in defaultPreference {
                if let f = files.first(where: { label(of: $0).uppercased() == q }) { return f }
            }
            return files[0]
        }
        let wanted = selector.lowercased()
        let exact = files.filter { label(of: $0).lowercased() == wanted }
        if exact.count == 1 { return exact[0] }
        if exact.count > 1 { throw .ambiguousQuantization(repo: repo, selector: selector, matches: exact) }
        let containing = files.filter { baseName($0).lowercased().contains(wanted) }
        if containing.count == 1 { return containing[0] }
        if containing.count > 1 { throw .ambiguousQuantization(repo: repo, selector: selector, matches: containing) }
        throw .noMatchingQuantization(repo: repo, selector: selector, available: availableLabels(files))
    }

    /// The distinct labels of `files`, in file-name order, for error messages.
    public static func availableLabels(_ files: [String]) -> [String] {
        var seen = Set<String>()
        return files.map(label(of:)).filter { seen.insert($0.uppercased()).inserted }
    }

    static func looksLikeQuantization(_ part: Substring) -> Bool {
        let u = part.uppercased()
        if ["F16", "F32", "F64", "BF16", "FP16", "FP32"].contains(u) { return true }
        if u.hasPrefix("MXFP") { return true }
        for prefix in ["IQ", "TQ", "Q"] where u.hasPrefix(prefix) {
            let rest = u.dropFirst(prefix.count)
            if let d = rest.first, d.isASCII, d.isNumber { return true }
        }
        return false
    }

    static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
