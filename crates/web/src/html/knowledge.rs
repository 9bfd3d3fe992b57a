//! Knowledge pages: search the knowledge base (Traditional, Simplified or English) and add a
//! solution; a solution with its measured outcomes; the incident log with a form for a new
//! incident; an incident's response at a glance (counts, timeline, a form to link a record,
//! suggested solutions). Every rule is checked in the service (`crate::knowledge`).

use super::HtmlForm;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::knowledge::{self as svc, RecommendParams, SearchParams, SolutionView};
use crate::page::{render, render_form, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::{IncidentId, SolutionId};
use shegong_domain::knowledge::{
    Incident, IncidentInput, IncidentKind, IncidentView, LinkInput, LinkKind, Recommendation, Solution, SolutionInput,
};
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/knowledge", get(list))
        .route("/knowledge/solutions", post(create))
        .route("/knowledge/recommendations", get(recommendations))
        .route("/knowledge/solutions/{id}", get(show))
        .route("/knowledge/incidents", get(incidents).post(create_incident))
        .route("/knowledge/incidents/{id}", get(incident))
        .route("/knowledge/incidents/{id}/links", post(link))
}

fn lines(s: &str) -> Vec<String> {
    s.split([',', '\n', '，', '、']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

// ---------------------------------------------------------------------------------------------
// Search and new solutions

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SolutionForm {
    title: String,
    need: String,
    problems: String,
    categories: String,
    population: String,
    steps: String,
    resources: String,
    evidence: String,
    interventions: String,
}

impl SolutionForm {
    fn input(&self) -> SolutionInput {
        SolutionInput {
            title: self.title.clone(),
            need: self.need.clone(),
            problems: lines(&self.problems),
            categories: lines(&self.categories),
            population: self.population.clone(),
            steps: self.steps.clone(),
            resources: self.resources.clone(),
            evidence: self.evidence.clone(),
            interventions: lines(&self.interventions),
            version: None,
        }
    }
}

#[derive(Template)]
#[template(path = "knowledge.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    q: String,
    results: Vec<Solution>,
    can_manage: bool,
    form: SolutionForm,
    errors: Vec<FieldError>,
}

impl ListPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn excerpt(&self, s: &Solution) -> String {
        s.need.chars().take(120).collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    notice: Option<String>,
}

async fn list_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    q: String,
    notice: Option<String>,
    form: SolutionForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let results = svc::search(state, ctx, &SearchParams { q: q.clone() }).await?;
    let page = Page::new(state, rc, "/knowledge").await;
    let notice = notice.filter(|n| n == "created").map(|_| page.t("knowledge-notice-created"));
    let can_manage = ctx.can(Permission::ManageKnowledge, Scope::AnyUnit);
    let invalid = !errors.is_empty();
    render_form(&ListPage { page, notice, q, results, can_manage, form, errors }, invalid)
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    list_view(&state, &rc, &ctx, q.q, q.notice, SolutionForm::default(), Vec::new()).await
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<SolutionForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageKnowledge, Scope::AnyUnit)?;
    match svc::create_solution(&state, &ctx, &f.input()).await {
        Ok(s) => Ok(Redirect::to(&format!("/knowledge/solutions/{}?notice=created", s.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => list_view(&state, &rc, &ctx, String::new(), None, f, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "knowledge_solution.html")]
struct SolutionPage {
    page: Page,
    notice: Option<String>,
    v: SolutionView,
}

impl SolutionPage {
    fn scale(&self, code: &str) -> String {
        shegong_domain::outcomes::builtin_scales()
            .into_iter()
            .find(|s| s.code == code)
            .map(|s| s.name.get(self.page.locale).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn d(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x}")).unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<SolutionId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let v = svc::solution(&state, &ctx, id).await?;
    let page = Page::new(&state, &rc, &format!("/knowledge/solutions/{id}")).await;
    let notice = q.notice.filter(|n| n == "created").map(|_| page.t("knowledge-notice-created"));
    render(&SolutionPage { page, notice, v })
}

// ---------------------------------------------------------------------------------------------
// Incidents

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct IncidentForm {
    title: String,
    kind: String,
    started_on: String,
    ended_on: String,
    districts: String,
    affected_categories: Vec<String>,
    description: String,
}

impl IncidentForm {
    fn input(&self) -> IncidentInput {
        IncidentInput {
            title: self.title.clone(),
            kind: self.kind.clone(),
            started_on: self.started_on.trim().parse().ok(),
            ended_on: self.ended_on.trim().parse().ok(),
            districts: lines(&self.districts),
            affected_categories: self.affected_categories.clone(),
            description: self.description.clone(),
            version: None,
        }
    }
}

#[derive(Template)]
#[template(path = "knowledge_incidents.html")]
struct IncidentsPage {
    page: Page,
    list: Vec<Incident>,
    can_manage: bool,
    categories: Vec<(String, String)>,
    form: IncidentForm,
    errors: Vec<FieldError>,
}

impl IncidentsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn kind(&self, k: &IncidentKind) -> String {
        self.page.t(&format!("knowledge-kind-{}", k.as_str()))
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        IncidentKind::ALL.iter().map(|k| (k.as_str(), self.kind(k))).collect()
    }
}

async fn incidents_view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, form: IncidentForm, errors: Vec<FieldError>) -> AppResult<Response> {
    let list = svc::incidents(state, ctx).await?;
    let page = Page::new(state, rc, "/knowledge/incidents").await;
    let categories = state
        .store
        .categories(ctx.user.org_id)
        .await?
        .into_iter()
        .filter(|c| c.active && !c.sensitive)
        .map(|c| (c.code.clone(), c.name(page.locale).to_string()))
        .collect();
    let can_manage = ctx.can(Permission::ManageIncidents, Scope::AnyUnit);
    let invalid = !errors.is_empty();
    render_form(&IncidentsPage { page, list, can_manage, categories, form, errors }, invalid)
}

pub async fn incidents(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    incidents_view(&state, &rc, &ctx, IncidentForm::default(), Vec::new()).await
}

pub async fn create_incident(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<IncidentForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageIncidents, Scope::AnyUnit)?;
    match svc::create_incident(&state, &ctx, &f.input()).await {
        Ok(i) => Ok(Redirect::to(&format!("/knowledge/incidents/{}", i.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => incidents_view(&state, &rc, &ctx, f, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "knowledge_incident.html")]
struct IncidentPage {
    page: Page,
    v: IncidentView,
    can_manage: bool,
    suggestions: Vec<Recommendation>,
    errors: Vec<FieldError>,
}

impl IncidentPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn kind(&self) -> String {
        self.page.t(&format!("knowledge-kind-{}", self.v.incident.kind.as_str()))
    }
    fn link_kind(&self, k: &LinkKind) -> String {
        self.page.t(&format!("knowledge-link-{}", k.as_str()))
    }
    fn link_kinds(&self) -> Vec<(&'static str, String)> {
        LinkKind::ALL.iter().map(|k| (k.as_str(), self.link_kind(k))).collect()
    }
    fn href(&self, k: &LinkKind, id: &uuid::Uuid) -> String {
        match k {
            LinkKind::Case => format!("/cases/{id}"),
            LinkKind::Call => format!("/hotline/calls/{id}"),
            LinkKind::Assistance => format!("/assistance/requests/{id}"),
            LinkKind::Activity => format!("/activities/{id}"),
        }
    }
    fn why(&self, r: &Recommendation) -> String {
        why(&self.page, r)
    }
}

/// Why a solution was suggested, in the reader's language.
fn why(page: &Page, r: &Recommendation) -> String {
    let mut parts = Vec::new();
    if !r.reasons.matched_problems.is_empty() {
        parts.push(page.ta("knowledge-why-problems", "list", &r.reasons.matched_problems.join(", ")));
    }
    if !r.reasons.matched_categories.is_empty() {
        parts.push(page.ta("knowledge-why-categories", "list", &r.reasons.matched_categories.join(", ")));
    }
    if let Some(m) = &r.reasons.measured {
        parts.push(i18n_measured(page, m));
    }
    if r.reasons.text_match > 0.0 {
        parts.push(page.ta("knowledge-why-text", "share", &format!("{:.0}%", r.reasons.text_match * 100.0)));
    }
    parts.join(" · ")
}

fn i18n_measured(page: &Page, m: &shegong_domain::knowledge::MeasuredOutcome) -> String {
    crate::i18n::t_args(
        page.locale,
        "knowledge-why-measured",
        &[("scale", m.scale.clone()), ("change", format!("{}", m.mean_change)), ("n", m.n.to_string())],
    )
}

async fn incident_view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, id: IncidentId, errors: Vec<FieldError>) -> AppResult<Response> {
    let v = svc::incident(state, ctx, id).await?;
    let suggestions = svc::recommend(state, ctx, &RecommendParams { case_id: None, incident_id: Some(id) }).await?;
    let page = Page::new(state, rc, &format!("/knowledge/incidents/{id}")).await;
    let can_manage = ctx.can(Permission::ManageIncidents, Scope::AnyUnit);
    let invalid = !errors.is_empty();
    render_form(&IncidentPage { page, v, can_manage, suggestions, errors }, invalid)
}

pub async fn incident(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<IncidentId>) -> AppResult<Response> {
    incident_view(&state, &rc, &ctx, id, Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    kind: String,
    target_id: String,
}

pub async fn link(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<IncidentId>,
    HtmlForm(f): HtmlForm<LinkForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageIncidents, Scope::AnyUnit)?;
    let input = LinkInput { kind: f.kind, target_id: f.target_id.trim().rsplit(':').next().and_then(|s| s.parse().ok()) };
    match svc::link(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/knowledge/incidents/{id}")).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => incident_view(&state, &rc, &ctx, id, errors).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Recommendations for a case

#[derive(Template)]
#[template(path = "knowledge_recommendations.html")]
struct RecommendPage {
    page: Page,
    case_id: String,
    list: Option<Vec<Recommendation>>,
    errors: Vec<FieldError>,
}

impl RecommendPage {
    fn why(&self, r: &Recommendation) -> String {
        why(&self.page, r)
    }
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecommendQuery {
    case_id: String,
}

/// Solutions suggested for a case (its record number), with why each was suggested.
pub async fn recommendations(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Query(q): Query<RecommendQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ViewKnowledge, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/knowledge/recommendations").await;
    let raw = q.case_id.trim().to_string();
    let (list, errors) = if raw.is_empty() {
        (None, Vec::new())
    } else {
        match raw.parse() {
            Ok(id) => match svc::recommend(&state, &ctx, &RecommendParams { case_id: Some(id), incident_id: None }).await {
                Ok(l) => (Some(l), Vec::new()),
                Err(AppError::Domain(DomainError::NotFound)) => (None, vec![FieldError::new("case_id", "invalid-choice")]),
                Err(e) => return Err(e),
            },
            Err(_) => (None, vec![FieldError::new("case_id", "invalid-choice")]),
        }
    };
    let invalid = !errors.is_empty();
    render_form(&RecommendPage { page, case_id: raw, list, errors }, invalid)
}
