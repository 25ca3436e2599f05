import ExperimentEngine
import Foundation
import NeuralCollapse
import Synchronization

/// SIGINT/SIGTERM handling: the first signal sets a flag that long runs poll (sweeps between
/// replicate blocks, neural fits and samplers every step, through `NeuralCancellation`), so the
/// current cell or generation is abandoned cleanly, finished work is written, and the command exits
/// with status 130. A second signal exits at once.
enum Interruption {
    static let flag = Atomic<Int>(0)

    static var requested: Bool { flag.load(ordering: .relaxed) > 0 }

    static func install() {
        // Touch the flags before any handler can run: lazy static initialisation is not
        // async-signal-safe.
        _ = flag.load(ordering: .relaxed)
        _ = NeuralCancellation.isRequested
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                NeuralCancellation.request()
                if Interruption.flag.add(1, ordering: .relaxed).newValue > 1 { _exit(130) }
            }
        }
    }
}
