//! Emergency assistance storage. Each step is one write transaction with its audit row: the
//! request's row changes only while it still has the status the step starts from (a
//! conditional update), so two people pressing "delivered" at once record one delivery. A
//! delivery that hands over donated stock writes its ledger lines (`store::donations`) in the
//! same transaction, and the whole step is refused when the stock is short.

use crate::audit::append_in;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::assistance::{
    check_dispatch, check_follow_up, default_settings, next_status, AssistanceRequest, AssistanceSettings, DeliveryFields, DeliveryStep,
    ProofKind, RequestFact, RequestFields, RequestSource, RequestStatus, Urgency,
};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::ids::{AssistanceRequestId, ClientId, HouseholdId, OrgId, UnitId, UserId};
use shegong_domain::ports::{AssistanceRepo, RequestQuery};
use shegong_domain::{DomainError, Result};
use std::collections::HashMap;

entity!(settings, "assistance_settings", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    settings: String,
    version: i64,
});

entity!(request, "assistance_requests", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    client_id: Option<Uuid>,
    household_id: Option<Uuid>,
    persons: i32,
    need: String,
    urgency: String,
    detail: String,
    requested_by: String,
    consent: bool,
    source: String,
    source_ref: String,
    status: String,
    assignee_id: Option<Uuid>,
    requested_at: ChronoDateTimeUtc,
    requested_on: Date,
    assigned_at: Option<ChronoDateTimeUtc>,
    on_the_way_at: Option<ChronoDateTimeUtc>,
    delivered_at: Option<ChronoDateTimeUtc>,
    failed_at: Option<ChronoDateTimeUtc>,
    followed_up_at: Option<ChronoDateTimeUtc>,
    failure_reason: String,
    proof: Option<String>,
    recipient_name: String,
    has_photo: bool,
    follow_up_note: String,
    created_by: String,
    version: i64,
});

entity!(photo, "assistance_photos", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] request_id: Uuid,
    content_type: String,
    bytes: Vec<u8>,
    updated_at: ChronoDateTimeUtc,
});

fn storage(e: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(e.to_string())
}

async fn load_settings<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<AssistanceSettings> {
    match settings::Entity::find_by_id(org.0).one(c).await.map_err(db_err)? {
        Some(m) => serde_json::from_str(&m.settings).map_err(storage),
        None => Ok(default_settings()),
    }
}

async fn audit<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    action: Action,
    id: impl ToString,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::audit::record(c, actor, action, "assistance_request", id, detail, now).await
}

/// Names for a page of requests: the household's (else the person's) and the assignee's.
async fn named<C: ConnectionTrait>(c: &C, org: OrgId, rows: Vec<request::Model>) -> Result<Vec<AssistanceRequest>> {
    let hh: Vec<Uuid> = rows.iter().filter_map(|r| r.household_id).collect();
    let cl: Vec<Uuid> = rows.iter().filter(|r| r.household_id.is_none()).filter_map(|r| r.client_id).collect();
    let us: Vec<Uuid> = rows.iter().filter_map(|r| r.assignee_id).collect();
    let mut households = HashMap::new();
    for chunk in hh.chunks(500) {
        let found = crate::clients::household::Entity::find()
            .filter(crate::clients::household::Column::OrgId.eq(org.0))
            .filter(crate::clients::household::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        households.extend(found.into_iter().map(|h| (h.id, h.name)));
    }
    let mut clients = HashMap::new();
    for chunk in cl.chunks(500) {
        let found = crate::clients::client::Entity::find()
            .filter(crate::clients::client::Column::OrgId.eq(org.0))
            .filter(crate::clients::client::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        clients.extend(found.into_iter().map(|x| (x.id, shegong_domain::clients::display_name(&x.name_zh, &x.name_en))));
    }
    let mut users = HashMap::new();
    for chunk in us.chunks(500) {
        let found = crate::accounts::user::Entity::find()
            .filter(crate::accounts::user::Column::OrgId.eq(org.0))
            .filter(crate::accounts::user::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await
            .map_err(db_err)?;
        users.extend(found.into_iter().map(|u| (u.id, u.display_name)));
    }
    Ok(rows
        .into_iter()
        .map(|m| {
            let subject_name = m
                .household_id
                .and_then(|h| households.get(&h).cloned())
                .or_else(|| m.client_id.and_then(|x| clients.get(&x).cloned()))
                .unwrap_or_default();
            let assignee_name = m.assignee_id.and_then(|u| users.get(&u).cloned()).unwrap_or_default();
            AssistanceRequest {
                id: AssistanceRequestId(m.id),
                org_id: OrgId(m.org_id),
                unit_id: UnitId(m.unit_id),
                client_id: m.client_id.map(ClientId),
                household_id: m.household_id.map(HouseholdId),
                subject_name,
                persons: m.persons,
                need: m.need,
                urgency: Urgency::parse(&m.urgency).unwrap_or(Urgency::Routine),
                detail: m.detail,
                requested_by: m.requested_by,
                consent: m.consent,
                source: RequestSource::parse(&m.source).unwrap_or(RequestSource::WalkIn),
                source_ref: m.source_ref,
                status: RequestStatus::parse(&m.status).unwrap_or(RequestStatus::Pending),
                assignee_id: m.assignee_id.map(UserId),
                assignee_name,
                requested_at: m.requested_at,
                requested_on: m.requested_on,
                assigned_at: m.assigned_at,
                on_the_way_at: m.on_the_way_at,
                delivered_at: m.delivered_at,
                failed_at: m.failed_at,
                followed_up_at: m.followed_up_at,
                failure_reason: m.failure_reason,
                proof: m.proof.as_deref().and_then(ProofKind::parse),
                recipient_name: m.recipient_name,
                has_photo: m.has_photo,
                follow_up_note: m.follow_up_note,
                created_by: m.created_by,
                version: m.version,
            }
        })
        .collect())
}

async fn load<C: ConnectionTrait>(c: &C, org: OrgId, id: AssistanceRequestId) -> Result<request::Model> {
    request::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

async fn one<C: ConnectionTrait>(c: &C, org: OrgId, m: request::Model) -> Result<AssistanceRequest> {
    named(c, org, vec![m]).await?.pop().ok_or(DomainError::NotFound)
}

/// Moves a request on from the status it was read at; `Stale` when someone else moved it first.
async fn guarded(txn: &DatabaseTransaction, before: &request::Model, mut am: request::ActiveModel) -> Result<()> {
    am.version = Set(before.version.saturating_add(1));
    let done = request::Entity::update_many()
        .set(am)
        .filter(request::Column::OrgId.eq(before.org_id))
        .filter(request::Column::Id.eq(before.id))
        .filter(request::Column::Version.eq(before.version))
        .filter(request::Column::Status.eq(before.status.clone()))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if done.rows_affected != 1 {
        return Err(DomainError::Stale);
    }
    Ok(())
}

/// Moves the requests of a merged person onto the survivor.
pub(crate) async fn repoint_client(txn: &DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    crate::clients::repoint_rows(txn, request::Entity.table_name(), org, from, to).await
}

fn status_of(m: &request::Model) -> RequestStatus {
    RequestStatus::parse(&m.status).unwrap_or(RequestStatus::Pending)
}

#[async_trait]
impl AssistanceRepo for Store {
    async fn assistance_settings(&self, org: OrgId) -> Result<AssistanceSettings> {
        load_settings(&self.db, org).await
    }

    async fn save_assistance_settings(&self, actor: &Actor, s: &AssistanceSettings) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_settings(&txn, org).await?;
        if let Some(gone) = before.needs.iter().find(|b| !s.needs.iter().any(|n| n.code == b.code)) {
            // Requests hold the codes: deactivate a need instead.
            return Err(DomainError::Invalid(vec![shegong_domain::FieldError::new("needs", "code-kept").with("code", &gone.code)]));
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
        let codes: Vec<&str> = s.needs.iter().map(|n| n.code.as_str()).collect();
        append_in(&txn, actor, AuditEvent::new(Action::Update, "assistance_settings", org).detail(json!({"needs": codes})), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn create_request(&self, actor: &Actor, f: &RequestFields, today: NaiveDate) -> Result<AssistanceRequest> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = request::ActiveModel {
            org_id: Set(org.0),
            id: Set(AssistanceRequestId::new().0),
            unit_id: Set(f.unit_id.0),
            client_id: Set(f.client_id.map(|c| c.0)),
            household_id: Set(f.household_id.map(|h| h.0)),
            persons: Set(f.persons.unwrap_or(1)),
            need: Set(f.need.clone()),
            urgency: Set(f.urgency.as_str().into()),
            detail: Set(f.detail.clone()),
            requested_by: Set(f.requested_by.clone()),
            consent: Set(f.consent),
            source: Set(f.source.as_str().into()),
            source_ref: Set(f.source_ref.clone()),
            status: Set(RequestStatus::Pending.as_str().into()),
            assignee_id: Set(None),
            requested_at: Set(now),
            requested_on: Set(today),
            assigned_at: Set(None),
            on_the_way_at: Set(None),
            delivered_at: Set(None),
            failed_at: Set(None),
            followed_up_at: Set(None),
            failure_reason: Set(String::new()),
            proof: Set(None),
            recipient_name: Set(String::new()),
            has_photo: Set(false),
            follow_up_note: Set(String::new()),
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
            m.id,
            json!({"unit_id": f.unit_id, "need": f.need, "urgency": f.urgency.as_str(), "source": f.source.as_str(), "source_ref": f.source_ref}),
            now,
        )
        .await?;
        let r = one(&txn, org, m).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn get_request(&self, org: OrgId, id: AssistanceRequestId) -> Result<AssistanceRequest> {
        let m = load(&self.db, org, id).await?;
        one(&self.db, org, m).await
    }

    async fn list_requests(&self, org: OrgId, q: &RequestQuery<'_>) -> Result<Vec<AssistanceRequest>> {
        let mut s = request::Entity::find().filter(request::Column::OrgId.eq(org.0));
        if let Some(us) = q.units {
            s = s.filter(request::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        if let Some(a) = q.assignee {
            s = s.filter(request::Column::AssigneeId.eq(a.0));
        }
        if q.open_only {
            s = s.filter(request::Column::Status.is_in(["pending", "assigned", "on_the_way"]));
        }
        if q.client.is_some() || q.household.is_some() {
            let mut whose = sea_orm::Condition::any();
            if let Some(c) = q.client {
                whose = whose.add(request::Column::ClientId.eq(c.0));
            }
            if let Some(h) = q.household {
                whose = whose.add(request::Column::HouseholdId.eq(h.0));
            }
            s = s.filter(whose);
        }
        let rows = s.order_by_desc(request::Column::RequestedAt).limit(q.limit).all(&self.db).await.map_err(db_err)?;
        named(&self.db, org, rows).await
    }

    async fn dispatch_request(&self, actor: &Actor, id: AssistanceRequestId, assignee: UserId) -> Result<AssistanceRequest> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load(&txn, org, id).await?;
        check_dispatch(status_of(&before))?;
        let am = request::ActiveModel {
            status: Set(RequestStatus::Assigned.as_str().into()),
            assignee_id: Set(Some(assignee.0)),
            assigned_at: Set(Some(now)),
            ..Default::default()
        };
        guarded(&txn, &before, am).await?;
        audit(&txn, actor, Action::Update, id, json!({"step": "assigned", "assignee_id": assignee}), now).await?;
        let r = one(&txn, org, load(&txn, org, id).await?).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn delivery_step(
        &self,
        actor: &Actor,
        id: AssistanceRequestId,
        f: &DeliveryFields,
        today: NaiveDate,
    ) -> Result<AssistanceRequest> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load(&txn, org, id).await?;
        let next = next_status(status_of(&before), f.step)?;
        let mut am = request::ActiveModel { status: Set(next.as_str().into()), ..Default::default() };
        match f.step {
            DeliveryStep::OnTheWay => am.on_the_way_at = Set(Some(now)),
            DeliveryStep::Failed => {
                am.failed_at = Set(Some(now));
                am.failure_reason = Set(f.reason.clone());
            }
            DeliveryStep::Delivered => {
                am.delivered_at = Set(Some(now));
                am.proof = Set(f.proof.map(|p| p.as_str().to_string()));
                am.recipient_name = Set(f.recipient_name.clone());
                if let Some(p) = f.persons {
                    am.persons = Set(p);
                }
            }
        }
        guarded(&txn, &before, am).await?;
        if f.step == DeliveryStep::Delivered && !f.items.is_empty() {
            let persons = f.persons.unwrap_or(before.persons);
            crate::donations::hand_over(
                &txn,
                actor,
                UnitId(before.unit_id),
                before.household_id.map(HouseholdId),
                persons,
                &f.items,
                Some(id),
                today,
                now,
            )
            .await?;
        }
        let items: Vec<serde_json::Value> = f.items.iter().map(|(i, q)| json!({"item_id": i, "quantity": q})).collect();
        audit(&txn, actor, Action::Update, id, json!({"step": f.step.as_str(), "proof": f.proof.map(|p| p.as_str()), "items": items}), now)
            .await?;
        let r = one(&txn, org, load(&txn, org, id).await?).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn follow_up_request(&self, actor: &Actor, id: AssistanceRequestId, note: &str) -> Result<AssistanceRequest> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load(&txn, org, id).await?;
        check_follow_up(status_of(&before))?;
        let am = request::ActiveModel {
            status: Set(RequestStatus::FollowedUp.as_str().into()),
            followed_up_at: Set(Some(now)),
            follow_up_note: Set(note.to_string()),
            ..Default::default()
        };
        guarded(&txn, &before, am).await?;
        audit(&txn, actor, Action::Update, id, json!({"step": "followed_up"}), now).await?;
        let r = one(&txn, org, load(&txn, org, id).await?).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn set_request_photo(
        &self,
        actor: &Actor,
        id: AssistanceRequestId,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<AssistanceRequest> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load(&txn, org, id).await?;
        photo::Entity::insert(photo::ActiveModel {
            org_id: Set(org.0),
            request_id: Set(id.0),
            content_type: Set(content_type.into()),
            bytes: Set(bytes.to_vec()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([photo::Column::OrgId, photo::Column::RequestId])
                .update_columns([photo::Column::ContentType, photo::Column::Bytes, photo::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(&txn)
        .await
        .map_err(db_err)?;
        request::Entity::update_many()
            .col_expr(request::Column::HasPhoto, Expr::value(true))
            .col_expr(request::Column::Version, Expr::value(before.version.saturating_add(1)))
            .filter(request::Column::OrgId.eq(org.0))
            .filter(request::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        audit(&txn, actor, Action::Update, id, json!({"step": "photo", "content_type": content_type, "bytes": bytes.len()}), now).await?;
        let r = one(&txn, org, load(&txn, org, id).await?).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(r)
    }

    async fn request_photo(&self, org: OrgId, id: AssistanceRequestId) -> Result<Option<(String, Vec<u8>)>> {
        Ok(photo::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(|p| (p.content_type, p.bytes)))
    }

    async fn assistance_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<RequestFact>> {
        let mut s = request::Entity::find()
            .filter(request::Column::OrgId.eq(org.0))
            .filter(request::Column::RequestedOn.gte(from))
            .filter(request::Column::RequestedOn.lte(to));
        if let Some(us) = units {
            s = s.filter(request::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        let rows = s.all(&self.db).await.map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|m| RequestFact {
                unit_id: UnitId(m.unit_id),
                status: status_of(&m),
                need: m.need,
                requested_on: m.requested_on,
                requested_at: m.requested_at,
                delivered_at: m.delivered_at,
                persons: m.persons,
                household_id: m.household_id.map(HouseholdId),
            })
            .collect())
    }
}
