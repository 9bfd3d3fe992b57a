//! Hotline: points, roster, calls, the follow-up queue, check-in schedules and caller flags.
//! A call is one insert (plus its follow-up) and the audit row in one short transaction, so
//! many operators logging at once only queue on the audit chain's head row.

use crate::audit::append_in;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{entity::prelude::*, ConnectionTrait, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::cases::{CaseStatus, TaskFields};
use shegong_domain::hotline::{
    default_topics, home_visit_task_title, ActivityFact, AttemptOutcome, AttemptResult, Call, CallFact, CallFields, CallOutcome, CallType,
    CallerFlag, CallerFlagKind, CheckInSchedule, FollowUp, FollowUpKind, HotlineFacts, HotlinePoint, PointFields, ScheduleFields, Shift,
    ShiftInput, Topic, Triage,
};
use shegong_domain::ids::{CallId, CaseId, CheckInScheduleId, ClientId, FollowUpId, OrgId, ShiftId, UnitId, UserId};
use shegong_domain::locale::Locale;
use shegong_domain::ports::{CallQuery, HotlineRepo};
use shegong_domain::{DomainError, FieldError, Result};
use std::collections::HashMap;

pub(crate) mod settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub topics: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod point {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_points")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub unit_id: Uuid,
        pub numbers: String,
        pub opening_hours: String,
        pub version: i64,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod shift {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_shifts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub user_id: Uuid,
        pub starts_at: ChronoDateTimeUtc,
        pub ends_at: ChronoDateTimeUtc,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod call {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_calls")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub caller_phone: String,
        pub client_id: Option<Uuid>,
        pub call_type: String,
        pub topics: String,
        pub duration_minutes: i32,
        pub note: String,
        pub risk: String,
        pub escalated_to: Option<Uuid>,
        pub action: String,
        pub acknowledged_at: Option<ChronoDateTimeUtc>,
        pub outcome: String,
        pub case_id: Option<Uuid>,
        pub operator_id: Uuid,
        pub operator_name: String,
        pub day: Date,
        pub at: ChronoDateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod schedule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_schedules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub client_id: Uuid,
        pub worker_id: Uuid,
        pub every_days: i32,
        pub next_due_on: Date,
        pub misses: i32,
        pub active: bool,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod check_in {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_check_ins")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub schedule_id: Uuid,
        pub unit_id: Uuid,
        pub client_id: Uuid,
        pub result: String,
        pub day: Date,
        pub made_by: String,
        pub at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod follow_up {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_follow_ups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub kind: String,
        pub call_id: Option<Uuid>,
        pub schedule_id: Option<Uuid>,
        pub client_id: Option<Uuid>,
        pub caller_phone: String,
        pub due_at: ChronoDateTimeUtc,
        pub done_at: Option<ChronoDateTimeUtc>,
        pub done_on: Option<Date>,
        pub done_by: String,
        pub result: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod flag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_flags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub flag: String,
        pub until: Date,
        pub set_by: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn split(s: &str) -> Vec<String> {
    s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn to_call(m: call::Model) -> Call {
    Call {
        id: CallId(m.id),
        org_id: OrgId(m.org_id),
        unit_id: UnitId(m.unit_id),
        caller_phone: m.caller_phone,
        client_id: m.client_id.map(ClientId),
        call_type: CallType::parse(&m.call_type).unwrap_or(CallType::Information),
        topics: split(&m.topics),
        duration_minutes: m.duration_minutes,
        note: m.note,
        risk: Triage::parse(&m.risk).unwrap_or(Triage::NoRisk),
        escalated_to: m.escalated_to.map(UserId),
        action: m.action,
        acknowledged_at: m.acknowledged_at,
        outcome: CallOutcome::parse(&m.outcome).unwrap_or(CallOutcome::Resolved),
        case_id: m.case_id.map(CaseId),
        operator_id: UserId(m.operator_id),
        operator_name: m.operator_name,
        at: m.at,
        version: m.version,
    }
}

fn to_follow_up(m: follow_up::Model) -> FollowUp {
    FollowUp {
        id: FollowUpId(m.id),
        unit_id: UnitId(m.unit_id),
        kind: FollowUpKind::parse(&m.kind).unwrap_or(FollowUpKind::Call),
        call_id: m.call_id.map(CallId),
        schedule_id: m.schedule_id.map(CheckInScheduleId),
        client_id: m.client_id.map(ClientId),
        caller_phone: m.caller_phone,
        due_at: m.due_at,
        done_at: m.done_at,
        done_by: m.done_by,
        result: m.result,
        created_at: m.created_at,
    }
}

fn to_schedule(m: schedule::Model) -> CheckInSchedule {
    CheckInSchedule {
        id: CheckInScheduleId(m.id),
        unit_id: UnitId(m.unit_id),
        client_id: ClientId(m.client_id),
        worker_id: UserId(m.worker_id),
        every_days: m.every_days,
        next_due_on: m.next_due_on,
        misses: m.misses,
        active: m.active,
        version: m.version,
    }
}

fn to_flag(m: flag::Model) -> CallerFlag {
    CallerFlag {
        client_id: ClientId(m.client_id),
        flag: CallerFlagKind::parse(&m.flag).unwrap_or(CallerFlagKind::FrequentCaller),
        until: m.until,
        set_by: m.set_by,
    }
}

async fn user_names<C: ConnectionTrait>(c: &C, org: OrgId, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(crate::accounts::user::Entity::find()
        .filter(crate::accounts::user::Column::OrgId.eq(org.0))
        .filter(crate::accounts::user::Column::Id.is_in(ids.iter().copied()))
        .all(c)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

async fn shifts_named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<shift::Model>) -> Result<Vec<Shift>> {
    let ids: Vec<Uuid> = rows.iter().map(|s| s.user_id).collect();
    let names = user_names(c, org, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| Shift {
            id: ShiftId(m.id),
            unit_id: UnitId(m.unit_id),
            user_id: UserId(m.user_id),
            user_name: names.get(&m.user_id).cloned().unwrap_or_default(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
        })
        .collect())
}

/// Moves a merged person's calls, schedules, check-ins and follow-ups onto the survivor.
pub(crate) async fn repoint_client(txn: &sea_orm::DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    for table in [call::Entity.table_name(), schedule::Entity.table_name(), check_in::Entity.table_name(), follow_up::Entity.table_name()] {
        crate::clients::repoint_rows(txn, table, org, from, to).await?;
    }
    // A flag the survivor already has stays as it is; the merged record's others move over.
    let kept: Vec<String> = flag::Entity::find()
        .filter(flag::Column::OrgId.eq(org.0))
        .filter(flag::Column::ClientId.eq(to.0))
        .all(txn)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|f| f.flag)
        .collect();
    flag::Entity::delete_many()
        .filter(flag::Column::OrgId.eq(org.0))
        .filter(flag::Column::ClientId.eq(from.0))
        .filter(flag::Column::Flag.is_in(kept))
        .exec(txn)
        .await
        .map_err(db_err)?;
    flag::Entity::update_many()
        .col_expr(flag::Column::ClientId, Expr::value(to.0))
        .filter(flag::Column::OrgId.eq(org.0))
        .filter(flag::Column::ClientId.eq(from.0))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Only rows of these units (None: every unit).
pub(crate) fn unit_filter<C: sea_orm::ColumnTrait>(col: C, units: Option<&[UnitId]>) -> sea_orm::sea_query::Condition {
    let mut c = sea_orm::sea_query::Condition::all();
    if let Some(us) = units {
        c = c.add(col.is_in(us.iter().map(|u| u.0)));
    }
    c
}

#[async_trait]
impl HotlineRepo for Store {
    async fn hotline_topics(&self, org: OrgId) -> Result<Vec<Topic>> {
        let m = settings::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)?;
        Ok(match m {
            Some(m) => serde_json::from_str(&m.topics).map_err(|e| DomainError::Storage(e.to_string()))?,
            None => default_topics(),
        })
    }

    async fn save_hotline_topics(&self, actor: &Actor, topics: &[Topic]) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let stored = settings::Entity::find_by_id(org.0).one(&txn).await.map_err(db_err)?;
        let before: Vec<Topic> = match &stored {
            Some(m) => serde_json::from_str(&m.topics).map_err(|e| DomainError::Storage(e.to_string()))?,
            None => default_topics(),
        };
        if let Some(missing) = before.iter().find(|b| !topics.iter().any(|t| t.code == b.code)) {
            // Calls refer to the codes: deactivate a topic instead.
            return Err(DomainError::Invalid(vec![FieldError::new("topics", "topic-kept").with("code", &missing.code)]));
        }
        let text = serde_json::to_string(topics).map_err(|e| DomainError::Storage(e.to_string()))?;
        let version = stored.as_ref().map(|m| m.version).unwrap_or(0) + 1;
        settings::Entity::insert(settings::ActiveModel { org_id: Set(org.0), topics: Set(text), version: Set(version) })
            .on_conflict(
                OnConflict::column(settings::Column::OrgId)
                    .update_columns([settings::Column::Topics, settings::Column::Version])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let codes: Vec<&str> = topics.iter().map(|t| t.code.as_str()).collect();
        append_in(&txn, actor, AuditEvent::new(Action::Update, "hotline_topics", org).detail(json!({ "codes": codes })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn hotline_point(&self, org: OrgId, unit: UnitId) -> Result<HotlinePoint> {
        let m = point::Entity::find_by_id((org.0, unit.0)).one(&self.db).await.map_err(db_err)?;
        Ok(match m {
            Some(m) => HotlinePoint { unit_id: unit, numbers: split(&m.numbers), opening_hours: m.opening_hours, version: m.version },
            None => HotlinePoint { unit_id: unit, numbers: vec![], opening_hours: String::new(), version: 0 },
        })
    }

    async fn save_hotline_point(&self, actor: &Actor, unit: UnitId, version: i64, f: &PointFields) -> Result<HotlinePoint> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let stored = point::Entity::find_by_id((org.0, unit.0)).one(&txn).await.map_err(db_err)?;
        let current = stored.as_ref().map(|m| m.version).unwrap_or(0);
        if current != version {
            return Err(DomainError::Stale);
        }
        let a = point::ActiveModel {
            org_id: Set(org.0),
            unit_id: Set(unit.0),
            numbers: Set(f.numbers.join(",")),
            opening_hours: Set(f.opening_hours.clone()),
            version: Set(version.saturating_add(1)),
            updated_at: Set(now),
        };
        if stored.is_some() {
            let done = point::Entity::update_many()
                .set(a)
                .filter(point::Column::OrgId.eq(org.0))
                .filter(point::Column::UnitId.eq(unit.0))
                .filter(point::Column::Version.eq(version))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            if done.rows_affected != 1 {
                return Err(DomainError::Stale);
            }
        } else {
            a.insert(&txn).await.map_err(db_err)?;
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(if stored.is_some() { Action::Update } else { Action::Create }, "hotline_point", unit)
                .detail(json!({ "fields": ["numbers", "opening_hours"] })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(HotlinePoint {
            unit_id: unit,
            numbers: f.numbers.clone(),
            opening_hours: f.opening_hours.clone(),
            version: version.saturating_add(1),
        })
    }

    async fn add_shift(&self, actor: &Actor, unit: UnitId, s: &ShiftInput) -> Result<Shift> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = shift::ActiveModel {
            org_id: Set(org.0),
            id: Set(ShiftId::new().0),
            unit_id: Set(unit.0),
            user_id: Set(s.user_id.0),
            starts_at: Set(s.starts_at),
            ends_at: Set(s.ends_at),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "hotline_shift", m.id).detail(json!({ "unit_id": unit, "user_id": s.user_id })),
            now,
        )
        .await
        .map_err(db_err)?;
        let out = shifts_named(&txn, org, vec![m]).await?;
        txn.commit().await.map_err(db_err)?;
        out.into_iter().next().ok_or(DomainError::NotFound)
    }

    async fn shifts(&self, org: OrgId, units: Option<&[UnitId]>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Shift>> {
        let rows = shift::Entity::find()
            .filter(shift::Column::OrgId.eq(org.0))
            .filter(unit_filter(shift::Column::UnitId, units))
            .filter(shift::Column::StartsAt.lt(to))
            .filter(shift::Column::EndsAt.gt(from))
            .order_by_asc(shift::Column::StartsAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        shifts_named(&self.db, org, rows).await
    }

    async fn log_call(&self, actor: &Actor, f: &CallFields) -> Result<Call> {
        let org = actor.org_id;
        let id = CallId::new();
        let m = call::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            caller_phone: Set(f.caller_phone.clone()),
            client_id: Set(f.client_id.map(|c| c.0)),
            call_type: Set(f.call_type.as_str().into()),
            topics: Set(f.topics.join(",")),
            duration_minutes: Set(f.duration_minutes),
            note: Set(f.note.clone()),
            risk: Set(f.risk.as_str().into()),
            escalated_to: Set(f.escalate_to.map(|u| u.0)),
            action: Set(f.action.clone()),
            acknowledged_at: Set(None),
            outcome: Set(f.outcome.as_str().into()),
            case_id: Set(None),
            operator_id: Set(f.operator_id.0),
            operator_name: Set(actor.name.clone()),
            day: Set(f.day),
            at: Set(f.at),
            version: Set(1),
        };
        let _queue = match self.db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => Some(self.writers.lock().await),
            _ => None,
        };
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = m.insert(&txn).await.map_err(db_err)?;
        if let Some(due) = f.follow_up_due {
            follow_up::ActiveModel {
                org_id: Set(org.0),
                id: Set(FollowUpId::new().0),
                unit_id: Set(f.unit_id.0),
                kind: Set(FollowUpKind::Call.as_str().into()),
                call_id: Set(Some(id.0)),
                schedule_id: Set(None),
                client_id: Set(f.client_id.map(|c| c.0)),
                caller_phone: Set(f.caller_phone.clone()),
                due_at: Set(due),
                done_at: Set(None),
                done_on: Set(None),
                done_by: Set(String::new()),
                result: Set(String::new()),
                created_at: Set(f.at),
            }
            .insert(&txn)
            .await
            .map_err(db_err)?;
        }
        // Steps and codes only: never the note or the number.
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "hotline_call", id).detail(json!({
                "unit_id": f.unit_id, "client_id": f.client_id, "risk": f.risk.as_str(), "outcome": f.outcome.as_str(),
                "escalated_to": f.escalate_to,
            })),
            f.at,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_call(m))
    }

    async fn get_call(&self, org: OrgId, id: CallId) -> Result<Call> {
        call::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_call).ok_or(DomainError::NotFound)
    }

    async fn list_calls(&self, org: OrgId, q: &CallQuery<'_>) -> Result<Vec<Call>> {
        let mut s = call::Entity::find().filter(call::Column::OrgId.eq(org.0)).filter(unit_filter(call::Column::UnitId, q.units));
        if let Some(c) = q.client {
            s = s.filter(call::Column::ClientId.eq(c.0));
        }
        if let Some(p) = q.phone {
            s = s.filter(call::Column::CallerPhone.eq(p));
        }
        if let Some(u) = q.open_escalations_for {
            s = s.filter(call::Column::EscalatedTo.eq(u.0)).filter(call::Column::AcknowledgedAt.is_null());
        }
        let rows = s.order_by_desc(call::Column::At).limit(q.limit.max(1)).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(to_call).collect())
    }

    async fn acknowledge_call(&self, actor: &Actor, id: CallId) -> Result<Call> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = call::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        if m.escalated_to.is_none() || m.acknowledged_at.is_some() {
            return Err(DomainError::Stale);
        }
        call::Entity::update_many()
            .col_expr(call::Column::AcknowledgedAt, Expr::value(now))
            .col_expr(call::Column::Version, Expr::value(m.version.saturating_add(1)))
            .filter(call::Column::OrgId.eq(org.0))
            .filter(call::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "hotline_call", id).detail(json!({ "step": "acknowledged" })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.get_call(org, id).await
    }

    async fn link_call_case(&self, actor: &Actor, id: CallId, case: CaseId) -> Result<Call> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = call::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        call::Entity::update_many()
            .col_expr(call::Column::CaseId, Expr::value(case.0))
            .col_expr(call::Column::Version, Expr::value(m.version.saturating_add(1)))
            .filter(call::Column::OrgId.eq(org.0))
            .filter(call::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "hotline_call", id).detail(json!({ "step": "case_opened", "case_id": case })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.get_call(org, id).await
    }

    async fn follow_ups(&self, org: OrgId, units: Option<&[UnitId]>, done_since: Option<DateTime<Utc>>) -> Result<Vec<FollowUp>> {
        let mut which = sea_orm::sea_query::Condition::any().add(follow_up::Column::DoneAt.is_null());
        if let Some(t) = done_since {
            which = which.add(follow_up::Column::DoneAt.gte(t));
        }
        let rows = follow_up::Entity::find()
            .filter(follow_up::Column::OrgId.eq(org.0))
            .filter(unit_filter(follow_up::Column::UnitId, units))
            .filter(which)
            .order_by_asc(follow_up::Column::DueAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_follow_up).collect())
    }

    async fn get_follow_up(&self, org: OrgId, id: FollowUpId) -> Result<FollowUp> {
        follow_up::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_follow_up).ok_or(DomainError::NotFound)
    }

    async fn complete_follow_up(&self, actor: &Actor, id: FollowUpId, result: &str, today: NaiveDate) -> Result<FollowUp> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        // Only an open item can be closed: a second close is stale, never a silent overwrite.
        let done = follow_up::Entity::update_many()
            .col_expr(follow_up::Column::DoneAt, Expr::value(now))
            .col_expr(follow_up::Column::DoneOn, Expr::value(today))
            .col_expr(follow_up::Column::DoneBy, Expr::value(actor.name.clone()))
            .col_expr(follow_up::Column::Result, Expr::value(result.to_string()))
            .filter(follow_up::Column::OrgId.eq(org.0))
            .filter(follow_up::Column::Id.eq(id.0))
            .filter(follow_up::Column::DoneAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        append_in(&txn, actor, AuditEvent::new(Action::Update, "hotline_follow_up", id).detail(json!({ "step": "done" })), now)
            .await
            .map_err(db_err)?;
        let m = follow_up::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_follow_up(m))
    }

    async fn create_schedule(&self, actor: &Actor, f: &ScheduleFields) -> Result<CheckInSchedule> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = schedule::ActiveModel {
            org_id: Set(org.0),
            id: Set(CheckInScheduleId::new().0),
            unit_id: Set(f.unit_id.0),
            client_id: Set(f.client_id.0),
            worker_id: Set(f.worker_id.0),
            every_days: Set(f.every_days),
            next_due_on: Set(f.first_on),
            misses: Set(0),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "hotline_schedule", m.id)
                .detail(json!({ "client_id": f.client_id, "worker_id": f.worker_id, "every_days": f.every_days })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_schedule(m))
    }

    async fn get_schedule(&self, org: OrgId, id: CheckInScheduleId) -> Result<CheckInSchedule> {
        schedule::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(to_schedule).ok_or(DomainError::NotFound)
    }

    async fn schedules(&self, org: OrgId, units: Option<&[UnitId]>, due_by: Option<NaiveDate>) -> Result<Vec<CheckInSchedule>> {
        let mut s = schedule::Entity::find()
            .filter(schedule::Column::OrgId.eq(org.0))
            .filter(schedule::Column::Active.eq(true))
            .filter(unit_filter(schedule::Column::UnitId, units));
        if let Some(d) = due_by {
            s = s.filter(schedule::Column::NextDueOn.lte(d));
        }
        let rows = s.order_by_asc(schedule::Column::NextDueOn).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(to_schedule).collect())
    }

    async fn record_check_in(
        &self,
        actor: &Actor,
        id: CheckInScheduleId,
        result: AttemptResult,
        today: NaiveDate,
    ) -> Result<AttemptOutcome> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = schedule::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let s = to_schedule(m);
        let effect = s.attempt(result, today);
        // Two attempts at once: the second is refused rather than losing a miss.
        let done = schedule::Entity::update_many()
            .col_expr(schedule::Column::NextDueOn, Expr::value(effect.next_due_on))
            .col_expr(schedule::Column::Misses, Expr::value(effect.misses))
            .col_expr(schedule::Column::Version, Expr::value(s.version.saturating_add(1)))
            .filter(schedule::Column::OrgId.eq(org.0))
            .filter(schedule::Column::Id.eq(id.0))
            .filter(schedule::Column::Version.eq(s.version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        check_in::ActiveModel {
            org_id: Set(org.0),
            id: Set(uuid::Uuid::now_v7()),
            schedule_id: Set(id.0),
            unit_id: Set(s.unit_id.0),
            client_id: Set(s.client_id.0),
            result: Set(result.as_str().into()),
            day: Set(today),
            made_by: Set(actor.name.clone()),
            at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let (mut home_visit, mut home_visit_case) = (None, None);
        if effect.home_visit {
            let open_case = crate::cases::case::Entity::find()
                .filter(crate::cases::case::Column::OrgId.eq(org.0))
                .filter(crate::cases::case::Column::ClientId.eq(s.client_id.0))
                .filter(crate::cases::case::Column::Status.ne(CaseStatus::Closed.as_str()))
                .order_by_desc(crate::cases::case::Column::OpenedOn)
                .one(&txn)
                .await
                .map_err(db_err)?;
            if let Some(c) = open_case {
                let locale = crate::accounts::user::Entity::find_by_id((org.0, c.worker_id))
                    .one(&txn)
                    .await
                    .map_err(db_err)?
                    .and_then(|u| u.locale.parse::<Locale>().ok())
                    .unwrap_or_default();
                let task = TaskFields { title: home_visit_task_title(locale).into(), due_on: today };
                let t = crate::cases::insert_task(&txn, actor, CaseId(c.id), &task, now).await?;
                append_in(
                    &txn,
                    actor,
                    AuditEvent::new(Action::Create, "case_task", t.id).detail(json!({ "case_id": c.id, "step": "check_in_escalated" })),
                    now,
                )
                .await
                .map_err(db_err)?;
                home_visit_case = Some(CaseId(c.id));
            } else {
                let f = follow_up::ActiveModel {
                    org_id: Set(org.0),
                    id: Set(FollowUpId::new().0),
                    unit_id: Set(s.unit_id.0),
                    kind: Set(FollowUpKind::HomeVisit.as_str().into()),
                    call_id: Set(None),
                    schedule_id: Set(Some(id.0)),
                    client_id: Set(Some(s.client_id.0)),
                    caller_phone: Set(String::new()),
                    due_at: Set(now),
                    done_at: Set(None),
                    done_on: Set(None),
                    done_by: Set(String::new()),
                    result: Set(String::new()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await
                .map_err(db_err)?;
                home_visit = Some(to_follow_up(f));
            }
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "hotline_schedule", id)
                .detail(json!({ "step": "check_in", "result": result.as_str(), "home_visit": effect.home_visit })),
            now,
        )
        .await
        .map_err(db_err)?;
        let after = schedule::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(AttemptOutcome { schedule: to_schedule(after), home_visit, home_visit_case })
    }

    async fn set_caller_flag(&self, actor: &Actor, client: ClientId, kind: CallerFlagKind, until: NaiveDate) -> Result<CallerFlag> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = flag::ActiveModel {
            org_id: Set(org.0),
            client_id: Set(client.0),
            flag: Set(kind.as_str().into()),
            until: Set(until),
            set_by: Set(actor.name.clone()),
            created_at: Set(now),
        };
        flag::Entity::insert(m)
            .on_conflict(
                OnConflict::columns([flag::Column::OrgId, flag::Column::ClientId, flag::Column::Flag])
                    .update_columns([flag::Column::Until, flag::Column::SetBy, flag::Column::CreatedAt])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "client", client)
                .detail(json!({ "step": "hotline_flag", "flag": kind.as_str(), "until": until })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(CallerFlag { client_id: client, flag: kind, until, set_by: actor.name.clone() })
    }

    async fn caller_flags(&self, org: OrgId, client: ClientId, today: NaiveDate) -> Result<Vec<CallerFlag>> {
        let rows = flag::Entity::find()
            .filter(flag::Column::OrgId.eq(org.0))
            .filter(flag::Column::ClientId.eq(client.0))
            .filter(flag::Column::Until.gte(today))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_flag).collect())
    }

    async fn hotline_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<HotlineFacts> {
        let calls = call::Entity::find()
            .select_only()
            .columns([
                call::Column::UnitId,
                call::Column::Day,
                call::Column::ClientId,
                call::Column::CallerPhone,
                call::Column::Topics,
                call::Column::Risk,
            ])
            .filter(call::Column::OrgId.eq(org.0))
            .filter(unit_filter(call::Column::UnitId, units))
            .filter(call::Column::Day.between(from, to))
            .into_tuple::<(Uuid, NaiveDate, Option<Uuid>, String, String, String)>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|(u, day, client, phone, topics, risk)| CallFact {
                unit_id: UnitId(u),
                day,
                client_id: client.map(ClientId),
                caller_phone: phone,
                topics: split(&topics),
                risk: Triage::parse(&risk).unwrap_or(Triage::NoRisk),
            })
            .collect();
        let follow_ups = follow_up::Entity::find()
            .select_only()
            .columns([follow_up::Column::UnitId, follow_up::Column::DoneOn])
            .filter(follow_up::Column::OrgId.eq(org.0))
            .filter(unit_filter(follow_up::Column::UnitId, units))
            .filter(follow_up::Column::Kind.eq(FollowUpKind::Call.as_str()))
            .filter(follow_up::Column::DoneOn.between(from, to))
            .into_tuple::<(Uuid, NaiveDate)>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|(u, day)| ActivityFact { unit_id: UnitId(u), day })
            .collect();
        let check_ins = check_in::Entity::find()
            .select_only()
            .columns([check_in::Column::UnitId, check_in::Column::Day])
            .filter(check_in::Column::OrgId.eq(org.0))
            .filter(unit_filter(check_in::Column::UnitId, units))
            .filter(check_in::Column::Day.between(from, to))
            .into_tuple::<(Uuid, NaiveDate)>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|(u, day)| ActivityFact { unit_id: UnitId(u), day })
            .collect();
        let start = from.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or_default();
        let end = (to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or_default();
        let shifts = self.shifts(org, units, start, end).await?;
        Ok(HotlineFacts { calls, follow_ups, check_ins, shifts })
    }
}
