import Autodiff
import CollapseCore
import NeuralCollapse
import Randomness
import XCTest

/// The three models at their smoke sizes, through the one scheduler.
final class ModelTests: XCTestCase {
    /// The cached decoder (sampling path) computes the training graph's next-byte logits, up to
    /// Float32 summation order (relative 1e-4 of the logit scale; the two paths differ only in
    /// the order of O(D)-term sums).
    func testCachedDecoderMatchesTheTrainingGraph() throws {
        let task = try LanguageModelTask.make(.smoke, seed: 3, dataPath: nil)
        var model = task.make()
        try model.fit(task.train)
        let context = Array(task.train.stream.prefix(model.config.context))
        for length in [1, 5, context.count] {
            let a = model.cachedLogits(context: Array(context.prefix(length)))
            let b = model.graphLogits(context: Array(context.prefix(length)))
            let scale = b.map(abs).max()!
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4 * scale, "length \(length)") }
        }
    }

    /// Training helps: after the smoke budget the held-out cross-entropy is well below the
    /// uniform model's log 256 ≈ 5.545 nats.
    func testLanguageModelLearns() throws {
        let task = try LanguageModelTask.make(.smoke, seed: 4, dataPath: nil)
        var model = task.make()
        try model.fit(task.train)
        XCTAssertLessThan(model.evaluate(), log(256) - 1)
        var rng = Xoshiro256StarStar(seed: 1)
        let samples = model.draw(count: 20, using: &rng)
        XCTAssertEqual(samples.count, 20)
        XCTAssertTrue(samples.stories.allSatisfy { $0.count < model.config.context && !$0.contains(10) })
    }

    /// The VAE's test loss is its reconstruction term plus (2σ²/D)·KL.
    func testVAELossDecomposition() throws {
        let task = try VAETask.make(.smoke, seed: 5, dataPath: nil)
        var model = task.make()
        try model.fit(task.train)
        let (loss, recon, kl) = model.testTerms()
        XCTAssertEqual(loss, recon + 2 * model.config.decoderVariance / 784 * kl, accuracy: 1e-6 * loss)
        XCTAssertGreaterThan(kl, 0)
        var rng = Xoshiro256StarStar(seed: 2)
        let images = model.draw(count: 7, using: &rng)
        XCTAssertEqual(images.count, 7)
        XCTAssertTrue(images.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// Diffusion samples are centred conformers of the same molecule.
    func testDiffusionSamplesAreCentredConformers() throws {
        let task = try DiffusionTask.make(.smoke, seed: 6, dataPath: nil)
        var model = task.make()
        try model.fit(task.train)
        XCTAssertTrue(model.evaluate().isFinite)
        var rng = Xoshiro256StarStar(seed: 3)
        let s = model.draw(count: 9, using: &rng)
        XCTAssertEqual(s.count, 9)
        XCTAssertEqual(s.bonds, task.train.bonds)
        for f in 0..<9 {
            for axis in 0..<3 {
                let sum = (0..<s.atoms).reduce(Float(0)) { $0 + s.coordinates[f * s.dimension + 3 * $1 + axis] }
                XCTAssertEqual(sum, 0, accuracy: 1e-3)
            }
        }
        let names = model.diagnostics(generation: 1).map(\.0)
        XCTAssertEqual(names, ["bond_length_error", "torsion_tv", "train_loss", "train_steps"])
    }

    /// The runner is the scheduler: its rows are exactly the scheduler's evaluate() sequence
    /// for each regime, and a second run reproduces them bit for bit.
    func testRunnerIsTheSchedulerAndDeterministic() throws {
        let task = try VAETask.make(.smoke, seed: 7, dataPath: nil)
        let regimes: [Regime] = [.replace, .accumulateSubsample]
        let a = try NeuralExperiment.run(regimes: regimes, generations: 3, threads: 2, seed: 7, realData: task.train, makeModel: task.make)
        let b = try NeuralExperiment.run(regimes: regimes, generations: 3, threads: 1, seed: 7, realData: task.train, makeModel: task.make)
        XCTAssertEqual(a.rows, b.rows)
        for (k, regime) in regimes.enumerated() {
            var model = task.make()
            var sampling = Xoshiro256StarStar(seed: 7, stream: [NeuralStreams.sampling])
            var subsampling = Xoshiro256StarStar(seed: 7, stream: [NeuralStreams.subsampling])
            let direct = try GenerationScheduler<VariationalAutoencoder>(regime: regime, generations: 3)
                .run(model: &model, realData: task.train, sampling: &sampling, subsampling: &subsampling)
            XCTAssertEqual(a.rows[(3 * k)..<(3 * k + 3)].map(\.testLoss), direct)
        }
    }

    /// `TrainingBudget`: `steps(k)` ignores the pool; `epochs(e)` is `⌈e·examples/perStep⌉`, at
    /// least one step.
    func testTrainingBudgetSteps() {
        XCTAssertEqual(TrainingBudget.steps(7).steps(examples: 1_000_000, perStep: 3), 7)
        XCTAssertEqual(TrainingBudget.epochs(5).steps(examples: 100, perStep: 16), 32)  // ⌈31.25⌉
        XCTAssertEqual(TrainingBudget.epochs(5).steps(examples: 160, perStep: 16), 50)  // exact
        XCTAssertEqual(TrainingBudget.epochs(0.01).steps(examples: 10, perStep: 16), 1)  // at least one
        XCTAssertEqual(TrainingBudget.epochs(0.3).steps(examples: 10, perStep: 1), 3)  // not ⌈3.0000000000000004⌉
        XCTAssertFalse(TrainingBudget.epochs(0).isPositive)
        XCTAssertFalse(TrainingBudget.epochs(.nan).isPositive)
        XCTAssertFalse(TrainingBudget.steps(0).isPositive)
    }

    /// Under an epoch budget the compute follows the pool: generation n of accumulate trains on
    /// n·T images and so for `⌈e·n·T/B⌉` steps, while replace and accumulate-subsample (pool T)
    /// keep generation 1's count; under a step budget every fit gets the same count.
    func testEpochBudgetFollowsThePool() throws {
        let task = try VAETask.make(.smoke, seed: 8, dataPath: nil)  // T = 100 images, B = 16, 5 epochs
        let t = task.train.count, b = task.make().config.batch
        XCTAssertEqual(task.make().config.budget, .epochs(5))
        let regimes: [Regime] = [.replace, .accumulate, .accumulateSubsample]
        let run = try NeuralExperiment.run(regimes: regimes, generations: 3, threads: 2, seed: 8, realData: task.train, makeModel: task.make)
        let column = try XCTUnwrap(run.metricNames.firstIndex(of: "train_steps"))
        for row in run.rows {
            let pool = row.regime == .accumulate ? row.generation * t : t
            XCTAssertEqual(row.metrics[column], Double((5 * pool + b - 1) / b), "\(row.regime) generation \(row.generation)")
        }
        let fixed = try VAETask.make(.smoke, seed: 8, dataPath: nil, budget: .steps(9))
        let fixedRun = try NeuralExperiment.run(
            regimes: [.accumulate], generations: 3, threads: 1, seed: 8,
            realData: fixed.train, makeModel: fixed.make)
        XCTAssertEqual(fixedRun.rows.map { $0.metrics[column] }, [9, 9, 9])
    }

    /// A cancellation request stops the fit in progress and keeps what was evaluated: here it
    /// arrives after replace's generation 2, so the run returns exactly the first two rows of
    /// an uninterrupted run, and accumulate (not yet started on one thread) does not start.
    func testCancellationKeepsFinishedGenerations() throws {
        let task = try VAETask.make(.smoke, seed: 9, dataPath: nil)
        let full = try NeuralExperiment.run(
            regimes: [.replace], generations: 2, threads: 1, seed: 9,
            realData: task.train, makeModel: task.make)
        XCTAssertFalse(full.interrupted)
        NeuralCancellation.reset()
        defer { NeuralCancellation.reset() }
        let cut = try NeuralExperiment.run(
            regimes: [.replace, .accumulate], generations: 5, threads: 1, seed: 9, realData: task.train, makeModel: task.make,
            progress: { if $0.contains("generation 2/5") { NeuralCancellation.request() } })
        XCTAssertTrue(cut.interrupted)
        XCTAssertEqual(cut.rows, full.rows)
    }
}
