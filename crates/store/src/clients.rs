//! The person registry: clients, phones, categories, consents, households, merges.

use crate::audit::{append_in, append_many_in};
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query};
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, PaginatorTrait, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::clients::{
    default_categories, fold_name, id_last4, mask_id, similar_names, AgeBand, Category, Client, ClientFields, ClientFilter, ClientStatus,
    Consent, ConsentFields, ConsentPurpose, DuplicateMatch, DuplicateReason, Household, HouseholdFields, HouseholdMember, IdDocType,
    PreferredLanguage, Relationship, Sex,
};
use shegong_domain::ids::{ClientId, ConsentId, HouseholdId, OrgId, UnitId, UserId};
use shegong_domain::ports::{ClientPage, ClientsRepo, ImportOutcome, MergeRecord};
use shegong_domain::{DomainError, FieldError, Result};
use std::collections::{HashMap, HashSet};

pub(crate) mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name_en: String,
        pub name_zh_hant: String,
        pub name_zh_hans: String,
        pub sensitive: bool,
        pub active: bool,
        pub sort: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod client {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub name_zh: String,
        pub name_en: String,
        pub name_fold: String,
        pub sex: String,
        pub date_of_birth: Option<Date>,
        pub age_band: Option<String>,
        pub phones: String,
        pub id_doc_type: Option<String>,
        pub id_doc_number: Option<String>,
        pub id_key: Option<String>,
        pub id_last4: Option<String>,
        pub district: String,
        pub street: String,
        pub community: String,
        pub address: String,
        pub latitude: Option<f64>,
        pub longitude: Option<f64>,
        pub preferred_language: String,
        pub ethnicity: String,
        pub status: String,
        pub closed_on: Option<Date>,
        pub merged_into: Option<Uuid>,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod phone {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_phones")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub phone: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_consents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub client_id: Uuid,
        pub purpose: String,
        pub notice_version: String,
        pub given_on: Date,
        pub given_by: String,
        pub guardian_name: String,
        pub recorded_by: Option<Uuid>,
        pub recorded_by_name: String,
        pub withdrawn_on: Option<Date>,
        pub withdrawn_by_name: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod household {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "households")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub name: String,
        pub address: String,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub household_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: Uuid,
        pub relationship: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod merge {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_merges")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub survivor_id: Uuid,
        pub merged_id: Uuid,
        pub merged_by: String,
        pub at: ChronoDateTimeUtc,
        pub snapshot: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Points the `client_id` of every row of `table` that names `from` at `to`: how the records
/// other capabilities keep about a person follow a merge.
pub(crate) async fn repoint_rows(txn: &DatabaseTransaction, table: &str, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    let mut q = Query::update();
    q.table(Alias::new(table))
        .value(Alias::new("client_id"), to.0)
        .and_where(Expr::col(Alias::new("org_id")).eq(org.0))
        .and_where(Expr::col(Alias::new("client_id")).eq(from.0));
    txn.execute(&q).await.map_err(db_err)?;
    Ok(())
}

/// Inserts the default category list for a new agency.
pub(crate) async fn insert_default_categories<C: ConnectionTrait>(c: &C, org: Uuid) -> std::result::Result<(), DbErr> {
    for (i, k) in default_categories().into_iter().enumerate() {
        category::ActiveModel {
            org_id: Set(org),
            code: Set(k.code),
            name_en: Set(k.name_en),
            name_zh_hant: Set(k.name_zh_hant),
            name_zh_hans: Set(k.name_zh_hans),
            sensitive: Set(k.sensitive),
            active: Set(k.active),
            sort: Set(i as i32),
        }
        .insert(c)
        .await?;
    }
    Ok(())
}

fn to_client(m: client::Model, tags: Vec<String>) -> Client {
    Client {
        id: ClientId(m.id),
        org_id: OrgId(m.org_id),
        unit_id: UnitId(m.unit_id),
        name_zh: m.name_zh,
        name_en: m.name_en,
        sex: Sex::parse(&m.sex).unwrap_or(Sex::Unknown),
        date_of_birth: m.date_of_birth,
        age_band: m.age_band.as_deref().and_then(AgeBand::parse),
        phones: m.phones.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
        id_doc_type: m.id_doc_type.as_deref().and_then(IdDocType::parse),
        id_doc_number: m.id_doc_number,
        district: m.district,
        street: m.street,
        community: m.community,
        address: m.address,
        latitude: m.latitude,
        longitude: m.longitude,
        preferred_language: PreferredLanguage::parse(&m.preferred_language).unwrap_or(PreferredLanguage::Other),
        ethnicity: m.ethnicity,
        categories: tags,
        status: ClientStatus::parse(&m.status).unwrap_or(ClientStatus::Active),
        closed_on: m.closed_on,
        merged_into: m.merged_into.map(ClientId),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

async fn with_tags<C: ConnectionTrait>(c: &C, org: OrgId, models: Vec<client::Model>) -> Result<Vec<Client>> {
    let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in models.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|m| m.id).collect();
        let rows = tag::Entity::find()
            .filter(tag::Column::OrgId.eq(org.0))
            .filter(tag::Column::ClientId.is_in(ids))
            .order_by_asc(tag::Column::Code)
            .all(c)
            .await
            .map_err(db_err)?;
        for t in rows {
            tags.entry(t.client_id).or_default().push(t.code);
        }
    }
    Ok(models
        .into_iter()
        .map(|m| {
            let t = tags.remove(&m.id).unwrap_or_default();
            to_client(m, t)
        })
        .collect())
}

async fn load<C: ConnectionTrait>(c: &C, org: OrgId, id: ClientId) -> Result<Client> {
    let m = client::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
    Ok(with_tags(c, org, vec![m]).await?.remove(0))
}

fn set_fields(a: &mut client::ActiveModel, f: &ClientFields) {
    a.unit_id = Set(f.unit_id.0);
    a.name_zh = Set(f.name_zh.clone());
    a.name_en = Set(f.name_en.clone());
    a.name_fold = Set(f.name_fold());
    a.sex = Set(f.sex.as_str().to_string());
    a.date_of_birth = Set(f.date_of_birth);
    a.age_band = Set(f.age_band.map(|b| b.as_str().to_string()));
    a.phones = Set(f.phones.join(","));
    a.id_doc_type = Set(f.id_doc.as_ref().map(|(t, _)| t.as_str().to_string()));
    a.id_doc_number = Set(f.id_doc.as_ref().map(|(_, n)| n.clone()));
    a.id_key = Set(f.id_key());
    a.id_last4 = Set(f.id_doc.as_ref().map(|(_, n)| id_last4(n)));
    a.district = Set(f.district.clone());
    a.street = Set(f.street.clone());
    a.community = Set(f.community.clone());
    a.address = Set(f.address.clone());
    a.latitude = Set(f.latitude);
    a.longitude = Set(f.longitude);
    a.preferred_language = Set(f.preferred_language.as_str().to_string());
    a.ethnicity = Set(f.ethnicity.clone());
}

fn new_model(org: OrgId, id: ClientId, f: &ClientFields, now: DateTime<Utc>) -> client::ActiveModel {
    let mut a = client::ActiveModel {
        org_id: Set(org.0),
        id: Set(id.0),
        status: Set(ClientStatus::Active.as_str().to_string()),
        closed_on: Set(None),
        merged_into: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_fields(&mut a, f);
    a
}

/// What the audit log keeps of a new client: where, and which fields were filled — never the
/// values. The log is append-only and outlives retention, so it must hold no personal data.
fn describe(f: &ClientFields) -> serde_json::Value {
    let filled: Vec<&str> = [
        ("name_zh", !f.name_zh.is_empty()),
        ("name_en", !f.name_en.is_empty()),
        ("date_of_birth", f.date_of_birth.is_some()),
        ("age_band", f.age_band.is_some()),
        ("phones", !f.phones.is_empty()),
        ("id_doc", f.id_doc.is_some()),
        ("address", !f.address.is_empty()),
        ("coordinates", f.latitude.is_some()),
        ("ethnicity", !f.ethnicity.is_empty()),
        ("categories", !f.categories.is_empty()),
    ]
    .into_iter()
    .filter_map(|(k, yes)| yes.then_some(k))
    .collect();
    json!({"unit_id": f.unit_id, "fields": filled})
}

/// The names of the fields a save changes (values stay out of the log, as above).
fn changed(before: &Client, f: &ClientFields) -> serde_json::Value {
    let id_before = before.id_doc_type.zip(before.id_doc_number.clone());
    let changed: Vec<&str> = [
        ("unit_id", before.unit_id != f.unit_id),
        ("name_zh", before.name_zh != f.name_zh),
        ("name_en", before.name_en != f.name_en),
        ("sex", before.sex != f.sex),
        ("date_of_birth", before.date_of_birth != f.date_of_birth),
        ("age_band", before.age_band != f.age_band),
        ("phones", before.phones != f.phones),
        ("id_doc", id_before != f.id_doc),
        ("district", before.district != f.district),
        ("street", before.street != f.street),
        ("community", before.community != f.community),
        ("address", before.address != f.address),
        ("coordinates", before.latitude != f.latitude || before.longitude != f.longitude),
        ("preferred_language", before.preferred_language != f.preferred_language),
        ("ethnicity", before.ethnicity != f.ethnicity),
        ("categories", before.categories != f.categories),
    ]
    .into_iter()
    .filter_map(|(k, yes)| yes.then_some(k))
    .collect();
    json!({"changed": changed})
}

async fn write_children<C: ConnectionTrait>(c: &C, org: OrgId, id: ClientId, phones: &[String], tags: &[String]) -> Result<()> {
    phone::Entity::delete_many()
        .filter(phone::Column::OrgId.eq(org.0))
        .filter(phone::Column::ClientId.eq(id.0))
        .exec(c)
        .await
        .map_err(db_err)?;
    tag::Entity::delete_many().filter(tag::Column::OrgId.eq(org.0)).filter(tag::Column::ClientId.eq(id.0)).exec(c).await.map_err(db_err)?;
    if !phones.is_empty() {
        phone::Entity::insert_many(
            phones
                .iter()
                .map(|p| phone::ActiveModel { org_id: Set(org.0), client_id: Set(id.0), phone: Set(p.clone()) })
                .collect::<Vec<_>>(),
        )
        .exec(c)
        .await
        .map_err(db_err)?;
    }
    if !tags.is_empty() {
        tag::Entity::insert_many(
            tags.iter().map(|t| tag::ActiveModel { org_id: Set(org.0), client_id: Set(id.0), code: Set(t.clone()) }).collect::<Vec<_>>(),
        )
        .exec(c)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

/// The people already registered, as keys an import row is checked against.
#[derive(Default)]
struct Registered {
    id_keys: HashSet<String>,
    /// (folded name, birth date, phone)
    name_birth_phone: HashSet<(String, NaiveDate, String)>,
}

impl Registered {
    async fn load<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<Self> {
        let mut r = Registered::default();
        let q = Query::select()
            .column((client::Entity, client::Column::IdKey))
            .from(client::Entity)
            .and_where(Expr::col((client::Entity, client::Column::OrgId)).eq(org.0))
            .and_where(Expr::col((client::Entity, client::Column::IdKey)).is_not_null())
            .and_where(Expr::col((client::Entity, client::Column::Status)).is_in(["active", "closed"]))
            .to_owned();
        for row in c.query_all_raw(c.get_database_backend().build(&q)).await.map_err(db_err)? {
            if let Ok(k) = row.try_get::<String>("", "id_key") {
                r.id_keys.insert(k);
            }
        }
        let q = Query::select()
            .column((client::Entity, client::Column::NameFold))
            .column((client::Entity, client::Column::DateOfBirth))
            .column((phone::Entity, phone::Column::Phone))
            .from(client::Entity)
            .join(
                JoinType::InnerJoin,
                phone::Entity,
                Condition::all()
                    .add(Expr::col((phone::Entity, phone::Column::OrgId)).equals((client::Entity, client::Column::OrgId)))
                    .add(Expr::col((phone::Entity, phone::Column::ClientId)).equals((client::Entity, client::Column::Id))),
            )
            .and_where(Expr::col((client::Entity, client::Column::OrgId)).eq(org.0))
            .and_where(Expr::col((client::Entity, client::Column::DateOfBirth)).is_not_null())
            .and_where(Expr::col((client::Entity, client::Column::Status)).is_in(["active", "closed"]))
            .to_owned();
        for row in c.query_all_raw(c.get_database_backend().build(&q)).await.map_err(db_err)? {
            let (Ok(n), Ok(d), Ok(p)) =
                (row.try_get::<String>("", "name_fold"), row.try_get::<NaiveDate>("", "date_of_birth"), row.try_get::<String>("", "phone"))
            else {
                continue;
            };
            r.name_birth_phone.insert((n, d, p));
        }
        Ok(r)
    }

    fn contains(&self, f: &ClientFields) -> bool {
        if f.id_key().is_some_and(|k| self.id_keys.contains(&k)) {
            return true;
        }
        let fold = f.name_fold();
        f.date_of_birth.is_some_and(|d| f.phones.iter().any(|p| self.name_birth_phone.contains(&(fold.clone(), d, p.clone()))))
    }

    fn add(&mut self, f: &ClientFields) {
        if let Some(k) = f.id_key() {
            self.id_keys.insert(k);
        }
        if let Some(d) = f.date_of_birth {
            for p in &f.phones {
                self.name_birth_phone.insert((f.name_fold(), d, p.clone()));
            }
        }
    }
}

fn to_consent(m: consent::Model) -> Consent {
    Consent {
        id: ConsentId(m.id),
        client_id: ClientId(m.client_id),
        purpose: ConsentPurpose::parse(&m.purpose).unwrap_or(ConsentPurpose::Service),
        notice_version: m.notice_version,
        given_on: m.given_on,
        given_by: m.given_by,
        guardian_name: m.guardian_name,
        recorded_by: m.recorded_by.map(UserId),
        recorded_by_name: m.recorded_by_name,
        withdrawn_on: m.withdrawn_on,
        withdrawn_by_name: m.withdrawn_by_name,
        created_at: m.created_at,
    }
}

async fn load_household<C: ConnectionTrait>(c: &C, org: OrgId, id: HouseholdId) -> Result<Household> {
    let h = household::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
    let members = member::Entity::find()
        .filter(member::Column::OrgId.eq(org.0))
        .filter(member::Column::HouseholdId.eq(id.0))
        .all(c)
        .await
        .map_err(db_err)?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.client_id).collect();
    let names: HashMap<Uuid, String> = client::Entity::find()
        .filter(client::Column::OrgId.eq(org.0))
        .filter(client::Column::Id.is_in(ids))
        .all(c)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|m| {
            let id = m.id;
            (id, to_client(m, Vec::new()).display_name())
        })
        .collect();
    let mut members: Vec<HouseholdMember> = members
        .into_iter()
        .map(|m| HouseholdMember {
            client_id: ClientId(m.client_id),
            name: names.get(&m.client_id).cloned().unwrap_or_default(),
            relationship: Relationship::parse(&m.relationship).unwrap_or(Relationship::Other),
        })
        .collect();
    // The head first, then in the order of the relationship list.
    members.sort_by_key(|m| Relationship::ALL.iter().position(|r| *r == m.relationship));
    Ok(Household {
        id,
        org_id: org,
        unit_id: UnitId(h.unit_id),
        name: h.name,
        address: h.address,
        members,
        version: h.version,
        created_at: h.created_at,
    })
}

async fn write_members<C: ConnectionTrait>(c: &C, org: OrgId, id: HouseholdId, f: &HouseholdFields) -> Result<()> {
    member::Entity::delete_many()
        .filter(member::Column::OrgId.eq(org.0))
        .filter(member::Column::HouseholdId.eq(id.0))
        .exec(c)
        .await
        .map_err(db_err)?;
    let ids: Vec<Uuid> = f.members.iter().map(|(c, _)| c.0).collect();
    let found = client::Entity::find()
        .filter(client::Column::OrgId.eq(org.0))
        .filter(client::Column::Id.is_in(ids.clone()))
        .filter(client::Column::Status.is_in(["active", "closed"]))
        .count(c)
        .await
        .map_err(db_err)?;
    if found as usize != ids.len() {
        return Err(DomainError::invalid("members", "unknown-client"));
    }
    for (client_id, rel) in &f.members {
        member::ActiveModel {
            org_id: Set(org.0),
            household_id: Set(id.0),
            client_id: Set(client_id.0),
            relationship: Set(rel.as_str().into()),
        }
        .insert(c)
        .await
        .map_err(|e| match db_err(e) {
            DomainError::Invalid(_) => DomainError::invalid("members", "in-other-household"),
            other => other,
        })?;
    }
    Ok(())
}

fn household_detail(f: &HouseholdFields) -> serde_json::Value {
    // Ids and relationships only: names and addresses stay out of the append-only log.
    json!({
        "unit_id": f.unit_id,
        "members": f.members.iter().map(|(c, r)| json!({"client_id": c, "relationship": r.as_str()})).collect::<Vec<_>>(),
    })
}

/// Age band of a birth date on a day, for anonymised records.
fn band_of(dob: NaiveDate, on: NaiveDate) -> Option<AgeBand> {
    let age = on.years_since(dob)?;
    let code = match age {
        0..=5 => "0-5",
        6..=11 => "6-11",
        12..=17 => "12-17",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=59 => "55-59",
        60..=64 => "60-64",
        65..=69 => "65-69",
        70..=74 => "70-74",
        75..=79 => "75-79",
        _ => "80+",
    };
    AgeBand::parse(code)
}

#[async_trait]
impl ClientsRepo for Store {
    async fn categories(&self, org: OrgId) -> Result<Vec<Category>> {
        let rows = category::Entity::find()
            .filter(category::Column::OrgId.eq(org.0))
            .order_by_asc(category::Column::Sort)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|m| Category {
                code: m.code,
                name_en: m.name_en,
                name_zh_hant: m.name_zh_hant,
                name_zh_hans: m.name_zh_hans,
                sensitive: m.sensitive,
                active: m.active,
            })
            .collect())
    }

    async fn create_client(&self, actor: &Actor, f: &ClientFields) -> Result<Client> {
        let now = self.now();
        let id = ClientId::new();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        new_model(org, id, f, now).insert(&txn).await.map_err(|e| match db_err(e) {
            DomainError::Storage(_) => DomainError::invalid("unit_id", "unknown-unit"),
            other => other,
        })?;
        write_children(&txn, org, id, &f.phones, &f.categories).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Create, "client", id).detail(describe(f)), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load(&self.db, org, id).await
    }

    async fn get_client(&self, org: OrgId, id: ClientId) -> Result<Client> {
        load(&self.db, org, id).await
    }

    async fn clients_by_ids(&self, org: OrgId, ids: &[ClientId]) -> Result<Vec<Client>> {
        let mut models = Vec::new();
        for chunk in ids.chunks(500) {
            models.extend(
                client::Entity::find()
                    .filter(client::Column::OrgId.eq(org.0))
                    .filter(client::Column::Id.is_in(chunk.iter().map(|c| c.0)))
                    .all(&self.db)
                    .await
                    .map_err(db_err)?,
            );
        }
        // Keep the caller's order (search relevance).
        let pos: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
        models.sort_by_key(|m| pos.get(&m.id).copied().unwrap_or(usize::MAX));
        with_tags(&self.db, org, models).await
    }

    async fn update_client(&self, actor: &Actor, id: ClientId, version: i64, f: &ClientFields) -> Result<Client> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load(&txn, org, id).await?;
        if matches!(before.status, ClientStatus::Merged | ClientStatus::Anonymised) {
            return Err(DomainError::invalid("status", "client-retired"));
        }
        let mut a = client::ActiveModel { version: Set(version.saturating_add(1)), updated_at: Set(now), ..Default::default() };
        set_fields(&mut a, f);
        let res = client::Entity::update_many()
            .set(a)
            .filter(client::Column::OrgId.eq(org.0))
            .filter(client::Column::Id.eq(id.0))
            .filter(client::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::Stale);
        }
        write_children(&txn, org, id, &f.phones, &f.categories).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "client", id).detail(changed(&before, f)), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load(&self.db, org, id).await
    }

    async fn list_clients(
        &self,
        org: OrgId,
        filter: &ClientFilter,
        units: Option<&[UnitId]>,
        offset: u64,
        limit: u64,
    ) -> Result<ClientPage> {
        let mut q = client::Entity::find().filter(client::Column::OrgId.eq(org.0));
        if let Some(units) = units {
            q = q.filter(client::Column::UnitId.is_in(units.iter().map(|u| u.0)));
        }
        if let Some(u) = filter.unit_id {
            q = q.filter(client::Column::UnitId.eq(u.0));
        }
        q = match filter.status.as_str() {
            "closed" => q.filter(client::Column::Status.eq("closed")),
            "all" => q.filter(client::Column::Status.ne("merged")),
            _ => q.filter(client::Column::Status.eq("active")),
        };
        if !filter.district.trim().is_empty() {
            q = q.filter(client::Column::District.eq(filter.district.trim()));
        }
        if !filter.category.trim().is_empty() {
            let tagged = Query::select()
                .column(tag::Column::ClientId)
                .from(tag::Entity)
                .and_where(Expr::col(tag::Column::OrgId).eq(org.0))
                .and_where(Expr::col(tag::Column::Code).eq(filter.category.trim()))
                .to_owned();
            q = q.filter(client::Column::Id.in_subquery(tagged));
        }
        let total = q.clone().count(&self.db).await.map_err(db_err)?;
        let models = q
            .order_by_asc(client::Column::NameFold)
            .order_by_asc(client::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(ClientPage { clients: with_tags(&self.db, org, models).await?, total })
    }

    async fn close_client(&self, actor: &Actor, id: ClientId, version: i64, on: NaiveDate) -> Result<Client> {
        set_status(self, actor, id, version, ClientStatus::Active, ClientStatus::Closed, Some(on)).await
    }

    async fn reopen_client(&self, actor: &Actor, id: ClientId, version: i64) -> Result<Client> {
        set_status(self, actor, id, version, ClientStatus::Closed, ClientStatus::Active, None).await
    }

    async fn find_duplicates(&self, org: OrgId, f: &ClientFields, exclude: Option<ClientId>) -> Result<Vec<DuplicateMatch>> {
        let mut reasons: HashMap<Uuid, Vec<DuplicateReason>> = HashMap::new();
        if !f.phones.is_empty() {
            let rows = phone::Entity::find()
                .filter(phone::Column::OrgId.eq(org.0))
                .filter(phone::Column::Phone.is_in(f.phones.clone()))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            for r in rows {
                reasons.entry(r.client_id).or_default().push(DuplicateReason::SamePhone);
            }
        }
        if let Some(k) = f.id_key() {
            let rows = client::Entity::find()
                .filter(client::Column::OrgId.eq(org.0))
                .filter(client::Column::IdKey.eq(k))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            for r in rows {
                reasons.entry(r.id).or_default().push(DuplicateReason::SameIdDocument);
            }
        }
        if let Some(d) = f.date_of_birth {
            let rows = client::Entity::find()
                .filter(client::Column::OrgId.eq(org.0))
                .filter(client::Column::DateOfBirth.eq(d))
                .limit(2000)
                .all(&self.db)
                .await
                .map_err(db_err)?;
            let name = format!("{} {}", f.name_zh, f.name_en);
            for r in rows {
                let other_zh = similar_names(&f.name_zh, &r.name_zh);
                let other_en = similar_names(&f.name_en, &r.name_en);
                if other_zh || other_en || similar_names(&name, &format!("{} {}", r.name_zh, r.name_en)) {
                    reasons.entry(r.id).or_default().push(DuplicateReason::SimilarNameSameBirthDate);
                }
            }
        }
        if let Some(x) = exclude {
            reasons.remove(&x.0);
        }
        let ids: Vec<ClientId> = reasons.keys().map(|u| ClientId(*u)).collect();
        let clients = self.clients_by_ids(org, &ids).await?;
        let mut out: Vec<DuplicateMatch> = clients
            .into_iter()
            .filter(|c| matches!(c.status, ClientStatus::Active | ClientStatus::Closed))
            .map(|c| {
                let mut r = reasons.remove(&c.id.0).unwrap_or_default();
                r.dedup();
                DuplicateMatch { client: c, reasons: r }
            })
            .collect();
        // Strongest evidence first: more reasons, identity document before phone.
        out.sort_by_key(|m| (std::cmp::Reverse(m.reasons.len()), !m.reasons.contains(&DuplicateReason::SameIdDocument)));
        Ok(out)
    }

    async fn duplicate_pairs(&self, org: OrgId, units: Option<&[UnitId]>, limit: u64) -> Result<Vec<(Client, DuplicateMatch)>> {
        let backend = self.db.get_database_backend();
        let mut pairs: Vec<(Uuid, Uuid, DuplicateReason)> = Vec::new();
        // Same phone.
        let q = Query::select()
            .expr_as(Expr::col(("a", "client_id")), "x")
            .expr_as(Expr::col(("b", "client_id")), "y")
            .from_as(phone::Entity, "a")
            .join_as(
                JoinType::InnerJoin,
                phone::Entity,
                "b",
                Condition::all()
                    .add(Expr::col(("a", "org_id")).equals(("b", "org_id")))
                    .add(Expr::col(("a", "phone")).equals(("b", "phone")))
                    .add(Expr::col(("a", "client_id")).lt(Expr::col(("b", "client_id")))),
            )
            .and_where(Expr::col(("a", "org_id")).eq(org.0))
            .limit(limit * 4)
            .to_owned();
        for row in self.db.query_all_raw(backend.build(&q)).await.map_err(db_err)? {
            if let (Ok(x), Ok(y)) = (row.try_get::<Uuid>("", "x"), row.try_get::<Uuid>("", "y")) {
                pairs.push((x, y, DuplicateReason::SamePhone));
            }
        }
        // Same identity document, and same birth date (names compared below).
        for (col, reason) in [("id_key", DuplicateReason::SameIdDocument), ("date_of_birth", DuplicateReason::SimilarNameSameBirthDate)] {
            let q = Query::select()
                .expr_as(Expr::col(("a", "id")), "x")
                .expr_as(Expr::col(("b", "id")), "y")
                .from_as(client::Entity, "a")
                .join_as(
                    JoinType::InnerJoin,
                    client::Entity,
                    "b",
                    Condition::all()
                        .add(Expr::col(("a", "org_id")).equals(("b", "org_id")))
                        .add(Expr::col(("a", col)).equals(("b", col)))
                        .add(Expr::col(("a", "id")).lt(Expr::col(("b", "id")))),
                )
                .and_where(Expr::col(("a", "org_id")).eq(org.0))
                .and_where(Expr::col(("a", "status")).eq("active"))
                .and_where(Expr::col(("b", "status")).eq("active"))
                .limit(limit * 20)
                .to_owned();
            for row in self.db.query_all_raw(backend.build(&q)).await.map_err(db_err)? {
                if let (Ok(x), Ok(y)) = (row.try_get::<Uuid>("", "x"), row.try_get::<Uuid>("", "y")) {
                    pairs.push((x, y, reason));
                }
            }
        }
        let ids: Vec<ClientId> =
            pairs.iter().flat_map(|(x, y, _)| [ClientId(*x), ClientId(*y)]).collect::<HashSet<_>>().into_iter().collect();
        let clients: HashMap<ClientId, Client> = self.clients_by_ids(org, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
        let mut grouped: Vec<((Uuid, Uuid), Vec<DuplicateReason>)> = Vec::new();
        for (x, y, reason) in pairs {
            let (Some(a), Some(b)) = (clients.get(&ClientId(x)), clients.get(&ClientId(y))) else {
                continue;
            };
            let live = |c: &Client| c.status == ClientStatus::Active;
            let visible = |c: &Client| units.is_none_or(|u| u.contains(&c.unit_id));
            if !(live(a) && live(b) && visible(a) && visible(b)) {
                continue;
            }
            if reason == DuplicateReason::SimilarNameSameBirthDate
                && !(similar_names(&a.name_zh, &b.name_zh) || similar_names(&a.name_en, &b.name_en))
            {
                continue;
            }
            match grouped.iter_mut().find(|(k, _)| *k == (x, y)) {
                Some((_, r)) if !r.contains(&reason) => r.push(reason),
                Some(_) => {}
                None => grouped.push(((x, y), vec![reason])),
            }
        }
        grouped.sort_by_key(|(_, r)| std::cmp::Reverse(r.len()));
        Ok(grouped
            .into_iter()
            .take(limit as usize)
            .filter_map(|((x, y), reasons)| {
                let a = clients.get(&ClientId(x))?.clone();
                let b = clients.get(&ClientId(y))?.clone();
                Some((a, DuplicateMatch { client: b, reasons }))
            })
            .collect())
    }

    async fn merge_clients(&self, actor: &Actor, survivor_id: ClientId, merged_id: ClientId) -> Result<Client> {
        if survivor_id == merged_id {
            return Err(DomainError::invalid("merged", "merge-self"));
        }
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let survivor = load(&txn, org, survivor_id).await?;
        let merged = load(&txn, org, merged_id).await?;
        for c in [&survivor, &merged] {
            if matches!(c.status, ClientStatus::Merged | ClientStatus::Anonymised) {
                return Err(DomainError::invalid("merged", "client-retired"));
            }
        }
        // The survivor keeps its own details and gains what only the other record had.
        let mut phones = survivor.phones.clone();
        for p in &merged.phones {
            if !phones.contains(p) {
                phones.push(p.clone());
            }
        }
        let mut tags = survivor.categories.clone();
        for t in &merged.categories {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        let mut a = client::ActiveModel {
            version: Set(survivor.version.saturating_add(1)),
            updated_at: Set(now),
            phones: Set(phones.join(",")),
            ..Default::default()
        };
        let fill = |mine: &str, theirs: &str| if mine.is_empty() { theirs.to_string() } else { mine.to_string() };
        a.name_zh = Set(fill(&survivor.name_zh, &merged.name_zh));
        a.name_en = Set(fill(&survivor.name_en, &merged.name_en));
        a.name_fold = Set(fold_name(&format!("{} {}", fill(&survivor.name_zh, &merged.name_zh), fill(&survivor.name_en, &merged.name_en))));
        a.date_of_birth = Set(survivor.date_of_birth.or(merged.date_of_birth));
        a.age_band = Set(survivor.age_band.or(merged.age_band).map(|b| b.as_str().to_string()));
        if survivor.id_doc_number.is_none() {
            if let (Some(t), Some(n)) = (merged.id_doc_type, merged.id_doc_number.clone()) {
                a.id_doc_type = Set(Some(t.as_str().into()));
                a.id_key = Set(Some(shegong_domain::clients::id_key(t, &n)));
                a.id_last4 = Set(Some(id_last4(&n)));
                a.id_doc_number = Set(Some(n));
            }
        }
        a.address = Set(fill(&survivor.address, &merged.address));
        a.district = Set(fill(&survivor.district, &merged.district));
        a.street = Set(fill(&survivor.street, &merged.street));
        a.community = Set(fill(&survivor.community, &merged.community));
        a.ethnicity = Set(fill(&survivor.ethnicity, &merged.ethnicity));
        client::Entity::update_many()
            .set(a)
            .filter(client::Column::OrgId.eq(org.0))
            .filter(client::Column::Id.eq(survivor_id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        write_children(&txn, org, merged_id, &[], &merged.categories).await?;
        write_children(&txn, org, survivor_id, &phones, &tags).await?;
        // Linked records follow the survivor.
        crate::cases::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::hotline::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::volunteers::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::lending::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::assistance::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::outcomes::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::outreach::repoint_client(&txn, org, merged_id, survivor_id).await?;
        crate::activities::merge_person(&txn, org, survivor_id, merged_id).await?;
        repoint_rows(&txn, consent::Entity.table_name(), org, merged_id, survivor_id).await?;
        let survivor_home = member::Entity::find()
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::ClientId.eq(survivor_id.0))
            .one(&txn)
            .await
            .map_err(db_err)?;
        if survivor_home.is_some() {
            member::Entity::delete_many()
                .filter(member::Column::OrgId.eq(org.0))
                .filter(member::Column::ClientId.eq(merged_id.0))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        } else {
            member::Entity::update_many()
                .col_expr(member::Column::ClientId, Expr::value(survivor_id.0))
                .filter(member::Column::OrgId.eq(org.0))
                .filter(member::Column::ClientId.eq(merged_id.0))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        client::Entity::update_many()
            .col_expr(client::Column::Status, Expr::value(ClientStatus::Merged.as_str()))
            .col_expr(client::Column::MergedInto, Expr::value(Some(survivor_id.0)))
            .col_expr(client::Column::Version, Expr::value(merged.version.saturating_add(1)))
            .col_expr(client::Column::UpdatedAt, Expr::value(now))
            .filter(client::Column::OrgId.eq(org.0))
            .filter(client::Column::Id.eq(merged_id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let mut snapshot = serde_json::to_value(&merged).map_err(|e| DomainError::Storage(e.to_string()))?;
        if let Some(n) = merged.id_doc_number.as_deref() {
            snapshot["id_doc_number"] = json!(mask_id(n));
        }
        merge::ActiveModel {
            org_id: Set(org.0),
            id: Set(Uuid::now_v7()),
            survivor_id: Set(survivor_id.0),
            merged_id: Set(merged_id.0),
            merged_by: Set(actor.name.clone()),
            at: Set(now),
            snapshot: Set(snapshot.to_string()),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "client", survivor_id).detail(json!({"merged_from": merged_id})), now)
            .await
            .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "client", merged_id).detail(json!({"merged_into": survivor_id})), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load(&self.db, org, survivor_id).await
    }

    async fn merges(&self, org: OrgId, limit: u64) -> Result<Vec<MergeRecord>> {
        let rows = merge::Entity::find()
            .filter(merge::Column::OrgId.eq(org.0))
            .order_by_desc(merge::Column::At)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|m| MergeRecord {
                survivor: ClientId(m.survivor_id),
                merged: ClientId(m.merged_id),
                merged_by: m.merged_by,
                at: m.at,
                snapshot: m.snapshot,
            })
            .collect())
    }

    async fn import_clients(&self, actor: &Actor, rows: &[ClientFields]) -> Result<ImportOutcome> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut registered = Registered::load(&txn, org).await?;
        let mut outcome = ImportOutcome::default();
        let mut models = Vec::new();
        let mut phones = Vec::new();
        let mut tags = Vec::new();
        let mut events = Vec::new();
        for f in rows {
            if registered.contains(f) {
                outcome.already_registered += 1;
                continue;
            }
            registered.add(f);
            let id = ClientId::new();
            models.push(new_model(org, id, f, now));
            phones.extend(f.phones.iter().map(|p| phone::ActiveModel { org_id: Set(org.0), client_id: Set(id.0), phone: Set(p.clone()) }));
            tags.extend(f.categories.iter().map(|t| tag::ActiveModel { org_id: Set(org.0), client_id: Set(id.0), code: Set(t.clone()) }));
            events.push(AuditEvent::new(Action::Create, "client", id).detail(describe(f)));
            outcome.created += 1;
        }
        // Batches stay under SQLite's limit on bound values per statement.
        for chunk in models.chunks(300) {
            client::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(|e| match db_err(e) {
                DomainError::Storage(_) => DomainError::invalid("unit_id", "unknown-unit"),
                other => other,
            })?;
        }
        for chunk in phones.chunks(2000) {
            phone::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        for chunk in tags.chunks(2000) {
            tag::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(db_err)?;
        }
        append_many_in(&txn, actor, events, now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    async fn count_registered(&self, org: OrgId, rows: &[ClientFields]) -> Result<u64> {
        let mut registered = Registered::load(&self.db, org).await?;
        let mut n = 0;
        for f in rows {
            if registered.contains(f) {
                n += 1;
            } else {
                registered.add(f);
            }
        }
        Ok(n)
    }

    async fn anonymise_closed(&self, actor: &Actor, closed_before: NaiveDate) -> Result<Vec<ClientId>> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut due = client::Entity::find()
            .filter(client::Column::OrgId.eq(org.0))
            .filter(client::Column::Status.eq("closed"))
            .filter(client::Column::ClosedOn.lt(closed_before))
            .all(&txn)
            .await
            .map_err(db_err)?;
        // Records merged into those go too, with the snapshots kept of them.
        let survivors: Vec<Uuid> = due.iter().map(|m| m.id).collect();
        for chunk in survivors.chunks(500) {
            due.extend(
                client::Entity::find()
                    .filter(client::Column::OrgId.eq(org.0))
                    .filter(client::Column::MergedInto.is_in(chunk.to_vec()))
                    .all(&txn)
                    .await
                    .map_err(db_err)?,
            );
            merge::Entity::update_many()
                .col_expr(merge::Column::Snapshot, Expr::value("{\"anonymised\":true}"))
                .filter(merge::Column::OrgId.eq(org.0))
                .filter(merge::Column::SurvivorId.is_in(chunk.to_vec()))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        let mut ids = Vec::new();
        for m in due {
            let band = m
                .age_band
                .clone()
                .or_else(|| m.date_of_birth.and_then(|d| band_of(d, m.closed_on.unwrap_or(closed_before))).map(|b| b.as_str().to_string()));
            client::Entity::update_many()
                .col_expr(client::Column::NameZh, Expr::value(""))
                .col_expr(client::Column::NameEn, Expr::value(""))
                .col_expr(client::Column::NameFold, Expr::value(""))
                .col_expr(client::Column::DateOfBirth, Expr::value(Option::<NaiveDate>::None))
                .col_expr(client::Column::AgeBand, Expr::value(band))
                .col_expr(client::Column::Phones, Expr::value(""))
                .col_expr(client::Column::IdDocType, Expr::value(Option::<String>::None))
                .col_expr(client::Column::IdDocNumber, Expr::value(Option::<String>::None))
                .col_expr(client::Column::IdKey, Expr::value(Option::<String>::None))
                .col_expr(client::Column::IdLast4, Expr::value(Option::<String>::None))
                .col_expr(client::Column::Street, Expr::value(""))
                .col_expr(client::Column::Community, Expr::value(""))
                .col_expr(client::Column::Address, Expr::value(""))
                .col_expr(client::Column::Latitude, Expr::value(Option::<f64>::None))
                .col_expr(client::Column::Longitude, Expr::value(Option::<f64>::None))
                .col_expr(client::Column::Ethnicity, Expr::value(""))
                .col_expr(
                    client::Column::Status,
                    Expr::value(if m.status == "merged" { ClientStatus::Merged.as_str() } else { ClientStatus::Anonymised.as_str() }),
                )
                .col_expr(client::Column::Version, Expr::value(m.version.saturating_add(1)))
                .col_expr(client::Column::UpdatedAt, Expr::value(now))
                .filter(client::Column::OrgId.eq(org.0))
                .filter(client::Column::Id.eq(m.id))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            phone::Entity::delete_many()
                .filter(phone::Column::OrgId.eq(org.0))
                .filter(phone::Column::ClientId.eq(m.id))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            crate::lending::forget_client(&txn, org, m.id).await?;
            consent::Entity::update_many()
                .col_expr(consent::Column::GuardianName, Expr::value(""))
                .filter(consent::Column::OrgId.eq(org.0))
                .filter(consent::Column::ClientId.eq(m.id))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            append_in(
                &txn,
                actor,
                AuditEvent::new(Action::Update, "client", m.id).detail(json!({"anonymised": true, "closed_on": m.closed_on})),
                now,
            )
            .await
            .map_err(db_err)?;
            ids.push(ClientId(m.id));
        }
        txn.commit().await.map_err(db_err)?;
        Ok(ids)
    }

    async fn client_count(&self) -> Result<u64> {
        client::Entity::find().count(&self.db).await.map_err(db_err)
    }

    async fn clients_after(&self, after: Option<(OrgId, ClientId)>, limit: u64) -> Result<Vec<Client>> {
        let mut q = client::Entity::find();
        if let Some((o, c)) = after {
            q = q.filter(
                Condition::any()
                    .add(client::Column::OrgId.gt(o.0))
                    .add(Condition::all().add(client::Column::OrgId.eq(o.0)).add(client::Column::Id.gt(c.0))),
            );
        }
        let models =
            q.order_by_asc(client::Column::OrgId).order_by_asc(client::Column::Id).limit(limit).all(&self.db).await.map_err(db_err)?;
        let mut out = Vec::with_capacity(models.len());
        let mut by_org: Vec<(OrgId, Vec<client::Model>)> = Vec::new();
        for m in models {
            let org = OrgId(m.org_id);
            match by_org.last_mut() {
                Some((o, v)) if *o == org => v.push(m),
                _ => by_org.push((org, vec![m])),
            }
        }
        for (org, models) in by_org {
            out.extend(with_tags(&self.db, org, models).await?);
        }
        Ok(out)
    }

    async fn add_consent(&self, actor: &Actor, client_id: ClientId, f: &ConsentFields) -> Result<Consent> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let c = load(&txn, org, client_id).await?;
        if !matches!(c.status, ClientStatus::Active | ClientStatus::Closed) {
            return Err(DomainError::invalid("purpose", "client-retired"));
        }
        let id = ConsentId::new();
        let m = consent::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            client_id: Set(client_id.0),
            purpose: Set(f.purpose.as_str().into()),
            notice_version: Set(f.notice_version.clone()),
            given_on: Set(f.given_on),
            given_by: Set(f.given_by.clone()),
            guardian_name: Set(f.guardian_name.clone()),
            recorded_by: Set(actor.user_id.map(|u| u.0)),
            recorded_by_name: Set(actor.name.clone()),
            withdrawn_on: Set(None),
            withdrawn_by_name: Set(String::new()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "consent", id).detail(json!({
                "client_id": client_id, "purpose": f.purpose.as_str(), "notice_version": f.notice_version,
                "given_on": f.given_on, "given_by": f.given_by,
            })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_consent(m))
    }

    async fn withdraw_consent(&self, actor: &Actor, client_id: ClientId, consent_id: ConsentId, on: NaiveDate) -> Result<Consent> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = consent::Entity::update_many()
            .col_expr(consent::Column::WithdrawnOn, Expr::value(Some(on)))
            .col_expr(consent::Column::WithdrawnByName, Expr::value(actor.name.clone()))
            .filter(consent::Column::OrgId.eq(org.0))
            .filter(consent::Column::Id.eq(consent_id.0))
            .filter(consent::Column::ClientId.eq(client_id.0))
            .filter(consent::Column::WithdrawnOn.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "consent", consent_id).detail(json!({"client_id": client_id, "withdrawn_on": on})),
            now,
        )
        .await
        .map_err(db_err)?;
        let m = consent::Entity::find_by_id((org.0, consent_id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_consent(m))
    }

    async fn consents(&self, org: OrgId, client_id: ClientId) -> Result<Vec<Consent>> {
        let rows = consent::Entity::find()
            .filter(consent::Column::OrgId.eq(org.0))
            .filter(consent::Column::ClientId.eq(client_id.0))
            .order_by_desc(consent::Column::GivenOn)
            .order_by_desc(consent::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_consent).collect())
    }

    async fn create_household(&self, actor: &Actor, f: &HouseholdFields) -> Result<Household> {
        let now = self.now();
        let org = actor.org_id;
        let id = HouseholdId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        household::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            unit_id: Set(f.unit_id.0),
            name: Set(f.name.clone()),
            address: Set(f.address.clone()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| match db_err(e) {
            DomainError::Storage(_) => DomainError::invalid("unit_id", "unknown-unit"),
            other => other,
        })?;
        write_members(&txn, org, id, f).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Create, "household", id).detail(household_detail(f)), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load_household(&self.db, org, id).await
    }

    async fn update_household(&self, actor: &Actor, id: HouseholdId, version: i64, f: &HouseholdFields) -> Result<Household> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = household::Entity::update_many()
            .col_expr(household::Column::UnitId, Expr::value(f.unit_id.0))
            .col_expr(household::Column::Name, Expr::value(f.name.clone()))
            .col_expr(household::Column::Address, Expr::value(f.address.clone()))
            .col_expr(household::Column::Version, Expr::value(version.saturating_add(1)))
            .col_expr(household::Column::UpdatedAt, Expr::value(now))
            .filter(household::Column::OrgId.eq(org.0))
            .filter(household::Column::Id.eq(id.0))
            .filter(household::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            load_household(&txn, org, id).await?;
            return Err(DomainError::Stale);
        }
        write_members(&txn, org, id, f).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "household", id).detail(household_detail(f)), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load_household(&self.db, org, id).await
    }

    async fn get_household(&self, org: OrgId, id: HouseholdId) -> Result<Household> {
        load_household(&self.db, org, id).await
    }

    async fn household_of(&self, org: OrgId, client_id: ClientId) -> Result<Option<Household>> {
        let m = member::Entity::find()
            .filter(member::Column::OrgId.eq(org.0))
            .filter(member::Column::ClientId.eq(client_id.0))
            .one(&self.db)
            .await
            .map_err(db_err)?;
        match m {
            Some(m) => Ok(Some(load_household(&self.db, org, HouseholdId(m.household_id)).await?)),
            None => Ok(None),
        }
    }
}

async fn set_status(
    store: &Store,
    actor: &Actor,
    id: ClientId,
    version: i64,
    from: ClientStatus,
    to: ClientStatus,
    on: Option<NaiveDate>,
) -> Result<Client> {
    let now = store.now();
    let org = actor.org_id;
    let txn = crate::dialect::write_txn(&store.db).await.map_err(db_err)?;
    let current = load(&txn, org, id).await?;
    if current.status != from {
        return Err(DomainError::Invalid(vec![FieldError::new("status", "wrong-status").with("status", current.status.as_str())]));
    }
    let res = client::Entity::update_many()
        .col_expr(client::Column::Status, Expr::value(to.as_str()))
        .col_expr(client::Column::ClosedOn, Expr::value(on))
        .col_expr(client::Column::Version, Expr::value(version.saturating_add(1)))
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::OrgId.eq(org.0))
        .filter(client::Column::Id.eq(id.0))
        .filter(client::Column::Version.eq(version))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    if res.rows_affected == 0 {
        return Err(DomainError::Stale);
    }
    append_in(&txn, actor, AuditEvent::new(Action::Update, "client", id).detail(json!({"status": to.as_str(), "closed_on": on})), now)
        .await
        .map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    load(&store.db, org, id).await
}
