//! Coverage page (便利圈): a server-rendered SVG map of H3 hexagons coloured by walking time
//! to the nearest service point, the table of people within 10/15/20 minutes and beyond (for
//! everyone and each vulnerable category), suggestions of new sites with before and after, and
//! (for coverage managers) the settings, the population grid import and the candidate sites.
//! The map needs no internet and no JavaScript; a click on it fills in a new site's coordinates
//! where JavaScript runs.

use super::HtmlForm;
use crate::coverage::{self as svc, CoverageParams, CoverageReport};
use crate::ctx::{csrf_matches, Ctx, RequestCtx, CSRF_FIELD};
use crate::error::{AppError, AppResult};
use crate::page::{render_form, Page};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::coverage::{Band, BandCounts, CoverageSettings, SettingsInput, SiteInput, Suggestion};
use shegong_domain::ids::SiteId;
use shegong_domain::{DomainError, FieldError};
use std::fmt::Write;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coverage/grid", post(import_grid))
        .layer(DefaultBodyLimit::max(crate::api::v1::coverage::GRID_LIMIT))
        .route("/coverage", get(show))
        .route("/coverage/export", get(export))
        .route("/coverage/settings", post(save_settings))
        .route("/coverage/sites", post(create_site))
        .route("/coverage/sites/{id}/delete", post(delete_site))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ShowQuery {
    district: String,
    source: String,
    method: String,
    k: String,
    notice: Option<String>,
}

impl ShowQuery {
    fn params(&self) -> CoverageParams {
        CoverageParams { district: self.district.clone(), source: self.source.clone(), method: self.method.clone(), k: self.k.clone() }
    }
}

/// One row of the coverage table.
pub struct TableRow {
    label: String,
    counts: BandCounts,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    page: Page,
    notice: Option<String>,
    errors: Vec<FieldError>,
    q: ShowQuery,
    report: Option<CoverageReport>,
    rows: Vec<TableRow>,
    map: String,
    can_manage: bool,
    settings: SettingsInput,
    site: SiteInput,
    stale: bool,
}

impl CoveragePage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn n(&self, v: &u64) -> String {
        crate::i18n::number(*v as i64)
    }
    fn pct(&self, part: &u64, total: &u64) -> String {
        if *total == 0 {
            "—".into()
        } else {
            format!("{:.0}%", *part as f64 * 100.0 / *total as f64)
        }
    }
    fn export_query(&self) -> String {
        serde_urlencoded::to_string(self.q.params()).unwrap_or_default()
    }
    fn method_name(&self, s: &Suggestion) -> String {
        self.page.t(match s.method {
            shegong_domain::coverage::ChoiceMethod::Exact => "coverage-method-exact",
            shegong_domain::coverage::ChoiceMethod::Greedy => "coverage-method-greedy",
        })
    }
    /// Rows of the before/after table: label, before, after.
    fn target_rows(&self, s: &Suggestion) -> Vec<(String, String, String)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.label.clone(), self.n(&s.within_target_before[i.min(4)]), self.n(&s.within_target_after[i.min(4)])))
            .collect()
    }
}

/// Colours of the bands: dark green to red, told apart by lightness too.
fn band_colour(b: Band) -> &'static str {
    match b {
        Band::Within10 => "#1b7837",
        Band::Within15 => "#7fbf7b",
        Band::Within20 => "#f4a582",
        Band::Beyond20 => "#b2182b",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The map: an equirectangular projection of the cells and points into a 720-wide box.
fn svg_map(page: &Page, r: &CoverageReport) -> String {
    let mut pts: Vec<(f64, f64)> = r.cells.iter().flat_map(|c| c.boundary.iter().copied()).collect();
    let in_scope = |d: &str| r.district.is_empty() || d == r.district;
    pts.extend(r.points.iter().filter(|p| in_scope(&p.district)).map(|p| (p.latitude, p.longitude)));
    pts.extend(r.sites.iter().map(|s| (s.latitude, s.longitude)));
    if pts.is_empty() {
        return String::new();
    }
    let (mut la0, mut la1, mut lo0, mut lo1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (la, lo) in &pts {
        la0 = la0.min(*la);
        la1 = la1.max(*la);
        lo0 = lo0.min(*lo);
        lo1 = lo1.max(*lo);
    }
    let pad = ((la1 - la0).max(lo1 - lo0) * 0.05).max(0.002);
    let (la0, la1, lo0, lo1) = (la0 - pad, la1 + pad, lo0 - pad, lo1 + pad);
    let kx = ((la0 + la1) / 2.0).to_radians().cos();
    let w = 720.0;
    let h = ((la1 - la0) / ((lo1 - lo0) * kx) * w).clamp(240.0, 720.0);
    let x = |lo: f64| (lo - lo0) / (lo1 - lo0) * w;
    let y = |la: f64| (la1 - la) / (la1 - la0) * h;
    let mut s = String::new();
    let title = page.t("coverage-map-title");
    let _ = write!(
        s,
        r##"<svg id="coverage-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-labelledby="map-title map-desc" data-bbox="{la0:.6},{lo0:.6},{la1:.6},{lo1:.6}"><title id="map-title">{}</title><desc id="map-desc">{}</desc><rect width="100%" height="100%" fill="#f7f7f4"/>"##,
        esc(&title),
        esc(&page.t("coverage-map-desc"))
    );
    s.push_str(r#"<g class="cells">"#);
    for c in &r.cells {
        let poly: Vec<String> = c.boundary.iter().map(|(la, lo)| format!("{:.1},{:.1}", x(*lo), y(*la))).collect();
        let tip = format!("{} · {} {}", crate::i18n::number(c.people as i64), c.mean_minutes, page.t("coverage-minutes"));
        let _ = write!(
            s,
            r##"<polygon points="{}" fill="{}" fill-opacity="0.8" stroke="#ffffff" stroke-width="0.5" data-band="{}"><title>{}</title></polygon>"##,
            poly.join(" "),
            band_colour(c.band),
            c.band.as_str(),
            esc(&tip)
        );
    }
    s.push_str("</g><g class=\"points\">");
    for p in r.points.iter().filter(|p| p.latitude >= la0 && p.latitude <= la1 && p.longitude >= lo0 && p.longitude <= lo1) {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="6" fill="#1f3b73" stroke="#ffffff" stroke-width="2"><title>{}</title></circle>"##,
            x(p.longitude),
            y(p.latitude),
            esc(&p.name)
        );
    }
    let chosen: Vec<(f64, f64)> =
        r.suggestion.as_ref().map(|s| s.sites.iter().map(|x| (x.latitude, x.longitude)).collect()).unwrap_or_default();
    for site in &r.sites {
        let picked = chosen.iter().any(|(la, lo)| (*la - site.latitude).abs() < 1e-9 && (*lo - site.longitude).abs() < 1e-9);
        let (cx, cy) = (x(site.longitude), y(site.latitude));
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="10" height="10" transform="rotate(45 {cx:.1} {cy:.1})" fill="{}" stroke="#1f3b73" stroke-width="1.5" class="site"><title>{}</title></rect>"##,
            cx - 5.0,
            cy - 5.0,
            if picked { "#ffd23f" } else { "#ffffff" },
            esc(&site.name)
        );
    }
    s.push_str("</g></svg>");
    s
}

fn table(names: &[String], everyone: String, t: &shegong_domain::coverage::CoverageTotals) -> Vec<TableRow> {
    let mut rows = vec![TableRow { label: everyone, counts: t.all }];
    for (c, n) in t.categories.iter().zip(names) {
        rows.push(TableRow { label: n.clone(), counts: c.counts });
    }
    rows
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    q: ShowQuery,
    errors: Vec<FieldError>,
    settings: Option<SettingsInput>,
    site: Option<SiteInput>,
    stale: bool,
) -> AppResult<Response> {
    ctx.require(Permission::ViewCoverage, Scope::AnyUnit)?;
    let page = Page::new(state, rc, "/coverage").await;
    let mut errors = errors;
    let report = match svc::report(state, ctx, &q.params()).await {
        Ok(r) => Some(r),
        Err(AppError::Domain(DomainError::Invalid(e))) => {
            errors.extend(e);
            let plain = ShowQuery { k: String::new(), ..q.clone() };
            svc::report(state, ctx, &CoverageParams { source: String::new(), method: String::new(), ..plain.params() }).await.ok()
        }
        Err(e) => return Err(e),
    };
    let names = svc::category_names(state, ctx).await?;
    let everyone = page.t("coverage-everyone");
    let rows = report.as_ref().map(|r| table(&names, everyone, &r.totals)).unwrap_or_default();
    let map = report.as_ref().map(|r| svg_map(&page, r)).unwrap_or_default();
    let stored: CoverageSettings = state.store.coverage_settings(ctx.user.org_id).await?;
    let invalid = !errors.is_empty() || stale;
    let notice = q
        .notice
        .as_deref()
        .filter(|k| ["saved", "imported", "created", "deleted"].contains(k))
        .map(|k| page.t(&format!("coverage-notice-{k}")));
    render_form(
        &CoveragePage {
            notice,
            errors,
            q,
            report,
            rows,
            map,
            can_manage: ctx.can(Permission::ManageCoverage, Scope::Agency),
            settings: settings.unwrap_or_else(|| SettingsInput::from(&stored)),
            site: site.unwrap_or_default(),
            stale,
            page,
        },
        invalid,
    )
}

pub async fn show(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ShowQuery>) -> AppResult<Response> {
    page(&state, &rc, &ctx, q, Vec::new(), None, None, false).await
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ShowQuery>) -> AppResult<Response> {
    svc::export(&state, &ctx, &q.params()).await
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SettingsForm {
    detour_factor: String,
    walk_kmh: String,
    target_minutes: String,
    weight_elderly_alone: String,
    weight_disabled: String,
    weight_low_income: String,
    weight_child_in_difficulty: String,
    version: i64,
}

impl SettingsForm {
    fn input(self) -> SettingsInput {
        SettingsInput {
            detour_factor: self.detour_factor,
            walk_kmh: self.walk_kmh,
            target_minutes: self.target_minutes,
            weight_elderly_alone: self.weight_elderly_alone,
            weight_disabled: self.weight_disabled,
            weight_low_income: self.weight_low_income,
            weight_child_in_difficulty: self.weight_child_in_difficulty,
            version: self.version,
        }
    }
}

pub async fn save_settings(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<SettingsForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    let input = f.input();
    match svc::save_settings(&state, &ctx, &input).await {
        Ok(_) => Ok(Redirect::to("/coverage?notice=saved").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            page(&state, &rc, &ctx, ShowQuery::default(), errors, Some(input), None, false).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            page(&state, &rc, &ctx, ShowQuery::default(), Vec::new(), Some(input), None, true).await
        }
        Err(e) => Err(e),
    }
}

pub async fn import_grid(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let mut multipart = multipart.map_err(|_| AppError::UnsupportedMedia)?;
    let (mut csrf, mut bytes) = (String::new(), Vec::new());
    let too_large = super::clients_import::multipart_error;
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        match field.name().unwrap_or_default() {
            "file" => bytes = field.bytes().await.map_err(too_large)?.to_vec(),
            n if n == CSRF_FIELD => csrf = field.text().await.map_err(too_large)?,
            _ => {}
        }
    }
    // The middleware does not read multipart bodies: the token is checked here, first.
    if !csrf_matches(&ctx.csrf, &csrf) {
        return Err(AppError::Csrf);
    }
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    match svc::import_grid(&state, &ctx, &bytes).await {
        Ok(_) => Ok(Redirect::to("/coverage?source=grid&notice=imported").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            page(&state, &rc, &ctx, ShowQuery::default(), errors, None, None, false).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SiteForm {
    name: String,
    district: String,
    latitude: String,
    longitude: String,
}

pub async fn create_site(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<SiteForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    let input = SiteInput { name: f.name, district: f.district, latitude: f.latitude, longitude: f.longitude };
    match svc::create_site(&state, &ctx, &input).await {
        Ok(_) => Ok(Redirect::to("/coverage?notice=created").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            page(&state, &rc, &ctx, ShowQuery::default(), errors, None, Some(input), false).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionForm {
    version: i64,
}

pub async fn delete_site(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SiteId>,
    HtmlForm(f): HtmlForm<VersionForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    match svc::delete_site(&state, &ctx, id, f.version).await {
        Ok(()) => Ok(Redirect::to("/coverage?notice=deleted").into_response()),
        Err(AppError::Domain(DomainError::Stale)) => page(&state, &rc, &ctx, ShowQuery::default(), Vec::new(), None, None, true).await,
        Err(e) => Err(e),
    }
}
