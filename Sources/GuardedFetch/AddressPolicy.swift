public import NIOCore

/// Which IP addresses the server may connect to on a client's behalf (SSRF guard).
///
/// Only globally reachable unicast addresses are public. Private, loopback, link-local,
/// shared, documentation, benchmarking, multicast and reserved ranges are not; IPv6 forms
/// that embed an IPv4 address (IPv4-mapped, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged
/// by the embedded address, and the rest of IPv6 must lie in `2000::/3`.
public enum AddressPolicy {
    /// Whether `address` is a public IPv4 or IPv6 address. Unix sockets are never public.
    public static func isPublic(_ address: SocketAddress) -> Bool {
        guard let bytes = bytes(of: address) else { return false }
        return isPublic(bytes: bytes)
    }

    /// Whether `ipLiteral` (dotted IPv4, or IPv6 with or without brackets) is a public address;
    /// `false` for anything that does not parse as an IP address.
    public static func isPublic(ipLiteral: String) -> Bool {
        guard let address = parse(ipLiteral) else { return false }
        return isPublic(address)
    }

    /// Whether `address` is a loopback address (`127.0.0.0/8`, `::1`, or IPv4-mapped loopback).
    public static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let bytes = bytes(of: address) else { return false }
        if bytes.count == 4 { return bytes[0] == 127 }
        if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
        if bytes.starts(with: ipv4MappedPrefix) { return bytes[12] == 127 }
        return false
    }

    /// `ipLiteral` as a socket address (port 0), or `nil` when it is not an IP literal.
    package static func parse(_ ipLiteral: String) -> SocketAddress? {
        var literal = Substring(ipLiteral)
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        guard !literal.isEmpty, literal.utf8.allSatisfy({ isHexDigit($0) || $0 == 0x2E || $0 == 0x3A })
        else { return nil }
        return try? SocketAddress(ipAddress: String(literal), port: 0)
    }

    /// The address's bytes in network order: 4 for IPv4, 16 for IPv6.
    package static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        // `sin_addr` sits at offset 4 of `sockaddr_in` and `sin6_addr` at offset 8 of
        // `sockaddr_in6`, on Linux and the BSDs alike.
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address) { Array($0[4..<8]) }
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address) { Array($0[8..<24]) }
        case .unixDomainSocket:
            return nil
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static let ipv4MappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
    private static let nat64Prefix: [UInt8] = [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]

    package static func isPublic(bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: return isPublicIPv4(bytes[0], bytes[1], bytes[2])
        case 16: return isPublicIPv6(bytes)
        default: return false
        }
    }

    /// Judged on the first three octets: every excluded IPv4 range is a /24 or wider.
    private static func isPublicIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        switch a {
        case 0, 10, 127: return false  // "this network", private, loopback
        case 100 where (64...127).contains(b): return false  // shared address space (CGNAT)
        case 169 where b == 254: return false  // link-local
        case 172 where (16...31).contains(b): return false  // private
        case 192 where b == 0 && c == 0: return false  // IETF protocol assignments
        case 192 where b == 0 && c == 2: return false  // TEST-NET-1
        case 192 where b == 88 && c == 99: return false  // 6to4 relay anycast
        case 192 where b == 168: return false  // private
        case 198 where b == 18 || b == 19: return false  // benchmarking
        case 198 where b == 51 && c == 100: return false  // TEST-NET-2
        case 203 where b == 0 && c == 113: return false  // TEST-NET-3
        case 224...255: return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    private static func isPublicIPv6(_ bytes: [UInt8]) -> Bool {
        if bytes.starts(with: ipv4MappedPrefix) || bytes.starts(with: nat64Prefix) {
            return isPublicIPv4(bytes[12], bytes[13], bytes[14])
        }
        // 6to4: judge the IPv4 address in bits 16–47.
        if bytes[0] == 0x20 && bytes[1] == 0x02 {
            return isPublicIPv4(bytes[2], bytes[3], bytes[4])
        }
        // Global unicast is 2000::/3; everything else (::, ::1, 100::/64, fc00::/7, fe80::/10,
        // ff00::/8, 64:ff9b:1::/48, IPv4-compatible ::/96…) is not public.
        guard bytes[0] & 0xE0 == 0x20 else { return false }
        // 2001::/23: IETF protocol assignments incl. Teredo (rejected as a whole).
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] & 0xFE == 0x00 { return false }
        // 2001:db8::/32: documentation.
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return false }
        // 3fff::/20: documentation (RFC 9637).
        if bytes[0] == 0x3F && bytes[1] == 0xFF && bytes[2] & 0xF0 == 0x00 { return false }
        return true
    }
}
