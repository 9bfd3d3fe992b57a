//! Toy library service: what the pages and the API share. The catalogue is the network's: any
//! toy-library staff member sees every toy, and a member household can borrow and return at any
//! unit's counter (staff of that counter, `LendToys` there). Lists of members, loans, reminders
//! and the repair queue are of the caller's units; a family reaches its own page only through
//! the private link on its member card.

use crate::clients::{today, units_for};
use crate::ctx::{hash_token, random_token, Ctx};
use crate::error::AppResult;
use crate::AppState;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Actor, Permission, Scope};
use shegong_domain::clients::{Client, PreferredLanguage};
use shegong_domain::ids::{HouseholdId, LoanId, MemberId, OrgId, RepairId, ReservationId, ToyId, TransferId, UnitId};
use shegong_domain::lending::{
    check_photo, count_lending, mask_recipient, nearest_unit, normalise_code, reminder_text, validate_settings, Condition, JoinInput,
    LendingReport, LendingSettings, Loan, Member, PointsEntry, ReminderKind, ReminderRecord, Repair, Reservation, ReservationInput,
    ResolveInput, ReturnFields, ReturnInput, Toy, ToyInput, ToySource, ToyStatus, Transfer,
};
use shegong_domain::locale::Locale;
use shegong_domain::ports::{LoanQuery, Notifier, Outgoing, ReturnOutcome, ToyQuery};
use shegong_domain::{DomainError, FieldError};

/// How many rows a list shows.
pub const LIST_LIMIT: u64 = 500;

/// The default sender: writes that a reminder is due to the log (never the number or the
/// text), so nothing leaves the server until an operator plugs in a real channel.
pub struct LogNotifier;

#[async_trait::async_trait]
impl Notifier for LogNotifier {
    fn channel(&self) -> &'static str {
        "log"
    }

    async fn send(&self, m: &Outgoing) -> shegong_domain::Result<String> {
        tracing::info!(chars = m.body.chars().count(), "toy-library reminder written to the log only (no sender configured)");
        Ok("logged".into())
    }
}

/// Units where the caller holds `perm` (None: every unit).
pub fn units(ctx: &Ctx, perm: Permission) -> Option<Vec<UnitId>> {
    units_for(ctx, perm)
}

/// Narrows the caller's units to one they asked for (refused when not theirs).
fn scope(ctx: &Ctx, perm: Permission, unit: Option<UnitId>) -> AppResult<Option<Vec<UnitId>>> {
    ctx.require(perm, Scope::AnyUnit)?;
    match unit {
        Some(u) => {
            ctx.require(perm, Scope::Unit(u))?;
            Ok(Some(vec![u]))
        }
        None => Ok(units(ctx, perm)),
    }
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> AppResult<LendingSettings> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    Ok(state.store.lending_settings(ctx.user.org_id).await?)
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, s: &LendingSettings) -> AppResult<LendingSettings> {
    ctx.require(Permission::ManageLending, Scope::Agency)?;
    let s = validate_settings(s)?;
    state.store.save_lending_settings(&ctx.actor(), &s).await?;
    Ok(state.store.lending_settings(ctx.user.org_id).await?)
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct ToyParams {
    /// Part of the name or the code.
    pub q: String,
    /// Only toys now at this unit.
    pub unit_id: Option<UnitId>,
    /// `available`, `on_loan`, … (all when blank).
    pub status: String,
}

/// The network's catalogue (toys hold no personal data, so every toy-library staff member sees
/// all of it).
pub async fn toys(state: &AppState, ctx: &Ctx, p: &ToyParams) -> AppResult<Vec<Toy>> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    let status = if p.status.is_empty() {
        None
    } else {
        Some(ToyStatus::parse(&p.status).ok_or_else(|| DomainError::invalid("status", "invalid-choice"))?)
    };
    let units = p.unit_id.map(|u| vec![u]);
    let q = ToyQuery { units: units.as_deref(), text: Some(p.q.as_str()), status, limit: LIST_LIMIT };
    Ok(state.store.list_toys(ctx.user.org_id, &q).await?)
}

async fn known_unit(state: &AppState, ctx: &Ctx, unit: UnitId, field: &str) -> AppResult<()> {
    match state.store.get_unit(ctx.user.org_id, unit).await {
        Ok(_) => Ok(()),
        Err(DomainError::NotFound) => Err(DomainError::invalid(field, "unknown-unit").into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_toy(state: &AppState, ctx: &Ctx, input: &ToyInput) -> AppResult<Toy> {
    ctx.require(Permission::ManageLending, Scope::AnyUnit)?;
    let f = input.validate()?;
    ctx.require(Permission::ManageLending, Scope::Unit(f.home_unit_id))?;
    known_unit(state, ctx, f.home_unit_id, "home_unit_id").await?;
    Ok(state.store.create_toy(&ctx.actor(), &f).await?)
}

/// A toy given to the agency enters the catalogue here. The donations ledger calls this with
/// the donation's reference (e.g. `donation:<id>`), so the toy names where it came from and the
/// donation can list what became of its items.
pub async fn accept_donated_toy(state: &AppState, ctx: &Ctx, donation_ref: &str, input: &ToyInput) -> AppResult<Toy> {
    let mut input = input.clone();
    input.source = ToySource::Donated.as_str().into();
    input.source_ref = donation_ref.to_string();
    create_toy(state, ctx, &input).await
}

pub async fn toy(state: &AppState, ctx: &Ctx, id: ToyId) -> AppResult<Toy> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    Ok(state.store.get_toy(ctx.user.org_id, id).await?)
}

pub async fn update_toy(state: &AppState, ctx: &Ctx, id: ToyId, input: &ToyInput) -> AppResult<Toy> {
    let before = state.store.get_toy(ctx.user.org_id, id).await?;
    ctx.require(Permission::ManageLending, Scope::Unit(before.home_unit_id))?;
    let f = input.validate()?;
    ctx.require(Permission::ManageLending, Scope::Unit(f.home_unit_id))?;
    known_unit(state, ctx, f.home_unit_id, "home_unit_id").await?;
    Ok(state.store.update_toy(&ctx.actor(), id, input.version, &f).await?)
}

/// A toy with its history for the caller's units and its waiting list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ToyView {
    pub toy: Toy,
    /// Loans at the caller's units, newest first.
    pub loans: Vec<Loan>,
    pub waiting: Vec<Reservation>,
}

pub async fn toy_view(state: &AppState, ctx: &Ctx, id: ToyId) -> AppResult<ToyView> {
    let toy = toy(state, ctx, id).await?;
    let org = ctx.user.org_id;
    let us = units(ctx, Permission::ViewLending);
    let loans = state.store.loans(org, &LoanQuery { units: us.as_deref(), toy: Some(id), limit: 50, ..Default::default() }).await?;
    let waiting = state.store.reservations(org, Some(id), None).await?;
    Ok(ToyView { toy, loans, waiting })
}

/// Checks and stores a photo; the bytes decide the type, never the name or the header.
pub async fn set_photo(state: &AppState, ctx: &Ctx, id: ToyId, bytes: &[u8]) -> AppResult<Toy> {
    let t = state.store.get_toy(ctx.user.org_id, id).await?;
    ctx.require(Permission::ManageLending, Scope::Unit(t.home_unit_id))?;
    let kind = check_photo(bytes)?;
    Ok(state.store.set_toy_photo(&ctx.actor(), id, kind.content_type(), bytes).await?)
}

pub async fn photo(state: &AppState, ctx: &Ctx, id: ToyId) -> AppResult<(String, Vec<u8>)> {
    ctx.require(Permission::ViewLending, Scope::AnyUnit)?;
    Ok(state.store.toy_photo(ctx.user.org_id, id).await?.ok_or(DomainError::NotFound)?)
}

/// A QR code as an SVG drawing (what a label shows and a scanner reads).
pub fn qr_svg(text: &str) -> AppResult<String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(96, 96).quiet_zone(true).build())
}

/// Toys for labels: those given, or every toy whose home is `unit`.
pub async fn label_toys(state: &AppState, ctx: &Ctx, unit: UnitId, ids: &[ToyId]) -> AppResult<Vec<Toy>> {
    ctx.require(Permission::ManageLending, Scope::Unit(unit))?;
    let org = ctx.user.org_id;
    let all = state.store.list_toys(org, &ToyQuery { limit: 10_000, ..Default::default() }).await?;
    Ok(all.into_iter().filter(|t| t.home_unit_id == unit && (ids.is_empty() || ids.contains(&t.id))).collect())
}

// ---- members ----

pub async fn members(state: &AppState, ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Vec<Member>> {
    let us = scope(ctx, Permission::ViewLending, unit)?;
    Ok(state.store.list_members(ctx.user.org_id, us.as_deref(), LIST_LIMIT).await?)
}

/// A household joins. The caller needs the toy library of the unit and the household's record.
pub async fn enrol(state: &AppState, ctx: &Ctx, input: &JoinInput) -> AppResult<Member> {
    ctx.require(Permission::ManageLending, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let settings = state.store.lending_settings(org).await?;
    let f = input.validate(&settings)?;
    ctx.require(Permission::ManageLending, Scope::Unit(f.unit_id))?;
    known_unit(state, ctx, f.unit_id, "unit_id").await?;
    let h = match state.store.get_household(org, f.household_id).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("household_id", "unknown-reference").into()),
        other => other?,
    };
    ctx.require(Permission::ViewClients, Scope::Unit(h.unit_id))?;
    Ok(state.store.enrol_member(&ctx.actor(), &f, today(state, org).await?).await?)
}

/// A member the caller may see in full (their own units' members).
pub async fn member(state: &AppState, ctx: &Ctx, id: MemberId) -> AppResult<Member> {
    let m = state.store.get_member(ctx.user.org_id, id).await?;
    ctx.require(Permission::ViewLending, Scope::Unit(m.unit_id))?;
    Ok(m)
}

/// A household's toy-library record: loans, points, reservations.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub member: Member,
    pub loans: Vec<Loan>,
    pub points: Vec<PointsEntry>,
    pub reservations: Vec<Reservation>,
}

/// Credits attendance first, so the balance shown is current.
async fn refresh_points(state: &AppState, actor: &Actor, m: &Member) -> AppResult<Member> {
    let org = m.org_id;
    let settings = state.store.lending_settings(org).await?;
    let added = state.store.award_attendance_points(actor, m.id, &settings.points, today(state, org).await?).await?;
    Ok(if added > 0 { state.store.get_member(org, m.id).await? } else { m.clone() })
}

async fn member_record(state: &AppState, actor: &Actor, m: &Member) -> AppResult<MemberView> {
    let org = m.org_id;
    let member = refresh_points(state, actor, m).await?;
    let loans = state.store.loans(org, &LoanQuery { member: Some(m.id), limit: 200, ..Default::default() }).await?;
    let points = state.store.points(org, m.id).await?;
    let reservations = state.store.reservations(org, None, Some(m.id)).await?;
    Ok(MemberView { member, loans, points, reservations })
}

pub async fn member_view(state: &AppState, ctx: &Ctx, id: MemberId) -> AppResult<MemberView> {
    let m = member(state, ctx, id).await?;
    member_record(state, &ctx.actor(), &m).await
}

/// A new family card: the link (shown once, printed as a QR code) opens the family's page.
/// Issuing another stops the old link.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Card {
    pub member: Member,
    /// The path of the family page, e.g. `/family/<secret>`; put the site's address before it.
    pub path: String,
}

pub async fn issue_card(state: &AppState, ctx: &Ctx, id: MemberId) -> AppResult<Card> {
    let m = state.store.get_member(ctx.user.org_id, id).await?;
    ctx.require(Permission::LendToys, Scope::Unit(m.unit_id))?;
    let token = random_token();
    let member = state.store.issue_card(&ctx.actor(), id, &hash_token(&token)).await?;
    Ok(Card { member, path: format!("/family/{token}") })
}

/// What a family sees on its own page: no staff names, notes or other households.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyView {
    pub household_name: String,
    pub member_no: String,
    pub points: i64,
    pub ledger: Vec<PointsEntry>,
    /// Toys at home now.
    pub loans: Vec<Loan>,
    pub reservations: Vec<Reservation>,
    pub today: NaiveDate,
}

pub async fn family(state: &AppState, token: &str) -> AppResult<(FamilyView, OrgId)> {
    let m = state.store.member_by_card(&hash_token(token)).await?.ok_or(DomainError::NotFound)?;
    let org = m.org_id;
    let v = member_record(state, &Actor::system(org), &m).await?;
    Ok((
        FamilyView {
            household_name: v.member.household_name,
            member_no: v.member.member_no,
            points: v.member.points,
            ledger: v.points,
            loans: v.loans.into_iter().filter(Loan::open).collect(),
            reservations: v.reservations,
            today: today(state, org).await?,
        },
        org,
    ))
}

// ---- the counter ----

/// The member at the counter, found by member number (any unit's: families borrow anywhere).
pub async fn counter_member(state: &AppState, ctx: &Ctx, unit: UnitId, member_no: &str) -> AppResult<Option<MemberView>> {
    ctx.require(Permission::LendToys, Scope::Unit(unit))?;
    let no = normalise_code(member_no);
    if no.is_empty() {
        return Ok(None);
    }
    let m = match state.store.member_by_no(ctx.user.org_id, &no).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("member_no", "unknown-member").into()),
        other => other?,
    };
    let mut v = member_record(state, &ctx.actor(), &m).await?;
    v.loans.retain(Loan::open);
    Ok(Some(v))
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOutInput {
    /// The counter's unit.
    pub unit_id: Option<UnitId>,
    /// The member number (scanned from the card or typed).
    #[serde(default)]
    pub member_no: String,
    /// The toy's code (scanned from its label or typed).
    #[serde(default)]
    pub toy_code: String,
}

pub async fn check_out(state: &AppState, ctx: &Ctx, input: &CheckOutInput) -> AppResult<Loan> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let Some(unit) = input.unit_id else {
        return Err(DomainError::invalid("unit_id", "required").into());
    };
    ctx.require(Permission::LendToys, Scope::Unit(unit))?;
    let mut v = shegong_domain::error::Validator::new();
    let (no, code) = (normalise_code(&input.member_no), normalise_code(&input.toy_code));
    if no.is_empty() {
        v.push(FieldError::new("member_no", "required"));
    }
    if code.is_empty() {
        v.push(FieldError::new("toy_code", "required"));
    }
    v.finish()?;
    let member = match state.store.member_by_no(org, &no).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("member_no", "unknown-member").into()),
        other => other?,
    };
    let toy = match state.store.toy_by_code(org, &code).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("toy_code", "unknown-toy").into()),
        other => other?,
    };
    // A toy is in one place at a time: it leaves from the counter where it is.
    if toy.unit_id != unit && toy.status != ToyStatus::OnLoan {
        return Err(DomainError::invalid("toy_code", "toy-elsewhere").into());
    }
    match state.store.check_out(&ctx.actor(), toy.id, member.id, unit, today(state, org).await?).await {
        Err(DomainError::Invalid(fields)) => Err(DomainError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = match f.field.as_str() {
                        "toy" => "toy_code".into(),
                        "member" => "member_no".into(),
                        _ => f.field,
                    };
                    f
                })
                .collect(),
        )
        .into()),
        other => Ok(other?),
    }
}

/// The open loan of a scanned toy, for the return form.
pub async fn open_loan_of(state: &AppState, ctx: &Ctx, unit: UnitId, code: &str) -> AppResult<(Toy, Loan)> {
    ctx.require(Permission::LendToys, Scope::Unit(unit))?;
    let org = ctx.user.org_id;
    let toy = match state.store.toy_by_code(org, &normalise_code(code)).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("return_code", "unknown-toy").into()),
        other => other?,
    };
    let loan = state.store.loans(org, &LoanQuery { toy: Some(toy.id), open_only: true, limit: 1, ..Default::default() }).await?;
    let loan = loan.into_iter().next().ok_or_else(|| DomainError::invalid("return_code", "not-on-loan"))?;
    Ok((toy, loan))
}

pub async fn return_loan(state: &AppState, ctx: &Ctx, id: LoanId, input: &ReturnInput) -> AppResult<ReturnOutcome> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let Some(unit) = input.unit_id else {
        return Err(DomainError::invalid("unit_id", "required").into());
    };
    ctx.require(Permission::LendToys, Scope::Unit(unit))?;
    state.store.get_loan(org, id).await?;
    let mut v = shegong_domain::error::Validator::new();
    let condition = Condition::parse(input.condition.trim());
    if condition.is_none() {
        v.push(FieldError::new("condition", if input.condition.trim().is_empty() { "required" } else { "invalid-choice" }));
    }
    let note = v.text("note", &input.note, false, 2000);
    v.finish()?;
    let condition = condition.unwrap_or(Condition::Good);
    Ok(state
        .store
        .return_loan(
            &ctx.actor(),
            id,
            &ReturnFields { unit_id: unit, parts_returned: input.parts_returned, condition, note },
            today(state, org).await?,
        )
        .await?)
}

pub async fn renew(state: &AppState, ctx: &Ctx, id: LoanId) -> AppResult<Loan> {
    let org = ctx.user.org_id;
    let l = state.store.get_loan(org, id).await?;
    ctx.require(Permission::LendToys, Scope::Unit(l.unit_id))?;
    Ok(state.store.renew_loan(&ctx.actor(), id, today(state, org).await?).await?)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LostInput {
    #[serde(default)]
    pub note: String,
}

pub async fn mark_lost(state: &AppState, ctx: &Ctx, id: LoanId, input: &LostInput) -> AppResult<Repair> {
    let org = ctx.user.org_id;
    let l = state.store.get_loan(org, id).await?;
    ctx.require(Permission::ManageLending, Scope::Unit(l.unit_id))?;
    let mut v = shegong_domain::error::Validator::new();
    let note = v.text("note", &input.note, false, 2000);
    v.finish()?;
    if !l.open() {
        return Err(DomainError::Stale.into());
    }
    Ok(state.store.mark_lost(&ctx.actor(), id, &note, today(state, org).await?).await?)
}

// ---- reservations and transfers ----

/// The unit nearest the family's home (any member of the household with coordinates), among
/// the units that lend toys; the household's own unit when nobody's address has coordinates.
pub async fn nearest_pickup(state: &AppState, org: OrgId, m: &Member) -> AppResult<UnitId> {
    let h = state.store.get_household(org, m.household_id).await?;
    let ids: Vec<_> = h.members.iter().map(|x| x.client_id).collect();
    let people: Vec<Client> = state.store.clients_by_ids(org, &ids).await?;
    let home = people.iter().find_map(|c| c.latitude.zip(c.longitude));
    let toys = state.store.list_toys(org, &ToyQuery { limit: 100_000, ..Default::default() }).await?;
    let lending: std::collections::BTreeSet<UnitId> = toys.iter().map(|t| t.home_unit_id).collect();
    let candidates: Vec<(UnitId, f64, f64)> = state
        .store
        .list_units(org)
        .await?
        .into_iter()
        .filter(|u| u.active && (lending.contains(&u.id) || u.unit_type == shegong_domain::units::UnitType::ToyLibrary))
        .filter_map(|u| Some((u.id, u.latitude?, u.longitude?)))
        .collect();
    Ok(home.and_then(|h| nearest_unit(h, &candidates)).unwrap_or(m.unit_id))
}

pub async fn reserve(state: &AppState, ctx: &Ctx, input: &ReservationInput) -> AppResult<Reservation> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut v = shegong_domain::error::Validator::new();
    if input.toy_id.is_none() {
        v.push(FieldError::new("toy_id", "required"));
    }
    if input.member_id.is_none() {
        v.push(FieldError::new("member_id", "required"));
    }
    v.finish()?;
    let (Some(toy), Some(member)) = (input.toy_id, input.member_id) else {
        return Err(DomainError::invalid("toy_id", "required").into());
    };
    state.store.get_toy(org, toy).await?;
    let m = match state.store.get_member(org, member).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("member_id", "unknown-member").into()),
        other => other?,
    };
    let pickup = match input.pickup_unit_id {
        Some(u) => {
            known_unit(state, ctx, u, "pickup_unit_id").await?;
            u
        }
        None => nearest_pickup(state, org, &m).await?,
    };
    Ok(state.store.reserve(&ctx.actor(), toy, member, pickup).await?)
}

/// A reservation by a member number (the counter's form).
pub async fn reserve_by_no(state: &AppState, ctx: &Ctx, toy: ToyId, member_no: &str, pickup: Option<UnitId>) -> AppResult<Reservation> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let m = match state.store.member_by_no(ctx.user.org_id, &normalise_code(member_no)).await {
        Err(DomainError::NotFound) => return Err(DomainError::invalid("member_no", "unknown-member").into()),
        other => other?,
    };
    reserve(state, ctx, &ReservationInput { toy_id: Some(toy), member_id: Some(m.id), pickup_unit_id: pickup }).await
}

pub async fn cancel_reservation(state: &AppState, ctx: &Ctx, id: ReservationId) -> AppResult<Reservation> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    state.store.get_reservation(ctx.user.org_id, id).await?;
    Ok(state.store.cancel_reservation(&ctx.actor(), id).await?)
}

pub async fn transfers(state: &AppState, ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Vec<Transfer>> {
    let us = scope(ctx, Permission::ViewLending, unit)?;
    Ok(state.store.transfers(ctx.user.org_id, us.as_deref()).await?)
}

pub async fn receive(state: &AppState, ctx: &Ctx, id: TransferId) -> AppResult<Transfer> {
    let t = state.store.get_transfer(ctx.user.org_id, id).await?;
    ctx.require(Permission::LendToys, Scope::Unit(t.to_unit_id))?;
    Ok(state.store.receive_transfer(&ctx.actor(), id).await?)
}

// ---- the repair and lost queue ----

/// Open items of the caller's units, and those resolved in the last week.
pub async fn repairs(state: &AppState, ctx: &Ctx, unit: Option<UnitId>) -> AppResult<Vec<Repair>> {
    let us = scope(ctx, Permission::ViewLending, unit)?;
    let org = ctx.user.org_id;
    let since = today(state, org).await? - Duration::days(7);
    Ok(state.store.repairs(org, us.as_deref(), Some(since)).await?)
}

pub async fn resolve(state: &AppState, ctx: &Ctx, id: RepairId, input: &ResolveInput) -> AppResult<Repair> {
    let org = ctx.user.org_id;
    let r = state.store.get_repair(org, id).await?;
    ctx.require(Permission::ManageLending, Scope::Unit(r.unit_id))?;
    let (resolution, parts, note) = input.validate()?;
    Ok(state.store.resolve_repair(&ctx.actor(), id, resolution, parts, &note, today(state, org).await?).await?)
}

// ---- points ----

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInput {
    /// A reward code of the agency's list.
    pub reward: String,
}

pub async fn redeem(state: &AppState, ctx: &Ctx, id: MemberId, input: &RedeemInput) -> AppResult<PointsEntry> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let m = state.store.get_member(org, id).await?;
    let settings = state.store.lending_settings(org).await?;
    let reward = settings.reward(input.reward.trim()).cloned().ok_or_else(|| DomainError::invalid("reward", "invalid-choice"))?;
    let m = refresh_points(state, &ctx.actor(), &m).await?;
    shegong_domain::lending::check_redeem(m.points, reward.cost)?;
    Ok(state.store.redeem(&ctx.actor(), id, &reward, today(state, org).await?).await?)
}

// ---- reminders ----

/// A loan due soon or overdue, with the last reminder it got.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DueLoan {
    pub loan: Loan,
    pub kind: ReminderKind,
    pub last_sent: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reminders {
    pub unit_id: UnitId,
    pub due_soon: Vec<DueLoan>,
    pub overdue: Vec<DueLoan>,
    /// Sent (or logged) in the last 30 days, newest first.
    pub sent: Vec<ReminderRecord>,
    /// The sender reminders go through (`log` unless another is configured).
    pub channel: String,
}

pub async fn reminders(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<Reminders> {
    ctx.require(Permission::ViewLending, Scope::Unit(unit))?;
    let org = ctx.user.org_id;
    let settings = state.store.lending_settings(org).await?;
    let today = today(state, org).await?;
    let until = today + Duration::days(i64::from(settings.due_soon_days));
    let open = state.store.loans(org, &LoanQuery { units: Some(&[unit]), due_by: Some(until), limit: 5000, ..Default::default() }).await?;
    let sent = state.store.reminders(org, Some(&[unit]), state.clock.now() - Duration::days(30)).await?;
    let last = |l: &Loan, k: ReminderKind| sent.iter().filter(|r| r.loan_id == l.id && r.kind == k).map(|r| r.sent_at).max();
    let (mut due_soon, mut overdue) = (Vec::new(), Vec::new());
    for l in open {
        if l.overdue(today) {
            overdue.push(DueLoan { last_sent: last(&l, ReminderKind::Overdue), kind: ReminderKind::Overdue, loan: l });
        } else if l.due_soon(today, settings.due_soon_days) {
            due_soon.push(DueLoan { last_sent: last(&l, ReminderKind::DueSoon), kind: ReminderKind::DueSoon, loan: l });
        }
    }
    overdue.sort_by_key(|d| d.loan.due_on);
    due_soon.sort_by_key(|d| d.loan.due_on);
    Ok(Reminders { unit_id: unit, due_soon, overdue, sent, channel: state.notifier.channel().into() })
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    pub unit_id: Option<UnitId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SendOutcome {
    pub sent: u64,
    /// Loans skipped: already reminded today, or no phone number on the household.
    pub skipped: u64,
}

fn locale_of(c: &Client) -> Locale {
    match c.preferred_language {
        PreferredLanguage::Putonghua => Locale::ZhHansCn,
        PreferredLanguage::Cantonese => Locale::ZhHantHk,
        _ => Locale::En,
    }
}

/// Sends each due-soon and overdue loan of the unit its reminder (once a day at most) through
/// the configured sender, to the household head's first phone, and records what was sent.
pub async fn send_reminders(state: &AppState, ctx: &Ctx, input: &SendInput) -> AppResult<SendOutcome> {
    ctx.require(Permission::LendToys, Scope::AnyUnit)?;
    let Some(unit) = input.unit_id else {
        return Err(DomainError::invalid("unit_id", "required").into());
    };
    ctx.require(Permission::LendToys, Scope::Unit(unit))?;
    let org = ctx.user.org_id;
    let list = reminders(state, ctx, unit).await?;
    let u = state.store.get_unit(org, unit).await?;
    let now = state.clock.now();
    let start_of_day = now - Duration::hours(20);
    let (mut sent, mut skipped) = (0, 0);
    for d in list.overdue.iter().chain(list.due_soon.iter()) {
        if d.last_sent.is_some_and(|t| t > start_of_day) {
            skipped += 1;
            continue;
        }
        let m = state.store.get_member(org, d.loan.member_id).await?;
        let h = state.store.get_household(org, m.household_id).await?;
        let head = h.head().map(|x| x.client_id).or_else(|| h.members.first().map(|x| x.client_id));
        let client = match head {
            Some(c) => Some(state.store.get_client(org, c).await?),
            None => None,
        };
        let Some((client, phone)) = client.and_then(|c| c.phones.first().cloned().map(|p| (c, p))) else {
            skipped += 1;
            continue;
        };
        let l = locale_of(&client);
        let body = reminder_text(l, d.kind, &d.loan.toy_name, d.loan.due_on, u.name(l));
        let status = match state.notifier.send(&Outgoing { to: phone.clone(), body: body.clone() }).await {
            Ok(s) => s,
            Err(e) => format!("failed: {}", e.code()),
        };
        let record = ReminderRecord {
            loan_id: d.loan.id,
            kind: d.kind,
            channel: state.notifier.channel().into(),
            recipient: mask_recipient(&phone),
            message: body,
            status,
            sent_at: now,
            sent_by: ctx.user.username.clone(),
            client_id: Some(client.id),
        };
        state.store.record_reminder(&ctx.actor(), &record).await?;
        sent += 1;
    }
    Ok(SendOutcome { sent, skipped })
}

// ---- reports ----

#[derive(Deserialize, utoipa::IntoParams, Default, Clone)]
#[serde(default)]
pub struct ReportParams {
    /// `YYYY-MM-DD`; default: the first of the month a year before `to`.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD`; default today.
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
}

pub async fn report(state: &AppState, ctx: &Ctx, p: &ReportParams) -> AppResult<LendingReport> {
    let us = scope(ctx, Permission::ViewLending, p.unit_id)?;
    let org = ctx.user.org_id;
    let today = today(state, org).await?;
    let to = p.to.unwrap_or(today);
    let from = p.from.unwrap_or_else(|| (to - Duration::days(365)).with_day0(0).unwrap_or(to));
    if from > to || to - from > Duration::days(3660) {
        return Err(DomainError::invalid("from", "out-of-range").into());
    }
    let (loans, points) = state.store.lending_facts(org, us.as_deref(), from, to).await?;
    Ok(count_lending(&loans, &points, from, to, today))
}

/// What the data-access export holds of a household's toy library record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LendingExport {
    pub member: Member,
    pub loans: Vec<Loan>,
    pub points: Vec<PointsEntry>,
    pub reservations: Vec<Reservation>,
}

/// The toy-library record of the household a person belongs to, for their access request.
pub async fn export_for(state: &AppState, org: OrgId, household: Option<HouseholdId>) -> AppResult<Option<LendingExport>> {
    let Some(h) = household else { return Ok(None) };
    let Some(m) = state.store.member_for_household(org, h).await? else { return Ok(None) };
    let loans = state.store.loans(org, &LoanQuery { member: Some(m.id), limit: 100_000, ..Default::default() }).await?;
    let points = state.store.points(org, m.id).await?;
    let reservations = state.store.reservations(org, None, Some(m.id)).await?;
    Ok(Some(LendingExport { member: m, loans, points, reservations }))
}
