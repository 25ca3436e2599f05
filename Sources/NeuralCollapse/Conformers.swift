import CollapseCore
import Foundation
import Randomness

/// Conformations of one molecule: `count` frames of `atoms` 3-D positions (Å), each frame
/// centred (centroid at the origin), stored as rows `x₁ y₁ z₁ x₂ …`; plus the fixed bond graph.
public struct ConformerSet: TrainingData, Equatable, Sendable {
    public var elements: [String]
    public var bonds: [Bond]
    public var coordinates: [Float]

    public struct Bond: Equatable, Sendable { public var a: Int, b: Int }

    public init(elements: [String], bonds: [Bond], coordinates: [Float]) {
        precondition(!elements.isEmpty && coordinates.count % (3 * elements.count) == 0, "ConformerSet: bad sizes")
        self.elements = elements; self.bonds = bonds; self.coordinates = coordinates
    }

    public var atoms: Int { elements.count }
    public var dimension: Int { 3 * atoms }
    public var count: Int { coordinates.count / dimension }

    public static func concatenating(_ parts: [ConformerSet]) -> ConformerSet {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.elements == parts[0].elements && $0.bonds == parts[0].bonds })
        return ConformerSet(elements: parts[0].elements, bonds: parts[0].bonds, coordinates: parts.flatMap(\.coordinates))
    }

    public func subset(_ indices: [Int]) -> ConformerSet {
        let d = dimension
        var out = [Float](); out.reserveCapacity(indices.count * d)
        for i in indices { out += coordinates[(i * d)..<((i + 1) * d)] }
        return ConformerSet(elements: elements, bonds: bonds, coordinates: out)
    }

    /// Subtracts each frame's centroid.
    public static func centre(_ coordinates: inout [Float], atoms: Int) {
        let d = 3 * atoms
        for f in 0..<(coordinates.count / d) {
            for axis in 0..<3 {
                var s: Float = 0
                for a in 0..<atoms { s += coordinates[f * d + 3 * a + axis] }
                s /= Float(atoms)
                for a in 0..<atoms { coordinates[f * d + 3 * a + axis] -= s }
            }
        }
    }

    func position(_ frame: Int, _ atom: Int) -> SIMD3<Double> {
        let o = frame * dimension + 3 * atom
        return SIMD3(Double(coordinates[o]), Double(coordinates[o + 1]), Double(coordinates[o + 2]))
    }

    /// The torsions of the bond graph: paths `a–b–c–d` of three bonds (each once, `b < c`).
    public var torsions: [(Int, Int, Int, Int)] {
        var neighbours = [[Int]](repeating: [], count: atoms)
        for bond in bonds { neighbours[bond.a].append(bond.b); neighbours[bond.b].append(bond.a) }
        var out: [(Int, Int, Int, Int)] = []
        for bond in bonds {
            let (b, c) = bond.a < bond.b ? (bond.a, bond.b) : (bond.b, bond.a)
            for a in neighbours[b].sorted() where a != c {
                for d in neighbours[c].sorted() where d != b && d != a { out.append((a, b, c, d)) }
            }
        }
        return out
    }

    /// Every bond length of every frame, frame-major.
    public var bondLengths: [Double] {
        var out: [Double] = []
        for f in 0..<count { for bond in bonds { out.append(Geometry.length(position(f, bond.a) - position(f, bond.b))) } }
        return out
    }

    /// Every torsion angle (degrees in (−180, 180]) of every frame.
    public var torsionAngles: [Double] {
        let ts = torsions
        var out: [Double] = []
        for f in 0..<count {
            for (a, b, c, d) in ts { out.append(Geometry.dihedral(position(f, a), position(f, b), position(f, c), position(f, d))) }
        }
        return out
    }
}

public enum Geometry {
    static func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }
    static func length(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }

    /// The IUPAC dihedral angle of `p0–p1–p2–p3` in degrees, in (−180, 180].
    public static func dihedral(_ p0: SIMD3<Double>, _ p1: SIMD3<Double>, _ p2: SIMD3<Double>, _ p3: SIMD3<Double>) -> Double {
        let b0 = p1 - p0, b1 = p2 - p1, b2 = p3 - p2
        let n1 = cross(b0, b1), n2 = cross(b1, b2)
        let m1 = cross(n1, b1 / length(b1))
        return atan2(dot(m1, n2), dot(n1, n2)) * 180 / .pi
    }

    /// NeRF placement (Parsons et al. 2005): the atom `d` at distance `r` from `c`, with
    /// angle `b–c–d = θ` and dihedral `a–b–c–d = φ` (radians).
    public static func place(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ c: SIMD3<Double>, r: Double, theta: Double, phi: Double) -> SIMD3<Double> {
        let bc = (c - b) / length(c - b)
        var n = cross(b - a, bc); n /= length(n)
        let m = cross(n, bc)
        let d2 = SIMD3(-r * cos(theta), r * sin(theta) * cos(phi), -r * sin(theta) * sin(phi))
        return c + bc * d2.x + m * d2.y + n * d2.z
    }
}

/// Conformers of an `atoms`-long carbon chain (an alkane backbone): bond lengths
/// `N(1.53, 0.02²)` Å, bond angles `N(112°, 3°²)`, and each torsion from the three-mode mixture
/// trans 180° (weight ½), gauche ±60° (¼ each), each mode `N(·, 12°²)`. Built by NeRF from
/// atoms 1–3 fixed in the xy-plane (a standard orientation), then centred.
public struct ChainMoleculeGenerator: Sendable {
    public var atoms: Int
    public static let bondLength = 1.53

    public init(atoms: Int = 8) {
        precondition(atoms >= 4, "ChainMoleculeGenerator: at least 4 atoms (one torsion)")
        self.atoms = atoms
    }

    public func conformers<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> ConformerSet {
        var set = uncentred(count: count, using: &rng)
        ConformerSet.centre(&set.coordinates, atoms: atoms)
        return set
    }

    /// The conformers as built, before centring (atom 1 at the origin, atoms 1–3 in the
    /// xy-plane): `conformers(count:using:)` is this set centred by `ConformerSet.centre`, as
    /// `XYZLoader` centres every file it reads.
    public func uncentred<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> ConformerSet {
        var coords: [Float] = []
        coords.reserveCapacity(count * 3 * atoms)
        for _ in 0..<count {
            func bond() -> Double { Self.bondLength + 0.02 * Normal.next(using: &rng) }
            func angle() -> Double { (112 + 3 * Normal.next(using: &rng)) * .pi / 180 }
            var p: [SIMD3<Double>] = [SIMD3(0, 0, 0), SIMD3(bond(), 0, 0)]
            let t = angle(), r = bond()
            p.append(p[1] + SIMD3(-r * cos(t), r * sin(t), 0))
            for _ in 3..<atoms {
                let u = rng.nextUniform()
                let mode = u < 0.5 ? 180.0 : (u < 0.75 ? 60.0 : -60.0)
                let phi = (mode + 12 * Normal.next(using: &rng)) * .pi / 180
                let n = p.count
                p.append(Geometry.place(p[n - 3], p[n - 2], p[n - 1], r: bond(), theta: angle(), phi: phi))
            }
            for q in p { coords += [Float(q.x), Float(q.y), Float(q.z)] }
        }
        return ConformerSet(
            elements: Array(repeating: "C", count: atoms),
            bonds: (0..<(atoms - 1)).map { ConformerSet.Bond(a: $0, b: $0 + 1) }, coordinates: coords)
    }
}

/// Multi-frame XYZ files: each frame is a line with the atom count N, a comment line, and N
/// lines `element x y z` (Å). Every frame must list the same elements in the same order.
/// Bonds are inferred from the first frame: atoms closer than 1.2 × the sum of their covalent
/// radii. Frames are centred.
public enum XYZLoader {
    static let covalentRadius: [String: Double] = [
        "H": 0.31, "B": 0.84, "C": 0.76, "N": 0.71, "O": 0.66, "F": 0.57, "Si": 1.11, "P": 1.07, "S": 1.05, "Cl": 1.02, "Br": 1.20, "I": 1.39
    ]

    public static func load(path: String) throws -> ConformerSet {
        try parse(DataFile.read(path, limit: 512 << 20), name: path)
    }

    public static func parse(_ bytes: [UInt8], name: String) throws -> ConformerSet {
        guard var text = String(validating: bytes, as: UTF8.self) else { throw NeuralDataError("\(name): not UTF-8 text; expected an XYZ file") }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }  // a UTF-8 byte-order mark
        // Lines end in LF or CRLF: split on the scalar (Swift joins "\r\n" into one Character, so
        // splitting Characters on "\n" left a CRLF file as one line).
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars -> Substring in
            var line = String(String.UnicodeScalarView(scalars))
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            return Substring(line)
        }
        var i = 0
        var elements: [String]? = nil
        var coords: [Float] = []
        var frames = 0
        while i < lines.count {
            if lines[i].trimmingCharacters(in: .whitespaces).isEmpty && lines[i...].allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { break }
            let countText = lines[i].trimmingCharacters(in: .whitespaces)
            guard let n = Int(countText), n >= 1 else {
                throw NeuralDataError(
                    "\(name): line \(i + 1): '\(countText.prefix(40))' is not an atom count; expected a positive integer starting frame \(frames + 1)")
            }
            if let e = elements, e.count != n {
                throw NeuralDataError("\(name): line \(i + 1): frame \(frames + 1) has \(n) atoms, frame 1 has \(e.count)")
            }
            // n < lines.count − i − 1, written so that an atom count near Int.max cannot overflow
            // (libFuzzer found the trap at 9223372036854775807).
            guard n < lines.count - i - 1 else {
                throw NeuralDataError("\(name): line \(lines.count): file ends inside frame \(frames + 1) (\(n) atom lines expected after line \(i + 2))")
            }
            var frameElements: [String] = []
            for a in 0..<n {
                let ln = i + 2 + a
                let fields = lines[ln].split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 4 else {
                    throw NeuralDataError("\(name): line \(ln + 1): expected 'element x y z', got '\(lines[ln].prefix(60))'")
                }
                let el = String(fields[0])
                guard covalentRadius[el] != nil else {
                    throw NeuralDataError("\(name): line \(ln + 1): unknown element '\(el)'; known: \(covalentRadius.keys.sorted().joined(separator: ", "))")
                }
                frameElements.append(el)
                for k in 1...3 {
                    guard let v = Double(fields[k]), v.isFinite, abs(v) < 1e4 else {
                        throw NeuralDataError("\(name): line \(ln + 1): coordinate \(k) '\(fields[k])' is not a finite number of Å")
                    }
                    coords.append(Float(v))
                }
            }
            if let e = elements, e != frameElements {
                throw NeuralDataError(
                    "\(name): line \(i + 3): frame \(frames + 1) lists elements \(frameElements.joined(separator: " ")), frame 1 lists \(e.joined(separator: " "))"
                )
            }
            elements = frameElements
            frames += 1
            i += 2 + n
        }
        guard let elements, frames >= 10 else {
            throw NeuralDataError("\(name): \(frames) frame(s); expected at least 10 conformations")
        }
        guard elements.count >= 2 else { throw NeuralDataError("\(name): frames have 1 atom; expected a molecule") }
        ConformerSet.centre(&coords, atoms: elements.count)
        var bonds: [ConformerSet.Bond] = []
        let first = ConformerSet(elements: elements, bonds: [], coordinates: Array(coords[0..<(3 * elements.count)]))
        for a in 0..<elements.count {
            for b in (a + 1)..<elements.count {
                let cut = 1.2 * (covalentRadius[elements[a]]! + covalentRadius[elements[b]]!)
                if Geometry.length(first.position(0, a) - first.position(0, b)) < cut { bonds.append(.init(a: a, b: b)) }
            }
        }
        guard !bonds.isEmpty else { throw NeuralDataError("\(name): frame 1 has no bonded atom pair; expected a molecule") }
        return ConformerSet(elements: elements, bonds: bonds, coordinates: coords)
    }

    /// The XYZ text of `set`: coordinates with 5 decimals, or with `exact`, each coordinate's
    /// shortest decimal that `parse` reads back to the same `Float` (so a set written exactly
    /// reads back bit for bit, up to `parse`'s centring of each frame).
    public static func encode(_ set: ConformerSet, exact: Bool = false) -> String {
        var out = ""
        for f in 0..<set.count {
            out += "\(set.atoms)\nframe \(f + 1)\n"
            for a in 0..<set.atoms {
                if exact {
                    let o = f * set.dimension + 3 * a
                    out += ([set.elements[a]] + set.coordinates[o..<(o + 3)].map(exactText)).joined(separator: " ") + "\n"
                } else {
                    let p = set.position(f, a)
                    out += "\(set.elements[a]) \(String(format: "%.5f %.5f %.5f", p.x, p.y, p.z))\n"
                }
            }
        }
        return out
    }

    /// The shortest text of `x` that reads back (as a `Double`, then rounded to `Float`, as
    /// `parse` reads) to `x`: the `Float`'s own shortest text, or, in the rare case that the
    /// double rounding moves it, the exact `Double` value's.
    static func exactText(_ x: Float) -> String {
        let short = x.description
        return Double(short).map(Float.init) == x ? short : Double(x).description
    }
}

/// Structural checks of generated conformers against real ones.
public enum ConformerStructure {
    /// Mean over frames and bonds of `|ℓ − ℓ̄_bond|`, with `ℓ̄_bond` the bond's mean length in
    /// `reference` (Å).
    public static func bondLengthError(_ samples: ConformerSet, reference: ConformerSet) -> Double {
        let nb = reference.bonds.count
        guard nb > 0, samples.count > 0 else { return .nan }
        let ref = reference.bondLengths
        var mean = [Double](repeating: 0, count: nb)
        for (i, l) in ref.enumerated() { mean[i % nb] += l / Double(reference.count) }
        let s = samples.bondLengths
        return s.enumerated().reduce(0.0) { $0 + abs($1.1 - mean[$1.0 % nb]) } / Double(s.count)
    }

    /// Total-variation distance `½ Σ_k |p_k − q_k|` between the histograms (36 bins of 10°) of
    /// all torsion angles in `samples` and in `reference` (undefined angles form a 37th bin).
    /// Finite samples bias it upwards
    /// (≈ √(bins/n) for n angles); nan when the molecule has no torsion.
    public static func torsionDistance(_ samples: ConformerSet, reference: ConformerSet) -> Double {
        let a = samples.torsionAngles, b = reference.torsionAngles
        guard !a.isEmpty, !b.isEmpty else { return .nan }
        func histogram(_ xs: [Double]) -> [Double] {
            // Bin 36 collects undefined angles (collinear or coincident atoms, non-finite output).
            var h = [Double](repeating: 0, count: 37)
            for x in xs { h[x.isFinite ? min(35, max(0, Int(((x + 180) / 10).rounded(.down)))) : 36] += 1 / Double(xs.count) }
            return h
        }
        let p = histogram(a), q = histogram(b)
        return 0.5 * zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) }
    }
}
