//! Clients over JSON: find, register (with duplicate warnings), read, edit, close, consents,
//! households, duplicates and merge, the data-subject access export, retention.

use super::ApiJson;
use crate::clients::{self as svc, Registration, SubjectAccessExport};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::clients::{
    Category, Client, ClientFilter, ClientInput, Consent, ConsentInput, DuplicateMatch, Household, HouseholdInput,
};
use shegong_domain::ids::{ClientId, ConsentId, HouseholdId};
use shegong_domain::ports::MergeRecord;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientList {
    pub clients: Vec<Client>,
    pub total: u64,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct ListParams {
    #[serde(flatten)]
    #[param(inline)]
    pub filter: ClientFilter,
    pub offset: u64,
    /// At most 500.
    pub limit: Option<u64>,
}

/// Finds clients in the caller's units.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListParams), responses((status = 200, body = ClientList), (status = 403)))]
pub async fn list_clients(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Json<ClientList>> {
    ctx.require(Permission::ViewClients, Scope::AnyUnit)?;
    let found = svc::find(&state, &ctx, &p.filter, p.offset, p.limit.unwrap_or(50).clamp(1, 500)).await?;
    Ok(Json(ClientList { clients: found.clients, total: found.total }))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct RegisterParams {
    /// Register even when possible duplicates were found.
    pub confirm_duplicates: bool,
}

/// The answer when possible duplicates were found (nothing was saved).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PossibleDuplicates {
    pub code: &'static str,
    /// Matches in units the caller may open.
    pub duplicates: Vec<DuplicateMatch>,
    /// How many matches are in units the caller cannot open (not shown).
    pub elsewhere: usize,
}

/// Registers a client. When the person may already be registered, answers 409 with the
/// candidates and saves nothing; repeat with `confirm_duplicates=true` to register anyway.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", params(RegisterParams), request_body = ClientInput,
    responses((status = 201, body = Client), (status = 409, body = PossibleDuplicates), (status = 422)))]
pub async fn create_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<RegisterParams>,
    ApiJson(input): ApiJson<ClientInput>,
) -> AppResult<Response> {
    ctx.require(Permission::EditClients, Scope::AnyUnit)?;
    Ok(match svc::register(&state, &ctx, &input, p.confirm_duplicates).await? {
        Registration::Created(c) => (StatusCode::CREATED, Json(*c)).into_response(),
        Registration::PossibleDuplicates { shown, elsewhere } => {
            (StatusCode::CONFLICT, Json(PossibleDuplicates { code: "possible-duplicates", duplicates: shown, elsewhere })).into_response()
        }
    })
}

/// Reads a client (the view is written to the audit log).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = ClientId, Path)), responses((status = 200, body = Client), (status = 404)))]
pub async fn get_client(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ClientId>) -> AppResult<Json<Client>> {
    let c = svc::load(&state, &ctx, id, Permission::ViewClients).await?;
    svc::audit_view(&state, &ctx, id).await?;
    let categories = state.store.categories(ctx.user.org_id).await?;
    Ok(Json(svc::mask(&ctx, c, &categories)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ClientUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub client: ClientInput,
}

/// Replaces a client's details. A stale `version` gets 409 and changes nothing.
#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = ClientId, Path)), request_body = ClientUpdate,
    responses((status = 200, body = Client), (status = 409), (status = 422)))]
pub async fn update_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    ApiJson(u): ApiJson<ClientUpdate>,
) -> AppResult<Json<Client>> {
    Ok(Json(svc::update(&state, &ctx, id, u.version, u.client).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VersionBody {
    pub version: i64,
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/close", tag = "clients", params(("id" = ClientId, Path)), request_body = VersionBody, responses((status = 200, body = Client)))]
pub async fn close_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    ApiJson(v): ApiJson<VersionBody>,
) -> AppResult<Json<Client>> {
    let c = svc::close(&state, &ctx, id, v.version).await?;
    let categories = state.store.categories(ctx.user.org_id).await?;
    Ok(Json(svc::mask(&ctx, c, &categories)))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/reopen", tag = "clients", params(("id" = ClientId, Path)), request_body = VersionBody, responses((status = 200, body = Client)))]
pub async fn reopen_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    ApiJson(v): ApiJson<VersionBody>,
) -> AppResult<Json<Client>> {
    let c = svc::reopen(&state, &ctx, id, v.version).await?;
    let categories = state.store.categories(ctx.user.org_id).await?;
    Ok(Json(svc::mask(&ctx, c, &categories)))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/consents", tag = "clients", params(("id" = ClientId, Path)), responses((status = 200, body = Vec<Consent>)))]
pub async fn list_consents(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ClientId>) -> AppResult<Json<Vec<Consent>>> {
    svc::load(&state, &ctx, id, Permission::ViewClients).await?;
    Ok(Json(state.store.consents(ctx.user.org_id, id).await?))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/consents", tag = "clients", params(("id" = ClientId, Path)), request_body = ConsentInput,
    responses((status = 201, body = Consent), (status = 422)))]
pub async fn add_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> AppResult<(StatusCode, Json<Consent>)> {
    svc::load(&state, &ctx, id, Permission::EditClients).await?;
    let fields = input.validate(svc::today(&state, ctx.user.org_id).await?)?;
    Ok((StatusCode::CREATED, Json(state.store.add_consent(&ctx.actor(), id, &fields).await?)))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/consents/{consent}/withdraw", tag = "clients",
    params(("id" = ClientId, Path), ("consent" = ConsentId, Path)), responses((status = 200, body = Consent), (status = 404)))]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, consent)): Path<(ClientId, ConsentId)>,
) -> AppResult<Json<Consent>> {
    svc::load(&state, &ctx, id, Permission::EditClients).await?;
    let today = svc::today(&state, ctx.user.org_id).await?;
    Ok(Json(state.store.withdraw_consent(&ctx.actor(), id, consent, today).await?))
}

/// Everything held about one person, for a data access request (PDPO DPP6 / PIPL). Audited.
#[utoipa::path(get, path = "/api/v1/clients/{id}/data-export", tag = "clients", params(("id" = ClientId, Path)), responses((status = 200, body = SubjectAccessExport)))]
pub async fn data_export(State(state): State<AppState>, ctx: Ctx, Path(id): Path<ClientId>) -> AppResult<Response> {
    let export = svc::subject_access(&state, &ctx, id).await?;
    let disposition = format!("attachment; filename=\"client-{id}.json\"");
    Ok(([(axum::http::header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}

#[utoipa::path(get, path = "/api/v1/clients/categories", tag = "clients", responses((status = 200, body = Vec<Category>)))]
pub async fn categories(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Category>>> {
    ctx.require(Permission::ViewClients, Scope::AnyUnit)?;
    let mut c = state.store.categories(ctx.user.org_id).await?;
    if !ctx.user.sensitive_access {
        c.retain(|k| !k.sensitive);
    }
    Ok(Json(c))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DuplicatePair {
    pub client: Client,
    pub possible_duplicate: DuplicateMatch,
}

/// Pairs of records in the caller's units that may be one person.
#[utoipa::path(get, path = "/api/v1/clients/duplicates", tag = "clients", responses((status = 200, body = Vec<DuplicatePair>)))]
pub async fn duplicates(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<DuplicatePair>>> {
    ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let units = svc::units_for(&ctx, Permission::ManageClients);
    let categories = state.store.categories(org).await?;
    let pairs = state.store.duplicate_pairs(org, units.as_deref(), 100).await?;
    Ok(Json(
        pairs
            .into_iter()
            .map(|(a, d)| DuplicatePair {
                client: svc::mask(&ctx, a, &categories),
                possible_duplicate: DuplicateMatch { client: svc::mask(&ctx, d.client, &categories), reasons: d.reasons },
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The record that stays.
    pub survivor: ClientId,
    /// The record retired into it; its phones, categories, consents and household follow.
    pub merged: ClientId,
}

#[utoipa::path(post, path = "/api/v1/clients/merge", tag = "clients", request_body = MergeBody, responses((status = 200, body = Client), (status = 422)))]
pub async fn merge(State(state): State<AppState>, ctx: Ctx, ApiJson(b): ApiJson<MergeBody>) -> AppResult<Json<Client>> {
    ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    let c = svc::merge(&state, &ctx, b.survivor, b.merged).await?;
    let categories = state.store.categories(ctx.user.org_id).await?;
    Ok(Json(svc::mask(&ctx, c, &categories)))
}

#[utoipa::path(get, path = "/api/v1/clients/merges", tag = "clients", responses((status = 200, body = Vec<MergeRecord>)))]
pub async fn merges(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<MergeRecord>>> {
    ctx.require(Permission::ManageClients, Scope::Agency)?;
    Ok(Json(state.store.merges(ctx.user.org_id, 500).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionBody {
    /// Records closed more than this many years ago lose their personal details.
    pub years: u32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Anonymised {
    pub anonymised: Vec<ClientId>,
}

#[utoipa::path(post, path = "/api/v1/clients/anonymise", tag = "clients", request_body = RetentionBody, responses((status = 200, body = Anonymised)))]
pub async fn anonymise(State(state): State<AppState>, ctx: Ctx, ApiJson(b): ApiJson<RetentionBody>) -> AppResult<Json<Anonymised>> {
    Ok(Json(Anonymised { anonymised: svc::anonymise(&state, &ctx, b.years).await? }))
}

#[utoipa::path(post, path = "/api/v1/households", tag = "clients", request_body = HouseholdInput, responses((status = 201, body = Household), (status = 422)))]
pub async fn create_household(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<HouseholdInput>,
) -> AppResult<(StatusCode, Json<Household>)> {
    ctx.require(Permission::EditClients, Scope::AnyUnit)?;
    let fields = svc::household_fields(&state, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(state.store.create_household(&ctx.actor(), &fields).await?)))
}

#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "clients", params(("id" = HouseholdId, Path)), responses((status = 200, body = Household), (status = 404)))]
pub async fn get_household(State(state): State<AppState>, ctx: Ctx, Path(id): Path<HouseholdId>) -> AppResult<Json<Household>> {
    let h = state.store.get_household(ctx.user.org_id, id).await?;
    ctx.require(Permission::ViewClients, Scope::Unit(h.unit_id))?;
    Ok(Json(h))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HouseholdUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub household: HouseholdInput,
}

#[utoipa::path(put, path = "/api/v1/households/{id}", tag = "clients", params(("id" = HouseholdId, Path)), request_body = HouseholdUpdate,
    responses((status = 200, body = Household), (status = 409), (status = 422)))]
pub async fn update_household(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<HouseholdId>,
    ApiJson(u): ApiJson<HouseholdUpdate>,
) -> AppResult<Json<Household>> {
    let h = state.store.get_household(ctx.user.org_id, id).await?;
    ctx.require(Permission::EditClients, Scope::Unit(h.unit_id))?;
    let fields = svc::household_fields(&state, &ctx, &u.household).await?;
    Ok(Json(state.store.update_household(&ctx.actor(), id, u.version, &fields).await?))
}
