import Glibc
import Kernel

extension Runtime {
    static let forwardedSignals: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
                                            SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGPWR, SIGVTALRM, SIGPROF]

    /// `run`: create and start, then (unless detached) forward signals to the container, wait for it,
    /// delete it and return its exit status (128+n for a signal).
    public func run(_ opts: CreateOptions, detach: Bool) throws -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        if !detach {
            // The container process ends up our child even after the init stage's second fork.
            try Proc.setChildSubreaper()
            sigaddset(&set, SIGCHLD)
            for s in Runtime.forwardedSignals { sigaddset(&set, s) }
            sigprocmask(SIG_BLOCK, &set, nil)
        }
        let record = try create(opts)
        do {
            try start(id: opts.id)
        } catch {
            try? delete(id: opts.id, force: true)
            throw error
        }
        if detach { return 0 }

        var exit: Proc.Exit = .exited(255)
        var info = siginfo_t()
        waiting: while true {
            let sig = sigwaitinfo(&set, &info)
            if sig < 0 { continue }
            if sig == SIGCHLD {
                while let (pid, status) = try Proc.waitAny(nohang: true) {
                    if pid == record.pid {
                        exit = status
                        break waiting
                    }
                }
            } else {
                _ = Glibc.kill(record.pid, sig)
            }
        }
        // Reap anything else that was reparented to us.
        while (try? Proc.waitAny(nohang: true)) != nil {}
        try delete(id: opts.id, force: true)
        return exit.status
    }
}
