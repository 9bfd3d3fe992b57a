//! `/api/v1`: the same services as the pages, as JSON. Authenticate with a personal token
//! (`Authorization: Bearer …`) or a browser session plus the `X-CSRF-Token` header.
//! The OpenAPI document is built from these routes and served at `/api/v1/openapi.json`.

pub mod accounts;
pub mod activities;
pub mod assistance;
pub mod audit;
pub mod cases;
pub mod clients;
pub mod clients_import;
pub mod coverage;
pub mod donations;
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
use axum::response::IntoResponse;
use axum::Json;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "shegong API", description = "Case, service and statistics platform for community social-work agencies."),
    modifiers(&Security),
    security(("token" = []), ("session" = [])),
    tags((name = "accounts"), (name = "units"), (name = "clients"), (name = "cases"), (name = "activities"), (name = "hotline"), (name = "volunteers"), (name = "lending"), (name = "assistance"), (name = "donations"), (name = "reports"), (name = "coverage"), (name = "outcomes"), (name = "knowledge"), (name = "outreach"), (name = "audit"))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
            c.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::ctx::SESSION_COOKIE))));
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::list_users, accounts::create_user))
        .routes(routes!(accounts::get_user, accounts::update_user))
        .routes(routes!(accounts::list_tokens, accounts::create_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(units::agency))
        .routes(routes!(units::list_units, units::create_unit))
        .routes(routes!(units::get_unit, units::update_unit))
        .routes(routes!(clients::list_clients, clients::create_client))
        .routes(routes!(clients::categories))
        .routes(routes!(clients::duplicates))
        .routes(routes!(clients::merge))
        .routes(routes!(clients::merges))
        .routes(routes!(clients::anonymise))
        .routes(routes!(clients::get_client, clients::update_client))
        .routes(routes!(clients::close_client))
        .routes(routes!(clients::reopen_client))
        .routes(routes!(clients::list_consents, clients::add_consent))
        .routes(routes!(clients::withdraw_consent))
        .routes(routes!(clients::data_export))
        .routes(routes!(clients::create_household))
        .routes(routes!(clients::get_household, clients::update_household))
        .routes(routes!(cases::list_cases, cases::open_case))
        .routes(routes!(cases::todo))
        .routes(routes!(cases::team))
        .routes(routes!(cases::stats))
        .routes(routes!(cases::problems, cases::save_problems))
        .routes(routes!(cases::get_settings, cases::save_settings))
        .routes(routes!(cases::get_case, cases::update_case))
        .routes(routes!(cases::add_assessment))
        .routes(routes!(cases::create_plan))
        .routes(routes!(cases::update_plan))
        .routes(routes!(cases::decide_plan))
        .routes(routes!(cases::add_note))
        .routes(routes!(cases::correct_note))
        .routes(routes!(cases::add_task))
        .routes(routes!(cases::complete_task))
        .routes(routes!(cases::review))
        .routes(routes!(cases::transfer))
        .routes(routes!(cases::add_referral))
        .routes(routes!(cases::update_referral))
        .routes(routes!(cases::mandatory_report))
        .routes(routes!(cases::close))
        .routes(routes!(cases::decide_closure))
        .routes(routes!(cases::reopen))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::verify_audit))
        .routes(routes!(activities::list_activities, activities::create_activity))
        .routes(routes!(activities::list_domains, activities::save_domain))
        .routes(routes!(activities::counts))
        .routes(routes!(activities::calendar))
        .routes(routes!(activities::get_activity, activities::update_activity))
        .routes(routes!(activities::list_sessions, activities::add_session))
        .routes(routes!(activities::list_participants, activities::enrol))
        .routes(routes!(activities::withdraw))
        .routes(routes!(activities::evaluate))
        .routes(routes!(activities::attendance, activities::mark))
        .routes(routes!(activities::walk_in))
        .routes(routes!(activities::session_staff, activities::set_session_staff))
        .routes(routes!(activities::save_log))
        .routes(routes!(hotline::list_calls, hotline::log_call))
        .routes(routes!(hotline::get_call))
        .routes(routes!(hotline::acknowledge))
        .routes(routes!(hotline::open_case))
        .routes(routes!(hotline::lookup))
        .routes(routes!(hotline::caller))
        .routes(routes!(hotline::set_flag))
        .routes(routes!(hotline::queue))
        .routes(routes!(hotline::complete))
        .routes(routes!(hotline::get_point, hotline::save_point))
        .routes(routes!(hotline::add_shift))
        .routes(routes!(hotline::topics, hotline::save_topics))
        .routes(routes!(hotline::day_list, hotline::create_schedule))
        .routes(routes!(hotline::attempt))
        .routes(routes!(hotline::stats))
        .routes(routes!(volunteers::list, volunteers::create))
        .routes(routes!(volunteers::courses, volunteers::create_course))
        .routes(routes!(volunteers::update_course))
        .routes(routes!(volunteers::training_needs))
        .routes(routes!(volunteers::duties, volunteers::create_duty))
        .routes(routes!(volunteers::duty))
        .routes(routes!(volunteers::matches))
        .routes(routes!(volunteers::assign))
        .routes(routes!(volunteers::make_link))
        .routes(routes!(volunteers::check_in))
        .routes(routes!(volunteers::check_out))
        .routes(routes!(volunteers::confirm))
        .routes(routes!(volunteers::withdraw))
        .routes(routes!(volunteers::pending))
        .routes(routes!(volunteers::decide))
        .routes(routes!(volunteers::me))
        .routes(routes!(volunteers::sign_up))
        .routes(routes!(volunteers::report_hours))
        .routes(routes!(volunteers::totals))
        .routes(routes!(volunteers::report))
        .routes(routes!(volunteers::ratios))
        .routes(routes!(volunteers::export))
        .routes(routes!(volunteers::settings, volunteers::save_settings))
        .routes(routes!(volunteers::get, volunteers::update))
        .routes(routes!(volunteers::add_training))
        .routes(routes!(volunteers::add_stage))
        .routes(routes!(volunteers::add_hours))
        .routes(routes!(volunteers::eligibility))
        .routes(routes!(volunteers::certificate))
        .merge(clients_import::router())
        .merge(lending::router())
        .merge(reports::router())
        .merge(assistance::router())
        .merge(donations::router())
        .merge(coverage::router())
        .merge(outcomes::router())
        .merge(knowledge::router())
        .merge(outreach::router());
    let doc = merge_flattened(r.get_openapi());
    r.route("/api/v1/openapi.json", axum::routing::get(move || async move { Json(doc) }))
}

/// The OpenAPI document (for the snapshot test and the `openapi` command).
pub fn openapi() -> utoipa::openapi::OpenApi {
    merge_flattened(&router().into_openapi())
}

/// serde's `flatten` of a struct that refuses unknown fields comes out of the derive as an
/// `allOf` of that closed object and the outer fields, which no body can satisfy (each part
/// forbids the other's fields). Such a schema is rewritten as the one closed object it means.
fn merge_flattened(doc: &utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use serde_json::{Map, Value};
    let Ok(mut v) = serde_json::to_value(doc) else { return doc.clone() };
    let originals = v.pointer("/components/schemas").cloned().unwrap_or(Value::Null);
    let Some(schemas) = v.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return doc.clone() };
    for schema in schemas.values_mut() {
        let Some(parts) = schema.get("allOf").and_then(Value::as_array) else { continue };
        let parts: Vec<Value> = parts
            .iter()
            .map(|p| match p.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/")) {
                Some(name) => originals.get(name).cloned().unwrap_or(Value::Null),
                None => p.clone(),
            })
            .collect();
        let closed = parts.iter().any(|p| p.get("additionalProperties") == Some(&Value::Bool(false)));
        let plain = parts.iter().all(|p| p.get("type").and_then(Value::as_str) == Some("object") && p.get("allOf").is_none());
        if !closed || !plain {
            continue;
        }
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for p in &parts {
            if let Some(props) = p.get("properties").and_then(Value::as_object) {
                properties.extend(props.clone());
            }
            for r in p.get("required").and_then(Value::as_array).into_iter().flatten() {
                if !required.contains(r) {
                    required.push(r.clone());
                }
            }
        }
        let mut merged = Map::new();
        merged.insert("type".into(), "object".into());
        if let Some(d) = schema.get("description").or_else(|| parts.iter().find_map(|p| p.get("description"))) {
            merged.insert("description".into(), d.clone());
        }
        merged.insert("properties".into(), Value::Object(properties));
        merged.insert("required".into(), Value::Array(required));
        merged.insert("additionalProperties".into(), Value::Bool(false));
        *schema = Value::Object(merged);
    }
    serde_json::from_value(v).unwrap_or_else(|_| doc.clone())
}

/// A JSON body whose rejections become translated errors with stable codes.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(r) => {
                let detail = r.body_text();
                Err(match r.into_response().status() {
                    StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMedia,
                    _ => AppError::Malformed(detail),
                })
            }
        }
    }
}
