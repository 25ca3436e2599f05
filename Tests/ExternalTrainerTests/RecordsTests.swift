import CollapseCore
import ExternalTrainer
import Foundation
import XCTest

/// File-backed training sets: stacking and subsampling rewrite references exactly as the
/// scheduler's regimes need, and records are counted as the protocol defines.
final class RecordsTests: XCTestCase {
    func testConcatenationMergesAdjacentRunsAndSubsetMapsIndices() {
        let a = RecordSet(file: "/a", count: 5), b = RecordSet(file: "/b", count: 3)
        let pool = RecordSet.concatenating([a, b, a])
        XCTAssertEqual(pool.count, 13)
        XCTAssertEqual(pool.parts.count, 3)
        // Indices 4, 5, 6 (a's last, b's first two), 12 (the second a's last), 0.
        let s = pool.subset([4, 5, 6, 12, 0])
        XCTAssertEqual(s.count, 5)
        XCTAssertEqual(
            s.parts,
            [
                .init(path: "/a", start: 4, count: 1), .init(path: "/b", start: 0, count: 2),
                .init(path: "/a", start: 4, count: 1), .init(path: "/a", start: 0, count: 1)
            ])
        // mix: real 0..<m then synthetic m..<T, as GenerationScheduler builds it.
        let mix = RecordSet.concatenating([a.subset(Array(0..<2)), RecordSet(file: "/s", count: 5).subset(Array(2..<5))])
        XCTAssertEqual(mix.parts, [.init(path: "/a", start: 0, count: 2), .init(path: "/s", start: 2, count: 3)])
        XCTAssertEqual(RecordSet.concatenating([a.subset([0, 1]), a.subset([2, 3, 4])]).parts, [.init(path: "/a", start: 0, count: 5)])
    }

    func testTrainingFileIsTheProtocolsJSON() throws {
        let set = RecordSet(parts: [.init(path: "/data/\"q\".txt", start: 3, count: 2), .init(path: "/s.txt", start: 0, count: 1)])
        let text = set.trainingFile(format: .lines)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(json["protocol"] as? Int, 1)
        XCTAssertEqual(json["format"] as? String, "lines")
        XCTAssertEqual(json["records"] as? Int, 3)
        let parts = try XCTUnwrap(json["parts"] as? [[String: Any]])
        XCTAssertEqual(parts.map { $0["path"] as? String }, ["/data/\"q\".txt", "/s.txt"])
        XCTAssertEqual(parts.map { $0["start"] as? Int }, [3, 0])
        XCTAssertEqual(parts.map { $0["count"] as? Int }, [2, 1])
    }

    func testRecordCounts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func count(_ bytes: [UInt8], _ format: RecordFormat) throws -> Int {
            let url = dir.appendingPathComponent(UUID().uuidString)
            try Data(bytes).write(to: url)
            return try format.count(file: url.path)
        }
        let text = Array("a\nb\n\nc".utf8)
        XCTAssertEqual(try count(text, .lines), 4)  // an empty line is a record; the last needs no newline
        XCTAssertEqual(try count(text + [10], .jsonl), 4)
        XCTAssertEqual(try count([], .lines), 0)
        XCTAssertEqual(try count([UInt8](repeating: 7, count: 12), .binary(4)), 3)
        XCTAssertThrowsError(try count([UInt8](repeating: 7, count: 13), .binary(4)))
        // A file longer than one read block.
        XCTAssertEqual(try count([UInt8](repeating: 10, count: 200_000), .lines), 200_000)
        XCTAssertEqual(RecordFormat("binary:784"), .binary(784))
        XCTAssertNil(RecordFormat("binary:0"))
        XCTAssertNil(RecordFormat("csv"))
    }
}
