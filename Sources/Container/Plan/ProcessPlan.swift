import Kernel
import RuntimeSpec

/// The container's process as the kernel takes it: the kernel values named in `process` (rlimits,
/// capabilities, scheduler, I/O priority, oom score, CPU affinity of exec) and in the process-wide
/// parts of `linux` (personality, memory policy), each looked up once, here. The init stage and the
/// exec child apply these values; nothing after `resolve` looks a name up again.
///
/// `create` resolves config.json's process; `exec` the container's process with its flags, or the
/// file of `--process`, through the same `resolve`.
struct ProcessPlan: Equatable {
    struct Limit: Equatable {
        var resource: Rlimit.Resource
        var soft: UInt64
        var hard: UInt64
    }

    struct IOPriority: Equatable {
        var className: String
        var classNumber: Int32
        var level: Int32
    }

    struct Scheduling: Equatable {
        /// The spec's name, for messages (the kernel's answer to some policies needs explaining).
        var policy: String
        var attributes: Sched.Attributes
    }

    struct Personality: Equatable {
        var domain: String
        var persona: UInt
    }

    struct MemoryPolicySetting: Equatable {
        var mode: Int32
        var flags: Int32
        var nodes: [Int]
        /// `MPOL_BIND|MPOL_F_STATIC_NODES nodes "0-1"`: how a failure names what was asked.
        var shown: String
    }

    /// Where the process came from, which decides how its fields are named in messages.
    enum Document: Equatable {
        /// config.json: `process.rlimits[0].type`.
        case config
        /// `exec --process`'s file, a process object: `rlimits[0].type`.
        case processFile
    }

    var document = Document.config
    var rlimits: [Limit] = []
    var oomScoreAdj: Int?
    var capabilities = CapabilitySets()
    var ioPriority: IOPriority?
    var scheduler: Scheduling?
    var personality: Personality?
    var memoryPolicy: MemoryPolicySetting?
    /// process.execCPUAffinity (exec only): the CPUs before and after the move into the cgroups.
    var initialCPUs: [Int]?
    var finalCPUs: [Int]?
    /// Capabilities left out, to be warned about: names that are none (runtime-spec 1.3: runtimes
    /// SHOULD NOT fail on them; runc and crun warn) and ones this kernel does not know yet.
    var warnings: [String] = []

    /// The field `path` of the process (`rlimits[0].type`) as users read it in this document.
    func field(_ path: String) -> InputField { ProcessPlan.field(path, in: document) }

    static func field(_ path: String, in document: Document) -> InputField {
        document == .config ? .config("process." + path) : .process(path)
    }

    /// A refusal of one field, named as in its document.
    struct Problem: Equatable, CustomStringConvertible {
        var field: InputField
        var message: String
        var description: String { "\(field.shown): \(message)" }
    }

    /// `process` and the process-wide parts of `linux` resolved, and every problem found, each with
    /// its field (the plan is only good when there is none). `lastCap`: the highest capability
    /// number of the kernel the process runs on.
    static func resolve(_ p: Process, linux: Linux?, from document: Document = .config,
                        lastCap: Int) -> (plan: ProcessPlan, problems: [Problem]) {
        var r = Resolver(document: document, lastCap: lastCap)
        r.plan.document = document
        r.resolveProcess(p)
        if let l = linux { r.resolveLinux(l) }
        return (r.plan, r.problems)
    }

    /// `resolve` for callers that stop at the first failure: one error listing every problem.
    static func resolved(_ p: Process, linux: Linux?, from document: Document = .config) throws -> ProcessPlan {
        let (plan, problems) = resolve(p, linux: linux, from: document, lastCap: Capabilities.lastCap)
        switch problems.count {
        case 0: return plan
        case 1: throw RuntimeError(field: problems[0].field, problems[0].message)
        default: throw RuntimeError(problems.map(\.description).joined(separator: "\n"))
        }
    }
}

/// Builds a `ProcessPlan`, collecting problems instead of stopping at the first.
private struct Resolver {
    let document: ProcessPlan.Document
    let lastCap: Int
    var plan = ProcessPlan()
    var problems: [ProcessPlan.Problem] = []

    init(document: ProcessPlan.Document, lastCap: Int) {
        self.document = document
        self.lastCap = lastCap
    }

    mutating func add(_ path: String, _ message: String) {
        problems.append(.init(field: ProcessPlan.field(path, in: document), message: message))
    }

    /// A field of config.json's `linux`, named so whatever document the process came from.
    mutating func addLinux(_ path: String, _ message: String) {
        problems.append(.init(field: .config("linux." + path), message: message))
    }

    mutating func resolveProcess(_ p: Process) {
        var seen: Set<Rlimit.Resource> = []
        for (i, l) in (p.rlimits ?? []).enumerated() {
            let path = "rlimits[\(i)]"
            if let resource = Rlimit.Resource(named: l.type) {
                if seen.insert(resource).inserted {
                    plan.rlimits.append(.init(resource: resource, soft: l.soft, hard: l.hard))
                } else {
                    add("\(path).type", "duplicate rlimit \(quoted(l.type))")
                }
            } else {
                add("\(path).type", "unknown rlimit \(quoted(l.type))")
            }
            if l.soft > l.hard {
                add(path, "soft limit \(l.soft) exceeds hard limit \(l.hard) for \(quoted(l.type))")
            }
        }
        if let o = p.oomScoreAdj {
            if o < -1000 || o > 1000 { add("oomScoreAdj", "\(o) is out of range -1000...1000") }
            plan.oomScoreAdj = o
        }
        resolveCapabilities(p.capabilities)
        if let io = p.ioPriority {
            let cls = Sched.ioPriorityClasses.first { $0.name == io.class }
            if cls == nil { add("ioPriority.class", "unknown I/O priority class \(quoted(io.class))") }
            if io.priority < 0 || io.priority > 7 {
                add("ioPriority.priority", "\(io.priority) is out of range 0...7")
            }
            if let cls {
                plan.ioPriority = .init(className: io.class, classNumber: cls.number, level: Int32(clamping: io.priority))
            }
        }
        if let s = p.scheduler { resolveScheduler(s) }
        if let a = p.execCPUAffinity {
            plan.initialCPUs = a.initial.flatMap { cpus($0, "execCPUAffinity.initial") }
            plan.finalCPUs = a.final.flatMap { cpus($0, "execCPUAffinity.final") }
        }
    }

    mutating func cpus(_ text: String, _ path: String) -> [Int]? {
        guard let ranges = parseCPUList(text) else {
            add(path, "invalid CPU list \(quoted(text))")
            return nil
        }
        return ranges.flatMap { Array($0) }
    }

    mutating func resolveCapabilities(_ caps: LinuxCapabilities?) {
        var unknown: [String] = []
        var unavailable: [String] = []
        func mask(_ names: [String]?, _ set: String) -> UInt64 {
            var mask: UInt64 = 0
            for (i, name) in (names ?? []).enumerated() {
                guard let n = Capabilities.number(named: name) else {
                    unknown.append("\(ProcessPlan.field("capabilities.\(set)[\(i)]", in: document).shown) \(quoted(name))")
                    continue
                }
                if Int(n) <= lastCap && n < 64 {
                    mask |= 1 << UInt64(n)
                } else if !unavailable.contains(name) {
                    unavailable.append(name)
                }
            }
            return mask
        }
        plan.capabilities.bounding = mask(caps?.bounding, "bounding")
        plan.capabilities.effective = mask(caps?.effective, "effective")
        plan.capabilities.permitted = mask(caps?.permitted, "permitted")
        plan.capabilities.inheritable = mask(caps?.inheritable, "inheritable")
        plan.capabilities.ambient = mask(caps?.ambient, "ambient")
        if !unknown.isEmpty { plan.warnings.append("ignoring unknown capabilities: \(unknown.joined(separator: ", "))") }
        if !unavailable.isEmpty {
            plan.warnings.append("\(ProcessPlan.field("capabilities", in: document).shown): ignoring capabilities "
                + "this kernel does not know: \(unavailable.joined(separator: ", "))")
        }
    }

    mutating func resolveScheduler(_ s: Scheduler) {
        let base = "scheduler"
        let policy = Sched.policies.first { $0.name == s.policy }
        if policy == nil { add("\(base).policy", "unknown scheduler policy \(quoted(s.policy))") }
        if let n = s.nice, n < -20 || n > 19 {
            add("\(base).nice", "\(n) is out of range -20...19")
        }
        if let pr = s.priority, pr != 0, s.policy != "SCHED_FIFO" && s.policy != "SCHED_RR" {
            add("\(base).priority", "priority \(pr) is only valid with SCHED_FIFO or SCHED_RR, not \(quoted(s.policy))")
        }
        if s.policy != "SCHED_DEADLINE" {
            for (name, val) in [("runtime", s.runtime), ("deadline", s.deadline), ("period", s.period)] {
                if let x = val, x != 0 {
                    add("\(base).\(name)", "\(name) \(x) is only valid with SCHED_DEADLINE, not \(quoted(s.policy))")
                }
            }
        }
        var flags: UInt64 = 0
        for (i, f) in (s.flags ?? []).enumerated() {
            if let bit = Sched.flags.first(where: { $0.name == f })?.bit {
                flags |= bit
            } else {
                add("\(base).flags[\(i)]", "unknown scheduler flag \(quoted(f))")
            }
        }
        guard let policy else { return }
        var a = Sched.Attributes(policy: policy.number)
        a.flags = flags
        a.nice = s.nice ?? 0
        a.priority = UInt32(clamping: s.priority ?? 0)
        a.runtime = s.runtime ?? 0
        a.deadline = s.deadline ?? 0
        a.period = s.period ?? 0
        plan.scheduler = .init(policy: s.policy, attributes: a)
    }

    mutating func resolveLinux(_ l: Linux) {
        if let p = l.personality {
            if let d = Sched.personalityDomains.first(where: { $0.name == p.domain }) {
                plan.personality = .init(domain: p.domain, persona: d.persona)
            } else {
                addLinux("personality.domain", "unknown personality domain \(quoted(p.domain)) (want LINUX or LINUX32)")
            }
        }
        if let mp = l.memoryPolicy { resolveMemoryPolicy(mp) }
    }

    mutating func resolveMemoryPolicy(_ mp: LinuxMemoryPolicy) {
        let base = "memoryPolicy"
        let mode = mp.mode
        let number = MemoryPolicy.modes.first { $0.name == mode }?.number
        if number == nil { addLinux("\(base).mode", "unknown memory policy mode \(quoted(mode))") }
        let text = mp.nodes ?? ""
        var nodes: [Int] = []
        if !text.isEmpty {
            if let ranges = parseCPUList(text) {
                nodes = ranges.flatMap { Array($0) }
            } else {
                addLinux("\(base).nodes", "invalid node list \(quoted(text))")
            }
        }
        switch mode {
        case "MPOL_DEFAULT", "MPOL_LOCAL":
            if !text.isEmpty { addLinux("\(base).nodes", "must be empty for \(quoted(mode)), got \(quoted(text))") }
        case "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED_MANY":
            if text.isEmpty { addLinux("\(base).nodes", "required for \(quoted(mode))") }
        default:
            break
        }
        let names = mp.flags ?? []
        var flags: Int32 = 0
        for (i, f) in names.enumerated() {
            if let bit = MemoryPolicy.flags.first(where: { $0.name == f })?.bit {
                flags |= bit
            } else {
                addLinux("\(base).flags[\(i)]", "unknown memory policy flag \(quoted(f))")
            }
        }
        if names.contains("MPOL_F_NUMA_BALANCING") && mode != "MPOL_BIND" {
            addLinux("\(base).flags", "MPOL_F_NUMA_BALANCING is only valid with MPOL_BIND, not \(quoted(mode))")
        }
        if names.contains("MPOL_F_STATIC_NODES") && names.contains("MPOL_F_RELATIVE_NODES") {
            addLinux("\(base).flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES are mutually exclusive")
        }
        guard let number else { return }
        plan.memoryPolicy = .init(mode: number, flags: flags, nodes: nodes,
                                  shown: "\(mode)\(names.map { "|" + $0 }.joined()) nodes \"\(text)\"")
    }
}
