//! Coverage storage: settings, the population grid (replaced as a whole at each import),
//! candidate sites, and the walking network as one blob per agency. Every change is one
//! write transaction with its audit row.

use crate::audit::record as audit;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{entity::prelude::*, ConnectionTrait, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::coverage::{CoverageSettings, GridCell, NetworkInfo, Resident, Site, SiteFields, WalkGraph, VULNERABLE};
use shegong_domain::ids::{OrgId, SiteId};
use shegong_domain::ports::CoverageRepo;
use shegong_domain::{DomainError, Result};
use std::collections::HashMap;

entity!(settings, "coverage_settings", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    settings: String,
    version: i64,
});

entity!(cell, "coverage_cells", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    district: String,
    latitude: f64,
    longitude: f64,
    people: i32,
    elderly_alone: i32,
    disabled: i32,
    low_income: i32,
    child_in_difficulty: i32,
    created_at: ChronoDateTimeUtc,
});

entity!(site, "coverage_sites", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    name: String,
    district: String,
    latitude: f64,
    longitude: f64,
    version: i64,
    created_at: ChronoDateTimeUtc,
    updated_at: ChronoDateTimeUtc,
});

entity!(network, "coverage_networks", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    source: String,
    nodes: i64,
    edges: i64,
    graph: Vec<u8>,
    version: i64,
    imported_at: ChronoDateTimeUtc,
});

fn storage(e: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(e.to_string())
}

fn to_site(m: site::Model) -> Site {
    Site {
        id: SiteId(m.id),
        org_id: OrgId(m.org_id),
        name: m.name,
        district: m.district,
        latitude: m.latitude,
        longitude: m.longitude,
        version: m.version,
        created_at: m.created_at,
    }
}

fn to_cell(m: cell::Model) -> GridCell {
    let n = |x: i32| u32::try_from(x).unwrap_or(0);
    GridCell {
        district: m.district,
        latitude: m.latitude,
        longitude: m.longitude,
        people: n(m.people),
        cats: [n(m.elderly_alone), n(m.disabled), n(m.low_income), n(m.child_in_difficulty)],
    }
}

async fn load_settings<C: ConnectionTrait>(c: &C, org: OrgId) -> Result<CoverageSettings> {
    match settings::Entity::find_by_id(org.0).one(c).await.map_err(db_err)? {
        Some(m) => {
            let mut s: CoverageSettings = serde_json::from_str(&m.settings).map_err(storage)?;
            s.version = m.version;
            Ok(s)
        }
        None => Ok(CoverageSettings::default()),
    }
}

async fn load_site<C: ConnectionTrait>(c: &C, org: OrgId, id: SiteId) -> Result<site::Model> {
    site::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)
}

#[async_trait]
impl CoverageRepo for Store {
    async fn coverage_settings(&self, org: OrgId) -> Result<CoverageSettings> {
        load_settings(&self.db, org).await
    }

    async fn save_coverage_settings(&self, actor: &Actor, s: &CoverageSettings) -> Result<CoverageSettings> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let stored = settings::Entity::find_by_id(org.0).one(&txn).await.map_err(db_err)?.map(|m| m.version).unwrap_or(0);
        if stored != s.version {
            return Err(DomainError::Stale);
        }
        let version = stored + 1;
        let saved = CoverageSettings { version, ..s.clone() };
        let text = serde_json::to_string(&saved).map_err(storage)?;
        settings::Entity::insert(settings::ActiveModel { org_id: Set(org.0), settings: Set(text), version: Set(version) })
            .on_conflict(
                OnConflict::column(settings::Column::OrgId)
                    .update_columns([settings::Column::Settings, settings::Column::Version])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let detail = json!({
            "detour_factor": s.detour_factor, "walk_kmh": s.walk_kmh, "target_minutes": s.target_minutes,
            "weights": s.weights(),
        });
        audit(&txn, actor, Action::Update, "coverage_settings", org, detail, now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(saved)
    }

    async fn replace_grid(&self, actor: &Actor, cells: &[GridCell]) -> Result<u64> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let gone = cell::Entity::delete_many().filter(cell::Column::OrgId.eq(org.0)).exec(&txn).await.map_err(db_err)?.rows_affected;
        let n = |x: u32| i32::try_from(x).unwrap_or(i32::MAX);
        for chunk in cells.chunks(500) {
            let rows: Vec<cell::ActiveModel> = chunk
                .iter()
                .map(|c| cell::ActiveModel {
                    org_id: Set(org.0),
                    id: Set(Uuid::now_v7()),
                    district: Set(c.district.clone()),
                    latitude: Set(c.latitude),
                    longitude: Set(c.longitude),
                    people: Set(n(c.people)),
                    elderly_alone: Set(n(c.cats[0])),
                    disabled: Set(n(c.cats[1])),
                    low_income: Set(n(c.cats[2])),
                    child_in_difficulty: Set(n(c.cats[3])),
                    created_at: Set(now),
                })
                .collect();
            cell::Entity::insert_many(rows).exec(&txn).await.map_err(db_err)?;
        }
        let people: u64 = cells.iter().map(|c| u64::from(c.people)).sum();
        audit(&txn, actor, Action::Update, "coverage_grid", org, json!({"cells": cells.len(), "people": people, "replaced": gone}), now)
            .await?;
        txn.commit().await.map_err(db_err)?;
        Ok(cells.len() as u64)
    }

    async fn grid_cells(&self, org: OrgId, district: Option<&str>) -> Result<Vec<GridCell>> {
        let mut q = cell::Entity::find().filter(cell::Column::OrgId.eq(org.0));
        if let Some(d) = district {
            q = q.filter(cell::Column::District.eq(d));
        }
        Ok(q.order_by_asc(cell::Column::Id).all(&self.db).await.map_err(db_err)?.into_iter().map(to_cell).collect())
    }

    async fn client_residents(&self, org: OrgId, district: Option<&str>) -> Result<Vec<Resident>> {
        use crate::clients::{client, tag};
        let mut q = client::Entity::find()
            .select_only()
            .column(client::Column::Id)
            .column(client::Column::Latitude)
            .column(client::Column::Longitude)
            .filter(client::Column::OrgId.eq(org.0))
            .filter(client::Column::Status.eq("active"))
            .filter(client::Column::Latitude.is_not_null())
            .filter(client::Column::Longitude.is_not_null());
        if let Some(d) = district {
            q = q.filter(client::Column::District.eq(d));
        }
        let rows: Vec<(Uuid, Option<f64>, Option<f64>)> = q.into_tuple().all(&self.db).await.map_err(db_err)?;
        let tags: Vec<(Uuid, String)> = tag::Entity::find()
            .select_only()
            .column(tag::Column::ClientId)
            .column(tag::Column::Code)
            .filter(tag::Column::OrgId.eq(org.0))
            .filter(tag::Column::Code.is_in(VULNERABLE))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut cats: HashMap<Uuid, [u32; 4]> = HashMap::new();
        for (id, code) in tags {
            if let Some(k) = VULNERABLE.iter().position(|c| *c == code) {
                cats.entry(id).or_default()[k] = 1;
            }
        }
        Ok(rows
            .into_iter()
            .filter_map(|(id, la, lo)| Some(Resident { lat: la?, lng: lo?, people: 1, cats: cats.get(&id).copied().unwrap_or_default() }))
            .collect())
    }

    async fn list_sites(&self, org: OrgId) -> Result<Vec<Site>> {
        let rows = site::Entity::find()
            .filter(site::Column::OrgId.eq(org.0))
            .order_by_asc(site::Column::District)
            .order_by_asc(site::Column::Name)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_site).collect())
    }

    async fn get_site(&self, org: OrgId, id: SiteId) -> Result<Site> {
        load_site(&self.db, org, id).await.map(to_site)
    }

    async fn create_site(&self, actor: &Actor, f: &SiteFields) -> Result<Site> {
        let org = actor.org_id;
        let now = self.now();
        let id = SiteId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        site::Entity::insert(site::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            name: Set(f.name.clone()),
            district: Set(f.district.clone()),
            latitude: Set(f.latitude),
            longitude: Set(f.longitude),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Create, "coverage_site", id, json!({"name": f.name, "district": f.district}), now).await?;
        let m = load_site(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_site(m))
    }

    async fn update_site(&self, actor: &Actor, id: SiteId, version: i64, f: &SiteFields) -> Result<Site> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        load_site(&txn, org, id).await?;
        let done = site::Entity::update_many()
            .col_expr(site::Column::Name, Expr::value(f.name.clone()))
            .col_expr(site::Column::District, Expr::value(f.district.clone()))
            .col_expr(site::Column::Latitude, Expr::value(f.latitude))
            .col_expr(site::Column::Longitude, Expr::value(f.longitude))
            .col_expr(site::Column::Version, Expr::value(version.saturating_add(1)))
            .col_expr(site::Column::UpdatedAt, Expr::value(now))
            .filter(site::Column::OrgId.eq(org.0))
            .filter(site::Column::Id.eq(id.0))
            .filter(site::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        audit(&txn, actor, Action::Update, "coverage_site", id, json!({"name": f.name, "district": f.district}), now).await?;
        let m = load_site(&txn, org, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_site(m))
    }

    async fn delete_site(&self, actor: &Actor, id: SiteId, version: i64) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let before = load_site(&txn, org, id).await?;
        let done = site::Entity::delete_many()
            .filter(site::Column::OrgId.eq(org.0))
            .filter(site::Column::Id.eq(id.0))
            .filter(site::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        audit(&txn, actor, Action::Delete, "coverage_site", id, json!({"name": before.name}), now).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn save_network(&self, actor: &Actor, graph: &WalkGraph, source: &str) -> Result<NetworkInfo> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let version = network::Entity::find_by_id(org.0)
            .select_only()
            .column(network::Column::Version)
            .into_tuple::<i64>()
            .one(&txn)
            .await
            .map_err(db_err)?
            .unwrap_or(0)
            + 1;
        let (nodes, edges) = (graph.node_count() as i64, graph.edge_count() as i64);
        network::Entity::insert(network::ActiveModel {
            org_id: Set(org.0),
            source: Set(source.to_string()),
            nodes: Set(nodes),
            edges: Set(edges),
            graph: Set(graph.to_bytes()),
            version: Set(version),
            imported_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(network::Column::OrgId)
                .update_columns([
                    network::Column::Source,
                    network::Column::Nodes,
                    network::Column::Edges,
                    network::Column::Graph,
                    network::Column::Version,
                    network::Column::ImportedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        audit(&txn, actor, Action::Update, "coverage_network", org, json!({"source": source, "nodes": nodes, "edges": edges}), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(NetworkInfo { source: source.to_string(), nodes: nodes as u64, edges: edges as u64, imported_at: now })
    }

    async fn network_info(&self, org: OrgId) -> Result<Option<NetworkInfo>> {
        let row: Option<(String, i64, i64, DateTime<Utc>)> = network::Entity::find_by_id(org.0)
            .select_only()
            .column(network::Column::Source)
            .column(network::Column::Nodes)
            .column(network::Column::Edges)
            .column(network::Column::ImportedAt)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(row.map(|(source, nodes, edges, imported_at)| NetworkInfo {
            source,
            nodes: nodes.max(0) as u64,
            edges: edges.max(0) as u64,
            imported_at,
        }))
    }

    async fn network(&self, org: OrgId) -> Result<Option<WalkGraph>> {
        match network::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)? {
            Some(m) => WalkGraph::from_bytes(&m.graph).map(Some),
            None => Ok(None),
        }
    }
}
