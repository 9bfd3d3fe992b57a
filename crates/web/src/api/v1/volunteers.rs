//! Volunteers over JSON: the register, courses and training, pathway stages, duties with
//! matching and assignment, signed sign-up links, check-in and out, hours and their approval,
//! the volunteer's own view, totals, reports, the service-record export and the settings.

use super::ApiJson;
use crate::clients::export::ExportFormat;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::volunteers::link::{self, SignUpLink};
use crate::volunteers::{
    self as svc, AssignInput, Certificate, ConfirmInput, DutyView, EligibilityQuery, MyView, PeriodParams, Totals, TotalsParams,
    TrainingNeed, VersionInput, VolunteerView,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::ids::{AssignmentId, CourseId, DutyId, HourEntryId, VolunteerId};
use shegong_domain::volunteers::{
    Assignment, Course, CourseInput, DecisionInput, Duty, DutyInput, Eligibility, HourEntry, HoursInput, RatioRow, Stage, StageInput,
    Suggestion, Training, TrainingInput, Volunteer, VolunteerInput, VolunteerReport, VolunteerSettings,
};

/// The volunteers of the caller's units, by name (identity numbers masked without the grant).
#[utoipa::path(get, path = "/api/v1/volunteers", tag = "volunteers", responses((status = 200, body = Vec<Volunteer>), (status = 403)))]
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Volunteer>>> {
    Ok(Json(svc::list(&state, &ctx).await?))
}

/// Registers a volunteer (may link a client record and a volunteer login).
#[utoipa::path(post, path = "/api/v1/volunteers", tag = "volunteers", request_body = VolunteerInput, responses((status = 201, body = Volunteer), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<VolunteerInput>,
) -> AppResult<(StatusCode, Json<Volunteer>)> {
    Ok((StatusCode::CREATED, Json(svc::register(&state, &ctx, &input).await?)))
}

/// A volunteer with training, stages, duties, hours and this year's total (the view is audited).
#[utoipa::path(get, path = "/api/v1/volunteers/{id}", tag = "volunteers", params(("id" = VolunteerId, Path)), responses((status = 200, body = VolunteerView), (status = 403), (status = 404)))]
pub async fn get(State(state): State<AppState>, ctx: Ctx, Path(id): Path<VolunteerId>) -> AppResult<Json<VolunteerView>> {
    Ok(Json(svc::view(&state, &ctx, id).await?))
}

/// Changes a volunteer at the version loaded (stale: 409).
#[utoipa::path(put, path = "/api/v1/volunteers/{id}", tag = "volunteers", params(("id" = VolunteerId, Path)), request_body = VolunteerInput,
    responses((status = 200, body = Volunteer), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    ApiJson(input): ApiJson<VolunteerInput>,
) -> AppResult<Json<Volunteer>> {
    Ok(Json(svc::update(&state, &ctx, id, &input).await?))
}

/// Records a course the volunteer completed (its expiry follows the course).
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/trainings", tag = "volunteers", params(("id" = VolunteerId, Path)), request_body = TrainingInput,
    responses((status = 201, body = Training), (status = 422)))]
pub async fn add_training(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    ApiJson(input): ApiJson<TrainingInput>,
) -> AppResult<(StatusCode, Json<Training>)> {
    Ok((StatusCode::CREATED, Json(svc::record_training(&state, &ctx, id, &input).await?)))
}

/// Records a peer supporter's pathway stage (enlightenment, enabling, thrive) from a date.
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/stages", tag = "volunteers", params(("id" = VolunteerId, Path)), request_body = StageInput,
    responses((status = 201, body = Stage), (status = 422)))]
pub async fn add_stage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    ApiJson(input): ApiJson<StageInput>,
) -> AppResult<(StatusCode, Json<Stage>)> {
    Ok((StatusCode::CREATED, Json(svc::add_stage(&state, &ctx, id, &input).await?)))
}

/// Hours a staff member records for the volunteer (approved at once).
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/hours", tag = "volunteers", params(("id" = VolunteerId, Path)), request_body = HoursInput,
    responses((status = 201, body = HourEntry), (status = 422)))]
pub async fn add_hours(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    ApiJson(input): ApiJson<HoursInput>,
) -> AppResult<(StatusCode, Json<HourEntry>)> {
    Ok((StatusCode::CREATED, Json(svc::add_hours(&state, &ctx, id, &input).await?)))
}

/// May this volunteer do work needing this role, these courses and (optionally) a background
/// check at this time? Every reason they may not. For capabilities that dispatch volunteers.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}/eligibility", tag = "volunteers", params(("id" = VolunteerId, Path), EligibilityQuery),
    responses((status = 200, body = Eligibility), (status = 422)))]
pub async fn eligibility(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    Query(q): Query<EligibilityQuery>,
) -> AppResult<Json<Eligibility>> {
    Ok(Json(svc::check_eligibility(&state, &ctx, id, &q).await?))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct CertificateParams {
    pub year: Option<i32>,
    /// `zh-Hant-HK` (default), `zh-Hans-CN` or `en`.
    pub lang: Option<shegong_domain::locale::Locale>,
}

/// What the volunteer's certificate for a year says (the printable page is `/volunteers/{id}/certificate`).
#[utoipa::path(get, path = "/api/v1/volunteers/{id}/certificate", tag = "volunteers", params(("id" = VolunteerId, Path), CertificateParams),
    responses((status = 200, body = Certificate), (status = 403)))]
pub async fn certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VolunteerId>,
    Query(p): Query<CertificateParams>,
) -> AppResult<Json<Certificate>> {
    Ok(Json(svc::certificate(&state, &ctx, id, p.year, p.lang.unwrap_or_default()).await?))
}

#[utoipa::path(get, path = "/api/v1/volunteers/courses", tag = "volunteers", responses((status = 200, body = Vec<Course>)))]
pub async fn courses(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Course>>> {
    Ok(Json(svc::courses(&state, &ctx).await?))
}

/// Adds a course; `required_for` names the roles that may not serve without it.
#[utoipa::path(post, path = "/api/v1/volunteers/courses", tag = "volunteers", request_body = CourseInput, responses((status = 201, body = Course), (status = 422)))]
pub async fn create_course(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CourseInput>,
) -> AppResult<(StatusCode, Json<Course>)> {
    Ok((StatusCode::CREATED, Json(svc::create_course(&state, &ctx, &input).await?)))
}

#[utoipa::path(put, path = "/api/v1/volunteers/courses/{id}", tag = "volunteers", params(("id" = CourseId, Path)), request_body = CourseInput,
    responses((status = 200, body = Course), (status = 409), (status = 422)))]
pub async fn update_course(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CourseId>,
    ApiJson(input): ApiJson<CourseInput>,
) -> AppResult<Json<Course>> {
    Ok(Json(svc::update_course(&state, &ctx, id, &input).await?))
}

/// Active volunteers whose roles need courses they lack or let expire.
#[utoipa::path(get, path = "/api/v1/volunteers/training-needs", tag = "volunteers", responses((status = 200, body = Vec<TrainingNeed>)))]
pub async fn training_needs(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<TrainingNeed>>> {
    Ok(Json(svc::training_needs(&state, &ctx).await?))
}

#[utoipa::path(get, path = "/api/v1/volunteers/duties", tag = "volunteers", params(PeriodParams), responses((status = 200, body = Vec<Duty>)))]
pub async fn duties(State(state): State<AppState>, ctx: Ctx, Query(p): Query<PeriodParams>) -> AppResult<Json<Vec<Duty>>> {
    Ok(Json(svc::duties(&state, &ctx, &p).await?))
}

/// Posts a duty: an activity session, a hotline shift, a delivery, a toy-library opening,
/// outreach or another capability's kind, with the role, number, time and courses it needs.
#[utoipa::path(post, path = "/api/v1/volunteers/duties", tag = "volunteers", request_body = DutyInput, responses((status = 201, body = Duty), (status = 422)))]
pub async fn create_duty(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<DutyInput>,
) -> AppResult<(StatusCode, Json<Duty>)> {
    Ok((StatusCode::CREATED, Json(svc::create_duty(&state, &ctx, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/volunteers/duties/{id}", tag = "volunteers", params(("id" = DutyId, Path)), responses((status = 200, body = DutyView), (status = 403)))]
pub async fn duty(State(state): State<AppState>, ctx: Ctx, Path(id): Path<DutyId>) -> AppResult<Json<DutyView>> {
    Ok(Json(svc::duty(&state, &ctx, id).await?))
}

/// Suggested volunteers, eligible first, with the reasons and what stops the others.
#[utoipa::path(get, path = "/api/v1/volunteers/duties/{id}/matches", tag = "volunteers", params(("id" = DutyId, Path)), responses((status = 200, body = Vec<Suggestion>)))]
pub async fn matches(State(state): State<AppState>, ctx: Ctx, Path(id): Path<DutyId>) -> AppResult<Json<Vec<Suggestion>>> {
    Ok(Json(svc::matches(&state, &ctx, id).await?))
}

/// Assigns a volunteer; refused with every reason (training, role, check, clash, full).
#[utoipa::path(post, path = "/api/v1/volunteers/duties/{id}/assignments", tag = "volunteers", params(("id" = DutyId, Path)), request_body = AssignInput,
    responses((status = 201, body = Assignment), (status = 422)))]
pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<DutyId>,
    ApiJson(input): ApiJson<AssignInput>,
) -> AppResult<(StatusCode, Json<Assignment>)> {
    Ok((StatusCode::CREATED, Json(svc::assign(&state, &ctx, id, &input).await?)))
}

/// A signed link for one volunteer to sign up for this duty without a login.
#[utoipa::path(post, path = "/api/v1/volunteers/duties/{id}/links", tag = "volunteers", params(("id" = DutyId, Path)), request_body = AssignInput,
    responses((status = 201, body = SignUpLink), (status = 422)))]
pub async fn make_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<DutyId>,
    ApiJson(input): ApiJson<AssignInput>,
) -> AppResult<(StatusCode, Json<SignUpLink>)> {
    let Some(v) = input.volunteer_id else {
        return Err(shegong_domain::DomainError::invalid("volunteer_id", "required").into());
    };
    Ok((StatusCode::CREATED, Json(link::make(&state, &ctx, id, v).await?)))
}

#[utoipa::path(post, path = "/api/v1/volunteers/assignments/{id}/check-in", tag = "volunteers", params(("id" = AssignmentId, Path)),
    responses((status = 200, body = Assignment), (status = 409)))]
pub async fn check_in(State(state): State<AppState>, ctx: Ctx, Path(id): Path<AssignmentId>) -> AppResult<Json<Assignment>> {
    Ok(Json(svc::check_in(&state, &ctx, id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Closed {
    pub assignment: Assignment,
    pub hours: HourEntry,
}

/// Checks out: the time on duty within the duty's span becomes approved hours.
#[utoipa::path(post, path = "/api/v1/volunteers/assignments/{id}/check-out", tag = "volunteers", params(("id" = AssignmentId, Path)),
    responses((status = 200, body = Closed), (status = 409), (status = 422)))]
pub async fn check_out(State(state): State<AppState>, ctx: Ctx, Path(id): Path<AssignmentId>) -> AppResult<Json<Closed>> {
    let (assignment, hours) = svc::check_out(&state, &ctx, id).await?;
    Ok(Json(Closed { assignment, hours }))
}

/// A staff member confirms the volunteer served (the duty's length unless `hours` is given).
#[utoipa::path(post, path = "/api/v1/volunteers/assignments/{id}/confirm", tag = "volunteers", params(("id" = AssignmentId, Path)), request_body = ConfirmInput,
    responses((status = 200, body = Closed), (status = 409), (status = 422)))]
pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssignmentId>,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> AppResult<Json<Closed>> {
    let (assignment, hours) = svc::confirm(&state, &ctx, id, &input).await?;
    Ok(Json(Closed { assignment, hours }))
}

#[utoipa::path(post, path = "/api/v1/volunteers/assignments/{id}/withdraw", tag = "volunteers", params(("id" = AssignmentId, Path)), request_body = VersionInput,
    responses((status = 200, body = Assignment), (status = 409), (status = 422)))]
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssignmentId>,
    ApiJson(input): ApiJson<VersionInput>,
) -> AppResult<Json<Assignment>> {
    Ok(Json(svc::withdraw(&state, &ctx, id, &input).await?))
}

/// Self-reported hours waiting for approval in the caller's units.
#[utoipa::path(get, path = "/api/v1/volunteers/hours/pending", tag = "volunteers", responses((status = 200, body = Vec<HourEntry>)))]
pub async fn pending(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<HourEntry>>> {
    Ok(Json(svc::pending(&state, &ctx).await?))
}

/// Approves or rejects self-reported hours at the version loaded.
#[utoipa::path(post, path = "/api/v1/volunteers/hours/{id}/decision", tag = "volunteers", params(("id" = HourEntryId, Path)), request_body = DecisionInput,
    responses((status = 200, body = HourEntry), (status = 409)))]
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<HourEntryId>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> AppResult<Json<HourEntry>> {
    Ok(Json(svc::decide(&state, &ctx, id, &input).await?))
}

/// The signed-in volunteer's record, duties, open duties (with whether they may take each),
/// hours and this year's total. Of people served: a name and district only.
#[utoipa::path(get, path = "/api/v1/volunteers/me", tag = "volunteers", responses((status = 200, body = MyView), (status = 403)))]
pub async fn me(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<MyView>> {
    Ok(Json(svc::me(&state, &ctx).await?))
}

/// The signed-in volunteer signs up for a duty.
#[utoipa::path(post, path = "/api/v1/volunteers/me/duties/{id}", tag = "volunteers", params(("id" = DutyId, Path)),
    responses((status = 201, body = Assignment), (status = 422)))]
pub async fn sign_up(State(state): State<AppState>, ctx: Ctx, Path(id): Path<DutyId>) -> AppResult<(StatusCode, Json<Assignment>)> {
    Ok((StatusCode::CREATED, Json(svc::sign_up(&state, &ctx, id).await?)))
}

/// The signed-in volunteer reports hours served outside a duty (they wait for approval).
#[utoipa::path(post, path = "/api/v1/volunteers/me/hours", tag = "volunteers", request_body = HoursInput, responses((status = 201, body = HourEntry), (status = 422)))]
pub async fn report_hours(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<HoursInput>,
) -> AppResult<(StatusCode, Json<HourEntry>)> {
    Ok((StatusCode::CREATED, Json(svc::report_hours(&state, &ctx, &input).await?)))
}

/// Hours per volunteer, team or unit for a year, with the tier reached.
#[utoipa::path(get, path = "/api/v1/volunteers/totals", tag = "volunteers", params(TotalsParams), responses((status = 200, body = Totals), (status = 422)))]
pub async fn totals(State(state): State<AppState>, ctx: Ctx, Query(p): Query<TotalsParams>) -> AppResult<Json<Totals>> {
    Ok(Json(svc::year_totals(&state, &ctx, &p).await?))
}

/// Volunteer person-times, distinct volunteers and hours by unit and month.
#[utoipa::path(get, path = "/api/v1/volunteers/report", tag = "volunteers", params(PeriodParams), responses((status = 200, body = VolunteerReport), (status = 422)))]
pub async fn report(State(state): State<AppState>, ctx: Ctx, Query(p): Query<PeriodParams>) -> AppResult<Json<VolunteerReport>> {
    Ok(Json(svc::volunteer_report(&state, &ctx, &p).await?))
}

/// Volunteers per social worker on each activity with volunteer duties in the period.
#[utoipa::path(get, path = "/api/v1/volunteers/ratios", tag = "volunteers", params(PeriodParams), responses((status = 200, body = Vec<RatioRow>)))]
pub async fn ratios(State(state): State<AppState>, ctx: Ctx, Query(p): Query<PeriodParams>) -> AppResult<Json<Vec<RatioRow>>> {
    Ok(Json(svc::ratios(&state, &ctx, &p).await?))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct ExportParams {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// `xlsx` (default) or `csv`.
    pub format: String,
}

/// Service records (name, identity document, content, date, hours, organisation) as XLSX or CSV.
#[utoipa::path(get, path = "/api/v1/volunteers/export", tag = "volunteers", params(ExportParams), responses((status = 200, description = "The file"), (status = 403)))]
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ExportParams>) -> AppResult<Response> {
    let format = ExportFormat::parse(&p.format).ok_or_else(|| shegong_domain::DomainError::invalid("format", "invalid-choice"))?;
    crate::volunteers::export::export(&state, &ctx, &PeriodParams { from: p.from, to: p.to }, format).await
}

#[utoipa::path(get, path = "/api/v1/volunteers/settings", tag = "volunteers", responses((status = 200, body = VolunteerSettings)))]
pub async fn settings(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<VolunteerSettings>> {
    Ok(Json(svc::settings(&state, &ctx).await?))
}

/// Replaces the agency's milestone tiers (individuals and teams) at the version loaded.
#[utoipa::path(put, path = "/api/v1/volunteers/settings", tag = "volunteers", request_body = VolunteerSettings,
    responses((status = 200, body = VolunteerSettings), (status = 409), (status = 422)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<VolunteerSettings>,
) -> AppResult<Json<VolunteerSettings>> {
    Ok(Json(svc::save_settings(&state, &ctx, &input).await?))
}
