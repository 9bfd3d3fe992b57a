//! The audit log over JSON.

use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{AuditEntry, VerifyReport};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Entries with a smaller sequence number than this (for paging back).
    pub before: Option<i64>,
    /// At most 500.
    pub limit: Option<u64>,
}

/// Newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>), (status = 403)))]
pub async fn list_audit(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> AppResult<Json<Vec<AuditEntry>>> {
    ctx.require(Permission::ViewAudit, Scope::Agency)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(state.store.list_audit(ctx.user.org_id, q.before, limit).await?))
}

/// Re-computes every hash of the agency's chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", responses((status = 200, body = VerifyReport), (status = 403)))]
pub async fn verify_audit(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<VerifyReport>> {
    ctx.require(Permission::ViewAudit, Scope::Agency)?;
    Ok(Json(state.store.verify_audit(ctx.user.org_id).await?))
}
