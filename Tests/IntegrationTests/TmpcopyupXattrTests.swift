import Foundation
import XCTest

/// `tmpcopyup` and the extended attributes of what it copies. A POSIX ACL's mask is what the mode
/// shows as the group bits, and may be wider than the owning group's own entry: a copy with the
/// mode and without the ACL gives that group what the ACL denied. File capabilities
/// (`security.capability`) are a privilege as set-user-ID is, and are not carried over: runc copies
/// no extended attribute, crun copies them all and its chown afterwards drops the capabilities.
final class TmpcopyupXattrTests: IntegrationTestCase {
    /// The ACL bytes (posix_acl_xattr version 2: tag, permissions, id, little-endian) of a file its
    /// owner may read and write, uid 4242 read, its owning group nothing, mask read, others
    /// nothing: mode 0640, the group's read bit being the mask's.
    static let accessACL = "b'\\x02\\x00\\x00\\x00' + b''.join(struct.pack('<HHI', t, p, i) for t, p, i in "
        + "[(1, 6, 0xffffffff), (2, 4, 4242), (4, 0, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff)])"
    /// A directory's default ACL: new files get uid 4242 read.
    static let defaultACL = "b'\\x02\\x00\\x00\\x00' + b''.join(struct.pack('<HHI', t, p, i) for t, p, i in "
        + "[(1, 7, 0xffffffff), (2, 4, 4242), (4, 5, 0xffffffff), (0x10, 5, 0xffffffff), (0x20, 5, 0xffffffff)])"

    /// A file of 0:1000 whose ACL denies its group, a directory with a default ACL, and a program
    /// with file capabilities and a `user.` attribute, under a tmpcopyup tmpfs. The container's uid
    /// 1000 (group 1000) tries to read the file from the copy: refused, as in the rootfs. Read from
    /// the host through /proc/PID/root: the copy's ACLs are the original's bytes, and it has no
    /// file capabilities and no `user.` attribute. Before: the ACLs were not copied, and uid 1000
    /// read the file through the group bits.
    func testACLsAreCopiedAndFileCapabilitiesAreNot() {
        let b = makeBundle(privateRootfs: true) { c in
            c.addMount("/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"])
            c.args = ["sleep", "100"]
        }
        let data = b + "/rootfs/data"
        let made = Host.sh("""
            mkdir -p '\(data)/sub' && echo secret > '\(data)/secret' && chown 0:1000 '\(data)/secret' && chmod 0640 '\(data)/secret' \
            && cp /bin/true '\(data)/capable' && setcap cap_net_raw+ep '\(data)/capable' && python3 -c "
            import os, struct
            os.setxattr('\(data)/secret', 'system.posix_acl_access', \(Self.accessACL))
            os.setxattr('\(data)/sub', 'system.posix_acl_default', \(Self.defaultACL))
            os.setxattr('\(data)/capable', 'user.note', b'kept?')
            "
            """)
        XCTAssertEqual(made.status, 0, describe(made))
        let id = newID()
        let r = runtime(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, "run -d: \(describe(r))")
        defer { _ = runtime(["delete", "--force", id]) }
        guard let pid = state(id)?["pid"] as? Int else {
            XCTFail("no pid")
            return
        }

        let read = runtime(["exec", "--user", "1000:1000", id, "sh", "-c", "cat /data/secret 2>/dev/null || echo denied"])
        assertOrDeviation(read.stdout == "denied\n", runtimes: ["runc"], reason: "runc copies no ACL",
                          "the container's group 1000 read the file its ACL denies it: \(describe(read))")

        let copy = "/proc/\(pid)/root/data"
        let look = Host.sh("""
            python3 -c "
            import os, struct
            def attr(path, name):
                try: return os.getxattr(path, name, follow_symlinks=False)
                except OSError: return None
            print(attr('\(copy)/secret', 'system.posix_acl_access') == (\(Self.accessACL)))
            print(attr('\(copy)/sub', 'system.posix_acl_default') == (\(Self.defaultACL)))
            print(attr('\(copy)/capable', 'security.capability'))
            print(attr('\(copy)/capable', 'user.note'))
            print(oct(os.stat('\(copy)/secret').st_mode & 0o7777))
            "
            """)
        XCTAssertEqual(look.status, 0, describe(look))
        let lines = look.stdout.split(separator: "\n").map(String.init)
        assertOrDeviation(lines.count == 5 && lines[0] == "True" && lines[1] == "True", runtimes: ["runc"], reason: "runc copies no ACL",
                          "the copy's ACLs (access, default): \(describe(look))")
        XCTAssertEqual(lines.count == 5 ? lines[2] : "", "None", "the copy kept the file capabilities: \(describe(look))")
        assertOrDeviation(lines.count == 5 && lines[3] == "None", runtimes: ["crun"], reason: "crun copies every extended attribute",
                          "the copy kept a user. attribute: \(describe(look))")
        XCTAssertEqual(lines.count == 5 ? lines[4] : "", "0o640", describe(look))
    }

    /// The same in a user namespace (container 0 is host 100000): the file is the container's
    /// 0:1000, its ACL names host uid 4242, which the namespace does not map; read there, the entry
    /// names uid -1, which setxattr refuses (EINVAL: the create failed). The copy leaves that entry
    /// out: the container starts, its group 1000 and its nobody are refused, as in the rootfs.
    func testUnmappedNamedACLEntryIsNotGivenToTheNamespacesNobody() {
        let b = makeBundle(privateRootfs: true) { c in
            c.addMount("/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"])
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c.args = ["sleep", "100"]
        }
        let data = b + "/rootfs/data"
        let made = Host.sh("""
            mkdir -p '\(data)' && echo secret > '\(data)/secret' && chown 100000:101000 '\(data)/secret' && chmod 0640 '\(data)/secret' \
            && python3 -c "
            import os, struct
            os.setxattr('\(data)/secret', 'system.posix_acl_access', \(Self.accessACL))
            "
            """)
        XCTAssertEqual(made.status, 0, describe(made))
        let id = newID()
        let r = runtime(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, "run -d: \(describe(r))")
        defer { _ = runtime(["delete", "--force", id]) }
        let read = runtime(["exec", "--user", "65534:65534", id, "sh", "-c", "cat /data/secret 2>/dev/null || echo denied"])
        XCTAssertEqual(read.stdout, "denied\n", "the namespace's nobody read the file: \(describe(read))")
        let group = runtime(["exec", "--user", "1000:1000", id, "sh", "-c", "cat /data/secret 2>/dev/null || echo denied"])
        assertOrDeviation(group.stdout == "denied\n", runtimes: ["runc"], reason: "runc copies no ACL",
                          "the container's group 1000 read the file its ACL denies it: \(describe(group))")
    }
}
