//! The incident log and the knowledge base. Lists of codes and districts are stored as JSON
//! text (read whole with their record). Each write records its audit row in the same
//! transaction; edits are conditional on the version read.

use crate::{db_err, Store};
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{entity::prelude::*, QueryOrder, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::Action;
use shegong_domain::ids::{IncidentId, OrgId, SolutionId};
use shegong_domain::knowledge::{Incident, IncidentFields, IncidentKind, IncidentLink, LinkKind, Solution, SolutionFields};
use shegong_domain::ports::KnowledgeRepo;
use shegong_domain::{DomainError, Result};

entity!(incident, "incidents", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    title: String,
    kind: String,
    started_on: Date,
    ended_on: Option<Date>,
    districts: String,
    affected_categories: String,
    description: String,
    created_by: String,
    created_at: ChronoDateTimeUtc,
    version: i64,
});

entity!(link, "incident_links", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] incident_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] kind: String,
    #[sea_orm(primary_key, auto_increment = false)] target_id: Uuid,
    occurred_on: Date,
    label: String,
    linked_by: String,
    linked_at: ChronoDateTimeUtc,
});

entity!(solution, "solutions", {
    #[sea_orm(primary_key, auto_increment = false)] org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)] id: Uuid,
    title: String,
    need: String,
    problems: String,
    categories: String,
    population: String,
    steps: String,
    resources: String,
    evidence: String,
    interventions: String,
    created_by: String,
    updated_at: ChronoDateTimeUtc,
    version: i64,
});

fn list(xs: &[String]) -> String {
    serde_json::to_string(xs).unwrap_or_else(|_| "[]".into())
}

fn unlist(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn incident_of(m: incident::Model) -> Incident {
    Incident {
        id: IncidentId(m.id),
        org_id: OrgId(m.org_id),
        title: m.title,
        kind: IncidentKind::parse(&m.kind).unwrap_or(IncidentKind::Other),
        started_on: m.started_on,
        ended_on: m.ended_on,
        districts: unlist(&m.districts),
        affected_categories: unlist(&m.affected_categories),
        description: m.description,
        created_by: m.created_by,
        created_at: m.created_at,
        version: m.version,
    }
}

fn solution_of(m: solution::Model) -> Solution {
    Solution {
        id: SolutionId(m.id),
        org_id: OrgId(m.org_id),
        title: m.title,
        need: m.need,
        problems: unlist(&m.problems),
        categories: unlist(&m.categories),
        population: m.population,
        steps: m.steps,
        resources: m.resources,
        evidence: m.evidence,
        interventions: unlist(&m.interventions),
        created_by: m.created_by,
        updated_at: m.updated_at,
        version: m.version,
    }
}

fn incident_model(f: &IncidentFields) -> incident::ActiveModel {
    incident::ActiveModel {
        title: Set(f.title.clone()),
        kind: Set(f.kind.as_str().into()),
        started_on: Set(f.started_on),
        ended_on: Set(f.ended_on),
        districts: Set(list(&f.districts)),
        affected_categories: Set(list(&f.affected_categories)),
        description: Set(f.description.clone()),
        ..Default::default()
    }
}

fn solution_model(f: &SolutionFields) -> solution::ActiveModel {
    solution::ActiveModel {
        title: Set(f.title.clone()),
        need: Set(f.need.clone()),
        problems: Set(list(&f.problems)),
        categories: Set(list(&f.categories)),
        population: Set(f.population.clone()),
        steps: Set(f.steps.clone()),
        resources: Set(f.resources.clone()),
        evidence: Set(f.evidence.clone()),
        interventions: Set(list(&f.interventions)),
        ..Default::default()
    }
}

#[async_trait]
impl KnowledgeRepo for Store {
    async fn create_incident(&self, actor: &Actor, f: &IncidentFields) -> Result<Incident> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut am = incident_model(f);
        am.org_id = Set(actor.org_id.0);
        am.id = Set(IncidentId::new().0);
        am.created_by = Set(actor.name.clone());
        am.created_at = Set(now);
        am.version = Set(1);
        let m = am.insert(&txn).await.map_err(db_err)?;
        crate::audit::record(&txn, actor, Action::Create, "incident", m.id, json!({"title": f.title, "kind": f.kind.as_str()}), now)
            .await?;
        txn.commit().await.map_err(db_err)?;
        Ok(incident_of(m))
    }

    async fn update_incident(&self, actor: &Actor, id: IncidentId, version: i64, f: &IncidentFields) -> Result<Incident> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        incident::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let mut am = incident_model(f);
        am.version = Set(version.saturating_add(1));
        let done = incident::Entity::update_many()
            .set(am)
            .filter(incident::Column::OrgId.eq(org.0))
            .filter(incident::Column::Id.eq(id.0))
            .filter(incident::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        crate::audit::record(&txn, actor, Action::Update, "incident", id, json!({"title": f.title, "kind": f.kind.as_str()}), now).await?;
        let m = incident::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(incident_of(m))
    }

    async fn get_incident(&self, org: OrgId, id: IncidentId) -> Result<Incident> {
        let m = incident::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        Ok(incident_of(m))
    }

    async fn list_incidents(&self, org: OrgId) -> Result<Vec<Incident>> {
        let rows = incident::Entity::find()
            .filter(incident::Column::OrgId.eq(org.0))
            .order_by_desc(incident::Column::StartedOn)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(incident_of).collect())
    }

    async fn link_incident(&self, actor: &Actor, id: IncidentId, l: &IncidentLink) -> Result<()> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        incident::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let inserted = link::Entity::insert(link::ActiveModel {
            org_id: Set(org.0),
            incident_id: Set(id.0),
            kind: Set(l.kind.as_str().into()),
            target_id: Set(l.target_id),
            occurred_on: Set(l.occurred_on),
            label: Set(l.label.clone()),
            linked_by: Set(actor.name.clone()),
            linked_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([link::Column::OrgId, link::Column::IncidentId, link::Column::Kind, link::Column::TargetId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        if inserted > 0 {
            crate::audit::record(
                &txn,
                actor,
                Action::Update,
                "incident",
                id,
                json!({"linked": l.kind.as_str(), "target_id": l.target_id}),
                now,
            )
            .await?;
        }
        txn.commit().await.map_err(db_err)
    }

    async fn incident_links(&self, org: OrgId, id: IncidentId) -> Result<Vec<IncidentLink>> {
        let rows = link::Entity::find()
            .filter(link::Column::OrgId.eq(org.0))
            .filter(link::Column::IncidentId.eq(id.0))
            .order_by_asc(link::Column::OccurredOn)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|m| IncidentLink {
                kind: LinkKind::parse(&m.kind).unwrap_or(LinkKind::Case),
                target_id: m.target_id,
                occurred_on: m.occurred_on,
                label: m.label,
                linked_by: m.linked_by,
                linked_at: m.linked_at,
            })
            .collect())
    }

    async fn create_solution(&self, actor: &Actor, f: &SolutionFields) -> Result<Solution> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut am = solution_model(f);
        am.org_id = Set(actor.org_id.0);
        am.id = Set(SolutionId::new().0);
        am.created_by = Set(actor.name.clone());
        am.updated_at = Set(now);
        am.version = Set(1);
        let m = am.insert(&txn).await.map_err(db_err)?;
        crate::audit::record(&txn, actor, Action::Create, "solution", m.id, json!({"title": f.title}), now).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(solution_of(m))
    }

    async fn update_solution(&self, actor: &Actor, id: SolutionId, version: i64, f: &SolutionFields) -> Result<Solution> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        solution::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let mut am = solution_model(f);
        am.version = Set(version.saturating_add(1));
        am.updated_at = Set(now);
        let done = solution::Entity::update_many()
            .set(am)
            .filter(solution::Column::OrgId.eq(org.0))
            .filter(solution::Column::Id.eq(id.0))
            .filter(solution::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected != 1 {
            return Err(DomainError::Stale);
        }
        crate::audit::record(&txn, actor, Action::Update, "solution", id, json!({"title": f.title}), now).await?;
        let m = solution::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        txn.commit().await.map_err(db_err)?;
        Ok(solution_of(m))
    }

    async fn get_solution(&self, org: OrgId, id: SolutionId) -> Result<Solution> {
        let m = solution::Entity::find_by_id((org.0, id.0)).one(&self.db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        Ok(solution_of(m))
    }

    async fn list_solutions(&self, org: OrgId) -> Result<Vec<Solution>> {
        let rows = solution::Entity::find()
            .filter(solution::Column::OrgId.eq(org.0))
            .order_by_asc(solution::Column::Title)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(solution_of).collect())
    }
}
