//! Outcome measurement storage: the agency's own scales (a scale's whole definition as JSON:
//! it is read and written whole, never queried by part) and administrations with their answers
//! and scores. Each write records its audit row in the same transaction.

use crate::{db_err, Store};
use async_trait::async_trait;
use sea_orm::{entity::prelude::*, DatabaseTransaction, QueryOrder, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::ids::{ActivityId, AdministrationId, CaseId, ClientId, OrgId, UnitId};
use shegong_domain::outcomes::{Administration, AdministrationFields, Mode, Scale, TimePoint};
use shegong_domain::ports::{AdministrationQuery, OutcomesRepo};
use shegong_domain::{DomainError, FieldError, Result};

entity!(scale, "outcome_scales", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] code: String,
    definition: String,
    created_by: String,
    created_at: ChronoDateTimeUtc,
});

entity!(administration, "outcome_administrations", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    client_id: Uuid,
    scale: String,
    case_id: Option<Uuid>,
    activity_id: Option<Uuid>,
    intervention: String,
    time_point: String,
    mode: String,
    administered_on: Date,
    answers: String,
    score: f64,
    band: String,
    subscales: String,
    recorded_by: String,
    recorded_at: ChronoDateTimeUtc,
});

fn storage(e: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(e.to_string())
}

fn to_domain(m: administration::Model) -> Administration {
    Administration {
        id: AdministrationId(m.id),
        org_id: OrgId(m.org_id),
        unit_id: UnitId(m.unit_id),
        client_id: ClientId(m.client_id),
        scale: m.scale,
        case_id: m.case_id.map(CaseId),
        activity_id: m.activity_id.map(ActivityId),
        intervention: m.intervention,
        time_point: TimePoint::parse(&m.time_point).unwrap_or(TimePoint::Mid),
        mode: Mode::parse(&m.mode).unwrap_or(Mode::Paper),
        administered_on: m.administered_on,
        answers: serde_json::from_str(&m.answers).unwrap_or_default(),
        score: m.score,
        band: m.band,
        subscales: serde_json::from_str(&m.subscales).unwrap_or_default(),
        recorded_by: m.recorded_by,
        recorded_at: m.recorded_at,
    }
}

/// Moves the administrations of a merged person onto the survivor.
pub(crate) async fn repoint_client(txn: &DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    crate::clients::repoint_rows(txn, administration::Entity.table_name(), org, from, to).await
}

#[async_trait]
impl OutcomesRepo for Store {
    async fn agency_scales(&self, org: OrgId) -> Result<Vec<Scale>> {
        let rows = scale::Entity::find()
            .filter(scale::Column::OrgId.eq(org.0))
            .order_by_asc(scale::Column::Code)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(|r| serde_json::from_str(&r.definition).map_err(storage)).collect()
    }

    async fn add_scale(&self, actor: &Actor, s: &Scale) -> Result<Scale> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        if scale::Entity::find_by_id((actor.org_id.0, s.code.clone())).one(&txn).await.map_err(db_err)?.is_some() {
            return Err(DomainError::Invalid(vec![FieldError::new("code", "duplicate")]));
        }
        scale::ActiveModel {
            org_id: Set(actor.org_id.0),
            code: Set(s.code.clone()),
            definition: Set(serde_json::to_string(s).map_err(storage)?),
            created_by: Set(actor.name.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        crate::audit::record(
            &txn,
            actor,
            Action::Create,
            "outcome_scale",
            &s.code,
            json!({"items": s.items.len(), "licence": s.licence}),
            now,
        )
        .await?;
        txn.commit().await.map_err(db_err)?;
        Ok(s.clone())
    }

    async fn record_administration(&self, actor: &Actor, unit: UnitId, f: &AdministrationFields) -> Result<Administration> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = administration::ActiveModel {
            org_id: Set(actor.org_id.0),
            id: Set(AdministrationId::new().0),
            unit_id: Set(unit.0),
            client_id: Set(f.client_id.0),
            scale: Set(f.scale.clone()),
            case_id: Set(f.case_id.map(|c| c.0)),
            activity_id: Set(f.activity_id.map(|a| a.0)),
            intervention: Set(f.intervention.clone()),
            time_point: Set(f.time_point.as_str().into()),
            mode: Set(f.mode.as_str().into()),
            administered_on: Set(f.administered_on),
            answers: Set(serde_json::to_string(&f.answers).map_err(storage)?),
            score: Set(f.scored.score),
            band: Set(f.scored.band.clone()),
            subscales: Set(serde_json::to_string(&f.scored.subscales).map_err(storage)?),
            recorded_by: Set(actor.name.clone()),
            recorded_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        crate::audit::record(
            &txn,
            actor,
            Action::Create,
            "outcome_administration",
            m.id,
            json!({"client_id": f.client_id, "scale": f.scale, "time_point": f.time_point.as_str(), "mode": f.mode.as_str(),
                   "administered_on": f.administered_on, "score": f.scored.score}),
            now,
        )
        .await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_domain(m))
    }

    async fn administrations(&self, org: OrgId, q: &AdministrationQuery<'_>) -> Result<Vec<Administration>> {
        use administration::Column as C;
        let mut s = administration::Entity::find().filter(C::OrgId.eq(org.0));
        if let Some(c) = q.client {
            s = s.filter(C::ClientId.eq(c.0));
        }
        if let Some(x) = q.scale {
            s = s.filter(C::Scale.eq(x));
        }
        if let Some(c) = q.case {
            s = s.filter(C::CaseId.eq(c.0));
        }
        if let Some(a) = q.activity {
            s = s.filter(C::ActivityId.eq(a.0));
        }
        if let Some(is) = q.interventions {
            s = s.filter(C::Intervention.is_in(is.iter().cloned()));
        }
        if let Some(us) = q.units {
            s = s.filter(C::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        if let Some(tp) = q.time_point {
            s = s.filter(C::TimePoint.eq(tp.as_str()));
        }
        let rows = s.order_by_asc(C::AdministeredOn).order_by_asc(C::RecordedAt).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(to_domain).collect())
    }
}
