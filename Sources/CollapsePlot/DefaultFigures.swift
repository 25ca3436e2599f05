extension Figure {
    /// The figures written beside linear results: `figure.svg`, the paper-style panel grid, and
    /// `figure-ratio.svg`, the accumulate/replace heat map over d × T, when the file holds both
    /// regimes and more than one (d, T) cell.
    public static func defaultFigures(_ table: ResultsTable) throws -> [(file: String, svg: String)] {
        var out = [(file: "figure.svg", svg: try panelGrid(table))]
        let names = Set(table.rows.map(\.regime))
        if names.contains("replace") && names.contains("accumulate") && table.dimensions.count * table.sampleSizes.count > 1 {
            out.append((file: "figure-ratio.svg", svg: try ratioHeatmap(table)))
        }
        return out
    }
}
