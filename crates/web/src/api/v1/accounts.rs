//! Accounts over JSON: who am I, account administration, personal API tokens.

use super::ApiJson;
use crate::accounts as svc;
use crate::ctx::{hash_token, random_token, Ctx};
use crate::error::AppResult;
use crate::html::accounts::check_self_edit;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{ApiToken, NewUserInput, Permission, Scope, User, UserUpdateInput};
use shegong_domain::error::Validator;
use shegong_domain::ids::{TokenId, UserId};

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = User), (status = 401)))]
pub async fn me(ctx: Ctx) -> Json<User> {
    Json(ctx.user)
}

#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", responses((status = 200, body = Vec<User>), (status = 403)))]
pub async fn list_users(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<User>>> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    Ok(Json(state.store.list_users(ctx.user.org_id).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUserInput,
    responses((status = 201, body = User), (status = 422, description = "invalid fields")))]
pub async fn create_user(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<NewUserInput>,
) -> AppResult<(StatusCode, Json<User>)> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let new = input.validate()?;
    let user = svc::create_user(&state, &ctx.actor(), new).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = UserId, Path)), responses((status = 200, body = User), (status = 404)))]
pub async fn get_user(State(state): State<AppState>, ctx: Ctx, Path(id): Path<UserId>) -> AppResult<Json<User>> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    Ok(Json(state.store.get_user(ctx.user.org_id, id).await?))
}

/// Replaces name, active flag and grants. Send the `version` you read; a stale one gets 409.
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = UserId, Path)), request_body = UserUpdateInput,
    responses((status = 200, body = User), (status = 409, description = "changed since read"), (status = 422)))]
pub async fn update_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    ApiJson(input): ApiJson<UserUpdateInput>,
) -> AppResult<Json<User>> {
    ctx.require(Permission::ManageUsers, Scope::Agency)?;
    let update = input.validate()?;
    check_self_edit(&ctx, id, &update)?;
    Ok(Json(state.store.update_user(&ctx.actor(), id, &update).await?))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list_tokens(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<ApiToken>>> {
    Ok(Json(state.store.list_tokens(ctx.user.org_id, ctx.user.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
}

/// The secret is returned once; only its hash is stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewToken, responses((status = 201, body = CreatedToken)))]
pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<NewToken>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    let mut v = Validator::new();
    let name = v.text("name", &input.name, true, 100);
    v.finish()?;
    let secret = format!("sg_{}", random_token());
    let token = state.store.create_token(&ctx.actor(), ctx.user.id, &name, &hash_token(&secret), state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = TokenId, Path)), responses((status = 204), (status = 404)))]
pub async fn revoke_token(State(state): State<AppState>, ctx: Ctx, Path(id): Path<TokenId>) -> AppResult<StatusCode> {
    state.store.revoke_token(&ctx.actor(), ctx.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
