//! Emergency assistance service: what the pages and the API share. Staff see the requests of
//! their units (`ViewAssistance`); the person a request is dispatched to (a staff member or a
//! trained volunteer with `DeliverAssistance` in its unit) sees it among their own deliveries,
//! with no more of the household than the delivery needs, and takes the delivery steps.
//! Funders read the aggregated report only.

use crate::clients::{export::download, export::ExportFormat, today, units_for};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::assistance::{
    count_assistance, validate_settings, AssistanceReport, AssistanceRequest, AssistanceSettings, DeliveryInput, DispatchInput,
    FollowUpInput, RequestInput, RequestSource,
};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::ids::{AssistanceRequestId, CallId, CaseId, CheckInScheduleId, ClientId, HouseholdId, UnitId, UserId};
use shegong_domain::lending::check_photo;
use shegong_domain::ports::RequestQuery;
use shegong_domain::DomainError;

/// How many rows a list shows.
pub const LIST_LIMIT: u64 = 500;

pub async fn settings(state: &AppState, ctx: &Ctx) -> AppResult<AssistanceSettings> {
    ctx.require(Permission::ViewAssistance, Scope::AnyUnit)?;
    Ok(state.store.assistance_settings(ctx.user.org_id).await?)
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, s: &AssistanceSettings) -> AppResult<AssistanceSettings> {
    ctx.require(Permission::EditAssistance, Scope::Agency)?;
    let s = validate_settings(s)?;
    state.store.save_assistance_settings(&ctx.actor(), &s).await?;
    Ok(state.store.assistance_settings(ctx.user.org_id).await?)
}

/// The id at the end of a reference (`case:<id>`, `hotline-call:<id>`, `check-in:<id>`, or the id alone).
fn ref_id(raw: &str) -> &str {
    raw.rsplit(':').next().unwrap_or(raw).trim()
}

/// The person (and household) a request's source names, and the reference to keep.
async fn from_source(
    state: &AppState,
    ctx: &Ctx,
    source: RequestSource,
    raw: &str,
) -> AppResult<(Option<ClientId>, Option<HouseholdId>, String)> {
    let org = ctx.user.org_id;
    let id = ref_id(raw);
    if id.is_empty() {
        return Ok((None, None, String::new()));
    }
    let bad = || AppError::from(DomainError::invalid("source_ref", "unknown-source"));
    Ok(match source {
        RequestSource::Call => {
            let c = state.store.get_call(org, id.parse::<CallId>().map_err(|_| bad())?).await.map_err(|_| bad())?;
            (c.client_id, None, format!("hotline-call:{}", c.id))
        }
        RequestSource::Case => {
            let c = state.store.get_case(org, id.parse::<CaseId>().map_err(|_| bad())?).await.map_err(|_| bad())?;
            (c.client_id, c.household_id, format!("case:{}", c.id))
        }
        RequestSource::CheckIn => {
            let s = state.store.get_schedule(org, id.parse::<CheckInScheduleId>().map_err(|_| bad())?).await.map_err(|_| bad())?;
            (Some(s.client_id), None, format!("check-in:{}", s.id))
        }
        RequestSource::WalkIn => (None, None, raw.trim().to_string()),
    })
}

/// Takes a request: the person and household come over from the call, case or check-in it
/// names; the people reached default to the household's size.
pub async fn create(state: &AppState, ctx: &Ctx, input: &RequestInput) -> AppResult<AssistanceRequest> {
    ctx.require(Permission::EditAssistance, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let settings = state.store.assistance_settings(org).await?;
    let mut input = input.clone();
    let mut source_ref = input.source_ref.trim().to_string();
    if let Some(source) = RequestSource::parse(input.source.trim()) {
        let (client, household, r) = from_source(state, ctx, source, &source_ref).await?;
        input.client_id = input.client_id.or(client);
        input.household_id = input.household_id.or(household);
        source_ref = r;
    }
    let mut f = input.validate(&settings)?;
    f.source_ref = source_ref;
    ctx.require(Permission::EditAssistance, Scope::Unit(f.unit_id))?;
    if state.store.get_unit(org, f.unit_id).await.is_err() {
        return Err(DomainError::invalid("unit_id", "unknown-unit").into());
    }
    if f.household_id.is_none() {
        if let Some(c) = f.client_id {
            state.store.get_client(org, c).await.map_err(|_| AppError::from(DomainError::invalid("client_id", "unknown-client")))?;
            f.household_id = state.store.household_of(org, c).await?.map(|h| h.id);
        }
    }
    let size = match f.household_id {
        Some(h) => state
            .store
            .get_household(org, h)
            .await
            .map_err(|_| AppError::from(DomainError::invalid("household_id", "unknown-household")))?
            .size(),
        None if f.client_id.is_some() => 1,
        None => return Err(DomainError::invalid("household_id", "required").into()),
    };
    f.persons = Some(f.persons.unwrap_or_else(|| i32::try_from(size.max(1)).unwrap_or(1)));
    let t = today(state, org).await?;
    Ok(state.store.create_request(&ctx.actor(), &f, t).await?)
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct RequestParams {
    pub unit_id: Option<UnitId>,
    /// Only requests not yet delivered or failed.
    pub open: bool,
}

/// The requests of the caller's units, newest first.
pub async fn requests(state: &AppState, ctx: &Ctx, p: &RequestParams) -> AppResult<Vec<AssistanceRequest>> {
    ctx.require(Permission::ViewAssistance, Scope::AnyUnit)?;
    let units = match p.unit_id {
        Some(u) => {
            ctx.require(Permission::ViewAssistance, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewAssistance),
    };
    let q = RequestQuery { units: units.as_deref(), assignee: None, open_only: p.open, limit: LIST_LIMIT, ..Default::default() };
    Ok(state.store.list_requests(ctx.user.org_id, &q).await?)
}

/// A request, for staff of its unit; every read is audited.
pub async fn request(state: &AppState, ctx: &Ctx, id: AssistanceRequestId) -> AppResult<AssistanceRequest> {
    let r = state.store.get_request(ctx.user.org_id, id).await?;
    ctx.require(Permission::ViewAssistance, Scope::Unit(r.unit_id))?;
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "assistance_request", id)).await?;
    Ok(r)
}

/// What the person delivering sees: the request, where to go and whom to call.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub request: AssistanceRequest,
    pub address: String,
    pub phone: String,
}

/// The caller's own deliveries (dispatched to them), open ones first.
pub async fn mine(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Delivery>> {
    ctx.require(Permission::DeliverAssistance, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let q = RequestQuery { units: None, assignee: Some(ctx.user.id), open_only: false, limit: LIST_LIMIT, ..Default::default() };
    let mut list = state.store.list_requests(org, &q).await?;
    list.retain(|r| ctx.can(Permission::DeliverAssistance, Scope::Unit(r.unit_id)));
    list.sort_by_key(|r| !r.open());
    let mut out = Vec::new();
    for r in list {
        let mut address = String::new();
        let mut phone = String::new();
        if let Some(h) = r.household_id {
            if let Ok(h) = state.store.get_household(org, h).await {
                address = h.address.clone();
                let head = r.client_id.or_else(|| h.members.first().map(|m| m.client_id));
                if let Some(c) = head {
                    if let Ok(c) = state.store.get_client(org, c).await {
                        phone = c.phones.first().cloned().unwrap_or_default();
                        if address.is_empty() {
                            address = c.address.clone();
                        }
                    }
                }
            }
        } else if let Some(c) = r.client_id {
            if let Ok(c) = state.store.get_client(org, c).await {
                phone = c.phones.first().cloned().unwrap_or_default();
                address = c.address.clone();
            }
        }
        let ids: Vec<String> = vec![r.id.to_string()];
        out.push(Delivery { request: r, address, phone });
        state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "assistance_request", ids.join(","))).await?;
    }
    Ok(out)
}

/// People who may deliver in `unit`: active accounts with `DeliverAssistance` there.
pub async fn assignees(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<Vec<(UserId, String)>> {
    ctx.require(Permission::EditAssistance, Scope::Unit(unit))?;
    let users = state.store.list_users(ctx.user.org_id).await?;
    Ok(users
        .into_iter()
        .filter(|u| u.active && u.grants.allows(Permission::DeliverAssistance, Scope::Unit(unit)))
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub async fn dispatch(state: &AppState, ctx: &Ctx, id: AssistanceRequestId, input: &DispatchInput) -> AppResult<AssistanceRequest> {
    let org = ctx.user.org_id;
    let r = state.store.get_request(org, id).await?;
    ctx.require(Permission::EditAssistance, Scope::Unit(r.unit_id))?;
    let who = input.assignee_id.ok_or_else(|| DomainError::invalid("assignee_id", "required"))?;
    let ok = match state.store.get_user(org, who).await {
        Ok(u) => u.active && u.grants.allows(Permission::DeliverAssistance, Scope::Unit(r.unit_id)),
        Err(DomainError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if !ok {
        return Err(DomainError::invalid("assignee_id", "cannot-deliver").into());
    }
    Ok(state.store.dispatch_request(&ctx.actor(), id, who).await?)
}

/// Delivery steps: the person it is dispatched to, or staff who take requests in its unit.
async fn deliverer(state: &AppState, ctx: &Ctx, id: AssistanceRequestId) -> AppResult<AssistanceRequest> {
    let r = state.store.get_request(ctx.user.org_id, id).await?;
    ctx.require(Permission::DeliverAssistance, Scope::Unit(r.unit_id))?;
    if r.assignee_id != Some(ctx.user.id) && !ctx.can(Permission::EditAssistance, Scope::Unit(r.unit_id)) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(r)
}

pub async fn delivery(state: &AppState, ctx: &Ctx, id: AssistanceRequestId, input: &DeliveryInput) -> AppResult<AssistanceRequest> {
    let r = deliverer(state, ctx, id).await?;
    let f = input.validate(r.has_photo)?;
    let t = today(state, ctx.user.org_id).await?;
    Ok(state.store.delivery_step(&ctx.actor(), id, &f, t).await?)
}

pub async fn follow_up(state: &AppState, ctx: &Ctx, id: AssistanceRequestId, input: &FollowUpInput) -> AppResult<AssistanceRequest> {
    let r = state.store.get_request(ctx.user.org_id, id).await?;
    ctx.require(Permission::EditAssistance, Scope::Unit(r.unit_id))?;
    let note = input.validate()?;
    Ok(state.store.follow_up_request(&ctx.actor(), id, &note).await?)
}

/// Stores the proof-of-delivery photo, checked by its bytes (JPEG, PNG or WebP, at most 2 MiB).
pub async fn set_photo(state: &AppState, ctx: &Ctx, id: AssistanceRequestId, bytes: &[u8]) -> AppResult<AssistanceRequest> {
    deliverer(state, ctx, id).await?;
    let kind = check_photo(bytes)?;
    Ok(state.store.set_request_photo(&ctx.actor(), id, kind.content_type(), bytes).await?)
}

pub async fn photo(state: &AppState, ctx: &Ctx, id: AssistanceRequestId) -> AppResult<(String, Vec<u8>)> {
    let r = state.store.get_request(ctx.user.org_id, id).await?;
    if !ctx.can(Permission::ViewAssistance, Scope::Unit(r.unit_id)) {
        deliverer(state, ctx, id).await?;
    }
    Ok(state.store.request_photo(ctx.user.org_id, id).await?.ok_or(DomainError::NotFound)?)
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct ReportParams {
    /// `YYYY-MM-DD`; default: 30 days before `to`.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD`; default today.
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
    /// `csv` or `xlsx` for a file; JSON when blank.
    pub format: String,
}

/// The period a report covers (checked: `from` ≤ `to`, at most ten years).
pub async fn period(state: &AppState, ctx: &Ctx, from: Option<NaiveDate>, to: Option<NaiveDate>) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = match to {
        Some(t) => t,
        None => today(state, ctx.user.org_id).await?,
    };
    let from = from.unwrap_or(to - Duration::days(30));
    if from > to || to - from > Duration::days(3660) {
        return Err(DomainError::invalid("from", "out-of-range").into());
    }
    Ok((from, to))
}

/// The units a report covers: the one asked for, or every unit the caller reads reports of.
pub fn report_units(ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Option<Vec<UnitId>>> {
    ctx.require(Permission::ViewAssistanceReports, Scope::AnyUnit)?;
    Ok(match unit {
        Some(u) => {
            ctx.require(Permission::ViewAssistanceReports, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewAssistanceReports),
    })
}

pub async fn report(state: &AppState, ctx: &Ctx, p: &ReportParams) -> AppResult<AssistanceReport> {
    let us = report_units(ctx, p.unit_id)?;
    let (from, to) = period(state, ctx, p.from, p.to).await?;
    let facts = state.store.assistance_facts(ctx.user.org_id, us.as_deref(), from, to).await?;
    Ok(count_assistance(&facts, from, to))
}

/// The report as a file: one row per need, unit and day.
pub async fn export(state: &AppState, ctx: &Ctx, p: &ReportParams, format: ExportFormat) -> AppResult<Response> {
    let r = report(state, ctx, p).await?;
    let l = ctx.locale;
    let org = ctx.user.org_id;
    let settings = state.store.assistance_settings(org).await?;
    let units: std::collections::HashMap<String, String> =
        state.store.list_units(org).await?.into_iter().map(|u| (u.id.to_string(), u.name(l).to_string())).collect();
    let header: Vec<String> =
        ["assist-col-group", "assist-col-key", "assist-requests", "assist-delivered", "assist-failed", "assist-person-times"]
            .iter()
            .map(|k| i18n::t(l, k))
            .collect();
    let mut rows = Vec::new();
    for (group, list) in [("assist-by-need", &r.by_need), ("assist-by-unit", &r.by_unit), ("assist-by-day", &r.by_day)] {
        for x in list.iter() {
            let key = match group {
                "assist-by-need" => settings.need_name(&x.key, l),
                "assist-by-unit" => units.get(&x.key).cloned().unwrap_or_else(|| x.key.clone()),
                _ => x.key.clone(),
            };
            rows.push(vec![
                i18n::t(l, group),
                key,
                x.requests.to_string(),
                x.delivered.to_string(),
                x.failed.to_string(),
                x.person_times.to_string(),
            ]);
        }
    }
    rows.push(vec![
        i18n::t(l, "assist-total"),
        String::new(),
        r.requests.to_string(),
        r.delivered.to_string(),
        r.failed.to_string(),
        r.person_times.to_string(),
    ]);
    let sheet = i18n::t(l, "assist-sheet");
    let bytes = tokio::task::spawn_blocking(move || match format {
        ExportFormat::Csv => Ok(crate::tabular::write_csv(&header, &rows)),
        ExportFormat::Xlsx => crate::tabular::write_xlsx(&sheet, &header, &rows),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    let name = format!("assistance-{}-{}.{}", r.from.format("%Y%m%d"), r.to.format("%Y%m%d"), format.extension());
    Ok(download(bytes, format, &name))
}
