import CollapseExport
import LinearAlgebra

/// The manifest entries that say which numerical libraries computed a run (`RunManifest`'s
/// `environment`): results are bit-identical only for the same BLAS kernels.
public enum RunEnvironment {
    public static var entries: [(String, JSONValue)] {
        [("blas", .string(BLAS.implementation))]
    }
}
