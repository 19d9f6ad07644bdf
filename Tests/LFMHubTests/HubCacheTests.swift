import Foundation
import LFMTestSupport
import Testing
@testable import LFMHub

@Suite struct HubCacheTests {
    let cache = HubCache(root: "/c/hub/")

    @Test func layoutMatchesHuggingFaceHub() {
        #expect(cache.root == "/c/hub")
        #expect(HubCache.repoFolderName("LiquidAI/LFM2-350M") == "models--LiquidAI--LFM2-350M")
        #expect(cache.repoDirectory("a/b") == "/c/hub/models--a--b")
        #expect(cache.blobPath("a/b", etag: "e1") == "/c/hub/models--a--b/blobs/e1")
        #expect(cache.incompletePath("a/b", etag: "e1") == "/c/hub/models--a--b/blobs/e1.incomplete")
        #expect(cache.refPath("a/b", revision: "main") == "/c/hub/models--a--b/refs/main")
        #expect(cache.refPath("a/b", revision: "refs/pr/1") == "/c/hub/models--a--b/refs/refs/pr/1")
        #expect(cache.snapshotPath("a/b", commit: "c0", file: "onnx/model.onnx") == "/c/hub/models--a--b/snapshots/c0/onnx/model.onnx")
        #expect(cache.lockPath("a/b", etag: "e1") == "/c/hub/.locks/models--a--b/e1.lock")
    }

    @Test func symlinkTargetsAreRelativeToTheFilesFolder() {
        #expect(HubCache.symlinkTarget(file: "config.json", etag: "e") == "../../blobs/e")
        #expect(HubCache.symlinkTarget(file: "onnx/model.onnx", etag: "e") == "../../../blobs/e")
        #expect(HubCache.symlinkTarget(file: "a/b/c", etag: "e") == "../../../../blobs/e")
    }

    @Test func cacheDirectoryPrecedence() {
        #expect(HubEnvironment.cacheDirectory(environment: ["HOME": "/home/u"]) == "/home/u/.cache/huggingface/hub")
        #expect(HubEnvironment.cacheDirectory(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/x"]) == "/x/huggingface/hub")
        #expect(HubEnvironment.cacheDirectory(environment: ["HOME": "/home/u", "HF_HOME": "~/hf"]) == "/home/u/hf/hub")
        #expect(HubEnvironment.cacheDirectory(environment: ["HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy"]) == "/legacy")
        #expect(HubEnvironment.cacheDirectory(environment: ["HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "/new"]) == "/new")
    }

    @Test func environmentSettings() {
        let e = HubEnvironment(environment: ["HOME": "/h", "HF_ENDPOINT": "http://mirror:8080/", "HF_TOKEN": " hf_x \n", "HF_HUB_OFFLINE": "yes"],
                               readFile: { _ in Issue.record("token file read although HF_TOKEN is set"); return nil })
        #expect(e == HubEnvironment(endpoint: "http://mirror:8080", token: "hf_x", offline: true, cacheDirectory: "/h/.cache/huggingface/hub"))
        let d = HubEnvironment(environment: ["HOME": "/h", "HF_HUB_OFFLINE": "0"], readFile: { $0 == "/h/.cache/huggingface/token" ? "hf_file\n" : nil })
        #expect(d.endpoint == "https://huggingface.co" && d.token == "hf_file" && !d.offline)
        #expect(HubEnvironment(environment: ["HOME": "/h", "HF_TOKEN_PATH": "/t"], readFile: { $0 == "/t" ? "tok" : nil }).token == "tok")
        #expect(HubEnvironment(environment: ["HOME": "/h", "HF_TOKEN": ""], readFile: { _ in "file" }).token == nil)
        #expect(HubEnvironment(environment: ["HOME": "/h", "TRANSFORMERS_OFFLINE": "1"]).offline)
        for v in ["1", "ON", "true", "Yes"] { #expect(HubEnvironment.isTrue(v)) }
        for v in ["0", "off", "", "no", nil] { #expect(!HubEnvironment.isTrue(v)) }
    }

    @Test func unsafeFileNamesAreRefused() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b", "a/."] {
            #expect(throws: HubError.unsafeFileName(bad)) { try HubCache.validateRelativeFileName(bad) }
        }
        for good in ["config.json", "onnx/model.onnx", "a..b", ".gitattributes"] {
            #expect(throws: Never.self) { try HubCache.validateRelativeFileName(good) }
        }
    }

    @Test func etags() {
        #expect(HubCache.normalizeETag("W/\"abc\"") == "abc")
        #expect(HubCache.normalizeETag(" \"abc\" ") == "abc")
        #expect(HubCache.isSHA256(String(repeating: "ab", count: 32)))
        #expect(!HubCache.isSHA256(String(repeating: "AB", count: 32)))
        #expect(HubCache.isGitSHA1(String(repeating: "a1", count: 20)))
        #expect(!HubCache.isGitSHA1("a1"))
    }

    @Test func refsAndLinksOnDisk() throws {
        let dir = try Fixtures.temporaryDirectory("hub-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = HubCache(root: dir.path)
        let commit = String(repeating: "c", count: 40)
        #expect(cache.readRef("a/b", revision: "main") == nil)
        try cache.writeRef("a/b", revision: "main", commit: commit)
        try cache.writeRef("a/b", revision: "refs/pr/1", commit: commit)
        #expect(cache.readRef("a/b", revision: "main") == commit)
        #expect(cache.readRef("a/b", revision: "refs/pr/1") == commit)
        try cache.writeRef("a/b", revision: commit, commit: commit)  // a commit needs no ref
        #expect(!FileManager.default.fileExists(atPath: cache.refPath("a/b", revision: commit)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.repoDirectory("a/b") + "/refs").sorted() == ["main", "refs"])

        try HubCache.makeDirectory(cache.repoDirectory("a/b") + "/blobs")
        try HubCache.writeFile(cache.blobPath("a/b", etag: "e1"), Array("one".utf8))
        try HubCache.writeFile(cache.blobPath("a/b", etag: "e2"), Array("two".utf8))
        try cache.linkSnapshotFile("a/b", commit: commit, file: "sub/f.txt", etag: "e1")
        try cache.linkSnapshotFile("a/b", commit: commit, file: "sub/f.txt", etag: "e1")  // idempotent
        let link = cache.snapshotPath("a/b", commit: commit, file: "sub/f.txt")
        #expect(HubCache.readLink(link) == "../../../blobs/e1")
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "one")
        try cache.linkSnapshotFile("a/b", commit: commit, file: "sub/f.txt", etag: "e2")  // repointed
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "two")
        try cache.linkSnapshotFile("a/b", commit: commit, file: "broken", etag: "missing")
        #expect(cache.snapshotFiles("a/b", commit: commit) == ["sub/f.txt"])

        cache.writeCacheDirTag()
        #expect(try String(contentsOfFile: dir.path + "/CACHEDIR.TAG", encoding: .utf8) == HubCache.cacheDirTagContent)
    }

    @Test func lockExcludesASecondHolder() throws {
        let dir = try Fixtures.temporaryDirectory("hub-lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.path + "/.locks/models--a--b/e.lock"
        let first = try FileLock.acquire(path) { Issue.record("the first lock waited") }
        // flock locks belong to the open file description: a second open in this process conflicts.
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) != 0)
        first.unlock()
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    }
}
