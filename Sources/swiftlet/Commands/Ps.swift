import Glibc
import Container
import Kernel

/// `ps [--format table|json] ID [ps options]`: runs ps(1) (default `-ef`) and keeps the header and
/// the container's processes; json prints the pids.
func psCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    var format = "table"
    var id: String?
    var psArgs: [String] = []
    var i = rest.startIndex
    while i < rest.endIndex {
        let a = rest[i]
        if id != nil { psArgs.append(a) } else if a == "--format" || a == "-f" || a == "-format" {
            i += 1
            guard i < rest.endIndex else { throw UsageError("ps: flag needs an argument: -f") }
            format = rest[i]
        } else if a.hasPrefix("--format=") || a.hasPrefix("-f=") {
            format = String(a[a.index(after: a.firstIndex(of: "=")!)...])
        } else if a == "--" {
            if i + 1 < rest.endIndex { id = rest[i + 1]; i += 1 }
        } else if a.hasPrefix("-") {
            throw UsageError("ps: flag provided but not defined: \(a)")
        } else {
            id = a
        }
        i += 1
    }
    guard let id else { throw UsageError(missingIDFor: "ps") }
    let pids = try runtime.pids(id: id)
    switch format {
    case "json":
        // runc 1.1.5 prints Go's encoding of its pid list, which is nil for an empty cgroup (a
        // stopped container): `null`, not `[]`. Engines decode either into an empty list.
        out(pids.isEmpty ? "null\n" : "[" + pids.map(String.init).joined(separator: ",") + "]\n")
        return 0
    case "table": break
    default: throw UsageError("ps: invalid format option \"\(format)\"")
    }
    if psArgs.isEmpty, !pids.isEmpty,
       let text = try? capture(["ps", "-f", "-q", pids.sorted().map(String.init).joined(separator: ",")], quiet: true),
       let table = try? containerLines(of: text, pids: pids) {
        // runc runs `ps -ef` and keeps the container's lines, and procps reads every process of the
        // host for it (25 ms with 200 containers). Its quick-pid mode (`-q`) reads only the pids given
        // and prints the same columns and lines; ascending, they come in the order /proc lists them.
        // A ps without `-q` (busybox), or one that fails, gets runc's command line below.
        out(table)
        return 0
    }
    if psArgs.isEmpty { psArgs = ["-ef"] }
    out(try containerLines(of: try capture(["ps"] + psArgs), pids: pids))
    return 0
}

/// The header of ps's output and the lines whose PID column is one of `pids`, as runc keeps them.
func containerLines(of text: String, pids: [Int32]) throws -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    guard let header = lines.first else { throw RuntimeError(step: "ps", "no output from ps") }
    let columns = header.split(separator: " ")
    guard let pidColumn = columns.firstIndex(of: "PID") else {
        throw RuntimeError(step: "ps", "could not find a PID column in the ps output")
    }
    let wanted = Set(pids)
    var result = header + "\n"
    for line in lines.dropFirst() {
        let fields = line.split(separator: " ")
        guard pidColumn < fields.count, let pid = Int32(fields[pidColumn]) else { continue }
        if wanted.contains(pid) { result += line + "\n" }
    }
    return result
}

/// Runs a program found on PATH and returns its stdout; a failure carries its stderr, or with
/// `quiet` (a try whose failure is handled) leaves nothing on the caller's stderr.
func capture(_ args: [String], quiet: Bool = false) throws -> String {
    let (outR, outW) = try Pipe.make()
    let pid = try Proc.fork()
    if pid == 0 {
        outR.close()
        try? outW.dup(to: 1)
        if quiet, let null = try? FD.open("/dev/null", O_WRONLY) { try? null.dup(to: 2) }
        let env = (try? readTextFile(path: "/proc/self/environ"))?.split(separator: "\0").map(String.init) ?? []
        var path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for e in env where e.hasPrefix("PATH=") { path = String(e.dropFirst(5)) }
        for dir in path.split(separator: ":") {
            let candidate = dir + "/" + args[0]
            if isAccessible(candidate, X_OK) { try? Proc.exec(path: String(candidate), args: args, env: env) }
        }
        _ = try? FD(2).write("ps: \(args[0]): not found\n")
        Proc.exit(127)
    }
    outW.close()
    let bytes = (try? outR.readAll()) ?? []
    outR.close()
    let status = try Proc.wait(pid)
    guard status.status == 0 else {
        throw RuntimeError(step: "ps", "\(args.joined(separator: " ")) failed (\(status))")
    }
    return String(decoding: bytes, as: UTF8.self)
}
