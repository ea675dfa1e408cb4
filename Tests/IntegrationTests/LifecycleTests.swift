import Foundation
import XCTest

final class LifecycleTests: IntegrationTestCase {
    func testHello() {
        let out = output { $0.shell("echo \"hello from $(hostname), pid $$\"") }
        XCTAssertEqual(out, "hello from \(token), pid 1\n")
    }
}
