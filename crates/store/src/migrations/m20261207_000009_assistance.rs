//! Emergency assistance and donations: the agency's list of needs, assistance requests with
//! their steps and proof photos kept apart, donors, donations with their items, receipt
//! numbers, the stock balances per (unit, item), the append-only stock ledger, distributions,
//! adjustments waiting for a second person, and the append-only record of cash spent.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000009_assistance"
    }
}

fn unit_fk(name: &str, table: &'static str, col: &'static str) -> ForeignKeyCreateStatement {
    fk(name, table, &["org_id", col], "units", &["org_id", "id"], false)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("assistance_settings")
            .col(uuid("org_id").primary_key())
            .col(text("settings"))
            .col(big_integer("version"))
            .foreign_key(&mut fk("fk_assistance_settings_org", "assistance_settings", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("assistance_requests")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid_null("client_id"))
            .col(uuid_null("household_id"))
            .col(integer("persons"))
            .col(string("need"))
            .col(string("urgency"))
            .col(text("detail"))
            .col(string("requested_by"))
            .col(boolean("consent"))
            .col(string("source"))
            .col(string("source_ref"))
            .col(string("status"))
            .col(uuid_null("assignee_id"))
            .col(timestamp_with_time_zone("requested_at"))
            .col(date("requested_on"))
            .col(timestamp_with_time_zone_null("assigned_at"))
            .col(timestamp_with_time_zone_null("on_the_way_at"))
            .col(timestamp_with_time_zone_null("delivered_at"))
            .col(timestamp_with_time_zone_null("failed_at"))
            .col(timestamp_with_time_zone_null("followed_up_at"))
            .col(text("failure_reason"))
            .col(string_null("proof"))
            .col(string("recipient_name"))
            .col(boolean("has_photo"))
            .col(text("follow_up_note"))
            .col(string("created_by"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_assistance_requests_unit", "assistance_requests", "unit_id"));
        m.create_table(t).await?;
        m.create_index(index("ix_assistance_requests_unit", "assistance_requests", &["org_id", "unit_id", "status"])).await?;
        m.create_index(index("ix_assistance_requests_assignee", "assistance_requests", &["org_id", "assignee_id"])).await?;
        m.create_index(index("ix_assistance_requests_day", "assistance_requests", &["org_id", "requested_on"])).await?;
        m.create_index(index("ix_assistance_requests_client", "assistance_requests", &["org_id", "client_id"])).await?;

        let mut t = Table::create();
        t.table("assistance_photos")
            .col(uuid("org_id"))
            .col(uuid("request_id"))
            .col(string("content_type"))
            .col(blob("bytes"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("request_id"))
            .foreign_key(&mut fk(
                "fk_assistance_photos_request",
                "assistance_photos",
                &["org_id", "request_id"],
                "assistance_requests",
                &["org_id", "id"],
                true,
            ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("donors")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("name"))
            .col(string("kind"))
            .col(string("contact_person"))
            .col(string("phone"))
            .col(string("email"))
            .col(text("address"))
            .col(text("note"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_donors_org", "donors", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("donation_counters").col(uuid("org_id").primary_key()).col(big_integer("next_receipt")).foreign_key(&mut fk(
            "fk_donation_counters_org",
            "donation_counters",
            &["org_id"],
            "orgs",
            &["id"],
            false,
        ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("donations")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("donor_id"))
            .col(uuid("unit_id"))
            .col(string("kind"))
            .col(date("received_on"))
            .col(string("receipt_no"))
            .col(boolean("restricted"))
            .col(text("intended_use"))
            .col(string("currency"))
            .col(big_integer("amount_cents"))
            .col(string_null("method"))
            .col(big_integer("spent_cents"))
            .col(text("note"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_donations_unit", "donations", "unit_id"))
            .foreign_key(&mut fk("fk_donations_donor", "donations", &["org_id", "donor_id"], "donors", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ux_donations_receipt", "donations", &["org_id", "receipt_no"]).unique().to_owned()).await?;
        m.create_index(index("ix_donations_day", "donations", &["org_id", "received_on"])).await?;
        m.create_index(index("ix_donations_donor", "donations", &["org_id", "donor_id"])).await?;

        let mut t = Table::create();
        t.table("donation_items")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("donation_id"))
            .col(integer("position"))
            .col(string("name"))
            .col(string("category"))
            .col(string("uom"))
            .col(big_integer("quantity"))
            .col(big_integer("value_cents"))
            .col(string("basis"))
            .col(date_null("expiry"))
            .col(string("lot"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_donation_items_donation",
                "donation_items",
                &["org_id", "donation_id"],
                "donations",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_donation_items_donation", "donation_items", &["org_id", "donation_id"])).await?;

        // The balance of one item (lot) at one unit: changed only with a ledger line, and only
        // while it stays at or above zero (the CHECK holds the same rule in the schema).
        let mut t = Table::create();
        t.table("donation_stock")
            .col(uuid("org_id"))
            .col(uuid("unit_id"))
            .col(uuid("item_id"))
            .col(big_integer("quantity").check(Expr::col("quantity").gte(0)))
            .primary_key(Index::create().col("org_id").col("unit_id").col("item_id"))
            .foreign_key(&mut unit_fk("fk_donation_stock_unit", "donation_stock", "unit_id"))
            .foreign_key(&mut fk(
                "fk_donation_stock_item",
                "donation_stock",
                &["org_id", "item_id"],
                "donation_items",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("donation_movements")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("kind"))
            .col(uuid("unit_id"))
            .col(uuid("item_id"))
            .col(uuid("donation_id"))
            .col(big_integer("delta"))
            .col(string("source_ref"))
            .col(uuid_null("household_id"))
            .col(integer("persons"))
            .col(boolean("signed"))
            .col(date("day"))
            .col(timestamp_with_time_zone("at"))
            .col(string("by_name"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_donation_movements_unit", "donation_movements", "unit_id"))
            .foreign_key(&mut fk(
                "fk_donation_movements_item",
                "donation_movements",
                &["org_id", "item_id"],
                "donation_items",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_donation_movements_item", "donation_movements", &["org_id", "item_id"])).await?;
        m.create_index(index("ix_donation_movements_donation", "donation_movements", &["org_id", "donation_id"])).await?;
        m.create_index(index("ix_donation_movements_day", "donation_movements", &["org_id", "day"])).await?;
        for stmt in crate::dialect::append_only_ddl(m.get_database_backend(), "donation_movements") {
            m.get_connection().execute_unprepared(&stmt).await?;
        }

        let mut t = Table::create();
        t.table("donation_distributions")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(date("day"))
            .col(string("title"))
            .col(uuid_null("request_id"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_donation_distributions_unit", "donation_distributions", "unit_id"));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("donation_adjustments")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid("item_id"))
            .col(big_integer("delta"))
            .col(text("reason"))
            .col(string("status"))
            .col(uuid_null("proposed_by"))
            .col(string("proposed_by_name"))
            .col(timestamp_with_time_zone("proposed_at"))
            .col(string("decided_by_name"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_donation_adjustments_unit", "donation_adjustments", "unit_id"))
            .foreign_key(&mut fk(
                "fk_donation_adjustments_item",
                "donation_adjustments",
                &["org_id", "item_id"],
                "donation_items",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_donation_adjustments_open", "donation_adjustments", &["org_id", "unit_id", "status"])).await?;

        let mut t = Table::create();
        t.table("donation_spends")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("donation_id"))
            .col(uuid("unit_id"))
            .col(big_integer("amount_cents"))
            .col(text("purpose"))
            .col(date("day"))
            .col(timestamp_with_time_zone("at"))
            .col(string("by_name"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_donation_spends_donation",
                "donation_spends",
                &["org_id", "donation_id"],
                "donations",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_donation_spends_day", "donation_spends", &["org_id", "day"])).await?;
        for stmt in crate::dialect::append_only_ddl(m.get_database_backend(), "donation_spends") {
            m.get_connection().execute_unprepared(&stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "donation_spends",
            "donation_adjustments",
            "donation_distributions",
            "donation_movements",
            "donation_stock",
            "donation_items",
            "donations",
            "donation_counters",
            "donors",
            "assistance_photos",
            "assistance_requests",
            "assistance_settings",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
