import Kernel
import RuntimeSpec

/// One `mounts[]` entry as the kernel takes it: its fstab-style options (runc's table) turned into
/// mount(2) flags, propagation changes, mount_setattr(2) attributes and the filesystem's data, once,
/// by `resolve` (called by `makePlan`). The rootfs builder, the bind-source staging and the
/// ID-mapped trees read these values; none of them reads an option string again.
///
/// Known flag options set or clear mount(2) flags (the last one wins); propagation options are kept
/// in order; `r*` attribute options (`rro`, `rnosuid`, ...) become attributes set on the whole tree;
/// `bind`, `rbind`, `idmap`, `ridmap` and `tmpcopyup` are booleans; any other option is data for the
/// filesystem, in order. Unlike runc, `defaults` is a no-op rather than data.
public struct MountPlan: Equatable {
    /// A propagation change (`private`, `rshared`, ...).
    struct Propagation: Equatable {
        /// One of .shared, .slave, .private, .unbindable.
        var type: MountFlags
        /// The `r` form: every mount under it too.
        var recursive: Bool
    }

    /// The entry as config.json has it (destination, source, type, mappings).
    var mount: RuntimeSpec.Mount
    /// mount(2) flags of the options (with .bind and .recursive for `rbind`).
    var flags: MountFlags = []
    /// Flags an option such as `rw`, `suid`, `dev`, `exec` or `atime` explicitly clears.
    var clearedFlags: MountFlags = []
    /// Propagation changes, in order.
    var propagation: [Propagation] = []
    /// Attributes to set on every mount of the tree (mount_setattr attr_set).
    var recursiveSet: MountAttributes = []
    /// Attributes to clear on every mount of the tree (attr_clr); the whole access-time mask when a
    /// mode is set.
    var recursiveClear: MountAttributes = []
    /// The `bind` or `rbind` option was given.
    var bindOption = false
    /// `rbind`: the mounts under the source come along.
    var recursiveBind = false
    /// `idmap` or `ridmap` was given.
    var idmapOption = false
    /// `ridmap`: every mount under the source is ID-mapped too.
    var recursiveIdmap = false
    /// `tmpcopyup` was given: a tmpfs starts with a copy of the directory it covers.
    var tmpcopyup = false
    /// Options that are none of the above, for the filesystem, joined with ",".
    var dataOptions: [String] = []

    init(mount: RuntimeSpec.Mount) { self.mount = mount }

    /// A bind mount: type "bind", or a `bind`/`rbind` option.
    var isBind: Bool { mount.type == "bind" || bindOption }
    /// ID-mapped: the mount has its own mappings, or takes the container's (`idmap`, `ridmap`).
    var isIDMapped: Bool { mount.uidMappings != nil || mount.gidMappings != nil || idmapOption }
    var hasRecursiveAttributes: Bool { !recursiveSet.isEmpty || !recursiveClear.isEmpty }
    /// The filesystem's data string, nil when there is none. Appended by hand: `joined(separator:)`
    /// is generic code the standard library does not specialise (~70 µs per create in metadata).
    var data: String? {
        guard var out = dataOptions.first else { return nil }
        for i in 1..<dataOptions.count {
            out += ","
            out += dataOptions[i]
        }
        return out
    }
    /// Made only once init is in the container's cgroup: a `cgroup` mount binds the cgroup init is
    /// in where the runtime made none; a file system other than these may open a block device
    /// (under the devices cgroup's rules); tmpcopyup's copies are pages the memory cgroup counts.
    var needsContainerCgroup: Bool {
        if isBind { return false }
        switch mount.type ?? "none" {
        case "proc", "sysfs", "devpts", "mqueue": return false
        case "tmpfs": return tmpcopyup
        default: return true
        }
    }

    /// A filesystem (not a bind) on /dev.
    var isDev: Bool { !isBind && Kernel.cleanAbsolutePath(mount.destination) == "/dev" }
    /// A read-only filesystem on /dev: mounted writable first, so that its sub-mounts and device
    /// nodes can be made, and made read-only at the end (see RootfsBuilder.readOnlyDev).
    var isReadOnlyDev: Bool { isDev && flags.contains(.readOnly) }

    /// The same mount, writable (as if `rw` came last).
    var writable: MountPlan {
        var w = self
        w.flags.remove(.readOnly)
        w.clearedFlags.insert(.readOnly)
        return w
    }

    /// Every entry of `spec.mounts` resolved, by index, and every problem found, each with its field
    /// path (the plans are only good when there is none).
    public static func resolve(_ spec: Spec) -> (mounts: [MountPlan], problems: [SpecProblem]) {
        let hasUserNamespace = (spec.linux?.namespaces ?? []).contains { $0.type == "user" }
        var problems: [SpecProblem] = []
        var plans: [MountPlan] = []
        for (i, m) in (spec.mounts ?? []).enumerated() {
            let p = resolve(m)
            if p.isIDMapped && !p.bindOption {
                problems.append(SpecProblem(path: "mounts[\(i)].options",
                                            message: "ID-mapped mount of \(quoted(m.destination)) requires \"bind\" or \"rbind\""))
            }
            if p.idmapOption && m.uidMappings == nil && m.gidMappings == nil && !hasUserNamespace {
                problems.append(SpecProblem(path: "mounts[\(i)].options",
                                            message: "\"idmap\" without mappings requires a user namespace"))
            }
            plans.append(p)
        }
        return (plans, problems)
    }

    /// `resolve` for callers that stop at the first failure: one error listing every problem.
    static func resolved(_ spec: Spec) throws -> [MountPlan] {
        let (mounts, problems) = resolve(spec)
        if let error = RuntimeError.configProblems(problems) { throw error }
        return mounts
    }

    /// One entry's options, in order.
    static func resolve(_ m: RuntimeSpec.Mount) -> MountPlan {
        var p = MountPlan(mount: m)
        for o in m.options ?? [] {
            switch option(named: o) {
            case .flag(let flag, let clears)?:
                lastWins(flag, clears: clears, set: &p.flags, cleared: &p.clearedFlags)
                if flag.contains(.bind) { p.bindOption = true }
                if flag.contains(.recursive) { p.recursiveBind = true }
            case .propagation(let type, let recursive)?:
                p.propagation.append(Propagation(type: type, recursive: recursive))
            case .recursiveAttribute(let attribute, let clears)?:
                lastWins(attribute, clears: clears, set: &p.recursiveSet, cleared: &p.recursiveClear)
                if !clears && MountAttributes.atimeMask.isSuperset(of: attribute) {
                    // mount_setattr(2): an access-time mode is set by also clearing the whole mask.
                    p.recursiveClear.formUnion(.atimeMask)
                }
            case .defaults?: break
            case .tmpcopyup?: p.tmpcopyup = true
            case .idmap(let recursive)?:
                p.idmapOption = true
                if recursive { p.recursiveIdmap = true }
            case nil:
                p.dataOptions.append(o)
            }
        }
        return p
    }

    /// `bits` go into `set` and out of `cleared`, or the other way round when the option `clears`
    /// them: of two options on the same bits, the last one wins.
    private static func lastWins<Bits: SetAlgebra>(_ bits: Bits, clears: Bool, set: inout Bits, cleared: inout Bits) {
        if clears {
            set.subtract(bits)
            cleared.formUnion(bits)
        } else {
            set.formUnion(bits)
            cleared.subtract(bits)
        }
    }

    /// What an option name means.
    enum Option: Equatable {
        /// Sets (or `clears`) mount(2) flags.
        case flag(MountFlags, clears: Bool)
        case propagation(MountFlags, recursive: Bool)
        /// Sets (or `clears`) an attribute on every mount of the tree.
        case recursiveAttribute(MountAttributes, clears: Bool)
        case defaults
        case tmpcopyup
        case idmap(recursive: Bool)
    }

    /// Every option name runc knows, and its meaning: searched in order (each name a small string, so
    /// a comparison is two words), not hashed into a dictionary that every init stage built first.
    static let optionTable: [(name: String, option: Option)] = [
        ("async", .flag(.synchronous, clears: true)),
        ("atime", .flag(.noAtime, clears: true)),
        ("bind", .flag(.bind, clears: false)),
        ("dev", .flag(.noDev, clears: true)),
        ("diratime", .flag(.noDirAtime, clears: true)),
        ("dirsync", .flag(.dirSync, clears: false)),
        ("exec", .flag(.noExec, clears: true)),
        ("iversion", .flag(.iVersion, clears: false)),
        ("lazytime", .flag(.lazyTime, clears: false)),
        ("loud", .flag(.silent, clears: true)),
        ("mand", .flag(.mandLock, clears: false)),
        ("noatime", .flag(.noAtime, clears: false)),
        ("nodev", .flag(.noDev, clears: false)),
        ("nodiratime", .flag(.noDirAtime, clears: false)),
        ("noexec", .flag(.noExec, clears: false)),
        ("noiversion", .flag(.iVersion, clears: true)),
        ("nolazytime", .flag(.lazyTime, clears: true)),
        ("nomand", .flag(.mandLock, clears: true)),
        ("norelatime", .flag(.relatime, clears: true)),
        ("nostrictatime", .flag(.strictAtime, clears: true)),
        ("nosuid", .flag(.noSuid, clears: false)),
        ("nosymfollow", .flag(.noSymFollow, clears: false)),
        ("rbind", .flag([.bind, .recursive], clears: false)),
        ("relatime", .flag(.relatime, clears: false)),
        ("remount", .flag(.remount, clears: false)),
        ("ro", .flag(.readOnly, clears: false)),
        ("rw", .flag(.readOnly, clears: true)),
        ("silent", .flag(.silent, clears: false)),
        ("strictatime", .flag(.strictAtime, clears: false)),
        ("suid", .flag(.noSuid, clears: true)),
        ("symfollow", .flag(.noSymFollow, clears: true)),
        ("sync", .flag(.synchronous, clears: false)),

        ("private", .propagation(.private, recursive: false)), ("rprivate", .propagation(.private, recursive: true)),
        ("shared", .propagation(.shared, recursive: false)), ("rshared", .propagation(.shared, recursive: true)),
        ("slave", .propagation(.slave, recursive: false)), ("rslave", .propagation(.slave, recursive: true)),
        ("unbindable", .propagation(.unbindable, recursive: false)),
        ("runbindable", .propagation(.unbindable, recursive: true)),

        ("rro", .recursiveAttribute(.readOnly, clears: false)), ("rrw", .recursiveAttribute(.readOnly, clears: true)),
        ("rnosuid", .recursiveAttribute(.noSuid, clears: false)), ("rsuid", .recursiveAttribute(.noSuid, clears: true)),
        ("rnodev", .recursiveAttribute(.noDev, clears: false)), ("rdev", .recursiveAttribute(.noDev, clears: true)),
        ("rnoexec", .recursiveAttribute(.noExec, clears: false)), ("rexec", .recursiveAttribute(.noExec, clears: true)),
        ("rnodiratime", .recursiveAttribute(.noDirAtime, clears: false)),
        ("rdiratime", .recursiveAttribute(.noDirAtime, clears: true)),
        ("rrelatime", .recursiveAttribute(.relatime, clears: false)),
        ("rnorelatime", .recursiveAttribute(.relatime, clears: true)),
        ("rnoatime", .recursiveAttribute(.noAtime, clears: false)), ("ratime", .recursiveAttribute(.noAtime, clears: true)),
        ("rstrictatime", .recursiveAttribute(.strictAtime, clears: false)),
        ("rnostrictatime", .recursiveAttribute(.strictAtime, clears: true)),
        ("rnosymfollow", .recursiveAttribute(.noSymFollow, clears: false)),
        ("rsymfollow", .recursiveAttribute(.noSymFollow, clears: true)),

        ("defaults", .defaults), ("tmpcopyup", .tmpcopyup),
        ("idmap", .idmap(recursive: false)), ("ridmap", .idmap(recursive: true)),
    ]

    static func option(named name: String) -> Option? {
        for entry in optionTable where entry.name == name { return entry.option }
        return nil
    }

    /// Every option name `resolve` recognises (sorted), for the `features` command's `mountOptions`.
    public static var knownOptions: [String] { optionTable.map(\.name).sorted() }
}
