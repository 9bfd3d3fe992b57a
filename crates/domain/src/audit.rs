//! The append-only, hash-chained audit log. Each entry's hash covers its content and the
//! previous entry's hash, so changing or deleting any row breaks every hash after it.

use crate::ids::{OrgId, UserId};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The hash that stands before the first entry of every agency's chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    View,
    Export,
    SignIn,
    SignInFailed,
    SignOut,
    Lockout,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::View => "view",
            Action::Export => "export",
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::Lockout => "lockout",
        }
    }
}

/// What happened, before it is chained.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub action: Action,
    pub entity_type: &'static str,
    pub entity_id: String,
    /// What changed, as JSON (never a password or secret).
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(action: Action, entity_type: &'static str, entity_id: impl ToString) -> Self {
        Self { action, entity_type, entity_id: entity_id.to_string(), detail: serde_json::Value::Null }
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub org_id: OrgId,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<UserId>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry, given its content and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let actor = self.actor_user_id.map(|u| u.to_string()).unwrap_or_default();
        let seq = self.seq.to_string();
        let org = self.org_id.to_string();
        // Length-prefixed fields: no two different entries serialise to the same bytes.
        for part in [
            self.prev_hash.as_str(),
            org.as_str(),
            seq.as_str(),
            at.as_str(),
            actor.as_str(),
            self.actor_name.as_str(),
            self.action.as_str(),
            self.entity_type.as_str(),
            self.entity_id.as_str(),
            self.detail.as_str(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// The outcome of checking a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct VerifyReport {
    pub entries: u64,
    /// The first sequence number whose hash or link does not hold, if any.
    pub first_bad_seq: Option<i64>,
}

/// Walks entries in `seq` order and reports the first one that does not hold.
pub fn verify_chain<'a>(entries: impl IntoIterator<Item = &'a AuditEntry>) -> VerifyReport {
    let mut prev = GENESIS_HASH.to_string();
    let mut n = 0;
    for (expected_seq, e) in (1..).zip(entries) {
        n += 1;
        if e.seq != expected_seq || e.prev_hash != prev || e.compute_hash() != e.hash {
            return VerifyReport { entries: n, first_bad_seq: Some(e.seq) };
        }
        prev = e.hash.clone();
    }
    VerifyReport { entries: n, first_bad_seq: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let org = OrgId::new();
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    org_id: org,
                    seq,
                    at: Utc::now(),
                    actor_user_id: None,
                    actor_name: "system".into(),
                    action: "create".into(),
                    entity_type: "unit".into(),
                    entity_id: seq.to_string(),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify_chain(&c), VerifyReport { entries: 5, first_bad_seq: None });
    }

    #[test]
    fn edited_row_is_found() {
        let mut c = chain(5);
        c[2].detail = r#"{"name":"forged"}"#.into();
        assert_eq!(verify_chain(&c).first_bad_seq, Some(3));
    }

    #[test]
    fn deleted_row_is_found() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(&c).first_bad_seq, Some(3));
    }

    #[test]
    fn rehashed_row_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].actor_name = "someone else".into();
        c[1].hash = c[1].compute_hash();
        assert_eq!(verify_chain(&c).first_bad_seq, Some(3));
    }
}
