//! Agencies and service units.

use crate::audit::{append_in, start_chain};
use crate::{accounts, db_err, Store};
use async_trait::async_trait;
use sea_orm::{entity::prelude::*, QueryOrder, Set};
use serde_json::json;
use shegong_domain::accounts::{Actor, Grant, NewUser, Role, User};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::ids::{OrgId, UnitId};
use shegong_domain::ports::UnitsRepo;
use shegong_domain::units::{Agency, ServiceUnit, UnitFields, UnitType};
use shegong_domain::{DomainError, Result};

pub(crate) mod org {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "orgs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name_en: String,
        pub name_zh_hant: String,
        pub name_zh_hans: String,
        pub time_zone: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod unit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "units")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name_en: String,
        pub name_zh_hant: String,
        pub name_zh_hans: String,
        pub unit_type: String,
        pub district: String,
        pub address: String,
        pub latitude: Option<f64>,
        pub longitude: Option<f64>,
        pub opening_hours: String,
        pub active: bool,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl From<org::Model> for Agency {
    fn from(m: org::Model) -> Self {
        Self {
            id: OrgId(m.id),
            name_en: m.name_en,
            name_zh_hant: m.name_zh_hant,
            name_zh_hans: m.name_zh_hans,
            time_zone: m.time_zone,
            created_at: m.created_at,
        }
    }
}

impl From<unit::Model> for ServiceUnit {
    fn from(m: unit::Model) -> Self {
        Self {
            id: UnitId(m.id),
            org_id: OrgId(m.org_id),
            code: m.code,
            name_en: m.name_en,
            name_zh_hant: m.name_zh_hant,
            name_zh_hans: m.name_zh_hans,
            unit_type: m.unit_type.parse().unwrap_or(UnitType::Other),
            district: m.district,
            address: m.address,
            latitude: m.latitude,
            longitude: m.longitude,
            opening_hours: m.opening_hours,
            active: m.active,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn set_fields(a: &mut unit::ActiveModel, f: &UnitFields) {
    a.code = Set(f.code.clone());
    a.name_en = Set(f.name_en.clone());
    a.name_zh_hant = Set(f.name_zh_hant.clone());
    a.name_zh_hans = Set(f.name_zh_hans.clone());
    a.unit_type = Set(f.unit_type.as_str().to_string());
    a.district = Set(f.district.clone());
    a.address = Set(f.address.clone());
    a.latitude = Set(f.latitude);
    a.longitude = Set(f.longitude);
    a.opening_hours = Set(f.opening_hours.clone());
    a.active = Set(f.active);
}

fn describe(f: &UnitFields) -> serde_json::Value {
    json!({
        "code": f.code, "name_en": f.name_en, "name_zh_hant": f.name_zh_hant, "name_zh_hans": f.name_zh_hans,
        "unit_type": f.unit_type.as_str(), "district": f.district, "address": f.address,
        "latitude": f.latitude, "longitude": f.longitude, "opening_hours": f.opening_hours, "active": f.active,
    })
}

#[async_trait]
impl UnitsRepo for Store {
    async fn create_agency(&self, agency: &Agency, admin: &NewUser, admin_hash: &str) -> Result<User> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        org::ActiveModel {
            id: Set(agency.id.0),
            name_en: Set(agency.name_en.clone()),
            name_zh_hant: Set(agency.name_zh_hant.clone()),
            name_zh_hans: Set(agency.name_zh_hans.clone()),
            time_zone: Set(agency.time_zone.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        start_chain(&txn, agency.id).await.map_err(db_err)?;
        crate::clients::insert_default_categories(&txn, agency.id.0).await.map_err(db_err)?;
        crate::cases::insert_defaults(&txn, agency.id.0).await.map_err(db_err)?;
        let system = Actor::system(agency.id);
        append_in(
            &txn,
            &system,
            AuditEvent::new(Action::Create, "agency", agency.id)
                .detail(json!({"name_en": agency.name_en, "name_zh_hant": agency.name_zh_hant})),
            now,
        )
        .await
        .map_err(db_err)?;
        let mut admin = admin.clone();
        admin.grants = vec![Grant { role: Role::Admin, unit_id: None }];
        let id = accounts::insert_user(&txn, &system, agency.id, &admin, admin_hash, now).await?;
        txn.commit().await.map_err(db_err)?;
        accounts::load_user(&self.db, agency.id, id).await
    }

    async fn agency(&self, org: OrgId) -> Result<Agency> {
        org::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)?.map(Into::into).ok_or(DomainError::NotFound)
    }

    async fn list_agencies(&self) -> Result<Vec<Agency>> {
        let rows = org::Entity::find().order_by_asc(org::Column::CreatedAt).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn list_units(&self, org: OrgId) -> Result<Vec<ServiceUnit>> {
        let rows = unit::Entity::find()
            .filter(unit::Column::OrgId.eq(org.0))
            .order_by_asc(unit::Column::Code)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn get_unit(&self, org: OrgId, id: UnitId) -> Result<ServiceUnit> {
        unit::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.map(Into::into).ok_or(DomainError::NotFound)
    }

    async fn create_unit(&self, actor: &Actor, f: &UnitFields) -> Result<ServiceUnit> {
        let now = self.now();
        let id = UnitId::new();
        let mut a = unit::ActiveModel {
            org_id: Set(actor.org_id.0),
            id: Set(id.0),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        set_fields(&mut a, f);
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = a.insert(&txn).await.map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Create, "unit", id).detail(describe(f)), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(m.into())
    }

    async fn update_unit(&self, actor: &Actor, id: UnitId, version: i64, f: &UnitFields) -> Result<ServiceUnit> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut a = unit::ActiveModel { version: Set(version.saturating_add(1)), updated_at: Set(now), ..Default::default() };
        set_fields(&mut a, f);
        // The version in the WHERE clause makes a stale edit touch no row.
        let res = unit::Entity::update_many()
            .set(a)
            .filter(unit::Column::OrgId.eq(actor.org_id.0))
            .filter(unit::Column::Id.eq(id.0))
            .filter(unit::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            let exists = unit::Entity::find_by_id((actor.org_id.0, id.0)).one(&txn).await.map_err(db_err)?.is_some();
            return Err(if exists { DomainError::Stale } else { DomainError::NotFound });
        }
        append_in(&txn, actor, AuditEvent::new(Action::Update, "unit", id).detail(describe(f)), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.get_unit(actor.org_id, id).await
    }
}
