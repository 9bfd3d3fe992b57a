//! Toy library pages: the network catalogue with labels, a toy's page (photo, edit, waiting
//! list), member households and their family cards, the counter (scan or type the member's
//! card and the toy's label, each ended by Enter as a keyboard-wedge scanner does), returns
//! with the parts check, the repair queue, reminders, reports and settings, and the family's
//! own page. Every rule is checked in the service (`crate::lending`); every form works without JS.

use super::HtmlForm;
use crate::ctx::{csrf_matches, Ctx, RequestCtx, CSRF_FIELD};
use crate::error::{AppError, AppResult};
use crate::lending::{self as svc, CheckOutInput, DueLoan, FamilyView, MemberView, Reminders, ReportParams, SendInput, ToyParams};
use crate::page::{render, render_form, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::clients::{ClientFilter, Household};
use shegong_domain::ids::{HouseholdId, LoanId, MemberId, RepairId, ReservationId, ToyId, TransferId, UnitId};
use shegong_domain::lending::{
    Condition, DevArea, JoinInput, LendingReport, LendingSettings, Loan, Member, MembershipType, Repair, RepairResolution, ResolveInput,
    ReturnInput, Reward, Toy, ToyInput, ToySource, ToyStatus, Transfer,
};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lending/photos", post(upload_photo))
        .layer(DefaultBodyLimit::max(crate::api::v1::lending::PHOTO_LIMIT))
        .route("/lending", get(catalogue))
        .route("/lending/toys", post(create_toy))
        .route("/lending/toys/{id}", get(show_toy).post(update_toy))
        .route("/lending/toys/{id}/photo", get(photo))
        .route("/lending/labels", get(labels))
        .route("/lending/members", get(members).post(enrol))
        .route("/lending/members/{id}", get(show_member))
        .route("/lending/members/{id}/card", post(issue_card))
        .route("/lending/members/{id}/redeem", post(redeem))
        .route("/lending/counter", get(counter))
        .route("/lending/loans", post(check_out))
        .route("/lending/loans/{id}/return", post(return_loan))
        .route("/lending/loans/{id}/renew", post(renew))
        .route("/lending/loans/{id}/lost", post(lost))
        .route("/lending/reservations", post(reserve))
        .route("/lending/reservations/{id}/cancel", post(cancel))
        .route("/lending/transfers/{id}/receive", post(receive))
        .route("/lending/repairs", get(repairs))
        .route("/lending/repairs/{id}/resolve", post(resolve))
        .route("/lending/reminders", get(reminders).post(send_reminders))
        .route("/lending/reports", get(reports))
        .route("/lending/settings", get(settings).post(save_settings))
        .route("/family/{token}", get(family))
}

/// Notices shown once after a redirect (only known keys).
fn notice(page: &Page, key: Option<&str>) -> Option<String> {
    const KNOWN: [&str; 12] = [
        "saved",
        "created",
        "lent",
        "returned",
        "returned-repair",
        "renewed",
        "reserved",
        "cancelled",
        "received",
        "resolved",
        "sent",
        "redeemed",
    ];
    key.filter(|k| KNOWN.contains(k)).map(|k| page.t(&format!("lending-notice-{k}")))
}

/// Only our own toy-library pages are redirect targets.
fn back_to(raw: &str, fallback: &str) -> String {
    if raw.starts_with("/lending") && !raw.contains("//") && !raw.contains('\\') {
        raw.to_string()
    } else {
        fallback.to_string()
    }
}

fn with_notice(path: &str, n: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}notice={n}")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn units_with(state: &AppState, ctx: &Ctx, perm: Permission) -> AppResult<Vec<ServiceUnit>> {
    Ok(state.store.list_units(ctx.user.org_id).await?.into_iter().filter(|u| u.active && ctx.can(perm, Scope::Unit(u.id))).collect())
}

/// Shared helpers of the toy-library page structs.
struct Names {
    units: Vec<ServiceUnit>,
}

impl Names {
    fn unit(&self, page: &Page, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| u.name(page.locale).to_string()).unwrap_or_else(|| "—".into())
    }
}

fn status_name(page: &Page, s: &ToyStatus) -> String {
    page.t(&format!("lending-status-{}", s.as_str()))
}

fn age_text(page: &Page, t: &Toy) -> String {
    let f = |m: i32| {
        if m % 12 == 0 && m > 0 {
            page.ta("lending-years", "n", &(m / 12).to_string())
        } else {
            page.ta("lending-months", "n", &m.to_string())
        }
    };
    format!("{}–{}", f(t.age_min_months), f(t.age_max_months))
}

// ---------------------------------------------------------------------------------------------
// The catalogue

#[derive(Template)]
#[template(path = "lending_catalogue.html")]
struct CataloguePage {
    page: Page,
    notice: Option<String>,
    q: ToyParams,
    toys: Vec<Toy>,
    names: Names,
    /// Units where the caller may add toys (empty: no add form).
    add_units: Vec<ServiceUnit>,
    form: ToyForm,
    errors: Vec<FieldError>,
}

impl CataloguePage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn status(&self, s: &ToyStatus) -> String {
        status_name(&self.page, s)
    }
    fn statuses(&self) -> Vec<(&'static str, String)> {
        ToyStatus::ALL.iter().map(|s| (s.as_str(), status_name(&self.page, s))).collect()
    }
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn age(&self, t: &Toy) -> String {
        age_text(&self.page, t)
    }
    fn areas(&self) -> Vec<(&'static str, String)> {
        DevArea::ALL.iter().map(|a| (a.as_str(), self.page.t(&format!("lending-area-{}", a.as_str())))).collect()
    }
    fn conditions(&self) -> Vec<(&'static str, String)> {
        Condition::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("lending-condition-{}", c.as_str())))).collect()
    }
    fn sources(&self) -> Vec<(&'static str, String)> {
        ToySource::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("lending-source-{}", c.as_str())))).collect()
    }
    fn has_area(&self, a: &str) -> bool {
        self.form.areas.iter().any(|x| x == a)
    }
    fn unit_selected(&self, id: &UnitId) -> bool {
        self.q.unit_id == Some(*id)
    }
}

/// A toy form as typed (kept when shown again with errors).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ToyForm {
    home_unit_id: String,
    code: String,
    name: String,
    description: String,
    age_min_months: String,
    age_max_months: String,
    areas: Vec<String>,
    parts: String,
    condition: String,
    source: String,
    source_ref: String,
    version: String,
}

fn number(raw: &str, default: i32) -> i32 {
    // Unreadable counts as out of range: the validation says what is allowed.
    if raw.trim().is_empty() {
        default
    } else {
        raw.trim().parse().unwrap_or(-1)
    }
}

impl ToyForm {
    fn input(&self) -> ToyInput {
        ToyInput {
            home_unit_id: self.home_unit_id.parse().ok(),
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            age_min_months: number(&self.age_min_months, 0),
            age_max_months: number(&self.age_max_months, 72),
            areas: self.areas.clone(),
            parts: number(&self.parts, 1),
            condition: self.condition.clone(),
            source: self.source.clone(),
            source_ref: self.source_ref.clone(),
            version: self.version.parse().unwrap_or(0),
        }
    }

    fn of(t: &Toy) -> Self {
        Self {
            home_unit_id: t.home_unit_id.to_string(),
            code: t.code.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            age_min_months: t.age_min_months.to_string(),
            age_max_months: t.age_max_months.to_string(),
            areas: t.areas.iter().map(|a| a.as_str().to_string()).collect(),
            parts: t.parts.to_string(),
            condition: t.condition.as_str().into(),
            source: t.source.as_str().into(),
            source_ref: t.source_ref.clone(),
            version: t.version.to_string(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CatalogueQuery {
    q: String,
    unit_id: String,
    status: String,
    notice: Option<String>,
}

async fn catalogue_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    q: ToyParams,
    notice_key: Option<String>,
    form: ToyForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    let page = Page::new(state, rc, "/lending").await;
    let toys = svc::toys(state, ctx, &q).await?;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let add_units = units_with(state, ctx, Permission::ManageLending).await?;
    let invalid = !errors.is_empty();
    let p = CataloguePage { notice: notice(&page, notice_key.as_deref()), page, q, toys, names: Names { units }, add_units, form, errors };
    render_form(&p, invalid)
}

pub async fn catalogue(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<CatalogueQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    let p = ToyParams {
        q: q.q,
        unit_id: q.unit_id.parse().ok(),
        status: if ToyStatus::parse(&q.status).is_some() { q.status } else { String::new() },
    };
    let form = ToyForm { parts: "1".into(), age_min_months: "0".into(), age_max_months: "72".into(), ..Default::default() };
    catalogue_view(&state, &rc, &ctx, p, q.notice, form, Vec::new()).await
}

pub async fn create_toy(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<ToyForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageLending, Scope::AnyUnit)?;
    match svc::create_toy(&state, &ctx, &f.input()).await {
        Ok(t) => Ok(Redirect::to(&format!("/lending/toys/{}?notice=created", t.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            catalogue_view(&state, &rc, &ctx, ToyParams::default(), None, f, errors).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A toy

#[derive(Template)]
#[template(path = "lending_toy.html")]
struct ToyPage {
    page: Page,
    notice: Option<String>,
    view: svc::ToyView,
    names: Names,
    can_edit: bool,
    can_lend: bool,
    home_units: Vec<ServiceUnit>,
    form: ToyForm,
    errors: Vec<FieldError>,
    stale: bool,
    reserve_no: String,
}

impl ToyPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn status(&self, s: &ToyStatus) -> String {
        status_name(&self.page, s)
    }
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn age(&self, t: &Toy) -> String {
        age_text(&self.page, t)
    }
    fn area(&self, a: &DevArea) -> String {
        self.page.t(&format!("lending-area-{}", a.as_str()))
    }
    fn areas(&self) -> Vec<(&'static str, String)> {
        DevArea::ALL.iter().map(|a| (a.as_str(), self.page.t(&format!("lending-area-{}", a.as_str())))).collect()
    }
    fn has_area(&self, a: &str) -> bool {
        self.form.areas.iter().any(|x| x == a)
    }
    fn conditions(&self) -> Vec<(&'static str, String)> {
        Condition::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("lending-condition-{}", c.as_str())))).collect()
    }
    fn condition(&self, c: &Condition) -> String {
        self.page.t(&format!("lending-condition-{}", c.as_str()))
    }
    fn sources(&self) -> Vec<(&'static str, String)> {
        ToySource::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("lending-source-{}", c.as_str())))).collect()
    }
    fn source(&self, s: &ToySource) -> String {
        self.page.t(&format!("lending-source-{}", s.as_str()))
    }
    fn rstatus(&self, s: &shegong_domain::lending::ReservationStatus) -> String {
        self.page.t(&format!("lending-reservation-{}", s.as_str()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn toy_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: ToyId,
    notice_key: Option<String>,
    form: Option<ToyForm>,
    errors: Vec<FieldError>,
    stale: bool,
    reserve_no: String,
) -> AppResult<Response> {
    let view = svc::toy_view(state, ctx, id).await?;
    let page = Page::new(state, rc, &format!("/lending/toys/{id}")).await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let form = form.unwrap_or_else(|| ToyForm::of(&view.toy));
    let invalid = !errors.is_empty() || stale;
    let p = ToyPage {
        notice: notice(&page, notice_key.as_deref()),
        can_edit: ctx.can(Permission::ManageLending, Scope::Unit(view.toy.home_unit_id)),
        can_lend: ctx.can(Permission::LendToys, Scope::AnyUnit),
        home_units: units_with(state, ctx, Permission::ManageLending).await?,
        page,
        view,
        names: Names { units },
        form,
        errors,
        stale,
        reserve_no,
    };
    render_form(&p, invalid)
}

pub async fn show_toy(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ToyId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    toy_view(&state, &rc, &ctx, id, q.notice, None, Vec::new(), false, String::new()).await
}

pub async fn update_toy(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ToyId>,
    HtmlForm(f): HtmlForm<ToyForm>,
) -> AppResult<Response> {
    match svc::update_toy(&state, &ctx, id, &f.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/lending/toys/{id}?notice=saved")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            toy_view(&state, &rc, &ctx, id, None, Some(f), errors, false, String::new()).await
        }
        Err(AppError::Domain(DomainError::Stale)) => toy_view(&state, &rc, &ctx, id, None, Some(f), Vec::new(), true, String::new()).await,
        Err(e) => Err(e),
    }
}

/// POST /lending/photos (multipart: `_csrf`, `toy_id`, `photo`).
pub async fn upload_photo(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let mut multipart = multipart.map_err(|_| AppError::UnsupportedMedia)?;
    let (mut csrf, mut toy, mut bytes) = (String::new(), None, Vec::new());
    let too_large = super::clients_import::multipart_error;
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        match field.name().unwrap_or_default() {
            "photo" | "file" => bytes = field.bytes().await.map_err(too_large)?.to_vec(),
            "toy_id" => toy = field.text().await.map_err(too_large)?.trim().parse::<ToyId>().ok(),
            n if n == CSRF_FIELD => csrf = field.text().await.map_err(too_large)?,
            _ => {}
        }
    }
    // The middleware does not read multipart bodies: the token is checked here, first.
    if !csrf_matches(&ctx.csrf, &csrf) {
        return Err(AppError::Csrf);
    }
    ctx.require(Permission::ManageLending, Scope::AnyUnit)?;
    let id = toy.ok_or(DomainError::NotFound)?;
    match svc::set_photo(&state, &ctx, id, &bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/lending/toys/{id}?notice=saved")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            toy_view(&state, &rc, &ctx, id, None, None, errors, false, String::new()).await
        }
        Err(e) => Err(e),
    }
}

pub async fn photo(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ToyId>) -> AppResult<Response> {
    let (t, b) = svc::photo(&state, &ctx, id).await?;
    Ok(crate::api::v1::lending::photo_response(t, b))
}

// ---------------------------------------------------------------------------------------------
// Labels

#[derive(Template)]
#[template(path = "lending_labels.html")]
struct LabelsPage {
    page: Page,
    unit: ServiceUnit,
    labels: Vec<(Toy, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LabelsQuery {
    unit_id: String,
    /// Toy ids, comma-separated (all of the unit's when blank).
    toys: String,
}

pub async fn labels(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<LabelsQuery>) -> AppResult<Response> {
    ctx.require(Permission::ManageLending, Scope::AnyUnit)?;
    let unit_id: UnitId = match q.unit_id.parse() {
        Ok(u) => u,
        Err(_) => units_with(&state, &ctx, Permission::ManageLending).await?.first().map(|u| u.id).ok_or(DomainError::Forbidden)?,
    };
    let unit = state.store.get_unit(ctx.user.org_id, unit_id).await?;
    let ids: Vec<ToyId> = q.toys.split(',').filter_map(|t| t.trim().parse().ok()).collect();
    let toys = svc::label_toys(&state, &ctx, unit_id, &ids).await?;
    let mut labels = Vec::new();
    for t in toys {
        let svg = svc::qr_svg(&t.code)?;
        labels.push((t, svg));
    }
    let page = Page::new(&state, &rc, "/lending/labels").await;
    render(&LabelsPage { page, unit, labels })
}

// ---------------------------------------------------------------------------------------------
// Members

#[derive(Template)]
#[template(path = "lending_members.html")]
struct MembersPage {
    page: Page,
    notice: Option<String>,
    members: Vec<Member>,
    names: Names,
    enrol_units: Vec<ServiceUnit>,
    types: Vec<MembershipType>,
    find: String,
    /// Households found by a member's name or phone: (household, already a member).
    found: Vec<(Household, bool)>,
    errors: Vec<FieldError>,
}

impl MembersPage {
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn type_name(&self, t: &MembershipType) -> String {
        t.name(self.page.locale).to_string()
    }
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MembersQuery {
    find: String,
    notice: Option<String>,
}

async fn members_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    find: String,
    notice_key: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let members = svc::members(state, ctx, None).await?;
    let org = ctx.user.org_id;
    let page = Page::new(state, rc, "/lending/members").await;
    let mut found = Vec::new();
    if find.trim().chars().count() >= 2 && ctx.can(Permission::ViewClients, Scope::AnyUnit) {
        let filter = ClientFilter { q: find.trim().to_string(), ..Default::default() };
        let hits = crate::clients::select(state, ctx, &filter, Permission::ViewClients, 0, 20).await?;
        for c in hits.clients {
            if let Some(h) = state.store.household_of(org, c.id).await? {
                if !found.iter().any(|(x, _): &(Household, bool)| x.id == h.id) {
                    let is_member = state.store.member_for_household(org, h.id).await?.is_some();
                    found.push((h, is_member));
                }
            }
        }
    }
    let settings = state.store.lending_settings(org).await?;
    let invalid = !errors.is_empty();
    let p = MembersPage {
        notice: notice(&page, notice_key.as_deref()),
        page,
        members,
        names: Names { units: state.store.list_units(org).await? },
        enrol_units: units_with(state, ctx, Permission::ManageLending).await?,
        types: settings.membership_types.into_iter().filter(|t| t.active).collect(),
        find,
        found,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn members(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<MembersQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    members_view(&state, &rc, &ctx, q.find, q.notice, Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrolForm {
    household_id: String,
    unit_id: String,
    membership: String,
    find: String,
}

pub async fn enrol(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<EnrolForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageLending, Scope::AnyUnit)?;
    let input =
        JoinInput { household_id: f.household_id.parse::<HouseholdId>().ok(), unit_id: f.unit_id.parse().ok(), membership: f.membership };
    match svc::enrol(&state, &ctx, &input).await {
        Ok(m) => Ok(Redirect::to(&format!("/lending/members/{}?notice=created", m.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => members_view(&state, &rc, &ctx, f.find, None, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "lending_member.html")]
struct MemberPage {
    page: Page,
    notice: Option<String>,
    view: MemberView,
    names: Names,
    rewards: Vec<Reward>,
    today: chrono::NaiveDate,
    can_lend: bool,
    can_manage: bool,
    errors: Vec<FieldError>,
}

impl MemberPage {
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn reason(&self, r: &shegong_domain::lending::PointsReason) -> String {
        self.page.t(&format!("lending-reason-{}", r.as_str()))
    }
    fn reward_name(&self, r: &Reward) -> String {
        r.name(self.page.locale).to_string()
    }
    fn rstatus(&self, s: &shegong_domain::lending::ReservationStatus) -> String {
        self.page.t(&format!("lending-reservation-{}", s.as_str()))
    }
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn overdue(&self, l: &Loan) -> bool {
        l.overdue(self.today)
    }
}

async fn member_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: MemberId,
    notice_key: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let view = svc::member_view(state, ctx, id).await?;
    let org = ctx.user.org_id;
    let page = Page::new(state, rc, &format!("/lending/members/{id}")).await;
    let settings = state.store.lending_settings(org).await?;
    let invalid = !errors.is_empty();
    let p = MemberPage {
        notice: notice(&page, notice_key.as_deref()),
        page,
        can_lend: ctx.can(Permission::LendToys, Scope::Unit(view.member.unit_id)),
        can_manage: ctx.can(Permission::ManageLending, Scope::AnyUnit),
        view,
        names: Names { units: state.store.list_units(org).await? },
        rewards: settings.rewards.into_iter().filter(|r| r.active).collect(),
        today: crate::clients::today(state, org).await?,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn show_member(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<MemberId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    member_view(&state, &rc, &ctx, id, q.notice, Vec::new()).await
}

#[derive(Template)]
#[template(path = "lending_card.html")]
struct CardPage {
    page: Page,
    member: Member,
    link: String,
    qr: String,
    /// The member number as a QR code: what the counter's scanner reads.
    counter_qr: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Empty {}

pub async fn issue_card(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<MemberId>,
    HtmlForm(_f): HtmlForm<Empty>,
) -> AppResult<Response> {
    let card = svc::issue_card(&state, &ctx, id).await?;
    // The card's link uses the address staff reached the site at.
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    let link = format!("{scheme}://{host}{}", card.path);
    let qr = svc::qr_svg(&link)?;
    let counter_qr = svc::qr_svg(&card.member.member_no)?;
    let page = Page::new(&state, &rc, &format!("/lending/members/{id}")).await;
    render(&CardPage { page, member: card.member, link, qr, counter_qr })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RedeemForm {
    reward: String,
}

pub async fn redeem(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<MemberId>,
    HtmlForm(f): HtmlForm<RedeemForm>,
) -> AppResult<Response> {
    match svc::redeem(&state, &ctx, id, &svc::RedeemInput { reward: f.reward }).await {
        Ok(_) => Ok(Redirect::to(&format!("/lending/members/{id}?notice=redeemed")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => member_view(&state, &rc, &ctx, id, None, errors).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The counter

#[derive(Template)]
#[template(path = "lending_counter.html")]
struct CounterPage {
    page: Page,
    notice: Option<String>,
    units: Vec<ServiceUnit>,
    unit: Option<ServiceUnit>,
    member_no: String,
    member: Option<MemberView>,
    toy_code: String,
    return_code: String,
    /// The toy scanned for return and its open loan.
    returning: Option<(Toy, Loan)>,
    incoming: Vec<Transfer>,
    outgoing: Vec<Transfer>,
    names: Names,
    today: chrono::NaiveDate,
    errors: Vec<FieldError>,
}

impl CounterPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn unit_name(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn conditions(&self) -> Vec<(&'static str, String)> {
        Condition::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("lending-condition-{}", c.as_str())))).collect()
    }
    fn overdue(&self, l: &Loan) -> bool {
        l.overdue(self.today)
    }
    fn selected(&self, id: &UnitId) -> bool {
        self.unit.as_ref().is_some_and(|u| u.id == *id)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CounterQuery {
    unit_id: String,
    member_no: String,
    return_code: String,
    notice: Option<String>,
}

async fn counter_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    q: CounterQuery,
    toy_code: String,
    mut errors: Vec<FieldError>,
) -> AppResult<Response> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let units = units_with(state, ctx, Permission::LendToys).await?;
    let unit =
        q.unit_id.parse::<UnitId>().ok().and_then(|id| units.iter().find(|u| u.id == id).cloned()).or_else(|| units.first().cloned());
    let page = Page::new(state, rc, "/lending/counter").await;
    let (mut member, mut returning, mut incoming, mut outgoing) = (None, None, Vec::new(), Vec::new());
    if let Some(u) = &unit {
        match svc::counter_member(state, ctx, u.id, &q.member_no).await {
            Ok(m) => member = m,
            Err(AppError::Domain(DomainError::Invalid(e))) => errors.extend(e),
            Err(e) => return Err(e),
        }
        if !q.return_code.trim().is_empty() {
            match svc::open_loan_of(state, ctx, u.id, &q.return_code).await {
                Ok(x) => returning = Some(x),
                Err(AppError::Domain(DomainError::Invalid(e))) => errors.extend(e),
                Err(e) => return Err(e),
            }
        }
        for t in state.store.transfers(org, Some(&[u.id])).await? {
            if t.to_unit_id == u.id {
                incoming.push(t);
            } else {
                outgoing.push(t);
            }
        }
    }
    let invalid = !errors.is_empty();
    let p = CounterPage {
        notice: notice(&page, q.notice.as_deref()),
        page,
        names: Names { units: state.store.list_units(org).await? },
        units,
        unit,
        member_no: q.member_no,
        member,
        toy_code,
        return_code: q.return_code,
        returning,
        incoming,
        outgoing,
        today: crate::clients::today(state, org).await?,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn counter(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<CounterQuery>) -> AppResult<Response> {
    counter_view(&state, &rc, &ctx, q, String::new(), Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckOutForm {
    unit_id: String,
    member_no: String,
    toy_code: String,
}

pub async fn check_out(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<CheckOutForm>,
) -> AppResult<Response> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let input = CheckOutInput { unit_id: f.unit_id.parse().ok(), member_no: f.member_no.clone(), toy_code: f.toy_code.clone() };
    match svc::check_out(&state, &ctx, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/lending/counter?unit_id={}&member_no={}&notice=lent", enc(&f.unit_id), enc(f.member_no.trim())))
                .into_response())
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let q = CounterQuery { unit_id: f.unit_id, member_no: f.member_no, ..Default::default() };
            counter_view(&state, &rc, &ctx, q, f.toy_code, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReturnForm {
    unit_id: String,
    parts_returned: String,
    condition: String,
    note: String,
    return_code: String,
}

pub async fn return_loan(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<LoanId>,
    HtmlForm(f): HtmlForm<ReturnForm>,
) -> AppResult<Response> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let input = ReturnInput {
        unit_id: f.unit_id.parse().ok(),
        parts_returned: number(&f.parts_returned, -1),
        condition: f.condition.clone(),
        note: f.note.clone(),
    };
    match svc::return_loan(&state, &ctx, id, &input).await {
        Ok(out) => {
            let n = if out.repair.is_some() { "returned-repair" } else { "returned" };
            Ok(Redirect::to(&format!("/lending/counter?unit_id={}&notice={n}", enc(&f.unit_id))).into_response())
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let q = CounterQuery { unit_id: f.unit_id, return_code: f.return_code, ..Default::default() };
            counter_view(&state, &rc, &ctx, q, String::new(), errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BackForm {
    back: String,
    note: String,
}

pub async fn renew(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<LoanId>,
    HtmlForm(f): HtmlForm<BackForm>,
) -> AppResult<Response> {
    match svc::renew(&state, &ctx, id).await {
        Ok(l) => Ok(Redirect::to(&with_notice(&back_to(&f.back, &format!("/lending/members/{}", l.member_id)), "renewed")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let l = state.store.get_loan(ctx.user.org_id, id).await?;
            member_view(&state, &rc, &ctx, l.member_id, None, errors).await
        }
        Err(e) => Err(e),
    }
}

pub async fn lost(State(state): State<AppState>, ctx: Ctx, Path(id): Path<LoanId>, HtmlForm(f): HtmlForm<BackForm>) -> AppResult<Response> {
    svc::mark_lost(&state, &ctx, id, &svc::LostInput { note: f.note }).await?;
    Ok(Redirect::to(&with_notice(&back_to(&f.back, "/lending/repairs"), "saved")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReserveForm {
    toy_id: String,
    member_no: String,
    pickup_unit_id: String,
}

pub async fn reserve(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<ReserveForm>) -> AppResult<Response> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let toy: ToyId = f.toy_id.parse().map_err(|_| DomainError::NotFound)?;
    match svc::reserve_by_no(&state, &ctx, toy, &f.member_no, f.pickup_unit_id.parse().ok()).await {
        Ok(_) => Ok(Redirect::to(&format!("/lending/toys/{toy}?notice=reserved")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            toy_view(&state, &rc, &ctx, toy, None, None, errors, false, f.member_no).await
        }
        Err(e) => Err(e),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ReservationId>,
    HtmlForm(f): HtmlForm<BackForm>,
) -> AppResult<Response> {
    let r = svc::cancel_reservation(&state, &ctx, id).await?;
    Ok(Redirect::to(&with_notice(&back_to(&f.back, &format!("/lending/toys/{}", r.toy_id)), "cancelled")).into_response())
}

pub async fn receive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<TransferId>,
    HtmlForm(_f): HtmlForm<Empty>,
) -> AppResult<Response> {
    let t = svc::receive(&state, &ctx, id).await?;
    Ok(Redirect::to(&format!("/lending/counter?unit_id={}&notice=received", t.to_unit_id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// The repair and lost queue

#[derive(Template)]
#[template(path = "lending_repairs.html")]
struct RepairsPage {
    page: Page,
    notice: Option<String>,
    open: Vec<Repair>,
    done: Vec<Repair>,
    names: Names,
    errors: Vec<FieldError>,
}

impl RepairsPage {
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn kind(&self, r: &Repair) -> String {
        self.page.t(&format!("lending-repair-{}", r.kind.as_str()))
    }
    fn resolution(&self, r: &Repair) -> String {
        r.resolution.map(|x| self.page.t(&format!("lending-resolution-{}", x.as_str()))).unwrap_or_default()
    }
    fn resolutions(&self) -> Vec<(&'static str, String)> {
        RepairResolution::ALL.iter().map(|x| (x.as_str(), self.page.t(&format!("lending-resolution-{}", x.as_str())))).collect()
    }
    fn errs(&self) -> Vec<String> {
        let mut v = self.page.errors_for(&self.errors, "resolution");
        v.extend(self.page.errors_for(&self.errors, "parts"));
        v
    }
}

async fn repairs_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let all = svc::repairs(state, ctx, None).await?;
    let (open, done): (Vec<Repair>, Vec<Repair>) = all.into_iter().partition(|r| r.resolved_on.is_none());
    let page = Page::new(state, rc, "/lending/repairs").await;
    let invalid = !errors.is_empty();
    let p = RepairsPage {
        notice: notice(&page, notice_key.as_deref()),
        page,
        open,
        done,
        names: Names { units: state.store.list_units(ctx.user.org_id).await? },
        errors,
    };
    render_form(&p, invalid)
}

pub async fn repairs(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    repairs_view(&state, &rc, &ctx, q.notice, Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolveForm {
    resolution: String,
    parts: String,
    note: String,
}

pub async fn resolve(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<RepairId>,
    HtmlForm(f): HtmlForm<ResolveForm>,
) -> AppResult<Response> {
    let parts = if f.parts.trim().is_empty() { None } else { Some(number(&f.parts, -1)) };
    match svc::resolve(&state, &ctx, id, &ResolveInput { resolution: f.resolution, parts, note: f.note }).await {
        Ok(_) => Ok(Redirect::to("/lending/repairs?notice=resolved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => repairs_view(&state, &rc, &ctx, None, errors).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Reminders

#[derive(Template)]
#[template(path = "lending_reminders.html")]
struct RemindersPage {
    page: Page,
    notice: Option<String>,
    units: Vec<ServiceUnit>,
    list: Option<Reminders>,
    can_send: bool,
}

impl RemindersPage {
    fn selected(&self, id: &UnitId) -> bool {
        self.list.as_ref().is_some_and(|l| l.unit_id == *id)
    }
    fn kind(&self, k: &shegong_domain::lending::ReminderKind) -> String {
        self.page.t(&format!("lending-reminder-{}", k.as_str()))
    }
    fn groups(&self) -> Vec<(&[DueLoan], &'static str)> {
        match &self.list {
            Some(l) => vec![(l.overdue.as_slice(), "lending-overdue-list"), (l.due_soon.as_slice(), "lending-due-soon-list")],
            None => Vec::new(),
        }
    }
    fn last(&self, d: &DueLoan) -> String {
        self.page.opt_dt(&d.last_sent)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitQuery {
    unit_id: String,
    notice: Option<String>,
}

pub async fn reminders(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<UnitQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    let units = units_with(&state, &ctx, Permission::ViewLending).await?;
    let unit = match q.unit_id.parse::<UnitId>() {
        Ok(u) => Some(u),
        Err(_) => units.first().map(|u| u.id),
    };
    let list = match unit {
        Some(u) => Some(svc::reminders(&state, &ctx, u).await?),
        None => None,
    };
    let page = Page::new(&state, &rc, "/lending/reminders").await;
    let can_send = unit.is_some_and(|u| ctx.can(Permission::LendToys, Scope::Unit(u)));
    render(&RemindersPage { notice: notice(&page, q.notice.as_deref()), page, units, list, can_send })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SendForm {
    unit_id: String,
}

pub async fn send_reminders(State(state): State<AppState>, ctx: Ctx, HtmlForm(f): HtmlForm<SendForm>) -> AppResult<Response> {
    let unit: Option<UnitId> = f.unit_id.parse().ok();
    svc::send_reminders(&state, &ctx, &SendInput { unit_id: unit }).await?;
    Ok(Redirect::to(&format!("/lending/reminders?unit_id={}&notice=sent", enc(&f.unit_id))).into_response())
}

// ---------------------------------------------------------------------------------------------
// Reports and settings

#[derive(Template)]
#[template(path = "lending_reports.html")]
struct ReportsPage {
    page: Page,
    report: LendingReport,
    names: Names,
    units: Vec<ServiceUnit>,
    unit_id: Option<UnitId>,
}

impl ReportsPage {
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn rate(&self) -> String {
        format!("{:.1}%", self.report.overdue_rate * 100.0)
    }
    fn is_unit(&self, id: &UnitId) -> bool {
        self.unit_id == Some(*id)
    }
    fn n(&self, x: &u64) -> String {
        self.page.num(&(*x as i64))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    from: String,
    to: String,
    unit_id: String,
}

pub async fn reports(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let p = ReportParams { from: day(&q.from), to: day(&q.to), unit_id: q.unit_id.parse().ok() };
    let report = svc::report(&state, &ctx, &p).await?;
    let page = Page::new(&state, &rc, "/lending/reports").await;
    let org = ctx.user.org_id;
    render(&ReportsPage {
        page,
        report,
        names: Names { units: state.store.list_units(org).await? },
        units: units_with(&state, &ctx, Permission::ViewLending).await?,
        unit_id: p.unit_id,
    })
}

#[derive(Template)]
#[template(path = "lending_settings.html")]
struct SettingsPage {
    page: Page,
    notice: Option<String>,
    form: SettingsForm,
    can_save: bool,
    errors: Vec<FieldError>,
}

impl SettingsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| format!("{}: {}", e.field, crate::page::field_message(self.page.locale, e))).collect()
    }
}

/// The settings as a form: one membership type or reward a line, fields split by `|`.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SettingsForm {
    /// `code | English | 繁體 | 简体 | max items | loan days | renewals [| off]`
    types: String,
    /// `code | English | 繁體 | 简体 | cost [| off]`
    rewards: String,
    on_time_return: String,
    workshop: String,
    activity: String,
    due_soon_days: String,
}

impl SettingsForm {
    fn of(s: &LendingSettings) -> Self {
        let off = |a: bool| if a { "" } else { " | off" };
        Self {
            types: s
                .membership_types
                .iter()
                .map(|t| {
                    format!(
                        "{} | {} | {} | {} | {} | {} | {}{}",
                        t.code,
                        t.name_en,
                        t.name_zh_hant,
                        t.name_zh_hans,
                        t.max_items,
                        t.loan_days,
                        t.max_renewals,
                        off(t.active)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            rewards: s
                .rewards
                .iter()
                .map(|r| format!("{} | {} | {} | {} | {}{}", r.code, r.name_en, r.name_zh_hant, r.name_zh_hans, r.cost, off(r.active)))
                .collect::<Vec<_>>()
                .join("\n"),
            on_time_return: s.points.on_time_return.to_string(),
            workshop: s.points.workshop.to_string(),
            activity: s.points.activity.to_string(),
            due_soon_days: s.due_soon_days.to_string(),
        }
    }

    fn settings(&self) -> LendingSettings {
        let parts = |l: &str| l.split('|').map(|x| x.trim().to_string()).collect::<Vec<_>>();
        let n = |s: Option<&String>| s.map(|x| x.parse::<i64>().unwrap_or(-1)).unwrap_or(-1);
        let membership_types = self
            .types
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let p = parts(l);
                let g = |i: usize| p.get(i).cloned().unwrap_or_default();
                MembershipType {
                    code: g(0),
                    name_en: g(1),
                    name_zh_hant: g(2),
                    name_zh_hans: g(3),
                    max_items: n(p.get(4)) as i32,
                    loan_days: n(p.get(5)) as i32,
                    max_renewals: n(p.get(6)) as i32,
                    active: p.get(7).is_none_or(|x| x != "off"),
                }
            })
            .collect();
        let rewards = self
            .rewards
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let p = parts(l);
                let g = |i: usize| p.get(i).cloned().unwrap_or_default();
                Reward {
                    code: g(0),
                    name_en: g(1),
                    name_zh_hant: g(2),
                    name_zh_hans: g(3),
                    cost: n(p.get(4)),
                    active: p.get(5).is_none_or(|x| x != "off"),
                }
            })
            .collect();
        let num = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
        LendingSettings {
            membership_types,
            rewards,
            points: shegong_domain::lending::PointsRules {
                on_time_return: num(&self.on_time_return),
                workshop: num(&self.workshop),
                activity: num(&self.activity),
            },
            due_soon_days: num(&self.due_soon_days) as i32,
        }
    }
}

pub async fn settings(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    let s = svc::settings(&state, &ctx).await?;
    let page = Page::new(&state, &rc, "/lending/settings").await;
    render(&SettingsPage {
        notice: notice(&page, q.notice.as_deref()),
        page,
        form: SettingsForm::of(&s),
        can_save: ctx.can(Permission::ManageLending, Scope::Agency),
        errors: Vec::new(),
    })
}

pub async fn save_settings(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<SettingsForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageLending, Scope::Agency)?;
    match svc::save_settings(&state, &ctx, &f.settings()).await {
        Ok(_) => Ok(Redirect::to("/lending/settings?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let page = Page::new(&state, &rc, "/lending/settings").await;
            render_invalid(&SettingsPage { notice: None, page, form: f, can_save: true, errors })
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The family's page

#[derive(Template)]
#[template(path = "lending_family.html")]
struct FamilyPage {
    page: Page,
    view: FamilyView,
    names: Names,
}

impl FamilyPage {
    fn unit(&self, id: &UnitId) -> String {
        self.names.unit(&self.page, id)
    }
    fn reason(&self, r: &shegong_domain::lending::PointsReason) -> String {
        self.page.t(&format!("lending-reason-{}", r.as_str()))
    }
    fn rstatus(&self, s: &shegong_domain::lending::ReservationStatus) -> String {
        self.page.t(&format!("lending-reservation-{}", s.as_str()))
    }
    fn overdue(&self, l: &Loan) -> bool {
        l.overdue(self.view.today)
    }
}

/// GET /family/{token}: the family's points, toys at home and reservations. The link is the
/// key: it is long and random, stored only as a hash, and a new card stops the old one.
pub async fn family(State(state): State<AppState>, rc: RequestCtx, Path(token): Path<String>) -> AppResult<Response> {
    if token.len() < 20 || token.len() > 100 {
        return Err(DomainError::NotFound.into());
    }
    let (view, org) = svc::family(&state, &token).await?;
    let page = Page::new(&state, &rc, &format!("/family/{token}")).await;
    let units = state.store.list_units(org).await?;
    render(&FamilyPage { page, view, names: Names { units } })
}
