import XCTest
final class PlaceholderCollapseTheoryTests: XCTestCase { func testNothing() {} }
