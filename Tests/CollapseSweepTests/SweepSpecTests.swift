import ExperimentEngine
import CollapseCore
import CollapseSweep
import XCTest

final class SweepSpecTests: XCTestCase {
    func testParsesEveryKeyAndExpandsMix() throws {
        let spec = try SweepSpec.parse("""
            name = "t"
            description = "d"
            dimension = [2, 3]
            samples = 20
            noise_variance = [0.5, 2]
            generations = 7
            regimes = ["replace", "mix", "accumulate-subsample"]
            real_fraction = [0.25, 0.75]
            repeats = 64
            seed = 99
            """, file: "s.toml")
        XCTAssertEqual(spec.dimensions, [2, 3])
        XCTAssertEqual(spec.samples, [20])
        XCTAssertEqual(spec.noiseVariances, [0.5, 2])
        XCTAssertEqual(spec.generations, 7)
        XCTAssertEqual(spec.repeats, 64)
        XCTAssertEqual(spec.seed, 99)
        XCTAssertEqual(spec.regimes, [.replace, .mix(realFraction: 0.25), .mix(realFraction: 0.75), .accumulateSubsample])
        XCTAssertEqual(spec.cells.map { [$0.dimension, $0.samples] }, [[2, 20], [2, 20], [3, 20], [3, 20]])
        XCTAssertEqual(spec.cells.map(\.noiseVariance), [0.5, 2, 0.5, 2])
        // The written form parses back to the same spec.
        XCTAssertEqual(try SweepSpec.parse(spec.tomlText(), file: "round-trip"), spec)
    }

    func testBadValuesAreReportedWithFileLineAndKey() {
        let cases: [(String, String)] = [
            ("samples = 0", "s.toml:1: key 'samples': expected integers in 1...100000000"),
            ("dimension = [3, 3]", "key 'dimension': the value 3 is listed twice"),
            ("noise_variance = -1", "key 'noise_variance': expected finite numbers > 0"),
            ("noise_variance = nan", "key 'noise_variance'"),
            ("generations = 1.5", "key 'generations': expected an integer in 1...100000"),
            ("repeats = 1", "key 'repeats': expected an integer in 2..."),
            ("regimes = [\"replace\", \"bogus\"]", "key 'regimes': unknown regime \"bogus\""),
            ("regimes = []", "key 'regimes': empty array"),
            ("real_fraction = 1.5", "key 'real_fraction': expected fractions in [0, 1]"),
            ("seed = -3", "key 'seed': expected an integer in 0...18446744073709551615"),
            ("name = 3", "key 'name': expected a non-empty string"),
            ("\n\nsampels = 100", "s.toml:3: key 'sampels': unknown key (did you mean 'samples'?)"),
            ("colour = 1", "key 'colour': unknown key; allowed keys: name,"),
        ]
        for (text, fragment) in cases {
            XCTAssertThrowsError(try SweepSpec.parse(text, file: "s.toml"), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text) → \(error)")
            }
        }
    }

    func testSeedAboveInt64AsString() throws {
        XCTAssertEqual(try SweepSpec.parse("seed = \"18446744073709551615\"", file: "s").seed, UInt64.max)
    }

    func testNamedExperimentsMatchTheirDefinitions() throws {
        let paper = try XCTUnwrap(Experiments.named("paper-linear")).spec()
        XCTAssertEqual(paper.dimensions, [32])
        XCTAssertEqual(paper.samples, [100, 316, 1000])
        XCTAssertEqual(paper.noiseVariances, [0.01, 0.1, 1, 10, 100])
        XCTAssertEqual(paper.generations, 50)
        XCTAssertEqual(paper.regimes, [.replace, .accumulate])
        XCTAssertGreaterThanOrEqual(paper.repeats, 1000)
        let cot = try XCTUnwrap(Experiments.named("collapse-or-thrive-linear")).spec()
        XCTAssertEqual(cot.dimensions, [1, 3, 10, 32, 100])
        XCTAssertEqual(cot.samples, [10, 32, 100, 316, 1000])
        XCTAssertEqual(cot.noiseVariances, [0.1, 1, 10])
        XCTAssertEqual(cot.generations, 100)
        XCTAssertEqual(cot.regimes, [.replace, .accumulate, .accumulateSubsample])
        XCTAssertEqual(cot.repeats, 100)
        XCTAssertNil(Experiments.named("nope"))
    }

    func testShardsPartitionTheGrid() {
        XCTAssertNil(Shard(parsing: "3/3"))
        XCTAssertNil(Shard(parsing: "-1/3"))
        XCTAssertNil(Shard(parsing: "1/0"))
        XCTAssertNil(Shard(parsing: "1"))
        let shards = (0..<4).map { Shard(parsing: "\($0)/4")! }
        for cell in 0..<37 {
            XCTAssertEqual(shards.filter { $0.contains(cell: cell) }.count, 1)
        }
    }
}
