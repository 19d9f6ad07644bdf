/// The bookkeeping of resumable downloads into `blobs/<etag>.incomplete`, apart from I/O:
/// what to ask for given the bytes already there, and what to do with the server's answer
/// (RFC 9110 §14: Range, 206 + Content-Range, 416; a 200 means the Range was ignored).
package enum ResumeRules {
    /// What to do with a partial file before sending any request.
    package enum Start: Sendable, Equatable {
        /// Nothing usable: start at byte 0 (truncate whatever is there).
        case fresh
        /// Ask for the rest with `Range: bytes=<from>-`.
        case resume(from: Int)
        /// The partial file already has the announced size: only verify it.
        case verifyOnly
    }

    /// Decides from the partial file's size and the size the Hub announced (if any).
    package static func start(existingBytes: Int, expectedSize: Int?) -> Start {
        guard existingBytes > 0 else { return .fresh }
        guard let expectedSize else { return .resume(from: existingBytes) }
        if existingBytes == expectedSize { return .verifyOnly }
        return existingBytes < expectedSize ? .resume(from: existingBytes) : .fresh
    }

    /// The `Range` header value for resuming after `existingBytes`, nil when starting at 0.
    package static func rangeHeader(existingBytes: Int) -> String? {
        existingBytes > 0 ? "bytes=\(existingBytes)-" : nil
    }

    /// A parsed `Content-Range: bytes <first>-<last>/<complete length or *>`.
    package struct ContentRange: Sendable, Equatable {
        package var first: Int
        package var last: Int
        package var completeLength: Int?
    }

    /// Parses a `Content-Range` value (RFC 9110 §14.4), nil when malformed or unsatisfied (`bytes */n`).
    package static func parseContentRange(_ value: String) -> ContentRange? {
        let v = value.trimmingWhitespace
        guard v.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = String(v.dropFirst(6)).trimmingWhitespace
        let halves = spec.split(separator: "/", maxSplits: 1)
        guard halves.count == 2 else { return nil }
        let bounds = halves[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), first >= 0, last >= first else { return nil }
        let total: Int?
        if halves[1] == "*" { total = nil } else {
            guard let t = Int(halves[1]), t > last else { return nil }
            total = t
        }
        return ContentRange(first: first, last: last, completeLength: total)
    }

    /// What the response to a download request means for the partial file.
    package enum Answer: Sendable, Equatable {
        /// Write the body after the first `keep` bytes of the partial file (truncating the rest).
        case write(keep: Int)
        /// The partial file cannot be continued (416, or a range other than asked for):
        /// discard it and request the whole file again.
        case discardAndRetry
        /// Not a download answer: map the status to an error.
        case failure
    }

    /// Interprets a response to a request sent with `existingBytes` already on disk.
    package static func answer(existingBytes: Int, status: Int, contentRange: String?) -> Answer {
        switch status {
        case 200:
            return .write(keep: 0)  // full content: the server ignored or was not sent a Range
        case 206:
            guard let r = contentRange.flatMap(parseContentRange), r.first == existingBytes else { return .discardAndRetry }
            return .write(keep: existingBytes)
        case 416:
            return .discardAndRetry
        default:
            return .failure
        }
    }

    /// The complete length of the file from a download response: `Content-Range`'s total for
    /// a 206, `Content-Length` for a 200; nil when the server did not say.
    package static func completeLength(status: Int, contentRange: String?, contentLength: String?) -> Int? {
        if status == 206 { return contentRange.flatMap(parseContentRange)?.completeLength }
        return contentLength.flatMap { Int($0.trimmingWhitespace) }
    }
}
