import Glibc

// Linux values Glibc's Swift module hides behind _GNU_SOURCE.
public let O_PATH: Int32 = 0o10000000
public let O_TMPFILE: Int32 = 0o20200000
