//! Errors with stable codes. The web layer turns each code into a translated message
//! (`error-<code>` in the Fluent files), so the same code reads well in every language.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// One problem with one field of submitted input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Stable code, e.g. `required`, `too-long`, `duplicate`.
    pub code: &'static str,
    /// Named values for the message, e.g. `max` = `100`.
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self { field: field.into(), code, args: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    /// The record changed since the user loaded it (optimistic concurrency).
    #[error("stale version")]
    Stale,
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("account locked until {0}")]
    Locked(DateTime<Utc>),
    #[error("account deactivated")]
    Deactivated,
    #[error("storage: {0}")]
    Storage(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, code: &'static str) -> Self {
        Self::Invalid(vec![FieldError::new(field, code)])
    }

    /// Stable machine-readable code, shared by the JSON API and the translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::NotFound => "not-found",
            Self::Stale => "stale",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BadCredentials => "bad-credentials",
            Self::Locked(_) => "locked",
            Self::Deactivated => "deactivated",
            Self::Storage(_) => "storage",
        }
    }
}

/// Collects field errors while validating a whole form, so the user sees every problem at once.
#[derive(Default, Debug)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Trims and checks a text field; returns the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, required: bool, max: usize) -> String {
        let v = value.trim().to_string();
        if required && v.is_empty() {
            self.push(FieldError::new(field, "required"));
        } else if v.chars().count() > max {
            self.push(FieldError::new(field, "too-long").with("max", max));
        }
        v
    }

    /// Parses an optional decimal coordinate within ±`limit` (90 for latitude, 180 for longitude).
    pub fn coordinate(&mut self, field: &str, raw: &str, limit: f64) -> Option<f64> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => Some(x),
            _ => {
                self.push(FieldError::new(field, "out-of-range").with("min", -limit).with("max", limit));
                None
            }
        }
    }

    /// Checks one code of an agency-configured list (needs, rewards, topics, tiers): `a-z 0-9 _`,
    /// at most 40 long, and not already in `seen`. Returns the trimmed code.
    pub fn list_code(&mut self, field: &str, raw: &str, seen: &mut std::collections::BTreeSet<String>) -> String {
        let code = raw.trim().to_string();
        if !is_code(&code) {
            self.push(FieldError::new(field, "code-chars"));
        } else if !seen.insert(code.clone()) {
            self.push(FieldError::new(field, "duplicate"));
        }
        code
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.errors))
        }
    }
}

/// A code an agency chooses for a list entry: 1 to 40 of `a-z 0-9 _`.
pub fn is_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 40 && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_collects_every_problem() {
        let mut v = Validator::new();
        assert_eq!(v.text("a", "  x ", true, 10), "x");
        v.text("b", "   ", true, 10);
        v.text("c", "abcdef", false, 3);
        let Err(DomainError::Invalid(errs)) = v.finish() else { unreachable!("two fields are wrong") };
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].code, "required");
        assert_eq!(errs[1].code, "too-long");
        assert_eq!(errs[1].args, vec![("max", "3".to_string())]);
    }
}
