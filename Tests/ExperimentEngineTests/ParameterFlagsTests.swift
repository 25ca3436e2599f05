import ExperimentEngine
import XCTest

final class ParameterFlagsTests: XCTestCase {
    let parameters = [
        Parameter("samples", .integer(1...100), role: .axis, default: [.integer(10)], help: "Samples T."),
        Parameter("noise_variance", .real(lower: 0, upper: 10, lowerOpen: true), default: [.real(1)], help: "Noise σ²."),
        Parameter("engine", .choice(["literal", "sufficient"]), help: "Simulator (default literal)."),
        Parameter("test_noise", .choice(["false", "true"]), default: [.text("false")], help: "Noisy targets.")
    ]

    func testBothSpellingsSwitchesAndTheLastValue() throws {
        XCTAssertEqual(
            try ParameterFlags.parse(["--samples", "5,6", "--noise-variance=-1", "--engine", "literal"], parameters: parameters),
            ["samples": "5,6", "noise_variance": "-1", "engine": "literal"])
        // A false/true parameter alone is switched on; an explicit value is taken.
        XCTAssertEqual(try ParameterFlags.parse(["--test-noise"], parameters: parameters), ["test_noise": "true"])
        XCTAssertEqual(try ParameterFlags.parse(["--test-noise", "--samples", "3"], parameters: parameters), ["test_noise": "true", "samples": "3"])
        XCTAssertEqual(try ParameterFlags.parse(["--test-noise", "false"], parameters: parameters), ["test_noise": "false"])
        XCTAssertEqual(try ParameterFlags.parse(["--samples", "3", "--samples", "4"], parameters: parameters), ["samples": "4"])
        XCTAssertEqual(try ParameterFlags.parse([], parameters: parameters), [:])
    }

    func testRefusalsNameTheFlagAndWhatIsAllowed() {
        func message(_ words: [String], owner: String = "here") -> String {
            do { _ = try ParameterFlags.parse(words, parameters: parameters, owner: owner); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(
            message(["--dimension", "3"], owner: "of the x family"),
            "unknown option '--dimension'; the parameters of the x family are --samples, --noise-variance, --engine, --test-noise (see --help for the others)")
        XCTAssertEqual(message(["--dimension=3"]).prefix(33), "unknown option '--dimension'; the")
        XCTAssertEqual(message(["stray"]), "unexpected argument 'stray'; parameters are given as flags: --samples, --noise-variance, --engine, --test-noise")
        XCTAssertEqual(message(["--samples"]), "--samples: missing value; expected an integer in 1...100")
    }

    func testHelpListsEveryParameterWithItsValueAndDefault() {
        let help = ParameterFlags.help(parameters).split(separator: "\n")
        XCTAssertEqual(
            help,
            [
                "--samples <n>[,…]  Samples T. (default 10)",
                "--noise-variance <x>  Noise σ². (default 1)",
                "--engine <literal|sufficient>  Simulator (default literal).",
                "--test-noise  Noisy targets. (default false)"
            ])
    }
}
