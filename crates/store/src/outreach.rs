//! Outreach storage: sessions with their contact lines, interpretation requests, escorts, home
//! visits and the languages interpreters declare. Every write is one transaction with its audit
//! row; a step is a conditional update on the status and version read, so two people pressing
//! "complete" at once record one completion and the second is told the record changed.

use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::clients::PreferredLanguage;
use shegong_domain::ids::{CaseId, ClientId, EscortId, InterpretationId, OrgId, OutreachSessionId, UnitId, UserId, VisitId};
use shegong_domain::outreach::{
    check_assign, check_cancel, check_complete, client_language, CompleteFields, Contact, ContactFollowUp, Escort, EscortFields,
    EscortOutcomeFields, EscortStatus, FactKind, Interpretation, InterpretationFields, InterpretationMode, InterpretationStatus,
    OutreachFact, OutreachSession, OutreachSessionFields, Transport, Visit, VisitFields, VisitStatus,
};
use shegong_domain::ports::{OutreachQuery, OutreachRepo};
use shegong_domain::{DomainError, Result};
use std::collections::{HashMap, HashSet};

entity!(interpreter, "outreach_interpreters", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] user_id: Uuid,
    languages: String,
    version: i64,
    updated_at: ChronoDateTimeUtc,
});

entity!(session, "outreach_sessions", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    held_on: Date,
    district: String,
    area: String,
    staff: String,
    ambassadors: String,
    volunteers: String,
    needs_found: String,
    note: String,
    created_by: String,
    created_at: ChronoDateTimeUtc,
    version: i64,
});

entity!(contact, "outreach_contacts", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    session_id: Uuid,
    unit_id: Uuid,
    held_on: Date,
    client_id: Option<Uuid>,
    category: String,
    language: String,
    count: i32,
    follow_up: String,
    follow_up_ref: String,
});

entity!(interpretation, "outreach_interpretations", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    client_id: Option<Uuid>,
    case_id: Option<Uuid>,
    escort_id: Option<Uuid>,
    appointment: String,
    language: String,
    into_language: String,
    mode: String,
    needed_on: Date,
    detail: String,
    pages: i32,
    status: String,
    assignee_id: Option<Uuid>,
    requested_on: Date,
    requested_at: ChronoDateTimeUtc,
    assigned_at: Option<ChronoDateTimeUtc>,
    completed_at: Option<ChronoDateTimeUtc>,
    completed_on: Option<Date>,
    cancelled_at: Option<ChronoDateTimeUtc>,
    minutes: i32,
    note: String,
    created_by: String,
    version: i64,
});

entity!(escort, "outreach_escorts", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    client_id: Uuid,
    appointment_on: Date,
    appointment_time: String,
    place: String,
    department: String,
    escort_user_id: Option<Uuid>,
    escort_name: String,
    transport: String,
    language: String,
    note: String,
    status: String,
    outcome: String,
    next_appointment_on: Option<Date>,
    done_at: Option<ChronoDateTimeUtc>,
    created_by: String,
    version: i64,
});

entity!(visit, "outreach_visits", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    client_id: Uuid,
    planned_on: Date,
    purpose: String,
    source_ref: String,
    status: String,
    done_on: Option<Date>,
    outcome: String,
    created_by: String,
    version: i64,
});

/// The client category that marks a person as ethnic minority in the reports.
const ETHNIC_MINORITY: &str = "ethnic_minority";

/// What outreach records show of a person: name, preferred language, district, and whether
/// they are counted as ethnic minority.
#[derive(Clone, Default)]
struct Person {
    name: String,
    language: Option<String>,
    district: String,
    em: bool,
}

async fn people<C: ConnectionTrait>(c: &C, org: OrgId, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, Person>> {
    let ids: Vec<Uuid> = ids.into_iter().collect::<HashSet<_>>().into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = crate::clients::client::Entity::find()
            .filter(crate::clients::client::Column::OrgId.eq(org.0))
            .filter(crate::clients::client::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        let em: HashSet<Uuid> = crate::clients::tag::Entity::find()
            .filter(crate::clients::tag::Column::OrgId.eq(org.0))
            .filter(crate::clients::tag::Column::ClientId.is_in(chunk.to_vec()))
            .filter(crate::clients::tag::Column::Code.eq(ETHNIC_MINORITY))
            .all(c)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|t| t.client_id)
            .collect();
        for x in found {
            let language = PreferredLanguage::parse(&x.preferred_language).and_then(client_language).map(str::to_string);
            out.insert(
                x.id,
                Person {
                    name: shegong_domain::clients::display_name(&x.name_zh, &x.name_en),
                    language,
                    district: x.district.clone(),
                    em: em.contains(&x.id),
                },
            );
        }
    }
    Ok(out)
}

async fn user_names<C: ConnectionTrait>(c: &C, org: OrgId, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect::<HashSet<_>>().into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = crate::accounts::user::Entity::find()
            .filter(crate::accounts::user::Column::OrgId.eq(org.0))
            .filter(crate::accounts::user::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        out.extend(found.into_iter().map(|u| (u.id, u.display_name)));
    }
    Ok(out)
}

fn split(s: &str) -> Vec<String> {
    s.split('\n').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

async fn audit<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    action: Action,
    what: &'static str,
    id: impl ToString,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::audit::record(c, actor, action, what, id, detail, now).await
}

// ---------------------------------------------------------------------------------------------
// Sessions

async fn sessions_out<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<session::Model>) -> Result<Vec<OutreachSession>> {
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let mut lines: HashMap<Uuid, Vec<contact::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for l in contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::SessionId.is_in(chunk.to_vec()))
            .order_by_asc(contact::Column::Id)
            .all(c)
            .await
            .map_err(db_err)?
        {
            lines.entry(l.session_id).or_default().push(l);
        }
    }
    let persons = people(c, org, lines.values().flatten().filter_map(|l| l.client_id)).await?;
    let staff_ids: Vec<Uuid> = rows.iter().flat_map(|s| split(&s.staff)).filter_map(|x| x.parse().ok()).collect();
    let staff_names = user_names(c, org, staff_ids).await?;
    Ok(rows
        .into_iter()
        .map(|s| {
            let staff: Vec<Uuid> = split(&s.staff).iter().filter_map(|x| x.parse().ok()).collect();
            let contacts = lines
                .remove(&s.id)
                .unwrap_or_default()
                .into_iter()
                .map(|l| Contact {
                    client_name: l.client_id.and_then(|c| persons.get(&c)).map(|p| p.name.clone()).unwrap_or_default(),
                    client_id: l.client_id.map(ClientId),
                    category: l.category,
                    language: l.language,
                    count: l.count,
                    follow_up: ContactFollowUp::parse(&l.follow_up).unwrap_or(ContactFollowUp::None),
                    follow_up_ref: l.follow_up_ref,
                })
                .collect();
            OutreachSession {
                id: OutreachSessionId(s.id),
                org_id: OrgId(s.org_id),
                unit_id: UnitId(s.unit_id),
                held_on: s.held_on,
                district: s.district,
                area: s.area,
                staff_names: staff.iter().map(|u| staff_names.get(u).cloned().unwrap_or_default()).collect(),
                staff: staff.into_iter().map(UserId).collect(),
                ambassadors: split(&s.ambassadors),
                volunteers: split(&s.volunteers),
                needs_found: s.needs_found,
                note: s.note,
                contacts,
                created_by: s.created_by,
                created_at: s.created_at,
                version: s.version,
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Interpretation

fn interp_status(m: &interpretation::Model) -> InterpretationStatus {
    InterpretationStatus::parse(&m.status).unwrap_or(InterpretationStatus::Requested)
}

async fn interpretations_out<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<interpretation::Model>) -> Result<Vec<Interpretation>> {
    let persons = people(c, org, rows.iter().filter_map(|r| r.client_id)).await?;
    let users = user_names(c, org, rows.iter().filter_map(|r| r.assignee_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let p = m.client_id.and_then(|c| persons.get(&c)).cloned().unwrap_or_default();
            Interpretation {
                id: InterpretationId(m.id),
                org_id: OrgId(m.org_id),
                unit_id: UnitId(m.unit_id),
                client_id: m.client_id.map(ClientId),
                client_name: p.name,
                client_language: p.language,
                case_id: m.case_id.map(CaseId),
                escort_id: m.escort_id.map(EscortId),
                appointment: m.appointment.clone(),
                language: m.language.clone(),
                into_language: m.into_language.clone(),
                mode: InterpretationMode::parse(&m.mode).unwrap_or(InterpretationMode::OnSite),
                needed_on: m.needed_on,
                detail: m.detail.clone(),
                pages: m.pages,
                status: interp_status(&m),
                assignee_id: m.assignee_id.map(UserId),
                assignee_name: m.assignee_id.and_then(|u| users.get(&u).cloned()).unwrap_or_default(),
                requested_on: m.requested_on,
                requested_at: m.requested_at,
                assigned_at: m.assigned_at,
                completed_at: m.completed_at,
                completed_on: m.completed_on,
                cancelled_at: m.cancelled_at,
                minutes: m.minutes,
                note: m.note,
                created_by: m.created_by,
                version: m.version,
            }
        })
        .collect())
}

async fn load_interpretation<C: ConnectionTrait>(c: &C, org: OrgId, id: InterpretationId) -> Result<interpretation::Model> {
    interpretation::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn one_interpretation<C: ConnectionTrait>(c: &C, org: OrgId, id: InterpretationId) -> Result<Interpretation> {
    let m = load_interpretation(c, org, id).await?;
    interpretations_out(c, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
}

/// Moves a request on from the status and version read; `Stale` when someone else came first.
async fn guarded_interpretation(
    txn: &DatabaseTransaction,
    before: &interpretation::Model,
    version: i64,
    mut am: interpretation::ActiveModel,
) -> Result<()> {
    if before.version != version {
        return Err(DomainError::Stale);
    }
    am.version = Set(before.version.saturating_add(1));
    let done = interpretation::Entity::update_many()
        .set(am)
        .filter(interpretation::Column::OrgId.eq(before.org_id))
        .filter(interpretation::Column::Id.eq(before.id))
        .filter(interpretation::Column::Version.eq(before.version))
        .filter(interpretation::Column::Status.eq(before.status.clone()))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if done.rows_affected != 1 {
        return Err(DomainError::Stale);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Escorts and visits

async fn escorts_out<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<escort::Model>) -> Result<Vec<Escort>> {
    let persons = people(c, org, rows.iter().map(|r| r.client_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let p = persons.get(&m.client_id).cloned().unwrap_or_default();
            Escort {
                id: EscortId(m.id),
                org_id: OrgId(m.org_id),
                unit_id: UnitId(m.unit_id),
                client_id: ClientId(m.client_id),
                client_name: p.name,
                client_language: p.language,
                district: p.district,
                appointment_on: m.appointment_on,
                appointment_time: m.appointment_time,
                place: m.place,
                department: m.department,
                escort_user_id: m.escort_user_id.map(UserId),
                escort_name: m.escort_name,
                transport: Transport::parse(&m.transport).unwrap_or(Transport::PublicTransport),
                language: m.language,
                note: m.note,
                status: EscortStatus::parse(&m.status).unwrap_or(EscortStatus::Planned),
                outcome: m.outcome,
                next_appointment_on: m.next_appointment_on,
                done_at: m.done_at,
                created_by: m.created_by,
                version: m.version,
            }
        })
        .collect())
}

async fn visits_out<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<visit::Model>) -> Result<Vec<Visit>> {
    let persons = people(c, org, rows.iter().map(|r| r.client_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let p = persons.get(&m.client_id).cloned().unwrap_or_default();
            Visit {
                id: VisitId(m.id),
                org_id: OrgId(m.org_id),
                unit_id: UnitId(m.unit_id),
                client_id: ClientId(m.client_id),
                client_name: p.name,
                client_language: p.language,
                district: p.district,
                planned_on: m.planned_on,
                purpose: m.purpose,
                source_ref: m.source_ref,
                status: VisitStatus::parse(&m.status).unwrap_or(VisitStatus::Planned),
                done_on: m.done_on,
                outcome: m.outcome,
                created_by: m.created_by,
                version: m.version,
            }
        })
        .collect())
}

/// Moves the outreach records of a merged person onto the survivor.
pub(crate) async fn repoint_client(txn: &DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    for table in
        [contact::Entity.table_name(), interpretation::Entity.table_name(), escort::Entity.table_name(), visit::Entity.table_name()]
    {
        crate::clients::repoint_rows(txn, table, org, from, to).await?;
    }
    Ok(())
}

fn units_filter(q: &OutreachQuery<'_>) -> Option<Vec<Uuid>> {
    q.units.map(|us| us.iter().map(|u| u.0).collect())
}

#[async_trait]
impl OutreachRepo for Store {
    async fn create_outreach_session(&self, actor: &Actor, f: &OutreachSessionFields) -> Result<OutreachSession> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let id = OutreachSessionId::new();
        session::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            held_on: Set(f.held_on),
            district: Set(f.district.clone()),
            area: Set(f.area.clone()),
            staff: Set(f.staff.iter().map(|u| u.to_string()).collect::<Vec<_>>().join("\n")),
            ambassadors: Set(f.ambassadors.join("\n")),
            volunteers: Set(f.volunteers.join("\n")),
            needs_found: Set(f.needs_found.clone()),
            note: Set(f.note.clone()),
            created_by: Set(actor.name.clone()),
            created_at: Set(now),
            version: Set(1),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        for c in &f.contacts {
            contact::ActiveModel {
                org_id: Set(org.0),
                id: Set(Uuid::now_v7()),
                session_id: Set(id.0),
                unit_id: Set(f.unit_id.0),
                held_on: Set(f.held_on),
                client_id: Set(c.client_id.map(|x| x.0)),
                category: Set(c.category.clone()),
                language: Set(c.language.clone()),
                count: Set(c.count),
                follow_up: Set(c.follow_up.as_str().into()),
                follow_up_ref: Set(c.follow_up_ref.clone()),
            }
            .insert(&txn)
            .await
            .map_err(db_err)?;
        }
        let people: i64 = f.contacts.iter().map(|c| i64::from(c.count)).sum();
        let clients: Vec<ClientId> = f.contacts.iter().filter_map(|c| c.client_id).collect();
        audit(
            &txn,
            actor,
            Action::Create,
            "outreach_session",
            id,
            json!({"unit_id": f.unit_id, "held_on": f.held_on, "district": f.district, "people": people, "clients": clients}),
            now,
        )
        .await?;
        let m = session::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let s = sessions_out(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(s)
    }

    async fn get_outreach_session(&self, org: OrgId, id: OutreachSessionId) -> Result<OutreachSession> {
        let m = session::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        sessions_out(&self.db, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
    }

    async fn list_outreach_sessions(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<OutreachSession>> {
        let mut s = session::Entity::find().filter(session::Column::OrgId.eq(org.0));
        if let Some(us) = units_filter(q) {
            s = s.filter(session::Column::UnitId.is_in(us));
        }
        if let Some(from) = q.from {
            s = s.filter(session::Column::HeldOn.gte(from));
        }
        if let Some(to) = q.to {
            s = s.filter(session::Column::HeldOn.lte(to));
        }
        if let Some(c) = q.client {
            let ids: Vec<Uuid> = contact::Entity::find()
                .filter(contact::Column::OrgId.eq(org.0))
                .filter(contact::Column::ClientId.eq(c.0))
                .all(&self.db)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|l| l.session_id)
                .collect();
            s = s.filter(session::Column::Id.is_in(ids));
        }
        let rows = s
            .order_by_desc(session::Column::HeldOn)
            .order_by_desc(session::Column::Id)
            .limit(q.limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        sessions_out(&self.db, org, rows).await
    }

    async fn interpreter_languages(&self, org: OrgId) -> Result<Vec<(UserId, Vec<String>, i64)>> {
        let rows = interpreter::Entity::find().filter(interpreter::Column::OrgId.eq(org.0)).all(&self.db).await.map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| (UserId(r.user_id), r.languages.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect(), r.version))
            .collect())
    }

    async fn save_interpreter_languages(&self, actor: &Actor, user: UserId, languages: &[String], version: i64) -> Result<i64> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let stored = interpreter::Entity::find_by_id((org.0, user.0)).one(&txn).await.map_err(db_err)?.map(|m| m.version).unwrap_or(0);
        if stored != version {
            return Err(DomainError::Stale);
        }
        let next = version.saturating_add(1);
        interpreter::Entity::insert(interpreter::ActiveModel {
            org_id: Set(org.0),
            user_id: Set(user.0),
            languages: Set(languages.join(",")),
            version: Set(next),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([interpreter::Column::OrgId, interpreter::Column::UserId])
                .update_columns([interpreter::Column::Languages, interpreter::Column::Version, interpreter::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Update, "outreach_interpreter", user, json!({"languages": languages}), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(next)
    }

    async fn create_interpretation(&self, actor: &Actor, f: &InterpretationFields, today: NaiveDate) -> Result<Interpretation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let id = InterpretationId::new();
        interpretation::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            client_id: Set(f.client_id.map(|c| c.0)),
            case_id: Set(f.case_id.map(|c| c.0)),
            escort_id: Set(f.escort_id.map(|c| c.0)),
            appointment: Set(f.appointment.clone()),
            language: Set(f.language.clone()),
            into_language: Set(f.into_language.clone()),
            mode: Set(f.mode.as_str().into()),
            needed_on: Set(f.needed_on),
            detail: Set(f.detail.clone()),
            pages: Set(f.pages),
            status: Set(InterpretationStatus::Requested.as_str().into()),
            assignee_id: Set(None),
            requested_on: Set(today),
            requested_at: Set(now),
            assigned_at: Set(None),
            completed_at: Set(None),
            completed_on: Set(None),
            cancelled_at: Set(None),
            minutes: Set(0),
            note: Set(String::new()),
            created_by: Set(actor.name.clone()),
            version: Set(1),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "outreach_interpretation",
            id,
            json!({"unit_id": f.unit_id, "client_id": f.client_id, "language": f.language, "into_language": f.into_language, "mode": f.mode.as_str()}),
            now,
        )
        .await?;
        let r = one_interpretation(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn get_interpretation(&self, org: OrgId, id: InterpretationId) -> Result<Interpretation> {
        one_interpretation(&self.db, org, id).await
    }

    async fn list_interpretations(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<Interpretation>> {
        let mut s = interpretation::Entity::find().filter(interpretation::Column::OrgId.eq(org.0));
        if let Some(us) = units_filter(q) {
            s = s.filter(interpretation::Column::UnitId.is_in(us));
        }
        if let Some(a) = q.assignee {
            s = s.filter(interpretation::Column::AssigneeId.eq(a.0));
        }
        if let Some(c) = q.client {
            s = s.filter(interpretation::Column::ClientId.eq(c.0));
        }
        if q.open_only {
            s = s.filter(interpretation::Column::Status.is_in(["requested", "assigned"]));
        }
        if let Some(from) = q.from {
            s = s.filter(interpretation::Column::NeededOn.gte(from));
        }
        if let Some(to) = q.to {
            s = s.filter(interpretation::Column::NeededOn.lte(to));
        }
        let rows = s.order_by_desc(interpretation::Column::RequestedAt).limit(q.limit).all(&self.db).await.map_err(db_err)?;
        interpretations_out(&self.db, org, rows).await
    }

    async fn assign_interpretation(&self, actor: &Actor, id: InterpretationId, version: i64, assignee: UserId) -> Result<Interpretation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_interpretation(&txn, org, id).await?;
        check_assign(interp_status(&before))?;
        let am = interpretation::ActiveModel {
            status: Set(InterpretationStatus::Assigned.as_str().into()),
            assignee_id: Set(Some(assignee.0)),
            assigned_at: Set(Some(now)),
            ..Default::default()
        };
        guarded_interpretation(&txn, &before, version, am).await?;
        audit(&txn, actor, Action::Update, "outreach_interpretation", id, json!({"step": "assigned", "assignee_id": assignee}), now)
            .await?;
        let r = one_interpretation(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn complete_interpretation(
        &self,
        actor: &Actor,
        id: InterpretationId,
        version: i64,
        f: &CompleteFields,
        today: NaiveDate,
    ) -> Result<Interpretation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_interpretation(&txn, org, id).await?;
        check_complete(interp_status(&before))?;
        let am = interpretation::ActiveModel {
            status: Set(InterpretationStatus::Completed.as_str().into()),
            completed_at: Set(Some(now)),
            completed_on: Set(Some(today)),
            minutes: Set(f.minutes),
            pages: Set(f.pages),
            note: Set(f.note.clone()),
            ..Default::default()
        };
        guarded_interpretation(&txn, &before, version, am).await?;
        audit(
            &txn,
            actor,
            Action::Update,
            "outreach_interpretation",
            id,
            json!({"step": "completed", "minutes": f.minutes, "pages": f.pages}),
            now,
        )
        .await?;
        let r = one_interpretation(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn cancel_interpretation(&self, actor: &Actor, id: InterpretationId, version: i64, reason: &str) -> Result<Interpretation> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_interpretation(&txn, org, id).await?;
        check_cancel(interp_status(&before))?;
        let am = interpretation::ActiveModel {
            status: Set(InterpretationStatus::Cancelled.as_str().into()),
            cancelled_at: Set(Some(now)),
            note: Set(reason.to_string()),
            ..Default::default()
        };
        guarded_interpretation(&txn, &before, version, am).await?;
        audit(&txn, actor, Action::Update, "outreach_interpretation", id, json!({"step": "cancelled"}), now).await?;
        let r = one_interpretation(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn create_escort(&self, actor: &Actor, f: &EscortFields) -> Result<Escort> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let id = EscortId::new();
        escort::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            client_id: Set(f.client_id.0),
            appointment_on: Set(f.appointment_on),
            appointment_time: Set(f.appointment_time.clone()),
            place: Set(f.place.clone()),
            department: Set(f.department.clone()),
            escort_user_id: Set(f.escort_user_id.map(|u| u.0)),
            escort_name: Set(f.escort_name.clone()),
            transport: Set(f.transport.as_str().into()),
            language: Set(f.language.clone()),
            note: Set(f.note.clone()),
            status: Set(EscortStatus::Planned.as_str().into()),
            outcome: Set(String::new()),
            next_appointment_on: Set(None),
            done_at: Set(None),
            created_by: Set(actor.name.clone()),
            version: Set(1),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "outreach_escort",
            id,
            json!({"unit_id": f.unit_id, "client_id": f.client_id, "appointment_on": f.appointment_on, "language": f.language}),
            now,
        )
        .await?;
        let m = escort::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let r = escorts_out(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn get_escort(&self, org: OrgId, id: EscortId) -> Result<Escort> {
        let m = escort::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        escorts_out(&self.db, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
    }

    async fn list_escorts(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<Escort>> {
        let mut s = escort::Entity::find().filter(escort::Column::OrgId.eq(org.0));
        if let Some(us) = units_filter(q) {
            s = s.filter(escort::Column::UnitId.is_in(us));
        }
        if let Some(c) = q.client {
            s = s.filter(escort::Column::ClientId.eq(c.0));
        }
        if q.open_only {
            s = s.filter(escort::Column::Status.eq(EscortStatus::Planned.as_str()));
        }
        if let Some(from) = q.from {
            s = s.filter(escort::Column::AppointmentOn.gte(from));
        }
        if let Some(to) = q.to {
            s = s.filter(escort::Column::AppointmentOn.lte(to));
        }
        let rows = s
            .order_by_desc(escort::Column::AppointmentOn)
            .order_by_desc(escort::Column::AppointmentTime)
            .limit(q.limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        escorts_out(&self.db, org, rows).await
    }

    async fn close_escort(&self, actor: &Actor, id: EscortId, version: i64, f: &EscortOutcomeFields) -> Result<Escort> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = escort::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        if before.version != version {
            return Err(DomainError::Stale);
        }
        let am = escort::ActiveModel {
            status: Set(f.status.as_str().into()),
            outcome: Set(f.outcome.clone()),
            next_appointment_on: Set(f.next_appointment_on),
            done_at: Set(Some(now)),
            version: Set(version.saturating_add(1)),
            ..Default::default()
        };
        let done = escort::Entity::update_many()
            .set(am)
            .filter(escort::Column::OrgId.eq(org.0))
            .filter(escort::Column::Id.eq(id.0))
            .filter(escort::Column::Version.eq(version))
            .filter(escort::Column::Status.eq(EscortStatus::Planned.as_str()))
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
            "outreach_escort",
            id,
            json!({"status": f.status.as_str(), "next_appointment_on": f.next_appointment_on}),
            now,
        )
        .await?;
        let m = escort::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let r = escorts_out(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn create_visit(&self, actor: &Actor, f: &VisitFields) -> Result<Visit> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let id = VisitId::new();
        visit::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            client_id: Set(f.client_id.0),
            planned_on: Set(f.planned_on),
            purpose: Set(f.purpose.clone()),
            source_ref: Set(f.source_ref.clone()),
            status: Set(VisitStatus::Planned.as_str().into()),
            done_on: Set(None),
            outcome: Set(String::new()),
            created_by: Set(actor.name.clone()),
            version: Set(1),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(
            &txn,
            actor,
            Action::Create,
            "outreach_visit",
            id,
            json!({"unit_id": f.unit_id, "client_id": f.client_id, "planned_on": f.planned_on, "source_ref": f.source_ref}),
            now,
        )
        .await?;
        let m = visit::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let r = visits_out(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn get_visit(&self, org: OrgId, id: VisitId) -> Result<Visit> {
        let m = visit::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        visits_out(&self.db, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
    }

    async fn list_visits(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<Visit>> {
        let mut s = visit::Entity::find().filter(visit::Column::OrgId.eq(org.0));
        if let Some(us) = units_filter(q) {
            s = s.filter(visit::Column::UnitId.is_in(us));
        }
        if let Some(c) = q.client {
            s = s.filter(visit::Column::ClientId.eq(c.0));
        }
        if q.open_only {
            s = s.filter(visit::Column::Status.eq(VisitStatus::Planned.as_str()));
        }
        if let Some(from) = q.from {
            s = s.filter(visit::Column::PlannedOn.gte(from));
        }
        if let Some(to) = q.to {
            s = s.filter(visit::Column::PlannedOn.lte(to));
        }
        let rows = s.order_by_desc(visit::Column::PlannedOn).limit(q.limit).all(&self.db).await.map_err(db_err)?;
        visits_out(&self.db, org, rows).await
    }

    async fn close_visit(
        &self,
        actor: &Actor,
        id: VisitId,
        version: i64,
        status: VisitStatus,
        outcome: &str,
        done_on: NaiveDate,
    ) -> Result<Visit> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let am = visit::ActiveModel {
            status: Set(status.as_str().into()),
            outcome: Set(outcome.to_string()),
            done_on: Set(Some(done_on)),
            version: Set(version.saturating_add(1)),
            ..Default::default()
        };
        let done = visit::Entity::update_many()
            .set(am)
            .filter(visit::Column::OrgId.eq(org.0))
            .filter(visit::Column::Id.eq(id.0))
            .filter(visit::Column::Version.eq(version))
            .filter(visit::Column::Status.eq(VisitStatus::Planned.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        audit(&txn, actor, Action::Update, "outreach_visit", id, json!({"status": status.as_str(), "done_on": done_on}), now).await?;
        let m = visit::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let r = visits_out(&txn, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn outreach_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<OutreachFact>> {
        let us: Option<Vec<Uuid>> = units.map(|u| u.iter().map(|x| x.0).collect());
        let mut q = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::HeldOn.gte(from))
            .filter(contact::Column::HeldOn.lte(to));
        if let Some(us) = &us {
            q = q.filter(contact::Column::UnitId.is_in(us.clone()));
        }
        let contacts = q.all(&self.db).await.map_err(db_err)?;
        let mut q = interpretation::Entity::find()
            .filter(interpretation::Column::OrgId.eq(org.0))
            .filter(interpretation::Column::Status.eq(InterpretationStatus::Completed.as_str()))
            .filter(interpretation::Column::CompletedOn.gte(from))
            .filter(interpretation::Column::CompletedOn.lte(to));
        if let Some(us) = &us {
            q = q.filter(interpretation::Column::UnitId.is_in(us.clone()));
        }
        let interps = q.all(&self.db).await.map_err(db_err)?;
        let mut q = escort::Entity::find()
            .filter(escort::Column::OrgId.eq(org.0))
            .filter(escort::Column::Status.eq(EscortStatus::Done.as_str()))
            .filter(escort::Column::AppointmentOn.gte(from))
            .filter(escort::Column::AppointmentOn.lte(to));
        if let Some(us) = &us {
            q = q.filter(escort::Column::UnitId.is_in(us.clone()));
        }
        let escorts = q.all(&self.db).await.map_err(db_err)?;
        let mut q = visit::Entity::find()
            .filter(visit::Column::OrgId.eq(org.0))
            .filter(visit::Column::Status.eq(VisitStatus::Done.as_str()))
            .filter(visit::Column::DoneOn.gte(from))
            .filter(visit::Column::DoneOn.lte(to));
        if let Some(us) = &us {
            q = q.filter(visit::Column::UnitId.is_in(us.clone()));
        }
        let visits = q.all(&self.db).await.map_err(db_err)?;
        let ids = contacts
            .iter()
            .filter_map(|c| c.client_id)
            .chain(interps.iter().filter_map(|i| i.client_id))
            .chain(escorts.iter().map(|e| e.client_id))
            .chain(visits.iter().map(|v| v.client_id));
        let persons = people(&self.db, org, ids).await?;
        let person = |c: Option<Uuid>| c.and_then(|c| persons.get(&c)).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for c in contacts {
            let p = person(c.client_id);
            out.push(OutreachFact {
                kind: FactKind::Contact,
                unit_id: UnitId(c.unit_id),
                on: c.held_on,
                session_id: Some(OutreachSessionId(c.session_id)),
                client_id: c.client_id.map(ClientId),
                ethnic_minority: if c.client_id.is_some() { p.em } else { c.category == ETHNIC_MINORITY },
                category: c.category,
                language: c.language,
                district: p.district,
                count: i64::from(c.count),
                minutes: 0,
                pages: 0,
                done: true,
            });
        }
        for i in interps {
            let p = person(i.client_id);
            out.push(OutreachFact {
                kind: FactKind::Interpretation,
                unit_id: UnitId(i.unit_id),
                on: i.completed_on.unwrap_or(i.needed_on),
                session_id: None,
                client_id: i.client_id.map(ClientId),
                ethnic_minority: p.em,
                category: String::new(),
                language: i.language,
                district: p.district,
                count: 1,
                minutes: i64::from(i.minutes),
                pages: i64::from(i.pages),
                done: true,
            });
        }
        for e in escorts {
            let p = person(Some(e.client_id));
            out.push(OutreachFact {
                kind: FactKind::Escort,
                unit_id: UnitId(e.unit_id),
                on: e.appointment_on,
                session_id: None,
                client_id: Some(ClientId(e.client_id)),
                ethnic_minority: p.em,
                category: String::new(),
                language: e.language,
                district: p.district,
                count: 1,
                minutes: 0,
                pages: 0,
                done: true,
            });
        }
        for v in visits {
            let p = person(Some(v.client_id));
            out.push(OutreachFact {
                kind: FactKind::Visit,
                unit_id: UnitId(v.unit_id),
                on: v.done_on.unwrap_or(v.planned_on),
                session_id: None,
                client_id: Some(ClientId(v.client_id)),
                ethnic_minority: p.em,
                category: String::new(),
                language: p.language.unwrap_or_default(),
                district: p.district,
                count: 1,
                minutes: 0,
                pages: 0,
                done: true,
            });
        }
        Ok(out)
    }
}
