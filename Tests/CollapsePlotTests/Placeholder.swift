import XCTest
final class CollapsePlotPlaceholderTests: XCTestCase { func testNothing() {} }
