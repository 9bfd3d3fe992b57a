//! The request context: who is asking (session cookie or API token), in which language,
//! with CSRF checked for every state-changing request. Every route gets its caller through
//! [`Ctx`] and asks [`Ctx::require`] before touching data: the one permission check.

use crate::error::{AppError, AppResult};
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use sha2::{Digest, Sha256};
use shegong_domain::accounts::{Permission, Scope, User};
use shegong_domain::locale::Locale;
use shegong_domain::DomainError;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "sg_session";
pub const PRE_CSRF_COOKIE: &str = "sg_csrf";
pub const LANG_COOKIE: &str = "sg_lang";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Context of one request, put in the request extensions by [`resolve`].
#[derive(Clone, Debug)]
pub struct RequestCtx {
    pub locale: Locale,
    pub user: Option<User>,
    /// The token forms must echo: the session's, or the pre-sign-in cookie's.
    pub csrf: String,
    /// Hash of the session cookie, when signed in by cookie.
    pub session_hash: Option<String>,
    pub via_api_token: bool,
    pub ip: String,
}

/// A signed-in caller.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user: User,
    pub locale: Locale,
    pub csrf: String,
    pub session_hash: Option<String>,
    pub ip: String,
}

impl Ctx {
    /// The one permission check every route makes.
    pub fn require(&self, perm: Permission, scope: Scope) -> AppResult<()> {
        if self.user.grants.allows(perm, scope) {
            Ok(())
        } else {
            tracing::info!(user = %self.user.username, ?perm, ?scope, "permission refused");
            Err(DomainError::Forbidden.into())
        }
    }

    pub fn can(&self, perm: Permission, scope: Scope) -> bool {
        self.user.grants.allows(perm, scope)
    }

    pub fn actor(&self) -> shegong_domain::accounts::Actor {
        (&self.user).into()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> AppResult<Self> {
        parts.extensions.get::<RequestCtx>().cloned().ok_or_else(|| AppError::Internal("request context missing".into()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> AppResult<Self> {
        let rc = RequestCtx::from_request_parts(parts, s).await?;
        let user = rc.user.ok_or(AppError::Domain(DomainError::Unauthenticated))?;
        Ok(Ctx { user, locale: rc.locale, csrf: rc.csrf, session_hash: rc.session_hash, ip: rc.ip })
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

fn client_ip(req: &Request) -> String {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into())
}

/// Middleware: identifies the caller, picks the language and checks CSRF.
pub async fn resolve(State(state): State<AppState>, jar: CookieJar, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let locale_hint = jar
        .get(LANG_COOKIE)
        .and_then(|c| c.value().parse().ok())
        .or_else(|| req.headers().get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).and_then(Locale::negotiate))
        .unwrap_or_default();
    match identify(&state, &jar, req).await {
        Ok((ctx, mut req)) => {
            req.extensions_mut().insert(ctx.clone());
            let resp = next.run(req).await;
            crate::page::finish(&state, &ctx, &path, resp).await
        }
        Err(e) => {
            let ctx = RequestCtx {
                locale: locale_hint,
                user: None,
                csrf: String::new(),
                session_hash: None,
                via_api_token: false,
                ip: String::new(),
            };
            crate::page::finish(&state, &ctx, &path, axum::response::IntoResponse::into_response(e)).await
        }
    }
}

async fn identify(state: &AppState, jar: &CookieJar, req: Request) -> AppResult<(RequestCtx, Request)> {
    let now = state.clock.now();
    let ip = client_ip(&req);
    let mut user = None;
    let mut session_hash = None;
    let mut csrf = None;
    let mut via_api_token = false;

    if let Some(token) = bearer(req.headers()) {
        let found = state.store.user_for_token(&hash_token(token), now).await?;
        user = Some(found.ok_or(AppError::Domain(DomainError::Unauthenticated))?);
        via_api_token = true;
    } else if let Some(c) = jar.get(SESSION_COOKIE) {
        let h = hash_token(c.value());
        if let Some(s) = state.store.find_session(&h, now, now + state.config.session_ttl).await? {
            user = Some(s.user);
            csrf = Some(s.csrf_token);
            session_hash = Some(h);
        }
    }
    let csrf = csrf.or_else(|| jar.get(PRE_CSRF_COOKIE).map(|c| c.value().to_string())).unwrap_or_default();

    let locale = user
        .as_ref()
        .map(|u| u.locale)
        .or_else(|| jar.get(LANG_COOKIE).and_then(|c| c.value().parse().ok()))
        .or_else(|| req.headers().get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).and_then(Locale::negotiate))
        .unwrap_or_default();

    let ctx = RequestCtx { locale, user, csrf, session_hash, via_api_token, ip };

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let req = if unsafe_method && !via_api_token { check_csrf(state, &ctx, req).await? } else { req };
    Ok((ctx, req))
}

/// Cookie-authenticated writes must echo the CSRF token, in the `X-CSRF-Token` header or the
/// `_csrf` form field. The form body is buffered (within the body limit) and handed on intact.
async fn check_csrf(state: &AppState, ctx: &RequestCtx, req: Request) -> AppResult<Request> {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|h| h.to_str().ok()) {
        return if !ctx.csrf.is_empty() && constant_time_eq(h, &ctx.csrf) { Ok(req) } else { Err(AppError::Csrf) };
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if multipart_checked_by_handler(content_type, req.uri().path()) {
        return Ok(req);
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        // JSON from a browser session must use the header; anything else is refused.
        return Err(AppError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, state.config.max_body_bytes).await.map_err(|_| AppError::TooLarge)?;
    let sent = form_urlencoded_value(&bytes, CSRF_FIELD);
    if ctx.csrf.is_empty() || !sent.as_deref().is_some_and(|s| constant_time_eq(s, &ctx.csrf)) {
        return Err(AppError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Routes that take `multipart/form-data` uploads (too large to buffer here) and compare the
/// `_csrf` part themselves with [`csrf_matches`]. A multipart write to any other route is
/// refused, so no route without its own check can be reached that way.
pub const MULTIPART_ROUTES: &[&str] = &["/clients/import", "/attendance/import", "/lending/photos", "/coverage/grid"];

fn multipart_checked_by_handler(content_type: &str, path: &str) -> bool {
    content_type.to_ascii_lowercase().starts_with("multipart/form-data") && MULTIPART_ROUTES.contains(&path)
}

/// Whether a token sent with a form (a multipart `_csrf` part) is the caller's.
pub fn csrf_matches(expected: &str, sent: &str) -> bool {
    !expected.is_empty() && constant_time_eq(sent, expected)
}

fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_tokens_exactly() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn finds_the_csrf_field() {
        assert_eq!(form_urlencoded_value(b"a=1&_csrf=x%2By&b=2", "_csrf").as_deref(), Some("x+y"));
        assert_eq!(form_urlencoded_value(b"a=1", "_csrf"), None);
    }

    #[test]
    fn only_listed_multipart_uploads_reach_their_handler() {
        let mp = "multipart/form-data; boundary=----x";
        assert!(multipart_checked_by_handler(mp, "/clients/import"));
        assert!(multipart_checked_by_handler("Multipart/Form-Data; boundary=y", "/clients/import"));
        // Elsewhere a multipart post would skip the check: it is refused instead.
        assert!(!multipart_checked_by_handler(mp, "/logout"));
        assert!(!multipart_checked_by_handler(mp, "/clients/import/abc"));
        assert!(!multipart_checked_by_handler("application/json", "/clients/import"));
        assert!(csrf_matches("tok", "tok"));
        assert!(!csrf_matches("tok", "tok2"));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn tokens_are_long_and_unique() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }
}
