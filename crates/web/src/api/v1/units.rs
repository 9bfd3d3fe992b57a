//! The agency and its service units over JSON.

use super::ApiJson;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::UnitId;
use shegong_domain::units::{Agency, ServiceUnit, UnitInput};

#[utoipa::path(get, path = "/api/v1/agency", tag = "units", responses((status = 200, body = Agency)))]
pub async fn agency(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Agency>> {
    Ok(Json(state.store.agency(ctx.user.org_id).await?))
}

#[utoipa::path(get, path = "/api/v1/units", tag = "units", responses((status = 200, body = Vec<ServiceUnit>)))]
pub async fn list_units(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<ServiceUnit>>> {
    ctx.require(Permission::ViewUnits, Scope::AnyUnit)?;
    // Only the units the caller may open: staff granted in one unit do not see the others.
    let units = state.store.list_units(ctx.user.org_id).await?;
    Ok(Json(units.into_iter().filter(|u| ctx.can(Permission::ViewUnits, Scope::Unit(u.id))).collect()))
}

#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = UnitInput,
    responses((status = 201, body = ServiceUnit), (status = 403), (status = 422)))]
pub async fn create_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<UnitInput>,
) -> AppResult<(StatusCode, Json<ServiceUnit>)> {
    ctx.require(Permission::ManageUnits, Scope::Agency)?;
    let fields = input.validate()?;
    Ok((StatusCode::CREATED, Json(state.store.create_unit(&ctx.actor(), &fields).await?)))
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = UnitId, Path)), responses((status = 200, body = ServiceUnit), (status = 404)))]
pub async fn get_unit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<UnitId>) -> AppResult<Json<ServiceUnit>> {
    ctx.require(Permission::ViewUnits, Scope::Unit(id))?;
    Ok(Json(state.store.get_unit(ctx.user.org_id, id).await?))
}

/// A unit with the version the editor read.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UnitUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub unit: UnitInput,
}

/// Replaces a unit. A stale `version` gets 409 and changes nothing.
#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "units", params(("id" = UnitId, Path)), request_body = UnitUpdate,
    responses((status = 200, body = ServiceUnit), (status = 409), (status = 422)))]
pub async fn update_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UnitId>,
    ApiJson(input): ApiJson<UnitUpdate>,
) -> AppResult<Json<ServiceUnit>> {
    ctx.require(Permission::ManageUnits, Scope::Unit(id))?;
    let fields = input.unit.validate()?;
    Ok(Json(state.store.update_unit(&ctx.actor(), id, input.version, &fields).await?))
}
