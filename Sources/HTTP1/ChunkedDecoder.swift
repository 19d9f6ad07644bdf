/// Decodes the chunked transfer coding (RFC 9112 §7.1) incrementally: bytes in, body bytes
/// out, in pieces of any size, with no I/O. The server's request parser runs it strictly
/// (CRLF line ends, body and trailer limits); the Hub client runs it leniently (a bare LF
/// also ends a line, RFC 9112 §2.2).
package struct ChunkedDecoder: Sendable {
    /// How strict the decoder is and how much it accepts.
    package struct Options: Sendable, Equatable {
        /// Require CRLF line ends; when false a bare LF also ends a line.
        package var strictLineEnds: Bool
        /// Largest decoded body; a chunk that would pass it is ``ChunkedDecodingError/bodyTooLarge``.
        package var maxBodyBytes: Int
        /// Largest trailer section, line ends included; larger is ``ChunkedDecodingError/trailersTooLarge``.
        package var maxTrailerBytes: Int

        package init(strictLineEnds: Bool = false, maxBodyBytes: Int = .max, maxTrailerBytes: Int = 64 * 1024) {
            self.strictLineEnds = strictLineEnds
            self.maxBodyBytes = maxBodyBytes
            self.maxTrailerBytes = maxTrailerBytes
        }
    }

    private enum State: Sendable, Equatable {
        case size                 // reading "1a;ext=x\r\n"
        case data(Int)            // this many body bytes left in the chunk
        case dataEnd(sawCR: Bool) // expecting the CRLF after the chunk data
        case trailers             // reading trailer lines until an empty one
        case done
    }

    /// Longest chunk-size line accepted.
    static let maxLine = 4096

    /// The options in force.
    package let options: Options
    private var state: State = .size
    private var line: [UInt8] = []
    private var decodedCount = 0
    private var trailerBytes = 0
    /// The trailer field lines received so far, each ended by CRLF (without the final
    /// empty line), ready for ``HTTPHeadSyntax/parseFields(_:limits:)``.
    package private(set) var trailerSection: [UInt8] = []

    package init(options: Options = Options()) {
        self.options = options
    }

    /// True once the last chunk and the trailers have been read.
    package var isComplete: Bool { state == .done }

    /// Decodes as much of `input` as possible, appending body bytes to `output`.
    /// - Returns: how many bytes of `input` were consumed (all of them unless the message
    ///   ended inside `input`; what follows is not part of this body).
    /// - Throws: ``ChunkedDecodingError`` on a malformed chunk size, a missing CRLF, or a
    ///   limit passed; the decoder is then unusable.
    package mutating func decode(_ input: ArraySlice<UInt8>, into output: inout [UInt8]) throws(ChunkedDecodingError) -> Int {
        var i = input.startIndex
        while i < input.endIndex && state != .done {
            switch state {
            case .data(let left):
                let n = min(left, input.endIndex - i)
                output.append(contentsOf: input[i..<(i + n)])
                i += n
                state = left == n ? .dataEnd(sawCR: false) : .data(left - n)
            case .dataEnd(let sawCR):
                let b = input[i]
                i += 1
                if b == 13 && !sawCR {
                    state = .dataEnd(sawCR: true)
                } else if b == 10 && (sawCR || !options.strictLineEnds) {
                    state = .size
                } else {
                    throw .malformed("missing CRLF after chunk data")
                }
            case .size:
                let b = input[i]
                i += 1
                guard b == 10 else {
                    guard line.count < Self.maxLine else { throw .malformed("chunk size line too long") }
                    line.append(b)
                    continue
                }
                try endOfSizeLine()
            case .trailers:
                let b = input[i]
                i += 1
                trailerBytes += 1
                guard trailerBytes <= options.maxTrailerBytes else { throw .trailersTooLarge }
                guard b == 10 else {
                    line.append(b)
                    continue
                }
                try endOfTrailerLine()
            case .done:
                break
            }
        }
        return i - input.startIndex
    }

    /// Removes the CR before the LF that ended `line`, or refuses a bare LF when strict.
    private mutating func dropCR() throws(ChunkedDecodingError) {
        if line.last == 13 {
            line.removeLast()
        } else if options.strictLineEnds {
            throw .malformed("bare LF in chunked body")
        }
    }

    private mutating func endOfSizeLine() throws(ChunkedDecodingError) {
        try dropCR()
        guard let size = HTTPHeadSyntax.parseChunkSize(line[...]) else { throw .malformed("invalid chunk size") }
        line.removeAll(keepingCapacity: true)
        if size == 0 {
            state = .trailers
            return
        }
        guard size <= options.maxBodyBytes - decodedCount else { throw .bodyTooLarge }
        decodedCount += size
        state = .data(size)
    }

    private mutating func endOfTrailerLine() throws(ChunkedDecodingError) {
        try dropCR()
        if line.isEmpty {
            state = .done
            return
        }
        trailerSection += line
        trailerSection += [13, 10]
        line.removeAll(keepingCapacity: true)
    }
}

/// Why a chunked body could not be decoded.
package enum ChunkedDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A malformed chunk-size line, chunk end or trailer line.
    case malformed(String)
    /// The decoded body would pass ``ChunkedDecoder/Options/maxBodyBytes``.
    case bodyTooLarge
    /// The trailer section passed ``ChunkedDecoder/Options/maxTrailerBytes``.
    case trailersTooLarge

    package var description: String {
        switch self {
        case .malformed(let why): why
        case .bodyTooLarge: "body too large"
        case .trailersTooLarge: "trailer section too large"
        }
    }
}
