//! Toy library: settings, counters for toy and member codes, the catalogue with photos kept
//! apart (lists never read the bytes), member households, loans (one open loan per toy, by a
//! partial unique index), the repair and lost queue, reservations, transfers, the append-only
//! points ledger and the reminders sent.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000008_lending"
    }
}

fn unit_fk(name: &str, table: &'static str, col: &'static str) -> ForeignKeyCreateStatement {
    fk(name, table, &["org_id", col], "units", &["org_id", "id"], false)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("lending_settings")
            .col(uuid("org_id").primary_key())
            .col(text("settings"))
            .col(big_integer("version"))
            .foreign_key(&mut fk("fk_lending_settings_org", "lending_settings", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("lending_counters")
            .col(uuid("org_id").primary_key())
            .col(big_integer("next_toy"))
            .col(big_integer("next_member"))
            .foreign_key(&mut fk("fk_lending_counters_org", "lending_counters", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("lending_toys")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("code"))
            .col(string("name"))
            .col(text("description"))
            .col(uuid("home_unit_id"))
            .col(uuid("unit_id"))
            .col(integer("age_min_months"))
            .col(integer("age_max_months"))
            .col(string("areas"))
            .col(integer("parts"))
            .col(string("condition"))
            .col(string("status"))
            .col(string("source"))
            .col(string("source_ref"))
            .col(boolean("has_photo"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_lending_toys_home", "lending_toys", "home_unit_id"))
            .foreign_key(&mut unit_fk("fk_lending_toys_unit", "lending_toys", "unit_id"));
        m.create_table(t).await?;
        m.create_index(index("ux_lending_toys_code", "lending_toys", &["org_id", "code"]).unique().to_owned()).await?;
        m.create_index(index("ix_lending_toys_unit", "lending_toys", &["org_id", "unit_id", "status"])).await?;

        let mut t = Table::create();
        t.table("lending_photos")
            .col(uuid("org_id"))
            .col(uuid("toy_id"))
            .col(string("content_type"))
            .col(blob("bytes"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("toy_id"))
            .foreign_key(&mut fk(
                "fk_lending_photos_toy",
                "lending_photos",
                &["org_id", "toy_id"],
                "lending_toys",
                &["org_id", "id"],
                true,
            ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("lending_members")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("household_id"))
            .col(uuid("unit_id"))
            .col(string("member_no"))
            .col(string("membership"))
            .col(date("joined_on"))
            .col(boolean("active"))
            .col(big_integer("points"))
            .col(integer("open_loans"))
            .col(string_null("card_hash"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_lending_members_unit", "lending_members", "unit_id"))
            .foreign_key(&mut fk(
                "fk_lending_members_household",
                "lending_members",
                &["org_id", "household_id"],
                "households",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ux_lending_members_household", "lending_members", &["org_id", "household_id"]).unique().to_owned()).await?;
        m.create_index(index("ux_lending_members_no", "lending_members", &["org_id", "member_no"]).unique().to_owned()).await?;
        m.create_index(index("ux_lending_members_card", "lending_members", &["card_hash"]).unique().to_owned()).await?;

        let mut t = Table::create();
        t.table("lending_loans")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("toy_id"))
            .col(uuid("member_id"))
            .col(uuid("household_id"))
            .col(uuid("unit_id"))
            .col(date("out_on"))
            .col(date("due_on"))
            .col(integer("renewals"))
            .col(integer("parts_out"))
            .col(date_null("returned_on"))
            .col(uuid_null("return_unit_id"))
            .col(integer_null("parts_returned"))
            .col(string_null("condition_in"))
            .col(text("note"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_lending_loans_unit", "lending_loans", "unit_id"))
            .foreign_key(&mut fk("fk_lending_loans_toy", "lending_loans", &["org_id", "toy_id"], "lending_toys", &["org_id", "id"], false))
            .foreign_key(&mut fk(
                "fk_lending_loans_member",
                "lending_loans",
                &["org_id", "member_id"],
                "lending_members",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        // A toy is in one place at a time: one open loan per toy, whatever the application does.
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_lending_loans_open ON lending_loans (org_id, toy_id) WHERE returned_on IS NULL")
            .await?;
        m.create_index(index("ix_lending_loans_due", "lending_loans", &["org_id", "unit_id", "due_on"])).await?;
        m.create_index(index("ix_lending_loans_member", "lending_loans", &["org_id", "member_id"])).await?;
        m.create_index(index("ix_lending_loans_out", "lending_loans", &["org_id", "out_on"])).await?;
        m.create_index(index("ix_lending_loans_toy", "lending_loans", &["org_id", "toy_id"])).await?;

        let mut t = Table::create();
        t.table("lending_repairs")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("toy_id"))
            .col(uuid("unit_id"))
            .col(uuid_null("loan_id"))
            .col(string("kind"))
            .col(integer("parts_missing"))
            .col(text("note"))
            .col(date("opened_on"))
            .col(date_null("resolved_on"))
            .col(string_null("resolution"))
            .col(string("resolved_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_lending_repairs_unit", "lending_repairs", "unit_id"))
            .foreign_key(&mut fk(
                "fk_lending_repairs_toy",
                "lending_repairs",
                &["org_id", "toy_id"],
                "lending_toys",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_lending_repairs_open", "lending_repairs", &["org_id", "unit_id", "resolved_on"])).await?;

        let mut t = Table::create();
        t.table("lending_reservations")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("toy_id"))
            .col(uuid("member_id"))
            .col(uuid("pickup_unit_id"))
            .col(string("status"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_lending_reservations_unit", "lending_reservations", "pickup_unit_id"))
            .foreign_key(&mut fk(
                "fk_lending_reservations_toy",
                "lending_reservations",
                &["org_id", "toy_id"],
                "lending_toys",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_lending_reservations_toy", "lending_reservations", &["org_id", "toy_id", "status"])).await?;
        m.create_index(index("ix_lending_reservations_member", "lending_reservations", &["org_id", "member_id"])).await?;

        let mut t = Table::create();
        t.table("lending_transfers")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("toy_id"))
            .col(uuid("from_unit_id"))
            .col(uuid("to_unit_id"))
            .col(uuid("reservation_id"))
            .col(timestamp_with_time_zone("sent_at"))
            .col(timestamp_with_time_zone_null("received_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_lending_transfers_from", "lending_transfers", "from_unit_id"))
            .foreign_key(&mut unit_fk("fk_lending_transfers_to", "lending_transfers", "to_unit_id"));
        m.create_table(t).await?;
        m.create_index(index("ix_lending_transfers_open", "lending_transfers", &["org_id", "received_at"])).await?;

        let mut t = Table::create();
        t.table("lending_points")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("member_id"))
            .col(uuid("unit_id"))
            .col(big_integer("delta"))
            .col(string("reason"))
            .col(string("source_key"))
            .col(date("day"))
            .col(timestamp_with_time_zone("at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_lending_points_member",
                "lending_points",
                &["org_id", "member_id"],
                "lending_members",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        // What earned the points: each attendance or return earns once.
        m.create_index(index("ux_lending_points_source", "lending_points", &["org_id", "source_key"]).unique().to_owned()).await?;
        m.create_index(index("ix_lending_points_member", "lending_points", &["org_id", "member_id"])).await?;
        m.create_index(index("ix_lending_points_day", "lending_points", &["org_id", "day"])).await?;
        for stmt in crate::dialect::append_only_ddl(m.get_database_backend(), "lending_points") {
            m.get_connection().execute_unprepared(&stmt).await?;
        }

        let mut t = Table::create();
        t.table("lending_reminders")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("loan_id"))
            .col(uuid("unit_id"))
            .col(uuid_null("client_id"))
            .col(string("kind"))
            .col(string("channel"))
            .col(string("recipient"))
            .col(text("message"))
            .col(string("status"))
            .col(timestamp_with_time_zone("sent_at"))
            .col(string("sent_by"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_lending_reminders_loan",
                "lending_reminders",
                &["org_id", "loan_id"],
                "lending_loans",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_lending_reminders_unit", "lending_reminders", &["org_id", "unit_id", "sent_at"])).await?;
        m.create_index(index("ix_lending_reminders_client", "lending_reminders", &["org_id", "client_id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "lending_reminders",
            "lending_points",
            "lending_transfers",
            "lending_reservations",
            "lending_repairs",
            "lending_loans",
            "lending_members",
            "lending_photos",
            "lending_toys",
            "lending_counters",
            "lending_settings",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
