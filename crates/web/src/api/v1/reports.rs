//! Reports over JSON: the output report and its files, monthly trends, yearly targets and the
//! achievement against them. Funders get the same answers with counts of fewer than five
//! people hidden (`suppressed: true`, value null).

use super::ApiJson;
use crate::clients::export::ExportFormat;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::AppResult;
use crate::reports::{self as svc, OutputReport, ReportParams, Trends};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::ids::{TargetId, UnitId};
use shegong_domain::reports::{Achievement, Target, TargetInput};
use shegong_domain::DomainError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(outputs))
        .routes(routes!(export))
        .routes(routes!(trends))
        .routes(routes!(list_targets, create_target))
        .routes(routes!(update_target, delete_target))
        .routes(routes!(achievement))
}

/// The output report of a period (month, quarter, year or custom) and scope (a unit, a district
/// or every unit the caller may see), with breakdowns by unit, domain and category and the
/// counting rules.
#[utoipa::path(get, path = "/api/v1/reports/outputs", tag = "reports", params(ReportParams),
    responses((status = 200, body = OutputReport), (status = 403), (status = 422)))]
pub async fn outputs(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Json<OutputReport>> {
    let r = svc::resolve(&state, &ctx, &p).await?;
    Ok(Json(svc::output_report(state.store.as_ref(), &r).await?))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct FormatParams {
    /// `xlsx` (default) or `csv`.
    pub format: String,
}

/// The output report as an XLSX workbook or a CSV file, headers in the caller's language.
#[utoipa::path(get, path = "/api/v1/reports/outputs/export", tag = "reports", params(ReportParams, FormatParams),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403), (status = 422)))]
pub async fn export(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Query(p): Query<ReportParams>,
    Query(f): Query<FormatParams>,
) -> AppResult<Response> {
    let format = ExportFormat::parse(&f.format).ok_or_else(|| DomainError::invalid("format", "unknown-choice"))?;
    svc::download(&state, &ctx, &p, format, rc.locale).await
}

/// Month-by-month figures of the period and scope (each month counted on its own).
#[utoipa::path(get, path = "/api/v1/reports/trends", tag = "reports", params(ReportParams),
    responses((status = 200, body = Trends), (status = 403), (status = 422)))]
pub async fn trends(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Json<Trends>> {
    let r = svc::resolve(&state, &ctx, &p).await?;
    Ok(Json(svc::trends(state.store.as_ref(), &r).await?))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct YearParams {
    /// The year (default: the agency's current year).
    pub year: Option<i32>,
    pub unit_id: Option<UnitId>,
}

/// The targets of the caller's units, of one year when given.
#[utoipa::path(get, path = "/api/v1/reports/targets", tag = "reports", params(YearParams), responses((status = 200, body = Vec<Target>), (status = 403)))]
pub async fn list_targets(State(state): State<AppState>, ctx: Ctx, Query(p): Query<YearParams>) -> AppResult<Json<Vec<Target>>> {
    Ok(Json(svc::targets(&state, &ctx, p.year).await?))
}

/// Sets a yearly target of a unit under an agreement (one per unit, agreement, year and measure).
#[utoipa::path(post, path = "/api/v1/reports/targets", tag = "reports", request_body = TargetInput,
    responses((status = 201, body = Target), (status = 403), (status = 422)))]
pub async fn create_target(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<TargetInput>,
) -> AppResult<(StatusCode, Json<Target>)> {
    Ok((StatusCode::CREATED, Json(svc::create_target(&state, &ctx, &input).await?)))
}

/// Changes a target (send the `version` read; stale: 409).
#[utoipa::path(put, path = "/api/v1/reports/targets/{id}", tag = "reports", params(("id" = TargetId, Path)), request_body = TargetInput,
    responses((status = 200, body = Target), (status = 404), (status = 409), (status = 422)))]
pub async fn update_target(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<TargetId>,
    ApiJson(input): ApiJson<TargetInput>,
) -> AppResult<Json<Target>> {
    Ok(Json(svc::update_target(&state, &ctx, id, input.version, &input).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct VersionParams {
    /// The version read.
    pub version: i64,
}

/// Removes a target (send the `version` read; stale: 409).
#[utoipa::path(delete, path = "/api/v1/reports/targets/{id}", tag = "reports", params(("id" = TargetId, Path), VersionParams),
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete_target(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<TargetId>,
    Query(p): Query<VersionParams>,
) -> AppResult<StatusCode> {
    svc::delete_target(&state, &ctx, id, p.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Achievement against a year's targets.
#[derive(Serialize, ToSchema)]
pub struct AchievementReport {
    pub year: i32,
    pub rows: Vec<Achievement>,
}

/// Each target of the year beside what was achieved so far, with the share of the year gone
/// and whether the unit is on pace.
#[utoipa::path(get, path = "/api/v1/reports/achievement", tag = "reports", params(YearParams),
    responses((status = 200, body = AchievementReport), (status = 403)))]
pub async fn achievement(State(state): State<AppState>, ctx: Ctx, Query(p): Query<YearParams>) -> AppResult<Json<AchievementReport>> {
    let (year, rows) = svc::achievements(&state, &ctx, p.year, p.unit_id).await?;
    Ok(Json(AchievementReport { year, rows }))
}
