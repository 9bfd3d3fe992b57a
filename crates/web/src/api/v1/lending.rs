//! Toy library over JSON: catalogue (with photos and labels), member households and their
//! cards, check-out and return, renewals, lost toys, reservations and transfers, the repair
//! queue, points, reminders, reports and settings.

use super::ApiJson;
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::lending::{
    self as svc, Card, CheckOutInput, LostInput, MemberView, RedeemInput, Reminders, ReportParams, SendInput, SendOutcome, ToyParams,
    ToyView,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shegong_domain::ids::{LoanId, MemberId, RepairId, ReservationId, ToyId, TransferId, UnitId};
use shegong_domain::lending::{
    JoinInput, LendingReport, LendingSettings, Loan, Member, PointsEntry, Repair, Reservation, ReservationInput, ResolveInput, ReturnInput,
    Toy, ToyInput, Transfer,
};
use shegong_domain::ports::ReturnOutcome;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A photo upload's body limit: the largest photo and room for a form around it.
pub const PHOTO_LIMIT: usize = shegong_domain::lending::MAX_PHOTO_BYTES + 64 * 1024;

/// Every toy-library route; the photo upload with its own body limit. Merge into the API router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_photo, put_photo))
        .layer(axum::extract::DefaultBodyLimit::max(PHOTO_LIMIT))
        .routes(routes!(list_toys, create_toy))
        .routes(routes!(get_toy, update_toy))
        .routes(routes!(label))
        .routes(routes!(list_members, enrol))
        .routes(routes!(get_member))
        .routes(routes!(issue_card))
        .routes(routes!(redeem))
        .routes(routes!(list_loans, check_out))
        .routes(routes!(return_loan))
        .routes(routes!(renew))
        .routes(routes!(lost))
        .routes(routes!(reserve))
        .routes(routes!(cancel))
        .routes(routes!(transfers))
        .routes(routes!(receive))
        .routes(routes!(repairs))
        .routes(routes!(resolve))
        .routes(routes!(reminders))
        .routes(routes!(send))
        .routes(routes!(report))
        .routes(routes!(get_settings, save_settings))
}

/// The network's catalogue, by code.
#[utoipa::path(get, path = "/api/v1/lending/toys", tag = "lending", params(ToyParams), responses((status = 200, body = Vec<Toy>), (status = 403)))]
pub async fn list_toys(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ToyParams>) -> AppResult<Json<Vec<Toy>>> {
    Ok(Json(svc::toys(&state, &ctx, &p).await?))
}

/// Adds a toy or kit; a blank code gets the next one (`T000001`, …).
#[utoipa::path(post, path = "/api/v1/lending/toys", tag = "lending", request_body = ToyInput, responses((status = 201, body = Toy), (status = 422)))]
pub async fn create_toy(State(state): State<AppState>, ctx: Ctx, ApiJson(input): ApiJson<ToyInput>) -> AppResult<(StatusCode, Json<Toy>)> {
    Ok((StatusCode::CREATED, Json(svc::create_toy(&state, &ctx, &input).await?)))
}

/// A toy with its loans at the caller's units and its waiting list.
#[utoipa::path(get, path = "/api/v1/lending/toys/{id}", tag = "lending", params(("id" = ToyId, Path)), responses((status = 200, body = ToyView), (status = 404)))]
pub async fn get_toy(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ToyId>) -> AppResult<Json<ToyView>> {
    Ok(Json(svc::toy_view(&state, &ctx, id).await?))
}

/// Changes a toy (send the `version` read; stale: 409).
#[utoipa::path(put, path = "/api/v1/lending/toys/{id}", tag = "lending", params(("id" = ToyId, Path)), request_body = ToyInput,
    responses((status = 200, body = Toy), (status = 409), (status = 422)))]
pub async fn update_toy(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ToyId>,
    ApiJson(input): ApiJson<ToyInput>,
) -> AppResult<Json<Toy>> {
    Ok(Json(svc::update_toy(&state, &ctx, id, &input).await?))
}

/// Serves a stored photo as the type its bytes were checked to be.
pub fn photo_response(content_type: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
            // Even a crafted file gets no script and no other resources.
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The toy's photo (JPEG, PNG or WebP).
#[utoipa::path(get, path = "/api/v1/lending/toys/{id}/photo", tag = "lending", params(("id" = ToyId, Path)),
    responses((status = 200, content_type = "image/jpeg"), (status = 404)))]
pub async fn get_photo(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ToyId>) -> AppResult<Response> {
    let (t, b) = svc::photo(&state, &ctx, id).await?;
    Ok(photo_response(t, b))
}

/// Sets the toy's photo: the raw image as the body (JPEG, PNG or WebP, at most 2 MiB; the bytes
/// decide the type).
#[utoipa::path(put, path = "/api/v1/lending/toys/{id}/photo", tag = "lending", params(("id" = ToyId, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 200, body = Toy), (status = 413), (status = 422)))]
pub async fn put_photo(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ToyId>, body: Bytes) -> AppResult<Json<Toy>> {
    Ok(Json(svc::set_photo(&state, &ctx, id, &body).await?))
}

/// The QR code of the toy's label as SVG (it holds the code a scanner types).
#[utoipa::path(get, path = "/api/v1/lending/toys/{id}/label", tag = "lending", params(("id" = ToyId, Path)),
    responses((status = 200, content_type = "image/svg+xml"), (status = 404)))]
pub async fn label(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ToyId>) -> AppResult<Response> {
    let t = svc::toy(&state, &ctx, id).await?;
    let svg = svc::qr_svg(&t.code)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'")], svg)
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct UnitParams {
    pub unit_id: Option<UnitId>,
}

/// Member households of the caller's units.
#[utoipa::path(get, path = "/api/v1/lending/members", tag = "lending", params(UnitParams), responses((status = 200, body = Vec<Member>), (status = 403)))]
pub async fn list_members(State(state): State<AppState>, ctx: Ctx, Query(p): Query<UnitParams>) -> AppResult<Json<Vec<Member>>> {
    Ok(Json(svc::members(&state, &ctx, p.unit_id).await?))
}

/// A household joins the toy library.
#[utoipa::path(post, path = "/api/v1/lending/members", tag = "lending", request_body = JoinInput, responses((status = 201, body = Member), (status = 422)))]
pub async fn enrol(State(state): State<AppState>, ctx: Ctx, ApiJson(input): ApiJson<JoinInput>) -> AppResult<(StatusCode, Json<Member>)> {
    Ok((StatusCode::CREATED, Json(svc::enrol(&state, &ctx, &input).await?)))
}

/// A member household with its loans, points ledger and reservations.
#[utoipa::path(get, path = "/api/v1/lending/members/{id}", tag = "lending", params(("id" = MemberId, Path)), responses((status = 200, body = MemberView), (status = 403)))]
pub async fn get_member(State(state): State<AppState>, ctx: Ctx, Path(id): Path<MemberId>) -> AppResult<Json<MemberView>> {
    Ok(Json(svc::member_view(&state, &ctx, id).await?))
}

/// Issues a family card: the returned path (shown once) opens the family's own page.
#[utoipa::path(post, path = "/api/v1/lending/members/{id}/card", tag = "lending", params(("id" = MemberId, Path)), responses((status = 200, body = Card), (status = 403)))]
pub async fn issue_card(State(state): State<AppState>, ctx: Ctx, Path(id): Path<MemberId>) -> AppResult<Json<Card>> {
    Ok(Json(svc::issue_card(&state, &ctx, id).await?))
}

/// Spends points on a reward; refused (422) when the balance would go below zero.
#[utoipa::path(post, path = "/api/v1/lending/members/{id}/redemptions", tag = "lending", params(("id" = MemberId, Path)), request_body = RedeemInput,
    responses((status = 201, body = PointsEntry), (status = 422)))]
pub async fn redeem(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<MemberId>,
    ApiJson(input): ApiJson<RedeemInput>,
) -> AppResult<(StatusCode, Json<PointsEntry>)> {
    Ok((StatusCode::CREATED, Json(svc::redeem(&state, &ctx, id, &input).await?)))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct LoanParams {
    pub unit_id: Option<UnitId>,
    /// Only loans not yet returned.
    pub open: bool,
}

/// Loans checked out at the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/lending/loans", tag = "lending", params(LoanParams), responses((status = 200, body = Vec<Loan>), (status = 403)))]
pub async fn list_loans(State(state): State<AppState>, ctx: Ctx, Query(p): Query<LoanParams>) -> AppResult<Json<Vec<Loan>>> {
    use shegong_domain::accounts::{Permission, Scope};
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    let us = match p.unit_id {
        Some(u) => {
            ctx.require(Permission::ViewLending, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => svc::units(&ctx, Permission::ViewLending),
    };
    let q = shegong_domain::ports::LoanQuery { units: us.as_deref(), open_only: p.open, limit: svc::LIST_LIMIT, ..Default::default() };
    Ok(Json(state.store.loans(ctx.user.org_id, &q).await.map_err(AppError::from)?))
}

/// Checks a toy out to a member at a counter, by member number and toy code (as scanned).
/// A toy already out, held for another family or elsewhere is refused with a clear message.
#[utoipa::path(post, path = "/api/v1/lending/loans", tag = "lending", request_body = CheckOutInput, responses((status = 201, body = Loan), (status = 422)))]
pub async fn check_out(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CheckOutInput>,
) -> AppResult<(StatusCode, Json<Loan>)> {
    Ok((StatusCode::CREATED, Json(svc::check_out(&state, &ctx, &input).await?)))
}

/// Takes a toy back with its parts counted and condition seen; missing parts or damage open a
/// repair item; a second return is 409.
#[utoipa::path(post, path = "/api/v1/lending/loans/{id}/return", tag = "lending", params(("id" = LoanId, Path)), request_body = ReturnInput,
    responses((status = 200, body = ReturnOutcome), (status = 409), (status = 422)))]
pub async fn return_loan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<LoanId>,
    ApiJson(input): ApiJson<ReturnInput>,
) -> AppResult<Json<ReturnOutcome>> {
    Ok(Json(svc::return_loan(&state, &ctx, id, &input).await?))
}

/// Renews a loan (not past the membership's limit, nor while a family waits).
#[utoipa::path(post, path = "/api/v1/lending/loans/{id}/renew", tag = "lending", params(("id" = LoanId, Path)), responses((status = 200, body = Loan), (status = 422)))]
pub async fn renew(State(state): State<AppState>, ctx: Ctx, Path(id): Path<LoanId>) -> AppResult<Json<Loan>> {
    Ok(Json(svc::renew(&state, &ctx, id).await?))
}

/// The family cannot bring the toy back: the loan ends and the toy enters the lost queue.
#[utoipa::path(post, path = "/api/v1/lending/loans/{id}/lost", tag = "lending", params(("id" = LoanId, Path)), request_body = LostInput,
    responses((status = 200, body = Repair), (status = 409)))]
pub async fn lost(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<LoanId>,
    ApiJson(input): ApiJson<LostInput>,
) -> AppResult<Json<Repair>> {
    Ok(Json(svc::mark_lost(&state, &ctx, id, &input).await?))
}

/// Puts a member in a toy's waiting list, collected at their nearest unit unless another is given.
#[utoipa::path(post, path = "/api/v1/lending/reservations", tag = "lending", request_body = ReservationInput, responses((status = 201, body = Reservation), (status = 422)))]
pub async fn reserve(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ReservationInput>,
) -> AppResult<(StatusCode, Json<Reservation>)> {
    Ok((StatusCode::CREATED, Json(svc::reserve(&state, &ctx, &input).await?)))
}

#[utoipa::path(post, path = "/api/v1/lending/reservations/{id}/cancel", tag = "lending", params(("id" = ReservationId, Path)),
    responses((status = 200, body = Reservation), (status = 409)))]
pub async fn cancel(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ReservationId>) -> AppResult<Json<Reservation>> {
    Ok(Json(svc::cancel_reservation(&state, &ctx, id).await?))
}

/// Toys on their way to or from the caller's units.
#[utoipa::path(get, path = "/api/v1/lending/transfers", tag = "lending", params(UnitParams), responses((status = 200, body = Vec<Transfer>)))]
pub async fn transfers(State(state): State<AppState>, ctx: Ctx, Query(p): Query<UnitParams>) -> AppResult<Json<Vec<Transfer>>> {
    Ok(Json(svc::transfers(&state, &ctx, p.unit_id).await?))
}

/// The toy arrived at the pickup unit: it waits there for the family.
#[utoipa::path(post, path = "/api/v1/lending/transfers/{id}/receive", tag = "lending", params(("id" = TransferId, Path)),
    responses((status = 200, body = Transfer), (status = 409)))]
pub async fn receive(State(state): State<AppState>, ctx: Ctx, Path(id): Path<TransferId>) -> AppResult<Json<Transfer>> {
    Ok(Json(svc::receive(&state, &ctx, id).await?))
}

/// The repair and lost queue of the caller's units (open items stay until resolved).
#[utoipa::path(get, path = "/api/v1/lending/repairs", tag = "lending", params(UnitParams), responses((status = 200, body = Vec<Repair>)))]
pub async fn repairs(State(state): State<AppState>, ctx: Ctx, Query(p): Query<UnitParams>) -> AppResult<Json<Vec<Repair>>> {
    Ok(Json(svc::repairs(&state, &ctx, p.unit_id).await?))
}

#[utoipa::path(post, path = "/api/v1/lending/repairs/{id}/resolve", tag = "lending", params(("id" = RepairId, Path)), request_body = ResolveInput,
    responses((status = 200, body = Repair), (status = 409), (status = 422)))]
pub async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<RepairId>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> AppResult<Json<Repair>> {
    Ok(Json(svc::resolve(&state, &ctx, id, &input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OneUnit {
    pub unit_id: UnitId,
}

/// Due-soon and overdue loans of a unit, and the reminders sent.
#[utoipa::path(get, path = "/api/v1/lending/reminders", tag = "lending", params(OneUnit), responses((status = 200, body = Reminders)))]
pub async fn reminders(State(state): State<AppState>, ctx: Ctx, Query(p): Query<OneUnit>) -> AppResult<Json<Reminders>> {
    Ok(Json(svc::reminders(&state, &ctx, p.unit_id).await?))
}

/// Sends the unit's reminders through the configured sender (once a day per loan) and records them.
#[utoipa::path(post, path = "/api/v1/lending/reminders/send", tag = "lending", request_body = SendInput, responses((status = 200, body = SendOutcome)))]
pub async fn send(State(state): State<AppState>, ctx: Ctx, ApiJson(input): ApiJson<SendInput>) -> AppResult<Json<SendOutcome>> {
    Ok(Json(svc::send_reminders(&state, &ctx, &input).await?))
}

/// Loans per unit and month, active households, most-borrowed toys, overdue rate, points.
#[utoipa::path(get, path = "/api/v1/lending/reports", tag = "lending", params(ReportParams), responses((status = 200, body = LendingReport)))]
pub async fn report(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Json<LendingReport>> {
    Ok(Json(svc::report(&state, &ctx, &p).await?))
}

#[utoipa::path(get, path = "/api/v1/lending/settings", tag = "lending", responses((status = 200, body = LendingSettings)))]
pub async fn get_settings(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<LendingSettings>> {
    Ok(Json(svc::settings(&state, &ctx).await?))
}

/// Membership types, points rules, rewards and the due-soon window (types in use can be
/// deactivated, not removed).
#[utoipa::path(put, path = "/api/v1/lending/settings", tag = "lending", request_body = LendingSettings,
    responses((status = 200, body = LendingSettings), (status = 422)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(s): ApiJson<LendingSettings>,
) -> AppResult<Json<LendingSettings>> {
    Ok(Json(svc::save_settings(&state, &ctx, &s).await?))
}
