//! Report storage: the yearly output targets. The figures themselves are read through each
//! capability's own facts and counts.

use crate::audit::record as audit;
use crate::{db_err, Store};
use async_trait::async_trait;
use sea_orm::{entity::prelude::*, ConnectionTrait, QueryOrder, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::ids::{OrgId, TargetId, UnitId};
use shegong_domain::ports::ReportsRepo;
use shegong_domain::reports::{Measure, Target, TargetFields};
use shegong_domain::{DomainError, Result};

entity!(target, "report_targets", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    unit_id: Uuid,
    agreement: String,
    year: i32,
    measure: String,
    target: f64,
    label: String,
    version: i64,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

fn to_target(m: target::Model) -> Result<Target> {
    Ok(Target {
        id: TargetId(m.id),
        unit_id: UnitId(m.unit_id),
        agreement: m.agreement,
        year: m.year,
        measure: Measure::parse(&m.measure).ok_or_else(|| DomainError::Storage(format!("unknown measure {}", m.measure)))?,
        target: m.target,
        label: m.label,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

async fn load<C: ConnectionTrait>(c: &C, org: OrgId, id: TargetId) -> Result<target::Model> {
    target::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

/// Refuses a second target for the same unit, agreement, year and measure with a field error.
async fn check_unique<C: ConnectionTrait>(c: &C, org: OrgId, f: &TargetFields, except: Option<TargetId>) -> Result<()> {
    let mut q = target::Entity::find()
        .filter(target::Column::OrgId.eq(org.0))
        .filter(target::Column::UnitId.eq(f.unit_id.0))
        .filter(target::Column::Agreement.eq(f.agreement.as_str()))
        .filter(target::Column::Year.eq(f.year))
        .filter(target::Column::Measure.eq(f.measure.as_str()));
    if let Some(id) = except {
        q = q.filter(target::Column::Id.ne(id.0));
    }
    if q.one(c).await.map_err(db_err)?.is_some() {
        return Err(DomainError::invalid("measure", "duplicate"));
    }
    Ok(())
}

fn detail(f: &TargetFields) -> serde_json::Value {
    json!({"unit_id": f.unit_id, "agreement": f.agreement, "year": f.year, "measure": f.measure.as_str(), "target": f.target})
}

#[async_trait]
impl ReportsRepo for Store {
    async fn targets(&self, org: OrgId, units: Option<&[UnitId]>, year: Option<i32>) -> Result<Vec<Target>> {
        let mut q = target::Entity::find().filter(target::Column::OrgId.eq(org.0));
        if let Some(us) = units {
            q = q.filter(target::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        if let Some(y) = year {
            q = q.filter(target::Column::Year.eq(y));
        }
        let rows = q
            .order_by_asc(target::Column::Year)
            .order_by_asc(target::Column::Agreement)
            .order_by_asc(target::Column::UnitId)
            .order_by_asc(target::Column::Measure)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(to_target).collect()
    }

    async fn get_target(&self, org: OrgId, id: TargetId) -> Result<Target> {
        to_target(load(&self.db, org, id).await?)
    }

    async fn create_target(&self, actor: &Actor, f: &TargetFields) -> Result<Target> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        check_unique(&txn, org, f, None).await?;
        let m = target::ActiveModel {
            org_id: Set(org.0),
            id: Set(TargetId::new().0),
            unit_id: Set(f.unit_id.0),
            agreement: Set(f.agreement.clone()),
            year: Set(f.year),
            measure: Set(f.measure.as_str().to_string()),
            target: Set(f.target),
            label: Set(f.label.clone()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Create, "report_target", m.id, detail(f), now).await?;
        txn.commit().await.map_err(db_err)?;
        to_target(m)
    }

    async fn update_target(&self, actor: &Actor, id: TargetId, version: i64, f: &TargetFields) -> Result<Target> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        load(&txn, org, id).await?;
        check_unique(&txn, org, f, Some(id)).await?;
        let done = target::Entity::update_many()
            .set(target::ActiveModel {
                unit_id: Set(f.unit_id.0),
                agreement: Set(f.agreement.clone()),
                year: Set(f.year),
                measure: Set(f.measure.as_str().to_string()),
                target: Set(f.target),
                label: Set(f.label.clone()),
                version: Set(version.saturating_add(1)),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(target::Column::OrgId.eq(org.0))
            .filter(target::Column::Id.eq(id.0))
            .filter(target::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        audit(&txn, actor, Action::Update, "report_target", id, detail(f), now).await?;
        let m = load(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        to_target(m)
    }

    async fn delete_target(&self, actor: &Actor, id: TargetId, version: i64) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load(&txn, org, id).await?;
        let done = target::Entity::delete_many()
            .filter(target::Column::OrgId.eq(org.0))
            .filter(target::Column::Id.eq(id.0))
            .filter(target::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        let d = json!({"unit_id": before.unit_id, "agreement": before.agreement, "year": before.year, "measure": before.measure});
        audit(&txn, actor, Action::Delete, "report_target", id, d, now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(())
    }
}
