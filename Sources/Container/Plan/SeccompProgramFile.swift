import Glibc
import Kernel

/// The container's compiled seccomp program, kept by `create` in the container's state directory
/// (`seccomp.bpf`) for `exec`, which installs the same filter in every process it starts: exec then
/// neither decodes the profile from state.json nor compiles it (or hashes it for the cache) again.
/// crun keeps its program the same way.
///
/// Trusted only through state.json: the record's `seccompProgram` is the digest of the file as
/// `create` wrote it, and `load` returns nothing for a file whose digest differs (changed, cut short,
/// or another container's), so exec compiles the config's filter as before. A filter of the wrong
/// container would be a hole; one compiled again is only slower.
enum SeccompProgramFile {
    static let name = "seccomp.bpf"
    static let magic: [UInt8] = Array("swiftlet-seccomp-program-1\n".utf8)

    /// magic, flags (decimal line), the listener's path and metadata (each a length line and the
    /// bytes), the instruction count (decimal line), the instructions (8 bytes each, native order).
    static func encode(_ program: SeccompProgram) -> [UInt8] {
        var out = magic
        out += Array("\(program.flags)\n".utf8)
        for text in [program.listenerPath, program.listenerMetadata] {
            let bytes = text.map { Array($0.utf8) }
            out += Array("\(bytes.map { String($0.count) } ?? "-")\n".utf8)
            out += bytes ?? []
        }
        out += Array("\(program.instructions.count)\n".utf8)
        out += SeccompProgram.bytes(of: program.instructions)
        return out
    }

    static func decode(_ data: [UInt8]) -> SeccompProgram? {
        guard data.count > magic.count, data[0..<magic.count].elementsEqual(magic) else { return nil }
        var pos = magic.count
        func line() -> String? {
            guard let end = data[pos...].firstIndex(of: 10) else { return nil }
            defer { pos = end + 1 }
            return String(decoding: data[pos..<end], as: UTF8.self)
        }
        func text() -> String?? {
            guard let count = line() else { return nil }
            if count == "-" { return .some(nil) }
            guard let n = Int(count), n >= 0, data.count - pos >= n else { return nil }
            defer { pos += n }
            return .some(String(decoding: data[pos..<(pos + n)], as: UTF8.self))
        }
        guard let flagsLine = line(), let flags = UInt32(flagsLine), let path = text(), let metadata = text(),
              let countLine = line(), let count = Int(countLine), count > 0, count <= SeccompProgram.maxInstructions,
              data.count - pos == count * 8 else { return nil }
        return SeccompProgram(instructions: SeccompProgram.instructions(from: data[pos...]), flags: flags,
                              listenerPath: path, listenerMetadata: metadata)
    }

    /// The digest state.json keeps: two 64-bit FNV-1a sums (as the compile cache's names), hex.
    static func digest(_ data: [UInt8]) -> String {
        SeccompCache.hex(SeccompCache.fnv(data, seed: 0xcbf2_9ce4_8422_2325))
            + SeccompCache.hex(SeccompCache.fnv(data, seed: 0x6c62_272e_07bb_0142))
    }

    /// Writes the program into the (new, the container's own) state directory; returns its digest
    /// for state.json, nil when it could not be written (exec then compiles the config's filter).
    static func write(_ program: SeccompProgram, directory: String) -> String? {
        let data = encode(program)
        let path = directory + "/" + name
        guard let fd = try? OwnedFD.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o600) else {
            return nil
        }
        let ok = (try? fd.fd.write(data)) != nil
        _ = consume fd
        if !ok {
            try? removeFile(path)
            return nil
        }
        return digest(data)
    }

    /// The program in `directory` when its digest is `expected`; nil otherwise.
    static func load(directory: String, expected: String) -> SeccompProgram? {
        guard let data = try? readFile(path: directory + "/" + name), digest(data) == expected else { return nil }
        return decode(data)
    }
}
