import LinearCollapse

/// `collapse verify`'s ridge checks R1–R3 (proof R1): listing and printing, kept apart from
/// VerifyCommand.swift.
enum RidgeVerifySupport {
    static func list() {
        for p in RidgeVerification.battery {
            print("\(p.id.padding(toLength: 4, withPad: " ", startingAt: 0)) ridge chain \(p.spectrumLabel) d=\(p.spectrum.dimension) T=\(p.samples) " +
                  "λ=\(p.ridge) T₀=\(p.generatorSamples), \(p.generations) generations, R = \(p.repeats): \(p.purpose)")
        }
    }

    /// Prints the rows and returns how many fail at `zStar`.
    static func printChecks(_ checks: [RidgeVerification.Check], threshold zStar: Double) -> Int {
        guard !checks.isEmpty else { return 0 }
        print(pad("id", 4) + pad("check", 17) + pad("d", 5) + pad("T", 5) + pad("λ", 6) + pad("gen", 5) + pad("MC mean", 13) +
              pad("± SE", 12) + pad("target", 13) + pad("allowance", 11) + pad("z", 8) + "  result")
        var failed = 0
        for c in checks {
            let ok = c.passes(threshold: zStar)
            if !ok { failed += 1 }
            print(pad(c.point.id, 4) + pad(c.point.kind.rawValue, 17) + pad(String(c.point.spectrum.dimension), 5) + pad(String(c.point.samples), 5) +
                  pad(fmt(c.point.ridge), 6) + pad(String(c.generation), 5) + pad(fmt(c.mean), 13) + pad(fmt(c.standardError), 12) +
                  pad(fmt(c.target), 13) + pad(c.allowance == 0 ? "—" : fmt(c.allowance), 11) + pad(String(format: "%.2f", c.z), 8) +
                  (ok ? "  ok" : "  FAIL"))
        }
        print("ridge rows: exact|X compares risk − E[risk | X] with 0; det. equivalent passes when |mean − DE| ≤ z*·SE + allowance (A·DE/d, A = \(fmt(RidgeVerification.equivalentAllowance)); proof R1 §5).")
        return failed
    }
}
