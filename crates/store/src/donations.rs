//! Donations storage: donors, donations with their items and receipt numbers (from the
//! agency's counter row, taken under its row lock), and stock. Stock is the append-only ledger
//! `donation_movements` (triggers refuse UPDATE and DELETE) plus one balance row per (unit,
//! item), changed in the same transaction as each ledger line and only while it stays at or
//! above zero: `UPDATE … SET quantity = quantity + delta WHERE … AND quantity + delta >= 0`.
//! Concurrent hand-outs of the same item queue on that row and the loser is refused with
//! `stock-insufficient`; a CHECK constraint holds the same rule in the schema. The balances
//! can always be rebuilt from the ledger (`rebuild_stock`).

use crate::audit::record as audit;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::donations::{
    check_confirm, check_spend, replay, stock_insufficient, Adjustment, AdjustmentStatus, DistributionFields, Donation, DonationFact,
    DonationFacts, DonationFields, DonationItem, DonationKind, Donor, DonorFields, DonorKind, ItemCategory, Movement, MovementFact,
    MovementKind, PaymentMethod, SpendFact, StockLine, ValuationBasis,
};
use shegong_domain::ids::{
    AdjustmentId, AssistanceRequestId, DistributionId, DonationId, DonationItemId, DonorId, HouseholdId, MovementId, OrgId, UnitId, UserId,
};
use shegong_domain::ports::{DonationsRepo, StockMismatch};
use shegong_domain::{DomainError, Result};
use std::collections::{BTreeMap, HashMap};

entity!(donor, "donors", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    name: String,
    kind: String,
    contact_person: String,
    phone: String,
    email: String,
    address: String,
    note: String,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

entity!(counter, "donation_counters", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    next_receipt: i64,
});

entity!(donation, "donations", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    donor_id: Uuid,
    unit_id: Uuid,
    kind: String,
    received_on: Date,
    receipt_no: String,
    restricted: bool,
    intended_use: String,
    currency: String,
    amount_cents: i64,
    method: Option<String>,
    spent_cents: i64,
    note: String,
    created_by: String,
    created_at: ChronoDateTimeUtc,
});

entity!(item, "donation_items", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    donation_id: Uuid,
    position: i32,
    name: String,
    category: String,
    uom: String,
    quantity: i64,
    value_cents: i64,
    basis: String,
    expiry: Option<Date>,
    lot: String,
});

entity!(stock, "donation_stock", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] item_id: Uuid,
    quantity: i64,
});

entity!(movement, "donation_movements", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    kind: String,
    unit_id: Uuid,
    item_id: Uuid,
    donation_id: Uuid,
    delta: i64,
    source_ref: String,
    household_id: Option<Uuid>,
    persons: i32,
    signed: bool,
    day: Date,
    at: ChronoDateTimeUtc,
    by_name: String,
});

entity!(distribution, "donation_distributions", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    day: Date,
    title: String,
    request_id: Option<Uuid>,
    created_by: String,
    created_at: ChronoDateTimeUtc,
});

entity!(adjustment, "donation_adjustments", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    item_id: Uuid,
    delta: i64,
    reason: String,
    status: String,
    proposed_by: Option<Uuid>,
    proposed_by_name: String,
    proposed_at: ChronoDateTimeUtc,
    decided_by_name: String,
    decided_at: Option<ChronoDateTimeUtc>,
    version: i64,
});

entity!(spend, "donation_spends", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    donation_id: Uuid,
    unit_id: Uuid,
    amount_cents: i64,
    purpose: String,
    day: Date,
    at: ChronoDateTimeUtc,
    by_name: String,
});

fn to_donor(m: donor::Model) -> Donor {
    Donor {
        id: DonorId(m.id),
        org_id: OrgId(m.org_id),
        name: m.name,
        kind: DonorKind::parse(&m.kind).unwrap_or(DonorKind::Other),
        contact_person: m.contact_person,
        phone: m.phone,
        email: m.email,
        address: m.address,
        note: m.note,
        version: m.version,
        created_at: m.created_at,
    }
}

fn to_item(m: item::Model) -> DonationItem {
    DonationItem {
        id: DonationItemId(m.id),
        donation_id: DonationId(m.donation_id),
        name: m.name,
        category: ItemCategory::parse(&m.category).unwrap_or(ItemCategory::Other),
        uom: m.uom,
        quantity: m.quantity,
        value_cents: m.value_cents,
        basis: ValuationBasis::parse(&m.basis).unwrap_or(ValuationBasis::MarketPrice),
        expiry: m.expiry,
        lot: m.lot,
    }
}

fn to_movement(m: movement::Model) -> Movement {
    Movement {
        id: MovementId(m.id),
        kind: MovementKind::parse(&m.kind).unwrap_or(MovementKind::Adjust),
        unit_id: UnitId(m.unit_id),
        item_id: DonationItemId(m.item_id),
        donation_id: DonationId(m.donation_id),
        delta: m.delta,
        source_ref: m.source_ref,
        household_id: m.household_id.map(HouseholdId),
        persons: m.persons,
        signed: m.signed,
        day: m.day,
        at: m.at,
        by: m.by_name,
    }
}

async fn donor_names<C: ConnectionTrait>(c: &C, org: OrgId, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = donor::Entity::find()
            .filter(donor::Column::OrgId.eq(org.0))
            .filter(donor::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        out.extend(rows.into_iter().map(|d| (d.id, d.name)));
    }
    Ok(out)
}

async fn items_of<C: ConnectionTrait>(c: &C, org: OrgId, donations: &[Uuid]) -> Result<HashMap<Uuid, Vec<DonationItem>>> {
    let mut out: HashMap<Uuid, Vec<DonationItem>> = HashMap::new();
    for chunk in donations.chunks(500) {
        let rows = item::Entity::find()
            .filter(item::Column::OrgId.eq(org.0))
            .filter(item::Column::DonationId.is_in(chunk.to_vec()))
            .order_by_asc(item::Column::Position)
            .all(c)
            .await
            .map_err(db_err)?;
        for r in rows {
            out.entry(r.donation_id).or_default().push(to_item(r));
        }
    }
    Ok(out)
}

async fn donations_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<donation::Model>) -> Result<Vec<Donation>> {
    let names = donor_names(c, org, rows.iter().map(|d| d.donor_id)).await?;
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let mut items = items_of(c, org, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| Donation {
            id: DonationId(m.id),
            org_id: OrgId(m.org_id),
            donor_id: DonorId(m.donor_id),
            donor_name: names.get(&m.donor_id).cloned().unwrap_or_default(),
            unit_id: UnitId(m.unit_id),
            kind: DonationKind::parse(&m.kind).unwrap_or(DonationKind::InKind),
            received_on: m.received_on,
            receipt_no: m.receipt_no,
            restricted: m.restricted,
            intended_use: m.intended_use,
            currency: m.currency,
            amount_cents: m.amount_cents,
            method: m.method.as_deref().and_then(PaymentMethod::parse),
            spent_cents: m.spent_cents,
            items: items.remove(&m.id).unwrap_or_default(),
            note: m.note,
            created_by: m.created_by,
            created_at: m.created_at,
        })
        .collect())
}

async fn one_donation<C: ConnectionTrait>(c: &C, org: OrgId, id: DonationId) -> Result<Donation> {
    let m = donation::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
    donations_named(c, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
}

async fn load_item<C: ConnectionTrait>(c: &C, org: OrgId, id: DonationItemId) -> Result<item::Model> {
    item::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or_else(|| DomainError::invalid("item_id", "unknown-item"))
}

/// The agency's next receipt number, taken under the counter row's lock.
async fn next_receipt<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<i64> {
    let ensure = Query::insert()
        .into_table(counter::Entity)
        .columns([counter::Column::OrgId, counter::Column::NextReceipt])
        .values_panic([org.0.into(), 1i64.into()])
        .on_conflict(OnConflict::column(counter::Column::OrgId).do_nothing().to_owned())
        .to_owned();
    c.execute(&ensure).await.map_err(db_err)?;
    let col = counter::Column::NextReceipt;
    let q = Query::update()
        .table(counter::Entity)
        .value(col, Expr::col(col).add(1i64))
        .and_where(Expr::col(counter::Column::OrgId).eq(org.0))
        .returning_col(col)
        .to_owned();
    let row = c.query_one(&q).await.map_err(db_err)?.ok_or_else(|| DomainError::Storage("receipt counter missing".into()))?;
    let next: i64 = row.try_get("", col.as_str()).map_err(db_err)?;
    Ok(next - 1)
}

/// One ledger line to write.
pub(crate) struct Line<'a> {
    pub kind: MovementKind,
    pub unit: UnitId,
    pub item: &'a item::Model,
    pub delta: i64,
    pub source_ref: String,
    pub household: Option<HouseholdId>,
    pub persons: i32,
    pub signed: bool,
    pub day: NaiveDate,
}

/// Writes one ledger line and changes its balance, only while the balance stays at or above
/// zero; otherwise refuses with `stock-insufficient` and what is available.
pub(crate) async fn move_stock(txn: &DatabaseTransaction, org: OrgId, l: Line<'_>, by: &str, now: DateTime<Utc>) -> Result<()> {
    let ensure = Query::insert()
        .into_table(stock::Entity)
        .columns([stock::Column::OrgId, stock::Column::UnitId, stock::Column::ItemId, stock::Column::Quantity])
        .values_panic([org.0.into(), l.unit.0.into(), l.item.id.into(), 0i64.into()])
        .on_conflict(OnConflict::columns([stock::Column::OrgId, stock::Column::UnitId, stock::Column::ItemId]).do_nothing().to_owned())
        .to_owned();
    txn.execute(&ensure).await.map_err(db_err)?;
    let done = stock::Entity::update_many()
        .col_expr(stock::Column::Quantity, Expr::col(stock::Column::Quantity).add(l.delta))
        .filter(stock::Column::OrgId.eq(org.0))
        .filter(stock::Column::UnitId.eq(l.unit.0))
        .filter(stock::Column::ItemId.eq(l.item.id))
        .filter(Expr::col(stock::Column::Quantity).add(l.delta).gte(0))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if done.rows_affected != 1 {
        let have = stock::Entity::find_by_id((org.0, l.unit.0, l.item.id)).one(txn).await.map_err(db_err)?.map(|s| s.quantity).unwrap_or(0);
        return Err(stock_insufficient(have));
    }
    movement::ActiveModel {
        org_id: Set(org.0),
        id: Set(MovementId::new().0),
        kind: Set(l.kind.as_str().into()),
        unit_id: Set(l.unit.0),
        item_id: Set(l.item.id),
        donation_id: Set(l.item.donation_id),
        delta: Set(l.delta),
        source_ref: Set(l.source_ref),
        household_id: Set(l.household.map(|h| h.0)),
        persons: Set(l.persons),
        signed: Set(l.signed),
        day: Set(l.day),
        at: Set(now),
        by_name: Set(by.to_string()),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Hands stock over to a household (an assistance delivery): a distribution with one ledger
/// line per item, all or none.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn hand_over(
    txn: &DatabaseTransaction,
    actor: &Actor,
    unit: UnitId,
    household: Option<HouseholdId>,
    persons: i32,
    items: &[(DonationItemId, i64)],
    request: Option<AssistanceRequestId>,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DistributionId> {
    let org = actor.org_id;
    let id = DistributionId::new();
    distribution::ActiveModel {
        org_id: Set(org.0),
        id: Set(id.0),
        unit_id: Set(unit.0),
        day: Set(day),
        title: Set(String::new()),
        request_id: Set(request.map(|r| r.0)),
        created_by: Set(actor.name.clone()),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    let source_ref = match request {
        Some(r) => format!("request:{r}"),
        None => format!("distribution:{id}"),
    };
    for (item_id, q) in items {
        let it = load_item(txn, org, *item_id).await?;
        let line = Line {
            kind: MovementKind::Distribute,
            unit,
            item: &it,
            delta: -q,
            source_ref: source_ref.clone(),
            household,
            persons,
            signed: false,
            day,
        };
        move_stock(txn, org, line, &actor.name, now).await?;
    }
    Ok(id)
}

fn to_adjustment(m: adjustment::Model, items: &HashMap<Uuid, (String, String)>) -> Adjustment {
    let (item_name, uom) = items.get(&m.item_id).cloned().unwrap_or_default();
    Adjustment {
        id: AdjustmentId(m.id),
        unit_id: UnitId(m.unit_id),
        item_id: DonationItemId(m.item_id),
        item_name,
        uom,
        delta: m.delta,
        reason: m.reason,
        status: AdjustmentStatus::parse(&m.status).unwrap_or(AdjustmentStatus::Pending),
        proposed_by: m.proposed_by.map(UserId),
        proposed_by_name: m.proposed_by_name,
        proposed_at: m.proposed_at,
        decided_by_name: m.decided_by_name,
        decided_at: m.decided_at,
    }
}

async fn item_names<C: ConnectionTrait>(c: &C, org: OrgId, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, (String, String)>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = item::Entity::find()
            .filter(item::Column::OrgId.eq(org.0))
            .filter(item::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        out.extend(rows.into_iter().map(|i| (i.id, (i.name, i.uom))));
    }
    Ok(out)
}

async fn adjustments_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<adjustment::Model>) -> Result<Vec<Adjustment>> {
    let names = item_names(c, org, rows.iter().map(|a| a.item_id)).await?;
    Ok(rows.into_iter().map(|m| to_adjustment(m, &names)).collect())
}

/// The ledger replayed: (unit, item) → sum of its lines.
async fn replayed<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<BTreeMap<(UnitId, DonationItemId), i64>> {
    let rows = movement::Entity::find()
        .select_only()
        .columns([movement::Column::UnitId, movement::Column::ItemId, movement::Column::Delta])
        .filter(movement::Column::OrgId.eq(org.0))
        .into_tuple::<(Uuid, Uuid, i64)>()
        .all(c)
        .await
        .map_err(db_err)?;
    Ok(replay(rows.into_iter().map(|(u, i, d)| (UnitId(u), DonationItemId(i), d))))
}

async fn mismatches<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<Vec<StockMismatch>> {
    let mut want = replayed(c, org).await?;
    let rows = stock::Entity::find().filter(stock::Column::OrgId.eq(org.0)).all(c).await.map_err(db_err)?;
    let mut out = Vec::new();
    for s in rows {
        let key = (UnitId(s.unit_id), DonationItemId(s.item_id));
        let r = want.remove(&key).unwrap_or(0);
        if r != s.quantity {
            out.push((key.0, key.1, s.quantity, r));
        }
    }
    out.extend(want.into_iter().filter(|(_, v)| *v != 0).map(|((u, i), v)| (u, i, 0, v)));
    Ok(out)
}

#[async_trait]
impl DonationsRepo for Store {
    async fn create_donor(&self, actor: &Actor, f: &DonorFields) -> Result<Donor> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = donor::ActiveModel {
            org_id: Set(actor.org_id.0),
            id: Set(DonorId::new().0),
            name: Set(f.name.clone()),
            kind: Set(f.kind.as_str().into()),
            contact_person: Set(f.contact_person.clone()),
            phone: Set(f.phone.clone()),
            email: Set(f.email.clone()),
            address: Set(f.address.clone()),
            note: Set(f.note.clone()),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Create, "donor", m.id, json!({"kind": f.kind.as_str()}), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_donor(m))
    }

    async fn get_donor(&self, org: OrgId, id: DonorId) -> Result<Donor> {
        donor::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_donor).ok_or(DomainError::NotFound)
    }

    async fn list_donors(&self, org: OrgId) -> Result<Vec<Donor>> {
        let rows = donor::Entity::find()
            .filter(donor::Column::OrgId.eq(org.0))
            .order_by_asc(donor::Column::Name)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_donor).collect())
    }

    async fn record_donation(&self, actor: &Actor, f: &DonationFields) -> Result<Donation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        if donor::Entity::find_by_id((org.0, f.donor_id.0)).one(&txn).await.map_err(db_err)?.is_none() {
            return Err(DomainError::invalid("donor_id", "unknown-donor"));
        }
        let receipt_no = format!("R{:06}", next_receipt(&txn, org).await?);
        let id = DonationId::new();
        donation::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            donor_id: Set(f.donor_id.0),
            unit_id: Set(f.unit_id.0),
            kind: Set(f.kind.as_str().into()),
            received_on: Set(f.received_on),
            receipt_no: Set(receipt_no.clone()),
            restricted: Set(f.restricted),
            intended_use: Set(f.intended_use.clone()),
            currency: Set(f.currency.clone()),
            amount_cents: Set(f.amount_cents),
            method: Set(f.method.map(|m| m.as_str().to_string())),
            spent_cents: Set(0),
            note: Set(f.note.clone()),
            created_by: Set(actor.name.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        for (i, it) in f.items.iter().enumerate() {
            let m = item::ActiveModel {
                org_id: Set(org.0),
                id: Set(DonationItemId::new().0),
                donation_id: Set(id.0),
                position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                name: Set(it.name.clone()),
                category: Set(it.category.as_str().into()),
                uom: Set(it.uom.clone()),
                quantity: Set(it.quantity),
                value_cents: Set(it.value_cents),
                basis: Set(it.basis.as_str().into()),
                expiry: Set(it.expiry),
                lot: Set(it.lot.clone()),
            }
            .insert(&txn)
            .await
            .map_err(db_err)?;
            let line = Line {
                kind: MovementKind::Receive,
                unit: f.unit_id,
                item: &m,
                delta: it.quantity,
                source_ref: format!("donation:{id}"),
                household: None,
                persons: 0,
                signed: false,
                day: f.received_on,
            };
            move_stock(&txn, org, line, &actor.name, now).await?;
        }
        audit(
            &txn,
            actor,
            Action::Create,
            "donation",
            id,
            json!({"receipt_no": receipt_no, "kind": f.kind.as_str(), "unit_id": f.unit_id, "items": f.items.len(), "amount_cents": f.amount_cents}),
            now,
        )
        .await?;
        let d = one_donation(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn get_donation(&self, org: OrgId, id: DonationId) -> Result<Donation> {
        one_donation(&self.db, org, id).await
    }

    async fn list_donations(&self, org: OrgId, units: Option<&[UnitId]>, donor: Option<DonorId>, limit: u64) -> Result<Vec<Donation>> {
        let mut s = donation::Entity::find().filter(donation::Column::OrgId.eq(org.0));
        if let Some(us) = units {
            s = s.filter(donation::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        if let Some(d) = donor {
            s = s.filter(donation::Column::DonorId.eq(d.0));
        }
        let rows = s
            .order_by_desc(donation::Column::ReceivedOn)
            .order_by_desc(donation::Column::ReceiptNo)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        donations_named(&self.db, org, rows).await
    }

    async fn stock(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<StockLine>> {
        let mut s = stock::Entity::find().filter(stock::Column::OrgId.eq(org.0)).filter(stock::Column::Quantity.gt(0));
        if let Some(us) = units {
            s = s.filter(stock::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        let rows = s.all(&self.db).await.map_err(db_err)?;
        let mut items = HashMap::new();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.item_id).collect();
        for chunk in ids.chunks(500) {
            let found = item::Entity::find()
                .filter(item::Column::OrgId.eq(org.0))
                .filter(item::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            items.extend(found.into_iter().map(|i| (i.id, i)));
        }
        let dids: Vec<Uuid> = items.values().map(|i| i.donation_id).collect();
        let mut donations = HashMap::new();
        for chunk in dids.chunks(500) {
            let found = donation::Entity::find()
                .filter(donation::Column::OrgId.eq(org.0))
                .filter(donation::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            donations.extend(found.into_iter().map(|d| (d.id, d)));
        }
        let names = donor_names(&self.db, org, donations.values().map(|d| d.donor_id)).await?;
        let mut out: Vec<StockLine> = rows
            .into_iter()
            .filter_map(|s| {
                let it = items.get(&s.item_id)?;
                let d = donations.get(&it.donation_id)?;
                Some(StockLine {
                    unit_id: UnitId(s.unit_id),
                    item_id: DonationItemId(it.id),
                    donation_id: DonationId(d.id),
                    donor_name: names.get(&d.donor_id).cloned().unwrap_or_default(),
                    name: it.name.clone(),
                    category: ItemCategory::parse(&it.category).unwrap_or(ItemCategory::Other),
                    uom: it.uom.clone(),
                    quantity: s.quantity,
                    value_cents: it.value_cents,
                    expiry: it.expiry,
                    lot: it.lot.clone(),
                    restricted: d.restricted,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.expiry.cmp(&b.expiry)).then(a.unit_id.cmp(&b.unit_id)));
        Ok(out)
    }

    async fn movements(&self, org: OrgId, units: Option<&[UnitId]>, donation: Option<DonationId>, limit: u64) -> Result<Vec<Movement>> {
        let mut s = movement::Entity::find().filter(movement::Column::OrgId.eq(org.0));
        if let Some(us) = units {
            s = s.filter(movement::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        if let Some(d) = donation {
            s = s.filter(movement::Column::DonationId.eq(d.0));
        }
        let rows =
            s.order_by_desc(movement::Column::At).order_by_desc(movement::Column::Id).limit(limit).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(to_movement).collect())
    }

    async fn transfer_stock(
        &self,
        actor: &Actor,
        from: UnitId,
        to: UnitId,
        item_id: DonationItemId,
        quantity: i64,
        today: NaiveDate,
    ) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let it = load_item(&txn, org, item_id).await?;
        let tid = Uuid::now_v7();
        let line = |kind, unit, delta| Line {
            kind,
            unit,
            item: &it,
            delta,
            source_ref: format!("transfer:{tid}"),
            household: None,
            persons: 0,
            signed: false,
            day: today,
        };
        move_stock(&txn, org, line(MovementKind::TransferOut, from, -quantity), &actor.name, now).await?;
        move_stock(&txn, org, line(MovementKind::TransferIn, to, quantity), &actor.name, now).await?;
        audit(
            &txn,
            actor,
            Action::Update,
            "donation_stock",
            item_id,
            json!({"step": "transfer", "from": from, "to": to, "quantity": quantity}),
            now,
        )
        .await?;
        txn.commit().await.map_err(db_err)
    }

    async fn distribute(&self, actor: &Actor, f: &DistributionFields) -> Result<DistributionId> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let id = DistributionId::new();
        distribution::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            day: Set(f.day),
            title: Set(f.title.clone()),
            request_id: Set(None),
            created_by: Set(actor.name.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        for (i, l) in f.lines.iter().enumerate() {
            let it = load_item(&txn, org, l.item_id).await?;
            let line = Line {
                kind: MovementKind::Distribute,
                unit: f.unit_id,
                item: &it,
                delta: -l.quantity,
                source_ref: format!("distribution:{id}"),
                household: Some(l.household_id),
                persons: l.persons.unwrap_or(1),
                signed: l.signed,
                day: f.day,
            };
            move_stock(&txn, org, line, &actor.name, now).await.map_err(|e| match e {
                DomainError::Invalid(errs) => DomainError::Invalid(
                    errs.into_iter()
                        .map(|mut x| {
                            x.field = format!("lines[{i}].{}", x.field);
                            x
                        })
                        .collect(),
                ),
                e => e,
            })?;
        }
        audit(&txn, actor, Action::Create, "donation_distribution", id, json!({"unit_id": f.unit_id, "lines": f.lines.len()}), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn propose_adjustment(
        &self,
        actor: &Actor,
        unit: UnitId,
        item_id: DonationItemId,
        delta: i64,
        reason: &str,
    ) -> Result<Adjustment> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        load_item(&txn, org, item_id).await?;
        let m = adjustment::ActiveModel {
            org_id: Set(org.0),
            id: Set(AdjustmentId::new().0),
            unit_id: Set(unit.0),
            item_id: Set(item_id.0),
            delta: Set(delta),
            reason: Set(reason.to_string()),
            status: Set(AdjustmentStatus::Pending.as_str().into()),
            proposed_by: Set(actor.user_id.map(|u| u.0)),
            proposed_by_name: Set(actor.name.clone()),
            proposed_at: Set(now),
            decided_by_name: Set(String::new()),
            decided_at: Set(None),
            version: Set(1),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Create, "donation_adjustment", m.id, json!({"unit_id": unit, "item_id": item_id, "delta": delta}), now)
            .await?;
        let a = adjustments_named(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(a)
    }

    async fn decide_adjustment(&self, actor: &Actor, id: AdjustmentId, confirm: bool, today: NaiveDate) -> Result<Adjustment> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let a = adjustment::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let status = AdjustmentStatus::parse(&a.status).unwrap_or(AdjustmentStatus::Pending);
        check_confirm(status, a.proposed_by.map(UserId), actor.user_id)?;
        let next = if confirm { AdjustmentStatus::Confirmed } else { AdjustmentStatus::Rejected };
        let done = adjustment::Entity::update_many()
            .col_expr(adjustment::Column::Status, Expr::value(next.as_str()))
            .col_expr(adjustment::Column::DecidedByName, Expr::value(actor.name.clone()))
            .col_expr(adjustment::Column::DecidedAt, Expr::value(now))
            .col_expr(adjustment::Column::Version, Expr::value(a.version.saturating_add(1)))
            .filter(adjustment::Column::OrgId.eq(org.0))
            .filter(adjustment::Column::Id.eq(id.0))
            .filter(adjustment::Column::Version.eq(a.version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        if confirm {
            let it = load_item(&txn, org, DonationItemId(a.item_id)).await?;
            let line = Line {
                kind: MovementKind::Adjust,
                unit: UnitId(a.unit_id),
                item: &it,
                delta: a.delta,
                source_ref: format!("adjustment:{id}"),
                household: None,
                persons: 0,
                signed: false,
                day: today,
            };
            move_stock(&txn, org, line, &actor.name, now).await?;
        }
        audit(&txn, actor, Action::Update, "donation_adjustment", id, json!({"step": next.as_str()}), now).await?;
        let m = adjustment::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let out = adjustments_named(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn get_adjustment(&self, org: OrgId, id: AdjustmentId) -> Result<Adjustment> {
        let m = adjustment::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        adjustments_named(&self.db, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
    }

    async fn adjustments(&self, org: OrgId, units: Option<&[UnitId]>, pending_only: bool) -> Result<Vec<Adjustment>> {
        let mut s = adjustment::Entity::find().filter(adjustment::Column::OrgId.eq(org.0));
        if let Some(us) = units {
            s = s.filter(adjustment::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        if pending_only {
            s = s.filter(adjustment::Column::Status.eq(AdjustmentStatus::Pending.as_str()));
        }
        let rows = s.order_by_desc(adjustment::Column::ProposedAt).limit(500).all(&self.db).await.map_err(db_err)?;
        adjustments_named(&self.db, org, rows).await
    }

    async fn spend_cash(&self, actor: &Actor, id: DonationId, amount: i64, purpose: &str, day: NaiveDate) -> Result<Donation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let d = donation::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        if d.kind != DonationKind::Cash.as_str() {
            return Err(DomainError::invalid("donation", "not-cash"));
        }
        let done = donation::Entity::update_many()
            .col_expr(donation::Column::SpentCents, Expr::col(donation::Column::SpentCents).add(amount))
            .filter(donation::Column::OrgId.eq(org.0))
            .filter(donation::Column::Id.eq(id.0))
            .filter(Expr::col(donation::Column::SpentCents).add(amount).lte(Expr::col(donation::Column::AmountCents)))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            let now_spent =
                donation::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.map(|x| x.spent_cents).unwrap_or(0);
            check_spend(d.amount_cents, now_spent, amount)?;
            return Err(DomainError::Stale);
        }
        spend::ActiveModel {
            org_id: Set(org.0),
            id: Set(Uuid::now_v7()),
            donation_id: Set(id.0),
            unit_id: Set(d.unit_id),
            amount_cents: Set(amount),
            purpose: Set(purpose.to_string()),
            day: Set(day),
            at: Set(now),
            by_name: Set(actor.name.clone()),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Update, "donation", id, json!({"step": "spent", "amount_cents": amount}), now).await?;
        let out = one_donation(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn donation_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<DonationFacts> {
        let mut ds = donation::Entity::find().filter(donation::Column::OrgId.eq(org.0));
        if let Some(us) = units {
            ds = ds.filter(donation::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        // Every donation of the units: ledger lines in the period may come from older gifts.
        let dons = ds.all(&self.db).await.map_err(db_err)?;
        let names = donor_names(&self.db, org, dons.iter().map(|d| d.donor_id)).await?;
        let by_id: HashMap<Uuid, &donation::Model> = dons.iter().map(|d| (d.id, d)).collect();
        let mut ms = movement::Entity::find()
            .filter(movement::Column::OrgId.eq(org.0))
            .filter(movement::Column::Day.gte(from))
            .filter(movement::Column::Day.lte(to));
        if let Some(us) = units {
            ms = ms.filter(movement::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        let moves = ms.all(&self.db).await.map_err(db_err)?;
        let items = {
            let ids: Vec<Uuid> = moves.iter().map(|m| m.item_id).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let mut out = HashMap::new();
            for chunk in ids.chunks(500) {
                let found = item::Entity::find()
                    .filter(item::Column::OrgId.eq(org.0))
                    .filter(item::Column::Id.is_in(chunk.to_vec()))
                    .all(&self.db)
                    .await
                    .map_err(db_err)?;
                out.extend(found.into_iter().map(|i| (i.id, i)));
            }
            out
        };
        let mut donors_of_items = HashMap::new();
        let missing: Vec<Uuid> = items.values().map(|i| i.donation_id).filter(|d| !by_id.contains_key(d)).collect();
        for chunk in missing.chunks(500) {
            let found = donation::Entity::find()
                .filter(donation::Column::OrgId.eq(org.0))
                .filter(donation::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            donors_of_items.extend(found.into_iter().map(|d| (d.id, d.donor_id)));
        }
        let movements = moves
            .into_iter()
            .filter_map(|m| {
                let it = items.get(&m.item_id)?;
                let donor = by_id.get(&m.donation_id).map(|d| d.donor_id).or_else(|| donors_of_items.get(&m.donation_id).copied())?;
                Some(MovementFact {
                    kind: MovementKind::parse(&m.kind).unwrap_or(MovementKind::Adjust),
                    unit_id: UnitId(m.unit_id),
                    donation_id: DonationId(m.donation_id),
                    donor_id: DonorId(donor),
                    category: ItemCategory::parse(&it.category).unwrap_or(ItemCategory::Other),
                    uom: it.uom.clone(),
                    value_cents: it.value_cents,
                    delta: m.delta,
                    household_id: m.household_id.map(HouseholdId),
                    persons: m.persons,
                    day: m.day,
                })
            })
            .collect();
        let mut ss = spend::Entity::find()
            .filter(spend::Column::OrgId.eq(org.0))
            .filter(spend::Column::Day.gte(from))
            .filter(spend::Column::Day.lte(to));
        if let Some(us) = units {
            ss = ss.filter(spend::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        let spends = ss
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .filter_map(|s| {
                let d = by_id.get(&s.donation_id)?;
                Some(SpendFact {
                    donation_id: DonationId(s.donation_id),
                    donor_id: DonorId(d.donor_id),
                    unit_id: UnitId(s.unit_id),
                    amount_cents: s.amount_cents,
                    day: s.day,
                })
            })
            .collect();
        let donations = dons
            .iter()
            .map(|d| DonationFact {
                donation_id: DonationId(d.id),
                donor_id: DonorId(d.donor_id),
                donor_name: names.get(&d.donor_id).cloned().unwrap_or_default(),
                unit_id: UnitId(d.unit_id),
                kind: DonationKind::parse(&d.kind).unwrap_or(DonationKind::InKind),
                received_on: d.received_on,
                amount_cents: d.amount_cents,
            })
            .collect();
        Ok(DonationFacts { donations, movements, spends })
    }

    async fn stock_mismatches(&self, org: OrgId) -> Result<Vec<StockMismatch>> {
        mismatches(&self.db, org).await
    }

    async fn rebuild_stock(&self, actor: &Actor) -> Result<u64> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let wrong = mismatches(&txn, org).await?;
        for (unit, item, _, want) in &wrong {
            if *want < 0 {
                return Err(DomainError::Storage(format!("the ledger of item {item} at unit {unit} adds up to {want}")));
            }
            stock::Entity::insert(stock::ActiveModel {
                org_id: Set(org.0),
                unit_id: Set(unit.0),
                item_id: Set(item.0),
                quantity: Set(*want),
            })
            .on_conflict(
                OnConflict::columns([stock::Column::OrgId, stock::Column::UnitId, stock::Column::ItemId])
                    .update_column(stock::Column::Quantity)
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(db_err)?;
        }
        audit(&txn, actor, Action::Update, "donation_stock", org, json!({"step": "rebuilt", "corrected": wrong.len()}), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(wrong.len() as u64)
    }
}
