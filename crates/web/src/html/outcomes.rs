//! Outcome pages: programme outcomes with their export, a client's scores and change, and the
//! administration form, either for a worker entering a paper form (with the date on the paper)
//! or in large type for the client on a tablet the worker hands over, in the client's language.
//! Every rule is checked in the service (`crate::outcomes`); the forms work without JavaScript.

use super::HtmlForm;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::outcomes::{self as svc, ClientOutcomes, ProgrammeParams};
use crate::page::{render, render_form, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::ClientId;
use shegong_domain::locale::Locale;
use shegong_domain::outcomes::{client_locale, AdministrationInput, ChangeVerdict, Mode, ProgrammeOutcomes, Scale, TimePoint};
use shegong_domain::{DomainError, FieldError};
use std::collections::{BTreeMap, HashMap};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outcomes", get(programme))
        .route("/outcomes/clients/{id}", get(client))
        .route("/outcomes/clients/{id}/administer", get(administer_page).post(administer))
}

fn scale_name(scales: &[Scale], code: &str, l: Locale) -> String {
    scales.iter().find(|s| s.code == code).map(|s| s.name.get(l).to_string()).unwrap_or_else(|| code.to_string())
}

// ---------------------------------------------------------------------------------------------
// Programme outcomes

#[derive(Template)]
#[template(path = "outcomes.html")]
struct ProgrammePage {
    page: Page,
    scales: Vec<Scale>,
    p: ProgrammeParams,
    result: Option<ProgrammeOutcomes>,
    categories: BTreeMap<String, String>,
    errors: Vec<FieldError>,
}

impl ProgrammePage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn scale(&self, s: &Scale) -> String {
        s.name.get(self.page.locale).to_string()
    }
    fn group(&self, key: &str) -> String {
        if key == "all" {
            self.page.t("outcomes-all-clients")
        } else {
            self.categories.get(key).cloned().unwrap_or_else(|| key.to_string())
        }
    }
    fn num(&self, v: &Option<f64>, suppressed: &bool) -> String {
        match v {
            Some(x) => format!("{x}"),
            None if *suppressed => format!("<{}", shegong_domain::outcomes::MIN_CELL),
            None => "—".into(),
        }
    }
    fn count(&self, v: &Option<u64>, suppressed: &bool) -> String {
        self.num(&v.map(|n| n as f64), suppressed)
    }
    fn export_query(&self, format: &str) -> String {
        let mut q = vec![("scale", self.p.scale.clone()), ("format", format.to_string())];
        if let Some(a) = self.p.activity_id {
            q.push(("activity_id", a.to_string()));
        }
        if let Some(u) = self.p.unit_id {
            q.push(("unit_id", u.to_string()));
        }
        if !self.p.intervention.is_empty() {
            q.push(("intervention", self.p.intervention.clone()));
        }
        serde_urlencoded::to_string(q).unwrap_or_default()
    }
}

pub async fn programme(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(p): Query<ProgrammeParams>) -> AppResult<Response> {
    let scales = svc::scales(&state, &ctx).await?;
    let page = Page::new(&state, &rc, "/outcomes").await;
    let categories =
        state.store.categories(ctx.user.org_id).await?.into_iter().map(|c| (c.code.clone(), c.name(page.locale).to_string())).collect();
    let (result, errors) = if p.scale.trim().is_empty() {
        (None, Vec::new())
    } else {
        match svc::programme(&state, &ctx, &p).await {
            Ok(r) => (Some(r), Vec::new()),
            Err(AppError::Domain(DomainError::Invalid(e))) => (None, e),
            Err(e) => return Err(e),
        }
    };
    let invalid = !errors.is_empty();
    render_form(&ProgrammePage { page, scales, p, result, categories, errors }, invalid)
}

// ---------------------------------------------------------------------------------------------
// A client's outcomes

#[derive(Template)]
#[template(path = "outcomes_client.html")]
struct ClientPage {
    page: Page,
    notice: Option<String>,
    o: ClientOutcomes,
    scales: Vec<Scale>,
    can_administer: bool,
}

impl ClientPage {
    fn scale_name(&self, code: &str) -> String {
        scale_name(&self.scales, code, self.page.locale)
    }
    fn band(&self, scale: &str, band: &str) -> String {
        self.scales
            .iter()
            .find(|s| s.code == scale)
            .and_then(|s| s.bands.iter().find(|b| b.code == band))
            .map(|b| b.label.get(self.page.locale).to_string())
            .unwrap_or_default()
    }
    fn verdict(&self, v: &ChangeVerdict) -> String {
        self.page.t(&format!("outcomes-verdict-{}", v.as_str()))
    }
    fn opt(&self, v: &Option<f64>) -> String {
        v.map(|x| if x > 0.0 { format!("+{x}") } else { format!("{x}") }).unwrap_or_else(|| "—".into())
    }
    fn plain(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x}")).unwrap_or_else(|| "—".into())
    }
    fn tp(&self, t: &TimePoint) -> String {
        self.page.t(&format!("outcomes-tp-{}", t.as_str()))
    }
    fn mode(&self, m: &Mode) -> String {
        self.page.t(&format!("outcomes-mode-{}", m.as_str()))
    }
    fn time_points(&self) -> Vec<(&'static str, String)> {
        TimePoint::ALL.iter().map(|t| (t.as_str(), self.tp(t))).collect()
    }
    fn modes(&self) -> Vec<(&'static str, String)> {
        Mode::ALL.iter().map(|m| (m.as_str(), self.mode(m))).collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn client(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let o = svc::client_outcomes(&state, &ctx, id).await?;
    let page = Page::new(&state, &rc, &format!("/outcomes/clients/{id}")).await;
    let notice = q.notice.filter(|n| n == "saved").map(|_| page.t("outcomes-notice-saved"));
    let scales = svc::all_scales(&state, &ctx).await?;
    let can_administer = ctx.can(Permission::AdministerScales, Scope::Unit(o.unit_id));
    render(&ClientPage { page, notice, o, scales, can_administer })
}

// ---------------------------------------------------------------------------------------------
// The administration form

#[derive(Template)]
#[template(path = "outcomes_administer.html")]
struct AdministerPage {
    page: Page,
    client_id: ClientId,
    scale: Scale,
    /// The language of the items (the client's on a tablet).
    tl: Locale,
    tablet: bool,
    form: HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl AdministerPage {
    fn tt(&self, key: &str) -> String {
        i18n::t(self.tl, key)
    }
    fn text(&self, t: &shegong_domain::outcomes::Text3) -> String {
        t.get(self.tl).to_string()
    }
    fn val(&self, k: &str) -> String {
        self.form.get(k).cloned().unwrap_or_default()
    }
    fn checked(&self, i: &usize, v: &i32) -> bool {
        self.form.get(&format!("a{i}")).is_some_and(|x| x == &v.to_string())
    }
    fn errs(&self, f: &str) -> Vec<String> {
        self.errors.iter().filter(|e| e.field == f).map(|e| crate::page::field_message(self.tl, e)).collect()
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.tl, e)).collect()
    }
}

async fn administer_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: ClientId,
    form: HashMap<String, String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let client = state.store.get_client(ctx.user.org_id, id).await?;
    ctx.require(Permission::AdministerScales, Scope::Unit(client.unit_id))?;
    let code = form.get("scale").cloned().unwrap_or_default();
    let scale = svc::scale(state, ctx, &code).await.map_err(|_| AppError::from(DomainError::invalid("scale", "invalid-choice")))?;
    let page = Page::new(state, rc, &format!("/outcomes/clients/{id}/administer")).await;
    let tablet = form.get("mode").is_some_and(|m| m == "tablet");
    let tl = if tablet { client_locale(client.preferred_language, page.locale) } else { page.locale };
    let invalid = !errors.is_empty();
    render_form(&AdministerPage { page, client_id: id, scale, tl, tablet, form, errors }, invalid)
}

pub async fn administer_page(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    administer_view(&state, &rc, &ctx, id, q, Vec::new()).await
}

fn input_of(id: ClientId, f: &HashMap<String, String>, items: usize) -> AdministrationInput {
    let get = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    // An unanswered item is sent as an impossible value, so the form says which one is missing.
    let answers = (0..items).map(|i| f.get(&format!("a{i}")).and_then(|v| v.trim().parse().ok()).unwrap_or(i32::MIN)).collect();
    AdministrationInput {
        client_id: Some(id),
        scale: get("scale"),
        case_id: get("case_id").parse().ok(),
        activity_id: get("activity_id").parse().ok(),
        intervention: get("intervention"),
        time_point: get("time_point"),
        mode: get("mode"),
        administered_on: get("administered_on").parse().ok(),
        answers,
    }
}

pub async fn administer(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    HtmlForm(f): HtmlForm<HashMap<String, String>>,
) -> AppResult<Response> {
    ctx.require(Permission::AdministerScales, Scope::AnyUnit)?;
    let items = match svc::scale(&state, &ctx, f.get("scale").map(String::as_str).unwrap_or_default()).await {
        Ok(s) => s.items.len(),
        Err(_) => return Err(DomainError::invalid("scale", "invalid-choice").into()),
    };
    match svc::administer(&state, &ctx, &input_of(id, &f, items)).await {
        Ok(_) => Ok(Redirect::to(&format!("/outcomes/clients/{id}?notice=saved")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => administer_view(&state, &rc, &ctx, id, f, errors).await,
        Err(e) => Err(e),
    }
}
