import XCTest
@testable import Container
@testable import RuntimeSpec
import Kernel

/// The process resolver: config.json's process (and `exec --process`'s file) to kernel values, or
/// every problem with its field. Pure logic: no root, no kernel call.
final class ProcessPlanTests: XCTestCase {
    typealias Case = (name: String, mutate: (inout Spec) -> Void, path: String, fragment: String)

    static let base = Spec.defaultSpec(rootless: false)

    /// Each bad config: the field (config.json's path) and a fragment of the message.
    let badConfigs: [Case] = [
        ("oomScoreAdj range", { $0.process!.oomScoreAdj = 1001 }, "process.oomScoreAdj", "1001 is out of range"),
        ("rlimit soft > hard for an unknown type", { $0.process!.rlimits = [POSIXRlimit(type: "RLIMIT_X", hard: 1, soft: 2)] },
         "process.rlimits[0]", "soft limit 2 exceeds hard limit 1"),
        ("unknown rlimit", { $0.process!.rlimits!.append(POSIXRlimit(type: "RLIMIT_FOO", hard: 1, soft: 1)) },
         "process.rlimits[1].type", "unknown rlimit \"RLIMIT_FOO\""),
        ("rlimit soft > hard", { $0.process!.rlimits![0].soft = 2048 },
         "process.rlimits[0]", "soft limit 2048 exceeds hard limit 1024"),
        ("duplicate rlimit", { $0.process!.rlimits!.append(POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1, soft: 1)) },
         "process.rlimits[1].type", "duplicate rlimit \"RLIMIT_NOFILE\""),
        ("personality", { $0.linux!.personality = LinuxPersonality(domain: "LINUX64") },
         "linux.personality.domain", "unknown personality domain \"LINUX64\""),
        badIOPriority("ioPriority class", LinuxIOPriority(class: "IOPRIO_CLASS_NONE", priority: 0),
            "process.ioPriority.class", "unknown I/O priority class \"IOPRIO_CLASS_NONE\""),
        badIOPriority("ioPriority level", LinuxIOPriority(class: "IOPRIO_CLASS_BE", priority: 8),
            "process.ioPriority.priority", "8 is out of range 0...7"),
        badScheduler("scheduler policy", Scheduler(policy: "SCHED_FAST"),
            "process.scheduler.policy", "unknown scheduler policy \"SCHED_FAST\""),
        badScheduler("scheduler nice", Scheduler(policy: "SCHED_OTHER", nice: 20),
            "process.scheduler.nice", "20 is out of range -20...19"),
        badScheduler("scheduler priority", Scheduler(policy: "SCHED_OTHER", priority: 5),
            "process.scheduler.priority", "only valid with SCHED_FIFO or SCHED_RR, not \"SCHED_OTHER\""),
        badScheduler("scheduler deadline fields", Scheduler(policy: "SCHED_RR", runtime: 5),
            "process.scheduler.runtime", "only valid with SCHED_DEADLINE"),
        badScheduler("scheduler flag", Scheduler(policy: "SCHED_OTHER", flags: ["SCHED_FLAG_FOO"]),
            "process.scheduler.flags[0]", "unknown scheduler flag \"SCHED_FLAG_FOO\""),
        ("execCPUAffinity", { $0.process!.execCPUAffinity = CPUAffinity(initial: "3-1") },
         "process.execCPUAffinity.initial", "invalid CPU list \"3-1\""),
        badMemoryPolicy("memoryPolicy mode", LinuxMemoryPolicy(mode: "MPOL_FOO"),
            "linux.memoryPolicy.mode", "unknown memory policy mode \"MPOL_FOO\""),
        badMemoryPolicy("memoryPolicy nodes required", LinuxMemoryPolicy(mode: "MPOL_BIND"),
            "linux.memoryPolicy.nodes", "required for \"MPOL_BIND\""),
        badMemoryPolicy("memoryPolicy nodes forbidden", LinuxMemoryPolicy(mode: "MPOL_LOCAL", nodes: "0"),
            "linux.memoryPolicy.nodes", "must be empty for \"MPOL_LOCAL\""),
        badMemoryPolicy("memoryPolicy flag", LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_X"]),
            "linux.memoryPolicy.flags[0]", "unknown memory policy flag \"MPOL_F_X\""),
        badMemoryPolicy("memoryPolicy exclusive flags", LinuxMemoryPolicy(
                mode: "MPOL_BIND", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]),
            "linux.memoryPolicy.flags", "mutually exclusive"),
        ("execCPUAffinity final", { $0.process!.execCPUAffinity = CPUAffinity(final: "x") },
         "process.execCPUAffinity.final", "invalid CPU list \"x\""),
        badScheduler("scheduler flag among good ones", Scheduler(
                policy: "SCHED_OTHER", flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_NOPE"]),
            "process.scheduler.flags[1]", "unknown scheduler flag \"SCHED_FLAG_NOPE\""),
        badMemoryPolicy("numa balancing without bind", LinuxMemoryPolicy(
                mode: "MPOL_INTERLEAVE", nodes: "0", flags: ["MPOL_F_NUMA_BALANCING"]),
            "linux.memoryPolicy.flags", "only valid with MPOL_BIND"),
    ]

    func resolve(_ s: Spec, from document: ProcessPlan.Document = .config, lastCap: Int = 40)
        -> (plan: ProcessPlan, problems: [ProcessPlan.Problem]) {
        ProcessPlan.resolve(s.process!, linux: s.linux, from: document, lastCap: lastCap)
    }

    func testBaseResolves() {
        let (plan, problems) = resolve(Self.base)
        XCTAssertEqual(problems, [])
        XCTAssertEqual(plan.rlimits, [.init(resource: Rlimit.Resource(named: "RLIMIT_NOFILE")!, soft: 1024, hard: 1024)])
        XCTAssertEqual(plan.rlimits.first?.resource.number, Int32(RLIMIT_NOFILE.rawValue))
        let kill: UInt64 = 1 << 5, audit: UInt64 = 1 << 29, bind: UInt64 = 1 << 10
        XCTAssertEqual(plan.capabilities.bounding, kill | audit | bind)
        XCTAssertEqual(plan.capabilities.effective, kill | audit | bind)
        XCTAssertEqual(plan.warnings, [])
    }

    func testBadConfigs() {
        XCTAssertGreaterThanOrEqual(badConfigs.count, 20)
        for c in badConfigs {
            var s = Self.base
            c.mutate(&s)
            let problems = resolve(s).problems
            let hit = problems.first { $0.field == .config(c.path) && $0.message.contains(c.fragment) }
            XCTAssertNotNil(hit, "\(c.name): want \(c.path): …\(c.fragment)…, got \(problems.map(\.description))")
        }
    }

    /// The same process in `exec --process`'s file: its fields are named in that file (`process:
    /// rlimits[0].type`); the container's linux section stays config.json's.
    func testProcessFileNamesItsFields() {
        var s = Self.base
        s.process!.rlimits = [POSIXRlimit(type: "RLIMIT_FOO", hard: 1, soft: 1)]
        s.process!.scheduler = Scheduler(policy: "SCHED_FAST")
        s.process!.ioPriority = LinuxIOPriority(class: "IOPRIO_CLASS_BE", priority: 9)
        s.linux!.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_FOO")
        let problems = resolve(s, from: .processFile).problems
        XCTAssertEqual(problems.map(\.field), [.process("rlimits[0].type"), .process("ioPriority.priority"),
                                               .process("scheduler.policy"), .config("linux.memoryPolicy.mode")])
        XCTAssertEqual(problems.first?.description, "process: rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"")
    }

    func testReportsEveryProblemInOrder() {
        var s = Self.base
        s.process!.rlimits = [POSIXRlimit(type: "RLIMIT_FOO", hard: 1, soft: 1),
                              POSIXRlimit(type: "RLIMIT_CPU", hard: 1, soft: 5)]
        s.process!.oomScoreAdj = -1001
        s.process!.scheduler = Scheduler(policy: "SCHED_OTHER", nice: -21)
        s.linux!.personality = LinuxPersonality(domain: "LINUX64")
        let fields = resolve(s).problems.map(\.field)
        XCTAssertEqual(fields, [.config("process.rlimits[0].type"), .config("process.rlimits[1]"),
                                .config("process.oomScoreAdj"), .config("process.scheduler.nice"),
                                .config("linux.personality.domain")])
    }

    func testResolvedThrowsOneErrorNamingTheField() {
        var s = Self.base
        s.process!.rlimits![0].type = "RLIMIT_FOO"
        XCTAssertThrowsError(try ProcessPlan.resolved(s.process!, linux: s.linux, from: .processFile)) { error in
            let e = error as? RuntimeError
            XCTAssertEqual(e?.field, .process("rlimits[0].type"))
            XCTAssertEqual("\(error)", "process: rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"")
        }
        s.process!.oomScoreAdj = 5000
        XCTAssertThrowsError(try ProcessPlan.resolved(s.process!, linux: s.linux)) { error in
            XCTAssertEqual("\(error)", "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"\n"
                           + "config.json: process.oomScoreAdj: 5000 is out of range -1000...1000")
        }
    }

    func testGoodValuesResolveToKernelNumbers() {
        var s = Self.base
        s.process!.rlimits = [POSIXRlimit(type: "RLIMIT_CPU", hard: 9, soft: 8), POSIXRlimit(type: "RLIMIT_RTTIME", hard: 2, soft: 1)]
        s.process!.oomScoreAdj = -17
        s.process!.scheduler = Scheduler(policy: "SCHED_FIFO", priority: 10, flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_UTIL_CLAMP_MAX"])
        s.process!.ioPriority = LinuxIOPriority(class: "IOPRIO_CLASS_IDLE", priority: 7)
        s.process!.execCPUAffinity = CPUAffinity(initial: "0-2,5", final: "1")
        s.linux!.personality = LinuxPersonality(domain: "LINUX32")
        s.linux!.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"])
        let (plan, problems) = resolve(s)
        XCTAssertEqual(problems, [])
        XCTAssertEqual(plan.rlimits.map(\.resource.number), [0, 15])
        XCTAssertEqual(plan.rlimits.map(\.soft), [8, 1])
        XCTAssertEqual(plan.oomScoreAdj, -17)
        var sched = Sched.Attributes(policy: 1)
        sched.priority = 10
        sched.flags = 0x01 | 0x40
        XCTAssertEqual(plan.scheduler, .init(policy: "SCHED_FIFO", attributes: sched))
        XCTAssertEqual(plan.ioPriority, .init(className: "IOPRIO_CLASS_IDLE", classNumber: 3, level: 7))
        XCTAssertEqual(plan.initialCPUs, [0, 1, 2, 5])
        XCTAssertEqual(plan.finalCPUs, [1])
        XCTAssertEqual(plan.personality, .init(domain: "LINUX32", persona: 8))
        XCTAssertEqual(plan.memoryPolicy?.mode, 2)
        XCTAssertEqual(plan.memoryPolicy?.flags, 1 << 15)
        XCTAssertEqual(plan.memoryPolicy?.nodes, [0, 1])
        XCTAssertEqual(plan.memoryPolicy?.shown, "MPOL_BIND|MPOL_F_STATIC_NODES nodes \"0-1\"")
    }

    /// runtime-spec 1.3: an unknown capability is no error; it is left out with a warning naming
    /// its field, and so is one this kernel does not know (above `lastCap`).
    func testCapabilitiesLeftOutWithWarnings() {
        var s = Self.base
        s.process!.capabilities = LinuxCapabilities(bounding: ["CAP_KILL", "CAP_NOT_A_THING", "CAP_CHECKPOINT_RESTORE"],
                                                    ambient: ["CAP_KILL"])
        let (plan, problems) = resolve(s, lastCap: 39)
        XCTAssertEqual(problems, [])
        XCTAssertEqual(plan.capabilities.bounding, 1 << 5)
        XCTAssertEqual(plan.capabilities.ambient, 1 << 5)
        XCTAssertEqual(plan.warnings, [
            "ignoring unknown capabilities: config.json: process.capabilities.bounding[1] \"CAP_NOT_A_THING\"",
            "config.json: process.capabilities: ignoring capabilities this kernel does not know: CAP_CHECKPOINT_RESTORE",
        ])
        XCTAssertEqual(resolve(s, from: .processFile, lastCap: 40).plan.warnings,
                       ["ignoring unknown capabilities: process: capabilities.bounding[1] \"CAP_NOT_A_THING\""])
    }
}

/// A bad `process.scheduler`.
private func badScheduler(_ name: String, _ value: Scheduler, _ path: String, _ fragment: String) -> ProcessPlanTests.Case {
    (name, { $0.process!.scheduler = value }, path, fragment)
}

/// A bad `linux.memoryPolicy`.
private func badMemoryPolicy(_ name: String, _ value: LinuxMemoryPolicy, _ path: String, _ fragment: String) -> ProcessPlanTests.Case {
    (name, { $0.linux!.memoryPolicy = value }, path, fragment)
}

/// A bad `process.ioPriority`.
private func badIOPriority(_ name: String, _ value: LinuxIOPriority, _ path: String, _ fragment: String) -> ProcessPlanTests.Case {
    (name, { $0.process!.ioPriority = value }, path, fragment)
}
