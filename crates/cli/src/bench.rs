//! `shegong bench`: repeatable timings of the foundation's hot paths on this machine.
//! Results are printed as a Markdown table for docs/PERFORMANCE.md.

use crate::CliError;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use shegong_domain::accounts::{Actor, Grant, NewUser, Role};
use shegong_domain::clock::{Clock, SystemClock};
use shegong_domain::ids::OrgId;
use shegong_domain::locale::Locale;
use shegong_domain::ports::{AuditRepo, UnitsRepo};
use shegong_domain::units::{Agency, UnitInput};
use shegong_store::{Store, StoreOptions};
use shegong_web::{AppState, WebConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

pub struct BenchResult {
    pub name: String,
    pub value: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs on a fresh database at `url` (a new SQLite file when it is a path).
pub async fn run(url: &str, writes: usize, requests: usize, import_rows: usize) -> Result<Vec<BenchResult>, CliError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Store::open(&StoreOptions::new(url), clock.clone()).await?;
    if !store.list_agencies().await?.is_empty() {
        return Err(CliError::Usage("bench needs an empty database; give a new --database-url".into()));
    }
    let mut out = Vec::new();
    let org = OrgId::new();
    let agency = Agency {
        id: org,
        name_en: "Bench".into(),
        name_zh_hant: "基準".into(),
        name_zh_hans: "基准".into(),
        time_zone: "Asia/Hong_Kong".into(),
        created_at: clock.now(),
    };
    let password = "bench-password-1";
    let t = Instant::now();
    let hash = shegong_web::accounts::hash_password(password.into()).await?;
    out.push(BenchResult { name: "argon2id hash (sign-in cost)".into(), value: ms(t.elapsed()) });
    let admin = NewUser {
        username: "bench-admin".into(),
        display_name: "Bench".into(),
        password: password.into(),
        locale: Locale::En,
        grants: vec![Grant { role: Role::Admin, unit_id: None }],
    };
    let admin = store.create_agency(&agency, &admin, &hash).await?;
    let actor = Actor::from(&admin);

    // Writes: each is a unit insert plus its audit entry, in one transaction.
    let t = Instant::now();
    for i in 0..writes {
        let input = UnitInput {
            code: format!("U{i:06}"),
            name_zh_hant: format!("中心 {i}"),
            unit_type: "other".into(),
            active: true,
            ..Default::default()
        };
        store.create_unit(&actor, &input.validate()?).await?;
    }
    let el = t.elapsed();
    out.push(BenchResult {
        name: format!("create unit + audit entry, sequential (n={writes})"),
        value: format!("{:.0} /s ({} each)", writes as f64 / el.as_secs_f64(), ms(el / writes.max(1) as u32)),
    });

    let t = Instant::now();
    let report = store.verify_audit(org).await?;
    let el = t.elapsed();
    out.push(BenchResult {
        name: format!("audit verify (entries={})", report.entries),
        value: format!("{:.0} entries/s", report.entries as f64 / el.as_secs_f64()),
    });

    // Pages: signed-in requests through the whole middleware stack, in process.
    let search = Arc::new(shegong_search::ClientSearch::in_memory().map_err(|e| CliError::Usage(e.to_string()))?);
    let state = AppState::new(Arc::new(store.clone()), search, clock.clone(), WebConfig::default());
    let (_, session) = shegong_web::accounts::sign_in(&state, "bench-admin", password, "bench").await?;
    let app = shegong_web::router(state);
    let cookie = format!("{}={}", shegong_web::ctx::SESSION_COOKIE, session.token);
    for (label, path) in [("GET / (home)", "/"), ("GET /api/v1/me", "/api/v1/me"), ("GET /healthz", "/healthz")] {
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let req = Request::get(path).header(header::COOKIE, &cookie).body(Body::empty()).map_err(|e| CliError::Usage(e.to_string()))?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.map_err(|e| CliError::Usage(e.to_string()))?;
            let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await;
            times.push(t.elapsed());
        }
        times.sort();
        out.push(BenchResult {
            name: format!("{label} (n={requests})"),
            value: format!(
                "p50 {} · p95 {} · p99 {}",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.95)),
                ms(percentile(&times, 0.99))
            ),
        });
    }
    // The units page with every unit of the write test listed.
    let req = Request::get("/units").header(header::COOKIE, &cookie).body(Body::empty()).map_err(|e| CliError::Usage(e.to_string()))?;
    let t = Instant::now();
    let resp = app.clone().oneshot(req).await.map_err(|e| CliError::Usage(e.to_string()))?;
    let ok = resp.status() == StatusCode::OK;
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.map(|b| b.len()).unwrap_or(0);
    out.push(BenchResult {
        name: format!("GET /units listing {writes} units"),
        value: format!("{} ({} KiB{})", ms(t.elapsed()), bytes / 1024, if ok { "" } else { ", FAILED" }),
    });
    if import_rows > 0 {
        let unit = store.list_units(org).await?.into_iter().next().ok_or_else(|| CliError::Usage("no unit".into()))?;
        for (name, value) in crate::import::bench(&store, clock.clone(), &unit, import_rows).await? {
            out.push(BenchResult { name, value });
        }
        // Reading every client back and indexing it: what start-up does when the index is behind.
        let search = shegong_search::ClientSearch::in_memory().map_err(|e| CliError::Usage(e.to_string()))?;
        let t = Instant::now();
        let n = crate::rebuild_search(&store, &search).await?;
        out.push(BenchResult {
            name: format!("search index rebuild from the database (n={n})"),
            value: format!("{:.1} s", t.elapsed().as_secs_f64()),
        });
    }
    if let Some(rss) = rss_kib() {
        out.push(BenchResult { name: "resident memory at the end".into(), value: format!("{:.1} MiB", rss as f64 / 1024.0) });
    }
    Ok(out)
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}
