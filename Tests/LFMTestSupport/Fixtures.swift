import Foundation

/// Locates checked-in test fixtures (Tests/Fixtures) from the test sources, so tests need
/// no bundle resources and run the same from any working directory.
public enum Fixtures {
    /// The repository's Tests/Fixtures folder.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // LFMTestSupport
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures")

    /// The repository's top folder (Package.swift, config/, docs/).
    public static let repositoryRoot: URL = root.deletingLastPathComponent().deletingLastPathComponent()

    /// A path inside Tests/Fixtures.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Reads a JSON Lines file into parsed objects.
    public static func jsonLines(_ relative: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: url(relative), encoding: .utf8)
        return try text.split(separator: "\n", omittingEmptySubsequences: true).map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// A fresh temporary directory. It lies inside this process's parent folder, which is
    /// removed when the process exits, so what a test leaves behind does not pile up in /tmp.
    public static func temporaryDirectory(_ name: String = "lfm-test") throws -> URL {
        let dir = temporaryParent.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// This process's folder of temporary directories (removed at exit).
    static let temporaryParent: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lfm-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        atexit { try? FileManager.default.removeItem(at: Fixtures.temporaryParent) }
        return dir
    }()
}
