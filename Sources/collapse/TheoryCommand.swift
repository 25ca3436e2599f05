import ArgumentParser
import CollapseExport
import CollapseSweep
import ExperimentEngine
import Foundation

/// `collapse theory`: the closed forms of every model (`TheoryRequest` holds the rules, the
/// tables and their printing).
struct TheoryCommand: ParsableCommand {
    static let parametersHelp = parameterHelp(TheoryRequest.parameters, abstract: "The closed form's parameters; a list is comma-separated:")
    static let configuration = CommandConfiguration(
        commandName: "theory",
        abstract: "Print the closed-form expected test error (Gaussian design) of replace and accumulate.",
        discussion: """
            replace: σ² n d/(T−d−1) (proof T1); accumulate: σ² d/(T−d−1) Σ_{i≤n} 1/i² ≤ σ² d/(T−d−1)·π²/6 \
            (proof T2). Requires T ≥ d + 2: for T = d or d + 1 the expectation is infinite, and for T < d \
            (XᵀX)⁻¹ does not exist.
            """)

    @Flag(name: .customLong("list"), help: "List the models with their formulas and proofs, then exit.")
    var list = false

    @OptionGroup var display: ProgressOptions

    @Argument(
        parsing: .allUnrecognized, help: parametersHelp,
        completion: parameterCompletion { _ in TheoryRequest.parameters })
    var parameters: [String] = []

    var request: TheoryRequest {
        get throws { try usage { try TheoryRequest(flags: try ParameterFlags.parse(parameters, parameters: TheoryRequest.parameters)) } }
    }

    func validate() throws {
        if list { return }
        _ = try display.reporter()
        let request = try request
        try usage { try request.validate() }
    }

    func run() throws {
        if list { print(TheoryRequest.list, terminator: ""); return }
        do {
            let request = try request
            let (text, notes) = try usage { try request.render(progress: try display.reporter(.init(parts: "cells", items: "rows"))) }
            notes.forEach(Console.note)
            print(text, terminator: "")
        } catch let e as TheoryRequest.Failure {
            throw CLIError(e.description)
        }
    }
}
