//! Toy library storage. Every change is one write transaction with its audit row. The rows
//! that must not be overdrawn are changed only while they still allow it: a check-out takes
//! the household's row (`open_loans < max`) and then the toy's (`version` as read), a
//! redemption takes the household's (`points >= cost`). Concurrent counters therefore queue
//! on those rows and the loser is refused; one open loan per toy is also a unique index.

use crate::audit::record as audit;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::ids::{ClientId, HouseholdId, LoanId, MemberId, OrgId, RepairId, ReservationId, ToyId, TransferId, UnitId};
use shegong_domain::lending::{
    attendance_points, check_out, check_return, default_settings, next_step, renew, CheckOut, Condition, DevArea, LendingSettings, Loan,
    LoanFact, Member, MemberFields, NextStep, PointsEntry, PointsFact, PointsReason, PointsRules, ReminderKind, ReminderRecord, Repair,
    RepairKind, RepairResolution, Reservation, ReservationStatus, ReturnFields, Reward, Toy, ToyFields, ToySource, ToyStatus, Transfer,
};
use shegong_domain::ports::{LendingRepo, LoanQuery, ReturnOutcome, ToyQuery};
use shegong_domain::{DomainError, FieldError, Result};
use std::collections::HashMap;

entity!(settings, "lending_settings", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    settings: String,
    version: i64,
});

entity!(counter, "lending_counters", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    next_toy: i64,
    next_member: i64,
});

entity!(toy, "lending_toys", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    code: String,
    name: String,
    description: String,
    home_unit_id: Uuid,
    unit_id: Uuid,
    age_min_months: i32,
    age_max_months: i32,
    areas: String,
    parts: i32,
    condition: String,
    status: String,
    source: String,
    source_ref: String,
    has_photo: bool,
    version: i64,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

entity!(photo, "lending_photos", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] toy_id: Uuid,
    content_type: String,
    bytes: Vec<u8>,
    updated_at: ChronoDateTimeUtc,
});

entity!(member, "lending_members", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    household_id: Uuid,
    unit_id: Uuid,
    member_no: String,
    membership: String,
    joined_on: Date,
    active: bool,
    points: i64,
    open_loans: i32,
    card_hash: Option<String>,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

entity!(loan, "lending_loans", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    toy_id: Uuid,
    member_id: Uuid,
    household_id: Uuid,
    unit_id: Uuid,
    out_on: Date,
    due_on: Date,
    renewals: i32,
    parts_out: i32,
    returned_on: Option<Date>,
    return_unit_id: Option<Uuid>,
    parts_returned: Option<i32>,
    condition_in: Option<String>,
    note: String,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

entity!(repair, "lending_repairs", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    toy_id: Uuid,
    unit_id: Uuid,
    loan_id: Option<Uuid>,
    kind: String,
    parts_missing: i32,
    note: String,
    opened_on: Date,
    resolved_on: Option<Date>,
    resolution: Option<String>,
    resolved_by: String,
    created_at: ChronoDateTimeUtc,
});

entity!(reservation, "lending_reservations", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    toy_id: Uuid,
    member_id: Uuid,
    pickup_unit_id: Uuid,
    status: String,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

entity!(transfer, "lending_transfers", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    toy_id: Uuid,
    from_unit_id: Uuid,
    to_unit_id: Uuid,
    reservation_id: Uuid,
    sent_at: ChronoDateTimeUtc,
    received_at: Option<ChronoDateTimeUtc>,
});

entity!(points, "lending_points", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    member_id: Uuid,
    unit_id: Uuid,
    delta: i64,
    reason: String,
    source_key: String,
    day: Date,
    at: ChronoDateTimeUtc,
});

entity!(reminder, "lending_reminders", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    loan_id: Uuid,
    unit_id: Uuid,
    client_id: Option<Uuid>,
    kind: String,
    channel: String,
    recipient: String,
    message: String,
    status: String,
    sent_at: ChronoDateTimeUtc,
    sent_by: String,
});

fn storage(e: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(e.to_string())
}

fn invalid(field: &str, code: &'static str) -> DomainError {
    DomainError::invalid(field, code)
}

fn to_toy(m: toy::Model) -> Toy {
    Toy {
        id: ToyId(m.id),
        org_id: OrgId(m.org_id),
        code: m.code,
        name: m.name,
        description: m.description,
        home_unit_id: UnitId(m.home_unit_id),
        unit_id: UnitId(m.unit_id),
        age_min_months: m.age_min_months,
        age_max_months: m.age_max_months,
        areas: m.areas.split(',').filter_map(DevArea::parse).collect(),
        parts: m.parts,
        condition: Condition::parse(&m.condition).unwrap_or(Condition::Good),
        status: ToyStatus::parse(&m.status).unwrap_or(ToyStatus::Available),
        source: ToySource::parse(&m.source).unwrap_or(ToySource::Other),
        source_ref: m.source_ref,
        has_photo: m.has_photo,
        version: m.version,
        created_at: m.created_at,
    }
}

fn to_repair(m: repair::Model, toys: &HashMap<Uuid, (String, String)>) -> Repair {
    let (code, name) = toys.get(&m.toy_id).cloned().unwrap_or_default();
    Repair {
        id: RepairId(m.id),
        toy_id: ToyId(m.toy_id),
        toy_code: code,
        toy_name: name,
        unit_id: UnitId(m.unit_id),
        loan_id: m.loan_id.map(LoanId),
        kind: RepairKind::parse(&m.kind).unwrap_or(RepairKind::Damaged),
        parts_missing: m.parts_missing,
        note: m.note,
        opened_on: m.opened_on,
        resolved_on: m.resolved_on,
        resolution: m.resolution.as_deref().and_then(RepairResolution::parse),
        resolved_by: m.resolved_by,
    }
}

fn to_transfer(m: transfer::Model, toys: &HashMap<Uuid, (String, String)>) -> Transfer {
    let (code, name) = toys.get(&m.toy_id).cloned().unwrap_or_default();
    Transfer {
        id: TransferId(m.id),
        toy_id: ToyId(m.toy_id),
        toy_code: code,
        toy_name: name,
        from_unit_id: UnitId(m.from_unit_id),
        to_unit_id: UnitId(m.to_unit_id),
        reservation_id: ReservationId(m.reservation_id),
        sent_at: m.sent_at,
        received_at: m.received_at,
    }
}

fn to_points(m: points::Model) -> PointsEntry {
    PointsEntry {
        member_id: MemberId(m.member_id),
        delta: m.delta,
        reason: PointsReason::parse(&m.reason).unwrap_or(PointsReason::Adjustment),
        source: m.source_key,
        day: m.day,
        at: m.at,
    }
}

/// (code, name) of toys by id.
async fn toy_names<C: ConnectionTrait>(c: &C, org: OrgId, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, (String, String)>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = toy::Entity::find()
            .select_only()
            .columns([toy::Column::Id, toy::Column::Code, toy::Column::Name])
            .filter(toy::Column::OrgId.eq(org.0))
            .filter(toy::Column::Id.is_in(chunk.to_vec()))
            .into_tuple::<(Uuid, String, String)>()
            .all(c)
            .await
            .map_err(db_err)?;
        out.extend(rows.into_iter().map(|(id, code, name)| (id, (code, name))));
    }
    Ok(out)
}

/// Household names by household id.
async fn household_names<C: ConnectionTrait>(c: &C, org: OrgId, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = crate::clients::household::Entity::find()
            .filter(crate::clients::household::Column::OrgId.eq(org.0))
            .filter(crate::clients::household::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        out.extend(rows.into_iter().map(|h| (h.id, h.name)));
    }
    Ok(out)
}

async fn members_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<member::Model>) -> Result<Vec<Member>> {
    let names = household_names(c, org, rows.iter().map(|m| m.household_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| Member {
            id: MemberId(m.id),
            org_id: OrgId(m.org_id),
            household_id: HouseholdId(m.household_id),
            household_name: names.get(&m.household_id).cloned().unwrap_or_default(),
            unit_id: UnitId(m.unit_id),
            member_no: m.member_no,
            membership: m.membership,
            joined_on: m.joined_on,
            active: m.active,
            points: m.points,
            has_card: m.card_hash.is_some(),
            version: m.version,
        })
        .collect())
}

async fn one_member<C: ConnectionTrait>(c: &C, org: OrgId, m: member::Model) -> Result<Member> {
    members_named(c, org, vec![m]).await?.into_iter().next().ok_or(DomainError::NotFound)
}

/// (member number, household name) of members by id.
async fn member_names<C: ConnectionTrait>(
    c: &C,
    org: OrgId,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, (String, String)>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            member::Entity::find()
                .filter(member::Column::OrgId.eq(org.0))
                .filter(member::Column::Id.is_in(chunk.to_vec()))
                .all(c)
                .await
                .map_err(db_err)?,
        );
    }
    Ok(members_named(c, org, rows).await?.into_iter().map(|m| (m.id.0, (m.member_no, m.household_name))).collect())
}

async fn loans_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<loan::Model>) -> Result<Vec<Loan>> {
    let toys = toy_names(c, org, rows.iter().map(|l| l.toy_id)).await?;
    let members = member_names(c, org, rows.iter().map(|l| l.member_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let (toy_code, toy_name) = toys.get(&m.toy_id).cloned().unwrap_or_default();
            let (member_no, household_name) = members.get(&m.member_id).cloned().unwrap_or_default();
            Loan {
                id: LoanId(m.id),
                toy_id: ToyId(m.toy_id),
                toy_code,
                toy_name,
                member_id: MemberId(m.member_id),
                member_no,
                household_name,
                unit_id: UnitId(m.unit_id),
                out_on: m.out_on,
                due_on: m.due_on,
                renewals: m.renewals,
                parts_out: m.parts_out,
                returned_on: m.returned_on,
                return_unit_id: m.return_unit_id.map(UnitId),
                parts_returned: m.parts_returned,
                condition_in: m.condition_in.as_deref().and_then(Condition::parse),
                version: m.version,
            }
        })
        .collect())
}

async fn reservations_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<reservation::Model>) -> Result<Vec<Reservation>> {
    let toys = toy_names(c, org, rows.iter().map(|r| r.toy_id)).await?;
    let members = member_names(c, org, rows.iter().map(|r| r.member_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let (toy_code, toy_name) = toys.get(&m.toy_id).cloned().unwrap_or_default();
            let (member_no, household_name) = members.get(&m.member_id).cloned().unwrap_or_default();
            Reservation {
                id: ReservationId(m.id),
                toy_id: ToyId(m.toy_id),
                toy_code,
                toy_name,
                member_id: MemberId(m.member_id),
                member_no,
                household_name,
                pickup_unit_id: UnitId(m.pickup_unit_id),
                status: ReservationStatus::parse(&m.status).unwrap_or(ReservationStatus::Cancelled),
                created_at: m.created_at,
            }
        })
        .collect())
}

async fn load_toy<C: ConnectionTrait>(c: &C, org: OrgId, id: ToyId) -> Result<toy::Model> {
    toy::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn load_member<C: ConnectionTrait>(c: &C, org: OrgId, id: MemberId) -> Result<member::Model> {
    member::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn load_loan<C: ConnectionTrait>(c: &C, org: OrgId, id: LoanId) -> Result<loan::Model> {
    loan::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn load_settings<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<LendingSettings> {
    match settings::Entity::find_by_id(org.0).one(c).await.map_err(db_err)? {
        Some(m) => serde_json::from_str(&m.settings).map_err(storage),
        None => Ok(default_settings()),
    }
}

const LIVE: [&str; 3] = ["waiting", "in_transit", "ready"];

/// The next number of a counter column (`next_toy`, `next_member`), taken under the row lock.
async fn next_number<C: ConnectionTrait>(c: &C, org: OrgId, col: counter::Column) -> Result<i64> {
    let ensure = Query::insert()
        .into_table(counter::Entity)
        .columns([counter::Column::OrgId, counter::Column::NextToy, counter::Column::NextMember])
        .values_panic([org.0.into(), 1i64.into(), 1i64.into()])
        .on_conflict(OnConflict::column(counter::Column::OrgId).do_nothing().to_owned())
        .to_owned();
    c.execute(&ensure).await.map_err(db_err)?;
    let q = Query::update()
        .table(counter::Entity)
        .value(col, Expr::col(col).add(1i64))
        .and_where(Expr::col(counter::Column::OrgId).eq(org.0))
        .returning_col(col)
        .to_owned();
    let row = c.query_one(&q).await.map_err(db_err)?.ok_or_else(|| storage("lending counter missing"))?;
    let next: i64 = row.try_get("", col.as_str()).map_err(db_err)?;
    Ok(next - 1)
}

/// Sets a toy's status and place (and bumps its version).
async fn set_toy(txn: &DatabaseTransaction, org: OrgId, id: Uuid, status: ToyStatus, unit: Uuid, now: DateTime<Utc>) -> Result<()> {
    toy::Entity::update_many()
        .col_expr(toy::Column::Status, Expr::value(status.as_str()))
        .col_expr(toy::Column::UnitId, Expr::value(unit))
        .col_expr(toy::Column::Version, Expr::col(toy::Column::Version).add(1))
        .col_expr(toy::Column::UpdatedAt, Expr::value(now))
        .filter(toy::Column::OrgId.eq(org.0))
        .filter(toy::Column::Id.eq(id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn set_reservation(txn: &DatabaseTransaction, org: OrgId, id: Uuid, status: ReservationStatus, now: DateTime<Utc>) -> Result<()> {
    reservation::Entity::update_many()
        .col_expr(reservation::Column::Status, Expr::value(status.as_str()))
        .col_expr(reservation::Column::UpdatedAt, Expr::value(now))
        .filter(reservation::Column::OrgId.eq(org.0))
        .filter(reservation::Column::Id.eq(id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// A free toy at `at`: the first family waiting gets it (held here, or sent to their unit),
/// else it goes back on the shelf.
async fn free_toy(
    txn: &DatabaseTransaction,
    actor: &Actor,
    toy_id: Uuid,
    at: Uuid,
    now: DateTime<Utc>,
) -> Result<(ToyStatus, Option<Transfer>)> {
    let org = actor.org_id;
    let waiting = reservation::Entity::find()
        .filter(reservation::Column::OrgId.eq(org.0))
        .filter(reservation::Column::ToyId.eq(toy_id))
        .filter(reservation::Column::Status.eq(ReservationStatus::Waiting.as_str()))
        .order_by_asc(reservation::Column::CreatedAt)
        .all(txn)
        .await
        .map_err(db_err)?;
    let waiting = reservations_named(txn, org, waiting).await?;
    match next_step(UnitId(at), &waiting) {
        NextStep::Shelf => {
            set_toy(txn, org, toy_id, ToyStatus::Available, at, now).await?;
            Ok((ToyStatus::Available, None))
        }
        NextStep::Hold(r) => {
            set_toy(txn, org, toy_id, ToyStatus::OnHold, at, now).await?;
            set_reservation(txn, org, r.0, ReservationStatus::Ready, now).await?;
            Ok((ToyStatus::OnHold, None))
        }
        NextStep::Send(r, to) => {
            set_toy(txn, org, toy_id, ToyStatus::InTransit, at, now).await?;
            set_reservation(txn, org, r.0, ReservationStatus::InTransit, now).await?;
            let m = transfer::ActiveModel {
                org_id: Set(org.0),
                id: Set(TransferId::new().0),
                toy_id: Set(toy_id),
                from_unit_id: Set(at),
                to_unit_id: Set(to.0),
                reservation_id: Set(r.0),
                sent_at: Set(now),
                received_at: Set(None),
            }
            .insert(txn)
            .await
            .map_err(db_err)?;
            audit(txn, actor, Action::Create, "lending_transfer", m.id, json!({"toy_id": toy_id, "from": at, "to": to}), now).await?;
            let names = toy_names(txn, org, [toy_id]).await?;
            Ok((ToyStatus::InTransit, Some(to_transfer(m, &names))))
        }
    }
}

// One row's columns, each named at the call.
#[allow(clippy::too_many_arguments)]
async fn insert_repair(
    txn: &DatabaseTransaction,
    org: OrgId,
    toy_id: Uuid,
    unit: Uuid,
    loan: Option<Uuid>,
    kind: RepairKind,
    parts_missing: i32,
    note: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<repair::Model> {
    repair::ActiveModel {
        org_id: Set(org.0),
        id: Set(RepairId::new().0),
        toy_id: Set(toy_id),
        unit_id: Set(unit),
        loan_id: Set(loan),
        kind: Set(kind.as_str().into()),
        parts_missing: Set(parts_missing),
        note: Set(note.into()),
        opened_on: Set(today),
        resolved_on: Set(None),
        resolution: Set(None),
        resolved_by: Set(String::new()),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(db_err)
}

/// Adds to (or takes from) a household's balance, only while it stays at or above zero, and
/// writes the ledger entry. False when the balance would go below zero.
// One ledger row's columns, each named at the call.
#[allow(clippy::too_many_arguments)]
async fn move_points(
    txn: &DatabaseTransaction,
    org: OrgId,
    member: Uuid,
    unit: Uuid,
    delta: i64,
    reason: PointsReason,
    source: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = member::Entity::update_many()
        .col_expr(member::Column::Points, Expr::col(member::Column::Points).add(delta))
        .filter(member::Column::OrgId.eq(org.0))
        .filter(member::Column::Id.eq(member))
        .filter(Expr::col(member::Column::Points).add(delta).gte(0))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if done.rows_affected != 1 {
        return Ok(false);
    }
    points::ActiveModel {
        org_id: Set(org.0),
        id: Set(Uuid::now_v7()),
        member_id: Set(member),
        unit_id: Set(unit),
        delta: Set(delta),
        reason: Set(reason.as_str().into()),
        source_key: Set(source.into()),
        day: Set(today),
        at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(true)
}

fn unit_cond<C: ColumnTrait>(col: C, units: Option<&[UnitId]>) -> sea_orm::sea_query::Condition {
    let mut c = sea_orm::sea_query::Condition::all();
    if let Some(us) = units {
        c = c.add(col.is_in(us.iter().map(|u| u.0)));
    }
    c
}

/// Moves the reminders sent to a merged person onto the survivor.
pub(crate) async fn repoint_client(txn: &DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    crate::clients::repoint_rows(txn, reminder::Entity.table_name(), org, from, to).await
}

/// Retention: the reminders sent to an anonymised person lose the number and the text.
pub(crate) async fn forget_client(txn: &DatabaseTransaction, org: OrgId, client: Uuid) -> Result<()> {
    reminder::Entity::update_many()
        .col_expr(reminder::Column::Recipient, Expr::value(""))
        .col_expr(reminder::Column::Message, Expr::value(""))
        .filter(reminder::Column::OrgId.eq(org.0))
        .filter(reminder::Column::ClientId.eq(client))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn toy_model(org: OrgId, id: Uuid, code: String, f: &ToyFields, now: DateTime<Utc>) -> toy::ActiveModel {
    toy::ActiveModel {
        org_id: Set(org.0),
        id: Set(id),
        code: Set(code),
        name: Set(f.name.clone()),
        description: Set(f.description.clone()),
        home_unit_id: Set(f.home_unit_id.0),
        unit_id: Set(f.home_unit_id.0),
        age_min_months: Set(f.age_min_months),
        age_max_months: Set(f.age_max_months),
        areas: Set(f.areas.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(",")),
        parts: Set(f.parts),
        condition: Set(f.condition.as_str().into()),
        status: Set(ToyStatus::Available.as_str().into()),
        source: Set(f.source.as_str().into()),
        source_ref: Set(f.source_ref.clone()),
        has_photo: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

async fn code_taken<C: ConnectionTrait>(c: &C, org: OrgId, code: &str, except: Option<Uuid>) -> Result<bool> {
    let mut q = toy::Entity::find().filter(toy::Column::OrgId.eq(org.0)).filter(toy::Column::Code.eq(code));
    if let Some(id) = except {
        q = q.filter(toy::Column::Id.ne(id));
    }
    Ok(q.one(c).await.map_err(db_err)?.is_some())
}

#[async_trait]
impl LendingRepo for Store {
    async fn lending_settings(&self, org: OrgId) -> Result<LendingSettings> {
        load_settings(&self.db, org).await
    }

    async fn save_lending_settings(&self, actor: &Actor, s: &LendingSettings) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_settings(&txn, org).await?;
        if let Some(gone) = before.membership_types.iter().find(|b| !s.membership_types.iter().any(|t| t.code == b.code)) {
            // Members hold the codes: deactivate a type instead.
            return Err(DomainError::Invalid(vec![FieldError::new("membership_types", "code-kept").with("code", &gone.code)]));
        }
        let text = serde_json::to_string(s).map_err(storage)?;
        let version = settings::Entity::find_by_id(org.0).one(&txn).await.map_err(db_err)?.map(|m| m.version).unwrap_or(0) + 1;
        settings::Entity::insert(settings::ActiveModel { org_id: Set(org.0), settings: Set(text), version: Set(version) })
            .on_conflict(
                OnConflict::column(settings::Column::OrgId)
                    .update_columns([settings::Column::Settings, settings::Column::Version])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let codes: Vec<&str> = s.membership_types.iter().map(|t| t.code.as_str()).collect();
        audit(&txn, actor, Action::Update, "lending_settings", org, json!({"membership_types": codes, "rewards": s.rewards.len()}), now)
            .await?;
        txn.commit().await.map_err(db_err)
    }

    async fn create_toy(&self, actor: &Actor, f: &ToyFields) -> Result<Toy> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let code = if f.code.is_empty() {
            loop {
                let c = format!("T{:06}", next_number(&txn, org, counter::Column::NextToy).await?);
                if !code_taken(&txn, org, &c, None).await? {
                    break c;
                }
            }
        } else if code_taken(&txn, org, &f.code, None).await? {
            return Err(invalid("code", "duplicate"));
        } else {
            f.code.clone()
        };
        let m = toy_model(org, ToyId::new().0, code, f, now).insert(&txn).await.map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "lending_toy",
            m.id,
            json!({"code": m.code, "home_unit_id": f.home_unit_id, "source": f.source.as_str(), "source_ref": f.source_ref}),
            now,
        )
        .await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_toy(m))
    }

    async fn update_toy(&self, actor: &Actor, id: ToyId, version: i64, f: &ToyFields) -> Result<Toy> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_toy(&txn, org, id).await?;
        let code = if f.code.is_empty() { before.code.clone() } else { f.code.clone() };
        if code_taken(&txn, org, &code, Some(id.0)).await? {
            return Err(invalid("code", "duplicate"));
        }
        let mut a = toy_model(org, id.0, code, f, now);
        // Where it is, what it is doing, its photo and its creation stay as they are.
        a.unit_id = sea_orm::ActiveValue::NotSet;
        a.status = sea_orm::ActiveValue::NotSet;
        a.has_photo = sea_orm::ActiveValue::NotSet;
        a.created_at = sea_orm::ActiveValue::NotSet;
        a.org_id = sea_orm::ActiveValue::NotSet;
        a.id = sea_orm::ActiveValue::NotSet;
        a.version = Set(version.saturating_add(1));
        let done = toy::Entity::update_many()
            .set(a)
            .filter(toy::Column::OrgId.eq(org.0))
            .filter(toy::Column::Id.eq(id.0))
            .filter(toy::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        audit(
            &txn,
            actor,
            Action::Update,
            "lending_toy",
            id,
            json!({"fields": ["code", "name", "description", "ages", "areas", "parts", "condition", "source"]}),
            now,
        )
        .await?;
        let m = load_toy(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_toy(m))
    }

    async fn get_toy(&self, org: OrgId, id: ToyId) -> Result<Toy> {
        load_toy(&self.db, org, id).await.map(to_toy)
    }

    async fn toy_by_code(&self, org: OrgId, code: &str) -> Result<Toy> {
        toy::Entity::find()
            .filter(toy::Column::OrgId.eq(org.0))
            .filter(toy::Column::Code.eq(code))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_toy)
            .ok_or(DomainError::NotFound)
    }

    async fn list_toys(&self, org: OrgId, q: &ToyQuery<'_>) -> Result<Vec<Toy>> {
        let mut s = toy::Entity::find().filter(toy::Column::OrgId.eq(org.0)).filter(unit_cond(toy::Column::UnitId, q.units));
        if let Some(st) = q.status {
            s = s.filter(toy::Column::Status.eq(st.as_str()));
        }
        if let Some(t) = q.text.map(str::trim).filter(|t| !t.is_empty()) {
            let like = format!("%{}%", t.replace(['%', '_'], ""));
            s = s.filter(
                sea_orm::sea_query::Condition::any()
                    .add(Expr::col(toy::Column::Name).like(like.clone()))
                    .add(Expr::col(toy::Column::Code).like(like.to_uppercase())),
            );
        }
        let rows = s.order_by_asc(toy::Column::Code).limit(std::cmp::max(q.limit, 1)).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(to_toy).collect())
    }

    async fn set_toy_photo(&self, actor: &Actor, id: ToyId, content_type: &str, bytes: &[u8]) -> Result<Toy> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        load_toy(&txn, org, id).await?;
        photo::Entity::insert(photo::ActiveModel {
            org_id: Set(org.0),
            toy_id: Set(id.0),
            content_type: Set(content_type.into()),
            bytes: Set(bytes.to_vec()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([photo::Column::OrgId, photo::Column::ToyId])
                .update_columns([photo::Column::ContentType, photo::Column::Bytes, photo::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(&txn)
        .await
        .map_err(db_err)?;
        toy::Entity::update_many()
            .col_expr(toy::Column::HasPhoto, Expr::value(true))
            .col_expr(toy::Column::Version, Expr::col(toy::Column::Version).add(1))
            .filter(toy::Column::OrgId.eq(org.0))
            .filter(toy::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Update,
            "lending_toy",
            id,
            json!({"fields": ["photo"], "bytes": bytes.len(), "type": content_type}),
            now,
        )
        .await?;
        let m = load_toy(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_toy(m))
    }

    async fn toy_photo(&self, org: OrgId, id: ToyId) -> Result<Option<(String, Vec<u8>)>> {
        Ok(photo::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(|p| (p.content_type, p.bytes)))
    }

    async fn enrol_member(&self, actor: &Actor, f: &MemberFields, today: NaiveDate) -> Result<Member> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let already = member::Entity::find()
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::HouseholdId.eq(f.household_id.0))
            .one(&txn)
            .await
            .map_err(db_err)?;
        if already.is_some() {
            return Err(invalid("household_id", "already-member"));
        }
        let no = format!("M{:06}", next_number(&txn, org, counter::Column::NextMember).await?);
        let m = member::ActiveModel {
            org_id: Set(org.0),
            id: Set(MemberId::new().0),
            household_id: Set(f.household_id.0),
            unit_id: Set(f.unit_id.0),
            member_no: Set(no),
            membership: Set(f.membership.clone()),
            joined_on: Set(today),
            active: Set(true),
            points: Set(0),
            open_loans: Set(0),
            card_hash: Set(None),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "lending_member",
            m.id,
            json!({"household_id": f.household_id, "unit_id": f.unit_id, "membership": f.membership, "member_no": m.member_no}),
            now,
        )
        .await?;
        let out = one_member(&txn, org, m).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn get_member(&self, org: OrgId, id: MemberId) -> Result<Member> {
        let m = load_member(&self.db, org, id).await?;
        one_member(&self.db, org, m).await
    }

    async fn member_by_no(&self, org: OrgId, no: &str) -> Result<Member> {
        let m = member::Entity::find()
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::MemberNo.eq(no))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound)?;
        one_member(&self.db, org, m).await
    }

    async fn member_for_household(&self, org: OrgId, household: HouseholdId) -> Result<Option<Member>> {
        match member::Entity::find()
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::HouseholdId.eq(household.0))
            .one(&self.db)
            .await
            .map_err(db_err)?
        {
            Some(m) => Ok(Some(one_member(&self.db, org, m).await?)),
            None => Ok(None),
        }
    }

    async fn list_members(&self, org: OrgId, units: Option<&[UnitId]>, limit: u64) -> Result<Vec<Member>> {
        let rows = member::Entity::find()
            .filter(member::Column::OrgId.eq(org.0))
            .filter(unit_cond(member::Column::UnitId, units))
            .order_by_asc(member::Column::MemberNo)
            .limit(std::cmp::max(limit, 1))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        members_named(&self.db, org, rows).await
    }

    async fn issue_card(&self, actor: &Actor, id: MemberId, token_hash: &str) -> Result<Member> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let done = member::Entity::update_many()
            .col_expr(member::Column::CardHash, Expr::value(token_hash))
            .col_expr(member::Column::Version, Expr::col(member::Column::Version).add(1))
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::NotFound);
        }
        audit(&txn, actor, Action::Update, "lending_member", id, json!({"step": "card_issued"}), now).await?;
        let m = load_member(&txn, org, id).await?;
        let out = one_member(&txn, org, m).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn member_by_card(&self, token_hash: &str) -> Result<Option<Member>> {
        match member::Entity::find().filter(member::Column::CardHash.eq(token_hash)).one(&self.db).await.map_err(db_err)? {
            Some(m) => {
                let org = OrgId(m.org_id);
                Ok(Some(one_member(&self.db, org, m).await?))
            }
            None => Ok(None),
        }
    }

    async fn check_out(&self, actor: &Actor, toy_id: ToyId, member_id: MemberId, unit: UnitId, today: NaiveDate) -> Result<Loan> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let settings = load_settings(&txn, org).await?;
        let mm = load_member(&txn, org, member_id).await?;
        let open_loans = mm.open_loans;
        let member = one_member(&txn, org, mm.clone()).await?;
        let membership =
            settings.membership(&member.membership).or_else(|| settings.membership_types.first()).cloned().ok_or(DomainError::NotFound)?;
        let t = to_toy(load_toy(&txn, org, toy_id).await?);
        let held = if t.status == ToyStatus::OnHold {
            reservation::Entity::find()
                .filter(reservation::Column::OrgId.eq(org.0))
                .filter(reservation::Column::ToyId.eq(toy_id.0))
                .filter(reservation::Column::Status.eq(ReservationStatus::Ready.as_str()))
                .one(&txn)
                .await
                .map_err(db_err)?
        } else {
            None
        };
        let held_for = held.as_ref().map(|r| MemberId(r.member_id));
        let c = CheckOut {
            member: &member,
            membership: &membership,
            open_loans: std::cmp::max(open_loans, 0) as usize,
            toy: &t,
            held_for,
            today,
        };
        let due = check_out(&c)?;
        // The household's row first, then the toy's: each changes only while it still allows it.
        let took_slot = member::Entity::update_many()
            .col_expr(member::Column::OpenLoans, Expr::col(member::Column::OpenLoans).add(1))
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::Id.eq(member_id.0))
            .filter(member::Column::OpenLoans.lt(membership.max_items))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if took_slot.rows_affected != 1 {
            return Err(DomainError::Invalid(vec![FieldError::new("member", "loan-limit").with("max", membership.max_items)]));
        }
        let took_toy = toy::Entity::update_many()
            .col_expr(toy::Column::Status, Expr::value(ToyStatus::OnLoan.as_str()))
            .col_expr(toy::Column::UnitId, Expr::value(unit.0))
            .col_expr(toy::Column::Version, Expr::value(t.version.saturating_add(1)))
            .col_expr(toy::Column::UpdatedAt, Expr::value(now))
            .filter(toy::Column::OrgId.eq(org.0))
            .filter(toy::Column::Id.eq(toy_id.0))
            .filter(toy::Column::Version.eq(t.version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if took_toy.rows_affected != 1 {
            return Err(invalid("toy", "toy-on-loan"));
        }
        let m = loan::ActiveModel {
            org_id: Set(org.0),
            id: Set(LoanId::new().0),
            toy_id: Set(toy_id.0),
            member_id: Set(member_id.0),
            household_id: Set(member.household_id.0),
            unit_id: Set(unit.0),
            out_on: Set(today),
            due_on: Set(due),
            renewals: Set(0),
            parts_out: Set(t.parts),
            returned_on: Set(None),
            return_unit_id: Set(None),
            parts_returned: Set(None),
            condition_in: Set(None),
            note: Set(String::new()),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| match db_err(e) {
            DomainError::Invalid(_) => invalid("toy", "toy-on-loan"),
            other => other,
        })?;
        if let Some(r) = held.filter(|r| r.member_id == member_id.0) {
            set_reservation(&txn, org, r.id, ReservationStatus::Fulfilled, now).await?;
        }
        audit(
            &txn,
            actor,
            Action::Create,
            "lending_loan",
            m.id,
            json!({"toy_id": toy_id, "member_id": member_id, "unit_id": unit, "due_on": due}),
            now,
        )
        .await?;
        let out = loans_named(&txn, org, vec![m]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn return_loan(&self, actor: &Actor, loan_id: LoanId, back: &ReturnFields, today: NaiveDate) -> Result<ReturnOutcome> {
        let (unit, parts_returned, condition, note) = (back.unit_id, back.parts_returned, back.condition, back.note.as_str());
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let l = load_loan(&txn, org, loan_id).await?;
        if l.returned_on.is_some() {
            return Err(DomainError::Stale);
        }
        let settings = load_settings(&txn, org).await?;
        let t = load_toy(&txn, org, ToyId(l.toy_id)).await?;
        let check = check_return(l.parts_out, parts_returned, condition, l.due_on, today)?;
        // The household's row first (as at check-out), then the loan and the toy.
        member::Entity::update_many()
            .col_expr(member::Column::OpenLoans, Expr::col(member::Column::OpenLoans).sub(1))
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::Id.eq(l.member_id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let done = loan::Entity::update_many()
            .col_expr(loan::Column::ReturnedOn, Expr::value(today))
            .col_expr(loan::Column::ReturnUnitId, Expr::value(unit.0))
            .col_expr(loan::Column::PartsReturned, Expr::value(parts_returned))
            .col_expr(loan::Column::ConditionIn, Expr::value(condition.as_str()))
            .col_expr(loan::Column::Note, Expr::value(note))
            .col_expr(loan::Column::Version, Expr::value(l.version.saturating_add(1)))
            .filter(loan::Column::OrgId.eq(org.0))
            .filter(loan::Column::Id.eq(l.id))
            .filter(loan::Column::ReturnedOn.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        toy::Entity::update_many()
            .col_expr(toy::Column::Condition, Expr::value(condition.as_str()))
            .filter(toy::Column::OrgId.eq(org.0))
            .filter(toy::Column::Id.eq(t.id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let (toy_status, transfer, repair) = match check.repair {
            Some(kind) => {
                let r = insert_repair(&txn, org, t.id, unit.0, Some(l.id), kind, check.missing_parts, note, today, now).await?;
                set_toy(&txn, org, t.id, ToyStatus::InRepair, unit.0, now).await?;
                audit(
                    &txn,
                    actor,
                    Action::Create,
                    "lending_repair",
                    r.id,
                    json!({"toy_id": t.id, "kind": kind.as_str(), "parts_missing": check.missing_parts}),
                    now,
                )
                .await?;
                let names = toy_names(&txn, org, [t.id]).await?;
                (ToyStatus::InRepair, None, Some(to_repair(r, &names)))
            }
            None => {
                let (s, tr) = free_toy(&txn, actor, t.id, unit.0, now).await?;
                (s, tr, None)
            }
        };
        let mut earned = 0;
        if check.on_time && settings.points.on_time_return > 0 {
            let p = settings.points.on_time_return;
            if move_points(&txn, org, l.member_id, unit.0, p, PointsReason::OnTimeReturn, &format!("return:{}", l.id), today, now).await? {
                earned = p;
            }
        }
        audit(
            &txn,
            actor,
            Action::Update,
            "lending_loan",
            l.id,
            json!({"step": "returned", "unit_id": unit, "parts_returned": parts_returned, "parts_missing": check.missing_parts,
                   "condition": condition.as_str(), "on_time": check.on_time, "points": earned, "toy_status": toy_status.as_str()}),
            now,
        )
        .await?;
        let m = load_loan(&txn, org, loan_id).await?;
        let loan = loans_named(&txn, org, vec![m]).await?.into_iter().next().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(ReturnOutcome { loan, repair, points: earned, toy_status, transfer })
    }

    async fn renew_loan(&self, actor: &Actor, loan_id: LoanId, today: NaiveDate) -> Result<Loan> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let l = load_loan(&txn, org, loan_id).await?;
        let loan = loans_named(&txn, org, vec![l.clone()]).await?.into_iter().next().ok_or(DomainError::NotFound)?;
        let m = load_member(&txn, org, MemberId(l.member_id)).await?;
        let settings = load_settings(&txn, org).await?;
        let membership = settings.membership(&m.membership).or_else(|| settings.membership_types.first()).ok_or(DomainError::NotFound)?;
        let waiting = reservation::Entity::find()
            .filter(reservation::Column::OrgId.eq(org.0))
            .filter(reservation::Column::ToyId.eq(l.toy_id))
            .filter(reservation::Column::Status.eq(ReservationStatus::Waiting.as_str()))
            .one(&txn)
            .await
            .map_err(db_err)?
            .is_some();
        let due = renew(&loan, membership, waiting, today)?;
        let done = loan::Entity::update_many()
            .col_expr(loan::Column::DueOn, Expr::value(due))
            .col_expr(loan::Column::Renewals, Expr::value(l.renewals + 1))
            .col_expr(loan::Column::Version, Expr::value(l.version.saturating_add(1)))
            .filter(loan::Column::OrgId.eq(org.0))
            .filter(loan::Column::Id.eq(l.id))
            .filter(loan::Column::Version.eq(l.version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        audit(&txn, actor, Action::Update, "lending_loan", l.id, json!({"step": "renewed", "due_on": due}), now).await?;
        let after = load_loan(&txn, org, loan_id).await?;
        let out = loans_named(&txn, org, vec![after]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn mark_lost(&self, actor: &Actor, loan_id: LoanId, note: &str, today: NaiveDate) -> Result<Repair> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let l = load_loan(&txn, org, loan_id).await?;
        member::Entity::update_many()
            .col_expr(member::Column::OpenLoans, Expr::col(member::Column::OpenLoans).sub(1))
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::Id.eq(l.member_id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let done = loan::Entity::update_many()
            .col_expr(loan::Column::ReturnedOn, Expr::value(today))
            .col_expr(loan::Column::PartsReturned, Expr::value(0))
            .col_expr(loan::Column::Note, Expr::value(note))
            .col_expr(loan::Column::Version, Expr::value(l.version.saturating_add(1)))
            .filter(loan::Column::OrgId.eq(org.0))
            .filter(loan::Column::Id.eq(l.id))
            .filter(loan::Column::ReturnedOn.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        let r = insert_repair(&txn, org, l.toy_id, l.unit_id, Some(l.id), RepairKind::Lost, l.parts_out, note, today, now).await?;
        set_toy(&txn, org, l.toy_id, ToyStatus::Lost, l.unit_id, now).await?;
        audit(&txn, actor, Action::Update, "lending_loan", l.id, json!({"step": "lost", "repair_id": r.id}), now).await?;
        let names = toy_names(&txn, org, [l.toy_id]).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_repair(r, &names))
    }

    async fn get_loan(&self, org: OrgId, id: LoanId) -> Result<Loan> {
        let m = load_loan(&self.db, org, id).await?;
        loans_named(&self.db, org, vec![m]).await?.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn loans(&self, org: OrgId, q: &LoanQuery<'_>) -> Result<Vec<Loan>> {
        let mut s = loan::Entity::find().filter(loan::Column::OrgId.eq(org.0)).filter(unit_cond(loan::Column::UnitId, q.units));
        if let Some(m) = q.member {
            s = s.filter(loan::Column::MemberId.eq(m.0));
        }
        if let Some(t) = q.toy {
            s = s.filter(loan::Column::ToyId.eq(t.0));
        }
        if q.open_only || q.due_by.is_some() {
            s = s.filter(loan::Column::ReturnedOn.is_null());
        }
        if let Some(d) = q.due_by {
            s = s.filter(loan::Column::DueOn.lte(d));
        }
        let rows = s.order_by_desc(loan::Column::CreatedAt).limit(std::cmp::max(q.limit, 1)).all(&self.db).await.map_err(db_err)?;
        loans_named(&self.db, org, rows).await
    }

    async fn reserve(&self, actor: &Actor, toy_id: ToyId, member_id: MemberId, pickup: UnitId) -> Result<Reservation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let t = to_toy(load_toy(&txn, org, toy_id).await?);
        let m = load_member(&txn, org, member_id).await?;
        if !m.active {
            return Err(invalid("member", "member-inactive"));
        }
        if matches!(t.status, ToyStatus::Lost | ToyStatus::Retired) {
            return Err(DomainError::Invalid(vec![FieldError::new("toy", "toy-not-available").with("status", t.status.as_str())]));
        }
        let borrowing = loan::Entity::find()
            .filter(loan::Column::OrgId.eq(org.0))
            .filter(loan::Column::ToyId.eq(toy_id.0))
            .filter(loan::Column::MemberId.eq(member_id.0))
            .filter(loan::Column::ReturnedOn.is_null())
            .one(&txn)
            .await
            .map_err(db_err)?;
        if borrowing.is_some() {
            return Err(invalid("toy", "already-borrowing"));
        }
        let mine = reservation::Entity::find()
            .filter(reservation::Column::OrgId.eq(org.0))
            .filter(reservation::Column::ToyId.eq(toy_id.0))
            .filter(reservation::Column::MemberId.eq(member_id.0))
            .filter(reservation::Column::Status.is_in(LIVE))
            .one(&txn)
            .await
            .map_err(db_err)?;
        if mine.is_some() {
            return Err(invalid("toy", "already-reserved"));
        }
        let r = reservation::ActiveModel {
            org_id: Set(org.0),
            id: Set(ReservationId::new().0),
            toy_id: Set(toy_id.0),
            member_id: Set(member_id.0),
            pickup_unit_id: Set(pickup.0),
            status: Set(ReservationStatus::Waiting.as_str().into()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "lending_reservation",
            r.id,
            json!({"toy_id": toy_id, "member_id": member_id, "pickup_unit_id": pickup}),
            now,
        )
        .await?;
        if t.status == ToyStatus::Available {
            // No one waits for a toy on the shelf: it goes to this family now.
            free_toy(&txn, actor, toy_id.0, t.unit_id.0, now).await?;
        }
        let r = reservation::Entity::find_by_id((org.0, r.id)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let out = reservations_named(&txn, org, vec![r]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn cancel_reservation(&self, actor: &Actor, id: ReservationId) -> Result<Reservation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let r = reservation::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        if !LIVE.contains(&r.status.as_str()) {
            return Err(DomainError::Stale);
        }
        set_reservation(&txn, org, r.id, ReservationStatus::Cancelled, now).await?;
        if r.status == ReservationStatus::Ready.as_str() {
            // The toy held for this family goes to the next one in line, or back on the shelf.
            let t = load_toy(&txn, org, ToyId(r.toy_id)).await?;
            free_toy(&txn, actor, t.id, t.unit_id, now).await?;
        }
        audit(&txn, actor, Action::Update, "lending_reservation", id, json!({"step": "cancelled"}), now).await?;
        let r = reservation::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let out = reservations_named(&txn, org, vec![r]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn get_reservation(&self, org: OrgId, id: ReservationId) -> Result<Reservation> {
        let r = reservation::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        reservations_named(&self.db, org, vec![r]).await?.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn reservations(&self, org: OrgId, toy_id: Option<ToyId>, member_id: Option<MemberId>) -> Result<Vec<Reservation>> {
        let mut s =
            reservation::Entity::find().filter(reservation::Column::OrgId.eq(org.0)).filter(reservation::Column::Status.is_in(LIVE));
        if let Some(t) = toy_id {
            s = s.filter(reservation::Column::ToyId.eq(t.0));
        }
        if let Some(m) = member_id {
            s = s.filter(reservation::Column::MemberId.eq(m.0));
        }
        let rows = s.order_by_asc(reservation::Column::CreatedAt).limit(500).all(&self.db).await.map_err(db_err)?;
        reservations_named(&self.db, org, rows).await
    }

    async fn transfers(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<Transfer>> {
        let mut s = transfer::Entity::find().filter(transfer::Column::OrgId.eq(org.0)).filter(transfer::Column::ReceivedAt.is_null());
        if let Some(us) = units {
            let ids: Vec<Uuid> = us.iter().map(|u| u.0).collect();
            s = s.filter(
                sea_orm::sea_query::Condition::any()
                    .add(transfer::Column::FromUnitId.is_in(ids.clone()))
                    .add(transfer::Column::ToUnitId.is_in(ids)),
            );
        }
        let rows = s.order_by_asc(transfer::Column::SentAt).limit(500).all(&self.db).await.map_err(db_err)?;
        let names = toy_names(&self.db, org, rows.iter().map(|t| t.toy_id)).await?;
        Ok(rows.into_iter().map(|t| to_transfer(t, &names)).collect())
    }

    async fn get_transfer(&self, org: OrgId, id: TransferId) -> Result<Transfer> {
        let t = transfer::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let names = toy_names(&self.db, org, [t.toy_id]).await?;
        Ok(to_transfer(t, &names))
    }

    async fn receive_transfer(&self, actor: &Actor, id: TransferId) -> Result<Transfer> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let done = transfer::Entity::update_many()
            .col_expr(transfer::Column::ReceivedAt, Expr::value(now))
            .filter(transfer::Column::OrgId.eq(org.0))
            .filter(transfer::Column::Id.eq(id.0))
            .filter(transfer::Column::ReceivedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        let t = transfer::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let r = reservation::Entity::find_by_id((org.0, t.reservation_id)).one(&txn).await.map_err(db_err)?;
        match r.filter(|r| r.status == ReservationStatus::InTransit.as_str()) {
            Some(r) => {
                set_toy(&txn, org, t.toy_id, ToyStatus::OnHold, t.to_unit_id, now).await?;
                set_reservation(&txn, org, r.id, ReservationStatus::Ready, now).await?;
            }
            // The family cancelled on the way: the next one in line, or the shelf here.
            None => {
                free_toy(&txn, actor, t.toy_id, t.to_unit_id, now).await?;
            }
        }
        audit(&txn, actor, Action::Update, "lending_transfer", id, json!({"step": "received"}), now).await?;
        let names = toy_names(&txn, org, [t.toy_id]).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_transfer(t, &names))
    }

    async fn repairs(&self, org: OrgId, units: Option<&[UnitId]>, resolved_since: Option<NaiveDate>) -> Result<Vec<Repair>> {
        let mut which = sea_orm::sea_query::Condition::any().add(repair::Column::ResolvedOn.is_null());
        if let Some(d) = resolved_since {
            which = which.add(repair::Column::ResolvedOn.gte(d));
        }
        let rows = repair::Entity::find()
            .filter(repair::Column::OrgId.eq(org.0))
            .filter(unit_cond(repair::Column::UnitId, units))
            .filter(which)
            .order_by_asc(repair::Column::CreatedAt)
            .limit(1000)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let names = toy_names(&self.db, org, rows.iter().map(|r| r.toy_id)).await?;
        Ok(rows.into_iter().map(|r| to_repair(r, &names)).collect())
    }

    async fn get_repair(&self, org: OrgId, id: RepairId) -> Result<Repair> {
        let r = repair::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let names = toy_names(&self.db, org, [r.toy_id]).await?;
        Ok(to_repair(r, &names))
    }

    async fn resolve_repair(
        &self,
        actor: &Actor,
        id: RepairId,
        resolution: RepairResolution,
        parts: Option<i32>,
        note: &str,
        today: NaiveDate,
    ) -> Result<Repair> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let r = repair::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let note = if note.is_empty() { r.note.clone() } else { format!("{}\n{note}", r.note).trim().to_string() };
        let done = repair::Entity::update_many()
            .col_expr(repair::Column::ResolvedOn, Expr::value(today))
            .col_expr(repair::Column::Resolution, Expr::value(resolution.as_str()))
            .col_expr(repair::Column::ResolvedBy, Expr::value(actor.name.clone()))
            .col_expr(repair::Column::Note, Expr::value(note))
            .filter(repair::Column::OrgId.eq(org.0))
            .filter(repair::Column::Id.eq(id.0))
            .filter(repair::Column::ResolvedOn.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        match resolution {
            RepairResolution::Repaired => {
                if let Some(p) = parts {
                    toy::Entity::update_many()
                        .col_expr(toy::Column::Parts, Expr::value(p))
                        .filter(toy::Column::OrgId.eq(org.0))
                        .filter(toy::Column::Id.eq(r.toy_id))
                        .exec(&txn)
                        .await
                        .map_err(db_err)?;
                }
                free_toy(&txn, actor, r.toy_id, r.unit_id, now).await?;
            }
            RepairResolution::WrittenOff => set_toy(&txn, org, r.toy_id, ToyStatus::Retired, r.unit_id, now).await?,
        }
        audit(&txn, actor, Action::Update, "lending_repair", id, json!({"resolution": resolution.as_str(), "parts": parts}), now).await?;
        let after = repair::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let names = toy_names(&txn, org, [r.toy_id]).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_repair(after, &names))
    }

    async fn points(&self, org: OrgId, member_id: MemberId) -> Result<Vec<PointsEntry>> {
        let rows = points::Entity::find()
            .filter(points::Column::OrgId.eq(org.0))
            .filter(points::Column::MemberId.eq(member_id.0))
            .order_by_asc(points::Column::At)
            .order_by_asc(points::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_points).collect())
    }

    async fn redeem(&self, actor: &Actor, member_id: MemberId, reward: &Reward, today: NaiveDate) -> Result<PointsEntry> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = load_member(&txn, org, member_id).await?;
        let key = format!("redeem:{}:{}", reward.code, Uuid::now_v7());
        if !move_points(&txn, org, m.id, m.unit_id, -reward.cost, PointsReason::Redemption, &key, today, now).await? {
            let balance = load_member(&txn, org, member_id).await?.points;
            return Err(DomainError::Invalid(vec![FieldError::new("reward", "points-short")
                .with("balance", balance)
                .with("cost", reward.cost)]));
        }
        audit(
            &txn,
            actor,
            Action::Update,
            "lending_member",
            member_id,
            json!({"step": "redeemed", "reward": reward.code, "points": reward.cost}),
            now,
        )
        .await?;
        let e = points::Entity::find()
            .filter(points::Column::OrgId.eq(org.0))
            .filter(points::Column::SourceKey.eq(key))
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_points(e))
    }

    async fn award_attendance_points(&self, actor: &Actor, member_id: MemberId, rules: &PointsRules, today: NaiveDate) -> Result<i64> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        // Taking the household's row first queues two awards for one household.
        member::Entity::update_many()
            .col_expr(member::Column::Points, Expr::col(member::Column::Points))
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::Id.eq(member_id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let m = load_member(&txn, org, member_id).await?;
        let clients: Vec<Uuid> = crate::clients::member::Entity::find()
            .filter(crate::clients::member::Column::OrgId.eq(org.0))
            .filter(crate::clients::member::Column::HouseholdId.eq(m.household_id))
            .all(&txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|x| x.client_id)
            .collect();
        if clients.is_empty() {
            return Ok(0);
        }
        let persons: Vec<i64> = crate::activities::person::Entity::find()
            .filter(crate::activities::person::Column::OrgId.eq(org.0))
            .filter(crate::activities::person::Column::ClientId.is_in(clients))
            .all(&txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|p| p.person_no)
            .collect();
        if persons.is_empty() {
            return Ok(0);
        }
        let attended = crate::activities::attendance::Entity::find()
            .filter(crate::activities::attendance::Column::OrgId.eq(org.0))
            .filter(crate::activities::attendance::Column::PersonNo.is_in(persons))
            .filter(crate::activities::attendance::Column::Day.gte(m.joined_on))
            .filter(crate::activities::attendance::Column::Day.lte(today))
            .all(&txn)
            .await
            .map_err(db_err)?;
        let keys: Vec<String> = attended.iter().map(|a| format!("attendance:{}:{}", a.session_id, a.person_no)).collect();
        let mut credited = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            credited.extend(
                points::Entity::find()
                    .select_only()
                    .column(points::Column::SourceKey)
                    .filter(points::Column::OrgId.eq(org.0))
                    .filter(points::Column::SourceKey.is_in(chunk.to_vec()))
                    .into_tuple::<String>()
                    .all(&txn)
                    .await
                    .map_err(db_err)?,
            );
        }
        let mut total = 0;
        for (a, key) in attended.iter().zip(keys) {
            let (reason, pts) = attendance_points(rules, &a.kind);
            if pts <= 0 || credited.contains(&key) {
                continue;
            }
            move_points(&txn, org, m.id, a.unit_id, pts, reason, &key, a.day, now).await?;
            total += pts;
        }
        if total > 0 {
            audit(&txn, actor, Action::Update, "lending_member", member_id, json!({"step": "attendance_points", "points": total}), now)
                .await?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(total)
    }

    async fn record_reminder(&self, actor: &Actor, r: &ReminderRecord) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let l = load_loan(&txn, org, r.loan_id).await?;
        let m = reminder::ActiveModel {
            org_id: Set(org.0),
            id: Set(Uuid::now_v7()),
            loan_id: Set(l.id),
            unit_id: Set(l.unit_id),
            client_id: Set(r.client_id.map(|c| c.0)),
            kind: Set(r.kind.as_str().into()),
            channel: Set(r.channel.clone()),
            recipient: Set(r.recipient.clone()),
            message: Set(r.message.clone()),
            status: Set(r.status.clone()),
            sent_at: Set(r.sent_at),
            sent_by: Set(actor.name.clone()),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "lending_reminder",
            m.id,
            json!({"loan_id": l.id, "kind": r.kind.as_str(), "channel": r.channel, "status": r.status}),
            now,
        )
        .await?;
        txn.commit().await.map_err(db_err)
    }

    async fn reminders(&self, org: OrgId, units: Option<&[UnitId]>, since: DateTime<Utc>) -> Result<Vec<ReminderRecord>> {
        let rows = reminder::Entity::find()
            .filter(reminder::Column::OrgId.eq(org.0))
            .filter(unit_cond(reminder::Column::UnitId, units))
            .filter(reminder::Column::SentAt.gte(since))
            .order_by_desc(reminder::Column::SentAt)
            .limit(1000)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|m| ReminderRecord {
                loan_id: LoanId(m.loan_id),
                kind: ReminderKind::parse(&m.kind).unwrap_or(ReminderKind::DueSoon),
                channel: m.channel,
                recipient: m.recipient,
                message: m.message,
                status: m.status,
                sent_at: m.sent_at,
                sent_by: m.sent_by,
                client_id: m.client_id.map(ClientId),
            })
            .collect())
    }

    async fn lending_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(Vec<LoanFact>, Vec<PointsFact>)> {
        let rows = loan::Entity::find()
            .select_only()
            .columns([
                loan::Column::UnitId,
                loan::Column::ToyId,
                loan::Column::HouseholdId,
                loan::Column::OutOn,
                loan::Column::DueOn,
                loan::Column::ReturnedOn,
            ])
            .filter(loan::Column::OrgId.eq(org.0))
            .filter(unit_cond(loan::Column::UnitId, units))
            .filter(
                sea_orm::sea_query::Condition::any().add(loan::Column::OutOn.between(from, to)).add(loan::Column::DueOn.between(from, to)),
            )
            .into_tuple::<(Uuid, Uuid, Uuid, NaiveDate, NaiveDate, Option<NaiveDate>)>()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let names = toy_names(&self.db, org, rows.iter().map(|r| r.1).collect::<std::collections::BTreeSet<_>>()).await?;
        let loans = rows
            .into_iter()
            .map(|(u, t, h, out_on, due_on, returned_on)| LoanFact {
                unit_id: UnitId(u),
                toy_id: ToyId(t),
                toy_name: names.get(&t).map(|n| n.1.clone()).unwrap_or_default(),
                household_id: HouseholdId(h),
                out_on,
                due_on,
                returned_on,
            })
            .collect();
        let points = points::Entity::find()
            .select_only()
            .columns([points::Column::UnitId, points::Column::Day, points::Column::Delta])
            .filter(points::Column::OrgId.eq(org.0))
            .filter(unit_cond(points::Column::UnitId, units))
            .filter(points::Column::Day.between(from, to))
            .into_tuple::<(Uuid, NaiveDate, i64)>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|(u, day, delta)| PointsFact { unit_id: UnitId(u), day, delta })
            .collect();
        Ok((loans, points))
    }
}
