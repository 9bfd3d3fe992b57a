//! Outreach service: what the pages and the API share. Staff of a unit (`ViewOutreach`) see its
//! outreach sessions, interpretation requests, escorts, home visits and the task list; they log
//! and arrange them with `EditOutreach`. Interpreters (`Interpret`: staff, district ambassadors,
//! volunteers) see the requests assigned to them and complete them. An assignment is refused
//! unless the person covers the language asked for, by their declared languages or those of the
//! volunteer record linked to their login.

use crate::clients::{export::download, export::ExportFormat, today, units_for};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::clients::Client;
use shegong_domain::hotline::FollowUpKind as HotlineFollowUpKind;
use shegong_domain::ids::{ClientId, EscortId, FollowUpId, InterpretationId, OutreachSessionId, UnitId, UserId, VisitId};
use shegong_domain::outreach::{
    check_covers, client_language, count_outreach, language_from_word, language_name, validate_languages, AssignInterpreterInput,
    CancelInput, CompleteInput, Escort, EscortInput, EscortOutcomeInput, EscortStatus, Interpretation, InterpretationInput, Interpreter,
    InterpreterInput, OutreachReport, OutreachSession, OutreachSessionInput, OutreachTask, TaskKind, Visit, VisitDoneInput, VisitInput,
    VisitStatus, LANGUAGES,
};
use shegong_domain::ports::OutreachQuery;
use shegong_domain::{DomainError, FieldError};

/// How many rows a list shows.
pub const LIST_LIMIT: u64 = 500;

/// A language with its name in the caller's language.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LanguageName {
    pub code: String,
    pub name: String,
}

pub fn languages(ctx: &Ctx) -> Vec<LanguageName> {
    LANGUAGES.iter().map(|l| LanguageName { code: l.code.into(), name: l.name(ctx.locale).into() }).collect()
}

/// The BCP-47 code of a client's preferred language.
pub fn preferred(c: &Client) -> Option<String> {
    client_language(c.preferred_language).map(str::to_string)
}

fn bad(field: &str, code: &'static str) -> AppError {
    DomainError::invalid(field, code).into()
}

async fn client_in(state: &AppState, ctx: &Ctx, field: &str, id: ClientId) -> AppResult<Client> {
    state.store.get_client(ctx.user.org_id, id).await.map_err(|_| bad(field, "unknown-client"))
}

async fn unit_exists(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<()> {
    state.store.get_unit(ctx.user.org_id, unit).await.map(|_| ()).map_err(|_| bad("unit_id", "unknown-unit"))
}

/// The units the caller reads outreach of: the one asked for, or all they may.
fn read_units(ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Option<Vec<UnitId>>> {
    ctx.require(Permission::ViewOutreach, Scope::AnyUnit)?;
    Ok(match unit {
        Some(u) => {
            ctx.require(Permission::ViewOutreach, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewOutreach),
    })
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct ListParams {
    pub unit_id: Option<UnitId>,
    pub client_id: Option<ClientId>,
    /// Only open records (requested or assigned; planned).
    pub open: bool,
    /// `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn query<'a>(units: Option<&'a [UnitId]>, p: &ListParams) -> OutreachQuery<'a> {
    OutreachQuery { units, client: p.client_id, assignee: None, open_only: p.open, from: p.from, to: p.to, limit: LIST_LIMIT }
}

// ---------------------------------------------------------------------------------------------
// Sessions

pub async fn sessions(state: &AppState, ctx: &Ctx, p: &ListParams) -> AppResult<Vec<OutreachSession>> {
    let units = read_units(ctx, p.unit_id)?;
    Ok(state.store.list_outreach_sessions(ctx.user.org_id, &query(units.as_deref(), p)).await?)
}

/// A session with the people contacted; every read is audited.
pub async fn session(state: &AppState, ctx: &Ctx, id: OutreachSessionId) -> AppResult<OutreachSession> {
    let s = state.store.get_outreach_session(ctx.user.org_id, id).await?;
    ctx.require(Permission::ViewOutreach, Scope::Unit(s.unit_id))?;
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "outreach_session", id)).await?;
    Ok(s)
}

/// Logs a session: identified contacts must be registered clients (their preferred language
/// fills a blank language), anonymous counts use the agency's client categories or `general`.
pub async fn create_session(state: &AppState, ctx: &Ctx, input: &OutreachSessionInput) -> AppResult<OutreachSession> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut input = input.clone();
    let mut errors = Vec::new();
    for (i, c) in input.contacts.iter_mut().enumerate() {
        if let Some(id) = c.client_id {
            match state.store.get_client(org, id).await {
                Ok(client) => {
                    if c.language.trim().is_empty() {
                        c.language = preferred(&client).unwrap_or_default();
                    }
                }
                Err(_) => errors.push(FieldError::new(format!("contacts[{i}].client_id"), "unknown-client")),
            }
        }
    }
    let categories: Vec<String> = state.store.categories(org).await?.into_iter().filter(|c| c.active).map(|c| c.code).collect();
    let t = today(state, org).await?;
    let f = match input.validate(&categories, t) {
        Ok(f) if errors.is_empty() => f,
        Ok(_) => return Err(DomainError::Invalid(errors).into()),
        Err(DomainError::Invalid(mut e)) => {
            e.extend(errors);
            return Err(DomainError::Invalid(e).into());
        }
        Err(e) => return Err(e.into()),
    };
    ctx.require(Permission::EditOutreach, Scope::Unit(f.unit_id))?;
    unit_exists(state, ctx, f.unit_id).await?;
    for u in &f.staff {
        if !state.store.get_user(org, *u).await.is_ok_and(|u| u.active) {
            return Err(bad("staff", "unknown-user"));
        }
    }
    Ok(state.store.create_outreach_session(&ctx.actor(), &f).await?)
}

// ---------------------------------------------------------------------------------------------
// Interpreters

/// The people who may interpret in `unit` (any unit when None), with the languages they cover.
pub async fn interpreters(state: &AppState, ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Vec<Interpreter>> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let declared = state.store.interpreter_languages(org).await?;
    let mut out = Vec::new();
    for u in state.store.list_users(org).await? {
        let scope = unit.map(Scope::Unit).unwrap_or(Scope::AnyUnit);
        if !u.active || !u.grants.allows(Permission::Interpret, scope) {
            continue;
        }
        let (languages, version) = declared.iter().find(|(id, _, _)| *id == u.id).map(|(_, l, v)| (l.clone(), *v)).unwrap_or_default();
        let volunteer_languages = volunteer_languages(state, ctx, u.id).await?;
        out.push(Interpreter { user_id: u.id, name: u.display_name, languages, volunteer_languages, version });
    }
    Ok(out)
}

/// The caller as an interpreter: the languages they cover.
pub async fn me(state: &AppState, ctx: &Ctx) -> AppResult<Interpreter> {
    ctx.require(Permission::Interpret, Scope::AnyUnit)?;
    interpreter(state, ctx, ctx.user.id).await
}

async fn volunteer_languages(state: &AppState, ctx: &Ctx, user: UserId) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in state.store.volunteers_of_user(ctx.user.org_id, user).await? {
        for w in &v.languages {
            if let Some(code) = language_from_word(w) {
                if !out.iter().any(|c| c == code) {
                    out.push(code.to_string());
                }
            }
        }
    }
    Ok(out)
}

async fn interpreter(state: &AppState, ctx: &Ctx, user: UserId) -> AppResult<Interpreter> {
    let org = ctx.user.org_id;
    let u = state.store.get_user(org, user).await?;
    let (languages, version) = state
        .store
        .interpreter_languages(org)
        .await?
        .into_iter()
        .find(|(id, _, _)| *id == user)
        .map(|(_, l, v)| (l, v))
        .unwrap_or_default();
    let volunteer_languages = volunteer_languages(state, ctx, user).await?;
    Ok(Interpreter { user_id: u.id, name: u.display_name, languages, volunteer_languages, version })
}

/// Declares the languages someone covers: staff who arrange outreach for anyone, an
/// interpreter for themselves.
pub async fn save_interpreter(state: &AppState, ctx: &Ctx, user: UserId, input: &InterpreterInput) -> AppResult<Interpreter> {
    if !(user == ctx.user.id && ctx.can(Permission::Interpret, Scope::AnyUnit)) {
        ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    }
    let u = state.store.get_user(ctx.user.org_id, user).await?;
    if !u.active {
        return Err(DomainError::NotFound.into());
    }
    let languages = validate_languages(&input.languages)?;
    state.store.save_interpreter_languages(&ctx.actor(), user, &languages, input.version).await?;
    interpreter(state, ctx, user).await
}

// ---------------------------------------------------------------------------------------------
// Interpretation requests

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct InterpretationParams {
    pub unit_id: Option<UnitId>,
    pub client_id: Option<ClientId>,
    pub open: bool,
}

/// The requests assigned to the caller (an interpreter), open ones first.
pub async fn mine(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Interpretation>> {
    ctx.require(Permission::Interpret, Scope::AnyUnit)?;
    let q = OutreachQuery { assignee: Some(ctx.user.id), limit: LIST_LIMIT, ..Default::default() };
    let mut list = state.store.list_interpretations(ctx.user.org_id, &q).await?;
    list.retain(|r| ctx.can(Permission::Interpret, Scope::Unit(r.unit_id)));
    list.sort_by_key(|r| r.status != shegong_domain::outreach::InterpretationStatus::Assigned);
    let ids: Vec<String> = list.iter().map(|r| r.id.to_string()).collect();
    if !ids.is_empty() {
        state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "outreach_interpretation", ids.join(","))).await?;
    }
    Ok(list)
}

/// The requests of the caller's units, newest first.
pub async fn interpretations(state: &AppState, ctx: &Ctx, p: &InterpretationParams) -> AppResult<Vec<Interpretation>> {
    let org = ctx.user.org_id;
    let units = read_units(ctx, p.unit_id)?;
    let q = OutreachQuery { units: units.as_deref(), client: p.client_id, open_only: p.open, limit: LIST_LIMIT, ..Default::default() };
    Ok(state.store.list_interpretations(org, &q).await?)
}

fn is_assignee(ctx: &Ctx, r: &Interpretation) -> bool {
    r.assignee_id == Some(ctx.user.id) && ctx.can(Permission::Interpret, Scope::Unit(r.unit_id))
}

/// A request, for staff of its unit or the person assigned; every read is audited.
pub async fn interpretation(state: &AppState, ctx: &Ctx, id: InterpretationId) -> AppResult<Interpretation> {
    let r = state.store.get_interpretation(ctx.user.org_id, id).await?;
    if !is_assignee(ctx, &r) {
        ctx.require(Permission::ViewOutreach, Scope::Unit(r.unit_id))?;
    }
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "outreach_interpretation", id)).await?;
    Ok(r)
}

/// Takes a request; the client's preferred language fills a blank language, and an escort
/// named brings its client.
pub async fn create_interpretation(state: &AppState, ctx: &Ctx, input: &InterpretationInput) -> AppResult<Interpretation> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut input = input.clone();
    if let Some(e) = input.escort_id {
        let e = state.store.get_escort(org, e).await.map_err(|_| bad("escort_id", "unknown-escort"))?;
        input.client_id = input.client_id.or(Some(e.client_id));
        if input.appointment.trim().is_empty() {
            input.appointment = format!("{} {} {}", e.appointment_on, e.appointment_time, e.place);
        }
        if input.needed_on.trim().is_empty() {
            input.needed_on = e.appointment_on.to_string();
        }
    }
    if let Some(c) = input.case_id {
        let case = state.store.get_case(org, c).await.map_err(|_| bad("case_id", "unknown-case"))?;
        input.client_id = input.client_id.or(case.client_id);
    }
    if let Some(c) = input.client_id {
        let client = client_in(state, ctx, "client_id", c).await?;
        if input.language.trim().is_empty() {
            input.language = preferred(&client).unwrap_or_default();
        }
    }
    let f = input.validate()?;
    ctx.require(Permission::EditOutreach, Scope::Unit(f.unit_id))?;
    unit_exists(state, ctx, f.unit_id).await?;
    let t = today(state, org).await?;
    Ok(state.store.create_interpretation(&ctx.actor(), &f, t).await?)
}

/// Assigns (or re-assigns) a request to someone who may interpret in its unit and covers its
/// language; anyone else is refused with a message naming the person and the language.
pub async fn assign(state: &AppState, ctx: &Ctx, id: InterpretationId, input: &AssignInterpreterInput) -> AppResult<Interpretation> {
    let org = ctx.user.org_id;
    let r = state.store.get_interpretation(org, id).await?;
    ctx.require(Permission::EditOutreach, Scope::Unit(r.unit_id))?;
    let who = input.assignee_id.ok_or_else(|| bad("assignee_id", "required"))?;
    let user = match state.store.get_user(org, who).await {
        Ok(u) if u.active && u.grants.allows(Permission::Interpret, Scope::Unit(r.unit_id)) => u,
        Ok(_) | Err(DomainError::NotFound) => return Err(bad("assignee_id", "cannot-interpret")),
        Err(e) => return Err(e.into()),
    };
    let person = interpreter(state, ctx, user.id).await?;
    if check_covers(&person, &r.language).is_err() {
        return Err(DomainError::Invalid(vec![FieldError::new("assignee_id", "language-not-covered")
            .with("person", &person.name)
            .with("language", language_name(&r.language, ctx.locale))])
        .into());
    }
    Ok(state.store.assign_interpretation(&ctx.actor(), id, input.version, who).await?)
}

/// Completes a request with the time spent (and the pages of a document): the person
/// assigned, or staff who arrange outreach in its unit.
pub async fn complete(state: &AppState, ctx: &Ctx, id: InterpretationId, input: &CompleteInput) -> AppResult<Interpretation> {
    let org = ctx.user.org_id;
    let r = state.store.get_interpretation(org, id).await?;
    if !is_assignee(ctx, &r) {
        ctx.require(Permission::EditOutreach, Scope::Unit(r.unit_id))?;
    }
    shegong_domain::outreach::check_complete(r.status)?;
    let f = input.validate(r.mode, r.pages)?;
    let t = today(state, org).await?;
    Ok(state.store.complete_interpretation(&ctx.actor(), id, input.version, &f, t).await?)
}

pub async fn cancel(state: &AppState, ctx: &Ctx, id: InterpretationId, input: &CancelInput) -> AppResult<Interpretation> {
    let r = state.store.get_interpretation(ctx.user.org_id, id).await?;
    ctx.require(Permission::EditOutreach, Scope::Unit(r.unit_id))?;
    let reason = input.validate()?;
    Ok(state.store.cancel_interpretation(&ctx.actor(), id, input.version, &reason).await?)
}

// ---------------------------------------------------------------------------------------------
// Escorts

pub async fn escorts(state: &AppState, ctx: &Ctx, p: &ListParams) -> AppResult<Vec<Escort>> {
    let units = read_units(ctx, p.unit_id)?;
    Ok(state.store.list_escorts(ctx.user.org_id, &query(units.as_deref(), p)).await?)
}

pub async fn escort(state: &AppState, ctx: &Ctx, id: EscortId) -> AppResult<Escort> {
    let e = state.store.get_escort(ctx.user.org_id, id).await?;
    ctx.require(Permission::ViewOutreach, Scope::Unit(e.unit_id))?;
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "outreach_escort", id)).await?;
    Ok(e)
}

/// Arranges an escort; the escort is a staff account (their name is taken) or a volunteer named.
pub async fn create_escort(state: &AppState, ctx: &Ctx, input: &EscortInput) -> AppResult<Escort> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut input = input.clone();
    if let Some(c) = input.client_id {
        let client = client_in(state, ctx, "client_id", c).await?;
        if input.language.trim().is_empty() {
            input.language = preferred(&client).unwrap_or_default();
        }
    }
    if let Some(u) = input.escort_user_id {
        match state.store.get_user(org, u).await {
            Ok(u) if u.active => {
                if input.escort_name.trim().is_empty() {
                    input.escort_name = u.display_name;
                }
            }
            _ => return Err(bad("escort_user_id", "unknown-user")),
        }
    }
    let f = input.validate()?;
    ctx.require(Permission::EditOutreach, Scope::Unit(f.unit_id))?;
    unit_exists(state, ctx, f.unit_id).await?;
    Ok(state.store.create_escort(&ctx.actor(), &f).await?)
}

pub async fn close_escort(state: &AppState, ctx: &Ctx, id: EscortId, input: &EscortOutcomeInput) -> AppResult<Escort> {
    let e = state.store.get_escort(ctx.user.org_id, id).await?;
    ctx.require(Permission::EditOutreach, Scope::Unit(e.unit_id))?;
    if e.version != input.version {
        return Err(DomainError::Stale.into());
    }
    let f = input.validate(e.status, e.appointment_on)?;
    Ok(state.store.close_escort(&ctx.actor(), id, input.version, &f).await?)
}

// ---------------------------------------------------------------------------------------------
// Home visits

pub async fn visits(state: &AppState, ctx: &Ctx, p: &ListParams) -> AppResult<Vec<Visit>> {
    let units = read_units(ctx, p.unit_id)?;
    Ok(state.store.list_visits(ctx.user.org_id, &query(units.as_deref(), p)).await?)
}

fn follow_up_ref(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(raw.strip_prefix("hotline-follow-up:").unwrap_or(raw))
}

/// Plans a home visit; a hotline follow-up named (a missed check-in) brings its person and unit.
pub async fn create_visit(state: &AppState, ctx: &Ctx, input: &VisitInput) -> AppResult<Visit> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut input = input.clone();
    if let Some(raw) = follow_up_ref(&input.source_ref) {
        let id: FollowUpId = raw.parse().map_err(|_| bad("source_ref", "unknown-source"))?;
        let f = state.store.get_follow_up(org, id).await.map_err(|_| bad("source_ref", "unknown-source"))?;
        if f.kind != HotlineFollowUpKind::HomeVisit || f.done_at.is_some() {
            return Err(bad("source_ref", "unknown-source"));
        }
        input.client_id = input.client_id.or(f.client_id);
        input.unit_id = input.unit_id.or(Some(f.unit_id));
        input.source_ref = format!("hotline-follow-up:{}", f.id);
    }
    if let Some(c) = input.client_id {
        client_in(state, ctx, "client_id", c).await?;
    }
    let f = input.validate()?;
    ctx.require(Permission::EditOutreach, Scope::Unit(f.unit_id))?;
    unit_exists(state, ctx, f.unit_id).await?;
    Ok(state.store.create_visit(&ctx.actor(), &f).await?)
}

/// Records a visit done or missed. A visit the hotline sent closes its follow-up item too, with
/// the visit's outcome, so the queue there shows it handled.
pub async fn close_visit(state: &AppState, ctx: &Ctx, id: VisitId, input: &VisitDoneInput) -> AppResult<Visit> {
    let org = ctx.user.org_id;
    let v = state.store.get_visit(org, id).await?;
    ctx.require(Permission::EditOutreach, Scope::Unit(v.unit_id))?;
    if v.version != input.version {
        return Err(DomainError::Stale.into());
    }
    let t = today(state, org).await?;
    let (status, outcome, done_on) = input.validate(v.status, t)?;
    let out = state.store.close_visit(&ctx.actor(), id, input.version, status, &outcome, done_on).await?;
    if status == VisitStatus::Done {
        if let Some(f) = follow_up_ref(&v.source_ref).and_then(|r| r.parse::<FollowUpId>().ok()) {
            match state.store.complete_follow_up(&ctx.actor(), f, &outcome, t).await {
                Ok(_) | Err(DomainError::Stale) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The unit's task list

/// What the units have to do: escorts tomorrow (the day-before reminder) and today, planned
/// visits due, and home visits the hotline asked for after missed check-ins and that no visit
/// is planned for yet. Derived on each read, so it never disagrees with the records.
pub async fn tasks(state: &AppState, ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Vec<OutreachTask>> {
    let units = read_units(ctx, unit)?;
    let org = ctx.user.org_id;
    let t = today(state, org).await?;
    let tomorrow = t + Duration::days(1);
    let mut out = Vec::new();
    let q = OutreachQuery {
        units: units.as_deref(),
        open_only: true,
        from: Some(t),
        to: Some(tomorrow),
        limit: LIST_LIMIT,
        ..Default::default()
    };
    let mut escorts = state.store.list_escorts(org, &q).await?;
    escorts.sort_by(|a, b| (a.appointment_on, &a.appointment_time).cmp(&(b.appointment_on, &b.appointment_time)));
    for e in escorts.into_iter().filter(|e| e.status == EscortStatus::Planned) {
        out.push(OutreachTask {
            kind: if e.appointment_on == t { TaskKind::EscortToday } else { TaskKind::EscortTomorrow },
            unit_id: e.unit_id,
            due_on: e.appointment_on,
            client_id: Some(e.client_id),
            client_name: e.client_name,
            client_language: e.client_language,
            ref_id: e.id.to_string(),
            detail: format!("{} {} {}", e.appointment_time, e.place, e.escort_name).trim().to_string(),
        });
    }
    let q = OutreachQuery { units: units.as_deref(), open_only: true, to: Some(t), limit: LIST_LIMIT, ..Default::default() };
    let visits = state.store.list_visits(org, &q).await?;
    let planned_from: std::collections::HashSet<String> = state
        .store
        .list_visits(org, &OutreachQuery { units: units.as_deref(), limit: LIST_LIMIT, ..Default::default() })
        .await?
        .into_iter()
        .map(|v| v.source_ref)
        .filter(|r| !r.is_empty())
        .collect();
    for v in visits {
        out.push(OutreachTask {
            kind: TaskKind::VisitDue,
            unit_id: v.unit_id,
            due_on: v.planned_on,
            client_id: Some(v.client_id),
            client_name: v.client_name,
            client_language: v.client_language,
            ref_id: v.id.to_string(),
            detail: v.purpose,
        });
    }
    for f in state.store.follow_ups(org, units.as_deref(), None).await? {
        if f.kind != HotlineFollowUpKind::HomeVisit || f.done_at.is_some() || planned_from.contains(&format!("hotline-follow-up:{}", f.id))
        {
            continue;
        }
        let (name, language) = match f.client_id {
            Some(c) => match state.store.get_client(org, c).await {
                Ok(c) => (shegong_domain::clients::display_name(&c.name_zh, &c.name_en), preferred(&c)),
                Err(_) => (String::new(), None),
            },
            None => (String::new(), None),
        };
        out.push(OutreachTask {
            kind: TaskKind::MissedCheckIn,
            unit_id: f.unit_id,
            due_on: f.due_at.date_naive(),
            client_id: f.client_id,
            client_name: name,
            client_language: language,
            ref_id: f.id.to_string(),
            detail: String::new(),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Reports

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct ReportParams {
    /// `YYYY-MM`: the month reported (the current month when no period is given).
    pub month: String,
    /// `YYYY-MM-DD`: a custom period instead of a month.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
    /// `csv` or `xlsx` for a file; JSON when blank.
    pub format: String,
}

/// The period asked for: a month, a custom range (at most ten years), or this month.
pub async fn period(state: &AppState, ctx: &Ctx, p: &ReportParams) -> AppResult<(NaiveDate, NaiveDate)> {
    let month_of = |d: NaiveDate| -> AppResult<(NaiveDate, NaiveDate)> {
        let first = d.with_day(1).ok_or_else(|| bad("month", "date"))?;
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .ok_or_else(|| bad("month", "date"))?;
        Ok((first, next - Duration::days(1)))
    };
    if !p.month.trim().is_empty() {
        let d = NaiveDate::parse_from_str(&format!("{}-01", p.month.trim()), "%Y-%m-%d").map_err(|_| bad("month", "date"))?;
        return month_of(d);
    }
    match (p.from, p.to) {
        (Some(from), Some(to)) if from <= to && to - from <= Duration::days(3660) => Ok((from, to)),
        (None, None) => month_of(today(state, ctx.user.org_id).await?),
        _ => Err(bad("from", "out-of-range")),
    }
}

pub async fn report(state: &AppState, ctx: &Ctx, p: &ReportParams) -> AppResult<OutreachReport> {
    let units = read_units(ctx, p.unit_id)?;
    let (from, to) = period(state, ctx, p).await?;
    let facts = state.store.outreach_facts(ctx.user.org_id, units.as_deref(), from, to).await?;
    Ok(count_outreach(&facts, from, to))
}

/// The report as a file (CSV or XLSX): one row per figure, headers in the reader's language;
/// the download is audited with its period and scope.
pub async fn export(state: &AppState, ctx: &Ctx, p: &ReportParams, format: ExportFormat) -> AppResult<Response> {
    let r = report(state, ctx, p).await?;
    let l = ctx.locale;
    let org = ctx.user.org_id;
    let units: std::collections::HashMap<String, String> =
        state.store.list_units(org).await?.into_iter().map(|u| (u.id.to_string(), u.name(l).to_string())).collect();
    let categories: std::collections::HashMap<String, String> =
        state.store.categories(org).await?.into_iter().map(|c| (c.code.clone(), c.name(l).to_string())).collect();
    let header: Vec<String> = ["outreach-col-group", "outreach-col-key", "outreach-col-value"].iter().map(|k| i18n::t(l, k)).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let total = i18n::t(l, "outreach-total");
    let mut push = |group: &str, key: String, value: String| rows.push(vec![i18n::t(l, group), key, value]);
    push("outreach-sessions", total.clone(), r.sessions.to_string());
    push("outreach-contacts", total.clone(), r.contacts.to_string());
    push("outreach-anonymous", total.clone(), r.anonymous_contacts.to_string());
    for x in &r.anonymous_by_category {
        let name = categories.get(&x.key).cloned().unwrap_or_else(|| category_name(l, &x.key));
        push("outreach-by-category", name, x.count.to_string());
    }
    for x in &r.anonymous_by_language {
        push("outreach-by-language-contacts", language_name(&x.key, l), x.count.to_string());
    }
    push("outreach-interpretation-hours", total.clone(), format!("{:.1}", r.interpretation_hours));
    for x in &r.by_language {
        push("outreach-interpretation-hours", language_name(&x.language, l), format!("{:.1}", x.hours));
    }
    push("outreach-pages", total.clone(), r.pages_translated.to_string());
    push("outreach-escorts", total.clone(), r.escorts_done.to_string());
    for x in &r.escorts_by_district {
        push("outreach-escorts-by-district", x.key.clone(), x.count.to_string());
    }
    push("outreach-visits-done", total.clone(), r.visits_done.to_string());
    push("outreach-em-person-times", total.clone(), r.em_person_times.to_string());
    push("outreach-em-unique", total.clone(), r.em_unique_persons.to_string());
    for u in &r.by_unit {
        let name = units.get(&u.unit_id).cloned().unwrap_or_else(|| u.unit_id.clone());
        push("outreach-em-person-times", name.clone(), u.em_person_times.to_string());
        push("outreach-em-unique", name, u.em_unique_persons.to_string());
    }
    let sheet = i18n::t(l, "outreach-sheet");
    let bytes = tokio::task::spawn_blocking(move || match format {
        ExportFormat::Csv => Ok(crate::tabular::write_csv(&header, &rows)),
        ExportFormat::Xlsx => crate::tabular::write_xlsx(&sheet, &header, &rows),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    state
        .store
        .append(
            &ctx.actor(),
            AuditEvent::new(Action::Export, "outreach_report", org).detail(serde_json::json!({
                "from": r.from, "to": r.to, "unit_id": p.unit_id, "format": format.extension(),
            })),
        )
        .await?;
    let name = format!("outreach-{}-{}.{}", r.from.format("%Y%m%d"), r.to.format("%Y%m%d"), format.extension());
    Ok(download(bytes, format, &name))
}

/// `general` has its own name; other codes are the agency's client categories.
pub fn category_name(l: shegong_domain::locale::Locale, code: &str) -> String {
    if code == shegong_domain::outreach::GENERAL_CATEGORY {
        i18n::t(l, "outreach-category-general")
    } else {
        code.to_string()
    }
}
