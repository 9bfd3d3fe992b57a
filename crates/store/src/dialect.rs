//! Everything that differs between SQLite and PostgreSQL lives here, and only here.

use crate::StoreError;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::path::Path;

/// SQLite's `synchronous` setting. `Normal` (the default) with WAL never corrupts the file,
/// but a power cut can lose the last transactions committed before it; `Full` syncs on every
/// commit and loses nothing, at the cost of slower writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    #[default]
    Normal,
    Full,
}

/// Accepts a bare file path as a SQLite URL and creates the file when missing.
pub fn normalise_url(url: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:") {
        let mut u = url.to_string();
        if u.starts_with("sqlite:") && !u.contains("mode=") && !u.contains(":memory:") {
            u.push_str(if u.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
        u
    } else {
        format!("sqlite://{url}?mode=rwc")
    }
}

pub(crate) fn configure(co: &mut ConnectOptions, durability: Durability) {
    co.map_sqlx_sqlite_opts(move |o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10))
            // A 64 MiB page cache and memory-mapped reads: long scans (search rebuild, exports)
            // read pages from memory instead of one system call per page.
            .pragma("cache_size", "-65536")
            .pragma("mmap_size", "268435456")
            .synchronous(match durability {
                Durability::Normal => sea_orm::sqlx::sqlite::SqliteSynchronous::Normal,
                Durability::Full => sea_orm::sqlx::sqlite::SqliteSynchronous::Full,
            })
    });
}

/// Starts a transaction that will write. On SQLite it takes the write lock at BEGIN, so two
/// writers queue on the busy timeout instead of failing when one upgrades from a read.
pub(crate) async fn write_txn(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() })
        .await
}

/// Triggers that refuse UPDATE and DELETE on the audit log.
pub(crate) fn audit_append_only_ddl(backend: DbBackend) -> Vec<&'static str> {
    match backend {
        DbBackend::Postgres => vec![
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        ],
        _ => vec![
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        ],
    }
}

/// Triggers that refuse UPDATE and DELETE on an append-only ledger table.
pub(crate) fn append_only_ddl(backend: DbBackend, table: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            format!(
                "CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
            ),
        ],
        _ => vec![
            format!("CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"),
            format!("CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"),
        ],
    }
}

/// Online backup. SQLite: `VACUUM INTO` writes a consistent, compacted copy while the server
/// keeps running. PostgreSQL: use `pg_dump` (see docs/OPERATIONS.md).
pub(crate) async fn backup(db: &DatabaseConnection, dest: &Path) -> Result<(), StoreError> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            if dest.exists() {
                return Err(StoreError::Unsupported(format!("{} already exists; choose a new file", dest.display())));
            }
            let path = dest.to_string_lossy().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{path}'")).await?;
            Ok(())
        }
        _ => Err(StoreError::Unsupported(
            "backup of PostgreSQL is done with pg_dump: pg_dump --format=custom --file=shegong.dump \"$DATABASE_URL\" (see docs/OPERATIONS.md)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_paths_become_sqlite_urls() {
        assert_eq!(normalise_url("shegong.db"), "sqlite://shegong.db?mode=rwc");
        assert_eq!(normalise_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(normalise_url("postgres://localhost/x"), "postgres://localhost/x");
        assert_eq!(normalise_url("sqlite://a.db?cache=shared"), "sqlite://a.db?cache=shared&mode=rwc");
    }
}
