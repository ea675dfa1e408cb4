import Glibc

// Linux values Glibc's Swift module hides behind _GNU_SOURCE.
public let O_PATH: Int32 = 0o10000000
public let O_TMPFILE: Int32 = 0o20200000
/// lseek(2) whences for the data and the holes of a sparse file.
public let SEEK_DATA: Int32 = 3
public let SEEK_HOLE: Int32 = 4
/// statvfs(3)'s f_flag bit of a nodev mount.
public let ST_NODEV: Int32 = 4
