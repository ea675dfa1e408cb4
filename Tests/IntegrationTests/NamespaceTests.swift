import Foundation
import XCTest

/// linux.namespaces: new namespaces, joining existing ones, user and time namespaces.
final class NamespaceTests: IntegrationTestCase {
    static let kinds = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts", "time"]

    private func hostNS(_ kind: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)")) ?? "?"
    }

    /// The namespace links of the container's process, by kind.
    private func containerNS(_ configure: (inout Config) -> Void) -> [String: String] {
        let out = output { c in
            configure(&c)
            c.shell(Self.kinds.map { "echo \($0)=$(readlink /proc/self/ns/\($0))" }.joined(separator: "; "))
        }
        var ns: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { ns[kv[0]] = kv[1] }
        }
        return ns
    }

    func testDefaultNamespaces() {
        // pid, network, ipc, uts, mount are new; cgroup, user, time are the host's.
        let ns = containerNS { _ in }
        for kind in ["pid", "net", "ipc", "uts", "mnt"] {
            XCTAssertNotEqual(ns[kind], hostNS(kind), "\(kind) namespace should be new: \(ns)")
            XCTAssertNotNil(ns[kind])
        }
        for kind in ["cgroup", "user", "time"] {
            XCTAssertEqual(ns[kind], hostNS(kind), "\(kind) namespace should be the host's")
        }
    }

    func testNoNamespacesSharesHost() {
        let ns = containerNS { c in
            c.namespaces = [["type": "mount"]]
            c["hostname"] = nil
            c.mounts = c.mounts.filter { $0["type"] as? String != "mqueue" && $0["type"] as? String != "sysfs" }
        }
        for kind in ["pid", "net", "ipc", "uts", "cgroup", "user"] {
            XCTAssertEqual(ns[kind], hostNS(kind), "\(kind) should be the host's: \(ns)")
        }
        XCTAssertNotEqual(ns["mnt"], hostNS("mnt"))
    }

    func testPidNamespace() {
        let out = output { $0.shell("echo $$; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -c '^[0-9]'") }
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "1", "pid of the container process: \(out)")
        XCTAssertTrue(lines.count > 1 && lines[1].hasPrefix("sh -c"), "pid 1 is the user program: \(out)")
        // only the shell, the subshell and ls/grep: nowhere near the host's process count
        XCTAssertLessThan(Int(lines.last ?? "") ?? 1000, 10, "processes visible in the pid namespace: \(out)")
    }

    func testUTSNamespace() {
        let out = output { c in
            c["hostname"] = "box-\(token)"
            c["domainname"] = "example.test"
            c.shell("hostname; cat /proc/sys/kernel/hostname; cat /proc/sys/kernel/domainname")
        }
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.prefix(2), ["box-\(token)", "box-\(token)"], out)
        assertOrDeviation(lines.count == 3 && lines[2] == "example.test", runtimes: ["runc"],
                          reason: "runc 1.1 ignores domainname", "domainname: \(out)")
        var uts = utsname()
        uname(&uts)
        let hostName = withUnsafeBytes(of: &uts.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertNotEqual(hostName, "box-\(token)", "the host's hostname changed")
    }

    func testIPCNamespace() {
        let ns = containerNS { _ in }
        XCTAssertNotEqual(ns["ipc"], hostNS("ipc"))
        // a System V segment created on the host is not visible in the container
        let out = output { $0.shell("cat /proc/sysvipc/shm | wc -l") }
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "1", "only the header line: \(out)")
    }

    func testNetworkNamespaceHasOnlyLoopback() {
        let out = output { $0.shell("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ls /sys/class/net") }
        XCTAssertEqual(out, "lo\nlo\n")
    }

    func testMountNamespaceIsolated() {
        // A tmpfs mounted by the container is not visible on the host.
        let before = hostMountinfo().count
        let out = output { c in
            let caps = ["CAP_SYS_ADMIN"]
            c[path: "process.capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps]
            c.mounts.append(["destination": "/tmp", "type": "tmpfs", "source": "tmpfs"])
            c.shell("mkdir /tmp/m && mount -t tmpfs none /tmp/m && grep -c ' /tmp/m ' /proc/self/mountinfo")
        }
        XCTAssertEqual(out, "1\n")
        XCTAssertEqual(hostMountinfo().count, before, "mount table of the host changed")
    }

    func testCgroupNamespace() {
        let out = output { c in
            c.addNamespace("cgroup")
            c.shell("readlink /proc/self/ns/cgroup; cat /proc/self/cgroup")
        }
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertNotEqual(lines.first, hostNS("cgroup"), out)
        for line in lines.dropFirst() {
            XCTAssertTrue(line.hasSuffix(":/"), "cgroup path in a cgroup namespace should be /: \(line)")
        }
    }

    func testUserNamespace() {
        let out = output { c in
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
            c.shell("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user")
        }
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(lines.count, 5, out)
        guard lines.count == 5 else { return }
        XCTAssertEqual(lines[0], ["0", "100000", "65536"], "uid_map: \(out)")
        XCTAssertEqual(lines[1], ["0", "200000", "65536"], "gid_map: \(out)")
        XCTAssertEqual(lines[2], ["0"])
        XCTAssertEqual(lines[3], ["0"])
        XCTAssertNotEqual(lines[4].first, hostNS("user"))
    }

    func testUserNamespaceHostView() {
        // Seen from the host, the container process runs as the mapped ids.
        let bundle = makeBundle { c in
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell("sleep 100")
        }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid") }
        let f = statusFields(readFileBytes("/proc/\(pid)/status"))
        XCTAssertEqual(f["Uid"]?.split(separator: "\t").first, "101000", "host uid of the container process")
        XCTAssertEqual(f["Gid"]?.split(separator: "\t").first, "101000", "host gid of the container process")
    }

    func testTimeNamespace() {
        let r = runContainer { c in
            c.addNamespace("time")
            c[path: "linux.timeOffsets"] = [
                "monotonic": ["secs": 31_536_000, "nanosecs": 0],
                "boottime": ["secs": 7200, "nanosecs": 500],
            ]
            c.shell("cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime")
        }
        knownDeviation(runtimes: ["runc"], reason: "runc 1.1 does not support the time namespace") {
            XCTAssertEqual(r.status, 0, describe(r))
            let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            XCTAssertTrue(lines.contains(["monotonic", "31536000", "0"]), "timens_offsets: \(r.stdout)")
            XCTAssertTrue(lines.contains(["boottime", "7200", "500"]), "timens_offsets: \(r.stdout)")
            // /proc/uptime follows boottime
            let hostUptime = Int(Double(readFileBytes("/proc/uptime").split(separator: " ").first ?? "") ?? 0)
            let uptime = Int(lines.last?.first ?? "") ?? 0
            XCTAssertGreaterThanOrEqual(uptime, hostUptime + 7200 - 5, "uptime in the container: \(r.stdout)")
        }
    }

    /// A namespace file on the host: `unshare --<kind>=FILE true` bind-mounts the new namespace on FILE.
    private func persistentNamespace(_ kind: String) -> String? {
        let file = scratch + "/ns-\(kind)"
        FileManager.default.createFile(atPath: file, contents: nil)
        let r = Host.sh("unshare --\(kind)='\(file)' true")
        XCTAssertEqual(r.status, 0, "unshare: \(describe(r))")
        return r.status == 0 ? file : nil
    }

    private func inode(_ path: String) -> String {
        Host.sh("stat -L -c %i '\(path)'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testJoinNetworkNamespaceByPath() {
        guard let file = persistentNamespace("net") else { return }
        defer { Host.sh("umount '\(file)'") }
        Host.sh("nsenter --net='\(file)' ip link add dummy0 type dummy 2>/dev/null")
        let ns = containerNS { c in c.addNamespace("network", path: file) }
        XCTAssertEqual(ns["net"], "net:[\(inode(file))]", "joined network namespace")
        XCTAssertNotEqual(ns["net"], hostNS("net"))
    }

    func testJoinUTSAndIPCByPath() {
        guard let uts = persistentNamespace("uts"), let ipc = persistentNamespace("ipc") else { return }
        defer { Host.sh("umount '\(uts)'; umount '\(ipc)'") }
        Host.sh("nsenter --uts='\(uts)' hostname joined-\(token)")
        let out = output { c in
            c.addNamespace("uts", path: uts)
            c.addNamespace("ipc", path: ipc)
            c["hostname"] = nil
            c.shell("hostname; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc")
        }
        XCTAssertEqual(out, "joined-\(token)\nuts:[\(inode(uts))]\nipc:[\(inode(ipc))]\n")
    }

    func testJoinNonexistentNamespaceFails() {
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { $0.addNamespace("network", path: scratch + "/nope") }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        assertNothingLeftBehind(id, "join missing netns")
    }

    func testJoinWrongNamespaceTypeFails() {
        guard let uts = persistentNamespace("uts") else { return }
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { $0.addNamespace("network", path: uts) }, id])
        XCTAssertNotEqual(r.status, 0, "joining a uts namespace file as network: \(describe(r))")
        Host.sh("umount '\(uts)'")
        assertNothingLeftBehind(id, "join wrong type")
    }
}
