//! Client pages: find, register (with duplicate warnings), view (audited), edit, close,
//! consents, households, duplicate review and merge, retention.

use super::{notice, HtmlForm};
use crate::clients::{self as svc, Registration};
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_invalid, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::AuditEntry;
use shegong_domain::clients::{
    needs_guardian, AgeBand, Category, Client, ClientFilter, ClientInput, Consent, ConsentInput, ConsentPurpose, DuplicateMatch,
    DuplicateReason, Household, HouseholdInput, IdDocType, MemberInput, PreferredLanguage, Relationship, Sex,
};
use shegong_domain::ids::{ClientId, ConsentId, HouseholdId, UnitId};
use shegong_domain::ports::MergeRecord;
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

fn reason_key(page: &Page, r: &DuplicateReason) -> String {
    page.t(match r {
        DuplicateReason::SamePhone => "duplicate-same-phone",
        DuplicateReason::SameIdDocument => "duplicate-same-id",
        DuplicateReason::SimilarNameSameBirthDate => "duplicate-similar-name",
    })
}

fn category_name(categories: &[Category], page: &Page, code: &str) -> String {
    categories.iter().find(|c| c.code == code).map(|c| c.name(page.locale).to_string()).unwrap_or_else(|| code.to_string())
}

// ---- list ----

#[derive(Template)]
#[template(path = "clients_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    filter: ClientFilter,
    query: String,
    clients: Vec<Client>,
    total: i64,
    prev: Option<u64>,
    next: Option<u64>,
    categories: Vec<Category>,
    units: Vec<ServiceUnit>,
    today: chrono::NaiveDate,
    can_edit: bool,
    can_manage: bool,
    can_anonymise: bool,
}

impl ListPage {
    fn age(&self, c: &Client) -> String {
        c.age_on(self.today).map(|a| a.to_string()).or_else(|| c.age_band.map(|b| b.as_str().to_string())).unwrap_or_default()
    }
    fn unit_name(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| self.page.unit_name(u)).unwrap_or_default()
    }
    fn category_name(&self, code: &str) -> String {
        category_name(&self.categories, &self.page, code)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: ClientFilter,
    page: u64,
    notice: Option<String>,
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewClients, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/clients").await;
    let offset = q.page * svc::PAGE_SIZE;
    let found = svc::find(&state, &ctx, &q.filter, offset, svc::PAGE_SIZE).await?;
    let org = ctx.user.org_id;
    let mut categories = state.store.categories(org).await?;
    if !ctx.user.sensitive_access {
        categories.retain(|c| !c.sensitive);
    }
    let query = serde_urlencoded::to_string([
        ("q", q.filter.q.as_str()),
        ("category", q.filter.category.as_str()),
        ("status", q.filter.status.as_str()),
        ("district", q.filter.district.as_str()),
    ])
    .unwrap_or_default();
    let n = notice(&page, q.notice.as_deref());
    render(&ListPage {
        notice: n,
        filter: q.filter,
        query,
        total: found.total as i64,
        prev: (q.page > 0).then(|| q.page - 1),
        next: (offset + svc::PAGE_SIZE < found.total).then_some(q.page + 1),
        clients: found.clients,
        categories,
        units: state.store.list_units(org).await?,
        today: svc::today(&state, org).await?,
        can_edit: ctx.can(Permission::EditClients, Scope::AnyUnit),
        can_manage: ctx.can(Permission::ManageClients, Scope::AnyUnit),
        can_anonymise: ctx.can(Permission::AnonymiseClients, Scope::Agency),
        page,
    })
}

// ---- register and edit ----

#[derive(Template)]
#[template(path = "client_form.html")]
struct FormPage {
    page: Page,
    client_id: Option<ClientId>,
    version: i64,
    input: ClientInput,
    units: Vec<ServiceUnit>,
    categories: Vec<Category>,
    sexes: &'static [Sex],
    languages: &'static [PreferredLanguage],
    age_bands: &'static [AgeBand],
    id_types: &'static [IdDocType],
    errors: Vec<FieldError>,
    duplicates: Vec<DuplicateMatch>,
    elsewhere: usize,
    stale: Option<String>,
}

impl FormPage {
    fn reason(&self, r: &DuplicateReason) -> String {
        reason_key(&self.page, r)
    }
    fn unit_selected(&self, id: &UnitId) -> bool {
        self.input.unit_id == Some(*id)
    }
    /// Three phone inputs, filled with what is known.
    fn phone_slots(&self) -> Vec<String> {
        let mut p = self.input.phones.clone();
        p.resize(p.len().max(3), String::new());
        p
    }
}

struct FormState {
    /// Possible matches in units the caller cannot open (counted, not shown).
    elsewhere: usize,
    client_id: Option<ClientId>,
    version: i64,
    input: ClientInput,
    errors: Vec<FieldError>,
    duplicates: Vec<DuplicateMatch>,
    stale: bool,
}

impl FormState {
    /// The form for a record (None: a new one) at `version`, with no problems to show.
    fn new(client_id: Option<ClientId>, version: i64, input: ClientInput) -> Self {
        Self { elsewhere: 0, client_id, version, input, errors: Vec::new(), duplicates: Vec::new(), stale: false }
    }
}

async fn form(state: &AppState, rc: &RequestCtx, ctx: &Ctx, f: FormState) -> AppResult<Response> {
    let path = f.client_id.map(|id| format!("/clients/{id}/edit")).unwrap_or_else(|| "/clients/new".into());
    let page = Page::new(state, rc, &path).await;
    let org = ctx.user.org_id;
    let units = state
        .store
        .list_units(org)
        .await?
        .into_iter()
        .filter(|u| u.active && ctx.can(Permission::EditClients, Scope::Unit(u.id)))
        .collect();
    let mut categories = state.store.categories(org).await?;
    categories.retain(|c| c.active && (ctx.user.sensitive_access || !c.sensitive));
    let invalid = !f.errors.is_empty() || !f.duplicates.is_empty() || f.elsewhere > 0 || f.stale;
    let p = FormPage {
        stale: f.stale.then(|| page.t("error-stale")),
        page,
        client_id: f.client_id,
        version: f.version,
        input: f.input,
        units,
        categories,
        sexes: Sex::ALL,
        languages: PreferredLanguage::ALL,
        age_bands: AgeBand::ALL,
        id_types: IdDocType::ALL,
        errors: f.errors,
        duplicates: f.duplicates,
        elsewhere: f.elsewhere,
    };
    if invalid {
        render_invalid(&p)
    } else {
        render(&p)
    }
}

pub async fn new_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::EditClients, Scope::AnyUnit)?;
    let first_unit = ctx.user.grants.0.iter().find_map(|g| g.unit_id);
    let input = ClientInput { unit_id: first_unit, sex: "unknown".into(), preferred_language: "cantonese".into(), ..Default::default() };
    form(&state, &rc, &ctx, FormState::new(None, 0, input)).await
}

/// The HTML form: repeated `phones` and `categories` fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClientForm {
    unit_id: String,
    name_zh: String,
    name_en: String,
    sex: String,
    date_of_birth: String,
    age_band: String,
    phones: Vec<String>,
    id_doc_type: String,
    id_doc_number: String,
    district: String,
    street: String,
    community: String,
    address: String,
    latitude: String,
    longitude: String,
    preferred_language: String,
    ethnicity: String,
    categories: Vec<String>,
    version: i64,
    confirm: Option<String>,
}

impl From<&ClientForm> for ClientInput {
    fn from(f: &ClientForm) -> Self {
        ClientInput {
            unit_id: f.unit_id.parse().ok(),
            name_zh: f.name_zh.clone(),
            name_en: f.name_en.clone(),
            sex: f.sex.clone(),
            date_of_birth: f.date_of_birth.clone(),
            age_band: f.age_band.clone(),
            phones: f.phones.clone(),
            id_doc_type: f.id_doc_type.clone(),
            id_doc_number: f.id_doc_number.clone(),
            district: f.district.clone(),
            street: f.street.clone(),
            community: f.community.clone(),
            address: f.address.clone(),
            latitude: f.latitude.clone(),
            longitude: f.longitude.clone(),
            preferred_language: f.preferred_language.clone(),
            ethnicity: f.ethnicity.clone(),
            categories: f.categories.clone(),
        }
    }
}

pub async fn create(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<ClientForm>) -> AppResult<Response> {
    ctx.require(Permission::EditClients, Scope::AnyUnit)?;
    let input = ClientInput::from(&f);
    match svc::register(&state, &ctx, &input, f.confirm.is_some()).await {
        Ok(Registration::Created(c)) => Ok(Redirect::to(&format!("/clients/{}?notice=created", c.id)).into_response()),
        Ok(Registration::PossibleDuplicates { shown, elsewhere }) => {
            form(&state, &rc, &ctx, FormState { duplicates: shown, elsewhere, ..FormState::new(None, 0, input) }).await
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            form(&state, &rc, &ctx, FormState { errors, ..FormState::new(None, 0, input) }).await
        }
        Err(e) => Err(e),
    }
}

pub async fn edit_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<ClientId>) -> AppResult<Response> {
    let c = svc::load(&state, &ctx, id, Permission::EditClients).await?;
    svc::audit_view(&state, &ctx, id).await?;
    let categories = state.store.categories(ctx.user.org_id).await?;
    let c = svc::mask(&ctx, c, &categories);
    let input = ClientInput::from(&c);
    form(&state, &rc, &ctx, FormState::new(Some(id), c.version, input)).await
}

pub async fn update(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    HtmlForm(f): HtmlForm<ClientForm>,
) -> AppResult<Response> {
    let input = ClientInput::from(&f);
    match svc::update(&state, &ctx, id, f.version, input.clone()).await {
        Ok(c) => Ok(Redirect::to(&format!("/clients/{}?notice=saved", c.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            form(&state, &rc, &ctx, FormState { errors, ..FormState::new(Some(id), f.version, input) }).await
        }
        Err(AppError::Domain(DomainError::Stale)) => {
            // Keep what this user typed; load the new version so a re-save applies to it.
            let current = state.store.get_client(ctx.user.org_id, id).await?;
            form(&state, &rc, &ctx, FormState { stale: true, ..FormState::new(Some(id), current.version, input) }).await
        }
        Err(e) => Err(e),
    }
}

// ---- view ----

#[derive(Template)]
#[template(path = "client_view.html")]
struct ViewPage {
    page: Page,
    notice: Option<String>,
    c: Client,
    unit_name: String,
    categories: Vec<Category>,
    consents: Vec<Consent>,
    consent_errors: Vec<String>,
    household: Option<Household>,
    timeline: Vec<AuditEntry>,
    purposes: &'static [ConsentPurpose],
    notice_version: String,
    needs_guardian: bool,
    today: chrono::NaiveDate,
    can_edit: bool,
    can_manage: bool,
    /// The person's cases (only for staff who may see cases), with their stage labels.
    cases: Option<Vec<(shegong_domain::cases::Case, String)>>,
    can_open_case: bool,
}

impl ViewPage {
    fn age(&self) -> String {
        self.c.age_on(self.today).map(|a| a.to_string()).unwrap_or_default()
    }
    fn category_name(&self, code: &str) -> String {
        category_name(&self.categories, &self.page, code)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewQuery {
    notice: Option<String>,
}

async fn view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    id: ClientId,
    notice_key: Option<&str>,
    consent_errors: Vec<FieldError>,
) -> AppResult<Response> {
    let c = svc::load(state, ctx, id, Permission::ViewClients).await?;
    svc::audit_view(state, ctx, id).await?;
    let org = ctx.user.org_id;
    let categories = state.store.categories(org).await?;
    let c = svc::mask(ctx, c, &categories);
    let page = Page::new(state, rc, &format!("/clients/{id}")).await;
    let today = svc::today(state, org).await?;
    let unit_name = state.store.get_unit(org, c.unit_id).await.map(|u| page.unit_name(&u)).unwrap_or_default();
    let consent_errors: Vec<String> = consent_errors.iter().map(|e| crate::page::field_message(page.locale, e)).collect();
    let invalid = !consent_errors.is_empty();
    let cases = if ctx.can(Permission::ViewCases, Scope::AnyUnit) {
        let filter = shegong_domain::cases::CaseFilter { client_id: Some(id), ..Default::default() };
        let found = crate::cases::find(state, ctx, &filter, 0, crate::cases::PAGE_SIZE).await?;
        Some(found.cases.into_iter().map(|k| (page.tp("case-stage-", &k.stage()), k)).map(|(s, k)| (k, s)).collect())
    } else {
        None
    };
    let v = ViewPage {
        cases,
        can_open_case: c.status.as_str() == "active" && ctx.can(Permission::EditCases, Scope::AnyUnit),
        notice: notice(&page, notice_key),
        unit_name,
        consents: state.store.consents(org, id).await?,
        consent_errors,
        household: state.store.household_of(org, id).await?,
        timeline: state.store.audit_for(org, "client", &id.to_string()).await?,
        purposes: ConsentPurpose::ALL,
        notice_version: "2026-01".into(),
        needs_guardian: needs_guardian(c.date_of_birth, today),
        today,
        can_edit: ctx.can(Permission::EditClients, Scope::Unit(c.unit_id)),
        can_manage: ctx.can(Permission::ManageClients, Scope::Unit(c.unit_id)),
        categories,
        c,
        page,
    };
    if invalid {
        render_invalid(&v)
    } else {
        render(&v)
    }
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    view(&state, &rc, &ctx, id, q.notice.as_deref(), Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionForm {
    version: i64,
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    HtmlForm(f): HtmlForm<VersionForm>,
) -> AppResult<Response> {
    svc::close(&state, &ctx, id, f.version).await?;
    Ok(Redirect::to(&format!("/clients/{id}?notice=saved")).into_response())
}

pub async fn reopen(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    HtmlForm(f): HtmlForm<VersionForm>,
) -> AppResult<Response> {
    svc::reopen(&state, &ctx, id, f.version).await?;
    Ok(Redirect::to(&format!("/clients/{id}?notice=saved")).into_response())
}

// ---- consents ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsentForm {
    purpose: String,
    notice_version: String,
    given_on: String,
    given_by: String,
    guardian_name: String,
}

pub async fn add_consent(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<ClientId>,
    HtmlForm(f): HtmlForm<ConsentForm>,
) -> AppResult<Response> {
    svc::load(&state, &ctx, id, Permission::EditClients).await?;
    let input = ConsentInput {
        purpose: f.purpose,
        notice_version: f.notice_version,
        given_on: f.given_on,
        given_by: f.given_by,
        guardian_name: f.guardian_name,
    };
    let today = svc::today(&state, ctx.user.org_id).await?;
    match input.validate(today) {
        Ok(fields) => {
            state.store.add_consent(&ctx.actor(), id, &fields).await?;
            Ok(Redirect::to(&format!("/clients/{id}?notice=saved")).into_response())
        }
        Err(DomainError::Invalid(errors)) => view(&state, &rc, &ctx, id, None, errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn withdraw_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, consent)): Path<(ClientId, ConsentId)>,
) -> AppResult<Response> {
    svc::load(&state, &ctx, id, Permission::EditClients).await?;
    let today = svc::today(&state, ctx.user.org_id).await?;
    state.store.withdraw_consent(&ctx.actor(), id, consent, today).await?;
    Ok(Redirect::to(&format!("/clients/{id}?notice=saved")).into_response())
}

// ---- duplicates and merge ----

#[derive(Template)]
#[template(path = "client_duplicates.html")]
struct DuplicatesPage {
    page: Page,
    notice: Option<String>,
    pairs: Vec<(Client, DuplicateMatch)>,
    merges: Vec<MergeRecord>,
}

impl DuplicatesPage {
    fn reason(&self, r: &DuplicateReason) -> String {
        reason_key(&self.page, r)
    }
}

pub async fn duplicates(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ViewQuery>) -> AppResult<Response> {
    ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let units = svc::units_for(&ctx, Permission::ManageClients);
    let categories = state.store.categories(org).await?;
    let pairs = state
        .store
        .duplicate_pairs(org, units.as_deref(), 100)
        .await?
        .into_iter()
        .map(|(a, d)| {
            (svc::mask(&ctx, a, &categories), DuplicateMatch { client: svc::mask(&ctx, d.client, &categories), reasons: d.reasons })
        })
        .collect();
    let page = Page::new(&state, &rc, "/clients/duplicates").await;
    let n = notice(&page, q.notice.as_deref());
    let merges = if ctx.can(Permission::ManageClients, Scope::Agency) { state.store.merges(org, 50).await? } else { Vec::new() };
    render(&DuplicatesPage { page, notice: n, pairs, merges })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeForm {
    survivor: String,
    a: String,
    b: String,
}

pub async fn merge_post(State(state): State<AppState>, ctx: Ctx, HtmlForm(f): HtmlForm<MergeForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    let parse = |s: &str| s.parse::<ClientId>().map_err(|_| AppError::from(DomainError::invalid("survivor", "unknown-choice")));
    let (survivor, a, b) = (parse(&f.survivor)?, parse(&f.a)?, parse(&f.b)?);
    let merged = if survivor == a {
        b
    } else if survivor == b {
        a
    } else {
        return Err(DomainError::invalid("survivor", "unknown-choice").into());
    };
    svc::merge(&state, &ctx, survivor, merged).await?;
    Ok(Redirect::to("/clients/duplicates?notice=saved").into_response())
}

// ---- households ----

#[derive(Template)]
#[template(path = "household_form.html")]
struct HouseholdPage {
    page: Page,
    notice: Option<String>,
    household_id: Option<HouseholdId>,
    version: i64,
    unit_id: UnitId,
    household_name: String,
    address: String,
    /// (client id, name, relationship code)
    members: Vec<(ClientId, String, String)>,
    relationships: &'static [Relationship],
    errors: Vec<FieldError>,
    stale: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewHouseholdQuery {
    client: Option<ClientId>,
}

pub async fn new_household(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Query(q): Query<NewHouseholdQuery>,
) -> AppResult<Response> {
    let id = q.client.ok_or(DomainError::NotFound)?;
    let c = svc::load(&state, &ctx, id, Permission::EditClients).await?;
    let page = Page::new(&state, &rc, "/households/new").await;
    render(&HouseholdPage {
        page,
        notice: None,
        household_id: None,
        version: 0,
        unit_id: c.unit_id,
        household_name: c.display_name(),
        address: c.address.clone(),
        members: vec![(c.id, c.display_name(), "head".into())],
        relationships: Relationship::ALL,
        errors: Vec::new(),
        stale: None,
    })
}

pub async fn show_household(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<HouseholdId>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let h = state.store.get_household(ctx.user.org_id, id).await?;
    ctx.require(Permission::EditClients, Scope::Unit(h.unit_id))?;
    let page = Page::new(&state, &rc, &format!("/households/{id}")).await;
    render(&HouseholdPage {
        notice: notice(&page, q.notice.as_deref()),
        page,
        household_id: Some(id),
        version: h.version,
        unit_id: h.unit_id,
        household_name: h.name,
        address: h.address,
        members: h.members.into_iter().map(|m| (m.client_id, m.name, m.relationship.as_str().to_string())).collect(),
        relationships: Relationship::ALL,
        errors: Vec::new(),
        stale: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HouseholdForm {
    version: i64,
    unit_id: String,
    name: String,
    address: String,
    member: Vec<String>,
    relationship: Vec<String>,
    /// A phone number (or record id) of the person to add.
    add_member: String,
    add_relationship: String,
}

/// Turns the form into input; a person to add is found by phone within the caller's units.
async fn household_input(state: &AppState, ctx: &Ctx, f: &HouseholdForm) -> AppResult<HouseholdInput> {
    let mut members: Vec<MemberInput> = Vec::new();
    for (m, r) in f.member.iter().zip(f.relationship.iter()) {
        if r.is_empty() {
            continue; // "remove from household"
        }
        let client_id = m.parse().map_err(|_| AppError::from(DomainError::invalid("members", "unknown-client")))?;
        members.push(MemberInput { client_id, relationship: r.clone() });
    }
    let add = f.add_member.trim();
    if !add.is_empty() {
        let id = match add.parse::<ClientId>() {
            Ok(id) => id,
            Err(_) => {
                let filter = ClientFilter { q: add.to_string(), status: "active".into(), ..Default::default() };
                let found = svc::find(state, ctx, &filter, 0, 2).await?;
                match found.clients.as_slice() {
                    [one] => one.id,
                    [] => return Err(DomainError::invalid("members", "unknown-client").into()),
                    _ => return Err(DomainError::invalid("members", "several-clients").into()),
                }
            }
        };
        members.push(MemberInput { client_id: id, relationship: f.add_relationship.clone() });
    }
    Ok(HouseholdInput { unit_id: f.unit_id.parse().ok(), name: f.name.clone(), address: f.address.clone(), members })
}

async fn household_saved(state: &AppState, rc: &RequestCtx, ctx: &Ctx, id: Option<HouseholdId>, f: HouseholdForm) -> AppResult<Response> {
    let result = async {
        let input = household_input(state, ctx, &f).await?;
        let fields = svc::household_fields(state, ctx, &input).await?;
        let h = match id {
            None => state.store.create_household(&ctx.actor(), &fields).await?,
            Some(id) => state.store.update_household(&ctx.actor(), id, f.version, &fields).await?,
        };
        Ok::<_, AppError>(h)
    }
    .await;
    match result {
        Ok(h) => Ok(Redirect::to(&format!("/households/{}?notice=saved", h.id)).into_response()),
        Err(AppError::Domain(e @ (DomainError::Invalid(_) | DomainError::Stale))) => {
            let page = Page::new(state, rc, "/households").await;
            let (errors, stale) = match e {
                DomainError::Invalid(errs) => (errs, None),
                _ => (Vec::new(), Some(page.t("error-stale"))),
            };
            let mut members = Vec::new();
            for (m, r) in f.member.iter().zip(f.relationship.iter()) {
                if let Ok(cid) = m.parse::<ClientId>() {
                    // Only people the caller may see are named (the ids come from the form).
                    let name = svc::load(state, ctx, cid, Permission::ViewClients).await.map(|c| c.display_name()).unwrap_or_default();
                    members.push((cid, name, r.clone()));
                }
            }
            let version = match (id, &stale) {
                (Some(hid), Some(_)) => state.store.get_household(ctx.user.org_id, hid).await?.version,
                _ => f.version,
            };
            render_invalid(&HouseholdPage {
                page,
                notice: None,
                household_id: id,
                version,
                unit_id: f.unit_id.parse().unwrap_or_default(),
                household_name: f.name,
                address: f.address,
                members,
                relationships: Relationship::ALL,
                errors,
                stale,
            })
        }
        Err(e) => Err(e),
    }
}

pub async fn create_household(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<HouseholdForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditClients, Scope::AnyUnit)?;
    household_saved(&state, &rc, &ctx, None, f).await
}

pub async fn update_household(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<HouseholdId>,
    HtmlForm(f): HtmlForm<HouseholdForm>,
) -> AppResult<Response> {
    let h = state.store.get_household(ctx.user.org_id, id).await?;
    ctx.require(Permission::EditClients, Scope::Unit(h.unit_id))?;
    household_saved(&state, &rc, &ctx, Some(id), f).await
}

// ---- retention ----

#[derive(Template)]
#[template(path = "client_retention.html")]
struct RetentionPage {
    page: Page,
    notice: Option<String>,
}

pub async fn retention_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::AnonymiseClients, Scope::Agency)?;
    let page = Page::new(&state, &rc, "/clients/retention").await;
    render(&RetentionPage { page, notice: None })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetentionForm {
    years: u32,
}

pub async fn retention_post(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<RetentionForm>,
) -> AppResult<Response> {
    let ids = svc::anonymise(&state, &ctx, f.years).await?;
    let page = Page::new(&state, &rc, "/clients/retention").await;
    let n = Some(page.ta("clients-anonymised", "count", &ids.len().to_string()));
    render(&RetentionPage { page, notice: n })
}
