//! Hotline: points (numbers, hours) keyed by unit, the duty roster, topics, calls, the
//! follow-up queue, check-in schedules with their attempts, and caller flags.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000005_hotline"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("hotline_settings").col(uuid("org_id").primary_key()).col(text("topics")).col(big_integer("version")).foreign_key(&mut fk(
            "fk_hotline_settings_org",
            "hotline_settings",
            &["org_id"],
            "orgs",
            &["id"],
            false,
        ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("hotline_points")
            .col(uuid("org_id"))
            .col(uuid("unit_id"))
            .col(text("numbers"))
            .col(text("opening_hours"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("unit_id"))
            .foreign_key(&mut fk("fk_hotline_points_unit", "hotline_points", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("hotline_shifts")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid("user_id"))
            .col(timestamp_with_time_zone("starts_at"))
            .col(timestamp_with_time_zone("ends_at"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_hotline_shifts_unit", "hotline_shifts", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_hotline_shifts_unit", "hotline_shifts", &["org_id", "unit_id", "starts_at"])).await?;

        let mut t = Table::create();
        t.table("hotline_calls")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("caller_phone"))
            .col(uuid_null("client_id"))
            .col(string("call_type"))
            .col(string("topics"))
            .col(integer("duration_minutes"))
            .col(text("note"))
            .col(string("risk"))
            .col(uuid_null("escalated_to"))
            .col(text("action"))
            .col(timestamp_with_time_zone_null("acknowledged_at"))
            .col(string("outcome"))
            .col(uuid_null("case_id"))
            .col(uuid("operator_id"))
            .col(string("operator_name"))
            .col(date("day"))
            .col(timestamp_with_time_zone("at"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_hotline_calls_unit", "hotline_calls", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_hotline_calls_unit_day", "hotline_calls", &["org_id", "unit_id", "day"])).await?;
        m.create_index(index("ix_hotline_calls_client", "hotline_calls", &["org_id", "client_id"])).await?;
        m.create_index(index("ix_hotline_calls_phone", "hotline_calls", &["org_id", "caller_phone"])).await?;
        m.create_index(index("ix_hotline_calls_escalated", "hotline_calls", &["org_id", "escalated_to"])).await?;

        let mut t = Table::create();
        t.table("hotline_schedules")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid("client_id"))
            .col(uuid("worker_id"))
            .col(integer("every_days"))
            .col(date("next_due_on"))
            .col(integer("misses"))
            .col(boolean("active"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_hotline_schedules_unit",
                "hotline_schedules",
                &["org_id", "unit_id"],
                "units",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_hotline_schedules_due", "hotline_schedules", &["org_id", "active", "next_due_on"])).await?;

        let mut t = Table::create();
        t.table("hotline_check_ins")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("schedule_id"))
            .col(uuid("unit_id"))
            .col(uuid("client_id"))
            .col(string("result"))
            .col(date("day"))
            .col(string("made_by"))
            .col(timestamp_with_time_zone("at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_hotline_check_ins_schedule",
                "hotline_check_ins",
                &["org_id", "schedule_id"],
                "hotline_schedules",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_hotline_check_ins_day", "hotline_check_ins", &["org_id", "unit_id", "day"])).await?;

        let mut t = Table::create();
        t.table("hotline_follow_ups")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("kind"))
            .col(uuid_null("call_id"))
            .col(uuid_null("schedule_id"))
            .col(uuid_null("client_id"))
            .col(string("caller_phone"))
            .col(timestamp_with_time_zone("due_at"))
            .col(timestamp_with_time_zone_null("done_at"))
            .col(date_null("done_on"))
            .col(string("done_by"))
            .col(text("result"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_hotline_follow_ups_unit",
                "hotline_follow_ups",
                &["org_id", "unit_id"],
                "units",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_hotline_follow_ups_open", "hotline_follow_ups", &["org_id", "unit_id", "done_at", "due_at"])).await?;

        let mut t = Table::create();
        t.table("hotline_flags")
            .col(uuid("org_id"))
            .col(uuid("client_id"))
            .col(string("flag"))
            .col(date("until"))
            .col(string("set_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("client_id").col("flag"));
        m.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "hotline_flags",
            "hotline_follow_ups",
            "hotline_check_ins",
            "hotline_schedules",
            "hotline_calls",
            "hotline_shifts",
            "hotline_points",
            "hotline_settings",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
