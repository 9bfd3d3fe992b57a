//! Agencies, service units, accounts, sessions, API tokens and the audit log.
//! Every table holding agency data leads its key with `org_id`.

use super::fk;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_foundation"
    }
}

fn org_pk(t: &mut TableCreateStatement, second: &'static str) {
    t.primary_key(Index::create().col("org_id").col(second));
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("orgs")
                .col(uuid("id").primary_key())
                .col(string("name_en"))
                .col(string("name_zh_hant"))
                .col(string("name_zh_hans"))
                .col(string("time_zone"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        let mut t = Table::create();
        t.table("units")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("code"))
            .col(string("name_en"))
            .col(string("name_zh_hant"))
            .col(string("name_zh_hans"))
            .col(string("unit_type"))
            .col(string("district"))
            .col(text("address"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(text("opening_hours"))
            .col(boolean("active"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("fk_units_org", "units", &["org_id"], "orgs", &["id"], false));
        org_pk(&mut t, "id");
        m.create_table(t).await?;
        m.create_index(Index::create().name("ux_units_org_code").table("units").col("org_id").col("code").unique().to_owned()).await?;

        let mut t = Table::create();
        t.table("users")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("username"))
            .col(string("display_name"))
            .col(string("password_hash"))
            .col(string("locale"))
            .col(boolean("active"))
            .col(integer("failed_logins"))
            .col(timestamp_with_time_zone_null("locked_until"))
            .col(timestamp_with_time_zone_null("last_login_at"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("fk_users_org", "users", &["org_id"], "orgs", &["id"], false));
        org_pk(&mut t, "id");
        m.create_table(t).await?;
        // Sign-in asks by username alone, so usernames are unique across the deployment.
        m.create_index(Index::create().name("ux_users_username").table("users").col("username").unique().to_owned()).await?;

        let mut t = Table::create();
        t.table("role_grants")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("user_id"))
            .col(string("role"))
            .col(uuid_null("unit_id"))
            .foreign_key(&mut fk("fk_grants_user", "role_grants", &["org_id", "user_id"], "users", &["org_id", "id"], true))
            .foreign_key(&mut fk("fk_grants_unit", "role_grants", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        org_pk(&mut t, "id");
        m.create_table(t).await?;
        m.create_index(Index::create().name("ix_grants_user").table("role_grants").col("org_id").col("user_id").to_owned()).await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(string("token_hash").primary_key())
                .col(uuid("org_id"))
                .col(uuid("user_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("fk_sessions_user", "sessions", &["org_id", "user_id"], "users", &["org_id", "id"], true))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_sessions_user").table("sessions").col("org_id").col("user_id").to_owned()).await?;

        let mut t = Table::create();
        t.table("api_tokens")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("user_id"))
            .col(string("name"))
            .col(string("token_hash"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("last_used_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("fk_tokens_user", "api_tokens", &["org_id", "user_id"], "users", &["org_id", "id"], true));
        org_pk(&mut t, "id");
        m.create_table(t).await?;
        m.create_index(Index::create().name("ux_api_tokens_token_hash").table("api_tokens").col("token_hash").unique().to_owned()).await?;

        let mut t = Table::create();
        t.table("audit_log")
            .col(uuid("org_id"))
            .col(big_integer("seq"))
            .col(timestamp_with_time_zone("at"))
            .col(uuid_null("actor_user_id"))
            .col(string("actor_name"))
            .col(string("action"))
            .col(string("entity_type"))
            .col(string("entity_id"))
            .col(text("detail"))
            .col(string("prev_hash"))
            .col(string("hash"))
            .foreign_key(&mut fk("fk_audit_org", "audit_log", &["org_id"], "orgs", &["id"], false));
        org_pk(&mut t, "seq");
        m.create_table(t).await?;
        m.create_index(
            Index::create().name("ix_audit_entity").table("audit_log").col("org_id").col("entity_type").col("entity_id").to_owned(),
        )
        .await?;

        // The head of each agency's chain; updating it first serialises concurrent appends.
        m.create_table(
            Table::create()
                .table("audit_head")
                .col(uuid("org_id").primary_key())
                .col(big_integer("seq"))
                .col(string("hash"))
                .foreign_key(&mut fk("fk_audit_head_org", "audit_head", &["org_id"], "orgs", &["id"], false))
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        for stmt in crate::dialect::audit_append_only_ddl(m.get_database_backend()) {
            db.execute_unprepared(stmt).await?;
        }
        Ok(())
    }
}
