//! Groups, programmes and activities: planning, sessions, enrolment with a waiting list,
//! attendance, and the count rollups kept in the same transaction as every attendance write.
//!
//! Rollups (derived, rebuildable with [`rebuild`]):
//! - `activity_totals`: sessions held and person-times per (unit, day, domain, category, kind);
//! - `activity_uniques`: a roaring bitmap of person numbers per (unit, month, domain, category),
//!   unioned at query time, so unique persons are exact for any grain and never summed.

use crate::audit::append_in;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use roaring::RoaringBitmap;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query, QueryStatementBuilder};
use sea_orm::{entity::prelude::*, ConnectionTrait, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::activities::{
    default_domains, month_key, overlaps, Activity, ActivityDomain, ActivityFields, ActivityFilter, ActivityKind, ActivityStatus,
    AttendanceInput, AttendanceLine, AttendanceOutcome, Attendee, Audience, CalendarEntry, CountGrain, CountRow, EnrolOutcome,
    EnrolmentStatus, Evaluation, GroupStage, GuestFields, ObjectivesMet, Participant, Session, SessionFields, StaffPresent,
};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::ids::{ActivityId, ClientId, GuestId, OrgId, SessionId, UnitId, UserId};
use shegong_domain::ports::ActivitiesRepo;
use shegong_domain::{DomainError, FieldError, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

entity!(counter, "activity_counters", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    next_person: i64,
});

entity!(guest, "activity_guests", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    name: String,
    sex: String,
    age_band: Option<String>,
    created_at: ChronoDateTimeUtc,
});

entity!(person, "activity_persons", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] person_no: i64,
    client_id: Option<Uuid>,
    guest_id: Option<Uuid>,
});

entity!(domain, "activity_domains", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] code: String,
    name_en: String,
    name_zh_hant: String,
    name_zh_hans: String,
    core: bool,
    active: bool,
    sort: i32,
});

entity!(activity, "activities", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    kind: String,
    title_en: String,
    title_zh_hant: String,
    title_zh_hans: String,
    domain: String,
    categories: String,
    category: String,
    objectives: String,
    capacity: Option<i32>,
    audience: String,
    volunteers_needed: i32,
    partners: String,
    funding: String,
    status: String,
    stage: Option<String>,
    eval_met: Option<String>,
    eval_summary: Option<String>,
    eval_on: Option<Date>,
    eval_by: Option<String>,
    version: i64,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

entity!(staff, "activity_staff", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] activity_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] user_id: Uuid,
});

entity!(session, "activity_sessions", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    activity_id: Uuid,
    unit_id: Uuid,
    number: i32,
    day: Date,
    month: i32,
    starts_at: String,
    ends_at: String,
    venue: String,
    log: String,
    attendance: i64,
    version: i64,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

entity!(enrolment, "activity_enrolments", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] activity_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] person_no: i64,
    status: String,
    position: i64,
    enrolled_at: ChronoDateTimeUtc,
});

entity!(attendance, "activity_attendance", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] session_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] person_no: i64,
    activity_id: Uuid,
    unit_id: Uuid,
    day: Date,
    month: i32,
    domain: String,
    category: String,
    kind: String,
    marked_by: Option<Uuid>,
    marked_at: ChronoDateTimeUtc,
});

entity!(total, "activity_totals", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] day: Date,
    #[sea_orm(primary_key, auto_increment = false)] domain: String,
    #[sea_orm(primary_key, auto_increment = false)] category: String,
    #[sea_orm(primary_key, auto_increment = false)] kind: String,
    sessions_held: i64,
    person_times: i64,
});

entity!(unique, "activity_uniques", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] month: i32,
    #[sea_orm(primary_key, auto_increment = false)] domain: String,
    #[sea_orm(primary_key, auto_increment = false)] category: String,
    persons: Vec<u8>,
});

fn storage(e: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(e.to_string())
}

// ---- persons ----

/// The next compact person number of an agency. The counter row is locked by the update until
/// the transaction ends, so two writers never get the same number.
async fn next_person_no<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<i64> {
    let ensure = Query::insert()
        .into_table(counter::Entity)
        .columns([counter::Column::OrgId, counter::Column::NextPerson])
        .values_panic([org.0.into(), 1i64.into()])
        .on_conflict(OnConflict::column(counter::Column::OrgId).do_nothing().to_owned())
        .to_owned();
    c.execute(&ensure).await.map_err(db_err)?;
    let q = Query::update()
        .table(counter::Entity)
        .value(counter::Column::NextPerson, Expr::col(counter::Column::NextPerson).add(1i64))
        .and_where(Expr::col(counter::Column::OrgId).eq(org.0))
        .returning_col(counter::Column::NextPerson)
        .to_owned();
    let row = c.query_one(&q).await.map_err(db_err)?.ok_or_else(|| storage("person counter missing"))?;
    let next: i64 = row.try_get("", "next_person").map_err(db_err)?;
    if next - 1 > i64::from(u32::MAX) {
        return Err(storage("person numbers exhausted"));
    }
    Ok(next - 1)
}

/// Takes `n` consecutive person numbers at once (bulk generation) and returns the first.
async fn next_person_block<C: ConnectionTrait>(c: &C, org: OrgId, n: i64) -> Result<i64> {
    let first = next_person_no(c, org).await?;
    if n <= 1 {
        return Ok(first);
    }
    let q = Query::update()
        .table(counter::Entity)
        .value(counter::Column::NextPerson, Expr::col(counter::Column::NextPerson).add(n - 1))
        .and_where(Expr::col(counter::Column::OrgId).eq(org.0))
        .returning_col(counter::Column::NextPerson)
        .to_owned();
    let row = c.query_one(&q).await.map_err(db_err)?.ok_or_else(|| storage("person counter missing"))?;
    let next: i64 = row.try_get("", "next_person").map_err(db_err)?;
    if next - 1 > i64::from(u32::MAX) {
        return Err(storage("person numbers exhausted"));
    }
    Ok(first)
}

/// The person number of a client, given one when they have none.
pub(crate) async fn client_person<C: ConnectionTrait>(c: &C, org: OrgId, client: ClientId) -> Result<i64> {
    let find = || person::Entity::find().filter(person::Column::OrgId.eq(org.0)).filter(person::Column::ClientId.eq(client.0)).one(c);
    if let Some(p) = find().await.map_err(db_err)? {
        return Ok(p.person_no);
    }
    let no = next_person_no(c, org).await?;
    let ins = Query::insert()
        .into_table(person::Entity)
        .columns([person::Column::OrgId, person::Column::PersonNo, person::Column::ClientId])
        .values_panic([org.0.into(), no.into(), client.0.into()])
        .on_conflict(OnConflict::columns([person::Column::OrgId, person::Column::ClientId]).do_nothing().to_owned())
        .to_owned();
    c.execute(&ins).await.map_err(db_err)?;
    // A concurrent writer may have numbered the same client first: theirs stands.
    Ok(find().await.map_err(db_err)?.map(|p| p.person_no).unwrap_or(no))
}

async fn new_guest<C: ConnectionTrait>(c: &C, org: OrgId, unit: Uuid, g: &GuestFields, now: DateTime<Utc>) -> Result<(GuestId, i64)> {
    let id = GuestId::new();
    guest::ActiveModel {
        org_id: Set(org.0),
        id: Set(id.0),
        unit_id: Set(unit),
        name: Set(g.name.clone()),
        sex: Set(g.sex.as_str().into()),
        age_band: Set(g.age_band.map(|b| b.as_str().to_string())),
        created_at: Set(now),
    }
    .insert(c)
    .await
    .map_err(db_err)?;
    let no = next_person_no(c, org).await?;
    person::ActiveModel { org_id: Set(org.0), person_no: Set(no), client_id: Set(None), guest_id: Set(Some(id.0)) }
        .insert(c)
        .await
        .map_err(db_err)?;
    Ok((id, no))
}

/// Names and identities of person numbers.
async fn people<C: ConnectionTrait>(c: &C, org: OrgId, nos: &[i64]) -> Result<HashMap<i64, (Attendee, String)>> {
    let mut out = HashMap::new();
    for chunk in nos.chunks(500) {
        let rows = person::Entity::find()
            .filter(person::Column::OrgId.eq(org.0))
            .filter(person::Column::PersonNo.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        let clients: Vec<Uuid> = rows.iter().filter_map(|p| p.client_id).collect();
        let guests: Vec<Uuid> = rows.iter().filter_map(|p| p.guest_id).collect();
        let client_names: HashMap<Uuid, String> = crate::clients::client::Entity::find()
            .filter(crate::clients::client::Column::OrgId.eq(org.0))
            .filter(crate::clients::client::Column::Id.is_in(clients))
            .all(c)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|m| (m.id, format!("{} {}", m.name_zh, m.name_en).trim().to_string()))
            .collect();
        let guest_names: HashMap<Uuid, String> = guest::Entity::find()
            .filter(guest::Column::OrgId.eq(org.0))
            .filter(guest::Column::Id.is_in(guests))
            .all(c)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        for p in rows {
            let entry = match (p.client_id, p.guest_id) {
                (Some(id), _) => (Attendee::Client(ClientId(id)), client_names.get(&id).cloned().unwrap_or_default()),
                (None, Some(id)) => (Attendee::Guest(GuestId(id)), guest_names.get(&id).cloned().unwrap_or_default()),
                (None, None) => continue,
            };
            out.insert(p.person_no, entry);
        }
    }
    Ok(out)
}

// ---- activities ----

async fn load_activity<C: ConnectionTrait>(c: &C, org: OrgId, id: ActivityId) -> Result<activity::Model> {
    activity::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn lock_activity<C: ConnectionTrait>(c: &C, org: OrgId, id: ActivityId) -> Result<activity::Model> {
    activity::Entity::find_by_id((org.0, id.0)).lock_exclusive().one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn staff_of<C: ConnectionTrait>(c: &C, org: OrgId, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<UserId>>> {
    let mut out: HashMap<Uuid, Vec<UserId>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = staff::Entity::find()
            .filter(staff::Column::OrgId.eq(org.0))
            .filter(staff::Column::ActivityId.is_in(chunk.to_vec()))
            .order_by_asc(staff::Column::UserId)
            .all(c)
            .await
            .map_err(db_err)?;
        for r in rows {
            out.entry(r.activity_id).or_default().push(UserId(r.user_id));
        }
    }
    Ok(out)
}

fn to_activity(m: activity::Model, staff: Vec<UserId>) -> Activity {
    let evaluation = match (m.eval_met.as_deref().and_then(ObjectivesMet::parse), m.eval_on) {
        (Some(met), Some(on)) => Some(Evaluation {
            objectives_met: met,
            summary: m.eval_summary.clone().unwrap_or_default(),
            evaluated_on: on,
            evaluated_by: m.eval_by.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    Activity {
        id: ActivityId(m.id),
        org_id: OrgId(m.org_id),
        unit_id: UnitId(m.unit_id),
        kind: ActivityKind::parse(&m.kind).unwrap_or(ActivityKind::Programme),
        title_en: m.title_en,
        title_zh_hant: m.title_zh_hant,
        title_zh_hans: m.title_zh_hans,
        domain: m.domain,
        target_categories: m.categories.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
        objectives: m.objectives,
        capacity: m.capacity,
        audience: Audience::parse(&m.audience).unwrap_or(Audience::Participants),
        staff,
        volunteers_needed: m.volunteers_needed,
        partners: m.partners,
        funding: m.funding,
        status: ActivityStatus::parse(&m.status).unwrap_or(ActivityStatus::Planned),
        stage: m.stage.as_deref().and_then(GroupStage::parse),
        evaluation,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

async fn full_activity<C: ConnectionTrait>(c: &C, org: OrgId, id: ActivityId) -> Result<Activity> {
    let m = load_activity(c, org, id).await?;
    let mut staff = staff_of(c, org, &[m.id]).await?;
    Ok(to_activity(m, staff.remove(&id.0).unwrap_or_default()))
}

fn set_activity_fields(a: &mut activity::ActiveModel, f: &ActivityFields) {
    a.unit_id = Set(f.unit_id.0);
    a.kind = Set(f.kind.as_str().into());
    a.title_en = Set(f.title_en.clone());
    a.title_zh_hant = Set(f.title_zh_hant.clone());
    a.title_zh_hans = Set(f.title_zh_hans.clone());
    a.domain = Set(f.domain.clone());
    a.categories = Set(f.target_categories.join(","));
    a.category = Set(f.count_category().to_string());
    a.objectives = Set(f.objectives.clone());
    a.capacity = Set(f.capacity);
    a.audience = Set(f.audience.as_str().into());
    a.volunteers_needed = Set(f.volunteers_needed);
    a.partners = Set(f.partners.clone());
    a.funding = Set(f.funding.clone());
    a.status = Set(f.status.as_str().into());
    a.stage = Set(f.stage.map(|s| s.as_str().to_string()));
}

async fn write_staff<C: ConnectionTrait>(c: &C, org: OrgId, id: ActivityId, staff: &[UserId]) -> Result<()> {
    staff::Entity::delete_many()
        .filter(staff::Column::OrgId.eq(org.0))
        .filter(staff::Column::ActivityId.eq(id.0))
        .exec(c)
        .await
        .map_err(db_err)?;
    if staff.is_empty() {
        return Ok(());
    }
    let known = crate::accounts::user::Entity::find()
        .filter(crate::accounts::user::Column::OrgId.eq(org.0))
        .filter(crate::accounts::user::Column::Id.is_in(staff.iter().map(|u| u.0)))
        .count(c)
        .await
        .map_err(db_err)?;
    if known as usize != staff.len() {
        return Err(DomainError::invalid("staff", "unknown-choice"));
    }
    staff::Entity::insert_many(
        staff.iter().map(|u| staff::ActiveModel { org_id: Set(org.0), activity_id: Set(id.0), user_id: Set(u.0) }).collect::<Vec<_>>(),
    )
    .exec(c)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn unknown_unit(e: DbErr) -> DomainError {
    match db_err(e) {
        DomainError::Storage(_) => DomainError::invalid("unit_id", "unknown-unit"),
        other => other,
    }
}

/// The names of the fields that differ (values stay out of the append-only log).
fn changed(before: &activity::Model, f: &ActivityFields, staff_before: &[UserId]) -> Vec<&'static str> {
    [
        ("unit_id", before.unit_id != f.unit_id.0),
        ("kind", before.kind != f.kind.as_str()),
        ("title_en", before.title_en != f.title_en),
        ("title_zh_hant", before.title_zh_hant != f.title_zh_hant),
        ("title_zh_hans", before.title_zh_hans != f.title_zh_hans),
        ("domain", before.domain != f.domain),
        ("target_categories", before.categories != f.target_categories.join(",")),
        ("objectives", before.objectives != f.objectives),
        ("capacity", before.capacity != f.capacity),
        ("audience", before.audience != f.audience.as_str()),
        ("staff", staff_before != f.staff.as_slice()),
        ("volunteers_needed", before.volunteers_needed != f.volunteers_needed),
        ("partners", before.partners != f.partners),
        ("funding", before.funding != f.funding),
        ("status", before.status != f.status.as_str()),
        ("stage", before.stage.as_deref() != f.stage.map(|s| s.as_str())),
    ]
    .into_iter()
    .filter_map(|(k, yes)| yes.then_some(k))
    .collect()
}

fn to_session(m: session::Model) -> Session {
    Session {
        id: SessionId(m.id),
        org_id: OrgId(m.org_id),
        activity_id: ActivityId(m.activity_id),
        unit_id: UnitId(m.unit_id),
        number: m.number,
        date: m.day,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        venue: m.venue,
        log: m.log,
        attendance: m.attendance,
        version: m.version,
    }
}

// ---- rollups ----

/// Adds to the totals of one (unit, day, domain, category, kind); atomic on both backends.
#[allow(clippy::too_many_arguments)]
async fn bump_totals<C: ConnectionTrait>(
    c: &C,
    org: Uuid,
    unit: Uuid,
    day: NaiveDate,
    domain: &str,
    category: &str,
    kind: &str,
    sessions: i64,
    person_times: i64,
) -> Result<()> {
    if sessions == 0 && person_times == 0 {
        return Ok(());
    }
    let excluded = Alias::new("excluded");
    let q = Query::insert()
        .into_table(total::Entity)
        .columns([
            total::Column::OrgId,
            total::Column::UnitId,
            total::Column::Day,
            total::Column::Domain,
            total::Column::Category,
            total::Column::Kind,
            total::Column::SessionsHeld,
            total::Column::PersonTimes,
        ])
        .values_panic([
            org.into(),
            unit.into(),
            day.into(),
            domain.into(),
            category.into(),
            kind.into(),
            sessions.into(),
            person_times.into(),
        ])
        .on_conflict(
            OnConflict::columns([
                total::Column::OrgId,
                total::Column::UnitId,
                total::Column::Day,
                total::Column::Domain,
                total::Column::Category,
                total::Column::Kind,
            ])
            .value(
                total::Column::SessionsHeld,
                Expr::col((total::Entity, total::Column::SessionsHeld)).add(Expr::col((excluded.clone(), total::Column::SessionsHeld))),
            )
            .value(
                total::Column::PersonTimes,
                Expr::col((total::Entity, total::Column::PersonTimes)).add(Expr::col((excluded, total::Column::PersonTimes))),
            )
            .to_owned(),
        )
        .to_owned();
    c.execute(&q).await.map_err(db_err)?;
    Ok(())
}

fn read_bitmap(bytes: &[u8]) -> Result<RoaringBitmap> {
    if bytes.is_empty() {
        return Ok(RoaringBitmap::new());
    }
    RoaringBitmap::deserialize_from(bytes).map_err(storage)
}

fn write_bitmap(b: &RoaringBitmap) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(b.serialized_size());
    b.serialize_into(&mut out).map_err(storage)?;
    Ok(out)
}

fn person_u32(no: i64) -> Result<u32> {
    u32::try_from(no).map_err(|_| storage("person number out of range"))
}

/// The bucket of the unique-person rollup a session's attendances fall in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Bucket {
    unit: Uuid,
    month: i32,
    domain: String,
    category: String,
}

/// Changes one bitmap under a row lock (PostgreSQL; SQLite holds the database write lock).
async fn update_bitmap<C: ConnectionTrait>(c: &C, org: Uuid, b: &Bucket, f: impl FnOnce(&mut RoaringBitmap)) -> Result<()> {
    let ensure = Query::insert()
        .into_table(unique::Entity)
        .columns([
            unique::Column::OrgId,
            unique::Column::UnitId,
            unique::Column::Month,
            unique::Column::Domain,
            unique::Column::Category,
            unique::Column::Persons,
        ])
        .values_panic([
            org.into(),
            b.unit.into(),
            b.month.into(),
            b.domain.clone().into(),
            b.category.clone().into(),
            Vec::<u8>::new().into(),
        ])
        .on_conflict(
            OnConflict::columns([
                unique::Column::OrgId,
                unique::Column::UnitId,
                unique::Column::Month,
                unique::Column::Domain,
                unique::Column::Category,
            ])
            .do_nothing()
            .to_owned(),
        )
        .to_owned();
    c.execute(&ensure).await.map_err(db_err)?;
    let key = (org, b.unit, b.month, b.domain.clone(), b.category.clone());
    let row =
        unique::Entity::find_by_id(key.clone()).lock_exclusive().one(c).await.map_err(db_err)?.ok_or_else(|| storage("bitmap row"))?;
    let mut bitmap = read_bitmap(&row.persons)?;
    f(&mut bitmap);
    unique::Entity::update_many()
        .col_expr(unique::Column::Persons, Expr::value(write_bitmap(&bitmap)?))
        .filter(unique::Column::OrgId.eq(org))
        .filter(unique::Column::UnitId.eq(b.unit))
        .filter(unique::Column::Month.eq(b.month))
        .filter(unique::Column::Domain.eq(b.domain.clone()))
        .filter(unique::Column::Category.eq(b.category.clone()))
        .exec(c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Of `nos`, those with an attendance left in the bucket.
async fn still_in_bucket<C: ConnectionTrait>(c: &C, org: Uuid, b: &Bucket, nos: &[i64]) -> Result<HashSet<i64>> {
    let mut out = HashSet::new();
    for chunk in nos.chunks(500) {
        let q = Query::select()
            .distinct()
            .column(attendance::Column::PersonNo)
            .from(attendance::Entity)
            .and_where(Expr::col(attendance::Column::OrgId).eq(org))
            .and_where(Expr::col(attendance::Column::UnitId).eq(b.unit))
            .and_where(Expr::col(attendance::Column::Month).eq(b.month))
            .and_where(Expr::col(attendance::Column::Domain).eq(b.domain.clone()))
            .and_where(Expr::col(attendance::Column::Category).eq(b.category.clone()))
            .and_where(Expr::col(attendance::Column::PersonNo).is_in(chunk.to_vec()))
            .to_owned();
        for row in c.query_all(&q).await.map_err(db_err)? {
            out.insert(row.try_get::<i64>("", "person_no").map_err(db_err)?);
        }
    }
    Ok(out)
}

/// Applies marks to a session whose row the caller has locked, keeping the rollups in step.
async fn apply_marks<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    s: &session::Model,
    a: &activity::Model,
    present: &BTreeSet<i64>,
    absent: &BTreeSet<i64>,
    now: DateTime<Utc>,
) -> Result<AttendanceOutcome> {
    let org = s.org_id;
    let existing: HashSet<i64> = attendance::Entity::find()
        .filter(attendance::Column::OrgId.eq(org))
        .filter(attendance::Column::SessionId.eq(s.id))
        .all(c)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|r| r.person_no)
        .collect();
    // Only people on this activity's list (walk-ins are put on it) or already marked here:
    // whoever takes attendance must not reach, or inflate the counts with, anyone else.
    let asked: Vec<i64> = present.iter().chain(absent.iter()).copied().filter(|n| !existing.contains(n)).collect();
    let mut known: HashSet<i64> = HashSet::new();
    for chunk in asked.chunks(500) {
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::OrgId.eq(org))
            .filter(enrolment::Column::ActivityId.eq(a.id))
            .filter(enrolment::Column::PersonNo.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        known.extend(rows.into_iter().map(|p| p.person_no));
    }
    if let Some(bad) = asked.iter().find(|n| !known.contains(n)) {
        return Err(DomainError::Invalid(vec![FieldError::new("present", "unknown-person").with("value", bad)]));
    }
    let to_add: Vec<i64> = present.iter().filter(|n| !existing.contains(n)).copied().collect();
    let to_remove: Vec<i64> = absent.iter().filter(|n| existing.contains(n) && !present.contains(n)).copied().collect();
    if to_add.is_empty() && to_remove.is_empty() {
        return Ok(AttendanceOutcome { added: 0, removed: 0, present: existing.len() as i64 });
    }
    let month = month_key(s.day);
    for chunk in to_add.chunks(500) {
        let rows: Vec<attendance::ActiveModel> = chunk
            .iter()
            .map(|no| attendance::ActiveModel {
                org_id: Set(org),
                session_id: Set(s.id),
                person_no: Set(*no),
                activity_id: Set(a.id),
                unit_id: Set(a.unit_id),
                day: Set(s.day),
                month: Set(month),
                domain: Set(a.domain.clone()),
                category: Set(a.category.clone()),
                kind: Set(a.kind.clone()),
                marked_by: Set(actor.user_id.map(|u| u.0)),
                marked_at: Set(now),
            })
            .collect();
        attendance::Entity::insert_many(rows).exec(c).await.map_err(db_err)?;
    }
    for chunk in to_remove.chunks(500) {
        attendance::Entity::delete_many()
            .filter(attendance::Column::OrgId.eq(org))
            .filter(attendance::Column::SessionId.eq(s.id))
            .filter(attendance::Column::PersonNo.is_in(chunk.to_vec()))
            .exec(c)
            .await
            .map_err(db_err)?;
    }
    let before = existing.len() as i64;
    let after = before + to_add.len() as i64 - to_remove.len() as i64;
    session::Entity::update_many()
        .col_expr(session::Column::Attendance, Expr::value(after))
        .filter(session::Column::OrgId.eq(org))
        .filter(session::Column::Id.eq(s.id))
        .exec(c)
        .await
        .map_err(db_err)?;
    let held = i64::from(after > 0) - i64::from(before > 0);
    bump_totals(c, org, a.unit_id, s.day, &a.domain, &a.category, &a.kind, held, after - before).await?;
    let bucket = Bucket { unit: a.unit_id, month, domain: a.domain.clone(), category: a.category.clone() };
    let stay = still_in_bucket(c, org, &bucket, &to_remove).await?;
    let add: Vec<u32> = to_add.iter().map(|n| person_u32(*n)).collect::<Result<_>>()?;
    let gone: Vec<u32> = to_remove.iter().filter(|n| !stay.contains(n)).map(|n| person_u32(*n)).collect::<Result<_>>()?;
    update_bitmap(c, org, &bucket, |b| {
        for n in &add {
            b.insert(*n);
        }
        for n in &gone {
            b.remove(*n);
        }
    })
    .await?;
    // Person numbers only: who they are stays in the registry, not in the append-only log.
    let detail = json!({"activity_id": a.id, "attendance": {"added": to_add, "removed": to_remove}});
    append_in(c, actor, AuditEvent::new(Action::Update, "session", s.id).detail(detail), now).await.map_err(db_err)?;
    Ok(AttendanceOutcome { added: to_add.len() as u32, removed: to_remove.len() as u32, present: after })
}

async fn lock_session<C: ConnectionTrait>(c: &C, org: OrgId, id: SessionId) -> Result<session::Model> {
    session::Entity::find_by_id((org.0, id.0)).lock_exclusive().one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn has_attendance<C: ConnectionTrait>(c: &C, org: OrgId, id: ActivityId) -> Result<bool> {
    Ok(attendance::Entity::find()
        .filter(attendance::Column::OrgId.eq(org.0))
        .filter(attendance::Column::ActivityId.eq(id.0))
        .one(c)
        .await
        .map_err(db_err)?
        .is_some())
}

/// Derives every rollup of an agency from its attendance rows.
pub(crate) async fn rebuild<C: ConnectionTrait>(c: &C, org: Uuid) -> Result<()> {
    total::Entity::delete_many().filter(total::Column::OrgId.eq(org)).exec(c).await.map_err(db_err)?;
    unique::Entity::delete_many().filter(unique::Column::OrgId.eq(org)).exec(c).await.map_err(db_err)?;
    // Session counts are derived too.
    let count = Query::select()
        .expr(Expr::col(attendance::Column::PersonNo).count())
        .from(attendance::Entity)
        .and_where(Expr::col((attendance::Entity, attendance::Column::OrgId)).equals((session::Entity, session::Column::OrgId)))
        .and_where(Expr::col((attendance::Entity, attendance::Column::SessionId)).equals((session::Entity, session::Column::Id)))
        .to_owned();
    let q = Query::update()
        .table(session::Entity)
        .value(
            session::Column::Attendance,
            Expr::expr(sea_orm::sea_query::SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement()))),
        )
        .and_where(Expr::col(session::Column::OrgId).eq(org))
        .to_owned();
    c.execute(&q).await.map_err(db_err)?;

    let q = Query::select()
        .columns([
            attendance::Column::UnitId,
            attendance::Column::Day,
            attendance::Column::Domain,
            attendance::Column::Category,
            attendance::Column::Kind,
        ])
        .expr_as(Expr::col(attendance::Column::PersonNo).count(), "pt")
        .expr_as(Expr::col(attendance::Column::SessionId).count_distinct(), "sh")
        .from(attendance::Entity)
        .and_where(Expr::col(attendance::Column::OrgId).eq(org))
        .group_by_columns([
            attendance::Column::UnitId,
            attendance::Column::Day,
            attendance::Column::Domain,
            attendance::Column::Category,
            attendance::Column::Kind,
        ])
        .to_owned();
    let mut rows = Vec::new();
    for r in c.query_all(&q).await.map_err(db_err)? {
        rows.push(total::ActiveModel {
            org_id: Set(org),
            unit_id: Set(r.try_get("", "unit_id").map_err(db_err)?),
            day: Set(r.try_get("", "day").map_err(db_err)?),
            domain: Set(r.try_get("", "domain").map_err(db_err)?),
            category: Set(r.try_get("", "category").map_err(db_err)?),
            kind: Set(r.try_get("", "kind").map_err(db_err)?),
            sessions_held: Set(r.try_get("", "sh").map_err(db_err)?),
            person_times: Set(r.try_get("", "pt").map_err(db_err)?),
        });
    }
    for chunk in rows.chunks(1000) {
        total::Entity::insert_many(chunk.to_vec()).exec(c).await.map_err(db_err)?;
    }
    // Bitmaps, one unit at a time to bound memory.
    let units: Vec<Uuid> = c
        .query_all(
            &Query::select()
                .distinct()
                .column(attendance::Column::UnitId)
                .from(attendance::Entity)
                .and_where(Expr::col(attendance::Column::OrgId).eq(org))
                .to_owned(),
        )
        .await
        .map_err(db_err)?
        .into_iter()
        .filter_map(|r| r.try_get::<Uuid>("", "unit_id").ok())
        .collect();
    for unit in units {
        let q = Query::select()
            .distinct()
            .columns([attendance::Column::Month, attendance::Column::Domain, attendance::Column::Category, attendance::Column::PersonNo])
            .from(attendance::Entity)
            .and_where(Expr::col(attendance::Column::OrgId).eq(org))
            .and_where(Expr::col(attendance::Column::UnitId).eq(unit))
            .to_owned();
        let mut maps: BTreeMap<(i32, String, String), RoaringBitmap> = BTreeMap::new();
        for r in c.query_all(&q).await.map_err(db_err)? {
            let key = (
                r.try_get::<i32>("", "month").map_err(db_err)?,
                r.try_get::<String>("", "domain").map_err(db_err)?,
                r.try_get::<String>("", "category").map_err(db_err)?,
            );
            maps.entry(key).or_default().insert(person_u32(r.try_get::<i64>("", "person_no").map_err(db_err)?)?);
        }
        let mut models = Vec::new();
        for ((month, domain, category), b) in maps {
            models.push(unique::ActiveModel {
                org_id: Set(org),
                unit_id: Set(unit),
                month: Set(month),
                domain: Set(domain),
                category: Set(category),
                persons: Set(write_bitmap(&b)?),
            });
        }
        for chunk in models.chunks(200) {
            unique::Entity::insert_many(chunk.to_vec()).exec(c).await.map_err(db_err)?;
        }
    }
    Ok(())
}

/// Moves the activity records of a merged client onto the survivor (called by the merge, in
/// its transaction): enrolments, attendances and the rollups that counted them.
pub(crate) async fn merge_person<C: ConnectionTrait>(c: &C, org: OrgId, survivor: ClientId, merged: ClientId) -> Result<()> {
    let find =
        |id: ClientId| person::Entity::find().filter(person::Column::OrgId.eq(org.0)).filter(person::Column::ClientId.eq(id.0)).one(c);
    let Some(gone) = find(merged).await.map_err(db_err)? else {
        return Ok(());
    };
    let Some(kept) = find(survivor).await.map_err(db_err)? else {
        // The survivor had no number: it takes the merged record's, and every count stands.
        person::Entity::update_many()
            .col_expr(person::Column::ClientId, Expr::value(Some(survivor.0)))
            .filter(person::Column::OrgId.eq(org.0))
            .filter(person::Column::PersonNo.eq(gone.person_no))
            .exec(c)
            .await
            .map_err(db_err)?;
        return Ok(());
    };
    let (pg, pk) = (gone.person_no, kept.person_no);
    // Enrolments: keep the survivor's where both were enrolled.
    let kept_in: HashSet<Uuid> = enrolment::Entity::find()
        .filter(enrolment::Column::OrgId.eq(org.0))
        .filter(enrolment::Column::PersonNo.eq(pk))
        .all(c)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|e| e.activity_id)
        .collect();
    for e in enrolment::Entity::find()
        .filter(enrolment::Column::OrgId.eq(org.0))
        .filter(enrolment::Column::PersonNo.eq(pg))
        .all(c)
        .await
        .map_err(db_err)?
    {
        let q = enrolment::Entity::update_many()
            .filter(enrolment::Column::OrgId.eq(org.0))
            .filter(enrolment::Column::ActivityId.eq(e.activity_id));
        if kept_in.contains(&e.activity_id) {
            enrolment::Entity::delete_many()
                .filter(enrolment::Column::OrgId.eq(org.0))
                .filter(enrolment::Column::ActivityId.eq(e.activity_id))
                .filter(enrolment::Column::PersonNo.eq(pg))
                .exec(c)
                .await
                .map_err(db_err)?;
        } else {
            q.col_expr(enrolment::Column::PersonNo, Expr::value(pk))
                .filter(enrolment::Column::PersonNo.eq(pg))
                .exec(c)
                .await
                .map_err(db_err)?;
        }
    }
    // Attendances: one person at one session counts once.
    let rows = attendance::Entity::find()
        .filter(attendance::Column::OrgId.eq(org.0))
        .filter(attendance::Column::PersonNo.eq(pg))
        .order_by_asc(attendance::Column::SessionId)
        .all(c)
        .await
        .map_err(db_err)?;
    let mut buckets: BTreeSet<Bucket> = BTreeSet::new();
    for r in rows {
        buckets.insert(Bucket { unit: r.unit_id, month: r.month, domain: r.domain.clone(), category: r.category.clone() });
        let both = attendance::Entity::find_by_id((org.0, r.session_id, pk)).one(c).await.map_err(db_err)?.is_some();
        if both {
            attendance::Entity::delete_many()
                .filter(attendance::Column::OrgId.eq(org.0))
                .filter(attendance::Column::SessionId.eq(r.session_id))
                .filter(attendance::Column::PersonNo.eq(pg))
                .exec(c)
                .await
                .map_err(db_err)?;
            session::Entity::update_many()
                .col_expr(session::Column::Attendance, Expr::col(session::Column::Attendance).sub(1i64))
                .filter(session::Column::OrgId.eq(org.0))
                .filter(session::Column::Id.eq(r.session_id))
                .exec(c)
                .await
                .map_err(db_err)?;
            bump_totals(c, org.0, r.unit_id, r.day, &r.domain, &r.category, &r.kind, 0, -1).await?;
        } else {
            attendance::Entity::update_many()
                .col_expr(attendance::Column::PersonNo, Expr::value(pk))
                .filter(attendance::Column::OrgId.eq(org.0))
                .filter(attendance::Column::SessionId.eq(r.session_id))
                .filter(attendance::Column::PersonNo.eq(pg))
                .exec(c)
                .await
                .map_err(db_err)?;
        }
    }
    let (ug, uk) = (person_u32(pg)?, person_u32(pk)?);
    for b in &buckets {
        update_bitmap(c, org.0, b, |m| {
            m.remove(ug);
            m.insert(uk);
        })
        .await?;
    }
    person::Entity::delete_many()
        .filter(person::Column::OrgId.eq(org.0))
        .filter(person::Column::PersonNo.eq(pg))
        .exec(c)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn month_label(key: i32) -> String {
    format!("{:04}-{:02}", key / 100, key % 100)
}

/// The breakdown key of a row for a grain.
fn grain_key(g: CountGrain, unit: &Uuid, month: i32, domain: &str, category: &str, kind: &str) -> String {
    match g {
        CountGrain::Total => String::new(),
        CountGrain::Unit => unit.to_string(),
        CountGrain::Domain => domain.to_string(),
        CountGrain::Category => category.to_string(),
        CountGrain::Month => month_label(month),
        CountGrain::Kind => kind.to_string(),
        CountGrain::UnitMonth => unit_month_key(unit, month),
    }
}

/// The key of a (unit, month) row: `<unit id>/YYYY-MM`.
fn unit_month_key(unit: &Uuid, month: i32) -> String {
    format!("{unit}/{}", month_label(month))
}

async fn enrolled_count<C: ConnectionTrait>(c: &C, org: Uuid, activity: Uuid) -> Result<u64> {
    enrolment::Entity::find()
        .filter(enrolment::Column::OrgId.eq(org))
        .filter(enrolment::Column::ActivityId.eq(activity))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled.as_str()))
        .count(c)
        .await
        .map_err(db_err)
}

async fn last_position<C: ConnectionTrait>(c: &C, org: Uuid, activity: Uuid) -> Result<i64> {
    let q = Query::select()
        .expr_as(Func::coalesce([Expr::col(enrolment::Column::Position).max(), Expr::val(0i64)]), "p")
        .from(enrolment::Entity)
        .and_where(Expr::col(enrolment::Column::OrgId).eq(org))
        .and_where(Expr::col(enrolment::Column::ActivityId).eq(activity))
        .to_owned();
    Ok(c.query_one(&q).await.map_err(db_err)?.and_then(|r| r.try_get::<i64>("", "p").ok()).unwrap_or(0))
}

/// Enrols one person: a place when there is one, else the waiting list.
async fn enrol_one<C: ConnectionTrait>(c: &C, a: &activity::Model, no: i64, now: DateTime<Utc>, out: &mut EnrolOutcome) -> Result<()> {
    let current = enrolment::Entity::find_by_id((a.org_id, a.id, no)).one(c).await.map_err(db_err)?;
    if current.as_ref().is_some_and(|e| e.status != EnrolmentStatus::Withdrawn.as_str()) {
        out.unchanged += 1;
        return Ok(());
    }
    let full = match a.capacity {
        Some(cap) => enrolled_count(c, a.org_id, a.id).await? >= cap as u64,
        None => false,
    };
    let status = if full { EnrolmentStatus::Waiting } else { EnrolmentStatus::Enrolled };
    let position = last_position(c, a.org_id, a.id).await? + 1;
    if current.is_some() {
        enrolment::Entity::delete_many()
            .filter(enrolment::Column::OrgId.eq(a.org_id))
            .filter(enrolment::Column::ActivityId.eq(a.id))
            .filter(enrolment::Column::PersonNo.eq(no))
            .exec(c)
            .await
            .map_err(db_err)?;
    }
    enrolment::ActiveModel {
        org_id: Set(a.org_id),
        activity_id: Set(a.id),
        person_no: Set(no),
        status: Set(status.as_str().into()),
        position: Set(position),
        enrolled_at: Set(now),
    }
    .insert(c)
    .await
    .map_err(db_err)?;
    if full {
        out.waiting += 1;
    } else {
        out.enrolled += 1;
    }
    Ok(())
}

#[async_trait]
impl ActivitiesRepo for Store {
    async fn activity_domains(&self, org: OrgId) -> Result<Vec<ActivityDomain>> {
        let read = || domain::Entity::find().filter(domain::Column::OrgId.eq(org.0)).order_by_asc(domain::Column::Sort).all(&self.db);
        let mut rows = read().await.map_err(db_err)?;
        if rows.is_empty() {
            let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
            for (i, d) in default_domains().into_iter().enumerate() {
                let q = Query::insert()
                    .into_table(domain::Entity)
                    .columns([
                        domain::Column::OrgId,
                        domain::Column::Code,
                        domain::Column::NameEn,
                        domain::Column::NameZhHant,
                        domain::Column::NameZhHans,
                        domain::Column::Core,
                        domain::Column::Active,
                        domain::Column::Sort,
                    ])
                    .values_panic([
                        org.0.into(),
                        d.code.into(),
                        d.name_en.into(),
                        d.name_zh_hant.into(),
                        d.name_zh_hans.into(),
                        d.core.into(),
                        d.active.into(),
                        (i as i32).into(),
                    ])
                    .on_conflict(OnConflict::columns([domain::Column::OrgId, domain::Column::Code]).do_nothing().to_owned())
                    .to_owned();
                txn.execute(&q).await.map_err(db_err)?;
            }
            txn.commit().await.map_err(db_err)?;
            rows = read().await.map_err(db_err)?;
        }
        Ok(rows
            .into_iter()
            .map(|m| ActivityDomain {
                code: m.code,
                name_en: m.name_en,
                name_zh_hant: m.name_zh_hant,
                name_zh_hans: m.name_zh_hans,
                core: m.core,
                active: m.active,
            })
            .collect())
    }

    async fn save_activity_domain(&self, actor: &Actor, d: &ActivityDomain) -> Result<()> {
        let org = actor.org_id;
        let existing = self.activity_domains(org).await?;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        match existing.iter().position(|x| x.code == d.code) {
            Some(i) if existing[i].core && !d.active => return Err(DomainError::invalid("active", "core-domain")),
            Some(_) => {
                domain::Entity::update_many()
                    .col_expr(domain::Column::NameEn, Expr::value(d.name_en.clone()))
                    .col_expr(domain::Column::NameZhHant, Expr::value(d.name_zh_hant.clone()))
                    .col_expr(domain::Column::NameZhHans, Expr::value(d.name_zh_hans.clone()))
                    .col_expr(domain::Column::Active, Expr::value(d.active))
                    .filter(domain::Column::OrgId.eq(org.0))
                    .filter(domain::Column::Code.eq(d.code.clone()))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?;
            }
            None => {
                domain::ActiveModel {
                    org_id: Set(org.0),
                    code: Set(d.code.clone()),
                    name_en: Set(d.name_en.clone()),
                    name_zh_hant: Set(d.name_zh_hant.clone()),
                    name_zh_hans: Set(d.name_zh_hans.clone()),
                    core: Set(false),
                    active: Set(d.active),
                    sort: Set(existing.len() as i32),
                }
                .insert(&txn)
                .await
                .map_err(db_err)?;
            }
        }
        let detail = json!({"active": d.active});
        append_in(&txn, actor, AuditEvent::new(Action::Update, "activity_domain", &d.code).detail(detail), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn create_activity(&self, actor: &Actor, f: &ActivityFields) -> Result<Activity> {
        let now = self.now();
        let org = actor.org_id;
        let id = ActivityId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut a = activity::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            eval_met: Set(None),
            eval_summary: Set(None),
            eval_on: Set(None),
            eval_by: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        set_activity_fields(&mut a, f);
        a.insert(&txn).await.map_err(unknown_unit)?;
        write_staff(&txn, org, id, &f.staff).await?;
        let detail = json!({"unit_id": f.unit_id, "kind": f.kind.as_str(), "domain": f.domain});
        append_in(&txn, actor, AuditEvent::new(Action::Create, "activity", id).detail(detail), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        full_activity(&self.db, org, id).await
    }

    async fn get_activity(&self, org: OrgId, id: ActivityId) -> Result<Activity> {
        full_activity(&self.db, org, id).await
    }

    async fn update_activity(&self, actor: &Actor, id: ActivityId, version: i64, f: &ActivityFields) -> Result<Activity> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = lock_activity(&txn, org, id).await?;
        if before.version != version {
            return Err(DomainError::Stale);
        }
        let counting_changed = before.unit_id != f.unit_id.0
            || before.kind != f.kind.as_str()
            || before.domain != f.domain
            || before.category != f.count_category();
        if counting_changed && has_attendance(&txn, org, id).await? {
            // The counts already hold these; changing them would rewrite funded figures.
            return Err(DomainError::invalid("domain", "counting-locked"));
        }
        let staff_before = staff_of(&txn, org, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        let fields = changed(&before, f, &staff_before);
        let mut a = activity::ActiveModel { version: Set(version.saturating_add(1)), updated_at: Set(now), ..Default::default() };
        set_activity_fields(&mut a, f);
        activity::Entity::update_many()
            .set(a)
            .filter(activity::Column::OrgId.eq(org.0))
            .filter(activity::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(unknown_unit)?;
        if before.unit_id != f.unit_id.0 {
            session::Entity::update_many()
                .col_expr(session::Column::UnitId, Expr::value(f.unit_id.0))
                .filter(session::Column::OrgId.eq(org.0))
                .filter(session::Column::ActivityId.eq(id.0))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        write_staff(&txn, org, id, &f.staff).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "activity", id).detail(json!({"changed": fields})), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        full_activity(&self.db, org, id).await
    }

    async fn list_activities(&self, org: OrgId, filter: &ActivityFilter, units: Option<&[UnitId]>, limit: u64) -> Result<Vec<Activity>> {
        let mut q = activity::Entity::find().filter(activity::Column::OrgId.eq(org.0));
        if let Some(units) = units {
            q = q.filter(activity::Column::UnitId.is_in(units.iter().map(|u| u.0)));
        }
        if let Some(u) = filter.unit_id {
            q = q.filter(activity::Column::UnitId.eq(u.0));
        }
        for (col, v) in
            [(activity::Column::Kind, &filter.kind), (activity::Column::Domain, &filter.domain), (activity::Column::Status, &filter.status)]
        {
            if !v.trim().is_empty() {
                q = q.filter(col.eq(v.trim()));
            }
        }
        let needle = filter.q.trim().to_lowercase();
        let mut out = Vec::new();
        let mut offset = 0;
        // Title text is matched here, in pages, so a search never loads the whole list.
        loop {
            let page =
                q.clone().order_by_desc(activity::Column::CreatedAt).offset(offset).limit(500).all(&self.db).await.map_err(db_err)?;
            let n = page.len() as u64;
            for m in page {
                if needle.is_empty() || [&m.title_en, &m.title_zh_hant, &m.title_zh_hans].iter().any(|t| t.to_lowercase().contains(&needle))
                {
                    out.push(m);
                }
            }
            offset += n;
            if n < 500 || out.len() as u64 >= limit {
                break;
            }
        }
        out.truncate(limit as usize);
        let ids: Vec<Uuid> = out.iter().map(|m| m.id).collect();
        let mut staff = staff_of(&self.db, org, &ids).await?;
        Ok(out
            .into_iter()
            .map(|m| {
                let s = staff.remove(&m.id).unwrap_or_default();
                to_activity(m, s)
            })
            .collect())
    }

    async fn evaluate_activity(&self, actor: &Actor, id: ActivityId, version: i64, e: &Evaluation) -> Result<Activity> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = activity::Entity::update_many()
            .col_expr(activity::Column::EvalMet, Expr::value(Some(e.objectives_met.as_str())))
            .col_expr(activity::Column::EvalSummary, Expr::value(Some(e.summary.clone())))
            .col_expr(activity::Column::EvalOn, Expr::value(Some(e.evaluated_on)))
            .col_expr(activity::Column::EvalBy, Expr::value(Some(e.evaluated_by.clone())))
            .col_expr(activity::Column::Status, Expr::value(ActivityStatus::Completed.as_str()))
            .col_expr(activity::Column::Version, Expr::value(version.saturating_add(1)))
            .col_expr(activity::Column::UpdatedAt, Expr::value(now))
            .filter(activity::Column::OrgId.eq(org.0))
            .filter(activity::Column::Id.eq(id.0))
            .filter(activity::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            load_activity(&txn, org, id).await?;
            return Err(DomainError::Stale);
        }
        let detail = json!({"evaluation": {"objectives_met": e.objectives_met.as_str(), "fields": ["summary"]}, "status": "completed"});
        append_in(&txn, actor, AuditEvent::new(Action::Update, "activity", id).detail(detail), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        full_activity(&self.db, org, id).await
    }

    async fn add_session(&self, actor: &Actor, activity_id: ActivityId, f: &SessionFields) -> Result<Session> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let a = lock_activity(&txn, org, activity_id).await?;
        let q = Query::select()
            .expr_as(Func::coalesce([Expr::col(session::Column::Number).max(), Expr::val(0i32)]), "n")
            .from(session::Entity)
            .and_where(Expr::col(session::Column::OrgId).eq(org.0))
            .and_where(Expr::col(session::Column::ActivityId).eq(activity_id.0))
            .to_owned();
        let number = txn.query_one(&q).await.map_err(db_err)?.and_then(|r| r.try_get::<i32>("", "n").ok()).unwrap_or(0) + 1;
        let id = SessionId::new();
        session::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            activity_id: Set(a.id),
            unit_id: Set(a.unit_id),
            number: Set(number),
            day: Set(f.date),
            month: Set(month_key(f.date)),
            starts_at: Set(f.starts_at.clone()),
            ends_at: Set(f.ends_at.clone()),
            venue: Set(f.venue.clone()),
            log: Set(String::new()),
            attendance: Set(0),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let detail = json!({"activity_id": activity_id, "date": f.date, "number": number});
        append_in(&txn, actor, AuditEvent::new(Action::Create, "session", id).detail(detail), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.get_session(org, id).await
    }

    async fn get_session(&self, org: OrgId, id: SessionId) -> Result<Session> {
        let m = session::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        Ok(to_session(m))
    }

    async fn sessions(&self, org: OrgId, activity_id: ActivityId) -> Result<Vec<Session>> {
        Ok(session::Entity::find()
            .filter(session::Column::OrgId.eq(org.0))
            .filter(session::Column::ActivityId.eq(activity_id.0))
            .order_by_asc(session::Column::Day)
            .order_by_asc(session::Column::StartsAt)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_session)
            .collect())
    }

    async fn save_session_log(&self, actor: &Actor, id: SessionId, version: i64, log: &str) -> Result<Session> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = session::Entity::update_many()
            .col_expr(session::Column::Log, Expr::value(log))
            .col_expr(session::Column::Version, Expr::value(version.saturating_add(1)))
            .col_expr(session::Column::UpdatedAt, Expr::value(now))
            .filter(session::Column::OrgId.eq(org.0))
            .filter(session::Column::Id.eq(id.0))
            .filter(session::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            lock_session(&txn, org, id).await?;
            return Err(DomainError::Stale);
        }
        append_in(&txn, actor, AuditEvent::new(Action::Update, "session", id).detail(json!({"changed": ["log"]})), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.get_session(org, id).await
    }

    async fn enrol(
        &self,
        actor: &Actor,
        activity_id: ActivityId,
        clients: &[ClientId],
        guest: Option<&GuestFields>,
    ) -> Result<EnrolOutcome> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        // The activity row is locked so that two enrolments never both take the last place.
        let a = lock_activity(&txn, org, activity_id).await?;
        let found = crate::clients::client::Entity::find()
            .filter(crate::clients::client::Column::OrgId.eq(org.0))
            .filter(crate::clients::client::Column::Id.is_in(clients.iter().map(|c| c.0)))
            .filter(crate::clients::client::Column::Status.eq("active"))
            .count(&txn)
            .await
            .map_err(db_err)?;
        let distinct: HashSet<ClientId> = clients.iter().copied().collect();
        if found as usize != distinct.len() {
            return Err(DomainError::invalid("clients", "unknown-client"));
        }
        let mut out = EnrolOutcome::default();
        let mut seen = HashSet::new();
        for c in clients {
            if seen.insert(*c) {
                let no = client_person(&txn, org, *c).await?;
                enrol_one(&txn, &a, no, now, &mut out).await?;
            }
        }
        let mut guests = 0;
        if let Some(g) = guest {
            let (_, no) = new_guest(&txn, org, a.unit_id, g, now).await?;
            enrol_one(&txn, &a, no, now, &mut out).await?;
            guests = 1;
        }
        let detail = json!({"clients": distinct.len(), "guests": guests, "enrolled": out.enrolled, "waiting": out.waiting});
        append_in(&txn, actor, AuditEvent::new(Action::Update, "activity", activity_id).detail(detail), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn withdraw(&self, actor: &Actor, activity_id: ActivityId, person_no: i64) -> Result<()> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let a = lock_activity(&txn, org, activity_id).await?;
        let e = enrolment::Entity::find_by_id((org.0, a.id, person_no)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let set_status = |no: i64, s: EnrolmentStatus| {
            enrolment::Entity::update_many()
                .col_expr(enrolment::Column::Status, Expr::value(s.as_str()))
                .filter(enrolment::Column::OrgId.eq(org.0))
                .filter(enrolment::Column::ActivityId.eq(a.id))
                .filter(enrolment::Column::PersonNo.eq(no))
                .exec(&txn)
        };
        set_status(person_no, EnrolmentStatus::Withdrawn).await.map_err(db_err)?;
        let mut promoted = None;
        if e.status == EnrolmentStatus::Enrolled.as_str() {
            let next = enrolment::Entity::find()
                .filter(enrolment::Column::OrgId.eq(org.0))
                .filter(enrolment::Column::ActivityId.eq(a.id))
                .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waiting.as_str()))
                .order_by_asc(enrolment::Column::Position)
                .one(&txn)
                .await
                .map_err(db_err)?;
            if let Some(n) = next {
                set_status(n.person_no, EnrolmentStatus::Enrolled).await.map_err(db_err)?;
                promoted = Some(n.person_no);
            }
        }
        let detail = json!({"withdrawn": person_no, "from_waiting_list": promoted});
        append_in(&txn, actor, AuditEvent::new(Action::Update, "activity", activity_id).detail(detail), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn participants(&self, org: OrgId, activity_id: ActivityId) -> Result<Vec<Participant>> {
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::OrgId.eq(org.0))
            .filter(enrolment::Column::ActivityId.eq(activity_id.0))
            .order_by_asc(enrolment::Column::Position)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let nos: Vec<i64> = rows.iter().map(|r| r.person_no).collect();
        let names = people(&self.db, org, &nos).await?;
        let mut place = 0;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let (attendee, name) = names.get(&r.person_no).cloned()?;
                let status = EnrolmentStatus::parse(&r.status).unwrap_or(EnrolmentStatus::Enrolled);
                let waiting_place = (status == EnrolmentStatus::Waiting).then(|| {
                    place += 1;
                    place
                });
                Some(Participant { person_no: r.person_no, attendee, name, status, waiting_place, enrolled_at: r.enrolled_at })
            })
            .collect())
    }

    async fn attendance(&self, org: OrgId, session_id: SessionId) -> Result<Vec<AttendanceLine>> {
        let s = session::Entity::find_by_id((org.0, session_id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let enrolments = enrolment::Entity::find()
            .filter(enrolment::Column::OrgId.eq(org.0))
            .filter(enrolment::Column::ActivityId.eq(s.activity_id))
            .order_by_asc(enrolment::Column::Position)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let present: HashSet<i64> = attendance::Entity::find()
            .filter(attendance::Column::OrgId.eq(org.0))
            .filter(attendance::Column::SessionId.eq(s.id))
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| r.person_no)
            .collect();
        let mut order: Vec<(i64, Option<EnrolmentStatus>)> = enrolments
            .iter()
            .filter(|e| e.status == EnrolmentStatus::Enrolled.as_str() || present.contains(&e.person_no))
            .map(|e| (e.person_no, EnrolmentStatus::parse(&e.status)))
            .collect();
        let listed: HashSet<i64> = order.iter().map(|(n, _)| *n).collect();
        let mut extra: Vec<i64> = present.iter().filter(|n| !listed.contains(n)).copied().collect();
        extra.sort();
        order.extend(extra.into_iter().map(|n| (n, None)));
        let nos: Vec<i64> = order.iter().map(|(n, _)| *n).collect();
        let names = people(&self.db, org, &nos).await?;
        Ok(order
            .into_iter()
            .filter_map(|(no, enrolment)| {
                let (attendee, name) = names.get(&no).cloned()?;
                Some(AttendanceLine { person_no: no, attendee, name, enrolment, present: present.contains(&no) })
            })
            .collect())
    }

    async fn mark_attendance(&self, actor: &Actor, session_id: SessionId, input: &AttendanceInput) -> Result<AttendanceOutcome> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        // Markers of one session queue on its row; the unique key makes a repeat a no-op.
        let s = lock_session(&txn, org, session_id).await?;
        let a = load_activity(&txn, org, ActivityId(s.activity_id)).await?;
        let mut present: BTreeSet<i64> = input.present.iter().copied().collect();
        if input.all_enrolled_present {
            present.extend(
                enrolment::Entity::find()
                    .filter(enrolment::Column::OrgId.eq(org.0))
                    .filter(enrolment::Column::ActivityId.eq(a.id))
                    .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled.as_str()))
                    .all(&txn)
                    .await
                    .map_err(db_err)?
                    .into_iter()
                    .map(|e| e.person_no),
            );
        }
        let absent: BTreeSet<i64> = input.absent.iter().copied().filter(|n| !present.contains(n)).collect();
        let out = apply_marks(&txn, actor, &s, &a, &present, &absent, now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn add_walk_in(&self, actor: &Actor, session_id: SessionId, g: &GuestFields) -> Result<i64> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let s = lock_session(&txn, org, session_id).await?;
        let a = load_activity(&txn, org, ActivityId(s.activity_id)).await?;
        let (guest_id, no) = new_guest(&txn, org, a.unit_id, g, now).await?;
        // A walk-in attended: they are a participant from now on, whatever the capacity.
        let position = last_position(&txn, org.0, a.id).await? + 1;
        enrolment::ActiveModel {
            org_id: Set(org.0),
            activity_id: Set(a.id),
            person_no: Set(no),
            status: Set(EnrolmentStatus::Enrolled.as_str().into()),
            position: Set(position),
            enrolled_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let filled: Vec<&str> = [("sex", g.sex != shegong_domain::clients::Sex::Unknown), ("age_band", g.age_band.is_some())]
            .into_iter()
            .filter_map(|(k, yes)| yes.then_some(k))
            .collect();
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "guest", guest_id).detail(json!({"session_id": session_id, "fields": filled})),
            now,
        )
        .await
        .map_err(db_err)?;
        apply_marks(&txn, actor, &s, &a, &BTreeSet::from([no]), &BTreeSet::new(), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(no)
    }

    async fn person_number(&self, org: OrgId, client: ClientId) -> Result<i64> {
        if let Some(p) = person::Entity::find()
            .filter(person::Column::OrgId.eq(org.0))
            .filter(person::Column::ClientId.eq(client.0))
            .one(&self.db)
            .await
            .map_err(db_err)?
        {
            return Ok(p.person_no);
        }
        crate::clients::client::Entity::find_by_id((org.0, client.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let no = client_person(&txn, org, client).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(no)
    }

    async fn calendar(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        worker: Option<UserId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CalendarEntry>> {
        let in_range = || {
            session::Entity::find()
                .filter(session::Column::OrgId.eq(org.0))
                .filter(session::Column::Day.gte(from))
                .filter(session::Column::Day.lte(to))
        };
        let mut q = in_range();
        if let Some(units) = units {
            q = q.filter(session::Column::UnitId.is_in(units.iter().map(|u| u.0)));
        }
        if let Some(w) = worker {
            let mine = Query::select()
                .column(staff::Column::ActivityId)
                .from(staff::Entity)
                .and_where(Expr::col(staff::Column::OrgId).eq(org.0))
                .and_where(Expr::col(staff::Column::UserId).eq(w.0))
                .to_owned();
            q = q.filter(session::Column::ActivityId.in_subquery(mine));
        }
        let sessions =
            q.order_by_asc(session::Column::Day).order_by_asc(session::Column::StartsAt).limit(5000).all(&self.db).await.map_err(db_err)?;
        let ids: Vec<Uuid> = sessions.iter().map(|s| s.activity_id).collect::<HashSet<_>>().into_iter().collect();
        let staff = staff_of(&self.db, org, &ids).await?;
        let mut activities: HashMap<Uuid, activity::Model> = HashMap::new();
        for chunk in ids.chunks(500) {
            for m in activity::Entity::find()
                .filter(activity::Column::OrgId.eq(org.0))
                .filter(activity::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .map_err(db_err)?
            {
                activities.insert(m.id, m);
            }
        }
        // Clashes count every session of the same staff, in any unit.
        let people: Vec<Uuid> = staff.values().flatten().map(|u| u.0).collect::<HashSet<_>>().into_iter().collect();
        let mut busy: HashMap<Uuid, Vec<(Uuid, NaiveDate, String, String)>> = HashMap::new();
        for chunk in people.chunks(200) {
            let theirs = Query::select()
                .column(staff::Column::ActivityId)
                .from(staff::Entity)
                .and_where(Expr::col(staff::Column::OrgId).eq(org.0))
                .and_where(Expr::col(staff::Column::UserId).is_in(chunk.to_vec()))
                .to_owned();
            let other = in_range().filter(session::Column::ActivityId.in_subquery(theirs)).all(&self.db).await.map_err(db_err)?;
            let other_ids: Vec<Uuid> = other.iter().map(|s| s.activity_id).collect::<HashSet<_>>().into_iter().collect();
            let other_staff = staff_of(&self.db, org, &other_ids).await?;
            for s in other {
                for u in other_staff.get(&s.activity_id).into_iter().flatten() {
                    busy.entry(u.0).or_default().push((s.id, s.day, s.starts_at.clone(), s.ends_at.clone()));
                }
            }
        }
        Ok(sessions
            .into_iter()
            .map(|s| {
                let a = activities.get(&s.activity_id);
                let st = staff.get(&s.activity_id).cloned().unwrap_or_default();
                let clashes_for =
                    st.iter()
                        .filter(|u| {
                            busy.get(&u.0).into_iter().flatten().any(|(id, day, start, end)| {
                                *id != s.id && *day == s.day && overlaps((&s.starts_at, &s.ends_at), (start, end))
                            })
                        })
                        .copied()
                        .collect();
                CalendarEntry {
                    activity_title: a
                        .map(|a| {
                            [&a.title_zh_hant, &a.title_zh_hans, &a.title_en]
                                .into_iter()
                                .find(|t| !t.is_empty())
                                .cloned()
                                .unwrap_or_default()
                        })
                        .unwrap_or_default(),
                    kind: a.and_then(|a| ActivityKind::parse(&a.kind)).unwrap_or(ActivityKind::Programme),
                    staff: st,
                    clashes_for,
                    session: to_session(s),
                }
            })
            .collect())
    }

    async fn activity_counts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
        g: CountGrain,
    ) -> Result<Vec<CountRow>> {
        let unit_ids: Option<Vec<Uuid>> = units.map(|u| u.iter().map(|x| x.0).collect());
        let mut rows: BTreeMap<String, CountRow> = BTreeMap::new();
        // Sessions held and person-times: sums of the daily totals.
        let group_cols: Vec<total::Column> = match g {
            CountGrain::Total => vec![],
            CountGrain::Unit => vec![total::Column::UnitId],
            CountGrain::Domain => vec![total::Column::Domain],
            CountGrain::Category => vec![total::Column::Category],
            CountGrain::Month => vec![total::Column::Day],
            CountGrain::Kind => vec![total::Column::Kind],
            CountGrain::UnitMonth => vec![total::Column::UnitId, total::Column::Day],
        };
        let mut q = Query::select();
        q.columns(group_cols.clone())
            // SUM is numeric on PostgreSQL: cast back to a 64-bit integer on both.
            .expr_as(Func::cast_as(Expr::col(total::Column::SessionsHeld).sum(), Alias::new("BIGINT")), "sh")
            .expr_as(Func::cast_as(Expr::col(total::Column::PersonTimes).sum(), Alias::new("BIGINT")), "pt")
            .from(total::Entity)
            .and_where(Expr::col(total::Column::OrgId).eq(org.0))
            .and_where(Expr::col(total::Column::Day).gte(from))
            .and_where(Expr::col(total::Column::Day).lte(to))
            .group_by_columns(group_cols);
        if let Some(u) = &unit_ids {
            q.and_where(Expr::col(total::Column::UnitId).is_in(u.clone()));
        }
        let entry = |rows: &mut BTreeMap<String, CountRow>, key: String| {
            rows.entry(key.clone())
                .or_insert(CountRow {
                    key,
                    sessions_held: 0,
                    activities_held: 0,
                    person_times: 0,
                    unique_persons: (g != CountGrain::Kind).then_some(0),
                })
                .key
                .clone()
        };
        for r in self.db.query_all(&q).await.map_err(db_err)? {
            let num = |name: &str| -> i64 { r.try_get::<i64>("", name).unwrap_or(0) };
            let key = match g {
                CountGrain::Total => String::new(),
                CountGrain::Unit => r.try_get::<Uuid>("", "unit_id").map(|u| u.to_string()).unwrap_or_default(),
                CountGrain::Month => r.try_get::<NaiveDate>("", "day").map(|d| month_label(month_key(d))).unwrap_or_default(),
                CountGrain::Domain => r.try_get::<String>("", "domain").unwrap_or_default(),
                CountGrain::Category => r.try_get::<String>("", "category").unwrap_or_default(),
                CountGrain::Kind => r.try_get::<String>("", "kind").unwrap_or_default(),
                CountGrain::UnitMonth => match (r.try_get::<Uuid>("", "unit_id"), r.try_get::<NaiveDate>("", "day")) {
                    (Ok(u), Ok(d)) => unit_month_key(&u, month_key(d)),
                    _ => String::new(),
                },
            };
            let k = entry(&mut rows, key);
            if let Some(x) = rows.get_mut(&k) {
                x.sessions_held += num("sh");
                x.person_times += num("pt");
            }
        }
        // Groups and events held: distinct activities with a held session in the period. The
        // (activity, month) pairs come from a covering index; the activities' attributes are
        // then looked up once each, rather than joined row by row.
        let mut q = Query::select();
        q.column(session::Column::ActivityId)
            .column(session::Column::Month)
            .distinct()
            .from(session::Entity)
            .and_where(Expr::col(session::Column::OrgId).eq(org.0))
            .and_where(Expr::col(session::Column::Day).gte(from))
            .and_where(Expr::col(session::Column::Day).lte(to))
            .and_where(Expr::col(session::Column::Attendance).gt(0i64));
        if let Some(u) = &unit_ids {
            q.and_where(Expr::col(session::Column::UnitId).is_in(u.clone()));
        }
        let mut pairs: Vec<(Uuid, i32)> = Vec::new();
        for r in self.db.query_all(&q).await.map_err(db_err)? {
            pairs.push((r.try_get("", "activity_id").map_err(db_err)?, r.try_get("", "month").map_err(db_err)?));
        }
        let mut attrs: HashMap<Uuid, (Uuid, String, String, String)> = HashMap::new();
        let wanted: Vec<Uuid> = pairs.iter().map(|(a, _)| *a).collect::<HashSet<_>>().into_iter().collect();
        for chunk in wanted.chunks(5000) {
            let found: Vec<(Uuid, Uuid, String, String, String)> = activity::Entity::find()
                .select_only()
                .columns([
                    activity::Column::Id,
                    activity::Column::UnitId,
                    activity::Column::Domain,
                    activity::Column::Category,
                    activity::Column::Kind,
                ])
                .filter(activity::Column::OrgId.eq(org.0))
                .filter(activity::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(db_err)?;
            attrs.extend(found.into_iter().map(|(id, unit, domain, category, kind)| (id, (unit, domain, category, kind))));
        }
        let mut held: HashMap<String, HashSet<Uuid>> = HashMap::new();
        for (id, month) in pairs {
            if let Some((unit, domain, category, kind)) = attrs.get(&id) {
                held.entry(grain_key(g, unit, month, domain, category, kind)).or_default().insert(id);
            }
        }
        for (key, set) in held {
            let k = entry(&mut rows, key);
            if let Some(x) = rows.get_mut(&k) {
                x.activities_held = set.len() as i64;
            }
        }
        // Unique persons: the union of the monthly bitmaps of whole months, plus the people of
        // the days at the edges of a period that starts or ends inside a month.
        if g != CountGrain::Kind {
            let mut maps: HashMap<String, RoaringBitmap> = HashMap::new();
            let first_full = if from.day() == 1 { from } else { first_of_month(from).checked_add_months(Months::new(1)).unwrap_or(from) };
            let after_last_full = first_of_month(to.succ_opt().unwrap_or(to));
            if first_full < after_last_full {
                let last_full = after_last_full.pred_opt().unwrap_or(after_last_full);
                let mut q = unique::Entity::find()
                    .filter(unique::Column::OrgId.eq(org.0))
                    .filter(unique::Column::Month.gte(month_key(first_full)))
                    .filter(unique::Column::Month.lte(month_key(last_full)));
                if let Some(u) = &unit_ids {
                    q = q.filter(unique::Column::UnitId.is_in(u.clone()));
                }
                for m in q.all(&self.db).await.map_err(db_err)? {
                    let key = grain_key(g, &m.unit_id, m.month, &m.domain, &m.category, "");
                    *maps.entry(key).or_default() |= read_bitmap(&m.persons)?;
                }
            }
            let mut edges: Vec<(NaiveDate, NaiveDate)> = Vec::new();
            if first_full >= after_last_full {
                edges.push((from, to));
            } else {
                if from < first_full {
                    edges.push((from, first_full.pred_opt().unwrap_or(first_full)));
                }
                if after_last_full <= to {
                    edges.push((after_last_full, to));
                }
            }
            for (a, b) in edges {
                let mut q = Query::select();
                q.distinct()
                    .columns([
                        attendance::Column::UnitId,
                        attendance::Column::Month,
                        attendance::Column::Domain,
                        attendance::Column::Category,
                        attendance::Column::PersonNo,
                    ])
                    .from(attendance::Entity)
                    .and_where(Expr::col(attendance::Column::OrgId).eq(org.0))
                    .and_where(Expr::col(attendance::Column::Day).gte(a))
                    .and_where(Expr::col(attendance::Column::Day).lte(b));
                if let Some(u) = &unit_ids {
                    q.and_where(Expr::col(attendance::Column::UnitId).is_in(u.clone()));
                }
                for r in self.db.query_all(&q).await.map_err(db_err)? {
                    let unit: Uuid = r.try_get("", "unit_id").map_err(db_err)?;
                    let month: i32 = r.try_get("", "month").map_err(db_err)?;
                    let domain: String = r.try_get("", "domain").map_err(db_err)?;
                    let category: String = r.try_get("", "category").map_err(db_err)?;
                    let no: i64 = r.try_get("", "person_no").map_err(db_err)?;
                    maps.entry(grain_key(g, &unit, month, &domain, &category, "")).or_default().insert(person_u32(no)?);
                }
            }
            for (key, b) in maps {
                if b.is_empty() {
                    continue;
                }
                let k = entry(&mut rows, key);
                if let Some(x) = rows.get_mut(&k) {
                    x.unique_persons = Some(b.len() as i64);
                }
            }
        }
        if g == CountGrain::Total && rows.is_empty() {
            entry(&mut rows, String::new());
        }
        Ok(rows.into_values().collect())
    }

    async fn rebuild_activity_rollups(&self, org: OrgId) -> Result<()> {
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        rebuild(&txn, org.0).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn staff_attendance(&self, org: OrgId, session: SessionId) -> Result<Vec<StaffPresent>> {
        staff_present(&self.db, org, session).await
    }

    async fn set_staff_attendance(&self, actor: &Actor, session: SessionId, present: &[UserId]) -> Result<Vec<StaffPresent>> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        staff_attendance::Entity::delete_many()
            .filter(staff_attendance::Column::OrgId.eq(org.0))
            .filter(staff_attendance::Column::SessionId.eq(session.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let mut ids: Vec<UserId> = present.to_vec();
        ids.sort();
        ids.dedup();
        for u in &ids {
            staff_attendance::ActiveModel {
                org_id: Set(org.0),
                session_id: Set(session.0),
                user_id: Set(u.0),
                marked_by: Set(actor.name.clone()),
                marked_at: Set(now),
            }
            .insert(&txn)
            .await
            .map_err(db_err)?;
        }
        append_in(&txn, actor, AuditEvent::new(Action::Update, "session_staff", session).detail(json!({ "present": ids })), now)
            .await
            .map_err(db_err)?;
        let out = staff_present(&txn, org, session).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }
}

entity!(staff_attendance, "activity_staff_attendance", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] session_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] user_id: Uuid,
    marked_by: String,
    marked_at: ChronoDateTimeUtc,
});

async fn staff_present<C: ConnectionTrait>(c: &C, org: OrgId, session: SessionId) -> Result<Vec<StaffPresent>> {
    let rows = staff_attendance::Entity::find()
        .filter(staff_attendance::Column::OrgId.eq(org.0))
        .filter(staff_attendance::Column::SessionId.eq(session.0))
        .all(c)
        .await
        .map_err(db_err)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let names: HashMap<Uuid, String> = crate::accounts::user::Entity::find()
        .filter(crate::accounts::user::Column::OrgId.eq(org.0))
        .filter(crate::accounts::user::Column::Id.is_in(ids))
        .all(c)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut out: Vec<StaffPresent> = rows
        .into_iter()
        .map(|r| StaffPresent {
            user_id: UserId(r.user_id),
            name: names.get(&r.user_id).cloned().unwrap_or_default(),
            marked_by: r.marked_by,
            marked_at: r.marked_at,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Rows for the benchmark generator: written straight to the tables, then the rollups are
/// rebuilt from them (the same derivation the rebuild command and its test use).
pub struct BulkActivity {
    pub unit: UnitId,
    pub kind: ActivityKind,
    pub title: String,
    pub domain: String,
    pub category: String,
    pub sessions: Vec<(NaiveDate, String, String)>,
    /// Person numbers present at each session (index-aligned with `sessions`).
    pub present: Vec<Vec<i64>>,
    pub enrolled: Vec<i64>,
}

impl Store {
    /// Registers `guests` synthetic guests of `unit` for the benchmark generator and returns
    /// their person numbers (one block of the counter, taken in a single update).
    pub async fn bulk_person_numbers(&self, org: OrgId, guests: u32, unit: UnitId) -> Result<Vec<i64>> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let first = next_person_block(&txn, org, i64::from(guests)).await?;
        let mut out = Vec::with_capacity(guests as usize);
        let mut gs = Vec::new();
        let mut ps = Vec::new();
        for i in 0..guests {
            let id = Uuid::now_v7();
            let no = first + i64::from(i);
            gs.push(guest::ActiveModel {
                org_id: Set(org.0),
                id: Set(id),
                unit_id: Set(unit.0),
                name: Set(format!("Bench guest {no}")),
                sex: Set("unknown".into()),
                age_band: Set(None),
                created_at: Set(now),
            });
            ps.push(person::ActiveModel { org_id: Set(org.0), person_no: Set(no), client_id: Set(None), guest_id: Set(Some(id)) });
            out.push(no);
        }
        for chunk in gs.chunks(500) {
            guest::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        for chunk in ps.chunks(1000) {
            person::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(out)
    }

    /// Puts the given people on an activity's list as enrolled (benchmark set-up).
    pub async fn bulk_enrol(&self, org: OrgId, activity: ActivityId, people: &[i64]) -> Result<()> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let rows: Vec<enrolment::ActiveModel> = people
            .iter()
            .map(|no| enrolment::ActiveModel {
                org_id: Set(org.0),
                activity_id: Set(activity.0),
                person_no: Set(*no),
                status: Set(EnrolmentStatus::Enrolled.as_str().into()),
                position: Set(0),
                enrolled_at: Set(now),
            })
            .collect();
        for chunk in rows.chunks(1000) {
            enrolment::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)
    }

    /// Writes activities with their sessions, enrolments and attendances in one transaction
    /// (rollups are not touched: call `rebuild_activity_rollups` when done). Returns the rows.
    pub async fn bulk_insert_activities(&self, org: OrgId, batch: &[BulkActivity]) -> Result<u64> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut acts = Vec::new();
        let mut sessions = Vec::new();
        let mut enrols = Vec::new();
        let mut att = Vec::new();
        for b in batch {
            let id = Uuid::now_v7();
            acts.push(activity::ActiveModel {
                org_id: Set(org.0),
                id: Set(id),
                unit_id: Set(b.unit.0),
                kind: Set(b.kind.as_str().into()),
                title_en: Set(b.title.clone()),
                title_zh_hant: Set(String::new()),
                title_zh_hans: Set(String::new()),
                domain: Set(b.domain.clone()),
                categories: Set(b.category.clone()),
                category: Set(b.category.clone()),
                objectives: Set(String::new()),
                capacity: Set(None),
                audience: Set(Audience::Participants.as_str().into()),
                volunteers_needed: Set(0),
                partners: Set(String::new()),
                funding: Set(String::new()),
                status: Set(ActivityStatus::Completed.as_str().into()),
                stage: Set(None),
                eval_met: Set(None),
                eval_summary: Set(None),
                eval_on: Set(None),
                eval_by: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
            for (i, no) in b.enrolled.iter().enumerate() {
                enrols.push(enrolment::ActiveModel {
                    org_id: Set(org.0),
                    activity_id: Set(id),
                    person_no: Set(*no),
                    status: Set(EnrolmentStatus::Enrolled.as_str().into()),
                    position: Set(i as i64 + 1),
                    enrolled_at: Set(now),
                });
            }
            for (i, ((day, start, end), present)) in b.sessions.iter().zip(&b.present).enumerate() {
                let sid = Uuid::now_v7();
                sessions.push(session::ActiveModel {
                    org_id: Set(org.0),
                    id: Set(sid),
                    activity_id: Set(id),
                    unit_id: Set(b.unit.0),
                    number: Set(i as i32 + 1),
                    day: Set(*day),
                    month: Set(month_key(*day)),
                    starts_at: Set(start.clone()),
                    ends_at: Set(end.clone()),
                    venue: Set(String::new()),
                    log: Set(String::new()),
                    attendance: Set(present.len() as i64),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                for no in present {
                    att.push(attendance::ActiveModel {
                        org_id: Set(org.0),
                        session_id: Set(sid),
                        person_no: Set(*no),
                        activity_id: Set(id),
                        unit_id: Set(b.unit.0),
                        day: Set(*day),
                        month: Set(month_key(*day)),
                        domain: Set(b.domain.clone()),
                        category: Set(b.category.clone()),
                        kind: Set(b.kind.as_str().into()),
                        marked_by: Set(None),
                        marked_at: Set(now),
                    });
                }
            }
        }
        // Chunks stay under the bound-value limit of one statement.
        for chunk in acts.chunks(200) {
            activity::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        for chunk in sessions.chunks(500) {
            session::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        for chunk in enrols.chunks(1000) {
            enrolment::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        for chunk in att.chunks(2000) {
            attendance::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(att.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_round_trip() {
        let mut b = RoaringBitmap::new();
        b.insert(7);
        b.insert(4_000_000);
        let bytes = write_bitmap(&b).expect("write");
        assert_eq!(read_bitmap(&bytes).expect("read"), b);
        assert!(read_bitmap(&[]).expect("empty").is_empty());
    }

    #[test]
    fn month_labels() {
        assert_eq!(month_label(202611), "2026-11");
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_eq!(first_of_month(d), NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"));
    }
}
