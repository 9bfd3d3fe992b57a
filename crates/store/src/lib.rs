//! Storage for shegong: one implementation of the domain's repository traits over SQLite
//! and PostgreSQL, with one migration history. sea-orm types never leave this crate.

/// A sea-orm entity module from its table and columns (every capability's store uses it).
macro_rules! entity {
    ($module:ident, $table:literal, { $($(#[$attr:meta])* $field:ident : $ty:ty),+ $(,)? }) => {
        pub(crate) mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($(#[$attr])* pub $field: $ty),+
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

mod accounts;
pub mod activities;
mod assistance;
mod audit;
mod cases;
mod clients;
mod coverage;
pub mod dialect;
mod donations;
mod hotline;
mod knowledge;
mod lending;
mod migrations;
mod outcomes;
mod outreach;
mod reports;
mod units;
mod volunteers;

use async_trait::async_trait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, SqlErr};
use sea_orm_migration::MigratorTrait;
use shegong_domain::clock::Clock;
use shegong_domain::ports::Storage;
use shegong_domain::{DomainError, FieldError};
use std::sync::Arc;
use std::time::Duration;

pub use dialect::Durability;

/// Errors of opening, migrating and backing up a database (request paths use `DomainError`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Unsupported(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    /// On SQLite, hot write paths (hotline calls) queue here before BEGIN IMMEDIATE: waiting in
    /// order beats SQLite's busy handler, whose growing sleeps make the slowest saves slow.
    writers: Arc<tokio::sync::Mutex<()>>,
}

/// How to open a database.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub url: String,
    pub durability: Durability,
    pub max_connections: u32,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), durability: Durability::Normal, max_connections: 8 }
    }
}

impl Store {
    /// Opens (creating a SQLite file when needed) and migrates the database.
    pub async fn open(opts: &StoreOptions, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let store = Self::connect(opts, clock).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens without migrating.
    pub async fn connect(opts: &StoreOptions, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let mut co = ConnectOptions::new(dialect::normalise_url(&opts.url));
        co.max_connections(opts.max_connections).min_connections(1).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
        dialect::configure(&mut co, opts.durability);
        let db = Database::connect(co).await?;
        Ok(Self { db, clock, writers: Arc::default() })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        Ok(migrations::Migrator::get_pending_migrations(&self.db).await?.iter().map(|m| m.name().to_string()).collect())
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Writes a consistent copy of a running SQLite database to `dest`.
    pub async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        dialect::backup(&self.db, dest).await
    }

    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }

    /// Test support: runs a raw statement (used to simulate tampering and to reset data).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(self.db.execute_unprepared(sql).await?.rows_affected())
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

#[async_trait]
impl Storage for Store {
    fn backend_name(&self) -> &'static str {
        match self.backend() {
            DbBackend::Postgres => "postgres",
            DbBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }

    async fn ping(&self) -> shegong_domain::Result<()> {
        self.db.ping().await.map_err(db_err)
    }
}

/// Maps a database error for request paths; unique violations become field errors.
pub(crate) fn db_err(e: DbErr) -> DomainError {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        return DomainError::Invalid(vec![FieldError::new(unique_field(&msg), "duplicate")]);
    }
    if matches!(e, DbErr::RecordNotFound(_)) {
        return DomainError::NotFound;
    }
    tracing::error!(error = %e, "database error");
    DomainError::Storage(e.to_string())
}

/// Which form field a unique-constraint message is about (index names name their column).
fn unique_field(msg: &str) -> &'static str {
    if msg.contains("username") {
        "username"
    } else if msg.contains("code") {
        "code"
    } else if msg.contains("household_members") || msg.contains("ux_members_client") {
        "members"
    } else if msg.contains("token") {
        "token"
    } else {
        "id"
    }
}
