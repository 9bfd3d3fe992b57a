//! Volunteer pages: the register (with who needs which training and hours waiting for
//! approval), a volunteer's page (training, stages, duties, hours, certificates), courses,
//! duties with suggestions and assignment, the reports, the volunteer's own page and the page a
//! signed sign-up link opens. Every rule is checked in the service (`crate::volunteers`); every
//! form works without JavaScript and comes back with its input and messages when refused.

use super::HtmlForm;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_invalid, Page};
use crate::volunteers::{self as svc, link, AssignInput, ConfirmInput, DutyView, MyView, PeriodParams, VersionInput, VolunteerView};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Datelike;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::{AssignmentId, ClientId, CourseId, DutyId, HourEntryId, UnitId, UserId, VolunteerId};
use shegong_domain::locale::Locale;
use shegong_domain::units::ServiceUnit;
use shegong_domain::volunteers::{
    kinds, Assignment, AssignmentStatus, CheckStatus, Course, CourseInput, DecisionInput, Duty, DutyInput, HourEntry, HoursInput,
    PeerStage, Slot, StageInput, Suggestion, TrainingInput, Volunteer, VolunteerInput, VolunteerRole,
};
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/volunteers", get(list).post(create))
        .route("/volunteers/new", get(new_page))
        .route("/volunteers/courses", get(courses).post(create_course))
        .route("/volunteers/duties", get(duties).post(create_duty))
        .route("/volunteers/duties/{id}", get(show_duty))
        .route("/volunteers/duties/{id}/assign", post(assign))
        .route("/volunteers/duties/{id}/link", post(make_link))
        .route("/volunteers/assignments/{id}/check-in", post(check_in))
        .route("/volunteers/assignments/{id}/check-out", post(check_out))
        .route("/volunteers/assignments/{id}/confirm", post(confirm))
        .route("/volunteers/assignments/{id}/withdraw", post(withdraw))
        .route("/volunteers/hours/{id}/decide", post(decide))
        .route("/volunteers/report", get(report))
        .route("/volunteers/export", get(export))
        .route("/volunteers/{id}", get(show).post(update))
        .route("/volunteers/{id}/edit", get(edit_page))
        .route("/volunteers/{id}/trainings", post(add_training))
        .route("/volunteers/{id}/stages", post(add_stage))
        .route("/volunteers/{id}/hours", post(add_hours))
        .route("/volunteers/{id}/certificate", get(certificate))
        .route("/volunteer", get(me))
        .route("/volunteer/duties/{id}/sign-up", post(sign_up))
        .route("/volunteer/hours", post(report_hours))
        .route("/v/{token}", get(link_page).post(link_accept))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Empty {}

fn notice(page: &Page, key: Option<&str>) -> Option<String> {
    match key {
        Some("assigned" | "trained" | "hours" | "signed-up" | "link") => key.map(|k| page.t(&format!("vol-notice-{k}"))),
        other => super::notice(page, other),
    }
}

fn opt_id<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

/// Errors of one form on a page with several.
#[derive(Default)]
struct Failed {
    form: &'static str,
    errors: Vec<FieldError>,
}

impl Failed {
    fn of(form: &'static str, errors: Vec<FieldError>) -> Self {
        Self { form, errors }
    }
}

fn errs_of(page: &Page, f: &Failed, form: &str, field: &str) -> Vec<String> {
    if f.form == form {
        page.errors_for(&f.errors, field)
    } else {
        Vec::new()
    }
}

fn all_errs(page: &Page, f: &Failed, form: &str) -> Vec<String> {
    if f.form == form {
        f.errors.iter().map(|e| crate::page::field_message(page.locale, e)).collect()
    } else {
        Vec::new()
    }
}

/// Pages re-shown with a refused form answer 422; the others 200.
fn finish<T: Template>(t: &T, failed: &Failed) -> AppResult<Response> {
    if failed.errors.is_empty() {
        render(t)
    } else {
        render_invalid(t)
    }
}

/// `Invalid` errors come back as the form's messages; anything else is the error page.
fn invalid_or(e: AppError) -> Result<Vec<FieldError>, AppError> {
    match e {
        AppError::Domain(DomainError::Invalid(errors)) => Ok(errors),
        AppError::Domain(DomainError::Stale) => Ok(vec![FieldError::new("version", "stale-form")]),
        other => Err(other),
    }
}

fn role_names(page: &Page, roles: &[VolunteerRole]) -> String {
    roles.iter().map(|r| page.t(&format!("vol-role-{}", r.as_str()))).collect::<Vec<_>>().join("、")
}

fn hours_text(minutes: i32) -> String {
    let h = f64::from(minutes) / 60.0;
    if (h - h.round()).abs() < 1e-9 {
        format!("{}", h.round() as i64)
    } else {
        format!("{h:.2}")
    }
}

async fn my_units(state: &AppState, ctx: &Ctx, perm: Permission) -> AppResult<Vec<ServiceUnit>> {
    Ok(state.store.list_units(ctx.user.org_id).await?.into_iter().filter(|u| u.active && ctx.can(perm, Scope::Unit(u.id))).collect())
}

// ---- the register ----

#[derive(Template)]
#[template(path = "volunteers_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    volunteers: Vec<Volunteer>,
    units: Vec<ServiceUnit>,
    needs: Vec<(VolunteerId, String, Vec<String>)>,
    pending: Vec<(HourEntry, String)>,
    can_manage: bool,
    failed: Failed,
}

impl ListPage {
    fn unit(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| self.page.unit_name(u)).unwrap_or_default()
    }
    fn roles(&self, v: &Volunteer) -> String {
        role_names(&self.page, &v.roles)
    }
    fn hours(&self, e: &HourEntry) -> String {
        hours_text(e.minutes)
    }
    fn decide_errs(&self) -> Vec<String> {
        all_errs(&self.page, &self.failed, "decide")
    }
}

async fn list_view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, notice_key: Option<&str>, failed: Failed) -> AppResult<Response> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let page = Page::new(state, rc, "/volunteers").await;
    let volunteers = svc::list(state, ctx).await?;
    let courses = state.store.courses(ctx.user.org_id).await?;
    let needs = svc::training_needs(state, ctx)
        .await?
        .into_iter()
        .map(|n| {
            let titles =
                n.courses.iter().filter_map(|c| courses.iter().find(|k| k.id == *c)).map(|c| c.title(page.locale).to_string()).collect();
            (n.volunteer_id, n.name, titles)
        })
        .collect();
    let can_manage = ctx.can(Permission::ManageVolunteers, Scope::AnyUnit);
    let pending = if can_manage {
        svc::pending(state, ctx)
            .await?
            .into_iter()
            .map(|e| {
                let name = volunteers.iter().find(|v| v.id == e.volunteer_id).map(|v| v.display_name()).unwrap_or_default();
                (e, name)
            })
            .collect()
    } else {
        Vec::new()
    };
    let p = ListPage {
        notice: notice(&page, notice_key),
        units: state.store.list_units(ctx.user.org_id).await?,
        page,
        volunteers,
        needs,
        pending,
        can_manage,
        failed,
    };
    finish(&p, &p.failed)
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    list_view(&state, &rc, &ctx, q.notice.as_deref(), Failed::default()).await
}

// ---- registering and editing ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct VolunteerForm {
    unit_id: String,
    client_id: String,
    user_id: String,
    name_zh: String,
    name_en: String,
    phone: String,
    email: String,
    id_doc_type: String,
    id_doc_number: String,
    district: String,
    latitude: String,
    longitude: String,
    roles: Vec<String>,
    skills: String,
    languages: String,
    availability: Vec<String>,
    team: String,
    check_status: String,
    check_expires_on: String,
    emergency_name: String,
    emergency_phone: String,
    joined_on: String,
    active: String,
    version: String,
}

impl VolunteerForm {
    fn input(&self) -> VolunteerInput {
        VolunteerInput {
            unit_id: opt_id(&self.unit_id),
            client_id: opt_id(&self.client_id),
            user_id: opt_id(&self.user_id),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            id_doc_type: self.id_doc_type.clone(),
            id_doc_number: self.id_doc_number.clone(),
            district: self.district.clone(),
            latitude: self.latitude.clone(),
            longitude: self.longitude.clone(),
            roles: self.roles.clone(),
            skills: vec![self.skills.clone()],
            languages: vec![self.languages.clone()],
            availability: self.availability.clone(),
            team: self.team.clone(),
            check_status: self.check_status.clone(),
            check_expires_on: self.check_expires_on.clone(),
            emergency_name: self.emergency_name.clone(),
            emergency_phone: self.emergency_phone.clone(),
            joined_on: self.joined_on.clone(),
            active: self.active == "true" || self.version.trim().is_empty(),
            version: self.version.trim().parse().unwrap_or(0),
        }
    }

    fn of(v: &Volunteer) -> Self {
        Self {
            unit_id: v.unit_id.to_string(),
            client_id: v.client_id.map(|c| c.to_string()).unwrap_or_default(),
            user_id: v.user_id.map(|u| u.to_string()).unwrap_or_default(),
            name_zh: v.name_zh.clone(),
            name_en: v.name_en.clone(),
            phone: v.phone.clone(),
            email: v.email.clone(),
            id_doc_type: v.id_doc_type.map(|t| t.as_str().to_string()).unwrap_or_default(),
            id_doc_number: v.id_doc_number.clone().unwrap_or_default(),
            district: v.district.clone(),
            latitude: v.latitude.map(|x| x.to_string()).unwrap_or_default(),
            longitude: v.longitude.map(|x| x.to_string()).unwrap_or_default(),
            roles: v.roles.iter().map(|r| r.as_str().to_string()).collect(),
            skills: v.skills.join(", "),
            languages: v.languages.join(", "),
            availability: v.availability.iter().map(|s| s.as_str().to_string()).collect(),
            team: v.team.clone(),
            check_status: v.check_status.as_str().into(),
            check_expires_on: v.check_expires_on.map(|d| d.to_string()).unwrap_or_default(),
            emergency_name: v.emergency_name.clone(),
            emergency_phone: v.emergency_phone.clone(),
            joined_on: v.joined_on.to_string(),
            active: if v.active { "true".into() } else { String::new() },
            version: v.version.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "volunteers_form.html")]
struct FormPage {
    page: Page,
    id: Option<VolunteerId>,
    form: VolunteerForm,
    units: Vec<ServiceUnit>,
    logins: Vec<(UserId, String)>,
    errors: Vec<FieldError>,
}

impl FormPage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    fn all_errs(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn roles(&self) -> Vec<(&'static str, String, bool)> {
        VolunteerRole::ALL
            .iter()
            .map(|r| (r.as_str(), self.page.t(&format!("vol-role-{}", r.as_str())), self.form.roles.iter().any(|x| x == r.as_str())))
            .collect()
    }
    fn slots(&self) -> Vec<(&'static str, String, bool)> {
        Slot::ALL
            .iter()
            .map(|s| (s.as_str(), self.page.t(&format!("vol-slot-{}", s.as_str())), self.form.availability.iter().any(|x| x == s.as_str())))
            .collect()
    }
    fn checks(&self) -> Vec<(&'static str, String)> {
        CheckStatus::ALL.iter().map(|c| (c.as_str(), self.page.t(&format!("vol-check-{}", c.as_str())))).collect()
    }
    fn id_types(&self) -> Vec<(&'static str, String)> {
        shegong_domain::clients::IdDocType::ALL.iter().map(|t| (t.as_str(), self.page.t(&format!("id-doc-{}", t.as_str())))).collect()
    }
    fn action(&self) -> String {
        self.id.map(|i| format!("/volunteers/{i}")).unwrap_or_else(|| "/volunteers".into())
    }
}

async fn form_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: Option<VolunteerId>,
    form: VolunteerForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/volunteers").await;
    let logins = state
        .store
        .list_users(ctx.user.org_id)
        .await?
        .into_iter()
        .filter(|u| u.active && u.grants.allows(Permission::ServeDuties, Scope::AnyUnit))
        .map(|u| (u.id, format!("{} ({})", u.display_name, u.username)))
        .collect();
    let units = my_units(state, ctx, Permission::ManageVolunteers).await?;
    let p = FormPage { page, id, form, units, logins, errors };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// Register the volunteer from a client record.
    client: Option<ClientId>,
}

pub async fn new_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NewQuery>) -> AppResult<Response> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let mut form = VolunteerForm { check_status: "not_done".into(), ..Default::default() };
    if let Some(c) = q.client {
        let c = crate::clients::load(&state, &ctx, c, Permission::ViewClients).await?;
        form.client_id = c.id.to_string();
        form.unit_id = c.unit_id.to_string();
        form.name_zh = c.name_zh.clone();
        form.name_en = c.name_en.clone();
        form.phone = c.phones.first().cloned().unwrap_or_default();
        form.district = c.district.clone();
    }
    form_view(&state, &rc, &ctx, None, form, Vec::new()).await
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<VolunteerForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    match svc::register(&state, &ctx, &f.input()).await {
        Ok(v) => Ok(Redirect::to(&format!("/volunteers/{}?notice=created", v.id)).into_response()),
        Err(e) => form_view(&state, &rc, &ctx, None, f, invalid_or(e)?).await,
    }
}

pub async fn edit_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<VolunteerId>) -> AppResult<Response> {
    let v = svc::load(&state, &ctx, id, Permission::ManageVolunteers).await?;
    form_view(&state, &rc, &ctx, Some(id), VolunteerForm::of(&svc::mask(&ctx, v)), Vec::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    HtmlForm(f): HtmlForm<VolunteerForm>,
) -> AppResult<Response> {
    svc::load(&state, &ctx, id, Permission::ManageVolunteers).await?;
    match svc::update(&state, &ctx, id, &f.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/{id}?notice=saved")).into_response()),
        Err(e) => form_view(&state, &rc, &ctx, Some(id), f, invalid_or(e)?).await,
    }
}

// ---- a volunteer's page ----

#[derive(Template)]
#[template(path = "volunteers_view.html")]
struct ViewPage {
    page: Page,
    notice: Option<String>,
    v: VolunteerView,
    courses: Vec<Course>,
    units: Vec<ServiceUnit>,
    duties: Vec<(Assignment, Duty)>,
    can_manage: bool,
    failed: Failed,
    today: String,
}

impl ViewPage {
    fn errs(&self, form: &str, field: &str) -> Vec<String> {
        errs_of(&self.page, &self.failed, form, field)
    }
    fn roles(&self) -> String {
        role_names(&self.page, &self.v.volunteer.roles)
    }
    fn course(&self, id: &CourseId) -> String {
        self.courses.iter().find(|c| c.id == *id).map(|c| c.title(self.page.locale).to_string()).unwrap_or_default()
    }
    fn unit(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| self.page.unit_name(u)).unwrap_or_default()
    }
    fn hours(&self, e: &HourEntry) -> String {
        hours_text(e.minutes)
    }
    fn stages(&self) -> Vec<(&'static str, String)> {
        PeerStage::ALL.iter().map(|s| (s.as_str(), self.page.t(&format!("vol-stage-{}", s.as_str())))).collect()
    }
    fn is_peer(&self) -> bool {
        self.v.volunteer.roles.contains(&VolunteerRole::PeerSupporter)
    }
    fn slots(&self) -> String {
        self.v.volunteer.availability.iter().map(|s| self.page.t(&format!("vol-slot-{}", s.as_str()))).collect::<Vec<_>>().join("、")
    }
    fn tier(&self) -> String {
        self.v.year.tier.as_ref().map(|t| self.page.t(&format!("vol-tier-{t}"))).unwrap_or_else(|| "—".into())
    }
    fn year(&self) -> i32 {
        self.v.year.year
    }
    fn locales(&self) -> [Locale; 3] {
        Locale::ALL
    }
}

async fn volunteer_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: VolunteerId,
    notice_key: Option<&str>,
    failed: Failed,
) -> AppResult<Response> {
    let v = svc::view(state, ctx, id).await?;
    let page = Page::new(state, rc, &format!("/volunteers/{id}")).await;
    let org = ctx.user.org_id;
    let mut duties = Vec::new();
    for a in v.assignments.iter().filter(|a| a.status == AssignmentStatus::Assigned) {
        duties.push((a.clone(), state.store.get_duty(org, a.duty_id).await?));
    }
    let p = ViewPage {
        notice: notice(&page, notice_key),
        courses: state.store.courses(org).await?,
        units: state.store.list_units(org).await?,
        can_manage: ctx.can(Permission::ManageVolunteers, Scope::Unit(v.volunteer.unit_id)),
        today: crate::clients::today(state, org).await?.to_string(),
        page,
        v,
        duties,
        failed,
    };
    finish(&p, &p.failed)
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    volunteer_view(&state, &rc, &ctx, id, q.notice.as_deref(), Failed::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TrainingForm {
    course_id: String,
    completed_on: String,
}

pub async fn add_training(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    HtmlForm(f): HtmlForm<TrainingForm>,
) -> AppResult<Response> {
    let input = TrainingInput { course_id: opt_id(&f.course_id), completed_on: f.completed_on };
    match svc::record_training(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/{id}?notice=trained")).into_response()),
        Err(e) => volunteer_view(&state, &rc, &ctx, id, None, Failed::of("training", invalid_or(e)?)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StageForm {
    stage: String,
    started_on: String,
    note: String,
}

pub async fn add_stage(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    HtmlForm(f): HtmlForm<StageForm>,
) -> AppResult<Response> {
    let input = StageInput { stage: f.stage, started_on: f.started_on, note: f.note };
    match svc::add_stage(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/{id}?notice=saved")).into_response()),
        Err(e) => volunteer_view(&state, &rc, &ctx, id, None, Failed::of("stage", invalid_or(e)?)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HoursForm {
    served_on: String,
    hours: String,
    content: String,
    unit_id: String,
}

impl HoursForm {
    fn input(self) -> HoursInput {
        HoursInput { served_on: self.served_on, hours: self.hours, content: self.content, unit_id: opt_id(&self.unit_id) }
    }
}

pub async fn add_hours(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    HtmlForm(f): HtmlForm<HoursForm>,
) -> AppResult<Response> {
    match svc::add_hours(&state, &ctx, id, &f.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/{id}?notice=hours")).into_response()),
        Err(e) => volunteer_view(&state, &rc, &ctx, id, None, Failed::of("hours", invalid_or(e)?)).await,
    }
}

// ---- the certificate ----

#[derive(Template)]
#[template(path = "volunteers_certificate.html")]
struct CertificatePage {
    page: Page,
    c: svc::Certificate,
    hours: String,
    issued: String,
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CertificateQuery {
    year: Option<i32>,
    lang: Option<Locale>,
}

/// A printable page (the browser's print makes the paper or PDF copy) in the chosen language.
pub async fn certificate(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    Query(q): Query<CertificateQuery>,
) -> AppResult<Response> {
    let l = q.lang.unwrap_or(rc.locale);
    let c = svc::certificate(&state, &ctx, id, q.year, l).await?;
    let rc = RequestCtx { locale: l, ..rc };
    let page = Page::new(&state, &rc, &format!("/volunteers/{id}/certificate")).await;
    let hours = format!("{:.1}", c.hours);
    let issued = page.date(&c.issued_on);
    let back = if ctx.can(Permission::ViewVolunteers, Scope::AnyUnit) { format!("/volunteers/{id}") } else { "/volunteer".into() };
    render(&CertificatePage { page, c, hours, issued, back })
}

// ---- courses ----

#[derive(Template)]
#[template(path = "volunteers_courses.html")]
struct CoursesPage {
    page: Page,
    notice: Option<String>,
    courses: Vec<Course>,
    form: CourseForm,
    errors: Vec<FieldError>,
    can_manage: bool,
}

impl CoursesPage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    fn roles(&self, c: &Course) -> String {
        role_names(&self.page, &c.required_for)
    }
    fn role_choices(&self) -> Vec<(&'static str, String, bool)> {
        VolunteerRole::ALL
            .iter()
            .map(|r| (r.as_str(), self.page.t(&format!("vol-role-{}", r.as_str())), self.form.required_for.iter().any(|x| x == r.as_str())))
            .collect()
    }
    fn title(&self, c: &Course) -> String {
        c.title(self.page.locale).to_string()
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CourseForm {
    title_en: String,
    title_zh_hant: String,
    title_zh_hans: String,
    hours: String,
    valid_months: String,
    required_for: Vec<String>,
}

async fn courses_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<&str>,
    form: CourseForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/volunteers/courses").await;
    let p = CoursesPage {
        notice: notice(&page, notice_key),
        courses: svc::courses(state, ctx).await?,
        can_manage: ctx.can(Permission::ManageVolunteers, Scope::AnyUnit),
        page,
        form,
        errors,
    };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

pub async fn courses(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    courses_view(&state, &rc, &ctx, q.notice.as_deref(), CourseForm::default(), Vec::new()).await
}

pub async fn create_course(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<CourseForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let input = CourseInput {
        title_en: f.title_en.clone(),
        title_zh_hant: f.title_zh_hant.clone(),
        title_zh_hans: f.title_zh_hans.clone(),
        hours: f.hours.clone(),
        valid_months: f.valid_months.clone(),
        required_for: f.required_for.clone(),
        active: true,
        version: 0,
    };
    match svc::create_course(&state, &ctx, &input).await {
        Ok(_) => Ok(Redirect::to("/volunteers/courses?notice=created").into_response()),
        Err(e) => courses_view(&state, &rc, &ctx, None, f, invalid_or(e)?).await,
    }
}

// ---- duties ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DutyForm {
    unit_id: String,
    kind: String,
    ref_id: String,
    title: String,
    role: String,
    needed: String,
    date: String,
    starts_at: String,
    ends_at: String,
    location: String,
    client_id: String,
    courses: Vec<String>,
    skills: String,
    languages: String,
    needs_check: String,
}

impl DutyForm {
    fn input(&self) -> DutyInput {
        DutyInput {
            unit_id: opt_id(&self.unit_id),
            kind: self.kind.clone(),
            ref_id: opt_id(&self.ref_id),
            title: self.title.clone(),
            role: self.role.clone(),
            // Unreadable counts as out of range: the validation says what is allowed.
            needed: self.needed.trim().parse().unwrap_or(0),
            date: self.date.clone(),
            starts_at: self.starts_at.clone(),
            ends_at: self.ends_at.clone(),
            location: self.location.clone(),
            latitude: String::new(),
            longitude: String::new(),
            client_id: opt_id(&self.client_id),
            courses: self.courses.iter().filter_map(|c| opt_id(c)).collect(),
            skills: vec![self.skills.clone()],
            languages: vec![self.languages.clone()],
            needs_check: self.needs_check == "true",
        }
    }
}

#[derive(Template)]
#[template(path = "volunteers_duties.html")]
struct DutiesPage {
    page: Page,
    notice: Option<String>,
    duties: Vec<Duty>,
    units: Vec<ServiceUnit>,
    courses: Vec<Course>,
    form: DutyForm,
    errors: Vec<FieldError>,
    can_manage: bool,
}

impl DutiesPage {
    fn errs(&self, field: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, field)
    }
    fn unit(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| self.page.unit_name(u)).unwrap_or_default()
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        kinds::LISTED.iter().map(|k| (*k, self.page.t(&format!("vol-kind-{k}")))).collect()
    }
    fn kind(&self, d: &Duty) -> String {
        if kinds::LISTED.contains(&d.kind.as_str()) {
            self.page.t(&format!("vol-kind-{}", d.kind))
        } else {
            d.kind.clone()
        }
    }
    fn roles(&self) -> Vec<(&'static str, String)> {
        VolunteerRole::ALL.iter().map(|r| (r.as_str(), self.page.t(&format!("vol-role-{}", r.as_str())))).collect()
    }
    fn has_course(&self, c: &Course) -> bool {
        self.form.courses.iter().any(|x| *x == c.id.to_string())
    }
    fn title(&self, c: &Course) -> String {
        c.title(self.page.locale).to_string()
    }
}

async fn duties_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<&str>,
    form: DutyForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/volunteers/duties").await;
    let org = ctx.user.org_id;
    let p = DutiesPage {
        notice: notice(&page, notice_key),
        duties: svc::duties(state, ctx, &PeriodParams::default()).await?,
        units: my_units(state, ctx, Permission::ViewVolunteers).await?,
        courses: state.store.courses(org).await?.into_iter().filter(|c| c.active).collect(),
        can_manage: ctx.can(Permission::ManageVolunteers, Scope::AnyUnit),
        page,
        form,
        errors,
    };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

pub async fn duties(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let form = DutyForm { needed: "1".into(), ..Default::default() };
    duties_view(&state, &rc, &ctx, q.notice.as_deref(), form, Vec::new()).await
}

pub async fn create_duty(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<DutyForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    match svc::create_duty(&state, &ctx, &f.input()).await {
        Ok(d) => Ok(Redirect::to(&format!("/volunteers/duties/{}?notice=created", d.id)).into_response()),
        Err(e) => duties_view(&state, &rc, &ctx, None, f, invalid_or(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "volunteers_duty.html")]
struct DutyPage {
    page: Page,
    notice: Option<String>,
    view: DutyView,
    required: Vec<String>,
    suggestions: Vec<Suggestion>,
    can_manage: bool,
    failed: Failed,
    chosen: String,
    link: Option<String>,
}

impl DutyPage {
    fn errs(&self, form: &str) -> Vec<String> {
        all_errs(&self.page, &self.failed, form)
    }
    fn refusal(&self, r: &shegong_domain::volunteers::Refusal) -> String {
        crate::page::field_message(self.page.locale, &r.field_error("volunteer_id"))
    }
    fn role(&self) -> String {
        self.view.duty.role.map(|r| self.page.t(&format!("vol-role-{}", r.as_str()))).unwrap_or_else(|| self.page.t("vol-any-role"))
    }
    fn active(&self) -> Vec<&Assignment> {
        self.view.assignments.iter().filter(|a| a.status == AssignmentStatus::Assigned).collect()
    }
    fn km(&self, s: &Suggestion) -> String {
        s.reasons.distance_km.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())
    }
}

/// `shown`: the volunteer chosen in the forms and the link just made.
async fn duty_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: DutyId,
    notice_key: Option<&str>,
    failed: Failed,
    shown: (String, Option<String>),
) -> AppResult<Response> {
    let view = svc::duty(state, ctx, id).await?;
    let page = Page::new(state, rc, &format!("/volunteers/duties/{id}")).await;
    let can_manage = ctx.can(Permission::ManageVolunteers, Scope::Unit(view.duty.unit_id));
    let suggestions = if can_manage { svc::matches(state, ctx, id).await? } else { Vec::new() };
    let courses = state.store.courses(ctx.user.org_id).await?;
    let p = DutyPage {
        notice: notice(&page, notice_key),
        required: svc::required_titles(&view.duty, &courses, page.locale),
        page,
        view,
        suggestions,
        can_manage,
        failed,
        chosen: shown.0,
        link: shown.1,
    };
    finish(&p, &p.failed)
}

pub async fn show_duty(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<DutyId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    duty_view(&state, &rc, &ctx, id, q.notice.as_deref(), Failed::default(), (String::new(), None)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VolunteerChoice {
    volunteer_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<DutyId>,
    HtmlForm(f): HtmlForm<VolunteerChoice>,
) -> AppResult<Response> {
    match svc::assign(&state, &ctx, id, &AssignInput { volunteer_id: opt_id(&f.volunteer_id) }).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/duties/{id}?notice=assigned")).into_response()),
        Err(e) => duty_view(&state, &rc, &ctx, id, None, Failed::of("assign", invalid_or(e)?), (f.volunteer_id, None)).await,
    }
}

pub async fn make_link(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<DutyId>,
    HtmlForm(f): HtmlForm<VolunteerChoice>,
) -> AppResult<Response> {
    let Some(v) = opt_id(&f.volunteer_id) else {
        return duty_view(
            &state,
            &rc,
            &ctx,
            id,
            None,
            Failed::of("link", vec![FieldError::new("volunteer_id", "required")]),
            (String::new(), None),
        )
        .await;
    };
    match link::make(&state, &ctx, id, v).await {
        Ok(l) => duty_view(&state, &rc, &ctx, id, Some("link"), Failed::default(), (f.volunteer_id, Some(l.path))).await,
        Err(e) => duty_view(&state, &rc, &ctx, id, None, Failed::of("link", invalid_or(e)?), (f.volunteer_id, None)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BackForm {
    /// Where to return: the duty page (staff) or the volunteer's own page.
    back: String,
    version: String,
    hours: String,
}

fn back_to(f: &BackForm, duty: DutyId) -> String {
    if f.back == "me" {
        "/volunteer?notice=saved".into()
    } else {
        format!("/volunteers/duties/{duty}?notice=saved")
    }
}

async fn after_assignment(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    a: AssignmentId,
    f: &BackForm,
    r: AppResult<()>,
) -> AppResult<Response> {
    let duty = state.store.get_assignment(ctx.user.org_id, a).await?.duty_id;
    match r {
        Ok(()) => Ok(Redirect::to(&back_to(f, duty)).into_response()),
        Err(e) if f.back == "me" => me_view(state, rc, ctx, None, Failed::of("duty", invalid_or(e)?)).await,
        Err(e) => duty_view(state, rc, ctx, duty, None, Failed::of("assignment", invalid_or(e)?), (String::new(), None)).await,
    }
}

pub async fn check_in(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssignmentId>,
    HtmlForm(f): HtmlForm<BackForm>,
) -> AppResult<Response> {
    let r = svc::check_in(&state, &ctx, id).await.map(|_| ());
    after_assignment(&state, &rc, &ctx, id, &f, r).await
}

pub async fn check_out(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssignmentId>,
    HtmlForm(f): HtmlForm<BackForm>,
) -> AppResult<Response> {
    let r = svc::check_out(&state, &ctx, id).await.map(|_| ());
    after_assignment(&state, &rc, &ctx, id, &f, r).await
}

pub async fn confirm(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssignmentId>,
    HtmlForm(f): HtmlForm<BackForm>,
) -> AppResult<Response> {
    let input = ConfirmInput { hours: f.hours.clone(), version: f.version.trim().parse().unwrap_or(0) };
    let r = svc::confirm(&state, &ctx, id, &input).await.map(|_| ());
    after_assignment(&state, &rc, &ctx, id, &f, r).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AssignmentId>,
    HtmlForm(f): HtmlForm<BackForm>,
) -> AppResult<Response> {
    let r = svc::withdraw(&state, &ctx, id, &VersionInput { version: f.version.trim().parse().unwrap_or(0) }).await.map(|_| ());
    after_assignment(&state, &rc, &ctx, id, &f, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecideForm {
    approve: String,
    version: String,
}

pub async fn decide(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<HourEntryId>,
    HtmlForm(f): HtmlForm<DecideForm>,
) -> AppResult<Response> {
    let input = DecisionInput { approve: f.approve == "true", version: f.version.trim().parse().unwrap_or(0) };
    match svc::decide(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to("/volunteers?notice=saved").into_response()),
        Err(e) => list_view(&state, &rc, &ctx, None, Failed::of("decide", invalid_or(e)?)).await,
    }
}

// ---- reports ----

#[derive(Template)]
#[template(path = "volunteers_report.html")]
struct ReportPage {
    page: Page,
    report: shegong_domain::volunteers::VolunteerReport,
    ratios: Vec<shegong_domain::volunteers::RatioRow>,
    teams: Vec<shegong_domain::volunteers::TotalRow>,
    people: Vec<(String, shegong_domain::volunteers::TotalRow)>,
    units: Vec<ServiceUnit>,
    year: i32,
    can_export: bool,
}

impl ReportPage {
    fn unit(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| self.page.unit_name(u)).unwrap_or_default()
    }
    fn tier(&self, t: &Option<String>) -> String {
        t.as_ref().map(|t| self.page.t(&format!("vol-tier-{t}"))).unwrap_or_else(|| "—".into())
    }
    fn ratio(&self, r: &Option<f64>) -> String {
        r.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
    }
}

pub async fn report(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(p): Query<PeriodParams>) -> AppResult<Response> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/volunteers/report").await;
    let report = svc::volunteer_report(&state, &ctx, &p).await?;
    let year = report.to.year();
    let people_rows = svc::year_totals(&state, &ctx, &svc::TotalsParams { year: Some(year), by: "volunteer".into() }).await?.rows;
    let names: std::collections::HashMap<String, String> =
        svc::list(&state, &ctx).await?.into_iter().map(|v| (v.id.to_string(), v.display_name())).collect();
    let people = people_rows.into_iter().map(|r| (names.get(&r.key).cloned().unwrap_or_default(), r)).collect();
    let p = ReportPage {
        ratios: svc::ratios(&state, &ctx, &p).await?,
        teams: svc::year_totals(&state, &ctx, &svc::TotalsParams { year: Some(year), by: "team".into() }).await?.rows,
        units: state.store.list_units(ctx.user.org_id).await?,
        can_export: ctx.can(Permission::ManageVolunteers, Scope::AnyUnit),
        page,
        report,
        people,
        year,
    };
    render(&p)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    format: String,
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let format = crate::clients::export::ExportFormat::parse(&q.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
    crate::volunteers::export::export(&state, &ctx, &PeriodParams { from: q.from, to: q.to }, format).await
}

// ---- the volunteer's own page ----

#[derive(Template)]
#[template(path = "volunteers_me.html")]
struct MePage {
    page: Page,
    notice: Option<String>,
    me: MyView,
    failed: Failed,
    today: String,
}

impl MePage {
    fn errs(&self, form: &str, field: &str) -> Vec<String> {
        errs_of(&self.page, &self.failed, form, field)
    }
    fn form_errs(&self, form: &str) -> Vec<String> {
        all_errs(&self.page, &self.failed, form)
    }
    fn refusal(&self, r: &shegong_domain::volunteers::Refusal) -> String {
        crate::page::field_message(self.page.locale, &r.field_error("volunteer_id"))
    }
    fn hours(&self, e: &HourEntry) -> String {
        hours_text(e.minutes)
    }
    fn tier(&self) -> String {
        self.me.year.tier.as_ref().map(|t| self.page.t(&format!("vol-tier-{t}"))).unwrap_or_else(|| "—".into())
    }
}

async fn me_view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, notice_key: Option<&str>, failed: Failed) -> AppResult<Response> {
    let me = svc::me(state, ctx).await?;
    let page = Page::new(state, rc, "/volunteer").await;
    let p = MePage {
        notice: notice(&page, notice_key),
        today: crate::clients::today(state, ctx.user.org_id).await?.to_string(),
        page,
        me,
        failed,
    };
    finish(&p, &p.failed)
}

pub async fn me(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ServeDuties, Scope::AnyUnit)?;
    me_view(&state, &rc, &ctx, q.notice.as_deref(), Failed::default()).await
}

pub async fn sign_up(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<DutyId>,
    HtmlForm(_f): HtmlForm<Empty>,
) -> AppResult<Response> {
    ctx.require(Permission::ServeDuties, Scope::AnyUnit)?;
    match svc::sign_up(&state, &ctx, id).await {
        Ok(_) => Ok(Redirect::to("/volunteer?notice=signed-up").into_response()),
        Err(e) => me_view(&state, &rc, &ctx, None, Failed::of("duty", invalid_or(e)?)).await,
    }
}

pub async fn report_hours(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<HoursForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ServeDuties, Scope::AnyUnit)?;
    match svc::report_hours(&state, &ctx, &f.input()).await {
        Ok(_) => Ok(Redirect::to("/volunteer?notice=hours").into_response()),
        Err(e) => me_view(&state, &rc, &ctx, None, Failed::of("hours", invalid_or(e)?)).await,
    }
}

// ---- the signed sign-up link ----

#[derive(Template)]
#[template(path = "volunteers_link.html")]
struct LinkPage {
    page: Page,
    token: String,
    view: Option<link::LinkView>,
    message: Option<String>,
    done: bool,
}

async fn link_view(state: &AppState, rc: &RequestCtx, token: &str, errors: Vec<FieldError>, done: bool) -> AppResult<Response> {
    let page = Page::new(state, rc, "/v").await;
    let (view, mut message) = match link::open(state, token, page.locale).await {
        Ok(v) => (Some(v), None),
        Err(e) => (None, invalid_or(e)?.first().map(|e| crate::page::field_message(page.locale, e))),
    };
    if !errors.is_empty() {
        message = Some(errors.iter().map(|e| crate::page::field_message(page.locale, e)).collect::<Vec<_>>().join(" "));
    }
    let refused = message.is_some();
    let p = LinkPage { page, token: token.to_string(), view, message, done };
    if refused {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

/// Anyone holding the link may open it (no sign-in): it names one volunteer and one duty.
pub async fn link_page(
    State(state): State<AppState>,
    rc: RequestCtx,
    jar: axum_extra::extract::cookie::CookieJar,
    Path(token): Path<String>,
) -> AppResult<Response> {
    // The form must echo a token like the sign-in form's (double submit).
    let (jar, rc) = crate::html::accounts::pre_csrf(&state, jar, rc);
    let r = link_view(&state, &rc, &token, Vec::new(), false).await?;
    Ok((jar, r).into_response())
}

pub async fn link_accept(
    State(state): State<AppState>,
    rc: RequestCtx,
    Path(token): Path<String>,
    HtmlForm(_f): HtmlForm<Empty>,
) -> AppResult<Response> {
    match link::accept(&state, &token, rc.locale).await {
        Ok(_) => link_view(&state, &rc, &token, Vec::new(), true).await,
        Err(e) => link_view(&state, &rc, &token, invalid_or(e)?, false).await,
    }
}
