//! Coverage (便利圈) over JSON: the coverage report of a district or the agency, suggestions
//! of new sites, the settings, the population grid and the candidate sites.

use super::ApiJson;
use crate::coverage::{self as svc, CoverageParams, CoverageReport, SuggestInput};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::coverage::{CoverageSettings, NetworkInfo, SettingsInput, Site, SiteInput};
use shegong_domain::ids::SiteId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A population grid upload's body limit.
pub const GRID_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_grid))
        .layer(axum::extract::DefaultBodyLimit::max(GRID_LIMIT))
        .routes(routes!(report))
        .routes(routes!(export))
        .routes(routes!(suggest))
        .routes(routes!(get_settings, save_settings))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(update_site, delete_site))
        .routes(routes!(network))
}

/// Coverage of a district or the whole agency: service points, people by walking time
/// (everyone and each vulnerable category) and H3 cells with counts.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage", params(CoverageParams), responses((status = 200, body = CoverageReport), (status = 403), (status = 422)))]
pub async fn report(State(state): State<AppState>, ctx: Ctx, Query(p): Query<CoverageParams>) -> AppResult<Json<CoverageReport>> {
    Ok(Json(svc::report(&state, &ctx, &p).await?))
}

/// The coverage table (and the suggestion, when `k` is given) as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/coverage/export", tag = "coverage", params(CoverageParams),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403)))]
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(p): Query<CoverageParams>) -> AppResult<Response> {
    svc::export(&state, &ctx, &p).await
}

/// Chooses `k` new sites among the candidates given (or the stored candidate sites) that bring
/// the most weighted people within the target time; the report carries before and after.
#[utoipa::path(post, path = "/api/v1/coverage/suggestions", tag = "coverage", request_body = SuggestInput,
    responses((status = 200, body = CoverageReport), (status = 403), (status = 422)))]
pub async fn suggest(State(state): State<AppState>, ctx: Ctx, ApiJson(input): ApiJson<SuggestInput>) -> AppResult<Json<CoverageReport>> {
    Ok(Json(svc::suggestion(&state, &ctx, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/coverage/settings", tag = "coverage", responses((status = 200, body = CoverageSettings), (status = 403)))]
pub async fn get_settings(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<CoverageSettings>> {
    Ok(Json(svc::settings(&state, &ctx).await?))
}

/// Saves the walking settings (send the `version` read; stale: 409).
#[utoipa::path(put, path = "/api/v1/coverage/settings", tag = "coverage", request_body = SettingsInput,
    responses((status = 200, body = CoverageSettings), (status = 409), (status = 422)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<SettingsInput>,
) -> AppResult<Json<CoverageSettings>> {
    Ok(Json(svc::save_settings(&state, &ctx, &input).await?))
}

#[derive(Serialize, ToSchema)]
pub struct GridImported {
    /// Cells stored (the previous grid is replaced).
    pub cells: u64,
}

/// Replaces the population grid with a CSV file (UTF-8, `text/csv` body): columns `lat`,
/// `lng` (or `h3`), `count`, optionally `district` and the counts of `elderly_alone`,
/// `disabled`, `low_income`, `child_in_difficulty`.
#[utoipa::path(put, path = "/api/v1/coverage/grid", tag = "coverage", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = GridImported), (status = 403), (status = 422)))]
pub async fn put_grid(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> AppResult<Json<GridImported>> {
    Ok(Json(GridImported { cells: svc::import_grid(&state, &ctx, &body).await? }))
}

#[utoipa::path(get, path = "/api/v1/coverage/sites", tag = "coverage", responses((status = 200, body = Vec<Site>), (status = 403)))]
pub async fn list_sites(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Site>>> {
    Ok(Json(svc::sites(&state, &ctx).await?))
}

/// Adds a candidate site for a new service point.
#[utoipa::path(post, path = "/api/v1/coverage/sites", tag = "coverage", request_body = SiteInput,
    responses((status = 201, body = Site), (status = 403), (status = 422)))]
pub async fn create_site(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<SiteInput>,
) -> AppResult<(StatusCode, Json<Site>)> {
    Ok((StatusCode::CREATED, Json(svc::create_site(&state, &ctx, &input).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteUpdate {
    pub name: String,
    #[serde(default)]
    pub district: String,
    pub latitude: String,
    pub longitude: String,
    /// The version read.
    pub version: i64,
}

/// Changes a candidate site (send the `version` read; stale: 409).
#[utoipa::path(put, path = "/api/v1/coverage/sites/{id}", tag = "coverage", params(("id" = SiteId, Path)), request_body = SiteUpdate,
    responses((status = 200, body = Site), (status = 404), (status = 409), (status = 422)))]
pub async fn update_site(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SiteId>,
    ApiJson(input): ApiJson<SiteUpdate>,
) -> AppResult<Json<Site>> {
    let site = SiteInput { name: input.name, district: input.district, latitude: input.latitude, longitude: input.longitude };
    Ok(Json(svc::update_site(&state, &ctx, id, input.version, &site).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VersionParam {
    /// The version read.
    pub version: i64,
}

/// Removes a candidate site (`?version=` the version read; stale: 409).
#[utoipa::path(delete, path = "/api/v1/coverage/sites/{id}", tag = "coverage", params(("id" = SiteId, Path), VersionParam),
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete_site(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SiteId>,
    Query(v): Query<VersionParam>,
) -> AppResult<StatusCode> {
    svc::delete_site(&state, &ctx, id, v.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The imported walking network (null when none; `shegong coverage import-osm` imports one).
#[utoipa::path(get, path = "/api/v1/coverage/network", tag = "coverage", responses((status = 200, body = Option<NetworkInfo>), (status = 403)))]
pub async fn network(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Option<NetworkInfo>>> {
    Ok(Json(svc::network_info(&state, &ctx).await?))
}
