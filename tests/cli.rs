//! The `shegong` command as an operator uses it.

use shegong_testkit::{db_test, TestDb};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn shegong(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shegong"));
    c.env("SHEGONG_DATABASE_URL", db).env_remove("SHEGONG_CONFIG").env("RUST_LOG", "warn");
    c
}

fn run(db: &str, args: &[&str]) -> (i32, String) {
    let out = shegong(db).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

struct Dir(PathBuf);

impl Dir {
    fn new() -> Self {
        let d = std::env::temp_dir().join(format!("shegong-cli-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&d).unwrap();
        Self(d)
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `serve` on a free port; returns the running server and its base URL.
fn serve(db: &str, extra: &[&str]) -> (Server, String) {
    let mut server = Server(
        shegong(db).args(["serve", "--bind", "127.0.0.1:0"]).args(extra).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.strip_prefix("shegong is running at ") {
            let url = url.trim_end_matches('/').to_string();
            std::thread::spawn(move || for _ in lines.by_ref() {});
            if extra.contains(&"--demo") {
                assert!(printed.contains("admin") && printed.contains("demo-pass-2026"), "demo logins are printed: {printed}");
            }
            return (server, url);
        }
    }
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_demo_starts_with_a_signed_in_ready_agency() {
    let dir = Dir::new();
    let (_server, url) = serve(&dir.file("demo.db"), &["--demo"]);
    let c = shegong_testkit::Client::new(&url);
    let v: serde_json::Value = c.get("/healthz").await.json().await.unwrap();
    assert_eq!(v["database"], "sqlite");
    assert_eq!(c.login("admin", "demo-pass-2026").await.status(), 303);
    let (status, home) = c.page("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("灣仔綜合家庭服務中心"), "demo units are listed");
    assert!(home.contains("系統管理員"), "the admin's role is shown in Traditional Chinese");
    for page in ["/reports", "/reports/dashboard", "/reports/targets"] {
        let (status, html) = c.page(page).await;
        assert_eq!(status, 200, "{page}: {html}");
    }
    let (_, dash) = c.page("/reports/dashboard").await;
    assert!(dash.contains("id=\"achievement\""), "the demo agency has targets to show against");
    // The demo resilience group has before and after scores; the knowledge base has solutions.
    let (status, html) = c.page("/outcomes?scale=brs&intervention=resilience_group").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"programme-table\""), "programme outcomes are shown");
    let (status, html) = c.page("/knowledge?q=抗逆力").await;
    assert_eq!(status, 200);
    assert!(html.contains("抗逆力小組"), "a solution is found");
}

#[test]
fn report_outputs_writes_the_same_figures_as_json_and_excel() {
    let dir = Dir::new();
    let db = dir.file("report.db");
    let (code, out) = run(&db, &["demo", "--attendance", "3000", "--activities-units", "4"]);
    assert_eq!(code, 0, "{out}");
    let period = ["--from", "2021-01-01", "--to", "2030-12-31"];
    let (code, json) = run(&db, &[&["report", "outputs", "--format", "json"], &period[..]].concat());
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let person_times = v["lines"].as_array().unwrap().iter().find(|l| l["measure"] == "person_times").unwrap()["figure"]["value"].as_f64();
    assert!(person_times.unwrap() > 0.0, "the demo agency has attendance: {json}");
    let file = dir.file("outputs.xlsx");
    let (code, out) = run(&db, &[&["report", "outputs", "--format", "xlsx", "--lang", "zh-Hant-HK", "--out", &file], &period[..]].concat());
    assert_eq!(code, 0, "{out}");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let summary = wb.worksheet_range("摘要").unwrap();
    let cell = summary.rows().find(|r| r.first().map(|c| c.to_string()).as_deref() == Some("人次")).and_then(|r| r.get(1).cloned());
    assert_eq!(cell, Some(calamine::Data::Float(person_times.unwrap())));
    let (code, out) = run(&db, &["report", "outputs", "--unit", "NO-SUCH-UNIT"]);
    assert_ne!(code, 0);
    assert!(out.contains("no service unit has the code NO-SUCH-UNIT"), "{out}");
}

#[db_test]
async fn serve_runs_on_either_engine(db: TestDb) {
    let url = db.url.clone();
    let (_server, base) = serve(&url, &[]);
    let v: serde_json::Value = reqwest::get(format!("{base}/healthz")).await.unwrap().json().await.unwrap();
    let expected = match db.backend {
        shegong_testkit::Backend::Sqlite => "sqlite",
        shegong_testkit::Backend::Postgres => "postgres",
    };
    assert_eq!(v["database"], expected);
}

#[test]
fn migrate_then_create_admin_on_a_new_installation() {
    let dir = Dir::new();
    let db = dir.file("new.db");
    let (code, out) = run(&db, &["migrate"]);
    assert_eq!(code, 0, "{out}");
    // Every migration is applied and listed (the count grows with each capability).
    let listed = out.lines().filter(|l| l.trim_start().starts_with("m20")).count();
    assert!(listed >= 6, "{out}");
    assert!(out.contains(&format!("applied {listed} migration")), "{out}");
    assert!(out.contains("m20261203_000007_volunteers"), "{out}");
    assert!(out.contains("m20261203_000008_lending"), "{out}");
    assert!(out.contains("m20261207_000010_reports"), "{out}");
    assert!(out.contains("m20261207_000009_assistance"), "{out}");
    assert!(out.contains("m20261207_000011_coverage"), "{out}");
    let (_, out) = run(&db, &["migrate"]);
    assert!(out.contains("applied 0 migration"), "{out}");

    let (code, out) = run(&db, &["user", "create-admin", "--username", "chief"]);
    assert_ne!(code, 0);
    assert!(out.contains("--agency-name"), "a new installation needs an agency name: {out}");

    let mut child = shegong(&db)
        .args(["user", "create-admin", "--username", "chief", "--agency-name", "新界西家庭服務", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a very long password\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    let (code, out) = run(&db, &["user", "reset-password", "--username", "chief"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("password: "), "a generated password is printed once: {out}");
    let (code, out) = run(&db, &["user", "reset-password", "--username", "nobody"]);
    assert_ne!(code, 0);
    assert!(out.contains("no user named nobody"), "{out}");

    // A walking network from a small OpenStreetMap file (the motorway is left out).
    let osm = dir.file("district.osm");
    std::fs::write(
        &osm,
        r#"<osm version="0.6"><node id="1" lat="22.30" lon="114.170"/><node id="2" lat="22.30" lon="114.171"/><node id="3" lat="22.301" lon="114.171"/><node id="4" lat="22.31" lon="114.18"/><way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way><way id="10"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way></osm>"#,
    )
    .unwrap();
    let (code, out) = run(&db, &["coverage", "import-osm", &osm]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("walking network imported from district.osm: 3 nodes, 2 edges"), "{out}");
    let (code, out) = run(&db, &["coverage", "import-osm", &dir.file("missing.osm.pbf")]);
    assert_ne!(code, 0, "{out}");

    let (code, out) = run(&db, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact"), "{out}");
}

#[tokio::test]
async fn backup_restore_and_tamper_detection() {
    let dir = Dir::new();
    let db = dir.file("live.db");
    assert_eq!(run(&db, &["demo"]).0, 0);
    let backup = dir.file("backup.db");
    let (code, out) = run(&db, &["backup", "--to", &backup]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&db, &["backup", "--to", &backup]);
    assert_ne!(code, 0, "an existing backup is never overwritten: {out}");

    // Tamper with the live database behind the application's back.
    {
        let clock = std::sync::Arc::new(shegong_domain::clock::SystemClock);
        let store = shegong_store::Store::connect(&shegong_store::StoreOptions::new(&db), clock).await.unwrap();
        store.execute_raw("DROP TRIGGER audit_log_no_update").await.unwrap();
        store.execute_raw("UPDATE audit_log SET actor_name = 'intruder' WHERE seq = 2").await.unwrap();
        store.close().await.unwrap();
    }
    let (code, out) = run(&db, &["audit", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at entry 2"), "{out}");

    // Restore refuses to overwrite without --force, refuses junk, then restores the good copy.
    let (code, out) = run(&db, &["restore", "--from", &backup]);
    assert_ne!(code, 0);
    assert!(out.contains("--force"), "{out}");
    let junk = dir.file("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let (code, out) = run(&db, &["restore", "--from", &junk, "--force"]);
    assert_ne!(code, 0, "{out}");
    assert!(Path::new(&db).exists(), "a failed restore leaves the database in place");
    let (code, out) = run(&db, &["restore", "--from", &backup, "--force"]);
    assert_eq!(code, 0, "{out}");
    // A walking network from a small OpenStreetMap file (the motorway is left out).
    let osm = dir.file("district.osm");
    std::fs::write(
        &osm,
        r#"<osm version="0.6"><node id="1" lat="22.30" lon="114.170"/><node id="2" lat="22.30" lon="114.171"/><node id="3" lat="22.301" lon="114.171"/><node id="4" lat="22.31" lon="114.18"/><way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way><way id="10"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way></osm>"#,
    )
    .unwrap();
    let (code, out) = run(&db, &["coverage", "import-osm", &osm]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("walking network imported from district.osm: 3 nodes, 2 edges"), "{out}");
    let (code, out) = run(&db, &["coverage", "import-osm", &dir.file("missing.osm.pbf")]);
    assert_ne!(code, 0, "{out}");

    let (code, out) = run(&db, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn a_typo_in_the_settings_file_is_refused() {
    let dir = Dir::new();
    let cfg = dir.file("shegong.toml");
    std::fs::write(&cfg, "bind = \"127.0.0.1:9\"\nsecure_cookie = true\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shegong")).args(["--config", &cfg, "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `secure_cookie`"));
}

#[test]
fn bench_prints_its_figures_and_leaves_no_file_behind() {
    let dir = Dir::new();
    let out = Command::new(env!("CARGO_BIN_EXE_shegong"))
        .current_dir(&dir.0)
        .env_remove("SHEGONG_DATABASE_URL")
        .env_remove("SHEGONG_CONFIG")
        .args(["bench", "--writes", "20", "--requests", "5", "--import-rows", "50", "--coverage-residents", "3000"])
        .args(["--load-seconds", "1", "--load-clients", "4"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("| audit verify (entries=22) |"), "{text}");
    assert!(text.contains("GET /units listing 20 units"), "{text}");
    assert!(text.contains("import clients from CSV, import (n=50)") && text.contains("50 created"), "{text}");
    assert!(text.contains("search index rebuild from the database (n=50)"), "{text}");
    assert!(text.contains("coverage, straight line: 3000 residents, 500 points"), "{text}");
    assert!(text.contains("coverage suggestion: 5 of 200 candidate sites"), "{text}");
    for path in ["mark attendance", "log a call", "open a client"] {
        let line = text.lines().find(|l| l.contains(&format!("load, 4 clients × 1 s: {path}"))).unwrap_or_else(|| panic!("{path}: {text}"));
        assert!(line.contains(" · 0 errors of "), "the loopback load meets no error: {line}");
    }
    assert!(!text.contains("FAILED"), "{text}");
    assert!(!dir.0.join("shegong.db").exists(), "bench never writes to the default database");
}
