//! The registry's state and every operation on it, in memory and free of HTTP.

use std::collections::{BTreeMap, HashMap};

use crate::compatibility::{self, Checked, Earlier, Level};
use crate::error::RegistryError;
use crate::schema::{Candidate, Reference, SchemaKey, SchemaType, StoredSchema};

/// A version as requests name it: a number, or the latest live one (`latest` or `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionSpec {
    Latest,
    Number(i32),
}

impl VersionSpec {
    pub(crate) fn parse(raw: &str) -> Result<Self, RegistryError> {
        let trimmed = raw.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(Self::Latest);
        }
        match trimmed.parse::<i32>() {
            Ok(-1) => Ok(Self::Latest),
            Ok(number) if number >= 1 => Ok(Self::Number(number)),
            _ => Err(RegistryError::InvalidVersion(raw.to_owned())),
        }
    }
}

/// Whether soft-deleted versions count, from the `deleted` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleted {
    Hidden,
    Included,
}

#[derive(Debug, Clone, Copy)]
struct VersionEntry {
    version: i32,
    id: i32,
    deleted: bool,
}

impl VersionEntry {
    fn visible(&self, deleted: Deleted) -> bool {
        !self.deleted || deleted == Deleted::Included
    }
}

#[derive(Debug, Default)]
struct Subject {
    /// In registration order, so the last live entry is the latest version.
    versions: Vec<VersionEntry>,
    level: Option<Level>,
}

impl Subject {
    fn visible(&self, deleted: Deleted) -> impl DoubleEndedIterator<Item = &VersionEntry> {
        self.versions.iter().filter(move |v| v.visible(deleted))
    }

    fn has_live_versions(&self) -> bool {
        self.versions.iter().any(|v| !v.deleted)
    }
}

/// A subject's version with its schema, as the API shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VersionView<'a> {
    pub version: i32,
    pub schema: &'a StoredSchema,
}

/// Every schema, subject and compatibility setting the registry holds.
#[derive(Debug)]
pub(crate) struct Registry {
    /// Indexed by id - 1: ids are dense and never reused.
    schemas: Vec<StoredSchema>,
    ids: HashMap<SchemaKey, i32>,
    subjects: BTreeMap<String, Subject>,
    global_level: Level,
}

impl Default for Registry {
    fn default() -> Self {
        Self { schemas: Vec::new(), ids: HashMap::new(), subjects: BTreeMap::new(), global_level: Level::Backward }
    }
}

impl Registry {
    pub(crate) fn subjects(&self, deleted: Deleted) -> Vec<String> {
        self.subjects
            .iter()
            .filter(|(_, s)| s.visible(deleted).next().is_some())
            .map(|(name, _)| name.clone())
            .collect()
    }

    pub(crate) fn versions(&self, subject: &str, deleted: Deleted) -> Result<Vec<i32>, RegistryError> {
        let versions: Vec<i32> = self.subject(subject)?.visible(deleted).map(|v| v.version).collect();
        if versions.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        Ok(versions)
    }

    pub(crate) fn version(
        &self,
        subject: &str,
        spec: VersionSpec,
        deleted: Deleted,
    ) -> Result<VersionView<'_>, RegistryError> {
        let entry = self.entry(subject, spec, deleted)?;
        Ok(VersionView { version: entry.version, schema: self.stored(entry.id) })
    }

    pub(crate) fn schema(&self, id: i32) -> Result<&StoredSchema, RegistryError> {
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.schemas.get(i))
            .ok_or(RegistryError::SchemaIdNotFound(id))
    }

    /// Every (subject, version) that uses schema `id`.
    pub(crate) fn usages(&self, id: i32, deleted: Deleted) -> Result<Vec<(&str, i32)>, RegistryError> {
        self.schema(id)?;
        Ok(self
            .subjects
            .iter()
            .flat_map(|(name, s)| s.visible(deleted).filter(|v| v.id == id).map(move |v| (name.as_str(), v.version)))
            .collect())
    }

    /// Checks a schema from a request, resolving its references against the registered versions.
    pub(crate) fn candidate(
        &self,
        schema_type: SchemaType,
        text: String,
        references: Vec<Reference>,
    ) -> Result<Candidate, RegistryError> {
        let mut referenced = Vec::new();
        for reference in &references {
            self.collect_referenced(reference, &mut referenced, 0)?;
        }
        let texts: Vec<&str> =
            referenced.iter().filter(|s| s.schema_type == SchemaType::Avro).map(|s| s.text.as_str()).collect();
        Candidate::parse(schema_type, text, references, &texts)
    }

    /// Adds the schema `reference` names, and everything it references in turn, to `found`.
    fn collect_referenced<'a>(
        &'a self,
        reference: &Reference,
        found: &mut Vec<&'a StoredSchema>,
        depth: usize,
    ) -> Result<(), RegistryError> {
        if depth > 64 {
            return Err(RegistryError::InvalidSchema("Invalid schema: references nest too deeply".to_owned()));
        }
        let spec = VersionSpec::parse(&reference.version.to_string()).map_err(|_| {
            RegistryError::InvalidSchema(format!(
                "Invalid schema: reference `{}` names version {} of subject '{}', which is not a valid version",
                reference.name, reference.version, reference.subject
            ))
        })?;
        let view = self.version(&reference.subject, spec, Deleted::Hidden).map_err(|_| {
            RegistryError::InvalidSchema(format!(
                "Invalid schema: reference `{}` names version {} of subject '{}', which is not registered",
                reference.name, reference.version, reference.subject
            ))
        })?;
        if found.iter().any(|s| s.id == view.schema.id) {
            return Ok(());
        }
        found.push(view.schema);
        for nested in &view.schema.references {
            self.collect_referenced(nested, found, depth + 1)?;
        }
        Ok(())
    }

    /// Registers `candidate` under `subject` and returns its global id. Registering a schema the subject already
    /// has returns the existing id; a schema already known under another subject keeps its id.
    pub(crate) fn register(&mut self, subject: &str, candidate: Candidate) -> Result<i32, RegistryError> {
        if let Some(existing) = self.find_in_subject(subject, &candidate.key, Deleted::Hidden) {
            return Ok(existing.id);
        }
        let messages = self.check(subject, &candidate, None)?;
        if !messages.is_empty() {
            return Err(RegistryError::Incompatible { subject: subject.to_owned(), details: messages });
        }
        let id = match self.ids.get(&candidate.key) {
            Some(&id) => id,
            None => {
                let id = i32::try_from(self.schemas.len() + 1).map_err(|_| RegistryError::Store)?;
                self.ids.insert(candidate.key.clone(), id);
                self.schemas.push(candidate.into_stored(id));
                id
            }
        };
        let entry = self.subjects.entry(subject.to_owned()).or_default();
        let version = entry.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        entry.versions.push(VersionEntry { version, id, deleted: false });
        tracing::info!(subject, version, id, "registered a schema");
        Ok(id)
    }

    /// The version of `subject` whose schema is `candidate`.
    pub(crate) fn lookup(
        &self,
        subject: &str,
        candidate: &Candidate,
        deleted: Deleted,
    ) -> Result<VersionView<'_>, RegistryError> {
        if self.subject(subject)?.visible(deleted).next().is_none() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        let entry = self.find_in_subject(subject, &candidate.key, deleted).ok_or(RegistryError::SchemaNotFound)?;
        Ok(VersionView { version: entry.version, schema: self.stored(entry.id) })
    }

    /// Checks `candidate` against one version of `subject`, or when `against` is `None` against the versions a
    /// registration would be checked against. Returns Confluent's verbose messages; empty means compatible.
    pub(crate) fn check(
        &self,
        subject: &str,
        candidate: &Candidate,
        against: Option<VersionSpec>,
    ) -> Result<Vec<String>, RegistryError> {
        let level = self.effective_level(subject);
        let live: Vec<&VersionEntry> = match self.subjects.get(subject) {
            Some(s) => s.visible(Deleted::Hidden).rev().collect(),
            None => Vec::new(),
        };
        let chosen: Vec<&VersionEntry> = match against {
            None if level.is_transitive() => live,
            None | Some(VersionSpec::Latest) => live.into_iter().take(1).collect(),
            Some(VersionSpec::Number(number)) => {
                let entry = live.into_iter().find(|v| v.version == number).ok_or_else(|| {
                    if self.subjects.get(subject).is_some_and(Subject::has_live_versions) {
                        RegistryError::VersionNotFound(number)
                    } else {
                        RegistryError::SubjectNotFound(subject.to_owned())
                    }
                })?;
                vec![entry]
            }
        };
        let earlier: Vec<Earlier<'_>> =
            chosen.into_iter().map(|v| Earlier { version: v.version, schema: self.stored(v.id) }).collect();
        let new = Checked { schema_type: candidate.schema_type, avro: candidate.avro.as_ref() };
        compatibility::check(level, subject, new, &earlier)
    }

    /// Soft-deletes every live version of `subject`, or with `permanent` forgets the already soft-deleted ones.
    /// Returns the versions deleted.
    pub(crate) fn delete_subject(&mut self, subject: &str, permanent: bool) -> Result<Vec<i32>, RegistryError> {
        let entry = self.subject(subject)?;
        if entry.versions.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        let live = entry.has_live_versions();
        if permanent && live {
            return Err(RegistryError::SubjectNotSoftDeleted(subject.to_owned()));
        }
        if !permanent && !live {
            return Err(RegistryError::SubjectSoftDeleted(subject.to_owned()));
        }
        // A soft delete answers with the live versions it hid, a permanent one with the hidden versions it forgot.
        let deleted: Vec<i32> = entry.versions.iter().filter(|v| v.deleted == permanent).map(|v| v.version).collect();
        for &version in &deleted {
            self.refuse_if_referenced(subject, version)?;
        }
        let entry = self.subjects.get_mut(subject).ok_or(RegistryError::Store)?;
        if permanent {
            self.subjects.remove(subject);
        } else {
            entry.versions.iter_mut().for_each(|v| v.deleted = true);
            // Confluent drops a subject's compatibility setting along with the subject.
            entry.level = None;
        }
        tracing::info!(subject, permanent, ?deleted, "deleted a subject");
        Ok(deleted)
    }

    /// Soft-deletes one version, or with `permanent` forgets an already soft-deleted one. Returns its number.
    pub(crate) fn delete_version(
        &mut self,
        subject: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i32, RegistryError> {
        let scope = if permanent { Deleted::Included } else { Deleted::Hidden };
        let found = self.entry(subject, spec, scope);
        let entry = match (found, spec) {
            (Ok(entry), _) => *entry,
            // A soft-deleted version asked for by number gets Confluent's precise answer.
            (Err(RegistryError::VersionNotFound(_)), VersionSpec::Number(number)) => {
                match self.subject(subject)?.versions.iter().find(|v| v.version == number) {
                    Some(_) => {
                        return Err(RegistryError::VersionSoftDeleted { subject: subject.to_owned(), version: number });
                    }
                    None => return Err(RegistryError::VersionNotFound(number)),
                }
            }
            (Err(error), _) => return Err(error),
        };
        if permanent && !entry.deleted {
            return Err(RegistryError::VersionNotSoftDeleted { subject: subject.to_owned(), version: entry.version });
        }
        self.refuse_if_referenced(subject, entry.version)?;
        let versions = &mut self.subjects.get_mut(subject).ok_or(RegistryError::Store)?.versions;
        if permanent {
            versions.retain(|v| v.version != entry.version);
            if versions.is_empty() {
                self.subjects.remove(subject);
            }
        } else if let Some(v) = versions.iter_mut().find(|v| v.version == entry.version) {
            v.deleted = true;
        }
        tracing::info!(subject, version = entry.version, permanent, "deleted a version");
        Ok(entry.version)
    }

    pub(crate) fn global_level(&self) -> Level {
        self.global_level
    }

    pub(crate) fn set_global_level(&mut self, level: Level) {
        self.global_level = level;
    }

    /// The subject's own level, or with `default_to_global` the level that applies to it.
    pub(crate) fn subject_level(&self, subject: &str, default_to_global: bool) -> Result<Level, RegistryError> {
        match self.subjects.get(subject).and_then(|s| s.level) {
            Some(level) => Ok(level),
            None if default_to_global => Ok(self.global_level),
            None => Err(RegistryError::NoSubjectLevelCompatibility(subject.to_owned())),
        }
    }

    pub(crate) fn set_subject_level(&mut self, subject: &str, level: Level) {
        self.subjects.entry(subject.to_owned()).or_default().level = Some(level);
    }

    /// Removes the subject's own level and returns it; the global level applies from then on.
    pub(crate) fn delete_subject_level(&mut self, subject: &str) -> Result<Level, RegistryError> {
        let entry = self.subjects.get_mut(subject).ok_or_else(|| RegistryError::SubjectNotFound(subject.to_owned()))?;
        let level = entry.level.take().ok_or_else(|| RegistryError::SubjectNotFound(subject.to_owned()))?;
        if entry.versions.is_empty() {
            self.subjects.remove(subject);
        }
        Ok(level)
    }

    fn effective_level(&self, subject: &str) -> Level {
        self.subjects.get(subject).and_then(|s| s.level).unwrap_or(self.global_level)
    }

    fn subject(&self, subject: &str) -> Result<&Subject, RegistryError> {
        self.subjects.get(subject).ok_or_else(|| RegistryError::SubjectNotFound(subject.to_owned()))
    }

    fn entry(&self, subject: &str, spec: VersionSpec, deleted: Deleted) -> Result<&VersionEntry, RegistryError> {
        let entry = self.subject(subject)?;
        if entry.visible(deleted).next().is_none() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        match spec {
            VersionSpec::Latest => entry.visible(deleted).next_back(),
            VersionSpec::Number(number) => entry.visible(deleted).find(|v| v.version == number),
        }
        .ok_or(match spec {
            VersionSpec::Latest => RegistryError::SubjectNotFound(subject.to_owned()),
            VersionSpec::Number(number) => RegistryError::VersionNotFound(number),
        })
    }

    fn find_in_subject(&self, subject: &str, key: &SchemaKey, deleted: Deleted) -> Option<&VersionEntry> {
        self.subjects.get(subject)?.visible(deleted).find(|v| &self.stored(v.id).key == key)
    }

    /// Confluent refuses to delete a version another live schema references.
    fn refuse_if_referenced(&self, subject: &str, version: i32) -> Result<(), RegistryError> {
        let referenced = self
            .subjects
            .values()
            .flat_map(|s| s.visible(Deleted::Hidden))
            .any(|v| self.stored(v.id).references.iter().any(|r| r.subject == subject && r.version == version));
        if referenced {
            return Err(RegistryError::ReferenceExists { subject: subject.to_owned(), version });
        }
        Ok(())
    }

    /// The schema behind an id taken from a version entry, which always exists.
    fn stored(&self, id: i32) -> &StoredSchema {
        &self.schemas[usize::try_from(id - 1).unwrap_or_default()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_confluent_documents_them() {
        let check = |raw: &str, expected: Result<VersionSpec, ()>| {
            assert_eq!(VersionSpec::parse(raw).map_err(|_| ()), expected, "`{raw}`");
        };
        check("latest", Ok(VersionSpec::Latest));
        check("-1", Ok(VersionSpec::Latest));
        check("1", Ok(VersionSpec::Number(1)));
        check("2147483647", Ok(VersionSpec::Number(i32::MAX)));
        check("0", Err(()));
        check("-2", Err(()));
        check("2147483648", Err(()));
        check("one", Err(()));
    }
}
