//! Every difference between two documents, by path (`odps.description.purpose`, `odcs.schema[0].properties[2]`).

use serde_json::Value;

use super::report::Change;

/// What changed from `old` (the catalog's export) to `new` (the files): fields added, changed, removed.
pub fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    walk(String::new(), Some(old), Some(new), &mut changes);
    changes
}

fn walk(path: String, old: Option<&Value>, new: Option<&Value>, changes: &mut Vec<Change>) {
    match (old, new) {
        (Some(Value::Object(old)), Some(Value::Object(new))) => {
            let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for key in keys {
                let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(path, old.get(key), new.get(key), changes);
            }
        }
        (Some(Value::Array(old)), Some(Value::Array(new))) => {
            for i in 0..old.len().max(new.len()) {
                walk(format!("{path}[{i}]"), old.get(i), new.get(i), changes);
            }
        }
        (Some(old), Some(new)) if old == new => {}
        (Some(old), Some(new)) => {
            changes.push(Change::field("changed", &path, format!("{} -> {}", short(old), short(new))))
        }
        (None, Some(new)) => changes.push(Change::field("added", &path, short(new))),
        (Some(old), None) => changes.push(Change::field("removed", &path, short(old))),
        (None, None) => {}
    }
}

/// A value in one line, long texts cut.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_difference_is_named_by_its_path() {
        let old = json!({"odps": {"name": "Orders", "tags": ["a", "b"], "gone": 1, "same": {"x": 1}}});
        let new = json!({"odps": {"name": "Orders v2", "tags": ["a"], "new": true, "same": {"x": 1}}});

        let found: Vec<(String, String, String)> =
            changes(&old, &new).into_iter().map(|c| (c.kind.to_owned(), c.path, c.detail)).collect();

        let expected = [
            ("removed", "odps.gone", "1"),
            ("changed", "odps.name", "\"Orders\" -> \"Orders v2\""),
            ("added", "odps.new", "true"),
            ("removed", "odps.tags[1]", "\"b\""),
        ];
        let expected: Vec<_> =
            expected.iter().map(|(k, p, d)| ((*k).to_owned(), (*p).to_owned(), (*d).to_owned())).collect();
        assert_eq!(found, expected);
    }
}
