// The flag parser is a module of its own (unit-tested without the executable); re-exported here so that
// every file of the CLI sees it without importing it.
@_exported import CommandLineFlags
