//! In a real browser (headless Chromium through chromedriver, on SQLite): signing in with the
//! form and with the keyboard alone, the language switcher's script, form errors kept in place.
//! Skipped where Chromium or chromedriver is not installed (a failure in CI).

use fantoccini::key::Key;
use fantoccini::Locator;
use shegong_domain::accounts::Role;
use shegong_domain::ports::UnitsRepo;
use shegong_testkit::{Backend, Browser, TestApp, TestDb, PASSWORD};

async fn app() -> TestApp {
    TestApp::spawn(TestDb::new(Backend::Sqlite).await.expect("SQLite is always available")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_switch_language_create_unit() {
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let admin = app.seeded.user(Role::Admin);

    b.sign_in(&admin.username, PASSWORD).await;
    assert_eq!(b.path().await, "/", "signing in lands on the home page");
    assert_eq!(b.find("html").await.attr("lang").await.unwrap().as_deref(), Some("en"), "the admin works in English");
    assert!(b.text("nav").await.contains("Service units"));
    b.screenshot("home").await;

    // The script hides the switcher's button and submits as soon as a language is chosen.
    assert!(!b.find("#locale-submit").await.is_displayed().await.unwrap(), "app.js hides the switch button");
    b.find("#locale-select").await.select_by_value("zh-Hant-HK").await.unwrap();
    b.wait_for("html[lang=\"zh-Hant-HK\"]").await;
    assert_eq!(b.path().await, "/", "the switcher returns to the same page");
    let nav = b.text("nav").await;
    assert!(nav.contains("服務單位") && nav.contains("審計紀錄"), "navigation is in Traditional Chinese: {nav}");
    assert_eq!(b.value("#locale-select").await, "zh-Hant-HK");

    b.goto("/units/new").await;
    b.wait_for("#f-code").await;
    assert!(b.text("label[for=\"f-name_zh_hant\"]").await.contains("名稱（繁體中文）"));
    b.fill("#f-code", "TST-01").await;
    b.fill("#f-name_zh_hant", "測試中心").await;
    b.find("#f-unit_type").await.select_by_value("elderly_centre").await.unwrap();
    b.screenshot("unit-form").await;
    b.find("main form.stack button[type=submit]").await.click().await.unwrap();

    let notice = b.wait_for(".notice.ok").await.text().await.unwrap();
    assert_eq!(notice, "已建立。");
    assert_eq!(b.path().await, "/units?notice=created");
    let row = b.client.find(Locator::XPath("//tbody/tr[td/code[text()='TST-01']]")).await.expect("a row for the new unit");
    let row = row.text().await.unwrap();
    assert!(row.contains("測試中心") && row.contains("長者中心"), "the list shows the unit in Chinese: {row}");

    let units = app.store().list_units(app.seeded.org).await.unwrap();
    let unit = units.iter().find(|u| u.code == "TST-01").expect("the unit is stored");
    assert_eq!(unit.name_zh_hant, "測試中心");
    assert_eq!(unit.unit_type.as_str(), "elderly_centre");

    // The creation is in the audit log, attributed to the admin.
    b.goto("/audit").await;
    b.wait_for("main table").await;
    let entry = b
        .client
        .find(Locator::XPath(&format!("//tbody/tr[td/code[contains(text(), '{}')]]", unit.id)))
        .await
        .expect("an audit entry for the new unit");
    let cell = |n: usize| {
        let entry = entry.clone();
        async move { entry.find(Locator::Css(&format!("td:nth-child({n})"))).await.unwrap().text().await.unwrap() }
    };
    assert_eq!(cell(3).await, admin.username, "the admin did it");
    assert_eq!(cell(4).await, "建立", "shown as created, in the user's language");
    assert!(cell(6).await.contains("TST-01"), "the detail has the code");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_errors_are_shown_in_the_users_language_and_input_is_kept() {
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    b.sign_in(&app.seeded.user(Role::Admin).username, PASSWORD).await;

    b.goto("/units/new").await;
    b.wait_for("#f-code").await;
    b.fill("#f-name_en", "Harbour Centre").await;
    b.fill("#f-latitude", "200").await;
    // The browser itself refuses the empty required code; switch that off to see the server's answer.
    let missing = b.client.execute("return document.getElementById('f-code').validity.valueMissing", vec![]).await.unwrap();
    assert_eq!(missing, serde_json::json!(true), "the code field is marked required for the browser");
    b.client.execute("document.querySelector('main form.stack').noValidate = true", vec![]).await.unwrap();
    b.find("main form.stack button[type=submit]").await.click().await.unwrap();

    let code_error = b.wait_for("#e-code").await.text().await.unwrap();
    assert_eq!(code_error, "Please fill this in.");
    assert_eq!(b.text("#e-latitude").await, "Must be a number between -90 and 90.");
    assert!(b.text("main .notice.error").await.contains("Nothing has been saved yet"));
    assert_eq!(b.find("#f-code").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    assert_eq!(b.find("#f-latitude").await.attr("aria-describedby").await.unwrap().as_deref(), Some("e-latitude"));
    assert_eq!(b.value("#f-latitude").await, "200", "what was typed is still there");
    assert_eq!(b.value("#f-name_en").await, "Harbour Centre");
    assert_eq!(b.value("#f-code").await, "");

    let units = app.store().list_units(app.seeded.org).await.unwrap();
    assert_eq!(units.len(), 2, "nothing was created");
    b.goto("/units").await;
    assert!(!b.wait_for("main").await.text().await.unwrap().contains("Harbour Centre"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_user_can_sign_in() {
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    b.goto("/login").await;
    b.wait_for("#f-username:focus").await;

    b.press_keys(&app.seeded.user(Role::Admin).username).await;
    b.press_keys(&char::from(Key::Tab).to_string()).await;
    b.wait_for("#f-password:focus").await;
    b.press_keys(PASSWORD).await;
    b.press_keys(&char::from(Key::Enter).to_string()).await;

    b.wait_for("form[action=\"/logout\"]").await;
    assert_eq!(b.path().await, "/");
    assert!(b.text("main").await.contains("Welcome, Admin."));
    b.close().await;
}
