//! Service units: create, list, edit, validation, stale edits.

use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, TestApp};

fn form<'a>(code: &'a str, name: &'a str, version: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("code", code),
        ("name_zh_hant", name),
        ("name_en", "Test Centre"),
        ("unit_type", "social_work_station"),
        ("district", "越秀"),
        ("address", "中山四路 1 號"),
        ("latitude", "23.1291"),
        ("longitude", "113.2644"),
        ("opening_hours", "09:00-17:30"),
        ("active", "true"),
        ("version", version),
    ]
}

#[db_test]
async fn admin_creates_and_edits_a_unit(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let r = c.post_form("/units", &form("GZ-01", "越秀社工站", "0")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/units?notice=created");
    let (_, list) = c.page("/units?notice=created").await;
    assert!(list.contains("越秀社工站") || list.contains("Test Centre"));
    assert!(list.contains("Created."));

    let units: Vec<serde_json::Value> = c.get("/api/v1/units").await.json().await.unwrap();
    let u = units.iter().find(|u| u["code"] == "GZ-01").expect("unit listed in the API");
    assert_eq!(u["latitude"], 23.1291);
    assert_eq!(u["unit_type"], "social_work_station");
    let id = u["id"].as_str().unwrap();

    let (status, page) = c.page(&format!("/units/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"越秀社工站\""), "the edit form is filled in");
    let r = c.post_form(&format!("/units/{id}"), &form("GZ-01", "越秀街社工站", "1")).await;
    assert_eq!(r.status(), 303);
    let u: serde_json::Value = c.get(&format!("/api/v1/units/{id}")).await.json().await.unwrap();
    assert_eq!(u["name_zh_hant"], "越秀街社工站");
    assert_eq!(u["version"], 2);
}

#[db_test]
async fn invalid_unit_shows_every_error_and_keeps_input(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let mut f = form("bad code!", "", "0");
    f.retain(|(k, _)| *k != "name_en");
    f.push(("name_en", ""));
    f.retain(|(k, _)| *k != "latitude");
    f.push(("latitude", "123"));
    let r = c.post_form("/units", &f).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Use letters, digits, - and _ only."));
    assert!(body.contains("Give a name in at least one language."));
    assert!(body.contains("Must be a number between -90 and 90."));
    assert!(body.contains("value=\"bad code!\""), "what the user typed is kept");
    assert!(body.contains("value=\"中山四路 1 號\""));
    let units: Vec<serde_json::Value> = c.get("/api/v1/units").await.json().await.unwrap();
    assert_eq!(units.len(), 2, "nothing was saved");
}

#[db_test]
async fn duplicate_code_is_a_field_error(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let r = c.post_form("/units", &form("UNIT-A", "重複", "0")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("This is already taken."));
}

#[db_test]
async fn a_stale_edit_is_refused_and_nothing_is_lost(app: TestApp) {
    let id = app.seeded.unit_a.id.to_string();
    let alice = app.signed_in(Role::Admin).await;
    // Both editors opened version 1; the first save wins …
    let r = alice.post_form(&format!("/units/{id}"), &form("UNIT-A", "甲中心（改）", "1")).await;
    assert_eq!(r.status(), 303);
    // … the second is refused with a clear message, and its input is kept in the form.
    let r = alice.post_form(&format!("/units/{id}"), &form("UNIT-A", "甲中心（另一改動）", "1")).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Someone else saved this record"));
    assert!(body.contains("value=\"甲中心（另一改動）\""));
    assert!(body.contains("name=\"version\" value=\"2\""), "re-saving now applies to the current version");
    let u: serde_json::Value = alice.get(&format!("/api/v1/units/{id}")).await.json().await.unwrap();
    assert_eq!(u["name_zh_hant"], "甲中心（改）", "the first save was not overwritten");
}

#[db_test]
async fn concurrent_api_edits_never_overwrite_silently(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let id = app.seeded.unit_a.id;
    let body = |name: &str| serde_json::json!({"version": 1, "code": "UNIT-A", "name_zh_hant": name, "unit_type": "family_centre"});
    let path = format!("/api/v1/units/{id}");
    let (first, second) = (body("甲"), body("乙"));
    let (a, b) = tokio::join!(c.json(reqwest::Method::PUT, &path, &first), c.json(reqwest::Method::PUT, &path, &second));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "exactly one of two edits of the same version wins");
}
