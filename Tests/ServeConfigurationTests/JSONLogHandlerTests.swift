import Foundation
import Logging
import OrderedJSON
import ServeConfiguration
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func lineIsOneJSONObjectWithFlattenedMetadata() {
        let event = LogEvent(level: .info, message: "POST /v1/chat/completions 200 \"quoted\"", metadata: nil, source: "x",
                             file: #fileID, function: #function, line: #line)
        let line = JSONLogHandler.line(event: event, label: "lfm-serve",
                                       metadata: ["status": "200", "tokens": ["a", "b"], "message": "ignored: reserved"],
                                       date: Date(timeIntervalSince1970: 1_764_032_523.25))
        #expect(line == #"{"timestamp":"2025-11-25T01:02:03.250Z","level":"info","logger":"lfm-serve","#
                + #""message":"POST /v1/chat/completions 200 \"quoted\"","status":"200","tokens":["a","b"]}"#)
    }

    @Test func handlerMergesLoggerMetadataAndFiltersByLevel() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "t") { label in
            var h = JSONLogHandler(label: label) { l in lines.withLock { $0.append(l) } }
            h.logLevel = .info
            return h
        }
        logger[metadataKey: "pid"] = "7"
        logger.debug("hidden")
        logger.warning("shown", metadata: ["request_id": "abc"])
        let got = lines.withLock { $0 }
        #expect(got.count == 1)
        let v = try JSONValue.parse(got[0])
        #expect(v["level"] == "warning" && v["message"] == "shown" && v["pid"] == "7" && v["request_id"] == "abc" && v["logger"] == "t")
    }
}
