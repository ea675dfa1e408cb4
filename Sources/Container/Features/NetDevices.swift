import Glibc
import Kernel
import RuntimeSpec

/// linux.netDevices: host network devices moved into the container's network namespace.
///
/// - create, in the parent (before the plan is forked): every device must exist on the host; its
///   addresses are read then.
/// - create, once init has its network namespace: the parent sets each device down and moves it
///   with one RTM_NEWLINK (IFLA_NET_NS_FD + IFLA_IFNAME, so the new name never clashes on the host),
///   then the init stage, inside, sets it up and adds the addresses again (a move drops them), as
///   runc does.
/// - delete: when the container made its own network namespace, the devices go back to the host
///   under their host names. The namespace is held by a bind mount of its nsfs file in the
///   state folder, so this also works after the container's processes are gone (else the kernel
///   would destroy virtual devices with the namespace, and hand physical ones back under their
///   container names). A joined namespace (linux.namespaces[].path) belongs to its owner: its
///   devices stay where they are, as with runc.
struct NetDeviceMove {
    var hostName: String
    var name: String
    var index: Int32
    var addresses: [Netlink.Address]
}

enum NetDevices {
    static let nsFile = "netns"

    /// Checks the devices on the host and reads their addresses.
    static func prepare(_ devices: [String: LinuxNetDevice]?) throws -> [NetDeviceMove] {
        guard let devices, !devices.isEmpty else { return [] }
        var nl = try Netlink.open()
        defer { nl.close() }
        var moves: [NetDeviceMove] = []
        for host in devices.keys.sorted() {
            let field = "linux.netDevices[\"\(host)\"]"
            guard let index = Netlink.index(of: host) else {
                throw RuntimeError.config(field, "no network device \"\(host)\" on the host")
            }
            let name = devices[host]?.name.flatMap { $0.isEmpty ? nil : $0 } ?? host
            let addrs: [Netlink.Address]
            do { addrs = try nl.addresses(index: index) } catch { throw RuntimeError.config(field, "", cause: error) }
            moves.append(NetDeviceMove(hostName: host, name: name, index: index, addresses: addrs))
        }
        return moves
    }

    /// The parent's part: moves the devices into the network namespace of `pid`.
    static func moveIn(_ moves: [NetDeviceMove], pid: pid_t) throws {
        guard !moves.isEmpty else { return }
        let ns: OwnedFD
        do { ns = try OwnedFD.open("/proc/\(pid)/ns/net", O_RDONLY) } catch {
            throw RuntimeError.config("linux.netDevices", "the container's network namespace", cause: error)
        }
        var nl = try Netlink.open()
        defer { nl.close() }
        for m in moves {
            let field = "linux.netDevices[\"\(m.hostName)\"]"
            do {
                try nl.setLink(index: m.index, up: false)
                try nl.moveLink(index: m.index, toNamespace: ns.fd, newName: m.name)
            } catch let e as SysError where e.errno == EEXIST || e.errno == ENOTUNIQ {
                throw RuntimeError.config("\(field).name", "the container's network namespace already has a device \"\(m.name)\"",
                                          cause: e)
            } catch {
                throw RuntimeError.config(field, "moving it into the container's network namespace as \"\(m.name)\"", cause: error)
            }
        }
    }

    /// The init stage's part, inside the container's network namespace: up, addresses back.
    static func configureInside(_ moves: [NetDeviceMove]) throws {
        guard !moves.isEmpty else { return }
        var nl = try Netlink.open()
        defer { nl.close() }
        for m in moves {
            let field = "linux.netDevices[\"\(m.hostName)\"]"
            guard let index = Netlink.index(of: m.name) else {
                throw RuntimeError.config(field, "\"\(m.name)\" is not in the container's network namespace")
            }
            do {
                for a in m.addresses { try nl.addAddress(a, index: index) }
                try nl.setLink(index: index, up: true)
            } catch {
                throw RuntimeError.config(field, "configuring \"\(m.name)\" in the container", cause: error)
            }
        }
    }

    /// Keeps the container's own network namespace alive until delete: a bind mount of its nsfs
    /// file at `<state folder>/netns`.
    static func holdNamespace(pid: pid_t, stateDir: String) throws {
        let target = stateDir + "/" + nsFile
        do {
            try writeFile(path: target, "", flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
            try Mount.mount(source: "/proc/\(pid)/ns/net", target: target, type: nil, flags: .bind)
        } catch {
            _ = try? removeFile(target)
            throw RuntimeError(field: .config("linux.netDevices"), object: target, "holding the container's network namespace",
                               cause: error)
        }
    }

    /// delete: moves the devices of `record` back to the host (under their host names) and lets go
    /// of the held namespace. Problems are warnings: delete goes on.
    static func restore(_ record: ContainerRecord, stateDir: String, warn: (String) -> Void) {
        let held = stateDir + "/" + nsFile
        guard fileExists(held) else { return }
        defer {
            _ = try? Mount.unmount(held, detach: true)
            _ = try? removeFile(held)
        }
        guard let devices = record.config.linux?.netDevices, !devices.isEmpty else { return }
        do {
            let host = try OwnedFD.open("/proc/self/ns/net", O_RDONLY)
            let theirs = try OwnedFD.open(held, O_RDONLY)
            try Namespaces.join(theirs.fd, .network, path: held)
            defer {
                do { try Namespaces.join(host.fd, .network, path: "/proc/self/ns/net") } catch {
                    warn("delete: cannot return to the host network namespace: \(error)")
                    Proc.exit(1)
                }
            }
            var nl = try Netlink.open()
            defer { nl.close() }
            for hostName in devices.keys.sorted() {
                // Under its host name when a rename failed half-way (the kernel moves first, then
                // renames), else under its container name.
                let wanted = devices[hostName]?.name.flatMap { $0.isEmpty ? nil : $0 } ?? hostName
                let name = Netlink.index(of: hostName) != nil ? hostName : wanted
                guard let index = Netlink.index(of: name) else {
                    warn("linux.netDevices[\"\(hostName)\"]: \"\(name)\" is no longer in the container's network namespace")
                    continue
                }
                do {
                    try nl.setLink(index: index, up: false)
                    try nl.moveLink(index: index, toNamespace: host.fd, newName: hostName)
                } catch {
                    warn("linux.netDevices[\"\(hostName)\"]: moving \"\(name)\" back to the host: \(error)")
                }
            }
        } catch {
            warn("linux.netDevices: moving the devices back to the host: \(error)")
        }
    }
}
