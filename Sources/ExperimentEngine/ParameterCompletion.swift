import Foundation

/// Shell completion of a family's parameter flags (`ParameterFlags`): the commands take them as
/// unrecognised words, so argument-parser's generated scripts cannot know them and call back into
/// the binary (a custom completion) for the word under the cursor. The answer comes from the
/// same `Parameter` list that parses the words, so completion never offers a flag or value the
/// parser refuses, nor misses one it takes.
public enum ParameterCompletion {
    /// Candidates for `words[index]` (the shell's words, the command name first), of which
    /// `prefix` precedes the cursor:
    /// - after a flag that takes a value: a choice's names (for a list parameter, the names
    ///   appended to the items typed before the last comma, e.g. `replace,acc` → `replace,accumulate`);
    ///   a file parameter's paths (`paths(completing:)`); nothing for numbers and free text;
    /// - otherwise the flags starting with `prefix`, leaving out single-valued ones already given.
    ///
    /// The shells filter the candidates by the word again; giving them pre-filtered keeps the
    /// answer short.
    public static func candidates(words: [String], index: Int, prefix: String, parameters: [Parameter]) -> [String] {
        let byFlag = Dictionary(parameters.map { ($0.flag, $0) }, uniquingKeysWith: { first, _ in first })
        if index > 0, index - 1 < words.count, let p = byFlag[words[index - 1]], !p.isSwitch {
            return values(of: p, prefix: prefix)
        }
        let given = Set(words.indices.filter { $0 != index }.map { words[$0] })
        return parameters.filter { $0.flag.hasPrefix(prefix) && ($0.takesList || !given.contains($0.flag)) }.map(\.flag)
    }

    /// The values of `p` that complete `prefix`.
    static func values(of p: Parameter, prefix: String) -> [String] {
        if p.isFile { return paths(completing: prefix) }
        guard case let .choice(names) = p.kind else { return [] }
        // A list: complete its last item, keeping those before it.
        let head = p.takesList ? prefix.lastIndex(of: ",").map { String(prefix[...$0]) } ?? "" : ""
        let last = String(prefix.dropFirst(head.count))
        return names.filter { $0.hasPrefix(last) }.map { head + $0 }
    }

    /// The files and directories whose path starts with `prefix` (relative to the working
    /// directory, `~/` expanded in the lookup but kept in the answer); directories end in `/`.
    /// Hidden entries only when the typed name starts with `.`.
    public static func paths(completing prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let directory = slash.map { String(prefix[...$0]) } ?? ""
        let name = String(prefix.dropFirst(directory.count))
        let lookup = directory.isEmpty ? "." : (directory as NSString).expandingTildeInPath
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: lookup) else { return [] }
        return entries.filter { $0.hasPrefix(name) && (name.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted().map { entry in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: (lookup as NSString).appendingPathComponent(entry), isDirectory: &isDirectory)
            return directory + entry + (isDirectory.boolValue ? "/" : "")
        }
    }
}
