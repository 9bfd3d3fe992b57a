//! Authorization. One matrix lists every route of the application with the roles that may use
//! it; every role and an anonymous visitor call every route, by session (cookie + CSRF) and by
//! personal API token, and a refusal must be a refusal that shows nothing. A route without a
//! row fails `every_route_has_a_row`; the table in docs/SECURITY.md is this matrix, checked by
//! `security_doc_shows_the_matrix`. Then: agencies never see each other, unit grants stay in
//! their unit, tokens belong to their owner.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Grant, Grants, Permission, Role, Scope};
use shegong_domain::ids::{UnitId, UserId};
use shegong_domain::ports::{AccountsRepo, AuditRepo, UnitsRepo};
use shegong_testkit::{db_test, Client, TestApp, PASSWORD};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

/// What the `{id}` (or `{file}`) of a path is filled with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    Nothing,
    /// Unit A: the unit where every unit-scoped role of the seed is granted.
    CallersUnit,
    /// Unit B: a unit where no unit-scoped role of the seed is granted.
    OtherUnit,
    /// An account that is not the caller's (made for this test).
    OtherAccount,
    /// One of the caller's own API tokens.
    OwnToken,
    /// A static file.
    File,
}

/// Where a permission is asked for.
#[derive(Clone, Copy, Debug)]
enum At {
    Agency,
    AnyUnit,
    /// The unit named in the path.
    ThatUnit,
}

/// What the route asks of its caller (documentation, and checked against the domain's matrix).
#[derive(Clone, Copy, Debug)]
enum Need {
    Nothing,
    SignedIn,
    Perm(Permission, At),
}

/// Who may use the route, for the seeded agency: `admin` and `funder_viewer` agency-wide,
/// every other role granted on unit A only.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Anonymous visitors and every role.
    Anyone,
    Roles(&'static [Role]),
}

const EVERY_ROLE: &[Role] = &Role::ALL;
const ADMIN: &[Role] = &[Role::Admin];
/// The roles the seed grants agency-wide.
const AGENCY_WIDE: &[Role] = &[Role::Admin, Role::FunderViewer];

/// What a call sends. Every write sends a valid body, except where noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    None,
    /// A form with nothing but its CSRF token.
    EmptyForm,
    Locale,
    /// A password change with a wrong current password: deliberately refused with 422, so
    /// that no session ends.
    WrongPassword,
    TokenForm,
    NewUserForm,
    EditUserForm,
    NewUnitForm,
    EditUnitForm,
    /// Sign-in with the caller's own account (anonymous: the other account, on a fresh client).
    Login,
    NewUserJson,
    EditUserJson,
    NewTokenJson,
    NewUnitJson,
    EditUnitJson,
    /// A JSON call without a body (DELETE).
    NoJson,
}

impl Body {
    /// A deliberately minimal body: an allowed caller gets 422, never 2xx.
    fn minimal(self) -> bool {
        self == Body::WrongPassword
    }
}

struct Row {
    method: &'static str,
    /// The route as the router spells it.
    path: &'static str,
    on: On,
    body: Body,
    need: Need,
    who: Who,
    /// Text the allowed response shows and a refusal must not.
    shows: Option<&'static str>,
}

const fn row(method: &'static str, path: &'static str, on: On, body: Body, need: Need, who: Who, shows: Option<&'static str>) -> Row {
    Row { method, path, on, body, need, who, shows }
}

use Permission::{ManageUnits, ManageUsers, ViewAudit, ViewUnits};

/// Every route of the application. Rows run in this order for each caller: the sign-in and
/// sign-out rows come last because they change the caller's session.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // ---- pages ----
    row("GET", "/", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("甲中心")),
    row("GET", "/login", On::Nothing, Body::None, Need::Nothing, Who::Anyone, None),
    row("POST", "/locale", On::Nothing, Body::Locale, Need::Nothing, Who::Anyone, None),
    row("GET", "/account", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("authz-bearer")),
    row("POST", "/account/password", On::Nothing, Body::WrongPassword, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("POST", "/account/tokens", On::Nothing, Body::TokenForm, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("POST", "/account/tokens/{id}/revoke", On::OwnToken, Body::EmptyForm, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("GET", "/users", On::Nothing, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("POST", "/users", On::Nothing, Body::NewUserForm, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/users/new", On::Nothing, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("name=\"add_role\"")),
    row("GET", "/users/{id}", On::OtherAccount, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("POST", "/users/{id}", On::OtherAccount, Body::EditUserForm, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/units", On::Nothing, Body::None, Need::Perm(ViewUnits, At::AnyUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("POST", "/units", On::Nothing, Body::NewUnitForm, Need::Perm(ManageUnits, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/units/new", On::Nothing, Body::None, Need::Perm(ManageUnits, At::Agency), Who::Roles(ADMIN), Some("name=\"latitude\"")),
    row("GET", "/units/{id}", On::CallersUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("GET", "/units/{id}", On::OtherUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(AGENCY_WIDE), Some("UNIT-B")),
    row("POST", "/units/{id}", On::CallersUnit, Body::EditUnitForm, Need::Perm(ManageUnits, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/audit", On::Nothing, Body::None, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("action=\"/audit/verify\"")),
    row("POST", "/audit/verify", On::Nothing, Body::EmptyForm, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("action=\"/audit/verify\"")),
    // ---- JSON API ----
    row("GET", "/api/v1/me", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("\"grants\"")),
    row("GET", "/api/v1/users", On::Nothing, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("POST", "/api/v1/users", On::Nothing, Body::NewUserJson, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/users/{id}", On::OtherAccount, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("PUT", "/api/v1/users/{id}", On::OtherAccount, Body::EditUserJson, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/tokens", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("authz-bearer")),
    row("POST", "/api/v1/tokens", On::Nothing, Body::NewTokenJson, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("DELETE", "/api/v1/tokens/{id}", On::OwnToken, Body::NoJson, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("GET", "/api/v1/agency", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("Test Agency")),
    row("GET", "/api/v1/units", On::Nothing, Body::None, Need::Perm(ViewUnits, At::AnyUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("POST", "/api/v1/units", On::Nothing, Body::NewUnitJson, Need::Perm(ManageUnits, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/units/{id}", On::CallersUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("GET", "/api/v1/units/{id}", On::OtherUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(AGENCY_WIDE), Some("UNIT-B")),
    row("PUT", "/api/v1/units/{id}", On::CallersUnit, Body::EditUnitJson, Need::Perm(ManageUnits, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/audit", On::Nothing, Body::None, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("\"entity_type\"")),
    row("GET", "/api/v1/audit/verify", On::Nothing, Body::None, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("\"first_bad_seq\"")),
    row("GET", "/api/v1/openapi.json", On::Nothing, Body::None, Need::Nothing, Who::Anyone, Some("\"openapi\"")),
    // ---- operations ----
    row("GET", "/healthz", On::Nothing, Body::None, Need::Nothing, Who::Anyone, Some("\"status\"")),
    row("GET", "/metrics", On::Nothing, Body::None, Need::Nothing, Who::Anyone, None),
    row("GET", "/static/{file}", On::File, Body::None, Need::Nothing, Who::Anyone, None),
    // ---- these change the caller's session, so they run last ----
    row("POST", "/login", On::Nothing, Body::Login, Need::Nothing, Who::Anyone, None),
    row("POST", "/logout", On::Nothing, Body::EmptyForm, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
];

impl Row {
    fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    fn allows(&self, caller: Caller) -> bool {
        match (self.who, caller) {
            (Who::Anyone, _) => true,
            (Who::Roles(_), Caller::Anonymous) => false,
            (Who::Roles(roles), Caller::Role(r)) => roles.contains(&r),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Role(Role),
}

impl Caller {
    fn all() -> impl Iterator<Item = Caller> {
        std::iter::once(Caller::Anonymous).chain(Role::ALL.into_iter().map(Caller::Role))
    }

    /// A short tag for names made by this caller's writes (`r0` is the admin).
    fn tag(self) -> String {
        match self {
            Caller::Anonymous => "anon".into(),
            Caller::Role(r) => format!("r{}", Role::ALL.iter().position(|x| *x == r).unwrap_or(99)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Role(r) => r.as_str(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the matrix
// ---------------------------------------------------------------------------------------------

/// One caller's tokens: one to authenticate with, two to revoke through the routes.
struct Tokens {
    bearer: String,
    revoke_by_page: String,
    revoke_by_api: String,
}

struct Fx<'a> {
    app: &'a TestApp,
    /// The other account: `authz-target`, a volunteer in unit A.
    target: UserId,
    tokens: HashMap<Role, Tokens>,
    /// Signed-in clients, one per role.
    clients: HashMap<Role, Client>,
    n: AtomicU32,
}

async fn new_token(c: &Client, name: &str) -> (String, String) {
    let r = c.json(Method::POST, "/api/v1/tokens", &json!({ "name": name })).await;
    assert_eq!(r.status(), 201, "token {name}");
    let v: Value = r.json().await.unwrap();
    (v["token"]["id"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string())
}

async fn setup(app: &TestApp) -> Fx<'_> {
    let mut clients = HashMap::new();
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        let c = app.signed_in(role).await;
        let (_, bearer) = new_token(&c, "authz-bearer").await;
        let (revoke_by_page, _) = new_token(&c, "authz-revoke-page").await;
        let (revoke_by_api, _) = new_token(&c, "authz-revoke-api").await;
        tokens.insert(role, Tokens { bearer, revoke_by_page, revoke_by_api });
        clients.insert(role, c);
    }
    let unit_a = app.seeded.unit_a.id;
    let r = clients[&Role::Admin]
        .json(
            Method::POST,
            "/api/v1/users",
            &json!({"username": "authz-target", "display_name": "Target", "password": PASSWORD,
                    "grants": [{"role": "volunteer", "unit_id": unit_a}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let target = v["id"].as_str().unwrap().parse().unwrap();
    Fx { app, target, tokens, clients, n: AtomicU32::new(0) }
}

enum Payload {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
    Login,
}

fn form(pairs: &[(&str, &str)]) -> Payload {
    Payload::Form(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

impl Fx<'_> {
    fn path(&self, row: &Row, caller: Caller) -> String {
        let seeded = &self.app.seeded;
        let id = match row.on {
            On::Nothing => return row.path.to_string(),
            On::File => return row.path.replace("{file}", "app.css"),
            On::CallersUnit => seeded.unit_a.id.to_string(),
            On::OtherUnit => seeded.unit_b.id.to_string(),
            On::OtherAccount => self.target.to_string(),
            On::OwnToken => {
                // Anonymous callers aim at the admin's token.
                let t = &self.tokens[&match caller {
                    Caller::Role(r) => r,
                    Caller::Anonymous => Role::Admin,
                }];
                if row.is_api() {
                    t.revoke_by_api.clone()
                } else {
                    t.revoke_by_page.clone()
                }
            }
        };
        row.path.replace("{id}", &id)
    }

    async fn target_version(&self) -> i64 {
        self.app.store().get_user(self.app.seeded.org, self.target).await.unwrap().version
    }

    async fn unit_a_version(&self) -> i64 {
        self.app.store().get_unit(self.app.seeded.org, self.app.seeded.unit_a.id).await.unwrap().version
    }

    async fn payload(&self, body: Body, caller: Caller) -> Payload {
        let tag = caller.tag();
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let unit_a = self.app.seeded.unit_a.id.to_string();
        match body {
            Body::None => Payload::None,
            Body::EmptyForm => form(&[]),
            Body::NoJson => Payload::Json(Value::Null),
            Body::Login => Payload::Login,
            Body::Locale => form(&[("locale", "en"), ("next", "/")]),
            Body::WrongPassword => form(&[
                ("current_password", "not the password"),
                ("new_password", "another long password"),
                ("confirm_password", "another long password"),
            ]),
            Body::TokenForm => form(&[("token_name", &format!("authz-page-{tag}"))]),
            Body::NewUserForm => form(&[
                ("username", &format!("authz-{tag}-{n}")),
                ("display_name", "New account"),
                ("password", PASSWORD),
                ("add_role", "volunteer"),
                ("add_unit", &unit_a),
            ]),
            Body::EditUserForm => form(&[
                ("display_name", &format!("authz target {tag}")),
                ("active", "true"),
                ("version", &self.target_version().await.to_string()),
                ("grant", &format!("volunteer:{unit_a}")),
            ]),
            Body::NewUnitForm => {
                form(&[("code", &format!("AZ-{tag}-{n}")), ("name_zh_hant", "測試單位"), ("unit_type", "other"), ("active", "true")])
            }
            Body::EditUnitForm => form(&[
                ("code", "UNIT-A"),
                ("name_zh_hant", "甲中心"),
                ("unit_type", "family_centre"),
                ("district", "灣仔"),
                ("active", "true"),
                ("version", &self.unit_a_version().await.to_string()),
            ]),
            Body::NewUserJson => Payload::Json(json!({
                "username": format!("authz-{tag}-{n}"), "display_name": "New account", "password": PASSWORD,
                "grants": [{"role": "volunteer", "unit_id": unit_a}],
            })),
            Body::EditUserJson => Payload::Json(json!({
                "display_name": format!("authz target {tag}"), "active": true,
                "grants": [{"role": "volunteer", "unit_id": unit_a}], "version": self.target_version().await,
            })),
            Body::NewTokenJson => Payload::Json(json!({ "name": format!("authz-api-{tag}") })),
            Body::NewUnitJson => Payload::Json(json!({"code": format!("AZ-{tag}-{n}"), "name_zh_hant": "測試單位", "unit_type": "other"})),
            Body::EditUnitJson => Payload::Json(json!({
                "version": self.unit_a_version().await, "code": "UNIT-A", "name_zh_hant": "甲中心",
                "unit_type": "family_centre", "district": "灣仔", "active": true,
            })),
        }
    }
}

/// How a caller authenticates.
enum Via<'c> {
    /// A browser-like client: session cookie (or none), CSRF token in forms and `x-csrf-token`.
    Session(&'c Client),
    /// `Authorization: Bearer`, no cookies.
    Bearer(&'c reqwest::Client, &'c str),
}

struct Outcome {
    status: u16,
    location: String,
    body: String,
}

async fn call(fx: &Fx<'_>, caller: Caller, via: &Via<'_>, row: &Row) -> Outcome {
    let path = fx.path(row, caller);
    let method: Method = row.method.parse().unwrap();
    let payload = fx.payload(row.body, caller).await;
    let r = match (via, payload) {
        (Via::Session(c), Payload::None) => {
            assert_eq!(method, Method::GET, "{path}: only GET goes without a body");
            c.get(&path).await
        }
        (Via::Session(c), Payload::Form(f)) => {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            c.post_form(&path, &pairs).await
        }
        (Via::Session(c), Payload::Json(v)) => c.json(method, &path, &v).await,
        (Via::Session(c), Payload::Login) => match caller {
            Caller::Role(r) => c.login(&fx.app.seeded.user(r).username, PASSWORD).await,
            // Signing in would make the anonymous client anonymous no more: use a fresh one.
            Caller::Anonymous => fx.app.client().login("authz-target", PASSWORD).await,
        },
        (Via::Bearer(http, secret), payload) => {
            let req = http.request(method, format!("{}{path}", fx.app.base)).bearer_auth(secret);
            let req = match payload {
                Payload::None => req,
                Payload::Json(Value::Null) => req,
                Payload::Json(v) => req.json(&v),
                Payload::Form(_) | Payload::Login => unreachable!("token calls are for the JSON API"),
            };
            req.send().await.unwrap()
        }
    };
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    let body = r.text().await.unwrap_or_default();
    Outcome { status, location, body }
}

fn to_sign_in(location: &str) -> bool {
    location == "/login" || location.starts_with("/login?next=")
}

/// One check: `None` when the outcome is what the matrix says.
fn judge(row: &Row, caller: Caller, out: &Outcome) -> Option<String> {
    let mut wrong = Vec::new();
    if row.allows(caller) {
        if row.body.minimal() {
            if out.status != 422 {
                wrong.push(format!("allowed with a minimal body: expected 422, got {}", out.status));
            }
        } else if !(200..400).contains(&out.status) {
            wrong.push(format!("allowed: expected 2xx/3xx, got {}", out.status));
        }
        if (300..400).contains(&out.status) && to_sign_in(&out.location) {
            wrong.push(format!("allowed, but sent to sign in ({})", out.location));
        }
        if let Some(s) = row.shows {
            if (200..300).contains(&out.status) && !out.body.contains(s) {
                wrong.push(format!("allowed, but the response lacks {s:?}"));
            }
        }
    } else {
        match caller {
            Caller::Anonymous if row.is_api() => {
                if out.status != 401 {
                    wrong.push(format!("anonymous on the API: expected 401, got {}", out.status));
                }
            }
            Caller::Anonymous => {
                if out.status != 303 || !to_sign_in(&out.location) {
                    wrong.push(format!("anonymous on a page: expected 303 to /login, got {} {:?}", out.status, out.location));
                }
            }
            Caller::Role(_) => {
                if out.status != 403 {
                    wrong.push(format!("denied: expected 403, got {}", out.status));
                }
            }
        }
        if let Some(s) = row.shows {
            if out.body.contains(s) {
                wrong.push(format!("denied, but the response shows {s:?}"));
            }
        }
    }
    if wrong.is_empty() {
        return None;
    }
    let snippet: String = out.body.chars().take(300).collect();
    Some(format!("{} {} {} [{:?}]: {} — body: {snippet}", caller.name(), row.method, row.path, row.on, wrong.join("; ")))
}

fn report(failures: &[String], checks: usize) {
    assert!(failures.is_empty(), "{} of {checks} authorization checks failed:\n{}", failures.len(), failures.join("\n"));
}

/// Users and units made, changed or touched by the matrix's writes came from the admin only.
async fn only_the_admin_wrote(fx: &Fx<'_>, since_seq: i64, users_made: usize, units_made: usize) {
    let (store, org) = (fx.app.store(), fx.app.seeded.org);
    let made: Vec<String> = store
        .list_users(org)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .filter(|u| u.starts_with("authz-") && u != "authz-target")
        .collect();
    assert_eq!(made.len(), users_made, "accounts made: {made:?}");
    assert!(made.iter().all(|u| u.starts_with("authz-r0-")), "only the admin makes accounts: {made:?}");
    let made: Vec<String> =
        store.list_units(org).await.unwrap().into_iter().map(|u| u.code.to_lowercase()).filter(|c| c.starts_with("az-")).collect();
    assert_eq!(made.len(), units_made, "units made: {made:?}");
    assert!(made.iter().all(|c| c.starts_with("az-r0-")), "only the admin makes units: {made:?}");
    let target = store.get_user(org, fx.target).await.unwrap();
    assert_eq!(target.display_name, "authz target r0", "only the admin edits accounts");
    for e in store.list_audit(org, None, 500).await.unwrap().into_iter().filter(|e| e.seq > since_seq) {
        if matches!(e.entity_type.as_str(), "unit" | "user") && matches!(e.action.as_str(), "create" | "update" | "delete") {
            assert_eq!(e.actor_name, "admin", "{} {} {} by {}", e.action, e.entity_type, e.entity_id, e.actor_name);
        }
    }
}

async fn last_seq(app: &TestApp) -> i64 {
    app.store().list_audit(app.seeded.org, None, 1).await.unwrap().first().map(|e| e.seq).unwrap_or(0)
}

#[db_test]
async fn every_route_follows_the_matrix_by_session(app: TestApp) {
    let fx = setup(&app).await;
    let since = last_seq(&app).await;
    let anonymous = app.client();
    let (mut checks, mut failures) = (0, Vec::new());
    for caller in Caller::all() {
        let client = match caller {
            Caller::Anonymous => &anonymous,
            Caller::Role(r) => &fx.clients[&r],
        };
        for row in MATRIX {
            let out = call(&fx, caller, &Via::Session(client), row).await;
            checks += 1;
            failures.extend(judge(row, caller, &out));
        }
    }
    report(&failures, checks);
    assert_eq!(checks, MATRIX.len() * 9);
    // The admin made one account and one unit by page and one of each over the API.
    only_the_admin_wrote(&fx, since, 2, 2).await;
}

#[db_test]
async fn every_api_route_follows_the_matrix_by_token(app: TestApp) {
    let fx = setup(&app).await;
    let since = last_seq(&app).await;
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let api: Vec<&Row> = MATRIX.iter().filter(|r| r.is_api()).collect();
    let (mut checks, mut failures) = (0, Vec::new());
    for role in Role::ALL {
        let via = Via::Bearer(&bare, &fx.tokens[&role].bearer);
        for row in &api {
            let out = call(&fx, Caller::Role(role), &via, row).await;
            checks += 1;
            failures.extend(judge(row, Caller::Role(role), &out));
        }
    }
    // A token that is not one is refused outright, never taken for an anonymous visitor.
    let via = Via::Bearer(&bare, "sg_not-a-real-token");
    for row in &api {
        let out = call(&fx, Caller::Anonymous, &via, row).await;
        checks += 1;
        if out.status != 401 {
            failures.push(format!("bad token {} {}: expected 401, got {}", row.method, row.path, out.status));
        }
    }
    report(&failures, checks);
    assert_eq!(checks, api.len() * 9);
    only_the_admin_wrote(&fx, since, 1, 1).await;
}

// ---------------------------------------------------------------------------------------------
// The matrix against the code: every route has a row, and the rows follow the domain's matrix
// ---------------------------------------------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `get(`, `.post(`, `routing::get(`: a method router call, not part of a longer name.
fn calls(text: &str, method: &str) -> bool {
    let pat = format!("{method}(");
    text.match_indices(&pat).any(|(i, _)| !text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'))
}

/// (METHOD, path) of every route the web crate declares: `.route("…", get(…).post(…))` in the
/// routers and `#[utoipa::path(method, path = "…")]` on API handlers.
fn declared_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/web/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for piece in text.split(".route(\"").skip(1) {
            let (path, rest) = piece.split_once('"').unwrap();
            let rest = rest.lines().next().unwrap_or_default();
            let methods: Vec<&str> = ["get", "post", "put", "delete", "patch"].into_iter().filter(|m| calls(rest, m)).collect();
            assert!(!methods.is_empty(), "{}: no method found for {path}", f.display());
            for m in methods {
                found.insert((m.to_uppercase(), path.to_string()));
            }
        }
        for piece in text.split("utoipa::path(").skip(1) {
            let method = piece.split(',').next().unwrap().trim();
            let path = piece.split_once("path = \"").unwrap().1.split('"').next().unwrap();
            found.insert((method.to_uppercase(), path.to_string()));
        }
    }
    found
}

#[test]
fn every_route_has_a_row() {
    let declared = declared_routes();
    assert!(declared.len() >= 30, "the route scan found too little: {declared:?}");
    assert!(declared.contains(&("GET".into(), "/units/{id}".into())), "page routes are scanned");
    assert!(declared.contains(&("PUT".into(), "/api/v1/units/{id}".into())), "API routes are scanned");
    assert!(declared.contains(&("GET".into(), "/healthz".into())), "operations routes are scanned");
    let in_matrix: BTreeSet<(String, String)> = MATRIX.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let missing: Vec<_> = declared.difference(&in_matrix).collect();
    assert!(missing.is_empty(), "routes without a row in tests/authz.rs MATRIX: {missing:?}");
    let stale: Vec<_> = in_matrix.difference(&declared).collect();
    assert!(stale.is_empty(), "rows for routes that do not exist: {stale:?}");
    let mut keys = BTreeSet::new();
    for r in MATRIX {
        assert!(keys.insert((r.method, r.path, format!("{:?}", r.on))), "duplicate row {} {} {:?}", r.method, r.path, r.on);
    }
}

/// The seed's grants: `admin` and `funder_viewer` agency-wide, every other role in unit A.
fn seeded_grants(role: Role, unit_a: UnitId) -> Grants {
    Grants(vec![Grant { role, unit_id: if role.agency_wide_only() { None } else { Some(unit_a) } }])
}

#[test]
fn rows_follow_the_domain_permission_matrix() {
    let (unit_a, unit_b) = (UnitId::new(), UnitId::new());
    for r in MATRIX {
        let expected: Vec<Role> = match r.need {
            Need::Nothing => {
                assert!(matches!(r.who, Who::Anyone), "{} {}: public routes are open to anyone", r.method, r.path);
                continue;
            }
            Need::SignedIn => Role::ALL.to_vec(),
            Need::Perm(p, at) => {
                let scope = match (at, r.on) {
                    (At::Agency, _) => Scope::Agency,
                    (At::AnyUnit, _) => Scope::AnyUnit,
                    (At::ThatUnit, On::CallersUnit) => Scope::Unit(unit_a),
                    (At::ThatUnit, On::OtherUnit) => Scope::Unit(unit_b),
                    (At::ThatUnit, on) => unreachable!("{} {}: a unit permission on {on:?}", r.method, r.path),
                };
                Role::ALL.into_iter().filter(|role| seeded_grants(*role, unit_a).allows(p, scope)).collect()
            }
        };
        let Who::Roles(listed) = r.who else { unreachable!("{} {}: only public routes are open to anonymous visitors", r.method, r.path) };
        assert_eq!(listed, expected.as_slice(), "{} {} on {:?}: the roles listed differ from the domain's matrix", r.method, r.path, r.on);
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix as documentation
// ---------------------------------------------------------------------------------------------

fn markdown_table() -> String {
    let mut s = String::from("| Method | Path | On | Needs | anonymous |");
    for r in Role::ALL {
        s.push_str(&format!(" {} |", r.as_str()));
    }
    s.push_str("\n|---|---|---|---|:-:|");
    for _ in Role::ALL {
        s.push_str(":-:|");
    }
    s.push('\n');
    for r in MATRIX {
        let on = match r.on {
            On::Nothing => "—",
            On::CallersUnit => "the caller's unit",
            On::OtherUnit => "another unit",
            On::OtherAccount => "another account",
            On::OwnToken => "the caller's own token",
            On::File => "`app.css`",
        };
        let needs = match r.need {
            Need::Nothing => "nothing (public)".to_string(),
            Need::SignedIn => "signed in".to_string(),
            Need::Perm(p, At::Agency) => format!("`{p:?}` agency-wide"),
            Need::Perm(p, At::AnyUnit) => format!("`{p:?}` in any unit"),
            Need::Perm(p, At::ThatUnit) => format!("`{p:?}` in that unit"),
        };
        let mark = |c: Caller| if r.allows(c) { "✓" } else { "✗" };
        s.push_str(&format!("| {} | `{}` | {on} | {needs} | {} |", r.method, r.path, mark(Caller::Anonymous)));
        for role in Role::ALL {
            s.push_str(&format!(" {} |", mark(Caller::Role(role))));
        }
        s.push('\n');
    }
    s
}

#[test]
fn security_doc_shows_the_matrix() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/SECURITY.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let table = markdown_table();
    assert!(doc.contains("## Authorization matrix"), "docs/SECURITY.md lacks its \"## Authorization matrix\" section");
    assert!(doc.contains(&table), "the table in docs/SECURITY.md differs from tests/authz.rs MATRIX; it should read:\n\n{table}");
}

// ---------------------------------------------------------------------------------------------
// Agencies, units and owners
// ---------------------------------------------------------------------------------------------

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn field_errors(v: &Value) -> Vec<String> {
    v["error"]["fields"].as_array().map(|a| a.iter().filter_map(|f| f["field"].as_str().map(String::from)).collect()).unwrap_or_default()
}

#[db_test]
async fn another_agency_gets_404_for_this_agencys_records(app: TestApp) {
    let a = &app.seeded;
    let b = shegong_testkit::seed(app.store(), "b-").await;
    let intruder = Client::new(&app.base);
    assert_eq!(intruder.login("b-admin", PASSWORD).await.status(), 303);
    let worker = a.user(Role::SocialWorker);
    let a_units = [a.unit_a.id, a.unit_b.id];
    let unit_body = |version: i64| json!({"version": version, "code": "HACKED", "name_zh_hant": "入侵", "unit_type": "other"});
    let user_body = json!({"display_name": "Hacked", "active": false, "grants": [], "version": worker.version});

    // Pages: 404, and nothing of the record.
    for unit in a_units {
        let (status, body) = intruder.page(&format!("/units/{unit}")).await;
        assert_eq!(status, 404, "page of another agency's unit");
        assert!(!body.contains("UNIT-") && !body.contains("甲中心") && !body.contains("乙中心") && !body.contains("name=\"version\""));
        let r = intruder
            .post_form(&format!("/units/{unit}"), &[("code", "HACKED"), ("name_zh_hant", "入侵"), ("unit_type", "other"), ("version", "1")])
            .await;
        assert_eq!(r.status(), 404, "edit of another agency's unit");
    }
    for user in [worker, a.user(Role::Admin)] {
        let (status, body) = intruder.page(&format!("/users/{}", user.id)).await;
        assert_eq!(status, 404, "page of another agency's account");
        assert!(!body.contains(&format!("<code>{}</code>", user.username)) && !body.contains("name=\"version\""), "{body}");
    }
    let r = intruder.post_form(&format!("/users/{}", worker.id), &[("display_name", "Hacked"), ("version", "1")]).await;
    assert_eq!(r.status(), 404, "deactivating another agency's account by form");

    // API: 404 with an error body only.
    for unit in a_units {
        let (status, v) = json_of(intruder.get(&format!("/api/v1/units/{unit}")).await).await;
        assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not-found")), "{v}");
        assert!(v.get("code").is_none() && v.get("id").is_none());
        let (status, v) = json_of(intruder.json(Method::PUT, &format!("/api/v1/units/{unit}"), &unit_body(1)).await).await;
        assert_eq!(status, 404, "{v}");
    }
    let (status, v) = json_of(intruder.get(&format!("/api/v1/users/{}", worker.id)).await).await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not-found")), "{v}");
    assert!(v.get("username").is_none());
    let (status, v) = json_of(intruder.json(Method::PUT, &format!("/api/v1/users/{}", worker.id), &user_body).await).await;
    assert_eq!(status, 404, "{v}");

    // Lists hold the intruder's own agency only.
    let units: Vec<Value> = intruder.get("/api/v1/units").await.json().await.unwrap();
    let ids: BTreeSet<String> = units.iter().map(|u| u["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, [b.unit_a.id.to_string(), b.unit_b.id.to_string()].into_iter().collect());
    let users: Vec<Value> = intruder.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(users.len(), 8);
    assert!(users.iter().all(|u| u["username"].as_str().unwrap().starts_with("b-")), "{users:?}");
    let audit: Vec<Value> = intruder.get("/api/v1/audit?limit=500").await.json().await.unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|e| e["org_id"] == b.org.to_string()), "only the agency's own audit trail");
    let (_, page) = intruder.page("/units").await;
    assert!(a_units.iter().all(|u| !page.contains(&u.to_string())));
    let (_, page) = intruder.page("/users").await;
    assert!(a.users.values().all(|u| !page.contains(&u.id.to_string())));
    let (_, page) = intruder.page("/audit").await;
    assert!(a.users.values().all(|u| !page.contains(&u.id.to_string())), "audit page shows no record of the other agency");

    // No grant on another agency's unit, however it is asked for.
    let grant_a = json!([{"role": "social_worker", "unit_id": a.unit_a.id}]);
    let (status, v) = json_of(
        intruder
            .json(
                Method::POST,
                "/api/v1/users",
                &json!({"username": "b-intruder", "display_name": "x", "password": PASSWORD, "grants": grant_a}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(field_errors(&v), ["grants"]);
    let b_worker = b.user(Role::SocialWorker);
    let (status, v) = json_of(
        intruder
            .json(
                Method::PUT,
                &format!("/api/v1/users/{}", b_worker.id),
                &json!({"display_name": "x", "active": true, "grants": grant_a, "version": b_worker.version}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(field_errors(&v), ["grants"]);
    let unit_a = a.unit_a.id.to_string();
    let r = intruder
        .post_form(
            "/users",
            &[
                ("username", "b-intruder"),
                ("display_name", "x"),
                ("password", PASSWORD),
                ("add_role", "social_worker"),
                ("add_unit", &unit_a),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(app.store().credentials("b-intruder").await.unwrap().is_none(), "no account was made");
    assert_eq!(app.store().get_user(b.org, b_worker.id).await.unwrap().grants, b_worker.grants, "grants unchanged");

    // Nothing of agency A changed.
    for (seeded, unit) in [(&a.unit_a, a.unit_a.id), (&a.unit_b, a.unit_b.id)] {
        let now = app.store().get_unit(a.org, unit).await.unwrap();
        assert_eq!((now.version, now.code.as_str()), (seeded.version, seeded.code.as_str()));
    }
    let now = app.store().get_user(a.org, worker.id).await.unwrap();
    assert_eq!((now.version, now.active, now.display_name.as_str()), (worker.version, true, worker.display_name.as_str()));

    // The other way round too: agency A's admin gets 404 for agency B's records.
    let a_admin = app.signed_in(Role::Admin).await;
    assert_eq!(a_admin.page(&format!("/units/{}", b.unit_a.id)).await.0, 404);
    assert_eq!(a_admin.get(&format!("/api/v1/users/{}", b_worker.id)).await.status(), 404);
}

#[db_test]
async fn unit_grants_stay_in_their_unit(app: TestApp) {
    let s = &app.seeded;
    let (unit_a, unit_b) = (s.unit_a.id, s.unit_b.id);
    let sup = app.signed_in(Role::Supervisor).await;

    // The supervisor of unit A reads unit A, read-only …
    let (status, page) = sup.page(&format!("/units/{unit_a}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("UNIT-A") && !page.contains("name=\"version\""), "a view, not the edit form");
    // … cannot open unit B …
    let (status, page) = sup.page(&format!("/units/{unit_b}")).await;
    assert_eq!(status, 403);
    assert!(!page.contains("UNIT-B") && !page.contains("乙中心"));
    assert_eq!(sup.get(&format!("/api/v1/units/{unit_b}")).await.status(), 403);
    // … edits no unit, not even their own (ManageUnits is the admin's) …
    let body = json!({"version": 1, "code": "UNIT-A", "name_zh_hant": "改名", "unit_type": "family_centre"});
    assert_eq!(sup.json(Method::PUT, &format!("/api/v1/units/{unit_a}"), &body).await.status(), 403);
    let r = sup
        .post_form(
            &format!("/units/{unit_a}"),
            &[("code", "UNIT-A"), ("name_zh_hant", "改名"), ("unit_type", "family_centre"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(sup.page("/units/new").await.0, 403);
    assert_eq!(app.store().get_unit(s.org, unit_a).await.unwrap().version, 1, "unit A unchanged");
    // … and does not read the audit log: a unit grant does not reach agency-wide records.
    assert_eq!(sup.page("/audit").await.0, 403);
    assert_eq!(sup.get("/api/v1/audit").await.status(), 403);

    // Lists and the home page show each role the units it may open, no more.
    for role in Role::ALL {
        let other;
        let c = if role == Role::Supervisor {
            &sup
        } else {
            other = app.signed_in(role).await;
            &other
        };
        let sees_b = role.agency_wide_only();
        let units: Vec<Value> = c.get("/api/v1/units").await.json().await.unwrap();
        let codes: Vec<&str> = units.iter().map(|u| u["code"].as_str().unwrap()).collect();
        assert_eq!(codes, if sees_b { vec!["UNIT-A", "UNIT-B"] } else { vec!["UNIT-A"] }, "{role:?}");
        let (_, list) = c.page("/units").await;
        assert_eq!(list.contains("UNIT-B"), sees_b, "{role:?} units page");
        let (_, home) = c.page("/").await;
        assert!(home.contains("甲中心"), "{role:?} home");
        assert_eq!(home.contains("乙中心"), sees_b, "{role:?} home");
    }

    // Held agency-wide, the same role reaches every unit and the audit log, and still edits nothing.
    let admin = app.signed_in(Role::Admin).await;
    let me = s.user(Role::Supervisor);
    let r = admin
        .json(
            Method::PUT,
            &format!("/api/v1/users/{}", me.id),
            &json!({"display_name": "supervisor", "active": true, "grants": [{"role": "supervisor", "unit_id": null}], "version": me.version}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(sup.page(&format!("/units/{unit_b}")).await.0, 200, "grants apply from the next request");
    assert_eq!(sup.page("/audit").await.0, 200);
    assert_eq!(sup.json(Method::PUT, &format!("/api/v1/units/{unit_a}"), &body).await.status(), 403);

    // An account without grants is signed in and sees its own account, but no unit at all.
    let r = admin
        .json(Method::POST, "/api/v1/users", &json!({"username": "authz-nogrant", "display_name": "No grant", "password": PASSWORD}))
        .await;
    assert_eq!(r.status(), 201);
    let none = app.client();
    assert_eq!(none.login("authz-nogrant", PASSWORD).await.status(), 303);
    let (status, home) = none.page("/").await;
    assert_eq!(status, 200);
    assert!(!home.contains("甲中心") && !home.contains("乙中心"), "no unit on the home page");
    assert_eq!(none.page("/units").await.0, 403);
    assert_eq!(none.get("/api/v1/units").await.status(), 403);
    assert_eq!(none.get(&format!("/api/v1/units/{unit_a}")).await.status(), 403);
    assert_eq!(none.get("/api/v1/me").await.status(), 200);
}

#[db_test]
async fn tokens_belong_to_their_owner(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let (id, secret) = new_token(&admin, "admin script").await;
    let worker = app.signed_in(Role::SocialWorker).await;
    assert_eq!(worker.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &Value::Null).await.status(), 404);
    assert_eq!(worker.post_form(&format!("/account/tokens/{id}/revoke"), &[]).await.status(), 404);
    let listed: Vec<Value> = worker.get("/api/v1/tokens").await.json().await.unwrap();
    assert!(listed.iter().all(|t| t["id"] != id.as_str()), "another user's token is not listed");
    let (_, account) = worker.page("/account").await;
    assert!(!account.contains(&id) && !account.contains("admin script"));
    let me: Value = reqwest::Client::new().get(admin.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "admin", "the admin's token still works");
    // Another agency's admin cannot revoke it either.
    shegong_testkit::seed(app.store(), "b-").await;
    let b = Client::new(&app.base);
    assert_eq!(b.login("b-admin", PASSWORD).await.status(), 303);
    assert_eq!(b.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &Value::Null).await.status(), 404);
    let r = reqwest::Client::new().get(admin.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
