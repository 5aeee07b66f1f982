//! YAML for products as code, both ways, over JSON values: a reader that refuses what a hostile file could do to it
//! (too many bytes, too deep, too many nodes once aliases are expanded: the "billion laughs"), and a writer of plain
//! block YAML that any YAML 1.1 or 1.2 reader reads back to the same value.

use std::collections::HashMap;
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

/// How much of a file the reader accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The file's size in bytes.
    pub bytes: usize,
    /// Nested mappings and sequences.
    pub depth: usize,
    /// Values in the document, each alias counting every node it stands for.
    pub nodes: usize,
}

/// Ample for any product's files (a schema of hundreds of fields is a few thousand nodes), small enough that a file
/// made to exhaust the API is refused before it costs anything.
pub const LIMITS: Limits = Limits { bytes: 256 * 1024, depth: 32, nodes: 50_000 };

/// Why a file is not read, with the line when the reader knows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

impl YamlError {
    fn at(line: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), message: message.into() }
    }
}

enum Frame {
    Sequence { items: Vec<Value>, anchor: usize, nodes: usize },
    Mapping { entries: Map<String, Value>, key: Option<String>, anchor: usize, nodes: usize },
}

/// Reads one YAML document into a JSON value: mappings with text keys (each once), sequences, and scalars resolved
/// as YAML 1.2's core schema does (`null`, `true`, numbers; anything quoted is text).
pub fn read(text: &str, limits: Limits) -> Result<Value, YamlError> {
    if text.len() > limits.bytes {
        return Err(YamlError {
            line: None,
            message: format!("the file has {} bytes, more than the {} accepted", text.len(), limits.bytes),
        });
    }
    let mut stack: Vec<Frame> = Vec::new();
    // Each anchored value and the nodes it counts, so an alias costs what it stands for without being copied first.
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut nodes = 0usize;
    let mut document: Option<Value> = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError::at(e.marker().line(), e.info().to_owned()))?;
        let line = span.start.line();
        let is_alias = matches!(event, Event::Alias(_));
        let is_collection_end = matches!(event, Event::SequenceEnd | Event::MappingEnd);
        let opened = matches!(event, Event::SequenceStart(..) | Event::MappingStart(..));
        // A finished value: its own node count, and the anchor to keep it under.
        let finished: Option<(Value, usize, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError::at(
                        line,
                        "a file holds one YAML document: remove the `---` after the first",
                    ));
                }
                None
            }
            Event::Alias(id) => {
                let Some((value, count)) = anchors.get(&id) else {
                    return Err(YamlError::at(line, "an alias names an anchor that is not defined before it"));
                };
                Some((value.clone(), *count, 0))
            }
            Event::Scalar(text, style, anchor, tag) => Some((scalar(&text, style, tag.as_deref(), line)?, 1, anchor)),
            Event::SequenceStart(anchor, tag) => {
                untagged(tag.as_deref(), line)?;
                stack.push(Frame::Sequence { items: Vec::new(), anchor, nodes: 1 });
                None
            }
            Event::MappingStart(anchor, tag) => {
                untagged(tag.as_deref(), line)?;
                stack.push(Frame::Mapping { entries: Map::new(), key: None, anchor, nodes: 1 });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Sequence { items, anchor, nodes }) => Some((Value::Array(items), nodes, anchor)),
                _ => return Err(YamlError::at(line, "a sequence ends that did not start")),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Mapping { entries, anchor, nodes, .. }) => Some((Value::Object(entries), nodes, anchor)),
                _ => return Err(YamlError::at(line, "a mapping ends that did not start")),
            },
        };
        if stack.len() > limits.depth {
            return Err(YamlError::at(line, format!("the file nests deeper than {} levels", limits.depth)));
        }
        // Every scalar and collection counts once as it comes; an alias counts every node it repeats.
        nodes = nodes.saturating_add(match (&finished, opened) {
            (Some((_, count, _)), false) if is_alias => *count,
            (Some(_), false) if !is_collection_end => 1,
            (None, true) => 1,
            _ => 0,
        });
        if nodes > limits.nodes {
            return Err(YamlError::at(
                line,
                format!("the file holds more than {} values (aliases count what they repeat)", limits.nodes),
            ));
        }
        let Some((value, count, anchor)) = finished else { continue };
        if anchor != 0 {
            anchors.insert(anchor, (value.clone(), count));
        }
        match stack.last_mut() {
            None => document = Some(value),
            Some(Frame::Sequence { items, nodes, .. }) => {
                *nodes = nodes.saturating_add(count);
                items.push(value);
            }
            Some(Frame::Mapping { entries, key, nodes, .. }) => {
                *nodes = nodes.saturating_add(count);
                match key.take() {
                    None => match value {
                        Value::String(text) => {
                            if entries.contains_key(&text) {
                                return Err(YamlError::at(line, format!("key `{text}` appears twice in one mapping")));
                            }
                            *key = Some(text);
                        }
                        Value::Null | Value::Bool(_) | Value::Number(_) => *key = Some(value.to_string()),
                        Value::Array(_) | Value::Object(_) => {
                            return Err(YamlError::at(line, "a mapping key is a sequence or a mapping: keys are text"));
                        }
                    },
                    Some(name) => {
                        entries.insert(name, value);
                    }
                }
            }
        }
    }
    Ok(document.unwrap_or(Value::Null))
}

fn untagged(tag: Option<&Tag>, line: usize) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(tag) if tag.is_yaml_core_schema() && matches!(tag.suffix.as_str(), "map" | "seq") => Ok(()),
        Some(tag) => Err(YamlError::at(line, format!("tag `{}{}` is not supported", tag.handle, tag.suffix))),
    }
}

fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>, line: usize) -> Result<Value, YamlError> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(YamlError::at(line, format!("tag `{}{}` is not supported", tag.handle, tag.suffix)));
        }
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_owned())),
            "null" | "bool" | "int" | "float" => plain(text, line),
            other => Err(YamlError::at(line, format!("tag `!!{other}` is not supported"))),
        };
    }
    match style {
        ScalarStyle::Plain => plain(text, line),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// A plain scalar as YAML 1.2's core schema resolves it.
fn plain(text: &str, line: usize) -> Result<Value, YamlError> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let lower = text.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan") {
        return Err(YamlError::at(line, format!("`{text}` is not a number JSON can hold")));
    }
    let integer = if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = text.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && matches!(b, b'-' | b'+')))
        && text.bytes().any(|b| b.is_ascii_digit())
    {
        match text.trim_start_matches('+').parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return Err(YamlError::at(line, format!("`{text}` is too large a whole number"))),
        }
    } else {
        None
    };
    if let Some(n) = integer {
        return Ok(Value::Number(n.into()));
    }
    let float_shape = text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && text.bytes().next().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'));
    if float_shape && let Ok(f) = text.parse::<f64>() {
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| YamlError::at(line, format!("`{text}` is not a number JSON can hold")));
    }
    Ok(Value::String(text.to_owned()))
}

/// Writes `value` as block YAML (mappings and sequences indented by two, text plain when it cannot be read as
/// anything else, as a literal block when it has lines, double-quoted otherwise), ending in a newline.
pub fn write(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        other => {
            out.push_str(&inline(other, 0));
            out.push('\n');
        }
    }
    out
}

fn mapping(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first entry of a mapping in a sequence follows its `- `.
        if i > 0 || !out.ends_with("- ") {
            pad(out, indent);
        }
        out.push_str(&text(key, indent));
        out.push(':');
        nested(out, value, indent);
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                mapping(out, map, indent + 2);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, indent + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// A mapping's value after its `key:`.
fn nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other, indent + 2));
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn inline(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => text(s, indent),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Words YAML 1.1 readers (PyYAML among them) take for something other than text.
const NOT_TEXT: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];

fn text(s: &str, indent: usize) -> String {
    let plain_safe = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '/' | '@' | '+' | '-'))
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !NOT_TEXT.contains(&s.to_ascii_lowercase().as_str());
    if plain_safe {
        return s.to_owned();
    }
    literal(s, indent).unwrap_or_else(|| quoted(s))
}

/// Text of several lines as a literal block, when it has no character or edge a block would change.
fn literal(s: &str, indent: usize) -> Option<String> {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let chomp = if body.len() == s.len() { "-" } else { "" };
    // The first line sets the block's indentation, so only it must not start with white space; later lines may be
    // indented further (a pretty-printed schema).
    let safe = body.contains('\n')
        && !body.ends_with('\n')
        && !body.starts_with([' ', '\t'])
        && body.lines().all(|line| {
            !line.trim().is_empty() && !line.ends_with([' ', '\t']) && line.chars().all(|c| !needs_escape(c))
        });
    if !safe {
        return None;
    }
    let mut out = format!("|{chomp}");
    for line in body.lines() {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str(line);
    }
    Some(out)
}

/// Characters written as escapes in double quotes: controls, and the line and byte-order marks some readers treat
/// as breaks.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_default(text: &str) -> Result<Value, YamlError> {
        read(text, LIMITS)
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let value = json!({
            "plain": "orders", "version": "1.0.0", "yes": "yes", "number": 12, "negative": -3, "float": 1.5,
            "flag": true, "nothing": null, "empty": "", "quote": "say \"hi\"", "colon": "a: b", "hash": "a #b",
            "lines": "first\nsecond\n", "lines-no-end": "first\nsecond", "spaced": " lead\n trail ",
            "indented": "{\n  \"a\": 1\n}\n", "blank-line": "a\n\nb", "tab-lead": "a\n\tb\n",
            "controls": "nul\u{0}bell\u{7}nel\u{85}ls\u{2028}", "unicode": "Grüße 東京",
            "list": ["a", 1, {"name": "x", "more": [1, 2]}, [], {}, ["nested", ["deeper"]]],
            "map": {"inner": {"deep": "value"}, "emptyList": []},
            "avro": "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[]}"
        });
        let written = write(&value);
        assert_eq!(read_default(&written).unwrap(), value, "{written}");
    }

    #[test]
    fn scalars_resolve_as_yaml_1_2_core_schema() {
        let value = read_default("a: 1\nb: '1'\nc: ~\nd: true\ne: 0x1f\nf: 1e3\ng: v1.0.0\nh: 1.0.0\n").unwrap();
        assert_eq!(
            value,
            json!({"a": 1, "b": "1", "c": null, "d": true, "e": 31, "f": 1000.0, "g": "v1.0.0", "h": "1.0.0"})
        );
    }

    #[test]
    fn an_alias_bomb_is_refused_by_its_node_count() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in
            ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            bomb.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
        }
        let error = read_default(&bomb).unwrap_err();
        assert!(error.message.contains("more than 50000 values"), "{error}");
    }

    #[test]
    fn a_few_aliases_are_read() {
        let value = read_default("base: &b {x: 1}\ncopy: *b\n").unwrap();
        assert_eq!(value, json!({"base": {"x": 1}, "copy": {"x": 1}}));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let error = read_default(&deep).unwrap_err();
        assert!(error.message.contains("deeper than 32"), "{error}");
        let deep_block: String = (0..40).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(read_default(&deep_block).unwrap_err().message.contains("deeper than 32"));
    }

    #[test]
    fn a_large_file_is_refused_before_it_is_read() {
        let error = read_default(&"a".repeat(LIMITS.bytes + 1)).unwrap_err();
        assert_eq!(error.line, None);
        assert!(error.message.contains("more than the 262144 accepted"), "{error}");
    }

    #[test]
    fn bad_yaml_duplicate_keys_tags_and_documents_are_refused_with_their_line() {
        let check = |text: &str, line: usize, words: &str| {
            let error = read_default(text).unwrap_err();
            assert_eq!(error.line, Some(line), "{error}");
            assert!(error.to_string().contains(words), "{error}");
        };
        check("a: 1\na: 2\n", 2, "appears twice");
        check("a: !custom x\n", 1, "not supported");
        check("a: 1\n---\nb: 2\n", 2, "one YAML document");
        check("a: [1, 2\n", 2, "line 2");
        check("a: .inf\n", 1, "not a number");
        check("? [a]\n: 1\n", 1, "keys are text");
    }
}
