/// The one registry of the toolkit's random streams.
///
/// Every random draw comes from `Xoshiro256StarStar(seed:stream:)`: a root seed and a path of
/// words. The path's first word names its owner, and this registry holds every first word, so
/// two owners never share a path and a new owner picks a free word here. The rest of a path is
/// the owner's, documented beside each root; it always ends in (or contains) the replicate, so
/// results never depend on threads or scheduling. Values are frozen: changing one changes every
/// result drawn from it (the golden hashes in the test suite would say so).
public enum StreamRegistry {
    // MARK: The linear chain (`LinearCell.stream`): [root, d, T, σ² bits, replicate]

    /// Design, truth and label noise of a replicate.
    public static let linearData: UInt64 = 0
    /// The accumulate-subsample row draws.
    public static let linearSubsample: UInt64 = 1
    /// The sufficient-statistic engine (Wishart Gram matrix, projected noise).
    public static let linearSufficient: UInt64 = 2
    /// The fresh-design chain (a new design every generation).
    public static let linearFreshDesign: UInt64 = 3
    /// The fresh real labels of the fresh-real regime.
    public static let linearFreshReal: UInt64 = 4

    // MARK: The verification batteries: [root + the check's index in its battery, …, replicate]

    /// Parametric chains (U, G checks): [100 + i, (regime,) replicate].
    public static let parametricChecks: UInt64 = 100
    /// Fresh-design checks (F, O): [200 + i, replicate]. (The linear checks V draw as
    /// `collapse simulate` does, by cell.)
    public static let freshDesignChecks: UInt64 = 200
    /// Exact-propagation checks (E): [300 + i] for the design, [300 + i, scheme, replicate].
    public static let propagationChecks: UInt64 = 300
    /// Ridge checks (E, R): [400 + i, replicate].
    public static let ridgeChecks: UInt64 = 400

    // MARK: Closed forms that draw

    /// `theory --model exact` with a design file and no truth file: w* ~ N(0, I) at
    /// ["truth", d, replicate].
    public static let exactTruth: UInt64 = 0x7472_7574_68

    // MARK: Neural runs: [root] or [root, fit or generation]

    public static let neuralData: UInt64 = 1
    public static let neuralTraining: UInt64 = 2
    public static let neuralSampling: UInt64 = 3
    public static let neuralSubsampling: UInt64 = 4
    public static let neuralEvaluation: UInt64 = 5
    public static let neuralSplit: UInt64 = 6
    /// The samples a neural run keeps: [root, generation] (drawn from each generation's fit,
    /// apart from the chain's own streams).
    public static let neuralSamples: UInt64 = 7

    // MARK: Generative chains: [code(model), code(dataset), purpose, replicate, …]

    /// The root words of a generative chain: a stable 64-bit code of a model's or dataset's name
    /// (FNV-1a), so adding a model never moves another's streams.
    public static func code(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// The fixed seed of the `markov` dataset's transition matrix ("markov"): [vocabulary].
    public static let markovTruthSeed: UInt64 = 0x6D61_726B_6F76
    /// The fixed seed of the `blobs` dataset's centres ("blobs"): [centers, dimension,
    /// low.bitPattern, high.bitPattern].
    public static let blobCentresSeed: UInt64 = 0x62_6C6F_6273

    // MARK: External trainers: ["extern", purpose, replicate(, generation)]

    /// The root of an external trainer's chains ("extern"). Purposes: 1 the sample seeds,
    /// 2 accumulate-subsample's record draws, 3 fit seeds [.., replicate, generation],
    /// 4 evaluation seeds [.., replicate, generation]. No path names the regime, so every
    /// regime's generation 1 is the same step.
    public static let externalTrainer: UInt64 = 0x6578_7465_726E
}
