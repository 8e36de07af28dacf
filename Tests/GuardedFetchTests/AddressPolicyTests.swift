import NIOCore
@testable import GuardedFetch
import Testing

@Suite struct AddressPolicyTests {
    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "104.16.0.1", "172.15.255.255", "172.32.0.1", "100.63.255.255",
        "100.128.0.1", "169.253.1.1", "192.0.1.1", "192.88.98.1", "192.169.0.1", "198.17.255.255", "198.20.0.1",
        "223.255.255.254", "11.0.0.1",
        "2606:4700::6810:84e5", "2001:4860:4860::8888", "2a00:1450:4001:82b::200e", "2001:200::1",
        "::ffff:8.8.8.8", "[2606:4700::1111]", "64:ff9b::808:808", "2002:808:808::1",
    ])
    func publicAddresses(_ literal: String) {
        #expect(AddressPolicy.isPublic(ipLiteral: literal))
    }

    @Test(arguments: [
        // IPv4 special-purpose ranges.
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.255", "127.0.0.1",
        "127.255.255.254", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1", "192.0.0.255",
        "192.0.2.1", "192.88.99.1", "192.168.0.1", "192.168.255.255", "198.18.0.1", "198.19.255.255",
        "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.254",
        "255.255.255.255",
        // IPv6 special-purpose ranges.
        "::", "::1", "[::1]", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.1.1",
        "::ffff:0.0.0.0", "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::8.8.8.8", "100::1", "2001:db8::1",
        "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:1ff::1", "2002:7f00:1::1", "2002:a00:1::1",
        "fc00::1", "fd12:3456:789a::1", "fe80::1", "febf::1", "ff02::1", "ff05::2", "::127.0.0.1", "3fff::1",
        "4000::1", "::ffff:0:7f00:1",
        // Not IP literals at all.
        "", "localhost", "example.com", "127.1", "0x7f000001", "2130706433", "1.2.3", "256.0.0.1", "fe80::1%eth0",
        "[::1", "::1]", "1.2.3.4:80",
    ])
    func nonPublicAddresses(_ literal: String) {
        #expect(!AddressPolicy.isPublic(ipLiteral: literal))
    }

    @Test func socketAddresses() throws {
        #expect(AddressPolicy.isPublic(try SocketAddress(ipAddress: "8.8.4.4", port: 443)))
        #expect(!AddressPolicy.isPublic(try SocketAddress(ipAddress: "127.0.0.1", port: 443)))
        #expect(!AddressPolicy.isPublic(try SocketAddress(ipAddress: "::ffff:10.1.2.3", port: 443)))
        #expect(AddressPolicy.isPublic(try SocketAddress(ipAddress: "2606:4700::1", port: 443)))
        #expect(!AddressPolicy.isPublic(try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")))
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("::ffff:127.0.0.1", true),
        ("10.0.0.1", false), ("::", false), ("8.8.8.8", false), ("fe80::1", false),
    ])
    func loopback(_ literal: String, _ expected: Bool) throws {
        #expect(AddressPolicy.isLoopback(try SocketAddress(ipAddress: literal, port: 0)) == expected)
    }
}
