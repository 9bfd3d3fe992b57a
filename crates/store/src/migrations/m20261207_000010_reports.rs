//! Reports: yearly output targets of units under funding agreements. One target per unit,
//! agreement, year and measure.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000010_reports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("report_targets")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("agreement"))
            .col(integer("year"))
            .col(string("measure"))
            .col(double("target"))
            .col(string("label"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_report_targets_unit", "report_targets", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(
            index("ux_report_targets_key", "report_targets", &["org_id", "unit_id", "agreement", "year", "measure"]).unique().to_owned(),
        )
        .await?;
        m.create_index(index("ix_report_targets_year", "report_targets", &["org_id", "year"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("report_targets").to_owned()).await
    }
}
