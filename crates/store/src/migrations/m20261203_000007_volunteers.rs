//! Volunteers: the register, courses and training records, pathway stages, duties with their
//! assignments, the hours ledger and the agency's settings (tiers, link key).

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000007_volunteers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("volunteer_settings")
            .col(uuid("org_id").primary_key())
            .col(text("tiers"))
            .col(string("link_key"))
            .col(big_integer("version"))
            .foreign_key(&mut fk("fk_volunteer_settings_org", "volunteer_settings", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("volunteers")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(uuid_null("client_id"))
            .col(uuid_null("user_id"))
            .col(string("name_zh"))
            .col(string("name_en"))
            .col(string("phone"))
            .col(string("email"))
            .col(string_null("id_doc_type"))
            .col(string_null("id_doc_number"))
            .col(string("district"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(string("roles"))
            .col(text("skills"))
            .col(text("languages"))
            .col(string("availability"))
            .col(string("team"))
            .col(string("check_status"))
            .col(date_null("check_expires_on"))
            .col(string("emergency_name"))
            .col(string("emergency_phone"))
            .col(boolean("active"))
            .col(date("joined_on"))
            // Bumped by every assignment: the row lock that serialises one volunteer's sign-ups.
            .col(big_integer("assign_seq"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_volunteers_unit", "volunteers", &["org_id", "unit_id"], "units", &["org_id", "id"], false));
        m.create_table(t).await?;
        m.create_index(index("ix_volunteers_unit", "volunteers", &["org_id", "unit_id"])).await?;
        m.create_index(index("ix_volunteers_user", "volunteers", &["org_id", "user_id"])).await?;
        m.create_index(index("ix_volunteers_client", "volunteers", &["org_id", "client_id"])).await?;

        let mut t = Table::create();
        t.table("volunteer_courses")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(string("title_en"))
            .col(string("title_zh_hant"))
            .col(string("title_zh_hans"))
            .col(integer("minutes"))
            .col(integer_null("valid_months"))
            .col(string("required_for"))
            .col(boolean("active"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_volunteer_courses_org", "volunteer_courses", &["org_id"], "orgs", &["id"], false));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("volunteer_trainings")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("volunteer_id"))
            .col(uuid("course_id"))
            .col(date("completed_on"))
            .col(date_null("expires_on"))
            .col(string("recorded_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_volunteer_trainings_volunteer",
                "volunteer_trainings",
                &["org_id", "volunteer_id"],
                "volunteers",
                &["org_id", "id"],
                false,
            ))
            .foreign_key(&mut fk(
                "fk_volunteer_trainings_course",
                "volunteer_trainings",
                &["org_id", "course_id"],
                "volunteer_courses",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_volunteer_trainings_volunteer", "volunteer_trainings", &["org_id", "volunteer_id"])).await?;

        let mut t = Table::create();
        t.table("volunteer_stages")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("volunteer_id"))
            .col(string("stage"))
            .col(date("started_on"))
            .col(text("note"))
            .col(string("recorded_by"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_volunteer_stages_volunteer",
                "volunteer_stages",
                &["org_id", "volunteer_id"],
                "volunteers",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_volunteer_stages_volunteer", "volunteer_stages", &["org_id", "volunteer_id"])).await?;

        let mut t = Table::create();
        t.table("volunteer_duties")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            // Another capability's code and reference need no change here.
            .col(string("kind"))
            .col(uuid_null("ref_id"))
            .col(string("title"))
            .col(string_null("role"))
            .col(integer("needed"))
            .col(integer("filled"))
            .col(timestamp_with_time_zone("starts_at"))
            .col(timestamp_with_time_zone("ends_at"))
            .col(date("day"))
            .col(string("location"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(uuid_null("client_id"))
            .col(text("courses"))
            .col(text("skills"))
            .col(text("languages"))
            .col(boolean("needs_check"))
            .col(string("status"))
            .col(string("created_by"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_volunteer_duties_unit",
                "volunteer_duties",
                &["org_id", "unit_id"],
                "units",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_volunteer_duties_unit", "volunteer_duties", &["org_id", "unit_id", "starts_at"])).await?;
        m.create_index(index("ix_volunteer_duties_ref", "volunteer_duties", &["org_id", "kind", "ref_id"])).await?;

        let mut t = Table::create();
        t.table("volunteer_assignments")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("duty_id"))
            .col(uuid("volunteer_id"))
            .col(uuid("unit_id"))
            .col(timestamp_with_time_zone("starts_at"))
            .col(timestamp_with_time_zone("ends_at"))
            .col(string("status"))
            .col(string("via"))
            .col(timestamp_with_time_zone_null("check_in_at"))
            .col(timestamp_with_time_zone_null("check_out_at"))
            .col(uuid_null("hours_entry"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_volunteer_assignments_duty",
                "volunteer_assignments",
                &["org_id", "duty_id"],
                "volunteer_duties",
                &["org_id", "id"],
                false,
            ))
            .foreign_key(&mut fk(
                "fk_volunteer_assignments_volunteer",
                "volunteer_assignments",
                &["org_id", "volunteer_id"],
                "volunteers",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(
            index("ux_volunteer_assignments_once", "volunteer_assignments", &["org_id", "duty_id", "volunteer_id"]).unique().to_owned(),
        )
        .await?;
        m.create_index(index("ix_volunteer_assignments_busy", "volunteer_assignments", &["org_id", "volunteer_id", "starts_at"])).await?;

        let mut t = Table::create();
        t.table("volunteer_hours")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("volunteer_id"))
            .col(uuid("unit_id"))
            .col(string("team"))
            .col(string("source"))
            .col(uuid_null("duty_id"))
            .col(uuid_null("assignment_id"))
            .col(date("served_on"))
            .col(integer("minutes"))
            .col(text("content"))
            .col(string("status"))
            .col(string("decided_by"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk(
                "fk_volunteer_hours_volunteer",
                "volunteer_hours",
                &["org_id", "volunteer_id"],
                "volunteers",
                &["org_id", "id"],
                false,
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_volunteer_hours_volunteer", "volunteer_hours", &["org_id", "volunteer_id", "served_on"])).await?;
        m.create_index(index("ix_volunteer_hours_unit", "volunteer_hours", &["org_id", "status", "unit_id", "served_on"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "volunteer_hours",
            "volunteer_assignments",
            "volunteer_duties",
            "volunteer_stages",
            "volunteer_trainings",
            "volunteer_courses",
            "volunteers",
            "volunteer_settings",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
