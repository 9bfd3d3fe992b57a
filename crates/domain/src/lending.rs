//! Toy library (玩具圖書館/玩具图书馆): one catalogue shared by the agency's units, member
//! households with membership types, loans checked out and returned at any unit with a parts
//! and condition check, the repair and lost queue, reservations with a waiting list and transfer
//! to the family's nearest unit, reminders, and an append-only reward points ledger. The rules
//! are pure functions here; `store::lending` applies them inside its transactions.

use crate::clients::code_enum;
use crate::error::{FieldError, Result, Validator};
use crate::ids::{HouseholdId, LoanId, MemberId, OrgId, RepairId, ReservationId, ToyId, TransferId, UnitId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

code_enum!(
    /// Where a toy stands. Only an `available` toy (or one `on_hold` for the member who
    /// reserved it) can be checked out.
    ToyStatus {
        Available = "available", OnLoan = "on_loan", OnHold = "on_hold", InTransit = "in_transit", InRepair = "in_repair",
        Lost = "lost", Retired = "retired",
    }
);
code_enum!(
    /// The state a toy is in, checked at every return.
    Condition { New = "new", Good = "good", Fair = "fair", Worn = "worn", Damaged = "damaged" }
);
code_enum!(
    /// How a toy entered the catalogue; `donated` toys name the donation in `source_ref`.
    ToySource { Purchased = "purchased", Donated = "donated", Other = "other" }
);
code_enum!(
    /// Developmental areas a toy supports.
    DevArea {
        GrossMotor = "gross_motor", FineMotor = "fine_motor", Language = "language", Cognitive = "cognitive",
        SocialEmotional = "social_emotional", Sensory = "sensory", Creative = "creative",
    }
);
code_enum!(
    /// Why a toy is in the repair and lost queue.
    RepairKind { MissingParts = "missing_parts", Damaged = "damaged", Lost = "lost" }
);
code_enum!(
    /// How a repair item was closed: the toy back in the catalogue, or written off.
    RepairResolution { Repaired = "repaired", WrittenOff = "written_off" }
);
code_enum!(
    /// A reservation waits in line, travels to the pickup unit, waits there, then is collected.
    ReservationStatus { Waiting = "waiting", InTransit = "in_transit", Ready = "ready", Fulfilled = "fulfilled", Cancelled = "cancelled" }
);
code_enum!(
    /// Why points moved.
    PointsReason {
        OnTimeReturn = "on_time_return", Workshop = "workshop", Activity = "activity", Redemption = "redemption",
        Adjustment = "adjustment",
    }
);
code_enum!(
    /// Which reminder a loan gets.
    ReminderKind { DueSoon = "due_soon", Overdue = "overdue" }
);

/// Oldest age a toy is for, in months (18 years).
pub const MAX_AGE_MONTHS: i32 = 216;
/// Most parts a kit may have.
pub const MAX_PARTS: i32 = 999;
/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// A membership type of the agency: how many toys at once and for how long.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MembershipType {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    /// Toys a household may hold at once.
    pub max_items: i32,
    /// Days a loan lasts (and each renewal adds).
    pub loan_days: i32,
    pub max_renewals: i32,
    pub active: bool,
}

impl MembershipType {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// A reward families can redeem points for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reward {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    /// Points it costs.
    pub cost: i64,
    pub active: bool,
}

impl Reward {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// Points a household earns, per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PointsRules {
    /// A loan returned on or before its due date.
    pub on_time_return: i64,
    /// A member of the household attended a workshop session (e.g. a parent-child workshop).
    pub workshop: i64,
    /// A member attended a session of any other activity.
    pub activity: i64,
}

/// The agency's toy-library settings (the defaults until saved).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LendingSettings {
    pub membership_types: Vec<MembershipType>,
    pub rewards: Vec<Reward>,
    pub points: PointsRules,
    /// A loan is "due soon" this many days before its due date.
    pub due_soon_days: i32,
}

impl LendingSettings {
    pub fn membership(&self, code: &str) -> Option<&MembershipType> {
        self.membership_types.iter().find(|m| m.code == code)
    }

    pub fn reward(&self, code: &str) -> Option<&Reward> {
        self.rewards.iter().find(|r| r.code == code && r.active)
    }
}

pub fn default_settings() -> LendingSettings {
    let m = |code: &str, en: &str, hant: &str, hans: &str, max_items, loan_days, max_renewals| MembershipType {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        max_items,
        loan_days,
        max_renewals,
        active: true,
    };
    let r = |code: &str, en: &str, hant: &str, hans: &str, cost| Reward {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        cost,
        active: true,
    };
    LendingSettings {
        membership_types: vec![
            m("standard", "Standard", "標準會員", "标准会员", 3, 14, 1),
            m("family_plus", "Family plus", "家庭加強會員", "家庭加强会员", 5, 21, 2),
        ],
        rewards: vec![
            r("stationery", "Stationery set", "文具套裝", "文具套装", 30),
            r("book", "Picture book", "兒童圖書", "儿童图书", 60),
            r("outing", "Family outing place", "親子旅行名額", "亲子旅行名额", 150),
        ],
        points: PointsRules { on_time_return: 5, workshop: 10, activity: 3 },
        due_soon_days: 2,
    }
}

/// Checks settings: codes `a-z 0-9 _` and unique, names given, limits in range.
pub fn validate_settings(s: &LendingSettings) -> Result<LendingSettings> {
    let mut v = Validator::new();
    let mut seen = BTreeSet::new();
    let mut types = Vec::new();
    for (i, m) in s.membership_types.iter().enumerate() {
        let f = |n: &str| format!("membership_types[{i}].{n}");
        let code = v.list_code(&f("code"), &m.code, &mut seen);
        let name_en = v.text(&f("name_en"), &m.name_en, true, 100);
        let name_zh_hant = v.text(&f("name_zh_hant"), &m.name_zh_hant, true, 100);
        let name_zh_hans = v.text(&f("name_zh_hans"), &m.name_zh_hans, true, 100);
        for (n, x, lo, hi) in
            [("max_items", m.max_items, 1, 50), ("loan_days", m.loan_days, 1, 120), ("max_renewals", m.max_renewals, 0, 10)]
        {
            if !(lo..=hi).contains(&x) {
                v.push(FieldError::new(f(n), "out-of-range").with("min", lo).with("max", hi));
            }
        }
        types.push(MembershipType { code, name_en, name_zh_hant, name_zh_hans, active: m.active, ..m.clone() });
    }
    if !types.iter().any(|t| t.active) {
        v.push(FieldError::new("membership_types", "required"));
    }
    let mut seen = BTreeSet::new();
    let mut rewards = Vec::new();
    for (i, r) in s.rewards.iter().enumerate() {
        let f = |n: &str| format!("rewards[{i}].{n}");
        let code = v.list_code(&f("code"), &r.code, &mut seen);
        let name_en = v.text(&f("name_en"), &r.name_en, true, 100);
        let name_zh_hant = v.text(&f("name_zh_hant"), &r.name_zh_hant, true, 100);
        let name_zh_hans = v.text(&f("name_zh_hans"), &r.name_zh_hans, true, 100);
        if !(1..=100_000).contains(&r.cost) {
            v.push(FieldError::new(f("cost"), "out-of-range").with("min", 1).with("max", 100_000));
        }
        rewards.push(Reward { code, name_en, name_zh_hant, name_zh_hans, cost: r.cost, active: r.active });
    }
    for (n, x) in
        [("points.on_time_return", s.points.on_time_return), ("points.workshop", s.points.workshop), ("points.activity", s.points.activity)]
    {
        if !(0..=1000).contains(&x) {
            v.push(FieldError::new(n, "out-of-range").with("min", 0).with("max", 1000));
        }
    }
    if !(0..=14).contains(&s.due_soon_days) {
        v.push(FieldError::new("due_soon_days", "out-of-range").with("min", 0).with("max", 14));
    }
    v.finish()?;
    Ok(LendingSettings { membership_types: types, rewards, points: s.points, due_soon_days: s.due_soon_days })
}

/// A toy or kit of the catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Toy {
    pub id: ToyId,
    pub org_id: OrgId,
    /// What its label's QR code holds and a scanner types, e.g. `T000042`.
    pub code: String,
    pub name: String,
    pub description: String,
    /// The unit that owns it.
    pub home_unit_id: UnitId,
    /// Where it is now (or was checked out from).
    pub unit_id: UnitId,
    pub age_min_months: i32,
    pub age_max_months: i32,
    pub areas: Vec<DevArea>,
    /// Parts counted at every return.
    pub parts: i32,
    pub condition: Condition,
    pub status: ToyStatus,
    pub source: ToySource,
    /// For a donated toy: the donation it came from (e.g. `donation:<id>`).
    pub source_ref: String,
    pub has_photo: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl Toy {
    /// "2–5 years", "6–18 months": the age range in the shortest words.
    pub fn age_range(&self) -> (i32, i32) {
        (self.age_min_months, self.age_max_months)
    }
}

/// A toy as submitted by a form or the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToyInput {
    pub home_unit_id: Option<UnitId>,
    /// Blank: the next free code (`T000001`, …). Staff may give an existing label's code.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub age_min_months: i32,
    #[serde(default = "default_age_max")]
    pub age_max_months: i32,
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default = "one")]
    pub parts: i32,
    #[serde(default)]
    pub condition: String,
    /// `purchased` (default), `donated` or `other`.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub source_ref: String,
    /// The version loaded, when editing.
    #[serde(default)]
    pub version: i64,
}

fn default_age_max() -> i32 {
    72
}

fn one() -> i32 {
    1
}

#[derive(Clone, Debug, PartialEq)]
pub struct ToyFields {
    pub home_unit_id: UnitId,
    /// Upper-cased; empty: the store gives the next code.
    pub code: String,
    pub name: String,
    pub description: String,
    pub age_min_months: i32,
    pub age_max_months: i32,
    pub areas: Vec<DevArea>,
    pub parts: i32,
    pub condition: Condition,
    pub source: ToySource,
    pub source_ref: String,
}

/// Upper-cases a scanned or typed code and drops what a scanner adds around it.
pub fn normalise_code(raw: &str) -> String {
    raw.trim().to_uppercase()
}

impl ToyInput {
    pub fn validate(&self) -> Result<ToyFields> {
        let mut v = Validator::new();
        if self.home_unit_id.is_none() {
            v.push(FieldError::new("home_unit_id", "required"));
        }
        let code = normalise_code(&self.code);
        if code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            v.push(FieldError::new("code", "code-chars"));
        }
        let name = v.text("name", &self.name, true, 200);
        let description = v.text("description", &self.description, false, 2000);
        if !(0..=MAX_AGE_MONTHS).contains(&self.age_min_months) {
            v.push(FieldError::new("age_min_months", "out-of-range").with("min", 0).with("max", MAX_AGE_MONTHS));
        }
        if !(0..=MAX_AGE_MONTHS).contains(&self.age_max_months) {
            v.push(FieldError::new("age_max_months", "out-of-range").with("min", 0).with("max", MAX_AGE_MONTHS));
        } else if self.age_max_months < self.age_min_months {
            v.push(FieldError::new("age_max_months", "age-order"));
        }
        let mut areas = Vec::new();
        for a in &self.areas {
            match DevArea::parse(a.trim()) {
                Some(x) if !areas.contains(&x) => areas.push(x),
                Some(_) => {}
                None => v.push(FieldError::new("areas", "invalid-choice").with("code", a)),
            }
        }
        if !(1..=MAX_PARTS).contains(&self.parts) {
            v.push(FieldError::new("parts", "out-of-range").with("min", 1).with("max", MAX_PARTS));
        }
        let condition = if self.condition.trim().is_empty() {
            Some(Condition::Good)
        } else {
            pick(&mut v, "condition", &self.condition, Condition::parse)
        };
        let source =
            if self.source.trim().is_empty() { Some(ToySource::Purchased) } else { pick(&mut v, "source", &self.source, ToySource::parse) };
        let source_ref = v.text("source_ref", &self.source_ref, false, 200);
        v.finish()?;
        let (Some(home_unit_id), Some(condition), Some(source)) = (self.home_unit_id, condition, source) else {
            return Err(DomainError::invalid("toy", "required"));
        };
        Ok(ToyFields {
            home_unit_id,
            code,
            name,
            description,
            age_min_months: self.age_min_months,
            age_max_months: self.age_max_months,
            areas,
            parts: self.parts,
            condition,
            source,
            source_ref,
        })
    }
}

fn pick<T>(v: &mut Validator, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let r = parse(raw.trim());
    if r.is_none() {
        v.push(FieldError::new(field, if raw.trim().is_empty() { "required" } else { "invalid-choice" }));
    }
    r
}

/// The kinds of picture a photo may be. Nothing else is stored, so nothing served can run script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoType {
    Jpeg,
    Png,
    Webp,
}

impl PhotoType {
    pub fn content_type(self) -> &'static str {
        match self {
            PhotoType::Jpeg => "image/jpeg",
            PhotoType::Png => "image/png",
            PhotoType::Webp => "image/webp",
        }
    }

    pub fn from_content_type(s: &str) -> Option<Self> {
        [PhotoType::Jpeg, PhotoType::Png, PhotoType::Webp].into_iter().find(|t| t.content_type() == s)
    }
}

/// Checks a photo by its bytes (never by the name or type the sender claims): JPEG, PNG or
/// WebP, and at most [`MAX_PHOTO_BYTES`].
pub fn check_photo(bytes: &[u8]) -> Result<PhotoType> {
    if bytes.is_empty() {
        return Err(DomainError::invalid("photo", "required"));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(DomainError::Invalid(vec![FieldError::new("photo", "photo-too-large").with("max", MAX_PHOTO_BYTES / 1024 / 1024)]));
    }
    let t = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        PhotoType::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        PhotoType::Png
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        PhotoType::Webp
    } else {
        return Err(DomainError::invalid("photo", "photo-type"));
    };
    Ok(t)
}

/// A member household of the toy library.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Member {
    pub id: MemberId,
    pub org_id: OrgId,
    pub household_id: HouseholdId,
    /// The household's name as registered.
    pub household_name: String,
    /// The unit where the household joined.
    pub unit_id: UnitId,
    /// Printed on the member card (barcode), typed or scanned at the counter, e.g. `M000007`.
    pub member_no: String,
    pub membership: String,
    pub joined_on: NaiveDate,
    pub active: bool,
    /// The sum of the points ledger.
    pub points: i64,
    /// Whether a family card (with its private link) has been issued.
    pub has_card: bool,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    pub household_id: Option<HouseholdId>,
    /// The unit where the household joins.
    pub unit_id: Option<UnitId>,
    /// A membership type code; the first active type when blank.
    #[serde(default)]
    pub membership: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MemberFields {
    pub household_id: HouseholdId,
    pub unit_id: UnitId,
    pub membership: String,
}

impl JoinInput {
    pub fn validate(&self, settings: &LendingSettings) -> Result<MemberFields> {
        let mut v = Validator::new();
        if self.household_id.is_none() {
            v.push(FieldError::new("household_id", "required"));
        }
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let code = self.membership.trim();
        let membership = if code.is_empty() {
            settings.membership_types.iter().find(|m| m.active).map(|m| m.code.clone())
        } else {
            settings.membership_types.iter().find(|m| m.code == code && m.active).map(|m| m.code.clone())
        };
        if membership.is_none() {
            v.push(FieldError::new("membership", "invalid-choice"));
        }
        v.finish()?;
        let (Some(household_id), Some(unit_id), Some(membership)) = (self.household_id, self.unit_id, membership) else {
            return Err(DomainError::invalid("member", "required"));
        };
        Ok(MemberFields { household_id, unit_id, membership })
    }
}

/// A loan of one toy to one member household.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Loan {
    pub id: LoanId,
    pub toy_id: ToyId,
    pub toy_code: String,
    pub toy_name: String,
    pub member_id: MemberId,
    pub member_no: String,
    pub household_name: String,
    /// Where it was checked out.
    pub unit_id: UnitId,
    pub out_on: NaiveDate,
    pub due_on: NaiveDate,
    pub renewals: i32,
    pub parts_out: i32,
    pub returned_on: Option<NaiveDate>,
    pub return_unit_id: Option<UnitId>,
    pub parts_returned: Option<i32>,
    pub condition_in: Option<Condition>,
    pub version: i64,
}

impl Loan {
    pub fn open(&self) -> bool {
        self.returned_on.is_none()
    }

    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.open() && today > self.due_on
    }

    pub fn due_soon(&self, today: NaiveDate, days: i32) -> bool {
        self.open() && today <= self.due_on && self.due_on - today <= Duration::days(i64::from(days))
    }
}

/// Why a check-out is refused, as the field error the counter shows.
fn refuse(field: &str, code: &'static str) -> DomainError {
    DomainError::invalid(field, code)
}

/// What the counter knows when a toy is scanned for a member.
pub struct CheckOut<'a> {
    pub member: &'a Member,
    pub membership: &'a MembershipType,
    /// Toys the household holds now.
    pub open_loans: usize,
    pub toy: &'a Toy,
    /// The member a toy on hold waits for.
    pub held_for: Option<MemberId>,
    pub today: NaiveDate,
}

/// Decides a check-out: the due date, or the reason it is refused. A toy is in one place at a
/// time: only an available toy, or one on hold for this very member, goes out.
pub fn check_out(c: &CheckOut<'_>) -> Result<NaiveDate> {
    if !c.member.active {
        return Err(refuse("member", "member-inactive"));
    }
    match c.toy.status {
        ToyStatus::Available => {}
        ToyStatus::OnHold if c.held_for == Some(c.member.id) => {}
        ToyStatus::OnHold => return Err(refuse("toy", "toy-held-for-another")),
        ToyStatus::OnLoan => return Err(refuse("toy", "toy-on-loan")),
        _ => {
            return Err(DomainError::Invalid(vec![FieldError::new("toy", "toy-not-available").with("status", c.toy.status.as_str())]));
        }
    }
    if c.open_loans >= c.membership.max_items as usize {
        return Err(DomainError::Invalid(vec![FieldError::new("member", "loan-limit").with("max", c.membership.max_items)]));
    }
    Ok(c.today + Duration::days(i64::from(c.membership.loan_days)))
}

/// Decides a renewal: the new due date. No renewal past the type's limit, or while another
/// family waits for the toy.
pub fn renew(loan: &Loan, membership: &MembershipType, someone_waiting: bool, today: NaiveDate) -> Result<NaiveDate> {
    if !loan.open() {
        return Err(DomainError::Stale);
    }
    if someone_waiting {
        return Err(refuse("loan", "renewal-reserved"));
    }
    if loan.renewals >= membership.max_renewals {
        return Err(DomainError::Invalid(vec![FieldError::new("loan", "renewal-limit").with("max", membership.max_renewals)]));
    }
    Ok(today.max(loan.due_on) + Duration::days(i64::from(membership.loan_days)))
}

/// What a return's parts and condition check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnCheck {
    pub missing_parts: i32,
    /// The queue item the return opens: missing parts first, else damage.
    pub repair: Option<RepairKind>,
    pub on_time: bool,
}

/// Checks a return: parts counted against the catalogue, the condition seen, and whether it
/// came back on time. Missing parts and damage always open a repair item.
pub fn check_return(
    parts_expected: i32,
    parts_returned: i32,
    condition: Condition,
    due_on: NaiveDate,
    today: NaiveDate,
) -> Result<ReturnCheck> {
    if !(0..=parts_expected).contains(&parts_returned) {
        return Err(DomainError::Invalid(vec![FieldError::new("parts_returned", "out-of-range")
            .with("min", 0)
            .with("max", parts_expected)]));
    }
    let missing_parts = parts_expected - parts_returned;
    let repair = if missing_parts > 0 {
        Some(RepairKind::MissingParts)
    } else if condition == Condition::Damaged {
        Some(RepairKind::Damaged)
    } else {
        None
    };
    Ok(ReturnCheck { missing_parts, repair, on_time: today <= due_on })
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// The unit where it is handed back.
    pub unit_id: Option<UnitId>,
    /// Parts counted back.
    pub parts_returned: i32,
    pub condition: String,
    #[serde(default)]
    pub note: String,
}

/// A validated return, as the store applies it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReturnFields {
    /// Where it is handed back.
    pub unit_id: UnitId,
    pub parts_returned: i32,
    pub condition: Condition,
    pub note: String,
}

/// A toy in the repair and lost queue: it stays until someone resolves it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Repair {
    pub id: RepairId,
    pub toy_id: ToyId,
    pub toy_code: String,
    pub toy_name: String,
    pub unit_id: UnitId,
    pub loan_id: Option<LoanId>,
    pub kind: RepairKind,
    pub parts_missing: i32,
    pub note: String,
    pub opened_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
    pub resolution: Option<RepairResolution>,
    pub resolved_by: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `repaired` (the toy goes back into the catalogue) or `written_off` (retired).
    pub resolution: String,
    /// Parts the toy has from now on (after a repair, when a part could not be replaced).
    #[serde(default)]
    pub parts: Option<i32>,
    #[serde(default)]
    pub note: String,
}

impl ResolveInput {
    pub fn validate(&self) -> Result<(RepairResolution, Option<i32>, String)> {
        let mut v = Validator::new();
        let r = pick(&mut v, "resolution", &self.resolution, RepairResolution::parse);
        if let Some(p) = self.parts {
            if !(1..=MAX_PARTS).contains(&p) {
                v.push(FieldError::new("parts", "out-of-range").with("min", 1).with("max", MAX_PARTS));
            }
        }
        let note = v.text("note", &self.note, false, 2000);
        v.finish()?;
        r.map(|r| (r, self.parts, note)).ok_or_else(|| DomainError::invalid("resolution", "required"))
    }
}

/// A place in a toy's waiting list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reservation {
    pub id: ReservationId,
    pub toy_id: ToyId,
    pub toy_code: String,
    pub toy_name: String,
    pub member_id: MemberId,
    pub member_no: String,
    pub household_name: String,
    /// Where the family collects it: their nearest unit.
    pub pickup_unit_id: UnitId,
    pub status: ReservationStatus,
    pub created_at: DateTime<Utc>,
}

impl Reservation {
    pub fn live(&self) -> bool {
        matches!(self.status, ReservationStatus::Waiting | ReservationStatus::InTransit | ReservationStatus::Ready)
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationInput {
    pub toy_id: Option<ToyId>,
    pub member_id: Option<MemberId>,
    /// Where to collect it; the family's nearest unit (by coordinates) when blank.
    #[serde(default)]
    pub pickup_unit_id: Option<UnitId>,
}

/// A toy on its way to the unit where a family will collect it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Transfer {
    pub id: TransferId,
    pub toy_id: ToyId,
    pub toy_code: String,
    pub toy_name: String,
    pub from_unit_id: UnitId,
    pub to_unit_id: UnitId,
    pub reservation_id: ReservationId,
    pub sent_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
}

/// What happens to a toy that comes back (or is free) when families wait for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// No one waits: back on the shelf where it is.
    Shelf,
    /// The first family collects it here.
    Hold(ReservationId),
    /// The first family collects it at another unit: it travels there.
    Send(ReservationId, UnitId),
}

/// The first family in line decides where a free toy goes next.
pub fn next_step(at: UnitId, waiting: &[Reservation]) -> NextStep {
    match waiting.iter().filter(|r| r.status == ReservationStatus::Waiting).min_by_key(|r| r.created_at) {
        None => NextStep::Shelf,
        Some(r) if r.pickup_unit_id == at => NextStep::Hold(r.id),
        Some(r) => NextStep::Send(r.id, r.pickup_unit_id),
    }
}

/// Great-circle distance in kilometres (one formula for the whole product).
pub use crate::coverage::distance_km;

/// The unit nearest to a family's home among `units` (id, latitude, longitude).
pub fn nearest_unit(home: (f64, f64), units: &[(UnitId, f64, f64)]) -> Option<UnitId> {
    units.iter().map(|(u, la, lo)| (*u, distance_km(home, (*la, *lo)))).min_by(|a, b| a.1.total_cmp(&b.1)).map(|(u, _)| u)
}

/// One entry of a household's points ledger. Entries are never changed or removed: a
/// correction is another entry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointsEntry {
    pub member_id: MemberId,
    /// Positive when earned, negative when redeemed.
    pub delta: i64,
    pub reason: PointsReason,
    /// What earned it (`loan:<id>`, `attendance:<session>:<person>`), or the reward redeemed.
    pub source: String,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
}

/// A balance is the sum of its ledger.
pub fn balance(entries: &[PointsEntry]) -> i64 {
    entries.iter().map(|e| e.delta).sum()
}

/// Redeeming never takes a balance below zero.
pub fn check_redeem(balance: i64, cost: i64) -> Result<()> {
    if cost > balance {
        return Err(DomainError::Invalid(vec![FieldError::new("reward", "points-short").with("balance", balance).with("cost", cost)]));
    }
    Ok(())
}

/// Points for one attended session, by the activity's kind.
pub fn attendance_points(rules: &PointsRules, kind: &str) -> (PointsReason, i64) {
    if kind == "workshop" {
        (PointsReason::Workshop, rules.workshop)
    } else {
        (PointsReason::Activity, rules.activity)
    }
}

/// A reminder as sent (or written to the log) and recorded.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReminderRecord {
    pub loan_id: LoanId,
    pub kind: ReminderKind,
    /// `log`, `sms`, `email`: the sender that took it.
    pub channel: String,
    /// Masked number or address: the full one stays with the household record.
    pub recipient: String,
    pub message: String,
    /// What the sender said: `logged`, `sent`, or `failed: …`.
    pub status: String,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    /// The person it went to (kept so a merge or retention can follow the record).
    #[serde(skip)]
    pub client_id: Option<crate::ids::ClientId>,
}

/// The text of a reminder, in the family's language.
pub fn reminder_text(l: Locale, kind: ReminderKind, toy: &str, due_on: NaiveDate, unit: &str) -> String {
    let due = due_on.format("%Y-%m-%d");
    match (l, kind) {
        (Locale::ZhHantHk, ReminderKind::DueSoon) => format!("玩具圖書館提提你：「{toy}」將於 {due} 到期，請交回{unit}或申請續借。"),
        (Locale::ZhHantHk, ReminderKind::Overdue) => format!("玩具圖書館提提你：「{toy}」已於 {due} 到期，請盡快交回{unit}。"),
        (Locale::ZhHansCn, ReminderKind::DueSoon) => format!("玩具图书馆提醒您：「{toy}」将于 {due} 到期，请交回{unit}或申请续借。"),
        (Locale::ZhHansCn, ReminderKind::Overdue) => format!("玩具图书馆提醒您：「{toy}」已于 {due} 到期，请尽快交回{unit}。"),
        (Locale::En, ReminderKind::DueSoon) => {
            format!("Toy library: \"{toy}\" is due on {due}. Please return it to {unit} or ask to renew.")
        }
        (Locale::En, ReminderKind::Overdue) => format!("Toy library: \"{toy}\" was due on {due}. Please return it to {unit} soon."),
    }
}

/// Hides all but the last four characters of a number or address.
pub fn mask_recipient(s: &str) -> String {
    let n = s.chars().count();
    s.chars().enumerate().map(|(i, c)| if i + 4 < n { '*' } else { c }).collect()
}

/// One loan, as the reports need it.
#[derive(Clone, Debug)]
pub struct LoanFact {
    pub unit_id: UnitId,
    pub toy_id: ToyId,
    pub toy_name: String,
    pub household_id: HouseholdId,
    pub out_on: NaiveDate,
    pub due_on: NaiveDate,
    pub returned_on: Option<NaiveDate>,
}

/// One points entry, as the reports need it.
#[derive(Clone, Debug)]
pub struct PointsFact {
    pub unit_id: UnitId,
    pub day: NaiveDate,
    pub delta: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct UnitMonthLoans {
    pub unit_id: UnitId,
    /// `YYYY-MM`.
    pub month: String,
    pub loans: u64,
    /// Households that borrowed in this unit and month (unique within the row).
    pub households: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ToyLoans {
    pub toy_id: ToyId,
    pub name: String,
    pub loans: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct LendingReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Loans checked out in the period.
    pub loans: u64,
    pub by_unit_month: Vec<UnitMonthLoans>,
    /// Households that borrowed at least once in the period, over the union of every unit and
    /// month (never the sum of the rows).
    pub active_households: u64,
    /// The ten toys lent most often in the period.
    pub most_borrowed: Vec<ToyLoans>,
    /// Loans whose due date fell in the period and has passed.
    pub loans_due: u64,
    /// Of those, returned after the due date or still out.
    pub loans_late: u64,
    /// `loans_late / loans_due`, 0 when nothing was due.
    pub overdue_rate: f64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    /// The counting rules, for whoever checks the figures.
    pub rules: String,
}

pub const COUNTING_RULES: &str = "loans = check-outs in the period by the unit that lent; active households = distinct households \
with a check-out in the period (over the union, not summed); overdue rate = loans due in the period (due date passed) returned \
late or still out, over those due; points issued = earned entries, redeemed = redemptions, by the day recorded.";

/// The toy-library figures of a period (both ends included) on `today`.
pub fn count_lending(loans: &[LoanFact], points: &[PointsFact], from: NaiveDate, to: NaiveDate, today: NaiveDate) -> LendingReport {
    let mut rows: BTreeMap<(UnitId, String), (u64, BTreeSet<HouseholdId>)> = BTreeMap::new();
    let mut households = BTreeSet::new();
    let mut toys: BTreeMap<ToyId, (String, u64)> = BTreeMap::new();
    let mut lent = 0;
    for l in loans.iter().filter(|l| (from..=to).contains(&l.out_on)) {
        lent += 1;
        let month = format!("{:04}-{:02}", l.out_on.year(), l.out_on.month());
        let e = rows.entry((l.unit_id, month)).or_default();
        e.0 += 1;
        e.1.insert(l.household_id);
        households.insert(l.household_id);
        toys.entry(l.toy_id).or_insert_with(|| (l.toy_name.clone(), 0)).1 += 1;
    }
    let (mut due, mut late) = (0, 0);
    for l in loans.iter().filter(|l| (from..=to).contains(&l.due_on) && l.due_on < today) {
        due += 1;
        if l.returned_on.is_none_or(|r| r > l.due_on) {
            late += 1;
        }
    }
    let mut most: Vec<ToyLoans> = toys.into_iter().map(|(toy_id, (name, loans))| ToyLoans { toy_id, name, loans }).collect();
    most.sort_by(|a, b| b.loans.cmp(&a.loans).then_with(|| a.name.cmp(&b.name)));
    most.truncate(10);
    let in_period = || points.iter().filter(|p| (from..=to).contains(&p.day));
    LendingReport {
        from,
        to,
        loans: lent,
        by_unit_month: rows
            .into_iter()
            .map(|((unit_id, month), (loans, h))| UnitMonthLoans { unit_id, month, loans, households: h.len() as u64 })
            .collect(),
        active_households: households.len() as u64,
        most_borrowed: most,
        loans_due: due,
        loans_late: late,
        overdue_rate: if due == 0 { 0.0 } else { ((late as f64 / due as f64) * 10_000.0).round() / 10_000.0 },
        points_issued: in_period().filter(|p| p.delta > 0).map(|p| p.delta).sum(),
        points_redeemed: -in_period().filter(|p| p.delta < 0).map(|p| p.delta).sum::<i64>(),
        rules: COUNTING_RULES.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn member() -> Member {
        Member {
            id: MemberId::new(),
            org_id: OrgId::new(),
            household_id: HouseholdId::new(),
            household_name: "陳家".into(),
            unit_id: UnitId::new(),
            member_no: "M000001".into(),
            membership: "standard".into(),
            joined_on: day("2026-01-01"),
            active: true,
            points: 0,
            has_card: false,
            version: 1,
        }
    }

    fn toy(status: ToyStatus) -> Toy {
        Toy {
            id: ToyId::new(),
            org_id: OrgId::new(),
            code: "T000001".into(),
            name: "Shape sorter".into(),
            description: String::new(),
            home_unit_id: UnitId::new(),
            unit_id: UnitId::new(),
            age_min_months: 12,
            age_max_months: 36,
            areas: vec![DevArea::FineMotor],
            parts: 12,
            condition: Condition::Good,
            status,
            source: ToySource::Purchased,
            source_ref: String::new(),
            has_photo: false,
            version: 1,
            created_at: Utc::now(),
        }
    }

    fn codes(r: Result<impl std::fmt::Debug>) -> Vec<(String, &'static str)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => vec![("ok".into(), if other.is_ok() { "ok" } else { "other" })],
        }
    }

    #[test]
    fn only_a_free_toy_goes_out_and_the_limit_holds() {
        let settings = default_settings();
        let standard = &settings.membership_types[0];
        let m = member();
        let today = day("2026-03-02");
        let t = toy(ToyStatus::Available);
        let c = CheckOut { member: &m, membership: standard, open_loans: 0, toy: &t, held_for: None, today };
        assert_eq!(check_out(&c).ok(), Some(day("2026-03-16")));
        assert_eq!(codes(check_out(&CheckOut { open_loans: 3, ..c })), [("member".into(), "loan-limit")]);
        let out = toy(ToyStatus::OnLoan);
        assert_eq!(codes(check_out(&CheckOut { toy: &out, ..c })), [("toy".into(), "toy-on-loan")]);
        let held = toy(ToyStatus::OnHold);
        assert_eq!(
            codes(check_out(&CheckOut { toy: &held, held_for: Some(MemberId::new()), ..c })),
            [("toy".into(), "toy-held-for-another")]
        );
        assert!(check_out(&CheckOut { toy: &held, held_for: Some(m.id), ..c }).is_ok());
        let broken = toy(ToyStatus::InRepair);
        assert_eq!(codes(check_out(&CheckOut { toy: &broken, ..c })), [("toy".into(), "toy-not-available")]);
    }

    #[test]
    fn renewals_stop_at_the_limit_and_when_someone_waits() {
        let settings = default_settings();
        let standard = &settings.membership_types[0];
        let today = day("2026-03-10");
        let mut loan = Loan {
            id: LoanId::new(),
            toy_id: ToyId::new(),
            toy_code: "T1".into(),
            toy_name: "x".into(),
            member_id: MemberId::new(),
            member_no: "M1".into(),
            household_name: "h".into(),
            unit_id: UnitId::new(),
            out_on: day("2026-03-01"),
            due_on: day("2026-03-15"),
            renewals: 0,
            parts_out: 1,
            returned_on: None,
            return_unit_id: None,
            parts_returned: None,
            condition_in: None,
            version: 1,
        };
        assert_eq!(renew(&loan, standard, false, today).ok(), Some(day("2026-03-29")));
        assert_eq!(codes(renew(&loan, standard, true, today)), [("loan".into(), "renewal-reserved")]);
        loan.renewals = 1;
        assert_eq!(codes(renew(&loan, standard, false, today)), [("loan".into(), "renewal-limit")]);
        assert!(loan.due_soon(day("2026-03-13"), 2));
        assert!(!loan.due_soon(day("2026-03-12"), 2));
        assert!(loan.overdue(day("2026-03-16")));
    }

    #[test]
    fn missing_parts_go_to_the_repair_queue() {
        let due = day("2026-03-16");
        let c = check_return(12, 11, Condition::Good, due, day("2026-03-16")).ok();
        assert_eq!(c, Some(ReturnCheck { missing_parts: 1, repair: Some(RepairKind::MissingParts), on_time: true }));
        let c = check_return(12, 12, Condition::Damaged, due, day("2026-03-17")).ok();
        assert_eq!(c, Some(ReturnCheck { missing_parts: 0, repair: Some(RepairKind::Damaged), on_time: false }));
        assert_eq!(check_return(12, 12, Condition::Worn, due, due).ok().and_then(|c| c.repair), None);
        assert_eq!(codes(check_return(12, 13, Condition::Good, due, due)), [("parts_returned".into(), "out-of-range")]);
    }

    #[test]
    fn the_first_family_in_line_decides_where_the_toy_goes() {
        let (here, there) = (UnitId::new(), UnitId::new());
        let r = |pickup, secs| Reservation {
            id: ReservationId::new(),
            toy_id: ToyId::new(),
            toy_code: String::new(),
            toy_name: String::new(),
            member_id: MemberId::new(),
            member_no: String::new(),
            household_name: String::new(),
            pickup_unit_id: pickup,
            status: ReservationStatus::Waiting,
            created_at: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
        };
        assert_eq!(next_step(here, &[]), NextStep::Shelf);
        let (first, second) = (r(there, 10), r(here, 20));
        assert_eq!(next_step(here, &[second.clone(), first.clone()]), NextStep::Send(first.id, there));
        assert_eq!(next_step(there, &[second.clone(), first.clone()]), NextStep::Hold(first.id));
    }

    #[test]
    fn the_nearest_unit_is_found_by_coordinates() {
        let (wan_chai, tko, ssp) = (UnitId::new(), UnitId::new(), UnitId::new());
        let units = [(wan_chai, 22.2776, 114.1747), (tko, 22.3074, 114.2600), (ssp, 22.3307, 114.1622)];
        // A flat in Hang Hau is nearest to Tseung Kwan O.
        assert_eq!(nearest_unit((22.3155, 114.2644), &units), Some(tko));
        assert_eq!(nearest_unit((22.3300, 114.1600), &units), Some(ssp));
        assert_eq!(nearest_unit((22.3, 114.2), &[]), None);
        assert!((distance_km((22.2776, 114.1747), (22.3074, 114.2600)) - 9.34).abs() < 0.1);
    }

    #[test]
    fn photos_are_checked_by_their_bytes() {
        assert_eq!(check_photo(b"\xFF\xD8\xFF\xE0rest").ok(), Some(PhotoType::Jpeg));
        assert_eq!(check_photo(b"\x89PNG\r\n\x1a\nrest").ok(), Some(PhotoType::Png));
        assert_eq!(check_photo(b"RIFF\0\0\0\0WEBPVP8 ").ok(), Some(PhotoType::Webp));
        assert_eq!(codes(check_photo(b"<svg onload=alert(1)>")), [("photo".into(), "photo-type")]);
        assert_eq!(codes(check_photo(b"<html>")), [("photo".into(), "photo-type")]);
        let big = vec![0xFFu8; MAX_PHOTO_BYTES + 1];
        assert_eq!(codes(check_photo(&big)), [("photo".into(), "photo-too-large")]);
    }

    #[test]
    fn toy_input_reports_every_bad_field() {
        let i = ToyInput {
            code: "has space".into(),
            age_min_months: 40,
            age_max_months: 12,
            areas: vec!["flying".into()],
            parts: 0,
            condition: "shiny".into(),
            ..Default::default()
        };
        let fields: Vec<String> = codes(i.validate()).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["home_unit_id", "code", "name", "age_max_months", "areas", "parts", "condition"]);
        let ok = ToyInput {
            home_unit_id: Some(UnitId::new()),
            name: "積木".into(),
            code: " t-01 ".into(),
            parts: 1,
            age_max_months: 72,
            ..Default::default()
        };
        let f = ok.validate().ok();
        assert_eq!(f.map(|f| (f.code, f.parts, f.condition, f.source)), Some(("T-01".into(), 1, Condition::Good, ToySource::Purchased)));
    }

    #[test]
    fn settings_are_checked() {
        assert!(validate_settings(&default_settings()).is_ok());
        let mut s = default_settings();
        s.membership_types[1].code = "standard".into();
        s.rewards[0].cost = 0;
        s.points.workshop = -1;
        let fields: Vec<String> = codes(validate_settings(&s)).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["membership_types[1].code", "rewards[0].cost", "points.workshop"]);
    }

    #[test]
    fn reports_count_households_over_the_union() {
        let (a, b) = (UnitId::new(), UnitId::new());
        let (h1, h2) = (HouseholdId::new(), HouseholdId::new());
        let (t1, t2) = (ToyId::new(), ToyId::new());
        let f = |unit, toy, h, out: &str, due: &str, back: Option<&str>| LoanFact {
            unit_id: unit,
            toy_id: toy,
            toy_name: if toy == t1 { "Blocks".into() } else { "Puzzle".into() },
            household_id: h,
            out_on: day(out),
            due_on: day(due),
            returned_on: back.map(day),
        };
        let loans = [
            f(a, t1, h1, "2026-03-01", "2026-03-15", Some("2026-03-14")),
            f(b, t1, h1, "2026-03-20", "2026-04-03", None),
            f(a, t2, h2, "2026-04-02", "2026-04-16", Some("2026-04-20")),
            f(a, t2, h2, "2026-02-01", "2026-02-15", Some("2026-02-10")),
        ];
        let points =
            [PointsFact { unit_id: a, day: day("2026-03-14"), delta: 5 }, PointsFact { unit_id: a, day: day("2026-03-30"), delta: -30 }];
        let r = count_lending(&loans, &points, day("2026-03-01"), day("2026-04-30"), day("2026-05-01"));
        assert_eq!(r.loans, 3);
        assert_eq!(r.active_households, 2, "h1 borrowed in two units: once over the union");
        assert_eq!(r.by_unit_month.iter().map(|x| x.households).sum::<u64>(), 3);
        assert_eq!((r.loans_due, r.loans_late), (3, 2));
        assert_eq!(r.overdue_rate, 0.6667);
        assert_eq!(r.most_borrowed[0].name, "Blocks");
        assert_eq!((r.points_issued, r.points_redeemed), (5, 30));
    }

    #[test]
    fn reminders_read_in_the_familys_language_and_hide_the_number() {
        let t = reminder_text(Locale::ZhHantHk, ReminderKind::Overdue, "形狀配對盒", day("2026-03-16"), "將軍澳玩具圖書館");
        assert!(t.contains("2026-03-16") && t.contains("形狀配對盒"));
        assert_eq!(mask_recipient("91234567"), "****4567");
    }

    proptest! {
        /// Replaying any sequence of earnings and redemptions, refusing those the balance cannot
        /// cover, never goes below zero, and the balance is always the ledger's sum.
        #[test]
        fn the_ledger_never_goes_below_zero(ops in proptest::collection::vec(-50i64..50, 0..200)) {
            let m = MemberId::new();
            let mut ledger: Vec<PointsEntry> = Vec::new();
            let mut shown = 0i64;
            for d in ops {
                let ok = if d < 0 { check_redeem(balance(&ledger), -d).is_ok() } else { true };
                if ok && d != 0 {
                    ledger.push(PointsEntry { member_id: m, delta: d, reason: PointsReason::Adjustment, source: String::new(), day: day("2026-03-02"), at: Utc::now() });
                    shown += d;
                }
                prop_assert!(balance(&ledger) >= 0);
                prop_assert_eq!(balance(&ledger), shown);
            }
        }
    }
}
