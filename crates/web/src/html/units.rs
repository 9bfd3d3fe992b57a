//! Service units: list, view, create, edit.

use super::{notice, HtmlForm};
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::UnitId;
use shegong_domain::units::{ServiceUnit, UnitInput, UnitType};
use shegong_domain::{DomainError, FieldError};

#[derive(Template)]
#[template(path = "units_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    units: Vec<ServiceUnit>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    notice: Option<String>,
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewUnits, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/units").await;
    // Only the units the caller may open: staff granted in one unit do not see the others.
    let units =
        state.store.list_units(ctx.user.org_id).await?.into_iter().filter(|u| ctx.can(Permission::ViewUnits, Scope::Unit(u.id))).collect();
    let n = notice(&page, q.notice.as_deref());
    render(&ListPage { page, notice: n, units })
}

#[derive(Template)]
#[template(path = "unit_form.html")]
struct FormPage {
    page: Page,
    unit_id: Option<UnitId>,
    version: i64,
    input: UnitInput,
    unit_types: [UnitType; 8],
    errors: Vec<FieldError>,
    stale: Option<String>,
}

async fn form(
    state: &AppState,
    rc: &RequestCtx,
    unit_id: Option<UnitId>,
    version: i64,
    input: UnitInput,
    errors: Vec<FieldError>,
    stale: bool,
) -> AppResult<Response> {
    let path = unit_id.map(|id| format!("/units/{id}")).unwrap_or_else(|| "/units/new".into());
    let page = Page::new(state, rc, &path).await;
    let stale = stale.then(|| page.t("error-stale"));
    let invalid = !errors.is_empty() || stale.is_some();
    let p = FormPage { page, unit_id, version, input, unit_types: UnitType::ALL, errors, stale };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn new_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::ManageUnits, Scope::Agency)?;
    let input = UnitInput { unit_type: UnitType::FamilyCentre.as_str().into(), active: true, ..Default::default() };
    form(&state, &rc, None, 0, input, Vec::new(), false).await
}

/// The HTML form: an unticked checkbox is simply absent.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitForm {
    code: String,
    name_en: String,
    name_zh_hant: String,
    name_zh_hans: String,
    unit_type: String,
    district: String,
    address: String,
    latitude: String,
    longitude: String,
    opening_hours: String,
    active: Option<String>,
    version: i64,
}

impl From<UnitForm> for UnitInput {
    fn from(f: UnitForm) -> Self {
        UnitInput {
            code: f.code,
            name_en: f.name_en,
            name_zh_hant: f.name_zh_hant,
            name_zh_hans: f.name_zh_hans,
            unit_type: f.unit_type,
            district: f.district,
            address: f.address,
            latitude: Some(f.latitude),
            longitude: Some(f.longitude),
            opening_hours: f.opening_hours,
            active: f.active.is_some(),
        }
    }
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<UnitForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageUnits, Scope::Agency)?;
    let input: UnitInput = f.into();
    let result = match input.validate() {
        Ok(fields) => state.store.create_unit(&ctx.actor(), &fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/units?notice=created").into_response()),
        Err(DomainError::Invalid(errors)) => form(&state, &rc, None, 0, input, errors, false).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn show(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<UnitId>) -> AppResult<Response> {
    ctx.require(Permission::ViewUnits, Scope::Unit(id))?;
    let unit = state.store.get_unit(ctx.user.org_id, id).await?;
    if ctx.can(Permission::ManageUnits, Scope::Unit(id)) {
        let version = unit.version;
        return form(&state, &rc, Some(id), version, UnitInput::from(&unit), Vec::new(), false).await;
    }
    let page = Page::new(&state, &rc, &format!("/units/{id}")).await;
    render(&ViewPage { name: page.unit_name(&unit), page, item: unit })
}

#[derive(Template)]
#[template(path = "unit_view.html")]
struct ViewPage {
    page: Page,
    name: String,
    item: ServiceUnit,
}

pub async fn update(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<UnitId>,
    HtmlForm(f): HtmlForm<UnitForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageUnits, Scope::Unit(id))?;
    let version = f.version;
    let input: UnitInput = f.into();
    let result = match input.validate() {
        Ok(fields) => state.store.update_unit(&ctx.actor(), id, version, &fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/units?notice=saved").into_response()),
        Err(DomainError::Invalid(errors)) => form(&state, &rc, Some(id), version, input, errors, false).await,
        // Someone else saved first: keep what this user typed, with the new version, and say so.
        Err(DomainError::Stale) => {
            let current = state.store.get_unit(ctx.user.org_id, id).await?;
            form(&state, &rc, Some(id), current.version, input, Vec::new(), true).await
        }
        Err(e) => Err(AppError::from(e)),
    }
}
