//! Coverage (便利圈): settings, the imported population grid, candidate sites for new service
//! points, and the walking network (one compact blob per agency: 100k+ edges as rows would
//! only ever be read all at once).

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000011_coverage"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("coverage_settings")
            .col(uuid("org_id").primary_key())
            .col(text("settings"))
            .col(big_integer("version"))
            .foreign_key(&mut fk("fk_coverage_settings_org", "coverage_settings", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("coverage_cells")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("district"))
            .col(double("latitude"))
            .col(double("longitude"))
            .col(integer("people"))
            .col(integer("elderly_alone"))
            .col(integer("disabled"))
            .col(integer("low_income"))
            .col(integer("child_in_difficulty"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_coverage_cells_org", "coverage_cells", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_coverage_cells_district", "coverage_cells", &["org_id", "district"])).await?;

        let mut t = Table::create();
        t.table("coverage_sites")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("name"))
            .col(string("district"))
            .col(double("latitude"))
            .col(double("longitude"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_coverage_sites_org", "coverage_sites", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("coverage_networks")
            .col(uuid("org_id").primary_key())
            .col(string("source"))
            .col(big_integer("nodes"))
            .col(big_integer("edges"))
            .col(blob("graph"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("imported_at"))
            .foreign_key(&mut fk("fk_coverage_networks_org", "coverage_networks", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["coverage_networks", "coverage_sites", "coverage_cells", "coverage_settings"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
