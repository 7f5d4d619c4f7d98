import Logging
import ManifoldCore
import ManifoldIO
import ManifoldProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stdio endpoint: one session, messages read line by line from stdin on the calling
/// thread (blocking reads), frames written to the protocol descriptor. Requests are served
/// concurrently; responses go out as they complete. At end of input it waits for the requests
/// already in flight (up to `drainTimeout`), then closes the session and returns.
public final class StdioEndpoint: Sendable {
    private let dispatcher: Dispatcher
    private let view: LiveView
    private let input: Int32
    private let output: FrameWriter
    private let logger: Logger
    private let drainTimeout: Double
    private let tagsRelatedMessages: Bool

    /// `tagsRelatedMessages`: set for runner processes (see `Session.tagsRelatedMessages`).
    public init(dispatcher: Dispatcher, view: LiveView, input: Int32 = STDIN_FILENO, output: Int32,
                logger: Logger, drainTimeout: Double = 30, tagsRelatedMessages: Bool = false) {
        self.tagsRelatedMessages = tagsRelatedMessages
        self.dispatcher = dispatcher
        self.view = view
        self.input = input
        self.output = FrameWriter(fd: output)
        self.logger = logger
        self.drainTimeout = drainTimeout
    }

    /// Serves until stdin closes.
    public func run() {
        // Non-blocking plugin calls may run right here, on the reader (EndpointThread).
        EndpointThread.markCurrent()
        let channel = StdioChannel(writer: output)
        let session = Session(id: "stdio", view: view, outbound: channel, tagsRelatedMessages: tagsRelatedMessages)
        var reader = LineReader(fd: input)
        while let line = reader.next() {
            channel.begin()
            // More requests already read: their answers go out together, with one write, when
            // the reader is about to wait for input again (pipelined clients).
            if reader.hasBufferedLine() { output.cork() }
            dispatcher.handle(line, session: session, reply: channel)
            if !reader.hasBufferedLine() { output.uncork() }
        }
        output.uncork()
        logger.debug("stdin closed; draining in-flight requests")
        session.failPendingClientRequests("the client closed its input")
        if !channel.waitUntilIdle(timeout: drainTimeout) {
            logger.warning("requests still in flight after \(drainTimeout)s at end of input; abandoning them")
        }
        session.close()
    }
}

/// The stdio session's outbound channel and reply sink in one: everything goes to stdout.
/// Counts requests between `begin` and `finish` so the endpoint can drain at end of input.
final class StdioChannel: OutboundSink, ReplySink, @unchecked Sendable {
    private let writer: FrameWriter
    private var mutex = pthread_mutex_t()
    private var idle = pthread_cond_t()
    private var outstanding = 0

    init(writer: FrameWriter) {
        self.writer = writer
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&idle, nil)
    }

    func begin() {
        pthread_mutex_lock(&mutex)
        outstanding += 1
        pthread_mutex_unlock(&mutex)
    }

    func send(_ message: [UInt8]) { writer.write(message) }

    func finish(_ response: [UInt8]?) {
        if let response { writer.write(response) }
        pthread_mutex_lock(&mutex)
        outstanding -= 1
        if outstanding == 0 { pthread_cond_broadcast(&idle) }
        pthread_mutex_unlock(&mutex)
    }

    /// Waits until every begun message has finished, or the timeout passes.
    func waitUntilIdle(timeout: Double) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let whole = Int(timeout)
        deadline.tv_sec += whole
        deadline.tv_nsec += Int((timeout - Double(whole)) * 1e9)
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while outstanding > 0 {
            if pthread_cond_timedwait(&idle, &mutex, &deadline) == ETIMEDOUT { return outstanding == 0 }
        }
        return true
    }
}
