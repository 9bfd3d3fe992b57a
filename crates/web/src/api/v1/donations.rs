//! Donations over JSON: donors, donations (in kind and cash) with receipt numbers, cash
//! spent, stock with the expiring-soon list, transfers between units, bulk distributions,
//! adjustments with a second person's confirmation, and the report (a donor's own, aggregated).

use super::ApiJson;
use crate::clients::export::ExportFormat;
use crate::ctx::Ctx;
use crate::donations::{self as svc, DonationParams, DonationView, ReportParams, StockParams, StockView};
use crate::error::AppResult;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use shegong_domain::donations::{
    Adjustment, AdjustmentInput, DecisionInput, DistributionInput, Donation, DonationInput, DonationReport, Donor, DonorInput, SpendInput,
    TransferInput,
};
use shegong_domain::ids::{AdjustmentId, DistributionId, DonationId};
use shegong_domain::DomainError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_donors, create_donor))
        .routes(routes!(list_donations, record))
        .routes(routes!(get_donation))
        .routes(routes!(spend))
        .routes(routes!(stock))
        .routes(routes!(transfer))
        .routes(routes!(distribute))
        .routes(routes!(list_adjustments, propose))
        .routes(routes!(decide))
        .routes(routes!(report))
}

#[utoipa::path(get, path = "/api/v1/donations/donors", tag = "donations", responses((status = 200, body = Vec<Donor>), (status = 403)))]
pub async fn list_donors(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Donor>>> {
    Ok(Json(svc::donors(&state, &ctx).await?))
}

/// Adds a donor or partner (company, foundation, individual, government).
#[utoipa::path(post, path = "/api/v1/donations/donors", tag = "donations", request_body = DonorInput,
    responses((status = 201, body = Donor), (status = 422)))]
pub async fn create_donor(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<DonorInput>,
) -> AppResult<(StatusCode, Json<Donor>)> {
    Ok((StatusCode::CREATED, Json(svc::create_donor(&state, &ctx, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/donations", tag = "donations", params(DonationParams), responses((status = 200, body = Vec<Donation>), (status = 403)))]
pub async fn list_donations(State(state): State<AppState>, ctx: Ctx, Query(p): Query<DonationParams>) -> AppResult<Json<Vec<Donation>>> {
    Ok(Json(svc::donations(&state, &ctx, &p).await?))
}

/// Records a donation with the agency's next receipt number; goods go into the receiving
/// unit's stock.
#[utoipa::path(post, path = "/api/v1/donations", tag = "donations", request_body = DonationInput,
    responses((status = 201, body = Donation), (status = 422)))]
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<DonationInput>,
) -> AppResult<(StatusCode, Json<Donation>)> {
    Ok((StatusCode::CREATED, Json(svc::record(&state, &ctx, &input).await?)))
}

/// A donation with its ledger and the households and people it reached (counted, never named).
#[utoipa::path(get, path = "/api/v1/donations/{id}", tag = "donations", params(("id" = DonationId, Path)),
    responses((status = 200, body = DonationView), (status = 404)))]
pub async fn get_donation(State(state): State<AppState>, ctx: Ctx, Path(id): Path<DonationId>) -> AppResult<Json<DonationView>> {
    Ok(Json(svc::donation(&state, &ctx, id).await?))
}

/// Records cash spent from a cash donation (never more than is left: 422 `cash-insufficient`).
#[utoipa::path(post, path = "/api/v1/donations/{id}/spending", tag = "donations", params(("id" = DonationId, Path)), request_body = SpendInput,
    responses((status = 200, body = Donation), (status = 422)))]
pub async fn spend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<DonationId>,
    ApiJson(input): ApiJson<SpendInput>,
) -> AppResult<Json<Donation>> {
    Ok(Json(svc::spend(&state, &ctx, id, &input).await?))
}

/// Stock of the caller's units, what expires within 30 days, and the adjustments waiting.
#[utoipa::path(get, path = "/api/v1/donations/stock", tag = "donations", params(StockParams), responses((status = 200, body = StockView), (status = 403)))]
pub async fn stock(State(state): State<AppState>, ctx: Ctx, Query(p): Query<StockParams>) -> AppResult<Json<StockView>> {
    Ok(Json(svc::stock(&state, &ctx, &p).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// Moves stock from one unit to another (refused with `stock-insufficient` when short).
#[utoipa::path(post, path = "/api/v1/donations/transfers", tag = "donations", request_body = TransferInput,
    responses((status = 201, body = Done), (status = 422)))]
pub async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<TransferInput>,
) -> AppResult<(StatusCode, Json<Done>)> {
    svc::transfer(&state, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(Done { ok: true })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DistributionDone {
    pub id: DistributionId,
}

/// A bulk distribution day: a recipient list with signatures, every line taken from a donated
/// item; all lines or none.
#[utoipa::path(post, path = "/api/v1/donations/distributions", tag = "donations", request_body = DistributionInput,
    responses((status = 201, body = DistributionDone), (status = 422)))]
pub async fn distribute(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<DistributionInput>,
) -> AppResult<(StatusCode, Json<DistributionDone>)> {
    Ok((StatusCode::CREATED, Json(DistributionDone { id: svc::distribute(&state, &ctx, &input).await? })))
}

#[utoipa::path(get, path = "/api/v1/donations/adjustments", tag = "donations", params(StockParams),
    responses((status = 200, body = Vec<Adjustment>), (status = 403)))]
pub async fn list_adjustments(State(state): State<AppState>, ctx: Ctx, Query(p): Query<StockParams>) -> AppResult<Json<Vec<Adjustment>>> {
    Ok(Json(svc::adjustments(&state, &ctx, &p).await?))
}

/// Proposes a stock adjustment; it moves stock once a second person confirms it.
#[utoipa::path(post, path = "/api/v1/donations/adjustments", tag = "donations", request_body = AdjustmentInput,
    responses((status = 201, body = Adjustment), (status = 422)))]
pub async fn propose(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<AdjustmentInput>,
) -> AppResult<(StatusCode, Json<Adjustment>)> {
    Ok((StatusCode::CREATED, Json(svc::propose(&state, &ctx, &input).await?)))
}

/// `confirmed` (the stock moves) or `rejected`, by someone other than the proposer.
#[utoipa::path(post, path = "/api/v1/donations/adjustments/{id}/decision", tag = "donations", params(("id" = AdjustmentId, Path)),
    request_body = DecisionInput, responses((status = 200, body = Adjustment), (status = 409), (status = 422)))]
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AdjustmentId>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> AppResult<Json<Adjustment>> {
    Ok(Json(svc::decide(&state, &ctx, id, &input).await?))
}

/// Items and value received and distributed by donor, category and unit; cash in and spent;
/// households and persons reached. With `donor_id`: that donor's report. `format=csv` or `xlsx`
/// for a file.
#[utoipa::path(get, path = "/api/v1/donations/report", tag = "donations", params(ReportParams),
    responses((status = 200, body = DonationReport), (status = 403)))]
pub async fn report(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Response> {
    if p.format.trim().is_empty() {
        return Ok(Json(svc::report(&state, &ctx, &p).await?).into_response());
    }
    let format = ExportFormat::parse(&p.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
    svc::export(&state, &ctx, &p, format).await
}
