import Testing
@testable import HTTP1

@Suite struct ChunkedDecoderTests {
    let message = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\nNEXT"

    @Test func wholeMessage() throws {
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        let bytes = Array(message.utf8)
        let used = try d.decode(bytes[...], into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "helloabcdefghijklmnopqrstuvwxyz")
        #expect(d.isComplete)
        #expect(used == bytes.count - 4)  // "NEXT" is not part of the body
    }

    @Test func splitAtEveryByte() throws {
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        for b in Array(message.utf8) where !d.isComplete {
            _ = try d.decode([b][...], into: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == "helloabcdefghijklmnopqrstuvwxyz")
        #expect(d.isComplete)
    }

    @Test func bareLineFeedsAreAccepted() throws {
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        _ = try d.decode(Array("3\nabc\n0\n\n".utf8)[...], into: &out)
        #expect(out == Array("abc".utf8) && d.isComplete)
    }

    @Test(arguments: ["zz\r\n", "5\r\nhelloXX\r\n", "\r\n", "-1\r\n", "1234567890abcdef0\r\n"])
    func malformed(text: String) {
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        #expect(throws: ChunkedDecodingError.self) { try d.decode(Array(text.utf8)[...], into: &out) }
    }

    @Test func incompleteUntilTheLastChunk() throws {
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        _ = try d.decode(Array("5\r\nhel".utf8)[...], into: &out)
        #expect(!d.isComplete && out == Array("hel".utf8))
    }
}
