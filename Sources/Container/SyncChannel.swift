import Glibc
import Kernel
import RuntimeSpec

/// The messages the init stage and the `create` process exchange over their socket pair.
/// Frame: one type byte, a little-endian UInt32 length, then the payload.
enum SyncMessage: Equatable {
    static func == (a: SyncMessage, b: SyncMessage) -> Bool { a.code == b.code && a.payload == b.payload }

    /// init → parent: a user namespace exists; write its uid/gid maps, then `.ack`.
    case userNamespaceReady(pid: Int32)
    /// init → parent: the container process's pid in the parent's pid namespace.
    case containerPID(Int32)
    /// init → parent: the mounts are done; run prestart and createRuntime hooks, then `.ack`.
    case runtimeHooks
    /// init → parent: everything is applied; init now waits on the exec fifo.
    case ready
    /// init → parent: a step failed; the error in its parts (`RuntimeError.wireBytes`).
    case failure(RuntimeError)
    /// parent → init: go on.
    case ack
    /// parent → init: the state JSON hooks get on stdin (status "creating"), sent after `.containerPID`.
    case state([UInt8])
    /// parent → init: the seccomp program compiled after the fork (struct sock_filter words, native
    /// byte order), sent before the `.ack` of `.ready` when the plan says it comes.
    case seccompProgram([UInt8])

    var code: UInt8 {
        switch self {
        case .userNamespaceReady: return 1
        case .containerPID: return 2
        case .runtimeHooks: return 3
        case .ready: return 4
        case .failure: return 5
        case .ack: return 6
        case .state: return 7
        case .seccompProgram: return 8
        }
    }

    var payload: [UInt8] {
        switch self {
        // String(pid), not String(pid, radix: 10): the latter is unspecialised generic code whose first
        // call looks up metadata by name (~35 µs in the init stage).
        case .userNamespaceReady(let pid), .containerPID(let pid): return Array(String(pid).utf8)
        case .failure(let error): return error.wireBytes()
        case .state(let bytes), .seccompProgram(let bytes): return bytes
        case .runtimeHooks, .ready, .ack: return []
        }
    }

    init?(code: UInt8, payload: [UInt8]) {
        let text = String(decoding: payload, as: UTF8.self)
        switch code {
        case 1: guard let p = Int32(text) else { return nil }; self = .userNamespaceReady(pid: p)
        case 2: guard let p = Int32(text) else { return nil }; self = .containerPID(p)
        case 3: self = .runtimeHooks
        case 4: self = .ready
        case 5: self = .failure(RuntimeError.fromWire(payload))
        case 6: self = .ack
        case 7: self = .state(payload)
        case 8: self = .seccompProgram(payload)
        default: return nil
        }
    }
}

struct SyncChannel {
    let fd: FD

    /// The container state sent to init carries config.json's annotations, and config.json may be
    /// up to SpecFile.maxSize: twice that leaves room for the rest of the state and JSON escapes.
    static let maxPayload = 2 * SpecFile.maxSize

    func send(_ message: SyncMessage) throws {
        let payload = message.payload
        let n = UInt32(payload.count)
        var frame: [UInt8] = [message.code, UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff),
                              UInt8(n >> 24)]
        frame += payload
        try fd.write(frame)
    }

    /// The next message, or nil when the other side closed the socket.
    func receive() throws -> SyncMessage? {
        guard let header = try readExactly(5) else { return nil }
        let n = Int(header[1]) | Int(header[2]) << 8 | Int(header[3]) << 16 | Int(header[4]) << 24
        guard n <= SyncChannel.maxPayload else { throw RuntimeError(step: "sync", "message of \(n) bytes") }
        let payload = n == 0 ? [] : (try readExactly(n) ?? [])
        guard let msg = SyncMessage(code: header[0], payload: payload) else {
            throw RuntimeError(step: "sync", "unknown message \(header[0])")
        }
        return msg
    }

    func expect(_ wanted: SyncMessage, step: String) throws {
        switch try receive() {
        case .some(let m) where m == wanted: return
        case .some(let m): throw RuntimeError(step: step, "unexpected sync message \(m.code)")
        case .none: throw RuntimeError(step: step, "the runtime went away")
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let chunk = try fd.read(max: count - out.count)
            if chunk.isEmpty { return out.isEmpty ? nil : out }
            out += chunk
        }
        return out
    }
}

/// Which messages a create's conversation has. Both ends decide from the same plan, so a message
/// that would carry nothing is not sent at all: each one left out is a wake-up of the other side
/// fewer (a context switch each way, and on another CPU an interrupt).
extension InitPlan {
    /// init asks for `.runtimeHooks` (and waits for its `.ack`) only when the runtime has
    /// prestart or createRuntime hooks to run at that point, or after a second fork: the runtime
    /// then moves the container's process into its cgroup by pid once told the rootfs is built
    /// (its device nodes made outside the cgroup, as ever), while init goes on to pivot_root.
    var asksForRuntimeHooks: Bool {
        !(spec.hooks?.prestart ?? []).isEmpty || !(spec.hooks?.createRuntime ?? []).isEmpty || needsSecondFork
    }

    /// `create` acks `.ready` once state.json is written, and init disarms its parent-death signal
    /// on that ack (it outlives `create`). Under `run` init stays armed until it has read the exec
    /// fifo, which `start` writes only after state.json: a runtime killed before then takes init
    /// with it either way, and there is nothing for an ack to say. init closes its end right after
    /// `.ready` then, and the runtime sees that end of file without waiting for it.
    /// Not after a second fork: the signal watches the parent, which for the container's process
    /// is the intermediate process (or the helper into a joined pid namespace) until that exits and
    /// the runtime, a subreaper, takes its place. The runtime reaps it after sending the state, so
    /// init could arm the signal while the intermediate was still there and be killed by its exit;
    /// the ack, sent after the reap, orders the arming after it.
    var readyWaitsForAck: Bool { !diesWithRuntimeUntilStarted || needsSecondFork }
}
