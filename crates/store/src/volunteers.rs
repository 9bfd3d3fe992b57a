//! Volunteers: the register, courses, training records, pathway stages, duties, assignments and
//! the hours ledger. An assignment locks the volunteer's row (bumping `assign_seq`), looks for a
//! clash among their other duties and takes a place on the duty with a guarded increment of
//! `filled`, all in one transaction, so concurrent sign-ups never double-book a volunteer or
//! overfill a duty.

use crate::audit::append_in;
use crate::hotline::unit_filter;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::clients::IdDocType;
use shegong_domain::ids::{
    ActivityId, AssignmentId, ClientId, CourseId, DutyId, HourEntryId, OrgId, StageId, TrainingId, UnitId, UserId, VolunteerId,
};
use shegong_domain::ports::VolunteersRepo;
use shegong_domain::volunteers::{
    kinds, Assignment, AssignmentStatus, Busy, CheckStatus, Course, CourseFields, Duty, DutyFields, DutyStatus, HourEntry, HourFact,
    HourSource, HourStatus, HoursFields, PeerStage, SignUpVia, Slot, Stage, Training, Volunteer, VolunteerFields, VolunteerRole,
    VolunteerSettings,
};
use shegong_domain::{DomainError, FieldError, Result};
use std::collections::HashMap;

entity!(settings, "volunteer_settings", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    tiers: String,
    link_key: String,
    version: i64,
});

entity!(volunteer, "volunteers", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    client_id: Option<Uuid>,
    user_id: Option<Uuid>,
    name_zh: String,
    name_en: String,
    phone: String,
    email: String,
    id_doc_type: Option<String>,
    id_doc_number: Option<String>,
    district: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    roles: String,
    skills: String,
    languages: String,
    availability: String,
    team: String,
    check_status: String,
    check_expires_on: Option<Date>,
    emergency_name: String,
    emergency_phone: String,
    active: bool,
    joined_on: Date,
    assign_seq: i64,
    version: i64,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

entity!(course, "volunteer_courses", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    title_en: String,
    title_zh_hant: String,
    title_zh_hans: String,
    minutes: i32,
    valid_months: Option<i32>,
    required_for: String,
    active: bool,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

entity!(training, "volunteer_trainings", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    volunteer_id: Uuid,
    course_id: Uuid,
    completed_on: Date,
    expires_on: Option<Date>,
    recorded_by: String,
    created_at: ChronoDateTimeUtc,
});

entity!(stage, "volunteer_stages", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    volunteer_id: Uuid,
    stage: String,
    started_on: Date,
    note: String,
    recorded_by: String,
    created_at: ChronoDateTimeUtc,
});

entity!(duty, "volunteer_duties", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    kind: String,
    ref_id: Option<Uuid>,
    title: String,
    role: Option<String>,
    needed: i32,
    filled: i32,
    starts_at: ChronoDateTimeUtc,
    ends_at: ChronoDateTimeUtc,
    day: Date,
    location: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    client_id: Option<Uuid>,
    courses: String,
    skills: String,
    languages: String,
    needs_check: bool,
    status: String,
    created_by: String,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

entity!(assignment, "volunteer_assignments", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    duty_id: Uuid,
    volunteer_id: Uuid,
    unit_id: Uuid,
    starts_at: ChronoDateTimeUtc,
    ends_at: ChronoDateTimeUtc,
    status: String,
    via: String,
    check_in_at: Option<ChronoDateTimeUtc>,
    check_out_at: Option<ChronoDateTimeUtc>,
    hours_entry: Option<Uuid>,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

entity!(hours, "volunteer_hours", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    volunteer_id: Uuid,
    unit_id: Uuid,
    team: String,
    source: String,
    duty_id: Option<Uuid>,
    assignment_id: Option<Uuid>,
    served_on: Date,
    minutes: i32,
    content: String,
    status: String,
    decided_by: String,
    decided_at: Option<ChronoDateTimeUtc>,
    version: i64,
    created_at: ChronoDateTimeUtc,
});

fn join<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

fn split<T>(s: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    s.split(',').filter(|x| !x.is_empty()).filter_map(parse).collect()
}

fn words(s: &str) -> Vec<String> {
    split(s, |x| Some(x.to_string()))
}

fn storage(e: impl ToString) -> DomainError {
    DomainError::Storage(e.to_string())
}

fn to_volunteer(m: volunteer::Model) -> Volunteer {
    Volunteer {
        id: VolunteerId(m.id),
        org_id: OrgId(m.org_id),
        unit_id: UnitId(m.unit_id),
        client_id: m.client_id.map(ClientId),
        user_id: m.user_id.map(UserId),
        name_zh: m.name_zh,
        name_en: m.name_en,
        phone: m.phone,
        email: m.email,
        id_doc_type: m.id_doc_type.as_deref().and_then(IdDocType::parse),
        id_doc_number: m.id_doc_number,
        district: m.district,
        latitude: m.latitude,
        longitude: m.longitude,
        roles: split(&m.roles, VolunteerRole::parse),
        skills: words(&m.skills),
        languages: words(&m.languages),
        availability: split(&m.availability, Slot::parse),
        team: m.team,
        check_status: CheckStatus::parse(&m.check_status).unwrap_or(CheckStatus::NotDone),
        check_expires_on: m.check_expires_on,
        emergency_name: m.emergency_name,
        emergency_phone: m.emergency_phone,
        active: m.active,
        joined_on: m.joined_on,
        version: m.version,
        created_at: m.created_at,
    }
}

fn to_course(m: course::Model) -> Course {
    Course {
        id: CourseId(m.id),
        title_en: m.title_en,
        title_zh_hant: m.title_zh_hant,
        title_zh_hans: m.title_zh_hans,
        hours: f64::from(m.minutes) / 60.0,
        valid_months: m.valid_months.and_then(|v| u32::try_from(v).ok()),
        required_for: split(&m.required_for, VolunteerRole::parse),
        active: m.active,
        version: m.version,
    }
}

fn to_training(m: training::Model) -> Training {
    Training {
        id: TrainingId(m.id),
        volunteer_id: VolunteerId(m.volunteer_id),
        course_id: CourseId(m.course_id),
        completed_on: m.completed_on,
        expires_on: m.expires_on,
        recorded_by: m.recorded_by,
    }
}

fn to_stage(m: stage::Model) -> Stage {
    Stage {
        id: StageId(m.id),
        volunteer_id: VolunteerId(m.volunteer_id),
        stage: PeerStage::parse(&m.stage).unwrap_or(PeerStage::Enlightenment),
        started_on: m.started_on,
        note: m.note,
        recorded_by: m.recorded_by,
    }
}

fn to_duty(m: duty::Model) -> Duty {
    Duty {
        id: DutyId(m.id),
        org_id: OrgId(m.org_id),
        unit_id: UnitId(m.unit_id),
        kind: m.kind,
        ref_id: m.ref_id,
        title: m.title,
        role: m.role.as_deref().and_then(VolunteerRole::parse),
        needed: m.needed,
        filled: m.filled,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        day: m.day,
        location: m.location,
        latitude: m.latitude,
        longitude: m.longitude,
        client_id: m.client_id.map(ClientId),
        courses: split(&m.courses, |x| x.parse().ok()),
        skills: words(&m.skills),
        languages: words(&m.languages),
        needs_check: m.needs_check,
        status: DutyStatus::parse(&m.status).unwrap_or(DutyStatus::Open),
        created_by: m.created_by,
        version: m.version,
    }
}

fn to_assignment(m: assignment::Model, name: String) -> Assignment {
    Assignment {
        id: AssignmentId(m.id),
        duty_id: DutyId(m.duty_id),
        volunteer_id: VolunteerId(m.volunteer_id),
        volunteer_name: name,
        unit_id: UnitId(m.unit_id),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        status: AssignmentStatus::parse(&m.status).unwrap_or(AssignmentStatus::Withdrawn),
        via: SignUpVia::parse(&m.via).unwrap_or(SignUpVia::Staff),
        check_in_at: m.check_in_at,
        check_out_at: m.check_out_at,
        hours_entry: m.hours_entry.map(HourEntryId),
        version: m.version,
    }
}

fn to_hours(m: hours::Model) -> HourEntry {
    HourEntry {
        id: HourEntryId(m.id),
        volunteer_id: VolunteerId(m.volunteer_id),
        unit_id: UnitId(m.unit_id),
        source: HourSource::parse(&m.source).unwrap_or(HourSource::Staff),
        duty_id: m.duty_id.map(DutyId),
        assignment_id: m.assignment_id.map(AssignmentId),
        served_on: m.served_on,
        minutes: m.minutes,
        content: m.content,
        status: HourStatus::parse(&m.status).unwrap_or(HourStatus::Pending),
        decided_by: m.decided_by,
        version: m.version,
    }
}

fn volunteer_model(org: OrgId, id: Uuid, f: &VolunteerFields, version: i64, now: DateTime<Utc>) -> volunteer::ActiveModel {
    volunteer::ActiveModel {
        org_id: Set(org.0),
        id: Set(id),
        unit_id: Set(f.unit_id.0),
        client_id: Set(f.client_id.map(|c| c.0)),
        user_id: Set(f.user_id.map(|u| u.0)),
        name_zh: Set(f.name_zh.clone()),
        name_en: Set(f.name_en.clone()),
        phone: Set(f.phone.clone()),
        email: Set(f.email.clone()),
        id_doc_type: Set(f.id_doc.as_ref().map(|(t, _)| t.as_str().to_string())),
        id_doc_number: Set(f.id_doc.as_ref().map(|(_, n)| n.clone())),
        district: Set(f.district.clone()),
        latitude: Set(f.latitude),
        longitude: Set(f.longitude),
        roles: Set(join(&f.roles)),
        skills: Set(f.skills.join(",")),
        languages: Set(f.languages.join(",")),
        availability: Set(join(&f.availability)),
        team: Set(f.team.clone()),
        check_status: Set(f.check_status.as_str().into()),
        check_expires_on: Set(f.check_expires_on),
        emergency_name: Set(f.emergency_name.clone()),
        emergency_phone: Set(f.emergency_phone.clone()),
        active: Set(f.active),
        joined_on: Set(f.joined_on),
        version: Set(version),
        updated_at: Set(now),
        ..Default::default()
    }
}

async fn names<C: ConnectionTrait>(c: &C, org: OrgId, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(volunteer::Entity::find()
        .filter(volunteer::Column::OrgId.eq(org.0))
        .filter(volunteer::Column::Id.is_in(ids.iter().copied()))
        .all(c)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|v| (v.id, to_volunteer(v).display_name()))
        .collect())
}

async fn assignments_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<assignment::Model>) -> Result<Vec<Assignment>> {
    let ids: Vec<Uuid> = rows.iter().map(|a| a.volunteer_id).collect();
    let names = names(c, org, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let n = names.get(&m.volunteer_id).cloned().unwrap_or_default();
            to_assignment(m, n)
        })
        .collect())
}

async fn load_assignment(txn: &DatabaseTransaction, org: OrgId, id: AssignmentId) -> Result<assignment::Model> {
    assignment::Entity::find_by_id((org.0, id.0)).one(txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

/// Moves a merged person's volunteer records and the duties that serve them onto the survivor.
pub(crate) async fn repoint_client(txn: &DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    for table in [volunteer::Entity.table_name(), duty::Entity.table_name()] {
        crate::clients::repoint_rows(txn, table, org, from, to).await?;
    }
    Ok(())
}

async fn busy_in<C: ConnectionTrait>(c: &C, org: OrgId, v: VolunteerId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Busy>> {
    let rows = assignment::Entity::find()
        .filter(assignment::Column::OrgId.eq(org.0))
        .filter(assignment::Column::VolunteerId.eq(v.0))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Assigned.as_str()))
        .filter(assignment::Column::StartsAt.lt(to))
        .filter(assignment::Column::EndsAt.gt(from))
        .all(c)
        .await
        .map_err(db_err)?;
    let duty_ids: Vec<Uuid> = rows.iter().map(|a| a.duty_id).collect();
    let titles: HashMap<Uuid, String> = if duty_ids.is_empty() {
        HashMap::new()
    } else {
        duty::Entity::find()
            .filter(duty::Column::OrgId.eq(org.0))
            .filter(duty::Column::Id.is_in(duty_ids))
            .all(c)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|d| (d.id, d.title))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|a| Busy {
            duty_id: DutyId(a.duty_id),
            title: titles.get(&a.duty_id).cloned().unwrap_or_default(),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
        })
        .collect())
}

#[async_trait]
impl VolunteersRepo for Store {
    async fn volunteer_settings(&self, org: OrgId) -> Result<VolunteerSettings> {
        match settings::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)? {
            Some(m) => {
                let mut s: VolunteerSettings = serde_json::from_str(&m.tiers).map_err(storage)?;
                s.version = m.version;
                Ok(s)
            }
            None => Ok(VolunteerSettings::default()),
        }
    }

    async fn save_volunteer_settings(&self, actor: &Actor, s: &VolunteerSettings) -> Result<VolunteerSettings> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let stored = settings::Entity::find_by_id(org.0).one(&txn).await.map_err(db_err)?;
        if stored.as_ref().map(|m| m.version).unwrap_or(0) != s.version {
            return Err(DomainError::Stale);
        }
        let tiers = serde_json::to_string(&VolunteerSettings { version: 0, ..s.clone() }).map_err(storage)?;
        let version = s.version.saturating_add(1);
        match stored {
            Some(m) => {
                settings::Entity::update_many()
                    .col_expr(settings::Column::Tiers, Expr::value(tiers))
                    .col_expr(settings::Column::Version, Expr::value(version))
                    .filter(settings::Column::OrgId.eq(org.0))
                    .filter(settings::Column::Version.eq(m.version))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?;
            }
            None => {
                settings::ActiveModel { org_id: Set(org.0), tiers: Set(tiers), link_key: Set(String::new()), version: Set(version) }
                    .insert(&txn)
                    .await
                    .map_err(db_err)?;
            }
        }
        let codes: Vec<String> = s.individual.iter().chain(&s.team).map(|t| format!("{}:{}", t.code, t.hours)).collect();
        append_in(&txn, actor, AuditEvent::new(Action::Update, "volunteer_settings", org).detail(json!({ "tiers": codes })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(VolunteerSettings { version, ..s.clone() })
    }

    async fn volunteer_link_key(&self, org: OrgId, fresh: &[u8]) -> Result<Vec<u8>> {
        let stored = settings::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)?;
        if let Some(m) = &stored {
            if !m.link_key.is_empty() {
                return hex::decode(&m.link_key).map_err(storage);
            }
        }
        let key = hex::encode(fresh);
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let defaults = serde_json::to_string(&VolunteerSettings::default()).map_err(storage)?;
        settings::Entity::insert(settings::ActiveModel {
            org_id: Set(org.0),
            tiers: Set(defaults),
            link_key: Set(key.clone()),
            version: Set(0),
        })
        .on_conflict(OnConflict::column(settings::Column::OrgId).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        // Only an empty key is filled in: two first calls at once agree on the one stored first.
        settings::Entity::update_many()
            .col_expr(settings::Column::LinkKey, Expr::value(key))
            .filter(settings::Column::OrgId.eq(org.0))
            .filter(settings::Column::LinkKey.eq(""))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let m = settings::Entity::find_by_id(org.0).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        hex::decode(&m.link_key).map_err(storage)
    }

    async fn create_volunteer(&self, actor: &Actor, f: &VolunteerFields) -> Result<Volunteer> {
        let org = actor.org_id;
        let now = self.now();
        let id = VolunteerId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut m = volunteer_model(org, id.0, f, 1, now);
        m.assign_seq = Set(0);
        m.created_at = Set(now);
        let m = m.insert(&txn).await.map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer", id)
                .detail(json!({ "unit_id": f.unit_id, "client_id": f.client_id, "user_id": f.user_id, "roles": join(&f.roles) })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_volunteer(m))
    }

    async fn update_volunteer(&self, actor: &Actor, id: VolunteerId, version: i64, f: &VolunteerFields) -> Result<Volunteer> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = volunteer::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let done = volunteer::Entity::update_many()
            .set(volunteer_model(org, id.0, f, version.saturating_add(1), now))
            .filter(volunteer::Column::OrgId.eq(org.0))
            .filter(volunteer::Column::Id.eq(id.0))
            .filter(volunteer::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        let after = volunteer::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        // Field names only: never the values.
        let (b, a) = (to_volunteer(before), to_volunteer(after.clone()));
        let b = serde_json::to_value(&b).map_err(storage)?;
        let a = serde_json::to_value(&a).map_err(storage)?;
        let changed: Vec<&String> = a
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| !matches!(k.as_str(), "version") && b.get(k.as_str()) != Some(v))
            .map(|(k, _)| k)
            .collect();
        append_in(&txn, actor, AuditEvent::new(Action::Update, "volunteer", id).detail(json!({ "fields": changed })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_volunteer(after))
    }

    async fn get_volunteer(&self, org: OrgId, id: VolunteerId) -> Result<Volunteer> {
        volunteer::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_volunteer).ok_or(DomainError::NotFound)
    }

    async fn list_volunteers(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<Volunteer>> {
        let rows = volunteer::Entity::find()
            .filter(volunteer::Column::OrgId.eq(org.0))
            .filter(unit_filter(volunteer::Column::UnitId, units))
            .order_by_asc(volunteer::Column::NameZh)
            .order_by_asc(volunteer::Column::NameEn)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_volunteer).collect())
    }

    async fn volunteers_of_user(&self, org: OrgId, user: UserId) -> Result<Vec<Volunteer>> {
        let rows = volunteer::Entity::find()
            .filter(volunteer::Column::OrgId.eq(org.0))
            .filter(volunteer::Column::UserId.eq(user.0))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_volunteer).collect())
    }

    async fn volunteers_of_client(&self, org: OrgId, client: ClientId) -> Result<Vec<Volunteer>> {
        let rows = volunteer::Entity::find()
            .filter(volunteer::Column::OrgId.eq(org.0))
            .filter(volunteer::Column::ClientId.eq(client.0))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_volunteer).collect())
    }

    async fn courses(&self, org: OrgId) -> Result<Vec<Course>> {
        let rows = course::Entity::find()
            .filter(course::Column::OrgId.eq(org.0))
            .order_by_asc(course::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_course).collect())
    }

    async fn create_course(&self, actor: &Actor, f: &CourseFields) -> Result<Course> {
        let org = actor.org_id;
        let now = self.now();
        let id = CourseId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = course::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            title_en: Set(f.title_en.clone()),
            title_zh_hant: Set(f.title_zh_hant.clone()),
            title_zh_hans: Set(f.title_zh_hans.clone()),
            minutes: Set(f.minutes),
            valid_months: Set(f.valid_months.map(|m| m as i32)),
            required_for: Set(join(&f.required_for)),
            active: Set(f.active),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer_course", id).detail(json!({ "required_for": join(&f.required_for) })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_course(m))
    }

    async fn update_course(&self, actor: &Actor, id: CourseId, version: i64, f: &CourseFields) -> Result<Course> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let done = course::Entity::update_many()
            .col_expr(course::Column::TitleEn, Expr::value(f.title_en.clone()))
            .col_expr(course::Column::TitleZhHant, Expr::value(f.title_zh_hant.clone()))
            .col_expr(course::Column::TitleZhHans, Expr::value(f.title_zh_hans.clone()))
            .col_expr(course::Column::Minutes, Expr::value(f.minutes))
            .col_expr(course::Column::ValidMonths, Expr::value(f.valid_months.map(|m| m as i32)))
            .col_expr(course::Column::RequiredFor, Expr::value(join(&f.required_for)))
            .col_expr(course::Column::Active, Expr::value(f.active))
            .col_expr(course::Column::Version, Expr::value(version.saturating_add(1)))
            .filter(course::Column::OrgId.eq(org.0))
            .filter(course::Column::Id.eq(id.0))
            .filter(course::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            let exists = course::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.is_some();
            return Err(if exists { DomainError::Stale } else { DomainError::NotFound });
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "volunteer_course", id)
                .detail(json!({ "required_for": join(&f.required_for), "active": f.active })),
            now,
        )
        .await
        .map_err(db_err)?;
        let m = course::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_course(m))
    }

    async fn record_training(&self, actor: &Actor, v: VolunteerId, c: &Course, on: NaiveDate) -> Result<Training> {
        let org = actor.org_id;
        let now = self.now();
        let id = TrainingId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = training::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            volunteer_id: Set(v.0),
            course_id: Set(c.id.0),
            completed_on: Set(on),
            expires_on: Set(c.expires(on)),
            recorded_by: Set(actor.name.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer_training", id)
                .detail(json!({ "volunteer_id": v, "course_id": c.id, "completed_on": on })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_training(m))
    }

    async fn trainings(&self, org: OrgId, volunteers: Option<&[VolunteerId]>) -> Result<Vec<Training>> {
        let mut q = training::Entity::find().filter(training::Column::OrgId.eq(org.0));
        if let Some(vs) = volunteers {
            q = q.filter(training::Column::VolunteerId.is_in(vs.iter().map(|v| v.0)));
        }
        let rows = q.order_by_asc(training::Column::CompletedOn).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(to_training).collect())
    }

    async fn add_stage(&self, actor: &Actor, v: VolunteerId, s: PeerStage, on: NaiveDate, note: &str) -> Result<Stage> {
        let org = actor.org_id;
        let now = self.now();
        let id = StageId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = stage::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            volunteer_id: Set(v.0),
            stage: Set(s.as_str().into()),
            started_on: Set(on),
            note: Set(note.into()),
            recorded_by: Set(actor.name.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer_stage", id)
                .detail(json!({ "volunteer_id": v, "stage": s.as_str(), "started_on": on })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_stage(m))
    }

    async fn stages(&self, org: OrgId, v: VolunteerId) -> Result<Vec<Stage>> {
        let rows = stage::Entity::find()
            .filter(stage::Column::OrgId.eq(org.0))
            .filter(stage::Column::VolunteerId.eq(v.0))
            .order_by_asc(stage::Column::StartedOn)
            .order_by_asc(stage::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_stage).collect())
    }

    async fn create_duty(&self, actor: &Actor, f: &DutyFields) -> Result<Duty> {
        let org = actor.org_id;
        let now = self.now();
        let id = DutyId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = duty::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            kind: Set(f.kind.clone()),
            ref_id: Set(f.ref_id),
            title: Set(f.title.clone()),
            role: Set(f.role.map(|r| r.as_str().to_string())),
            needed: Set(f.needed),
            filled: Set(0),
            starts_at: Set(f.starts_at),
            ends_at: Set(f.ends_at),
            day: Set(f.day),
            location: Set(f.location.clone()),
            latitude: Set(f.latitude),
            longitude: Set(f.longitude),
            client_id: Set(f.client_id.map(|c| c.0)),
            courses: Set(join(&f.courses)),
            skills: Set(f.skills.join(",")),
            languages: Set(f.languages.join(",")),
            needs_check: Set(f.needs_check),
            status: Set(DutyStatus::Open.as_str().into()),
            created_by: Set(actor.name.clone()),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer_duty", id).detail(json!({
                "unit_id": f.unit_id, "kind": f.kind, "ref_id": f.ref_id, "needed": f.needed, "client_id": f.client_id,
                "courses": join(&f.courses),
            })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_duty(m))
    }

    async fn get_duty(&self, org: OrgId, id: DutyId) -> Result<Duty> {
        duty::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_duty).ok_or(DomainError::NotFound)
    }

    async fn list_duties(&self, org: OrgId, units: Option<&[UnitId]>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Duty>> {
        let rows = duty::Entity::find()
            .filter(duty::Column::OrgId.eq(org.0))
            .filter(unit_filter(duty::Column::UnitId, units))
            .filter(duty::Column::StartsAt.lt(to))
            .filter(duty::Column::EndsAt.gt(from))
            .order_by_asc(duty::Column::StartsAt)
            .limit(500)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_duty).collect())
    }

    async fn busy(&self, org: OrgId, v: VolunteerId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Busy>> {
        busy_in(&self.db, org, v, from, to).await
    }

    async fn assign(&self, actor: &Actor, duty_id: DutyId, v: VolunteerId, via: SignUpVia) -> Result<Assignment> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        // The volunteer's row lock: two sign-ups of one person queue here, so the clash check
        // below sees the other one.
        let locked = volunteer::Entity::update_many()
            .col_expr(volunteer::Column::AssignSeq, Expr::col(volunteer::Column::AssignSeq).add(1))
            .filter(volunteer::Column::OrgId.eq(org.0))
            .filter(volunteer::Column::Id.eq(v.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if locked.rows_affected != 1 {
            return Err(DomainError::NotFound);
        }
        let d = duty::Entity::find_by_id((org.0, duty_id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        if d.status != DutyStatus::Open.as_str() {
            return Err(DomainError::invalid("duty_id", "vol-duty-cancelled"));
        }
        let existing = assignment::Entity::find()
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::DutyId.eq(duty_id.0))
            .filter(assignment::Column::VolunteerId.eq(v.0))
            .one(&txn)
            .await
            .map_err(db_err)?;
        if existing.as_ref().is_some_and(|a| a.status == AssignmentStatus::Assigned.as_str()) {
            return Err(DomainError::invalid("volunteer_id", "vol-already-assigned"));
        }
        let clashes: Vec<FieldError> = busy_in(&txn, org, v, d.starts_at, d.ends_at)
            .await?
            .into_iter()
            .filter(|b| b.duty_id != duty_id)
            .map(|b| FieldError::new("volunteer_id", "vol-clash").with("detail", b.title))
            .collect();
        if !clashes.is_empty() {
            return Err(DomainError::Invalid(clashes));
        }
        // A guarded increment: the place is taken only while one is free.
        let took = duty::Entity::update_many()
            .col_expr(duty::Column::Filled, Expr::col(duty::Column::Filled).add(1))
            .filter(duty::Column::OrgId.eq(org.0))
            .filter(duty::Column::Id.eq(duty_id.0))
            .filter(Expr::col(duty::Column::Filled).lt(Expr::col(duty::Column::Needed)))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if took.rows_affected != 1 {
            return Err(DomainError::invalid("duty_id", "vol-duty-full"));
        }
        let m = match existing {
            Some(a) => {
                assignment::Entity::update_many()
                    .col_expr(assignment::Column::Status, Expr::value(AssignmentStatus::Assigned.as_str()))
                    .col_expr(assignment::Column::Via, Expr::value(via.as_str()))
                    .col_expr(assignment::Column::StartsAt, Expr::value(d.starts_at))
                    .col_expr(assignment::Column::EndsAt, Expr::value(d.ends_at))
                    .col_expr(assignment::Column::Version, Expr::value(a.version.saturating_add(1)))
                    .filter(assignment::Column::OrgId.eq(org.0))
                    .filter(assignment::Column::Id.eq(a.id))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?;
                load_assignment(&txn, org, AssignmentId(a.id)).await?
            }
            None => assignment::ActiveModel {
                org_id: Set(org.0),
                id: Set(AssignmentId::new().0),
                duty_id: Set(duty_id.0),
                volunteer_id: Set(v.0),
                unit_id: Set(d.unit_id),
                starts_at: Set(d.starts_at),
                ends_at: Set(d.ends_at),
                status: Set(AssignmentStatus::Assigned.as_str().into()),
                via: Set(via.as_str().into()),
                check_in_at: Set(None),
                check_out_at: Set(None),
                hours_entry: Set(None),
                version: Set(1),
                created_at: Set(now),
            }
            .insert(&txn)
            .await
            .map_err(db_err)?,
        };
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer_assignment", m.id)
                .detail(json!({ "duty_id": duty_id, "volunteer_id": v, "via": via.as_str() })),
            now,
        )
        .await
        .map_err(db_err)?;
        let out = assignments_named(&txn, org, vec![m]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn get_assignment(&self, org: OrgId, id: AssignmentId) -> Result<Assignment> {
        let m = assignment::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        assignments_named(&self.db, org, vec![m]).await?.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn duty_assignments(&self, org: OrgId, d: DutyId) -> Result<Vec<Assignment>> {
        let rows = assignment::Entity::find()
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::DutyId.eq(d.0))
            .order_by_asc(assignment::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        assignments_named(&self.db, org, rows).await
    }

    async fn volunteer_assignments(&self, org: OrgId, v: VolunteerId) -> Result<Vec<Assignment>> {
        let rows = assignment::Entity::find()
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::VolunteerId.eq(v.0))
            .order_by_desc(assignment::Column::StartsAt)
            .limit(500)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        assignments_named(&self.db, org, rows).await
    }

    async fn withdraw_assignment(&self, actor: &Actor, id: AssignmentId, version: i64) -> Result<Assignment> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let a = load_assignment(&txn, org, id).await?;
        if a.hours_entry.is_some() {
            return Err(DomainError::invalid("assignment", "vol-hours-recorded"));
        }
        let done = assignment::Entity::update_many()
            .col_expr(assignment::Column::Status, Expr::value(AssignmentStatus::Withdrawn.as_str()))
            .col_expr(assignment::Column::Version, Expr::value(version.saturating_add(1)))
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::Id.eq(id.0))
            .filter(assignment::Column::Version.eq(version))
            .filter(assignment::Column::Status.eq(AssignmentStatus::Assigned.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        duty::Entity::update_many()
            .col_expr(duty::Column::Filled, Expr::col(duty::Column::Filled).sub(1))
            .filter(duty::Column::OrgId.eq(org.0))
            .filter(duty::Column::Id.eq(a.duty_id))
            .filter(duty::Column::Filled.gt(0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "volunteer_assignment", id).detail(json!({ "step": "withdrawn" })), now)
            .await
            .map_err(db_err)?;
        let m = load_assignment(&txn, org, id).await?;
        let out = assignments_named(&txn, org, vec![m]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn check_in(&self, actor: &Actor, id: AssignmentId, at: DateTime<Utc>) -> Result<Assignment> {
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let done = assignment::Entity::update_many()
            .col_expr(assignment::Column::CheckInAt, Expr::value(at))
            .col_expr(assignment::Column::Version, Expr::col(assignment::Column::Version).add(1))
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::Id.eq(id.0))
            .filter(assignment::Column::Status.eq(AssignmentStatus::Assigned.as_str()))
            .filter(assignment::Column::CheckInAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            load_assignment(&txn, org, id).await?;
            return Err(DomainError::Stale);
        }
        append_in(&txn, actor, AuditEvent::new(Action::Update, "volunteer_assignment", id).detail(json!({ "step": "checked_in" })), at)
            .await
            .map_err(db_err)?;
        let m = load_assignment(&txn, org, id).await?;
        let out = assignments_named(&txn, org, vec![m]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn close_assignment(
        &self,
        actor: &Actor,
        id: AssignmentId,
        version: i64,
        check_out: Option<DateTime<Utc>>,
        h: &HoursFields,
    ) -> Result<(Assignment, HourEntry)> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let a = load_assignment(&txn, org, id).await?;
        if a.hours_entry.is_some() || a.status != AssignmentStatus::Assigned.as_str() || a.version != version {
            return Err(DomainError::Stale);
        }
        let v = volunteer::Entity::find_by_id((org.0, a.volunteer_id)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let entry = HourEntryId::new();
        let done = assignment::Entity::update_many()
            .col_expr(assignment::Column::CheckOutAt, Expr::value(check_out))
            .col_expr(assignment::Column::HoursEntry, Expr::value(entry.0))
            .col_expr(assignment::Column::Version, Expr::value(version.saturating_add(1)))
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::Id.eq(id.0))
            .filter(assignment::Column::Version.eq(version))
            .filter(assignment::Column::HoursEntry.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        let source = HourSource::Duty;
        let m = hours::ActiveModel {
            org_id: Set(org.0),
            id: Set(entry.0),
            volunteer_id: Set(a.volunteer_id),
            unit_id: Set(a.unit_id),
            team: Set(v.team.clone()),
            source: Set(source.as_str().into()),
            duty_id: Set(Some(a.duty_id)),
            assignment_id: Set(Some(a.id)),
            served_on: Set(h.served_on),
            minutes: Set(h.minutes),
            content: Set(h.content.clone()),
            status: Set(HourStatus::Approved.as_str().into()),
            decided_by: Set(actor.name.clone()),
            decided_at: Set(Some(now)),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let step = if check_out.is_some() { "checked_out" } else { "confirmed" };
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "volunteer_assignment", id)
                .detail(json!({ "step": step, "minutes": h.minutes, "hours_entry": entry })),
            now,
        )
        .await
        .map_err(db_err)?;
        let after = load_assignment(&txn, org, id).await?;
        let out = assignments_named(&txn, org, vec![after]).await?;
        txn.commit().await.map_err(db_err)?;
        Ok((out.into_iter().next().ok_or(DomainError::NotFound)?, to_hours(m)))
    }

    async fn add_hours(&self, actor: &Actor, v: VolunteerId, unit: UnitId, source: HourSource, h: &HoursFields) -> Result<HourEntry> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let vol = volunteer::Entity::find_by_id((org.0, v.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let approved = source != HourSource::SelfReport;
        let id = HourEntryId::new();
        let m = hours::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            volunteer_id: Set(v.0),
            unit_id: Set(unit.0),
            team: Set(vol.team),
            source: Set(source.as_str().into()),
            duty_id: Set(None),
            assignment_id: Set(None),
            served_on: Set(h.served_on),
            minutes: Set(h.minutes),
            content: Set(h.content.clone()),
            status: Set(if approved { HourStatus::Approved } else { HourStatus::Pending }.as_str().into()),
            decided_by: Set(if approved { actor.name.clone() } else { String::new() }),
            decided_at: Set(approved.then_some(now)),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "volunteer_hours", id)
                .detail(json!({ "volunteer_id": v, "unit_id": unit, "source": source.as_str(), "minutes": h.minutes })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_hours(m))
    }

    async fn get_hours(&self, org: OrgId, id: HourEntryId) -> Result<HourEntry> {
        hours::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_hours).ok_or(DomainError::NotFound)
    }

    async fn decide_hours(&self, actor: &Actor, id: HourEntryId, version: i64, approve: bool) -> Result<HourEntry> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let status = if approve { HourStatus::Approved } else { HourStatus::Rejected };
        let done = hours::Entity::update_many()
            .col_expr(hours::Column::Status, Expr::value(status.as_str()))
            .col_expr(hours::Column::DecidedBy, Expr::value(actor.name.clone()))
            .col_expr(hours::Column::DecidedAt, Expr::value(now))
            .col_expr(hours::Column::Version, Expr::value(version.saturating_add(1)))
            .filter(hours::Column::OrgId.eq(org.0))
            .filter(hours::Column::Id.eq(id.0))
            .filter(hours::Column::Version.eq(version))
            .filter(hours::Column::Status.eq(HourStatus::Pending.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            hours::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
            return Err(DomainError::Stale);
        }
        append_in(&txn, actor, AuditEvent::new(Action::Update, "volunteer_hours", id).detail(json!({ "step": status.as_str() })), now)
            .await
            .map_err(db_err)?;
        let m = hours::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_hours(m))
    }

    async fn volunteer_hours(&self, org: OrgId, v: VolunteerId) -> Result<Vec<HourEntry>> {
        let rows = hours::Entity::find()
            .filter(hours::Column::OrgId.eq(org.0))
            .filter(hours::Column::VolunteerId.eq(v.0))
            .order_by_desc(hours::Column::ServedOn)
            .order_by_desc(hours::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_hours).collect())
    }

    async fn pending_hours(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<HourEntry>> {
        let rows = hours::Entity::find()
            .filter(hours::Column::OrgId.eq(org.0))
            .filter(hours::Column::Status.eq(HourStatus::Pending.as_str()))
            .filter(unit_filter(hours::Column::UnitId, units))
            .order_by_asc(hours::Column::ServedOn)
            .limit(500)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_hours).collect())
    }

    async fn hour_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<HourFact>> {
        let rows = hours::Entity::find()
            .select_only()
            .columns([
                hours::Column::VolunteerId,
                hours::Column::UnitId,
                hours::Column::Team,
                hours::Column::ServedOn,
                hours::Column::Minutes,
                hours::Column::DutyId,
            ])
            .filter(hours::Column::OrgId.eq(org.0))
            .filter(hours::Column::Status.eq(HourStatus::Approved.as_str()))
            .filter(unit_filter(hours::Column::UnitId, units))
            .filter(hours::Column::ServedOn.between(from, to))
            .into_tuple::<(Uuid, Uuid, String, NaiveDate, i32, Option<Uuid>)>()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(v, u, team, served_on, minutes, duty)| HourFact {
                volunteer_id: VolunteerId(v),
                unit_id: UnitId(u),
                team,
                served_on,
                minutes,
                duty_id: duty.map(DutyId),
            })
            .collect())
    }

    async fn hour_entries_between(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<HourEntry>> {
        let rows = hours::Entity::find()
            .filter(hours::Column::OrgId.eq(org.0))
            .filter(hours::Column::Status.eq(HourStatus::Approved.as_str()))
            .filter(unit_filter(hours::Column::UnitId, units))
            .filter(hours::Column::ServedOn.between(from, to))
            .order_by_asc(hours::Column::ServedOn)
            .order_by_asc(hours::Column::VolunteerId)
            .limit(100_000)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_hours).collect())
    }

    async fn activity_volunteers(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(ActivityId, VolunteerId)>> {
        let duties: Vec<(Uuid, Option<Uuid>)> = duty::Entity::find()
            .select_only()
            .columns([duty::Column::Id, duty::Column::RefId])
            .filter(duty::Column::OrgId.eq(org.0))
            .filter(duty::Column::Kind.eq(kinds::ACTIVITY_SESSION))
            .filter(unit_filter(duty::Column::UnitId, units))
            .filter(duty::Column::Day.between(from, to))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        if duties.is_empty() {
            return Ok(vec![]);
        }
        let sessions: Vec<Uuid> = duties.iter().filter_map(|d| d.1).collect();
        let activity_of: HashMap<Uuid, Uuid> = crate::activities::session::Entity::find()
            .filter(crate::activities::session::Column::OrgId.eq(org.0))
            .filter(crate::activities::session::Column::Id.is_in(sessions))
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|s| (s.id, s.activity_id))
            .collect();
        let duty_activity: HashMap<Uuid, Uuid> =
            duties.into_iter().filter_map(|(d, s)| s.and_then(|s| activity_of.get(&s)).map(|a| (d, *a))).collect();
        let rows: Vec<(Uuid, Uuid)> = assignment::Entity::find()
            .select_only()
            .columns([assignment::Column::DutyId, assignment::Column::VolunteerId])
            .filter(assignment::Column::OrgId.eq(org.0))
            .filter(assignment::Column::Status.eq(AssignmentStatus::Assigned.as_str()))
            .filter(assignment::Column::DutyId.is_in(duty_activity.keys().copied()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().filter_map(|(d, v)| duty_activity.get(&d).map(|a| (ActivityId(*a), VolunteerId(v)))).collect())
    }
}
