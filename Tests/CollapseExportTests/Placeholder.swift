import XCTest
final class PlaceholderCollapseExportTests: XCTestCase { func testNothing() {} }
