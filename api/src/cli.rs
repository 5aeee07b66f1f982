//! The `meshport product` command line: products as code from a shell or CI. `lint` checks files against the
//! organisation's policy, `diff` shows what they would change in the catalog and the registry, `apply` imports
//! them (and with `--prune` deprecates what the files' teams no longer describe), `export` writes them.
//!
//! A launcher like `main` and `lambda`: it reads files with `code`'s own bounded reader, checks them with the
//! shared policy, and talks to a Meshport over its HTTP API (`client`); it never touches the catalog or Kafka.

mod client;
mod files;
mod report;
mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use meshport_shared::api::{DeprecateRequest, EvolveRequest};
use meshport_shared::{DataProduct, GovernancePolicy, ProductStatus, SchemaFact, TeamName, validate};

use crate::code;
use client::{Failure, Meshport};
use files::Pair;
use report::{Change, Finding, Format, ProductReport, Report};

/// What a run ends with, for CI: documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing to report: files clean, no breaking change, everything applied.
    Clean = 0,
    /// Findings: policy violations, breaking schema changes, or an import Meshport refused.
    Findings = 1,
    /// A usage, configuration or file error: nothing was checked.
    Usage = 2,
    /// Meshport could not be reached, failed, or refused the token.
    Unreachable = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}

const EXIT_CODES: &str = "Exit codes: 0 clean; 1 findings (policy violations, breaking schema changes, an import \
refused); 2 usage, configuration or file errors; 3 Meshport unreachable, failing, or refusing the token.

Environment: MESHPORT_URL (or --url), and MESHPORT_TOKEN, an API token (`mpt_...`) or a sign-in token, read only \
from the environment so it never lands in a shell history or a process list.";

/// Meshport: a self-service data mesh portal on Kafka. Without a command, `meshport` runs the server.
#[derive(Debug, Parser)]
#[command(name = "meshport", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Products as code: ODPS/ODCS file pairs (`<id>.odps.yaml` + `<id>.odcs.yaml`) in git.
    #[command(subcommand)]
    Product(ProductCommand),
    /// Prints a completion script for a shell, e.g. `meshport completions bash > /etc/bash_completion.d/meshport`.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, clap::Args)]
struct Connection {
    /// Meshport's base URL, e.g. `https://meshport.example.com`.
    #[arg(long, env = "MESHPORT_URL", global = true)]
    url: Option<String>,
    /// Refused: pass the token in MESHPORT_TOKEN.
    #[arg(long, hide = true, global = true)]
    token: Option<String>,
    /// `text` for people, `json` for programs, `github` for GitHub Actions annotations.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum ProductCommand {
    /// Checks file pairs against the organisation's live policy (or `--policy`): every violation at once.
    #[command(after_help = EXIT_CODES)]
    Lint {
        /// Files or directories of file pairs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A governance policy file (JSON, as `GET /api/v1/policy` answers it); then Meshport is not asked.
        #[arg(long)]
        policy: Option<PathBuf>,
        #[command(flatten)]
        connection: Connection,
    },
    /// What the files would change: every field against the catalog's export, and the value schema against the
    /// registry, each schema change marked breaking or not at the subject's compatibility level, as the registry
    /// judges it (a read token is enough).
    #[command(after_help = EXIT_CODES)]
    Diff {
        /// Files or directories of file pairs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Imports the files (idempotent): each product created, published, updated, evolved (a compatible schema
    /// registered, the version raised in the files), proposed or made a new major version (a breaking schema under
    /// a raised major version: its consumers sign it off first), or unchanged. Lists the active products of the
    /// files' teams that the files no longer describe; with `--prune`, deprecates them.
    #[command(after_help = EXIT_CODES)]
    Apply {
        /// Files or directories of file pairs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Check everything, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Deprecate (sunset in 30 days) the active products of the files' owning teams the files do not describe.
        #[arg(long)]
        prune: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes the file pairs of products: by team, by domain, or by id.
    #[command(after_help = EXIT_CODES)]
    Export {
        /// Product ids.
        ids: Vec<String>,
        #[arg(long, conflicts_with = "ids")]
        team: Option<String>,
        #[arg(long, conflicts_with = "ids")]
        domain: Option<String>,
        /// The directory to write to (created if missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
}

/// The commands the command line answers; any other first argument is the server's.
const COMMANDS: [&str; 7] = ["product", "completions", "help", "--help", "-h", "--version", "-V"];

/// Whether `meshport <first>` is a command-line run rather than the server.
pub fn is_command(first: Option<&str>) -> bool {
    first.is_some_and(|first| COMMANDS.contains(&first))
}

/// Runs the command line with these arguments (the program's name first).
pub async fn run(args: impl IntoIterator<Item = String>) -> Exit {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage } else { Exit::Clean };
        }
    };
    let token = std::env::var("MESHPORT_TOKEN").ok().filter(|token| !token.trim().is_empty());
    match execute(cli.command, token).await {
        Ok(exit) => exit,
        Err(failure) => {
            eprintln!("meshport: {}", failure.message);
            failure.exit
        }
    }
}

async fn execute(command: Command, token: Option<String>) -> Result<Exit, Failure> {
    let product = match command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "meshport", &mut script);
            write_out(&script);
            return Ok(Exit::Clean);
        }
        Command::Product(product) => product,
    };
    let connection = match &product {
        ProductCommand::Lint { connection, .. }
        | ProductCommand::Diff { connection, .. }
        | ProductCommand::Apply { connection, .. }
        | ProductCommand::Export { connection, .. } => connection,
    };
    if connection.token.is_some() {
        return Err(Failure::usage(
            "a token on the command line would be kept in shell histories and shown in process lists: set \
             MESHPORT_TOKEN instead",
        ));
    }
    let format = connection.format;
    let meshport = || Meshport::new(connection.url.as_deref(), token.clone());
    let report = match &product {
        ProductCommand::Lint { paths, policy, .. } => {
            let pairs = files::pairs(paths)?;
            let policy = match policy {
                Some(path) => files::policy(path)?,
                None => meshport()?.policy().await?,
            };
            lint(&pairs, &policy)
        }
        ProductCommand::Diff { paths, .. } => diff(&meshport()?, &files::pairs(paths)?).await?,
        ProductCommand::Apply { paths, dry_run, prune, .. } => {
            apply(&meshport()?, &files::pairs(paths)?, *dry_run, *prune).await?
        }
        ProductCommand::Export { ids, team, domain, out, .. } => {
            export(&meshport()?, ids, team.as_deref(), domain.as_deref(), out).await?
        }
    };
    write_out(report.render(format).as_bytes());
    Ok(if report.has_findings() { Exit::Findings } else { Exit::Clean })
}

/// Writes to stdout; a reader gone away (`| head`) is not an error worth a panic.
fn write_out(bytes: &[u8]) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

/// Each pair read as the API reads it, then checked against the policy.
fn lint(pairs: &[Pair], policy: &GovernancePolicy) -> Report {
    let products = pairs
        .iter()
        .map(|pair| {
            let (outcome, violations) = match code::read(&pair.files) {
                Ok(imported) => {
                    let fact = if imported.schema.is_some() { SchemaFact::Registered } else { SchemaFact::Unknown };
                    let violations = validate(&imported.product, policy, fact);
                    (if violations.is_empty() { "clean" } else { "violations" }, violations)
                }
                Err(e) => return unreadable(pair, e),
            };
            let findings = violations.iter().map(|v| Finding::of_violation(pair, v)).collect();
            ProductReport::new(&pair.id, outcome, Vec::new(), findings)
        })
        .collect();
    Report::new("lint", products)
}

/// Each pair against the catalog's export, its schema against the registry (the verdict of an evolve's dry run,
/// which any reader may ask). A product not in the catalog yet has nothing to compare with: it is `new`, and says
/// that its schema has no predecessor.
async fn diff(meshport: &Meshport, pairs: &[Pair]) -> Result<Report, Failure> {
    let mut products = Vec::new();
    for pair in pairs {
        let local = match code::read(&pair.files) {
            Ok(imported) => imported,
            Err(e) => {
                products.push(unreadable(pair, e));
                continue;
            }
        };
        let Some(exported) = meshport.export(local.product.id.as_str()).await? else {
            let note = "not in the catalog yet: every field is new, and its schema has no predecessor to be \
                        compatible with (apply checks it against the policy)";
            products.push(ProductReport::new(&pair.id, "new", Vec::new(), Vec::new()).with_note(note));
            continue;
        };
        let changes = tree::changes(&files::values(&exported)?, &files::values(&pair.files)?);
        let mut report = ProductReport::new(&pair.id, "changed", changes, Vec::new());
        let stored = code::read(&exported).map_err(|e| Failure::unreachable(format!("an unreadable export: {e}")))?;
        if let (Some(old), Some(new)) = (&stored.schema, &local.schema)
            && old != new
        {
            judge_schema(meshport, pair, &local.product, &stored.product, new, &mut report).await?;
        }
        if report.changes.is_empty() && report.findings.is_empty() {
            report.outcome = "unchanged".into();
        }
        products.push(report);
    }
    Ok(Report::new("diff", products))
}

/// The registry's verdict on the files' schema (an evolve's dry run), as apply will meet it: each breaking change
/// a finding, unless the files raise the major version, which asks for the next major version; a compatible change
/// a finding unless the files raise the version with it.
async fn judge_schema(
    meshport: &Meshport,
    pair: &Pair,
    files: &DataProduct,
    stored: &DataProduct,
    schema: &str,
    report: &mut ProductReport,
) -> Result<(), Failure> {
    let request = EvolveRequest { schema: schema.to_owned(), dry_run: true, new_major_version: false, revision: 0 };
    let verdict = match meshport.evolve_dry_run(files.id.as_str(), &request).await? {
        Ok(verdict) => verdict,
        // A product that does not evolve (retired), a schema that does not read: the API's own words.
        Err(refusal) => {
            report.findings.extend(refusal.findings(pair));
            return Ok(());
        }
    };
    let next_major = code::raises_major(&files.version, &stored.version);
    for change in &verdict.changes {
        report.changes.push(Change::schema(change, &verdict.level));
        if change.breaking && !next_major {
            report.findings.push(Finding::breaking(pair, change, &verdict.level));
        }
    }
    if verdict.compatible {
        let unraised = code::unraised_version(&files.version, &stored.version);
        report.findings.extend(unraised.iter().map(|violation| Finding::of_violation(pair, violation)));
    } else if next_major {
        report.notes.push(format!(
            "the files raise the major version ({} over {}): apply makes this breaking schema the next major \
             version of `{}`, once its consumers have signed it off if it has any",
            files.version, stored.version, files.id
        ));
    } else if !verdict.changes.iter().any(|c| c.breaking) {
        for message in &verdict.registry_messages {
            report.findings.push(Finding::refused(pair, message, &verdict.level));
        }
    }
    Ok(())
}

async fn apply(meshport: &Meshport, pairs: &[Pair], dry_run: bool, prune: bool) -> Result<Report, Failure> {
    let mut products = Vec::new();
    let mut described = BTreeSet::new();
    let mut teams = BTreeSet::new();
    for (n, pair) in pairs.iter().enumerate() {
        let report = match code::read(&pair.files) {
            Err(e) => unreadable(pair, e),
            Ok(imported) => {
                described.insert(imported.product.id.to_string());
                teams.insert(imported.product.owner.team.clone());
                match meshport.import(&pair.files, dry_run).await? {
                    Ok(imported) => imported_report(pair, &imported, dry_run),
                    Err(refusal) => ProductReport::new(&pair.id, "refused", Vec::new(), refusal.findings(pair)),
                }
            }
        };
        eprintln!("[{}/{}] {}: {}", n + 1, pairs.len(), report.id, report.outcome);
        products.push(report);
    }
    for stale in undescribed(meshport, &teams, &described).await? {
        let outcome = if prune && !dry_run {
            let request = DeprecateRequest {
                sunset: (jiff::Zoned::now().date() + jiff::ToSpan::days(30)).to_string(),
                replacement: None,
                message: "no longer described by its team's product files".into(),
                revision: stale.revision,
            };
            match meshport.deprecate(stale.id.as_str(), &request).await? {
                Ok(()) => "deprecated (pruned)".to_owned(),
                Err(refusal) => format!("not deprecated: {}", refusal.0),
            }
        } else if prune {
            "would be deprecated (pruned)".to_owned()
        } else {
            "not in the files (--prune deprecates it)".to_owned()
        };
        eprintln!("{}: {outcome}", stale.id);
        products.push(ProductReport::new(stale.id.as_str(), &outcome, Vec::new(), Vec::new()));
    }
    Ok(Report::new(if dry_run { "apply --dry-run" } else { "apply" }, products))
}

/// An import's change, with what the user should know of an evolution: the version registered, the proposal
/// waiting for the consumers, the new major version whose files to keep.
fn imported_report(pair: &Pair, imported: &client::Imported, dry_run: bool) -> ProductReport {
    let report = ProductReport::new(&pair.id, &imported.change, Vec::new(), Vec::new());
    let id = &imported.product.id;
    let subject = &imported.product.output_port.value_subject;
    if let Some(proposal) = &imported.proposal {
        let teams = proposal.subscribers.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
        let pending = if imported.change == "unchanged" { "still waits" } else { "waits" };
        return report.with_note(format!(
            "the breaking schema change, the next major version of `{id}`, {pending} for its consumers' sign-off \
             (proposal `{}`, {}): it takes effect once {teams} approve it in Meshport",
            proposal.id,
            proposal.state.as_str()
        ));
    }
    match (imported.change.as_str(), &imported.new_product, imported.registered_version) {
        (_, Some(successor), _) => report.with_note(format!(
            "made `{successor}`, the next major version, and deprecated `{id}` in its favour: export the new \
             product's files (`meshport product export {successor}`) and keep them instead of these"
        )),
        ("evolved", None, Some(version)) => report.with_note(format!("registered version {version} of `{subject}`")),
        ("evolved", None, None) if dry_run => report.with_note(format!("would register a new version of `{subject}`")),
        ("proposed", None, None) if dry_run => report.with_note(format!(
            "would propose the breaking schema change as the next major version of `{id}`: its consumers sign it off"
        )),
        ("new_major_version", None, None) if dry_run => {
            report.with_note(format!("would make the next major version of `{id}` and deprecate `{id}`"))
        }
        _ => report,
    }
}

/// The active products of `teams` that the files do not describe: never another team's.
async fn undescribed(
    meshport: &Meshport,
    teams: &BTreeSet<TeamName>,
    described: &BTreeSet<String>,
) -> Result<Vec<DataProduct>, Failure> {
    let mut stale = BTreeMap::new();
    for team in teams {
        for product in meshport.products(&[("team", team.as_str()), ("status", "active")]).await? {
            if &product.owner.team == team
                && product.status == ProductStatus::Active
                && !described.contains(product.id.as_str())
            {
                stale.insert(product.id.to_string(), product);
            }
        }
    }
    Ok(stale.into_values().collect())
}

async fn export(
    meshport: &Meshport,
    ids: &[String],
    team: Option<&str>,
    domain: Option<&str>,
    out: &std::path::Path,
) -> Result<Report, Failure> {
    let ids = if ids.is_empty() {
        let mut filters = Vec::new();
        filters.extend(team.map(|team| ("team", team)));
        filters.extend(domain.map(|domain| ("domain", domain)));
        if filters.is_empty() {
            return Err(Failure::usage("say which products: ids, --team or --domain"));
        }
        meshport.products(&filters).await?.into_iter().map(|product| product.id.to_string()).collect()
    } else {
        ids.to_vec()
    };
    std::fs::create_dir_all(out)
        .map_err(|e| Failure::usage(format!("cannot create the directory `{}`: {e}", out.display())))?;
    let mut products = Vec::new();
    for id in ids {
        let Some(exported) = meshport.export(&id).await? else {
            return Err(Failure::usage(format!("no data product `{id}`")));
        };
        files::write(out, &id, &exported)?;
        products.push(ProductReport::new(&id, "exported", Vec::new(), Vec::new()));
    }
    Ok(Report::new("export", products))
}

fn unreadable(pair: &Pair, error: crate::error::Error) -> ProductReport {
    let findings = match error {
        crate::error::Error::Violations(violations) => {
            violations.iter().map(|v| Finding::of_violation(pair, v)).collect()
        }
        other => vec![Finding::general(pair, "invalid_document", &other.to_string())],
    };
    ProductReport::new(&pair.id, "unreadable", Vec::new(), findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("meshport").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_reads_each_command_and_its_options() {
        let cli = parse(&["product", "apply", "products/", "--dry-run", "--prune", "--format", "github"]).unwrap();
        let Command::Product(ProductCommand::Apply { paths, dry_run, prune, connection }) = cli.command else {
            panic!("not apply")
        };
        assert_eq!((paths, dry_run, prune, connection.format), (vec!["products/".into()], true, true, Format::Github));

        let cli = parse(&["product", "export", "--team", "trading", "--out", "out"]).unwrap();
        assert!(matches!(cli.command, Command::Product(ProductCommand::Export { team: Some(_), .. })));
        let cli = parse(&["product", "diff", "a"]).unwrap();
        assert!(matches!(cli.command, Command::Product(ProductCommand::Diff { .. })));
        assert!(matches!(parse(&["completions", "zsh"]).unwrap().command, Command::Completions { .. }));
    }

    #[test]
    fn usage_errors_are_refused_before_anything_runs() {
        for args in [
            &["product", "lint"][..],
            &["product", "lint", "a", "--format", "xml"],
            &["product", "export", "orders", "--team", "trading"],
            &["product", "publish", "a"],
            &["product", "diff", "a", "--level", "BACKWARD"],
        ] {
            let error = parse(args).unwrap_err();
            assert!(error.use_stderr(), "{args:?}");
        }
        assert!(!parse(&["product", "--help"]).unwrap_err().use_stderr());
    }

    #[test]
    fn only_the_command_lines_commands_leave_the_server_and_openapi_to_main() {
        assert!(is_command(Some("product")));
        assert!(is_command(Some("completions")));
        assert!(!is_command(Some("openapi")));
        assert!(!is_command(None));
    }

    #[tokio::test]
    async fn a_token_on_the_command_line_is_refused_with_a_usage_error() {
        let exit = run(["meshport", "product", "lint", "x", "--token", "mpt_a_b"].map(String::from)).await;

        assert_eq!(exit, Exit::Usage);
    }

    #[test]
    fn the_exit_codes_are_those_the_help_documents() {
        let help = Cli::command().render_long_help().to_string();
        for (exit, words) in [(Exit::Clean, "0 clean"), (Exit::Findings, "1 findings"), (Exit::Usage, "2 usage")] {
            assert!(help.contains(words), "{exit:?}: {help}");
        }
        assert!(help.contains("3 Meshport unreachable"), "{help}");
        assert_eq!(Exit::Unreachable as u8, 3);
    }
}
