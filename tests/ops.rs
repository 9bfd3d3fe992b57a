//! Health, metrics, security headers and error pages.

use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, TestApp};

#[db_test]
async fn health_and_metrics(app: TestApp) {
    let c = app.client();
    let v: serde_json::Value = c.get("/healthz").await.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    c.get("/login").await;
    let r = c.get("/metrics").await;
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let body = r.text().await.unwrap();
    assert!(body.contains("http_requests_total"), "{body}");
    assert!(body.contains("route=\"/login\""));
}

#[db_test]
async fn pages_carry_security_headers_and_are_not_cached(app: TestApp) {
    let r = app.client().get("/login").await;
    let h = r.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    let cookie = h.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[db_test]
async fn unknown_pages_get_a_translated_404(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let (status, body) = c.page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(body.contains("This page or record does not exist"));
    let (status, body) = c.page(&format!("/units/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(status, 404);
    assert!(body.contains("<html"));
    let (status, _) = c.page("/units/not-a-uuid").await;
    assert_eq!(status, 400);
}

#[db_test]
async fn a_session_expires_after_idle_time(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    assert_eq!(c.page("/").await.0, 200);
    app.db.clock.advance(chrono::Duration::hours(9));
    let r = c.get("/units").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/units");
}
