//! Casework pages: caseload, intake, the case file with its forms (assessment, plan, notes,
//! follow-ups, review, transfer, referrals, Cap. 650 reports, closure), the to-do list, the
//! team view, statistics and settings. Every rule is checked in the service (`crate::cases`);
//! the pages only decide which forms to offer.

use super::{notice, HtmlForm};
use crate::cases::{self as svc, CaseFile, StatsParams, WorkerLoad};
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::cases::{
    AssessmentInput, Case, CaseDetailsInput, CaseFilter, CaseGrouping, CaseInput, CaseSettings, CaseSettingsInput, CaseSource, CaseStats,
    CaseStatus, CaseType, ClosingReason, ClosureInput, ContactType, DecisionInput, GoalInput, MandatoryReportInput, Note, NoteInput, Plan,
    PlanInput, PlanStatus, Problem, ReferralDirection, ReferralInput, ReferralStatus, ReferralUpdateInput, ReopenInput, ReviewInput,
    RiskLevel, TaskInput, TodoItem, TransferInput, MAX_GOALS,
};
use shegong_domain::ids::{CaseId, ClientId, HouseholdId, NoteId, PlanId, ReferralId, TaskId, UnitId, UserId};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list).post(create))
        .route("/cases/new", get(new_page))
        .route("/cases/todo", get(todo))
        .route("/cases/team", get(team))
        .route("/cases/stats", get(stats))
        .route("/cases/settings", get(settings_page).post(save_settings))
        .route("/cases/settings/problems", post(save_problems))
        .route("/cases/{id}", get(show).post(update))
        .route("/cases/{id}/edit", get(edit_page))
        .route("/cases/{id}/assessments", post(assess))
        .route("/cases/{id}/plan", post(save_plan))
        .route("/cases/{id}/plans/{plan}/decision", post(decide_plan))
        .route("/cases/{id}/notes", post(add_note))
        .route("/cases/{id}/notes/{note}/correct", get(correct_page).post(correct_note))
        .route("/cases/{id}/tasks", post(add_task))
        .route("/cases/{id}/tasks/{task}/done", post(complete_task))
        .route("/cases/{id}/review", post(review))
        .route("/cases/{id}/transfer", post(transfer))
        .route("/cases/{id}/referrals", post(add_referral))
        .route("/cases/{id}/referrals/{referral}", post(update_referral))
        .route("/cases/{id}/mandatory-reports", post(mandatory_report))
        .route("/cases/{id}/close", post(close))
        .route("/cases/{id}/closure", post(decide_closure))
        .route("/cases/{id}/reopen", post(reopen))
}

/// A hidden `version` field; anything unreadable counts as stale rather than malformed.
fn ver(s: &str) -> i64 {
    s.trim().parse().unwrap_or(-1)
}

fn saved(id: CaseId) -> Response {
    Redirect::to(&format!("/cases/{id}?notice=saved")).into_response()
}

/// Problems a form may offer: active ones (plus those already on the case), sensitive ones only
/// to staff with the grant.
fn offered_problems(ctx: &Ctx, all: Vec<Problem>, kept: &[String]) -> Vec<Problem> {
    all.into_iter().filter(|p| (p.active || kept.contains(&p.code)) && (ctx.user.sensitive_access || !p.sensitive)).collect()
}

fn problem_names(page: &Page, problems: &[Problem], codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|c| problems.iter().find(|p| &p.code == c).map(|p| p.name(page.locale).to_string()).unwrap_or_else(|| c.clone()))
        .collect()
}

/// Staff who can hold cases, grouped by unit: (unit name, [(user id, name)]).
type Staff = Vec<(String, Vec<(String, String)>)>;

async fn staff(state: &AppState, ctx: &Ctx, page: &Page, units: &[ServiceUnit]) -> AppResult<Staff> {
    let mut out = Vec::new();
    for u in units {
        let ws = svc::workers(state, ctx, u.id).await?;
        out.push((page.unit_name(u), ws.into_iter().map(|w| (w.id.to_string(), w.display_name)).collect()));
    }
    Ok(out)
}

// ---- caseload ----

#[derive(Template)]
#[template(path = "cases_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    q: ListQuery,
    view: String,
    query: String,
    rows: Vec<ListRow>,
    total: i64,
    prev: Option<u64>,
    next: Option<u64>,
    units: Vec<ServiceUnit>,
    today: NaiveDate,
    can_edit: bool,
    can_approve: bool,
    can_configure: bool,
}

struct ListRow {
    c: Case,
    subject: String,
    unit: String,
    worker: String,
}

impl ListPage {
    fn stage(&self, c: &Case) -> String {
        self.page.tp("case-stage-", &c.stage())
    }
    fn overdue(&self, c: &Case) -> bool {
        c.review_overdue(self.today)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    view: String,
    status: String,
    risk: String,
    overdue: String,
    unit_id: String,
    worker_id: String,
    page: String,
    notice: Option<String>,
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let page_no: u64 = q.page.parse().unwrap_or(0);
    let view = match q.view.as_str() {
        "mine" | "unit" => q.view.clone(),
        _ => {
            // Workers start from their own caseload; supervisors without cases from the unit's.
            let mine = CaseFilter { worker_id: Some(ctx.user.id), status: "open".into(), ..Default::default() };
            if svc::find(&state, &ctx, &mine, 0, 1).await?.total > 0 {
                "mine".into()
            } else {
                "unit".into()
            }
        }
    };
    let filter = CaseFilter {
        unit_id: q.unit_id.parse().ok(),
        worker_id: if view == "mine" { Some(ctx.user.id) } else { q.worker_id.parse().ok() },
        status: q.status.clone(),
        risk: q.risk.clone(),
        overdue: !q.overdue.is_empty(),
        client_id: None,
    };
    let offset = page_no * svc::PAGE_SIZE;
    let found = svc::find(&state, &ctx, &filter, offset, svc::PAGE_SIZE).await?;
    let page = Page::new(&state, &rc, "/cases").await;
    let all_units = state.store.list_units(org).await?;
    let users = state.store.list_users(org).await?;
    let mut names = svc::subject_names(&state, &ctx, &found.cases).await?;
    let mut rows = Vec::new();
    for c in found.cases {
        rows.push(ListRow {
            subject: names.remove(&c.id).unwrap_or_default(),
            unit: all_units.iter().find(|u| u.id == c.unit_id).map(|u| page.unit_name(u)).unwrap_or_default(),
            worker: users.iter().find(|u| u.id == c.worker_id).map(|u| u.display_name.clone()).unwrap_or_default(),
            c,
        });
    }
    let query = serde_urlencoded::to_string([
        ("view", view.as_str()),
        ("status", q.status.as_str()),
        ("risk", q.risk.as_str()),
        ("overdue", q.overdue.as_str()),
        ("unit_id", q.unit_id.as_str()),
        ("worker_id", q.worker_id.as_str()),
    ])
    .unwrap_or_default();
    let units = all_units.into_iter().filter(|u| ctx.can(Permission::ViewCases, Scope::Unit(u.id))).collect();
    render(&ListPage {
        notice: notice(&page, q.notice.as_deref()),
        view,
        query,
        rows,
        total: found.total as i64,
        prev: (page_no > 0).then(|| page_no - 1),
        next: (offset + svc::PAGE_SIZE < found.total).then_some(page_no + 1),
        units,
        today: crate::clients::today(&state, org).await?,
        can_edit: ctx.can(Permission::EditCases, Scope::AnyUnit),
        can_approve: ctx.can(Permission::ApproveCases, Scope::AnyUnit),
        can_configure: ctx.can(Permission::ConfigureCases, Scope::Agency),
        q,
        page,
    })
}

// ---- intake and details ----

/// The intake form and the details form share these fields (ids as text, as typed).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CaseForm {
    unit_id: String,
    client_id: String,
    household_id: String,
    worker_id: String,
    opened_on: String,
    source: String,
    source_detail: String,
    case_type: String,
    risk: String,
    problems: Vec<String>,
    intake_summary: String,
    next_review_on: String,
    version: String,
}

impl CaseForm {
    fn details(&self) -> CaseDetailsInput {
        CaseDetailsInput {
            source: self.source.clone(),
            source_detail: self.source_detail.clone(),
            case_type: self.case_type.clone(),
            risk: self.risk.clone(),
            problems: self.problems.clone(),
            intake_summary: self.intake_summary.clone(),
            next_review_on: self.next_review_on.clone(),
        }
    }

    fn input(&self) -> CaseInput {
        CaseInput {
            unit_id: self.unit_id.parse().ok(),
            client_id: self.client_id.parse().ok(),
            household_id: self.household_id.parse().ok(),
            worker_id: self.worker_id.parse().ok(),
            opened_on: self.opened_on.clone(),
            details: self.details(),
        }
    }

    fn of(c: &Case) -> Self {
        Self {
            unit_id: c.unit_id.to_string(),
            client_id: c.client_id.map(|i| i.to_string()).unwrap_or_default(),
            household_id: c.household_id.map(|i| i.to_string()).unwrap_or_default(),
            worker_id: c.worker_id.to_string(),
            opened_on: c.opened_on.to_string(),
            source: c.source.as_str().into(),
            source_detail: c.source_detail.clone(),
            case_type: c.case_type.as_str().into(),
            risk: c.risk.as_str().into(),
            problems: c.problems.clone(),
            intake_summary: c.intake_summary.clone(),
            next_review_on: c.next_review_on.map(|d| d.to_string()).unwrap_or_default(),
            version: c.version.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "case_form.html")]
struct FormPage {
    page: Page,
    case_id: Option<CaseId>,
    case_no: String,
    subject: String,
    form: CaseForm,
    units: Vec<ServiceUnit>,
    staff: Staff,
    problems: Vec<Problem>,
    sources: &'static [CaseSource],
    types: &'static [CaseType],
    risks: &'static [RiskLevel],
    errors: Vec<FieldError>,
    stale: Option<String>,
}

impl FormPage {
    fn problem_name(&self, p: &Problem) -> String {
        p.name(self.page.locale).to_string()
    }
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    /// Errors about fields the form does not show (the subject, a closed case).
    fn other_errs(&self) -> Vec<String> {
        const SHOWN: [&str; 11] = [
            "unit_id",
            "worker_id",
            "opened_on",
            "source",
            "source_detail",
            "case_type",
            "risk",
            "problems",
            "intake_summary",
            "next_review_on",
            "version",
        ];
        let shown = |f: &str| SHOWN.contains(&f) && (self.case_id.is_none() || !matches!(f, "unit_id" | "worker_id" | "opened_on"));
        self.errors.iter().filter(|e| !shown(&e.field)).map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
}

struct FormState {
    case_id: Option<CaseId>,
    case_no: String,
    subject: String,
    form: CaseForm,
    errors: Vec<FieldError>,
    stale: bool,
}

async fn form(state: &AppState, rc: &RequestCtx, ctx: &Ctx, f: FormState) -> AppResult<Response> {
    let path = f.case_id.map(|id| format!("/cases/{id}/edit")).unwrap_or_else(|| "/cases/new".into());
    let page = Page::new(state, rc, &path).await;
    let org = ctx.user.org_id;
    let units: Vec<ServiceUnit> =
        state.store.list_units(org).await?.into_iter().filter(|u| u.active && ctx.can(Permission::EditCases, Scope::Unit(u.id))).collect();
    let staff = if f.case_id.is_none() { staff(state, ctx, &page, &units).await? } else { Vec::new() };
    let problems = offered_problems(ctx, state.store.problems(org).await?, &f.form.problems);
    let invalid = !f.errors.is_empty() || f.stale;
    let p = FormPage {
        stale: f.stale.then(|| page.t("error-stale")),
        page,
        case_id: f.case_id,
        case_no: f.case_no,
        subject: f.subject,
        form: f.form,
        units,
        staff,
        problems,
        sources: CaseSource::ALL,
        types: CaseType::ALL,
        risks: RiskLevel::ALL,
        errors: f.errors,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    client: String,
    household: String,
}

/// The name of the person or family a new case is about, checking the caller may see them.
async fn subject_of(state: &AppState, ctx: &Ctx, client: Option<ClientId>, household: Option<HouseholdId>) -> AppResult<(String, UnitId)> {
    if let Some(id) = client {
        let c = crate::clients::load(state, ctx, id, Permission::ViewClients).await?;
        return Ok((c.display_name(), c.unit_id));
    }
    if let Some(id) = household {
        let h = state.store.get_household(ctx.user.org_id, id).await?;
        ctx.require(Permission::ViewClients, Scope::Unit(h.unit_id))?;
        return Ok((h.name, h.unit_id));
    }
    Err(DomainError::NotFound.into())
}

pub async fn new_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NewQuery>) -> AppResult<Response> {
    ctx.require(Permission::EditCases, Scope::AnyUnit)?;
    let client: Option<ClientId> = q.client.parse().ok();
    let household: Option<HouseholdId> = if client.is_some() { None } else { q.household.parse().ok() };
    let (subject, subject_unit) = subject_of(&state, &ctx, client, household).await?;
    // The case is usually held where the person is registered.
    let unit = if ctx.can(Permission::EditCases, Scope::Unit(subject_unit)) {
        Some(subject_unit)
    } else {
        ctx.user.grants.0.iter().find_map(|g| g.unit_id.filter(|u| ctx.can(Permission::EditCases, Scope::Unit(*u))))
    };
    let today = crate::clients::today(&state, ctx.user.org_id).await?;
    let form_values = CaseForm {
        unit_id: unit.map(|u| u.to_string()).unwrap_or_default(),
        client_id: client.map(|i| i.to_string()).unwrap_or_default(),
        household_id: household.map(|i| i.to_string()).unwrap_or_default(),
        worker_id: ctx.user.id.to_string(),
        opened_on: today.to_string(),
        source: CaseSource::WalkIn.as_str().into(),
        case_type: CaseType::BriefSupportive.as_str().into(),
        risk: RiskLevel::Low.as_str().into(),
        ..Default::default()
    };
    let f = FormState { case_id: None, case_no: String::new(), subject, form: form_values, errors: Vec::new(), stale: false };
    form(&state, &rc, &ctx, f).await
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<CaseForm>) -> AppResult<Response> {
    ctx.require(Permission::EditCases, Scope::AnyUnit)?;
    match svc::open(&state, &ctx, &f.input()).await {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}?notice=created", c.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let input = f.input();
            // The subject's name again (only one the caller may see; otherwise none).
            let subject =
                subject_of(&state, &ctx, input.client_id, input.household_id.filter(|_| input.client_id.is_none())).await.map(|s| s.0);
            let f =
                FormState { case_id: None, case_no: String::new(), subject: subject.unwrap_or_default(), form: f, errors, stale: false };
            form(&state, &rc, &ctx, f).await
        }
        Err(e) => Err(e),
    }
}

pub async fn edit_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<CaseId>) -> AppResult<Response> {
    let c = svc::load(&state, &ctx, id, Permission::EditCases).await?;
    svc::audit_view(&state, &ctx, id).await?;
    let subject = svc::subject_name(&state, &ctx, &c).await?;
    let f = FormState { case_id: Some(id), case_no: c.case_no.clone(), subject, form: CaseForm::of(&c), errors: Vec::new(), stale: false };
    form(&state, &rc, &ctx, f).await
}

pub async fn update(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(mut f): HtmlForm<CaseForm>,
) -> AppResult<Response> {
    match svc::update_details(&state, &ctx, id, ver(&f.version), &f.details()).await {
        Ok(_) => Ok(saved(id)),
        Err(AppError::Domain(e @ (DomainError::Invalid(_) | DomainError::Stale))) => {
            let c = svc::load(&state, &ctx, id, Permission::EditCases).await?;
            let subject = svc::subject_name(&state, &ctx, &c).await?;
            let (errors, stale) = match e {
                DomainError::Invalid(errors) => (errors, false),
                _ => {
                    // Keep what this user typed; the new version lets a re-save apply to it.
                    f.version = c.version.to_string();
                    (Vec::new(), true)
                }
            };
            form(&state, &rc, &ctx, FormState { case_id: Some(id), case_no: c.case_no, subject, form: f, errors, stale }).await
        }
        Err(e) => Err(e),
    }
}

// ---- the case file ----

/// What the user typed into the case page's forms (kept when one is sent back).
#[derive(Default)]
struct Forms {
    assess: AssessmentInput,
    plan_id: String,
    plan_version: String,
    goals: Vec<GoalInput>,
    plan_comment: String,
    note: NoteInput,
    task: TaskInput,
    review: ReviewInput,
    transfer: TransferForm,
    referral: ReferralInput,
    referral_update: Option<(ReferralId, ReferralUpdateInput)>,
    report: MandatoryReportInput,
    close: ClosureInput,
    closure_comment: String,
    reopen: ReopenInput,
}

/// A form sent back: which one, with what problems.
#[derive(Default)]
struct Posted {
    form: &'static str,
    errors: Vec<FieldError>,
    stale: bool,
    /// The version the user's form was at (kept unless it was stale).
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "case_view.html")]
struct CasePage {
    page: Page,
    notice: Option<String>,
    f: CaseFile,
    today: NaiveDate,
    settings: CaseSettings,
    unit_name: String,
    problem_names: Vec<String>,
    units: Vec<ServiceUnit>,
    staff: Staff,
    me: UserId,
    can_edit: bool,
    can_approve: bool,
    forms: Forms,
    posted: Posted,
    stale: Option<String>,
    contact_types: &'static [ContactType],
    directions: &'static [ReferralDirection],
    referral_statuses: &'static [ReferralStatus],
    closing_reasons: &'static [ClosingReason],
}

/// The fields each form shows (errors on other fields are listed at the top of the form).
fn shown_fields(form: &str) -> &'static [&'static str] {
    match form {
        "assess" => &["assessed_on", "presenting_situation", "family_and_support", "risks", "strengths", "needs", "summary"],
        "plan" => &["goals"],
        "plan-decision" | "closure-decision" => &["comment"],
        "note" => &["occurred_on", "contact_type", "duration_minutes", "present", "body", "follow_up", "follow_up_on"],
        "task" => &["title", "due_on"],
        "review" => &["reviewed_on", "summary", "next_review_on"],
        "transfer" => &["unit_id", "worker_id", "reason"],
        "referral" => &["direction", "agency", "service", "reason", "referred_on"],
        "referral-update" => &["status", "note"],
        "report" => &["reported_on", "authority", "reference"],
        "close" => &["reason", "summary", "closed_on"],
        "reopen" => &["reason"],
        _ => &[],
    }
}

impl CasePage {
    fn stage(&self) -> String {
        self.page.tp("case-stage-", &self.f.case.stage())
    }
    fn c(&self) -> &Case {
        &self.f.case
    }
    fn is_open(&self) -> bool {
        self.f.case.status == CaseStatus::Open
    }
    fn pending(&self) -> bool {
        self.f.case.status == CaseStatus::ClosurePending
    }
    fn closed(&self) -> bool {
        self.f.case.status == CaseStatus::Closed
    }
    fn overdue(&self) -> bool {
        self.f.case.review_overdue(self.today)
    }
    /// Whether `form` is the one sent back (its `<details>` opens).
    fn active(&self, form: &str) -> bool {
        self.posted.form == form
    }
    fn errs(&self, form: &str, field: &str) -> Vec<String> {
        if self.posted.form != form {
            return Vec::new();
        }
        self.page.errors_for(&self.posted.errors, field)
    }
    fn goal_errs(&self, i: &usize, part: &str) -> Vec<String> {
        self.errs("plan", &format!("goals[{i}].{part}"))
    }
    fn other_errs(&self, form: &str) -> Vec<String> {
        if self.posted.form != form {
            return Vec::new();
        }
        let shown = shown_fields(form);
        self.posted
            .errors
            .iter()
            .filter(|e| !(shown.contains(&e.field.as_str()) || (form == "plan" && e.field.starts_with("goals["))))
            .map(|e| crate::page::field_message(self.page.locale, e))
            .collect()
    }
    fn stale_here(&self, form: &str) -> bool {
        self.posted.stale && self.posted.form == form
    }
    /// The case version a form carries: the user's when sent back invalid, else the current one.
    fn version(&self, form: &str) -> i64 {
        match self.posted.version {
            Some(v) if self.posted.form == form && !self.posted.stale => v,
            _ => self.f.case.version,
        }
    }
    /// The newest plan, whatever its state.
    fn latest_plan(&self) -> Option<&Plan> {
        self.f.plans.first()
    }
    /// The plan the form edits: the newest if it is still a draft or was returned.
    fn editable_plan(&self) -> Option<&Plan> {
        self.f.plans.first().filter(|p| p.editable())
    }
    fn older_plans(&self) -> &[Plan] {
        self.f.plans.get(1..).unwrap_or(&[])
    }
    fn may_decide_plan(&self, p: &Plan) -> bool {
        // Four eyes: nobody approves a plan they wrote.
        self.can_approve && p.status == PlanStatus::Submitted && p.author_id != self.me
    }
    fn may_decide_closure(&self) -> bool {
        self.can_approve && self.pending() && self.f.case.worker_id != self.me
    }
    fn plan_submitted(&self) -> bool {
        self.f.plans.first().is_some_and(|p| p.status == PlanStatus::Submitted)
    }
    fn corrected_on(&self, id: &NoteId) -> String {
        self.f.notes.iter().find(|n| n.id == *id).map(|n| self.page.date(&n.occurred_on)).unwrap_or_default()
    }
    fn task_overdue(&self, due: &NaiveDate) -> bool {
        *due < self.today
    }
    fn referral_update(&self, id: &ReferralId) -> Option<&ReferralUpdateInput> {
        self.forms.referral_update.as_ref().filter(|(r, _)| r == id).map(|(_, u)| u)
    }
    fn referral_errs(&self, id: &ReferralId, field: &str) -> Vec<String> {
        if self.referral_update(id).is_some() {
            self.errs("referral-update", field)
        } else {
            Vec::new()
        }
    }
    fn latest_assessment(&self) -> Option<&shegong_domain::cases::Assessment> {
        self.f.assessments.iter().max_by_key(|a| (a.assessed_on, a.created_at))
    }
}

/// Renders the case file, with a form sent back when `posted.form` is set.
async fn case_page(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: CaseId,
    notice_key: Option<&str>,
    mut forms: Forms,
    posted: Posted,
) -> AppResult<Response> {
    let f = svc::file(state, ctx, id).await?;
    let org = ctx.user.org_id;
    let page = Page::new(state, rc, &format!("/cases/{id}")).await;
    let all_units = state.store.list_units(org).await?;
    let unit_name = all_units.iter().find(|u| u.id == f.case.unit_id).map(|u| page.unit_name(u)).unwrap_or_default();
    let problems = state.store.problems(org).await?;
    let can_edit = ctx.can(Permission::EditCases, Scope::Unit(f.case.unit_id));
    let units: Vec<ServiceUnit> = all_units.into_iter().filter(|u| u.active).collect();
    let staff = if can_edit && f.case.status == CaseStatus::Open { staff(state, ctx, &page, &units).await? } else { Vec::new() };
    if posted.form != "plan" {
        // The plan form starts from the plan being written, if any.
        match f.plans.first().filter(|p| p.editable()) {
            Some(p) => {
                forms.plan_id = p.id.to_string();
                forms.plan_version = p.version.to_string();
                forms.goals = p
                    .goals
                    .iter()
                    .map(|g| GoalInput {
                        goal: g.goal.clone(),
                        interventions: g.interventions.clone(),
                        target_on: g.target_on.map(|d| d.to_string()).unwrap_or_default(),
                    })
                    .collect();
            }
            None => {
                forms.plan_id.clear();
                forms.plan_version.clear();
                forms.goals.clear();
            }
        }
    }
    let slots = forms.goals.len().max(5).min(MAX_GOALS.max(forms.goals.len()));
    forms.goals.resize_with(slots, GoalInput::default);
    let invalid = !posted.errors.is_empty() || posted.stale;
    let p = CasePage {
        notice: notice(&page, notice_key),
        today: crate::clients::today(state, org).await?,
        settings: state.store.case_settings(org).await?,
        unit_name,
        problem_names: problem_names(&page, &problems, &f.case.problems),
        units,
        staff,
        me: ctx.user.id,
        can_edit,
        can_approve: ctx.can(Permission::ApproveCases, Scope::Unit(f.case.unit_id)),
        forms,
        stale: posted.stale.then(|| page.t("error-stale")),
        posted,
        contact_types: ContactType::ALL,
        directions: ReferralDirection::ALL,
        referral_statuses: ReferralStatus::ALL,
        closing_reasons: ClosingReason::ALL,
        f,
        page,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewQuery {
    notice: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    case_page(&state, &rc, &ctx, id, q.notice.as_deref(), Forms::default(), Posted::default()).await
}

/// Finishes a POST from the case page: on success back to the case; a refusal the user can put
/// right re-renders the page with their input in the form they sent.
async fn done<T>(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: CaseId,
    result: AppResult<T>,
    (form, forms, version): (&'static str, Forms, Option<i64>),
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(saved(id)),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            case_page(state, rc, ctx, id, None, forms, Posted { form, errors, stale: false, version }).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            case_page(state, rc, ctx, id, None, forms, Posted { form, errors: Vec::new(), stale: true, version }).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessForm {
    assessed_on: String,
    presenting_situation: String,
    family_and_support: String,
    risks: String,
    strengths: String,
    needs: String,
    summary: String,
}

pub async fn assess(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<AssessForm>,
) -> AppResult<Response> {
    let input = AssessmentInput {
        assessed_on: f.assessed_on,
        presenting_situation: f.presenting_situation,
        family_and_support: f.family_and_support,
        risks: f.risks,
        strengths: f.strengths,
        needs: f.needs,
        summary: f.summary,
    };
    let r = svc::assess(&state, &ctx, id, &input).await;
    done(&state, &rc, &ctx, id, r, ("assess", Forms { assess: input, ..Default::default() }, None)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlanForm {
    plan_id: String,
    plan_version: String,
    goal: Vec<String>,
    interventions: Vec<String>,
    target_on: Vec<String>,
    submit: Option<String>,
}

pub async fn save_plan(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<PlanForm>,
) -> AppResult<Response> {
    let n = f.goal.len().max(f.interventions.len()).max(f.target_on.len());
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let goals: Vec<GoalInput> = (0..n)
        .map(|i| GoalInput { goal: at(&f.goal, i), interventions: at(&f.interventions, i), target_on: at(&f.target_on, i) })
        .collect();
    let plan: Option<PlanId> = f.plan_id.parse().ok();
    let input = PlanInput { goals: goals.clone(), submit: f.submit.is_some() };
    let r = svc::save_plan(&state, &ctx, id, plan.zip(Some(ver(&f.plan_version))), &input).await;
    let forms = Forms { plan_id: f.plan_id, plan_version: f.plan_version, goals, ..Default::default() };
    done(&state, &rc, &ctx, id, r, ("plan", forms, None)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    approve: String,
    comment: String,
    version: String,
}

impl DecisionForm {
    fn input(&self) -> DecisionInput {
        DecisionInput { approve: self.approve == "true", comment: self.comment.clone(), version: ver(&self.version) }
    }
}

pub async fn decide_plan(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path((id, plan)): Path<(CaseId, PlanId)>,
    HtmlForm(f): HtmlForm<DecisionForm>,
) -> AppResult<Response> {
    let r = svc::decide_plan(&state, &ctx, id, plan, &f.input()).await;
    done(&state, &rc, &ctx, id, r, ("plan-decision", Forms { plan_comment: f.comment, ..Default::default() }, None)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    occurred_on: String,
    contact_type: String,
    duration_minutes: String,
    present: String,
    body: String,
    follow_up: String,
    follow_up_on: String,
    version: String,
}

impl NoteForm {
    fn input(&self) -> NoteInput {
        NoteInput {
            occurred_on: self.occurred_on.clone(),
            contact_type: self.contact_type.clone(),
            duration_minutes: self.duration_minutes.clone(),
            present: self.present.clone(),
            body: self.body.clone(),
            follow_up: self.follow_up.clone(),
            follow_up_on: self.follow_up_on.clone(),
        }
    }
}

pub async fn add_note(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<NoteForm>,
) -> AppResult<Response> {
    let input = f.input();
    let r = svc::add_note(&state, &ctx, id, &input).await;
    done(&state, &rc, &ctx, id, r, ("note", Forms { note: input, ..Default::default() }, None)).await
}

#[derive(Template)]
#[template(path = "case_note_form.html")]
struct NotePage {
    page: Page,
    case_id: CaseId,
    case_no: String,
    original: Note,
    input: NoteInput,
    version: i64,
    /// The author may still change the note itself.
    in_place: bool,
    contact_types: &'static [ContactType],
    errors: Vec<FieldError>,
    stale: Option<String>,
}

impl NotePage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    fn other_errs(&self) -> Vec<String> {
        let shown = shown_fields("note");
        self.errors.iter().filter(|e| !shown.contains(&e.field.as_str())).map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
}

async fn note_page(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    (id, note): (CaseId, NoteId),
    sent: Option<(NoteInput, i64)>,
    errors: Vec<FieldError>,
    stale: bool,
) -> AppResult<Response> {
    let c = svc::load(state, ctx, id, Permission::EditCases).await?;
    let original = state.store.get_note(ctx.user.org_id, id, note).await?;
    svc::audit_view(state, ctx, id).await?;
    let page = Page::new(state, rc, &format!("/cases/{id}/notes/{note}/correct")).await;
    let (input, version) = sent.unwrap_or_else(|| {
        let input = NoteInput {
            occurred_on: original.occurred_on.to_string(),
            contact_type: original.contact_type.as_str().into(),
            duration_minutes: original.duration_minutes.to_string(),
            present: original.present.clone(),
            body: original.body.clone(),
            follow_up: String::new(),
            follow_up_on: String::new(),
        };
        (input, original.version)
    });
    // After a stale refusal the form carries the stored version, so a re-save applies to it.
    let version = if stale { original.version } else { version };
    let invalid = !errors.is_empty() || stale;
    let p = NotePage {
        stale: stale.then(|| page.t("error-stale")),
        in_place: original.editable_by(ctx.user.id, state.clock.now()),
        page,
        case_id: id,
        case_no: c.case_no,
        original,
        input,
        version,
        contact_types: ContactType::ALL,
        errors,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn correct_page(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(ids): Path<(CaseId, NoteId)>,
) -> AppResult<Response> {
    note_page(&state, &rc, &ctx, ids, None, Vec::new(), false).await
}

pub async fn correct_note(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path((id, note)): Path<(CaseId, NoteId)>,
    HtmlForm(f): HtmlForm<NoteForm>,
) -> AppResult<Response> {
    let input = f.input();
    let version = ver(&f.version);
    match svc::correct_note(&state, &ctx, id, note, version, &input).await {
        Ok(_) => Ok(saved(id)),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            note_page(&state, &rc, &ctx, (id, note), Some((input, version)), errors, false).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            note_page(&state, &rc, &ctx, (id, note), Some((input, version)), Vec::new(), true).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TaskForm {
    title: String,
    due_on: String,
}

pub async fn add_task(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<TaskForm>,
) -> AppResult<Response> {
    let input = TaskInput { title: f.title, due_on: f.due_on };
    let r = svc::add_task(&state, &ctx, id, &input).await;
    done(&state, &rc, &ctx, id, r, ("task", Forms { task: input, ..Default::default() }, None)).await
}

pub async fn complete_task(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path((id, task)): Path<(CaseId, TaskId)>,
) -> AppResult<Response> {
    let r = svc::complete_task(&state, &ctx, id, task).await;
    done(&state, &rc, &ctx, id, r, ("tasks", Forms::default(), None)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    reviewed_on: String,
    summary: String,
    next_review_on: String,
    version: String,
}

pub async fn review(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<ReviewForm>,
) -> AppResult<Response> {
    let input = ReviewInput { reviewed_on: f.reviewed_on, summary: f.summary, next_review_on: f.next_review_on, version: ver(&f.version) };
    let r = svc::review(&state, &ctx, id, &input).await;
    let v = Some(input.version);
    done(&state, &rc, &ctx, id, r, ("review", Forms { review: input, ..Default::default() }, v)).await
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TransferForm {
    unit_id: String,
    worker_id: String,
    reason: String,
    version: String,
}

pub async fn transfer(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<TransferForm>,
) -> AppResult<Response> {
    let input = TransferInput {
        unit_id: f.unit_id.parse().ok(),
        worker_id: f.worker_id.parse().ok(),
        reason: f.reason.clone(),
        version: ver(&f.version),
    };
    match svc::transfer(&state, &ctx, id, &input).await {
        // Moved to a unit the caller does not work in: the case is out of their sight now.
        Ok(c) if !ctx.can(Permission::ViewCases, Scope::Unit(c.unit_id)) => Ok(Redirect::to("/cases?notice=saved").into_response()),
        r => {
            let v = Some(input.version);
            done(&state, &rc, &ctx, id, r, ("transfer", Forms { transfer: f, ..Default::default() }, v)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReferralForm {
    direction: String,
    agency: String,
    service: String,
    reason: String,
    referred_on: String,
}

pub async fn add_referral(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<ReferralForm>,
) -> AppResult<Response> {
    let input =
        ReferralInput { direction: f.direction, agency: f.agency, service: f.service, reason: f.reason, referred_on: f.referred_on };
    let r = svc::add_referral(&state, &ctx, id, &input).await;
    done(&state, &rc, &ctx, id, r, ("referral", Forms { referral: input, ..Default::default() }, None)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReferralUpdateForm {
    status: String,
    note: String,
    version: String,
}

pub async fn update_referral(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path((id, referral)): Path<(CaseId, ReferralId)>,
    HtmlForm(f): HtmlForm<ReferralUpdateForm>,
) -> AppResult<Response> {
    let input = ReferralUpdateInput { status: f.status, note: f.note, version: ver(&f.version) };
    let r = svc::update_referral(&state, &ctx, id, referral, &input).await;
    done(&state, &rc, &ctx, id, r, ("referral-update", Forms { referral_update: Some((referral, input)), ..Default::default() }, None))
        .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    reported_on: String,
    authority: String,
    reference: String,
    version: String,
}

pub async fn mandatory_report(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<ReportForm>,
) -> AppResult<Response> {
    let input = MandatoryReportInput { reported_on: f.reported_on, authority: f.authority, reference: f.reference };
    let version = ver(&f.version);
    let r = svc::mandatory_report(&state, &ctx, id, version, &input).await;
    done(&state, &rc, &ctx, id, r, ("report", Forms { report: input, ..Default::default() }, Some(version))).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CloseForm {
    reason: String,
    summary: String,
    closed_on: String,
    version: String,
}

pub async fn close(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<CloseForm>,
) -> AppResult<Response> {
    let input = ClosureInput { reason: f.reason, summary: f.summary, closed_on: f.closed_on, version: ver(&f.version) };
    let r = svc::close(&state, &ctx, id, &input).await;
    let v = Some(input.version);
    done(&state, &rc, &ctx, id, r, ("close", Forms { close: input, ..Default::default() }, v)).await
}

pub async fn decide_closure(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<DecisionForm>,
) -> AppResult<Response> {
    let input = f.input();
    let r = svc::decide_closure(&state, &ctx, id, &input).await;
    let v = Some(input.version);
    done(&state, &rc, &ctx, id, r, ("closure-decision", Forms { closure_comment: f.comment, ..Default::default() }, v)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReopenForm {
    reason: String,
    version: String,
}

pub async fn reopen(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    HtmlForm(f): HtmlForm<ReopenForm>,
) -> AppResult<Response> {
    let input = ReopenInput { reason: f.reason, version: ver(&f.version) };
    let r = svc::reopen(&state, &ctx, id, &input).await;
    let v = Some(input.version);
    done(&state, &rc, &ctx, id, r, ("reopen", Forms { reopen: input, ..Default::default() }, v)).await
}

// ---- to-do and team ----

#[derive(Template)]
#[template(path = "cases_todo.html")]
struct TodoPage {
    page: Page,
    mine: Vec<TodoItem>,
    team: Vec<TodoItem>,
    today: NaiveDate,
    supervisor: bool,
    can_edit: bool,
}

impl TodoPage {
    fn overdue(&self, t: &TodoItem) -> bool {
        t.due_on < self.today
    }
}

pub async fn todo(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    let t = svc::todo(&state, &ctx).await?;
    let page = Page::new(&state, &rc, "/cases/todo").await;
    render(&TodoPage {
        page,
        mine: t.mine,
        team: t.team,
        today: crate::clients::today(&state, ctx.user.org_id).await?,
        supervisor: ctx.can(Permission::ApproveCases, Scope::AnyUnit),
        can_edit: ctx.can(Permission::EditCases, Scope::AnyUnit),
    })
}

#[derive(Template)]
#[template(path = "cases_team.html")]
struct TeamPage {
    page: Page,
    rows: Vec<WorkerLoad>,
}

pub async fn team(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    let rows = svc::team(&state, &ctx).await?;
    let page = Page::new(&state, &rc, "/cases/team").await;
    render(&TeamPage { page, rows })
}

// ---- statistics ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct StatsQuery {
    from: String,
    to: String,
    group_by: String,
    unit_id: String,
}

#[derive(Template)]
#[template(path = "cases_stats.html")]
struct StatsPage {
    page: Page,
    q: StatsQuery,
    units: Vec<ServiceUnit>,
    groupings: &'static [CaseGrouping],
    stats: Option<CaseStats>,
    /// (label, served, new, closed)
    rows: Vec<(String, i64, i64, i64)>,
    errors: Vec<FieldError>,
}

impl StatsPage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
}

pub async fn stats(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<StatsQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let page = Page::new(&state, &rc, "/cases/stats").await;
    let all_units = state.store.list_units(org).await?;
    let params = StatsParams { from: q.from.clone(), to: q.to.clone(), group_by: q.group_by.clone(), unit_id: q.unit_id.parse().ok() };
    let (stats, errors) = match svc::stats(&state, &ctx, &params).await {
        Ok(s) => (Some(s), Vec::new()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => (None, errors),
        Err(e) => return Err(e),
    };
    let mut rows = Vec::new();
    if let Some(s) = &stats {
        let users = if s.group_by == CaseGrouping::Worker { state.store.list_users(org).await? } else { Vec::new() };
        let problems = if s.group_by == CaseGrouping::Problem { state.store.problems(org).await? } else { Vec::new() };
        let categories = if s.group_by == CaseGrouping::Category { state.store.categories(org).await? } else { Vec::new() };
        for (key, n) in &s.rows {
            let label = match s.group_by {
                _ if key == "-" => Some("-".to_string()),
                CaseGrouping::Unit => all_units.iter().find(|u| u.id.to_string() == *key).map(|u| page.unit_name(u)),
                CaseGrouping::Worker => users.iter().find(|u| u.id.to_string() == *key).map(|u| u.display_name.clone()),
                CaseGrouping::Problem => problems.iter().find(|p| p.code == *key).map(|p| p.name(page.locale).to_string()),
                CaseGrouping::Category => categories.iter().find(|c| c.code == *key).map(|c| page.cat_name(c)),
            }
            .unwrap_or_else(|| key.clone());
            rows.push((label, n.served as i64, n.new as i64, n.closed as i64));
        }
        rows.sort();
    }
    let units = all_units.into_iter().filter(|u| ctx.can(Permission::ViewCases, Scope::Unit(u.id))).collect();
    let mut q = q;
    if let Some(s) = &stats {
        // Show the period actually counted (the defaults when the fields were left empty).
        q.from = s.from.to_string();
        q.to = s.to.to_string();
        q.group_by = s.group_by.as_str().into();
    }
    let p = StatsPage { page, q, units, groupings: CaseGrouping::ALL, stats, rows, errors };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

// ---- settings ----

#[derive(Template)]
#[template(path = "cases_settings.html")]
struct SettingsPage {
    page: Page,
    notice: Option<String>,
    plan_approval: bool,
    closure_approval: bool,
    review_days: String,
    version: i64,
    /// Rows of the problems form: (problem, its code is stored already).
    problems: Vec<(Problem, bool)>,
    errors: Vec<FieldError>,
    problem_errors: Vec<FieldError>,
    stale: Option<String>,
}

impl SettingsPage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    fn row_errs(&self, i: &usize) -> Vec<String> {
        let prefix = format!("problems[{i}].");
        self.problem_errors
            .iter()
            .filter(|e| e.field.starts_with(&prefix))
            .map(|e| {
                format!(
                    "{}: {}",
                    self.page.t(&format!("field-{}", &e.field[prefix.len()..])),
                    crate::page::field_message(self.page.locale, e)
                )
            })
            .collect()
    }
    fn problem_invalid(&self) -> bool {
        !self.problem_errors.is_empty()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    plan_approval: Option<String>,
    closure_approval: Option<String>,
    review_days: String,
    version: String,
}

struct SettingsState {
    notice: Option<String>,
    form: Option<SettingsForm>,
    rows: Option<Vec<Problem>>,
    errors: Vec<FieldError>,
    problem_errors: Vec<FieldError>,
    stale: bool,
}

async fn settings_view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, s: SettingsState) -> AppResult<Response> {
    let (settings, stored) = svc::settings(state, ctx).await?;
    let page = Page::new(state, rc, "/cases/settings").await;
    let (plan_approval, closure_approval, review_days) = match &s.form {
        Some(f) => (f.plan_approval.is_some(), f.closure_approval.is_some(), f.review_days.clone()),
        None => (settings.plan_approval, settings.closure_approval, settings.review_days.to_string()),
    };
    let version = match &s.form {
        Some(f) if !s.stale => ver(&f.version),
        _ => settings.version,
    };
    let mut problems: Vec<(Problem, bool)> = s
        .rows
        .unwrap_or_else(|| stored.clone())
        .into_iter()
        .map(|p| {
            let known = stored.iter().any(|k| k.code == p.code);
            (p, known)
        })
        .collect();
    // One empty row for adding a problem.
    let empty = Problem {
        code: String::new(),
        name_en: String::new(),
        name_zh_hant: String::new(),
        name_zh_hans: String::new(),
        sensitive: false,
        active: true,
    };
    problems.push((empty, false));
    let invalid = !s.errors.is_empty() || !s.problem_errors.is_empty() || s.stale;
    let p = SettingsPage {
        notice: notice(&page, s.notice.as_deref()),
        stale: s.stale.then(|| page.t("error-stale")),
        page,
        plan_approval,
        closure_approval,
        review_days,
        version,
        problems,
        errors: s.errors,
        problem_errors: s.problem_errors,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn settings_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ViewQuery>) -> AppResult<Response> {
    let s = SettingsState { notice: q.notice, form: None, rows: None, errors: Vec::new(), problem_errors: Vec::new(), stale: false };
    settings_view(&state, &rc, &ctx, s).await
}

pub async fn save_settings(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<SettingsForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ConfigureCases, Scope::Agency)?;
    // Unreadable counts as out of range: the validation says what is allowed.
    let review_days: i32 = f.review_days.trim().parse().unwrap_or_default();
    let input = CaseSettingsInput {
        plan_approval: f.plan_approval.is_some(),
        closure_approval: f.closure_approval.is_some(),
        review_days,
        version: ver(&f.version),
    };
    let (errors, stale) = match svc::save_settings(&state, &ctx, &input).await {
        Ok(_) => return Ok(Redirect::to("/cases/settings?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => (errors, false),
        Err(AppError::Domain(DomainError::Stale)) => (Vec::new(), true),
        Err(e) => return Err(e),
    };
    let s = SettingsState { notice: None, form: Some(f), rows: None, errors, problem_errors: Vec::new(), stale };
    settings_view(&state, &rc, &ctx, s).await
}

/// Repeated fields in row order; the checkboxes carry the row's code (a row whose code is not
/// known yet: `new:<row>`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProblemsForm {
    code: Vec<String>,
    name_en: Vec<String>,
    name_zh_hant: Vec<String>,
    name_zh_hans: Vec<String>,
    sensitive: Vec<String>,
    active: Vec<String>,
}

impl ProblemsForm {
    fn rows(&self) -> Vec<Problem> {
        let at = |v: &[String], i: usize| v.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
        let ticked = |v: &[String], code: &str, i: usize| v.iter().any(|s| (!code.is_empty() && s == code) || *s == format!("new:{i}"));
        (0..self.code.len())
            .map(|i| {
                let code = at(&self.code, i);
                Problem {
                    sensitive: ticked(&self.sensitive, &code, i),
                    active: ticked(&self.active, &code, i),
                    name_en: at(&self.name_en, i),
                    name_zh_hant: at(&self.name_zh_hant, i),
                    name_zh_hans: at(&self.name_zh_hans, i),
                    code,
                }
            })
            // The empty row left for adding one is not a problem.
            .filter(|p| !(p.code.is_empty() && p.name_en.is_empty() && p.name_zh_hant.is_empty() && p.name_zh_hans.is_empty()))
            .collect()
    }
}

pub async fn save_problems(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<ProblemsForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ConfigureCases, Scope::Agency)?;
    let rows = f.rows();
    match svc::save_problems(&state, &ctx, &rows).await {
        Ok(_) => Ok(Redirect::to("/cases/settings?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(problem_errors))) => {
            let s = SettingsState { notice: None, form: None, rows: Some(rows), errors: Vec::new(), problem_errors, stale: false };
            settings_view(&state, &rc, &ctx, s).await
        }
        Err(e) => Err(e),
    }
}
