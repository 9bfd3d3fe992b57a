//! Casework: presenting problems and settings per agency, case files with their problems,
//! assessments, plans, notes, follow-up tasks, referrals and timeline.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_cases"
    }
}

/// A table keyed (org_id, id) whose rows belong to a case (deleted with it).
fn case_child(name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name)
        .col(uuid("org_id"))
        .col(uuid("id"))
        .col(uuid("case_id"))
        .primary_key(Index::create().col("org_id").col("id"))
        .foreign_key(&mut fk(&format!("fk_{name}_case"), name, &["org_id", "case_id"], "cases", &["org_id", "id"], true));
    t
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("case_problems")
            .col(uuid("org_id"))
            .col(string("code"))
            .col(string("name_en"))
            .col(string("name_zh_hant"))
            .col(string("name_zh_hans"))
            .col(boolean("sensitive"))
            .col(boolean("active"))
            .col(integer("sort"))
            .primary_key(Index::create().col("org_id").col("code"))
            .foreign_key(&mut fk("fk_case_problems_org", "case_problems", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("case_settings")
            .col(uuid("org_id").primary_key())
            .col(boolean("plan_approval"))
            .col(boolean("closure_approval"))
            .col(integer("review_days"))
            .col(big_integer("version"))
            .foreign_key(&mut fk("fk_case_settings_org", "case_settings", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        // Case numbers run per agency and year.
        let mut t = Table::create();
        t.table("case_counters")
            .col(uuid("org_id"))
            .col(integer("year"))
            .col(big_integer("last"))
            .primary_key(Index::create().col("org_id").col("year"))
            .foreign_key(&mut fk("fk_case_counters_org", "case_counters", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("cases")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("case_no"))
            .col(uuid("unit_id"))
            .col(uuid_null("client_id"))
            .col(uuid_null("household_id"))
            .col(string("source"))
            .col(string("source_detail"))
            .col(string("case_type"))
            .col(string("risk"))
            .col(uuid("worker_id"))
            .col(string("status"))
            .col(date("opened_on"))
            .col(text("intake_summary"))
            .col(date_null("next_review_on"))
            .col(date_null("closed_on"))
            .col(string_null("closing_reason"))
            .col(text("closing_summary"))
            .col(text("returned_comment"))
            .col(boolean("sensitive"))
            .col(boolean("assessed"))
            .col(boolean("plan_approved"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_cases_unit", "cases", &["org_id", "unit_id"], "units", &["org_id", "id"], false))
            .foreign_key(&mut fk("fk_cases_client", "cases", &["org_id", "client_id"], "clients", &["org_id", "id"], false))
            .foreign_key(&mut fk("fk_cases_household", "cases", &["org_id", "household_id"], "households", &["org_id", "id"], false))
            .foreign_key(&mut fk("fk_cases_worker", "cases", &["org_id", "worker_id"], "users", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ux_cases_case_no", "cases", &["org_id", "case_no"]).unique().to_owned()).await?;
        m.create_index(index("ix_cases_unit_status", "cases", &["org_id", "unit_id", "status"]).to_owned()).await?;
        m.create_index(index("ix_cases_worker_status", "cases", &["org_id", "worker_id", "status"]).to_owned()).await?;
        m.create_index(index("ix_cases_client", "cases", &["org_id", "client_id"]).to_owned()).await?;
        m.create_index(index("ix_cases_household", "cases", &["org_id", "household_id"]).to_owned()).await?;
        m.create_index(index("ix_cases_opened", "cases", &["org_id", "opened_on"]).to_owned()).await?;

        let mut t = Table::create();
        t.table("case_problem_links")
            .col(uuid("org_id"))
            .col(uuid("case_id"))
            .col(string("code"))
            .primary_key(Index::create().col("org_id").col("case_id").col("code"))
            .foreign_key(&mut fk(
                "fk_case_problem_links_case",
                "case_problem_links",
                &["org_id", "case_id"],
                "cases",
                &["org_id", "id"],
                true,
            ))
            .foreign_key(&mut fk(
                "fk_case_problem_links_problem",
                "case_problem_links",
                &["org_id", "code"],
                "case_problems",
                &["org_id", "code"],
                false,
            ));
        m.create_table(t).await?;

        let mut t = case_child("case_assessments");
        t.col(date("assessed_on"))
            .col(text("presenting_situation"))
            .col(text("family_and_support"))
            .col(text("risks"))
            .col(text("strengths"))
            .col(text("needs"))
            .col(text("summary"))
            .col(uuid("author_id"))
            .col(string("author_name"))
            .col(timestamp_with_time_zone("created_at"));
        m.create_table(t).await?;

        let mut t = case_child("case_plans");
        t.col(text("goals"))
            .col(string("status"))
            .col(uuid("author_id"))
            .col(string("author_name"))
            .col(timestamp_with_time_zone_null("submitted_at"))
            .col(string("decided_by"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(text("decision_comment"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(index("ix_case_plans_status", "case_plans", &["org_id", "status"]).to_owned()).await?;

        let mut t = case_child("case_notes");
        t.col(date("occurred_on"))
            .col(string("contact_type"))
            .col(integer("duration_minutes"))
            .col(string("present"))
            .col(text("body"))
            .col(uuid("author_id"))
            .col(string("author_name"))
            .col(uuid_null("corrects"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(index("ix_case_notes_case", "case_notes", &["org_id", "case_id"]).to_owned()).await?;

        let mut t = case_child("case_tasks");
        t.col(text("title"))
            .col(date("due_on"))
            .col(date_null("done_on"))
            .col(string("done_by"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"));
        m.create_table(t).await?;
        m.create_index(index("ix_case_tasks_due", "case_tasks", &["org_id", "done_on", "due_on"]).to_owned()).await?;

        let mut t = case_child("case_referrals");
        t.col(string("direction"))
            .col(string("agency"))
            .col(string("service"))
            .col(text("reason"))
            .col(string("status"))
            .col(date("referred_on"))
            .col(date("status_on"))
            .col(text("note"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"));
        m.create_table(t).await?;

        let mut t = case_child("case_events");
        t.col(string("kind")).col(date("on_date")).col(string("actor_name")).col(text("text")).col(timestamp_with_time_zone("at"));
        m.create_table(t).await?;
        m.create_index(index("ix_case_events_case", "case_events", &["org_id", "case_id"]).to_owned()).await?;

        // Agencies created before this migration get the default list and settings.
        let db = m.get_connection();
        let orgs = db.query_all_raw(Statement::from_string(m.get_database_backend(), "SELECT id FROM orgs")).await?;
        for row in orgs {
            let org: uuid::Uuid = row.try_get("", "id")?;
            crate::cases::insert_defaults(db, org).await?;
        }
        Ok(())
    }
}
