import XCTest
@testable import RuntimeSpec

/// A NUL byte (a `\u0000` escape in config.json) in a string that reaches the kernel: each is a
/// problem naming its field. Before these checks only root.path, process.env and a mount's
/// destination, source and type were refused; the rest went on cut short at the NUL (or, as bytes,
/// to sethostname and sysctl files).
final class NULByteValidationTests: XCTestCase {
    typealias Case = (name: String, mutate: (inout Spec) -> Void, path: String)

    static let base = Spec.defaultSpec(rootless: false)
    static let nul = "a\u{0}b"

    let cases: [Case] = [
        ("hostname", { $0.hostname = "box\u{0}evil" }, "hostname"),
        ("domainname", { $0.domainname = NULByteValidationTests.nul }, "domainname"),
        ("args", { $0.process!.args = ["sh", "-c\u{0}x"] }, "process.args[1]"),
        ("args[0]", { $0.process!.args = ["/bin/true\u{0}"] }, "process.args[0]"),
        ("env", { $0.process!.env = ["PATH=/bin", "A=b\u{0}c"] }, "process.env[1]"),
        ("cwd", { $0.process!.cwd = "/tmp\u{0}/x" }, "process.cwd"),
        ("apparmorProfile", { $0.process!.apparmorProfile = NULByteValidationTests.nul }, "process.apparmorProfile"),
        ("selinuxLabel", { $0.process!.selinuxLabel = NULByteValidationTests.nul }, "process.selinuxLabel"),
        ("root.path", { $0.root!.path = "rootfs\u{0}x" }, "root.path"),
        ("mount destination", { $0.mounts![1].destination = "/dev\u{0}x" }, "mounts[1].destination"),
        ("mount source", { $0.mounts![1].source = NULByteValidationTests.nul }, "mounts[1].source"),
        ("mount type", { $0.mounts![1].type = "tmpfs\u{0}" }, "mounts[1].type"),
        ("mount option", { $0.mounts![1].options = ["nosuid", "mode=755\u{0}x"] }, "mounts[1].options[1]"),
        ("hook path", { $0.hooks = Hooks(prestart: [Hook(path: "/bin/true\u{0}x")]) }, "hooks.prestart[0].path"),
        ("hook args", { $0.hooks = Hooks(poststop: [Hook(path: "/bin/true", args: ["true", NULByteValidationTests.nul])]) },
         "hooks.poststop[0].args[1]"),
        ("hook env", { $0.hooks = Hooks(createRuntime: [Hook(path: "/bin/true", env: [NULByteValidationTests.nul])]) },
         "hooks.createRuntime[0].env[0]"),
        ("namespace path", { $0.linux!.namespaces![1].path = "/proc/1/ns/net\u{0}x" }, "linux.namespaces[1].path"),
        ("device path", { $0.linux!.devices = [LinuxDevice(path: "/dev/x\u{0}y", type: "c", major: 1, minor: 3)] },
         "linux.devices[0].path"),
        ("sysctl name", { $0.linux!.sysctl = ["net.ipv4.ip_forward\u{0}x": "1"] }, "linux.sysctl[\"net.ipv4.ip_forward\\x00x\"]"),
        ("sysctl value", { $0.linux!.sysctl = ["net.ipv4.ip_forward": "1\u{0}0"] }, "linux.sysctl[\"net.ipv4.ip_forward\"]"),
        ("cgroupsPath", { $0.linux!.cgroupsPath = "/x\u{0}y" }, "linux.cgroupsPath"),
        ("mountLabel", { $0.linux!.mountLabel = NULByteValidationTests.nul }, "linux.mountLabel"),
        ("maskedPaths", { $0.linux!.maskedPaths = ["/proc/kcore", "/proc/x\u{0}"] }, "linux.maskedPaths[1]"),
        ("readonlyPaths", { $0.linux!.readonlyPaths = ["/proc/sys\u{0}"] }, "linux.readonlyPaths[0]"),
        ("unified name", { $0.linux!.resources = LinuxResources(unified: ["pids.max\u{0}": "10"]) },
         "linux.resources.unified[\"pids.max\\x00\"]"),
        ("unified value", { $0.linux!.resources = LinuxResources(unified: ["pids.max": "10\u{0}0"]) },
         "linux.resources.unified[\"pids.max\"]"),
        ("rdma device", { $0.linux!.resources = LinuxResources(rdma: ["mlx\u{0}": LinuxRdma(hcaHandles: 1)]) },
         "linux.resources.rdma[\"mlx\\x00\"]"),
        ("net_prio name", { $0.linux!.resources = LinuxResources(network: LinuxNetwork(priorities: [
            LinuxInterfacePriority(name: "eth0\u{0}", priority: 1)])) }, "linux.resources.network.priorities[0].name"),
        ("seccomp syscall name", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["getpid", "read\u{0}x"], action: "SCMP_ACT_ERRNO")]) }, "linux.seccomp.syscalls[0].names[1]"),
        ("seccomp listenerPath", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_NOTIFY",
                                                                     listenerPath: "/run/agent\u{0}.sock") },
         "linux.seccomp.listenerPath"),
        ("closID", { $0.linux!.intelRdt = LinuxIntelRdt(closID: NULByteValidationTests.nul) }, "linux.intelRdt.closID"),
        ("schemata", { $0.linux!.intelRdt = LinuxIntelRdt(schemata: ["L3:0=ff\u{0}"]) }, "linux.intelRdt.schemata[0]"),
        ("l3CacheSchema", { $0.linux!.intelRdt = LinuxIntelRdt(l3CacheSchema: NULByteValidationTests.nul) },
         "linux.intelRdt.l3CacheSchema"),
        ("memBwSchema", { $0.linux!.intelRdt = LinuxIntelRdt(memBwSchema: NULByteValidationTests.nul) },
         "linux.intelRdt.memBwSchema"),
    ]

    func testEveryNULByteIsAProblemNamingItsField() {
        for c in cases {
            var s = Self.base
            c.mutate(&s)
            let problems = s.validate()
            let hit = problems.first { $0.path == c.path && $0.message.contains("contains a NUL byte") }
            XCTAssertNotNil(hit, "\(c.name): want \(c.path): …contains a NUL byte, got \(problems.map(\.description))")
        }
    }

    /// Names looked up in a table are refused as unknown already: the NUL shows in the quoted name.
    func testTableNamesWithNULAreUnknown() {
        var s = Self.base
        s.linux!.namespaces![0].type = "pid\u{0}"
        s.linux!.rootfsPropagation = "private\u{0}"
        s.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW\u{0}")
        let shown = s.validate().map(\.description)
        XCTAssert(shown.contains("linux.namespaces[0].type: unknown namespace \"pid\\x00\""), "\(shown)")
        XCTAssert(shown.contains("linux.rootfsPropagation: unknown propagation \"private\\x00\""), "\(shown)")
        XCTAssert(shown.contains("linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_ALLOW\\x00\""), "\(shown)")
    }

    /// `exec --process`'s file: the same fields, named in the file (no `process.` prefix).
    func testProcessFileFieldsAreNamedWithoutPrefix() {
        var p = Self.base.process!
        XCTAssertEqual(p.nulByteProblems(), [])
        p.args = ["sh", NULByteValidationTests.nul]
        p.cwd = "/\u{0}"
        XCTAssertEqual(p.nulByteProblems().map(\.description), ["args[1]: contains a NUL byte", "cwd: contains a NUL byte"])
        XCTAssertEqual(p.nulByteProblems(prefix: "process.").first?.path, "process.args[1]")
    }

    /// `update -r`: the resources' checks are the same ones.
    func testResourcesAloneAreChecked() {
        let r = LinuxResources(unified: ["memory.max": "1\u{0}"])
        XCTAssertEqual(r.validate().map(\.description), ["linux.resources.unified[\"memory.max\"]: the value contains a NUL byte"])
    }
}
