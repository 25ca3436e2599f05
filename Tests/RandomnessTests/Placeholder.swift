import XCTest
final class PlaceholderRandomnessTests: XCTestCase { func testNothing() {} }
