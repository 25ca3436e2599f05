import LinearCollapse
import CollapseCore
import Foundation
let t0 = Date()
for T in [100, 316, 1000] {
let rows = try MonteCarlo.run(cell: LinearCell(dimension: 32, samples: T, noiseVariance: 1),
  settings: MonteCarloSettings(repeats: 1000, generations: 50, regimes: [.replace, .accumulate], seed: 1, threads: 2))
for r in rows where [1,2,5,10,50].contains(r.generation) { print(r.regime, r.generation, r.mean, r.standardError, r.theory ?? -1, r.theoryGivenDesign ?? -1, r.zScore ?? 0, r.zGivenDesign ?? 0) }
}
print(Date().timeIntervalSince(t0))
