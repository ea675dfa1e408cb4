import CommandLineFlags
import XCTest

/// runc's command-line syntax as swiftlet parses it: spellings, values, switches, positional
/// arguments and the errors, in runc's words, for what it does not take.
final class FlagParsingTests: XCTestCase {
    let specs: [FlagSpec] = [.value("bundle", "b"), .value("env", "e"), .bool("detach", "d"), .bool("tty", "t")]

    func parse(_ args: [String], stopAtPositional: Bool = false) throws -> (ParsedArguments, [String]) {
        let (p, rest) = try parseFlags(args[...], specs, command: "run", stopAtPositional: stopAtPositional)
        return (p, Array(rest))
    }

    func usageError(_ args: [String], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try parse(args)
            XCTFail("\(args) parsed", file: file, line: line)
            return nil
        } catch let e as UsageError {
            return e.description
        } catch {
            XCTFail("\(args): \(error) is not a UsageError", file: file, line: line)
            return nil
        }
    }

    func testEverySpellingOfAValue() throws {
        for args in [["--bundle", "/b"], ["--bundle=/b"], ["-bundle", "/b"], ["-bundle=/b"], ["-b", "/b"], ["-b=/b"], ["--b", "/b"]] {
            let (p, _) = try parse(args)
            XCTAssertEqual(p.value("bundle"), "/b", "\(args)")
            XCTAssertNil(p.value("b"), "values are kept under the first name: \(args)")
        }
    }

    func testValueMayLookLikeAFlagOrBeEmpty() throws {
        XCTAssertEqual(try parse(["--bundle", "--tty"]).0.value("bundle"), "--tty")
        XCTAssertEqual(try parse(["--bundle="]).0.value("bundle"), "")
        XCTAssertEqual(try parse(["--bundle=a=b"]).0.value("bundle"), "a=b")
    }

    func testRepeatedValuesKeepOrderAndLastWins() throws {
        let (p, _) = try parse(["-e", "A=1", "--env", "B=2", "--env=C=3"])
        XCTAssertEqual(p.values("env"), ["A=1", "B=2", "C=3"])
        XCTAssertEqual(p.value("env"), "C=3")
        XCTAssertEqual(p.values("bundle"), [])
    }

    func testSwitchesAndTheirFalseSpelling() throws {
        XCTAssertTrue(try parse(["-d"]).0.has("detach"))
        XCTAssertTrue(try parse(["--detach=true"]).0.has("detach"))
        XCTAssertFalse(try parse(["--detach", "--detach=false"]).0.has("detach"))
        XCTAssertFalse(try parse([]).0.has("detach"))
    }

    func testPositionalArgumentsAndDoubleDash() throws {
        let (p, rest) = try parse(["id", "-t", "-", "x", "--", "--bundle", "-d"])
        XCTAssertEqual(p.positional, ["id", "-", "x", "--bundle", "-d"])
        XCTAssertTrue(p.has("tty"))
        XCTAssertNil(p.value("bundle"))
        XCTAssertEqual(rest, [])
    }

    func testGlobalFlagsStopAtTheCommand() throws {
        let (p, rest) = try parse(["-d", "exec", "--tty", "id"], stopAtPositional: true)
        XCTAssertTrue(p.has("detach"))
        XCTAssertFalse(p.has("tty"))
        XCTAssertEqual(rest, ["exec", "--tty", "id"])
    }

    func testUndefinedFlagAndMissingValueInRuncsWords() {
        XCTAssertEqual(usageError(["--nope"]), "run: flag provided but not defined: -nope")
        XCTAssertEqual(usageError(["--nope=1"]), "run: flag provided but not defined: -nope")
        XCTAssertEqual(usageError(["id", "--bundle"]), "run: flag needs an argument: -bundle")
        XCTAssertEqual(usageError(["-b"]), "run: flag needs an argument: -b")
    }

    func testHelpUnlessTheCommandDefinesIt() throws {
        for spelling in ["-h", "--help", "-help", "--h"] {
            XCTAssertThrowsError(try parse(["id", spelling]), spelling) { error in
                XCTAssertEqual((error as? HelpRequested)?.command, "run", spelling)
            }
        }
        let (p, _) = try parseFlags(["-h"][...], [.bool("help", "h")], command: "swiftlet")
        XCTAssertTrue(p.has("help"))
    }

    func testFlagsAndID() throws {
        let (p, id) = try parseFlagsAndID(["-b", "/b", "c1", "extra"][...], specs, command: "create")
        XCTAssertEqual(id, "c1")
        XCTAssertEqual(p.value("bundle"), "/b")
        XCTAssertThrowsError(try parseFlagsAndID(["-d"][...], specs, command: "start")) { error in
            XCTAssertEqual("\(error)", #"start: "start" requires a container id"#)
        }
    }

    func testIntegersInRangeOrRefusedByName() throws {
        let p = try parseFlags(["--n", "12", "--big", "70000", "--bad", "1x", "--neg", "-1"][...],
                               [.value("n"), .value("big"), .value("bad"), .value("neg")], command: "exec").0
        XCTAssertEqual(try p.integer("n", as: Int32.self, in: 0...65535), 12)
        XCTAssertNil(try p.integer("absent", as: Int32.self))
        XCTAssertThrowsError(try p.integer("big", as: Int32.self, in: 0...65535)) { error in
            XCTAssertEqual("\(error)", #"--big: invalid number "70000""#)
        }
        XCTAssertThrowsError(try p.integer("bad", as: Int.self, invalid: "signal")) { error in
            XCTAssertEqual("\(error)", #"--bad: invalid signal "1x""#)
        }
        XCTAssertThrowsError(try p.integer("neg", as: UInt32.self))
        XCTAssertEqual(try p.integer("neg", as: Int8.self), -1)
    }

    struct Options {
        var bundle: String? = "unset"
        var env: [String] = ["unset"]
        var detach = true
    }

    func testOptionFlagsCopyWhatWasParsedAndClearWhatWasNot() throws {
        let flags: [OptionFlag<Options>] = [.value("bundle", "b") { $0.bundle = $1 },
                                            .values("env", "e") { $0.env = $1 },
                                            .bool("detach", "d") { $0.detach = $1 }]
        XCTAssertEqual(flags.map(\.spec.names), [["bundle", "b"], ["env", "e"], ["detach", "d"]])
        XCTAssertEqual(flags.map(\.spec.takesValue), [true, true, false])
        let (given, _) = try parseFlags(["-b", "/b", "-e", "A=1", "--env=B=2", "-d"], flags.map(\.spec), command: "run")
        var o = Options()
        given.copy(flags, into: &o)
        XCTAssertEqual(o.bundle, "/b")
        XCTAssertEqual(o.env, ["A=1", "B=2"])
        XCTAssertTrue(o.detach)
        // An absent flag sets its field to what the command line says: nothing.
        let (none, _) = try parseFlags([], flags.map(\.spec), command: "run")
        none.copy(flags, into: &o)
        XCTAssertNil(o.bundle)
        XCTAssertEqual(o.env, [])
        XCTAssertFalse(o.detach)
    }
}
