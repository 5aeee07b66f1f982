//! What a command found, written for people (`text`), programs (`json`) or GitHub Actions (`github`: workflow
//! commands that annotate the files in a pull request).

use std::fmt::Write as _;

use meshport_shared::schema::SchemaChange;
use meshport_shared::{Violation, ViolationCode};
use serde::Serialize;

use super::files::Pair;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

/// One command's outcome over every product it handled.
#[derive(Debug, Serialize)]
pub struct Report {
    pub command: &'static str,
    pub products: Vec<ProductReport>,
}

#[derive(Debug, Serialize)]
pub struct ProductReport {
    pub id: String,
    /// `clean`, `violations`, `unreadable`, `new`, `changed`, `unchanged`, `created`, `published`, `updated`,
    /// `evolved`, `proposed`, `new_major_version`, `refused`, `exported`, or what pruning did.
    pub outcome: String,
    pub changes: Vec<Change>,
    /// What makes the run fail (exit 1): violations, breaking schema changes, refusals.
    pub findings: Vec<Finding>,
    /// What the user should know or do next, which is not a failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One difference between the catalog and the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `added`, `changed`, `removed` (a field of the files), or `schema` (a change of the value schema).
    pub kind: &'static str,
    pub path: String,
    pub detail: String,
    pub breaking: bool,
    /// The compatibility level a schema change was judged at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// A problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: String,
    pub field: String,
    pub message: String,
    pub file: String,
    pub line: usize,
}

/// A violation code's name as the API writes it (`required_field_missing`).
fn code_name(code: ViolationCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{code:?}"),
    }
}

impl Report {
    pub fn new(command: &'static str, products: Vec<ProductReport>) -> Self {
        Self { command, products }
    }

    pub fn has_findings(&self) -> bool {
        self.products.iter().any(|product| !product.findings.is_empty())
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
                json.push('\n');
                json
            }
            Format::Text => self.text(),
            Format::Github => self.github(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for product in &self.products {
            let _ = writeln!(out, "{}: {}", product.id, product.outcome);
            for change in &product.changes {
                let sign = match change.kind {
                    "added" => "+",
                    "removed" => "-",
                    _ => "~",
                };
                let _ = write!(out, "  {sign} {}: {}", change.path, change.detail);
                if let Some(level) = &change.level {
                    let verdict = if change.breaking { "BREAKING" } else { "compatible" };
                    let _ = write!(out, " ({verdict} at {level})");
                }
                out.push('\n');
            }
            for finding in &product.findings {
                let _ =
                    writeln!(out, "  error {}:{} [{}] {}", finding.file, finding.line, finding.code, finding.message);
            }
            for note in &product.notes {
                let _ = writeln!(out, "  note: {note}");
            }
        }
        out
    }

    fn github(&self) -> String {
        let mut out = String::new();
        for product in &self.products {
            for finding in &product.findings {
                let _ = writeln!(
                    out,
                    "::error file={},line={},title={}::{}",
                    property(&finding.file),
                    finding.line,
                    property(&format!("{} {}", product.id, finding.code)),
                    data(&finding.message)
                );
            }
            let changes = product.changes.iter().filter(|change| !change.breaking).count();
            let _ = writeln!(
                out,
                "{}: {}{}",
                product.id,
                product.outcome,
                if changes > 0 { format!(" ({changes} compatible changes)") } else { String::new() }
            );
            for note in &product.notes {
                let _ = writeln!(out, "::notice title={}::{}", property(&product.id), data(note));
            }
        }
        out
    }
}

/// A workflow command's message, escaped as the runner reads it.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value, escaped as the runner reads it.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

impl ProductReport {
    pub fn new(id: &str, outcome: &str, changes: Vec<Change>, findings: Vec<Finding>) -> Self {
        Self { id: id.to_owned(), outcome: outcome.to_owned(), changes, findings, notes: Vec::new() }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

impl Change {
    pub fn field(kind: &'static str, path: &str, detail: String) -> Self {
        Self { kind, path: path.to_owned(), detail, breaking: false, level: None }
    }

    pub fn schema(change: &SchemaChange, level: &str) -> Self {
        Self {
            kind: "schema",
            path: if change.path.is_empty() { "schema".into() } else { format!("schema.{}", change.path) },
            detail: change.description.clone(),
            breaking: change.breaking,
            level: Some(level.to_owned()),
        }
    }
}

impl Finding {
    /// A violation, placed in the file and at the line its field is most likely written on.
    pub fn of_violation(pair: &Pair, violation: &Violation) -> Self {
        let field = violation.field.as_str();
        let (file, line) = place(pair, field);
        Self {
            code: code_name(violation.code),
            field: field.to_owned(),
            message: violation.message.clone(),
            file,
            line,
        }
    }

    /// A problem of the pair as a whole (a refusal without violations, a file that does not read), at its ODPS file.
    pub fn general(pair: &Pair, code: &str, message: &str) -> Self {
        Self {
            code: code.to_owned(),
            field: String::new(),
            message: message.to_owned(),
            file: pair.odps_path.display().to_string(),
            line: 1,
        }
    }

    /// A schema change that breaks consumers at the subject's level: its line is the field's in the contract.
    pub fn breaking(pair: &Pair, change: &SchemaChange, level: &str) -> Self {
        let key = change.path.rsplit('.').next().unwrap_or_default();
        Self {
            code: code_name(ViolationCode::BreakingChange),
            field: format!("schema.{}", change.path),
            message: format!("breaking at {level}: {}", change.description),
            file: pair.odcs_path.display().to_string(),
            line: line_of(&pair.files.odcs, key).unwrap_or(1),
        }
    }

    /// The registry's refusal (or a schema change that could not be judged), where no change was found breaking.
    pub fn refused(pair: &Pair, message: &str, level: &str) -> Self {
        Self {
            code: code_name(ViolationCode::BreakingChange),
            field: "schema".into(),
            message: format!("the schema is not accepted at {level}: {message}"),
            file: pair.odcs_path.display().to_string(),
            line: line_of(&pair.files.odcs, "meshportSchema").unwrap_or(1),
        }
    }
}

/// The file a violation's field is in (`odcs...` and the contract's parts in the ODCS file, the rest in the ODPS
/// file) and the first line naming the field's last key there, else line 1.
fn place(pair: &Pair, field: &str) -> (String, usize) {
    let in_contract =
        ["odcs", "schema", "sla", "quality", "topic"].iter().any(|prefix| field.split('.').next() == Some(prefix));
    let (path, text) =
        if in_contract { (&pair.odcs_path, &pair.files.odcs) } else { (&pair.odps_path, &pair.files.odps) };
    let key = field.rsplit('.').next().unwrap_or_default();
    let key = key.split('[').next().unwrap_or_default();
    (path.display().to_string(), line_of(text, key).unwrap_or(1))
}

/// The first line (from 1) whose key is `key`, as a mapping entry or a list item's first entry.
fn line_of(text: &str, key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let wanted = [format!("{key}:"), format!("- {key}:"), format!("name: {key}"), format!("- name: {key}")];
    text.lines().position(|line| wanted.iter().any(|w| line.trim_start().starts_with(w.as_str()))).map(|n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Files;

    fn pair() -> Pair {
        Pair {
            id: "orders".into(),
            odps_path: "p/orders.odps.yaml".into(),
            odcs_path: "p/orders.odcs.yaml".into(),
            files: Files {
                odps: "apiVersion: v1.0.0\ndescription:\n  purpose: x\n  usage: ''\n".into(),
                odcs: "schema:\n- name: orders\n  properties:\n  - name: cents\n    logicalType: integer\n".into(),
            },
        }
    }

    fn report() -> Report {
        let pair = pair();
        let usage = Violation::new(ViolationCode::RequiredFieldMissing, "description.usage", "say how, 100%: a\nb");
        let change = SchemaChange {
            kind: meshport_shared::schema::ChangeKind::FieldRemoved,
            path: "cents".into(),
            description: "field `cents` was removed".into(),
            breaking: true,
        };
        let findings = vec![Finding::of_violation(&pair, &usage), Finding::breaking(&pair, &change, "BACKWARD")];
        let changes =
            vec![Change::field("changed", "odps.name", "\"a\" -> \"b\"".into()), Change::schema(&change, "BACKWARD")];
        Report::new("diff", vec![ProductReport::new("orders", "changed", changes, findings)])
    }

    #[test]
    fn github_annotations_name_the_file_and_line_with_messages_escaped() {
        let out = report().render(Format::Github);

        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "::error file=p/orders.odps.yaml,line=4,title=orders required_field_missing::say how, 100%25: a%0Ab",
                "::error file=p/orders.odcs.yaml,line=4,title=orders breaking_change::breaking at BACKWARD: field `cents` was removed",
                "orders: changed (1 compatible changes)",
            ]
        );
    }

    #[test]
    fn a_note_is_told_in_every_format_and_is_no_finding() {
        let report = Report::new(
            "diff",
            vec![ProductReport::new("orders", "new", Vec::new(), Vec::new()).with_note("no predecessor: a, b")],
        );

        assert!(!report.has_findings());
        assert_eq!(report.render(Format::Text), "orders: new\n  note: no predecessor: a, b\n");
        assert_eq!(report.render(Format::Github), "orders: new\n::notice title=orders::no predecessor: a, b\n");
        let json: serde_json::Value = serde_json::from_str(&report.render(Format::Json)).unwrap();
        assert_eq!(json["products"][0]["notes"][0], "no predecessor: a, b");
    }

    #[test]
    fn text_marks_breaking_schema_changes_and_json_carries_everything() {
        let report = report();

        let text = report.render(Format::Text);
        assert!(text.contains("  ~ schema.cents: field `cents` was removed (BREAKING at BACKWARD)"), "{text}");
        assert!(text.contains("  ~ odps.name: \"a\" -> \"b\"\n"), "{text}");
        assert!(text.contains("  error p/orders.odps.yaml:4 [required_field_missing]"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&report.render(Format::Json)).unwrap();
        assert_eq!(json["products"][0]["findings"][1]["code"], "breaking_change");
        assert_eq!(json["products"][0]["changes"][1]["level"], "BACKWARD");
        assert!(report.has_findings());
    }
}
