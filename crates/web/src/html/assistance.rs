//! Emergency assistance pages: the requests of the caller's units with the form that takes a
//! new one (carrying the person over from a call, case or check-in link), a request's page
//! (dispatch, delivery steps, follow-up), the caller's own deliveries, and the report with its
//! CSV and XLSX export. Every rule is checked in the service (`crate::assistance`); every form
//! works without JavaScript.

use super::HtmlForm;
use crate::assistance::{self as svc, Delivery, ReportParams, RequestParams};
use crate::clients::export::ExportFormat;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_form, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::assistance::{
    AssistanceReport, AssistanceRequest, AssistanceSettings, DeliveredItem, DeliveryInput, DispatchInput, FollowUpInput, RequestInput,
    RequestStatus, Urgency,
};
use shegong_domain::donations::StockLine;
use shegong_domain::ids::{AssistanceRequestId, UnitId, UserId};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assistance", get(list))
        .route("/assistance/requests", post(create))
        .route("/assistance/requests/{id}", get(show))
        .route("/assistance/requests/{id}/dispatch", post(dispatch))
        .route("/assistance/requests/{id}/delivery", post(delivery))
        .route("/assistance/requests/{id}/follow-up", post(follow_up))
        .route("/assistance/mine", get(mine))
        .route("/assistance/reports", get(reports))
}

fn notice(page: &Page, key: Option<&str>) -> Option<String> {
    const KNOWN: [&str; 5] = ["created", "dispatched", "on_the_way", "delivered", "followed_up"];
    let key = key.map(|k| if k == "failed" { "delivered" } else { k });
    key.filter(|k| KNOWN.contains(k)).map(|k| page.t(&format!("assist-notice-{k}")))
}

fn status_name(page: &Page, s: &RequestStatus) -> String {
    page.t(&format!("assist-status-{}", s.as_str()))
}

async fn units_with(state: &AppState, ctx: &Ctx, perm: Permission) -> AppResult<Vec<ServiceUnit>> {
    Ok(state.store.list_units(ctx.user.org_id).await?.into_iter().filter(|u| u.active && ctx.can(perm, Scope::Unit(u.id))).collect())
}

fn unit_name(page: &Page, units: &[ServiceUnit], id: &UnitId) -> String {
    units.iter().find(|u| u.id == *id).map(|u| u.name(page.locale).to_string()).unwrap_or_else(|| "—".into())
}

// ---------------------------------------------------------------------------------------------
// The list and the new request

/// A request as typed (kept when shown again with errors).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RequestForm {
    unit_id: String,
    client_id: String,
    household_id: String,
    persons: String,
    need: String,
    urgency: String,
    detail: String,
    requested_by: String,
    consent: String,
    source: String,
    source_ref: String,
}

impl RequestForm {
    fn input(&self) -> RequestInput {
        RequestInput {
            unit_id: self.unit_id.parse().ok(),
            client_id: self.client_id.parse().ok(),
            household_id: self.household_id.parse().ok(),
            persons: if self.persons.trim().is_empty() { None } else { Some(self.persons.trim().parse().unwrap_or(-1)) },
            need: self.need.clone(),
            urgency: self.urgency.clone(),
            detail: self.detail.clone(),
            requested_by: self.requested_by.clone(),
            consent: !self.consent.is_empty(),
            source: self.source.clone(),
            source_ref: self.source_ref.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "assistance_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    requests: Vec<AssistanceRequest>,
    units: Vec<ServiceUnit>,
    /// Units where the caller takes requests (empty: no form).
    add_units: Vec<ServiceUnit>,
    settings: AssistanceSettings,
    form: RequestForm,
    errors: Vec<FieldError>,
}

impl ListPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn status(&self, s: &RequestStatus) -> String {
        status_name(&self.page, s)
    }
    fn unit(&self, id: &UnitId) -> String {
        unit_name(&self.page, &self.units, id)
    }
    fn need(&self, code: &str) -> String {
        self.settings.need_name(code, self.page.locale)
    }
    fn needs(&self) -> Vec<(String, String)> {
        self.settings.needs.iter().filter(|n| n.active).map(|n| (n.code.clone(), n.name(self.page.locale).to_string())).collect()
    }
    fn urgencies(&self) -> Vec<(&'static str, String)> {
        Urgency::ALL.iter().map(|u| (u.as_str(), self.page.t(&format!("assist-urgency-{}", u.as_str())))).collect()
    }
    fn urgency(&self, u: &Urgency) -> String {
        self.page.t(&format!("assist-urgency-{}", u.as_str()))
    }
    fn sources(&self) -> Vec<(&'static str, String)> {
        shegong_domain::assistance::RequestSource::ALL
            .iter()
            .map(|s| (s.as_str(), self.page.t(&format!("assist-source-{}", s.as_str()))))
            .collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    notice: Option<String>,
    unit_id: String,
    client_id: String,
    household_id: String,
    source: String,
    source_ref: String,
}

async fn list_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    form: RequestForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/assistance").await;
    let requests = svc::requests(state, ctx, &RequestParams::default()).await?;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let add_units = units_with(state, ctx, Permission::EditAssistance).await?;
    let settings = state.store.assistance_settings(ctx.user.org_id).await?;
    let invalid = !errors.is_empty();
    let p = ListPage { notice: notice(&page, notice_key.as_deref()), page, requests, units, add_units, settings, form, errors };
    render_form(&p, invalid)
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewAssistance, Scope::AnyUnit)?;
    let form = RequestForm {
        unit_id: q.unit_id,
        client_id: q.client_id,
        household_id: q.household_id,
        source: q.source,
        source_ref: q.source_ref,
        ..Default::default()
    };
    list_view(&state, &rc, &ctx, q.notice, form, Vec::new()).await
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<RequestForm>) -> AppResult<Response> {
    ctx.require(Permission::EditAssistance, Scope::AnyUnit)?;
    match svc::create(&state, &ctx, &f.input()).await {
        Ok(r) => Ok(Redirect::to(&format!("/assistance/requests/{}?notice=created", r.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => list_view(&state, &rc, &ctx, None, f, errors).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A request

#[derive(Template)]
#[template(path = "assistance_request.html")]
struct RequestPage {
    page: Page,
    notice: Option<String>,
    r: AssistanceRequest,
    units: Vec<ServiceUnit>,
    settings: AssistanceSettings,
    /// Who may be dispatched (empty: the caller does not dispatch).
    assignees: Vec<(UserId, String)>,
    can_deliver: bool,
    can_follow_up: bool,
    stock: Vec<StockLine>,
    errors: Vec<FieldError>,
}

impl RequestPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn status(&self, s: &RequestStatus) -> String {
        status_name(&self.page, s)
    }
    fn unit(&self, id: &UnitId) -> String {
        unit_name(&self.page, &self.units, id)
    }
    fn need(&self, code: &str) -> String {
        self.settings.need_name(code, self.page.locale)
    }
    fn when(&self, at: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        at.map(|t| t.with_timezone(&chrono_tz::Asia::Hong_Kong).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
    }
    fn urgency(&self, u: &Urgency) -> String {
        self.page.t(&format!("assist-urgency-{}", u.as_str()))
    }
    fn source(&self) -> String {
        self.page.t(&format!("assist-source-{}", self.r.source.as_str()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn stock_at(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<Vec<StockLine>> {
    if !ctx.can(Permission::DeliverAssistance, Scope::Unit(unit)) {
        return Ok(Vec::new());
    }
    Ok(state.store.stock(ctx.user.org_id, Some(&[unit])).await?)
}

async fn request_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: AssistanceRequestId,
    notice_key: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let r = svc::request(state, ctx, id).await?;
    let page = Page::new(state, rc, &format!("/assistance/requests/{id}")).await;
    let assignees = if ctx.can(Permission::EditAssistance, Scope::Unit(r.unit_id)) && r.open() {
        svc::assignees(state, ctx, r.unit_id).await?
    } else {
        Vec::new()
    };
    let can_deliver = ctx.can(Permission::DeliverAssistance, Scope::Unit(r.unit_id))
        && ctx.can(Permission::EditAssistance, Scope::Unit(r.unit_id))
        && matches!(r.status, RequestStatus::Assigned | RequestStatus::OnTheWay);
    let can_follow_up =
        ctx.can(Permission::EditAssistance, Scope::Unit(r.unit_id)) && matches!(r.status, RequestStatus::Delivered | RequestStatus::Failed);
    let stock = if can_deliver { stock_at(state, ctx, r.unit_id).await? } else { Vec::new() };
    let units = state.store.list_units(ctx.user.org_id).await?;
    let settings = state.store.assistance_settings(ctx.user.org_id).await?;
    let invalid = !errors.is_empty();
    let p = RequestPage {
        notice: notice(&page, notice_key.as_deref()),
        page,
        r,
        units,
        settings,
        assignees,
        can_deliver,
        can_follow_up,
        stock,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    request_view(&state, &rc, &ctx, id, q.notice, Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DispatchForm {
    assignee_id: String,
}

pub async fn dispatch(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    HtmlForm(f): HtmlForm<DispatchForm>,
) -> AppResult<Response> {
    match svc::dispatch(&state, &ctx, id, &DispatchInput { assignee_id: f.assignee_id.parse().ok() }).await {
        Ok(_) => Ok(Redirect::to(&format!("/assistance/requests/{id}?notice=dispatched")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => request_view(&state, &rc, &ctx, id, None, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeliveryForm {
    step: String,
    reason: String,
    proof: String,
    recipient_name: String,
    persons: String,
    item_id: String,
    quantity: String,
    /// `mine`: back to the caller's deliveries.
    back: String,
}

pub async fn delivery(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    HtmlForm(f): HtmlForm<DeliveryForm>,
) -> AppResult<Response> {
    let quantity = if f.quantity.trim().is_empty() { 0 } else { f.quantity.trim().parse().unwrap_or(-1) };
    let input = DeliveryInput {
        step: f.step.clone(),
        reason: f.reason.clone(),
        proof: if f.proof.is_empty() && f.step == "delivered" { "confirmation".into() } else { f.proof.clone() },
        recipient_name: f.recipient_name.clone(),
        persons: if f.persons.trim().is_empty() { None } else { Some(f.persons.trim().parse().unwrap_or(-1)) },
        items: vec![DeliveredItem { item_id: f.item_id.parse().ok(), quantity }],
    };
    let mine = f.back == "mine";
    match svc::delivery(&state, &ctx, id, &input).await {
        Ok(r) if mine => Ok(Redirect::to(&format!("/assistance/mine?notice={}", r.status.as_str())).into_response()),
        Ok(r) => Ok(Redirect::to(&format!("/assistance/requests/{id}?notice={}", r.status.as_str())).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) if mine => mine_view(&state, &rc, &ctx, None, Some(id), errors).await,
        Err(AppError::Domain(DomainError::Invalid(errors))) => request_view(&state, &rc, &ctx, id, None, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FollowUpForm {
    note: String,
}

pub async fn follow_up(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    HtmlForm(f): HtmlForm<FollowUpForm>,
) -> AppResult<Response> {
    match svc::follow_up(&state, &ctx, id, &FollowUpInput { note: f.note }).await {
        Ok(_) => Ok(Redirect::to(&format!("/assistance/requests/{id}?notice=followed_up")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => request_view(&state, &rc, &ctx, id, None, errors).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// My deliveries

#[derive(Template)]
#[template(path = "assistance_mine.html")]
struct MinePage {
    page: Page,
    notice: Option<String>,
    deliveries: Vec<(Delivery, Vec<StockLine>)>,
    settings: AssistanceSettings,
    /// The request whose form came back with errors.
    failed: Option<AssistanceRequestId>,
    errors: Vec<FieldError>,
}

impl MinePage {
    fn errs(&self, id: &AssistanceRequestId, f: &str) -> Vec<String> {
        if self.failed == Some(*id) {
            self.page.errors_for(&self.errors, f)
        } else {
            Vec::new()
        }
    }
    fn status(&self, s: &RequestStatus) -> String {
        status_name(&self.page, s)
    }
    fn need(&self, code: &str) -> String {
        self.settings.need_name(code, self.page.locale)
    }
}

async fn mine_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    failed: Option<AssistanceRequestId>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/assistance/mine").await;
    let mut deliveries = Vec::new();
    for d in svc::mine(state, ctx).await? {
        let stock = if d.request.open() { stock_at(state, ctx, d.request.unit_id).await? } else { Vec::new() };
        deliveries.push((d, stock));
    }
    let settings = state.store.assistance_settings(ctx.user.org_id).await?;
    let invalid = !errors.is_empty();
    let p = MinePage { notice: notice(&page, notice_key.as_deref()), page, deliveries, settings, failed, errors };
    render_form(&p, invalid)
}

pub async fn mine(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    mine_view(&state, &rc, &ctx, q.notice, None, Vec::new()).await
}

// ---------------------------------------------------------------------------------------------
// Reports

#[derive(Template)]
#[template(path = "assistance_reports.html")]
struct ReportsPage {
    page: Page,
    r: AssistanceReport,
    units: Vec<ServiceUnit>,
    settings: AssistanceSettings,
    query: String,
}

impl ReportsPage {
    fn unit(&self, key: &str) -> String {
        self.units.iter().find(|u| u.id.to_string() == key).map(|u| u.name(self.page.locale).to_string()).unwrap_or_else(|| key.into())
    }
    fn need(&self, code: &str) -> String {
        self.settings.need_name(code, self.page.locale)
    }
    fn groups(&self) -> Vec<(&'static str, Vec<shegong_domain::assistance::AssistanceRow>, u8)> {
        vec![
            ("assist-by-need", self.r.by_need.clone(), 0),
            ("assist-by-unit", self.r.by_unit.clone(), 1),
            ("assist-by-day", self.r.by_day.clone(), 2),
        ]
    }
    fn hours(&self) -> String {
        self.r.average_hours_to_delivery.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    from: String,
    to: String,
    unit_id: String,
    format: String,
}

pub async fn reports(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewAssistanceReports, Scope::AnyUnit)?;
    let p = ReportParams { from: q.from.parse().ok(), to: q.to.parse().ok(), unit_id: q.unit_id.parse().ok(), format: String::new() };
    if !q.format.is_empty() {
        let format = ExportFormat::parse(&q.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
        return svc::export(&state, &ctx, &p, format).await;
    }
    let r = svc::report(&state, &ctx, &p).await?;
    let page = Page::new(&state, &rc, "/assistance/reports").await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let settings = state.store.assistance_settings(ctx.user.org_id).await?;
    let query = format!("from={}&to={}", r.from, r.to);
    render(&ReportsPage { page, r, units, settings, query })
}
