import Testing
@testable import HTTP1

/// The rules the request parser and the response head share.
@Suite struct HTTPHeadSyntaxTests {
    func line(_ s: String) -> HTTPHeadSyntax.FieldLine { HTTPHeadSyntax.fieldLine(Array(s.utf8)[...]) }

    @Test func fieldLines() {
        #expect(line("Name:  value with  spaces \t") == .field(name: "Name", value: "value with  spaces"))
        #expect(line("X-Empty:") == .field(name: "X-Empty", value: ""))
        #expect(line(" folded") == .invalid("obsolete line folding"))
        #expect(line("NoColon") == .invalid("field without colon"))
        #expect(line(": v") == .invalid("invalid field name"))
        #expect(line("Bad Name: v") == .invalid("invalid field name"))
        #expect(line("Na@me: v") == .invalid("invalid field name"))
        #expect(line("X: a\u{0}b") == .invalid("invalid character in field value"))
        #expect(line("X: caf\u{e9}") == .field(name: "X", value: "caf\u{e9}"))   // obs-text (UTF-8 bytes ≥ 0x80)
    }

    @Test func contentLengthLists() {
        #expect(HTTPHeadSyntax.contentLength([]) == .absent)
        #expect(HTTPHeadSyntax.contentLength(["12"]) == .length(12))
        #expect(HTTPHeadSyntax.contentLength(["7, 7", " 7 "]) == .length(7))
        #expect(HTTPHeadSyntax.contentLength(["7", "8"]) == .conflicting)
        #expect(HTTPHeadSyntax.contentLength(["-1"]) == .invalid)
        #expect(HTTPHeadSyntax.contentLength(["+5"]) == .invalid)
        #expect(HTTPHeadSyntax.contentLength(["5,"]) == .invalid)
        #expect(HTTPHeadSyntax.contentLength(["1234567890123456789"]) == .tooLarge)
    }

    @Test func chunkSizeLines() {
        func size(_ s: String) -> Int? { HTTPHeadSyntax.parseChunkSize(Array(s.utf8)[...]) }
        #expect(size("1a") == 26)
        #expect(size("FF ;name=value") == 255)
        #expect(size("0") == 0)
        #expect(size("") == nil && size(" 5") == nil && size("5 x") == nil && size("-1") == nil)
        #expect(size(String(repeating: "f", count: 15)) == 0xfff_ffff_ffff_ffff)
        #expect(size(String(repeating: "f", count: 16)) == nil)
    }
}

/// The decoder in the server's strict mode (the Hub client's lenient mode is ChunkedDecoderTests).
@Suite struct StrictChunkedDecoderTests {
    func strict(maxBody: Int = .max, maxTrailers: Int = 1024) -> ChunkedDecoder {
        ChunkedDecoder(options: .init(strictLineEnds: true, maxBodyBytes: maxBody, maxTrailerBytes: maxTrailers))
    }

    func decode(_ d: inout ChunkedDecoder, _ s: String) throws(ChunkedDecodingError) -> [UInt8] {
        var out: [UInt8] = []
        _ = try d.decode(Array(s.utf8)[...], into: &out)
        return out
    }

    @Test func trailersAreCollectedAsFieldLines() throws {
        var d = strict()
        let body = try decode(&d, "3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\n\r\n")
        #expect(body == Array("abc".utf8) && d.isComplete)
        #expect(d.trailerSection == Array("A: 1\r\nB: 2\r\n".utf8))
    }

    @Test func bareLineFeedsAreRefused() {
        for text in ["3\nabc\r\n0\r\n\r\n", "3\r\nabc\n", "0\r\n\n"] {
            var d = strict()
            #expect(throws: ChunkedDecodingError.self) { _ = try decode(&d, text) }
        }
    }

    @Test func limits() {
        var small = strict(maxBody: 5)
        #expect(throws: ChunkedDecodingError.bodyTooLarge) { _ = try decode(&small, "3\r\nabc\r\n3\r\n") }
        var trailers = strict(maxTrailers: 8)
        #expect(throws: ChunkedDecodingError.trailersTooLarge) { _ = try decode(&trailers, "0\r\nLong: trailer\r\n") }
        var sizeLine = strict()
        #expect(throws: ChunkedDecodingError.self) { _ = try decode(&sizeLine, "1" + String(repeating: " ", count: 5000)) }
    }

    @Test func missingCRLFAfterDataFailsAtOnce() {
        var d = strict()
        #expect(throws: ChunkedDecodingError.malformed("missing CRLF after chunk data")) { _ = try decode(&d, "3\r\nabcX") }
    }
}
