//! Outcome measurement over JSON: the scales (shipped and the agency's own), administering a
//! scale to a client, a client's scores and change, and programme outcomes (JSON, CSV or XLSX).

use super::ApiJson;
use crate::clients::export::ExportFormat;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::outcomes::{self as svc, ClientOutcomes, ProgrammeParams};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shegong_domain::ids::ClientId;
use shegong_domain::outcomes::{Administration, AdministrationInput, ProgrammeOutcomes, Scale};
use shegong_domain::DomainError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_scales, add_scale))
        .routes(routes!(administer))
        .routes(routes!(client_outcomes))
        .routes(routes!(programme))
}

/// The shipped scales (BRS, WHO-5, K6, K10, UCLA-3) and the agency's own, as data.
#[utoipa::path(get, path = "/api/v1/outcomes/scales", tag = "outcomes", responses((status = 200, body = Vec<Scale>), (status = 403)))]
pub async fn list_scales(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Scale>>> {
    Ok(Json(svc::scales(&state, &ctx).await?))
}

/// Loads an agency scale (items per language, options, reversed items, rule, bands,
/// subscales, norms, source and licence). A licensed scale is loaded this way by an agency that
/// holds the licence.
#[utoipa::path(post, path = "/api/v1/outcomes/scales", tag = "outcomes", request_body = Scale,
    responses((status = 201, body = Scale), (status = 422)))]
pub async fn add_scale(State(state): State<AppState>, ctx: Ctx, ApiJson(s): ApiJson<Scale>) -> AppResult<(StatusCode, Json<Scale>)> {
    Ok((StatusCode::CREATED, Json(svc::add_scale(&state, &ctx, &s).await?)))
}

/// Records a scale's answers for a client (paper or tablet) with its time point; returns the score.
#[utoipa::path(post, path = "/api/v1/outcomes/administrations", tag = "outcomes", request_body = AdministrationInput,
    responses((status = 201, body = Administration), (status = 422)))]
pub async fn administer(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<AdministrationInput>,
) -> AppResult<(StatusCode, Json<Administration>)> {
    Ok((StatusCode::CREATED, Json(svc::administer(&state, &ctx, &input).await?)))
}

/// A client's administrations and, per scale, the change from the first pre-test to the last
/// post-test with its reliable change index (the read is audited).
#[utoipa::path(get, path = "/api/v1/outcomes/clients/{id}", tag = "outcomes", params(("id" = ClientId, Path)),
    responses((status = 200, body = ClientOutcomes), (status = 404)))]
pub async fn client_outcomes(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ClientId>) -> AppResult<Json<ClientOutcomes>> {
    Ok(Json(svc::client_outcomes(&state, &ctx, id).await?))
}

/// Pre/post mean change, Cohen's d (paired) and n, for all clients and by client category, of a
/// group, a case, an intervention or a unit. `format=csv` or `xlsx` for a file.
#[utoipa::path(get, path = "/api/v1/outcomes/programme", tag = "outcomes", params(ProgrammeParams),
    responses((status = 200, body = ProgrammeOutcomes), (status = 403)))]
pub async fn programme(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ProgrammeParams>) -> AppResult<Response> {
    if p.format.trim().is_empty() {
        return Ok(Json(svc::programme(&state, &ctx, &p).await?).into_response());
    }
    let format = ExportFormat::parse(&p.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
    svc::export(&state, &ctx, &p, format).await
}
