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
