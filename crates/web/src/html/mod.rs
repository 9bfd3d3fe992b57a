//! Server-rendered pages, one module per capability.

pub mod accounts;
pub mod activities;
pub mod assistance;
pub mod audit;
pub mod cases;
pub mod clients;
pub mod clients_import;
pub mod coverage;
pub mod donations;
pub mod home;
pub mod hotline;
pub mod knowledge;
pub mod lending;
pub mod outcomes;
pub mod outreach;
pub mod reports;
pub mod units;
pub mod volunteers;

use crate::error::AppError;
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(accounts::login_page).post(accounts::login))
        .route("/logout", post(accounts::logout))
        .route("/locale", post(accounts::switch_locale))
        .route("/account", get(accounts::account_page))
        .route("/account/password", post(accounts::change_password))
        .route("/account/tokens", post(accounts::create_token))
        .route("/account/tokens/{id}/revoke", post(accounts::revoke_token))
        .route("/users", get(accounts::users_page).post(accounts::create_user))
        .route("/users/new", get(accounts::new_user_page))
        .route("/users/{id}", get(accounts::edit_user_page).post(accounts::update_user))
        .route("/units", get(units::list).post(units::create))
        .route("/units/new", get(units::new_page))
        .route("/units/{id}", get(units::show).post(units::update))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/new", get(clients::new_page))
        .route("/clients/duplicates", get(clients::duplicates))
        .route("/clients/merge", post(clients::merge_post))
        .route("/clients/retention", get(clients::retention_page).post(clients::retention_post))
        .route("/clients/{id}", get(clients::show).post(clients::update))
        .route("/clients/{id}/edit", get(clients::edit_page))
        .route("/clients/{id}/close", post(clients::close))
        .route("/clients/{id}/reopen", post(clients::reopen))
        .route("/clients/{id}/consents", post(clients::add_consent))
        .route("/clients/{id}/consents/{consent}/withdraw", post(clients::withdraw_consent))
        .route("/households", post(clients::create_household))
        .route("/households/new", get(clients::new_household))
        .route("/households/{id}", get(clients::show_household).post(clients::update_household))
        .route("/audit", get(audit::list))
        .route("/audit/verify", post(audit::verify))
        .route("/activities", get(activities::list).post(activities::create))
        .route("/activities/new", get(activities::new_page))
        .route("/activities/calendar", get(activities::calendar))
        .route("/activities/counts", get(activities::counts))
        .route("/activities/{id}", get(activities::show).post(activities::update))
        .route("/activities/{id}/edit", get(activities::edit_page))
        .route("/activities/{id}/sessions", post(activities::add_session))
        .route("/activities/{id}/enrol", post(activities::enrol))
        .route("/activities/{id}/evaluation", post(activities::evaluate))
        .route("/sessions/{id}", get(activities::show_session))
        .route("/sessions/{id}/attendance", post(activities::mark))
        .route("/sessions/{id}/walk-in", post(activities::walk_in))
        .route("/sessions/{id}/staff", post(activities::mark_staff))
        .route("/sessions/{id}/log", post(activities::save_log))
        .route("/attendance/import", post(activities::import_sheet))
        .merge(clients_import::routes())
        .merge(cases::routes())
        .merge(hotline::routes())
        .merge(volunteers::routes())
        .merge(lending::routes())
        .merge(reports::routes())
        .merge(assistance::routes())
        .merge(donations::routes())
        .merge(coverage::routes())
        .merge(outcomes::routes())
        .merge(knowledge::routes())
        .merge(outreach::routes())
}

/// A url-encoded form (repeated keys allowed) whose rejections become translated errors.
pub struct HtmlForm<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for HtmlForm<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum_extra::extract::Form::<T>::from_request(req, state).await {
            Ok(axum_extra::extract::Form(v)) => Ok(Self(v)),
            Err(r) => Err(match axum::response::IntoResponse::into_response(r).status() {
                StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMedia,
                _ => AppError::Malformed("form".into()),
            }),
        }
    }
}

/// `?notice=` keys shown once after a redirect (only known keys are shown).
pub fn notice(page: &crate::page::Page, key: Option<&str>) -> Option<String> {
    const KNOWN: [&str; 6] = ["saved", "created", "password-changed", "token-revoked", "signed-out", "locale-changed"];
    key.filter(|k| KNOWN.contains(k)).map(|k| page.t(&format!("notice-{k}")))
}
