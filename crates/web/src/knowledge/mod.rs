//! Social intelligence service, shared by the pages and the API: the incident log (with the
//! cases, calls, assistance requests and activities linked to each incident, shown as counts and
//! a timeline of labels, never names), the knowledge base of solutions with full-text search,
//! each solution's own measured outcomes, and recommendations for a case or an incident.

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::AppState;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::{ActivityId, AssistanceRequestId, CallId, CaseId, IncidentId, SolutionId};
use shegong_domain::knowledge::{
    incident_view, rank, Candidate, Incident, IncidentInput, IncidentLink, IncidentView, LinkInput, LinkKind, MeasuredOutcome,
    Recommendation, Solution, SolutionInput,
};
use shegong_domain::outcomes::{pairs, programme_outcomes};
use shegong_domain::ports::{AdministrationQuery, KnowledgeDoc};
use shegong_domain::DomainError;
use std::collections::BTreeMap;

/// How many solutions a search or a recommendation returns.
pub const RESULTS: usize = 20;

async fn category_codes(state: &AppState, ctx: &Ctx) -> AppResult<Vec<String>> {
    Ok(state.store.categories(ctx.user.org_id).await?.into_iter().map(|c| c.code).collect())
}

pub async fn incidents(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Incident>> {
    ctx.require(Permission::ViewKnowledge, Scope::AnyUnit)?;
    Ok(state.store.list_incidents(ctx.user.org_id).await?)
}

pub async fn create_incident(state: &AppState, ctx: &Ctx, input: &IncidentInput) -> AppResult<Incident> {
    ctx.require(Permission::ManageIncidents, Scope::AnyUnit)?;
    let f = input.validate(&category_codes(state, ctx).await?)?;
    Ok(state.store.create_incident(&ctx.actor(), &f).await?)
}

pub async fn update_incident(state: &AppState, ctx: &Ctx, id: IncidentId, input: &IncidentInput) -> AppResult<Incident> {
    ctx.require(Permission::ManageIncidents, Scope::AnyUnit)?;
    let version = input.version.ok_or_else(|| AppError::from(DomainError::invalid("version", "required")))?;
    let f = input.validate(&category_codes(state, ctx).await?)?;
    Ok(state.store.update_incident(&ctx.actor(), id, version, &f).await?)
}

pub async fn incident(state: &AppState, ctx: &Ctx, id: IncidentId) -> AppResult<IncidentView> {
    ctx.require(Permission::ViewKnowledge, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let i = state.store.get_incident(org, id).await?;
    let links = state.store.incident_links(org, id).await?;
    Ok(incident_view(i, links))
}

/// Links a case, call, assistance request or activity of a unit where the caller manages
/// incidents. The link keeps a label (case number, topics, need, title), never a name.
pub async fn link(state: &AppState, ctx: &Ctx, id: IncidentId, input: &LinkInput) -> AppResult<IncidentView> {
    ctx.require(Permission::ManageIncidents, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    state.store.get_incident(org, id).await?;
    let kind = LinkKind::parse(input.kind.trim()).ok_or_else(|| AppError::from(DomainError::invalid("kind", "invalid-choice")))?;
    let target = input.target_id.ok_or_else(|| AppError::from(DomainError::invalid("target_id", "required")))?;
    let unknown = || AppError::from(DomainError::invalid("target_id", "invalid-choice"));
    let (unit, on, label) = match kind {
        LinkKind::Case => {
            let c = state.store.get_case(org, CaseId(target)).await.map_err(|_| unknown())?;
            (c.unit_id, c.opened_on, c.case_no)
        }
        LinkKind::Call => {
            let c = state.store.get_call(org, CallId(target)).await.map_err(|_| unknown())?;
            let tz: chrono_tz::Tz = state.store.agency(org).await?.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
            (c.unit_id, c.at.with_timezone(&tz).date_naive(), c.topics.join(", "))
        }
        LinkKind::Assistance => {
            let r = state.store.get_request(org, AssistanceRequestId(target)).await.map_err(|_| unknown())?;
            (r.unit_id, r.requested_on, r.need)
        }
        LinkKind::Activity => {
            let a = state.store.get_activity(org, ActivityId(target)).await.map_err(|_| unknown())?;
            let tz: chrono_tz::Tz = state.store.agency(org).await?.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
            let title = ctx.locale.pick(&a.title_en, &a.title_zh_hant, &a.title_zh_hans).to_string();
            (a.unit_id, a.created_at.with_timezone(&tz).date_naive(), title)
        }
    };
    ctx.require(Permission::ManageIncidents, Scope::Unit(unit))?;
    let l = IncidentLink {
        kind,
        target_id: target,
        occurred_on: on,
        label,
        linked_by: ctx.user.display_name.clone(),
        linked_at: state.clock.now(),
    };
    state.store.link_incident(&ctx.actor(), id, &l).await?;
    incident(state, ctx, id).await
}

// ---------------------------------------------------------------------------------------------
// Solutions and search

fn doc(s: &Solution) -> KnowledgeDoc {
    KnowledgeDoc { id: s.id, org_id: s.org_id, title: s.title.clone(), text: s.search_text() }
}

/// Fills the index with the agency's solutions the first time it is searched after start.
async fn ensure_loaded(state: &AppState, ctx: &Ctx) -> AppResult<()> {
    let org = ctx.user.org_id;
    let loaded = state.knowledge_loaded.lock().map(|l| l.contains(&org)).unwrap_or(false);
    if loaded {
        return Ok(());
    }
    let all = state.store.list_solutions(org).await?;
    state.knowledge.clear_org(org)?;
    state.knowledge.upsert(&all.iter().map(doc).collect::<Vec<_>>())?;
    if let Ok(mut l) = state.knowledge_loaded.lock() {
        l.insert(org);
    }
    tracing::info!(solutions = all.len(), "knowledge index filled from the database");
    Ok(())
}

pub async fn create_solution(state: &AppState, ctx: &Ctx, input: &SolutionInput) -> AppResult<Solution> {
    ctx.require(Permission::ManageKnowledge, Scope::AnyUnit)?;
    let f = input.validate()?;
    ensure_loaded(state, ctx).await?;
    let s = state.store.create_solution(&ctx.actor(), &f).await?;
    state.knowledge.upsert(&[doc(&s)])?;
    Ok(s)
}

pub async fn update_solution(state: &AppState, ctx: &Ctx, id: SolutionId, input: &SolutionInput) -> AppResult<Solution> {
    ctx.require(Permission::ManageKnowledge, Scope::AnyUnit)?;
    let version = input.version.ok_or_else(|| AppError::from(DomainError::invalid("version", "required")))?;
    let f = input.validate()?;
    ensure_loaded(state, ctx).await?;
    let s = state.store.update_solution(&ctx.actor(), id, version, &f).await?;
    state.knowledge.upsert(&[doc(&s)])?;
    Ok(s)
}

/// A solution with its own measured outcomes (aggregate; small groups hidden from funders).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SolutionView {
    pub solution: Solution,
    pub outcomes: Vec<MeasuredOutcome>,
}

/// The outcomes measured with a solution's interventions, per scale, among clients of
/// `categories` (all its clients when empty).
async fn measured(state: &AppState, ctx: &Ctx, s: &Solution, categories: &[String]) -> AppResult<Vec<MeasuredOutcome>> {
    if s.interventions.is_empty() {
        return Ok(Vec::new());
    }
    let org = ctx.user.org_id;
    let list =
        state.store.administrations(org, &AdministrationQuery { interventions: Some(&s.interventions), ..Default::default() }).await?;
    let ids: Vec<_> = list.iter().map(|a| a.client_id).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let cats: BTreeMap<_, Vec<String>> = state.store.clients_by_ids(org, &ids).await?.into_iter().map(|c| (c.id, c.categories)).collect();
    let scales = crate::outcomes::all_scales(state, ctx).await?;
    let mut out = Vec::new();
    let mut by_scale: BTreeMap<&str, Vec<shegong_domain::outcomes::Administration>> = BTreeMap::new();
    for a in &list {
        by_scale.entry(a.scale.as_str()).or_default().push(a.clone());
    }
    for (code, xs) in by_scale {
        let Some(scale) = scales.iter().find(|s| s.code == code) else { continue };
        let mut ps = pairs(&xs, &cats);
        if !categories.is_empty() {
            let similar: Vec<_> = ps.iter().filter(|p| p.categories.iter().any(|c| categories.contains(c))).cloned().collect();
            if !similar.is_empty() {
                ps = similar;
            }
        }
        let o = programme_outcomes(scale, &ps, false);
        if let Some(r) = o.rows.first() {
            if let (Some(n), Some(change)) = (r.n, r.mean_change) {
                // Aggregates only; fewer than five clients are never shown as a measured outcome.
                if n >= shegong_domain::outcomes::MIN_CELL {
                    let improvement = if scale.higher_is_better { change } else { -change };
                    out.push(MeasuredOutcome { scale: code.to_string(), n, mean_change: change, effect_size: r.effect_size, improvement });
                }
            }
        }
    }
    Ok(out)
}

pub async fn solution(state: &AppState, ctx: &Ctx, id: SolutionId) -> AppResult<SolutionView> {
    ctx.require(Permission::ViewKnowledge, Scope::AnyUnit)?;
    let s = state.store.get_solution(ctx.user.org_id, id).await?;
    let outcomes = measured(state, ctx, &s, &[]).await?;
    Ok(SolutionView { solution: s, outcomes })
}

#[derive(Deserialize, Serialize, Default, Clone, Debug, utoipa::IntoParams)]
#[serde(default)]
pub struct SearchParams {
    /// Words in Traditional or Simplified Chinese, or English; blank: every solution.
    pub q: String,
}

/// Best matches first (every solution, by title, for a blank query).
pub async fn search(state: &AppState, ctx: &Ctx, p: &SearchParams) -> AppResult<Vec<Solution>> {
    ctx.require(Permission::ViewKnowledge, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    if p.q.trim().is_empty() {
        return Ok(state.store.list_solutions(org).await?);
    }
    ensure_loaded(state, ctx).await?;
    let hits = state.knowledge.search(org, &p.q, RESULTS)?;
    let mut out = Vec::with_capacity(hits.len());
    for (id, _) in hits {
        if let Ok(s) = state.store.get_solution(org, id).await {
            out.push(s);
        }
    }
    Ok(out)
}

#[derive(Deserialize, Serialize, Default, Clone, Debug, utoipa::IntoParams)]
#[serde(default)]
pub struct RecommendParams {
    /// Recommend for this case (its presenting problems and its client's categories).
    pub case_id: Option<CaseId>,
    /// Or for this incident (its affected groups and its text).
    pub incident_id: Option<IncidentId>,
}

/// Solutions for a case or an incident, ranked, each with why it was suggested.
pub async fn recommend(state: &AppState, ctx: &Ctx, p: &RecommendParams) -> AppResult<Vec<Recommendation>> {
    ctx.require(Permission::ViewKnowledge, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let (problems, categories, text) = match (p.case_id, p.incident_id) {
        (Some(id), _) => {
            let c = state.store.get_case(org, id).await?;
            ctx.require(Permission::ViewCases, Scope::Unit(c.unit_id))?;
            let cats = match c.client_id {
                Some(cl) => state.store.get_client(org, cl).await?.categories,
                None => Vec::new(),
            };
            let names: Vec<String> = state
                .store
                .problems(org)
                .await?
                .into_iter()
                .filter(|x| c.problems.contains(&x.code))
                .map(|x| format!("{} {} {}", x.name_en, x.name_zh_hant, x.name_zh_hans))
                .collect();
            (c.problems.clone(), cats, format!("{} {}", names.join(" "), c.intake_summary))
        }
        (None, Some(id)) => {
            let i = state.store.get_incident(org, id).await?;
            (Vec::new(), i.affected_categories.clone(), format!("{} {} {}", i.title, i.kind.as_str(), i.description))
        }
        (None, None) => return Err(DomainError::invalid("case_id", "required").into()),
    };
    ensure_loaded(state, ctx).await?;
    let hits = state.knowledge.search(org, &text, 200)?;
    let best = hits.first().map(|h| h.1).filter(|b| *b > 0.0).unwrap_or(1.0);
    let relevance: BTreeMap<SolutionId, f64> = hits.into_iter().map(|(id, s)| (id, f64::from(s / best))).collect();
    let mut candidates = Vec::new();
    for s in state.store.list_solutions(org).await? {
        // A faint match (a word or two in common with a long text) is no reason to suggest it.
        let text_match = relevance.get(&s.id).copied().filter(|r| *r >= 0.2).unwrap_or(0.0);
        let matches =
            text_match > 0.0 || s.problems.iter().any(|x| problems.contains(x)) || s.categories.iter().any(|x| categories.contains(x));
        if !matches {
            continue;
        }
        let measured = measured(state, ctx, &s, &categories).await?.into_iter().max_by(|a, b| a.improvement.total_cmp(&b.improvement));
        candidates.push(Candidate { solution: s, text_match, measured });
    }
    Ok(rank(candidates, &problems, &categories, RESULTS))
}
