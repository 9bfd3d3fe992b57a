//! Donations service: what the pages and the API share. Donors are the agency's; donations,
//! stock and adjustments belong to the unit that holds them. Every outflow names the donated
//! item it came from, so a donor's report (aggregated, without personal data) shows what their
//! gift reached.

use crate::assistance::{period, report_units};
use crate::clients::{export::download, export::ExportFormat, today, units_for};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::donations::{
    count_donations, facts_of_donor, format_money, Adjustment, AdjustmentInput, DecisionInput, DistributionInput, Donation, DonationInput,
    DonationReport, Donor, DonorInput, Movement, MovementKind, SpendInput, StockLine, TransferInput,
};
use shegong_domain::ids::{AdjustmentId, DistributionId, DonationId, DonorId, UnitId};
use shegong_domain::DomainError;
use std::collections::BTreeSet;

/// How many rows a list shows.
pub const LIST_LIMIT: u64 = 500;

fn scope(ctx: &Ctx, perm: Permission, unit: Option<UnitId>) -> AppResult<Option<Vec<UnitId>>> {
    ctx.require(perm, Scope::AnyUnit)?;
    Ok(match unit {
        Some(u) => {
            ctx.require(perm, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, perm),
    })
}

async fn known_unit(state: &AppState, ctx: &Ctx, unit: UnitId, field: &str) -> AppResult<()> {
    match state.store.get_unit(ctx.user.org_id, unit).await {
        Ok(_) => Ok(()),
        Err(DomainError::NotFound) => Err(DomainError::invalid(field, "unknown-unit").into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn donors(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Donor>> {
    ctx.require(Permission::ViewDonations, Scope::AnyUnit)?;
    Ok(state.store.list_donors(ctx.user.org_id).await?)
}

pub async fn create_donor(state: &AppState, ctx: &Ctx, input: &DonorInput) -> AppResult<Donor> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    let f = input.validate()?;
    Ok(state.store.create_donor(&ctx.actor(), &f).await?)
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct DonationParams {
    pub unit_id: Option<UnitId>,
    pub donor_id: Option<DonorId>,
}

pub async fn donations(state: &AppState, ctx: &Ctx, p: &DonationParams) -> AppResult<Vec<Donation>> {
    let us = scope(ctx, Permission::ViewDonations, p.unit_id)?;
    Ok(state.store.list_donations(ctx.user.org_id, us.as_deref(), p.donor_id, LIST_LIMIT).await?)
}

/// Records a donation with the agency's next receipt number; goods go into the unit's stock.
pub async fn record(state: &AppState, ctx: &Ctx, input: &DonationInput) -> AppResult<Donation> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let f = input.validate(today(state, org).await?)?;
    ctx.require(Permission::ManageDonations, Scope::Unit(f.unit_id))?;
    known_unit(state, ctx, f.unit_id, "unit_id").await?;
    Ok(state.store.record_donation(&ctx.actor(), &f).await?)
}

/// A donation with its ledger and what it reached (households and people, counted, never named).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DonationView {
    pub donation: Donation,
    pub movements: Vec<Movement>,
    pub households_reached: u64,
    pub persons_reached: u64,
}

pub async fn donation(state: &AppState, ctx: &Ctx, id: DonationId) -> AppResult<DonationView> {
    let org = ctx.user.org_id;
    let d = state.store.get_donation(org, id).await?;
    ctx.require(Permission::ViewDonations, Scope::Unit(d.unit_id))?;
    let movements = state.store.movements(org, None, Some(id), 10_000).await?;
    let mut persons = std::collections::BTreeMap::new();
    for m in movements.iter().filter(|m| m.kind == MovementKind::Distribute) {
        if let Some(h) = m.household_id {
            let p = persons.entry(h).or_insert(0);
            *p = m.persons.max(*p);
        }
    }
    let households_reached = persons.len() as u64;
    let persons_reached = persons.values().map(|p| u64::try_from(*p).unwrap_or(0)).sum();
    let movements = movements.into_iter().map(|mut m| {
        // The ledger shown with a donation counts households; it never names one.
        m.household_id = None;
        m
    });
    Ok(DonationView { donation: d, movements: movements.collect(), households_reached, persons_reached })
}

/// Records cash spent from a cash donation.
pub async fn spend(state: &AppState, ctx: &Ctx, id: DonationId, input: &SpendInput) -> AppResult<Donation> {
    let org = ctx.user.org_id;
    let d = state.store.get_donation(org, id).await?;
    ctx.require(Permission::ManageDonations, Scope::Unit(d.unit_id))?;
    let (amount, purpose, day) = input.validate(today(state, org).await?)?;
    Ok(state.store.spend_cash(&ctx.actor(), id, amount, &purpose, day).await?)
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct StockParams {
    pub unit_id: Option<UnitId>,
}

/// The stock of the caller's units, what expires soon, and the adjustments waiting.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StockView {
    pub lines: Vec<StockLine>,
    /// Lines whose expiry is within 30 days (or past).
    pub expiring: Vec<StockLine>,
    pub pending_adjustments: Vec<Adjustment>,
}

pub async fn stock(state: &AppState, ctx: &Ctx, p: &StockParams) -> AppResult<StockView> {
    let us = scope(ctx, Permission::ViewDonations, p.unit_id)?;
    let org = ctx.user.org_id;
    let lines = state.store.stock(org, us.as_deref()).await?;
    let t = today(state, org).await?;
    let mut expiring: Vec<StockLine> = lines.iter().filter(|l| l.expiring(t)).cloned().collect();
    expiring.sort_by_key(|l| l.expiry);
    let pending_adjustments = state.store.adjustments(org, us.as_deref(), true).await?;
    Ok(StockView { lines, expiring, pending_adjustments })
}

pub async fn transfer(state: &AppState, ctx: &Ctx, input: &TransferInput) -> AppResult<()> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    let (from, to, item, quantity) = input.validate()?;
    ctx.require(Permission::ManageDonations, Scope::Unit(from))?;
    known_unit(state, ctx, to, "to_unit_id").await?;
    let t = today(state, ctx.user.org_id).await?;
    Ok(state.store.transfer_stock(&ctx.actor(), from, to, item, quantity, t).await?)
}

/// A bulk distribution day: each recipient household's size is taken when not given.
pub async fn distribute(state: &AppState, ctx: &Ctx, input: &DistributionInput) -> AppResult<DistributionId> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut f = input.validate(today(state, org).await?)?;
    ctx.require(Permission::ManageDonations, Scope::Unit(f.unit_id))?;
    let households: BTreeSet<_> = f.lines.iter().map(|l| l.household_id).collect();
    let mut sizes = std::collections::HashMap::new();
    for h in households {
        match state.store.get_household(org, h).await {
            Ok(x) => {
                sizes.insert(h, i32::try_from(x.size().max(1)).unwrap_or(1));
            }
            Err(DomainError::NotFound) => return Err(DomainError::invalid("lines", "unknown-household").into()),
            Err(e) => return Err(e.into()),
        }
    }
    for l in &mut f.lines {
        l.persons = Some(l.persons.unwrap_or_else(|| sizes.get(&l.household_id).copied().unwrap_or(1)));
    }
    Ok(state.store.distribute(&ctx.actor(), &f).await?)
}

pub async fn propose(state: &AppState, ctx: &Ctx, input: &AdjustmentInput) -> AppResult<Adjustment> {
    ctx.require(Permission::ManageDonations, Scope::AnyUnit)?;
    let (unit, item, delta, reason) = input.validate()?;
    ctx.require(Permission::ManageDonations, Scope::Unit(unit))?;
    Ok(state.store.propose_adjustment(&ctx.actor(), unit, item, delta, &reason).await?)
}

pub async fn adjustments(state: &AppState, ctx: &Ctx, p: &StockParams) -> AppResult<Vec<Adjustment>> {
    let us = scope(ctx, Permission::ViewDonations, p.unit_id)?;
    Ok(state.store.adjustments(ctx.user.org_id, us.as_deref(), false).await?)
}

/// A second person confirms (the stock moves) or rejects an adjustment.
pub async fn decide(state: &AppState, ctx: &Ctx, id: AdjustmentId, input: &DecisionInput) -> AppResult<Adjustment> {
    let org = ctx.user.org_id;
    let a = state.store.get_adjustment(org, id).await?;
    ctx.require(Permission::ConfirmAdjustments, Scope::Unit(a.unit_id))?;
    let confirm = match input.decision.trim() {
        "confirmed" => true,
        "rejected" => false,
        "" => return Err(DomainError::invalid("decision", "required").into()),
        _ => return Err(DomainError::invalid("decision", "invalid-choice").into()),
    };
    let t = today(state, org).await?;
    Ok(state.store.decide_adjustment(&ctx.actor(), id, confirm, t).await?)
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct ReportParams {
    /// `YYYY-MM-DD`; default: 30 days before `to`.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD`; default today.
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
    /// One donor's report: what their gifts reached, aggregated.
    pub donor_id: Option<DonorId>,
    /// `csv` or `xlsx` for a file; JSON when blank.
    pub format: String,
}

pub async fn report(state: &AppState, ctx: &Ctx, p: &ReportParams) -> AppResult<DonationReport> {
    let us = report_units(ctx, p.unit_id)?;
    let (from, to) = period(state, ctx, p.from, p.to).await?;
    let facts = state.store.donation_facts(ctx.user.org_id, us.as_deref(), from, to).await?;
    let facts = match p.donor_id {
        Some(d) => facts_of_donor(&facts, d),
        None => facts,
    };
    Ok(count_donations(&facts, from, to))
}

/// The report as a file: quantities per category and unit of measure, then values by donor,
/// category and unit.
pub async fn export(state: &AppState, ctx: &Ctx, p: &ReportParams, format: ExportFormat) -> AppResult<Response> {
    let r = report(state, ctx, p).await?;
    let l = ctx.locale;
    let units: std::collections::HashMap<String, String> =
        state.store.list_units(ctx.user.org_id).await?.into_iter().map(|u| (u.id.to_string(), u.name(l).to_string())).collect();
    let header: Vec<String> = [
        "donations-col-group",
        "donations-col-key",
        "donations-col-uom",
        "donations-received",
        "donations-distributed",
        "donations-value-received",
        "donations-value-distributed",
        "donations-cash-in",
        "donations-cash-spent",
        "donations-households",
    ]
    .iter()
    .map(|k| i18n::t(l, k))
    .collect();
    let mut rows = Vec::new();
    for q in &r.items {
        rows.push(vec![
            i18n::t(l, "donations-items"),
            i18n::t(l, &format!("donations-category-{}", q.category.as_str())),
            q.uom.clone(),
            q.received.to_string(),
            q.distributed.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for (group, list) in [("donations-by-donor", &r.by_donor), ("donations-by-category", &r.by_category), ("donations-by-unit", &r.by_unit)]
    {
        for x in list.iter() {
            let key = match group {
                "donations-by-donor" => x.name.clone(),
                "donations-by-category" => i18n::t(l, &format!("donations-category-{}", x.key)),
                _ => units.get(&x.key).cloned().unwrap_or_else(|| x.key.clone()),
            };
            rows.push(vec![
                i18n::t(l, group),
                key,
                String::new(),
                String::new(),
                String::new(),
                format_money(x.value_received_cents),
                format_money(x.value_distributed_cents),
                format_money(x.cash_received_cents),
                format_money(x.cash_spent_cents),
                x.households.to_string(),
            ]);
        }
    }
    let sheet = i18n::t(l, "donations-sheet");
    let bytes = tokio::task::spawn_blocking(move || match format {
        ExportFormat::Csv => Ok(crate::tabular::write_csv(&header, &rows)),
        ExportFormat::Xlsx => crate::tabular::write_xlsx(&sheet, &header, &rows),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    let name = format!("donations-{}-{}.{}", r.from.format("%Y%m%d"), r.to.format("%Y%m%d"), format.extension());
    Ok(download(bytes, format, &name))
}
