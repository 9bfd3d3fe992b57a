//! Social intelligence over JSON: the incident log with its links, the knowledge base of
//! solutions with full-text search, and recommendations for a case or an incident.

use super::ApiJson;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::knowledge::{self as svc, RecommendParams, SearchParams, SolutionView};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use shegong_domain::ids::{IncidentId, SolutionId};
use shegong_domain::knowledge::{Incident, IncidentInput, IncidentView, LinkInput, Recommendation, Solution, SolutionInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, create_incident))
        .routes(routes!(get_incident, update_incident))
        .routes(routes!(link))
        .routes(routes!(search, create_solution))
        .routes(routes!(get_solution, update_solution))
        .routes(routes!(recommend))
}

/// Social incidents, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/incidents", tag = "knowledge", responses((status = 200, body = Vec<Incident>), (status = 403)))]
pub async fn list_incidents(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Incident>>> {
    Ok(Json(svc::incidents(&state, &ctx).await?))
}

/// Records a social incident (dates, districts, affected client categories).
#[utoipa::path(post, path = "/api/v1/knowledge/incidents", tag = "knowledge", request_body = IncidentInput,
    responses((status = 201, body = Incident), (status = 422)))]
pub async fn create_incident(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<IncidentInput>,
) -> AppResult<(StatusCode, Json<Incident>)> {
    Ok((StatusCode::CREATED, Json(svc::create_incident(&state, &ctx, &input).await?)))
}

/// An incident with the counts of linked cases, calls, assistance requests and activities and
/// their timeline (labels, never names).
#[utoipa::path(get, path = "/api/v1/knowledge/incidents/{id}", tag = "knowledge", params(("id" = IncidentId, Path)),
    responses((status = 200, body = IncidentView), (status = 404)))]
pub async fn get_incident(State(state): State<AppState>, ctx: Ctx, Path(id): Path<IncidentId>) -> AppResult<Json<IncidentView>> {
    Ok(Json(svc::incident(&state, &ctx, id).await?))
}

/// Edits an incident at its `version` (409 when someone saved it first).
#[utoipa::path(put, path = "/api/v1/knowledge/incidents/{id}", tag = "knowledge", params(("id" = IncidentId, Path)),
    request_body = IncidentInput, responses((status = 200, body = Incident), (status = 409), (status = 422)))]
pub async fn update_incident(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<IncidentId>,
    ApiJson(input): ApiJson<IncidentInput>,
) -> AppResult<Json<Incident>> {
    Ok(Json(svc::update_incident(&state, &ctx, id, &input).await?))
}

/// Links a case, hotline call, assistance request or activity (by id) to the incident.
#[utoipa::path(post, path = "/api/v1/knowledge/incidents/{id}/links", tag = "knowledge", params(("id" = IncidentId, Path)),
    request_body = LinkInput, responses((status = 200, body = IncidentView), (status = 422)))]
pub async fn link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<IncidentId>,
    ApiJson(input): ApiJson<LinkInput>,
) -> AppResult<Json<IncidentView>> {
    Ok(Json(svc::link(&state, &ctx, id, &input).await?))
}

/// Solutions matching `q` (Traditional or Simplified Chinese, or English), best first; every
/// solution when `q` is blank.
#[utoipa::path(get, path = "/api/v1/knowledge/solutions", tag = "knowledge", params(SearchParams),
    responses((status = 200, body = Vec<Solution>), (status = 403)))]
pub async fn search(State(state): State<AppState>, ctx: Ctx, Query(p): Query<SearchParams>) -> AppResult<Json<Vec<Solution>>> {
    Ok(Json(svc::search(&state, &ctx, &p).await?))
}

/// Adds a solution to the knowledge base.
#[utoipa::path(post, path = "/api/v1/knowledge/solutions", tag = "knowledge", request_body = SolutionInput,
    responses((status = 201, body = Solution), (status = 422)))]
pub async fn create_solution(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<SolutionInput>,
) -> AppResult<(StatusCode, Json<Solution>)> {
    Ok((StatusCode::CREATED, Json(svc::create_solution(&state, &ctx, &input).await?)))
}

/// A solution with the outcomes measured on clients served with its interventions.
#[utoipa::path(get, path = "/api/v1/knowledge/solutions/{id}", tag = "knowledge", params(("id" = SolutionId, Path)),
    responses((status = 200, body = SolutionView), (status = 404)))]
pub async fn get_solution(State(state): State<AppState>, ctx: Ctx, Path(id): Path<SolutionId>) -> AppResult<Json<SolutionView>> {
    Ok(Json(svc::solution(&state, &ctx, id).await?))
}

/// Edits a solution at its `version` (409 when someone saved it first).
#[utoipa::path(put, path = "/api/v1/knowledge/solutions/{id}", tag = "knowledge", params(("id" = SolutionId, Path)),
    request_body = SolutionInput, responses((status = 200, body = Solution), (status = 409), (status = 422)))]
pub async fn update_solution(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SolutionId>,
    ApiJson(input): ApiJson<SolutionInput>,
) -> AppResult<Json<Solution>> {
    Ok(Json(svc::update_solution(&state, &ctx, id, &input).await?))
}

/// Solutions for a case (`case_id`: its presenting problems and client categories) or an
/// incident (`incident_id`: its affected groups and text), ranked by matched problems and
/// categories, measured outcomes for similar clients and text relevance, each with its reasons.
#[utoipa::path(get, path = "/api/v1/knowledge/recommendations", tag = "knowledge", params(RecommendParams),
    responses((status = 200, body = Vec<Recommendation>), (status = 403), (status = 422)))]
pub async fn recommend(State(state): State<AppState>, ctx: Ctx, Query(p): Query<RecommendParams>) -> AppResult<Json<Vec<Recommendation>>> {
    Ok(Json(svc::recommend(&state, &ctx, &p).await?))
}
