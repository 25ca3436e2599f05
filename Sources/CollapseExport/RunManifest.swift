import Foundation

/// The JSON manifest written beside every result file: enough to rerun and audit a run.
public struct RunManifest: Sendable {
    public var command: String
    public var arguments: [String]
    public var seed: UInt64
    public var threads: Int
    public var wallSeconds: Double
    public var startedAt: Date
    public var parameters: [(String, JSONValue)]
    public var outputs: [String]
    public var status: String
    /// What ran the numbers, beyond this tool's version (e.g. `("blas", "OpenBLAS Haswell …")`),
    /// written after `git_commit`. The I/O layer does not know the numerical libraries, so the
    /// caller supplies them (`RunEnvironment.entries` in LinearCollapse).
    public var environment: [(String, JSONValue)]

    public init(
        command: String, arguments: [String], seed: UInt64, threads: Int, wallSeconds: Double,
        startedAt: Date, parameters: [(String, JSONValue)], outputs: [String], status: String = "complete",
        environment: [(String, JSONValue)] = []
    ) {
        self.command = command
        self.arguments = arguments
        self.seed = seed
        self.threads = threads
        self.wallSeconds = wallSeconds
        self.startedAt = startedAt
        self.parameters = parameters
        self.outputs = outputs
        self.status = status
        self.environment = environment
    }

    /// The manifest as JSON. `seed` is written as a string too, since JSON readers may lose
    /// integers above 2⁵³.
    public func json() -> JSONValue {
        .object(
            [
                ("tool", "collapse"),
                ("version", .string(ToolVersion.version)),
                ("git_commit", .string(ToolVersion.gitCommit))
            ] + environment + [
                ("command", .string(command)),
                ("arguments", .array(arguments.map(JSONValue.string))),
                ("seed", .string(String(seed))),
                ("threads", .int(threads)),
                ("started_at", .string(Self.utcTimestamp(startedAt))),
                ("wall_seconds", .double(wallSeconds)),
                ("status", .string(status)),
                ("parameters", .object(parameters)),
                ("outputs", .array(outputs.map(JSONValue.string)))
            ])
    }
}

extension RunManifest {
    /// `date` as an RFC 3339 UTC timestamp with milliseconds, "2023-11-14T22:13:20.500Z"
    /// (rounded to the nearest millisecond, a half up, as ISO8601DateFormatter writes it: its
    /// CFDateFormatter hands ICU milliseconds + 0.5, which ICU floors). Formatted from
    /// the calendar fields of the UTC time: Foundation's ISO8601DateFormatter sets up an ICU
    /// formatter and the local time zone first, about 1.3 ms of every run's serial time.
    /// The calendar is gmtime's proleptic Gregorian one, so dates before 1582-10-15 differ from
    /// the formatter's (Julian there), and a negative year is written with its sign, "-0001"
    /// for 2 BC (ISO 8601's astronomical numbering, year 0 being 1 BC; RFC 3339 has no such
    /// years); no run starts then.
    public static func utcTimestamp(_ date: Date) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1000 + 0.5).rounded(.down))
        let (q, r) = total.quotientAndRemainder(dividingBy: 1000)
        var seconds = time_t(r < 0 ? q - 1 : q)
        let millis = Int32(r < 0 ? r + 1000 : r)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v.magnitude)
            return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(fields.tm_year + 1900, 4))-\(pad(fields.tm_mon + 1, 2))-\(pad(fields.tm_mday, 2))T"
            + "\(pad(fields.tm_hour, 2)):\(pad(fields.tm_min, 2)):\(pad(fields.tm_sec, 2)).\(pad(millis, 3))Z"
    }
}

/// The tool's version and the git commit of the source tree it was built from.
public enum ToolVersion {
    public static let version = "0.1.0"

    /// `git rev-parse HEAD` of the checkout this binary was built from, with `-dirty` when its
    /// tracked files differed from that commit, embedded at build time (the BuildProvenance
    /// plugin); `unknown` when it was built outside a git checkout. A binary never reads the
    /// checkout at run time, so an old binary does not claim a newer commit.
    public static let gitCommit: String = BuildProvenance.gitCommit
}
