import Foundation
import XCTest

/// Kubernetes' calls, made the way the kubelet makes them: containerd 1.6 (Debian 12) with its CRI
/// plugin, the io.containerd.runc.v2 shim calling the runtime under test (`BinaryName`), the cgroupfs
/// driver, and its own root, state, socket and CNI configuration in a directory of this test process.
/// A CRI v1 client (Fixtures/cri/cri.py: Python, grpcio, the reduced api.proto) drives the
/// RuntimeService and ImageService over the socket. The images are made here and imported with
/// `ctr -n k8s.io images import`: the sandbox image from a static pause program, the app image from
/// the busybox rootfs; no registry is reached. Each test runs its own pods and removes them the way
/// the kubelet does (StopPodSandbox, RemovePodSandbox), then checks that no container, process,
/// mount, cgroup or runtime state of them is left.
final class CRIEngineTests: IntegrationTestCase {
    static let work = "/tmp/swiftlet-cri-\(getpid())"
    static var socket: String { work + "/containerd.sock" }
    /// The shim runs the runtime with `--root <Root>/<containerd namespace>`.
    static var runtimeRoot: String { work + "/runtime-root/k8s.io" }
    static var taskDir: String { work + "/state/io.containerd.runtime.v2.task/k8s.io" }
    static var fixtures: String { Env.repo + "/Tests/IntegrationTests/Fixtures/cri" }
    /// The host bridge of the CNI network of the private-network pods (IFNAMSIZ: at most 15 bytes).
    static let bridge = "swlcri\(getpid() % 1_000_000)"
    static var containerdPID: Int32 = 0
    static var ready: String?
    /// The pods' cgroup parents (the kubelet's to make and remove): what a failed test left of them
    /// goes in the class tearDown, once the runtime has deleted its containers.
    static var cgroupParents: Set<String> = []
    /// containerd makes /run/netns a shared bind mount of itself for the pods' network namespaces
    /// (a path it does not let one configure); undone afterwards when it was not a mount before.
    static let netnsWasMount = isMountPoint("/run/netns")
    /// Network namespaces and CNI result files there were before: a pod that failed to go leaves its
    /// own, which the class tearDown removes (and only those).
    static let netnsBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
    static let cniResultsBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: "/var/lib/cni/results")) ?? [])

    static func isMountPoint(_ path: String) -> Bool {
        readFileBytes("/proc/self/mountinfo").split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first == Substring(path) }
    }

    static let sandboxImage = "localhost/pause:swiftlet-test"
    static let appImage = "localhost/busybox:swiftlet-test"
    static let python = "/usr/bin/python3"

    /// Builds the images, writes containerd's configuration and starts it; nil when ready, else why not.
    static func setUpContainerd() -> String? {
        setUpOnce(&ready, startContainerd)
    }

    private static func startContainerd() -> String? {
        _ = (netnsWasMount, netnsBefore, cniResultsBefore)
        let tools = Host.sh("""
            for t in containerd ctr gcc protoc ip; do command -v $t >/dev/null || echo "missing: $t"; done
            [ -x /usr/lib/cni/bridge ] || echo "missing: /usr/lib/cni/bridge (containernetworking-plugins)"
            \(python) -c 'import grpc, google.protobuf' 2>/dev/null || echo "missing: python3-grpcio / python3-protobuf"
            """)
        if !tools.stdout.isEmpty { return tools.stdout + "(tools/deps.sh test installs them)" }
        if let e = Env.rootfsError { return e }
        let w = work, f = fixtures, pack = Env.repo + "/Tests/IntegrationTests/Fixtures/engines/docker-archive.py"
        // The pause program is a static binary alone in its image; the app image is the busybox rootfs.
        let images = Host.sh("""
            set -e; mkdir -p '\(w)/gen' '\(w)/pause-root/dev' '\(w)/pause-root/proc' '\(w)/pause-root/sys' '\(w)/cni'
            gcc -static -O2 -o '\(w)/pause-root/pause' '\(f)/pause.c'
            protoc -I '\(f)' --python_out='\(w)/gen' api.proto
            \(python) '\(pack)' '\(w)/pause.tar' '\(sandboxImage)' '\(w)/pause-root' '{"Entrypoint":["/pause"]}'
            \(python) '\(pack)' '\(w)/busybox.tar' '\(appImage)' '\(Env.sharedRootfs)' \\
              '{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
            """, timeout: 120)
        if images.status != 0 { return "building the images: \(describe(images))" }
        // The loopback plugin alone does not serve: the CRI plugin wants an eth0 with an address. A
        // bridge without gateway or masquerading, and a static TEST-NET-1 address (RFC 5737, never
        // routed), touch neither iptables nor the host's routes; the bridge goes in the class tearDown.
        let cni = """
            {"cniVersion": "0.4.0", "name": "swiftlet-cri-test", "plugins": [
              {"type": "bridge", "bridge": "\(bridge)", "isGateway": false, "ipMasq": false,
               "ipam": {"type": "static", "addresses": [{"address": "192.0.2.2/24"}]}}]}
            """
        try? cni.write(toFile: w + "/cni/10-swiftlet-test.conflist", atomically: true, encoding: .utf8)
        // restrict_oom_score_adj: the sandbox asks for oom_score_adj -998, which needs CAP_SYS_RESOURCE
        // (absent here): every runtime, runc included, fails to write it. The kubelet's own nodes have it.
        let config = """
            version = 2
            root = "\(w)/root"
            state = "\(w)/state"
            [grpc]
              address = "\(socket)"
            [ttrpc]
              address = "\(w)/containerd.sock.ttrpc"
            [debug]
              address = "\(w)/debug.sock"
            [metrics]
              address = ""
            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = "\(sandboxImage)"
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
              enable_selinux = false
              restrict_oom_score_adj = true
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "overlayfs"
                default_runtime_name = "swiftlet"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.swiftlet]
                  runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.swiftlet.options]
                    BinaryName = "\(Env.runtime)"
                    Root = "\(w)/runtime-root"
                    SystemdCgroup = false
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "/usr/lib/cni"
                conf_dir = "\(w)/cni"
            """
        try? config.write(toFile: w + "/config.toml", atomically: true, encoding: .utf8)
        let started = Host.sh("setsid containerd --config '\(w)/config.toml' > '\(w)/containerd.log' 2>&1 < /dev/null & echo $!")
        containerdPID = Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(100_000) }
        guard FileManager.default.fileExists(atPath: socket) else {
            return "containerd did not start: " + ((try? String(contentsOfFile: w + "/containerd.log", encoding: .utf8)) ?? "")
        }
        for tar in ["pause.tar", "busybox.tar"] {
            let imp = Host.exec("/usr/bin/env", ["ctr", "-a", socket, "-n", "k8s.io", "images", "import", w + "/" + tar], timeout: 120)
            if imp.status != 0 { return "ctr images import \(tar): \(describe(imp))" }
        }
        return nil
    }

    override class func tearDown() {
        if containerdPID > 0 {
            // What a failed test left: pods go the kubelet's way, then the daemon.
            let list = callCRI("RuntimeService/ListPodSandbox", [:])
            for item in list.response["items"] as? [[String: Any]] ?? [] {
                let id = item["id"] as? String ?? ""
                _ = callCRI("RuntimeService/StopPodSandbox", ["pod_sandbox_id": id])
                _ = callCRI("RuntimeService/RemovePodSandbox", ["pod_sandbox_id": id])
            }
            kill(containerdPID, SIGTERM)
            for _ in 0..<50 where kill(containerdPID, 0) == 0 { usleep(100_000) }
            kill(containerdPID, SIGKILL)
        }
        // A runtime that failed the kubelet's way leaves containers and their shims: the runtime
        // deletes its containers, the shims of this containerd (its socket in their command line)
        // go, and with them the sockets they keep in /run/containerd/s (named by the sha256 of
        // "<address>/<namespace>/<id>").
        Host.sh("""
            for id in $(ls '\(runtimeRoot)' 2>/dev/null); do '\(Env.runtime)' --root '\(runtimeRoot)' delete --force "$id"; done
            for pid in $(pgrep -f -- 'shim.* -address \(socket)( |$)'); do
              [ "$pid" = $$ ] && continue
              id=$(tr '\\0' ' ' < /proc/$pid/cmdline | sed -n 's/.* -id \\([^ ]*\\).*/\\1/p'); kill -9 "$pid"
              [ -n "$id" ] && rm -f "/run/containerd/s/$(printf '%s' '\(socket)/k8s.io/'"$id" | sha256sum | cut -d' ' -f1)"
            done
            """, timeout: 60)
        for parent in cgroupParents {
            Host.sh("for d in /sys/fs/cgroup/*'\(parent)'; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done 2>/dev/null")
        }
        Host.sh("""
            grep -o ' \(work)[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
            rm -rf '\(work)' 2>/dev/null || { sleep 1; rm -rf '\(work)'; }; ip link del '\(bridge)' 2>/dev/null; true
            """)
        let netns = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
        for ns in netns.subtracting(netnsBefore) where ns.hasPrefix("cni-") {
            Host.sh("umount -l '/run/netns/\(ns)' 2>/dev/null; rm -f '/run/netns/\(ns)'")
        }
        let results = Set((try? FileManager.default.contentsOfDirectory(atPath: "/var/lib/cni/results")) ?? [])
        for r in results.subtracting(cniResultsBefore) where r.hasPrefix("swiftlet-cri-test-") || r.hasPrefix("cni-loopback-") {
            try? FileManager.default.removeItem(atPath: "/var/lib/cni/results/" + r)
        }
        if !netnsWasMount && isMountPoint("/run/netns") && !readFileBytes("/proc/self/mountinfo").contains(" /run/netns/") {
            Host.sh("umount /run/netns")
        }
        super.tearDown()
    }

    // MARK: the CRI client

    struct CRIResult {
        let ok: Bool
        let response: [String: Any]
        /// "CODE: details" of a gRPC error.
        let error: String
    }

    static func callCRI(_ method: String, _ request: [String: Any], deadline: Double = 60) -> CRIResult {
        let r = Host.exec(python, [fixtures + "/cri.py", work + "/gen", socket, method, String(deadline)],
                          stdin: jsonText(request), timeout: deadline + 30)
        return CRIResult(ok: r.status == 0, response: parseJSON(r.stdout) as? [String: Any] ?? [:],
                         error: r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A call that must succeed; its response.
    @discardableResult
    func cri(_ method: String, _ request: [String: Any], deadline: Double = 60,
             file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        let r = CRIEngineTests.callCRI(method, request, deadline: deadline)
        XCTAssertTrue(r.ok, "\(method): \(r.error)", file: file, line: line)
        return r.response
    }

    func requireContainerd() throws {
        if let e = CRIEngineTests.setUpContainerd() { throw SetupError(message: e) }
    }

    // MARK: pods and containers, as the kubelet sends them

    /// Pods of this test not yet removed; tearDown removes them.
    private var pods: [String] = []

    struct Pod {
        let id: String
        let config: [String: Any]
        let logDirectory: String
        let cgroupParent: String
        /// The pause process (host pid).
        let pid: Int32
    }

    /// A pod's namespace modes: POD, CONTAINER or NODE (NamespaceMode).
    func namespaceOptions(network: String, pid: String) -> [String: Any] {
        ["network": network, "pid": pid, "ipc": "POD"]
    }

    func runPod(_ name: String, network: String = "NODE", pid: String = "CONTAINER", privileged: Bool = false,
                sysctls: [String: String] = [:], dns: [String: Any]? = nil,
                file: StaticString = #filePath, line: UInt = #line) throws -> Pod {
        let logs = hostDir("logs-" + name)
        // The kubelet makes the pod cgroup under its own parent (kubepods/...); the token in the name
        // lets the harness's leak checks see it.
        let parent = "/\(token)-\(name)"
        CRIEngineTests.cgroupParents.insert(parent)
        var config: [String: Any] = [
            "metadata": ["name": name, "uid": "\(token)-\(name)-uid", "namespace": "swiftlet-test", "attempt": 0],
            "log_directory": logs,
            "labels": ["swiftlet-test": token],
            "linux": [
                "cgroup_parent": parent,
                "security_context": ["namespace_options": namespaceOptions(network: network, pid: pid),
                                     "privileged": privileged] as [String: Any],
                "sysctls": sysctls,
            ] as [String: Any],
        ]
        if let dns = dns { config["dns_config"] = dns }
        // The kubelet sends a hostname only for pods with their own network (and uts) namespace.
        if network != "NODE" { config["hostname"] = name }
        let r = CRIEngineTests.callCRI("RuntimeService/RunPodSandbox", ["config": config])
        guard r.ok, let id = r.response["pod_sandbox_id"] as? String else {
            XCTFail("RunPodSandbox: \(r.error)", file: file, line: line)
            throw SetupError(message: "RunPodSandbox failed: \(r.error)")
        }
        pods.append(id)
        let status = cri("RuntimeService/PodSandboxStatus", ["pod_sandbox_id": id, "verbose": true])
        let info = parseJSON((status["info"] as? [String: Any])?["info"] as? String ?? "") as? [String: Any]
        let pid = Int32(number(info?["pid"]) ?? 0)
        XCTAssertEqual((status["status"] as? [String: Any])?["state"] as? String, "SANDBOX_READY", file: file, line: line)
        XCTAssertGreaterThan(pid, 0, "sandbox pid from PodSandboxStatus: \(status)", file: file, line: line)
        return Pod(id: id, config: config, logDirectory: logs, cgroupParent: parent, pid: pid)
    }

    /// CreateContainer + StartContainer of the app image; returns the container id.
    /// `securityContext`: fields of the container's LinuxContainerSecurityContext besides the pod's
    /// namespace options, which the kubelet repeats in every container's.
    func startContainer(_ pod: Pod, _ name: String, _ command: [String], resources: [String: Any]? = nil,
                        securityContext: [String: Any] = [:], mounts: [[String: Any]] = [],
                        file: StaticString = #filePath, line: UInt = #line) -> String {
        let nsOptions = ((pod.config["linux"] as? [String: Any])?["security_context"] as? [String: Any])?["namespace_options"] ?? [:]
        var context = securityContext
        context["namespace_options"] = nsOptions
        var linux: [String: Any] = ["security_context": context]
        if let resources = resources { linux["resources"] = resources }
        let config: [String: Any] = [
            "metadata": ["name": name, "attempt": 0],
            "image": ["image": CRIEngineTests.appImage],
            "command": command,
            // Leaked container processes carry the token (the harness's process leak check).
            "envs": [["key": "SWIFTLET_TEST_ID", "value": token]],
            "log_path": name + ".log",
            "mounts": mounts,
            "labels": ["swiftlet-test": token],
            "linux": linux,
        ]
        let created = cri("RuntimeService/CreateContainer",
                          ["pod_sandbox_id": pod.id, "config": config, "sandbox_config": pod.config], file: file, line: line)
        let id = created["container_id"] as? String ?? ""
        cri("RuntimeService/StartContainer", ["container_id": id], file: file, line: line)
        return id
    }

    struct ExecResult {
        let stdout: String
        let stderr: String
        let exitCode: Int
    }

    func execSync(_ id: String, _ cmd: [String], timeout: Int = 0,
                  file: StaticString = #filePath, line: UInt = #line) -> ExecResult {
        let r = cri("RuntimeService/ExecSync", ["container_id": id, "cmd": cmd, "timeout": timeout], file: file, line: line)
        func bytes(_ key: String) -> String {
            String(decoding: Data(base64Encoded: r[key] as? String ?? "") ?? Data(), as: UTF8.self)
        }
        return ExecResult(stdout: bytes("stdout"), stderr: bytes("stderr"), exitCode: Int(number(r["exit_code"]) ?? -1))
    }

    func containerStatus(_ id: String) -> [String: Any] {
        cri("RuntimeService/ContainerStatus", ["container_id": id])["status"] as? [String: Any] ?? [:]
    }

    /// Polls ContainerStatus until the container has exited (the kubelet's PLEG does the same).
    func waitExited(_ id: String, timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var s = containerStatus(id)
        while s["state"] as? String != "CONTAINER_EXITED" && Date() < deadline {
            usleep(200_000)
            s = containerStatus(id)
        }
        XCTAssertEqual(s["state"] as? String, "CONTAINER_EXITED", "container \(id) did not exit: \(s)", file: file, line: line)
        return s
    }

    /// StopPodSandbox + RemovePodSandbox, then nothing of the pod may be left: no container in the
    /// CRI or in the runtime's state, no pause process, no mount, no cgroup below the pod's parent
    /// (which the kubelet made, and removes here).
    func removePod(_ pod: Pod, containers: [String], file: StaticString = #filePath, line: UInt = #line) {
        cri("RuntimeService/StopPodSandbox", ["pod_sandbox_id": pod.id], file: file, line: line)
        cri("RuntimeService/RemovePodSandbox", ["pod_sandbox_id": pod.id], file: file, line: line)
        pods.removeAll { $0 == pod.id }
        let ids = [pod.id] + containers
        let listed = cri("RuntimeService/ListContainers", ["filter": ["pod_sandbox_id": pod.id]])["containers"] as? [Any] ?? []
        XCTAssertTrue(listed.isEmpty, "containers still listed: \(listed)", file: file, line: line)
        let state = Host.exec(Env.runtime, ["--root", CRIEngineTests.runtimeRoot, "list", "--format", "json"])
        for id in ids {
            XCTAssertFalse(state.stdout.contains(id), "runtime state still has \(id): \(state.stdout)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: CRIEngineTests.taskDir + "/" + id), "bundle of \(id) left", file: file, line: line)
        }
        XCTAssertFalse(CRIEngineTests.alive(pod.pid), "pause process \(pod.pid) still running", file: file, line: line)
        let mounts = hostMountinfo().filter { line in ids.contains { line.contains($0) } }
        XCTAssertTrue(mounts.isEmpty, "mounts left: \(mounts)", file: file, line: line)
        // The pod's cgroup parent: nothing below it may be left; then it goes, as the kubelet removes it.
        for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let dir = "/sys/fs/cgroup/\(hierarchy)\(pod.cgroupParent)"
            guard FileManager.default.fileExists(atPath: dir) else { continue }
            let children = Host.sh("find '\(dir)' -mindepth 1 -type d").stdout
            XCTAssertEqual(children, "", "cgroups left below \(dir)", file: file, line: line)
            Host.sh("find '\(dir)' -depth -type d -exec rmdir {} \\; 2>/dev/null")
        }
    }

    override func tearDownWithError() throws {
        for id in pods {
            _ = CRIEngineTests.callCRI("RuntimeService/StopPodSandbox", ["pod_sandbox_id": id])
            _ = CRIEngineTests.callCRI("RuntimeService/RemovePodSandbox", ["pod_sandbox_id": id])
        }
        for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            Host.sh("find '/sys/fs/cgroup/\(hierarchy)' -maxdepth 1 -name '\(token)-*' -exec sh -c 'find \"$1\" -depth -type d -exec rmdir {} \\; 2>/dev/null' _ {} \\;")
        }
        try super.tearDownWithError()
    }

    static func alive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        return state != "Z" && state != "X"
    }

    /// An int64 arrives as a JSON string in protobuf's JSON, an int32 as a number.
    func number(_ v: Any?) -> Int64? {
        if let s = v as? String { return Int64(s) }
        if let n = v as? NSNumber { return n.int64Value }
        return nil
    }

    func nsInode(_ pid: Int32, _ ns: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(ns)")) ?? "none"
    }

    /// The namespaces the container's process sees, as `ns:[inode]` lines in the order asked.
    func containerNamespaces(_ id: String, _ names: [String], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        let script = names.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ")
        let r = execSync(id, ["sh", "-c", script], file: file, line: line)
        XCTAssertEqual(r.exitCode, 0, r.stderr, file: file, line: line)
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// The namespaces the bundle's config.json gives the container (type → path, "" without one).
    func bundleNamespaces(_ id: String) -> [String: String] {
        let text = (try? String(contentsOfFile: CRIEngineTests.taskDir + "/\(id)/config.json", encoding: .utf8)) ?? ""
        let config = parseJSON(text) as? [String: Any] ?? [:]
        var result: [String: String] = [:]
        for ns in config[path: "linux.namespaces"] as? [[String: Any]] ?? [] {
            result[ns["type"] as? String ?? ""] = ns["path"] as? String ?? ""
        }
        return result
    }

    // MARK: tests

    func testVersionStatusAndLocallyImportedImages() throws {
        try requireContainerd()
        let v = cri("RuntimeService/Version", ["version": "v1"])
        XCTAssertEqual(v["runtime_name"] as? String, "containerd")
        XCTAssertEqual(v["runtime_api_version"] as? String, "v1")
        let status = cri("RuntimeService/Status", [:])
        let conditions = (status["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        XCTAssertTrue(conditions.contains { $0["type"] as? String == "RuntimeReady" && $0["status"] as? Bool == true }, "\(status)")
        let images = cri("ImageService/ListImages", [:])["images"] as? [[String: Any]] ?? []
        let tags = images.flatMap { $0["repo_tags"] as? [String] ?? [] }
        XCTAssertTrue(tags.contains(CRIEngineTests.sandboxImage), "\(tags)")
        XCTAssertTrue(tags.contains(CRIEngineTests.appImage), "\(tags)")
        let image = cri("ImageService/ImageStatus", ["image": ["image": CRIEngineTests.appImage]])["image"] as? [String: Any]
        XCTAssertTrue((image?["id"] as? String ?? "").hasPrefix("sha256:"), "\(String(describing: image))")
    }

    /// A host-network pod (NamespaceMode NODE): the containers join the pod's ipc namespace by path
    /// and keep the host's network and uts namespaces; both run under the runtime under test.
    func testHostNetworkPodContainersShareThePodIpcNamespace() throws {
        try requireContainerd()
        let pod = try runPod("hostnet")
        let a = startContainer(pod, "a", ["sleep", "1000"])
        let b = startContainer(pod, "b", ["sleep", "1000"])
        let names = ["ipc", "net", "uts"]
        let host = names.map { nsInode(getpid(), $0) }
        let pause = names.map { nsInode(pod.pid, $0) }
        XCTAssertNotEqual(pause[0], host[0], "the pod has its own ipc namespace")
        XCTAssertEqual(Array(pause[1...]), Array(host[1...]), "a host-network pod keeps the host's net and uts")
        for id in [a, b] {
            XCTAssertEqual(containerNamespaces(id, names), pause, "container \(id)")
            XCTAssertEqual(bundleNamespaces(id)["ipc"], "/proc/\(pod.pid)/ns/ipc", "config.json of \(id)")
            let state = Host.exec(Env.runtime, ["--root", CRIEngineTests.runtimeRoot, "state", id])
            XCTAssertEqual((parseJSON(state.stdout) as? [String: Any])?["status"] as? String, "running", describe(state))
        }
        removePod(pod, containers: [a, b])
    }

    /// A pod with its own network namespace (made by containerd, set up by the CNI bridge plugin):
    /// the containers join its network, ipc and uts namespaces by path and see its hostname, address,
    /// sysctls and DNS configuration; and volumes as the kubelet passes them (a read-only hostPath
    /// directory, a writable file like /dev/termination-log).
    func testPrivateNetworkPodContainersJoinThePodNamespacesByPath() throws {
        try requireContainerd()
        let pod = try runPod("privnet", network: "POD",
                             sysctls: ["net.ipv4.ip_unprivileged_port_start": "80", "kernel.shm_rmid_forced": "1"],
                             dns: ["servers": ["192.0.2.53"], "searches": ["swiftlet.test"]])
        let volume = hostDir("volume")
        try "from-the-host\n".write(toFile: volume + "/data", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: scratch + "/termination-log", contents: nil)
        let mounts: [[String: Any]] = [
            ["container_path": "/volume", "host_path": volume, "readonly": true],
            ["container_path": "/dev/termination-log", "host_path": scratch + "/termination-log"],
        ]
        let a = startContainer(pod, "a", ["sleep", "1000"], mounts: mounts)
        let b = startContainer(pod, "b", ["sleep", "1000"])
        let seen = execSync(a, ["sh", "-c", """
            cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced
            grep -E '^(nameserver|search)' /etc/resolv.conf
            cat /volume/data; touch /volume/new 2>/dev/null && echo volume-rw || echo volume-ro
            echo terminated-because > /dev/termination-log
            """])
        XCTAssertEqual(seen.stdout, "80\n1\nsearch swiftlet.test\nnameserver 192.0.2.53\nfrom-the-host\nvolume-ro\n", seen.stderr)
        XCTAssertEqual(try? String(contentsOfFile: scratch + "/termination-log", encoding: .utf8), "terminated-because\n")
        XCTAssertEqual(readFileBytes("/proc/sys/net/ipv4/ip_unprivileged_port_start").trimmingCharacters(in: .whitespacesAndNewlines),
                       "1024", "the pod's sysctl changed the host's")
        let names = ["net", "ipc", "uts"]
        let pause = names.map { nsInode(pod.pid, $0) }
        for (i, n) in names.enumerated() {
            XCTAssertNotEqual(pause[i], nsInode(getpid(), n), "the pod has its own \(n) namespace")
        }
        for id in [a, b] {
            XCTAssertEqual(containerNamespaces(id, names), pause, "container \(id)")
            let ns = bundleNamespaces(id)
            for (n, oci) in [("net", "network"), ("ipc", "ipc"), ("uts", "uts")] {
                XCTAssertEqual(ns[oci], "/proc/\(pod.pid)/ns/\(n)", "config.json of \(id): \(ns)")
            }
            let r = execSync(id, ["sh", "-c", "hostname; ip -o -4 addr show eth0"])
            XCTAssertTrue(r.stdout.hasPrefix("privnet\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("192.0.2.2/24"), r.stdout)
        }
        removePod(pod, containers: [a, b])
    }

    /// NamespaceMode.POD for pid: the containers join the pause process's pid namespace, see it as
    /// pid 1 and each other's processes; and when one exits, the shim's `kill --all` of what its init
    /// left must not fail, or the container stays "running" for the kubelet for ever.
    func testPodPidNamespaceSharedAndExitOfAContainerInIt() throws {
        try requireContainerd()
        let pod = try runPod("podpid", pid: "POD")
        let a = startContainer(pod, "a", ["sleep", "1001"])
        let b = startContainer(pod, "b", ["sleep", "1002"])
        let pause = nsInode(pod.pid, "pid")
        XCTAssertNotEqual(pause, nsInode(getpid(), "pid"))
        for id in [a, b] {
            XCTAssertEqual(containerNamespaces(id, ["pid"]), [pause], "container \(id)")
            XCTAssertEqual(bundleNamespaces(id)["pid"], "/proc/\(pod.pid)/ns/pid", "config.json of \(id)")
        }
        let ps = execSync(a, ["ps", "-o", "pid,args"])
        let lines = ps.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(lines.contains("1 /pause"), ps.stdout)
        XCTAssertTrue(lines.contains { $0.hasSuffix("sleep 1001") } && lines.contains { $0.hasSuffix("sleep 1002") }, ps.stdout)
        let c = startContainer(pod, "c", ["sh", "-c", "sleep 0.5; exit 3"])
        let s = waitExited(c)
        XCTAssertEqual(number(s["exit_code"]), 3, "\(s)")
        XCTAssertEqual(s["reason"] as? String, "Error", "\(s)")
        cri("RuntimeService/RemoveContainer", ["container_id": c])
        removePod(pod, containers: [a, b, c])
    }

    func testExecSyncOutputExitCodeAndTimeout() throws {
        try requireContainerd()
        let pod = try runPod("exec")
        let a = startContainer(pod, "a", ["sleep", "1000"])
        let r = execSync(a, ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"])
        XCTAssertEqual(r.stdout, "to-stdout\n")
        XCTAssertEqual(r.stderr, "to-stderr\n")
        XCTAssertEqual(r.exitCode, 7)
        // Past its timeout the exec is killed and the call fails (the kubelet's probes count that as failed).
        let started = Date()
        let t = CRIEngineTests.callCRI("RuntimeService/ExecSync", ["container_id": a, "cmd": ["sleep", "1234"], "timeout": 1])
        XCTAssertFalse(t.ok, "ExecSync past its timeout succeeded: \(t.response)")
        XCTAssertTrue(t.error.contains("timeout"), t.error)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        var left = ""
        for _ in 0..<25 {
            left = execSync(a, ["ps", "-o", "args"]).stdout
            if !left.contains("sleep 1234") { break }
            usleep(200_000)
        }
        XCTAssertFalse(left.contains("sleep 1234"), "the timed-out exec still runs: \(left)")
        removePod(pod, containers: [a])
    }

    /// The shim writes the container's output to the log file in the CRI format; ContainerStatus
    /// gives the exit code and reason.
    func testContainerLogFileAndExitStatus() throws {
        try requireContainerd()
        let pod = try runPod("logs")
        let failing = startContainer(pod, "failing", ["sh", "-c", "echo line-out; echo line-err >&2; exit 3"])
        let done = startContainer(pod, "done", ["true"])
        let s = waitExited(failing)
        XCTAssertEqual(number(s["exit_code"]), 3, "\(s)")
        XCTAssertEqual(s["reason"] as? String, "Error", "\(s)")
        // containerd stamps started_at when `start` returns and finished_at from the exit event: a
        // process that exits at once can finish a little "before" it started. Both are set, after creation.
        XCTAssertGreaterThan(number(s["started_at"]) ?? 0, number(s["created_at"]) ?? 0, "\(s)")
        XCTAssertGreaterThan(number(s["finished_at"]) ?? 0, number(s["created_at"]) ?? 0, "\(s)")
        XCTAssertEqual(s["log_path"] as? String, pod.logDirectory + "/failing.log")
        let d = waitExited(done)
        XCTAssertEqual(number(d["exit_code"]), 0, "\(d)")
        XCTAssertEqual(d["reason"] as? String, "Completed", "\(d)")
        // "<RFC3339Nano> <stream> F <line>" (F: a full line).
        let log = (try? String(contentsOfFile: pod.logDirectory + "/failing.log", encoding: .utf8)) ?? ""
        let entries = log.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "" }
        XCTAssertEqual(Set(entries), ["stdout F line-out", "stderr F line-err"], log)
        for id in [failing, done] { cri("RuntimeService/RemoveContainer", ["container_id": id]) }
        removePod(pod, containers: [failing, done])
    }

    func testContainerPastItsMemoryLimitIsOOMKilled() throws {
        try requireContainerd()
        let pod = try runPod("oom")
        // dd's 100 MiB block is one buffer it fills: past a 32 MiB limit the kernel's OOM killer ends it.
        let id = startContainer(pod, "hog", ["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"],
                                resources: ["memory_limit_in_bytes": 32 << 20, "memory_swap_limit_in_bytes": 32 << 20])
        let s = waitExited(id)
        XCTAssertEqual(s["reason"] as? String, "OOMKilled", "\(s)")
        XCTAssertEqual(number(s["exit_code"]), 137, "\(s)")
        cri("RuntimeService/RemoveContainer", ["container_id": id])
        removePod(pod, containers: [id])
    }

    func testUpdateContainerResourcesAndContainerStats() throws {
        try requireContainerd()
        let pod = try runPod("update")
        let id = startContainer(pod, "a", ["sleep", "1000"],
                                resources: ["memory_limit_in_bytes": 64 << 20, "cpu_period": 100_000, "cpu_quota": 50_000, "cpu_shares": 512])
        let memory = "/sys/fs/cgroup/memory\(pod.cgroupParent)/\(id)/memory.limit_in_bytes"
        let quota = "/sys/fs/cgroup/cpu\(pod.cgroupParent)/\(id)/cpu.cfs_quota_us"
        func read(_ path: String) -> String { readFileBytes(path).trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(read(memory), "\(64 << 20)")
        XCTAssertEqual(read(quota), "50000")
        cri("RuntimeService/UpdateContainerResources", ["container_id": id, "linux": [
            "memory_limit_in_bytes": 128 << 20, "cpu_period": 100_000, "cpu_quota": 20_000, "cpu_shares": 256]])
        XCTAssertEqual(read(memory), "\(128 << 20)")
        XCTAssertEqual(read(quota), "20000")
        XCTAssertEqual(read("/sys/fs/cgroup/cpu\(pod.cgroupParent)/\(id)/cpu.shares"), "256")
        // Seen from inside too: the container's cgroup mount shows its own cgroup.
        let inside = execSync(id, ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"])
        XCTAssertEqual(inside.stdout, "\(128 << 20)\n20000\n", inside.stderr)
        // Some CPU time and memory to show up in the stats.
        _ = execSync(id, ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"])
        let stats = cri("RuntimeService/ContainerStats", ["container_id": id])["stats"] as? [String: Any] ?? [:]
        XCTAssertEqual((stats["attributes"] as? [String: Any])?["id"] as? String, id, "\(stats)")
        let cpu = (stats["cpu"] as? [String: Any])?["usage_core_nano_seconds"] as? [String: Any]
        XCTAssertGreaterThan(number(cpu?["value"]) ?? 0, 0, "\(stats)")
        let mem = (stats["memory"] as? [String: Any])?["working_set_bytes"] as? [String: Any]
        XCTAssertGreaterThan(number(mem?["value"]) ?? 0, 0, "\(stats)")
        removePod(pod, containers: [id])
    }

    /// StopContainer sends SIGTERM and waits the grace period before SIGKILL; RemoveContainer removes
    /// it from the CRI and from the runtime.
    func testStopContainerWithGracePeriodAndRemoveContainer() throws {
        try requireContainerd()
        let pod = try runPod("stop")
        let polite = startContainer(pod, "polite", ["sh", "-c", "trap 'echo got-term; exit 4' TERM; while :; do sleep 0.1; done"])
        // As pid 1 without a handler, sleep does not die of SIGTERM: only the SIGKILL after the grace period ends it.
        let stubborn = startContainer(pod, "stubborn", ["sleep", "1000"])
        usleep(300_000)  // the trap is set
        var started = Date()
        cri("RuntimeService/StopContainer", ["container_id": polite, "timeout": 30])
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "SIGTERM handled, no need to wait for the grace period")
        let p = waitExited(polite)
        XCTAssertEqual(number(p["exit_code"]), 4, "\(p)")
        let log = (try? String(contentsOfFile: pod.logDirectory + "/polite.log", encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("stdout F got-term"), log)
        started = Date()
        cri("RuntimeService/StopContainer", ["container_id": stubborn, "timeout": 2])
        let took = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(took, 1.9, "SIGKILL before the grace period ended")
        XCTAssertLessThan(took, 15)
        let s = waitExited(stubborn)
        XCTAssertEqual(number(s["exit_code"]), 137, "\(s)")
        for id in [polite, stubborn] {
            cri("RuntimeService/RemoveContainer", ["container_id": id])
            let gone = CRIEngineTests.callCRI("RuntimeService/ContainerStatus", ["container_id": id])
            XCTAssertFalse(gone.ok, "ContainerStatus after RemoveContainer: \(gone.response)")
            XCTAssertNotEqual(Host.exec(Env.runtime, ["--root", CRIEngineTests.runtimeRoot, "state", id]).status, 0,
                              "the runtime still knows \(id)")
        }
        removePod(pod, containers: [polite, stubborn])
    }

    /// A restricted container as a Kubernetes pod spec makes it (runAsUser, readOnlyRootFilesystem,
    /// allowPrivilegeEscalation: false, capabilities drop ALL add one, seccomp RuntimeDefault, which
    /// is containerd's default profile), and a privileged one in a privileged pod.
    func testSecurityContextsAsTheKubeletSendsThem() throws {
        try requireContainerd()
        let pod = try runPod("secctx", privileged: true)
        let restricted = startContainer(pod, "restricted", ["sleep", "1000"], securityContext: [
            "run_as_user": ["value": 1000], "readonly_rootfs": true, "no_new_privs": true,
            "capabilities": ["drop_capabilities": ["ALL"], "add_capabilities": ["NET_BIND_SERVICE"]],
            "seccomp": ["profile_type": "RuntimeDefault"],
        ])
        let status = "grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status"
        let r = execSync(restricted, ["sh", "-c", "id -u; touch /x 2>/dev/null && echo rootfs-rw || echo rootfs-ro; " + status])
        XCTAssertEqual(r.exitCode, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("1000\nrootfs-ro\n"), r.stdout)
        let fields = statusFields(r.stdout)
        XCTAssertEqual(fields["CapBnd"], capMask(["CAP_NET_BIND_SERVICE"]), r.stdout)
        XCTAssertEqual(fields["CapEff"], capMask([]), r.stdout)
        XCTAssertEqual(fields["NoNewPrivs"], "1", r.stdout)
        XCTAssertEqual(fields["Seccomp"], "2", r.stdout)
        // containerd's default profile answers EPERM to what it leaves out (e.g. unshare of a user namespace).
        let u = execSync(restricted, ["unshare", "-U", "true"])
        XCTAssertNotEqual(u.exitCode, 0, "unshare -U under RuntimeDefault: \(u.stdout)\(u.stderr)")

        let privileged = startContainer(pod, "privileged", ["sleep", "1000"], securityContext: ["privileged": true])
        let p = execSync(privileged, ["sh", "-c", status + "; grep ' /sys ' /proc/mounts; ls /dev | wc -l"])
        let pf = statusFields(p.stdout)
        XCTAssertEqual(pf["Seccomp"], "0", p.stdout)
        XCTAssertEqual(pf["CapEff"], pf["CapBnd"], p.stdout)
        XCTAssertEqual(pf["CapBnd"], readFileBytes("/proc/self/status").split(separator: "\n")
            .first { $0.hasPrefix("CapBnd:") }.map { statusFields(String($0))["CapBnd"] ?? "" }, p.stdout)
        XCTAssertTrue(p.stdout.contains(" sysfs rw,"), "a privileged container's /sys is read-write: \(p.stdout)")
        // The host's devices, not the dozen of a default container.
        let devices = Int(p.stdout.split(separator: "\n").last.map(String.init) ?? "") ?? 0
        let hostDevices = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).count
        XCTAssertGreaterThan(devices, 20, p.stdout)
        XCTAssertLessThanOrEqual(devices, hostDevices + 5, p.stdout)
        removePod(pod, containers: [restricted, privileged])
    }

    /// The containerd shim's contract for kill, without the engine: `kill --all` of a stopped container
    /// succeeds (the shim sends it after every exit of a CRI container), and a plain kill fails with a
    /// text the shim matches on to take it as done: runc's "container not running" (crun's "No such
    /// process" is the other one it knows).
    func testKillOfAStoppedContainerAsTheShimExpects() throws {
        let bundle = makeBundle { $0.shell("exit 0") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        XCTAssertEqual(runtime(["start", id]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        let all = runtime(["kill", "--all", id, "KILL"])
        XCTAssertEqual(all.status, 0, "kill --all of a stopped container: \(describe(all))")
        let one = runtime(["kill", id, "KILL"])
        XCTAssertNotEqual(one.status, 0, describe(one))
        let text = one.stderr.lowercased()
        XCTAssertTrue(text.contains("container not running") || text.contains("no such process"), describe(one))
        XCTAssertEqual(runtime(["delete", id]).status, 0)
    }

}

