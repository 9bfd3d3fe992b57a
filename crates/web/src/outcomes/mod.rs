//! Outcome measurement service, shared by the pages and the API: the scales (shipped and the
//! agency's own), administering a scale to a client of the caller's unit (on paper entered
//! later, or on a tablet handed to the client), a client's scores and change, and programme
//! outcomes (pre/post change, effect size and n by client category) with their export.
//! Funders read programme outcomes only, with groups under five hidden.

use crate::clients::export::{download, ExportFormat};
use crate::clients::{today, units_for};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::ids::{ActivityId, CaseId, ClientId, UnitId};
use shegong_domain::outcomes::{
    builtin_scales, client_change, is_builtin, pairs, programme_outcomes, sample_sd, validate_scale, Administration, AdministrationInput,
    ClientChange, ProgrammeOutcomes, Scale, TimePoint,
};
use shegong_domain::ports::AdministrationQuery;
use shegong_domain::DomainError;
use std::collections::BTreeMap;

/// The shipped scales, then the agency's own.
pub async fn all_scales(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Scale>> {
    let mut out = builtin_scales();
    out.extend(state.store.agency_scales(ctx.user.org_id).await?);
    Ok(out)
}

pub async fn scales(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Scale>> {
    ctx.require(Permission::ViewOutcomeReports, Scope::AnyUnit)?;
    all_scales(state, ctx).await
}

pub async fn scale(state: &AppState, ctx: &Ctx, code: &str) -> AppResult<Scale> {
    all_scales(state, ctx).await?.into_iter().find(|s| s.code == code).ok_or(AppError::Domain(DomainError::NotFound))
}

/// Loads an agency scale (licensed ones too: the agency supplies the item text it holds a licence for).
pub async fn add_scale(state: &AppState, ctx: &Ctx, s: &Scale) -> AppResult<Scale> {
    ctx.require(Permission::ManageScales, Scope::Agency)?;
    let s = validate_scale(s)?;
    if is_builtin(&s.code) {
        return Err(DomainError::invalid("code", "duplicate").into());
    }
    Ok(state.store.add_scale(&ctx.actor(), &s).await?)
}

/// Records an administration for a client of a unit where the caller may administer scales.
pub async fn administer(state: &AppState, ctx: &Ctx, input: &AdministrationInput) -> AppResult<Administration> {
    ctx.require(Permission::AdministerScales, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let unit = match input.client_id {
        Some(c) => {
            let client =
                state.store.get_client(org, c).await.map_err(|_| AppError::from(DomainError::invalid("client_id", "unknown-client")))?;
            ctx.require(Permission::AdministerScales, Scope::Unit(client.unit_id))?;
            Some(client.unit_id)
        }
        None => None,
    };
    if let Some(case) = input.case_id {
        let c = state.store.get_case(org, case).await.map_err(|_| AppError::from(DomainError::invalid("case_id", "invalid-choice")))?;
        if c.client_id != input.client_id {
            return Err(DomainError::invalid("case_id", "invalid-choice").into());
        }
    }
    if let Some(a) = input.activity_id {
        state.store.get_activity(org, a).await.map_err(|_| AppError::from(DomainError::invalid("activity_id", "invalid-choice")))?;
    }
    let scales = all_scales(state, ctx).await?;
    let scale = scales.iter().find(|s| s.code == input.scale.trim());
    let f = input.validate(scale, today(state, org).await?)?;
    let unit = unit.ok_or_else(|| AppError::from(DomainError::invalid("client_id", "required")))?;
    Ok(state.store.record_administration(&ctx.actor(), unit, &f).await?)
}

/// A client's administrations and change per scale.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClientOutcomes {
    pub client_id: ClientId,
    pub unit_id: UnitId,
    pub name: String,
    pub administrations: Vec<Administration>,
    pub changes: Vec<ClientChange>,
}

/// SD of the agency's pre-test scores on a scale (for scales that store no SD).
async fn own_pre_sd(state: &AppState, ctx: &Ctx, scale: &str) -> AppResult<Option<f64>> {
    let q = AdministrationQuery { scale: Some(scale), time_point: Some(TimePoint::Pre), ..Default::default() };
    let pre: Vec<f64> = state.store.administrations(ctx.user.org_id, &q).await?.into_iter().map(|a| a.score).collect();
    Ok(sample_sd(&pre))
}

pub async fn client_outcomes(state: &AppState, ctx: &Ctx, id: ClientId) -> AppResult<ClientOutcomes> {
    let org = ctx.user.org_id;
    let client = state.store.get_client(org, id).await?;
    ctx.require(Permission::ViewOutcomes, Scope::Unit(client.unit_id))?;
    let administrations = state.store.administrations(org, &AdministrationQuery { client: Some(id), ..Default::default() }).await?;
    let scales = all_scales(state, ctx).await?;
    let mut changes = Vec::new();
    let mut by_scale: BTreeMap<&str, Vec<&Administration>> = BTreeMap::new();
    for a in &administrations {
        by_scale.entry(a.scale.as_str()).or_default().push(a);
    }
    for (code, list) in by_scale {
        if let Some(s) = scales.iter().find(|s| s.code == code) {
            let sd = if s.norms.as_ref().is_some_and(|n| n.sd.is_none()) { own_pre_sd(state, ctx, code).await? } else { None };
            changes.push(client_change(s, &list, sd));
        }
    }
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "client_outcomes", id)).await?;
    Ok(ClientOutcomes {
        client_id: id,
        unit_id: client.unit_id,
        name: shegong_domain::clients::display_name(&client.name_zh, &client.name_en),
        administrations,
        changes,
    })
}

#[derive(Deserialize, Serialize, Default, Clone, Debug, utoipa::IntoParams)]
#[serde(default)]
pub struct ProgrammeParams {
    /// The scale code (required).
    pub scale: String,
    /// One group or programme.
    pub activity_id: Option<ActivityId>,
    /// One case's administrations only.
    pub case_id: Option<CaseId>,
    /// One unit.
    pub unit_id: Option<UnitId>,
    /// One intervention code.
    pub intervention: String,
    /// `csv` or `xlsx` for a file (API).
    pub format: String,
}

/// Programme outcomes of a group, an intervention or a unit (of the caller's units).
pub async fn programme(state: &AppState, ctx: &Ctx, p: &ProgrammeParams) -> AppResult<ProgrammeOutcomes> {
    ctx.require(Permission::ViewOutcomeReports, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let scales = all_scales(state, ctx).await?;
    let scale = scales.iter().find(|s| s.code == p.scale.trim()).ok_or_else(|| {
        AppError::from(DomainError::invalid("scale", if p.scale.trim().is_empty() { "required" } else { "invalid-choice" }))
    })?;
    let units = match p.unit_id {
        Some(u) => {
            ctx.require(Permission::ViewOutcomeReports, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewOutcomeReports),
    };
    let interventions = if p.intervention.trim().is_empty() { None } else { Some(vec![p.intervention.trim().to_string()]) };
    let q = AdministrationQuery {
        scale: Some(&scale.code),
        activity: p.activity_id,
        case: p.case_id,
        units: units.as_deref(),
        interventions: interventions.as_deref(),
        ..Default::default()
    };
    let list = state.store.administrations(org, &q).await?;
    let ids: Vec<ClientId> = list.iter().map(|a| a.client_id).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let see_sensitive = ctx.user.sensitive_access;
    let sensitive: Vec<String> = state.store.categories(org).await?.into_iter().filter(|c| c.sensitive).map(|c| c.code).collect();
    let categories: BTreeMap<ClientId, Vec<String>> = state
        .store
        .clients_by_ids(org, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.categories.into_iter().filter(|x| see_sensitive || !sensitive.contains(x)).collect()))
        .collect();
    // Callers who may not see persons (funders) see no group smaller than five.
    let suppress = !ctx.can(Permission::ViewClients, Scope::AnyUnit);
    Ok(programme_outcomes(scale, &pairs(&list, &categories), suppress))
}

fn cell(v: Option<f64>, suppressed: bool) -> String {
    match v {
        Some(x) => format!("{x}"),
        None if suppressed => format!("<{}", shegong_domain::outcomes::MIN_CELL),
        None => String::new(),
    }
}

/// The programme outcomes as a CSV or XLSX file, headers in the reader's language.
pub async fn export(state: &AppState, ctx: &Ctx, p: &ProgrammeParams, format: ExportFormat) -> AppResult<Response> {
    let r = programme(state, ctx, p).await?;
    let l = ctx.locale;
    let cats: BTreeMap<String, String> =
        state.store.categories(ctx.user.org_id).await?.into_iter().map(|c| (c.code.clone(), c.name(l).to_string())).collect();
    let header: Vec<String> = [
        "outcomes-col-group",
        "outcomes-n",
        "outcomes-mean-pre",
        "outcomes-mean-post",
        "outcomes-mean-change",
        "outcomes-effect-size",
        "outcomes-improved",
    ]
    .iter()
    .map(|k| i18n::t(l, k))
    .collect();
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|x| {
            let key = if x.key == "all" {
                i18n::t(l, "outcomes-all-clients")
            } else {
                cats.get(&x.key).cloned().unwrap_or_else(|| x.key.clone())
            };
            vec![
                key,
                cell(x.n.map(|n| n as f64), x.suppressed),
                cell(x.mean_pre, x.suppressed),
                cell(x.mean_post, x.suppressed),
                cell(x.mean_change, x.suppressed),
                cell(x.effect_size, x.suppressed),
                cell(x.improved_share, x.suppressed),
            ]
        })
        .collect();
    let sheet = i18n::t(l, "outcomes-sheet");
    let bytes = tokio::task::spawn_blocking(move || match format {
        ExportFormat::Csv => Ok(crate::tabular::write_csv(&header, &rows)),
        ExportFormat::Xlsx => crate::tabular::write_xlsx(&sheet, &header, &rows),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    state.store.append(&ctx.actor(), AuditEvent::new(Action::Export, "programme_outcomes", &r.scale)).await?;
    Ok(download(bytes, format, &format!("outcomes-{}.{}", r.scale, format.extension())))
}
