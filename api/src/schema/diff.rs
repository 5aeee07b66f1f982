//! The changes between two versions of a schema, field by field, each judged breaking or not under a compatibility
//! level by Avro's resolution rules.

use super::fields::*;
use super::*;

/// Every difference between two versions of a schema, field by field, each marked breaking or not under `level`.
pub fn changes(old: &str, new: &str, level: CompatibilityLevel) -> Result<Vec<SchemaChange>, SchemaError> {
    let old = parse(old, "old schema")?;
    let new = parse(new, "new schema")?;
    let mut diff = Diff {
        old_names: names(&old, "old schema")?,
        new_names: names(&new, "new schema")?,
        directions: directions(level),
        open: Vec::new(),
        changes: Vec::new(),
    };
    diff.types("", &old, &new);
    Ok(diff.changes)
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
    /// The pairs of records being compared further up, so a recursive type is compared once.
    open: Vec<(&'a Name, &'a Name)>,
    changes: Vec<SchemaChange>,
}

impl<'a> Diff<'a> {
    fn push(&mut self, kind: ChangeKind, path: &str, what: String, impact: Impact) {
        let failures: Vec<String> = self
            .directions
            .iter()
            .filter(|direction| impact.breaks_in(**direction))
            .map(|direction| direction.consumers_fail(&impact.qualifier))
            .collect();
        let breaking = !failures.is_empty();
        let description = if breaking { format!("{what}: {}; {}", failures.join(", and "), impact.fix) } else { what };
        self.changes.push(SchemaChange { kind, path: path.to_owned(), description, breaking });
    }

    /// Compares the types at `path`: whether null is allowed, then what else is.
    fn types(&mut self, path: &str, old: &'a Schema, new: &'a Schema) {
        let (old_null, old_branches) = split_null(old);
        let (new_null, new_branches) = split_null(new);
        self.nullability(path, old_null, new_null);
        match (old_branches.as_slice(), new_branches.as_slice()) {
            ([old], [new]) => self.single(path, old, new),
            _ => self.branches(path, &old_branches, &new_branches),
        }
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
        // A type used again by name is compared where it is defined.
        if let (Schema::Ref { name: old_name }, Schema::Ref { name: new_name }) = (old, new)
            && old_name.name == new_name.name
        {
            return;
        }
        match (resolve(old, &self.old_names), resolve(new, &self.new_names)) {
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
        let old_ids: Vec<_> = old.iter().map(|branch| identity(branch, &self.old_names)).collect();
        let new_ids: Vec<_> = new.iter().map(|branch| identity(branch, &self.new_names)).collect();
        for (old_branch, old_id) in old.iter().zip(&old_ids) {
            match new_ids.iter().position(|new_id| new_id == old_id) {
                Some(at) => self.single(path, old_branch, new[at]),
                None => self.branch_removed(path, old_branch, new),
            }
        }
        for (new_branch, _) in new.iter().zip(&new_ids).filter(|(_, new_id)| !old_ids.contains(new_id)) {
            self.branch_added(path, new_branch, old);
        }
    }

    fn branch_removed(&mut self, path: &str, removed: &'a Schema, new: &[&'a Schema]) {
        let removed = resolve(removed, &self.old_names);
        let readable = new.iter().any(|branch| can_read(removed, resolve(branch, &self.new_names)));
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
        let readable = old.iter().any(|branch| can_read(added, resolve(branch, &self.old_names)));
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
        if self.open.contains(&(&old.name, &new.name)) {
            return;
        }
        self.open.push((&old.name, &new.name));
        self.renamed_type(path, "record", (&old.name, &old.aliases), (&new.name, &new.aliases));
        for new_field in &new.fields {
            match counterpart(old, new, new_field) {
                Some(old_field) => self.field(path, old_field, new_field),
                None => self.field_added(path, new_field),
            }
        }
        for old_field in old.fields.iter().filter(|old_field| !has_counterpart(old, new, old_field)) {
            self.field_removed(path, old_field);
        }
        self.open.pop();
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

/// The old record's field that `new_field` reads: the one of the same name, else one its aliases name.
pub(super) fn counterpart<'a>(
    old: &'a RecordSchema,
    new: &RecordSchema,
    new_field: &RecordField,
) -> Option<&'a RecordField> {
    let by_name = |name: &str| old.fields.iter().find(|field| field.name == name);
    by_name(&new_field.name).or_else(|| {
        new_field
            .aliases
            .iter()
            .flatten()
            // An alias naming a field the new record still has is not a rename.
            .filter(|alias| new.fields.iter().all(|field| field.name != **alias))
            .find_map(|alias| by_name(alias))
    })
}

pub(super) fn has_counterpart(old: &RecordSchema, new: &RecordSchema, old_field: &RecordField) -> bool {
    new.fields
        .iter()
        .any(|new_field| counterpart(old, new, new_field).is_some_and(|found| found.name == old_field.name))
}

/// The symbols of `from` that `to` does not have.
pub(super) fn missing<'s>(from: &'s [String], to: &[String]) -> Vec<&'s str> {
    from.iter().filter(|symbol| !to.contains(symbol)).map(String::as_str).collect()
}
