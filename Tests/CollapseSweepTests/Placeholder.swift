import XCTest
final class CollapseSweepPlaceholderTests: XCTestCase { func testNothing() {} }
