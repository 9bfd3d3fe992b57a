//! Hotline service: what the pages and the API share — who may read which call (hotline staff
//! of the point, the person's case workers, the operator who took it), logging, escalation,
//! the follow-up queue, check-in schedules, the repeat-caller view and the statistics.

use crate::clients::{today, units_for};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::cases::{Case, CaseDetailsInput, CaseFilter, CaseInput, CaseScope};
use shegong_domain::clients::ClientFilter;
use shegong_domain::hotline::{
    count_hotline, validate_topics, AttemptInput, AttemptOutcome, Call, CallInput, CallerFlag, CheckInSchedule, FlagInput, FollowUp,
    FollowUpDoneInput, HotlineGrouping, HotlinePoint, HotlineStats, PointInput, ScheduleInput, Shift, ShiftInput, Topic, Triage,
};
use shegong_domain::ids::{CallId, CheckInScheduleId, ClientId, FollowUpId, UnitId, UserId};
use shegong_domain::ports::CallQuery;
use shegong_domain::DomainError;

/// How many calls a list shows.
pub const LIST_LIMIT: u64 = 200;

fn tz_today(state: &AppState, tz: &str) -> NaiveDate {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    state.clock.now().with_timezone(&tz).date_naive()
}

/// The units where the caller holds `perm`, or every unit (None).
fn units(ctx: &Ctx, perm: Permission) -> Option<Vec<UnitId>> {
    units_for(ctx, perm)
}

/// Open cases of `client` the caller may read (the caller is one of the person's case workers).
async fn open_cases_of(state: &AppState, ctx: &Ctx, client: ClientId) -> AppResult<Vec<Case>> {
    if !ctx.can(Permission::ViewCases, Scope::AnyUnit) {
        return Ok(vec![]);
    }
    let us = units(ctx, Permission::ViewCases);
    let scope = CaseScope { units: us.as_deref(), sensitive: ctx.user.sensitive_access };
    let filter = CaseFilter { client_id: Some(client), status: "open".into(), ..Default::default() };
    let today = today(state, ctx.user.org_id).await?;
    Ok(state.store.list_cases(ctx.user.org_id, scope, &filter, today, 0, 50).await?.cases)
}

/// Call notes are need-to-know: hotline staff of the point, the person's case workers, and the
/// operator who took the call (trained volunteers read only their own calls).
pub async fn may_read(state: &AppState, ctx: &Ctx, call: &Call) -> AppResult<bool> {
    if ctx.can(Permission::ViewHotline, Scope::Unit(call.unit_id)) || call.operator_id == ctx.user.id {
        return Ok(true);
    }
    match call.client_id {
        Some(c) => Ok(!open_cases_of(state, ctx, c).await?.is_empty()),
        None => Ok(false),
    }
}

/// A call the caller may read; the view is audited.
pub async fn call(state: &AppState, ctx: &Ctx, id: CallId) -> AppResult<Call> {
    let c = state.store.get_call(ctx.user.org_id, id).await?;
    if !may_read(state, ctx, &c).await? {
        return Err(DomainError::Forbidden.into());
    }
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "hotline_call", id)).await?;
    Ok(c)
}

/// Recent calls of the caller's points (the listing is audited with the ids shown).
pub async fn recent(state: &AppState, ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Vec<Call>> {
    ctx.require(Permission::ViewHotline, Scope::AnyUnit)?;
    let mut us = units(ctx, Permission::ViewHotline);
    if let Some(u) = unit {
        ctx.require(Permission::ViewHotline, Scope::Unit(u))?;
        us = Some(vec![u]);
    }
    let calls =
        state.store.list_calls(ctx.user.org_id, &CallQuery { units: us.as_deref(), limit: LIST_LIMIT, ..Default::default() }).await?;
    audit_list(state, ctx, "hotline_calls", &calls).await?;
    Ok(calls)
}

async fn audit_list(state: &AppState, ctx: &Ctx, what: &'static str, calls: &[Call]) -> AppResult<()> {
    if calls.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = calls.iter().map(|c| c.id.to_string()).collect();
    state
        .store
        .append(&ctx.actor(), AuditEvent::new(Action::View, what, ctx.user.org_id).detail(serde_json::json!({ "calls": ids })))
        .await?;
    Ok(())
}

/// A caller's history across points (within the caller's reach) and their flags.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallerHistory {
    pub client_id: ClientId,
    pub calls: Vec<Call>,
    /// Flags in force today.
    pub flags: Vec<CallerFlag>,
}

pub async fn history(state: &AppState, ctx: &Ctx, client: ClientId) -> AppResult<CallerHistory> {
    let org = ctx.user.org_id;
    let cl = state.store.get_client(org, client).await?;
    let case_worker = !open_cases_of(state, ctx, client).await?.is_empty();
    let hotline_staff = ctx.can(Permission::ViewHotline, Scope::AnyUnit) && ctx.can(Permission::ViewClients, Scope::Unit(cl.unit_id));
    if !case_worker && !hotline_staff {
        return Err(DomainError::Forbidden.into());
    }
    let all = state.store.list_calls(org, &CallQuery { client: Some(client), limit: LIST_LIMIT, ..Default::default() }).await?;
    let mut calls = Vec::new();
    for c in all {
        if case_worker || may_read(state, ctx, &c).await? {
            calls.push(c);
        }
    }
    state
        .store
        .append(&ctx.actor(), AuditEvent::new(Action::View, "client", client).detail(serde_json::json!({ "step": "hotline_history" })))
        .await?;
    let flags = state.store.caller_flags(org, client, today(state, org).await?).await?;
    Ok(CallerHistory { client_id: client, calls, flags })
}

pub async fn set_flag(state: &AppState, ctx: &Ctx, client: ClientId, input: &FlagInput) -> AppResult<CallerFlag> {
    ctx.require(Permission::ViewHotline, Scope::AnyUnit)?;
    ctx.require(Permission::LogCalls, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let cl = state.store.get_client(org, client).await?;
    ctx.require(Permission::ViewClients, Scope::Unit(cl.unit_id))?;
    let (flag, until) = input.validate(today(state, org).await?)?;
    Ok(state.store.set_caller_flag(&ctx.actor(), client, flag, until).await?)
}

/// A registered person who may be calling, for the live lookup.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallerMatch {
    pub client_id: ClientId,
    pub name: String,
    pub unit_id: UnitId,
    pub flags: Vec<CallerFlag>,
}

/// Registered people matching a phone number or fragment (4+ digits) or a name. Staff without
/// access to the registry (volunteers) get no matches and log the number only.
pub async fn lookup(state: &AppState, ctx: &Ctx, q: &str) -> AppResult<Vec<CallerMatch>> {
    ctx.require(Permission::LogCalls, Scope::AnyUnit)?;
    if q.trim().chars().count() < 2 || !ctx.can(Permission::ViewClients, Scope::AnyUnit) {
        return Ok(vec![]);
    }
    let filter = ClientFilter { q: q.trim().to_string(), ..Default::default() };
    let found = crate::clients::select(state, ctx, &filter, Permission::ViewClients, 0, 8).await?;
    let org = ctx.user.org_id;
    let today = today(state, org).await?;
    let mut out = Vec::new();
    for c in found.clients {
        let flags = state.store.caller_flags(org, c.id, today).await?;
        let name = if c.name_zh.is_empty() || c.name_en.is_empty() {
            format!("{}{}", c.name_zh, c.name_en)
        } else {
            format!("{} {}", c.name_zh, c.name_en)
        };
        out.push(CallerMatch { client_id: c.id, name, unit_id: c.unit_id, flags });
    }
    Ok(out)
}

/// Logs a call. High and imminent risk go to a supervisor of the point, who sees it on screen.
pub async fn log(state: &AppState, ctx: &Ctx, input: &CallInput) -> AppResult<Call> {
    ctx.require(Permission::LogCalls, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let agency = state.store.agency(org).await?;
    let topics = state.store.hotline_topics(org).await?;
    let mut fields = input.validate(state.clock.now(), &topics, ctx.user.id)?;
    fields.day = tz_today(state, &agency.time_zone);
    ctx.require(Permission::LogCalls, Scope::Unit(fields.unit_id))?;
    if let Some(id) = fields.client_id {
        let c = match state.store.get_client(org, id).await {
            Err(DomainError::NotFound) => return Err(DomainError::invalid("client_id", "unknown-reference").into()),
            other => other?,
        };
        ctx.require(Permission::ViewClients, Scope::Unit(c.unit_id))?;
    }
    if let Some(s) = fields.escalate_to {
        if !supervisors(state, ctx, fields.unit_id).await?.iter().any(|(id, _)| *id == s) {
            return Err(DomainError::invalid("escalate_to", "not-a-supervisor").into());
        }
    }
    Ok(state.store.log_call(&ctx.actor(), &fields).await?)
}

/// Who a call can be escalated to: the point's supervisors (督導/督导) who read its calls.
pub async fn supervisors(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<Vec<(UserId, String)>> {
    let mut out: Vec<(UserId, String)> = state
        .store
        .list_users(ctx.user.org_id)
        .await?
        .into_iter()
        .filter(|u| {
            u.active
                && u.grants.allows(Permission::ApproveCases, Scope::Unit(unit))
                && u.grants.allows(Permission::ViewHotline, Scope::Unit(unit))
        })
        .map(|u| (u.id, u.display_name))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The named supervisor has seen the escalation.
pub async fn acknowledge(state: &AppState, ctx: &Ctx, id: CallId) -> AppResult<Call> {
    let c = state.store.get_call(ctx.user.org_id, id).await?;
    ctx.require(Permission::ApproveCases, Scope::Unit(c.unit_id))?;
    ctx.require(Permission::ViewHotline, Scope::Unit(c.unit_id))?;
    if c.escalated_to != Some(ctx.user.id) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(state.store.acknowledge_call(&ctx.actor(), id).await?)
}

/// What a case opened from a call needs beyond what the call carries.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseFromCallInput {
    /// Default: the caller.
    #[serde(default)]
    pub worker_id: Option<UserId>,
    /// `brief_supportive` (default) or `in_depth`.
    #[serde(default)]
    pub case_type: String,
    /// Presenting problems (at least one).
    #[serde(default)]
    pub problems: Vec<String>,
}

/// Opens a case from a call in one step: the person, the unit, the risk and the note carry over.
pub async fn open_case(state: &AppState, ctx: &Ctx, id: CallId, input: &CaseFromCallInput) -> AppResult<(Call, Case)> {
    let c = call(state, ctx, id).await?;
    ctx.require(Permission::EditCases, Scope::Unit(c.unit_id))?;
    if c.case_id.is_some() {
        return Err(DomainError::invalid("case", "case-already-opened").into());
    }
    let Some(client_id) = c.client_id else {
        return Err(DomainError::invalid("client_id", "required").into());
    };
    let risk = match c.risk {
        Triage::NoRisk | Triage::Low => "low",
        Triage::Medium => "medium",
        Triage::High | Triage::Imminent => "high",
    };
    let case_input = CaseInput {
        unit_id: Some(c.unit_id),
        client_id: Some(client_id),
        worker_id: input.worker_id,
        details: CaseDetailsInput {
            source: "hotline".into(),
            source_detail: c.reference(),
            case_type: if input.case_type.is_empty() { "brief_supportive".into() } else { input.case_type.clone() },
            risk: risk.into(),
            problems: input.problems.clone(),
            intake_summary: c.note.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let case = crate::cases::open(state, ctx, &case_input).await?;
    let c = state.store.link_call_case(&ctx.actor(), id, case.id).await?;
    Ok((c, case))
}

/// The follow-up queue of the caller's points and the escalations waiting for the caller.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Queue {
    /// Open follow-ups, overdue first (they stay until done).
    pub open: Vec<QueueItem>,
    /// Done in the last day.
    pub done: Vec<FollowUp>,
    /// High-risk calls escalated to the caller and not yet acknowledged.
    pub escalations: Vec<Call>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    #[serde(flatten)]
    pub item: FollowUp,
    pub overdue: bool,
}

pub async fn queue(state: &AppState, ctx: &Ctx) -> AppResult<Queue> {
    ctx.require(Permission::ViewHotline, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let now = state.clock.now();
    let us = units(ctx, Permission::ViewHotline);
    let all = state.store.follow_ups(org, us.as_deref(), Some(now - Duration::days(1))).await?;
    let (done, open): (Vec<FollowUp>, Vec<FollowUp>) = all.into_iter().partition(|f| f.done_at.is_some());
    let mut open: Vec<QueueItem> = open.into_iter().map(|f| QueueItem { overdue: f.overdue(now), item: f }).collect();
    open.sort_by_key(|q| (!q.overdue, q.item.due_at));
    Ok(Queue { open, done, escalations: escalations(state, ctx).await? })
}

/// Escalations waiting for the caller (for the hotline and home pages).
pub async fn escalations(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Call>> {
    if !ctx.can(Permission::ViewHotline, Scope::AnyUnit) {
        return Ok(vec![]);
    }
    let q = CallQuery { open_escalations_for: Some(ctx.user.id), limit: LIST_LIMIT, ..Default::default() };
    Ok(state
        .store
        .list_calls(ctx.user.org_id, &q)
        .await?
        .into_iter()
        .filter(|c| ctx.can(Permission::ViewHotline, Scope::Unit(c.unit_id)))
        .collect())
}

pub async fn complete(state: &AppState, ctx: &Ctx, id: FollowUpId, input: &FollowUpDoneInput) -> AppResult<FollowUp> {
    let org = ctx.user.org_id;
    let f = state.store.get_follow_up(org, id).await?;
    ctx.require(Permission::ViewHotline, Scope::Unit(f.unit_id))?;
    ctx.require(Permission::LogCalls, Scope::Unit(f.unit_id))?;
    let result = input.validate()?;
    Ok(state.store.complete_follow_up(&ctx.actor(), id, &result, today(state, org).await?).await?)
}

/// A point with its roster for the coming week and who is on duty now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PointView {
    pub point: HotlinePoint,
    pub shifts: Vec<Shift>,
    pub on_duty: Vec<Shift>,
}

/// Numbers, hours and the roster are not about any client: the unit's staff all see them.
fn require_point_reader(ctx: &Ctx, unit: UnitId) -> AppResult<()> {
    ctx.require(Permission::ViewUnits, Scope::Unit(unit))
}

pub async fn point(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<PointView> {
    let org = ctx.user.org_id;
    state.store.get_unit(org, unit).await?;
    require_point_reader(ctx, unit)?;
    let now = state.clock.now();
    let shifts = state.store.shifts(org, Some(&[unit]), now - Duration::days(1), now + Duration::days(7)).await?;
    let on_duty = shifts.iter().filter(|s| s.covers(now)).cloned().collect();
    Ok(PointView { point: state.store.hotline_point(org, unit).await?, shifts, on_duty })
}

pub async fn save_point(state: &AppState, ctx: &Ctx, unit: UnitId, input: &PointInput) -> AppResult<HotlinePoint> {
    state.store.get_unit(ctx.user.org_id, unit).await?;
    ctx.require(Permission::ManageHotline, Scope::Unit(unit))?;
    let fields = input.validate()?;
    Ok(state.store.save_hotline_point(&ctx.actor(), unit, input.version, &fields).await?)
}

/// Puts a staff member or trained volunteer (anyone who logs calls at the point) on the roster.
pub async fn add_shift(state: &AppState, ctx: &Ctx, unit: UnitId, input: &ShiftInput) -> AppResult<Shift> {
    let org = ctx.user.org_id;
    state.store.get_unit(org, unit).await?;
    ctx.require(Permission::ManageHotline, Scope::Unit(unit))?;
    let s = input.validate()?;
    let ok = match state.store.get_user(org, s.user_id).await {
        Ok(u) => u.active && u.grants.allows(Permission::LogCalls, Scope::Unit(unit)),
        Err(DomainError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if !ok {
        return Err(DomainError::invalid("user_id", "worker-not-in-unit").into());
    }
    Ok(state.store.add_shift(&ctx.actor(), unit, &s).await?)
}

pub async fn topics(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Topic>> {
    ctx.require(Permission::ViewUnits, Scope::AnyUnit)?;
    Ok(state.store.hotline_topics(ctx.user.org_id).await?)
}

pub async fn save_topics(state: &AppState, ctx: &Ctx, list: &[Topic]) -> AppResult<Vec<Topic>> {
    ctx.require(Permission::ManageHotline, Scope::Agency)?;
    let list = validate_topics(list)?;
    state.store.save_hotline_topics(&ctx.actor(), &list).await?;
    Ok(state.store.hotline_topics(ctx.user.org_id).await?)
}

pub async fn create_schedule(state: &AppState, ctx: &Ctx, input: &ScheduleInput) -> AppResult<CheckInSchedule> {
    ctx.require(Permission::ManageHotline, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let fields = input.validate(today(state, org).await?)?;
    ctx.require(Permission::ManageHotline, Scope::Unit(fields.unit_id))?;
    let c = match state.store.get_client(org, fields.client_id).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("client_id", "unknown-reference").into()),
        other => other?,
    };
    ctx.require(Permission::ViewClients, Scope::Unit(c.unit_id))?;
    let ok = match state.store.get_user(org, fields.worker_id).await {
        Ok(u) => u.active && u.grants.allows(Permission::LogCalls, Scope::Unit(fields.unit_id)),
        Err(DomainError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if !ok {
        return Err(DomainError::invalid("worker_id", "worker-not-in-unit").into());
    }
    Ok(state.store.create_schedule(&ctx.actor(), &fields).await?)
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct DayListParams {
    /// Every worker's check-ins of the caller's points, not only the caller's own.
    pub all: bool,
}

/// The day's check-in calls: due today or overdue (a missed day stays on the list).
pub async fn day_list(state: &AppState, ctx: &Ctx, p: &DayListParams) -> AppResult<Vec<CheckInSchedule>> {
    ctx.require(Permission::ViewHotline, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let us = units(ctx, Permission::ViewHotline);
    let list = state.store.schedules(org, us.as_deref(), Some(today(state, org).await?)).await?;
    Ok(list.into_iter().filter(|s| p.all || s.worker_id == ctx.user.id).collect())
}

pub async fn attempt(state: &AppState, ctx: &Ctx, id: CheckInScheduleId, input: &AttemptInput) -> AppResult<AttemptOutcome> {
    let org = ctx.user.org_id;
    let s = state.store.get_schedule(org, id).await?;
    ctx.require(Permission::ViewHotline, Scope::Unit(s.unit_id))?;
    ctx.require(Permission::LogCalls, Scope::Unit(s.unit_id))?;
    let (result, _note) = input.validate()?;
    Ok(state.store.record_check_in(&ctx.actor(), id, result, today(state, org).await?).await?)
}

#[derive(Deserialize, utoipa::IntoParams, Default, Clone)]
#[serde(default)]
pub struct StatsParams {
    /// `YYYY-MM-DD`; default: 30 days before `to`.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD`; default today.
    pub to: Option<NaiveDate>,
    /// `point` (default), `topic`, `risk` or `day`.
    pub by: String,
    pub unit_id: Option<UnitId>,
}

/// Calls, unique callers, follow-ups, check-ins, shifts and staff-hours of the caller's points.
pub async fn stats(state: &AppState, ctx: &Ctx, p: &StatsParams) -> AppResult<HotlineStats> {
    ctx.require(Permission::ViewHotline, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let to = p.to.unwrap_or(today(state, org).await?);
    let from = p.from.unwrap_or(to - Duration::days(30));
    if from > to || to - from > Duration::days(3660) {
        return Err(DomainError::invalid("from", "out-of-range").into());
    }
    let by = if p.by.is_empty() {
        HotlineGrouping::Point
    } else {
        HotlineGrouping::parse(&p.by).ok_or_else(|| DomainError::invalid("by", "invalid-choice"))?
    };
    let mut us = units(ctx, Permission::ViewHotline);
    if let Some(u) = p.unit_id {
        ctx.require(Permission::ViewHotline, Scope::Unit(u))?;
        us = Some(vec![u]);
    }
    let facts = state.store.hotline_facts(org, us.as_deref(), from, to).await?;
    Ok(count_hotline(&facts, by))
}
