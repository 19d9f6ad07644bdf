/// Decodes the chunked transfer coding (RFC 9112 §7.1) incrementally: bytes in, body bytes
/// out, in pieces of any size, with no I/O.
package struct ChunkedDecoder: Sendable {
    private enum State: Sendable, Equatable {
        case size            // reading "1a;ext=x\r\n"
        case data(Int)       // this many body bytes left in the chunk
        case dataEnd         // expecting the CRLF after the chunk data
        case trailers        // reading trailer lines until an empty one
        case done
    }

    private var state: State = .size
    private var line: [UInt8] = []
    /// Longest chunk-size or trailer line accepted.
    static let maxLine = 4096

    package init() {}

    /// True once the last chunk and the trailers have been read.
    package var isComplete: Bool { state == .done }

    /// Decodes as much of `input` as possible, appending body bytes to `output`.
    /// - Returns: how many bytes of `input` were consumed (all of them unless the message
    ///   ended inside `input`; what follows is not part of this body).
    /// - Throws: `HubError.protocolError` on a malformed chunk size or missing CRLF.
    package mutating func decode(_ input: ArraySlice<UInt8>, into output: inout [UInt8]) throws(HubError) -> Int {
        var i = input.startIndex
        while i < input.endIndex && state != .done {
            switch state {
            case .data(let left):
                let n = min(left, input.endIndex - i)
                output.append(contentsOf: input[i..<(i + n)])
                i += n
                state = left == n ? .dataEnd : .data(left - n)
            case .size, .dataEnd, .trailers:
                let b = input[i]
                i += 1
                if b != 10 {
                    guard line.count < Self.maxLine else { throw .protocolError("chunked body: line too long") }
                    line.append(b)
                    continue
                }
                if line.last == 13 { line.removeLast() }
                try endOfLine()
                line.removeAll(keepingCapacity: true)
            case .done:
                break
            }
        }
        return i - input.startIndex
    }

    private mutating func endOfLine() throws(HubError) {
        switch state {
        case .size:
            let sizeText = line.prefix { $0 != 59 }  // up to ';' (chunk extensions are ignored)
            let text = String(decoding: sizeText, as: UTF8.self).trimmingWhitespace
            guard !text.isEmpty, text.count <= 15, let size = Int(text, radix: 16), size >= 0 else {
                throw .protocolError("chunked body: invalid chunk size '\(text.prefix(20))'")
            }
            state = size == 0 ? .trailers : .data(size)
        case .dataEnd:
            guard line.isEmpty else { throw .protocolError("chunked body: missing CRLF after chunk data") }
            state = .size
        case .trailers:
            if line.isEmpty { state = .done }
        case .data, .done:
            break
        }
    }
}
