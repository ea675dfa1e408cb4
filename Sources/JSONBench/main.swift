// The JSON parser's figures for conformance/BENCH.md, release build: swiftlet's parse, parse+decode
// into the runtime-spec types, and libyajl's yajl_tree_parse (the parser the design names), each on
// the same documents, per document in microseconds (best of 5 rounds of N).
//     swift build -c release --product JSONBench && .build/release/JSONBench [FILE...]
// Without FILE: a large config (32 mounts, 20 env, 12 devices, 15 annotations) and runc's `spec` default.
import CYajl
import FuzzSupport
import Glibc
import JSON
import RuntimeSpec

func makeBenchmarkDocument() -> String {
    var mounts: [String] = []
    for i in 0..<32 {
        mounts.append(#"{"destination": "/mnt/volume\#(i)/data", "type": "bind", "source": "/var/lib/containers/storage/volumes/\#(i)/_data", "options": ["rbind", "nosuid", "nodev", "rw"]}"#)
    }
    var env: [String] = []
    for i in 0..<20 { env.append(#""VAR_\#(i)=value-\#(i)-with-some-length""#) }
    var devices: [String] = []
    for i in 0..<12 { devices.append(#"{"allow": \#(i % 2 == 0), "access": "rwm", "type": "c", "major": \#(i + 1), "minor": \#(i * 3)}"#) }
    var annotations: [String] = []
    for i in 0..<15 { annotations.append(#""org.example.annotation.\#(i)": "value \#(i) \u00e9\n""#) }
    let caps = #"["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]"#
    return """
    {
      "ociVersion": "1.2.0",
      "process": {
        "terminal": false,
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [10, 20, 30]},
        "args": ["/usr/local/bin/server", "--config", "/etc/server/config.yaml", "--verbose"],
        "env": [\(env.joined(separator: ", "))],
        "cwd": "/srv",
        "capabilities": {"bounding": \(caps), "effective": \(caps), "permitted": \(caps)},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576}, {"type": "RLIMIT_NPROC", "hard": 4096, "soft": 4096}],
        "noNewPrivileges": true
      },
      "root": {"path": "rootfs", "readonly": true},
      "hostname": "benchmark",
      "mounts": [\(mounts.joined(separator: ",\n    "))],
      "linux": {
        "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "resources": {"devices": [\(devices.joined(separator: ", "))]},
        "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
        "readonlyPaths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        "sysctl": {"net.ipv4.ip_forward": "1", "net.core.somaxconn": "1024"}
      },
      "annotations": {\(annotations.joined(separator: ", "))}
    }
    """
}


func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e6 + Double(t.tv_nsec) / 1e3
}

/// Microseconds per call of `body`, the best of five rounds.
func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<5 {
        let start = now()
        for _ in 0..<iterations { try body() }
        best = min(best, (now() - start) / Double(iterations))
    }
    return best
}

func format(_ x: Double) -> String {
    let tenths = Int((x * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

var documents: [(String, [UInt8])] = []
for path in CommandLine.arguments.dropFirst() {
    guard let bytes = readInputFile(path) else {
        fputs("JSONBench: cannot read \(path)\n", stderr)
        exit(1)
    }
    documents.append((path, bytes))
}
if documents.isEmpty {
    documents = [("large config", Array(makeBenchmarkDocument().utf8)),
                 ("`spec` default", (try? JSON.encode(Spec.defaultSpec(rootless: false), pretty: true)) ?? [])]
}
print("| document | bytes | JSON.parse | parse + decode (Spec) | yajl_tree_parse |")
print("|---|---|---|---|---|")
for (name, bytes) in documents {
    do {
        _ = try JSON.decode(Spec.self, from: bytes)
    } catch {
        fputs("JSONBench: \(name): not a config: \(error)\n", stderr)
        exit(1)
    }
    let text = bytes.map { CChar(bitPattern: $0) } + [0]
    guard cyajl_tree_parse_free(text) == 1 else {
        fputs("JSONBench: \(name): yajl does not parse it\n", stderr)
        exit(1)
    }
    var sink = 0
    let iterations = 2000
    let parse = try measure(iterations) { if case .object(let o) = try JSON.parse(bytes) { sink &+= o.count } }
    let decode = try measure(iterations) { sink &+= try JSON.decode(Spec.self, from: bytes).mounts?.count ?? 0 }
    let yajl = measure(iterations) { sink &+= Int(cyajl_tree_parse_free(text)) }
    print("| \(name) | \(bytes.count) | \(format(parse)) µs | \(format(decode)) µs | \(format(yajl)) µs |")
    if sink == 42 { print("") }  // keeps the results alive
}
