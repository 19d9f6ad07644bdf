#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Logging

// A tiny server for load tests: `http-echo [port] [loops]`.
// GET /json answers a small JSON body; POST /echo echoes the body; GET /sse?n=N streams N events.
let args = CommandLine.arguments
var config = HTTPServer.Configuration()
config.host = "127.0.0.1"
config.port = args.count > 1 ? Int(args[1]) ?? 8080 : 8080
config.loopThreads = args.count > 2 ? Int(args[2]) ?? 1 : 1
config.accessLog = false
var logger = Logger(label: "http-echo")
logger.logLevel = .warning

var router = Router()
router.get("/json") { _, r in r.respond(.json(#"{"object":"list","data":[{"id":"lfm2","object":"model"}]}"#)) }
router.post("/echo") { req, r in r.respond(HTTPResponse(body: req.body)) }
router.get("/sse") { req, r in
    let n = Int(req.query("n") ?? "10") ?? 10
    let s = r.startSSE()
    for i in 0..<n { s.send(SSEEvent(data: "{\"i\":\(i)}")) }
    s.send(SSEEvent(data: "[DONE]"))
    s.finish()
}
let server = HTTPServer(configuration: config, router: router, logger: logger)
let port = try server.start()
print("listening on \(port)")
server.onDrained { exit(0) }
while true { sleep(1000) }
