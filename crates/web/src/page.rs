//! What every page template gets (language, user, CSRF token, navigation) and the rendering
//! of errors as translated pages or JSON bodies.

use crate::ctx::RequestCtx;
use crate::error::{AppError, AppResult, ErrorInfo};
use crate::i18n;
use crate::AppState;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use shegong_domain::accounts::{Permission, Scope, User};
use shegong_domain::locale::Locale;
use shegong_domain::FieldError;

/// The frame of a page: header, navigation, language switcher.
#[derive(Clone, Debug)]
pub struct Page {
    pub locale: Locale,
    pub user: Option<User>,
    pub csrf: String,
    pub agency_name: String,
    pub tz: chrono_tz::Tz,
    /// The path, for "back here after switching language".
    pub path: String,
}

impl Page {
    pub async fn new(state: &AppState, rc: &RequestCtx, path: &str) -> Self {
        let (agency_name, tz) = match &rc.user {
            Some(u) => match state.store.agency(u.org_id).await {
                Ok(a) => (a.name(rc.locale).to_string(), a.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong)),
                Err(_) => (String::new(), chrono_tz::Asia::Hong_Kong),
            },
            None => (String::new(), chrono_tz::Asia::Hong_Kong),
        };
        Self { locale: rc.locale, user: rc.user.clone(), csrf: rc.csrf.clone(), agency_name, tz, path: path.to_string() }
    }

    pub fn t(&self, key: &str) -> String {
        i18n::t(self.locale, key)
    }

    /// Translates `prefix` + `suffix`, for keys named after a stored value.
    pub fn tp(&self, prefix: &str, suffix: &dyn std::fmt::Display) -> String {
        i18n::t(self.locale, &format!("{prefix}{suffix}"))
    }

    pub fn ta(&self, key: &str, name: &str, value: &str) -> String {
        i18n::t_args(self.locale, key, &[(name, value.to_string())])
    }

    pub fn dt(&self, at: &DateTime<Utc>) -> String {
        i18n::datetime(self.locale, self.tz, *at)
    }

    pub fn opt_dt(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map(|a| self.dt(a)).unwrap_or_else(|| "—".into())
    }

    /// A service date in this page's language.
    pub fn date(&self, d: &chrono::NaiveDate) -> String {
        i18n::date(self.locale, *d)
    }

    pub fn opt_date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.as_ref().map(|d| self.date(d)).unwrap_or_else(|| "—".into())
    }

    pub fn num(&self, n: &i64) -> String {
        i18n::number(*n)
    }

    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    pub fn locales(&self) -> [Locale; 3] {
        Locale::ALL
    }

    pub fn can(&self, what: &str) -> bool {
        let Some(u) = &self.user else {
            return false;
        };
        let (perm, scope) = match what {
            "units" => (Permission::ViewUnits, Scope::AnyUnit),
            "clients" => (Permission::ViewClients, Scope::AnyUnit),
            "manage_units" => (Permission::ManageUnits, Scope::Agency),
            "users" => (Permission::ManageUsers, Scope::Agency),
            "audit" => (Permission::ViewAudit, Scope::Agency),
            "cases" => (Permission::ViewCases, Scope::AnyUnit),
            "activities" => (Permission::ViewActivities, Scope::AnyUnit),
            "hotline" => (Permission::LogCalls, Scope::AnyUnit),
            "volunteers" => (Permission::ViewVolunteers, Scope::AnyUnit),
            "my_duties" => (Permission::ServeDuties, Scope::AnyUnit),
            "lending" => (Permission::ViewLending, Scope::AnyUnit),
            "reports" => (Permission::ViewReports, Scope::AnyUnit),
            "assistance" => (Permission::ViewAssistance, Scope::AnyUnit),
            "assistance-mine" => (Permission::DeliverAssistance, Scope::AnyUnit),
            "assistance-reports" => (Permission::ViewAssistanceReports, Scope::AnyUnit),
            "donations" => (Permission::ViewDonations, Scope::AnyUnit),
            "coverage" => (Permission::ViewCoverage, Scope::AnyUnit),
            "outcomes" => (Permission::ViewOutcomeReports, Scope::AnyUnit),
            "knowledge" => (Permission::ViewKnowledge, Scope::AnyUnit),
            "outreach" => (Permission::ViewOutreach, Scope::AnyUnit),
            "outreach-edit" => (Permission::EditOutreach, Scope::AnyUnit),
            "interpret" => (Permission::Interpret, Scope::AnyUnit),
            _ => return false,
        };
        u.grants.allows(perm, scope)
    }

    pub fn unit_name(&self, u: &shegong_domain::units::ServiceUnit) -> String {
        u.name(self.locale).to_string()
    }

    pub fn cat_name(&self, c: &shegong_domain::clients::Category) -> String {
        c.name(self.locale).to_string()
    }

    pub fn role_name(&self, role: &shegong_domain::accounts::Role) -> String {
        self.t(&format!("role-{}", role.as_str()))
    }

    /// Messages for one field, in this page's language.
    pub fn errors_for(&self, errors: &[FieldError], field: &str) -> Vec<String> {
        errors.iter().filter(|e| e.field == field).map(|e| field_message(self.locale, e)).collect()
    }
}

pub fn field_message(l: Locale, e: &FieldError) -> String {
    let args: Vec<(&str, String)> = e.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    i18n::t_args(l, &format!("field-error-{}", e.code), &args)
}

pub fn render<T: Template>(t: &T) -> AppResult<Response> {
    let body = t.render().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Html(body).into_response())
}

/// Renders a page that may carry form errors: 422 when it does, so the input kept is the
/// user's and a client can tell.
pub fn render_form<T: Template>(t: &T, invalid: bool) -> AppResult<Response> {
    if invalid {
        render_invalid(t)
    } else {
        render(t)
    }
}

/// Re-renders a form with its errors and a 422 status, keeping what the user typed.
pub fn render_invalid<T: Template>(t: &T) -> AppResult<Response> {
    let mut r = render(t)?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: &'a Page,
    status: u16,
    message: String,
    fields: Vec<String>,
}

/// Builds the user-facing message of an error.
pub fn message(l: Locale, info: &ErrorInfo) -> String {
    match info.locked_until {
        Some(t) => {
            let minutes = ((t - Utc::now()).num_seconds() as f64 / 60.0).ceil().max(1.0) as i64;
            i18n::t_args(l, "error-locked", &[("minutes", minutes.to_string())])
        }
        None => i18n::t(l, &format!("error-{}", info.code)),
    }
}

/// Turns an error response (one carrying [`ErrorInfo`]) into a page or a JSON body.
pub async fn finish(state: &AppState, rc: &RequestCtx, path: &str, resp: Response) -> Response {
    let Some(info) = resp.extensions().get::<ErrorInfo>().cloned() else {
        return resp;
    };
    let status = resp.status();
    if path.starts_with("/api/") {
        let fields: Vec<_> = info
            .fields
            .iter()
            .map(|f| serde_json::json!({"field": f.field, "code": f.code, "message": field_message(rc.locale, f)}))
            .collect();
        let body = serde_json::json!({
            "error": {"code": info.code, "message": message(rc.locale, &info), "fields": fields, "detail": info.detail}
        });
        let mut r = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        return r;
    }
    if status == StatusCode::UNAUTHORIZED && info.code == "unauthenticated" {
        let next: String = form_urlencoded_path(path);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let page = Page::new(state, rc, path).await;
    let fields = info.fields.iter().map(|f| field_message(rc.locale, f)).collect();
    let msg = message(rc.locale, &info);
    match render(&ErrorPage { page: &page, status: status.as_u16(), message: msg, fields }) {
        Ok(mut r) => {
            *r.status_mut() = status;
            r
        }
        Err(_) => (status, i18n::t(rc.locale, "error-internal")).into_response(),
    }
}

fn form_urlencoded_path(path: &str) -> String {
    // Only local paths are remembered, so the redirect after sign-in cannot leave the site.
    let p = if path.starts_with('/') && !path.starts_with("//") { path } else { "/" };
    p.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
