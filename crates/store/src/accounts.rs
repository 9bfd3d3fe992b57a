//! Accounts, role grants, sessions and API tokens.

use crate::audit::append_in;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{entity::prelude::*, ConnectionTrait, QueryOrder, Set};
use serde_json::json;
use shegong_domain::accounts::{
    Actor, ApiToken, Credentials, Grant, Grants, NewUser, Role, Session, User, UserUpdateInput, LOCKOUT_MINUTES, MAX_FAILED_LOGINS,
};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::ids::{OrgId, TokenId, UnitId, UserId};
use shegong_domain::locale::Locale;
use shegong_domain::ports::{AccountsRepo, FailureOutcome};
use shegong_domain::{DomainError, Result};

pub(crate) mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub username: String,
        pub display_name: String,
        pub password_hash: String,
        pub locale: String,
        pub active: bool,
        pub failed_logins: i32,
        pub sensitive_access: bool,
        pub id_number_access: bool,
        pub locked_until: Option<ChronoDateTimeUtc>,
        pub last_login_at: Option<ChronoDateTimeUtc>,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod grant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub role: String,
        pub unit_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub org_id: Uuid,
        pub user_id: Uuid,
        pub csrf_token: String,
        pub created_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub name: String,
        pub token_hash: String,
        pub created_at: ChronoDateTimeUtc,
        pub last_used_at: Option<ChronoDateTimeUtc>,
        pub revoked_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn to_user(m: user::Model, grants: Vec<grant::Model>) -> User {
    User {
        id: UserId(m.id),
        org_id: OrgId(m.org_id),
        username: m.username,
        display_name: m.display_name,
        locale: m.locale.parse().unwrap_or_default(),
        active: m.active,
        sensitive_access: m.sensitive_access,
        id_number_access: m.id_number_access,
        grants: Grants(
            grants.into_iter().filter_map(|g| Some(Grant { role: g.role.parse::<Role>().ok()?, unit_id: g.unit_id.map(UnitId) })).collect(),
        ),
        version: m.version,
        created_at: m.created_at,
    }
}

async fn grants_of<C: ConnectionTrait>(c: &C, org: OrgId, ids: &[Uuid]) -> Result<Vec<grant::Model>> {
    grant::Entity::find()
        .filter(grant::Column::OrgId.eq(org.0))
        .filter(grant::Column::UserId.is_in(ids.iter().copied()))
        .order_by_asc(grant::Column::Role)
        .all(c)
        .await
        .map_err(db_err)
}

pub(crate) async fn load_user<C: ConnectionTrait>(c: &C, org: OrgId, id: UserId) -> Result<User> {
    let m = user::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
    let g = grants_of(c, org, &[id.0]).await?;
    Ok(to_user(m, g))
}

async fn write_grants<C: ConnectionTrait>(c: &C, org: OrgId, id: UserId, grants: &[Grant]) -> Result<()> {
    grant::Entity::delete_many()
        .filter(grant::Column::OrgId.eq(org.0))
        .filter(grant::Column::UserId.eq(id.0))
        .exec(c)
        .await
        .map_err(db_err)?;
    for g in grants {
        grant::ActiveModel {
            org_id: Set(org.0),
            id: Set(Uuid::now_v7()),
            user_id: Set(id.0),
            role: Set(g.role.as_str().to_string()),
            unit_id: Set(g.unit_id.map(|u| u.0)),
        }
        .insert(c)
        .await
        .map_err(|e| match db_err(e) {
            // A grant on a unit of another agency fails the composite foreign key.
            DomainError::Storage(_) => DomainError::invalid("grants", "unknown-unit"),
            other => other,
        })?;
    }
    Ok(())
}

fn grants_json(grants: &[Grant]) -> serde_json::Value {
    json!(grants.iter().map(|g| json!({"role": g.role.as_str(), "unit_id": g.unit_id})).collect::<Vec<_>>())
}

pub(crate) async fn insert_user<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    org: OrgId,
    new: &NewUser,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<UserId> {
    let id = UserId::new();
    user::ActiveModel {
        org_id: Set(org.0),
        id: Set(id.0),
        username: Set(new.username.clone()),
        display_name: Set(new.display_name.clone()),
        password_hash: Set(hash.to_string()),
        locale: Set(new.locale.tag().to_string()),
        active: Set(true),
        failed_logins: Set(0),
        sensitive_access: Set(false),
        id_number_access: Set(false),
        locked_until: Set(None),
        last_login_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(c)
    .await
    .map_err(db_err)?;
    write_grants(c, org, id, &new.grants).await?;
    append_in(
        c,
        actor,
        AuditEvent::new(Action::Create, "user", id).detail(json!({
            "username": new.username, "display_name": new.display_name, "grants": grants_json(&new.grants),
        })),
        now,
    )
    .await
    .map_err(db_err)?;
    Ok(id)
}

#[async_trait]
impl AccountsRepo for Store {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let Some(m) =
            user::Entity::find().filter(user::Column::Username.eq(username.trim().to_lowercase())).one(&self.db).await.map_err(db_err)?
        else {
            return Ok(None);
        };
        let org = OrgId(m.org_id);
        let g = grants_of(&self.db, org, &[m.id]).await?;
        let (hash, failed, locked) = (m.password_hash.clone(), m.failed_logins, m.locked_until);
        Ok(Some(Credentials { user: to_user(m, g), password_hash: hash, failed_logins: failed, locked_until: locked }))
    }

    async fn get_user(&self, org: OrgId, id: UserId) -> Result<User> {
        load_user(&self.db, org, id).await
    }

    async fn list_users(&self, org: OrgId) -> Result<Vec<User>> {
        let users = user::Entity::find()
            .filter(user::Column::OrgId.eq(org.0))
            .order_by_asc(user::Column::Username)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        let mut grants = grants_of(&self.db, org, &ids).await?;
        Ok(users
            .into_iter()
            .map(|u| {
                let (mine, rest): (Vec<_>, Vec<_>) = grants.drain(..).partition(|g| g.user_id == u.id);
                grants = rest;
                to_user(u, mine)
            })
            .collect())
    }

    async fn create_user(&self, actor: &Actor, new: &NewUser, hash: &str) -> Result<User> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let id = insert_user(&txn, actor, actor.org_id, new, hash, now).await?;
        txn.commit().await.map_err(db_err)?;
        load_user(&self.db, actor.org_id, id).await
    }

    async fn update_user(&self, actor: &Actor, id: UserId, up: &UserUpdateInput) -> Result<User> {
        let now = self.now();
        let org = actor.org_id;
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = user::Entity::update_many()
            .col_expr(user::Column::DisplayName, Expr::value(up.display_name.clone()))
            .col_expr(user::Column::Active, Expr::value(up.active))
            .col_expr(user::Column::SensitiveAccess, Expr::value(up.sensitive_access))
            .col_expr(user::Column::IdNumberAccess, Expr::value(up.id_number_access))
            .col_expr(user::Column::Version, Expr::value(up.version.saturating_add(1)))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::OrgId.eq(org.0))
            .filter(user::Column::Id.eq(id.0))
            .filter(user::Column::Version.eq(up.version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            let exists = user::Entity::find_by_id((org.0, id.0)).one(&txn).await.map_err(db_err)?.is_some();
            return Err(if exists { DomainError::Stale } else { DomainError::NotFound });
        }
        write_grants(&txn, org, id, &up.grants).await?;
        if !up.active {
            // A deactivated account is signed out everywhere at once.
            session::Entity::delete_many()
                .filter(session::Column::OrgId.eq(org.0))
                .filter(session::Column::UserId.eq(id.0))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "user", id).detail(json!({
                "display_name": up.display_name, "active": up.active, "grants": grants_json(&up.grants),
                "sensitive_access": up.sensitive_access, "id_number_access": up.id_number_access,
            })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load_user(&self.db, org, id).await
    }

    async fn set_password(&self, actor: &Actor, id: UserId, hash: &str) -> Result<()> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash.to_string()))
            .col_expr(user::Column::FailedLogins, Expr::value(0))
            .col_expr(user::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::OrgId.eq(actor.org_id.0))
            .filter(user::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        session::Entity::delete_many()
            .filter(session::Column::OrgId.eq(actor.org_id.0))
            .filter(session::Column::UserId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "user", id).detail(json!({"password": "changed"})), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn set_locale(&self, org: OrgId, id: UserId, locale: Locale) -> Result<()> {
        user::Entity::update_many()
            .col_expr(user::Column::Locale, Expr::value(locale.tag()))
            .filter(user::Column::OrgId.eq(org.0))
            .filter(user::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn record_login_failure(&self, u: &User, now: DateTime<Utc>) -> Result<FailureOutcome> {
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = user::Entity::find_by_id((u.org_id.0, u.id.0)).one(&txn).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        let failures = m.failed_logins + 1;
        let actor = Actor::from(u);
        let outcome = if failures >= MAX_FAILED_LOGINS {
            let until = now + Duration::minutes(LOCKOUT_MINUTES);
            user::Entity::update_many()
                .col_expr(user::Column::FailedLogins, Expr::value(0))
                .col_expr(user::Column::LockedUntil, Expr::value(Some(until)))
                .filter(user::Column::OrgId.eq(u.org_id.0))
                .filter(user::Column::Id.eq(u.id.0))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            append_in(&txn, &actor, AuditEvent::new(Action::Lockout, "user", u.id).detail(json!({"until": until})), now)
                .await
                .map_err(db_err)?;
            FailureOutcome::LockedUntil(until)
        } else {
            user::Entity::update_many()
                .col_expr(user::Column::FailedLogins, Expr::value(failures))
                .filter(user::Column::OrgId.eq(u.org_id.0))
                .filter(user::Column::Id.eq(u.id.0))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            append_in(&txn, &actor, AuditEvent::new(Action::SignInFailed, "user", u.id).detail(json!({"failures": failures})), now)
                .await
                .map_err(db_err)?;
            FailureOutcome::StillOpen { failures }
        };
        txn.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    async fn record_login_success(&self, u: &User, now: DateTime<Utc>) -> Result<()> {
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        user::Entity::update_many()
            .col_expr(user::Column::FailedLogins, Expr::value(0))
            .col_expr(user::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(user::Column::LastLoginAt, Expr::value(Some(now)))
            .filter(user::Column::OrgId.eq(u.org_id.0))
            .filter(user::Column::Id.eq(u.id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(&txn, &Actor::from(u), AuditEvent::new(Action::SignIn, "user", u.id), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn create_session(&self, u: &User, token_hash: &str, csrf: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<()> {
        // Expired sessions are swept whenever a new one starts, so the table stays small.
        session::Entity::delete_many().filter(session::Column::ExpiresAt.lt(now)).exec(&self.db).await.map_err(db_err)?;
        session::ActiveModel {
            token_hash: Set(token_hash.to_string()),
            org_id: Set(u.org_id.0),
            user_id: Set(u.id.0),
            csrf_token: Set(csrf.to_string()),
            created_at: Set(now),
            expires_at: Set(expires),
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &str, now: DateTime<Utc>, new_expiry: DateTime<Utc>) -> Result<Option<Session>> {
        let Some(s) = session::Entity::find_by_id(token_hash.to_string()).one(&self.db).await.map_err(db_err)? else {
            return Ok(None);
        };
        if s.expires_at <= now {
            session::Entity::delete_by_id(token_hash.to_string()).exec(&self.db).await.map_err(db_err)?;
            return Ok(None);
        }
        let user = load_user(&self.db, OrgId(s.org_id), UserId(s.user_id)).await?;
        if !user.active {
            return Ok(None);
        }
        // Slide the expiry only when it moved by a minute or more: most requests write nothing.
        let expires_at = if new_expiry - s.expires_at >= Duration::minutes(1) {
            session::Entity::update_many()
                .col_expr(session::Column::ExpiresAt, Expr::value(new_expiry))
                .filter(session::Column::TokenHash.eq(token_hash))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            new_expiry
        } else {
            s.expires_at
        };
        Ok(Some(Session { user, csrf_token: s.csrf_token, expires_at }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        session::Entity::delete_by_id(token_hash.to_string()).exec(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn create_token(&self, actor: &Actor, user_id: UserId, name: &str, token_hash: &str, now: DateTime<Utc>) -> Result<ApiToken> {
        let id = TokenId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        token::ActiveModel {
            org_id: Set(actor.org_id.0),
            id: Set(id.0),
            user_id: Set(user_id.0),
            name: Set(name.to_string()),
            token_hash: Set(token_hash.to_string()),
            created_at: Set(now),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Create, "api_token", id).detail(json!({"name": name, "user_id": user_id})), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(ApiToken { id, name: name.to_string(), created_at: now, last_used_at: None })
    }

    async fn list_tokens(&self, org: OrgId, user_id: UserId) -> Result<Vec<ApiToken>> {
        let rows = token::Entity::find()
            .filter(token::Column::OrgId.eq(org.0))
            .filter(token::Column::UserId.eq(user_id.0))
            .filter(token::Column::RevokedAt.is_null())
            .order_by_desc(token::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|t| ApiToken { id: TokenId(t.id), name: t.name, created_at: t.created_at, last_used_at: t.last_used_at })
            .collect())
    }

    async fn revoke_token(&self, actor: &Actor, user_id: UserId, id: TokenId) -> Result<()> {
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = token::Entity::update_many()
            .col_expr(token::Column::RevokedAt, Expr::value(Some(now)))
            .filter(token::Column::OrgId.eq(actor.org_id.0))
            .filter(token::Column::Id.eq(id.0))
            .filter(token::Column::UserId.eq(user_id.0))
            .filter(token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound);
        }
        append_in(&txn, actor, AuditEvent::new(Action::Delete, "api_token", id), now).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let Some(t) = token::Entity::find()
            .filter(token::Column::TokenHash.eq(token_hash))
            .filter(token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        // Record use at most once a minute per token.
        if t.last_used_at.is_none_or(|l| now - l >= Duration::minutes(1)) {
            token::Entity::update_many()
                .col_expr(token::Column::LastUsedAt, Expr::value(Some(now)))
                .filter(token::Column::OrgId.eq(t.org_id))
                .filter(token::Column::Id.eq(t.id))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
        }
        let user = load_user(&self.db, OrgId(t.org_id), UserId(t.user_id)).await?;
        Ok(user.active.then_some(user))
    }
}
