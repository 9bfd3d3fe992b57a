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

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs on a fresh database at `url` (a new SQLite file when it is a path).
/// What to measure and how much of it.
pub struct BenchSizes {
    pub writes: usize,
    pub requests: usize,
    pub import_rows: usize,
    /// Attendance rows generated before timing the counts (0 skips the activities section).
    pub attendance_rows: u64,
    /// Concurrent attendance markers.
    pub markers: usize,
    /// Concurrent hotline operators logging calls (0 skips the hotline section).
    pub operators: usize,
    /// Synthetic residents of the coverage section (0 skips it).
    pub coverage_residents: usize,
    /// Seconds of loopback load per path (0 skips the load section).
    pub load_seconds: u64,
    /// Concurrent HTTP clients of the load section.
    pub load_clients: usize,
}

pub async fn run(url: &str, sizes: &BenchSizes) -> Result<Vec<BenchResult>, CliError> {
    let BenchSizes { writes, requests, import_rows, .. } = *sizes;
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
    let state = AppState::new(
        Arc::new(store.clone()),
        search,
        Arc::new(shegong_search::KnowledgeSearch::in_memory().map_err(|e| CliError::Usage(e.to_string()))?),
        clock.clone(),
        WebConfig::default(),
    );
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
    if sizes.operators > 0 {
        out.push(hotline(&store, &actor, sizes).await?);
    }
    if sizes.attendance_rows > 0 {
        out.extend(activities(&store, &actor, sizes).await?);
    }
    if sizes.coverage_residents > 0 {
        let n = sizes.coverage_residents;
        out.extend(tokio::task::spawn_blocking(move || coverage(n)).await.map_err(|e| CliError::Usage(e.to_string()))?);
    }
    if sizes.load_seconds > 0 {
        out.extend(crate::load::run(sizes.load_seconds, sizes.load_clients).await?);
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

fn latencies(name: String, mut times: Vec<Duration>, wall: Duration) -> BenchResult {
    times.sort();
    BenchResult {
        name,
        value: format!(
            "{:.0} marks/s · p50 {} · p95 {} · p99 {}",
            times.len() as f64 / wall.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99))
        ),
    }
}

/// Call logging with many operators at once: each save is the call, its follow-up when one is
/// needed, and the audit entry, in one transaction.
async fn hotline(store: &Store, actor: &Actor, sizes: &BenchSizes) -> Result<BenchResult, CliError> {
    use shegong_domain::hotline::{default_topics, CallInput};
    use shegong_domain::ports::HotlineRepo;
    let org = actor.org_id;
    let unit = store.list_units(org).await?.first().map(|u| u.id);
    let operators = sizes.operators;
    let calls = (sizes.requests / 10).max(2);
    let Some(operator) = actor.user_id else { return Err(CliError::Usage("bench needs a user".into())) };
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(operators);
    for k in 0..operators {
        let (store, actor) = (store.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(calls);
            for i in 0..calls {
                let input = CallInput {
                    unit_id: unit,
                    caller_phone: format!("6{k:03}{i:04}"),
                    call_type: "counselling".into(),
                    topics: vec!["anxiety".into()],
                    duration_minutes: 10,
                    note: "Bench call".into(),
                    risk: "low".into(),
                    outcome: if i % 5 == 0 { "follow_up".into() } else { "resolved".into() },
                    ..Default::default()
                };
                let fields = input.validate(chrono::Utc::now(), &default_topics(), operator)?;
                let t = Instant::now();
                store.log_call(&actor, &fields).await?;
                times.push(t.elapsed());
            }
            Ok::<_, CliError>(times)
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.map_err(|e| CliError::Usage(e.to_string()))??);
    }
    let wall = t.elapsed();
    times.sort();
    Ok(BenchResult {
        name: format!("log a hotline call, {operators} concurrent operators (n={})", times.len()),
        value: format!(
            "{:.0} calls/s · p50 {} · p95 {} · p99 {}",
            times.len() as f64 / wall.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99))
        ),
    })
}

/// Attendance marking under concurrent markers, then the counts over bulk-generated rows.
async fn activities(store: &Store, actor: &Actor, sizes: &BenchSizes) -> Result<Vec<BenchResult>, CliError> {
    use shegong_domain::activities::{ActivityInput, AttendanceInput, CountGrain, SessionInput};
    use shegong_domain::ports::{ActivitiesRepo, ClientsRepo};
    let mut out = Vec::new();
    let org = actor.org_id;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Hong_Kong).date_naive();
    let units: Vec<_> = store.list_units(org).await?.into_iter().map(|u| u.id).collect();
    let (domains, categories) = (store.activity_domains(org).await?, store.categories(org).await?);
    // Each marker ticks people one at a time at its own session, as a worker on a phone does.
    let markers = sizes.markers.max(1);
    let marks = (sizes.requests / 10).max(2);
    let mut sessions = Vec::with_capacity(markers);
    for k in 0..markers {
        let input = ActivityInput {
            unit_id: units.get(k % units.len().max(1)).copied(),
            kind: "group".into(),
            title_en: format!("Bench group {k}"),
            domain: "elderly".into(),
            target_categories: vec!["elderly_alone".into()],
            ..Default::default()
        };
        let a = store.create_activity(actor, &input.validate(&domains, &categories)?).await?;
        let s = SessionInput { date: today.to_string(), starts_at: "10:00".into(), ends_at: "11:30".into(), venue: String::new() };
        let session = store.add_session(actor, a.id, &s.validate()?).await?;
        let people = store.bulk_person_numbers(org, marks as u32, a.unit_id).await?;
        store.bulk_enrol(org, a.id, &people).await?;
        sessions.push((session.id, people));
    }
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(markers);
    for (session, people) in sessions {
        let (store, actor) = (store.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(people.len());
            for no in people {
                let input = AttendanceInput { present: vec![no], ..Default::default() };
                let t = Instant::now();
                store.mark_attendance(&actor, session, &input).await?;
                times.push(t.elapsed());
            }
            Ok::<_, CliError>(times)
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.map_err(|e| CliError::Usage(e.to_string()))??);
    }
    let wall = t.elapsed();
    out.push(latencies(format!("mark attendance, {markers} concurrent markers (n={})", times.len()), times, wall));

    // Three years of activities for up to 200 units, through the bulk path, then the counts.
    let t = Instant::now();
    let unit_count = units.len().clamp(1, 200);
    let r = crate::bulk::generate(store, actor, unit_count, sizes.attendance_rows, 2026, today, |_| {}).await?;
    out.push(BenchResult {
        name: format!(
            "generate {} attendance rows ({} units, {} activities, {} sessions, {} persons)",
            r.rows, r.units, r.activities, r.sessions, r.persons
        ),
        value: format!(
            "{:.1} s ({:.0} rows/s) + rollup rebuild {:.1} s (total {:.1} s)",
            r.insert_secs,
            r.rows as f64 / r.insert_secs.max(1e-9),
            r.rebuild_secs,
            t.elapsed().as_secs_f64()
        ),
    });
    let year_ago = today.checked_sub_months(chrono::Months::new(12)).and_then(|d| d.succ_opt()).unwrap_or(today);
    let three_years = today - chrono::Duration::days(3 * 365);
    let one_unit = units.first().copied().map(|u| vec![u]);
    let queries: [(&str, Option<&[shegong_domain::ids::UnitId]>, chrono::NaiveDate, CountGrain); 6] = [
        ("agency total, last 12 months (the counts page)", None, year_ago, CountGrain::Total),
        ("by unit and month, last 12 months (the yearly report)", None, year_ago, CountGrain::UnitMonth),
        ("agency total, 3 years", None, three_years, CountGrain::Total),
        ("by unit, 3 years", None, three_years, CountGrain::Unit),
        ("by month, 3 years", None, three_years, CountGrain::Month),
        ("one unit, last 12 months", one_unit.as_deref(), year_ago, CountGrain::Total),
    ];
    for (label, units, from, grain) in queries {
        let mut times = Vec::new();
        let mut n_rows = 0;
        for _ in 0..5 {
            let t = Instant::now();
            n_rows = store.activity_counts(org, units, from, today, grain).await?.len();
            times.push(t.elapsed());
        }
        times.sort();
        out.push(BenchResult {
            name: format!("activity_counts: {label} ({} rows in the table, {n_rows} result rows)", r.rows),
            value: format!("median {} · max {} (5 runs)", ms(percentile(&times, 0.5)), ms(percentile(&times, 1.0))),
        });
    }
    out.extend(reports(store, org, one_unit.as_deref(), year_ago, today, r.rows).await?);
    Ok(out)
}

/// The output report and a unit's dashboard over the generated activities, beside the plain
/// `COUNT(DISTINCT …) GROUP BY unit, month` over the attendance rows that the rollups replace.
async fn reports(
    store: &Store,
    org: shegong_domain::ids::OrgId,
    one_unit: Option<&[shegong_domain::ids::UnitId]>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    rows: u64,
) -> Result<Vec<BenchResult>, CliError> {
    use shegong_domain::reports::{Period, PeriodKind};
    use shegong_web::reports::{output_report, trends, ReportScope, Resolved};
    let scope = |units: Option<&[shegong_domain::ids::UnitId]>| Resolved {
        org,
        period: Period { kind: PeriodKind::Custom, from, to, label: format!("{from}..{to}") },
        scope: ReportScope { unit_id: None, district: None, units: units.map(<[_]>::to_vec) },
        suppress: false,
        hide_sensitive: false,
    };
    let (agency, unit) = (scope(None), scope(one_unit));
    let mut out = Vec::new();
    let mut time = |name: String, times: &mut Vec<Duration>| {
        times.sort();
        out.push(BenchResult {
            name,
            value: format!("median {} · max {} (5 runs)", ms(percentile(times, 0.5)), ms(percentile(times, 1.0))),
        });
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        output_report(store, &agency).await?;
        times.push(t.elapsed());
    }
    time(format!("output report, whole agency, last 12 months, by unit, domain and category ({rows} attendance rows)"), &mut times);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        trends(store, &unit).await?;
        times.push(t.elapsed());
    }
    time("one unit's dashboard: 12 monthly trends".into(), &mut times);
    let plain = format!(
        "SELECT unit_id, month, COUNT(DISTINCT person_no) FROM activity_attendance WHERE day >= '{from}' AND day <= '{to}' GROUP BY unit_id, month"
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        store.execute_raw(&plain).await?;
        times.push(t.elapsed());
    }
    time("plain COUNT(DISTINCT person) GROUP BY unit, month over the rows, last 12 months".into(), &mut times);
    Ok(out)
}

/// Coverage: `n` synthetic residents and 500 service points spread over a 25 × 25 km square,
/// straight-line times and the table; then the same on a synthetic street grid (a walking
/// network of about 90,000 nodes), and a suggestion of 5 sites among 200 candidates.
fn coverage(n: usize) -> Vec<BenchResult> {
    use shegong_domain::coverage::{straight_minutes, suggest, tally, CoverageSettings, Network, Resident, WalkGraph};
    let mut seed = 20261207u64;
    let mut rnd = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let (lat0, lng0, span) = (22.25, 114.05, 0.23);
    let residents: Vec<Resident> = (0..n)
        .map(|i| Resident {
            lat: lat0 + rnd() * span,
            lng: lng0 + rnd() * span,
            people: 1,
            cats: [u32::from(i % 9 == 0), u32::from(i % 17 == 0), u32::from(i % 7 == 0), u32::from(i % 23 == 0)],
        })
        .collect();
    let points: Vec<(f64, f64)> = (0..500).map(|_| (lat0 + rnd() * span, lng0 + rnd() * span)).collect();
    let settings = CoverageSettings::default();
    let mut out = Vec::new();
    let t = Instant::now();
    let minutes = straight_minutes(&residents, &points, settings.walk());
    let totals = tally(&residents, &minutes);
    out.push(BenchResult {
        name: format!("coverage, straight line: {n} residents, 500 points (times and table)"),
        value: format!("{} ({} within 15 min)", ms(t.elapsed()), totals.all.within_15),
    });
    // A street grid every ~80 m.
    let side = 300usize;
    let step = span / side as f64;
    let nodes: Vec<(f64, f64)> = (0..side * side).map(|i| (lat0 + (i / side) as f64 * step, lng0 + (i % side) as f64 * step)).collect();
    let mut edges = Vec::with_capacity(side * side * 2);
    for r in 0..side {
        for c in 0..side {
            let i = (r * side + c) as u32;
            if c + 1 < side {
                edges.push((i, i + 1, 80.0 * 1.02));
            }
            if r + 1 < side {
                edges.push((i, i + side as u32, 85.0));
            }
        }
    }
    let graph = WalkGraph::new(nodes, &edges);
    let t = Instant::now();
    let net = Network::new(&graph);
    let minutes = net.minutes(&residents, &points, settings.walk());
    let totals = tally(&residents, &minutes);
    out.push(BenchResult {
        name: format!("coverage, walking network ({} nodes, {} edges): {n} residents, 500 points", graph.node_count(), graph.edge_count()),
        value: format!("{} ({} within 15 min)", ms(t.elapsed()), totals.all.within_15),
    });
    let sample: Vec<Resident> = residents.iter().step_by((n / 100_000).max(1)).copied().collect();
    let candidates: Vec<_> = (0..200).map(|i| (None, format!("site {i}"), lat0 + rnd() * span, lng0 + rnd() * span)).collect();
    let t = Instant::now();
    let s = suggest(&sample, &points[..100], &candidates, 5, &settings, None);
    out.push(BenchResult {
        name: format!("coverage suggestion: 5 of 200 candidate sites, {} residents, 100 points ({:?})", sample.len(), s.method),
        value: ms(t.elapsed()),
    });
    out
}
