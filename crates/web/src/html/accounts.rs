//! Sign-in, sign-out, language, the user's own account, and account administration.

use super::{notice, HtmlForm};
use crate::accounts as svc;
use crate::ctx::{random_token, Ctx, RequestCtx, LANG_COOKIE, PRE_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, AppResult};
use crate::page::{message, render, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use shegong_domain::accounts::{check_password, ApiToken, Grant, NewUserInput, Permission, Role, Scope, User, UserUpdateInput};
use shegong_domain::error::Validator;
use shegong_domain::ids::{TokenId, UnitId, UserId};
use shegong_domain::locale::Locale;
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.config.secure_cookies);
    c
}

/// Only same-site paths: a crafted `next` can never send the user elsewhere.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    message: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
    notice: Option<String>,
}

/// The pre-sign-in CSRF token lives in a cookie the form must echo (double submit).
pub fn pre_csrf(state: &AppState, jar: CookieJar, rc: RequestCtx) -> (CookieJar, RequestCtx) {
    if rc.csrf.is_empty() {
        let t = random_token();
        let rc = RequestCtx { csrf: t.clone(), ..rc };
        (jar.add(cookie(state, PRE_CSRF_COOKIE, t)), rc)
    } else {
        (jar, rc)
    }
}

pub async fn login_page(State(state): State<AppState>, rc: RequestCtx, jar: CookieJar, Query(q): Query<NextQuery>) -> AppResult<Response> {
    if rc.user.is_some() {
        return Ok(Redirect::to(safe_next(&q.next)).into_response());
    }
    let (jar, rc) = pre_csrf(&state, jar, rc);
    let page = Page::new(&state, &rc, "/login").await;
    let msg = notice(&page, q.notice.as_deref());
    Ok((jar, render(&LoginPage { page, message: msg, username: String::new(), next: q.next })?).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(State(state): State<AppState>, rc: RequestCtx, jar: CookieJar, HtmlForm(f): HtmlForm<LoginForm>) -> AppResult<Response> {
    match svc::sign_in(&state, &f.username, &f.password, &rc.ip).await {
        Ok((user, session)) => {
            let mut c = cookie(&state, SESSION_COOKIE, session.token);
            c.set_same_site(SameSite::Lax);
            let jar = jar.add(c).add(cookie(&state, LANG_COOKIE, user.locale.tag().to_string())).remove(Cookie::from(PRE_CSRF_COOKIE));
            Ok((jar, Redirect::to(safe_next(&f.next))).into_response())
        }
        Err(
            e @ (AppError::Domain(DomainError::BadCredentials | DomainError::Locked(_) | DomainError::Deactivated) | AppError::RateLimited),
        ) => {
            let page = Page::new(&state, &rc, "/login").await;
            let status = e.status();
            let msg = message(rc.locale, &e.info());
            let mut r = render(&LoginPage { page, message: Some(msg), username: f.username, next: f.next })?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx, jar: CookieJar) -> AppResult<Response> {
    if let Some(h) = &ctx.session_hash {
        svc::sign_out(&state, &ctx.user, h).await?;
    }
    Ok((jar.remove(Cookie::from(SESSION_COOKIE)), Redirect::to("/login?notice=signed-out")).into_response())
}

#[derive(Deserialize)]
pub struct LocaleForm {
    locale: String,
    #[serde(default)]
    next: String,
}

/// Remembers the language: on the account when signed in, in a cookie always.
pub async fn switch_locale(
    State(state): State<AppState>,
    rc: RequestCtx,
    jar: CookieJar,
    HtmlForm(f): HtmlForm<LocaleForm>,
) -> AppResult<Response> {
    let locale: Locale = f.locale.parse().map_err(|()| DomainError::invalid("locale", "unknown-choice"))?;
    if let Some(u) = &rc.user {
        state.store.set_locale(u.org_id, u.id, locale).await?;
    }
    let jar = jar.add(cookie(&state, LANG_COOKIE, locale.tag().to_string()));
    Ok((jar, Redirect::to(safe_next(&f.next))).into_response())
}

// ---- the user's own account ----

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: Page,
    notice: Option<String>,
    errors: Vec<FieldError>,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
}

async fn account(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    errors: Vec<FieldError>,
    notice_key: Option<&str>,
    new_token: Option<String>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/account").await;
    let tokens = state.store.list_tokens(ctx.user.org_id, ctx.user.id).await?;
    let n = notice(&page, notice_key);
    let invalid = !errors.is_empty();
    let p = AccountPage { page, notice: n, errors, tokens, new_token };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn account_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NextQuery>) -> AppResult<Response> {
    account(&state, &rc, &ctx, Vec::new(), q.notice.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<PasswordForm>,
) -> AppResult<Response> {
    let mut v = Validator::new();
    check_password(&mut v, "new_password", &f.new_password);
    if f.new_password != f.confirm_password {
        v.push(FieldError::new("confirm_password", "passwords-differ"));
    }
    let creds = state.store.credentials(&ctx.user.username).await?.ok_or(DomainError::NotFound)?;
    if !svc::verify_password(f.current_password.clone(), creds.password_hash).await? {
        v.push(FieldError::new("current_password", "wrong-password"));
    }
    if let Err(DomainError::Invalid(errors)) = v.finish() {
        return account(&state, &rc, &ctx, errors, None, None).await;
    }
    let hash = svc::hash_password(f.new_password).await?;
    // This ends every session of the user, this one too: sign in again with the new password.
    state.store.set_password(&ctx.actor(), ctx.user.id, &hash).await?;
    Ok(Redirect::to("/login?notice=password-changed").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token_name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<TokenForm>,
) -> AppResult<Response> {
    let mut v = Validator::new();
    let name = v.text("token_name", &f.token_name, true, 100);
    if let Err(DomainError::Invalid(errors)) = v.finish() {
        return account(&state, &rc, &ctx, errors, None, None).await;
    }
    let secret = format!("sg_{}", random_token());
    state.store.create_token(&ctx.actor(), ctx.user.id, &name, &crate::ctx::hash_token(&secret), state.clock.now()).await?;
    account(&state, &rc, &ctx, Vec::new(), Some("created"), Some(secret)).await
}

pub async fn revoke_token(State(state): State<AppState>, ctx: Ctx, Path(id): Path<TokenId>) -> AppResult<Response> {
    state.store.revoke_token(&ctx.actor(), ctx.user.id, id).await?;
    Ok(Redirect::to("/account?notice=token-revoked").into_response())
}

// ---- account administration ----

/// (role name, "agency-wide" or unit name) for display.
pub fn describe_grants(page: &Page, grants: &[Grant], units: &[ServiceUnit]) -> Vec<(String, String)> {
    grants
        .iter()
        .map(|g| {
            let place = match g.unit_id {
                None => page.t("grants-agency-wide"),
                Some(id) => units.iter().find(|u| u.id == id).map(|u| u.name(page.locale).to_string()).unwrap_or_else(|| id.to_string()),
            };
            (page.role_name(&g.role), place)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "users_list.html")]
struct UsersPage {
    page: Page,
    notice: Option<String>,
    rows: Vec<(User, Vec<(String, String)>)>,
}

pub async fn users_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NextQuery>) -> AppResult<Response> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let page = Page::new(&state, &rc, "/users").await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let rows = state
        .store
        .list_users(ctx.user.org_id)
        .await?
        .into_iter()
        .map(|u| {
            let g = describe_grants(&page, &u.grants.0, &units);
            (u, g)
        })
        .collect();
    let n = notice(&page, q.notice.as_deref());
    render(&UsersPage { page, notice: n, rows })
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserFormPage {
    page: Page,
    user_id: Option<UserId>,
    username: String,
    display_name: String,
    active: bool,
    sensitive_access: bool,
    id_number_access: bool,
    version: i64,
    /// (value "role:unit", role name, place).
    grants: Vec<(String, String, String)>,
    roles: Vec<Role>,
    units: Vec<ServiceUnit>,
    errors: Vec<FieldError>,
    stale: Option<String>,
}

impl UserFormPage {
    fn invalid(&self) -> bool {
        !self.errors.is_empty() || self.stale.is_some()
    }
}

fn grant_value(g: &Grant) -> String {
    format!("{}:{}", g.role.as_str(), g.unit_id.map(|u| u.to_string()).unwrap_or_else(|| "*".into()))
}

fn parse_grant(v: &str) -> Option<Grant> {
    let (role, unit) = v.split_once(':')?;
    Some(Grant { role: role.parse().ok()?, unit_id: if unit == "*" { None } else { Some(unit.parse::<UnitId>().ok()?) } })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    username: String,
    display_name: String,
    password: String,
    active: Option<String>,
    sensitive_access: Option<String>,
    id_number_access: Option<String>,
    version: i64,
    grant: Vec<String>,
    add_role: String,
    add_unit: String,
}

impl UserForm {
    fn grants(&self) -> Result<Vec<Grant>, FieldError> {
        let mut out = Vec::new();
        for g in &self.grant {
            out.push(parse_grant(g).ok_or_else(|| FieldError::new("grants", "unknown-choice"))?);
        }
        if !self.add_role.is_empty() {
            let unit = if self.add_unit.is_empty() { "*" } else { self.add_unit.as_str() };
            out.push(parse_grant(&format!("{}:{}", self.add_role, unit)).ok_or_else(|| FieldError::new("grants", "unknown-choice"))?);
        }
        Ok(out)
    }
}

async fn user_form(state: &AppState, rc: &RequestCtx, ctx: &Ctx, mut p: UserFormPageInput) -> AppResult<Response> {
    let path = match p.user_id {
        Some(id) => format!("/users/{id}"),
        None => "/users/new".into(),
    };
    let page = Page::new(state, rc, &path).await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let described = describe_grants(&page, &p.grants, &units);
    let grants = p.grants.iter().zip(described).map(|(g, (r, place))| (grant_value(g), r, place)).collect();
    let stale = p.stale.then(|| page.t("error-stale"));
    let form = UserFormPage {
        page,
        user_id: p.user_id,
        username: std::mem::take(&mut p.username),
        display_name: std::mem::take(&mut p.display_name),
        active: p.active,
        sensitive_access: p.sensitive_access,
        id_number_access: p.id_number_access,
        version: p.version,
        grants,
        roles: Role::ALL.to_vec(),
        units,
        errors: p.errors,
        stale,
    };
    if form.invalid() {
        render_invalid(&form)
    } else {
        render(&form)
    }
}

struct UserFormPageInput {
    user_id: Option<UserId>,
    username: String,
    display_name: String,
    active: bool,
    sensitive_access: bool,
    id_number_access: bool,
    version: i64,
    grants: Vec<Grant>,
    errors: Vec<FieldError>,
    stale: bool,
}

pub async fn new_user_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let input = UserFormPageInput {
        user_id: None,
        username: String::new(),
        display_name: String::new(),
        active: true,
        sensitive_access: false,
        id_number_access: false,
        version: 0,
        grants: Vec::new(),
        errors: Vec::new(),
        stale: false,
    };
    user_form(&state, &rc, &ctx, input).await
}

pub async fn create_user(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<UserForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let grants = f.grants();
    let mut input = UserFormPageInput {
        user_id: None,
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        active: true,
        sensitive_access: false,
        id_number_access: false,
        version: 0,
        grants: grants.clone().unwrap_or_default(),
        errors: Vec::new(),
        stale: false,
    };
    let result = match grants {
        Err(e) => Err(DomainError::Invalid(vec![e])),
        Ok(grants) => NewUserInput {
            username: f.username.clone(),
            display_name: f.display_name.clone(),
            password: f.password.clone(),
            locale: Some(ctx.locale),
            grants,
        }
        .validate(),
    };
    let created = match result {
        Ok(new) => svc::create_user(&state, &ctx.actor(), new).await,
        Err(e) => Err(e.into()),
    };
    match created {
        Ok(u) => Ok(Redirect::to(&format!("/users?notice=created&u={}", u.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            input.errors = errors;
            user_form(&state, &rc, &ctx, input).await
        }
        Err(e) => Err(e),
    }
}

pub async fn edit_user_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<UserId>) -> AppResult<Response> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let u = state.store.get_user(ctx.user.org_id, id).await?;
    let input = UserFormPageInput {
        user_id: Some(u.id),
        username: u.username,
        display_name: u.display_name,
        active: u.active,
        sensitive_access: u.sensitive_access,
        id_number_access: u.id_number_access,
        version: u.version,
        grants: u.grants.0,
        errors: Vec::new(),
        stale: false,
    };
    user_form(&state, &rc, &ctx, input).await
}

/// Rules for an admin editing an account, beyond field validation.
pub fn check_self_edit(ctx: &Ctx, id: UserId, update: &UserUpdateInput) -> Result<(), DomainError> {
    if ctx.user.id != id {
        return Ok(());
    }
    // An admin cannot lock themselves out: the agency would be left without one.
    let mut errors = Vec::new();
    if !update.active {
        errors.push(FieldError::new("active", "cannot-lock-self"));
    }
    if !update.grants.iter().any(|g| g.role == Role::Admin && g.unit_id.is_none()) {
        errors.push(FieldError::new("grants", "cannot-lock-self"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(errors))
    }
}

pub async fn update_user(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<UserId>,
    HtmlForm(f): HtmlForm<UserForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let current = state.store.get_user(ctx.user.org_id, id).await?;
    let grants = f.grants();
    let mut input = UserFormPageInput {
        user_id: Some(id),
        username: current.username.clone(),
        display_name: f.display_name.clone(),
        active: f.active.is_some(),
        sensitive_access: f.sensitive_access.is_some(),
        id_number_access: f.id_number_access.is_some(),
        version: f.version,
        grants: grants.clone().unwrap_or_default(),
        errors: Vec::new(),
        stale: false,
    };
    let result = async {
        let update = UserUpdateInput {
            display_name: f.display_name.clone(),
            active: f.active.is_some(),
            grants: grants.map_err(|e| DomainError::Invalid(vec![e]))?,
            sensitive_access: f.sensitive_access.is_some(),
            id_number_access: f.id_number_access.is_some(),
            version: f.version,
        }
        .validate()?;
        let mut v = Validator::new();
        if !f.password.is_empty() {
            check_password(&mut v, "password", &f.password);
        }
        v.finish()?;
        check_self_edit(&ctx, id, &update)?;
        let u = state.store.update_user(&ctx.actor(), id, &update).await?;
        if !f.password.is_empty() {
            let hash = svc::hash_password(f.password.clone()).await?;
            state.store.set_password(&ctx.actor(), id, &hash).await?;
        }
        Ok::<_, AppError>(u)
    }
    .await;
    match result {
        Ok(u) => Ok(Redirect::to(&format!("/users?notice=saved&u={}", u.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            input.errors = errors;
            user_form(&state, &rc, &ctx, input).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            // Show what is stored now, keep nothing silently: the user re-applies the change.
            let fresh = state.store.get_user(ctx.user.org_id, id).await?;
            input.display_name = fresh.display_name;
            input.active = fresh.active;
            input.sensitive_access = fresh.sensitive_access;
            input.id_number_access = fresh.id_number_access;
            input.version = fresh.version;
            input.grants = fresh.grants.0;
            input.stale = true;
            user_form(&state, &rc, &ctx, input).await
        }
        Err(e) => Err(e),
    }
}
