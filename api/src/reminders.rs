//! Reminders of dates coming, run by sync: the teams still consuming a deprecated product hear of its sunset, and a
//! team holding a grant of the grant's end, a few days before (the policy's `access.sunset_reminder_days`, default
//! 30, 7 and 1, and `access.expiry_reminder_days`, default 7 and 1).
//!
//! Each reminder is an audit entry (`reminded`) whose event (`io.meshport.product.sunset_reminder`,
//! `io.meshport.access.expiring`) the notifier hands to those concerned. Each threshold is sent once per product (or
//! grant) and date: the store records it under a key of its own on condition the key is new, in the reminder's own
//! transaction, so runs again, after a restart or racing another process, send nothing twice. A run that finds a
//! threshold passed sends only the nearest one still ahead ("in 3 days", not also "in 30 days"). Sunset reminders
//! are for those who still consume: a product no one holds an active grant on is reminded of nothing, and the
//! event's audience is resolved to the teams with active grants when it is handed out.

use std::collections::{BTreeMap, BTreeSet};

use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::policy::day_number;
use meshport_shared::{AuditAction, DataProduct, ProductStatus};

use crate::audit;
use crate::error::Result;
use crate::mesh::Mesh;

/// Who reminders are from, in the audit trail.
const ACTOR: &str = "meshport";

/// Sends the reminders due on `today` (`2026-12-05`) that were not sent yet; answers what each one sent was about:
/// `sunset of <product> in 7 days`, `end of <request> in 1 day`.
pub async fn send_due(mesh: &Mesh, today: &str) -> Result<Vec<String>> {
    let Some(today) = day_number(today) else { return Ok(Vec::new()) };
    let grants = mesh.catalog.access_in_state(AccessState::Active).await?;
    let mut products = BTreeMap::new();
    for id in grants.iter().map(|g| &g.product).collect::<BTreeSet<_>>() {
        if let Some(product) = mesh.catalog.get_product(id).await? {
            products.insert(id.clone(), product);
        }
    }
    let rules = &mesh.policy.access;
    let mut sent = Vec::new();
    for product in products.values().filter(|p| p.status == ProductStatus::Deprecated) {
        let Some(sunset) = product.deprecation.as_ref().map(|d| d.sunset.as_str()) else { continue };
        let Some((threshold, left)) = due(&rules.sunset_reminder_days, today, sunset) else { continue };
        let consumers = grants.iter().filter(|g| g.product == product.id).map(|g| &g.team).collect::<BTreeSet<_>>();
        let summary = format!("sunset on {sunset}, {}: {} team(s) still consume it", in_days(left), consumers.len());
        let key = format!("sunset/{}/{sunset}/{threshold}", product.id);
        if remind(mesh, &key, product, None, summary).await? {
            sent.push(format!("sunset of {} {}", product.id, in_days(left)));
        }
    }
    for grant in &grants {
        let (Some(until), Some(product)) = (grant.until.as_deref(), products.get(&grant.product)) else { continue };
        let Some((threshold, left)) = due(&rules.expiry_reminder_days, today, until) else { continue };
        let summary = format!("access of team `{}` ends after {until}, {}", grant.team, in_days(left));
        let key = format!("expiring/{}/{until}/{threshold}", grant.id);
        if remind(mesh, &key, product, Some(grant), summary).await? {
            sent.push(format!("end of {} {}", grant.id, in_days(left)));
        }
    }
    Ok(sent)
}

/// Records one reminder unless it was sent; publishes its entry when this call recorded it.
async fn remind(
    mesh: &Mesh,
    key: &str,
    product: &DataProduct,
    grant: Option<&AccessRequest>,
    summary: String,
) -> Result<bool> {
    let entry = audit::entry(ACTOR, &product.id, AuditAction::Reminded, summary, None, None);
    let recorded = mesh.catalog.remind(key, entry.clone(), product, grant).await?;
    if recorded {
        audit::publish(&mesh.kafka, &entry).await;
    }
    Ok(recorded)
}

/// The threshold due on day `today` for a date (`2027-01-31`), and the days left: the smallest threshold at least
/// the days left, while the date is not past.
fn due(thresholds: &[u32], today: i64, date: &str) -> Option<(u32, i64)> {
    let left = day_number(date)? - today;
    let threshold = thresholds.iter().copied().filter(|&t| i64::from(t) >= left).min()?;
    (left >= 0).then_some((threshold, left))
}

fn in_days(left: i64) -> String {
    match left {
        0 => "today".to_owned(),
        1 => "in 1 day".to_owned(),
        n => format!("in {n} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_due_is_the_nearest_one_not_yet_passed_and_none_after_the_date() {
        let today = day_number("2026-12-05").unwrap();
        let thresholds = [30, 7, 1];
        let cases = [
            ("2027-02-01", None),
            ("2027-01-04", Some((30, 30))),
            ("2026-12-20", Some((30, 15))),
            ("2026-12-12", Some((7, 7))),
            ("2026-12-08", Some((7, 3))),
            ("2026-12-06", Some((1, 1))),
            ("2026-12-05", Some((1, 0))),
            ("2026-12-04", None),
            ("not a date", None),
        ];
        for (date, expected) in cases {
            assert_eq!(due(&thresholds, today, date), expected, "{date}");
        }
        assert_eq!(due(&[], today, "2026-12-06"), None, "no thresholds, no reminders");
    }
}
