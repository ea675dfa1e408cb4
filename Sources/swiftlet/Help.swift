/// `--help`, `-h` and `help [COMMAND]` in runc's layout (NAME / USAGE / DESCRIPTION / OPTIONS), so
/// that what users and engines' scripts read from `runc X --help` reads the same here. Only text: the
/// flags themselves are parsed by each command (Commands/<Name>.swift);
/// `ProcessDropInTests.testHelpOfEveryCommand` checks that every flag a command takes is listed.

struct CommandHelp {
    let summary: String
    /// What follows "swiftlet COMMAND" in USAGE.
    let usage: String
    let description: String
    /// (flag spelling as runc prints it, e.g. "--bundle value, -b value", what it does)
    let options: [(String, String)]
}

private let preserveFDsHelp = ("--preserve-fds value",
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)")
private let consoleSocketHelp = ("--console-socket value",
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
private let pidfdSocketHelp = ("--pidfd-socket value",
    "path to an AF_UNIX socket which will receive a pidfd of the container's process")
private let bundleHelp = ("--bundle value, -b value",
    "path to the root of the bundle directory, defaults to the current directory")
private let pidFileHelp = ("--pid-file value", "specify the file to write the process id to")
private let criuHelp: [(String, String)] = [
    ("--image-path value", "path for saving criu image files (default: ./checkpoint)"),
    ("--work-path value", "path for saving work files and logs"),
    ("--tcp-established", "allow open tcp connections"),
    ("--ext-unix-sk", "allow external unix sockets"),
    ("--shell-job", "allow shell jobs"),
    ("--file-locks", "handle file locks, for safety"),
    ("--manage-cgroups-mode value", "cgroups mode: soft|full|strict|ignore (default: soft)"),
    ("--empty-ns value", "create a namespace, but don't restore its properties"),
    ("--auto-dedup", "enable auto deduplication of memory images"),
    ("--lazy-pages", "use userfaultfd to lazily restore memory pages"),
]

let commandHelps: [String: CommandHelp] = [
    "create": CommandHelp(
        summary: "create a container",
        usage: "create [command options] <container-id>",
        description: """
        The create command creates an instance of a container for a bundle. The bundle
        is a directory with a specification file named "config.json" and a root
        filesystem. The container's process waits until "swiftlet start" runs it.
        """,
        options: [bundleHelp, consoleSocketHelp, pidfdSocketHelp, pidFileHelp,
                  ("--no-pivot", "do not use pivot root to jail process inside rootfs"),
                  ("--no-new-keyring", "do not create a new session keyring for the container"),
                  preserveFDsHelp]),
    "run": CommandHelp(
        summary: "create and run a container",
        usage: "run [command options] <container-id>",
        description: """
        The run command creates an instance of a container for a bundle and starts it.
        In the foreground (without --detach) it forwards signals to the container's
        process, relays its terminal and exits with its exit status.
        """,
        options: [bundleHelp, consoleSocketHelp, pidfdSocketHelp,
                  ("--detach, -d", "detach from the container's process"),
                  ("--keep", "do not delete the container after it exits"),
                  pidFileHelp,
                  ("--no-pivot", "do not use pivot root to jail process inside rootfs"),
                  ("--no-new-keyring", "do not create a new session keyring for the container"),
                  preserveFDsHelp]),
    "start": CommandHelp(
        summary: "executes the user defined process in a created container",
        usage: "start <container-id>",
        description: "The start command executes the user defined process in a created container.",
        options: []),
    "state": CommandHelp(
        summary: "output the state of a container",
        usage: "state <container-id>",
        description: "The state command outputs current state information for the instance of a container.",
        options: []),
    "kill": CommandHelp(
        summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
        usage: "kill [command options] <container-id> [signal]",
        description: """
        The kill command sends the specified signal to the container's init process.
        The signal is a name (KILL, SIGKILL) or a number; the default is SIGTERM.
        """,
        options: [("--all, -a", "send the specified signal to all processes inside the container")]),
    "delete": CommandHelp(
        summary: "delete any resources held by the container often used with detached container",
        usage: "delete [command options] <container-id>",
        description: """
        The delete command removes a stopped container: its processes, cgroups, mounts
        and state. A container that is not stopped is refused unless --force is given.
        """,
        options: [("--force, -f", "Forcibly deletes the container if it is still running (uses SIGKILL)")]),
    "list": CommandHelp(
        summary: "lists containers started by swiftlet with the given root",
        usage: "list [command options]",
        description: "The list command lists the containers under --root.",
        options: [("--format value, -f value", "select one of: table or json (default: \"table\")"),
                  ("--quiet, -q", "display only container IDs")]),
    "ps": CommandHelp(
        summary: "ps displays the processes running inside a container",
        usage: "ps [command options] <container-id> [ps options]",
        description: "The ps command runs ps(1) (default: -ef) and shows the processes of the container.",
        options: [("--format value, -f value", "select one of: table or json (default: \"table\")")]),
    "exec": CommandHelp(
        summary: "execute new process inside the container",
        usage: "exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>",
        description: """
        The exec command runs a new process in a running container: it joins the
        container's namespaces and cgroups and gets its capabilities, rlimits,
        no_new_privs, seccomp filter and environment unless told otherwise.
        "<command>" can't be empty unless a "-p" flag provided.
        """,
        options: [consoleSocketHelp, pidfdSocketHelp,
                  ("--cwd value", "current working directory in the container"),
                  ("--env value, -e value", "set environment variables"),
                  ("--tty, -t", "allocate a pseudo-TTY"),
                  ("--user value, -u value", "UID (format: <uid>[:<gid>])"),
                  ("--additional-gids value, -g value", "additional gids"),
                  ("--process value, -p value", "path to the process.json"),
                  ("--detach, -d", "detach from the container's process"),
                  pidFileHelp,
                  ("--process-label value", "set the asm process label for the process commonly used with selinux"),
                  ("--apparmor value", "set the apparmor profile for the process"),
                  ("--no-new-privs", "set the no new privileges value for the process"),
                  ("--cap value, -c value", "add a capability to the bounding set for the process"),
                  preserveFDsHelp,
                  ("--cgroup value", "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>."),
                  ("--ignore-paused", "allow exec in a paused container")]),
    "pause": CommandHelp(
        summary: "pause suspends all processes inside the container",
        usage: "pause <container-id>",
        description: "The pause command freezes every process of the container.",
        options: []),
    "resume": CommandHelp(
        summary: "resumes all processes that have been previously paused",
        usage: "resume <container-id>",
        description: "The resume command thaws every process of a paused container.",
        options: []),
    "update": CommandHelp(
        summary: "update container resource constraints",
        usage: "update [command options] <container-id>",
        description: """
        The update command changes the resources of a running container, from the
        flags below or from a linux.resources JSON file (-r, "-" for stdin).
        """,
        options: [
            ("--resources value, -r value", "path to the file containing the resources to update or '-' to read from the standard input"),
            ("--blkio-weight value", "Specifies per cgroup weight, range is from 10 to 1000 (default: 0)"),
            ("--cpu-period value", "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"),
            ("--cpu-quota value", "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"),
            ("--cpu-share value", "CPU shares (relative weight vs. other containers)"),
            ("--cpu-rt-period value", "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default"),
            ("--cpu-rt-runtime value", "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period"),
            ("--cpu-idle value", "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"),
            ("--cpuset-cpus value", "CPU(s) to use"),
            ("--cpuset-mems value", "Memory node(s) to use"),
            ("--kernel-memory value", "(obsoleted; do not use)"),
            ("--kernel-memory-tcp value", "(obsoleted; do not use)"),
            ("--memory value", "Memory limit (in bytes)"),
            ("--memory-reservation value", "Memory reservation or soft_limit (in bytes)"),
            ("--memory-swap value", "Total memory usage (memory + swap); set '-1' to enable unlimited swap"),
            ("--pids-limit value", "Maximum number of pids allowed in the container (default: 0)"),
            ("--l3-cache-schema value", "The string of Intel RDT/CAT L3 cache schema"),
            ("--mem-bw-schema value", "The string of Intel RDT/MBA memory bandwidth schema"),
        ]),
    "events": CommandHelp(
        summary: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
        usage: "events [command options] <container-id>",
        description: "The events command displays information about the container. By default the information is displayed once every 5 seconds.",
        options: [("--interval value", "set the stats collection interval (default: 5s)"),
                  ("--stats", "display the container's stats then exit")]),
    "checkpoint": CommandHelp(
        summary: "checkpoint a running container",
        usage: "checkpoint [command options] <container-id>",
        description: "The checkpoint command saves the state of the container instance (with criu).",
        options: criuHelp + [
            ("--parent-path value", "path for previous criu image files in pre-dump"),
            ("--leave-running", "leave the process running after checkpointing"),
            ("--status-fd value", "criu writes \\0 to this FD once lazy-pages is ready"),
            ("--page-server value", "ADDRESS:PORT of the page server"),
            ("--pre-dump", "dump container's memory information only, leave the container running after this"),
        ]),
    "restore": CommandHelp(
        summary: "restore a container from a previous checkpoint",
        usage: "restore [command options] <container-id>",
        description: "Restores the saved state of the container instance that was previously saved (with criu).",
        options: [consoleSocketHelp] + criuHelp + [
            bundleHelp,
            ("--detach, -d", "detach from the container's process"),
            pidFileHelp,
            ("--no-subreaper", "disable the use of the subreaper used to reap reparented processes"),
            ("--no-pivot", "do not use pivot root to jail process inside rootfs"),
            ("--lsm-profile value", "Specify an LSM profile to be used during restore in the form of TYPE:NAME"),
            ("--lsm-mount-context value", "Specify an LSM mount context to be used during restore"),
        ]),
    "spec": CommandHelp(
        summary: "create a new specification file",
        usage: "spec [command options]",
        description: "The spec command writes a default config.json into the bundle (current) directory.",
        options: [("--bundle value, -b value", "path to the root of the bundle directory"),
                  ("--rootless", "generate a configuration for a rootless container")]),
    "features": CommandHelp(
        summary: "show the enabled features",
        usage: "features",
        description: "Show the enabled features, as JSON (the runtime-spec's features document).",
        options: []),
    "help": CommandHelp(
        summary: "Shows a list of commands or help for one command",
        usage: "help [command]",
        description: "Shows the list of commands, or the help of one command (as \"COMMAND --help\").",
        options: []),
]

/// The order `swiftlet --help` lists the commands in (runc's: alphabetical).
private let commandOrder = ["checkpoint", "create", "delete", "events", "exec", "features", "kill", "list",
                            "pause", "ps", "restore", "resume", "run", "spec", "start", "state", "update", "help"]

/// Options in two columns, the second aligned as urfave/cli aligns it.
private func optionLines(_ options: [(String, String)]) -> String {
    let width = options.map(\.0.count).max() ?? 0
    return options.map { "   \($0.0)" + String(repeating: " ", count: width - $0.0.count) + "  \($0.1)\n" }.joined()
}

/// The help of `command`, nil for an unknown one.
func commandHelpText(_ command: String) -> String? {
    guard let h = commandHelps[command] else { return nil }
    let description = h.description.split(separator: "\n", omittingEmptySubsequences: false)
        .map { "   " + $0 }.joined(separator: "\n")
    var text = """
    NAME:
       swiftlet \(command) - \(h.summary)

    USAGE:
       swiftlet \(h.usage)

    DESCRIPTION:
    \(description)

    """
    if !h.options.isEmpty { text += "\nOPTIONS:\n" + optionLines(h.options) }
    return text
}

func globalHelpText() -> String {
    let width = commandOrder.map(\.count).max() ?? 0
    let commands = commandOrder.map { name in
        "   \(name)" + String(repeating: " ", count: width - name.count) + "  \(commandHelps[name]?.summary ?? "")\n"
    }.joined()
    return """
    NAME:
       swiftlet - Open Container Initiative runtime

    swiftlet runs containers from OCI bundles (a directory with config.json and a root
    filesystem), with runc's command line.

    USAGE:
       swiftlet [global options] command [command options] [arguments...]

    VERSION:
       \(swiftletVersion)
    spec: 1.3.0

    COMMANDS:
    \(commands)
    GLOBAL OPTIONS:

    """ + optionLines([
        ("--debug", "enable debug logging"),
        ("--log value", "set the log file to write swiftlet logs to (default is '/dev/stderr')"),
        ("--log-format value", "set the log format ('text' (default), or 'json') (default: \"text\")"),
        ("--root value", "root directory for storage of container state (default: \"/run/swiftlet\"; $XDG_RUNTIME_DIR/swiftlet when not root)"),
        ("--criu value", "path to the criu binary used for checkpoint and restore (default: \"criu\")"),
        ("--systemd-cgroup", "make each container's cgroup a systemd scope unit (linux.cgroupsPath \"slice:prefix:name\")"),
        ("--rootless value", "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")"),
        ("--help, -h", "show help"),
        ("--version, -v", "print the version"),
    ])
}

/// `help [COMMAND]`.
func helpCommand(_ rest: ArraySlice<String>) throws -> Int32 {
    guard let name = rest.first(where: { !$0.hasPrefix("-") }) else {
        out(globalHelpText())
        return 0
    }
    guard let text = commandHelpText(name) else {
        throw UsageError("help: no help topic for '\(name)' (commands: \(commandOrder.joined(separator: ", ")))")
    }
    out(text)
    return 0
}
