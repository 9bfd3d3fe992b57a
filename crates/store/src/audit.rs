//! The hash-chained audit log.

use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{entity::prelude::*, ConnectionTrait, QueryOrder, QuerySelect, Set};
use shegong_domain::accounts::Actor;
use shegong_domain::audit::{verify_chain, Action, AuditEntry, AuditEvent, VerifyReport, GENESIS_HASH};
use shegong_domain::ids::{OrgId, UserId};
use shegong_domain::ports::AuditRepo;
use shegong_domain::{DomainError, Result};

pub(crate) mod log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: ChronoDateTimeUtc,
        pub actor_user_id: Option<Uuid>,
        pub actor_name: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        pub detail: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl From<log::Model> for AuditEntry {
    fn from(m: log::Model) -> Self {
        Self {
            org_id: OrgId(m.org_id),
            seq: m.seq,
            at: m.at,
            actor_user_id: m.actor_user_id.map(UserId),
            actor_name: m.actor_name,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            detail: m.detail,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

/// Starts an agency's chain; called when the agency is created.
pub(crate) async fn start_chain<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<(), DbErr> {
    head::ActiveModel { org_id: Set(org.0), seq: Set(0), hash: Set(GENESIS_HASH.to_string()) }.insert(c).await?;
    Ok(())
}

/// `append_in` for a capability's write: one entry about a record of kind `what`, with the
/// database error mapped as on every request path.
pub(crate) async fn record<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    action: Action,
    what: &'static str,
    id: impl ToString,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    append_in(c, actor, AuditEvent::new(action, what, id).detail(detail), at).await.map_err(db_err)
}

/// Appends one entry inside the caller's transaction, so the change and its record commit together.
pub(crate) async fn append_in<C: ConnectionTrait>(c: &C, actor: &Actor, event: AuditEvent, at: DateTime<Utc>) -> Result<(), DbErr> {
    // Bumping the head first takes its row lock (PostgreSQL) or the write lock (SQLite),
    // so concurrent appends for one agency queue here and the chain never forks.
    let bumped = head::Entity::update_many()
        .col_expr(head::Column::Seq, Expr::col(head::Column::Seq).add(1))
        .filter(head::Column::OrgId.eq(actor.org_id.0))
        .exec(c)
        .await?;
    if bumped.rows_affected != 1 {
        return Err(DbErr::RecordNotFound(format!("audit chain of agency {}", actor.org_id)));
    }
    let h = head::Entity::find_by_id(actor.org_id.0).one(c).await?.ok_or_else(|| DbErr::RecordNotFound("audit head".into()))?;
    let mut entry = AuditEntry {
        org_id: actor.org_id,
        seq: h.seq,
        // Microsecond precision: both engines store it exactly, so the hash re-computes.
        at: DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at),
        actor_user_id: actor.user_id,
        actor_name: actor.name.clone(),
        action: event.action.as_str().to_string(),
        entity_type: event.entity_type.to_string(),
        entity_id: event.entity_id,
        detail: if serde_json::Value::is_null(&event.detail) { "{}".to_string() } else { event.detail.to_string() },
        prev_hash: h.hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    log::ActiveModel {
        org_id: Set(entry.org_id.0),
        seq: Set(entry.seq),
        at: Set(entry.at),
        actor_user_id: Set(entry.actor_user_id.map(|u| u.0)),
        actor_name: Set(entry.actor_name.clone()),
        action: Set(entry.action.clone()),
        entity_type: Set(entry.entity_type.clone()),
        entity_id: Set(entry.entity_id.clone()),
        detail: Set(entry.detail.clone()),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    }
    .insert(c)
    .await?;
    head::Entity::update_many()
        .col_expr(head::Column::Hash, Expr::value(entry.hash))
        .filter(head::Column::OrgId.eq(actor.org_id.0))
        .exec(c)
        .await?;
    Ok(())
}

/// Appends many entries at once (imports): one bump of the head, hashes chained in memory,
/// rows inserted in batches.
pub(crate) async fn append_many_in<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    events: Vec<AuditEvent>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let n = events.len() as i64;
    // Bound as a 32-bit integer, as in `append_in`: PostgreSQL types `seq + $1` by the
    // literal's type and refuses an 8-byte value there. An import never nears 2^31 rows.
    let step = i32::try_from(n).map_err(|_| DbErr::Custom("too many audit entries in one batch".into()))?;
    let bumped = head::Entity::update_many()
        .col_expr(head::Column::Seq, Expr::col(head::Column::Seq).add(step))
        .filter(head::Column::OrgId.eq(actor.org_id.0))
        .exec(c)
        .await?;
    if bumped.rows_affected != 1 {
        return Err(DbErr::RecordNotFound(format!("audit chain of agency {}", actor.org_id)));
    }
    let h = head::Entity::find_by_id(actor.org_id.0).one(c).await?.ok_or_else(|| DbErr::RecordNotFound("audit head".into()))?;
    let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
    let mut prev = h.hash;
    let mut rows = Vec::with_capacity(events.len());
    for (seq, event) in (h.seq - n + 1..).zip(events) {
        let mut e = AuditEntry {
            org_id: actor.org_id,
            seq,
            at,
            actor_user_id: actor.user_id,
            actor_name: actor.name.clone(),
            action: event.action.as_str().to_string(),
            entity_type: event.entity_type.to_string(),
            entity_id: event.entity_id,
            detail: if serde_json::Value::is_null(&event.detail) { "{}".to_string() } else { event.detail.to_string() },
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        rows.push(log::ActiveModel {
            org_id: Set(e.org_id.0),
            seq: Set(e.seq),
            at: Set(e.at),
            actor_user_id: Set(e.actor_user_id.map(|u| u.0)),
            actor_name: Set(e.actor_name),
            action: Set(e.action),
            entity_type: Set(e.entity_type),
            entity_id: Set(e.entity_id),
            detail: Set(e.detail),
            prev_hash: Set(e.prev_hash),
            hash: Set(e.hash),
        });
    }
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(500));
        log::Entity::insert_many(std::mem::replace(&mut rows, rest)).exec(c).await?;
    }
    head::Entity::update_many()
        .col_expr(head::Column::Hash, Expr::value(prev))
        .filter(head::Column::OrgId.eq(actor.org_id.0))
        .exec(c)
        .await?;
    Ok(())
}

#[async_trait]
impl AuditRepo for Store {
    async fn audit_for(&self, org: OrgId, entity_type: &str, entity_id: &str) -> Result<Vec<AuditEntry>> {
        let rows = log::Entity::find()
            .filter(log::Column::OrgId.eq(org.0))
            .filter(log::Column::EntityType.eq(entity_type))
            .filter(log::Column::EntityId.eq(entity_id))
            .order_by_asc(log::Column::Seq)
            .limit(1000)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn append(&self, actor: &Actor, event: AuditEvent) -> Result<()> {
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        append_in(&txn, actor, event, self.now()).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn list_audit(&self, org: OrgId, before_seq: Option<i64>, limit: u64) -> Result<Vec<AuditEntry>> {
        let mut q = log::Entity::find().filter(log::Column::OrgId.eq(org.0));
        if let Some(b) = before_seq {
            q = q.filter(log::Column::Seq.lt(b));
        }
        let rows = q.order_by_desc(log::Column::Seq).limit(limit).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn verify_audit(&self, org: OrgId) -> Result<VerifyReport> {
        // Page through the chain so a long log never sits in memory at once.
        const PAGE: u64 = 5_000;
        let mut last_seq = 0i64;
        let mut prev: Option<AuditEntry> = None;
        let mut total = 0u64;
        loop {
            let rows = log::Entity::find()
                .filter(log::Column::OrgId.eq(org.0))
                .filter(log::Column::Seq.gt(last_seq))
                .order_by_asc(log::Column::Seq)
                .limit(PAGE)
                .all(&self.db)
                .await
                .map_err(db_err)?;
            if rows.is_empty() {
                break;
            }
            let page: Vec<AuditEntry> = prev.take().into_iter().chain(rows.into_iter().map(Into::into)).collect();
            let skip = if total == 0 { 0 } else { 1 };
            let report = verify_from(&page, skip);
            if let Some(bad) = report {
                return Ok(VerifyReport { entries: total + page.len() as u64 - skip as u64, first_bad_seq: Some(bad) });
            }
            total += (page.len() - skip) as u64;
            last_seq = page.last().map(|e| e.seq).unwrap_or(last_seq);
            prev = page.last().cloned();
        }
        // The head must point at the last entry, or rows were cut from the end.
        let h = head::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let tail_ok = match &prev {
            Some(e) => e.seq == h.seq && e.hash == h.hash,
            None => h.seq == 0,
        };
        Ok(VerifyReport { entries: total, first_bad_seq: if tail_ok { None } else { Some(last_seq + 1) } })
    }
}

/// Checks a page whose first `skip` entries were already checked (they carry the link).
fn verify_from(page: &[AuditEntry], skip: usize) -> Option<i64> {
    if skip == 0 {
        return verify_chain(page).first_bad_seq;
    }
    for w in page.windows(2) {
        let (p, e) = (&w[0], &w[1]);
        if e.seq != p.seq + 1 || e.prev_hash != p.hash || e.compute_hash() != e.hash {
            return Some(e.seq);
        }
    }
    None
}
