import Deadlines
public import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Name resolution behind the SSRF guard: every address a host resolves to must be allowed
/// (``AddressPolicy``), and the fetch then connects to the checked one.
public enum HostResolution {
    /// The checked address to connect to for `host` (for AsyncHTTPClient's `dnsOverride`), or
    /// `nil` when `host` is itself an allowed IP literal. Every address the name resolves to must
    /// be public (or loopback, when `allowLoopback`); an IPv4 address is preferred.
    public static func connectAddress(
        for host: String, allowLoopback: Bool, timeLimit: Duration
    ) async throws(FetchFailure) -> String? {
        if let literal = AddressPolicy.parse(host) {
            guard isAllowed(literal, allowLoopback: allowLoopback) else { throw FetchFailure(.notPublic) }
            return nil
        }
        let addresses = try await resolve(host, timeLimit: timeLimit)
        guard addresses.allSatisfy({ isAllowed($0, allowLoopback: allowLoopback) }) else {
            throw FetchFailure(.resolvesToNonPublic)
        }
        guard let preferred = addresses.first(where: { $0.protocol == .inet }) ?? addresses.first,
            let address = preferred.ipAddress
        else {
            throw FetchFailure(.unresolvable)
        }
        return address
    }

    /// Every address `host` resolves to, via `getaddrinfo` on NIO's thread pool, giving up after
    /// `timeLimit` (a stuck lookup is left to finish in the background).
    public static func resolve(_ host: String, timeLimit: Duration) async throws(FetchFailure) -> [SocketAddress] {
        guard timeLimit > .zero else { throw FetchFailure(.timedOut) }
        // A blocking lookup never holds the request waiting for it: it is left to finish alone.
        let result = await Deadline.firstOf(
            deadline: .now + timeLimit, onTimeout: .failure(FetchFailure(.timedOut)),
            onCancel: .answer(.failure(FetchFailure(.cancelled)))
        ) { () async -> Result<[SocketAddress], FetchFailure> in
            do {
                return .success(try await NIOThreadPool.singleton.runIfActive { try lookUp(host) })
            } catch let error as FetchFailure {
                return .failure(error)
            } catch {
                return .failure(FetchFailure(.unresolvable))
            }
        }
        return try result.get()
    }

    /// Blocking `getaddrinfo` for TCP addresses of `host`.
    private static func lookUp(_ host: String) throws(FetchFailure) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else {
            throw FetchFailure(.unresolvable)
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        addresses.append(SocketAddress($0.pointee, host: host))
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        addresses.append(SocketAddress($0.pointee, host: host))
                    }
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    static func isAllowed(_ address: SocketAddress, allowLoopback: Bool) -> Bool {
        AddressPolicy.isPublic(address) || (allowLoopback && AddressPolicy.isLoopback(address))
    }
}
