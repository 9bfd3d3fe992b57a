//! Ports: what the application needs from storage. `store` implements them for SQLite and
//! PostgreSQL; handlers see only these traits and the domain types.
//!
//! Every mutation takes the [`Actor`] and writes its audit entry in the same transaction.

use crate::accounts::{Actor, ApiToken, Credentials, NewUser, Session, User, UserUpdateInput};
use crate::audit::{AuditEntry, AuditEvent, VerifyReport};
use crate::error::Result;
use crate::ids::{OrgId, TokenId, UnitId, UserId};
use crate::locale::Locale;
use crate::units::{Agency, ServiceUnit, UnitFields};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait UnitsRepo: Send + Sync {
    /// Creates an agency with its first admin account (password already hashed).
    async fn create_agency(&self, agency: &Agency, admin: &NewUser, admin_hash: &str) -> Result<User>;
    async fn agency(&self, org: OrgId) -> Result<Agency>;
    async fn list_agencies(&self) -> Result<Vec<Agency>>;
    async fn list_units(&self, org: OrgId) -> Result<Vec<ServiceUnit>>;
    async fn get_unit(&self, org: OrgId, id: UnitId) -> Result<ServiceUnit>;
    async fn create_unit(&self, actor: &Actor, fields: &UnitFields) -> Result<ServiceUnit>;
    /// Refused with [`crate::DomainError::Stale`] when `version` is not the stored one.
    async fn update_unit(&self, actor: &Actor, id: UnitId, version: i64, fields: &UnitFields) -> Result<ServiceUnit>;
}

/// Result of a failed password check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    StillOpen { failures: i32 },
    LockedUntil(DateTime<Utc>),
}

#[async_trait]
pub trait AccountsRepo: Send + Sync {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>>;
    async fn get_user(&self, org: OrgId, id: UserId) -> Result<User>;
    async fn list_users(&self, org: OrgId) -> Result<Vec<User>>;
    async fn create_user(&self, actor: &Actor, new: &NewUser, password_hash: &str) -> Result<User>;
    async fn update_user(&self, actor: &Actor, id: UserId, update: &UserUpdateInput) -> Result<User>;
    /// Sets a new password hash, clears any lock-out and ends the user's other sessions.
    async fn set_password(&self, actor: &Actor, id: UserId, password_hash: &str) -> Result<()>;
    async fn set_locale(&self, org: OrgId, id: UserId, locale: Locale) -> Result<()>;
    async fn record_login_failure(&self, user: &User, now: DateTime<Utc>) -> Result<FailureOutcome>;
    async fn record_login_success(&self, user: &User, now: DateTime<Utc>) -> Result<()>;

    async fn create_session(&self, user: &User, token_hash: &str, csrf: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<()>;
    /// The live session for a token hash; slides its expiry forward to `new_expiry`.
    async fn find_session(&self, token_hash: &str, now: DateTime<Utc>, new_expiry: DateTime<Utc>) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_token(&self, actor: &Actor, user: UserId, name: &str, token_hash: &str, now: DateTime<Utc>) -> Result<ApiToken>;
    async fn list_tokens(&self, org: OrgId, user: UserId) -> Result<Vec<ApiToken>>;
    async fn revoke_token(&self, actor: &Actor, user: UserId, id: TokenId) -> Result<()>;
    async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    /// Appends an entry outside any other change (sign-in, views, exports).
    async fn append(&self, actor: &Actor, event: AuditEvent) -> Result<()>;
    /// Newest first.
    async fn list_audit(&self, org: OrgId, before_seq: Option<i64>, limit: u64) -> Result<Vec<AuditEntry>>;
    async fn verify_audit(&self, org: OrgId) -> Result<VerifyReport>;
}

/// Everything the application stores.
#[async_trait]
pub trait Storage: UnitsRepo + AccountsRepo + AuditRepo {
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
}
