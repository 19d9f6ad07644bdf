import Logging
import Testing
@testable import LFMHub

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
