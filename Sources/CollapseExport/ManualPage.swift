import Foundation

/// The man page of a command-line tool, written in man(7) roff from the description of its
/// commands that swift-argument-parser prints with `--experimental-dump-help` (ToolInfo JSON,
/// serialization version 0): one page, the root command's synopsis and description, then a
/// section per subcommand (nested ones under their parent's name) with its description and each
/// argument's names and help. Hidden commands and arguments are left out.
///
/// argument-parser's own `generate-manual` plugin drops every non-ASCII character, and this
/// tool's help is full of formulas (σ², T ≥ d + 2, ‖ŵ − w*‖²): here text is kept as UTF-8, which
/// man-db passes through preconv, and only roff's control characters are escaped.
public enum ManualPage {
    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The page of the program at `executable` (an argument-parser tool), from its
    /// `--experimental-dump-help`, dated `SOURCE_DATE_EPOCH` (for reproducible pages) or today (UTC).
    public static func of(executable: URL, version: String?) throws -> String {
        let dump = Process(), pipe = Pipe()
        (dump.executableURL, dump.arguments, dump.standardOutput) = (executable, ["--experimental-dump-help"], pipe)
        try dump.run()
        let json = pipe.fileHandleForReading.readDataToEndOfFile()
        dump.waitUntilExit()
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:))
        let date = ISO8601DateFormatter.string(from: epoch ?? Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: .withFullDate)
        return try render(toolInfo: json, date: date, version: version)
    }

    /// The page of the tool described by `toolInfo` (the JSON), in `section`, dated `date`
    /// (`yyyy-mm-dd`).
    public static func render(toolInfo: Data, section: Int = 1, date: String, version: String? = nil) throws -> String {
        guard let object = try? JSONSerialization.jsonObject(with: toolInfo) as? [String: Any],
            object["serializationVersion"] as? Int == 0, let root = object["command"] as? [String: Any],
            let name = root["commandName"] as? String
        else {
            throw FormatError(description: "not a ToolInfo (serialization version 0) description of a command")
        }
        var out = ".TH \(quoted(name.uppercased())) \(section) \(quoted(date)) \(quoted(version.map { "\(name) \($0)" } ?? name))\n"
        out += ".SH NAME\n\(text(name)) \\- \(text(root["abstract"] as? String ?? ""))\n"
        out += ".SH SYNOPSIS\n.B \(text(name))\n.I subcommand\n[\\fIoptions\\fR]\n"
        if let discussion = root["discussion"] as? String, !discussion.isEmpty { out += ".SH DESCRIPTION\n\(paragraphs(discussion))" }
        out += arguments(root)
        out += ".SH COMMANDS\n"
        for sub in visible(root["subcommands"]) { out += command(sub, path: [name]) }
        return out
    }

    /// The subcommands of `path` and theirs, depth first.
    static func command(_ c: [String: Any], path: [String]) -> String {
        let path = path + [c["commandName"] as? String ?? ""]
        var out = ".SS \(quoted(path.joined(separator: " ")))\n"
        if let abstract = c["abstract"] as? String, !abstract.isEmpty { out += paragraphs(abstract) }
        if let discussion = c["discussion"] as? String, !discussion.isEmpty { out += ".PP\n" + paragraphs(discussion) }
        out += arguments(c)
        for sub in visible(c["subcommands"]) { out += command(sub, path: path) }
        return out
    }

    /// Each argument as a tagged paragraph: its names and value, then its help.
    static func arguments(_ c: [String: Any]) -> String {
        visible(c["arguments"]).map { a in
            let names = (a["names"] as? [[String: Any]] ?? []).compactMap { n -> String? in
                guard let name = n["name"] as? String else { return nil }
                return "\\fB" + text((n["kind"] as? String == "long" ? "--" : "-") + name) + "\\fR"
            }
            let value = a["valueName"].flatMap { $0 as? String }.map { "\\fI" + text($0) + "\\fR" }
            let tag: String
            switch a["kind"] as? String {
            case "positional": tag = value ?? ""
            case "flag": tag = names.joined(separator: ", ")
            default: tag = names.joined(separator: ", ") + (value.map { " " + $0 } ?? "")
            }
            var body = text(a["abstract"] as? String ?? "")
            if let d = a["defaultValue"] as? String, !d.isEmpty, !body.contains("default") { body += " (default: \(text(d)))" }
            if let discussion = a["discussion"] as? String, !discussion.isEmpty { body += "\n.br\n" + lines(discussion) }
            return ".TP\n\(tag)\n\(body)\n"
        }.joined()
    }

    static func visible(_ any: Any?) -> [[String: Any]] {
        (any as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool ?? true && $0["commandName"] as? String != "help" }
    }

    /// Blank-line-separated paragraphs.
    static func paragraphs(_ s: String) -> String {
        s.components(separatedBy: "\n\n").map { text($0.replacingOccurrences(of: "\n", with: " ")) }.joined(separator: "\n.PP\n") + "\n"
    }

    /// Lines kept as lines (a parameter list: one flag a line).
    static func lines(_ s: String) -> String {
        s.split(separator: "\n").map { text(String($0)) }.joined(separator: "\n.br\n")
    }

    /// A text line with roff's specials escaped: `\` as `\e`, `-` as `\-` (a minus, so flags copy
    /// and search as typed), and a leading `.` or `'` (a request) behind `\&`.
    static func text(_ s: String) -> String {
        var out = s.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }

    /// A macro argument in double quotes (`"` as `\(dq`).
    static func quoted(_ s: String) -> String { "\"" + text(s).replacingOccurrences(of: "\"", with: "\\(dq") + "\"" }
}
