//! Outreach pages: the units' task list with the form that logs a session and the recent
//! sessions, a session's page, interpretation requests (list, new, assign, complete, cancel),
//! escorts and home visits with their outcomes, the interpreters' languages and the monthly
//! report with its CSV and XLSX export. Every rule is checked in the service
//! (`crate::outreach`); every form works without JavaScript; the person's preferred language is
//! shown wherever a page leads to contact.

use super::HtmlForm;
use crate::clients::export::ExportFormat;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::outreach::{self as svc, InterpretationParams, ListParams, ReportParams};
use crate::page::{render, render_form, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::clients::{Category, Client};
use shegong_domain::ids::{ClientId, EscortId, InterpretationId, OutreachSessionId, UnitId, UserId, VisitId};
use shegong_domain::outreach::{
    language_name, AssignInterpreterInput, CancelInput, CompleteInput, ContactFollowUp, ContactInput, Escort, EscortInput,
    EscortOutcomeInput, EscortStatus, Interpretation, InterpretationInput, InterpretationMode, InterpretationStatus, Interpreter,
    InterpreterInput, OutreachReport, OutreachSession, OutreachSessionInput, OutreachTask, Transport, Visit, VisitDoneInput, VisitInput,
    VisitStatus, LANGUAGES,
};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outreach", get(index))
        .route("/outreach/sessions", post(create_session))
        .route("/outreach/sessions/{id}", get(show_session))
        .route("/outreach/interpretations", get(interpretations).post(create_interpretation))
        .route("/outreach/interpretations/{id}", get(show_interpretation))
        .route("/outreach/interpretations/{id}/assign", post(assign))
        .route("/outreach/interpretations/{id}/complete", post(complete))
        .route("/outreach/interpretations/{id}/cancel", post(cancel))
        .route("/outreach/escorts", get(escorts).post(create_escort))
        .route("/outreach/escorts/{id}/outcome", post(close_escort))
        .route("/outreach/visits", get(visits).post(create_visit))
        .route("/outreach/visits/{id}/outcome", post(close_visit))
        .route("/outreach/mine", get(mine))
        .route("/outreach/interpreters", get(interpreters))
        .route("/outreach/interpreters/{id}", post(save_interpreter))
        .route("/outreach/report", get(report))
}

/// Names and lists the templates share.
struct Labels {
    locale: shegong_domain::locale::Locale,
    units: Vec<ServiceUnit>,
}

impl Labels {
    async fn new(state: &AppState, ctx: &Ctx) -> AppResult<Self> {
        Ok(Self { locale: ctx.locale, units: state.store.list_units(ctx.user.org_id).await? })
    }
    fn unit(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| u.name(self.locale).to_string()).unwrap_or_else(|| "—".into())
    }
    fn lang(&self, code: &str) -> String {
        if code.is_empty() {
            "—".into()
        } else {
            language_name(code, self.locale)
        }
    }
    fn pref(&self, code: &Option<String>) -> String {
        code.as_deref().map(|c| self.lang(c)).unwrap_or_else(|| "—".into())
    }
    fn languages(&self) -> Vec<(&'static str, String)> {
        LANGUAGES.iter().map(|l| (l.code, l.name(self.locale).to_string())).collect()
    }
    /// The name of the client a form is for, shown with [`Labels::client_language`].
    fn client_name(&self, client: &Option<Client>) -> String {
        client.as_ref().map(|c| shegong_domain::clients::display_name(&c.name_zh, &c.name_en)).unwrap_or_default()
    }
    /// The preferred language of the client a form is for (every screen that leads to contact).
    fn client_language(&self, client: &Option<Client>) -> String {
        client.as_ref().map(|c| self.pref(&svc::preferred(c))).unwrap_or_default()
    }
}

async fn units_with(state: &AppState, ctx: &Ctx, perm: Permission) -> AppResult<Vec<ServiceUnit>> {
    Ok(state.store.list_units(ctx.user.org_id).await?.into_iter().filter(|u| u.active && ctx.can(perm, Scope::Unit(u.id))).collect())
}

/// Staff and interpreters who may be named on a team or as an escort.
async fn team_members(state: &AppState, ctx: &Ctx) -> AppResult<Vec<(UserId, String)>> {
    Ok(state
        .store
        .list_users(ctx.user.org_id)
        .await?
        .into_iter()
        .filter(|u| {
            u.active
                && (u.grants.allows(Permission::EditOutreach, Scope::AnyUnit) || u.grants.allows(Permission::Interpret, Scope::AnyUnit))
        })
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// The client a form was opened for (`?client_id=`), shown with their preferred language.
async fn client_for(state: &AppState, ctx: &Ctx, raw: &str) -> Option<Client> {
    let id: ClientId = raw.trim().parse().ok()?;
    if !ctx.can(Permission::ViewClients, Scope::AnyUnit) {
        return None;
    }
    state.store.get_client(ctx.user.org_id, id).await.ok()
}

fn notice(page: &Page, key: Option<&str>) -> Option<String> {
    const KNOWN: [&str; 11] = [
        "saved",
        "not-saved",
        "session-created",
        "request-created",
        "assigned",
        "completed",
        "cancelled",
        "escort-created",
        "escort-closed",
        "visit-created",
        "visit-closed",
    ];
    key.filter(|k| KNOWN.contains(k)).map(|k| page.t(&format!("outreach-notice-{k}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
    client_id: String,
    escort_id: String,
    source_ref: String,
}

fn blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn number(s: &str) -> Option<i32> {
    blank(s).map(|x| x.parse().unwrap_or(-1))
}

// ---------------------------------------------------------------------------------------------
// The task list, the session form and the sessions

/// Contact lines the form offers (more can be logged through the API).
const CONTACT_ROWS: usize = 6;

/// A session as typed (kept when shown again with errors).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SessionForm {
    unit_id: String,
    held_on: String,
    district: String,
    area: String,
    staff: Vec<String>,
    ambassadors: String,
    volunteers: String,
    needs_found: String,
    note: String,
    c_client: Vec<String>,
    c_category: Vec<String>,
    c_language: Vec<String>,
    c_count: Vec<String>,
    c_follow_up: Vec<String>,
}

/// One contact line of the form.
#[derive(Default, Clone)]
pub struct ContactRow {
    client: String,
    category: String,
    language: String,
    count: String,
    follow_up: String,
}

impl SessionForm {
    fn rows(&self) -> Vec<ContactRow> {
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        (0..CONTACT_ROWS.max(self.c_count.len()))
            .map(|i| ContactRow {
                client: at(&self.c_client, i),
                category: at(&self.c_category, i),
                language: at(&self.c_language, i),
                count: at(&self.c_count, i),
                follow_up: at(&self.c_follow_up, i),
            })
            .collect()
    }

    fn input(&self) -> OutreachSessionInput {
        let contacts = self
            .rows()
            .into_iter()
            .filter(|r| !(r.client.trim().is_empty() && r.count.trim().is_empty() && r.category.trim().is_empty()))
            .map(|r| ContactInput {
                client_id: r.client.trim().parse().ok(),
                category: r.category,
                language: r.language,
                count: number(&r.count),
                follow_up: r.follow_up,
                follow_up_ref: String::new(),
            })
            .collect();
        OutreachSessionInput {
            unit_id: self.unit_id.parse().ok(),
            held_on: self.held_on.clone(),
            district: self.district.clone(),
            area: self.area.clone(),
            staff: self.staff.iter().filter_map(|s| s.parse().ok()).collect(),
            ambassadors: vec![self.ambassadors.clone()],
            volunteers: vec![self.volunteers.clone()],
            needs_found: self.needs_found.clone(),
            note: self.note.clone(),
            contacts,
        }
    }
}

#[derive(Template)]
#[template(path = "outreach.html")]
struct IndexPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    tasks: Vec<OutreachTask>,
    sessions: Vec<OutreachSession>,
    add_units: Vec<ServiceUnit>,
    members: Vec<(UserId, String)>,
    categories: Vec<Category>,
    form: SessionForm,
    errors: Vec<FieldError>,
}

impl IndexPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| format!("{}: {}", e.field, crate::page::field_message(self.page.locale, e))).collect()
    }
    fn task(&self, t: &OutreachTask) -> String {
        self.page.t(&format!("outreach-task-{}", t.kind.as_str()))
    }
    fn follow_ups(&self) -> Vec<(&'static str, String)> {
        ContactFollowUp::ALL.iter().map(|k| (k.as_str(), self.page.t(&format!("outreach-follow-up-{}", k.as_str())))).collect()
    }
    fn categories(&self) -> Vec<(String, String)> {
        let mut v = vec![(shegong_domain::outreach::GENERAL_CATEGORY.to_string(), self.page.t("outreach-category-general"))];
        v.extend(
            self.categories.iter().filter(|c| c.active && !c.sensitive).map(|c| (c.code.clone(), c.name(self.page.locale).to_string())),
        );
        v
    }
    fn staff_checked(&self, id: &UserId) -> bool {
        self.form.staff.iter().any(|s| *s == id.to_string())
    }
}

async fn index_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    form: SessionForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/outreach").await;
    let tasks = svc::tasks(state, ctx, None).await?;
    let sessions = svc::sessions(state, ctx, &ListParams::default()).await?;
    let add_units = units_with(state, ctx, Permission::EditOutreach).await?;
    let members = if add_units.is_empty() { Vec::new() } else { team_members(state, ctx).await? };
    let categories = state.store.categories(ctx.user.org_id).await?;
    let invalid = !errors.is_empty();
    let p = IndexPage {
        notice: notice(&page, notice_key.as_deref()),
        l: Labels::new(state, ctx).await?,
        page,
        tasks,
        sessions,
        add_units,
        members,
        categories,
        form,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn index(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewOutreach, Scope::AnyUnit)?;
    let form = SessionForm { held_on: crate::clients::today(&state, ctx.user.org_id).await?.to_string(), ..Default::default() };
    index_view(&state, &rc, &ctx, q.notice, form, Vec::new()).await
}

pub async fn create_session(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<SessionForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    match svc::create_session(&state, &ctx, &f.input()).await {
        Ok(s) => Ok(Redirect::to(&format!("/outreach/sessions/{}?notice=session-created", s.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => index_view(&state, &rc, &ctx, None, f, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "outreach_session.html")]
struct SessionPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    s: OutreachSession,
    categories: Vec<Category>,
}

impl SessionPage {
    fn category(&self, code: &str) -> String {
        if code.is_empty() {
            return "—".into();
        }
        self.categories
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.name(self.page.locale).to_string())
            .unwrap_or_else(|| svc::category_name(self.page.locale, code))
    }
    fn follow_up(&self, k: &ContactFollowUp) -> String {
        self.page.t(&format!("outreach-follow-up-{}", k.as_str()))
    }
}

pub async fn show_session(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<OutreachSessionId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let s = svc::session(&state, &ctx, id).await?;
    let page = Page::new(&state, &rc, &format!("/outreach/sessions/{id}")).await;
    let categories = state.store.categories(ctx.user.org_id).await?;
    render(&SessionPage { notice: notice(&page, q.notice.as_deref()), l: Labels::new(&state, &ctx).await?, page, s, categories })
}

// ---------------------------------------------------------------------------------------------
// Interpretation requests

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct InterpretationForm {
    unit_id: String,
    client_id: String,
    escort_id: String,
    appointment: String,
    language: String,
    into_language: String,
    mode: String,
    needed_on: String,
    pages: String,
    detail: String,
}

impl InterpretationForm {
    fn input(&self) -> InterpretationInput {
        InterpretationInput {
            unit_id: self.unit_id.parse().ok(),
            client_id: self.client_id.trim().parse().ok(),
            case_id: None,
            escort_id: self.escort_id.trim().parse().ok(),
            appointment: self.appointment.clone(),
            language: self.language.clone(),
            into_language: self.into_language.clone(),
            mode: self.mode.clone(),
            needed_on: self.needed_on.clone(),
            detail: self.detail.clone(),
            pages: number(&self.pages),
        }
    }
}

#[derive(Template)]
#[template(path = "outreach_interpretations.html")]
struct InterpretationsPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    requests: Vec<Interpretation>,
    add_units: Vec<ServiceUnit>,
    /// The client the form was opened for, with their preferred language.
    client: Option<Client>,
    form: InterpretationForm,
    errors: Vec<FieldError>,
}

impl InterpretationsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn status(&self, s: &InterpretationStatus) -> String {
        self.page.t(&format!("outreach-status-{}", s.as_str()))
    }
    fn mode(&self, m: &InterpretationMode) -> String {
        self.page.t(&format!("outreach-mode-{}", m.as_str()))
    }
    fn modes(&self) -> Vec<(&'static str, String)> {
        InterpretationMode::ALL.iter().map(|m| (m.as_str(), self.mode(m))).collect()
    }
}

async fn interpretations_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    form: InterpretationForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/outreach/interpretations").await;
    let requests = svc::interpretations(state, ctx, &InterpretationParams::default()).await?;
    let add_units = units_with(state, ctx, Permission::EditOutreach).await?;
    let client = client_for(state, ctx, &form.client_id).await;
    let invalid = !errors.is_empty();
    let p = InterpretationsPage {
        notice: notice(&page, notice_key.as_deref()),
        l: Labels::new(state, ctx).await?,
        page,
        requests,
        add_units,
        client,
        form,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn interpretations(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewOutreach, Scope::AnyUnit)?;
    let needed_on = crate::clients::today(&state, ctx.user.org_id).await?.to_string();
    let form = InterpretationForm { client_id: q.client_id, escort_id: q.escort_id, needed_on, ..Default::default() };
    interpretations_view(&state, &rc, &ctx, q.notice, form, Vec::new()).await
}

pub async fn create_interpretation(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<InterpretationForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    match svc::create_interpretation(&state, &ctx, &f.input()).await {
        Ok(r) => Ok(Redirect::to(&format!("/outreach/interpretations/{}?notice=request-created", r.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => interpretations_view(&state, &rc, &ctx, None, f, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "outreach_interpretation.html")]
struct InterpretationPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    r: Interpretation,
    /// Who may be assigned (empty: the caller does not assign), with the languages they cover.
    interpreters: Vec<Interpreter>,
    can_complete: bool,
    can_cancel: bool,
    stale: bool,
    errors: Vec<FieldError>,
}

impl InterpretationPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn status(&self) -> String {
        self.page.t(&format!("outreach-status-{}", self.r.status.as_str()))
    }
    fn mode(&self) -> String {
        self.page.t(&format!("outreach-mode-{}", self.r.mode.as_str()))
    }
    fn covers(&self, i: &Interpreter) -> String {
        let mut all: Vec<String> = i.languages.iter().chain(&i.volunteer_languages).map(|c| self.l.lang(c)).collect();
        all.dedup();
        all.join(", ")
    }
    fn hours(&self) -> String {
        format!("{:.1}", f64::from(self.r.minutes) / 60.0)
    }
}

async fn interpretation_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: InterpretationId,
    notice_key: Option<String>,
    errors: Vec<FieldError>,
    stale: bool,
) -> AppResult<Response> {
    let r = svc::interpretation(state, ctx, id).await?;
    let page = Page::new(state, rc, &format!("/outreach/interpretations/{id}")).await;
    let open = matches!(r.status, InterpretationStatus::Requested | InterpretationStatus::Assigned);
    let can_edit = ctx.can(Permission::EditOutreach, Scope::Unit(r.unit_id));
    let interpreters = if can_edit && open { svc::interpreters(state, ctx, Some(r.unit_id)).await? } else { Vec::new() };
    let can_complete = r.status == InterpretationStatus::Assigned
        && (can_edit || (r.assignee_id == Some(ctx.user.id) && ctx.can(Permission::Interpret, Scope::Unit(r.unit_id))));
    let invalid = !errors.is_empty() || stale;
    let p = InterpretationPage {
        notice: notice(&page, notice_key.as_deref()),
        l: Labels::new(state, ctx).await?,
        page,
        r,
        interpreters,
        can_complete,
        can_cancel: can_edit && open,
        stale,
        errors,
    };
    if stale {
        let mut resp = render(&p)?;
        *resp.status_mut() = axum::http::StatusCode::CONFLICT;
        return Ok(resp);
    }
    render_form(&p, invalid)
}

pub async fn show_interpretation(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    interpretation_view(&state, &rc, &ctx, id, q.notice, Vec::new(), false).await
}

/// What a step's form carries: the version read, and the step's fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    version: String,
    assignee_id: String,
    minutes: String,
    pages: String,
    note: String,
    reason: String,
    status: String,
    outcome: String,
    next_appointment_on: String,
    done_on: String,
}

impl StepForm {
    fn version(&self) -> i64 {
        self.version.trim().parse().unwrap_or(-1)
    }
}

async fn after_step(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: InterpretationId,
    r: AppResult<Interpretation>,
    key: &str,
) -> AppResult<Response> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/outreach/interpretations/{id}?notice={key}")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => interpretation_view(state, rc, ctx, id, None, errors, false).await,
        Err(AppError::Domain(DomainError::Stale)) => interpretation_view(state, rc, ctx, id, None, Vec::new(), true).await,
        Err(e) => Err(e),
    }
}

pub async fn assign(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    HtmlForm(f): HtmlForm<StepForm>,
) -> AppResult<Response> {
    let r = svc::assign(&state, &ctx, id, &AssignInterpreterInput { assignee_id: f.assignee_id.parse().ok(), version: f.version() }).await;
    after_step(&state, &rc, &ctx, id, r, "assigned").await
}

pub async fn complete(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    HtmlForm(f): HtmlForm<StepForm>,
) -> AppResult<Response> {
    let input = CompleteInput { minutes: number(&f.minutes), pages: number(&f.pages), note: f.note.clone(), version: f.version() };
    let r = svc::complete(&state, &ctx, id, &input).await;
    after_step(&state, &rc, &ctx, id, r, "completed").await
}

pub async fn cancel(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    HtmlForm(f): HtmlForm<StepForm>,
) -> AppResult<Response> {
    let r = svc::cancel(&state, &ctx, id, &CancelInput { reason: f.reason.clone(), version: f.version() }).await;
    after_step(&state, &rc, &ctx, id, r, "cancelled").await
}

// ---------------------------------------------------------------------------------------------
// Escorts

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct EscortForm {
    unit_id: String,
    client_id: String,
    appointment_on: String,
    appointment_time: String,
    place: String,
    department: String,
    escort_user_id: String,
    escort_name: String,
    transport: String,
    language: String,
    note: String,
}

impl EscortForm {
    fn input(&self) -> EscortInput {
        EscortInput {
            unit_id: self.unit_id.parse().ok(),
            client_id: self.client_id.trim().parse().ok(),
            appointment_on: self.appointment_on.clone(),
            appointment_time: self.appointment_time.clone(),
            place: self.place.clone(),
            department: self.department.clone(),
            escort_user_id: self.escort_user_id.parse().ok(),
            escort_name: self.escort_name.clone(),
            transport: self.transport.clone(),
            language: self.language.clone(),
            note: self.note.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "outreach_escorts.html")]
struct EscortsPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    escorts: Vec<Escort>,
    add_units: Vec<ServiceUnit>,
    members: Vec<(UserId, String)>,
    client: Option<Client>,
    form: EscortForm,
    /// The escort whose outcome form came back with errors.
    failed: Option<EscortId>,
    errors: Vec<FieldError>,
}

impl EscortsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        if self.failed.is_some() {
            return Vec::new();
        }
        self.page.errors_for(&self.errors, f)
    }
    fn outcome_errs(&self, id: &EscortId) -> Vec<String> {
        if self.failed == Some(*id) {
            self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
        } else {
            Vec::new()
        }
    }
    fn status(&self, s: &EscortStatus) -> String {
        self.page.t(&format!("outreach-escort-{}", s.as_str()))
    }
    fn transport(&self, t: &Transport) -> String {
        self.page.t(&format!("outreach-transport-{}", t.as_str()))
    }
    fn transports(&self) -> Vec<(&'static str, String)> {
        Transport::ALL.iter().map(|t| (t.as_str(), self.transport(t))).collect()
    }
    fn planned(&self, e: &Escort) -> bool {
        e.status == EscortStatus::Planned && !self.add_units.is_empty()
    }
}

async fn escorts_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    form: EscortForm,
    failed: Option<EscortId>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/outreach/escorts").await;
    let escorts = svc::escorts(state, ctx, &ListParams::default()).await?;
    let add_units = units_with(state, ctx, Permission::EditOutreach).await?;
    let members = if add_units.is_empty() { Vec::new() } else { team_members(state, ctx).await? };
    let client = client_for(state, ctx, &form.client_id).await;
    let invalid = !errors.is_empty();
    let p = EscortsPage {
        notice: notice(&page, notice_key.as_deref()),
        l: Labels::new(state, ctx).await?,
        page,
        escorts,
        add_units,
        members,
        client,
        form,
        failed,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn escorts(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewOutreach, Scope::AnyUnit)?;
    let form = EscortForm { client_id: q.client_id, ..Default::default() };
    escorts_view(&state, &rc, &ctx, q.notice, form, None, Vec::new()).await
}

pub async fn create_escort(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<EscortForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    match svc::create_escort(&state, &ctx, &f.input()).await {
        Ok(_) => Ok(Redirect::to("/outreach/escorts?notice=escort-created").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => escorts_view(&state, &rc, &ctx, None, f, None, errors).await,
        Err(e) => Err(e),
    }
}

pub async fn close_escort(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<EscortId>,
    HtmlForm(f): HtmlForm<StepForm>,
) -> AppResult<Response> {
    let input = EscortOutcomeInput {
        status: f.status.clone(),
        outcome: f.outcome.clone(),
        next_appointment_on: f.next_appointment_on.clone(),
        version: f.version(),
    };
    match svc::close_escort(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to("/outreach/escorts?notice=escort-closed").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            escorts_view(&state, &rc, &ctx, None, EscortForm::default(), Some(id), errors).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            let errors = vec![FieldError::new("version", "stale-form")];
            escorts_view(&state, &rc, &ctx, None, EscortForm::default(), Some(id), errors).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Home visits

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct VisitForm {
    unit_id: String,
    client_id: String,
    planned_on: String,
    purpose: String,
    source_ref: String,
}

#[derive(Template)]
#[template(path = "outreach_visits.html")]
struct VisitsPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    visits: Vec<Visit>,
    add_units: Vec<ServiceUnit>,
    client: Option<Client>,
    form: VisitForm,
    failed: Option<VisitId>,
    errors: Vec<FieldError>,
}

impl VisitsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        if self.failed.is_some() {
            return Vec::new();
        }
        self.page.errors_for(&self.errors, f)
    }
    fn outcome_errs(&self, id: &VisitId) -> Vec<String> {
        if self.failed == Some(*id) {
            self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
        } else {
            Vec::new()
        }
    }
    fn status(&self, s: &VisitStatus) -> String {
        self.page.t(&format!("outreach-visit-{}", s.as_str()))
    }
    fn planned(&self, v: &Visit) -> bool {
        v.status == VisitStatus::Planned && !self.add_units.is_empty()
    }
}

async fn visits_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    form: VisitForm,
    failed: Option<VisitId>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/outreach/visits").await;
    let visits = svc::visits(state, ctx, &ListParams::default()).await?;
    let add_units = units_with(state, ctx, Permission::EditOutreach).await?;
    let client = client_for(state, ctx, &form.client_id).await;
    let invalid = !errors.is_empty();
    let p = VisitsPage {
        notice: notice(&page, notice_key.as_deref()),
        l: Labels::new(state, ctx).await?,
        page,
        visits,
        add_units,
        client,
        form,
        failed,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn visits(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewOutreach, Scope::AnyUnit)?;
    let planned_on = crate::clients::today(&state, ctx.user.org_id).await?.to_string();
    let form = VisitForm { client_id: q.client_id, source_ref: q.source_ref, planned_on, ..Default::default() };
    visits_view(&state, &rc, &ctx, q.notice, form, None, Vec::new()).await
}

pub async fn create_visit(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<VisitForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditOutreach, Scope::AnyUnit)?;
    let input = VisitInput {
        unit_id: f.unit_id.parse().ok(),
        client_id: f.client_id.trim().parse().ok(),
        planned_on: f.planned_on.clone(),
        purpose: f.purpose.clone(),
        source_ref: f.source_ref.clone(),
    };
    match svc::create_visit(&state, &ctx, &input).await {
        Ok(_) => Ok(Redirect::to("/outreach/visits?notice=visit-created").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => visits_view(&state, &rc, &ctx, None, f, None, errors).await,
        Err(e) => Err(e),
    }
}

pub async fn close_visit(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VisitId>,
    HtmlForm(f): HtmlForm<StepForm>,
) -> AppResult<Response> {
    let input = VisitDoneInput { status: f.status.clone(), outcome: f.outcome.clone(), done_on: f.done_on.clone(), version: f.version() };
    match svc::close_visit(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to("/outreach/visits?notice=visit-closed").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            visits_view(&state, &rc, &ctx, None, VisitForm::default(), Some(id), errors).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            let errors = vec![FieldError::new("version", "stale-form")];
            visits_view(&state, &rc, &ctx, None, VisitForm::default(), Some(id), errors).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreters and their languages

#[derive(Template)]
#[template(path = "outreach_interpreters.html")]
struct InterpretersPage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    interpreters: Vec<Interpreter>,
    /// The row whose form came back with errors, with what was typed.
    failed: Option<(UserId, String)>,
    errors: Vec<FieldError>,
}

impl InterpretersPage {
    fn names(&self, codes: &[String]) -> String {
        codes.iter().map(|c| self.l.lang(c)).collect::<Vec<_>>().join(", ")
    }
    fn value(&self, i: &Interpreter) -> String {
        match &self.failed {
            Some((u, typed)) if *u == i.user_id => typed.clone(),
            _ => i.languages.join(", "),
        }
    }
    fn row_errs(&self, i: &Interpreter) -> Vec<String> {
        match &self.failed {
            Some((u, _)) if *u == i.user_id => self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect(),
            _ => Vec::new(),
        }
    }
}

async fn interpreters_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    failed: Option<(UserId, String)>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/outreach/interpreters").await;
    let interpreters = svc::interpreters(state, ctx, None).await?;
    let invalid = !errors.is_empty();
    let p = InterpretersPage {
        notice: notice(&page, notice_key.as_deref()),
        l: Labels::new(state, ctx).await?,
        page,
        interpreters,
        failed,
        errors,
    };
    render_form(&p, invalid)
}

pub async fn interpreters(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    interpreters_view(&state, &rc, &ctx, q.notice, None, Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LanguagesForm {
    languages: String,
    version: String,
}

pub async fn save_interpreter(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(user_id): Path<UserId>,
    HtmlForm(f): HtmlForm<LanguagesForm>,
) -> AppResult<Response> {
    let input = InterpreterInput { languages: vec![f.languages.clone()], version: f.version.trim().parse().unwrap_or(-1) };
    let own = user_id == ctx.user.id && !ctx.can(Permission::EditOutreach, Scope::AnyUnit);
    match svc::save_interpreter(&state, &ctx, user_id, &input).await {
        Ok(_) if own => Ok(Redirect::to("/outreach/mine?notice=saved").into_response()),
        Ok(_) => Ok(Redirect::to("/outreach/interpreters?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(_) | DomainError::Stale)) if own => {
            Ok(Redirect::to("/outreach/mine?notice=not-saved").into_response())
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            interpreters_view(&state, &rc, &ctx, None, Some((user_id, f.languages)), errors).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            let errors = vec![FieldError::new("version", "stale-form")];
            interpreters_view(&state, &rc, &ctx, None, Some((user_id, f.languages)), errors).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// An interpreter's own page

#[derive(Template)]
#[template(path = "outreach_mine.html")]
struct MinePage {
    page: Page,
    l: Labels,
    notice: Option<String>,
    me: Interpreter,
    requests: Vec<Interpretation>,
}

impl MinePage {
    fn status(&self, s: &InterpretationStatus) -> String {
        self.page.t(&format!("outreach-status-{}", s.as_str()))
    }
    fn mode(&self, m: &InterpretationMode) -> String {
        self.page.t(&format!("outreach-mode-{}", m.as_str()))
    }
    fn names(&self, codes: &[String]) -> String {
        codes.iter().map(|c| self.l.lang(c)).collect::<Vec<_>>().join(", ")
    }
}

pub async fn mine(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    let me = svc::me(&state, &ctx).await?;
    let requests = svc::mine(&state, &ctx).await?;
    let page = Page::new(&state, &rc, "/outreach/mine").await;
    render(&MinePage { notice: notice(&page, q.notice.as_deref()), l: Labels::new(&state, &ctx).await?, page, me, requests })
}

// ---------------------------------------------------------------------------------------------
// The report

#[derive(Template)]
#[template(path = "outreach_report.html")]
struct ReportPage {
    page: Page,
    l: Labels,
    r: OutreachReport,
    categories: Vec<Category>,
    month: String,
    unit_id: String,
    report_units: Vec<ServiceUnit>,
    query: String,
}

impl ReportPage {
    fn category(&self, code: &str) -> String {
        self.categories
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.name(self.page.locale).to_string())
            .unwrap_or_else(|| svc::category_name(self.page.locale, code))
    }
    fn unit_key(&self, key: &str) -> String {
        self.l.units.iter().find(|u| u.id.to_string() == key).map(|u| u.name(self.page.locale).to_string()).unwrap_or_else(|| key.into())
    }
    fn h(&self, x: &f64) -> String {
        format!("{x:.1}")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    month: String,
    unit_id: String,
    format: String,
}

pub async fn report(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewOutreach, Scope::AnyUnit)?;
    let p = ReportParams { month: q.month.clone(), from: None, to: None, unit_id: q.unit_id.parse().ok(), format: String::new() };
    if !q.format.is_empty() {
        let format = ExportFormat::parse(&q.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
        return svc::export(&state, &ctx, &p, format).await;
    }
    let r = svc::report(&state, &ctx, &p).await?;
    let page = Page::new(&state, &rc, "/outreach/report").await;
    let categories = state.store.categories(ctx.user.org_id).await?;
    let month = r.from.format("%Y-%m").to_string();
    let query = format!("month={month}&unit_id={}", q.unit_id);
    let report_units = units_with(&state, &ctx, Permission::ViewOutreach).await?;
    render(&ReportPage { l: Labels::new(&state, &ctx).await?, page, r, categories, month, unit_id: q.unit_id, report_units, query })
}
