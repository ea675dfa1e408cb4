import Glibc
import CShim

/// A failed system call: which call, on what, and the errno the kernel gave.
/// The description reads like `mount proc on /proc: Operation not permitted`.
public struct SysError: Error, CustomStringConvertible {
    public let call: String
    public let detail: String
    public let errno: Int32

    public init(_ call: String, _ detail: String = "", errno: Int32 = Glibc.errno) {
        self.call = call
        self.detail = detail
        self.errno = errno
    }

    public var description: String {
        let what = detail.isEmpty ? call : "\(call) \(detail)"
        return "\(what): \(errnoString(errno))"
    }
}

/// An error that is not a failed syscall but a refusal with a reason (a symlink where a directory must be, ...).
public struct KernelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public func errnoString(_ e: Int32) -> String {
    guard let s = strerror(e) else { return "errno \(e)" }
    return String(cString: s)
}

/// Turns the kernel's `-1 and errno` into a thrown `SysError`; retries EINTR. Specialised for the
/// syscall return types: a generic copy compares with -1 through Int32's witness table, which lives in
/// a stretch of the standard library nothing else on the start-up path touches.
@inline(__always)
@discardableResult
@_specialize(where T == Int32)
@_specialize(where T == Int)
public func sys<T: FixedWidthInteger>(_ call: String, _ detail: @autoclosure () -> String = "",
                                       _ body: () -> T) throws -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = Glibc.errno
        if e == EINTR { continue }
        throw SysError(call, detail(), errno: e)
    }
}
