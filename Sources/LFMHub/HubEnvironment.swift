#if canImport(Glibc)
import Glibc
#endif

/// The Hub settings taken from the environment, with the names and precedence of
/// huggingface_hub (`huggingface_hub/constants.py`), so one set of variables configures
/// both lfm-serve and Python tools sharing the cache.
public struct HubEnvironment: Sendable, Equatable {
    /// Base URL of the Hub, without a trailing `/` (`HF_ENDPOINT`, default `https://huggingface.co`).
    public var endpoint: String
    /// Access token sent as `Authorization: Bearer` to the Hub (`HF_TOKEN`, else the file
    /// `huggingface-cli login` / `hf auth login` writes). Never logged.
    public var token: String?
    /// Use the cache only, make no network call (`HF_HUB_OFFLINE`, or `TRANSFORMERS_OFFLINE`).
    public var offline: Bool
    /// The hub cache folder holding `models--OWNER--NAME` (`HF_HUB_CACHE`, …, see ``cacheDirectory(environment:)``).
    public var cacheDirectory: String
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`.
    package var proxies = ProxySettings()

    /// The Hub everybody uses.
    public static let defaultEndpoint = "https://huggingface.co"

    public init(endpoint: String = HubEnvironment.defaultEndpoint, token: String? = nil, offline: Bool = false, cacheDirectory: String) {
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
        self.cacheDirectory = cacheDirectory
    }

    /// Reads the variables from `environment`; `readFile` reads the stored token (injected for tests).
    public init(environment: [String: String], readFile: (String) -> String? = HubEnvironment.readSmallFile) {
        var endpoint = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.offline = Self.isTrue(environment["HF_HUB_OFFLINE"] ?? environment["TRANSFORMERS_OFFLINE"])
        self.cacheDirectory = Self.cacheDirectory(environment: environment)
        self.proxies = ProxySettings(environment: environment)
        if let t = environment["HF_TOKEN"] ?? environment["HUGGING_FACE_HUB_TOKEN"] {
            let trimmed = t.trimmingWhitespace
            self.token = trimmed.isEmpty ? nil : trimmed
        } else {
            let path = environment["HF_TOKEN_PATH"].map { Self.expandUser($0, environment: environment) }
                ?? Self.join(Self.home(environment: environment), "token")
            let stored = readFile(path)?.trimmingWhitespace
            self.token = (stored?.isEmpty ?? true) ? nil : stored
        }
    }

    /// `HF_HOME`, default `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`.
    public static func home(environment: [String: String]) -> String {
        if let h = environment["HF_HOME"], !h.isEmpty { return expandUser(h, environment: environment) }
        let xdg = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : expandUser($0, environment: environment) }
            ?? join(userHome(environment: environment), ".cache")
        return join(xdg, "huggingface")
    }

    /// The hub cache: `HF_HUB_CACHE`, else the legacy `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`.
    public static func cacheDirectory(environment: [String: String]) -> String {
        for key in ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"] {
            if let v = environment[key], !v.isEmpty { return expandUser(v, environment: environment) }
        }
        return join(home(environment: environment), "hub")
    }

    /// huggingface_hub's `_is_true`: 1, ON, YES or TRUE in any case.
    static func isTrue(_ value: String?) -> Bool {
        guard let v = value?.trimmingWhitespace.uppercased() else { return false }
        return ["1", "ON", "YES", "TRUE"].contains(v)
    }

    /// `~` and `~/…` expanded with `$HOME` (Python's `os.path.expanduser` for the current user).
    static func expandUser(_ path: String, environment: [String: String]) -> String {
        if path == "~" { return userHome(environment: environment) }
        if path.hasPrefix("~/") { return join(userHome(environment: environment), String(path.dropFirst(2))) }
        return path
    }

    static func userHome(environment: [String: String]) -> String {
        if let h = environment["HOME"], !h.isEmpty { return h }
        if let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    static func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Reads a file of at most 64 KiB as UTF-8, nil when absent or unreadable.
    public static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 65536)
        var n = 0
        while n < bytes.count {
            let r = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + n, $0.count - n) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { break }
            n += r
        }
        return String(decoding: bytes[..<n], as: UTF8.self)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines (no Foundation needed).
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
