//! Activity pages: list, plan and edit, the activity with its sessions, participants and
//! evaluation, the attendance checklist of a session (phone-sized, works without script),
//! walk-ins, sign-in sheet import, the calendar with clashes and the counts.

use super::{notice, HtmlForm};
use crate::activities as svc;
use crate::clients::{self as clients_svc, units_for};
use crate::ctx::{csrf_matches, Ctx, RequestCtx, CSRF_FIELD};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope, User};
use shegong_domain::activities::{
    Activity, ActivityDomain, ActivityFilter, ActivityInput, ActivityKind, ActivityStatus, AttendanceInput, AttendanceLine, Audience,
    CalendarEntry, CountGrain, Counts, EnrolInput, EvaluationInput, GroupStage, GuestInput, ObjectivesMet, Participant, Session,
    SessionInput,
};
use shegong_domain::clients::{AgeBand, Category, Client, ClientFilter, Sex};
use shegong_domain::ids::{ActivityId, ClientId, HouseholdId, SessionId, UnitId, UserId};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

/// Date for people: `2026年11月23日` or `23 Nov 2026`.
fn day(page: &Page, d: &NaiveDate) -> String {
    match page.locale {
        shegong_domain::locale::Locale::En => d.format("%-d %b %Y").to_string(),
        _ => d.format("%Y年%-m月%-d日").to_string(),
    }
}

fn field_errors(e: AppError) -> AppResult<Vec<FieldError>> {
    match e {
        AppError::Domain(DomainError::Invalid(f)) => Ok(f),
        other => Err(other),
    }
}

// ---- list ----

#[derive(Template)]
#[template(path = "activities_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    filter: ActivityFilter,
    activities: Vec<Activity>,
    units: Vec<ServiceUnit>,
    domains: Vec<ActivityDomain>,
    kinds: &'static [ActivityKind],
    can_edit: bool,
}

impl ListPage {
    fn unit_name(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| self.page.unit_name(u)).unwrap_or_default()
    }
    fn domain_name(&self, code: &str) -> String {
        self.domains.iter().find(|d| d.code == code).map(|d| d.name(self.page.locale).to_string()).unwrap_or_else(|| code.to_string())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: ActivityFilter,
    notice: Option<String>,
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/activities").await;
    let org = ctx.user.org_id;
    let units = units_for(&ctx, Permission::ViewActivities);
    let activities = state.store.list_activities(org, &q.filter, units.as_deref(), 200).await?;
    render(&ListPage {
        notice: notice(&page, q.notice.as_deref()),
        filter: q.filter,
        activities,
        units: state.store.list_units(org).await?,
        domains: state.store.activity_domains(org).await?,
        kinds: ActivityKind::ALL,
        can_edit: ctx.can(Permission::EditActivities, Scope::AnyUnit),
        page,
    })
}

// ---- plan and edit ----

#[derive(Template)]
#[template(path = "activity_form.html")]
struct FormPage {
    page: Page,
    activity_id: Option<ActivityId>,
    version: i64,
    input: ActivityInput,
    units: Vec<ServiceUnit>,
    domains: Vec<ActivityDomain>,
    categories: Vec<Category>,
    staff: Vec<User>,
    kinds: &'static [ActivityKind],
    statuses: &'static [ActivityStatus],
    stages: &'static [GroupStage],
    audiences: &'static [Audience],
    errors: Vec<FieldError>,
    stale: Option<String>,
}

impl FormPage {
    fn staff_selected(&self, id: &UserId) -> bool {
        self.input.staff.contains(id)
    }
    fn category_selected(&self, code: &str) -> bool {
        self.input.target_categories.iter().any(|c| c == code)
    }
}

#[allow(clippy::too_many_arguments)]
async fn form(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    activity_id: Option<ActivityId>,
    version: i64,
    input: ActivityInput,
    errors: Vec<FieldError>,
    stale: bool,
) -> AppResult<Response> {
    let path = activity_id.map(|id| format!("/activities/{id}/edit")).unwrap_or_else(|| "/activities/new".into());
    let page = Page::new(state, rc, &path).await;
    let org = ctx.user.org_id;
    let units = state
        .store
        .list_units(org)
        .await?
        .into_iter()
        .filter(|u| u.active && ctx.can(Permission::EditActivities, Scope::Unit(u.id)))
        .collect();
    let mut categories = state.store.categories(org).await?;
    categories.retain(|c| c.active && (ctx.user.sensitive_access || !c.sensitive));
    let staff = state.store.list_users(org).await?.into_iter().filter(|u| u.active).collect();
    let invalid = !errors.is_empty() || stale;
    let p = FormPage {
        stale: stale.then(|| page.t("error-stale")),
        page,
        activity_id,
        version,
        input,
        units,
        domains: state.store.activity_domains(org).await?.into_iter().filter(|d| d.active).collect(),
        categories,
        staff,
        kinds: ActivityKind::ALL,
        statuses: ActivityStatus::ALL,
        stages: GroupStage::ALL,
        audiences: Audience::ALL,
        errors,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn new_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::EditActivities, Scope::AnyUnit)?;
    let input = ActivityInput { kind: "group".into(), staff: vec![ctx.user.id], ..Default::default() };
    form(&state, &rc, &ctx, None, 0, input, Vec::new(), false).await
}

/// The form as posted: repeated `target_categories` and `staff` keys.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivityForm {
    unit_id: String,
    kind: String,
    title_en: String,
    title_zh_hant: String,
    title_zh_hans: String,
    domain: String,
    target_categories: Vec<String>,
    objectives: String,
    capacity: String,
    audience: String,
    staff: Vec<String>,
    volunteers_needed: String,
    partners: String,
    funding: String,
    status: String,
    stage: String,
    version: i64,
}

impl ActivityForm {
    fn input(self) -> ActivityInput {
        ActivityInput {
            unit_id: self.unit_id.trim().parse().ok(),
            kind: self.kind,
            title_en: self.title_en,
            title_zh_hant: self.title_zh_hant,
            title_zh_hans: self.title_zh_hans,
            domain: self.domain,
            target_categories: self.target_categories,
            objectives: self.objectives,
            capacity: self.capacity,
            audience: self.audience,
            staff: self.staff.iter().filter_map(|s| s.trim().parse().ok()).collect(),
            volunteers_needed: self.volunteers_needed,
            partners: self.partners,
            funding: self.funding,
            status: self.status,
            stage: self.stage,
        }
    }
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<ActivityForm>) -> AppResult<Response> {
    ctx.require(Permission::EditActivities, Scope::AnyUnit)?;
    let input = f.input();
    match svc::create(&state, &ctx, &input).await {
        Ok(a) => Ok(Redirect::to(&format!("/activities/{}?notice=created", a.id)).into_response()),
        Err(e) => form(&state, &rc, &ctx, None, 0, input, field_errors(e)?, false).await,
    }
}

pub async fn edit_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<ActivityId>) -> AppResult<Response> {
    let a = svc::load(&state, &ctx, id, Permission::EditActivities).await?;
    form(&state, &rc, &ctx, Some(id), a.version, ActivityInput::from(&a), Vec::new(), false).await
}

pub async fn update(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    HtmlForm(f): HtmlForm<ActivityForm>,
) -> AppResult<Response> {
    let version = f.version;
    let input = f.input();
    match svc::update(&state, &ctx, id, version, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{id}?notice=saved")).into_response()),
        Err(AppError::Domain(DomainError::Stale)) => {
            // Their version stands; the user's input stays in the form, at the current version.
            let current = state.store.get_activity(ctx.user.org_id, id).await?;
            form(&state, &rc, &ctx, Some(id), current.version, input, Vec::new(), true).await
        }
        Err(e) => form(&state, &rc, &ctx, Some(id), version, input, field_errors(e)?, false).await,
    }
}

// ---- one activity ----

#[derive(Template)]
#[template(path = "activity_view.html")]
struct ViewPage {
    page: Page,
    notice: Option<String>,
    activity: Activity,
    unit: String,
    domain: String,
    categories: Vec<String>,
    staff: Vec<String>,
    sessions: Vec<Session>,
    participants: Vec<Participant>,
    found: Vec<Client>,
    find: String,
    can_edit: bool,
    errors: Vec<FieldError>,
    session_input: SessionInput,
    evaluation_input: EvaluationInput,
    outcomes: &'static [ObjectivesMet],
    person_times: i64,
    sessions_held: i64,
}

impl ViewPage {
    fn title(&self) -> String {
        self.activity.title(self.page.locale).to_string()
    }
    fn day(&self, d: &NaiveDate) -> String {
        day(&self.page, d)
    }
    fn enrolled(&self) -> usize {
        self.participants.iter().filter(|p| p.status == shegong_domain::activities::EnrolmentStatus::Enrolled).count()
    }
    fn messages(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn stage_name(&self) -> String {
        self.activity.stage.map(|s| self.page.tp("act-stage-", &s)).unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewQuery {
    notice: Option<String>,
    /// Clients to enrol: a name, phone or number fragment.
    find: String,
}

#[allow(clippy::too_many_arguments)]
async fn view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: ActivityId,
    q: ViewQuery,
    errors: Vec<FieldError>,
    session_input: SessionInput,
    evaluation_input: EvaluationInput,
) -> AppResult<Response> {
    let a = svc::load(state, ctx, id, Permission::ViewActivities).await?;
    let org = ctx.user.org_id;
    let page = Page::new(state, rc, &format!("/activities/{id}")).await;
    let unit = state.store.get_unit(org, a.unit_id).await.map(|u| page.unit_name(&u)).unwrap_or_default();
    let domain = state
        .store
        .activity_domains(org)
        .await?
        .into_iter()
        .find(|d| d.code == a.domain)
        .map(|d| d.name(page.locale).to_string())
        .unwrap_or_else(|| a.domain.clone());
    let cats = state.store.categories(org).await?;
    let categories = a
        .target_categories
        .iter()
        .map(|c| cats.iter().find(|k| &k.code == c).map(|k| k.name(page.locale).to_string()).unwrap_or_else(|| c.clone()))
        .collect();
    let users = state.store.list_users(org).await?;
    let staff = a.staff.iter().filter_map(|s| users.iter().find(|u| u.id == *s)).map(|u| u.display_name.clone()).collect();
    let can_edit = ctx.can(Permission::EditActivities, Scope::Unit(a.unit_id));
    let found = if can_edit && !q.find.trim().is_empty() && ctx.can(Permission::ViewClients, Scope::AnyUnit) {
        let filter = ClientFilter { q: q.find.clone(), ..Default::default() };
        clients_svc::find(state, ctx, &filter, 0, 20).await?.clients
    } else {
        Vec::new()
    };
    let sessions = state.store.sessions(org, id).await?;
    let invalid = !errors.is_empty();
    let p = ViewPage {
        notice: notice(&page, q.notice.as_deref()),
        person_times: sessions.iter().map(|s| s.attendance).sum(),
        sessions_held: sessions.iter().filter(|s| s.held()).count() as i64,
        participants: state.store.participants(org, id).await?,
        sessions,
        unit,
        domain,
        categories,
        staff,
        found,
        find: q.find,
        can_edit,
        errors,
        session_input,
        evaluation_input,
        outcomes: ObjectivesMet::ALL,
        activity: a,
        page,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    view(&state, &rc, &ctx, id, q, Vec::new(), SessionInput::default(), EvaluationInput::default()).await
}

/// The session form as posted (with its CSRF field, which the API's input type refuses).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SessionForm {
    date: String,
    starts_at: String,
    ends_at: String,
    venue: String,
}

pub async fn add_session(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    HtmlForm(f): HtmlForm<SessionForm>,
) -> AppResult<Response> {
    let input = SessionInput { date: f.date, starts_at: f.starts_at, ends_at: f.ends_at, venue: f.venue };
    match svc::add_session(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{id}?notice=saved#sessions")).into_response()),
        Err(e) => view(&state, &rc, &ctx, id, ViewQuery::default(), field_errors(e)?, input, EvaluationInput::default()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrolForm {
    client: Vec<String>,
    household: String,
    guest_name: String,
}

pub async fn enrol(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    HtmlForm(f): HtmlForm<EnrolForm>,
) -> AppResult<Response> {
    let input = EnrolInput {
        clients: f.client.iter().filter_map(|c| c.trim().parse::<ClientId>().ok()).collect(),
        household: f.household.trim().parse::<HouseholdId>().ok(),
        guest: (!f.guest_name.trim().is_empty()).then(|| GuestInput { name: f.guest_name.clone(), ..Default::default() }),
    };
    match svc::enrol(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{id}?notice=saved#participants")).into_response()),
        Err(e) => {
            view(&state, &rc, &ctx, id, ViewQuery::default(), field_errors(e)?, SessionInput::default(), EvaluationInput::default()).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EvaluationForm {
    version: i64,
    objectives_met: String,
    summary: String,
}

pub async fn evaluate(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    HtmlForm(f): HtmlForm<EvaluationForm>,
) -> AppResult<Response> {
    let input = EvaluationInput { objectives_met: f.objectives_met, summary: f.summary };
    match svc::evaluate(&state, &ctx, id, f.version, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{id}?notice=saved")).into_response()),
        Err(AppError::Domain(DomainError::Stale)) => {
            let errs = vec![FieldError::new("summary", "stale-form")];
            view(&state, &rc, &ctx, id, ViewQuery::default(), errs, SessionInput::default(), input).await
        }
        Err(e) => view(&state, &rc, &ctx, id, ViewQuery::default(), field_errors(e)?, SessionInput::default(), input).await,
    }
}

// ---- one session: the attendance checklist ----

#[derive(Template)]
#[template(path = "session_view.html")]
struct SessionPage {
    page: Page,
    notice: Option<String>,
    session: Session,
    activity: Activity,
    lines: Vec<AttendanceLine>,
    errors: Vec<FieldError>,
    guest: GuestInput,
    sexes: &'static [Sex],
    age_bands: &'static [AgeBand],
    can_record: bool,
    /// Staff recorded present, and the accounts that may be ticked.
    staff: Vec<shegong_domain::activities::StaffPresent>,
    staff_choices: Vec<(UserId, String)>,
}

impl SessionPage {
    fn staff_on(&self, id: &UserId) -> bool {
        self.staff.iter().any(|s| s.user_id == *id)
    }
    fn title(&self) -> String {
        self.activity.title(self.page.locale).to_string()
    }
    fn day(&self) -> String {
        day(&self.page, &self.session.date)
    }
    fn present(&self) -> usize {
        self.lines.iter().filter(|l| l.present).count()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SessionQuery {
    notice: Option<String>,
}

async fn session_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: SessionId,
    n: Option<String>,
    errors: Vec<FieldError>,
    guest: GuestInput,
) -> AppResult<Response> {
    let (session, activity) = svc::load_session(state, ctx, id, Permission::ViewActivities).await?;
    let page = Page::new(state, rc, &format!("/sessions/{id}")).await;
    let invalid = !errors.is_empty();
    let can_record = ctx.can(Permission::RecordAttendance, Scope::Unit(activity.unit_id));
    let staff_choices = if can_record { svc::staff_choices(state, ctx, activity.unit_id).await? } else { Vec::new() };
    let p = SessionPage {
        notice: notice(&page, n.as_deref()),
        lines: state.store.attendance(ctx.user.org_id, id).await?,
        can_record,
        staff: state.store.staff_attendance(ctx.user.org_id, id).await?,
        staff_choices,
        session,
        activity,
        errors,
        guest,
        sexes: Sex::ALL,
        age_bands: AgeBand::ALL,
        page,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn show_session(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    Query(q): Query<SessionQuery>,
) -> AppResult<Response> {
    session_view(&state, &rc, &ctx, id, q.notice, Vec::new(), GuestInput::default()).await
}

/// The staff ticked present (unticked boxes are not sent: the list replaces what was recorded).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StaffForm {
    staff: Vec<String>,
}

pub async fn mark_staff(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    HtmlForm(f): HtmlForm<StaffForm>,
) -> AppResult<Response> {
    let input = shegong_domain::activities::StaffAttendanceInput { present: f.staff.iter().filter_map(|s| s.parse().ok()).collect() };
    match svc::set_staff(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?notice=saved")).into_response()),
        Err(e) => session_view(&state, &rc, &ctx, id, None, field_errors(e)?, GuestInput::default()).await,
    }
}

/// The checklist as posted: every listed person, the ticked ones, or "all present".
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChecklistForm {
    listed: Vec<i64>,
    present: Vec<i64>,
    all: String,
}

pub async fn mark(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    HtmlForm(f): HtmlForm<ChecklistForm>,
) -> AppResult<Response> {
    let input = if !f.all.is_empty() {
        AttendanceInput { all_enrolled_present: true, ..Default::default() }
    } else {
        // Unticked boxes are not sent: whoever was listed and not ticked is absent.
        let absent = f.listed.iter().filter(|n| !f.present.contains(n)).copied().collect();
        AttendanceInput { present: f.present, absent, all_enrolled_present: false }
    };
    match svc::mark(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?notice=saved")).into_response()),
        Err(e) => session_view(&state, &rc, &ctx, id, None, field_errors(e)?, GuestInput::default()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GuestForm {
    name: String,
    sex: String,
    age_band: String,
}

pub async fn walk_in(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    HtmlForm(f): HtmlForm<GuestForm>,
) -> AppResult<Response> {
    let input = GuestInput { name: f.name, sex: f.sex, age_band: f.age_band };
    match svc::walk_in(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?notice=saved")).into_response()),
        Err(e) => session_view(&state, &rc, &ctx, id, None, field_errors(e)?, input).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogForm {
    version: i64,
    log: String,
}

pub async fn save_log(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    HtmlForm(f): HtmlForm<LogForm>,
) -> AppResult<Response> {
    match svc::save_log(&state, &ctx, id, f.version, &f.log).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?notice=saved")).into_response()),
        Err(AppError::Domain(DomainError::Stale)) => {
            session_view(&state, &rc, &ctx, id, None, vec![FieldError::new("log", "stale-form")], GuestInput::default()).await
        }
        Err(e) => session_view(&state, &rc, &ctx, id, None, field_errors(e)?, GuestInput::default()).await,
    }
}

/// POST /attendance/import (multipart: `_csrf`, `session_id`, `file`): a paper sign-in sheet.
pub async fn import_sheet(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let mut multipart = multipart.map_err(|_| AppError::UnsupportedMedia)?;
    let (mut csrf, mut session, mut file) = (String::new(), String::new(), None);
    let bad = |_| AppError::Malformed("multipart".into());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or_default().to_string();
                file = Some((name, field.bytes().await.map_err(bad)?.to_vec()));
            }
            CSRF_FIELD => csrf = field.text().await.map_err(bad)?,
            "session_id" => session = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    // The middleware does not read multipart bodies: the token is checked here, first.
    if !csrf_matches(&ctx.csrf, &csrf) {
        return Err(AppError::Csrf);
    }
    ctx.require(Permission::RecordAttendance, Scope::AnyUnit)?;
    let id: SessionId = session.trim().parse().map_err(|_| AppError::Domain(DomainError::NotFound))?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        svc::load_session(&state, &ctx, id, Permission::RecordAttendance).await?;
        return session_view(&state, &rc, &ctx, id, None, vec![FieldError::new("file", "required")], GuestInput::default()).await;
    };
    match svc::import_sheet(&state, &ctx, id, &name, &bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?notice=saved")).into_response()),
        Err(e) => session_view(&state, &rc, &ctx, id, None, field_errors(e)?, GuestInput::default()).await,
    }
}

// ---- calendar and counts ----

#[derive(Template)]
#[template(path = "activities_calendar.html")]
struct CalendarPage {
    page: Page,
    entries: Vec<CalendarEntry>,
    units: Vec<ServiceUnit>,
    users: Vec<User>,
    q: PeriodQuery,
    from: NaiveDate,
    to: NaiveDate,
}

impl CalendarPage {
    fn day(&self, d: &NaiveDate) -> String {
        day(&self.page, d)
    }
    fn names(&self, ids: &[UserId]) -> String {
        ids.iter().filter_map(|i| self.users.iter().find(|u| u.id == *i)).map(|u| u.display_name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PeriodQuery {
    from: String,
    to: String,
    unit_id: String,
    worker: String,
    group_by: String,
}

impl PeriodQuery {
    fn unit(&self) -> Option<UnitId> {
        self.unit_id.trim().parse().ok()
    }
    fn dates(&self, from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
        let p = |s: &str, d| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").unwrap_or(d);
        (p(&self.from, from), p(&self.to, to))
    }
}

pub async fn calendar(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<PeriodQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let today = clients_svc::today(&state, org).await?;
    let (from, to) = q.dates(today, today + chrono::Duration::days(27));
    let worker = q.worker.trim().parse::<UserId>().ok();
    let entries = svc::calendar(&state, &ctx, q.unit(), worker, from, to).await?;
    let page = Page::new(&state, &rc, "/activities/calendar").await;
    render(&CalendarPage {
        page,
        entries,
        units: state.store.list_units(org).await?.into_iter().filter(|u| ctx.can(Permission::ViewActivities, Scope::Unit(u.id))).collect(),
        users: state.store.list_users(org).await?,
        q,
        from,
        to,
    })
}

#[derive(Template)]
#[template(path = "activities_counts.html")]
struct CountsPage {
    page: Page,
    counts: Counts,
    units: Vec<ServiceUnit>,
    domains: Vec<ActivityDomain>,
    categories: Vec<Category>,
    grains: &'static [CountGrain],
    q: PeriodQuery,
}

impl CountsPage {
    fn day(&self, d: &NaiveDate) -> String {
        day(&self.page, d)
    }
    fn key_name(&self, key: &str) -> String {
        match self.counts.group_by {
            CountGrain::Total => self.page.t("act-counts-all"),
            CountGrain::Unit => self.units.iter().find(|u| u.id.to_string() == key).map(|u| self.page.unit_name(u)).unwrap_or_default(),
            CountGrain::Domain => {
                self.domains.iter().find(|d| d.code == key).map(|d| d.name(self.page.locale).to_string()).unwrap_or_else(|| key.into())
            }
            CountGrain::Category if key.is_empty() => self.page.t("act-no-category"),
            CountGrain::Category => {
                self.categories.iter().find(|c| c.code == key).map(|c| c.name(self.page.locale).to_string()).unwrap_or_else(|| key.into())
            }
            CountGrain::Month => key.to_string(),
            CountGrain::Kind => self.page.tp("act-kind-", &key),
            CountGrain::UnitMonth => {
                let (unit, month) = key.split_once('/').unwrap_or((key, ""));
                let name = self.units.iter().find(|u| u.id.to_string() == unit).map(|u| self.page.unit_name(u)).unwrap_or_default();
                format!("{name} · {month}")
            }
        }
    }
    fn scope(&self) -> String {
        match &self.counts.units {
            None => self.page.t("act-scope-agency"),
            Some(us) => us
                .iter()
                .filter_map(|i| self.units.iter().find(|u| u.id == *i))
                .map(|u| self.page.unit_name(u))
                .collect::<Vec<_>>()
                .join("、"),
        }
    }
    fn uniques(&self, n: &Option<i64>) -> String {
        n.map(|n| self.page.num(&n)).unwrap_or_else(|| "—".into())
    }
}

pub async fn counts(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<PeriodQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let (from, to) = svc::default_period(&state, &ctx).await?;
    let (from, to) = q.dates(from, to);
    let grain = CountGrain::parse(q.group_by.trim()).unwrap_or(CountGrain::Total);
    let counts = svc::counts(&state, &ctx, q.unit(), from, to, grain).await?;
    let page = Page::new(&state, &rc, "/activities/counts").await;
    render(&CountsPage {
        page,
        counts,
        units: state.store.list_units(org).await?.into_iter().filter(|u| ctx.can(Permission::ViewActivities, Scope::Unit(u.id))).collect(),
        domains: state.store.activity_domains(org).await?,
        categories: state.store.categories(org).await?,
        grains: CountGrain::ALL,
        q,
    })
}
