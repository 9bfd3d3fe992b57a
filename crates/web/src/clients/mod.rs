//! Clients service: what the pages and the API share — who may see which record, masking,
//! registration with duplicate checks, search upkeep, the data-subject access export.

pub mod export;
pub mod import;

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::AppState;
use chrono::NaiveDate;
use serde::Serialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEntry, AuditEvent};
use shegong_domain::clients::{
    mask_id, Category, Client, ClientFields, ClientFilter, ClientInput, Consent, DuplicateMatch, Household, HouseholdFields, HouseholdInput,
};
use shegong_domain::ids::{ClientId, OrgId, UnitId};
use shegong_domain::ports::{ClientDoc, MergeRecord};
use shegong_domain::DomainError;
use std::sync::Arc;

/// The agency's local date today (service dates are local dates).
pub async fn today(state: &AppState, org: OrgId) -> AppResult<NaiveDate> {
    let tz: chrono_tz::Tz = state.store.agency(org).await?.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    Ok(state.clock.now().with_timezone(&tz).date_naive())
}

/// The units whose clients the caller may reach with `perm`; None means every unit.
pub fn units_for(ctx: &Ctx, perm: Permission) -> Option<Vec<UnitId>> {
    if ctx.can(perm, Scope::Agency) {
        return None;
    }
    let mut units: Vec<UnitId> = ctx.user.grants.0.iter().filter_map(|g| g.unit_id).filter(|u| ctx.can(perm, Scope::Unit(*u))).collect();
    units.sort();
    units.dedup();
    Some(units)
}

/// Hides what the caller may not see: full identity numbers and sensitive categories.
pub fn mask(ctx: &Ctx, mut c: Client, categories: &[Category]) -> Client {
    if !ctx.user.id_number_access {
        c.id_doc_number = c.id_doc_number.as_deref().map(mask_id);
    }
    if !ctx.user.sensitive_access {
        c.categories.retain(|code| !categories.iter().any(|k| &k.code == code && k.sensitive));
    }
    c
}

/// Loads a client the caller may see (404 for one of another agency, 403 outside their units).
pub async fn load(state: &AppState, ctx: &Ctx, id: ClientId, perm: Permission) -> AppResult<Client> {
    let c = state.store.get_client(ctx.user.org_id, id).await?;
    ctx.require(perm, Scope::Unit(c.unit_id))?;
    Ok(c)
}

/// Keeps sensitive categories the caller cannot see when they save a record.
pub fn keep_hidden(ctx: &Ctx, before: &Client, input: &mut ClientInput, categories: &[Category]) {
    if !ctx.user.sensitive_access {
        for code in &before.categories {
            if categories.iter().any(|k| &k.code == code && k.sensitive) && !input.categories.contains(code) {
                input.categories.push(code.clone());
            }
        }
    }
    // A masked number sent back unchanged means "keep the stored one".
    if !ctx.user.id_number_access {
        if let Some(stored) = &before.id_doc_number {
            if input.id_doc_number.trim() == mask_id(stored) {
                input.id_doc_number = stored.clone();
            }
        }
    }
}

/// Updates the search index after a change. The index is derived data: a failure is logged,
/// and `shegong search rebuild` restores it.
pub async fn reindex(state: &AppState, clients: &[Client]) {
    let docs: Vec<ClientDoc> = clients.iter().map(ClientDoc::from).collect();
    let search = Arc::clone(&state.search);
    let r = tokio::task::spawn_blocking(move || search.upsert(&docs)).await;
    if !matches!(r, Ok(Ok(()))) {
        tracing::error!("search index update failed; run `shegong search rebuild`");
    }
}

pub async fn unindex(state: &AppState, ids: Vec<ClientId>) {
    let search = Arc::clone(&state.search);
    let r = tokio::task::spawn_blocking(move || search.delete(&ids)).await;
    if !matches!(r, Ok(Ok(()))) {
        tracing::error!("search index update failed; run `shegong search rebuild`");
    }
}

/// A page of results for the list and the API.
pub struct Found {
    pub clients: Vec<Client>,
    pub total: u64,
}

pub const PAGE_SIZE: u64 = 50;

/// The furthest a client list may page.
const MAX_OFFSET: u64 = 100_000_000;

/// How many records a text query ranks.
const SEARCH_DEPTH: u64 = 100_000;

/// Selects the clients the caller may reach with `perm` under `filter`: the text query
/// through the search index, the rest through the database. Records are returned unmasked.
pub async fn select(state: &AppState, ctx: &Ctx, filter: &ClientFilter, perm: Permission, offset: u64, limit: u64) -> AppResult<Found> {
    let units = units_for(ctx, perm);
    let org = ctx.user.org_id;
    // Far beyond any real list; keeps the arithmetic below and the database's bounds safe.
    let offset = offset.min(MAX_OFFSET);
    if filter.q.trim().is_empty() {
        let page = state.store.list_clients(org, filter, units.as_deref(), offset, limit).await?;
        return Ok(Found { clients: page.clients, total: page.total });
    }
    let search = Arc::clone(&state.search);
    let (q, u) = (filter.q.clone(), units.clone());
    // A text query ranks at most SEARCH_DEPTH records; pages beyond them are empty.
    let hits = (offset + limit).clamp(500, SEARCH_DEPTH) as usize;
    let ids = tokio::task::spawn_blocking(move || search.search(org, &q, u.as_deref(), hits))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let matching: Vec<Client> = state
        .store
        .clients_by_ids(org, &ids)
        .await?
        .into_iter()
        .filter(|c| filter.matches(c) && units.as_ref().is_none_or(|us| us.contains(&c.unit_id)))
        .collect();
    let total = matching.len() as u64;
    Ok(Found { clients: matching.into_iter().skip(offset as usize).take(limit as usize).collect(), total })
}

/// Finds clients for the list and the API, masked for the caller.
pub async fn find(state: &AppState, ctx: &Ctx, filter: &ClientFilter, offset: u64, limit: u64) -> AppResult<Found> {
    let found = select(state, ctx, filter, Permission::ViewClients, offset, limit).await?;
    let categories = state.store.categories(ctx.user.org_id).await?;
    Ok(Found { clients: found.clients.into_iter().map(|c| mask(ctx, c, &categories)).collect(), total: found.total })
}

/// Closes a record (its local date is today's) and keeps the index in step.
pub async fn close(state: &AppState, ctx: &Ctx, id: ClientId, version: i64) -> AppResult<Client> {
    load(state, ctx, id, Permission::EditClients).await?;
    let today = today(state, ctx.user.org_id).await?;
    let c = state.store.close_client(&ctx.actor(), id, version, today).await?;
    reindex(state, std::slice::from_ref(&c)).await;
    Ok(c)
}

pub async fn reopen(state: &AppState, ctx: &Ctx, id: ClientId, version: i64) -> AppResult<Client> {
    load(state, ctx, id, Permission::EditClients).await?;
    let c = state.store.reopen_client(&ctx.actor(), id, version).await?;
    reindex(state, std::slice::from_ref(&c)).await;
    Ok(c)
}

/// Merges `merged` into `survivor`. Both records must be in the caller's units.
pub async fn merge(state: &AppState, ctx: &Ctx, survivor: ClientId, merged: ClientId) -> AppResult<Client> {
    load(state, ctx, survivor, Permission::ManageClients).await?;
    load(state, ctx, merged, Permission::ManageClients).await?;
    let c = state.store.merge_clients(&ctx.actor(), survivor, merged).await?;
    reindex(state, std::slice::from_ref(&c)).await;
    unindex(state, vec![merged]).await;
    Ok(c)
}

/// Validates a household and checks that the caller may edit its unit and every member.
pub async fn household_fields(state: &AppState, ctx: &Ctx, input: &HouseholdInput) -> AppResult<HouseholdFields> {
    let fields = input.validate()?;
    ctx.require(Permission::EditClients, Scope::Unit(fields.unit_id))?;
    for (c, _) in &fields.members {
        load(state, ctx, *c, Permission::EditClients).await?;
    }
    Ok(fields)
}

/// The outcome of a registration attempt.
pub enum Registration {
    Created(Box<Client>),
    /// Possible duplicates: those in the caller's units are shown; matches in units the caller
    /// cannot open are only counted, so registering never reveals another unit's records.
    PossibleDuplicates {
        shown: Vec<DuplicateMatch>,
        elsewhere: usize,
    },
}

pub async fn register(state: &AppState, ctx: &Ctx, input: &ClientInput, confirmed: bool) -> AppResult<Registration> {
    let org = ctx.user.org_id;
    let categories = state.store.categories(org).await?;
    let fields: ClientFields = input.validate(today(state, org).await?, &categories)?;
    ctx.require(Permission::EditClients, Scope::Unit(fields.unit_id))?;
    if !confirmed {
        let dups = state.store.find_duplicates(org, &fields, None).await?;
        if !dups.is_empty() {
            let (visible, hidden): (Vec<_>, Vec<_>) =
                dups.into_iter().partition(|d| ctx.can(Permission::ViewClients, Scope::Unit(d.client.unit_id)));
            let shown =
                visible.into_iter().map(|d| DuplicateMatch { client: mask(ctx, d.client, &categories), reasons: d.reasons }).collect();
            return Ok(Registration::PossibleDuplicates { shown, elsewhere: hidden.len() });
        }
    }
    let c = state.store.create_client(&ctx.actor(), &fields).await?;
    reindex(state, std::slice::from_ref(&c)).await;
    Ok(Registration::Created(Box::new(mask(ctx, c, &categories))))
}

pub async fn update(state: &AppState, ctx: &Ctx, id: ClientId, version: i64, mut input: ClientInput) -> AppResult<Client> {
    let org = ctx.user.org_id;
    let before = load(state, ctx, id, Permission::EditClients).await?;
    let categories = state.store.categories(org).await?;
    keep_hidden(ctx, &before, &mut input, &categories);
    let fields = input.validate(today(state, org).await?, &categories)?;
    // Moving a record to another unit needs the right in that unit too.
    ctx.require(Permission::EditClients, Scope::Unit(fields.unit_id))?;
    let c = state.store.update_client(&ctx.actor(), id, version, &fields).await?;
    reindex(state, std::slice::from_ref(&c)).await;
    Ok(mask(ctx, c, &categories))
}

/// Records that a person's record was opened (every view of a client record is audited).
pub async fn audit_view(state: &AppState, ctx: &Ctx, id: ClientId) -> AppResult<()> {
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "client", id)).await?;
    Ok(())
}

/// Everything held about one person (PDPO DPP6 / PIPL access request), as one JSON document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubjectAccessExport {
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub client: Client,
    pub consents: Vec<Consent>,
    pub household: Option<Household>,
    pub merges: Vec<MergeRecord>,
    /// Volunteer records linked to the person, with their hours.
    pub volunteering: Vec<crate::volunteers::VolunteerRecord>,
    /// The household's toy-library membership, loans and points.
    pub toy_library: Option<crate::lending::LendingExport>,
    /// Outcome scales the person answered, with their answers and scores.
    pub outcomes: Vec<shegong_domain::outcomes::Administration>,
    /// The person's cases, each with its notes.
    pub cases: Vec<CaseExport>,
    /// Hotline calls linked to the person.
    pub calls: Vec<shegong_domain::hotline::Call>,
    /// Assistance requests for the person or their household.
    pub assistance: Vec<shegong_domain::assistance::AssistanceRequest>,
    /// Interpretation requests, medical escorts and home visits for the person.
    pub interpretations: Vec<shegong_domain::outreach::Interpretation>,
    pub escorts: Vec<shegong_domain::outreach::Escort>,
    pub visits: Vec<shegong_domain::outreach::Visit>,
    /// Who created, changed, viewed or exported the record, and when.
    pub access_log: Vec<AuditEntry>,
}

/// One case of a subject-access export, with everything written in it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseExport {
    pub case: shegong_domain::cases::Case,
    pub notes: Vec<shegong_domain::cases::Note>,
}

/// The person's cases in every unit (an access request is the agency's duty, not the unit's).
async fn cases_of(state: &AppState, org: shegong_domain::ids::OrgId, id: ClientId) -> AppResult<Vec<CaseExport>> {
    let filter = shegong_domain::cases::CaseFilter { client_id: Some(id), ..Default::default() };
    let scope = shegong_domain::cases::CaseScope { units: None, sensitive: true };
    let today = today(state, org).await?;
    let page = state.store.list_cases(org, scope, &filter, today, 0, 10_000).await?;
    let mut out = Vec::with_capacity(page.cases.len());
    for case in page.cases {
        let notes = state.store.notes(org, case.id).await?;
        out.push(CaseExport { case, notes });
    }
    Ok(out)
}

pub async fn subject_access(state: &AppState, ctx: &Ctx, id: ClientId) -> AppResult<SubjectAccessExport> {
    let org = ctx.user.org_id;
    let c = load(state, ctx, id, Permission::ManageClients).await?;
    // The person's own export holds their full record, unmasked.
    let merges = state.store.merges(org, 10_000).await?.into_iter().filter(|m| m.survivor == id || m.merged == id).collect();
    state
        .store
        .append(&ctx.actor(), AuditEvent::new(Action::Export, "client", id).detail(serde_json::json!({"kind": "subject_access"})))
        .await?;
    let household = state.store.household_of(org, id).await?;
    let household_id = household.as_ref().map(|h| h.id);
    let outreach = shegong_domain::ports::OutreachQuery { client: Some(id), limit: 100_000, ..Default::default() };
    Ok(SubjectAccessExport {
        generated_at: state.clock.now(),
        consents: state.store.consents(org, id).await?,
        toy_library: crate::lending::export_for(state, org, household.as_ref().map(|h| h.id)).await?,
        household,
        merges,
        access_log: state.store.audit_for(org, "client", &id.to_string()).await?,
        volunteering: crate::volunteers::of_client(state, org, id).await?,
        outcomes: state
            .store
            .administrations(org, &shegong_domain::ports::AdministrationQuery { client: Some(id), ..Default::default() })
            .await?,
        cases: cases_of(state, org, id).await?,
        calls: state
            .store
            .list_calls(org, &shegong_domain::ports::CallQuery { client: Some(id), limit: 100_000, ..Default::default() })
            .await?,
        assistance: state
            .store
            .list_requests(
                org,
                &shegong_domain::ports::RequestQuery { client: Some(id), household: household_id, limit: 100_000, ..Default::default() },
            )
            .await?,
        interpretations: state.store.list_interpretations(org, &outreach).await?,
        escorts: state.store.list_escorts(org, &outreach).await?,
        visits: state.store.list_visits(org, &outreach).await?,
        client: c,
    })
}

/// Clears personal details of records closed more than `years` ago.
pub async fn anonymise(state: &AppState, ctx: &Ctx, years: u32) -> AppResult<Vec<ClientId>> {
    ctx.require(Permission::AnonymiseClients, Scope::Agency)?;
    if !(1..=100).contains(&years) {
        return Err(DomainError::invalid("years", "out-of-range").into());
    }
    let today = today(state, ctx.user.org_id).await?;
    let cutoff = today.checked_sub_months(chrono::Months::new(12 * years)).unwrap_or(today);
    let ids = state.store.anonymise_closed(&ctx.actor(), cutoff).await?;
    unindex(state, ids.clone()).await;
    Ok(ids)
}
