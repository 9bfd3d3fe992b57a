//! Donations (物資捐贈/物资捐赠 in kind, and cash): donors and partners, donations with their
//! items (unit of measure, quantity, value per unit and its basis, expiry and lot), receipts with
//! the agency's sequential numbers, and stock per unit kept as an append-only ledger of
//! movements (received, transferred, distributed, adjusted). A balance never goes below zero:
//! [`apply`] refuses, and the store changes a balance row only while it stays at or above
//! zero. Every outflow names the donated item (and so the donation) it came from, so a donor's
//! report shows what their gift reached, without personal data.

use crate::clients::code_enum;
use crate::error::{FieldError, Result, Validator};
use crate::ids::{AdjustmentId, DonationId, DonationItemId, DonorId, HouseholdId, MovementId, OrgId, UnitId, UserId};
use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

code_enum!(
    /// Who gives.
    DonorKind { Company = "company", Foundation = "foundation", Individual = "individual", Government = "government", Other = "other" }
);
code_enum!(
    /// Goods or money.
    DonationKind { InKind = "in_kind", Cash = "cash" }
);
code_enum!(
    /// What an in-kind item's value rests on.
    ValuationBasis { Invoice = "invoice", MarketPrice = "market_price", Appraisal = "appraisal" }
);
code_enum!(
    /// How cash arrived.
    PaymentMethod {
        Cash = "cash", Cheque = "cheque", BankTransfer = "bank_transfer", Fps = "fps", WechatPay = "wechat_pay", Alipay = "alipay",
        Other = "other",
    }
);
code_enum!(
    /// What kind of goods an item is.
    ItemCategory {
        Medicine = "medicine", Food = "food", Masks = "masks", DailyNecessities = "daily_necessities", Clothing = "clothing",
        Toys = "toys", Other = "other",
    }
);
code_enum!(
    /// One line of the stock ledger.
    MovementKind { Receive = "receive", TransferOut = "transfer_out", TransferIn = "transfer_in", Distribute = "distribute", Adjust = "adjust" }
);
code_enum!(
    /// An adjustment waits for a second person's confirmation before it moves stock.
    AdjustmentStatus { Pending = "pending", Confirmed = "confirmed", Rejected = "rejected" }
);

/// Most of one unit of measure in one line (ten million).
pub const MAX_QUANTITY: i64 = 10_000_000;
/// Largest amount in minor units (one thousand million).
pub const MAX_CENTS: i64 = 100_000_000_000;
/// Items in one donation.
pub const MAX_ITEMS: usize = 200;
/// "Expiring soon": within this many days.
pub const EXPIRY_WINDOW_DAYS: i64 = 30;

/// Reads an amount typed as `1234`, `1234.5` or `1,234.50` into minor units (cents).
pub fn parse_money(raw: &str) -> Option<i64> {
    let s: String = raw.trim().chars().filter(|c| *c != ',' && *c != ' ').collect();
    if s.is_empty() {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    w.checked_mul(100)?.checked_add(f)
}

/// Minor units as `1,234.50`.
pub fn format_money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", c % 100)
}

fn pick<T>(v: &mut Validator, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let r = parse(raw.trim());
    if r.is_none() {
        v.push(FieldError::new(field, if raw.trim().is_empty() { "required" } else { "invalid-choice" }));
    }
    r
}

fn money(v: &mut Validator, field: &str, raw: &str, required: bool) -> i64 {
    if raw.trim().is_empty() {
        if required {
            v.push(FieldError::new(field, "required"));
        }
        return 0;
    }
    match parse_money(raw) {
        Some(c) if c <= MAX_CENTS => c,
        _ => {
            v.push(FieldError::new(field, "money-format"));
            0
        }
    }
}

/// A donor or partner: a company, foundation, person or government body.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Donor {
    pub id: DonorId,
    pub org_id: OrgId,
    pub name: String,
    pub kind: DonorKind,
    pub contact_person: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub note: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonorInput {
    #[serde(default)]
    pub name: String,
    /// `company`, `foundation`, `individual`, `government` or `other`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub contact_person: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DonorFields {
    pub name: String,
    pub kind: DonorKind,
    pub contact_person: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub note: String,
}

impl DonorInput {
    pub fn validate(&self) -> Result<DonorFields> {
        let mut v = Validator::new();
        let name = v.text("name", &self.name, true, 200);
        let kind = pick(&mut v, "kind", &self.kind, DonorKind::parse);
        let contact_person = v.text("contact_person", &self.contact_person, false, 200);
        let phone = v.text("phone", &self.phone, false, 40);
        let email = v.text("email", &self.email, false, 200);
        if !email.is_empty() && !email.contains('@') {
            v.push(FieldError::new("email", "email-format"));
        }
        let address = v.text("address", &self.address, false, 500);
        let note = v.text("note", &self.note, false, 2000);
        v.finish()?;
        let kind = kind.ok_or_else(|| DomainError::invalid("kind", "required"))?;
        Ok(DonorFields { name, kind, contact_person, phone, email, address, note })
    }
}

/// One kind of goods of an in-kind donation (one lot): it is the key of the stock.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct DonationItem {
    pub id: DonationItemId,
    pub donation_id: DonationId,
    pub name: String,
    pub category: ItemCategory,
    /// `box`, `piece`, `kg`, …: quantities are whole numbers of it.
    pub uom: String,
    pub quantity: i64,
    /// Value of one unit of measure, in minor units.
    pub value_cents: i64,
    pub basis: ValuationBasis,
    pub expiry: Option<NaiveDate>,
    pub lot: String,
}

/// A donation: goods with their items, or cash.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Donation {
    pub id: DonationId,
    pub org_id: OrgId,
    pub donor_id: DonorId,
    pub donor_name: String,
    /// The unit that received it.
    pub unit_id: UnitId,
    pub kind: DonationKind,
    pub received_on: NaiveDate,
    /// The agency's sequential receipt number, e.g. `R000042`.
    pub receipt_no: String,
    /// A restricted gift may be used only as the donor intended.
    pub restricted: bool,
    pub intended_use: String,
    /// ISO 4217 code of the amounts (the agency's currency).
    pub currency: String,
    /// Cash: the amount, in minor units.
    pub amount_cents: i64,
    pub method: Option<PaymentMethod>,
    /// Cash spent from it so far.
    pub spent_cents: i64,
    pub items: Vec<DonationItem>,
    pub note: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Donation {
    /// Total value: the cash, or the items' quantity × value per unit.
    pub fn value_cents(&self) -> i64 {
        match self.kind {
            DonationKind::Cash => self.amount_cents,
            DonationKind::InKind => self.items.iter().map(|i| i.quantity.saturating_mul(i.value_cents)).sum(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub uom: String,
    #[serde(default)]
    pub quantity: i64,
    /// Value of one unit, as typed (`12.50`).
    #[serde(default)]
    pub value_per_unit: String,
    /// `invoice`, `market_price` or `appraisal`.
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    #[serde(default)]
    pub lot: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ItemFields {
    pub name: String,
    pub category: ItemCategory,
    pub uom: String,
    pub quantity: i64,
    pub value_cents: i64,
    pub basis: ValuationBasis,
    pub expiry: Option<NaiveDate>,
    pub lot: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationInput {
    pub donor_id: Option<DonorId>,
    /// The receiving unit.
    pub unit_id: Option<UnitId>,
    /// `in_kind` or `cash`.
    #[serde(default)]
    pub kind: String,
    /// Today when blank.
    #[serde(default)]
    pub received_on: Option<NaiveDate>,
    #[serde(default)]
    pub restricted: bool,
    /// The donor's intended use (required when restricted).
    #[serde(default)]
    pub intended_use: String,
    /// `HKD` when blank.
    #[serde(default)]
    pub currency: String,
    /// Cash: the amount as typed (`1000.00`).
    #[serde(default)]
    pub amount: String,
    /// Cash: `cash`, `cheque`, `bank_transfer`, `fps`, `wechat_pay`, `alipay`, `other`.
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub items: Vec<ItemInput>,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DonationFields {
    pub donor_id: DonorId,
    pub unit_id: UnitId,
    pub kind: DonationKind,
    pub received_on: NaiveDate,
    pub restricted: bool,
    pub intended_use: String,
    pub currency: String,
    pub amount_cents: i64,
    pub method: Option<PaymentMethod>,
    pub items: Vec<ItemFields>,
    pub note: String,
}

impl DonationInput {
    pub fn validate(&self, today: NaiveDate) -> Result<DonationFields> {
        let mut v = Validator::new();
        if self.donor_id.is_none() {
            v.push(FieldError::new("donor_id", "required"));
        }
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let kind = pick(&mut v, "kind", &self.kind, DonationKind::parse);
        let received_on = self.received_on.unwrap_or(today);
        if received_on > today {
            v.push(FieldError::new("received_on", "in-future"));
        }
        let intended_use = v.text("intended_use", &self.intended_use, self.restricted, 1000);
        let currency = if self.currency.trim().is_empty() { "HKD".to_string() } else { self.currency.trim().to_uppercase() };
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            v.push(FieldError::new("currency", "invalid-choice"));
        }
        let note = v.text("note", &self.note, false, 2000);
        let (mut amount_cents, mut method, mut items) = (0, None, Vec::new());
        match kind {
            Some(DonationKind::Cash) => {
                amount_cents = money(&mut v, "amount", &self.amount, true);
                if amount_cents == 0 && parse_money(&self.amount) == Some(0) {
                    v.push(FieldError::new("amount", "out-of-range").with("min", "0.01").with("max", format_money(MAX_CENTS)));
                }
                method = pick(&mut v, "method", &self.method, PaymentMethod::parse);
            }
            Some(DonationKind::InKind) => {
                let given: Vec<(usize, &ItemInput)> = self.items.iter().enumerate().filter(|(_, i)| !i.name.trim().is_empty()).collect();
                if given.is_empty() {
                    v.push(FieldError::new("items", "required"));
                } else if given.len() > MAX_ITEMS {
                    v.push(FieldError::new("items", "too-many").with("max", MAX_ITEMS));
                }
                for (i, it) in given {
                    let f = |n: &str| format!("items[{i}].{n}");
                    let name = v.text(&f("name"), &it.name, true, 200);
                    let category = pick(&mut v, &f("category"), &it.category, ItemCategory::parse);
                    let uom = v.text(&f("uom"), &it.uom, true, 40);
                    if !(1..=MAX_QUANTITY).contains(&it.quantity) {
                        v.push(FieldError::new(f("quantity"), "out-of-range").with("min", 1).with("max", MAX_QUANTITY));
                    }
                    let value_cents = money(&mut v, &f("value_per_unit"), &it.value_per_unit, true);
                    let basis = pick(&mut v, &f("basis"), &it.basis, ValuationBasis::parse);
                    let lot = v.text(&f("lot"), &it.lot, false, 100);
                    if matches!(category, Some(ItemCategory::Food | ItemCategory::Medicine)) && it.expiry.is_none() {
                        v.push(FieldError::new(f("expiry"), "expiry-required"));
                    }
                    if let (Some(category), Some(basis)) = (category, basis) {
                        items.push(ItemFields { name, category, uom, quantity: it.quantity, value_cents, basis, expiry: it.expiry, lot });
                    }
                }
            }
            None => {}
        }
        v.finish()?;
        let (Some(donor_id), Some(unit_id), Some(kind)) = (self.donor_id, self.unit_id, kind) else {
            return Err(DomainError::invalid("donation", "required"));
        };
        Ok(DonationFields {
            donor_id,
            unit_id,
            kind,
            received_on,
            restricted: self.restricted,
            intended_use,
            currency,
            amount_cents,
            method,
            items,
            note,
        })
    }
}

/// Cash spent from a donation.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendInput {
    /// As typed (`250.00`).
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub purpose: String,
    /// Today when blank.
    #[serde(default)]
    pub day: Option<NaiveDate>,
}

impl SpendInput {
    pub fn validate(&self, today: NaiveDate) -> Result<(i64, String, NaiveDate)> {
        let mut v = Validator::new();
        let amount = money(&mut v, "amount", &self.amount, true);
        if amount == 0 && !v.has_errors() {
            v.push(FieldError::new("amount", "money-format"));
        }
        let purpose = v.text("purpose", &self.purpose, true, 500);
        let day = self.day.unwrap_or(today);
        if day > today {
            v.push(FieldError::new("day", "in-future"));
        }
        v.finish()?;
        Ok((amount, purpose, day))
    }
}

/// Spending never takes more than what is left of the gift.
pub fn check_spend(amount_cents: i64, spent_cents: i64, more: i64) -> Result<()> {
    if spent_cents + more > amount_cents {
        return Err(DomainError::Invalid(vec![
            FieldError::new("amount", "cash-insufficient").with("available", format_money(amount_cents - spent_cents))
        ]));
    }
    Ok(())
}

/// A stock balance: one donated item (lot) at one unit.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct StockLine {
    pub unit_id: UnitId,
    pub item_id: DonationItemId,
    pub donation_id: DonationId,
    pub donor_name: String,
    pub name: String,
    pub category: ItemCategory,
    pub uom: String,
    pub quantity: i64,
    pub value_cents: i64,
    pub expiry: Option<NaiveDate>,
    pub lot: String,
    pub restricted: bool,
}

impl StockLine {
    pub fn expiring(&self, today: NaiveDate) -> bool {
        self.quantity > 0 && self.expiry.is_some_and(|e| (e - today).num_days() <= EXPIRY_WINDOW_DAYS)
    }
}

/// One line of the stock ledger. Lines are never changed or removed.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct Movement {
    pub id: MovementId,
    pub kind: MovementKind,
    pub unit_id: UnitId,
    pub item_id: DonationItemId,
    pub donation_id: DonationId,
    /// Positive in, negative out.
    pub delta: i64,
    /// What moved it: `donation:<id>`, `transfer:<id>`, `distribution:<id>`, `request:<id>`, `adjustment:<id>`.
    pub source_ref: String,
    pub household_id: Option<HouseholdId>,
    pub persons: i32,
    /// For a bulk distribution: the recipient signed the list.
    pub signed: bool,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A balance after a movement, or the refusal: stock never goes below zero.
pub fn apply(balance: i64, delta: i64) -> Result<i64> {
    match balance.checked_add(delta) {
        Some(b) if b >= 0 => Ok(b),
        _ => Err(stock_insufficient(balance)),
    }
}

pub fn stock_insufficient(available: i64) -> DomainError {
    DomainError::Invalid(vec![FieldError::new("quantity", "stock-insufficient").with("available", available)])
}

/// The balances a ledger adds up to, per (unit, item). Zero balances are kept (a line that
/// was emptied is still a line).
pub fn replay(movements: impl IntoIterator<Item = (UnitId, DonationItemId, i64)>) -> BTreeMap<(UnitId, DonationItemId), i64> {
    let mut out = BTreeMap::new();
    for (u, i, d) in movements {
        *out.entry((u, i)).or_insert(0) += d;
    }
    out
}

/// A stock adjustment (count differs, damaged, expired): it moves stock only once a second
/// person confirms it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Adjustment {
    pub id: AdjustmentId,
    pub unit_id: UnitId,
    pub item_id: DonationItemId,
    pub item_name: String,
    pub uom: String,
    pub delta: i64,
    pub reason: String,
    pub status: AdjustmentStatus,
    pub proposed_by: Option<UserId>,
    pub proposed_by_name: String,
    pub proposed_at: DateTime<Utc>,
    pub decided_by_name: String,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    pub unit_id: Option<UnitId>,
    pub item_id: Option<DonationItemId>,
    /// Negative to take stock off (damaged, expired, miscounted), positive to add (found).
    #[serde(default)]
    pub delta: i64,
    #[serde(default)]
    pub reason: String,
}

impl AdjustmentInput {
    pub fn validate(&self) -> Result<(UnitId, DonationItemId, i64, String)> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        if self.item_id.is_none() {
            v.push(FieldError::new("item_id", "required"));
        }
        if self.delta == 0 || self.delta.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
            v.push(FieldError::new("delta", "out-of-range").with("min", -MAX_QUANTITY).with("max", MAX_QUANTITY));
        }
        let reason = v.text("reason", &self.reason, true, 1000);
        v.finish()?;
        match (self.unit_id, self.item_id) {
            (Some(u), Some(i)) => Ok((u, i, self.delta, reason)),
            _ => Err(DomainError::invalid("item_id", "required")),
        }
    }
}

/// Adjustments are four-eyes: the person who proposed one does not confirm it.
pub fn check_confirm(status: AdjustmentStatus, proposed_by: Option<UserId>, confirmer: Option<UserId>) -> Result<()> {
    if status != AdjustmentStatus::Pending {
        return Err(DomainError::Stale);
    }
    if proposed_by.is_some() && proposed_by == confirmer {
        return Err(DomainError::invalid("adjustment", "second-person-required"));
    }
    Ok(())
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdjustmentDecisionInput)]
pub struct DecisionInput {
    /// `confirmed` or `rejected`.
    pub decision: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StockTransferInput)]
pub struct TransferInput {
    pub from_unit_id: Option<UnitId>,
    pub to_unit_id: Option<UnitId>,
    pub item_id: Option<DonationItemId>,
    #[serde(default)]
    pub quantity: i64,
}

impl TransferInput {
    pub fn validate(&self) -> Result<(UnitId, UnitId, DonationItemId, i64)> {
        let mut v = Validator::new();
        for (f, x) in
            [("from_unit_id", self.from_unit_id.is_none()), ("to_unit_id", self.to_unit_id.is_none()), ("item_id", self.item_id.is_none())]
        {
            if x {
                v.push(FieldError::new(f, "required"));
            }
        }
        if self.from_unit_id.is_some() && self.from_unit_id == self.to_unit_id {
            v.push(FieldError::new("to_unit_id", "same-unit"));
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            v.push(FieldError::new("quantity", "out-of-range").with("min", 1).with("max", MAX_QUANTITY));
        }
        v.finish()?;
        match (self.from_unit_id, self.to_unit_id, self.item_id) {
            (Some(a), Some(b), Some(i)) => Ok((a, b, i, self.quantity)),
            _ => Err(DomainError::invalid("item_id", "required")),
        }
    }
}

/// One recipient household of a distribution.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub household_id: Option<HouseholdId>,
    pub item_id: Option<DonationItemId>,
    #[serde(default)]
    pub quantity: i64,
    /// People in the household; its size when blank.
    #[serde(default)]
    pub persons: Option<i32>,
    /// The recipient signed the list.
    #[serde(default)]
    pub signed: bool,
}

/// A bulk distribution day: a recipient list, each line taken from a donated item.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionInput {
    pub unit_id: Option<UnitId>,
    /// Today when blank.
    #[serde(default)]
    pub day: Option<NaiveDate>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub lines: Vec<LineInput>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LineFields {
    pub household_id: HouseholdId,
    pub item_id: DonationItemId,
    pub quantity: i64,
    pub persons: Option<i32>,
    pub signed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DistributionFields {
    pub unit_id: UnitId,
    pub day: NaiveDate,
    pub title: String,
    pub lines: Vec<LineFields>,
}

impl DistributionInput {
    pub fn validate(&self, today: NaiveDate) -> Result<DistributionFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let day = self.day.unwrap_or(today);
        if day > today {
            v.push(FieldError::new("day", "in-future"));
        }
        let title = v.text("title", &self.title, true, 200);
        let mut lines = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if l.household_id.is_none() && l.item_id.is_none() && l.quantity == 0 {
                continue;
            }
            let f = |n: &str| format!("lines[{i}].{n}");
            if l.household_id.is_none() {
                v.push(FieldError::new(f("household_id"), "required"));
            }
            if l.item_id.is_none() {
                v.push(FieldError::new(f("item_id"), "required"));
            }
            if !(1..=MAX_QUANTITY).contains(&l.quantity) {
                v.push(FieldError::new(f("quantity"), "out-of-range").with("min", 1).with("max", MAX_QUANTITY));
            }
            if let Some(p) = l.persons {
                if !(1..=crate::assistance::MAX_PERSONS).contains(&p) {
                    v.push(FieldError::new(f("persons"), "out-of-range").with("min", 1).with("max", crate::assistance::MAX_PERSONS));
                }
            }
            if let (Some(household_id), Some(item_id)) = (l.household_id, l.item_id) {
                lines.push(LineFields { household_id, item_id, quantity: l.quantity, persons: l.persons, signed: l.signed });
            }
        }
        if lines.is_empty() && !v.has_errors() {
            v.push(FieldError::new("lines", "required"));
        }
        v.finish()?;
        let unit_id = self.unit_id.ok_or_else(|| DomainError::invalid("unit_id", "required"))?;
        Ok(DistributionFields { unit_id, day, title, lines })
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

/// A donation as the reports read it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DonationFact {
    pub donation_id: DonationId,
    pub donor_id: DonorId,
    pub donor_name: String,
    pub unit_id: UnitId,
    pub kind: DonationKind,
    pub received_on: NaiveDate,
    pub amount_cents: i64,
}

/// A ledger line as the reports read it, with its item's facts.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct MovementFact {
    pub kind: MovementKind,
    pub unit_id: UnitId,
    pub donation_id: DonationId,
    pub donor_id: DonorId,
    pub category: ItemCategory,
    pub uom: String,
    pub value_cents: i64,
    pub delta: i64,
    pub household_id: Option<HouseholdId>,
    pub persons: i32,
    pub day: NaiveDate,
}

/// Cash spent, as the reports read it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct SpendFact {
    pub donation_id: DonationId,
    pub donor_id: DonorId,
    pub unit_id: UnitId,
    pub amount_cents: i64,
    pub day: NaiveDate,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct DonationFacts {
    pub donations: Vec<DonationFact>,
    pub movements: Vec<MovementFact>,
    pub spends: Vec<SpendFact>,
}

/// Quantities of one category counted in one unit of measure (never added across units).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct QuantityRow {
    pub category: ItemCategory,
    pub uom: String,
    pub received: i64,
    pub distributed: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct DonationRow {
    /// The donor's id, the category code or the unit id.
    pub key: String,
    /// The donor's name (donor rows only).
    pub name: String,
    pub value_received_cents: i64,
    pub value_distributed_cents: i64,
    pub cash_received_cents: i64,
    pub cash_spent_cents: i64,
    pub households: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct DonationReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub donations: u64,
    pub value_received_cents: i64,
    pub value_distributed_cents: i64,
    pub cash_received_cents: i64,
    pub cash_spent_cents: i64,
    pub items: Vec<QuantityRow>,
    pub by_donor: Vec<DonationRow>,
    pub by_category: Vec<DonationRow>,
    pub by_unit: Vec<DonationRow>,
    /// Distinct households reached by distributions (over the union, never summed from rows).
    pub households_reached: u64,
    /// People in those households (each household counted once, at its largest count).
    pub persons_reached: u64,
    pub rules: String,
}

pub const COUNTING_RULES: &str = "items = quantities per category and unit of measure (never added across units); in-kind value = \
quantity x value per unit, on the basis recorded per item; cash = amounts received and spent; households reached = distinct \
households with a distribution (over the union); persons = their members, each household once. Transfers and adjustments move stock \
between units but are neither received nor distributed.";

fn row<'a>(map: &'a mut BTreeMap<String, DonationRow>, key: String, name: &str) -> &'a mut DonationRow {
    map.entry(key.clone()).or_insert_with(|| DonationRow { key, name: name.to_string(), ..Default::default() })
}

/// The donation figures of a period (both ends included). A donor's own report is the same
/// count over that donor's facts: aggregated, with no one's name.
pub fn count_donations(f: &DonationFacts, from: NaiveDate, to: NaiveDate) -> DonationReport {
    let mut r = DonationReport { from, to, rules: COUNTING_RULES.into(), ..Default::default() };
    let names: BTreeMap<DonorId, &str> = f.donations.iter().map(|d| (d.donor_id, d.donor_name.as_str())).collect();
    let name = |d: &DonorId| names.get(d).copied().unwrap_or("");
    let mut maps: [BTreeMap<String, DonationRow>; 3] = Default::default();
    let mut qty: BTreeMap<(&'static str, String), QuantityRow> = BTreeMap::new();
    let mut reached: BTreeMap<HouseholdId, i32> = BTreeMap::new();
    let mut reached_by: BTreeMap<(u8, String), BTreeSet<HouseholdId>> = BTreeMap::new();
    for d in f.donations.iter().filter(|d| (from..=to).contains(&d.received_on)) {
        r.donations += 1;
        if d.kind == DonationKind::Cash {
            r.cash_received_cents += d.amount_cents;
            row(&mut maps[0], d.donor_id.to_string(), &d.donor_name).cash_received_cents += d.amount_cents;
            row(&mut maps[2], d.unit_id.to_string(), "").cash_received_cents += d.amount_cents;
        }
    }
    for m in f.movements.iter().filter(|m| (from..=to).contains(&m.day)) {
        let value = m.delta.saturating_mul(m.value_cents);
        let q = qty.entry((m.category.as_str(), m.uom.clone())).or_insert_with(|| QuantityRow {
            category: m.category,
            uom: m.uom.clone(),
            received: 0,
            distributed: 0,
        });
        let keys =
            [(0u8, m.donor_id.to_string(), name(&m.donor_id)), (1, m.category.as_str().to_string(), ""), (2, m.unit_id.to_string(), "")];
        match m.kind {
            MovementKind::Receive => {
                q.received += m.delta;
                r.value_received_cents += value;
                for (k, key, n) in keys {
                    let map = maps[k as usize].entry(key.clone()).or_insert_with(|| DonationRow {
                        key,
                        name: n.to_string(),
                        ..Default::default()
                    });
                    map.value_received_cents += value;
                }
            }
            MovementKind::Distribute => {
                q.distributed -= m.delta;
                r.value_distributed_cents -= value;
                for (k, key, n) in keys {
                    let map = maps[k as usize].entry(key.clone()).or_insert_with(|| DonationRow {
                        key: key.clone(),
                        name: n.to_string(),
                        ..Default::default()
                    });
                    map.value_distributed_cents -= value;
                    if let Some(h) = m.household_id {
                        reached_by.entry((k, key)).or_default().insert(h);
                    }
                }
                if let Some(h) = m.household_id {
                    let p = reached.entry(h).or_insert(0);
                    *p = (*p).max(m.persons);
                }
            }
            _ => {}
        }
    }
    for s in f.spends.iter().filter(|s| (from..=to).contains(&s.day)) {
        r.cash_spent_cents += s.amount_cents;
        row(&mut maps[0], s.donor_id.to_string(), name(&s.donor_id)).cash_spent_cents += s.amount_cents;
        row(&mut maps[2], s.unit_id.to_string(), "").cash_spent_cents += s.amount_cents;
    }
    for ((k, key), hs) in reached_by {
        let map = &mut maps[k as usize];
        if let Some(x) = map.get_mut(&key) {
            x.households = hs.len() as u64;
        }
    }
    r.households_reached = reached.len() as u64;
    r.persons_reached = reached.values().map(|p| u64::try_from(*p).unwrap_or(0)).sum();
    r.items = qty.into_values().collect();
    let [donors, cats, units] = maps;
    r.by_donor = donors.into_values().collect();
    r.by_donor.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
    r.by_category = cats.into_values().collect();
    r.by_unit = units.into_values().collect();
    r
}

/// Only the facts of one donor's gifts.
pub fn facts_of_donor(f: &DonationFacts, donor: DonorId) -> DonationFacts {
    DonationFacts {
        donations: f.donations.iter().filter(|d| d.donor_id == donor).cloned().collect(),
        movements: f.movements.iter().filter(|m| m.donor_id == donor).cloned().collect(),
        spends: f.spends.iter().filter(|s| s.donor_id == donor).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn codes(r: Result<impl std::fmt::Debug>) -> Vec<(String, &'static str)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => vec![("ok".into(), if other.is_ok() { "ok" } else { "other" })],
        }
    }

    #[test]
    fn money_is_read_and_written_in_minor_units() {
        assert_eq!(parse_money("1,234.5"), Some(123_450));
        assert_eq!(parse_money("12"), Some(1200));
        assert_eq!(parse_money("0.07"), Some(7));
        assert_eq!(parse_money("1.234"), None);
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(format_money(35_599_400), "355,994.00");
        assert_eq!(format_money(5), "0.05");
    }

    #[test]
    fn an_in_kind_donation_lists_items_with_value_basis_and_expiry_for_food() {
        let today = day("2026-03-02");
        let i = DonationInput {
            donor_id: Some(DonorId::new()),
            unit_id: Some(UnitId::new()),
            kind: "in_kind".into(),
            restricted: true,
            items: vec![ItemInput {
                name: "米".into(),
                category: "food".into(),
                uom: "kg".into(),
                quantity: 0,
                value_per_unit: "x".into(),
                basis: "guess".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            codes(i.validate(today)),
            [
                ("intended_use".into(), "required"),
                ("items[0].quantity".into(), "out-of-range"),
                ("items[0].value_per_unit".into(), "money-format"),
                ("items[0].basis".into(), "invalid-choice"),
                ("items[0].expiry".into(), "expiry-required"),
            ]
        );
        let ok = DonationInput {
            donor_id: Some(DonorId::new()),
            unit_id: Some(UnitId::new()),
            kind: "in_kind".into(),
            items: vec![ItemInput {
                name: "外科口罩".into(),
                category: "masks".into(),
                uom: "box".into(),
                quantity: 100,
                value_per_unit: "35.50".into(),
                basis: "invoice".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let f = ok.validate(today).ok();
        assert_eq!(f.as_ref().map(|f| (f.items[0].value_cents, f.currency.as_str())), Some((3550, "HKD")));
        let cash =
            DonationInput { donor_id: Some(DonorId::new()), unit_id: Some(UnitId::new()), kind: "cash".into(), ..Default::default() };
        assert_eq!(codes(cash.validate(today)), [("amount".into(), "required"), ("method".into(), "required")]);
    }

    #[test]
    fn stock_never_goes_below_zero_and_the_refusal_says_what_is_left() {
        assert_eq!(apply(10, -4).ok(), Some(6));
        assert_eq!(codes(apply(3, -4)), [("quantity".into(), "stock-insufficient")]);
        assert!(check_spend(1000, 900, 101).is_err());
        assert!(check_spend(1000, 900, 100).is_ok());
    }

    #[test]
    fn an_adjustment_needs_a_second_person() {
        let u = UserId::new();
        assert_eq!(codes(check_confirm(AdjustmentStatus::Pending, Some(u), Some(u))), [("adjustment".into(), "second-person-required")]);
        assert!(check_confirm(AdjustmentStatus::Pending, Some(u), Some(UserId::new())).is_ok());
        assert!(matches!(check_confirm(AdjustmentStatus::Confirmed, Some(u), Some(UserId::new())), Err(DomainError::Stale)));
    }

    #[test]
    fn reports_count_households_once_and_never_add_units_of_measure() {
        let (donor_a, donor_b) = (DonorId::new(), DonorId::new());
        let (unit, d1, d2) = (UnitId::new(), DonationId::new(), DonationId::new());
        let (h1, h2) = (HouseholdId::new(), HouseholdId::new());
        let fact = |donation, donor, kind, delta, h, persons, uom: &str| MovementFact {
            kind,
            unit_id: unit,
            donation_id: donation,
            donor_id: donor,
            category: ItemCategory::Masks,
            uom: uom.into(),
            value_cents: 100,
            delta,
            household_id: h,
            persons,
            day: day("2026-03-02"),
        };
        let f = DonationFacts {
            donations: vec![
                DonationFact {
                    donation_id: d1,
                    donor_id: donor_a,
                    donor_name: "甲公司".into(),
                    unit_id: unit,
                    kind: DonationKind::InKind,
                    received_on: day("2026-03-01"),
                    amount_cents: 0,
                },
                DonationFact {
                    donation_id: d2,
                    donor_id: donor_b,
                    donor_name: "乙基金".into(),
                    unit_id: unit,
                    kind: DonationKind::Cash,
                    received_on: day("2026-03-01"),
                    amount_cents: 50_000,
                },
            ],
            movements: vec![
                fact(d1, donor_a, MovementKind::Receive, 100, None, 0, "box"),
                fact(d1, donor_a, MovementKind::Receive, 20, None, 0, "piece"),
                fact(d1, donor_a, MovementKind::Distribute, -5, Some(h1), 3, "box"),
                fact(d1, donor_a, MovementKind::Distribute, -5, Some(h1), 4, "box"),
                fact(d1, donor_a, MovementKind::Distribute, -2, Some(h2), 2, "piece"),
                fact(d1, donor_a, MovementKind::TransferOut, -10, None, 0, "box"),
                fact(d1, donor_a, MovementKind::TransferIn, 10, None, 0, "box"),
            ],
            spends: vec![SpendFact { donation_id: d2, donor_id: donor_b, unit_id: unit, amount_cents: 20_000, day: day("2026-03-03") }],
        };
        let r = count_donations(&f, day("2026-03-01"), day("2026-03-31"));
        assert_eq!(
            r.items.iter().map(|q| (q.uom.as_str(), q.received, q.distributed)).collect::<Vec<_>>(),
            [("box", 100, 10), ("piece", 20, 2)]
        );
        assert_eq!((r.value_received_cents, r.value_distributed_cents), (12_000, 1_200));
        assert_eq!((r.cash_received_cents, r.cash_spent_cents), (50_000, 20_000));
        assert_eq!((r.households_reached, r.persons_reached), (2, 6), "h1 once, at its largest count");
        let a = count_donations(&facts_of_donor(&f, donor_a), day("2026-03-01"), day("2026-03-31"));
        assert_eq!((a.households_reached, a.cash_received_cents, a.by_donor.len()), (2, 0, 1));
        assert_eq!(a.by_donor[0].households, 2);
    }

    proptest! {
        /// Any sequence of receipts, transfers, distributions and adjustments, each refused
        /// when it would take a balance below zero: the balances kept step by step always
        /// equal a replay of the ledger, and none is ever negative.
        #[test]
        fn replaying_the_ledger_gives_the_balances(ops in proptest::collection::vec((0usize..2, 0usize..3, -60i64..80, any::<bool>()), 0..300)) {
            let units = [UnitId::new(), UnitId::new()];
            let items = [DonationItemId::new(), DonationItemId::new(), DonationItemId::new()];
            let mut ledger: Vec<(UnitId, DonationItemId, i64)> = Vec::new();
            let mut kept: BTreeMap<(UnitId, DonationItemId), i64> = BTreeMap::new();
            for (u, i, delta, transfer) in ops {
                let (unit, item) = (units[u], items[i]);
                let here = kept.get(&(unit, item)).copied().unwrap_or(0);
                if transfer && delta > 0 {
                    // Out of one unit and into the other, both or neither.
                    if let Ok(after) = apply(here, -delta) {
                        let other = units[1 - u];
                        kept.insert((unit, item), after);
                        *kept.entry((other, item)).or_insert(0) += delta;
                        ledger.push((unit, item, -delta));
                        ledger.push((other, item, delta));
                    }
                } else if let Ok(after) = apply(here, delta) {
                    kept.insert((unit, item), after);
                    ledger.push((unit, item, delta));
                }
                prop_assert!(kept.values().all(|b| *b >= 0));
            }
            let replayed = replay(ledger);
            let nonzero = |m: &BTreeMap<(UnitId, DonationItemId), i64>| m.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (*k, *v)).collect::<Vec<_>>();
            prop_assert_eq!(nonzero(&replayed), nonzero(&kept));
        }
    }
}
