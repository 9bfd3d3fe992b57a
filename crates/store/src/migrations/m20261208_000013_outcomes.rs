//! Outcomes and knowledge: the agency's own scales (as JSON data), administrations with their
//! answers and scores, the social incident log with its links to cases, calls, assistance
//! requests and activities, and the solutions of the knowledge base.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000013_outcomes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("outcome_scales")
            .col(uuid("org_id"))
            .col(string("code"))
            .col(text("definition"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("code"))
            .foreign_key(&mut fk("fk_outcome_scales_org", "outcome_scales", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("outcome_administrations")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid("client_id"))
            .col(string("scale"))
            .col(uuid_null("case_id"))
            .col(uuid_null("activity_id"))
            .col(string("intervention"))
            .col(string("time_point"))
            .col(string("mode"))
            .col(date("administered_on"))
            .col(text("answers"))
            .col(double("score"))
            .col(string("band"))
            .col(text("subscales"))
            .col(string("recorded_by"))
            .col(timestamp_with_time_zone("recorded_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_outcome_administrations_unit",
                "outcome_administrations",
                &["org_id", "unit_id"],
                "units",
                &["org_id", "id"],
                false,
            ))
            .foreign_key(&mut fk(
                "fk_outcome_administrations_client",
                "outcome_administrations",
                &["org_id", "client_id"],
                "clients",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_outcome_administrations_client", "outcome_administrations", &["org_id", "client_id", "scale"])).await?;
        m.create_index(index("ix_outcome_administrations_scale", "outcome_administrations", &["org_id", "scale", "administered_on"]))
            .await?;
        m.create_index(index("ix_outcome_administrations_activity", "outcome_administrations", &["org_id", "activity_id"])).await?;
        m.create_index(index("ix_outcome_administrations_case", "outcome_administrations", &["org_id", "case_id"])).await?;

        let mut t = Table::create();
        t.table("incidents")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("title"))
            .col(string("kind"))
            .col(date("started_on"))
            .col(date_null("ended_on"))
            .col(text("districts"))
            .col(text("affected_categories"))
            .col(text("description"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_incidents_org", "incidents", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_incidents_started", "incidents", &["org_id", "started_on"])).await?;

        let mut t = Table::create();
        t.table("incident_links")
            .col(uuid("org_id"))
            .col(uuid("incident_id"))
            .col(string("kind"))
            .col(uuid("target_id"))
            .col(date("occurred_on"))
            .col(string("label"))
            .col(string("linked_by"))
            .col(timestamp_with_time_zone("linked_at"))
            .primary_key(Index::create().col("org_id").col("incident_id").col("kind").col("target_id"))
            .foreign_key(&mut fk(
                "fk_incident_links_incident",
                "incident_links",
                &["org_id", "incident_id"],
                "incidents",
                &["org_id", "id"],
                true,
            ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("solutions")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("title"))
            .col(text("need"))
            .col(text("problems"))
            .col(text("categories"))
            .col(text("population"))
            .col(text("steps"))
            .col(text("resources"))
            .col(text("evidence"))
            .col(text("interventions"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("updated_at"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_solutions_org", "solutions", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["solutions", "incident_links", "incidents", "outcome_administrations", "outcome_scales"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
