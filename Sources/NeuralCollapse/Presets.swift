import CollapseCore
import Foundation
import Randomness

/// Run sizes: `smoke` (seconds, for tests), `small` (the qualitative result on a 2-core CPU
/// in minutes), `paper` (the sizes of the paper's experiments; hours to days on a CPU).
public enum NeuralPreset: String, CaseIterable, Sendable {
    case smoke, small, paper
}

/// What a model's run needs: its real training and held-out data, and a model factory.
public struct NeuralTask<M: NeuralGenerativeModel> {
    public var train: M.Data
    /// The real held-out data the model is evaluated on (the model keeps it).
    public var test: M.Data
    public var make: () -> M
    public var parameters: [(String, String)]
}

// MARK: Language model

public enum LanguageModelTask {
    public struct Sizes: Sendable {
        public var config: TransformerConfig
        public var trainStories: Int
        public var testStories: Int
    }

    public static func sizes(_ preset: NeuralPreset) -> Sizes {
        switch preset {
        case .smoke:
            return Sizes(
                config: TransformerConfig(
                    context: 32, width: 32, heads: 2, layers: 1, batch: 8, budget: .epochs(2),
                    learningRate: 3e-3), trainStories: 60, testStories: 20)
        case .small:
            return Sizes(
                config: TransformerConfig(
                    context: 96, width: 128, heads: 4, layers: 2, batch: 12, budget: .epochs(6),
                    learningRate: 2e-3), trainStories: 1000, testStories: 200)
        case .paper:
            // A GPT-2 of ≈ 9M parameters (7 layers of width 320 on bytes: 8.9M), the size of the
            // paper's smallest model; the paper pretrains on TinyStories (≈ 470M tokens).
            return Sizes(
                config: TransformerConfig(
                    context: 256, width: 320, heads: 8, layers: 7, batch: 32, budget: .epochs(10),
                    learningRate: 6e-4, weightDecay: 0.1), trainStories: 200_000, testStories: 5000)
        }
    }

    /// The built-in stories of `preset`: at most one context window minus the separator, 60 to 127 bytes.
    public static func storyGrammar(_ preset: NeuralPreset) -> StoryGrammar {
        StoryGrammar(maxLength: max(60, min(127, sizes(preset).config.context - 1)))
    }

    /// `budget` overrides the preset's training budget.
    /// The real corpus: the story grammar from `(seed, data)`, or the file at `path` (shuffled
    /// with `(seed, split)` into training and held-out stories).
    public static func make(_ preset: NeuralPreset, seed: UInt64, dataPath: String?, temperature: Double? = nil, budget: TrainingBudget? = nil) throws
        -> NeuralTask<TransformerLanguageModel>
    {
        var s = sizes(preset)
        if let temperature { s.config.temperature = temperature }
        if let budget { s.config.budget = budget }
        let train: TextCorpus, test: TextCorpus, source: String
        if let dataPath {
            let all = try TextCorpusLoader.load(path: dataPath)
            (train, test) = NeuralExperiment.split(all, train: s.trainStories, test: s.testStories, seed: seed)
            source = "\(dataPath) (\(all.count) stories)"
            guard test.stream.count > s.config.context else {
                throw NeuralDataError(
                    "\(dataPath): the \(test.count) held-out stories hold \(test.stream.count) bytes, fewer than one context window of \(s.config.context + 1); supply a larger corpus"
                )
            }
        } else {
            var rng = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.data])
            let grammar = storyGrammar(preset)
            train = grammar.corpus(count: s.trainStories, using: &rng)
            test = grammar.corpus(count: s.testStories, using: &rng)
            source = "story grammar (built in), stories ≤ \(grammar.maxLength) bytes"
        }
        let c = s.config
        let params: [(String, String)] = [
            ("data", source), ("train_stories", "\(train.count)"), ("test_stories", "\(test.count)"),
            ("train_bytes", "\(train.stream.count)"), ("test_bytes", "\(test.stream.count)"),
            ("architecture", "byte-level decoder-only transformer, pre-norm, GELU MLP ×4, learned positions"),
            ("parameters", "\(c.parameterCount)"), ("context", "\(c.context)"), ("width", "\(c.width)"),
            ("heads", "\(c.heads)"), ("layers", "\(c.layers)"), ("batch", "\(c.batch)"), ("budget", c.budget.description),
            ("learning_rate", "\(c.learningRate) (AdamW, warm-up 5 %, cosine to 10 %, clip 1)"),
            ("weight_decay", "\(c.weightDecay)"), ("temperature", "\(c.temperature)"),
            ("test_loss", "cross-entropy, nats per byte, on real held-out text")
        ]
        return NeuralTask(train: train, test: test, make: { TransformerLanguageModel(config: c, test: test, seed: seed) }, parameters: params)
    }
}
