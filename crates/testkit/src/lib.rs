//! Test support: databases on both engines, a real server on a free port, seeded agencies,
//! and an HTTP client that signs in and carries CSRF tokens like a browser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shegong_domain::accounts::{Actor, Grant, NewUser, Role, User};
use shegong_domain::clock::ManualClock;
use shegong_domain::ids::OrgId;
use shegong_domain::locale::Locale;
use shegong_domain::ports::{AccountsRepo, UnitsRepo};
use shegong_domain::units::{Agency, ServiceUnit, UnitInput};
use shegong_store::{Store, StoreOptions};
use shegong_web::{AppState, WebConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

pub use shegong_testkit_macros::db_test;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Something a `#[db_test]` can be given. `None` means the engine is unavailable and the
/// test is skipped (never in CI, where that is a failure).
#[allow(async_fn_in_trait)]
pub trait Fixture: Sized {
    async fn setup(backend: Backend) -> Option<Self>;
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

pub fn pg_admin_url() -> String {
    std::env::var("SHEGONG_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn start_time() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z").unwrap().with_timezone(&chrono::Utc)
}

/// Creates a test database from `template0`, which never has connections, so a concurrent
/// test or an autovacuum worker on `template1` cannot make the copy fail. A transient error is
/// tried again a few times and the last one is reported in full.
async fn create_pg_database(admin: &Store, name: &str) {
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE template0");
    let mut last = None;
    for attempt in 0..5u64 {
        match admin.execute_raw(&sql).await {
            Ok(_) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1))).await;
    }
    panic!("CREATE DATABASE {name} failed five times; the last error: {last:?}");
}

/// A fresh, migrated database of its own, removed when dropped.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pg_name: Option<String>,
    dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Option<Self> {
        let clock = Arc::new(ManualClock::new(start_time()));
        let (url, pg_name, dir) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("shegong-test-{}", uuid::Uuid::now_v7().simple()));
                std::fs::create_dir_all(&dir).unwrap();
                (dir.join("test.db").to_string_lossy().to_string(), None, Some(dir))
            }
            Backend::Postgres => {
                let admin_url = pg_admin_url();
                let admin = match Store::connect(&StoreOptions::new(&admin_url), clock.clone()).await {
                    Ok(a) => a,
                    Err(e) => {
                        if in_ci() {
                            panic!("PostgreSQL at {admin_url} is required in CI: {e}");
                        }
                        eprintln!("skipping PostgreSQL case: {e} (start PostgreSQL or set SHEGONG_TEST_PG_URL)");
                        return None;
                    }
                };
                let name = format!("shegong_test_{}", uuid::Uuid::now_v7().simple());
                create_pg_database(&admin, &name).await;
                admin.close().await.unwrap();
                let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin_url);
                (format!("{base}/{name}"), Some(name), None)
            }
        };
        let mut opts = StoreOptions::new(&url);
        opts.max_connections = 4;
        let store = Store::open(&opts, clock.clone()).await.unwrap();
        Some(Self { backend, url, store, clock, pg_name, dir })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Dropping runs outside the test's runtime, so it gets a small one of its own.
            let handle = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let clock = Arc::new(ManualClock::new(start_time()));
                    if let Ok(admin) = Store::connect(&StoreOptions::new(pg_admin_url()), clock).await {
                        let _ = admin.execute_raw(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                        let _ = admin.close().await;
                    }
                });
            });
            let _ = handle.join();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Fixture for TestDb {
    async fn setup(backend: Backend) -> Option<Self> {
        TestDb::new(backend).await
    }
}

/// The password of every seeded account.
pub const PASSWORD: &str = "test-password-1";

async fn password_hash() -> &'static str {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async { shegong_web::accounts::hash_password(PASSWORD.into()).await.unwrap() }).await
}

/// An agency with two units and one account per role: `admin` agency-wide, every other role
/// granted on unit A only, plus `funder` agency-wide.
pub struct Seeded {
    pub org: OrgId,
    pub unit_a: ServiceUnit,
    pub unit_b: ServiceUnit,
    pub users: HashMap<Role, User>,
}

impl Seeded {
    pub fn user(&self, role: Role) -> &User {
        &self.users[&role]
    }
}

pub fn unit_input(code: &str, name: &str) -> UnitInput {
    UnitInput {
        code: code.into(),
        name_zh_hant: name.into(),
        unit_type: "family_centre".into(),
        district: "灣仔".into(),
        active: true,
        ..Default::default()
    }
}

/// Seeds an agency whose usernames start with `prefix` (usernames are unique per deployment).
pub async fn seed(store: &Store, prefix: &str) -> Seeded {
    let org = OrgId::new();
    let hash = password_hash().await;
    let agency = Agency {
        id: org,
        name_en: format!("{prefix} Test Agency"),
        name_zh_hant: format!("{prefix} 測試機構"),
        name_zh_hans: format!("{prefix} 测试机构"),
        time_zone: "Asia/Hong_Kong".into(),
        created_at: start_time(),
    };
    let admin = NewUser {
        username: format!("{prefix}admin"),
        display_name: "Admin".into(),
        password: PASSWORD.into(),
        locale: Locale::En,
        grants: Vec::new(),
    };
    let admin = store.create_agency(&agency, &admin, hash).await.unwrap();
    let actor = Actor::from(&admin);
    let unit_a = store.create_unit(&actor, &unit_input("UNIT-A", "甲中心").validate().unwrap()).await.unwrap();
    let unit_b = store.create_unit(&actor, &unit_input("UNIT-B", "乙中心").validate().unwrap()).await.unwrap();
    let mut users = HashMap::new();
    users.insert(Role::Admin, admin);
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        let unit_id = if role.agency_wide_only() { None } else { Some(unit_a.id) };
        let new = NewUser {
            username: format!("{prefix}{}", role.as_str().replace('_', "-")),
            display_name: role.as_str().into(),
            password: PASSWORD.into(),
            locale: Locale::En,
            grants: vec![Grant { role, unit_id }],
        };
        users.insert(role, store.create_user(&actor, &new, hash).await.unwrap());
    }
    Seeded { org, unit_a, unit_b, users }
}

/// The real application on a free local port.
pub struct TestApp {
    pub db: TestDb,
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub seeded: Seeded,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn(db: TestDb) -> Self {
        Self::spawn_seeded(db, "").await
    }

    /// The application over the whole demo agency (sign in with the demo logins), beside the
    /// usual seeded agency whose usernames start with `t-`.
    pub async fn spawn_demo(db: TestDb) -> Self {
        let today = shegong_domain::clock::Clock::now(db.clock.as_ref()).date_naive();
        shegong_web::demo::seed_full(&db.store, today).await.unwrap().expect("an empty database");
        Self::spawn_seeded(db, "t-").await
    }

    async fn spawn_seeded(db: TestDb, prefix: &str) -> Self {
        let seeded = seed(&db.store, prefix).await;
        let search = Arc::new(shegong_search::ClientSearch::in_memory().unwrap());
        let state = AppState::new(
            Arc::new(db.store.clone()),
            search,
            Arc::new(shegong_search::KnowledgeSearch::in_memory().unwrap()),
            db.clock.clone(),
            WebConfig::default(),
        );
        let app = shegong_web::router(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        Self { base: format!("http://{addr}"), addr, db, state, seeded, server }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client already signed in as the seeded user of `role`.
    pub async fn signed_in(&self, role: Role) -> Client {
        let c = self.client();
        let r = c.login(&self.seeded.user(role).username, PASSWORD).await;
        assert_eq!(r.status(), 303, "sign-in as {role:?} should redirect");
        c
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Fixture for TestApp {
    async fn setup(backend: Backend) -> Option<Self> {
        Some(TestApp::spawn(TestDb::new(backend).await?).await)
    }
}

/// The JSON body of an answer that must have `status` (the body is shown when it has not).
pub async fn ok(r: reqwest::Response, status: u16) -> serde_json::Value {
    let code = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(code, status, "{text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// The (field, code) pairs of a 422 answer's field errors.
pub async fn refused(r: reqwest::Response) -> Vec<(String, String)> {
    let body = ok(r, 422).await;
    body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap().into(), f["code"].as_str().unwrap().into()))
        .collect()
}

/// A browser-like client: keeps cookies, does not follow redirects, echoes CSRF tokens.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    csrf: std::sync::Mutex<Option<String>>,
}

/// The value of the first `_csrf` hidden field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

impl Client {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, base: base.into(), csrf: std::sync::Mutex::new(None) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// GET and return (status, body).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        (s, r.text().await.unwrap())
    }

    /// The CSRF token this client's forms must carry, read from a page like a browser would.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.csrf.lock().unwrap().clone() {
            return t;
        }
        let (_, body) = self.page("/login").await;
        let t = match csrf_in(&body) {
            Some(t) => t,
            None => csrf_in(&self.page("/account").await.1).expect("a page with a form"),
        };
        *self.csrf.lock().unwrap() = Some(t.clone());
        t
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let r = self.post_form("/login", &[("username", username), ("password", password)]).await;
        if r.status() == 303 {
            // A signed-in session has its own token.
            *self.csrf.lock().unwrap() = None;
        }
        r
    }

    /// Posts a form with this client's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("_csrf", &token));
        let encoded = serde_urlencoded_pairs(&body);
        self.http.post(self.url(path)).header("content-type", "application/x-www-form-urlencoded").body(encoded).send().await.unwrap()
    }

    /// Sends JSON with the session's CSRF header.
    pub async fn json(&self, method: reqwest::Method, path: &str, body: &serde_json::Value) -> reqwest::Response {
        let token = self.csrf().await;
        self.http.request(method, self.url(path)).header("x-csrf-token", token).json(body).send().await.unwrap()
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Browser tests: a headless Chromium of its own, driven over WebDriver through chromedriver.

/// How long a browser test waits for a page or element before failing.
pub const BROWSER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// A headless Chromium with its own chromedriver (own port) and its own profile directory, so
/// browser tests can run in parallel. Dropping it quits the browser and stops chromedriver.
pub struct Browser {
    pub client: fantoccini::Client,
    /// The application's base URL, e.g. `http://127.0.0.1:1234`.
    pub base: String,
    // Declared after `client`, so it is dropped (chromedriver stopped) after the session.
    _driver: Chromedriver,
}

/// A running chromedriver; dropping it shuts it down (with its browsers) and removes the
/// temporary directory holding the Chromium profile.
struct Chromedriver {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // chromedriver's own shutdown command quits every session's browser, then exits.
        let _ = local_http_get(self.port, "/shutdown");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tiny blocking HTTP/1.1 GET to a local port (chromedriver answers nothing to HTTP/1.0 and
/// keeps the connection open): the whole response, or `None` if nothing answered.
fn local_http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = std::time::Duration::from_secs(2);
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.set_write_timeout(Some(timeout)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes()).ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        out.extend_from_slice(&buf[..n]);
        // Stop once the headers and as many body bytes as they announce have arrived.
        let text = String::from_utf8_lossy(&out);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= len {
                break;
            }
        }
    }
    (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
}

/// A local TCP port that is free now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The PNG screenshots of browser tests go here (`target/screenshots`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("target"));
    target.join("screenshots")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium for the application at `base`. `None` when
    /// chromedriver or Chromium is not installed (the test is skipped; in CI that panics).
    pub async fn start(base: &str) -> Option<Browser> {
        let chromium = std::env::var("SHEGONG_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver = std::env::var("SHEGONG_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        for (what, path, var) in [("Chromium", &chromium, "SHEGONG_CHROMIUM"), ("chromedriver", &chromedriver, "SHEGONG_CHROMEDRIVER")] {
            if !std::path::Path::new(path).is_file() {
                if in_ci() {
                    panic!("{what} at {path} is required in CI (set {var} to its path)");
                }
                eprintln!("skipping browser test: {what} not found at {path} (install it or set {var})");
                return None;
            }
        }
        let dir = std::env::temp_dir().join(format!("shegong-browser-{}", uuid::Uuid::now_v7().simple()));
        let profile = dir.join("profile");
        std::fs::create_dir_all(&profile).unwrap();
        let driver = start_chromedriver(&chromedriver, dir).await;
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                    "--window-size=1280,900",
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let client = fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium at {chromium}: {e}"));
        Some(Browser { client, base: base.trim_end_matches('/').to_string(), _driver: driver })
    }

    /// Ends the WebDriver session (closing Chromium) before chromedriver is stopped.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Opens `path` of the application and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// The current path and query, e.g. `/units?notice=created`.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits (up to [`BROWSER_WAIT`]) for an element matching the CSS selector.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(BROWSER_WAIT).for_element(fantoccini::Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => {
                let path = self.path().await;
                let text = self.text("body").await;
                panic!("no element `{css}` on {path} after {BROWSER_WAIT:?} ({e}); the page reads:\n{text}")
            }
        }
    }

    /// Waits until `el` has left the page (a submit replaced it), so that what is read next is
    /// the new page and not the old one that looks the same.
    pub async fn wait_gone(&self, el: &fantoccini::elements::Element) {
        let start = std::time::Instant::now();
        while el.tag_name().await.is_ok() {
            assert!(start.elapsed() < BROWSER_WAIT, "the page did not change after {BROWSER_WAIT:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Clicks a submit button and waits for the page it loads: a notice or heading read next
    /// is then the new page's, never the same-looking one of the page before.
    pub async fn submit(&self, css: &str) {
        let old = self.find("html").await;
        self.find(css).await.click().await.unwrap();
        self.wait_gone(&old).await;
    }

    /// The first element matching the CSS selector, now.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client.find(fantoccini::Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element `{css}`: {e}"))
    }

    /// The rendered text of the first element matching the CSS selector.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// The current value of the form field matching the CSS selector.
    pub async fn value(&self, css: &str) -> String {
        self.find(css).await.prop("value").await.unwrap().unwrap_or_default()
    }

    /// Clears the field matching the CSS selector and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Presses keys on whatever has the focus, like a keyboard: no element is targeted.
    /// Special keys are `fantoccini::key::Key` values turned into `char`.
    pub async fn press_keys(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for c in keys.chars() {
            actions = actions.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Signs in through the form and waits for the signed-in page.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.wait_for("#f-username").await;
        self.fill("#f-username", username).await;
        self.fill("#f-password", password).await;
        self.find("form[action=\"/login\"] button[type=submit]").await.click().await.unwrap();
        self.wait_for("form[action=\"/logout\"]").await;
    }

    /// Saves a PNG of the viewport as `target/screenshots/{name}.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

async fn start_chromedriver(binary: &str, dir: PathBuf) -> Chromedriver {
    // A port can be taken between choosing and binding it; then chromedriver exits and we retry.
    for _ in 0..3 {
        let port = free_port();
        let mut child = std::process::Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary}: {e}"));
        let deadline = tokio::time::Instant::now() + BROWSER_WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if local_http_get(port, "/status").is_some_and(|r| r.contains("\"ready\":true")) {
                return Chromedriver { child, port, dir };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // Not answering: stop this one and try another port.
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    panic!("chromedriver ({binary}) did not start");
}
