//! Donation pages: donations with the form that records one (goods with their items, or cash)
//! and adds a donor, a donation's page with its ledger and what it reached, the printable
//! receipt in the reader's language, stock with the expiring-soon list, transfers and
//! adjustments (confirmed by a second person), and the report, a donor's own included.

use super::HtmlForm;
use crate::clients::export::ExportFormat;
use crate::ctx::{Ctx, RequestCtx};
use crate::donations::{self as svc, DonationParams, DonationView, ReportParams, StockParams, StockView};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_form, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::donations::{
    format_money, AdjustmentInput, DecisionInput, Donation, DonationInput, DonationKind, DonationReport, Donor, DonorInput, DonorKind,
    ItemCategory, ItemInput, MovementKind, PaymentMethod, TransferInput, ValuationBasis,
};
use shegong_domain::ids::{AdjustmentId, DonationId, UnitId};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/donations", get(list).post(record))
        .route("/donations/donors", post(create_donor))
        .route("/donations/stock", get(stock))
        .route("/donations/transfers", post(transfer))
        .route("/donations/adjustments", post(propose))
        .route("/donations/adjustments/{id}/decision", post(decide))
        .route("/donations/reports", get(reports))
        .route("/donations/{id}", get(show))
        .route("/donations/{id}/receipt", get(receipt))
}

fn notice(page: &Page, key: Option<&str>) -> Option<String> {
    const KNOWN: [&str; 5] = ["created", "donor-created", "transferred", "proposed", "decided"];
    key.filter(|k| KNOWN.contains(k)).map(|k| page.t(&format!("donations-notice-{k}")))
}

async fn units_with(state: &AppState, ctx: &Ctx, perm: Permission) -> AppResult<Vec<ServiceUnit>> {
    Ok(state.store.list_units(ctx.user.org_id).await?.into_iter().filter(|u| u.active && ctx.can(perm, Scope::Unit(u.id))).collect())
}

fn unit_name(page: &Page, units: &[ServiceUnit], id: &UnitId) -> String {
    units.iter().find(|u| u.id == *id).map(|u| u.name(page.locale).to_string()).unwrap_or_else(|| "—".into())
}

fn choices<T: Copy>(page: &Page, all: &[T], prefix: &str, code: fn(T) -> &'static str) -> Vec<(&'static str, String)> {
    all.iter().map(|x| (code(*x), page.t(&format!("{prefix}-{}", code(*x))))).collect()
}

/// Rows of items the form offers.
const ITEM_ROWS: usize = 3;

/// One item row as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ItemRow {
    name: String,
    category: String,
    uom: String,
    quantity: String,
    value_per_unit: String,
    basis: String,
    expiry: String,
    lot: String,
}

/// A donation as typed (kept when shown again with errors). Items arrive as `items[0].name`, …
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DonationForm {
    donor_id: String,
    unit_id: String,
    kind: String,
    received_on: String,
    restricted: String,
    intended_use: String,
    currency: String,
    amount: String,
    method: String,
    note: String,
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, String>,
}

impl DonationForm {
    fn item(&self, i: usize) -> ItemRow {
        let g = |n: &str| self.rest.get(&format!("items[{i}].{n}")).cloned().unwrap_or_default();
        ItemRow {
            name: g("name"),
            category: g("category"),
            uom: g("uom"),
            quantity: g("quantity"),
            value_per_unit: g("value_per_unit"),
            basis: g("basis"),
            expiry: g("expiry"),
            lot: g("lot"),
        }
    }

    fn input(&self) -> DonationInput {
        let items = (0..ITEM_ROWS)
            .map(|i| self.item(i))
            .map(|r| ItemInput {
                name: r.name,
                category: r.category,
                uom: r.uom,
                quantity: if r.quantity.trim().is_empty() { 0 } else { r.quantity.trim().parse().unwrap_or(-1) },
                value_per_unit: r.value_per_unit,
                basis: r.basis,
                expiry: r.expiry.parse().ok(),
                lot: r.lot,
            })
            .collect();
        DonationInput {
            donor_id: self.donor_id.parse().ok(),
            unit_id: self.unit_id.parse().ok(),
            kind: self.kind.clone(),
            received_on: self.received_on.parse().ok(),
            restricted: !self.restricted.is_empty(),
            intended_use: self.intended_use.clone(),
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            method: self.method.clone(),
            items,
            note: self.note.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "donations_list.html")]
struct ListPage {
    page: Page,
    notice: Option<String>,
    donations: Vec<Donation>,
    donors: Vec<Donor>,
    units: Vec<ServiceUnit>,
    add_units: Vec<ServiceUnit>,
    form: DonationForm,
    errors: Vec<FieldError>,
    donor_form: DonorForm,
    donor_errors: Vec<FieldError>,
}

impl ListPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn derrs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.donor_errors, f)
    }
    fn ierrs(&self, i: &usize, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, &format!("items[{i}].{f}"))
    }
    fn unit(&self, id: &UnitId) -> String {
        unit_name(&self.page, &self.units, id)
    }
    fn rows(&self) -> Vec<(usize, ItemRow)> {
        (0..ITEM_ROWS).map(|i| (i, self.form.item(i))).collect()
    }
    fn categories(&self) -> Vec<(&'static str, String)> {
        choices(&self.page, ItemCategory::ALL, "donations-category", ItemCategory::as_str)
    }
    fn bases(&self) -> Vec<(&'static str, String)> {
        choices(&self.page, ValuationBasis::ALL, "donations-basis", ValuationBasis::as_str)
    }
    fn methods(&self) -> Vec<(&'static str, String)> {
        choices(&self.page, PaymentMethod::ALL, "donations-method", PaymentMethod::as_str)
    }
    fn donor_kinds(&self) -> Vec<(&'static str, String)> {
        choices(&self.page, DonorKind::ALL, "donations-donor-kind", DonorKind::as_str)
    }
    fn kind(&self, k: &DonationKind) -> String {
        self.page.t(&format!("donations-kind-{}", k.as_str()))
    }
    fn value(&self, d: &Donation) -> String {
        format!("{} {}", d.currency, format_money(d.value_cents()))
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DonorForm {
    name: String,
    kind: String,
    contact_person: String,
    phone: String,
    email: String,
    address: String,
    note: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

// The page's two forms, each with what was typed and its errors.
#[allow(clippy::too_many_arguments)]
async fn list_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    form: DonationForm,
    errors: Vec<FieldError>,
    donor_form: DonorForm,
    donor_errors: Vec<FieldError>,
) -> AppResult<Response> {
    let page = Page::new(state, rc, "/donations").await;
    let donations = svc::donations(state, ctx, &DonationParams::default()).await?;
    let donors = svc::donors(state, ctx).await?;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let add_units = units_with(state, ctx, Permission::ManageDonations).await?;
    let invalid = !errors.is_empty() || !donor_errors.is_empty();
    let p = ListPage {
        notice: notice(&page, notice_key.as_deref()),
        page,
        donations,
        donors,
        units,
        add_units,
        form,
        errors,
        donor_form,
        donor_errors,
    };
    render_form(&p, invalid)
}

pub async fn list(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewDonations, Scope::AnyUnit)?;
    let form = DonationForm { kind: "in_kind".into(), currency: "HKD".into(), ..Default::default() };
    list_view(&state, &rc, &ctx, q.notice, form, Vec::new(), DonorForm::default(), Vec::new()).await
}

pub async fn record(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<DonationForm>) -> AppResult<Response> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    match svc::record(&state, &ctx, &f.input()).await {
        Ok(d) => Ok(Redirect::to(&format!("/donations/{}?notice=created", d.id)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            list_view(&state, &rc, &ctx, None, f, errors, DonorForm::default(), Vec::new()).await
        }
        Err(e) => Err(e),
    }
}

pub async fn create_donor(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<DonorForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    let input = DonorInput {
        name: f.name.clone(),
        kind: f.kind.clone(),
        contact_person: f.contact_person.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        address: f.address.clone(),
        note: f.note.clone(),
    };
    match svc::create_donor(&state, &ctx, &input).await {
        Ok(_) => Ok(Redirect::to("/donations?notice=donor-created").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let form = DonationForm { kind: "in_kind".into(), currency: "HKD".into(), ..Default::default() };
            list_view(&state, &rc, &ctx, None, form, Vec::new(), f, errors).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A donation and its receipt

#[derive(Template)]
#[template(path = "donation_view.html")]
struct DonationPage {
    page: Page,
    notice: Option<String>,
    v: DonationView,
    units: Vec<ServiceUnit>,
}

impl DonationPage {
    fn unit(&self, id: &UnitId) -> String {
        unit_name(&self.page, &self.units, id)
    }
    fn kind(&self) -> String {
        self.page.t(&format!("donations-kind-{}", self.v.donation.kind.as_str()))
    }
    fn category(&self, c: &ItemCategory) -> String {
        self.page.t(&format!("donations-category-{}", c.as_str()))
    }
    fn basis(&self, b: &ValuationBasis) -> String {
        self.page.t(&format!("donations-basis-{}", b.as_str()))
    }
    fn movement(&self, k: &MovementKind) -> String {
        self.page.t(&format!("donations-movement-{}", k.as_str()))
    }
    fn money(&self, cents: &i64) -> String {
        format!("{} {}", self.v.donation.currency, format_money(*cents))
    }
    fn total(&self) -> String {
        self.money(&self.v.donation.value_cents())
    }
}

pub async fn show(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<DonationId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let v = svc::donation(&state, &ctx, id).await?;
    let page = Page::new(&state, &rc, &format!("/donations/{id}")).await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    render(&DonationPage { notice: notice(&page, q.notice.as_deref()), page, v, units })
}

#[derive(Template)]
#[template(path = "donation_receipt.html")]
struct ReceiptPage {
    page: Page,
    d: Donation,
    agency: String,
    unit: String,
}

impl ReceiptPage {
    fn money(&self, cents: &i64) -> String {
        format!("{} {}", self.d.currency, format_money(*cents))
    }
    fn total(&self) -> String {
        self.money(&self.d.value_cents())
    }
    fn basis(&self, b: &ValuationBasis) -> String {
        self.page.t(&format!("donations-basis-{}", b.as_str()))
    }
    fn method(&self) -> String {
        self.d.method.map(|m| self.page.t(&format!("donations-method-{}", m.as_str()))).unwrap_or_default()
    }
}

/// The printable receipt, in the reader's language, with the agency's details and number.
pub async fn receipt(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<DonationId>) -> AppResult<Response> {
    let v = svc::donation(&state, &ctx, id).await?;
    let page = Page::new(&state, &rc, &format!("/donations/{id}/receipt")).await;
    let agency = state.store.agency(ctx.user.org_id).await?.name(page.locale).to_string();
    let units = state.store.list_units(ctx.user.org_id).await?;
    let unit = unit_name(&page, &units, &v.donation.unit_id);
    render(&ReceiptPage { page, d: v.donation, agency, unit })
}

// ---------------------------------------------------------------------------------------------
// Stock, transfers and adjustments

#[derive(Template)]
#[template(path = "donations_stock.html")]
struct StockPage {
    page: Page,
    notice: Option<String>,
    s: StockView,
    units: Vec<ServiceUnit>,
    manage_units: Vec<ServiceUnit>,
    errors: Vec<FieldError>,
}

impl StockPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn unit(&self, id: &UnitId) -> String {
        unit_name(&self.page, &self.units, id)
    }
    fn category(&self, c: &ItemCategory) -> String {
        self.page.t(&format!("donations-category-{}", c.as_str()))
    }
    fn can_confirm(&self, unit: &UnitId) -> bool {
        self.page.user.as_ref().is_some_and(|u| u.grants.allows(Permission::ConfirmAdjustments, Scope::Unit(*unit)))
    }
}

async fn stock_view(
    state: &AppState,
    rc: &RequestCtx,
    ctx: &Ctx,
    notice_key: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let s = svc::stock(state, ctx, &StockParams::default()).await?;
    let page = Page::new(state, rc, "/donations/stock").await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    let manage_units = units_with(state, ctx, Permission::ManageDonations).await?;
    let invalid = !errors.is_empty();
    let p = StockPage { notice: notice(&page, notice_key.as_deref()), page, s, units, manage_units, errors };
    render_form(&p, invalid)
}

pub async fn stock(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    stock_view(&state, &rc, &ctx, q.notice, Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    unit_id: String,
    to_unit_id: String,
    item_id: String,
    quantity: String,
    delta: String,
    reason: String,
}

fn int(raw: &str) -> i64 {
    raw.trim().parse().unwrap_or(0)
}

pub async fn transfer(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<MoveForm>) -> AppResult<Response> {
    let input = TransferInput {
        from_unit_id: f.unit_id.parse().ok(),
        to_unit_id: f.to_unit_id.parse().ok(),
        item_id: f.item_id.parse().ok(),
        quantity: int(&f.quantity),
    };
    match svc::transfer(&state, &ctx, &input).await {
        Ok(()) => Ok(Redirect::to("/donations/stock?notice=transferred").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => stock_view(&state, &rc, &ctx, None, errors).await,
        Err(e) => Err(e),
    }
}

pub async fn propose(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, HtmlForm(f): HtmlForm<MoveForm>) -> AppResult<Response> {
    let input =
        AdjustmentInput { unit_id: f.unit_id.parse().ok(), item_id: f.item_id.parse().ok(), delta: int(&f.delta), reason: f.reason };
    match svc::propose(&state, &ctx, &input).await {
        Ok(_) => Ok(Redirect::to("/donations/stock?notice=proposed").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => stock_view(&state, &rc, &ctx, None, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
}

pub async fn decide(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<AdjustmentId>,
    HtmlForm(f): HtmlForm<DecisionForm>,
) -> AppResult<Response> {
    match svc::decide(&state, &ctx, id, &DecisionInput { decision: f.decision }).await {
        Ok(_) => Ok(Redirect::to("/donations/stock?notice=decided").into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => stock_view(&state, &rc, &ctx, None, errors).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

#[derive(Template)]
#[template(path = "donations_reports.html")]
struct ReportsPage {
    page: Page,
    r: DonationReport,
    units: Vec<ServiceUnit>,
    donors: Vec<Donor>,
    donor: String,
    query: String,
}

impl ReportsPage {
    fn unit(&self, key: &str) -> String {
        self.units.iter().find(|u| u.id.to_string() == key).map(|u| u.name(self.page.locale).to_string()).unwrap_or_else(|| key.into())
    }
    fn category(&self, c: &str) -> String {
        self.page.t(&format!("donations-category-{c}"))
    }
    fn money(&self, cents: &i64) -> String {
        format_money(*cents)
    }
    fn groups(&self) -> Vec<(&'static str, Vec<shegong_domain::donations::DonationRow>, u8)> {
        vec![
            ("donations-by-donor", self.r.by_donor.clone(), 0),
            ("donations-by-category", self.r.by_category.clone(), 1),
            ("donations-by-unit", self.r.by_unit.clone(), 2),
        ]
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    from: String,
    to: String,
    donor_id: String,
    format: String,
}

pub async fn reports(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewAssistanceReports, Scope::AnyUnit)?;
    let p = ReportParams {
        from: q.from.parse().ok(),
        to: q.to.parse().ok(),
        unit_id: None,
        donor_id: q.donor_id.parse().ok(),
        format: String::new(),
    };
    if !q.format.is_empty() {
        let format = ExportFormat::parse(&q.format).ok_or_else(|| DomainError::invalid("format", "invalid-choice"))?;
        return svc::export(&state, &ctx, &p, format).await;
    }
    let r = svc::report(&state, &ctx, &p).await?;
    let page = Page::new(&state, &rc, "/donations/reports").await;
    let units = state.store.list_units(ctx.user.org_id).await?;
    // Donor names are the agency's partners, not people served: report readers may pick one.
    let donors = state.store.list_donors(ctx.user.org_id).await?;
    let donor = p.donor_id.map(|d| d.to_string()).unwrap_or_default();
    let query = format!("from={}&to={}&donor_id={donor}", r.from, r.to);
    render(&ReportsPage { page, r, units, donors, donor, query })
}
