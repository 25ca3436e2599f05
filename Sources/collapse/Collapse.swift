import ArgumentParser
import CollapseExport
import Foundation
import LinearAlgebra

@main
struct Collapse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collapse",
        abstract: "Theory and simulation of model collapse: replace vs accumulate in the linear-regression chain.",
        discussion: """
            Generation n = 1 is the OLS fit on real data; every later generation refits on labels \
            produced by the previous fit plus fresh noise. Test error is the exact excess risk \
            ‖ŵ − w*‖² (isotropic Gaussian design). See README.md and proofs/.
            """,
        version: "0.1.0",
        subcommands: [
            TheoryCommand.self, SimulateCommand.self, SweepCommand.self, MergeCommand.self, PlotCommand.self, VerifyCommand.self,
            ReproduceCommand.self, GenerativeCommand.self, NeuralCommand.self, ExternalCommand.self, DataCommand.self, ManualCommand.self
        ]
    )

    static func main() {
        AllocatorTuning.configureForLongRuns()
        BLAS.useCallingThreadOnly()
        main(nil)
    }
}

/// `collapse generate-manual` (hidden): the man page of every command (`ManualPage`); scripts/install-completions.sh installs it.
struct ManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate-manual", abstract: "Print the man page (roff).", shouldDisplay: false)

    func run() throws { print(try ManualPage.of(executable: Bundle.main.executableURL!, version: Collapse.configuration.version), terminator: "") }
}
