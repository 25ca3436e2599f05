import CollapseCore
import GenerativeChains
import Randomness
import XCTest

final class UserDataTests: XCTestCase {
    func testCSVPointsWithHeaderCommentsAndErrors() throws {
        let p = try UserData.points(csv: "x,y\n1,2\n# note\n\n3, 4.5\n", file: "a.csv")
        XCTAssertEqual(p, PointSet(dimension: 2, values: [1, 2, 3, 4.5]))
        XCTAssertThrowsError(try UserData.points(csv: "1,2\n3,x\n", file: "a.csv")) {
            XCTAssertEqual("\($0)", "a.csv:2: field 2 'x' is not a number; expected comma-separated numbers")
        }
        XCTAssertThrowsError(try UserData.points(csv: "1,2\n3\n", file: "a.csv")) {
            XCTAssertEqual("\($0)", "a.csv:2: has 1 fields, earlier lines have 2")
        }
        XCTAssertThrowsError(try UserData.points(csv: "1,nan\n", file: "a.csv")) {
            XCTAssertEqual("\($0)", "a.csv:1: field 2 'nan' is not finite")
        }
        XCTAssertThrowsError(try UserData.points(csv: "x,y\n", file: "a.csv")) { XCTAssertEqual("\($0)", "a.csv: no data lines") }
    }

    func testCorpusIsCutIntoSequencesOfFirstAppearanceIds() throws {
        let (s, v) = try UserData.corpus("the cat sat\n on the  mat the", length: 3, file: "c.txt")
        XCTAssertEqual(v, ["the", "cat", "sat", "on", "mat"])
        XCTAssertEqual(s, TokenSequences([[0, 1, 2], [3, 0, 4]]))
        XCTAssertThrowsError(try UserData.corpus("a b", length: 3, file: "c.txt"))
    }

    /// A replicate's split partitions the rows; fresh rows come only from the held-back part.
    func testSplitPartitionsRowsAndFreshDrawsOnlyHeldBackRows() {
        let data = PointSet(dimension: 1, values: (0..<60).map(Double.init))
        var rng = Xoshiro256StarStar(seed: 4)
        let (test, real, held) = UserData.split(data, testSize: 20, samples: 10, using: &rng)
        XCTAssertEqual([test.count, real.count, held.count], [20, 10, 30])
        XCTAssertEqual(Set(test.values + real.values + held.values), Set(data.values))
        for _ in 0..<5 {
            let fresh = UserData.fresh(held, samples: 10, using: &rng)
            XCTAssertEqual(fresh.count, 10)
            XCTAssertEqual(Set(fresh.values).count, 10)
            XCTAssertTrue(Set(fresh.values).isSubset(of: Set(held.values)))
        }
        XCTAssertEqual(UserData.fresh(held, samples: 100, using: &rng).count, 30)
    }
}
