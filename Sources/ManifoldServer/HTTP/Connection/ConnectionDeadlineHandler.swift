import NIOCore
import NIOHTTP1

/// Tells the deadline handler that bytes arrived, before they are decoded: the only way a
/// handler that sees decoded request parts can know when a request *started* (its first byte),
/// which the header deadline counts from. One call per read, not per byte — a direct call
/// rather than a user event through the pipeline (BENCHMARKS.md: every message a handler
/// unwraps or forwards costs a dynamic cast on the hot path).
final class ReadActivityReporter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadlines: ConnectionDeadlineHandler

    init(reportingTo deadlines: ConnectionDeadlineHandler) {
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// Closes a connection whose client is too slow or too quiet (`ConnectionDeadlines`): a
/// request head or body that does not arrive in time gets `408 Request Timeout` and the
/// connection is closed; an idle keep-alive connection is closed silently. Sits right behind
/// the HTTP decoder (before pipelining assistance), so it sees request parts as soon as they
/// are decoded and every response part on its way out.
///
/// One timer at a time, scheduled lazily: events only update the state machine; when the
/// timer fires it re-reads the deadline and either closes or sleeps until the new one (at most
/// one header timeout at a time). A busy connection therefore costs no timer churn per request.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var machine: ConnectionDeadlines
    private var timer: Scheduled<Void>?
    private var timerAt: UInt64 = .max
    private var closing = false
    /// A response head was written and its end was not (yet).
    private var responding = false
    /// The loop's clock (virtual under `EmbeddedEventLoop`, so tests advance time by hand).
    private var eventLoop: (any EventLoop)?
    /// This handler's context while it is in a pipeline (for `bytesArrived`).
    private var context: ChannelHandlerContext?

    init(limits: ConnectionDeadlines.Limits) {
        self.machine = ConnectionDeadlines(limits: limits, now: 0)
    }

    private func now() -> UInt64 {
        (eventLoop?.now ?? .now()).uptimeNanoseconds
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        eventLoop = context.eventLoop
        machine = ConnectionDeadlines(limits: machine.limits, now: now())
        if context.channel.isActive { arm(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    /// Bytes arrived on the connection (from `ReadActivityReporter`, on the event loop).
    func bytesArrived() {
        guard let context else { return }
        machine.bytesArrived(now: now())
        arm(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            machine.headReceived(now: now())
            arm(context: context)
        case .body:
            break
        case .end:
            machine.requestEnded(now: now())
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            responding = true
        case .end:
            responding = false
            machine.responseEnded(now: now())
            arm(context: context)
        case .head, .body:
            break
        }
        context.write(data, promise: promise)
    }

    /// Makes sure a timer fires no later than the current deadline. The timer never sleeps
    /// longer than the header timeout, so the header deadline a new request starts (always at
    /// least that far away) never needs an earlier timer: keep-alive traffic reschedules nothing.
    private func arm(context: ChannelHandlerContext) {
        guard !closing, let deadline = machine.deadline else { return }
        if timer != nil && timerAt <= deadline.at { return }
        timer?.cancel()
        let current = now()
        let target = min(deadline.at, current &+ machine.limits.header)
        timerAt = target
        let delay = target > current ? Int64(clamping: target - current) : 0
        let loopBound = context.loopBound
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(delay)) {
            handler.value.fire(context: loopBound.value)
        }
    }

    private func fire(context: ChannelHandlerContext) {
        timer = nil
        timerAt = .max
        guard !closing else { return }
        guard let reason = machine.expired(now: now()) else {
            arm(context: context)
            return
        }
        closing = true
        switch reason {
        case .idle:
            context.close(promise: nil)
        case .header, .request:
            if responding {
                // A response is already under way for this request (e.g. an early 413): just close.
                context.close(promise: nil)
                return
            }
            HTTPResponder.respond(context: context, version: .http1_1,
                                  with: .text(.requestTimeout, "request timeout\n", close: true))
        }
    }
}
