//! Groups, programmes and activities: persons' compact numbers, guests, domains, activities
//! with staff and sessions, enrolment, attendance, and the count rollups kept with it.

use super::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000004_activities"
    }
}

/// Activity tables never cascade: attendance is the record of what happened.
fn fk(name: &str, from: &'static str, cols: &[&'static str], to: &'static str, to_cols: &[&'static str]) -> ForeignKeyCreateStatement {
    super::fk(name, from, cols, to, to_cols, false)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("activity_counters").col(uuid("org_id").primary_key()).col(big_integer("next_person")).foreign_key(&mut fk(
            "fk_activity_counters_org",
            "activity_counters",
            &["org_id"],
            "orgs",
            &["id"],
        ));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("activity_guests")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("name"))
            .col(string("sex"))
            .col(string_null("age_band"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_guests_unit", "activity_guests", &["org_id", "unit_id"], "units", &["org_id", "id"]));
        m.create_table(t).await?;

        // Every attendee (client or guest) gets a compact number per agency: the unique-person
        // rollups are bitmaps of these numbers.
        let mut t = Table::create();
        t.table("activity_persons")
            .col(uuid("org_id"))
            .col(big_integer("person_no"))
            .col(uuid_null("client_id"))
            .col(uuid_null("guest_id"))
            .primary_key(Index::create().col("org_id").col("person_no"))
            .foreign_key(&mut fk("fk_persons_org", "activity_persons", &["org_id"], "orgs", &["id"]));
        m.create_table(t).await?;
        m.create_index(index("ux_persons_client", "activity_persons", &["org_id", "client_id"]).unique().to_owned()).await?;
        m.create_index(index("ux_persons_guest", "activity_persons", &["org_id", "guest_id"]).unique().to_owned()).await?;

        let mut t = Table::create();
        t.table("activity_domains")
            .col(uuid("org_id"))
            .col(string("code"))
            .col(string("name_en"))
            .col(string("name_zh_hant"))
            .col(string("name_zh_hans"))
            .col(boolean("core"))
            .col(boolean("active"))
            .col(integer("sort"))
            .primary_key(Index::create().col("org_id").col("code"))
            .foreign_key(&mut fk("fk_domains_org", "activity_domains", &["org_id"], "orgs", &["id"]));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("activities")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("unit_id"))
            .col(string("kind"))
            .col(string("title_en"))
            .col(string("title_zh_hant"))
            .col(string("title_zh_hans"))
            .col(string("domain"))
            .col(string("categories"))
            .col(string("category"))
            .col(text("objectives"))
            .col(integer_null("capacity"))
            .col(string("audience"))
            .col(integer("volunteers_needed"))
            .col(text("partners"))
            .col(string("funding"))
            .col(string("status"))
            .col(string_null("stage"))
            .col(string_null("eval_met"))
            .col(text_null("eval_summary"))
            .col(date_null("eval_on"))
            .col(string_null("eval_by"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_activities_unit", "activities", &["org_id", "unit_id"], "units", &["org_id", "id"]));
        m.create_table(t).await?;
        m.create_index(index("ix_activities_unit", "activities", &["org_id", "unit_id", "created_at"])).await?;

        let mut t = Table::create();
        t.table("activity_staff")
            .col(uuid("org_id"))
            .col(uuid("activity_id"))
            .col(uuid("user_id"))
            .primary_key(Index::create().col("org_id").col("activity_id").col("user_id"))
            .foreign_key(&mut fk("fk_staff_activity", "activity_staff", &["org_id", "activity_id"], "activities", &["org_id", "id"]));
        m.create_table(t).await?;
        m.create_index(index("ix_activity_staff_user", "activity_staff", &["org_id", "user_id"])).await?;

        let mut t = Table::create();
        t.table("activity_sessions")
            .col(uuid("org_id"))
            .col(uuid("id"))
            .col(uuid("activity_id"))
            .col(uuid("unit_id"))
            .col(integer("number"))
            .col(date("day"))
            .col(integer("month"))
            .col(string("starts_at"))
            .col(string("ends_at"))
            .col(string("venue"))
            .col(text("log"))
            .col(big_integer("attendance"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .primary_key(Index::create().col("org_id").col("id"))
            .foreign_key(&mut fk("fk_sessions_activity", "activity_sessions", &["org_id", "activity_id"], "activities", &["org_id", "id"]));
        m.create_table(t).await?;
        m.create_index(index("ix_sessions_activity", "activity_sessions", &["org_id", "activity_id", "day"])).await?;
        m.create_index(index("ix_sessions_unit_day", "activity_sessions", &["org_id", "unit_id", "day"])).await?;
        // Agency-wide counts read held sessions by day across every unit: a covering index, so
        // the table itself is not touched.
        m.create_index(index("ix_sessions_day", "activity_sessions", &["org_id", "day", "attendance", "activity_id", "month"])).await?;

        let mut t = Table::create();
        t.table("activity_enrolments")
            .col(uuid("org_id"))
            .col(uuid("activity_id"))
            .col(big_integer("person_no"))
            .col(string("status"))
            .col(big_integer("position"))
            .col(timestamp_with_time_zone("enrolled_at"))
            .primary_key(Index::create().col("org_id").col("activity_id").col("person_no"))
            .foreign_key(&mut fk(
                "fk_enrolments_activity",
                "activity_enrolments",
                &["org_id", "activity_id"],
                "activities",
                &["org_id", "id"],
            ))
            .foreign_key(&mut fk(
                "fk_enrolments_person",
                "activity_enrolments",
                &["org_id", "person_no"],
                "activity_persons",
                &["org_id", "person_no"],
            ));
        m.create_table(t).await?;
        m.create_index(index("ix_enrolments_person", "activity_enrolments", &["org_id", "person_no"])).await?;

        // One row per person present at a session. The counting keys are copied from the
        // activity so that rollups can be rebuilt, and checked, from these rows alone.
        let mut t = Table::create();
        t.table("activity_attendance")
            .col(uuid("org_id"))
            .col(uuid("session_id"))
            .col(big_integer("person_no"))
            .col(uuid("activity_id"))
            .col(uuid("unit_id"))
            .col(date("day"))
            .col(integer("month"))
            .col(string("domain"))
            .col(string("category"))
            .col(string("kind"))
            .col(uuid_null("marked_by"))
            .col(timestamp_with_time_zone("marked_at"))
            .primary_key(Index::create().col("org_id").col("session_id").col("person_no"))
            .foreign_key(&mut fk(
                "fk_attendance_session",
                "activity_attendance",
                &["org_id", "session_id"],
                "activity_sessions",
                &["org_id", "id"],
            ))
            .foreign_key(&mut fk(
                "fk_attendance_person",
                "activity_attendance",
                &["org_id", "person_no"],
                "activity_persons",
                &["org_id", "person_no"],
            ));
        m.create_table(t).await?;
        m.create_index(index(
            "ix_attendance_bucket",
            "activity_attendance",
            &["org_id", "unit_id", "month", "domain", "category", "person_no"],
        ))
        .await?;
        m.create_index(index("ix_attendance_day", "activity_attendance", &["org_id", "unit_id", "day"])).await?;
        // The edge days of an agency-wide period are read from the rows, across every unit.
        m.create_index(index("ix_attendance_org_day", "activity_attendance", &["org_id", "day"])).await?;
        m.create_index(index("ix_attendance_person", "activity_attendance", &["org_id", "person_no"])).await?;

        let mut t = Table::create();
        t.table("activity_totals")
            .col(uuid("org_id"))
            .col(uuid("unit_id"))
            .col(date("day"))
            .col(string("domain"))
            .col(string("category"))
            .col(string("kind"))
            .col(big_integer("sessions_held"))
            .col(big_integer("person_times"))
            .primary_key(Index::create().col("org_id").col("unit_id").col("day").col("domain").col("category").col("kind"));
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table("activity_uniques")
            .col(uuid("org_id"))
            .col(uuid("unit_id"))
            .col(integer("month"))
            .col(string("domain"))
            .col(string("category"))
            .col(blob("persons"))
            .primary_key(Index::create().col("org_id").col("unit_id").col("month").col("domain").col("category"));
        m.create_table(t).await?;
        Ok(())
    }
}
