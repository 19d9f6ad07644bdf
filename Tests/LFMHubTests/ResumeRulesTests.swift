import Logging
import Testing
@testable import LFMHub

@Suite struct ResumeRulesTests {
    @Test func startFromThePartialFile() {
        #expect(ResumeRules.start(existingBytes: 0, expectedSize: 100) == .fresh)
        #expect(ResumeRules.start(existingBytes: 40, expectedSize: 100) == .resume(from: 40))
        #expect(ResumeRules.start(existingBytes: 100, expectedSize: 100) == .verifyOnly)
        #expect(ResumeRules.start(existingBytes: 140, expectedSize: 100) == .fresh)
        #expect(ResumeRules.start(existingBytes: 40, expectedSize: nil) == .resume(from: 40))
        #expect(ResumeRules.rangeHeader(existingBytes: 0) == nil)
        #expect(ResumeRules.rangeHeader(existingBytes: 40) == "bytes=40-")
    }

    @Test func contentRange() {
        #expect(ResumeRules.parseContentRange("bytes 40-99/100") == .init(first: 40, last: 99, completeLength: 100))
        #expect(ResumeRules.parseContentRange("Bytes 0-0/*") == .init(first: 0, last: 0, completeLength: nil))
        for bad in ["bytes */100", "bytes 50-40/100", "bytes 0-99/99", "items 0-1/2", "bytes 0-1", ""] {
            #expect(ResumeRules.parseContentRange(bad) == nil, "\(bad)")
        }
    }

    @Test func answers() {
        #expect(ResumeRules.answer(existingBytes: 40, status: 206, contentRange: "bytes 40-99/100") == .write(keep: 40))
        #expect(ResumeRules.answer(existingBytes: 40, status: 206, contentRange: "bytes 0-99/100") == .discardAndRetry)
        #expect(ResumeRules.answer(existingBytes: 40, status: 206, contentRange: nil) == .discardAndRetry)
        #expect(ResumeRules.answer(existingBytes: 40, status: 200, contentRange: nil) == .write(keep: 0))  // Range ignored
        #expect(ResumeRules.answer(existingBytes: 0, status: 200, contentRange: nil) == .write(keep: 0))
        #expect(ResumeRules.answer(existingBytes: 100, status: 416, contentRange: "bytes */100") == .discardAndRetry)
        #expect(ResumeRules.answer(existingBytes: 0, status: 403, contentRange: nil) == .failure)
        #expect(ResumeRules.completeLength(status: 206, contentRange: "bytes 40-99/100", contentLength: "60") == 100)
        #expect(ResumeRules.completeLength(status: 200, contentRange: nil, contentLength: " 60 ") == 60)
        #expect(ResumeRules.completeLength(status: 200, contentRange: nil, contentLength: nil) == nil)
    }
}

@Suite struct DownloadProgressTests {
    @Test func formatting() {
        #expect(DownloadProgress.formatBytes(512) == "512 B")
        #expect(DownloadProgress.formatBytes(1536) == "1.5 KiB")
        #expect(DownloadProgress.formatBytes(47_395_635) == "45.2 MiB")
        #expect(DownloadProgress.formatBytes(1_503_238_554) == "1.40 GiB")
        #expect(DownloadProgress.formatDuration(5) == "0:05")
        #expect(DownloadProgress.formatDuration(112) == "1:52")
        #expect(DownloadProgress.formatDuration(3723) == "1:02:03")
        #expect(DownloadProgress.line(file: "model.safetensors", done: 47_395_635, total: 1_503_238_554, bytesPerSecond: 12_897_485)
                == "model.safetensors  45.2 MiB / 1.40 GiB  3%  12.3 MiB/s  ETA 1:53")
        #expect(DownloadProgress.line(file: "a", done: 10, total: nil, bytesPerSecond: 0) == "a  10 B  -- B/s")
        #expect(DownloadProgress.line(file: "a", done: 10, total: 10, bytesPerSecond: 5) == "a  10 B / 10 B  100%  5 B/s  done")
    }

    @Test func terminalLineIsRedrawnAtMostTenTimesASecond() {
        final class Box: @unchecked Sendable { var t = 0.0; var out: [String] = [] }
        let box = Box()
        let p = DownloadProgress(file: "f", total: 1000, resumedFrom: 200, style: .terminal, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                                 now: { box.t }, writeTerminal: { box.out.append($0) })
        #expect(box.out == ["\rf  200 B / 1000 B  20%  -- B/s  ETA --\u{1B}[K"])
        box.t = 0.05
        p.advance(by: 100)  // too soon: no redraw
        #expect(box.out.count == 1)
        box.t = 1
        p.advance(by: 100)
        #expect(box.out.last == "\rf  400 B / 1000 B  40%  200 B/s  ETA 0:03\u{1B}[K")
        box.t = 2
        p.advance(by: 600)
        p.finish()
        #expect(box.out.suffix(2) == ["\rf  1000 B / 1000 B  100%  400 B/s  done\u{1B}[K", "\n"])
    }
}

@Suite struct ContentDigestTests {
    @Test func sha256AndGitBlobIDs() {
        let d = ContentDigest(.sha256)
        d.update(Array("ab".utf8)[...])
        d.update(Array("c".utf8)[...])
        #expect(d.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let g = ContentDigest.gitBlob(size: 6)
        g.update(Array("hello\n".utf8)[...])
        #expect(g.finalizeHex() == "ce013625030ba8dba906f756967f9e9ca394464a")  // `git hash-object` of "hello\n"
    }
}
