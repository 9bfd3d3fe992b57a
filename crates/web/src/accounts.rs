//! Accounts service: password hashing, sign-in with lock-out and rate limits, sessions.
//! Used by both the HTML pages and the JSON API.

use crate::ctx::{hash_token, random_token};
use crate::error::{AppError, AppResult};
use crate::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use shegong_domain::accounts::{Actor, NewUser, User};
use shegong_domain::ports::FailureOutcome;
use shegong_domain::DomainError;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Hashes with argon2id (the crate's default parameters: 19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A real hash of a random password, checked when the username is unknown, so that
/// unknown and known usernames take the same time to refuse.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(random_token().as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Per-address limit on sign-in attempts, on top of the per-account lock-out: it slows
/// someone trying many usernames from one place.
#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub const MAX_PER_WINDOW: usize = 30;
    pub const WINDOW: Duration = Duration::from_secs(300);

    /// Records an attempt; false when the address is over its limit.
    pub fn allow(&self, ip: &str) -> bool {
        let Ok(mut map) = self.attempts.lock() else {
            return true;
        };
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < Self::WINDOW));
        }
        let v = map.entry(ip.to_string()).or_default();
        v.retain(|t| now.duration_since(*t) < Self::WINDOW);
        if v.len() >= Self::MAX_PER_WINDOW {
            return false;
        }
        v.push(now);
        true
    }
}

/// A new session: the cookie value (secret) and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks the password and opens a session. Every refusal takes about the same time.
pub async fn sign_in(state: &AppState, username: &str, password: &str, ip: &str) -> AppResult<(User, NewSession)> {
    if !state.limiter.allow(ip) {
        return Err(AppError::RateLimited);
    }
    let now = state.clock.now();
    let creds = state.store.credentials(username).await?;
    let Some(creds) = creds else {
        verify_password(password.to_string(), dummy_hash().to_string()).await?;
        return Err(DomainError::BadCredentials.into());
    };
    if let Some(until) = creds.locked_until.filter(|u| *u > now) {
        verify_password(password.to_string(), dummy_hash().to_string()).await?;
        return Err(DomainError::Locked(until).into());
    }
    if !verify_password(password.to_string(), creds.password_hash.clone()).await? {
        return match state.store.record_login_failure(&creds.user, now).await? {
            FailureOutcome::LockedUntil(t) => Err(DomainError::Locked(t).into()),
            FailureOutcome::StillOpen { .. } => Err(DomainError::BadCredentials.into()),
        };
    }
    if !creds.user.active {
        return Err(DomainError::Deactivated.into());
    }
    state.store.record_login_success(&creds.user, now).await?;
    // A fresh token at every sign-in: a session id planted before sign-in is never reused.
    let token = random_token();
    let expires_at = now + state.config.session_ttl;
    state.store.create_session(&creds.user, &hash_token(&token), &random_token(), now, expires_at).await?;
    Ok((creds.user, NewSession { token, expires_at }))
}

pub async fn sign_out(state: &AppState, user: &User, session_hash: &str) -> AppResult<()> {
    state.store.delete_session(session_hash).await?;
    state
        .store
        .append(&Actor::from(user), shegong_domain::audit::AuditEvent::new(shegong_domain::audit::Action::SignOut, "user", user.id))
        .await?;
    Ok(())
}

/// Creates an account (validated input; the password is hashed here).
pub async fn create_user(state: &AppState, actor: &Actor, new: NewUser) -> AppResult<User> {
    let hash = hash_password(new.password.clone()).await?;
    Ok(state.store.create_user(actor, &new, &hash).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery".into()).await.expect("hash");
        let b = hash_password("correct horse battery".into()).await.expect("hash");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), a.clone()).await.expect("verify"));
        assert!(!verify_password("wrong".into(), a).await.expect("verify"));
        assert!(!verify_password("x".into(), "not a hash".into()).await.expect("verify"));
    }

    #[test]
    fn limiter_stops_a_flood_from_one_address() {
        let l = LoginLimiter::default();
        for _ in 0..LoginLimiter::MAX_PER_WINDOW {
            assert!(l.allow("10.0.0.1"));
        }
        assert!(!l.allow("10.0.0.1"));
        assert!(l.allow("10.0.0.2"));
    }
}
