import Glibc

/// A NETLINK_ROUTE socket with the few link and address requests the runtime needs (moving a
/// device into another network namespace, renaming it, bringing it up, copying its addresses).
/// The socket works on the network namespace it was created in.
public struct Netlink {
    public let fd: FD
    private var seq: UInt32 = 1

    /// An interface address as RTM_GETADDR reports it.
    public struct Address: Equatable, Sendable {
        public var family: UInt8
        public var prefixLength: UInt8
        public var flags: UInt8
        public var scope: UInt8
        /// IFA_LOCAL (the interface's own address) and IFA_ADDRESS (the peer on point-to-point links).
        public var local: [UInt8]?
        public var address: [UInt8]?
    }

    static let RTM_NEWLINK: UInt16 = 16, RTM_NEWADDR: UInt16 = 20, RTM_GETADDR: UInt16 = 22
    static let NLM_F_REQUEST: UInt16 = 1, NLM_F_ACK: UInt16 = 4, NLM_F_DUMP: UInt16 = 0x300
    static let NLM_F_EXCL: UInt16 = 0x200, NLM_F_CREATE: UInt16 = 0x400
    static let NLMSG_ERROR: UInt16 = 2, NLMSG_DONE: UInt16 = 3
    static let IFLA_IFNAME: UInt16 = 3, IFLA_NET_NS_FD: UInt16 = 28
    static let IFA_ADDRESS: UInt16 = 1, IFA_LOCAL: UInt16 = 2

    public static func open() throws -> Netlink {
        let raw = try sys("socket", "AF_NETLINK") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        }
        return Netlink(fd: FD(raw))
    }

    public func close() { fd.close() }

    /// The index of interface `name` in this process's network namespace, nil when there is none.
    public static func index(of name: String) -> Int32? {
        let i = if_nametoindex(name)
        return i == 0 ? nil : Int32(i)
    }

    // MARK: requests

    /// Moves link `index` into the network namespace `netns` (an fd of /proc/<pid>/ns/net), renamed
    /// to `newName` when given: one RTM_NEWLINK, so the name never clashes in between.
    public mutating func moveLink(index: Int32, toNamespace netns: FD, newName: String?) throws {
        var body = ifinfomsg(index: index, flags: 0, change: 0)
        body += attribute(Netlink.IFLA_NET_NS_FD, le(UInt32(bitPattern: netns.raw)))
        if let newName { body += attribute(Netlink.IFLA_IFNAME, Array(newName.utf8) + [0]) }
        try request(Netlink.RTM_NEWLINK, flags: 0, body, what: "move link \(index) to another network namespace")
    }

    /// Renames link `index` (it must be down).
    public mutating func renameLink(index: Int32, to name: String) throws {
        var body = ifinfomsg(index: index, flags: 0, change: 0)
        body += attribute(Netlink.IFLA_IFNAME, Array(name.utf8) + [0])
        try request(Netlink.RTM_NEWLINK, flags: 0, body, what: "rename link \(index) to \(name)")
    }

    /// Sets IFF_UP on link `index`, or clears it.
    public mutating func setLink(index: Int32, up: Bool) throws {
        let iffUp = UInt32(1) // IFF_UP
        let body = ifinfomsg(index: index, flags: up ? iffUp : 0, change: iffUp)
        try request(Netlink.RTM_NEWLINK, flags: 0, body, what: "set link \(index) \(up ? "up" : "down")")
    }

    /// Sets IFF_UP on the interface `name` through the socket's interface ioctls (the kernel takes
    /// SIOCGIFFLAGS and SIOCSIFFLAGS on any socket, for the network namespace it was made in): the
    /// flags read, IFF_UP added, written back, as `setLink(up:)` changes IFF_UP alone. Two ioctls
    /// where the RTM_NEWLINK request is a message built here, parsed by rtnetlink, and an
    /// acknowledgement queued, received and parsed (the loopback of every new network namespace).
    public func setUp(interface name: String) throws {
        // struct ifreq: ifr_name[IFNAMSIZ = 16], then the union whose ifr_flags is a short.
        var request = [UInt8](repeating: 0, count: 40)
        let bytes = Array(name.utf8)
        guard bytes.count < 16 else { throw KernelError("\(name): interface name too long") }
        request.replaceSubrange(0..<bytes.count, with: bytes)
        let get: UInt = 0x8913, set: UInt = 0x8914  // SIOCGIFFLAGS, SIOCSIFFLAGS
        try request.withUnsafeMutableBytes { ifreq in
            try sys("ioctl SIOCGIFFLAGS", name) { ioctl(fd.raw, get, ifreq.baseAddress!) }
            let flags = ifreq.load(fromByteOffset: 16, as: UInt16.self) | 1  // IFF_UP
            ifreq.storeBytes(of: flags, toByteOffset: 16, as: UInt16.self)
            try sys("ioctl SIOCSIFFLAGS", name) { ioctl(fd.raw, set, ifreq.baseAddress!) }
        }
    }

    /// The addresses of link `index`.
    public mutating func addresses(index: Int32) throws -> [Address] {
        let body: [UInt8] = [0 /* AF_UNSPEC */, 0, 0, 0] + le(UInt32(0))
        let replies = try exchange(Netlink.RTM_GETADDR, flags: Netlink.NLM_F_DUMP, body, what: "list addresses")
        var out: [Address] = []
        for (type, payload) in replies where type == Netlink.RTM_NEWADDR && payload.count >= 8 {
            let ifindex = Int32(bitPattern: readLE32(payload, 4))
            guard ifindex == index else { continue }
            var a = Address(family: payload[0], prefixLength: payload[1], flags: payload[2], scope: payload[3])
            for (t, v) in Netlink.attributes(payload, from: 8) {
                if t == Netlink.IFA_LOCAL { a.local = v }
                if t == Netlink.IFA_ADDRESS { a.address = v }
            }
            out.append(a)
        }
        return out
    }

    /// Adds `address` to link `index`.
    public mutating func addAddress(_ a: Address, index: Int32) throws {
        var body: [UInt8] = [a.family, a.prefixLength, a.flags, a.scope] + le(UInt32(bitPattern: index))
        if let l = a.local { body += attribute(Netlink.IFA_LOCAL, l) }
        if let d = a.address { body += attribute(Netlink.IFA_ADDRESS, d) }
        try request(Netlink.RTM_NEWADDR, flags: Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, body,
                    what: "add address to link \(index)")
    }

    // MARK: wire format

    func ifinfomsg(index: Int32, flags: UInt32, change: UInt32) -> [UInt8] {
        [0 /* AF_UNSPEC */, 0] + le16(0) + le(UInt32(bitPattern: index)) + le(flags) + le(change)
    }

    func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        var a = le16(UInt16(4 + value.count)) + le16(type) + value
        while a.count % 4 != 0 { a.append(0) }
        return a
    }

    func le(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)] }
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    func readLE32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
    static func readLE16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    static func attributes(_ b: [UInt8], from start: Int) -> [(UInt16, [UInt8])] {
        var out: [(UInt16, [UInt8])] = []
        var i = start
        while i + 4 <= b.count {
            let len = Int(readLE16(b, i)), type = readLE16(b, i + 2) & 0x3fff
            guard len >= 4, i + len <= b.count else { break }
            out.append((type, Array(b[(i + 4)..<(i + len)])))
            i += (len + 3) & ~3
        }
        return out
    }

    /// Sends one request that expects an ACK (or an error).
    mutating func request(_ type: UInt16, flags: UInt16, _ body: [UInt8], what: String) throws {
        _ = try exchange(type, flags: flags | Netlink.NLM_F_ACK, body, what: what)
    }

    /// Sends a message and reads replies until the ACK, the error, or NLMSG_DONE of a dump.
    mutating func exchange(_ type: UInt16, flags: UInt16, _ body: [UInt8], what: String) throws -> [(UInt16, [UInt8])] {
        seq &+= 1
        let mySeq = seq
        var msg = le(UInt32(16 + body.count)) + le16(type) + le16(flags | Netlink.NLM_F_REQUEST) + le(mySeq) + le(0)
        msg += body
        // Unconnected and without an address, a netlink message goes to the kernel (port 0).
        let sent = msg.withUnsafeBytes { buf in send(fd.raw, buf.baseAddress, buf.count, 0) }
        if sent < 0 { throw SysError("netlink sendto", what) }
        var replies: [(UInt16, [UInt8])] = []
        while true {
            // Not zero-filled: only the pages the kernel writes are touched (one for an ACK). Zeroed,
            // the 64 KiB were 16 pages more in the init stage (which brings `lo` up) for as long as
            // it lived: malloc keeps them.
            let buf = try bytesFilled(upTo: 65536) { b in
                try sys("netlink recv", what) { recv(fd.raw, b.baseAddress, b.count, 0) }
            }
            let n = buf.count
            var i = 0
            while i + 16 <= n {
                let len = Int(readLE32(buf, i)), mtype = Netlink.readLE16(buf, i + 4)
                let mseq = readLE32(buf, i + 8)
                guard len >= 16, i + len <= n else { break }
                let payload = Array(buf[(i + 16)..<(i + len)])
                i += (len + 3) & ~3
                if mseq != mySeq { continue }
                if mtype == Netlink.NLMSG_ERROR {
                    let code = payload.count >= 4 ? Int32(bitPattern: readLE32(payload, 0)) : -EIO
                    if code == 0 { return replies }
                    throw SysError("netlink", what, errno: -code)
                }
                if mtype == Netlink.NLMSG_DONE { return replies }
                replies.append((mtype, payload))
            }
        }
    }
}
