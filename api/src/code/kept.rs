//! What a product's files say beyond what Meshport maps, kept with the product and written back on export.
//!
//! On import, the *residual* of a file is what remains once everything Meshport would write itself is taken out:
//! keys it does not write, and items of its lists it does not write (another quality check, a custom property). On
//! export, the residual is laid back over what Meshport writes. Meshport's own values always win, so a product
//! changed in the portal exports its new values, with the rest of its file around them.
//!
//! Items of a list are matched by the keys that name them (`name`, `property`, `username`, `server`, `role`,
//! `channel`, `url`, whichever the generated item has), not by position, so items Meshport does not write may stand
//! anywhere among them (on export they follow Meshport's own, in their order).

use serde_json::{Map, Value};

/// The keys that name an item of a list, in ODPS and ODCS.
const IDENTITY: &[&str] = &["name", "property", "username", "server", "role", "channel", "url"];

/// In a residual, a list Meshport writes: the residuals of its items (`items`, each with the keys naming it) and the
/// items it does not write (`extra`).
const ITEMS: &str = "$items";
const EXTRA: &str = "$extra";

/// What `file` says that `generated` (Meshport's own export of the product the file was read into) does not; `None`
/// when nothing.
pub fn residual(file: &Value, generated: &Value) -> Option<Value> {
    match (file, generated) {
        (Value::Object(file), Value::Object(generated)) => {
            let mut kept = Map::new();
            for (key, value) in file {
                match generated.get(key) {
                    None => {
                        kept.insert(key.clone(), value.clone());
                    }
                    Some(ours) => {
                        if let Some(rest) = residual(value, ours) {
                            kept.insert(key.clone(), rest);
                        }
                    }
                }
            }
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        (Value::Array(file), Value::Array(generated)) if generated.iter().any(Value::is_object) => {
            let (mut items, mut extra) = (Vec::new(), Vec::new());
            for item in file {
                match generated.iter().find(|ours| same_item(item, ours)) {
                    Some(ours) => {
                        if let Some(Value::Object(mut rest)) = residual(item, ours) {
                            for key in identity(ours) {
                                rest.insert(key.to_owned(), ours[key].clone());
                            }
                            items.push(Value::Object(rest));
                        }
                    }
                    None => extra.push(item.clone()),
                }
            }
            if items.is_empty() && extra.is_empty() {
                return None;
            }
            Some(Value::Object(Map::from_iter([
                (ITEMS.to_owned(), Value::Array(items)),
                (EXTRA.to_owned(), Value::Array(extra)),
            ])))
        }
        // A value Meshport writes (text, a number, a list of text): Meshport's is the one exported.
        _ => None,
    }
}

/// `generated` with `kept` (a [`residual`]) laid over it.
pub fn overlay(generated: Value, kept: Option<&Value>) -> Value {
    let Some(kept) = kept else { return generated };
    match (generated, kept) {
        (Value::Object(mut ours), Value::Object(kept)) => {
            for (key, value) in kept {
                let merged = match ours.remove(key) {
                    Some(mine) => overlay(mine, Some(value)),
                    None => unlisted(value),
                };
                ours.insert(key.clone(), merged);
            }
            Value::Object(ours)
        }
        (Value::Array(mut ours), Value::Object(kept)) if kept.contains_key(ITEMS) => {
            for rest in kept.get(ITEMS).and_then(Value::as_array).into_iter().flatten() {
                if let Some(mine) = ours.iter_mut().find(|mine| same_item(rest, mine)) {
                    *mine = overlay(std::mem::take(mine), Some(rest));
                }
            }
            ours.extend(kept.get(EXTRA).and_then(Value::as_array).into_iter().flatten().cloned());
            Value::Array(ours)
        }
        (mine, _) => mine,
    }
}

/// A kept value where Meshport writes nothing now: a list it wrote at import time keeps only the items it did not
/// write (a support channel removed since is not brought back).
fn unlisted(kept: &Value) -> Value {
    match kept {
        Value::Object(map) if map.contains_key(ITEMS) => {
            Value::Array(map.get(EXTRA).and_then(Value::as_array).cloned().unwrap_or_default())
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), unlisted(v))).collect()),
        other => other.clone(),
    }
}

fn identity(ours: &Value) -> impl Iterator<Item = &'static str> + '_ {
    IDENTITY.iter().copied().filter(|key| ours.get(key).is_some())
}

/// Whether `item` is the item `ours` names: the same values of the keys naming `ours`, which has at least one.
fn same_item(item: &Value, ours: &Value) -> bool {
    let mut keys = identity(ours).peekable();
    keys.peek().is_some() && keys.all(|key| item.get(key) == ours.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(file: Value, generated: Value) {
        let kept = residual(&file, &generated);
        assert_eq!(overlay(generated, kept.as_ref()), file);
    }

    #[test]
    fn unknown_keys_and_list_items_survive_the_way_back() {
        check(
            json!({"id": "a", "tenant": "acme", "support": [
                {"channel": "email", "url": "mailto:a@x", "scope": "issues"},
                {"channel": "chat", "url": "#a"},
                {"channel": "other", "url": "https://x", "tool": "ticket"}
            ], "team": {"name": "t", "members": [{"username": "u", "role": "owner"}]}}),
            json!({"id": "a", "support": [{"channel": "email", "url": "mailto:a@x"}, {"channel": "chat", "url": "#a"}],
                   "team": {"name": "t", "members": [{"username": "u"}]}}),
        );
    }

    #[test]
    fn nothing_is_kept_when_the_file_is_what_meshport_writes() {
        let ours = json!({"id": "a", "tags": ["x"], "support": [{"channel": "chat", "url": "#a"}]});
        assert_eq!(residual(&ours, &ours), None);
    }

    #[test]
    fn meshport_values_win_and_removed_items_stay_removed() {
        let file = json!({"name": "Old", "support": [{"channel": "chat", "url": "#a", "scope": "x"}, {"channel": "z", "url": "u"}]});
        let kept = residual(&file, &json!({"name": "Old", "support": [{"channel": "chat", "url": "#a"}]}));
        let now = overlay(json!({"name": "New"}), kept.as_ref());
        assert_eq!(now, json!({"name": "New", "support": [{"channel": "z", "url": "u"}]}));
    }
}
