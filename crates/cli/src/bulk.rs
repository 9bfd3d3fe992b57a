//! Synthetic activities at benchmark scale: three years of groups and programmes with their
//! sessions and attendance rows for many units, written through the store's bulk path in
//! bounded batches, then the rollups derived once from the rows (as `activities
//! rebuild-rollups` does). Every title and person here is invented.

use crate::CliError;
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shegong_domain::accounts::Actor;
use shegong_domain::activities::ActivityKind;
use shegong_domain::ids::{OrgId, UnitId};
use shegong_domain::ports::{ActivitiesRepo, ClientsRepo, UnitsRepo};
use shegong_domain::units::UnitInput;
use shegong_store::activities::BulkActivity;
use shegong_store::Store;
use std::time::Instant;

/// Attendance rows per transaction: large enough to amortise the commit, small enough to keep
/// memory flat however many rows are asked for.
const BATCH_ROWS: usize = 50_000;

/// What a generation wrote and how long it took.
#[derive(Debug, Default)]
pub struct BulkReport {
    pub units: usize,
    pub persons: u64,
    pub activities: u64,
    pub sessions: u64,
    pub rows: u64,
    pub insert_secs: f64,
    pub rebuild_secs: f64,
}

/// Makes sure the agency has at least `n` active units (adding invented ones) and returns `n`.
async fn units(store: &Store, actor: &Actor, n: usize) -> Result<Vec<UnitId>, CliError> {
    let mut ids: Vec<UnitId> = store.list_units(actor.org_id).await?.into_iter().filter(|u| u.active).map(|u| u.id).collect();
    let mut i = 1;
    while ids.len() < n {
        let input = UnitInput {
            code: format!("BULK-{i:03}"),
            name_en: format!("Bulk demo centre {i}"),
            name_zh_hant: format!("示範中心 {i}"),
            name_zh_hans: format!("示范中心 {i}"),
            unit_type: ["elderly_centre", "youth_centre", "family_centre"][i % 3].into(),
            district: "示範區 Demo district".into(),
            active: true,
            ..Default::default()
        };
        i += 1;
        // A code taken by an earlier run: try the next one.
        match store.create_unit(actor, &input.validate()?).await {
            Ok(u) => ids.push(u.id),
            Err(shegong_domain::DomainError::Invalid(_)) if i < n + 10_000 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    ids.truncate(n);
    Ok(ids)
}

/// Writes up to `rows` attendance rows for `unit_count` units over the three years to `today`,
/// then rebuilds the rollups. `progress` is told the rows written so far.
pub async fn generate(
    store: &Store,
    actor: &Actor,
    unit_count: usize,
    rows: u64,
    seed: u64,
    today: NaiveDate,
    mut progress: impl FnMut(u64),
) -> Result<BulkReport, CliError> {
    let org: OrgId = actor.org_id;
    let unit_ids = units(store, actor, unit_count.max(1)).await?;
    let domains: Vec<String> = store.activity_domains(org).await?.into_iter().filter(|d| d.active).map(|d| d.code).collect();
    let categories: Vec<String> = store.categories(org).await?.into_iter().filter(|c| c.active && !c.sensitive).map(|c| c.code).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = BulkReport { units: unit_ids.len(), ..Default::default() };
    let started = Instant::now();
    let span = 3 * 365;
    let first_day = today - Duration::days(span);
    let per_unit = rows / unit_ids.len() as u64;
    let mut batch: Vec<BulkActivity> = Vec::new();
    let mut pending = 0usize;
    for (u, unit) in unit_ids.iter().enumerate() {
        let quota = per_unit + u64::from((u as u64) < rows % unit_ids.len() as u64);
        if quota == 0 {
            continue;
        }
        // About 40 attendances per person over three years; a centre knows 150–5,000 people.
        let people = (quota / 40).clamp(150, 5_000) as u32;
        let persons = store.bulk_person_numbers(org, people, *unit).await?;
        report.persons += persons.len() as u64;
        // A unit works mostly in one domain, sometimes in another.
        let home = domains.get(u % domains.len().max(1)).cloned().unwrap_or_else(|| "family".into());
        let mut written = 0u64;
        while written < quota {
            let (kind, n_sessions, size, rate) = match rng.gen_range(0..10) {
                0..=5 => (ActivityKind::Group, rng.gen_range(6..=12), rng.gen_range(8..=15), 0.85),
                6..=8 => (ActivityKind::Programme, rng.gen_range(1..=2), rng.gen_range(15..=40), 0.8),
                _ => (if rng.gen_bool(0.5) { ActivityKind::Workshop } else { ActivityKind::Outing }, 1, rng.gen_range(10..=30), 0.9),
            };
            let length = 7 * (n_sessions as i64 - 1);
            let start = first_day + Duration::days(rng.gen_range(0..=(span - length).max(0)));
            let enrolled: Vec<i64> = persons.choose_multiple(&mut rng, size.min(persons.len())).copied().collect();
            let mut sessions = Vec::with_capacity(n_sessions);
            let mut present = Vec::with_capacity(n_sessions);
            for s in 0..n_sessions {
                let day = start + Duration::weeks(s as i64);
                let mut here: Vec<i64> = enrolled.iter().copied().filter(|_| rng.gen_bool(rate)).collect();
                // Never more than the quota: the last activity of a unit may be cut short.
                here.truncate((quota - written) as usize);
                written += here.len() as u64;
                pending += here.len();
                sessions.push((day, "14:30".to_string(), "16:00".to_string()));
                present.push(here);
                if written >= quota {
                    break;
                }
            }
            report.activities += 1;
            report.sessions += sessions.len() as u64;
            let domain = if rng.gen_bool(0.8) { home.clone() } else { domains.choose(&mut rng).cloned().unwrap_or_else(|| home.clone()) };
            batch.push(BulkActivity {
                unit: *unit,
                kind,
                title: format!("Bulk demo {} {}", kind.as_str(), report.activities),
                domain,
                category: categories.choose(&mut rng).cloned().unwrap_or_default(),
                sessions,
                present,
                enrolled,
            });
            if pending >= BATCH_ROWS {
                report.rows += store.bulk_insert_activities(org, &batch).await?;
                progress(report.rows);
                batch.clear();
                pending = 0;
            }
        }
    }
    if !batch.is_empty() {
        report.rows += store.bulk_insert_activities(org, &batch).await?;
        progress(report.rows);
    }
    report.insert_secs = started.elapsed().as_secs_f64();
    // The bulk path bypasses the rollups: derive them once, exactly as a rebuild does.
    let t = Instant::now();
    store.rebuild_activity_rollups(org).await?;
    report.rebuild_secs = t.elapsed().as_secs_f64();
    Ok(report)
}
