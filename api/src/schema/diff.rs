//! The changes between two versions of a schema, field by field, each judged breaking or not under a compatibility
//! level by Avro's resolution rules.
//!
//! The work is polynomial and bounded: each pair of named types is compared once, fields are matched through maps
//! rather than nested scans, and the walk stops with [`SchemaError::TooComplex`] past [`MAX_NESTING`] levels, past
//! [`MAX_COMPARED_FIELDS`] compared fields or past [`MAX_DESCRIBED_BYTES`] of changes.

use super::fields::*;
use super::*;

/// The most fields a comparison looks at, counted per pair of records compared: ten times what one schema may
/// have, so two versions within bounds never reach it unless their references are arranged to multiply the work.
pub const MAX_COMPARED_FIELDS: usize = 10 * MAX_FIELDS;
/// The most text the changes may take (descriptions and paths): an answer that fits well within Lambda's 6 MB.
pub const MAX_DESCRIBED_BYTES: usize = 2 * 1024 * 1024;

/// Every difference between two versions of a schema, field by field, each marked breaking or not under `level`.
pub fn changes(old: &str, new: &str, level: CompatibilityLevel) -> Result<Vec<SchemaChange>, SchemaError> {
    let old = parse(old, "old schema")?;
    let new = parse(new, "new schema")?;
    let mut diff = Diff {
        old_names: names(&old, "old schema")?,
        new_names: names(&new, "new schema")?,
        directions: directions(level),
        compared: HashSet::new(),
        depth: 0,
        fields_compared: 0,
        described: 0,
        beyond: None,
        changes: Vec::new(),
    };
    diff.types("", &old, &new);
    match diff.beyond {
        Some(reason) => Err(SchemaError::TooComplex { reason }),
        None => Ok(diff.changes),
    }
}

/// Which way data flows between versions: backward, the new schema reads old data; forward, the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Backward,
    Forward,
}

impl Direction {
    fn consumers_fail(self, qualifier: &str) -> String {
        match self {
            Self::Backward => format!("consumers on the new schema cannot read older events{qualifier}"),
            Self::Forward => format!("consumers on the old schema cannot read newer events{qualifier}"),
        }
    }
}

pub(super) fn directions(level: CompatibilityLevel) -> &'static [Direction] {
    match level {
        CompatibilityLevel::None => &[],
        CompatibilityLevel::Backward | CompatibilityLevel::BackwardTransitive => &[Direction::Backward],
        CompatibilityLevel::Forward | CompatibilityLevel::ForwardTransitive => &[Direction::Forward],
        CompatibilityLevel::Full | CompatibilityLevel::FullTransitive => &[Direction::Backward, Direction::Forward],
    }
}

/// Whom a change breaks, which events they fail on, and what to do instead.
#[derive(Debug, Default)]
pub(super) struct Impact {
    backward: bool,
    forward: bool,
    /// Narrows "cannot read older events" down, e.g. " where it is null".
    qualifier: String,
    fix: &'static str,
}

impl Impact {
    fn harmless() -> Self {
        Self::default()
    }

    fn breaks(backward: bool, forward: bool, fix: &'static str) -> Self {
        Self { backward, forward, qualifier: String::new(), fix }
    }

    fn on_events(self, qualifier: impl Into<String>) -> Self {
        Self { qualifier: qualifier.into(), ..self }
    }

    fn breaks_in(&self, direction: Direction) -> bool {
        match direction {
            Direction::Backward => self.backward,
            Direction::Forward => self.forward,
        }
    }
}

/// Two schemas being compared, and what was found so far.
pub(super) struct Diff<'a> {
    old_names: Names<'a>,
    new_names: Names<'a>,
    directions: &'static [Direction],
    /// The pairs of named types (old, new) compared already or being compared further up, by full name.
    compared: HashSet<(&'a Name, &'a Name)>,
    /// How many types deep the walk is.
    depth: usize,
    fields_compared: usize,
    /// Bytes of the changes' descriptions and paths.
    described: usize,
    /// The bound the comparison went beyond, in words; once set, nothing more is compared.
    beyond: Option<String>,
    changes: Vec<SchemaChange>,
}

impl<'a> Diff<'a> {
    fn push(&mut self, kind: ChangeKind, path: &str, what: String, impact: Impact) {
        if self.beyond.is_some() {
            return;
        }
        let failures: Vec<String> = self
            .directions
            .iter()
            .filter(|direction| impact.breaks_in(**direction))
            .map(|direction| direction.consumers_fail(&impact.qualifier))
            .collect();
        let breaking = !failures.is_empty();
        let description = if breaking { format!("{what}: {}; {}", failures.join(", and "), impact.fix) } else { what };
        self.described += description.len() + path.len();
        if self.described > MAX_DESCRIBED_BYTES {
            self.stop(format!("their changes would take more than {MAX_DESCRIBED_BYTES} bytes to describe"));
        }
        self.changes.push(SchemaChange { kind, path: path.to_owned(), description, breaking });
    }

    /// Ends the comparison: nothing more is compared, and [`changes`] answers `reason`.
    fn stop(&mut self, reason: String) {
        self.beyond.get_or_insert(reason);
    }

    /// Compares the types at `path`: whether null is allowed, then what else is.
    fn types(&mut self, path: &str, old: &'a Schema, new: &'a Schema) {
        if self.beyond.is_some() {
            return;
        }
        // References make a walk deeper than either text nests, e.g. a chain of records compared with one that
        // refers to itself; this bounds the stack either way.
        if self.depth > MAX_NESTING {
            return self.stop(format!("comparing them goes more than {MAX_NESTING} types deep"));
        }
        self.depth += 1;
        let (old_null, old_branches) = split_null(old);
        let (new_null, new_branches) = split_null(new);
        self.nullability(path, old_null, new_null);
        match (old_branches.as_slice(), new_branches.as_slice()) {
            ([old], [new]) => self.single(path, old, new),
            _ => self.branches(path, &old_branches, &new_branches),
        }
        self.depth -= 1;
    }

    fn nullability(&mut self, path: &str, old_null: bool, new_null: bool) {
        let subject = subject(path);
        match (old_null, new_null) {
            (false, true) => self.push(
                ChangeKind::BecameOptional,
                path,
                format!("{subject} became optional (it may now be null)"),
                Impact::breaks(false, true, "keep it required, or add a new optional field instead")
                    .on_events(" where it is null"),
            ),
            (true, false) => self.push(
                ChangeKind::BecameRequired,
                path,
                format!("{subject} is no longer optional"),
                Impact::breaks(true, false, "keep it optional").on_events(" where it is null"),
            ),
            _ => {}
        }
    }

    /// Compares two types that are not unions.
    fn single(&mut self, path: &str, old: &'a Schema, new: &'a Schema) {
        let (old, new) = (resolve(old, &self.old_names), resolve(new, &self.new_names));
        // A pair of named types is compared once, where it is met first: its changes are reported once however
        // often it is used, a recursive type ends, and a type defined inline on one side and referred to by name
        // on the other is not compared again at every use (which doubled the work at every level of nesting).
        if let (Some(old_name), Some(new_name)) = (old.name(), new.name())
            && !self.compared.insert((old_name, new_name))
        {
            return;
        }
        match (old, new) {
            (Schema::Record(old), Schema::Record(new)) => self.records(path, old, new),
            (Schema::Enum(old), Schema::Enum(new)) => self.enums(path, old, new),
            (Schema::Array(old), Schema::Array(new)) => self.types(path, &old.items, &new.items),
            (Schema::Map(old), Schema::Map(new)) => self.types(path, &old.types, &new.types),
            (Schema::Decimal(old), Schema::Decimal(new)) => self.decimals(path, old, new),
            (old, new) => self.leaves(path, old, new),
        }
    }

    /// Compares unions that are more than "null or one type": branch by branch, matched by kind and name.
    fn branches(&mut self, path: &str, old: &[&'a Schema], new: &[&'a Schema]) {
        let old_ids: HashSet<_> = old.iter().map(|branch| identity(branch, &self.old_names)).collect();
        let new_ids: HashMap<_, _> = new.iter().map(|branch| (identity(branch, &self.new_names), *branch)).collect();
        for &old_branch in old {
            match new_ids.get(&identity(old_branch, &self.old_names)) {
                Some(&new_branch) => self.single(path, old_branch, new_branch),
                None => self.branch_removed(path, old_branch, new),
            }
        }
        for &new_branch in new {
            if !old_ids.contains(&identity(new_branch, &self.new_names)) {
                self.branch_added(path, new_branch, old);
            }
        }
    }

    fn branch_removed(&mut self, path: &str, removed: &'a Schema, new: &[&'a Schema]) {
        let removed = resolve(removed, &self.old_names);
        let readable = read_by_any(removed, new.iter().map(|branch| resolve(branch, &self.new_names)));
        let what = describe(removed);
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} no longer allows {what}", subject(path)),
            Impact::breaks(!readable, false, "keep that branch of the union").on_events(format!(" holding {what}")),
        );
    }

    fn branch_added(&mut self, path: &str, added: &'a Schema, old: &[&'a Schema]) {
        let added = resolve(added, &self.new_names);
        let readable = read_by_any(added, old.iter().map(|branch| resolve(branch, &self.old_names)));
        let what = describe(added);
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} now also allows {what}", subject(path)),
            Impact::breaks(false, !readable, "add a new field for it instead").on_events(format!(" holding {what}")),
        );
    }

    /// Compares primitive, logical and fixed types (and types of different kinds) with apache-avro's promotions.
    fn leaves(&mut self, path: &str, old: &Schema, new: &Schema) {
        if same_leaf(old, new) {
            return;
        }
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} changed from {} to {}", subject(path), describe(old), describe(new)),
            Impact::breaks(!can_read(old, new), !can_read(new, old), "add a new field with the new type instead"),
        );
    }

    fn decimals(&mut self, path: &str, old: &DecimalSchema, new: &DecimalSchema) {
        let same_inner = same_leaf(&old.inner, &new.inner);
        if same_inner && old.precision == new.precision && old.scale == new.scale {
            return;
        }
        // By the spec, decimals match only with the same precision and scale: other values would be misread.
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} changed from {} to {}", subject(path), describe_decimal(old), describe_decimal(new)),
            Impact::breaks(true, true, "add a new field with the new precision and scale instead"),
        );
    }

    fn records(&mut self, path: &str, old: &'a RecordSchema, new: &'a RecordSchema) {
        self.fields_compared += old.fields.len() + new.fields.len();
        if self.fields_compared > MAX_COMPARED_FIELDS {
            return self.stop(format!("comparing them looks at more than {MAX_COMPARED_FIELDS} fields"));
        }
        self.renamed_type(path, "record", (&old.name, &old.aliases), (&new.name, &new.aliases));
        let fields = Fields::of(old, new);
        // The old fields some new field reads; the others were removed.
        let mut read = HashSet::new();
        for new_field in &new.fields {
            match fields.counterpart(new_field) {
                Some(old_field) => {
                    read.insert(old_field.name.as_str());
                    self.field(path, old_field, new_field);
                }
                None => self.field_added(path, new_field),
            }
        }
        for old_field in old.fields.iter().filter(|old_field| !read.contains(old_field.name.as_str())) {
            self.field_removed(path, old_field);
        }
    }

    fn field(&mut self, parent: &str, old: &'a RecordField, new: &'a RecordField) {
        let path = join(parent, &new.name);
        if old.name != new.name {
            self.field_renamed(parent, old, new);
        }
        self.doc(&path, old.doc.as_deref(), new.doc.as_deref());
        self.default(&path, old.default.as_ref(), new.default.as_ref());
        self.types(&path, &old.schema, &new.schema);
    }

    fn field_added(&mut self, parent: &str, field: &RecordField) {
        let path = join(parent, &field.name);
        let what = match &field.default {
            Some(default) => format!("field `{path}` was added with default {default}"),
            None => format!("field `{path}` was added without a default"),
        };
        let impact = Impact::breaks(field.default.is_none(), false, "give it a default");
        self.push(ChangeKind::FieldAdded, &path, what, impact);
    }

    fn field_removed(&mut self, parent: &str, field: &RecordField) {
        let path = join(parent, &field.name);
        let what = match &field.default {
            Some(default) => {
                format!("field `{path}` was removed; consumers on the old schema read its default {default}")
            }
            None => format!("field `{path}` was removed and had no default"),
        };
        let fix = "give it a default in a version of its own first, then remove it";
        self.push(ChangeKind::FieldRemoved, &path, what, Impact::breaks(false, field.default.is_none(), fix));
    }

    /// A field found under an alias: consumers on the new schema find the old name; those on the old schema
    /// find the new one only if the old field lists it, and otherwise fall back to the old field's default.
    fn field_renamed(&mut self, parent: &str, old: &RecordField, new: &RecordField) {
        let old_knows_new = old.aliases.iter().flatten().any(|alias| *alias == new.name);
        let forward = !old_knows_new && old.default.is_none();
        self.push(
            ChangeKind::Renamed,
            &join(parent, &new.name),
            format!("field `{}` was renamed to `{}`", join(parent, &old.name), new.name),
            Impact::breaks(false, forward, "give the old field a default in a version of its own first"),
        );
    }

    fn doc(&mut self, path: &str, old: Option<&str>, new: Option<&str>) {
        let what = match (old, new) {
            (None, Some(new)) => format!("field `{path}` got a description: \"{new}\""),
            (Some(_), None) => format!("field `{path}` lost its description"),
            (Some(old), Some(new)) if old != new => format!("the description of field `{path}` changed to \"{new}\""),
            _ => return,
        };
        self.push(ChangeKind::DocChanged, path, what, Impact::harmless());
    }

    /// Defaults only matter when the writer lacks the field, so changing one never breaks this pair of versions;
    /// it decides whether a later version may add or remove the field.
    fn default(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        let (kind, what) = match (old, new) {
            (None, Some(new)) => (ChangeKind::DefaultAdded, format!("field `{path}` now has default {new}")),
            (Some(old), None) => {
                (ChangeKind::DefaultRemoved, format!("field `{path}` no longer has a default (it was {old})"))
            }
            (Some(old), Some(new)) if old != new => {
                (ChangeKind::DefaultChanged, format!("the default of field `{path}` changed from {old} to {new}"))
            }
            _ => return,
        };
        self.push(kind, path, what, Impact::harmless());
    }

    fn enums(&mut self, path: &str, old: &EnumSchema, new: &EnumSchema) {
        self.renamed_type(path, "enum", (&old.name, &old.aliases), (&new.name, &new.aliases));
        let removed = missing(&old.symbols, &new.symbols);
        let added = missing(&new.symbols, &old.symbols);
        let subject = subject(path);
        if !removed.is_empty() {
            // Consumers on the new schema meet the removed symbols in older events; their enum's default saves them.
            self.push(
                ChangeKind::SymbolsChanged,
                path,
                format!("{subject} lost enum symbol(s) {}", removed.join(", ")),
                Impact::breaks(new.default.is_none(), false, "keep the symbols, or give the enum a default")
                    .on_events(format!(" holding {}", removed.join(" or "))),
            );
        }
        if !added.is_empty() {
            self.push(
                ChangeKind::SymbolsChanged,
                path,
                format!("{subject} gained enum symbol(s) {}", added.join(", ")),
                Impact::breaks(false, old.default.is_none(), "give the enum a default in a version of its own first")
                    .on_events(format!(" holding {}", added.join(" or "))),
            );
        }
        if removed.is_empty() && added.is_empty() && old.symbols != new.symbols {
            self.push(
                ChangeKind::SymbolsChanged,
                path,
                format!("{subject}'s enum symbols were reordered"),
                Impact::harmless(),
            );
        }
        self.enum_default(path, old.default.as_deref(), new.default.as_deref());
    }

    fn enum_default(&mut self, path: &str, old: Option<&str>, new: Option<&str>) {
        let subject = subject(path);
        let (kind, what) = match (old, new) {
            (None, Some(new)) => {
                (ChangeKind::DefaultAdded, format!("{subject}'s enum now falls back to `{new}` for unknown symbols"))
            }
            (Some(old), None) => {
                (ChangeKind::DefaultRemoved, format!("{subject}'s enum no longer falls back to `{old}`"))
            }
            (Some(old), Some(new)) if old != new => {
                (ChangeKind::DefaultChanged, format!("{subject}'s enum now falls back to `{new}` instead of `{old}`"))
            }
            _ => return,
        };
        self.push(kind, path, what, Impact::harmless());
    }

    /// A record or enum whose name changed: readers match named types by name, or by an alias for the writer's.
    fn renamed_type(
        &mut self,
        path: &str,
        kind: &str,
        (old, old_aliases): (&Name, &Option<Vec<Alias>>),
        (new, new_aliases): (&Name, &Option<Vec<Alias>>),
    ) {
        if old.name == new.name {
            if old.namespace != new.namespace {
                let what = format!(
                    "the {kind} `{}`{} moved from namespace `{}` to `{}`",
                    new.name,
                    of_field(path),
                    old.namespace.as_deref().unwrap_or(""),
                    new.namespace.as_deref().unwrap_or("")
                );
                self.push(ChangeKind::TypeChanged, path, what, Impact::harmless());
            }
            return;
        }
        let knows = |aliases: &Option<Vec<Alias>>, name: &Name| aliases.iter().flatten().any(|a| a.name() == name.name);
        let impact = Impact::breaks(
            !knows(new_aliases, old),
            !knows(old_aliases, new),
            "keep the old name, or list it in the new type's `aliases`",
        );
        let what = format!("the {kind} `{}`{} was renamed to `{}`", old.name, of_field(path), new.name);
        self.push(ChangeKind::TypeChanged, path, what, impact);
    }
}

pub(super) fn subject(path: &str) -> String {
    if path.is_empty() { "the value".to_owned() } else { format!("field `{path}`") }
}

/// Names the field a nested type belongs to; nothing for the top level.
pub(super) fn of_field(path: &str) -> String {
    if path.is_empty() { String::new() } else { format!(" of field `{path}`") }
}

pub(super) fn resolve<'a>(schema: &'a Schema, names: &Names<'a>) -> &'a Schema {
    match schema {
        Schema::Ref { name } => names.get(name).copied().unwrap_or(schema),
        other => other,
    }
}

/// What identifies a union branch: Avro allows one branch per kind, except named types, told apart by name.
pub(super) fn identity(branch: &Schema, names: &Names<'_>) -> (SchemaKind, Option<String>) {
    let branch = resolve(branch, names);
    (SchemaKind::from(branch), branch.name().map(|name| name.name.clone()))
}

pub(super) fn same_leaf(old: &Schema, new: &Schema) -> bool {
    match (old, new) {
        (Schema::Fixed(old), Schema::Fixed(new)) => old.name.name == new.name.name && old.size == new.size,
        _ => SchemaKind::from(old) == SchemaKind::from(new),
    }
}

/// Whether data written as `writer` reads as `reader`, for types that are not records, enums or containers (or
/// are of different kinds), by apache-avro's rules.
pub(super) fn can_read(writer: &Schema, reader: &Schema) -> bool {
    SchemaCompatibility::can_read(writer, reader).is_ok()
}

/// Whether a union branch with no counterpart of its kind and name on the other side is read by one of the other
/// side's branches. Only unnamed types read other kinds (an int as a long, a string as bytes); apache-avro matches
/// named types by name alone, and a named branch here has no branch of its name to match. So named branches are
/// left out, which keeps a union of many records from being compared with every other record.
fn read_by_any<'s>(writer: &Schema, readers: impl Iterator<Item = &'s Schema>) -> bool {
    writer.name().is_none() && readers.filter(|reader| reader.name().is_none()).any(|reader| can_read(writer, reader))
}

/// The fields of two versions of a record, indexed by name.
struct Fields<'a> {
    old: HashMap<&'a str, &'a RecordField>,
    new: HashSet<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(old: &'a RecordSchema, new: &'a RecordSchema) -> Self {
        Self {
            old: old.fields.iter().map(|field| (field.name.as_str(), field)).collect(),
            new: new.fields.iter().map(|field| field.name.as_str()).collect(),
        }
    }

    /// The old record's field that `new_field` reads: the one of the same name, else one its aliases name.
    fn counterpart(&self, new_field: &RecordField) -> Option<&'a RecordField> {
        let by_name = |name: &str| self.old.get(name).copied();
        by_name(&new_field.name).or_else(|| {
            new_field
                .aliases
                .iter()
                .flatten()
                // An alias naming a field the new record still has is not a rename.
                .filter(|alias| !self.new.contains(alias.as_str()))
                .find_map(|alias| by_name(alias))
        })
    }
}

/// The symbols of `from` that `to` does not have.
pub(super) fn missing<'s>(from: &'s [String], to: &[String]) -> Vec<&'s str> {
    let to: HashSet<&str> = to.iter().map(String::as_str).collect();
    from.iter().map(String::as_str).filter(|symbol| !to.contains(symbol)).collect()
}
