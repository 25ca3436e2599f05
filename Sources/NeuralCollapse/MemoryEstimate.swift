import Foundation

/// Peak working memory of one regime's chain of a neural run (one cell of the `neural` family:
/// single-threaded, the model retrained every generation), in bytes, from every size that scales
/// it. What is counted is what the code allocates (Float32 tensors of `Autodiff`, 4 bytes):
///
/// - **parameters** `P`: value and gradient of every weight, AdamW's two moments (4P); the
///   language model also keeps the previous fit's weights (value and gradient) until its new fit
///   ends (6P);
/// - **the largest of** one training step's tape (every node's value and gradient plus what the
///   backward closures keep: attention probabilities, layer-norm and GELU caches, softmax
///   probabilities), the evaluation on the held-out set (an inference pass, no gradients) and
///   the sampling of a synthetic dataset the size of the real one (a key/value cache for the
///   language model, a decoder pass for the VAE, the ancestral sampler for the DDPM);
/// - **the data**: the real training set and the held-out set, and the regime's pool at the last
///   generation `N`: replace keeps the real and one synthetic set; accumulate keeps `N` sets
///   (real plus `N − 1` synthetic) and stacks them into the training set (another `N`);
///   accumulate-subsample keeps `N`, stacks them while it draws (another `N`) and trains on one;
///   the language model trains on the byte stream of its training set (built twice per fit), the
///   DDPM on a rescaled copy of its training set.
///
/// With `--data`, reading the file (its bytes, the text or lines decoded from it and the parsed
/// records) peaks at about `loadFactor` times the file's size before the run; the estimate is the
/// larger of that and the run's.
public enum NeuralMemoryEstimate {
    static let float = 4.0, double = 8.0

    /// Peak bytes of reading a data file of `bytes` bytes (raw bytes, decoded text, lines, records).
    public static let loadFactor = 8.0

    /// Sizes of the data a chain sees.
    public struct DataSizes: Sendable, Equatable {
        /// Real training records (stories, images, conformers): a synthetic dataset has as many.
        public var train: Int
        /// Held-out records.
        public var test: Int
        /// Values per record: mean bytes per story (the language model), pixels (VAE),
        /// coordinates (DDPM).
        public var width: Double
        /// DDPM only: bonds and torsions of the molecule (the structural checks' arrays).
        public var bonds = 0, torsions = 0
        /// The size of the `--data` file (0: built-in data).
        public var fileBytes = 0.0

        public init(train: Int, test: Int, width: Double, bonds: Int = 0, torsions: Int = 0, fileBytes: Double = 0) {
            self.train = train; self.test = test; self.width = width; self.bonds = bonds; self.torsions = torsions
            self.fileBytes = fileBytes
        }
    }

    /// Datasets of the real set's size that a chain holds at its last generation (`held`: the
    /// real set and the synthetic sets kept), stacks or copies beside them (`copies`), and trains
    /// on (`training`).
    public static func pool(regime: String, generations n: Int) -> (held: Double, copies: Double, training: Double) {
        guard n >= 2 else { return (1, 0, 1) }
        let g = Double(n)
        switch regime {
        case "accumulate": return (g, g, g)
        case "accumulate-subsample": return (g, g + 1, 1)
        default: return (2, 0, 1)  // replace: the real set and the newest synthetic set (the training set)
        }
    }

    // MARK: Language model

    /// One training step's tape, in Float32 values, for `N = batch·context` tokens of width `D`
    /// over `L` layers and vocabulary `V`: embeddings and their sum (6ND); per layer 60ND (the
    /// two layer norms 3ND each, the QKV projection and its bias 12ND, the attention output 2ND,
    /// the output projection, its bias and the residual 6ND, the MLP's two projections and biases
    /// 20ND, GELU 12ND, the residual 2ND) plus the attention probabilities `B·H·T²`; the final
    /// layer norm 3ND and the head, its bias and the softmax probabilities 5NV.
    public static func languageModelStepValues(_ c: TransformerConfig) -> Double {
        let n = Double(c.batch * c.context), d = Double(c.width), l = Double(c.layers), v = Double(c.vocabulary)
        let attention = l * Double(c.batch * c.heads) * Double(c.context * c.context)
        return n * d * (60 * l + 9) + attention + 5 * n * v
    }

    public static func languageModel(_ c: TransformerConfig, data: DataSizes, regime: String, generations: Int) -> Double {
        let p = Double(c.parameterCount)
        let step = languageModelStepValues(c)
        // Evaluation: batches of up to 32 non-overlapping windows, inference only (the MLP's
        // activations and the head's logits and probabilities at their widest).
        let windows = min(32.0, max(1, (Double(data.test) * (data.width + 1) - 1) / Double(c.context)))
        let ne = windows * Double(c.context)
        let evaluation = ne * (17 * Double(c.width) + 3 * Double(c.vocabulary)) + windows * Double(c.heads) * Double(c.context * c.context)
        // Sampling: the key/value cache of up to 64 stories at a time.
        let sampling = 2 * Double(c.layers * min(64, max(1, data.train)) * c.context * c.width)
        let model = float * (6 * p + max(step, evaluation, sampling))
        // Stories are separate arrays (header and allocation rounding ≈ 64 bytes each; sampled
        // stories grow by appending, up to twice their length); the training set of a fit is
        // referenced, not copied, but its byte stream is built twice.
        let (held, copies, training) = pool(regime: regime, generations: generations)
        let t = Double(data.train), story = 64 + 2 * data.width
        let stories = (held + 1) * t * story + Double(data.test) * story + copies * t * 8
        let streams = 2 * training * t * (data.width + 1) + Double(data.test) * (data.width + 1)
        return max(model + stories + streams, loadFactor * data.fileBytes)
    }

    // MARK: VAE

    public static func vae(_ c: VAEConfig, data: DataSizes, regime: String, generations: Int) -> Double {
        let d = data.width, h = Double(c.hidden), k = Double(c.latent)
        let p = d * h + h + 2 * (h * k + k) + k * h + h + h * d + d
        // A step's tape (batch b): the images, the encoder's layer, μ and log σ² with the
        // reparameterisation, the decoder's two layers (values and gradients).
        let step = Double(c.batch) * (7 * d + 12 * h + 19 * k)
        // Inference over the whole held-out set, and the decoder on a synthetic set at once
        // (the noise is drawn in Double first).
        let nt = Double(data.test), t = Double(data.train)
        let evaluation = nt * (3 * d + 3 * h + 6 * k) + nt * k * double / float
        let sampling = t * (3 * d + 3 * h + k) + t * k * double / float
        let model = float * (4 * p + max(step, evaluation, sampling))
        let (held, copies, _) = pool(regime: regime, generations: generations)
        let images = float * d * ((held + copies) * t + nt)
        return max(model + images, loadFactor * data.fileBytes)
    }

    // MARK: DDPM

    public static func diffusion(_ c: DiffusionConfig, data: DataSizes, regime: String, generations: Int) -> Double {
        let d = data.width, h = Double(c.hidden), l = Double(c.layers), f = Double(c.timeFeatures)
        let p = (d + f) * h + h + (l - 1) * (h * h + h) + h * d + d
        // A step's tape: inputs, noise, and per hidden layer the product, bias and SiLU (values
        // and gradients).
        let step = Double(c.batch) * (6 * h * l + 6 * d + f) + Double(c.batch) * d * double / float
        // Inference on `rows` at once: the noisy inputs with time features, a hidden layer's
        // product, bias and SiLU, the noise (drawn in Double first).
        func inference(_ rows: Double) -> Double { rows * (3 * h + 6 * d + f) + rows * d * double / float }
        let checks = Double(c.checkSamples)
        let structure = (checks + Double(data.test)) * Double(data.bonds + data.torsions) * double / float
        let model =
            float
            * (4 * p
                + max(
                    step, inference(4 * Double(data.test)), inference(Double(data.train)),
                    inference(checks) + structure))
        let (held, copies, training) = pool(regime: regime, generations: generations)
        let t = Double(data.train)
        let conformers = float * d * ((held + copies + training) * t + Double(data.test))
        return max(model + conformers, loadFactor * data.fileBytes)
    }
}
