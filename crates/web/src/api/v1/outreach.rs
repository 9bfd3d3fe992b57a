//! Outreach over JSON: sessions with the people contacted, interpreters and their languages,
//! interpretation and translation requests (assign, complete, cancel), medical escorts, home
//! visits, the units' task list, and the monthly report (JSON, CSV or XLSX).

use super::ApiJson;
use crate::clients::export::ExportFormat;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::outreach::{self as svc, InterpretationParams, LanguageName, ListParams, ReportParams};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shegong_domain::ids::{EscortId, InterpretationId, OutreachSessionId, UnitId, UserId, VisitId};
use shegong_domain::outreach::{
    AssignInterpreterInput, CancelInput, CompleteInput, Escort, EscortInput, EscortOutcomeInput, Interpretation, InterpretationInput,
    Interpreter, InterpreterInput, OutreachReport, OutreachSession, OutreachSessionInput, OutreachTask, Visit, VisitDoneInput, VisitInput,
};
use shegong_domain::DomainError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every outreach route. Merge into the API router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(outreach_languages))
        .routes(routes!(list_outreach_sessions, create_outreach_session))
        .routes(routes!(get_outreach_session))
        .routes(routes!(list_interpreters))
        .routes(routes!(save_interpreter))
        .routes(routes!(list_interpretations, create_interpretation))
        .routes(routes!(my_interpretations))
        .routes(routes!(get_interpretation))
        .routes(routes!(assign_interpretation))
        .routes(routes!(complete_interpretation))
        .routes(routes!(cancel_interpretation))
        .routes(routes!(list_escorts, create_escort))
        .routes(routes!(get_escort))
        .routes(routes!(close_escort))
        .routes(routes!(list_visits, create_visit))
        .routes(routes!(close_visit))
        .routes(routes!(outreach_tasks))
        .routes(routes!(outreach_report))
}

/// The languages of outreach records (BCP-47 codes), named in the caller's language.
#[utoipa::path(get, path = "/api/v1/outreach/languages", tag = "outreach", responses((status = 200, body = Vec<LanguageName>)))]
pub async fn outreach_languages(ctx: Ctx) -> AppResult<Json<Vec<LanguageName>>> {
    ctx.require(shegong_domain::accounts::Permission::ViewUnits, shegong_domain::accounts::Scope::AnyUnit)?;
    Ok(Json(svc::languages(&ctx)))
}

/// Outreach sessions of the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/outreach/sessions", tag = "outreach", params(ListParams),
    responses((status = 200, body = Vec<OutreachSession>), (status = 403)))]
pub async fn list_outreach_sessions(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Vec<OutreachSession>>> {
    Ok(Json(svc::sessions(&state, &ctx, &p).await?))
}

/// Logs a session: the team, the people contacted (clients, or anonymous counts by category and
/// language) and the follow-ups they need.
#[utoipa::path(post, path = "/api/v1/outreach/sessions", tag = "outreach", request_body = OutreachSessionInput,
    responses((status = 201, body = OutreachSession), (status = 422)))]
pub async fn create_outreach_session(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<OutreachSessionInput>,
) -> AppResult<(StatusCode, Json<OutreachSession>)> {
    Ok((StatusCode::CREATED, Json(svc::create_session(&state, &ctx, &input).await?)))
}

/// A session (the read is audited).
#[utoipa::path(get, path = "/api/v1/outreach/sessions/{id}", tag = "outreach", params(("id" = OutreachSessionId, Path)),
    responses((status = 200, body = OutreachSession), (status = 404)))]
pub async fn get_outreach_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<OutreachSessionId>,
) -> AppResult<Json<OutreachSession>> {
    Ok(Json(svc::session(&state, &ctx, id).await?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct InterpreterParams {
    /// Only people who may interpret in this unit.
    pub unit_id: Option<UnitId>,
}

/// Who may interpret, with the languages they cover (declared, and from their volunteer record).
#[utoipa::path(get, path = "/api/v1/outreach/interpreters", tag = "outreach", params(InterpreterParams),
    responses((status = 200, body = Vec<Interpreter>), (status = 403)))]
pub async fn list_interpreters(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<InterpreterParams>,
) -> AppResult<Json<Vec<Interpreter>>> {
    Ok(Json(svc::interpreters(&state, &ctx, p.unit_id).await?))
}

/// Declares the languages someone covers (codes or names): staff who arrange outreach for
/// anyone, an interpreter for themselves. 409 when `version` is not the one stored (0 before the
/// first save).
#[utoipa::path(put, path = "/api/v1/outreach/interpreters/{id}", tag = "outreach", params(("id" = UserId, Path)),
    request_body = InterpreterInput, responses((status = 200, body = Interpreter), (status = 409), (status = 422)))]
pub async fn save_interpreter(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(user_id): Path<UserId>,
    ApiJson(input): ApiJson<InterpreterInput>,
) -> AppResult<Json<Interpreter>> {
    Ok(Json(svc::save_interpreter(&state, &ctx, user_id, &input).await?))
}

/// Interpretation and translation requests of the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/outreach/interpretations", tag = "outreach", params(InterpretationParams),
    responses((status = 200, body = Vec<Interpretation>), (status = 403)))]
pub async fn list_interpretations(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<InterpretationParams>,
) -> AppResult<Json<Vec<Interpretation>>> {
    Ok(Json(svc::interpretations(&state, &ctx, &p).await?))
}

/// The requests assigned to the caller (an interpreter), open ones first, with the client's
/// preferred language.
#[utoipa::path(get, path = "/api/v1/outreach/interpretations/mine", tag = "outreach",
    responses((status = 200, body = Vec<Interpretation>), (status = 403)))]
pub async fn my_interpretations(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Interpretation>>> {
    Ok(Json(svc::mine(&state, &ctx).await?))
}

/// Takes a request; a blank language is the client's preferred language.
#[utoipa::path(post, path = "/api/v1/outreach/interpretations", tag = "outreach", request_body = InterpretationInput,
    responses((status = 201, body = Interpretation), (status = 422)))]
pub async fn create_interpretation(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<InterpretationInput>,
) -> AppResult<(StatusCode, Json<Interpretation>)> {
    Ok((StatusCode::CREATED, Json(svc::create_interpretation(&state, &ctx, &input).await?)))
}

/// A request (the read is audited).
#[utoipa::path(get, path = "/api/v1/outreach/interpretations/{id}", tag = "outreach", params(("id" = InterpretationId, Path)),
    responses((status = 200, body = Interpretation), (status = 404)))]
pub async fn get_interpretation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
) -> AppResult<Json<Interpretation>> {
    Ok(Json(svc::interpretation(&state, &ctx, id).await?))
}

/// Assigns a requested (or re-assigns an assigned) request. Someone who does not cover the
/// language: 422 `language-not-covered`; a stale version: 409.
#[utoipa::path(post, path = "/api/v1/outreach/interpretations/{id}/assign", tag = "outreach", params(("id" = InterpretationId, Path)),
    request_body = AssignInterpreterInput, responses((status = 200, body = Interpretation), (status = 409), (status = 422)))]
pub async fn assign_interpretation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    ApiJson(input): ApiJson<AssignInterpreterInput>,
) -> AppResult<Json<Interpretation>> {
    Ok(Json(svc::assign(&state, &ctx, id, &input).await?))
}

/// Completes an assigned request with the minutes spent (and pages of a document).
#[utoipa::path(post, path = "/api/v1/outreach/interpretations/{id}/complete", tag = "outreach", params(("id" = InterpretationId, Path)),
    request_body = CompleteInput, responses((status = 200, body = Interpretation), (status = 409), (status = 422)))]
pub async fn complete_interpretation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    ApiJson(input): ApiJson<CompleteInput>,
) -> AppResult<Json<Interpretation>> {
    Ok(Json(svc::complete(&state, &ctx, id, &input).await?))
}

/// Cancels a request not yet completed, with the reason.
#[utoipa::path(post, path = "/api/v1/outreach/interpretations/{id}/cancel", tag = "outreach", params(("id" = InterpretationId, Path)),
    request_body = CancelInput, responses((status = 200, body = Interpretation), (status = 409), (status = 422)))]
pub async fn cancel_interpretation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<InterpretationId>,
    ApiJson(input): ApiJson<CancelInput>,
) -> AppResult<Json<Interpretation>> {
    Ok(Json(svc::cancel(&state, &ctx, id, &input).await?))
}

/// Medical escorts of the caller's units, latest appointment first.
#[utoipa::path(get, path = "/api/v1/outreach/escorts", tag = "outreach", params(ListParams),
    responses((status = 200, body = Vec<Escort>), (status = 403)))]
pub async fn list_escorts(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Json<Vec<Escort>>> {
    Ok(Json(svc::escorts(&state, &ctx, &p).await?))
}

/// Arranges an escort to a hospital or clinic appointment.
#[utoipa::path(post, path = "/api/v1/outreach/escorts", tag = "outreach", request_body = EscortInput,
    responses((status = 201, body = Escort), (status = 422)))]
pub async fn create_escort(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<EscortInput>,
) -> AppResult<(StatusCode, Json<Escort>)> {
    Ok((StatusCode::CREATED, Json(svc::create_escort(&state, &ctx, &input).await?)))
}

/// An escort (the read is audited).
#[utoipa::path(get, path = "/api/v1/outreach/escorts/{id}", tag = "outreach", params(("id" = EscortId, Path)),
    responses((status = 200, body = Escort), (status = 404)))]
pub async fn get_escort(State(state): State<AppState>, ctx: Ctx, Path(id): Path<EscortId>) -> AppResult<Json<Escort>> {
    Ok(Json(svc::escort(&state, &ctx, id).await?))
}

/// Records an escort done (outcome, next appointment) or cancelled.
#[utoipa::path(post, path = "/api/v1/outreach/escorts/{id}/outcome", tag = "outreach", params(("id" = EscortId, Path)),
    request_body = EscortOutcomeInput, responses((status = 200, body = Escort), (status = 409), (status = 422)))]
pub async fn close_escort(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<EscortId>,
    ApiJson(input): ApiJson<EscortOutcomeInput>,
) -> AppResult<Json<Escort>> {
    Ok(Json(svc::close_escort(&state, &ctx, id, &input).await?))
}

/// Home visits of the caller's units, latest first.
#[utoipa::path(get, path = "/api/v1/outreach/visits", tag = "outreach", params(ListParams),
    responses((status = 200, body = Vec<Visit>), (status = 403)))]
pub async fn list_visits(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Json<Vec<Visit>>> {
    Ok(Json(svc::visits(&state, &ctx, &p).await?))
}

/// Plans a home visit; `source_ref` a hotline follow-up id (a missed check-in) brings its person.
#[utoipa::path(post, path = "/api/v1/outreach/visits", tag = "outreach", request_body = VisitInput,
    responses((status = 201, body = Visit), (status = 422)))]
pub async fn create_visit(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<VisitInput>,
) -> AppResult<(StatusCode, Json<Visit>)> {
    Ok((StatusCode::CREATED, Json(svc::create_visit(&state, &ctx, &input).await?)))
}

/// Records a planned visit done or missed (a visit from a missed check-in closes that follow-up).
#[utoipa::path(post, path = "/api/v1/outreach/visits/{id}/outcome", tag = "outreach", params(("id" = VisitId, Path)),
    request_body = VisitDoneInput, responses((status = 200, body = Visit), (status = 409), (status = 422)))]
pub async fn close_visit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<VisitId>,
    ApiJson(input): ApiJson<VisitDoneInput>,
) -> AppResult<Json<Visit>> {
    Ok(Json(svc::close_visit(&state, &ctx, id, &input).await?))
}

/// The units' task list: escorts tomorrow (the reminder) and today, visits due, missed
/// check-ins waiting for a visit.
#[utoipa::path(get, path = "/api/v1/outreach/tasks", tag = "outreach", params(InterpreterParams),
    responses((status = 200, body = Vec<OutreachTask>), (status = 403)))]
pub async fn outreach_tasks(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<InterpreterParams>,
) -> AppResult<Json<Vec<OutreachTask>>> {
    Ok(Json(svc::tasks(&state, &ctx, p.unit_id).await?))
}

/// Outreach contacts, interpretation hours by language, escorts by district and
/// ethnic-minority clients served (person-times and unique persons) for a month and unit.
/// `format=csv` or `xlsx` for a file.
#[utoipa::path(get, path = "/api/v1/outreach/report", tag = "outreach", params(ReportParams),
    responses((status = 200, body = OutreachReport), (status = 403)))]
pub async fn outreach_report(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Response> {
    if p.format.trim().is_empty() {
        return Ok(Json(svc::report(&state, &ctx, &p).await?).into_response());
    }
    let format = ExportFormat::parse(&p.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
    svc::export(&state, &ctx, &p, format).await
}
