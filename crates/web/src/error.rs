//! One error type for every handler. A handler returns `AppError`; the `finish_errors`
//! middleware, which knows the user's language, turns it into a translated HTML page or a
//! JSON body, so no route can leak an untranslated or internal message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use shegong_domain::{DomainError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The request body could not be read as the expected form or JSON.
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("payload too large")]
    TooLarge,
    #[error("unsupported media type")]
    UnsupportedMedia,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the form has expired")]
    Csrf,
    #[error("too many attempts")]
    RateLimited,
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the error renderer needs, carried on the response.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub fields: Vec<FieldError>,
    pub locked_until: Option<DateTime<Utc>>,
    /// Technical detail for the JSON API (never personal data).
    pub detail: Option<String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Domain(d) => match d {
                DomainError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                DomainError::NotFound => StatusCode::NOT_FOUND,
                DomainError::Stale => StatusCode::CONFLICT,
                DomainError::Unauthenticated | DomainError::BadCredentials => StatusCode::UNAUTHORIZED,
                DomainError::Forbidden | DomainError::Deactivated => StatusCode::FORBIDDEN,
                DomainError::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
                DomainError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(d) => d.code(),
            AppError::Malformed(_) => "malformed",
            AppError::TooLarge => "too-large",
            AppError::UnsupportedMedia => "unsupported-media",
            AppError::MethodNotAllowed => "method-not-allowed",
            AppError::Csrf => "csrf",
            AppError::RateLimited => "rate-limited",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code(),
            fields: match self {
                AppError::Domain(DomainError::Invalid(f)) => f.clone(),
                _ => Vec::new(),
            },
            locked_until: match self {
                AppError::Domain(DomainError::Locked(t)) => Some(*t),
                _ => None,
            },
            detail: match self {
                AppError::Malformed(d) => Some(d.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::Internal(_) | AppError::Domain(DomainError::Storage(_))) {
            tracing::error!(error = %self, "request failed");
        }
        let mut resp = self.status().into_response();
        resp.extensions_mut().insert(self.info());
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;
