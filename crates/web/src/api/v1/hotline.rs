//! Hotline over JSON: points and roster, topics, calls (logging, reading, escalation,
//! opening a case), the caller lookup and history, the follow-up queue, check-in schedules and
//! the statistics.

use super::ApiJson;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::hotline::{self as svc, CallerHistory, CallerMatch, CaseFromCallInput, DayListParams, PointView, Queue, StatsParams};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::cases::Case;
use shegong_domain::hotline::{
    AttemptInput, AttemptOutcome, Call, CallInput, CallerFlag, CheckInSchedule, FlagInput, FollowUp, FollowUpDoneInput, HotlinePoint,
    HotlineStats, PointInput, ScheduleInput, Shift, ShiftInput, Topic,
};
use shegong_domain::ids::{CallId, CheckInScheduleId, ClientId, FollowUpId, UnitId};

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct CallListParams {
    /// Only this point.
    pub unit_id: Option<UnitId>,
}

/// Recent calls of the caller's points, newest first (the view is audited).
#[utoipa::path(get, path = "/api/v1/hotline/calls", tag = "hotline", params(CallListParams), responses((status = 200, body = Vec<Call>), (status = 403)))]
pub async fn list_calls(State(state): State<AppState>, ctx: Ctx, Query(p): Query<CallListParams>) -> AppResult<Json<Vec<Call>>> {
    Ok(Json(svc::recent(&state, &ctx, p.unit_id).await?))
}

/// Logs a call; `follow_up` outcomes enter the queue, high and imminent risk are escalated.
#[utoipa::path(post, path = "/api/v1/hotline/calls", tag = "hotline", request_body = CallInput, responses((status = 201, body = Call), (status = 422)))]
pub async fn log_call(State(state): State<AppState>, ctx: Ctx, ApiJson(input): ApiJson<CallInput>) -> AppResult<(StatusCode, Json<Call>)> {
    Ok((StatusCode::CREATED, Json(svc::log(&state, &ctx, &input).await?)))
}

/// A call with its note: hotline staff of the point, the person's case workers and the operator
/// who took it. The view is audited.
#[utoipa::path(get, path = "/api/v1/hotline/calls/{id}", tag = "hotline", params(("id" = CallId, Path)), responses((status = 200, body = Call), (status = 403), (status = 404)))]
pub async fn get_call(State(state): State<AppState>, ctx: Ctx, Path(id): Path<CallId>) -> AppResult<Json<Call>> {
    Ok(Json(svc::call(&state, &ctx, id).await?))
}

/// The named supervisor acknowledges an escalation.
#[utoipa::path(post, path = "/api/v1/hotline/calls/{id}/acknowledge", tag = "hotline", params(("id" = CallId, Path)),
    responses((status = 200, body = Call), (status = 403), (status = 409)))]
pub async fn acknowledge(State(state): State<AppState>, ctx: Ctx, Path(id): Path<CallId>) -> AppResult<Json<Call>> {
    Ok(Json(svc::acknowledge(&state, &ctx, id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseFromCall {
    pub call: Call,
    pub case: Case,
}

/// Opens a case from a call in one step (source `hotline`, the note as the intake summary).
#[utoipa::path(post, path = "/api/v1/hotline/calls/{id}/case", tag = "hotline", params(("id" = CallId, Path)), request_body = CaseFromCallInput,
    responses((status = 201, body = CaseFromCall), (status = 403), (status = 422)))]
pub async fn open_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CallId>,
    ApiJson(input): ApiJson<CaseFromCallInput>,
) -> AppResult<(StatusCode, Json<CaseFromCall>)> {
    let (call, case) = svc::open_case(&state, &ctx, id, &input).await?;
    Ok((StatusCode::CREATED, Json(CaseFromCall { call, case })))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct LookupParams {
    /// A phone number or 4+ digits of one, or a name.
    pub q: String,
}

/// Registered people who may be calling (live lookup while the number is typed).
#[utoipa::path(get, path = "/api/v1/hotline/lookup", tag = "hotline", params(LookupParams), responses((status = 200, body = Vec<CallerMatch>)))]
pub async fn lookup(State(state): State<AppState>, ctx: Ctx, Query(p): Query<LookupParams>) -> AppResult<Json<Vec<CallerMatch>>> {
    Ok(Json(svc::lookup(&state, &ctx, &p.q).await?))
}

/// A caller's calls across points (within the caller's reach) and their flags; audited.
#[utoipa::path(get, path = "/api/v1/hotline/callers/{id}", tag = "hotline", params(("id" = ClientId, Path)),
    responses((status = 200, body = CallerHistory), (status = 403)))]
pub async fn caller(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ClientId>) -> AppResult<Json<CallerHistory>> {
    Ok(Json(svc::history(&state, &ctx, id).await?))
}

/// Flags a caller (e.g. `frequent_caller`) until a day.
#[utoipa::path(post, path = "/api/v1/hotline/callers/{id}/flags", tag = "hotline", params(("id" = ClientId, Path)), request_body = FlagInput,
    responses((status = 200, body = CallerFlag), (status = 422)))]
pub async fn set_flag(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    ApiJson(input): ApiJson<FlagInput>,
) -> AppResult<Json<CallerFlag>> {
    Ok(Json(svc::set_flag(&state, &ctx, id, &input).await?))
}

/// Open follow-ups (overdue first, until done), those done in the last day, and the
/// escalations waiting for the caller.
#[utoipa::path(get, path = "/api/v1/hotline/follow-ups", tag = "hotline", responses((status = 200, body = Queue), (status = 403)))]
pub async fn queue(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Queue>> {
    Ok(Json(svc::queue(&state, &ctx).await?))
}

/// Marks a follow-up done with what it found; a second time is 409.
#[utoipa::path(post, path = "/api/v1/hotline/follow-ups/{id}/done", tag = "hotline", params(("id" = FollowUpId, Path)), request_body = FollowUpDoneInput,
    responses((status = 200, body = FollowUp), (status = 409), (status = 422)))]
pub async fn complete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<FollowUpId>,
    ApiJson(input): ApiJson<FollowUpDoneInput>,
) -> AppResult<Json<FollowUp>> {
    Ok(Json(svc::complete(&state, &ctx, id, &input).await?))
}

/// A point's numbers, opening hours, roster for the week and who is on duty.
#[utoipa::path(get, path = "/api/v1/hotline/points/{id}", tag = "hotline", params(("id" = UnitId, Path)), responses((status = 200, body = PointView), (status = 403)))]
pub async fn get_point(State(state): State<AppState>, ctx: Ctx, Path(id): Path<UnitId>) -> AppResult<Json<PointView>> {
    Ok(Json(svc::point(&state, &ctx, id).await?))
}

/// Sets a point's numbers and opening hours (`version` 0 the first time; stale: 409).
#[utoipa::path(put, path = "/api/v1/hotline/points/{id}", tag = "hotline", params(("id" = UnitId, Path)), request_body = PointInput,
    responses((status = 200, body = HotlinePoint), (status = 409), (status = 422)))]
pub async fn save_point(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UnitId>,
    ApiJson(input): ApiJson<PointInput>,
) -> AppResult<Json<HotlinePoint>> {
    Ok(Json(svc::save_point(&state, &ctx, id, &input).await?))
}

/// Puts a staff member or trained volunteer on the point's roster.
#[utoipa::path(post, path = "/api/v1/hotline/points/{id}/shifts", tag = "hotline", params(("id" = UnitId, Path)), request_body = ShiftInput,
    responses((status = 201, body = Shift), (status = 422)))]
pub async fn add_shift(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UnitId>,
    ApiJson(input): ApiJson<ShiftInput>,
) -> AppResult<(StatusCode, Json<Shift>)> {
    Ok((StatusCode::CREATED, Json(svc::add_shift(&state, &ctx, id, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/hotline/topics", tag = "hotline", responses((status = 200, body = Vec<Topic>)))]
pub async fn topics(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Topic>>> {
    Ok(Json(svc::topics(&state, &ctx).await?))
}

/// Replaces the agency's topics (codes in use can be deactivated, not removed).
#[utoipa::path(put, path = "/api/v1/hotline/topics", tag = "hotline", request_body = Vec<Topic>, responses((status = 200, body = Vec<Topic>), (status = 422)))]
pub async fn save_topics(State(state): State<AppState>, ctx: Ctx, ApiJson(list): ApiJson<Vec<Topic>>) -> AppResult<Json<Vec<Topic>>> {
    Ok(Json(svc::save_topics(&state, &ctx, &list).await?))
}

/// The day's check-in calls (due or overdue); the caller's own unless `all`.
#[utoipa::path(get, path = "/api/v1/hotline/check-ins", tag = "hotline", params(DayListParams), responses((status = 200, body = Vec<CheckInSchedule>)))]
pub async fn day_list(State(state): State<AppState>, ctx: Ctx, Query(p): Query<DayListParams>) -> AppResult<Json<Vec<CheckInSchedule>>> {
    Ok(Json(svc::day_list(&state, &ctx, &p).await?))
}

/// Puts a tracked vulnerable person on a regular check-in schedule.
#[utoipa::path(post, path = "/api/v1/hotline/check-ins", tag = "hotline", request_body = ScheduleInput, responses((status = 201, body = CheckInSchedule), (status = 422)))]
pub async fn create_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> AppResult<(StatusCode, Json<CheckInSchedule>)> {
    Ok((StatusCode::CREATED, Json(svc::create_schedule(&state, &ctx, &input).await?)))
}

/// Records a check-in call; the second miss in a row sends a home visit.
#[utoipa::path(post, path = "/api/v1/hotline/check-ins/{id}/attempts", tag = "hotline", params(("id" = CheckInScheduleId, Path)), request_body = AttemptInput,
    responses((status = 200, body = AttemptOutcome), (status = 422)))]
pub async fn attempt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CheckInScheduleId>,
    ApiJson(input): ApiJson<AttemptInput>,
) -> AppResult<Json<AttemptOutcome>> {
    Ok(Json(svc::attempt(&state, &ctx, id, &input).await?))
}

/// Calls, unique callers (over the union), follow-ups, check-ins, shifts and staff-hours.
#[utoipa::path(get, path = "/api/v1/hotline/stats", tag = "hotline", params(StatsParams), responses((status = 200, body = HotlineStats), (status = 422)))]
pub async fn stats(State(state): State<AppState>, ctx: Ctx, Query(p): Query<StatsParams>) -> AppResult<Json<HotlineStats>> {
    Ok(Json(svc::stats(&state, &ctx, &p).await?))
}
