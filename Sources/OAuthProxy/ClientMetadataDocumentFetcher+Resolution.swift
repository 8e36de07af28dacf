import Deadlines
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Name resolution behind the SSRF guard: every address a metadata document's host resolves to
/// must be allowed (``AddressPolicy``), and the fetch connects to the checked one.
extension ClientMetadataDocumentFetcher {
    /// The checked address to connect to for `host` (for `dnsOverride`), or `nil` when `host` is
    /// itself an allowed IP literal. Every address the name resolves to must be allowed; an IPv4
    /// address is preferred.
    static func connectAddress(
        for host: String, policy: Policy, timeLimit: Duration
    ) async throws(ClientMetadataError) -> String? {
        if let literal = AddressPolicy.parse(host) {
            guard isAllowed(literal, policy: policy) else {
                throw ClientMetadataError("client_id URL points to a non-public address")
            }
            return nil
        }
        let addresses = try await resolve(host, timeLimit: timeLimit)
        guard addresses.allSatisfy({ isAllowed($0, policy: policy) }) else {
            throw ClientMetadataError("client_id host resolves to a non-public address")
        }
        guard let preferred = addresses.first(where: { $0.protocol == .inet }) ?? addresses.first,
            let address = preferred.ipAddress
        else {
            throw ClientMetadataError("client_id host could not be resolved")
        }
        return address
    }

    /// Every address `host` resolves to, via `getaddrinfo` on NIO's thread pool, giving up after
    /// `timeLimit` (a stuck lookup is left to finish in the background).
    static func resolve(_ host: String, timeLimit: Duration) async throws(ClientMetadataError) -> [SocketAddress] {
        guard timeLimit > .zero else { throw ClientMetadataError("resolving the client_id host timed out") }
        // A blocking lookup never holds the authorization request: it is left to finish alone.
        let result = await Deadline.firstOf(
            deadline: .now + timeLimit,
            onTimeout: .failure(ClientMetadataError("resolving the client_id host timed out")),
            onCancel: .answer(.failure(ClientMetadataError("fetching the client metadata document was cancelled")))
        ) { () async -> Result<[SocketAddress], ClientMetadataError> in
            do {
                return .success(try await NIOThreadPool.singleton.runIfActive { try lookUp(host) })
            } catch let error as ClientMetadataError {
                return .failure(error)
            } catch {
                return .failure(ClientMetadataError("client_id host could not be resolved"))
            }
        }
        return try result.get()
    }

    /// Blocking `getaddrinfo` for TCP addresses of `host`.
    private static func lookUp(_ host: String) throws(ClientMetadataError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else {
            throw ClientMetadataError("client_id host could not be resolved")
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

    private static func isAllowed(_ address: SocketAddress, policy: Policy) -> Bool {
        AddressPolicy.isPublic(address) || (policy.allowLoopbackHTTP && AddressPolicy.isLoopback(address))
    }
}
