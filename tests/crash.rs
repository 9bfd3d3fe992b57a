//! Crash safety: the real `shegong` binary serves the demo agency while a thousand concurrent
//! writes (attendance, hotline calls, stock received) are in flight; it is killed with SIGKILL
//! half-way, started again, and every write it had acknowledged must be there, the counts'
//! rollups and the stock must equal what a rebuild derives from the raw rows, and the audit
//! chain must hold. On SQLite (synchronous=FULL) a backup is also taken during the writes and
//! restored, and the restored copy must pass the same checks.

use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shegong_domain::activities::CountGrain;
use shegong_domain::ids::OrgId;
use shegong_domain::ports::{ActivitiesRepo, AuditRepo, DonationsRepo, UnitsRepo};
use shegong_store::{Store, StoreOptions};
use shegong_testkit::{db_test, ok, Backend, Client, TestDb};

/// The API with a bearer token: plain requests, as an integration would send them.
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }
}
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A scratch folder, removed at the end.
struct Dir(std::path::PathBuf);

impl Dir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WRITES: usize = 1000;
const IN_FLIGHT: usize = 48;
/// The server is killed once this many writes were acknowledged.
const KILL_AFTER: usize = 400;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(url: &str, dir: &Path) -> Server {
    let port = shegong_testkit::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_shegong"))
        .args(["serve", "--database-url", url, "--bind", &format!("127.0.0.1:{port}"), "--sqlite-synchronous", "full"])
        .arg("--search-dir")
        .arg(dir.join("search"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the shegong binary starts");
    // Owned at once, so that a panic below still kills and reaps it.
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    for _ in 0..600 {
        if reqwest::get(format!("{}/healthz", server.base)).await.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer within a minute");
}

/// What a write was, so that its presence can be checked afterwards.
#[derive(Debug, Clone)]
enum Write {
    WalkIn { session: String, person_no: i64 },
    Call { id: String },
    Donation { id: String },
}

/// Everything the writes need, found through the API of the demo agency.
struct Plan {
    sessions: Vec<String>,
    hotline_unit: String,
    donation_unit: String,
    donor: String,
}

/// Waits until `n` writes were acknowledged, failing when the writes stall.
async fn wait_for_acks(acked: &std::sync::Mutex<Vec<Write>>, n: usize) {
    let start = std::time::Instant::now();
    while acked.lock().unwrap().len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "only {} writes acknowledged; last refusal: {}",
            acked.lock().unwrap().len(),
            LAST_REFUSAL.lock().unwrap_or_else(|e| e.into_inner())
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn plan(c: &Api) -> Plan {
    let activities = ok(c.get("/api/v1/activities").await, 200).await;
    let mut sessions = Vec::new();
    for a in activities.as_array().into_iter().flatten() {
        let id = a["id"].as_str().unwrap();
        let v = ok(c.get(&format!("/api/v1/activities/{id}/sessions")).await, 200).await;
        for s in v.as_array().into_iter().flatten() {
            sessions.push(s["id"].as_str().unwrap().to_string());
        }
    }
    assert!(sessions.len() >= 3, "the demo has sessions to mark");
    let units = ok(c.get("/api/v1/units").await, 200).await;
    let units = units.as_array().unwrap();
    let code = |code: &str| units.iter().find(|u| u["code"] == code).map(|u| u["id"].as_str().unwrap().to_string()).unwrap();
    let body = json!({"name": "Crash Test Company", "kind": "company"});
    let donor = ok(c.http.post(c.url("/api/v1/donations/donors")).json(&body).send().await.unwrap(), 201).await;
    Plan {
        sessions,
        hotline_unit: code("HOTLINE"),
        donation_unit: units[0]["id"].as_str().unwrap().to_string(),
        donor: donor["id"].as_str().unwrap().to_string(),
    }
}

/// The last refusal, to explain a run where writes do not go through.
static LAST_REFUSAL: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

async fn refused(r: reqwest::Response) -> Option<Write> {
    let s = r.status();
    *LAST_REFUSAL.lock().unwrap_or_else(|e| e.into_inner()) = format!("{s} {}", r.text().await.unwrap_or_default());
    None
}

/// The demo administrator (attendance, donations) and hotline operator (calls).
struct Staff {
    admin: Api,
    hotline: Api,
}

async fn staff(base: &str) -> Staff {
    Staff { admin: token_client(base, "admin").await, hotline: token_client(base, "hotline").await }
}

async fn write(staff: &Staff, plan: &Plan, i: usize) -> Option<Write> {
    let c = if i % 3 == 1 { &staff.hotline } else { &staff.admin };
    let r = match i % 3 {
        0 => {
            let session = &plan.sessions[i % plan.sessions.len()];
            let body = json!({"name": format!("Walk-in {i}"), "age_band": "65-69"});
            let r = c.http.post(c.url(&format!("/api/v1/sessions/{session}/walk-ins"))).json(&body).send().await.ok()?;
            if r.status() != StatusCode::CREATED {
                return refused(r).await;
            }
            let v: Value = r.json().await.ok()?;
            return Some(Write::WalkIn { session: session.clone(), person_no: v["person_no"].as_i64()? });
        }
        1 => {
            let body = json!({"unit_id": plan.hotline_unit, "caller_phone": format!("9{:07}", i), "call_type": "counselling",
                              "topics": ["anxiety"], "duration_minutes": 5, "note": format!("Call {i}"), "risk": "low", "outcome": "resolved"});
            c.http.post(c.url("/api/v1/hotline/calls")).json(&body).send().await.ok()?
        }
        _ => {
            let body = json!({"donor_id": plan.donor, "unit_id": plan.donation_unit, "kind": "in_kind",
                              "items": [{"name": "外科口罩", "category": "masks", "uom": "box", "quantity": 1 + i % 7,
                                         "value_per_unit": "35.50", "basis": "invoice", "lot": format!("L-{i}")}]});
            c.http.post(c.url("/api/v1/donations")).json(&body).send().await.ok()?
        }
    };
    if r.status() != StatusCode::CREATED {
        return refused(r).await;
    }
    let v: Value = r.json().await.ok()?;
    let id = v["id"].as_str()?.to_string();
    Some(if i % 3 == 1 { Write::Call { id } } else { Write::Donation { id } })
}

/// A client of the API with a bearer token of the demo administrator.
async fn token_client(base: &str, login: &str) -> Api {
    let c = Client::new(base);
    assert_eq!(c.login(login, shegong_web::demo::DEMO_PASSWORD).await.status(), 303);
    let t = ok(c.json(Method::POST, "/api/v1/tokens", &json!({"name": "crash"})).await, 201).await;
    let secret = t["secret"].as_str().unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {secret}").parse().unwrap());
    let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(60)).build().unwrap();
    Api { http, base: base.to_string() }
}

/// Every acknowledged write is present, rollups and stock equal a rebuild, the audit chain holds.
async fn check(store: &Store, staff: &Staff, org: OrgId, acked: &[Write], what: &str) {
    let c = &staff.admin;
    let mut walk_ins: std::collections::HashMap<String, Vec<i64>> = std::collections::HashMap::new();
    for w in acked {
        match w {
            Write::WalkIn { session, person_no } => walk_ins.entry(session.clone()).or_default().push(*person_no),
            Write::Call { id } => {
                assert_eq!(staff.hotline.get(&format!("/api/v1/hotline/calls/{id}")).await.status(), 200, "{what}: call {id}")
            }
            Write::Donation { id } => assert_eq!(c.get(&format!("/api/v1/donations/{id}")).await.status(), 200, "{what}: donation {id}"),
        }
    }
    for (session, people) in walk_ins {
        let lines = ok(c.get(&format!("/api/v1/sessions/{session}/attendance")).await, 200).await;
        for p in people {
            assert!(
                lines.as_array().unwrap().iter().any(|l| l["person_no"] == p && l["present"] == true),
                "{what}: walk-in {p} of session {session} is missing"
            );
        }
    }
    let (from, to) = (NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2030, 12, 31).unwrap());
    let mut before = Vec::new();
    for grain in [CountGrain::Total, CountGrain::Unit, CountGrain::Month, CountGrain::Domain, CountGrain::Category] {
        before.push(store.activity_counts(org, None, from, to, grain).await.unwrap());
    }
    store.rebuild_activity_rollups(org).await.unwrap();
    let mut after = Vec::new();
    for grain in [CountGrain::Total, CountGrain::Unit, CountGrain::Month, CountGrain::Domain, CountGrain::Category] {
        after.push(store.activity_counts(org, None, from, to, grain).await.unwrap());
    }
    assert_eq!(before, after, "{what}: the rollups equal a rebuild from the attendance rows");
    assert_eq!(store.stock_mismatches(org).await.unwrap(), vec![], "{what}: stock equals the sum of its movements");
    let audit = store.verify_audit(org).await.unwrap();
    assert_eq!(audit.first_bad_seq, None, "{what}: the audit chain holds over {} entries", audit.entries);
}

#[db_test]
async fn acknowledged_writes_survive_a_sigkill(db: TestDb) {
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    shegong_web::demo::seed_full(&db.store, today).await.unwrap().expect("an empty database");
    let org = db.store.list_agencies().await.unwrap()[0].id;
    let dir = std::env::temp_dir().join(format!("shegong-crash-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = Dir(dir);
    let mut server = start(&db.url, dir.path()).await;
    let c = Arc::new(staff(&server.base).await);
    let plan = Arc::new(plan(&c.admin).await);

    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (c, plan, acked, next) = (c.clone(), plan.clone(), acked.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= WRITES {
                    break;
                }
                match write(&c, &plan, i).await {
                    Some(w) => acked.lock().unwrap().push(w),
                    // The server is gone: what was not acknowledged may or may not be saved.
                    None if i > KILL_AFTER => break,
                    None => {}
                }
            }
        }));
    }
    // A backup taken while the writes go on (SQLite: the online backup of the running file).
    let backup = dir.path().join("during.db");
    if db.backend == Backend::Sqlite {
        wait_for_acks(&acked, KILL_AFTER / 2).await;
        let out =
            Command::new(env!("CARGO_BIN_EXE_shegong")).args(["backup", "--database-url", &db.url, "--to"]).arg(&backup).output().unwrap();
        assert!(out.status.success(), "backup during writes: {}", String::from_utf8_lossy(&out.stderr));
    }
    if let Err(e) = tokio::time::timeout(Duration::from_secs(150), wait_for_acks(&acked, KILL_AFTER)).await {
        panic!("{e}");
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked: Vec<Write> = acked.lock().unwrap().clone();
    let attempted = next.load(Ordering::SeqCst).min(WRITES);
    println!("{:?}: {} of {attempted} attempted writes acknowledged before SIGKILL", db.backend, acked.len());
    assert!(acked.len() >= KILL_AFTER);

    let server = start(&db.url, dir.path()).await;
    let c = staff(&server.base).await;
    check(&db.store, &c, org, &acked, "after SIGKILL").await;
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    if db.backend == Backend::Sqlite {
        // Restored with the command an operator uses, over a copy of the crashed database.
        let restored = dir.path().join("restored.db");
        std::fs::copy(Path::new(&db.url), &restored).unwrap();
        let url = restored.to_string_lossy().to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_shegong"))
            .args(["restore", "--force", "--database-url", &url, "--from"])
            .arg(&backup)
            .output()
            .unwrap();
        assert!(out.status.success(), "restore: {}", String::from_utf8_lossy(&out.stderr));
        let store = Store::open(&StoreOptions::new(&url), db.clock.clone()).await.unwrap();
        let mut server = start(&url, dir.path()).await;
        let c = staff(&server.base).await;
        check(&store, &c, org, &[], "the backup taken during writes").await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
}
