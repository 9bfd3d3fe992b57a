use crate::ctx::RequestCtx;
use crate::error::AppResult;
use crate::page::{render, Page};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ports::CallQuery;
use shegong_domain::units::ServiceUnit;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    /// (role name, where) pairs.
    roles: Vec<(String, String)>,
    units: Vec<ServiceUnit>,
    /// High-risk hotline calls escalated to this user and not yet acknowledged.
    escalations: usize,
}

pub async fn home(State(state): State<AppState>, rc: RequestCtx) -> AppResult<Response> {
    let Some(user) = rc.user.clone() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let page = Page::new(&state, &rc, "/").await;
    let all = state.store.list_units(user.org_id).await?;
    let roles = super::accounts::describe_grants(&page, &user.grants.0, &all);
    // Only the units the user may open (none for an account without grants).
    let units = all.into_iter().filter(|u| u.active && user.grants.allows(Permission::ViewUnits, Scope::Unit(u.id))).collect();
    let escalations = if user.grants.allows(Permission::ViewHotline, Scope::AnyUnit) {
        let q = CallQuery { open_escalations_for: Some(user.id), limit: 100, ..Default::default() };
        let calls = state.store.list_calls(user.org_id, &q).await?;
        calls.iter().filter(|c| user.grants.allows(Permission::ViewHotline, Scope::Unit(c.unit_id))).count()
    } else {
        0
    };
    render(&HomePage { page, roles, units, escalations })
}
