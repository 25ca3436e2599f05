import CollapseSweep
import ExperimentEngine
import XCTest

/// `TheoryRequest`: the rules of `collapse theory` and its three outputs, without the CLI.
final class TheoryRequestTests: XCTestCase {
    func request(_ model: String, _ configure: (inout TheoryRequest) -> Void = { _ in }) -> TheoryRequest {
        var r = TheoryRequest()
        r.model = model
        r.generations = 4
        configure(&r)
        return r
    }

    /// Every model of the catalogue renders in every format; the readable table starts with the
    /// model's formula and has one line per row of the wide table (plus its header and title).
    func testEveryModelRendersInEveryFormat() throws {
        for model in [
            "linear", "exact", "fresh-design", "ridge", "poisson", "gaussian-mean", "gaussian-refit", "gaussian-refit-d",
            "categorical", "mixing"
        ] {
            var wide = request(model) { $0.format = "wide" }
            if model == "exact" { wide.dimension = "3"; wide.samples = "12" }
            try wide.validate()
            let w = try wide.render().text
            var table = wide, csv = wide
            table.format = "table"; csv.format = "csv"
            let t = try table.render().text, c = try csv.render().text
            XCTAssertTrue(
                c.hasPrefix(
                    "model,dataset,regime,real_fraction,generation,metric,mean,std_error,ci95_low,ci95_high,"
                        + "median,q05,q25,q75,q95,median_ci95_low,median_ci95_high,theory,z,"), model)
            let wideRows = w.split(separator: "\n").count - 1
            if model == "linear" {
                XCTAssertTrue(t.hasPrefix("d = 10, T = 100, σ² = 1.0:"), t)
            } else {
                let lines = t.split(separator: "\n")
                XCTAssertEqual(lines.count, wideRows + 2 + (model == "ridge" ? 1 : 0), "\(model):\n\(t)")
            }
        }
    }

    /// Every flag of `TheoryRequest.parameters` sets its own field: a request built from one
    /// flag differs from the default request exactly there, and a number that does not parse
    /// is refused naming its flag.
    func testEveryParameterFlagSetsItsField() throws {
        let values = [
            "model": "ridge", "format": "csv", "regimes": "replace", "dimension": "4", "samples": "30", "noise_variance": "2",
            "generations": "7", "rate": "3", "generator_samples": "40", "generator_noise_variance": "0.5", "estimator": "mle",
            "covariance_eigenvalues": "1,2", "zipf_support": "5", "zipf_exponent": "2", "weight": "0.3", "spectrum": "power-law",
            "beta": "2", "source": "1", "ridge": "0.1", "discount": "0.9", "design_file": "x.csv", "truth_file": "w.csv",
            "seed": "9", "replicate": "2", "real_fraction": "0.25"
        ]
        XCTAssertEqual(Set(values.keys), Set(TheoryRequest.parameters.map(\.key)))
        let base = String(describing: TheoryRequest())
        var changed: Set<String> = []
        for (key, value) in values {
            let text = String(describing: try TheoryRequest(flags: [key: value]))
            XCTAssertNotEqual(text, base, key)
            XCTAssertTrue(text.contains(value), "\(key): \(text)")
            changed.insert(text)
        }
        XCTAssertEqual(changed.count, values.count, "two flags set the same field")
        for key in ["generations", "generator_samples", "zipf_support", "replicate", "beta", "source", "zipf_exponent", "generator_noise_variance"] {
            XCTAssertThrowsError(try TheoryRequest(flags: [key: "x"])) { e in
                XCTAssertTrue("\(e)".contains("--" + key.replacingOccurrences(of: "_", with: "-")), "\(e)")
            }
        }
    }

    /// The refusals name the flag and what is allowed.
    func testRefusalsNameTheFlag() {
        let cases: [(TheoryRequest, String)] = [
            (request("linear") { $0.samples = "11" }, "--samples 11 with --dimension 10: the Gaussian-design expectation needs T ≥ d + 2 = 12"),
            (request("nope"), "--model: unknown model 'nope'; allowed: linear, exact"),
            (request("linear") { $0.format = "xml" }, "--format: unknown format 'xml'; allowed: table, csv, wide"),
            (request("linear") { $0.regimes = "replace,mix" }, "--regimes: 'mix' has no closed form; allowed here: replace, accumulate"),
            (request("ridge") { $0.beta = 2 }, "--beta: applies to --spectrum power-law only"),
            (request("exact") { $0.truthFile = "t.csv" }, "--truth-file needs --design-file"),
            (request("exact") { $0.ridge = "optimal" }, "--ridge: 'optimal' applies to --model ridge only"),
            (request("gaussian-refit") { $0.samples = "1" }, "--samples 1: a variance estimate needs M ≥ 2 samples per generation"),
            (request("mixing") { $0.weight = "0" }, "--weight: 0 is out of range; expected weights in (0, 1]"),
            (request("linear") { $0.generations = 0 }, "--generations: 0 is out of range; expected an integer in 1...100000"),
            (
                request("exact") {
                    $0.dimension = "100000"; $0.samples = "10"
                }, "--model exact at d = 100000, T = 10:"
            )
        ]
        for (r, fragment) in cases {
            XCTAssertThrowsError(
                try {
                    try r.validate(); _ = try r.render()
                }()
            ) { error in
                XCTAssertTrue("\(error)".hasPrefix(fragment), "expected '\(fragment)…', got '\(error)'")
                XCTAssertTrue(error is SpecError, "\(error)")
            }
        }
    }

    /// The ridge table marks the optimal penalty and explains the mark once.
    func testRidgeMarksTheOptimalPenalty() throws {
        let r = request("ridge") {
            $0.ridge = "0.1,optimal"; $0.samples = "50"
        }
        try r.validate()
        let text = try r.render().text
        XCTAssertEqual(text.components(separatedBy: "* collapse-aware optimal λ").count, 2, text)
        XCTAssertTrue(text.split(separator: "\n").contains { $0.contains("*") && !$0.hasPrefix("*") }, text)
    }
}
