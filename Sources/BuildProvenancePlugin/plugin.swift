import Foundation
import PackagePlugin

/// Embeds the git commit (and whether tracked files differed) that a build was made from, so
/// a binary's manifests name its own source, not whatever the checkout holds when it runs.
/// Runs before every build; the generated file is rewritten only when its text changes, so an
/// unchanged commit recompiles nothing.
@main
struct BuildProvenance: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let script = #"""
            out="$1/BuildProvenance.swift"; root="$2"
            mkdir -p "$1"
            commit=$(git -C "$root" rev-parse HEAD 2>/dev/null) || commit=unknown
            if [ "$commit" != unknown ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit-dirty"
            fi
            text="// Generated at build time by the BuildProvenance plugin; do not edit.
            enum BuildProvenance { static let gitCommit = \"$commit\" }"
            if [ ! -f "$out" ] || [ "$(cat "$out")" != "$text" ]; then printf '%s\n' "$text" > "$out"; fi
            """#
        return [
            .prebuildCommand(
                displayName: "Embedding the build's git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", output.path, context.package.directoryURL.path],
                outputFilesDirectory: output)
        ]
    }
}
