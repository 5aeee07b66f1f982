//! Watching products: a signed-in person watches a product and is told by email of what its watchers hear of
//! ([`EventKind::audience`](meshport_shared::events::EventKind::audience)), unless they muted that product or all
//! their personal notifications. A watcher is a person, not a team: they are told at the address they give (the
//! identity carries none, as dev sign-in and many providers' access tokens have no email), kept in their personal
//! settings. Starting, stopping and muting a watch are audited on the product; personal settings are the person's
//! own and not audited.

use lettre::message::Mailbox;
use meshport_shared::api::Identity;
use meshport_shared::events::{PersonalSettings, Watch, WatchRequest, WatchState};
use meshport_shared::{AuditAction, ProductId, Violation, ViolationCode};

use crate::audit;
use crate::catalog::CatalogStore;
use crate::error::{Error, Result};

/// The caller's watch of `product`.
pub async fn state(catalog: &dyn CatalogStore, who: &Identity, product: &ProductId) -> Result<WatchState> {
    existing(catalog, product).await?;
    let watch = catalog.watchers(product).await?.into_iter().find(|w| w.person == who.subject);
    let settings = catalog.personal_settings(&who.subject).await?.unwrap_or_default();
    Ok(WatchState {
        watching: watch.is_some(),
        muted: watch.is_some_and(|w| w.muted),
        muted_all: settings.muted,
        email: settings.email,
    })
}

/// The caller watches `product` (or changes whether it is muted), told at the request's email or the one they gave
/// before; without either, a violation.
pub async fn watch(
    catalog: &dyn CatalogStore,
    who: &Identity,
    product: &ProductId,
    request: WatchRequest,
) -> Result<WatchState> {
    existing(catalog, product).await?;
    let mut settings = catalog.personal_settings(&who.subject).await?.unwrap_or_default();
    if let Some(email) = request.email {
        check_email(&email)?;
        if settings.email.as_deref() != Some(email.as_str()) {
            settings.email = Some(email);
            catalog.put_personal_settings(&who.subject, &settings).await?;
        }
    }
    if settings.email.is_none() {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::RequiredFieldMissing,
            "email",
            "give the email address to be told at",
        )]));
    }
    let summary = match request.muted {
        true => format!("`{}` watches the product, muted", who.subject),
        false => format!("`{}` watches the product", who.subject),
    };
    let entry = audit::entry(&who.subject, product, AuditAction::Watched, summary, None, None);
    let watch =
        Watch { product: product.clone(), person: who.subject.clone(), muted: request.muted, since: entry.at.clone() };
    catalog.put_watch(watch, entry).await?;
    state(catalog, who, product).await
}

/// The caller stops watching `product` (nothing happens when they were not).
pub async fn unwatch(catalog: &dyn CatalogStore, who: &Identity, product: &ProductId) -> Result<WatchState> {
    existing(catalog, product).await?;
    let summary = format!("`{}` stopped watching the product", who.subject);
    let entry = audit::entry(&who.subject, product, AuditAction::Watched, summary, None, None);
    catalog.delete_watch(product, &who.subject, entry).await?;
    state(catalog, who, product).await
}

/// The caller's notification settings.
pub async fn settings(catalog: &dyn CatalogStore, who: &Identity) -> Result<PersonalSettings> {
    Ok(catalog.personal_settings(&who.subject).await?.unwrap_or_default())
}

/// Replaces the caller's notification settings (their email checked).
pub async fn set_settings(
    catalog: &dyn CatalogStore,
    who: &Identity,
    settings: PersonalSettings,
) -> Result<PersonalSettings> {
    if let Some(email) = &settings.email {
        check_email(email)?;
    }
    catalog.put_personal_settings(&who.subject, &settings).await?;
    Ok(settings)
}

/// The people told of an event about `product` that its watchers hear of: each watcher's mailbox, less those who
/// muted the product or everything, or gave no usable address.
pub async fn told(catalog: &dyn CatalogStore, product: &ProductId) -> Result<Vec<(String, Mailbox)>> {
    let mut people = Vec::new();
    for watch in catalog.watchers(product).await?.into_iter().filter(|w| !w.muted) {
        let Some(settings) = catalog.personal_settings(&watch.person).await? else { continue };
        if settings.muted {
            continue;
        }
        if let Some(mailbox) = settings.email.as_deref().and_then(|e| e.parse::<Mailbox>().ok()) {
            people.push((watch.person, mailbox));
        }
    }
    Ok(people)
}

async fn existing(catalog: &dyn CatalogStore, product: &ProductId) -> Result<()> {
    match catalog.get_product(product).await? {
        Some(_) => Ok(()),
        None => Err(Error::NotFound(format!("no data product `{product}`"))),
    }
}

fn check_email(email: &str) -> Result<()> {
    if email.len() <= 254 && email.parse::<Mailbox>().is_ok() {
        return Ok(());
    }
    Err(Error::Violations(vec![Violation::new(
        ViolationCode::InvalidChannel,
        "email",
        format!("email: `{email}` is not an email address"),
    )]))
}
