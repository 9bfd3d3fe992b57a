//! The loopback load section of `shegong bench`: the whole application on a local TCP port
//! over the demo agency (a scratch SQLite file), many HTTP clients at once on the busiest
//! paths: marking attendance, logging a call, opening a client's page. Each path reports
//! throughput, p50/p99 and how many requests failed.

use crate::bench::{ms, percentile, BenchResult};
use crate::CliError;
use serde_json::{json, Value};
use shegong_domain::clock::{Clock, SystemClock};
use shegong_store::{Store, StoreOptions};
use shegong_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn failed(what: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("load test: {what}"))
}

/// A signed-in browser-like session: cookies, and the CSRF token its writes carry.
struct Session {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let i = html.find(marker)? + marker.len();
    Some(html[i..].split('"').next()?.to_string())
}

impl Session {
    async fn sign_in(base: &str, username: &str) -> Result<Session, CliError> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(failed)?;
        let page = http.get(format!("{base}/login")).send().await.map_err(failed)?.text().await.map_err(failed)?;
        let token = csrf_in(&page).ok_or_else(|| failed("no sign-in form"))?;
        let form = [("username", username), ("password", shegong_web::demo::DEMO_PASSWORD), ("_csrf", token.as_str())];
        let r = http.post(format!("{base}/login")).form(&form).send().await.map_err(failed)?;
        if r.status().as_u16() != 303 {
            return Err(failed(format!("{username} could not sign in ({})", r.status())));
        }
        let page = http.get(format!("{base}/account")).send().await.map_err(failed)?.text().await.map_err(failed)?;
        let csrf = csrf_in(&page).ok_or_else(|| failed("no form on the account page"))?;
        Ok(Session { http, base: base.to_string(), csrf })
    }

    async fn get_json(&self, path: &str) -> Result<Value, CliError> {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.map_err(failed)?;
        r.json().await.map_err(failed)
    }

    async fn post(&self, path: &str, body: &Value) -> bool {
        let r = self.http.post(format!("{}{path}", self.base)).header("x-csrf-token", &self.csrf).json(body).send().await;
        r.is_ok_and(|r| r.status().is_success())
    }

    async fn open(&self, path: &str) -> bool {
        let r = self.http.get(format!("{}{path}", self.base)).send().await;
        match r {
            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
            _ => false,
        }
    }
}

/// What the paths work on, found through the API like an integration would.
struct Targets {
    /// Sessions with the person numbers enrolled in their activity.
    marks: Vec<(String, Vec<i64>)>,
    hotline_unit: String,
    clients: Vec<String>,
}

async fn targets(admin: &Session) -> Result<Targets, CliError> {
    let mut marks = Vec::new();
    for a in admin.get_json("/api/v1/activities").await?.as_array().into_iter().flatten() {
        let Some(id) = a["id"].as_str() else { continue };
        let people: Vec<i64> = admin
            .get_json(&format!("/api/v1/activities/{id}/participants"))
            .await?
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["status"] == "enrolled")
            .filter_map(|p| p["person_no"].as_i64())
            .collect();
        if people.is_empty() {
            continue;
        }
        for s in admin.get_json(&format!("/api/v1/activities/{id}/sessions")).await?.as_array().into_iter().flatten() {
            if let Some(sid) = s["id"].as_str() {
                marks.push((sid.to_string(), people.clone()));
            }
        }
    }
    let units = admin.get_json("/api/v1/units").await?;
    let hotline_unit = units
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["code"] == "HOTLINE")
        .and_then(|u| u["id"].as_str())
        .ok_or_else(|| failed("the demo has no hotline unit"))?
        .to_string();
    let list = admin.get_json("/api/v1/clients?limit=300").await?;
    let clients: Vec<String> =
        list["clients"].as_array().into_iter().flatten().filter_map(|c| c["id"].as_str().map(str::to_string)).collect();
    if marks.is_empty() || clients.is_empty() {
        return Err(failed("the demo has no sessions or clients"));
    }
    Ok(Targets { marks, hotline_unit, clients })
}

#[derive(Clone, Copy)]
enum Path {
    Mark,
    Call,
    Open,
}

impl Path {
    fn label(self) -> &'static str {
        match self {
            Path::Mark => "mark attendance (POST /api/v1/sessions/{id}/attendance)",
            Path::Call => "log a call (POST /api/v1/hotline/calls)",
            Path::Open => "open a client (GET /clients/{id}, audited)",
        }
    }
}

async fn hit(path: Path, i: usize, admin: &Session, hotline: &Session, t: &Targets) -> bool {
    match path {
        Path::Mark => {
            let (session, people) = &t.marks[i % t.marks.len()];
            let person = people[(i / t.marks.len()) % people.len()];
            // Alternate present and absent, so every request changes a mark and its rollups.
            let body = if (i / (t.marks.len() * people.len())).is_multiple_of(2) {
                json!({"present": [person]})
            } else {
                json!({"absent": [person]})
            };
            admin.post(&format!("/api/v1/sessions/{session}/attendance"), &body).await
        }
        Path::Call => {
            let body = json!({"unit_id": t.hotline_unit, "caller_phone": format!("9{:07}", i % 10_000_000), "call_type": "counselling",
                              "topics": ["anxiety"], "duration_minutes": 5, "note": "Load test call.", "risk": "low", "outcome": "resolved"});
            hotline.post("/api/v1/hotline/calls", &body).await
        }
        Path::Open => admin.open(&format!("/clients/{}", t.clients[i % t.clients.len()])).await,
    }
}

pub async fn run(seconds: u64, clients: usize) -> Result<Vec<BenchResult>, CliError> {
    let dir = std::env::temp_dir().join(format!("shegong-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(failed)?;
    let result = measure(&dir, seconds, clients.max(1)).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(dir: &std::path::Path, seconds: u64, clients: usize) -> Result<Vec<BenchResult>, CliError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let url = dir.join("load.db").to_string_lossy().to_string();
    let store = Store::open(&StoreOptions::new(&url), clock.clone()).await?;
    shegong_web::demo::seed_full(&store, clock.now().date_naive()).await?;
    let search = Arc::new(shegong_search::ClientSearch::in_memory().map_err(failed)?);
    let knowledge = Arc::new(shegong_search::KnowledgeSearch::in_memory().map_err(failed)?);
    let app = shegong_web::router(AppState::new(Arc::new(store), search, knowledge, clock, WebConfig::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(failed)?;
    let base = format!("http://{}", listener.local_addr().map_err(failed)?);
    let server = tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    let admin = Arc::new(Session::sign_in(&base, "admin").await?);
    let hotline = Arc::new(Session::sign_in(&base, "hotline").await?);
    let t = Arc::new(targets(&admin).await?);

    let mut out = Vec::new();
    for path in [Path::Mark, Path::Call, Path::Open] {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let next = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let times = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..clients {
            let (admin, hotline, t, next, errors, times) =
                (admin.clone(), hotline.clone(), t.clone(), next.clone(), errors.clone(), times.clone());
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let t0 = Instant::now();
                    if hit(path, i, &admin, &hotline, &t).await {
                        mine.push(t0.elapsed());
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if let Ok(mut all) = times.lock() {
                    all.extend(mine);
                }
            }));
        }
        for w in workers {
            w.await.map_err(failed)?;
        }
        let wall = started.elapsed();
        let mut times = times.lock().map(|t| t.clone()).unwrap_or_default();
        times.sort();
        out.push(BenchResult {
            name: format!("load, {clients} clients × {seconds} s: {}", path.label()),
            value: format!(
                "{:.0} req/s · p50 {} · p99 {} · {} errors of {}",
                times.len() as f64 / wall.as_secs_f64(),
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99)),
                errors.load(Ordering::Relaxed),
                times.len() as u64 + errors.load(Ordering::Relaxed)
            ),
        });
    }
    server.abort();
    Ok(out)
}
