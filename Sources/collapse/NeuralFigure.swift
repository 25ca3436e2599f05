import ArgumentParser
import CollapseCore
import CollapseExport
import CollapsePlot
import Foundation
import NeuralCollapse

/// The figure of a neural run: one panel per metric (test loss first), one line per regime
/// (Okabe–Ito colours, markers at every generation), linear axes. Built from the in-memory
/// rows with CollapsePlot's SVG writer; deterministic output.
enum NeuralFigure {
    static func title(model: String, preset: NeuralPreset) -> String {
        let name = ["lm": "Transformer language model", "vae": "VAE", "diffusion": "DDPM diffusion model"][model] ?? model
        return "\(name) (--preset \(preset.rawValue)): test metrics over model-fitting iterations"
    }

    static let labels = [
        "test_loss": "test loss (real held-out data)", "train_loss": "training loss", "train_steps": "training steps of the fit",
        "reconstruction": "test reconstruction term", "kl": "test KL term",
        "bond_length_error": "bond-length error of samples (Å)", "torsion_tv": "torsion TV distance (samples vs real)",
        "synthetic_pixel_mean": "mean pixel of samples",
    ]

    /// The rows of a neural results table (`model,regime,generation,test_loss,<metrics…>`).
    static func rows(from doc: CSVDocument) throws -> (rows: [NeuralResultRow], metricNames: [String]) {
        guard Array(doc.header.prefix(4)) == ["model", "regime", "generation", "test_loss"] else {
            throw ValidationError("\(doc.file): header \(doc.header.joined(separator: ",")) is not a neural results table (model,regime,generation,test_loss,…)")
        }
        var rows: [NeuralResultRow] = []
        for (k, r) in doc.rows.enumerated() {
            let values = r.count == doc.header.count ? r[3...].map { Double($0) } : []
            guard r.count == doc.header.count, let regime = Regime.named(r[1], realFraction: 0), let g = Int(r[2]),
                  values.allSatisfy({ $0 != nil }) else {
                throw ValidationError("\(doc.file): line \(doc.lines[k]): not a neural results row")
            }
            rows.append(NeuralResultRow(model: r[0], regime: regime, generation: g, testLoss: values[0]!, metrics: values.dropFirst().map { $0! }))
        }
        return (rows, Array(doc.header.dropFirst(4)))
    }

    static func render(rows: [NeuralResultRow], metricNames: [String], title: String) -> String {
        let metrics = ["test_loss"] + metricNames
        var regimes: [String] = []
        for r in rows where !regimes.contains(r.regime.name) { regimes.append(r.regime.name) }
        let colors = Palette.categorical(regimes.count)
        let pw = 300.0, ph = 210.0, margin = 16.0, left = 70.0, gap = 80.0, top = 62.0
        let legendX = left + Double(metrics.count) * (pw + gap) - gap + 30
        let width = legendX + 190, height = top + ph + 62
        var svg = SVGWriter(width: width, height: height)
        svg.element("rect", [("x", "0"), ("y", "0"), ("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
        svg.element("text", [("x", SVGWriter.number(margin)), ("y", "26"), ("font-family", "sans-serif"), ("font-size", "16"),
                             ("font-weight", "bold"), ("class", "title")], text: title)
        let gens = rows.map(\.generation)
        let gmin = Double(gens.min() ?? 1), gmax = Double(max(gens.max() ?? 1, (gens.min() ?? 1) + 1))
        for (k, metric) in metrics.enumerated() {
            let x0 = left + Double(k) * (pw + gap), y0 = top
            let values: (NeuralResultRow) -> Double = { k == 0 ? $0.testLoss : $0.metrics[k - 1] }
            let finite = rows.map(values).filter(\.isFinite)
            var lo = finite.min() ?? 0, hi = finite.max() ?? 1
            if hi - lo < 1e-12 * max(1, abs(hi)) { lo -= 0.5 * max(abs(lo), 1e-3); hi += 0.5 * max(abs(hi), 1e-3) }
            let ticks = niceTicks(lo, hi)
            lo = min(lo, ticks.first!); hi = max(hi, ticks.last!)
            func sx(_ g: Double) -> Double { x0 + (g - gmin) / (gmax - gmin) * pw }
            func sy(_ v: Double) -> Double { y0 + ph - (v - lo) / (hi - lo) * ph }
            svg.open("g", [("class", "panel"), ("data-metric", metric)])
            svg.element("rect", [("x", SVGWriter.number(x0)), ("y", SVGWriter.number(y0)), ("width", SVGWriter.number(pw)),
                                 ("height", SVGWriter.number(ph)), ("fill", "none"), ("stroke", "#444444")])
            svg.element("text", [("x", SVGWriter.number(x0 + pw / 2)), ("y", SVGWriter.number(y0 - 8)), ("text-anchor", "middle"),
                                 ("font-family", "sans-serif"), ("font-size", "12"), ("font-weight", "bold")], text: labels[metric] ?? metric)
            for v in ticks {
                let y = sy(v)
                svg.element("line", [("x1", SVGWriter.number(x0)), ("y1", SVGWriter.number(y)), ("x2", SVGWriter.number(x0 + pw)),
                                     ("y2", SVGWriter.number(y)), ("stroke", "#e5e5e5")])
                svg.element("text", [("x", SVGWriter.number(x0 - 5)), ("y", SVGWriter.number(y + 4)), ("text-anchor", "end"),
                                     ("font-family", "sans-serif"), ("font-size", "10")], text: PlotFormat.significant(v, digits: 3))
            }
            let step = max(1, Int((gmax - gmin) / 10))
            for g in stride(from: Int(gmin), through: Int(gmax), by: step) {
                svg.element("text", [("x", SVGWriter.number(sx(Double(g)))), ("y", SVGWriter.number(y0 + ph + 15)),
                                     ("text-anchor", "middle"), ("font-family", "sans-serif"), ("font-size", "10")], text: String(g))
            }
            svg.element("text", [("x", SVGWriter.number(x0 + pw / 2)), ("y", SVGWriter.number(y0 + ph + 34)), ("text-anchor", "middle"),
                                 ("font-family", "sans-serif"), ("font-size", "11")], text: "model-fitting iteration n")
            for (i, regime) in regimes.enumerated() {
                let pts = rows.filter { $0.regime.name == regime }.sorted { $0.generation < $1.generation }
                    .compactMap { r -> (Double, Double)? in let v = values(r); return v.isFinite ? (sx(Double(r.generation)), sy(v)) : nil }
                guard !pts.isEmpty else { continue }
                svg.element("path", [("class", "series"), ("data-regime", regime), ("d", SVGWriter.polyline(pts)),
                                         ("fill", "none"), ("stroke", colors[i]), ("stroke-width", "2")])
                for p in pts {
                    svg.element("circle", [("cx", SVGWriter.number(p.0)), ("cy", SVGWriter.number(p.1)), ("r", "3"), ("fill", colors[i])])
                }
            }
            svg.close()
        }
        for (i, regime) in regimes.enumerated() {
            let y = top + 10 + Double(i) * 20
            svg.element("line", [("x1", SVGWriter.number(legendX)), ("y1", SVGWriter.number(y)), ("x2", SVGWriter.number(legendX + 24)),
                                 ("y2", SVGWriter.number(y)), ("stroke", colors[i]), ("stroke-width", "2")])
            svg.element("text", [("x", SVGWriter.number(legendX + 30)), ("y", SVGWriter.number(y + 4)), ("font-family", "sans-serif"),
                                 ("font-size", "12"), ("class", "legend")], text: regime)
        }
        return svg.rendered(title: title)
    }

    /// About five round tick values covering `[lo, hi]`.
    static func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        let first = floor(lo / step) * step, last = ceil(hi / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { ($0 / step).rounded() * step }
    }
}
