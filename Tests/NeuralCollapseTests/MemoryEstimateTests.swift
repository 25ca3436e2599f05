import ExperimentEngine
import NeuralCollapse
import XCTest

/// The neural family's memory model (`NeuralMemoryEstimate`), as the engine's guard sees it.
/// scripts/memory-vs-rss.py checks it against measured peak RSS.
final class MemoryEstimateTests: XCTestCase {
    let family = NeuralFamily()

    /// The guard's estimate of a run (its largest cell on `threads`).
    func bytes(_ flags: [String: String], threads: Int = 1) throws -> Double {
        let spec = try resolveSpec(family, config: nil, flags: flags, seed: 1)
        return ExperimentRunner.estimatedBytes(family: family, spec: spec, threads: threads)
    }

    func testEstimateGrowsWithThePreset() throws {
        for model in NeuralFamily.models {
            let sizes = try ["smoke", "small", "paper"].map { try bytes(["model": model, "preset": $0, "regimes": "replace"]) }
            XCTAssertGreaterThan(sizes[0], 1e5, model)
            XCTAssertLessThan(sizes[0], sizes[1], model)
            XCTAssertLessThan(sizes[1], sizes[2], model)
        }
        // The paper-size transformer's training tape (32 × 256 tokens of width 320 over 7 layers)
        // is gigabytes; its 8.9M parameters with gradients and moments are a few hundred MB.
        let paper = try bytes(["model": "lm", "preset": "paper", "regimes": "replace"])
        XCTAssertGreaterThan(paper, 3e9)
        XCTAssertLessThan(paper, 2e10)
    }

    func testAccumulatePoolGrowsWithGenerations() throws {
        for model in NeuralFamily.models {
            func at(_ n: Int, _ regime: String) throws -> Double {
                try bytes(["model": model, "preset": "small", "regimes": regime, "generations": String(n)])
            }
            // accumulate keeps every synthetic set and stacks them: linear growth in N.
            let a2 = try at(2, "accumulate"), a20 = try at(20, "accumulate"), a40 = try at(40, "accumulate")
            XCTAssertLessThan(a2, a20, model)
            XCTAssertLessThan(a20, a40, model)
            let a10 = try at(10, "accumulate"), a30 = try at(30, "accumulate")
            XCTAssertEqual(a40 - a20, a30 - a10, accuracy: 1, model)
            // accumulate-subsample holds the pool too; replace does not grow.
            let s2 = try at(2, "accumulate-subsample"), s40 = try at(40, "accumulate-subsample")
            XCTAssertLessThan(s2, s40, model)
            let r2 = try at(2, "replace"), r40 = try at(40, "replace")
            XCTAssertEqual(r2, r40, model)
        }
        // The VAE's pool: each generation adds a synthetic set of 2000 images of 784 Float32
        // pixels to the pool and to the stacked training set.
        let vae2 = try bytes(["model": "vae", "preset": "small", "regimes": "accumulate", "generations": "2"])
        let vae12 = try bytes(["model": "vae", "preset": "small", "regimes": "accumulate", "generations": "12"])
        XCTAssertEqual(vae12 - vae2, 10 * 2 * 2000 * 784 * 4, accuracy: 1)
    }

    /// Cells run concurrently (one chain per thread), so the guard counts the chains that can
    /// run at once: the largest `threads` of them.
    func testConcurrentChainsAddUp() throws {
        let flags = ["model": "vae", "preset": "small", "regimes": "replace,accumulate", "generations": "10"]
        let replace = try bytes(flags.merging(["regimes": "replace"]) { $1 })
        let accumulate = try bytes(flags.merging(["regimes": "accumulate"]) { $1 })
        XCTAssertLessThan(replace, accumulate)
        XCTAssertEqual(try bytes(flags, threads: 1), accumulate)
        XCTAssertEqual(try bytes(flags, threads: 2), replace + accumulate, accuracy: 1)
        XCTAssertEqual(try bytes(flags, threads: 8), replace + accumulate, accuracy: 1)
    }
}
