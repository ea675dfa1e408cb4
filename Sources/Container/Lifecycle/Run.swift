import Glibc
import Kernel

extension Runtime {
    static let forwardedSignals: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
                                            SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGPWR, SIGVTALRM, SIGPROF]

    /// `run`: create and start, then (unless detached) forward signals to the container, relay its
    /// terminal, wait for it, delete it and return its exit status (128+n for a signal). `keep`: the
    /// stopped container stays (state `stopped`) until `delete`, as with runc's `run --keep`.
    public func run(_ opts: CreateOptions, detach: Bool, keep: Bool = false) throws -> Int32 {
        var opts = opts
        opts.startedByThisProcess = true
        var signals: SignalFD?
        defer { signals?.fd.close() }
        // Our end of the socket the init sends the terminal's master through: closed on return.
        var relaySocket: OwnedFD?
        // The container process ends up our child even after the init stage's second fork, and so
        // its parent-death signal watches us (`run -d` too) until start has released it.
        try Proc.setChildSubreaper()
        if !detach {
            signals = try SignalFD([SIGCHLD] + Runtime.forwardedSignals)
        }
        // Loaded once here and handed to create, start and delete (each would decode it again).
        try StateStore.validate(id: opts.id)
        // Once (create would ask getcwd again).
        opts.bundle = absolutePath(opts.bundle)
        let config = try Runtime.loadConfig(bundle: opts.bundle)
        let terminal = config.spec.process?.terminal == true
        if !detach {
            if opts.consoleSocket == nil, terminal {
                let (mine, theirs) = try Pipe.socketPair()
                relaySocket = OwnedFD(mine)
                opts.internalConsole = theirs
            }
        } else if opts.consoleSocket == nil, terminal {
            throw RuntimeError(field: .config("process.terminal"),
                               "cannot allocate tty if swiftlet will detach without setting console socket")
        }
        var handOff: StartHandOff?
        let record = try create(opts, config: config, handOff: &handOff)
        var relay: TerminalRelay?
        defer { relay?.close() }
        do {
            // Before the delete below, which locks the folder again.
            var writeClosed = false
            defer { handOff?.release(writeClosed: writeClosed) }
            if let socket = relaySocket?.fd {
                let (master, _) = try UnixSocket.receiveFD(socket)
                relay = TerminalRelay(master: master)
            }
            if let handOff {
                writeClosed = true
                try start(id: opts.id, record: record, handOff: handOff)
            } else {
                try start(id: opts.id, record: record)
            }
        } catch {
            try? delete(id: opts.id, force: true, record: record)
            throw error
        }
        guard let signals else {
            KeptUntilExit.keep(consume record, consume config)
            return 0
        }
        let exit = Runtime.supervise(pid: record.pid, signals: signals, relay: relay)
        relay?.close()
        relay = nil
        if !keep { try delete(id: opts.id, force: true, record: record) }
        KeptUntilExit.keep(consume record, consume config)
        return exit.status
    }
}

/// The record and the config `run` ends with, held until the process exits (its return is the
/// command's end): freeing them, every string and array of the spec and of its parsed JSON, was
/// ~2% of a `run`'s user-space CPU spent on memory the exit gives back anyway.
enum KeptUntilExit {
    nonisolated(unsafe) static var record: ContainerRecord?
    nonisolated(unsafe) static var config: LoadedConfig?

    static func keep(_ record: consuming ContainerRecord, _ config: consuming LoadedConfig) {
        KeptUntilExit.record = record
        KeptUntilExit.config = config
    }
}
