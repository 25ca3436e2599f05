import XCTest
final class PlaceholderLinearCollapseTests: XCTestCase { func testNothing() {} }
