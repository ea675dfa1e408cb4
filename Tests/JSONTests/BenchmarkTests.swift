import Foundation  // tests only: for the JSONDecoder comparison
import JSON
import XCTest

/// OCI-config-like model used for the benchmark.
struct BConfig: Codable {
    struct Process: Codable {
        struct User: Codable { var uid: UInt32; var gid: UInt32; var additionalGids: [UInt32]? }
        struct Rlimit: Codable { var type: String; var hard: UInt64; var soft: UInt64 }
        struct Caps: Codable { var bounding: [String]?; var effective: [String]?; var permitted: [String]? }
        var terminal: Bool?
        var user: User
        var args: [String]
        var env: [String]?
        var cwd: String
        var capabilities: Caps?
        var rlimits: [Rlimit]?
        var noNewPrivileges: Bool?
    }
    struct Mount: Codable { var destination: String; var type: String?; var source: String?; var options: [String]? }
    struct Linux: Codable {
        struct NS: Codable { var type: String; var path: String? }
        struct IDMap: Codable { var containerID: UInt32; var hostID: UInt32; var size: UInt32 }
        struct Device: Codable { var allow: Bool; var access: String?; var type: String?; var major: Int64?; var minor: Int64? }
        struct Resources: Codable { var devices: [Device]? }
        var namespaces: [NS]?
        var uidMappings: [IDMap]?
        var gidMappings: [IDMap]?
        var resources: Resources?
        var maskedPaths: [String]?
        var readonlyPaths: [String]?
        var sysctl: [String: String]?
    }
    var ociVersion: String
    var process: Process?
    var root: [String: JSONValue]?
    var hostname: String?
    var mounts: [Mount]?
    var linux: Linux?
    var annotations: [String: String]?
}

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

final class BenchmarkTests: XCTestCase {
    func testBenchmarkDecode() throws {
        let doc = Array(makeBenchmarkDocument().utf8)
        let iterations = 1000
        // Sanity: both decoders agree.
        let ours = try JSON.decode(BConfig.self, from: doc)
        let theirs = try JSONDecoder().decode(BConfig.self, from: Data(doc))
        XCTAssertEqual(ours.mounts?.count, theirs.mounts?.count)
        XCTAssertEqual(ours.annotations, theirs.annotations)
        XCTAssertEqual(ours.linux?.resources?.devices?.count, 12)

        let clock = ContinuousClock()
        func perIteration(_ d: Duration) -> Double {
            let c = d.components
            return (Double(c.seconds) * 1e6 + Double(c.attoseconds) / 1e12) / Double(iterations)
        }
        var sink = 0
        let parseTime = try clock.measure {
            for _ in 0..<iterations { if case .object(let o) = try JSON.parse(doc) { sink &+= o.count } }
        }
        let oursTime = try clock.measure {
            for _ in 0..<iterations { sink &+= try JSON.decode(BConfig.self, from: doc).mounts?.count ?? 0 }
        }
        let data = Data(doc)
        let decoder = JSONDecoder()
        let foundationTime = try clock.measure {
            for _ in 0..<iterations { sink &+= try decoder.decode(BConfig.self, from: data).mounts?.count ?? 0 }
        }
        let encodeTime = try clock.measure {
            for _ in 0..<iterations { sink &+= try JSON.encode(ours).count }
        }
        let encoder = JSONEncoder()
        let foundationEncodeTime = try clock.measure {
            for _ in 0..<iterations { sink &+= try encoder.encode(theirs).count }
        }
        // libyajl (the parser the design card names) on the same document, built from conformance/.
        let yajl = yajlParseMicroseconds(doc, iterations: iterations)
        XCTAssertNotNil(yajl, "conformance/yajl-parse.c did not build or run (gcc, libyajl-dev)")
        print("""
        BENCHMARK document \(doc.count) bytes, \(iterations) iterations (per iteration):
          JSON.parse                  \(String(format: "%8.1f", perIteration(parseTime))) µs
          JSON.decode (parse+decode)  \(String(format: "%8.1f", perIteration(oursTime))) µs
          Foundation JSONDecoder      \(String(format: "%8.1f", perIteration(foundationTime))) µs
          yajl_tree_parse (C, -O2)    \(String(format: "%8.1f", yajl ?? -1)) µs (parse only, no decoding)
          JSON.encode                 \(String(format: "%8.1f", perIteration(encodeTime))) µs
          Foundation JSONEncoder      \(String(format: "%8.1f", perIteration(foundationEncodeTime))) µs
          (sink \(sink))
        """)
    }
}

/// Builds conformance/yajl-parse.c and times it on `doc`; nil when it cannot.
func yajlParseMicroseconds(_ doc: [UInt8], iterations: Int) -> Double? {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-yajl-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let exe = dir.appendingPathComponent("yajl-parse").path
    let file = dir.appendingPathComponent("config.json").path
    guard FileManager.default.createFile(atPath: file, contents: Data(doc)) else { return nil }
    func run(_ args: [String]) -> String? {
        let p = Foundation.Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
    guard run(["gcc", "-O2", "-o", exe, repo.appendingPathComponent("conformance/yajl-parse.c").path, "-lyajl"]) != nil,
          let text = run([exe, file, "\(iterations)"]) else { return nil }
    return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
}
