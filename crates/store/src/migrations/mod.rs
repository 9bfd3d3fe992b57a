//! The one migration history, embedded in the binary and applied at start-up.

use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_clients;
mod m20261123_000003_cases;
mod m20261123_000004_activities;
mod m20261123_000005_hotline;
mod m20261203_000007_volunteers;
mod m20261203_000008_lending;
mod m20261207_000009_assistance;
mod m20261207_000010_reports;
mod m20261207_000011_coverage;
mod m20261208_000012_outreach;
mod m20261208_000013_outcomes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_clients::Migration),
            Box::new(m20261123_000003_cases::Migration),
            Box::new(m20261123_000004_activities::Migration),
            Box::new(m20261123_000005_hotline::Migration),
            Box::new(m20261203_000007_volunteers::Migration),
            Box::new(m20261203_000008_lending::Migration),
            Box::new(m20261207_000009_assistance::Migration),
            Box::new(m20261207_000010_reports::Migration),
            Box::new(m20261207_000011_coverage::Migration),
            Box::new(m20261208_000012_outreach::Migration),
            Box::new(m20261208_000013_outcomes::Migration),
        ]
    }
}

/// A foreign key from `from(cols)` to `to(to_cols)`.
pub(crate) fn fk(
    name: &str,
    from: &'static str,
    cols: &[&'static str],
    to: &'static str,
    to_cols: &[&'static str],
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create();
    f.name(name).from_tbl(from).to_tbl(to);
    for c in cols {
        f.from_col(*c);
    }
    for c in to_cols {
        f.to_col(*c);
    }
    if cascade {
        f.on_delete(ForeignKeyAction::Cascade);
    }
    f
}

pub(crate) fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i
}
