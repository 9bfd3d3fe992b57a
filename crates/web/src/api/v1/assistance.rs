//! Emergency assistance over JSON: requests (from a call, case, check-in or walk-in),
//! dispatch, the delivery steps with their proof photo, follow-up, the caller's own
//! deliveries, the report (JSON, CSV or XLSX) and the agency's list of needs.

use super::ApiJson;
use crate::assistance::{self as svc, Delivery, ReportParams, RequestParams};
use crate::clients::export::ExportFormat;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shegong_domain::assistance::{
    AssistanceReport, AssistanceRequest, AssistanceSettings, DeliveryInput, DispatchInput, FollowUpInput, RequestInput,
};
use shegong_domain::ids::AssistanceRequestId;
use shegong_domain::DomainError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every assistance route; the photo upload with its own body limit. Merge into the API router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_photo, put_photo))
        .layer(axum::extract::DefaultBodyLimit::max(super::lending::PHOTO_LIMIT))
        .routes(routes!(list_requests, create_request))
        .routes(routes!(get_request))
        .routes(routes!(dispatch))
        .routes(routes!(delivery))
        .routes(routes!(follow_up))
        .routes(routes!(mine))
        .routes(routes!(report))
        .routes(routes!(get_settings, save_settings))
}

/// The requests of the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/assistance/requests", tag = "assistance", params(RequestParams),
    responses((status = 200, body = Vec<AssistanceRequest>), (status = 403)))]
pub async fn list_requests(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<RequestParams>,
) -> AppResult<Json<Vec<AssistanceRequest>>> {
    Ok(Json(svc::requests(&state, &ctx, &p).await?))
}

/// Takes a request. With `source` `call`, `case` or `check_in` and its id in `source_ref`, the
/// person and household come over from it.
#[utoipa::path(post, path = "/api/v1/assistance/requests", tag = "assistance", request_body = RequestInput,
    responses((status = 201, body = AssistanceRequest), (status = 422)))]
pub async fn create_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<RequestInput>,
) -> AppResult<(StatusCode, Json<AssistanceRequest>)> {
    Ok((StatusCode::CREATED, Json(svc::create(&state, &ctx, &input).await?)))
}

/// A request with its steps (the read is audited).
#[utoipa::path(get, path = "/api/v1/assistance/requests/{id}", tag = "assistance", params(("id" = AssistanceRequestId, Path)),
    responses((status = 200, body = AssistanceRequest), (status = 404)))]
pub async fn get_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
) -> AppResult<Json<AssistanceRequest>> {
    Ok(Json(svc::request(&state, &ctx, id).await?))
}

/// Dispatches (or re-dispatches) a pending or assigned request to a staff member or a trained
/// volunteer who may deliver in its unit.
#[utoipa::path(post, path = "/api/v1/assistance/requests/{id}/dispatch", tag = "assistance", params(("id" = AssistanceRequestId, Path)),
    request_body = DispatchInput, responses((status = 200, body = AssistanceRequest), (status = 409), (status = 422)))]
pub async fn dispatch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    ApiJson(input): ApiJson<DispatchInput>,
) -> AppResult<Json<AssistanceRequest>> {
    Ok(Json(svc::dispatch(&state, &ctx, id, &input).await?))
}

/// A delivery step: `on_the_way`, `delivered` (with proof, and donated stock handed over) or
/// `failed` (with the reason). Out of turn: 422 `step-not-allowed`; short stock: 422
/// `stock-insufficient`, and nothing is recorded.
#[utoipa::path(post, path = "/api/v1/assistance/requests/{id}/delivery", tag = "assistance", params(("id" = AssistanceRequestId, Path)),
    request_body = DeliveryInput, responses((status = 200, body = AssistanceRequest), (status = 409), (status = 422)))]
pub async fn delivery(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    ApiJson(input): ApiJson<DeliveryInput>,
) -> AppResult<Json<AssistanceRequest>> {
    Ok(Json(svc::delivery(&state, &ctx, id, &input).await?))
}

/// Closes a delivered or failed request with the follow-up's note.
#[utoipa::path(post, path = "/api/v1/assistance/requests/{id}/follow-up", tag = "assistance", params(("id" = AssistanceRequestId, Path)),
    request_body = FollowUpInput, responses((status = 200, body = AssistanceRequest), (status = 409), (status = 422)))]
pub async fn follow_up(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> AppResult<Json<AssistanceRequest>> {
    Ok(Json(svc::follow_up(&state, &ctx, id, &input).await?))
}

/// The proof-of-delivery photo.
#[utoipa::path(get, path = "/api/v1/assistance/requests/{id}/photo", tag = "assistance", params(("id" = AssistanceRequestId, Path)),
    responses((status = 200, content_type = "image/jpeg"), (status = 404)))]
pub async fn get_photo(State(state): State<AppState>, ctx: Ctx, Path(id): Path<AssistanceRequestId>) -> AppResult<Response> {
    let (t, b) = svc::photo(&state, &ctx, id).await?;
    Ok(super::lending::photo_response(t, b))
}

/// Sets the proof-of-delivery photo: the raw image as the body (JPEG, PNG or WebP, at most
/// 2 MiB; the bytes decide the type).
#[utoipa::path(put, path = "/api/v1/assistance/requests/{id}/photo", tag = "assistance", params(("id" = AssistanceRequestId, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 200, body = AssistanceRequest), (status = 413), (status = 422)))]
pub async fn put_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AssistanceRequestId>,
    body: Bytes,
) -> AppResult<Json<AssistanceRequest>> {
    Ok(Json(svc::set_photo(&state, &ctx, id, &body).await?))
}

/// The caller's own deliveries (dispatched to them), with where to go and whom to call.
#[utoipa::path(get, path = "/api/v1/assistance/mine", tag = "assistance", responses((status = 200, body = Vec<Delivery>), (status = 403)))]
pub async fn mine(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Delivery>>> {
    Ok(Json(svc::mine(&state, &ctx).await?))
}

/// Requests and deliveries by need, unit and day; person-times; households reached; average
/// time to delivery. `format=csv` or `xlsx` for a file.
#[utoipa::path(get, path = "/api/v1/assistance/report", tag = "assistance", params(ReportParams),
    responses((status = 200, body = AssistanceReport), (status = 403)))]
pub async fn report(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Response> {
    if p.format.trim().is_empty() {
        return Ok(Json(svc::report(&state, &ctx, &p).await?).into_response());
    }
    let format = ExportFormat::parse(&p.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
    svc::export(&state, &ctx, &p, format).await
}

/// The agency's list of needs (the defaults until saved).
#[utoipa::path(get, path = "/api/v1/assistance/settings", tag = "assistance", responses((status = 200, body = AssistanceSettings)))]
pub async fn get_settings(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<AssistanceSettings>> {
    Ok(Json(svc::settings(&state, &ctx).await?))
}

/// Replaces the list of needs (a need in use is deactivated, never removed).
#[utoipa::path(put, path = "/api/v1/assistance/settings", tag = "assistance", request_body = AssistanceSettings,
    responses((status = 200, body = AssistanceSettings), (status = 422)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(s): ApiJson<AssistanceSettings>,
) -> AppResult<Json<AssistanceSettings>> {
    Ok(Json(svc::save_settings(&state, &ctx, &s).await?))
}
