import Glibc
import Kernel

/// Which container a cgroup directory was made for. Two containers whose cgroups have one path
/// (one id under two `--root`s without cgroupsPath, or one cgroupsPath twice) otherwise race: the
/// second `create` finds the first's cgroup empty (its init not in it yet, or exited and not
/// deleted), takes it as its own, and the first's `delete` kills the second's processes and removes
/// the cgroup under it (its init then fails to join: cgroup.procs ENOENT). So every directory a
/// `create` makes carries the state directory of its container in an extended attribute, and a
/// `create` refuses a directory marked by a container that still exists. The mkdir+mark happen
/// under an flock on the parent of the first directory held shared, the look under it held
/// exclusive (`claim`): creates that make different directories do not wait on each other.
/// Directories that were there before are never marked (the runtime does not touch them).
///
/// The mark can be rewritten by whoever holds CAP_SYS_ADMIN over the directory, the container
/// itself with a writable `cgroup` mount and no user namespace: marked as another's, its cgroups
/// would be spared by `delete` and `kill --all` and refused to `pause` and `update`. So each
/// directory's inode number, taken when it is made, is kept too (state.json `cgroupInodes`), and
/// decides wherever it is known: kernfs never gives a number twice in a boot, and nothing inside
/// the container can change it.
public enum CgroupOwnership {
    static let attribute = "trusted.swiftlet.container"

    /// Makes the missing `directories` (with their parents) and marks them as `owner`'s; returns
    /// the ones it made. Throws, having made nothing, when one of them is marked by another
    /// container whose state directory still exists. The one mkdir pass of a create: the drivers'
    /// `create` finds the directories made.
    public static func claim(_ directories: [String], owner: String, seconds: Int = 30) throws -> Set<String> {
        var parents: [String] = []
        return try claim(directories, owner: owner, seconds: seconds, parentsMade: &parents)
    }

    /// `claim`, adding to `parentsMade` the ancestors it made (below), not telling whether it marked.
    public static func claim(_ directories: [String], owner: String, seconds: Int = 30,
                             parentsMade: inout [String]) throws -> Set<String> {
        var marked = false
        var inodes: [String: UInt64] = [:]
        return try claim(directories, owner: owner, seconds: seconds, parentsMade: &parentsMade, marked: &marked,
                         inodes: &inodes)
    }

    /// `claim`, adding to `parentsMade` the ancestors of `directories` it made on the way (a systemd
    /// slice, a nested cgroupsPath's levels), also when it throws: they are not the container's own
    /// directories, and only a create that fails removes them again. `marked`: every directory made
    /// carries the mark (false without the privilege to write it). `inodes`: the inode number of
    /// each directory made, taken under the lock.
    public static func claim(_ directories: [String], owner: String, seconds: Int = 30,
                             parentsMade: inout [String], marked: inout Bool,
                             inodes: inout [String: UInt64], lockParent: String? = nil) throws -> Set<String> {
        let sorted = directories.sorted()
        guard let first = sorted.first else { return [] }
        let parent = lockParent ?? lockDirectory(for: sorted)
        let lock = try openParent(parent, parentsMade: &parentsMade)
        // Makers hold the lock shared: each makes directories of its own (mkdir decides who made
        // one) and marks them before it lets go, so 20 creates under one engine's parent do not
        // wait on each other. A create that meets a directory that exists takes it exclusive
        // before it reads the mark: by then every maker in flight has marked what it made, and
        // none is half-way (made, not yet marked: taken for one that was there before).
        try acquire(lock.fd, shared: true, parent: parent, seconds: seconds)
        var exclusive = false
        // mkdir first: only a directory that was there already can carry another's mark (a look at
        // every one first cost a failing getxattr per hierarchy). One marked by a live container
        // undoes what this pass made, as if it had looked first.
        var made = Set<String>()
        marked = true
        let prefix = parent + "/"
        // The other hierarchies' directories: made, marked and looked at from /sys/fs/cgroup.
        let tree = CgroupTree()
        do {
            for d in sorted {
                // A child of the locked parent is made and looked at through its fd: one
                // component to walk on cgroupfs instead of the whole path.
                let child = d.hasPrefix(prefix) && !d.dropFirst(prefix.count).contains("/") ? String(d.dropFirst(prefix.count)) : nil
                let madeNow: Bool
                if let name = child {
                    do { madeNow = try lock.fd.makeDirectory(name, describe: d) } catch let e as SysError {
                        throw CgroupError("creating cgroup \(d): \(errnoString(e.errno))", path: d, errno: e.errno)
                    }
                } else if let madeHere = try? tree.makeDirectory(d) {
                    madeNow = madeHere
                } else {
                    // A parent missing too (the first container under it), or an error: the walk
                    // down from / makes the parents, or names the level that fails.
                    madeNow = try CgroupFS.makeAll(d, parentsMade: &parentsMade)
                }
                if madeNow {
                    made.insert(d)
                    // Best effort: without CAP_SYS_ADMIN (rootless, in its own subtree) there is no mark.
                    let markSet: Bool
                    let status: stat?
                    if let name = child {
                        markSet = (try? ExtendedAttribute.set(at: lock.fd, name, absolute: d, attribute, owner)) != nil
                        status = try? lock.fd.status(of: name, describe: d)
                    } else {
                        markSet = (try? tree.setAttribute(d, attribute, owner)) != nil
                        status = try? tree.status(d)
                    }
                    if !markSet { marked = false }
                    if let st = status { inodes[d] = UInt64(st.st_ino) }
                    continue
                }
                if !exclusive {
                    try acquire(lock.fd, shared: false, parent: parent, seconds: seconds)
                    exclusive = true
                }
                if let other = mark(of: d), other != owner, isDirectory(other) {
                    throw CgroupError("the cgroup \(d) is the cgroup of container \(other) (not deleted yet): a container needs a cgroup of its own",
                                      path: d)
                }
            }
        } catch {
            for d in made { _ = try? removeDirectory(d) }
            throw error
        }
        return made
    }

    /// The directory whose flock a claim of `directories` takes: the parent of the first in order.
    /// A create that claims its directories in two passes (the unified one before the fork, the v1
    /// ones after) passes the one of all its directories to both, so that it meets every other
    /// create of its cgroup path on one lock, whichever passes that one makes.
    public static func lockDirectory(for directories: [String]) -> String {
        guard let first = directories.min() else { return "/" }
        return String(first[..<(first.lastIndex(of: "/") ?? first.endIndex)])
    }

    /// The parent of a claim's directories, opened (to lock it); made first, with its missing
    /// ancestors, only when it is not there (a create's first container under it).
    static func openParent(_ parent: String, parentsMade: inout [String]) throws -> OwnedFD {
        do {
            do { return try OwnedFD.open(parent, O_RDONLY | O_DIRECTORY) } catch let e as SysError where e.errno == ENOENT {}
            if try CgroupFS.makeAll(parent, parentsMade: &parentsMade) { parentsMade.append(parent) }
            return try OwnedFD.open(parent, O_RDONLY | O_DIRECTORY)
        } catch let e as SysError {
            throw CgroupError("opening cgroup \(parent): \(errnoString(e.errno))", path: parent, errno: e.errno)
        }
    }

    /// Takes the flock on `lock` (the parent's fd), shared or exclusive; a shared one held is
    /// converted (let go between the tries: what this claim marked stays marked). Tried, and retried after short sleeps: a holder keeps it for a few system calls,
    /// and a create that sleeps past its release idles while its batch waits for it. The limit is
    /// for a holder that hangs (a stopped create).
    static func acquire(_ lock: FD, shared: Bool, parent: String, seconds: Int) throws {
        var waited = 0
        var delay = 50
        while true {
            do {
                if try shared ? lock.tryLockShared(describe: parent) : lock.tryLockExclusive(describe: parent) { return }
            } catch let e as SysError {
                throw CgroupError("locking cgroup \(parent): \(errnoString(e.errno))", path: parent, errno: e.errno)
            }
            if waited >= seconds * 1_000_000 { throw CgroupError("the cgroup \(parent) is locked by another create for more than \(seconds) s", path: parent) }
            Clock.sleep(microseconds: delay)
            waited += delay
            delay = min(delay * 2, 1000)
        }
    }

    /// The directories of `made` that are no longer `owner`'s: removed by hand (or by another
    /// runtime) and made again by someone else, another container perhaps. Where `inodes` has the
    /// directory's number: one with another number, whatever its mark says (the container may have
    /// rewritten it). Elsewhere (a create's claim, a state written before the numbers were kept):
    /// marked by another, or without a mark when the create marked every one (`marked`). Gone ones
    /// are not listed: there is nothing there to touch. One stat or getxattr a directory.
    public static func replaced(_ made: [String], owner: String, marked: Bool, inodes: [String: UInt64]? = nil) -> [String] {
        let tree = CgroupTree()
        return made.filter { d in
            if let inode = inodes?[d] {
                guard let st = try? tree.status(d) else { return false }
                return UInt64(st.st_ino) != inode
            }
            do {
                guard let mark = try ExtendedAttribute.value(d, attribute) else { return marked }
                return mark != owner
            } catch {
                return false
            }
        }
    }

    /// The state directory `dir` was made for, if it carries a mark.
    static func mark(of dir: String) -> String? {
        ExtendedAttribute.get(dir, attribute)
    }
}
