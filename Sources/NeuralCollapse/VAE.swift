import Autodiff
import CollapseCore
import Foundation
import Randomness

public struct VAEConfig: Sendable, Equatable {
    public var hidden: Int
    public var latent: Int
    public var batch: Int
    /// Training length of each fit (an example is an image; a step sees `batch` images).
    public var budget: TrainingBudget
    public var learningRate: Float
    /// Decoder variance σ² of the Gaussian likelihood `p(x|z) = N(x̂(z), σ²I)`.
    public var decoderVariance: Double = 0.05

    public init(hidden: Int, latent: Int, batch: Int, budget: TrainingBudget, learningRate: Float, decoderVariance: Double = 0.05) {
        precondition(hidden >= 1 && latent >= 1 && batch >= 1 && budget.isPositive && decoderVariance > 0)
        self.hidden = hidden; self.latent = latent; self.batch = batch; self.budget = budget
        self.learningRate = learningRate; self.decoderVariance = decoderVariance
    }

    /// Matrix-multiply FLOPs of one training step on `dimension`-pixel images (3 × forward).
    public func trainingFLOPsPerStep(dimension d: Int) -> Double {
        let forward = 2.0 * Double(batch) * Double(d * hidden + hidden * 2 * latent + latent * hidden + hidden * d)
        return 3 * forward
    }
}

/// A variational auto-encoder with one-hidden-layer MLP encoder and decoder (ReLU), latent
/// prior `N(0, I)`, diagonal Gaussian posterior `q(z|x) = N(μ(x), diag e^{ℓ(x)})` and Gaussian
/// decoder `p(x|z) = N(x̂(z), σ²I)`, `x̂ = sigmoid(·)`.
///
/// **Loss.** The negative ELBO per pixel, times `2σ²` and without its constant
/// (`D` pixels, one reparameterised draw `z = μ + e^{ℓ/2} ⊙ ε`):
///
///     L = (1/D)‖x − x̂(z)‖² + (2σ²/D)·KL(q(z|x) ‖ N(0, I)).
///
/// **Fit.** Fresh init, `config.budget` AdamW steps on random mini-batches. **Sample.** `z ~ N(0, I)`,
/// image = decoder mean `x̂(z)`. **Evaluate.** `L` on real held-out images, with `ε` from a
/// fixed evaluation stream (the same for every generation and regime).
public struct VariationalAutoencoder: NeuralGenerativeModel {
    public typealias Data = ImageSet
    public static let name = "vae"
    public internal(set) var config: VAEConfig
    public let test: ImageSet
    public let seed: UInt64
    public private(set) var fits = 0
    var weights: [Tensor] = []
    var parameters = ParameterList()
    public private(set) var trainLoss = Double.nan
    /// Optimiser steps of the latest fit (`config.budget` on that fit's pool).
    public private(set) var lastSteps = 0

    public init(config: VAEConfig, test: ImageSet, seed: UInt64) {
        self.config = config; self.test = test; self.seed = seed
    }

    var klWeight: Float { Float(2 * config.decoderVariance / Double(test.dimension)) }

    /// (negative-ELBO loss, reconstruction MSE, KL per image) of a batch.
    func loss(_ t: Tape, images x: Tensor, noise: [Float]) -> (Tensor, Tensor, Tensor) {
        let w = weights
        let h = t.relu(t.linear(x, w[0], w[1]))
        let mu = t.linear(h, w[2], w[3]), lv = t.linear(h, w[4], w[5])
        let eps = t.constant(noise, rows: x.rows, cols: config.latent)
        let z = t.add(mu, t.mul(t.exp(t.scale(lv, 0.5)), eps))
        let xhat = decode(t, z)
        let recon = t.mse(xhat, x)
        let kl = t.gaussianKL(mean: mu, logVariance: lv)
        return (t.add(recon, t.scale(kl, klWeight)), recon, kl)
    }

    func decode(_ t: Tape, _ z: Tensor) -> Tensor {
        let w = weights
        return t.sigmoid(t.linear(t.relu(t.linear(z, w[6], w[7])), w[8], w[9]))
    }

    public mutating func fit(_ data: ImageSet) throws {
        fits += 1
        var rng = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.training, UInt64(fits)])
        let d = data.dimension, hd = config.hidden, k = config.latent
        var p = ParameterList()
        // He initialisation for ReLU layers, Glorot-like for the heads.
        weights = [
            p.normal(rows: d, cols: hd, std: (2 / Double(d)).squareRoot(), using: &rng), p.constant(rows: 1, cols: hd, value: 0),
            p.normal(rows: hd, cols: k, std: (1 / Double(hd)).squareRoot(), using: &rng), p.constant(rows: 1, cols: k, value: 0),
            p.normal(rows: hd, cols: k, std: 0.1 * (1 / Double(hd)).squareRoot(), using: &rng), p.constant(rows: 1, cols: k, value: 0),
            p.normal(rows: k, cols: hd, std: (2 / Double(k)).squareRoot(), using: &rng), p.constant(rows: 1, cols: hd, value: 0),
            p.normal(rows: hd, cols: d, std: (1 / Double(hd)).squareRoot(), using: &rng), p.constant(rows: 1, cols: d, value: 0)
        ]
        parameters = p
        var opt = AdamW(parameters: p, learningRate: config.learningRate, weightDecay: 0, clipNorm: 5)
        let model = self
        lastSteps = config.budget.steps(examples: data.count, perStep: config.batch)
        trainLoss = try Training.run(
            "VAE", fit: fits, steps: lastSteps, peak: config.learningRate,
            parameters: p, optimizer: &opt
        ) { _, tape in
            let idx = (0..<config.batch).map { _ in rng.nextIndex(below: data.count) }
            let x = Tensor(rows: idx.count, cols: d, value: data.subset(idx).pixels)
            let noise = Normal.array(count: idx.count * k, using: &rng).map(Float.init)
            return model.loss(tape, images: x, noise: noise).0
        }
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> ImageSet {
        draw(count: count, using: &rng)
    }

    public func draw<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> ImageSet {
        precondition(!weights.isEmpty, "sample before fit")
        let z = Tensor(rows: count, cols: config.latent, value: Normal.array(count: count * config.latent, using: &rng).map(Float.init))
        return ImageSet(width: test.width, height: test.height, pixels: decode(Tape(recording: false), z).value)
    }

    /// (loss, reconstruction, KL) on the held-out images.
    public func testTerms() -> (Double, Double, Double) {
        var rng = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.evaluation])
        let noise = Normal.array(count: test.count * config.latent, using: &rng).map(Float.init)
        let x = Tensor(rows: test.count, cols: test.dimension, value: test.pixels)
        let (l, r, k) = loss(Tape(recording: false), images: x, noise: noise)
        return (Double(l.scalar), Double(r.scalar), Double(k.scalar))
    }

    public func evaluate() -> Double { testTerms().0 }

    public func diagnostics(generation: Int) -> [(String, Double)] {
        let (_, r, k) = testTerms()
        return [("reconstruction", r), ("kl", k), ("train_loss", trainLoss), ("train_steps", Double(lastSteps))]
    }
}

public enum VAETask {
    public struct Sizes: Sendable {
        public var config: VAEConfig
        public var trainImages: Int
        public var testImages: Int
    }

    public static func sizes(_ preset: NeuralPreset) -> Sizes {
        switch preset {
        case .smoke:
            return Sizes(config: VAEConfig(hidden: 32, latent: 4, batch: 16, budget: .epochs(5), learningRate: 2e-3), trainImages: 100, testImages: 50)
        case .small:
            return Sizes(config: VAEConfig(hidden: 256, latent: 16, batch: 64, budget: .epochs(32), learningRate: 1e-3), trainImages: 2000, testImages: 500)
        case .paper:
            // MNIST (60 000 training images), wider MLPs, ~30 epochs per generation.
            return Sizes(config: VAEConfig(hidden: 512, latent: 32, batch: 128, budget: .epochs(32), learningRate: 1e-3), trainImages: 60000, testImages: 10000)
        }
    }

    /// `budget` overrides the preset's training budget.
    public static func make(_ preset: NeuralPreset, seed: UInt64, dataPath: String?, budget: TrainingBudget? = nil) throws -> NeuralTask<VariationalAutoencoder>
    {
        var s = sizes(preset)
        if let budget { s.config.budget = budget }
        let train: ImageSet, test: ImageSet, source: String
        if let dataPath {
            let all = try IDXLoader.load(path: dataPath)
            guard all.count >= 10 else { throw NeuralDataError("\(dataPath): \(all.count) images; expected at least 10") }
            (train, test) = NeuralExperiment.split(all, train: s.trainImages, test: s.testImages, seed: seed)
            source = "\(dataPath) (\(all.count) images)"
        } else {
            var rng = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.data])
            train = GlyphGenerator().images(count: s.trainImages, using: &rng)
            test = GlyphGenerator().images(count: s.testImages, using: &rng)
            source = "digit-like glyphs (built in), 28×28"
        }
        let c = s.config
        let params: [(String, String)] = [
            ("data", source), ("train_images", "\(train.count)"), ("test_images", "\(test.count)"),
            ("architecture", "MLP VAE \(train.dimension)→\(c.hidden)→(μ, log σ²) ∈ R^\(c.latent)→\(c.hidden)→\(train.dimension), ReLU, sigmoid output"),
            ("batch", "\(c.batch)"), ("budget", c.budget.description), ("learning_rate", "\(c.learningRate) (AdamW, warm-up 5 %, cosine to 10 %)"),
            ("decoder_variance", "\(c.decoderVariance)"),
            ("test_loss", "negative ELBO per pixel × 2σ², constant dropped: mean squared error + (2σ²/D)·KL, on real held-out images")
        ]
        return NeuralTask(train: train, test: test, make: { VariationalAutoencoder(config: c, test: test, seed: seed) }, parameters: params)
    }
}
