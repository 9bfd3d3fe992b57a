//! Groups, programmes and activities over JSON: plan, sessions, enrol (waiting list), take
//! attendance, walk-ins, session logs, evaluation, calendars and counts.

use super::ApiJson;
use crate::activities as svc;
use crate::clients::units_for;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::activities::{
    Activity, ActivityDomain, ActivityFilter, ActivityInput, AttendanceInput, AttendanceLine, AttendanceOutcome, CalendarEntry, CountGrain,
    Counts, DomainInput, EnrolInput, EnrolOutcome, EvaluationInput, GuestInput, Participant, Session, SessionInput,
};
use shegong_domain::ids::{ActivityId, SessionId, UnitId, UserId};
use shegong_domain::DomainError;

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct ListParams {
    #[serde(flatten)]
    #[param(inline)]
    pub filter: ActivityFilter,
    /// At most 500.
    pub limit: Option<u64>,
}

/// Activities of the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ListParams), responses((status = 200, body = Vec<Activity>), (status = 403)))]
pub async fn list_activities(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Json<Vec<Activity>>> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    let units = units_for(&ctx, Permission::ViewActivities);
    let limit = p.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(state.store.list_activities(ctx.user.org_id, &p.filter, units.as_deref(), limit).await?))
}

/// Plans a group, programme, workshop or outing.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = Activity), (status = 403), (status = 422)))]
pub async fn create_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ActivityInput>,
) -> AppResult<(StatusCode, Json<Activity>)> {
    ctx.require(Permission::EditActivities, Scope::AnyUnit)?;
    Ok((StatusCode::CREATED, Json(svc::create(&state, &ctx, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = ActivityId, Path)), responses((status = 200, body = Activity), (status = 404)))]
pub async fn get_activity(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ActivityId>) -> AppResult<Json<Activity>> {
    Ok(Json(svc::load(&state, &ctx, id, Permission::ViewActivities).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActivityUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub activity: ActivityInput,
}

/// Replaces an activity. A stale `version` gets 409; unit, kind, domain and counting category
/// cannot change once attendance was taken (422).
#[utoipa::path(put, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = ActivityId, Path)), request_body = ActivityUpdate,
    responses((status = 200, body = Activity), (status = 409), (status = 422)))]
pub async fn update_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    ApiJson(u): ApiJson<ActivityUpdate>,
) -> AppResult<Json<Activity>> {
    Ok(Json(svc::update(&state, &ctx, id, u.version, &u.activity).await?))
}

/// The agency's service domains (core and specialty).
#[utoipa::path(get, path = "/api/v1/activities/domains", tag = "activities", responses((status = 200, body = Vec<ActivityDomain>)))]
pub async fn list_domains(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<ActivityDomain>>> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    Ok(Json(state.store.activity_domains(ctx.user.org_id).await?))
}

/// Adds or changes a specialty domain of the agency.
#[utoipa::path(post, path = "/api/v1/activities/domains", tag = "activities", request_body = DomainInput,
    responses((status = 200, body = Vec<ActivityDomain>), (status = 403), (status = 422)))]
pub async fn save_domain(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<DomainInput>,
) -> AppResult<Json<Vec<ActivityDomain>>> {
    ctx.require(Permission::EditActivities, Scope::Agency)?;
    state.store.save_activity_domain(&ctx.actor(), &input.validate()?).await?;
    Ok(Json(state.store.activity_domains(ctx.user.org_id).await?))
}

#[utoipa::path(get, path = "/api/v1/activities/{id}/sessions", tag = "activities", params(("id" = ActivityId, Path)), responses((status = 200, body = Vec<Session>)))]
pub async fn list_sessions(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ActivityId>) -> AppResult<Json<Vec<Session>>> {
    svc::load(&state, &ctx, id, Permission::ViewActivities).await?;
    Ok(Json(state.store.sessions(ctx.user.org_id, id).await?))
}

/// Plans a session (date, time, venue).
#[utoipa::path(post, path = "/api/v1/activities/{id}/sessions", tag = "activities", params(("id" = ActivityId, Path)), request_body = SessionInput,
    responses((status = 201, body = Session), (status = 422)))]
pub async fn add_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    ApiJson(input): ApiJson<SessionInput>,
) -> AppResult<(StatusCode, Json<Session>)> {
    Ok((StatusCode::CREATED, Json(svc::add_session(&state, &ctx, id, &input).await?)))
}

/// Participants: enrolled, waiting (with their place) and withdrawn.
#[utoipa::path(get, path = "/api/v1/activities/{id}/participants", tag = "activities", params(("id" = ActivityId, Path)), responses((status = 200, body = Vec<Participant>)))]
pub async fn list_participants(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ActivityId>) -> AppResult<Json<Vec<Participant>>> {
    svc::load(&state, &ctx, id, Permission::ViewActivities).await?;
    Ok(Json(state.store.participants(ctx.user.org_id, id).await?))
}

/// Enrols clients, a household's members or a guest; beyond capacity they wait.
#[utoipa::path(post, path = "/api/v1/activities/{id}/participants", tag = "activities", params(("id" = ActivityId, Path)), request_body = EnrolInput,
    responses((status = 200, body = EnrolOutcome), (status = 422)))]
pub async fn enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    ApiJson(input): ApiJson<EnrolInput>,
) -> AppResult<Json<EnrolOutcome>> {
    Ok(Json(svc::enrol(&state, &ctx, id, &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WithdrawBody {
    pub person_no: i64,
}

/// Withdraws a participant; the first person waiting takes the place.
#[utoipa::path(post, path = "/api/v1/activities/{id}/withdraw", tag = "activities", params(("id" = ActivityId, Path)), request_body = WithdrawBody,
    responses((status = 204), (status = 404)))]
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> AppResult<StatusCode> {
    svc::load(&state, &ctx, id, Permission::EditActivities).await?;
    state.store.withdraw(&ctx.actor(), id, b.person_no).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EvaluationBody {
    pub version: i64,
    #[serde(flatten)]
    pub evaluation: EvaluationInput,
}

/// The closing evaluation (objectives met, summary); the activity is then completed.
#[utoipa::path(put, path = "/api/v1/activities/{id}/evaluation", tag = "activities", params(("id" = ActivityId, Path)), request_body = EvaluationBody,
    responses((status = 200, body = Activity), (status = 409), (status = 422)))]
pub async fn evaluate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ActivityId>,
    ApiJson(b): ApiJson<EvaluationBody>,
) -> AppResult<Json<Activity>> {
    Ok(Json(svc::evaluate(&state, &ctx, id, b.version, &b.evaluation).await?))
}

/// The attendance checklist of a session.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/attendance", tag = "activities", params(("id" = SessionId, Path)), responses((status = 200, body = Vec<AttendanceLine>)))]
pub async fn attendance(State(state): State<AppState>, ctx: Ctx, Path(id): Path<SessionId>) -> AppResult<Json<Vec<AttendanceLine>>> {
    svc::load_session(&state, &ctx, id, Permission::ViewActivities).await?;
    Ok(Json(state.store.attendance(ctx.user.org_id, id).await?))
}

/// Marks people present or absent (idempotent; corrections are audited).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/attendance", tag = "activities", params(("id" = SessionId, Path)), request_body = AttendanceInput,
    responses((status = 200, body = AttendanceOutcome), (status = 422)))]
pub async fn mark(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    ApiJson(input): ApiJson<AttendanceInput>,
) -> AppResult<Json<AttendanceOutcome>> {
    Ok(Json(svc::mark(&state, &ctx, id, &input).await?))
}

/// The staff accounts recorded present at a session.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/staff", tag = "activities", params(("id" = SessionId, Path)),
    responses((status = 200, body = Vec<shegong_domain::activities::StaffPresent>)))]
pub async fn session_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SessionId>,
) -> AppResult<Json<Vec<shegong_domain::activities::StaffPresent>>> {
    Ok(Json(svc::staff(&state, &ctx, id).await?))
}

/// Records the staff present at a session (staff training such as a cultural-competence
/// workshop): the whole list, replacing what was recorded; kept apart from participants' counts.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/staff", tag = "activities", params(("id" = SessionId, Path)),
    request_body = shegong_domain::activities::StaffAttendanceInput,
    responses((status = 200, body = Vec<shegong_domain::activities::StaffPresent>), (status = 422)))]
pub async fn set_session_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    ApiJson(input): ApiJson<shegong_domain::activities::StaffAttendanceInput>,
) -> AppResult<Json<Vec<shegong_domain::activities::StaffPresent>>> {
    Ok(Json(svc::set_staff(&state, &ctx, id, &input).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WalkIn {
    pub person_no: i64,
}

/// Records a walk-in guest (minimal data) and marks them present.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/walk-ins", tag = "activities", params(("id" = SessionId, Path)), request_body = GuestInput,
    responses((status = 201, body = WalkIn), (status = 422)))]
pub async fn walk_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    ApiJson(input): ApiJson<GuestInput>,
) -> AppResult<(StatusCode, Json<WalkIn>)> {
    Ok((StatusCode::CREATED, Json(WalkIn { person_no: svc::walk_in(&state, &ctx, id, &input).await? })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LogBody {
    pub version: i64,
    pub log: String,
}

/// Writes the session log.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/log", tag = "activities", params(("id" = SessionId, Path)), request_body = LogBody,
    responses((status = 200, body = Session), (status = 409)))]
pub async fn save_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SessionId>,
    ApiJson(b): ApiJson<LogBody>,
) -> AppResult<Json<Session>> {
    Ok(Json(svc::save_log(&state, &ctx, id, b.version, &b.log).await?))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct CountParams {
    /// `YYYY-MM-DD`; a year back by default.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD` (inclusive); today by default.
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
    /// `total`, `unit`, `domain`, `category`, `month` or `kind`.
    pub group_by: Option<String>,
}

/// Sessions held, groups and events held, person-times (人次) and unique persons (人數) for a
/// period and scope, with the counting rule.
#[utoipa::path(get, path = "/api/v1/activities/counts", tag = "activities", params(CountParams), responses((status = 200, body = Counts), (status = 422)))]
pub async fn counts(State(state): State<AppState>, ctx: Ctx, Query(p): Query<CountParams>) -> AppResult<Json<Counts>> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    let (from, to) = svc::default_period(&state, &ctx).await?;
    let grain = match p.group_by.as_deref() {
        None | Some("") => CountGrain::Total,
        Some(g) => CountGrain::parse(g).ok_or_else(|| DomainError::invalid("group_by", "unknown-choice"))?,
    };
    Ok(Json(svc::counts(&state, &ctx, p.unit_id, p.from.unwrap_or(from), p.to.unwrap_or(to), grain).await?))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct CalendarParams {
    pub from: Option<NaiveDate>,
    /// At most 92 days after `from`.
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
    /// One worker's sessions.
    pub worker: Option<UserId>,
}

/// Sessions of a unit or a worker, with staff clashes.
#[utoipa::path(get, path = "/api/v1/activities/calendar", tag = "activities", params(CalendarParams), responses((status = 200, body = Vec<CalendarEntry>)))]
pub async fn calendar(State(state): State<AppState>, ctx: Ctx, Query(p): Query<CalendarParams>) -> AppResult<Json<Vec<CalendarEntry>>> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    let today = crate::clients::today(&state, ctx.user.org_id).await?;
    let from = p.from.unwrap_or(today);
    let to = p.to.unwrap_or(from + chrono::Duration::days(30));
    Ok(Json(svc::calendar(&state, &ctx, p.unit_id, p.worker, from, to).await?))
}
