//! The audit log viewer and chain check.

use crate::ctx::{Ctx, RequestCtx};
use crate::error::AppResult;
use crate::page::{render, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{AuditEntry, VerifyReport};

const PAGE_SIZE: u64 = 100;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Page,
    entries: Vec<AuditEntry>,
    older: Option<i64>,
    verify: Option<VerifyReport>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    before: Option<i64>,
}

async fn show(state: &AppState, rc: &RequestCtx, ctx: &Ctx, before: Option<i64>, verify: Option<VerifyReport>) -> AppResult<Response> {
    let page = Page::new(state, rc, "/audit").await;
    let entries = state.store.list_audit(ctx.user.org_id, before, PAGE_SIZE).await?;
    let older = entries.last().filter(|e| e.seq > 1 && entries.len() as u64 == PAGE_SIZE).map(|e| e.seq);
    render(&AuditPage { page, entries, older, verify })
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewAudit, Scope::Agency)?;
    show(&state, &rc, &ctx, q.before, None).await
}

pub async fn verify(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::ViewAudit, Scope::Agency)?;
    let report = state.store.verify_audit(ctx.user.org_id).await?;
    show(&state, &rc, &ctx, None, Some(report)).await
}
