/// A family's parameters on the command line: one flag per `Parameter` (`Parameter.flag`: `--`
/// and the key with `-` for `_`), written `--flag VALUE` or `--flag=VALUE`. The family's
/// parameter list is the one source of the flags, their help and their checks, so a command
/// cannot offer a flag its family does not know, nor describe one differently from the config
/// key of the same name.
public enum ParameterFlags {
    /// The raw values given (config key → text), from the words the command line did not
    /// otherwise use; a flag given twice takes its last value. Refuses words that are not a
    /// parameter flag of `parameters` and a flag without its value, naming the flag and what is
    /// allowed.
    public static func parse(_ words: [String], parameters: [Parameter], owner: String = "here") throws -> [String: String] {
        let byFlag = Dictionary(parameters.map { ($0.flag, $0) }, uniquingKeysWith: { first, _ in first })
        var values: [String: String] = [:]
        var i = 0
        while i < words.count {
            let word = words[i]
            var name = word, value: String?
            if word.hasPrefix("--"), let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                value = String(word[word.index(after: equals)...])
            }
            guard let parameter = byFlag[name] else {
                let allowed = parameters.map(\.flag).joined(separator: ", ")
                if word.hasPrefix("-") {
                    throw SpecError("unknown option '\(name)'; the parameters \(owner) are \(allowed) (see --help for the others)")
                }
                throw SpecError("unexpected argument '\(word)'; parameters are given as flags: \(allowed)")
            }
            if value == nil, parameter.isSwitch, i + 1 == words.count || !["true", "false"].contains(words[i + 1]) {
                value = "true"  // `--test-noise` alone switches it on
            }
            if value == nil {
                guard i + 1 < words.count else {
                    throw SpecError("\(name): missing value; expected \(parameter.allowed)")
                }
                i += 1
                value = words[i]
            }
            values[parameter.key] = value  // given again: the last value counts, as for every option
            i += 1
        }
        return values
    }

    /// The parameters' flags for `--help`: each flag with the form of its value, then its help.
    public static func help(_ parameters: [Parameter]) -> String {
        parameters.map { p in
            let value: String
            switch p.kind {
            case let .choice(names): value = p.isSwitch ? "" : " <" + (names.count <= 4 ? names.joined(separator: "|") : "name") + ">"
            case .integer: value = " <n>"
            case .real: value = " <x>"
            case .text: value = p.isFile ? " <file>" : " <text>"
            }
            let fallback =
                p.defaultValue.flatMap { d in
                    p.help.contains("default") ? nil : " (default " + d.map(Self.text).joined(separator: ",") + ")"
                } ?? ""
            return "\(p.flag)\(value)\(p.role == .single || value.isEmpty ? "" : "[,…]")  \(p.help)\(fallback)"
        }.joined(separator: "\n")
    }
}

extension ParameterFlags {
    /// A value as a user would type it (`1`, not `1.0`).
    static func text(_ v: ParameterValue) -> String {
        if case let .real(x) = v { return Parameter.short(x) }
        return v.description
    }
}

extension Parameter {
    /// A false/true choice: its flag alone means true.
    var isSwitch: Bool { if case let .choice(names) = kind { return names == ["false", "true"] } else { return false } }
}
