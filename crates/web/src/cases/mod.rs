//! Casework service: what the pages and the API share — who may see and change which case,
//! the approval rules, the caseload, to-do and team views, the statistics.

use crate::clients::{today, units_for};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope, User};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::cases::{
    count_cases, Assessment, AssessmentInput, Case, CaseChange, CaseDetailsInput, CaseEvent, CaseFilter, CaseGrouping, CaseInput,
    CaseScope, CaseSettings, CaseSettingsInput, CaseStats, CaseStatus, ClosureInput, DecisionInput, MandatoryReportInput, Note, NoteInput,
    Plan, PlanInput, Problem, Referral, ReferralInput, ReferralOutcome, ReferralUpdateInput, ReopenInput, ReviewInput, RiskLevel, Task,
    TaskInput, TodoItem, TodoKind, TransferInput, TODO_DAYS_AHEAD,
};
use shegong_domain::ids::{CaseId, NoteId, PlanId, ReferralId, TaskId, UnitId, UserId};
use shegong_domain::{DomainError, FieldError};
use std::collections::BTreeMap;

pub const PAGE_SIZE: u64 = 50;

/// Loads a case the caller may reach with `perm`: 404 for another agency's, 403 outside the
/// caller's units or when the case is sensitive and the caller lacks the grant.
pub async fn load(state: &AppState, ctx: &Ctx, id: CaseId, perm: Permission) -> AppResult<Case> {
    let c = state.store.get_case(ctx.user.org_id, id).await?;
    ctx.require(perm, Scope::Unit(c.unit_id))?;
    if c.sensitive && !ctx.user.sensitive_access {
        return Err(DomainError::Forbidden.into());
    }
    Ok(c)
}

/// Every view of a case file is audited.
pub async fn audit_view(state: &AppState, ctx: &Ctx, id: CaseId) -> AppResult<()> {
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "case", id)).await?;
    Ok(())
}

/// Who a case is about, as a name to show.
pub async fn subject_name(state: &AppState, ctx: &Ctx, c: &Case) -> AppResult<String> {
    let org = ctx.user.org_id;
    if let Some(id) = c.client_id {
        let cl = state.store.get_client(org, id).await?;
        return Ok(display_name(&cl.name_zh, &cl.name_en));
    }
    if let Some(id) = c.household_id {
        return Ok(state.store.get_household(org, id).await?.name);
    }
    Ok(String::new())
}

fn display_name(zh: &str, en: &str) -> String {
    if zh.is_empty() || en.is_empty() {
        format!("{zh}{en}")
    } else {
        format!("{zh} {en}")
    }
}

/// The names of who a page of cases is about, in one query for the clients.
pub async fn subject_names(state: &AppState, ctx: &Ctx, cases: &[Case]) -> AppResult<std::collections::HashMap<CaseId, String>> {
    let org = ctx.user.org_id;
    let ids: Vec<_> = cases.iter().filter_map(|c| c.client_id).collect();
    let clients = state.store.clients_by_ids(org, &ids).await?;
    let mut out = std::collections::HashMap::new();
    for c in cases {
        let name = match (c.client_id, c.household_id) {
            (Some(id), _) => clients.iter().find(|k| k.id == id).map(|k| display_name(&k.name_zh, &k.name_en)).unwrap_or_default(),
            (None, Some(h)) => state.store.get_household(org, h).await.map(|h| h.name).unwrap_or_default(),
            _ => String::new(),
        };
        out.insert(c.id, name);
    }
    Ok(out)
}

/// A case with everything recorded on it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseFile {
    pub case: Case,
    pub subject_name: String,
    pub worker_name: String,
    pub assessments: Vec<Assessment>,
    /// Newest first.
    pub plans: Vec<Plan>,
    /// Newest first.
    pub notes: Vec<Note>,
    pub tasks: Vec<Task>,
    pub referrals: Vec<Referral>,
    pub events: Vec<CaseEvent>,
}

pub async fn file(state: &AppState, ctx: &Ctx, id: CaseId) -> AppResult<CaseFile> {
    let c = load(state, ctx, id, Permission::ViewCases).await?;
    audit_view(state, ctx, id).await?;
    let org = ctx.user.org_id;
    Ok(CaseFile {
        subject_name: subject_name(state, ctx, &c).await?,
        worker_name: user_name(state, ctx, c.worker_id).await,
        assessments: state.store.assessments(org, id).await?,
        plans: state.store.plans(org, id).await?,
        notes: state.store.notes(org, id).await?,
        tasks: state.store.tasks(org, id).await?,
        referrals: state.store.referrals(org, id).await?,
        events: state.store.case_events(org, id).await?,
        case: c,
    })
}

pub async fn user_name(state: &AppState, ctx: &Ctx, id: UserId) -> String {
    state.store.get_user(ctx.user.org_id, id).await.map(|u| u.display_name).unwrap_or_default()
}

/// Staff who can hold cases in `unit`.
pub async fn workers(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<Vec<User>> {
    let mut users: Vec<User> = state
        .store
        .list_users(ctx.user.org_id)
        .await?
        .into_iter()
        .filter(|u| u.active && u.grants.allows(Permission::EditCases, Scope::Unit(unit)))
        .collect();
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(users)
}

async fn check_worker(state: &AppState, ctx: &Ctx, worker: UserId, unit: UnitId) -> AppResult<()> {
    let ok = match state.store.get_user(ctx.user.org_id, worker).await {
        Ok(u) => u.active && u.grants.allows(Permission::EditCases, Scope::Unit(unit)),
        Err(DomainError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid("worker_id", "worker-not-in-unit").into())
    }
}

/// Opens a case from an intake.
pub async fn open(state: &AppState, ctx: &Ctx, input: &CaseInput) -> AppResult<Case> {
    let org = ctx.user.org_id;
    let settings = state.store.case_settings(org).await?;
    let problems = state.store.problems(org).await?;
    let fields = input.validate(today(state, org).await?, &problems, ctx.user.id, settings.review_days)?;
    ctx.require(Permission::EditCases, Scope::Unit(fields.unit_id))?;
    // The person or family must be one the caller may see.
    if let Some(id) = fields.client_id {
        let c = match state.store.get_client(org, id).await {
            Err(DomainError::NotFound) => return Err(DomainError::invalid("client_id", "unknown-reference").into()),
            other => other?,
        };
        ctx.require(Permission::ViewClients, Scope::Unit(c.unit_id))?;
    }
    if let Some(id) = fields.household_id {
        let h = match state.store.get_household(org, id).await {
            Err(DomainError::NotFound) => return Err(DomainError::invalid("household_id", "unknown-reference").into()),
            other => other?,
        };
        ctx.require(Permission::ViewClients, Scope::Unit(h.unit_id))?;
    }
    check_worker(state, ctx, fields.worker_id, fields.unit_id).await?;
    let sensitive = fields.details.problems.iter().any(|p| problems.iter().any(|k| &k.code == p && k.sensitive));
    if sensitive && !ctx.user.sensitive_access {
        return Err(DomainError::invalid("problems", "sensitive-needs-grant").into());
    }
    Ok(state.store.open_case(&ctx.actor(), &fields).await?)
}

/// Applies a change to the case file itself, checking who may make it.
async fn change(state: &AppState, ctx: &Ctx, id: CaseId, version: i64, change: CaseChange, today: NaiveDate) -> AppResult<Case> {
    let perm = match change {
        CaseChange::DecideClosure { .. } => Permission::ApproveCases,
        _ => Permission::EditCases,
    };
    let c = load(state, ctx, id, perm).await?;
    apply(state, ctx, &c, version, change, today).await
}

/// Applies a change to a case the caller has loaded with the permission the change needs.
async fn apply(state: &AppState, ctx: &Ctx, c: &Case, version: i64, change: CaseChange, today: NaiveDate) -> AppResult<Case> {
    if let CaseChange::DecideClosure { .. } = change {
        if c.worker_id == ctx.user.id {
            // Four eyes: the worker who holds the case does not approve its closure.
            return Err(DomainError::invalid("case", "own-case").into());
        }
    }
    if let CaseChange::Transfer { unit_id, worker_id, .. } = change {
        check_worker(state, ctx, worker_id, unit_id).await?;
    }
    Ok(state.store.change_case(&ctx.actor(), c.id, version, change, today).await?)
}

pub async fn update_details(state: &AppState, ctx: &Ctx, id: CaseId, version: i64, input: &CaseDetailsInput) -> AppResult<Case> {
    let org = ctx.user.org_id;
    let problems = state.store.problems(org).await?;
    let before = load(state, ctx, id, Permission::EditCases).await?;
    let mut input = input.clone();
    // A problem that is no longer offered stays on the cases that have it.
    for p in &before.problems {
        if problems.iter().any(|k| &k.code == p && !k.active) && !input.problems.contains(p) {
            input.problems.push(p.clone());
        }
    }
    let known: Vec<Problem> = problems
        .iter()
        .cloned()
        .map(|mut k| {
            k.active |= before.problems.contains(&k.code);
            k
        })
        .collect();
    let today = today(state, org).await?;
    let d = input.validate(today, &known)?;
    let sensitive = d.problems.iter().any(|p| problems.iter().any(|k| &k.code == p && k.sensitive));
    if sensitive && !ctx.user.sensitive_access {
        return Err(DomainError::invalid("problems", "sensitive-needs-grant").into());
    }
    apply(state, ctx, &before, version, CaseChange::Details(d), today).await
}

pub async fn review(state: &AppState, ctx: &Ctx, id: CaseId, input: &ReviewInput) -> AppResult<Case> {
    let org = ctx.user.org_id;
    let settings = state.store.case_settings(org).await?;
    let today = today(state, org).await?;
    let c = input.validate(today, settings.review_days)?;
    change(state, ctx, id, input.version, c, today).await
}

pub async fn transfer(state: &AppState, ctx: &Ctx, id: CaseId, input: &TransferInput) -> AppResult<Case> {
    let c = input.validate()?;
    change(state, ctx, id, input.version, c, today(state, ctx.user.org_id).await?).await
}

/// Closes a case, or asks for the supervisor's approval when the agency requires it.
pub async fn close(state: &AppState, ctx: &Ctx, id: CaseId, input: &ClosureInput) -> AppResult<Case> {
    let org = ctx.user.org_id;
    let settings = state.store.case_settings(org).await?;
    let today = today(state, org).await?;
    let c = input.validate(today, settings.closure_approval)?;
    change(state, ctx, id, input.version, c, today).await
}

pub async fn decide_closure(state: &AppState, ctx: &Ctx, id: CaseId, input: &DecisionInput) -> AppResult<Case> {
    let (approve, comment) = input.validate()?;
    change(state, ctx, id, input.version, CaseChange::DecideClosure { approve, comment }, today(state, ctx.user.org_id).await?).await
}

pub async fn reopen(state: &AppState, ctx: &Ctx, id: CaseId, input: &ReopenInput) -> AppResult<Case> {
    let c = input.validate()?;
    change(state, ctx, id, input.version, c, today(state, ctx.user.org_id).await?).await
}

pub async fn mandatory_report(state: &AppState, ctx: &Ctx, id: CaseId, version: i64, input: &MandatoryReportInput) -> AppResult<Case> {
    let today = today(state, ctx.user.org_id).await?;
    let c = input.validate(today)?;
    change(state, ctx, id, version, c, today).await
}

pub async fn assess(state: &AppState, ctx: &Ctx, id: CaseId, input: &AssessmentInput) -> AppResult<Assessment> {
    load(state, ctx, id, Permission::EditCases).await?;
    let f = input.validate(today(state, ctx.user.org_id).await?)?;
    Ok(state.store.add_assessment(&ctx.actor(), id, &f).await?)
}

/// Saves the plan being written (`plan`: the one loaded into the form, at its version).
pub async fn save_plan(state: &AppState, ctx: &Ctx, id: CaseId, plan: Option<(PlanId, i64)>, input: &PlanInput) -> AppResult<Plan> {
    load(state, ctx, id, Permission::EditCases).await?;
    let org = ctx.user.org_id;
    let goals = input.validate(today(state, org).await?)?;
    let settings = state.store.case_settings(org).await?;
    Ok(state.store.save_plan(&ctx.actor(), id, plan, &goals, input.submit, settings.plan_approval).await?)
}

pub async fn decide_plan(state: &AppState, ctx: &Ctx, id: CaseId, plan: PlanId, input: &DecisionInput) -> AppResult<Plan> {
    load(state, ctx, id, Permission::ApproveCases).await?;
    let (approve, comment) = input.validate()?;
    Ok(state.store.decide_plan(&ctx.actor(), id, plan, input.version, approve, &comment).await?)
}

pub async fn add_note(state: &AppState, ctx: &Ctx, id: CaseId, input: &NoteInput) -> AppResult<Note> {
    load(state, ctx, id, Permission::EditCases).await?;
    let f = input.validate(today(state, ctx.user.org_id).await?)?;
    Ok(state.store.add_note(&ctx.actor(), id, &f, None).await?)
}

/// Puts a note right: its author changes it in place within 24 hours; after that (or for
/// anyone else) the correction is a new note linked to the original, which stays as it was.
pub async fn correct_note(state: &AppState, ctx: &Ctx, id: CaseId, note: NoteId, version: i64, input: &NoteInput) -> AppResult<Note> {
    load(state, ctx, id, Permission::EditCases).await?;
    let org = ctx.user.org_id;
    let old = state.store.get_note(org, id, note).await?;
    let f = input.validate(today(state, org).await?)?;
    if old.editable_by(ctx.user.id, state.clock.now()) {
        Ok(state.store.edit_note(&ctx.actor(), id, note, version, &f).await?)
    } else {
        Ok(state.store.add_note(&ctx.actor(), id, &f, Some(note)).await?)
    }
}

pub async fn add_task(state: &AppState, ctx: &Ctx, id: CaseId, input: &TaskInput) -> AppResult<Task> {
    load(state, ctx, id, Permission::EditCases).await?;
    let f = input.validate(today(state, ctx.user.org_id).await?)?;
    Ok(state.store.add_task(&ctx.actor(), id, &f).await?)
}

pub async fn complete_task(state: &AppState, ctx: &Ctx, id: CaseId, task: TaskId) -> AppResult<Task> {
    load(state, ctx, id, Permission::EditCases).await?;
    let today = today(state, ctx.user.org_id).await?;
    Ok(state.store.complete_task(&ctx.actor(), id, task, today).await?)
}

pub async fn add_referral(state: &AppState, ctx: &Ctx, id: CaseId, input: &ReferralInput) -> AppResult<Referral> {
    load(state, ctx, id, Permission::EditCases).await?;
    let f = input.validate(today(state, ctx.user.org_id).await?)?;
    Ok(state.store.add_referral(&ctx.actor(), id, &f).await?)
}

pub async fn update_referral(
    state: &AppState,
    ctx: &Ctx,
    id: CaseId,
    referral: ReferralId,
    input: &ReferralUpdateInput,
) -> AppResult<Referral> {
    load(state, ctx, id, Permission::EditCases).await?;
    let (status, note) = input.validate()?;
    let outcome = ReferralOutcome { status, note, on: today(state, ctx.user.org_id).await? };
    Ok(state.store.update_referral(&ctx.actor(), id, referral, input.version, &outcome).await?)
}

/// A page of cases.
pub struct Found {
    pub cases: Vec<Case>,
    pub total: u64,
}

/// Cases in the caller's units (sensitive ones only with the grant).
pub async fn find(state: &AppState, ctx: &Ctx, filter: &CaseFilter, offset: u64, limit: u64) -> AppResult<Found> {
    let org = ctx.user.org_id;
    let units = units_for(ctx, Permission::ViewCases);
    let today = today(state, org).await?;
    let scope = CaseScope { units: units.as_deref(), sensitive: ctx.user.sensitive_access };
    let page = state.store.list_cases(org, scope, filter, today, offset, limit).await?;
    Ok(Found { cases: page.cases, total: page.total })
}

/// The caller's to-do list, and a supervisor's queue.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Todo {
    /// Reviews and follow-ups of the caller's cases due within a week or overdue, and plans
    /// and closures a supervisor returned.
    pub mine: Vec<TodoItem>,
    /// For supervisors: plans and closures waiting for approval, and the team's overdue
    /// reviews and follow-ups.
    pub team: Vec<TodoItem>,
}

pub async fn todo(state: &AppState, ctx: &Ctx) -> AppResult<Todo> {
    let org = ctx.user.org_id;
    let today = today(state, org).await?;
    let until = today + Duration::days(TODO_DAYS_AHEAD);
    let sensitive = ctx.user.sensitive_access;
    let units = units_for(ctx, Permission::ViewCases);
    let mine = state
        .store
        .case_todo(org, CaseScope { units: units.as_deref(), sensitive }, Some(ctx.user.id), until)
        .await?
        .into_iter()
        .filter(|t| !matches!(t.kind, TodoKind::PlanToApprove | TodoKind::ClosureToApprove))
        .collect();
    let team = if ctx.can(Permission::ApproveCases, Scope::AnyUnit) {
        let units = units_for(ctx, Permission::ApproveCases);
        state
            .store
            .case_todo(org, CaseScope { units: units.as_deref(), sensitive }, None, until)
            .await?
            .into_iter()
            .filter(|t| match t.kind {
                TodoKind::PlanToApprove | TodoKind::ClosureToApprove => true,
                TodoKind::ReviewDue | TodoKind::FollowUpDue => t.due_on < today,
                TodoKind::PlanReturned | TodoKind::ClosureReturned => false,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Todo { mine, team })
}

/// One worker's caseload at a glance (a supervisor's team view).
#[derive(Serialize, utoipa::ToSchema, Default, Clone)]
pub struct WorkerLoad {
    pub worker_id: Option<UserId>,
    pub worker_name: String,
    pub open: u64,
    pub high_risk: u64,
    pub reviews_overdue: u64,
    pub follow_ups_overdue: u64,
    pub awaiting_approval: u64,
}

/// The team view covers every case the supervisor may approve in, at most this many.
const TEAM_LIMIT: u64 = 20_000;

pub async fn team(state: &AppState, ctx: &Ctx) -> AppResult<Vec<WorkerLoad>> {
    ctx.require(Permission::ApproveCases, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let today = today(state, org).await?;
    let units = units_for(ctx, Permission::ApproveCases);
    let sensitive = ctx.user.sensitive_access;
    let filter = CaseFilter { status: "open".into(), ..Default::default() };
    let scope = CaseScope { units: units.as_deref(), sensitive };
    let open = state.store.list_cases(org, scope, &filter, today, 0, TEAM_LIMIT).await?.cases;
    let todo = state.store.case_todo(org, scope, None, today).await?;
    let mut by: BTreeMap<UserId, WorkerLoad> = BTreeMap::new();
    for c in &open {
        let w = by.entry(c.worker_id).or_default();
        w.open += 1;
        w.high_risk += u64::from(c.risk == RiskLevel::High);
        w.awaiting_approval += u64::from(c.status == CaseStatus::ClosurePending);
    }
    for t in &todo {
        let w = by.entry(t.worker_id).or_default();
        match t.kind {
            TodoKind::ReviewDue if t.due_on < today => w.reviews_overdue += 1,
            TodoKind::FollowUpDue if t.due_on < today => w.follow_ups_overdue += 1,
            TodoKind::PlanToApprove => w.awaiting_approval += 1,
            _ => {}
        }
    }
    let users = state.store.list_users(org).await?;
    let mut out: Vec<WorkerLoad> = by
        .into_iter()
        .map(|(id, mut w)| {
            w.worker_id = Some(id);
            w.worker_name = users.iter().find(|u| u.id == id).map(|u| u.display_name.clone()).unwrap_or_default();
            w
        })
        .collect();
    out.sort_by(|a, b| a.worker_name.cmp(&b.worker_name));
    Ok(out)
}

/// The period and grouping of the case statistics.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::IntoParams, Default)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// `YYYY-MM-DD`; default the first day of this year.
    pub from: String,
    /// `YYYY-MM-DD`; default today.
    pub to: String,
    /// `unit`, `worker`, `problem` or `category`.
    pub group_by: String,
    /// Only this unit.
    pub unit_id: Option<UnitId>,
}

/// Cases served, new and closed (COUNTING.md) in the caller's units.
pub async fn stats(state: &AppState, ctx: &Ctx, p: &StatsParams) -> AppResult<CaseStats> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let today = today(state, org).await?;
    let mut errors = Vec::new();
    let mut day = |field: &str, raw: &str, default: NaiveDate| match raw.trim() {
        "" => default,
        s => s.parse::<NaiveDate>().unwrap_or_else(|_| {
            errors.push(FieldError::new(field, "date"));
            default
        }),
    };
    let year_start = NaiveDate::from_yo_opt(chrono::Datelike::year(&today), 1).unwrap_or(today);
    let from = day("from", &p.from, year_start);
    let to = day("to", &p.to, today);
    let group_by = match p.group_by.as_str() {
        "" => CaseGrouping::Unit,
        s => CaseGrouping::parse(s).unwrap_or_else(|| {
            errors.push(FieldError::new("group_by", "unknown-choice"));
            CaseGrouping::Unit
        }),
    };
    if errors.is_empty() && to < from {
        errors.push(FieldError::new("to", "date-before-start"));
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    let mut units = units_for(ctx, Permission::ViewCases);
    if let Some(u) = p.unit_id {
        ctx.require(Permission::ViewCases, Scope::Unit(u))?;
        units = Some(vec![u]);
    }
    let facts = state.store.case_facts(org, units.as_deref(), from, to).await?;
    Ok(count_cases(&facts, from, to, group_by))
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> AppResult<(CaseSettings, Vec<Problem>)> {
    ctx.require(Permission::ConfigureCases, Scope::Agency)?;
    let org = ctx.user.org_id;
    Ok((state.store.case_settings(org).await?, state.store.problems(org).await?))
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, input: &CaseSettingsInput) -> AppResult<CaseSettings> {
    ctx.require(Permission::ConfigureCases, Scope::Agency)?;
    let s = input.validate()?;
    Ok(state.store.save_case_settings(&ctx.actor(), &s).await?)
}

/// Replaces the list of presenting problems (codes already used can only be deactivated).
pub async fn save_problems(state: &AppState, ctx: &Ctx, list: &[Problem]) -> AppResult<Vec<Problem>> {
    ctx.require(Permission::ConfigureCases, Scope::Agency)?;
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, p) in list.iter().enumerate() {
        let code_ok =
            !p.code.is_empty() && p.code.len() <= 40 && p.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            errors.push(FieldError::new(format!("problems[{i}].code"), "code-chars"));
        } else if !seen.insert(p.code.clone()) {
            errors.push(FieldError::new(format!("problems[{i}].code"), "duplicate"));
        }
        if p.name_en.trim().is_empty() && p.name_zh_hant.trim().is_empty() && p.name_zh_hans.trim().is_empty() {
            errors.push(FieldError::new(format!("problems[{i}].name_en"), "required"));
        }
        for (field, v) in [("name_en", &p.name_en), ("name_zh_hant", &p.name_zh_hant), ("name_zh_hans", &p.name_zh_hans)] {
            if v.chars().count() > 100 {
                errors.push(FieldError::new(format!("problems[{i}].{field}"), "too-long").with("max", 100));
            }
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    let trimmed: Vec<Problem> = list
        .iter()
        .map(|p| Problem {
            code: p.code.clone(),
            name_en: p.name_en.trim().into(),
            name_zh_hant: p.name_zh_hant.trim().into(),
            name_zh_hans: p.name_zh_hans.trim().into(),
            sensitive: p.sensitive,
            active: p.active,
        })
        .collect();
    state.store.save_problems(&ctx.actor(), &trimmed).await?;
    Ok(state.store.problems(ctx.user.org_id).await?)
}
