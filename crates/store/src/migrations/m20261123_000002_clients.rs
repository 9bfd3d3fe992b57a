//! The person registry: clients, their phones and categories, consents, households, merges;
//! and the two data grants on accounts.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_clients"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["sensitive_access", "id_number_access"] {
            m.alter_table(Table::alter().table("users").add_column(boolean(col).default(false)).to_owned()).await?;
        }

        let mut t = Table::create();
        t.table("client_categories")
            .col(uuid("org_id"))
            .col(string("code"))
            .col(string("name_en"))
            .col(string("name_zh_hant"))
            .col(string("name_zh_hans"))
            .col(boolean("sensitive"))
            .col(boolean("active"))
            .col(integer("sort"))
            .primary_key(Index::create().col("org_id").col("code"))
            .foreign_key(&mut fk("fk_categories_org", "client_categories", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("clients")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("name_zh"))
            .col(string("name_en"))
            .col(string("name_fold"))
            .col(string("sex"))
            .col(date_null("date_of_birth"))
            .col(string_null("age_band"))
            .col(string("phones"))
            .col(string_null("id_doc_type"))
            .col(string_null("id_doc_number"))
            .col(string_null("id_key"))
            .col(string_null("id_last4"))
            .col(string("district"))
            .col(string("street"))
            .col(string("community"))
            .col(text("address"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(string("preferred_language"))
            .col(string("ethnicity"))
            .col(string("status"))
            .col(date_null("closed_on"))
            .col(uuid_null("merged_into"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_clients_unit", "clients", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_clients_id_key", "clients", &["org_id", "id_key"])).await?;
        m.create_index(index("ix_clients_birth", "clients", &["org_id", "date_of_birth"])).await?;
        m.create_index(index("ix_clients_unit_status", "clients", &["org_id", "unit_id", "status"])).await?;
        m.create_index(index("ix_clients_name_fold", "clients", &["org_id", "name_fold"])).await?;

        let mut t = Table::create();
        t.table("client_phones")
            .col(uuid("org_id"))
            .col(uuid("client_id"))
            .col(string("phone"))
            .primary_key(Index::create().col("org_id").col("client_id").col("phone"))
            .foreign_key(&mut fk("fk_phones_client", "client_phones", &["org_id", "client_id"], "clients", &["org_id", "id"], true));
        m.create_table(t).await?;
        m.create_index(index("ix_client_phones_phone", "client_phones", &["org_id", "phone"])).await?;

        let mut t = Table::create();
        t.table("client_tags")
            .col(uuid("org_id"))
            .col(uuid("client_id"))
            .col(string("code"))
            .primary_key(Index::create().col("org_id").col("client_id").col("code"))
            .foreign_key(&mut fk("fk_tags_client", "client_tags", &["org_id", "client_id"], "clients", &["org_id", "id"], true));
        m.create_table(t).await?;
        m.create_index(index("ix_client_tags_code", "client_tags", &["org_id", "code"])).await?;

        let mut t = Table::create();
        t.table("client_consents")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("client_id"))
            .col(string("purpose"))
            .col(string("notice_version"))
            .col(date("given_on"))
            .col(string("given_by"))
            .col(string("guardian_name"))
            .col(uuid_null("recorded_by"))
            .col(string("recorded_by_name"))
            .col(date_null("withdrawn_on"))
            .col(string("withdrawn_by_name"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_consents_client", "client_consents", &["org_id", "client_id"], "clients", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_consents_client", "client_consents", &["org_id", "client_id"])).await?;

        let mut t = Table::create();
        t.table("households")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("name"))
            .col(text("address"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_households_unit", "households", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("household_members")
            .col(uuid("org_id"))
            .col(uuid("household_id"))
            .col(uuid("client_id"))
            .col(string("relationship"))
            .primary_key(Index::create().col("org_id").col("household_id").col("client_id"))
            .foreign_key(&mut fk(
                "fk_members_household",
                "household_members",
                &["org_id", "household_id"],
                "households",
                &["org_id", "id"],
                true,
            ))
            .foreign_key(&mut fk("fk_members_client", "household_members", &["org_id", "client_id"], "clients", &["org_id", "id"], false));
        m.create_table(t).await?;
        // A person lives in one household at a time.
        m.create_index(index("ux_members_client", "household_members", &["org_id", "client_id"]).unique().to_owned()).await?;

        let mut t = Table::create();
        t.table("client_merges")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("survivor_id"))
            .col(uuid("merged_id"))
            .col(string("merged_by"))
            .col(timestamp_with_time_zone("at"))
            .col(text("snapshot"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_merges_org", "client_merges", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        // Agencies created before this migration get the default category list.
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let orgs = db.query_all_raw(Statement::from_string(backend, "SELECT id FROM orgs")).await?;
        for row in orgs {
            let org: uuid::Uuid = row.try_get("", "id")?;
            crate::clients::insert_default_categories(db, org).await?;
        }
        Ok(())
    }
}
