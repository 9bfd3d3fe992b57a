//! The web application: server-rendered pages and the JSON API over the same services.

pub mod accounts;
pub mod activities;
pub mod api;
pub mod assistance;
pub mod cases;
pub mod clients;
pub mod coverage;
pub mod ctx;
pub mod demo;
pub mod donations;
pub mod error;
pub mod hotline;
pub mod html;
pub mod i18n;
pub mod knowledge;
pub mod lending;
pub mod ops;
pub mod outcomes;
pub mod outreach;
pub mod page;
pub mod reports;
pub mod tabular;
pub mod volunteers;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use shegong_domain::clock::Clock;
use shegong_domain::ports::{KnowledgeIndex, SearchIndex, Storage};
use std::ops::Deref;
use std::sync::Arc;

pub use error::{AppError, AppResult};

/// Settings of the web layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Mark cookies `Secure` and send HSTS: on whenever the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Idle time after which a session ends.
    pub session_ttl: chrono::Duration,
    pub max_body_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { secure_cookies: false, session_ttl: chrono::Duration::hours(8), max_body_bytes: 1024 * 1024 }
    }
}

pub struct Inner {
    pub store: Arc<dyn Storage>,
    pub search: Arc<dyn SearchIndex>,
    /// The knowledge-base index: filled from the database for an agency at its first search.
    pub knowledge: Arc<dyn KnowledgeIndex>,
    pub knowledge_loaded: std::sync::Mutex<std::collections::HashSet<shegong_domain::ids::OrgId>>,
    pub clock: Arc<dyn Clock>,
    pub config: WebConfig,
    pub limiter: accounts::LoginLimiter,
    pub metrics: PrometheusHandle,
    /// Where reminders to families go (the log only, unless an SMS or email sender is plugged in).
    pub notifier: Arc<dyn shegong_domain::ports::Notifier>,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Storage>,
        search: Arc<dyn SearchIndex>,
        knowledge: Arc<dyn KnowledgeIndex>,
        clock: Arc<dyn Clock>,
        config: WebConfig,
    ) -> Self {
        let notifier = Arc::new(lending::LogNotifier);
        Self(Arc::new(Inner {
            store,
            search,
            knowledge,
            knowledge_loaded: Default::default(),
            clock,
            config,
            limiter: accounts::LoginLimiter::default(),
            metrics: ops::metrics_handle(),
            notifier,
        }))
    }

    /// The same state with another reminder sender (an SMS gateway, email); see docs/OPERATIONS.md.
    pub fn with_notifier(self, notifier: Arc<dyn shegong_domain::ports::Notifier>) -> Self {
        let i = &self.0;
        Self(Arc::new(Inner {
            store: Arc::clone(&i.store),
            search: Arc::clone(&i.search),
            knowledge: Arc::clone(&i.knowledge),
            knowledge_loaded: Default::default(),
            clock: Arc::clone(&i.clock),
            config: i.config.clone(),
            limiter: accounts::LoginLimiter::default(),
            metrics: i.metrics.clone(),
            notifier,
        }))
    }
}

/// The whole application. Layers run outside-in: metrics, security headers, body limit;
/// pages and API also pass caller resolution, which checks CSRF and renders every error in
/// the caller's language. Health, metrics and static files skip the session lookup.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (api, _) = api::v1::router().split_for_parts();
    Router::new()
        .merge(html::router())
        .merge(api)
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), ctx::resolve))
        .merge(ops::router())
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(ops::panic_response))
        .layer(middleware::from_fn_with_state(state.clone(), ops::security_headers))
        .layer(middleware::from_fn(ops::track_metrics))
        .with_state(state)
}
