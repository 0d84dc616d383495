import Foundation
import Reconciler
import SQLText
import Yams

/// How reports are laid out on the status branch:
/// `<environment>/<manifest>.yaml` per manifest document, and `README.md` with one section
/// per environment (`NAME TARGET READY REASON REVISION APPLIED`). Each daemon rewrites only
/// its own environment's folder and section, so environments share a branch safely.
public enum StatusDocument {
    /// Path of the report for `key` in `environment`.
    public static func path(environment: String, key: String) -> String {
        "\(environment)/\(fileName(key)).yaml"
    }

    /// A file-name-safe form of a report key, one to one: ASCII letters, digits, `-`, `_` and
    /// `.` stay (so plain names keep their files), every other byte of the key's UTF-8 is
    /// written `%XX`, `%` itself included. (`a/b` and `a_b` once shared a file.)
    static func fileName(_ key: String) -> String {
        var out = ""
        for byte in key.utf8 {
            let scalar = Unicode.Scalar(byte)
            let kept = byte < 0x80 && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                                       || "-_.".unicodeScalars.contains(scalar))
            out += kept ? String(scalar) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
        return out
    }

    /// The report as YAML (literal blocks for multi-line SQL).
    public static func encode(_ report: StatusReport) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.newLineScalarStyle = .literal
        encoder.options.allowUnicode = true
        encoder.options.width = -1
        return try encoder.encode(report)
    }

    /// A report read back from the branch, or nil if it is not one drover can read.
    public static func decode(_ text: String) -> StatusReport? {
        try? YAMLDecoder().decode(StatusReport.self, from: text)
    }

    /// `README.md` with `environment`'s section replaced by a table of `reports`, other
    /// environments' sections kept as they were.
    public static func readme(existing: String?, environment: String, reports: [StatusReport]) -> String {
        let begin = "<!-- drover:begin \(environment) -->"
        let end = "<!-- drover:end \(environment) -->"
        var rows = ["| NAME | TARGET | READY | REASON | REVISION | APPLIED |", "| --- | --- | --- | --- | --- | --- |"]
        for report in reports.sorted(by: { ($0.manifest.name, $0.manifest.path) < ($1.manifest.name, $1.manifest.path) }) {
            let cells = [report.manifest.name, report.target ?? "-", report.ready ? "True" : "False", report.reason.rawValue,
                         String(report.revision.prefix(7)), report.lastApplied?.at ?? "-"]
            // A cell is one line of a table row: a line break in a name must not end it.
            rows.append("| " + cells.map { escapingControlCharacters($0).replacingOccurrences(of: "|", with: "\\|") }
                .joined(separator: " | ") + " |")
        }
        let section = ([begin, "## \(environment)", ""] + rows + [end]).joined(separator: "\n")

        var text = existing ?? "# Drover status\n\nWritten by drover; one section per environment. Reports are in `<environment>/<manifest>.yaml`.\n"
        if let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) {
            text.replaceSubrange(start.lowerBound..<stop.upperBound, with: section)
        } else {
            if !text.hasSuffix("\n") { text += "\n" }
            text += "\n" + section + "\n"
        }
        return text
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
