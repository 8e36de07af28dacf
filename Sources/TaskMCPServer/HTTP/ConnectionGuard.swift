import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Synchronization

/// Deadlines and a per-address cap for the HTTP/1 connections of the public listener, so that
/// half-sent requests (slowloris) and idle keep-alive connections cannot pile up until the
/// process runs out of file descriptors.
///
/// - A connection waiting for a request is closed when the whole request head has not arrived
///   within ``headerTimeout``: counted from the connection's start, or on a kept-alive
///   connection from the first byte after the previous response. Trickling bytes does not
///   extend it.
/// - A kept-alive connection that receives nothing for ``idleTimeout`` after a response (or a
///   new one that sends nothing) is closed.
/// - Nothing times out while a request is in flight: once its head has arrived, the request,
///   its body and its response (an SSE stream lasting minutes included) run until they end.
/// - A client address holds at most ``maxConnectionsPerClient`` connections; further ones are
///   closed at once. Trusted reverse proxies carry many clients and are not capped.
struct ConnectionLimits: Sendable, Hashable {
    var headerTimeout: Duration
    var idleTimeout: Duration
    /// `0`: no cap.
    var maxConnectionsPerClient: Int
    /// Normalised peer addresses the cap does not apply to.
    var exemptAddresses: Set<String>

    init(headerTimeout: Duration, idleTimeout: Duration, maxConnectionsPerClient: Int, exemptAddresses: [String] = []) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnectionsPerClient = max(0, maxConnectionsPerClient)
        self.exemptAddresses = Set(exemptAddresses.compactMap(ForwardedClient.normalized))
    }
}

/// Open connections per client address, shared by every connection of one listener.
final class ConnectionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot for `address`; false when it already holds `limit` connections.
    func acquire(_ address: String) -> Bool {
        counts.withLock { counts in
            let current = counts[address, default: 0]
            guard limit == 0 || current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func release(_ address: String) {
        counts.withLock { counts in
            guard let current = counts[address] else { return }
            counts[address] = current > 1 ? current - 1 : nil
        }
    }

    /// Connections `address` holds now.
    func count(_ address: String) -> Int { counts.withLock { $0[address, default: 0] } }
}

/// Builds the per-connection handlers of ``ConnectionLimits`` for Hummingbird's HTTP/1 channel.
struct ConnectionGuard: Sendable {
    let limits: ConnectionLimits
    let counter: ConnectionCounter
    let logger: Logger

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.counter = ConnectionCounter(limit: limits.maxConnectionsPerClient)
        self.logger = logger
    }

    /// Hummingbird's HTTP/1 server with these limits.
    var server: HTTPServerBuilder {
        .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [makeInstaller()]))
    }

    func makeInstaller() -> any RemovableChannelHandler { ConnectionGuardInstaller(self) }
}

/// Sits where Hummingbird puts additional handlers (after its HTTP types codec) and, when
/// added, places the two handlers that do the work: one at the front of the pipeline that sees
/// raw bytes (a request has begun), one after NIO's HTTP/1 decoder that sees request heads and
/// response ends. Then it only passes everything on.
final class ConnectionGuardInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let settings: ConnectionGuard

    init(_ settings: ConnectionGuard) { self.settings = settings }

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        do {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let deadlines = ConnectionDeadlines(settings)
            try pipeline.addHandler(deadlines, position: .after(decoder))
            try pipeline.addHandler(InboundByteObserver(deadlines), position: .first)
        } catch {
            settings.logger.error("Connection deadlines could not be installed; this connection has none: \(error)")
        }
    }
}

/// Tells ``ConnectionDeadlines`` whenever bytes arrive, before the HTTP decoder sees them.
final class InboundByteObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let deadlines: ConnectionDeadlines

    init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// The per-connection state behind ``ConnectionLimits``. Runs on the connection's event loop.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let settings: ConnectionGuard
    private var context: ChannelHandlerContext?
    private var started = false
    /// The address holding a slot of the per-client cap, released when the connection ends.
    private var slot: String?
    /// Request heads received whose response has not ended.
    private var inFlight = 0
    /// Between requests and no byte of the next one yet: the idle timer runs.
    private var awaitingFirstByte = true
    private var headerTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?

    init(_ settings: ConnectionGuard) { self.settings = settings }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            // A request is in flight: nothing times out until its response has ended.
            inFlight += 1
            awaitingFirstByte = false
            cancelTimers()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), inFlight > 0 {
            inFlight -= 1
            if inFlight == 0 {
                awaitingFirstByte = true
                cancelTimers()
                idleTimer = schedule(after: settings.limits.idleTimeout, reason: "idle_timeout")
            }
        }
        context.write(data, promise: promise)
    }

    /// Bytes arrived (from ``InboundByteObserver``): the first after a response starts the
    /// header deadline.
    func bytesArrived() {
        guard inFlight == 0, awaitingFirstByte else { return }
        awaitingFirstByte = false
        idleTimer?.cancel()
        idleTimer = nil
        if headerTimer == nil { headerTimer = schedule(after: settings.limits.headerTimeout, reason: "header_timeout") }
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let limits = settings.limits
        if limits.maxConnectionsPerClient > 0, let address = context.channel.remoteAddress?.ipAddress.flatMap(ForwardedClient.normalized),
            !limits.exemptAddresses.contains(address)
        {
            guard settings.counter.acquire(address) else {
                Counter(label: "http_connections_refused_total").increment()
                settings.logger.debug("Connection refused: too many from one address", metadata: ["client": "\(address)"])
                context.close(promise: nil)
                return
            }
            slot = address
        }
        // A new connection: its head must arrive within the header deadline, and it may not
        // stay silent longer than the idle timeout.
        headerTimer = schedule(after: limits.headerTimeout, reason: "header_timeout")
        idleTimer = schedule(after: limits.idleTimeout, reason: "idle_timeout")
    }

    private func finish() {
        cancelTimers()
        if let slot {
            settings.counter.release(slot)
            self.slot = nil
        }
    }

    private func cancelTimers() {
        headerTimer?.cancel()
        headerTimer = nil
        idleTimer?.cancel()
        idleTimer = nil
    }

    private func schedule(after delay: Duration, reason: String) -> Scheduled<Void>? {
        guard let context else { return nil }
        return context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            self.expired(reason: reason)
        }
    }

    private func expired(reason: String) {
        guard inFlight == 0, let context else { return }
        cancelTimers()
        Counter(label: "http_connections_closed_total", dimensions: [("reason", reason)]).increment()
        context.close(promise: nil)
    }
}

extension ServerConfiguration {
    /// The connection deadlines and cap of ``headerTimeout``, ``idleTimeout`` and
    /// ``maxConnectionsPerClient``; trusted proxies are exempt from the cap.
    var connectionLimits: ConnectionLimits {
        ConnectionLimits(
            headerTimeout: .seconds(headerTimeout), idleTimeout: .seconds(idleTimeout), maxConnectionsPerClient: maxConnectionsPerClient,
            exemptAddresses: trustedProxies)
    }
}
