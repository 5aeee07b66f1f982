//! Avro's binary encoding read from records nobody vouches for. It walks the writer's parsed schema within explicit
//! budgets (nesting depth, values produced, bytes of JSON produced, a deadline), so no record can overflow the stack,
//! make the reader reserve memory by a count or size it claims, or keep the API busy: a record beyond a budget is
//! refused with the reason. Valid records come out as the JSON that apache-avro's own decoder and its conversion of
//! `Value` to JSON give, except that a non-finite float is shown as a string; apache-avro's `from_avro_datum` is not
//! used because it recurses without a limit and reserves by the block counts it reads.

use std::collections::HashMap;
use std::time::Instant;

use apache_avro::Schema;
use apache_avro::schema::{DecimalSchema, Name, RecordSchema};
use serde_json::{Map, Number, Value};

/// How deep containers (records, arrays, maps) may nest in one value. Each level costs one stack frame of the reader
/// and of everything that walks the JSON afterwards (masking, serialising, dropping).
pub const MAX_DEPTH: usize = 64;

/// Why a record cannot be shown decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undecodable {
    #[error("the record ends before its value does")]
    Truncated,
    #[error("the value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the value is larger than a sample shows")]
    TooLarge,
    #[error("not decoded: the sample has spent the time it may take decoding; ask for fewer events")]
    TooSlow,
    #[error("{0}")]
    Malformed(String),
    #[error("{0} byte(s) are left over after the value, so it was not written with this schema")]
    LeftOver(usize),
}

/// What one or more decodings may still produce. Every value costs one unit of `values` and roughly its length in
/// JSON of `text`, whether or not the record it belongs to decodes in the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub values: usize,
    pub text: usize,
    pub deadline: Instant,
}

impl Budget {
    /// `values` more values making `text` more bytes of JSON, if the budget allows them.
    fn spend(&mut self, values: usize, text: usize) -> Result<(), Undecodable> {
        if values > self.values || text > self.text {
            return Err(Undecodable::TooLarge);
        }
        // The clock is read about once per thousand values: often enough to stop within a millisecond or so.
        if self.values / 1024 != (self.values - values) / 1024 && Instant::now() >= self.deadline {
            return Err(Undecodable::TooSlow);
        }
        self.values -= values;
        self.text -= text;
        Ok(())
    }
}

/// A writer's schema, parsed, with every named type it defines, ready to read records with.
#[derive(Debug)]
pub struct WriterSchema {
    root: Schema,
    named: HashMap<Name, Schema>,
}

impl WriterSchema {
    /// Parses an Avro schema's JSON text; the error says why it cannot be read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let root = Schema::parse_str(text).map_err(|e| e.to_string())?;
        let mut named = HashMap::new();
        collect_named(&root, None, &mut named, 0)?;
        Ok(Self { root, named })
    }

    /// Decodes one value (a Confluent record's body, after its header) within `budget`; every byte must be used.
    pub fn decode(&self, bytes: &[u8], budget: &mut Budget) -> Result<Value, Undecodable> {
        let mut reader = Reader { bytes, named: &self.named, budget };
        let value = reader.value(&self.root, None, 0)?;
        match reader.bytes.len() {
            0 => Ok(value),
            left => Err(Undecodable::LeftOver(left)),
        }
    }
}

/// Every named type (record, enum, fixed) `schema` defines, by its full name. Parsed schemas nest at most as deep as
/// the JSON parser allows (128), so walking them recursively is bounded; the depth guard keeps it so for any schema.
fn collect_named(
    schema: &Schema,
    namespace: Option<&str>,
    named: &mut HashMap<Name, Schema>,
    depth: usize,
) -> Result<(), String> {
    if depth > 512 {
        return Err("the schema nests too deep to read".to_owned());
    }
    let name = match schema {
        Schema::Record(RecordSchema { name, .. }) => name,
        Schema::Enum(e) => &e.name,
        Schema::Fixed(f) => &f.name,
        Schema::Array(array) => return collect_named(&array.items, namespace, named, depth + 1),
        Schema::Map(map) => return collect_named(&map.types, namespace, named, depth + 1),
        Schema::Decimal(DecimalSchema { inner, .. }) => return collect_named(inner, namespace, named, depth + 1),
        Schema::Union(union) => {
            return union.variants().iter().try_for_each(|v| collect_named(v, namespace, named, depth + 1));
        }
        _ => return Ok(()),
    };
    let full = qualified(name, namespace);
    let inner = full.namespace.clone();
    named.insert(full, schema.clone());
    if let Schema::Record(record) = schema {
        for field in &record.fields {
            collect_named(&field.schema, inner.as_deref(), named, depth + 1)?;
        }
    }
    Ok(())
}

/// `name` with the enclosing namespace when it has none of its own, as Avro resolves names.
fn qualified(name: &Name, namespace: Option<&str>) -> Name {
    Name {
        name: name.name.clone(),
        namespace: name.namespace.clone().or_else(|| namespace.filter(|ns| !ns.is_empty()).map(str::to_owned)),
    }
}

struct Reader<'a, 's> {
    /// What is left to read.
    bytes: &'a [u8],
    named: &'s HashMap<Name, Schema>,
    budget: &'a mut Budget,
}

/// JSON's length of a number, roughly: what a value of fixed size costs the text budget.
const NUMBER_TEXT: usize = 21;

impl<'a, 's> Reader<'a, 's> {
    fn value(&mut self, schema: &'s Schema, namespace: Option<&'s str>, depth: usize) -> Result<Value, Undecodable> {
        let (schema, namespace) = self.resolve(schema, namespace)?;
        let value = match schema {
            Schema::Null => {
                self.budget.spend(1, 4)?;
                Value::Null
            }
            Schema::Boolean => {
                self.budget.spend(1, 5)?;
                match self.take(1)? {
                    [0] => Value::Bool(false),
                    [1] => Value::Bool(true),
                    [other] => return Err(malformed(format!("{other} is not a boolean"))),
                    _ => unreachable!("take(1) answers one byte"),
                }
            }
            Schema::Int | Schema::Date | Schema::TimeMillis => {
                self.budget.spend(1, NUMBER_TEXT)?;
                let long = self.long()?;
                let int = i32::try_from(long).map_err(|_| malformed(format!("{long} does not fit an int")))?;
                Value::from(int)
            }
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                self.budget.spend(1, NUMBER_TEXT)?;
                Value::from(self.long()?)
            }
            Schema::Float => {
                self.budget.spend(1, NUMBER_TEXT)?;
                let bytes = self.take(4)?;
                float(f64::from(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])))
            }
            Schema::Double => {
                self.budget.spend(1, NUMBER_TEXT)?;
                let mut bytes = [0; 8];
                bytes.copy_from_slice(self.take(8)?);
                float(f64::from_le_bytes(bytes))
            }
            Schema::Bytes | Schema::BigDecimal => {
                let length = self.length()?;
                self.byte_array(length)?
            }
            Schema::Decimal(DecimalSchema { inner, .. }) => match inner.as_ref() {
                Schema::Fixed(fixed) => self.byte_array(fixed.size)?,
                Schema::Bytes => {
                    let length = self.length()?;
                    self.byte_array(length)?
                }
                other => return Err(malformed(format!("a decimal cannot be stored as {other:?}"))),
            },
            Schema::Fixed(fixed) => self.byte_array(fixed.size)?,
            Schema::Duration => self.byte_array(12)?,
            Schema::String => {
                let length = self.length()?;
                Value::String(self.string(length)?)
            }
            Schema::Uuid => {
                // As apache-avro reads it: length-prefixed, sixteen raw bytes or the text form.
                let length = self.length()?;
                self.budget.spend(1, 38)?;
                let bytes = self.take(length)?;
                let uuid = match bytes.len() {
                    16 => uuid::Uuid::from_slice(bytes).ok(),
                    _ => std::str::from_utf8(bytes).ok().and_then(|text| uuid::Uuid::parse_str(text).ok()),
                };
                let uuid = uuid.ok_or_else(|| malformed("a uuid that is not one".to_owned()))?;
                Value::String(uuid.as_hyphenated().to_string())
            }
            Schema::Enum(e) => {
                let index = self.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| e.symbols.get(i))
                    .ok_or_else(|| malformed(format!("{index} is not a symbol of enum `{}`", e.name)))?;
                self.budget.spend(1, symbol.len() + 2)?;
                Value::String(symbol.clone())
            }
            Schema::Record(record) => {
                let depth = deeper(depth)?;
                self.budget.spend(1, 2)?;
                let inner = record.name.namespace.as_deref().or(namespace);
                let mut fields = Map::new();
                for field in &record.fields {
                    self.budget.spend(0, field.name.len() + 3)?;
                    let value = self.value(&field.schema, inner, depth)?;
                    fields.insert(field.name.clone(), value);
                }
                Value::Object(fields)
            }
            Schema::Array(array) => {
                let depth = deeper(depth)?;
                self.budget.spend(1, 2)?;
                let mut items = Vec::new();
                while let Some(count) = self.block()? {
                    // One item at a time, never reserving by the count: the budget ends a count that lies.
                    for _ in 0..count {
                        items.push(self.value(&array.items, namespace, depth)?);
                        self.budget.spend(0, 1)?;
                    }
                }
                Value::Array(items)
            }
            Schema::Map(map) => {
                let depth = deeper(depth)?;
                self.budget.spend(1, 2)?;
                let mut entries = Map::new();
                while let Some(count) = self.block()? {
                    for _ in 0..count {
                        let length = self.length()?;
                        let key = self.string(length)?;
                        let value = self.value(&map.types, namespace, depth)?;
                        entries.insert(key, value);
                    }
                }
                Value::Object(entries)
            }
            Schema::Union(_) | Schema::Ref { .. } => unreachable!("resolve answers neither a union nor a reference"),
        };
        Ok(value)
    }

    /// The schema a value is really written with: a reference's definition, a union's chosen branch. Neither needs
    /// recursion: a definition is never a reference, and a union's branch is never a union.
    fn resolve(
        &mut self,
        mut schema: &'s Schema,
        mut namespace: Option<&'s str>,
    ) -> Result<(&'s Schema, Option<&'s str>), Undecodable> {
        // A union of references, or a reference to a record, resolves in at most two steps; the bound is a guard.
        for _ in 0..4 {
            match schema {
                Schema::Union(union) => {
                    let index = self.long()?;
                    let variants = union.variants();
                    schema = usize::try_from(index).ok().and_then(|i| variants.get(i)).ok_or_else(|| {
                        malformed(format!("{index} is not a branch of a union of {}", variants.len()))
                    })?;
                }
                Schema::Ref { name } => {
                    let (full, definition) = match self.named.get_key_value(name) {
                        Some(found) => found,
                        None => self
                            .named
                            .get_key_value(&qualified(name, namespace))
                            .ok_or_else(|| malformed(format!("the schema names `{name}` but does not define it")))?,
                    };
                    namespace = full.namespace.as_deref();
                    schema = definition;
                }
                _ => return Ok((schema, namespace)),
            }
        }
        Err(malformed("the schema's references go round in a circle".to_owned()))
    }

    /// The next `length` bytes.
    fn take(&mut self, length: usize) -> Result<&'a [u8], Undecodable> {
        if length > self.bytes.len() {
            return Err(Undecodable::Truncated);
        }
        let (taken, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Ok(taken)
    }

    /// A zig-zag varint of at most ten bytes, as Avro writes `int` and `long`.
    fn long(&mut self) -> Result<i64, Undecodable> {
        let mut bits = 0_u64;
        for position in 0..10 {
            let [byte] = self.take(1)? else { unreachable!("take(1) answers one byte") };
            bits |= u64::from(byte & 0x7f) << (position * 7);
            if byte & 0x80 == 0 {
                return Ok((bits >> 1) as i64 ^ -((bits & 1) as i64));
            }
        }
        Err(malformed("a number is longer than ten bytes".to_owned()))
    }

    /// The length of a `bytes` or `string`: never negative, and never more than the record has left, so nothing is
    /// allocated for bytes that are not there.
    fn length(&mut self) -> Result<usize, Undecodable> {
        let length = self.long()?;
        let length = usize::try_from(length).map_err(|_| malformed(format!("{length} is not a length")))?;
        if length > self.bytes.len() {
            return Err(Undecodable::Truncated);
        }
        Ok(length)
    }

    /// The item count of the next block of an array or map, `None` at the end. A negative count is followed by the
    /// block's size in bytes, which is read and not trusted.
    fn block(&mut self) -> Result<Option<u64>, Undecodable> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        Ok(Some(count.unsigned_abs()).filter(|&count| count > 0))
    }

    /// `length` bytes as a JSON array of numbers, as apache-avro shows `bytes`, `fixed` and decimals.
    fn byte_array(&mut self, length: usize) -> Result<Value, Undecodable> {
        if length > self.bytes.len() {
            return Err(Undecodable::Truncated);
        }
        self.budget.spend(length.saturating_add(1), length.saturating_mul(4).saturating_add(2))?;
        Ok(Value::Array(self.take(length)?.iter().map(|&byte| Value::from(byte)).collect()))
    }

    /// `length` bytes of UTF-8.
    fn string(&mut self, length: usize) -> Result<String, Undecodable> {
        let bytes = self.take(length)?;
        // What JSON escapes takes up to six bytes (`\u0000`) instead of one.
        let escaped = bytes.iter().filter(|&&b| b < 0x20 || b == b'"' || b == b'\\').count();
        self.budget.spend(1, length + 2 + 5 * escaped)?;
        let text = std::str::from_utf8(bytes).map_err(|_| malformed("a string that is not UTF-8".to_owned()))?;
        Ok(text.to_owned())
    }
}

fn deeper(depth: usize) -> Result<usize, Undecodable> {
    match depth < MAX_DEPTH {
        true => Ok(depth + 1),
        false => Err(Undecodable::TooDeep),
    }
}

/// A number, or for NaN and the infinities, which JSON has no numbers for, their name.
fn float(x: f64) -> Value {
    Number::from_f64(x).map_or_else(|| Value::String(x.to_string()), Value::Number)
}

fn malformed(why: String) -> Undecodable {
    Undecodable::Malformed(why)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use apache_avro::types::Value as Avro;
    use proptest::prelude::*;

    use super::*;

    const RECURSIVE: &str = r#"{"type": "record", "name": "N", "fields": [
        {"name": "next", "type": ["null", "N"]},
        {"name": "items", "type": {"type": "array", "items": "long"}}
    ]}"#;

    /// Every type Avro has, and named types used again by name, in namespaces.
    const EVERYTHING: &str = r#"{"type": "record", "name": "Everything", "namespace": "com.acme", "fields": [
        {"name": "nothing", "type": "null"},
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "precise", "type": "double"},
        {"name": "raw", "type": "bytes"},
        {"name": "text", "type": "string"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "maybe", "type": ["null", "string"]},
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "home", "type": {"type": "record", "name": "Address", "namespace": "com.acme.places", "fields": [
            {"name": "city", "type": "string"},
            {"name": "code", "type": "com.acme.Hash", "doc": "a full name from another namespace"}
        ]}},
        {"name": "work", "type": ["null", "com.acme.places.Address"]},
        {"name": "favourite", "type": "Colour"}
    ]}"#;

    fn budget() -> Budget {
        Budget { values: 100_000, text: 1 << 20, deadline: Instant::now() + Duration::from_secs(600) }
    }

    fn decode(schema: &str, bytes: &[u8]) -> Result<Value, Undecodable> {
        WriterSchema::parse(schema).unwrap().decode(bytes, &mut budget())
    }

    /// Avro's zig-zag varint of `n`.
    fn long(n: i64) -> Vec<u8> {
        let mut bits = ((n << 1) ^ (n >> 63)) as u64;
        let mut bytes = Vec::new();
        loop {
            let byte = (bits & 0x7f) as u8;
            bits >>= 7;
            if bits == 0 {
                bytes.push(byte);
                return bytes;
            }
            bytes.push(byte | 0x80);
        }
    }

    /// `levels` records of `N`, each the `next` of the one before (the union's second branch), the innermost's
    /// `next` null, then every level's empty `items`: `levels + 1` containers deep.
    fn nested(levels: usize) -> Vec<u8> {
        let mut bytes = vec![2; levels - 1];
        bytes.extend(std::iter::repeat_n(0, levels + 1));
        bytes
    }

    fn everything() -> Avro {
        let address = |city: &str| {
            Avro::Record(vec![("city".into(), Avro::String(city.into())), ("code".into(), Avro::Fixed(4, vec![9; 4]))])
        };
        Avro::Record(vec![
            ("nothing".into(), Avro::Null),
            ("flag".into(), Avro::Boolean(true)),
            ("small".into(), Avro::Int(-42)),
            ("big".into(), Avro::Long(i64::MIN)),
            ("ratio".into(), Avro::Float(0.1)),
            ("precise".into(), Avro::Double(-2.5e300)),
            ("raw".into(), Avro::Bytes(vec![0, 1, 255])),
            ("text".into(), Avro::String("zoë \"quoted\"\n".into())),
            ("tags".into(), Avro::Array(vec![Avro::String("a".into()), Avro::String("b".into())])),
            ("counts".into(), Avro::Map([("x".to_owned(), Avro::Long(1)), ("y".to_owned(), Avro::Long(2))].into())),
            ("maybe".into(), Avro::Union(1, Box::new(Avro::String("here".into())))),
            ("colour".into(), Avro::Enum(1, "GREEN".into())),
            ("hash".into(), Avro::Fixed(4, vec![1, 2, 3, 4])),
            ("price".into(), Avro::Decimal(apache_avro::Decimal::from(vec![0x01, 0x2c]))),
            ("id".into(), Avro::Uuid(uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0))),
            ("day".into(), Avro::Date(19_000)),
            ("at".into(), Avro::TimestampMillis(1_700_000_000_000)),
            ("home".into(), address("Ghent")),
            ("work".into(), Avro::Union(1, Box::new(address("Lyon")))),
            ("favourite".into(), Avro::Enum(0, "RED".into())),
        ])
    }

    #[test]
    fn a_valid_record_reads_as_apache_avro_reads_it() {
        let schema = Schema::parse_str(EVERYTHING).unwrap();
        let bytes = apache_avro::to_avro_datum(&schema, everything()).unwrap();
        let expected = Value::try_from(apache_avro::from_avro_datum(&schema, &mut &bytes[..], None).unwrap()).unwrap();

        let decoded = decode(EVERYTHING, &bytes).unwrap();

        assert_eq!(decoded, expected);
        assert_eq!(decoded["work"]["code"], serde_json::json!([9, 9, 9, 9]), "a named type used by name");
        assert_eq!(decoded["id"], "12345678-9abc-def0-1234-56789abcdef0");
    }

    #[test]
    fn a_recursive_schema_reads_records_up_to_the_depth_limit_and_refuses_deeper_ones() {
        assert!(decode(RECURSIVE, &nested(MAX_DEPTH - 1)).is_ok());
        assert_eq!(decode(RECURSIVE, &nested(MAX_DEPTH)), Err(Undecodable::TooDeep));
        // Deep enough to overflow any stack when read recursively without a limit.
        assert_eq!(decode(RECURSIVE, &nested(1_000_000)), Err(Undecodable::TooDeep));
    }

    #[test]
    fn a_block_count_is_never_trusted() {
        let array = |items: &str| format!(r#"{{"type": "array", "items": {items}}}"#);
        let huge = long(i64::MAX);
        // Items that take bytes: the record ends long before the count.
        assert_eq!(decode(&array(r#""long""#), &huge), Err(Undecodable::Truncated));
        assert_eq!(decode(r#"{"type": "map", "values": "long"}"#, &huge), Err(Undecodable::Truncated));
        // Items that take no bytes at all: the budget ends the count.
        assert_eq!(decode(&array(r#""null""#), &huge), Err(Undecodable::TooLarge));
        let empty = r#"{"type": "record", "name": "Empty", "fields": []}"#;
        assert_eq!(decode(&array(empty), &huge), Err(Undecodable::TooLarge));
        // A negative count carries a block size, which is read and not trusted either; the most negative one has no
        // positive counterpart.
        let mut sized = long(-i64::MAX);
        sized.extend(long(i64::MAX));
        assert_eq!(decode(&array(r#""null""#), &sized), Err(Undecodable::TooLarge));
        assert_eq!(decode(&array(r#""long""#), &long(i64::MIN)), Err(Undecodable::Truncated));
    }

    #[test]
    fn a_length_or_size_beyond_the_record_is_refused_before_anything_is_allocated() {
        let huge = long(1 << 60);
        assert_eq!(decode(r#""bytes""#, &huge), Err(Undecodable::Truncated));
        assert_eq!(decode(r#""string""#, &huge), Err(Undecodable::Truncated));
        assert_eq!(decode(r#"{"type": "string", "logicalType": "uuid"}"#, &huge), Err(Undecodable::Truncated));
        let fixed = r#"{"type": "fixed", "name": "Huge", "size": 1099511627776}"#;
        assert_eq!(decode(fixed, &[1, 2, 3]), Err(Undecodable::Truncated));
        let decimal = r#"{"type": "fixed", "name": "D", "size": 1099511627776, "logicalType": "decimal",
            "precision": 4}"#;
        assert_eq!(decode(decimal, &[1, 2, 3]), Err(Undecodable::Truncated));
        assert_eq!(decode(r#""bytes""#, &long(-1)), Err(Undecodable::Malformed("-1 is not a length".into())));
    }

    #[test]
    fn every_cut_of_a_valid_record_is_truncated_and_bytes_beyond_it_are_left_over() {
        let schema = Schema::parse_str(EVERYTHING).unwrap();
        let bytes = apache_avro::to_avro_datum(&schema, everything()).unwrap();
        for cut in 0..bytes.len() {
            assert_eq!(decode(EVERYTHING, &bytes[..cut]), Err(Undecodable::Truncated), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.extend([1, 2]);
        assert_eq!(decode(EVERYTHING, &longer), Err(Undecodable::LeftOver(2)));
    }

    #[test]
    fn bytes_that_no_writer_writes_are_refused_saying_what_is_wrong() {
        let check = |schema: &str, bytes: &[u8], why: &str| match decode(schema, bytes) {
            Err(Undecodable::Malformed(message)) => assert!(message.contains(why), "{message}"),
            other => panic!("{schema} {bytes:?}: expected {why}, got {other:?}"),
        };
        check(r#""boolean""#, &[2], "not a boolean");
        check(r#""int""#, &long(i64::from(i32::MAX) + 1), "does not fit an int");
        check(r#""long""#, &[0xff; 11], "longer than ten bytes");
        check(r#"["null", "long"]"#, &long(2), "not a branch");
        check(r#"["null", "long"]"#, &long(-1), "not a branch");
        check(r#"{"type": "enum", "name": "E", "symbols": ["A"]}"#, &long(1), "not a symbol");
        check(r#""string""#, &[4, 0xc3, 0x28], "not UTF-8");
        check(r#"{"type": "string", "logicalType": "uuid"}"#, &[6, b'a', b'b', b'c'], "not one");
    }

    #[test]
    fn the_budget_bounds_what_one_decoding_produces_and_how_long_it_takes() {
        let schema = WriterSchema::parse(r#"{"type": "array", "items": "string"}"#).unwrap();
        let mut items = long(3000);
        for _ in 0..3000 {
            items.extend([2, b'x']);
        }
        items.push(0);

        let mut small = Budget { values: 100, ..budget() };
        let mut short = Budget { text: 100, ..budget() };
        let mut late = Budget { deadline: Instant::now(), ..budget() };
        let mut enough = budget();

        assert_eq!(schema.decode(&items, &mut small), Err(Undecodable::TooLarge));
        assert_eq!(schema.decode(&items, &mut short), Err(Undecodable::TooLarge));
        assert_eq!(schema.decode(&items, &mut late), Err(Undecodable::TooSlow));
        assert_eq!(schema.decode(&items, &mut enough).unwrap().as_array().unwrap().len(), 3000);
        assert_eq!(enough.values, budget().values - 3001, "the array and each string");
    }

    #[test]
    fn a_schema_that_cannot_be_read_says_why() {
        let error =
            WriterSchema::parse(r#"{"type": "record", "name": "R", "fields": [{"name": "x", "type": "Nope"}]}"#)
                .unwrap_err();
        assert!(error.contains("Nope"), "{error}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for schema in [RECURSIVE, EVERYTHING, r#"{"type": "map", "values": {"type": "array", "items": "null"}}"#] {
                let _ = decode(schema, &bytes);
            }
        }

        #[test]
        fn random_bytes_after_a_valid_prefix_never_panic(cut in 0_usize..200, tail in proptest::collection::vec(any::<u8>(), 0..64)) {
            let schema = Schema::parse_str(EVERYTHING).unwrap();
            let mut bytes = apache_avro::to_avro_datum(&schema, everything()).unwrap();
            bytes.truncate(cut);
            bytes.extend(tail);
            let _ = decode(EVERYTHING, &bytes);
        }
    }
}
