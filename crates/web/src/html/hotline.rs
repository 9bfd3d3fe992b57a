//! The hotline page: a keyboard-first call log (the number looks the caller up, then one form),
//! the escalations waiting for the signed-in supervisor, and the follow-up queue of the caller's
//! points. Every rule is checked in the service (`crate::hotline`); every form works without JS.

use super::{notice, HtmlForm};
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::hotline::{self as svc, CallerMatch, QueueItem};
use crate::page::{render, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::hotline::{Call, CallInput, CallOutcome, CallType, FollowUpDoneInput, Topic, Triage};
use shegong_domain::ids::{CallId, ClientId, FollowUpId, UnitId, UserId};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hotline", get(show))
        .route("/hotline/calls", post(log_call))
        .route("/hotline/calls/{id}/acknowledge", post(acknowledge))
        .route("/hotline/follow-ups/{id}/done", post(complete))
}

#[derive(Template)]
#[template(path = "hotline.html")]
struct HotlinePage {
    page: Page,
    notice: Option<String>,
    units: Vec<ServiceUnit>,
    topics: Vec<Topic>,
    supervisors: Vec<(UserId, String)>,
    matches: Vec<CallerMatch>,
    looked_up: bool,
    form: CallForm,
    errors: Vec<FieldError>,
    escalations: Vec<Call>,
    /// None: the caller does not see the queue (volunteers log calls only).
    queue: Option<Vec<QueueItem>>,
    done_errors: Vec<FieldError>,
    /// Today's check-in calls (schedule, unit, person), each a step away from an assistance request.
    check_ins: Vec<(shegong_domain::ids::CheckInScheduleId, shegong_domain::ids::UnitId, String)>,
    can_request: bool,
}

impl HotlinePage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    fn call_types(&self) -> Vec<(&'static str, String)> {
        CallType::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("hotline-type-{}", c.as_str())))).collect()
    }
    fn risks(&self) -> Vec<(&'static str, String)> {
        Triage::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("hotline-risk-{}", c.as_str())))).collect()
    }
    fn outcomes(&self) -> Vec<(&'static str, String)> {
        CallOutcome::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("hotline-outcome-{}", c.as_str())))).collect()
    }
    fn topic_name(&self, t: &Topic) -> String {
        t.name(self.page.locale).to_string()
    }
    fn has_topic(&self, code: &str) -> bool {
        self.form.topics.iter().any(|t| t == code)
    }
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.page.tz).format("%Y-%m-%d %H:%M").to_string()
    }
    fn risk_name(&self, r: &Triage) -> String {
        self.page.t(&format!("hotline-risk-{}", r.as_str()))
    }
    fn kind_name(&self, q: &QueueItem) -> String {
        self.page.t(&format!("hotline-kind-{}", q.item.kind.as_str()))
    }
    fn done_errs(&self) -> Vec<String> {
        self.page.errors_for(&self.done_errors, "result")
    }
}

/// The call form as typed (kept when it is re-shown with errors).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CallForm {
    unit_id: String,
    caller_phone: String,
    client_id: String,
    call_type: String,
    topics: Vec<String>,
    duration_minutes: String,
    note: String,
    risk: String,
    escalate_to: String,
    action: String,
    outcome: String,
}

impl CallForm {
    fn input(&self) -> CallInput {
        CallInput {
            unit_id: self.unit_id.parse::<UnitId>().ok(),
            caller_phone: self.caller_phone.clone(),
            client_id: self.client_id.parse::<ClientId>().ok(),
            call_type: self.call_type.clone(),
            topics: self.topics.clone(),
            // Unreadable counts as out of range: the validation says what is allowed.
            duration_minutes: if self.duration_minutes.trim().is_empty() { 0 } else { self.duration_minutes.trim().parse().unwrap_or(-1) },
            note: self.note.clone(),
            risk: self.risk.clone(),
            escalate_to: self.escalate_to.parse::<UserId>().ok(),
            action: self.action.clone(),
            outcome: self.outcome.clone(),
            follow_up_due: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    notice: Option<String>,
    /// The number typed in the lookup form.
    phone: Option<String>,
}

struct View {
    notice: Option<String>,
    form: CallForm,
    looked_up: bool,
    errors: Vec<FieldError>,
    done_errors: Vec<FieldError>,
}

async fn view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, v: View) -> AppResult<Response> {
    ctx.require(Permission::LogCalls, Scope::AnyUnit)?;
    let page = Page::new(state, rc, "/hotline").await;
    let org = ctx.user.org_id;
    let units: Vec<ServiceUnit> =
        state.store.list_units(org).await?.into_iter().filter(|u| u.active && ctx.can(Permission::LogCalls, Scope::Unit(u.id))).collect();
    let mut supervisors: Vec<(UserId, String)> = Vec::new();
    for u in &units {
        for s in svc::supervisors(state, ctx, u.id).await? {
            if !supervisors.contains(&s) {
                supervisors.push(s);
            }
        }
    }
    let matches = if v.looked_up { svc::lookup(state, ctx, &v.form.caller_phone).await? } else { Vec::new() };
    let queue = if ctx.can(Permission::ViewHotline, Scope::AnyUnit) { Some(svc::queue(state, ctx).await?.open) } else { None };
    let mut check_ins = Vec::new();
    if ctx.can(Permission::ViewHotline, Scope::AnyUnit) {
        let list = svc::day_list(state, ctx, &svc::DayListParams { all: true }).await?;
        for c in list {
            let name = state.store.get_client(org, c.client_id).await.map(|x| x.display_name()).unwrap_or_default();
            check_ins.push((c.id, c.unit_id, name));
        }
    }
    let can_request = ctx.can(Permission::EditAssistance, Scope::AnyUnit);
    let invalid = !v.errors.is_empty() || !v.done_errors.is_empty();
    let p = HotlinePage {
        check_ins,
        can_request,
        notice: notice(&page, v.notice.as_deref()),
        topics: state.store.hotline_topics(org).await?.into_iter().filter(|t| t.active).collect(),
        escalations: svc::escalations(state, ctx).await?,
        page,
        units,
        supervisors,
        matches,
        looked_up: v.looked_up,
        form: v.form,
        errors: v.errors,
        queue,
        done_errors: v.done_errors,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn show(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ShowQuery>) -> AppResult<Response> {
    let looked_up = q.phone.as_deref().is_some_and(|p| !p.trim().is_empty());
    let form = CallForm { caller_phone: q.phone.unwrap_or_default(), ..Default::default() };
    view(&state, &rc, &ctx, View { notice: q.notice, form, looked_up, errors: Vec::new(), done_errors: Vec::new() }).await
}

pub async fn log_call(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<CallForm>) -> AppResult<Response> {
    ctx.require(Permission::LogCalls, Scope::AnyUnit)?;
    match svc::log(&state, &ctx, &f.input()).await {
        Ok(_) => Ok(Redirect::to("/hotline?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            view(&state, &rc, &ctx, View { notice: None, form: f, looked_up: false, errors, done_errors: Vec::new() }).await
        }
        Err(e) => Err(e),
    }
}

pub async fn acknowledge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CallId>,
    HtmlForm(_f): HtmlForm<Empty>,
) -> AppResult<Response> {
    svc::acknowledge(&state, &ctx, id).await?;
    Ok(Redirect::to("/hotline?notice=saved").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Empty {}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneForm {
    result: String,
}

pub async fn complete(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<FollowUpId>,
    HtmlForm(f): HtmlForm<DoneForm>,
) -> AppResult<Response> {
    match svc::complete(&state, &ctx, id, &FollowUpDoneInput { result: f.result }).await {
        Ok(_) => Ok(Redirect::to("/hotline?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(done_errors))) => {
            view(&state, &rc, &ctx, View { notice: None, form: CallForm::default(), looked_up: false, errors: Vec::new(), done_errors })
                .await
        }
        Err(e) => Err(e),
    }
}
