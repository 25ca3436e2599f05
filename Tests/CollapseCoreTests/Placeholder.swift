import XCTest
final class PlaceholderCollapseCoreTests: XCTestCase { func testNothing() {} }
