//! Outreach: the languages interpreters declare, outreach sessions with the people contacted,
//! interpretation and translation requests, medical escorts and home visits; and the staff
//! present at activity sessions (staff training such as cultural-competence workshops).

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000012_outreach"
    }
}

fn unit_fk(name: &str, table: &'static str) -> ForeignKeyCreateStatement {
    fk(name, table, &["org_id", "unit_id"], "units", &["org_id", "id"], false)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("outreach_interpreters")
            .col(uuid("org_id"))
            .col(uuid("user_id"))
            .col(text("languages"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("user_id"))
            .foreign_key(&mut fk(
                "fk_outreach_interpreters_user",
                "outreach_interpreters",
                &["org_id", "user_id"],
                "users",
                &["org_id", "id"],
                true,
            ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("outreach_sessions")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(date("held_on"))
            .col(string("district"))
            .col(string("area"))
            .col(text("staff"))
            .col(text("ambassadors"))
            .col(text("volunteers"))
            .col(text("needs_found"))
            .col(text("note"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_outreach_sessions_unit", "outreach_sessions"));
        m.create_table(t).await?;
        m.create_index(index("ix_outreach_sessions_day", "outreach_sessions", &["org_id", "held_on"])).await?;

        let mut t = Table::create();
        t.table("outreach_contacts")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("session_id"))
            .col(uuid("unit_id"))
            .col(date("held_on"))
            .col(uuid_null("client_id"))
            .col(string("category"))
            .col(string("language"))
            .col(integer("count"))
            .col(string("follow_up"))
            .col(string("follow_up_ref"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_outreach_contacts_session",
                "outreach_contacts",
                &["org_id", "session_id"],
                "outreach_sessions",
                &["org_id", "id"],
                true,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_outreach_contacts_session", "outreach_contacts", &["org_id", "session_id"])).await?;
        m.create_index(index("ix_outreach_contacts_day", "outreach_contacts", &["org_id", "held_on"])).await?;
        m.create_index(index("ix_outreach_contacts_client", "outreach_contacts", &["org_id", "client_id"])).await?;

        let mut t = Table::create();
        t.table("outreach_interpretations")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid_null("client_id"))
            .col(uuid_null("case_id"))
            .col(uuid_null("escort_id"))
            .col(string("appointment"))
            .col(string("language"))
            .col(string("into_language"))
            .col(string("mode"))
            .col(date("needed_on"))
            .col(text("detail"))
            .col(integer("pages"))
            .col(string("status"))
            .col(uuid_null("assignee_id"))
            .col(date("requested_on"))
            .col(timestamp_with_time_zone("requested_at"))
            .col(timestamp_with_time_zone_null("assigned_at"))
            .col(timestamp_with_time_zone_null("completed_at"))
            .col(date_null("completed_on"))
            .col(timestamp_with_time_zone_null("cancelled_at"))
            .col(integer("minutes"))
            .col(text("note"))
            .col(string("created_by"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_outreach_interpretations_unit", "outreach_interpretations"));
        m.create_table(t).await?;
        m.create_index(index("ix_outreach_interpretations_unit", "outreach_interpretations", &["org_id", "unit_id", "status"])).await?;
        m.create_index(index("ix_outreach_interpretations_assignee", "outreach_interpretations", &["org_id", "assignee_id"])).await?;
        m.create_index(index("ix_outreach_interpretations_done", "outreach_interpretations", &["org_id", "completed_on"])).await?;
        m.create_index(index("ix_outreach_interpretations_client", "outreach_interpretations", &["org_id", "client_id"])).await?;

        let mut t = Table::create();
        t.table("outreach_escorts")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid("client_id"))
            .col(date("appointment_on"))
            .col(string("appointment_time"))
            .col(string("place"))
            .col(string("department"))
            .col(uuid_null("escort_user_id"))
            .col(string("escort_name"))
            .col(string("transport"))
            .col(string("language"))
            .col(text("note"))
            .col(string("status"))
            .col(text("outcome"))
            .col(date_null("next_appointment_on"))
            .col(timestamp_with_time_zone_null("done_at"))
            .col(string("created_by"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_outreach_escorts_unit", "outreach_escorts"));
        m.create_table(t).await?;
        m.create_index(index("ix_outreach_escorts_day", "outreach_escorts", &["org_id", "appointment_on"])).await?;
        m.create_index(index("ix_outreach_escorts_client", "outreach_escorts", &["org_id", "client_id"])).await?;

        let mut t = Table::create();
        t.table("outreach_visits")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid("client_id"))
            .col(date("planned_on"))
            .col(text("purpose"))
            .col(string("source_ref"))
            .col(string("status"))
            .col(date_null("done_on"))
            .col(text("outcome"))
            .col(string("created_by"))
            .col(big_integer("version"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut unit_fk("fk_outreach_visits_unit", "outreach_visits"));
        m.create_table(t).await?;
        m.create_index(index("ix_outreach_visits_day", "outreach_visits", &["org_id", "planned_on"])).await?;
        m.create_index(index("ix_outreach_visits_client", "outreach_visits", &["org_id", "client_id"])).await?;

        // Staff present at an activity's session (cultural-competence workshops and other staff
        // training): accounts, kept apart from the participants' attendance and its counts.
        let mut t = Table::create();
        t.table("activity_staff_attendance")
            .col(uuid("org_id"))
            .col(uuid("session_id"))
            .col(uuid("user_id"))
            .col(string("marked_by"))
            .col(timestamp_with_time_zone("marked_at"))
            .primary_key(Index::create().col("org_id").col("session_id").col("user_id"))
            .foreign_key(&mut fk(
                "fk_staff_attendance_session",
                "activity_staff_attendance",
                &["org_id", "session_id"],
                "activity_sessions",
                &["org_id", "id"],
                true,
            ))
            .foreign_key(&mut fk(
                "fk_staff_attendance_user",
                "activity_staff_attendance",
                &["org_id", "user_id"],
                "users",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "activity_staff_attendance",
            "outreach_visits",
            "outreach_escorts",
            "outreach_interpretations",
            "outreach_contacts",
            "outreach_sessions",
            "outreach_interpreters",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
