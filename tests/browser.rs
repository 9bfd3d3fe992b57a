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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_find_by_phone_edit_and_see_the_audit_entry() {
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let worker = app.seeded.user(Role::SocialWorker);
    let submit = "main form.stack button[type=submit]";

    b.sign_in(&worker.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("zh-Hant-HK").await.unwrap();
    b.wait_for("html[lang=\"zh-Hant-HK\"]").await;

    // Register a person from the navigation, as a worker would.
    b.client.find(Locator::XPath("//nav//a[text()='服務使用者']")).await.unwrap().click().await.unwrap();
    b.wait_for("#f-q").await;
    assert_eq!(b.path().await, "/clients");
    b.client.find(Locator::LinkText("登記服務使用者")).await.unwrap().click().await.unwrap();
    b.wait_for("#f-name_zh").await;
    assert_eq!(b.path().await, "/clients/new");
    b.fill("#f-name_zh", "陳大文").await;
    b.fill("#f-name_en", "Chan Tai Man").await;
    // Typing into a date input depends on the browser's locale; set the value as a date picker would.
    b.client
        .execute(
            "const d = document.getElementById('f-date_of_birth'); d.value = '1948-05-01'; \
             d.dispatchEvent(new Event('input', {bubbles: true})); d.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(b.value("#f-date_of_birth").await, "1948-05-01");
    b.fill("#f-phone-0", "9123 4567").await;
    b.find("#f-id_doc_type").await.select_by_label("香港身份證").await.unwrap();
    b.fill("#f-id_doc_number", "A123456(3)").await;
    b.client.find(Locator::XPath("//label[contains(., '獨居長者')]/input[@type='checkbox']")).await.unwrap().click().await.unwrap();
    b.find(submit).await.click().await.unwrap();

    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    let path = b.path().await;
    let id =
        path.strip_prefix("/clients/").and_then(|p| p.strip_suffix("?notice=created")).unwrap_or_else(|| panic!("on {path}")).to_string();
    assert_eq!(b.text("main h1").await, "陳大文 Chan Tai Man");
    let details = b.text("main table").await;
    assert!(details.contains("陳大文"), "{details}");
    assert!(details.contains("****4563"), "the number is masked for a worker without the grant: {details}");
    assert!(!details.contains("A123456"), "{details}");
    assert!(details.contains("91234567") && details.contains("1948-05-01") && details.contains("獨居長者"), "{details}");
    b.screenshot("client").await;

    // Find them again by a fragment of the phone number.
    b.client.find(Locator::XPath("//nav//a[text()='服務使用者']")).await.unwrap().click().await.unwrap();
    b.wait_for("#f-q").await;
    b.fill("#f-q", "2345").await;
    b.find("form.search button[type=submit]").await.click().await.unwrap();
    // The reloaded page carries the query in the field's HTML (the typed value alone does not).
    b.wait_for("#f-q[value=\"2345\"]").await;
    assert_eq!(b.path().await, "/clients?q=2345&category=&status=active");
    assert_eq!(b.text("main p.muted[role=status]").await, "找到 1 位");
    let rows = b.client.find_all(Locator::Css("main tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1, "exactly one result");
    assert!(rows[0].text().await.unwrap().starts_with("陳大文 Chan Tai Man"));

    // Open the record, change the address.
    b.client.find(Locator::LinkText("陳大文 Chan Tai Man")).await.unwrap().click().await.unwrap();
    b.wait_for("main a[href$=\"/edit\"]").await;
    assert_eq!(b.path().await, format!("/clients/{id}"));
    b.client.find(Locator::LinkText("修改")).await.unwrap().click().await.unwrap();
    b.wait_for("#f-address").await;
    assert_eq!(b.value("#f-id_doc_number").await, "****4563", "the form shows the masked number too");
    b.fill("#f-address", "北河街 1 號").await;
    b.find(submit).await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已儲存。");
    assert_eq!(b.path().await, format!("/clients/{id}?notice=saved"));
    let address = b.client.find(Locator::XPath("//main//tr[th[text()='地址']]/td")).await.unwrap().text().await.unwrap();
    assert!(address.contains("北河街 1 號"), "the address row: {address}");
    assert!(b.text("main table").await.contains("****4563"));

    // A second person with the same phone: warned first, registered once confirmed.
    b.goto("/clients/new").await;
    b.wait_for("#f-name_zh").await;
    b.fill("#f-name_zh", "李美玲").await;
    b.fill("#f-phone-0", "9123 4567").await;
    b.find(submit).await.click().await.unwrap();
    let warning = b.wait_for("main .notice.error").await.text().await.unwrap();
    assert!(warning.contains("此人可能已經登記"), "{warning}");
    assert!(warning.contains("陳大文 Chan Tai Man") && warning.contains("電話相同"), "{warning}");
    let link = b.find("main .notice.error li a").await;
    assert_eq!(link.attr("href").await.unwrap(), Some(format!("/clients/{id}")));
    assert_eq!(b.value("#f-name_zh").await, "李美玲", "what was typed is kept");
    assert_eq!(b.value("#f-phone-0").await, "9123 4567");
    b.client.find(Locator::XPath("//label[contains(., '仍然登記')]/input[@name='confirm']")).await.unwrap().click().await.unwrap();
    b.find(submit).await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    assert_eq!(b.text("main h1").await, "李美玲");
    let second = b.path().await;
    assert!(second.starts_with("/clients/") && second.ends_with("?notice=created") && !second.contains(&id), "a new record: {second}");

    // The admin sees the creation, the views and the change in the audit log.
    b.find("form[action=\"/logout\"] button[type=submit]").await.click().await.unwrap();
    b.wait_for("#f-username").await;
    assert_eq!(b.path().await, "/login?notice=signed-out");
    b.sign_in(&app.seeded.user(Role::Admin).username, PASSWORD).await;
    b.goto("/audit").await;
    b.wait_for("main table").await;
    let mut actions = Vec::new();
    for row in b.client.find_all(Locator::XPath(&format!("//tbody/tr[td[5]/code[text()='{id}']]"))).await.unwrap() {
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        let cell = |n: usize| cells[n].text();
        assert_eq!(cell(2).await.unwrap(), worker.username, "the worker did it");
        assert!(cell(4).await.unwrap().starts_with("client "), "the entity is a client");
        actions.push((cell(3).await.unwrap(), cell(5).await.unwrap()));
    }
    // Newest first: viewed after saving, changed, viewed in the edit form, viewed from the search,
    // viewed after registering, created.
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    // The edit form shows the whole record too, so opening it counts as a view.
    assert_eq!(names, ["Viewed", "Changed", "Viewed", "Viewed", "Viewed", "Created"], "{actions:?}");
    assert!(actions[1].1.contains("\"address\""), "the change names the field changed: {}", actions[1].1);
    assert!(!actions[1].1.contains("北河街"), "but keeps no personal data: {}", actions[1].1);
    assert!(
        actions[5].1.contains("\"name_zh\"") && !actions[5].1.contains("陳大文") && !actions[5].1.contains("A123456"),
        "the creation: {}",
        actions[5].1
    );
    b.close().await;
}

/// The casework cycle in 繁體中文: intake from a client's record, a case note, a plan submitted
/// and approved by the unit's supervisor, a closure requested and approved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casework_from_intake_to_closure_in_traditional_chinese() {
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let worker = app.seeded.user(Role::SocialWorker);
    let supervisor = app.seeded.user(Role::Supervisor);
    let click = |css: &'static str| {
        let b = &b;
        async move { b.find(css).await.click().await.unwrap() }
    };
    let switch_to_chinese = || async {
        b.find("#locale-select").await.select_by_value("zh-Hant-HK").await.unwrap();
        b.wait_for("html[lang=\"zh-Hant-HK\"]").await;
    };
    let sign_out = || async {
        b.find("form[action=\"/logout\"] button[type=submit]").await.click().await.unwrap();
        b.wait_for("#f-username").await;
    };

    b.sign_in(&worker.username, PASSWORD).await;
    switch_to_chinese().await;
    assert!(b.text("nav").await.contains("個案"), "the worker sees casework in the navigation");

    // Register the person, then open a case from their record (intake).
    b.goto("/clients/new").await;
    b.wait_for("#f-name_zh").await;
    b.fill("#f-name_zh", "黃小明").await;
    b.fill("#f-phone-0", "9876 5432").await;
    click("main form.stack button[type=submit]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    b.client.find(Locator::LinkText("開立個案")).await.unwrap().click().await.unwrap();
    b.wait_for("#f-intake_summary").await;
    assert!(b.path().await.starts_with("/cases/new?client="));
    assert!(b.text("main").await.contains("黃小明"), "the intake names the person");
    b.client.find(Locator::XPath("//label[contains(., '家庭衝突')]/input[@type='checkbox']")).await.unwrap().click().await.unwrap();
    b.fill("#f-intake_summary", "因家中經常爭吵求助。").await;
    b.screenshot("case-intake").await;
    click("main form.stack button[type=submit]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    let path = b.path().await;
    let case_path = path.strip_suffix("?notice=created").unwrap_or_else(|| panic!("on {path}")).to_string();
    assert!(case_path.starts_with("/cases/"), "{case_path}");
    let details = b.text("main table").await;
    assert!(details.contains("黃小明") && details.contains("家庭衝突") && details.contains("開放中"), "{details}");

    // A case note.
    click("#form-note summary").await;
    b.fill("#note-body", "與案主面談，了解家庭衝突情況。").await;
    b.submit("#form-note button[type=submit]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已儲存。");
    assert!(b.text("ol.notes").await.contains("與案主面談"), "the note is listed");

    // A case plan, submitted for approval.
    click("#form-plan summary").await;
    b.fill("#plan-goal-0", "減少家庭衝突").await;
    b.fill("#plan-interventions-0", "每兩星期家訪及家庭輔導").await;
    // The note's page shows the same notice: read the plan's only once its page has loaded.
    b.submit("#form-plan button[name=submit]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已儲存。");
    let main = b.text("main").await;
    assert!(main.contains("待審批") && main.contains("此計劃正等待督導審批。"), "{main}");

    // The unit's supervisor approves it from the to-do list.
    sign_out().await;
    b.sign_in(&supervisor.username, PASSWORD).await;
    switch_to_chinese().await;
    b.goto("/cases/todo").await;
    b.wait_for("main h1").await;
    let todo = b.text("main").await;
    assert!(todo.contains("待批計劃"), "the plan waits on the supervisor's list: {todo}");
    b.client.find(Locator::LinkText("批准或退回")).await.unwrap().click().await.unwrap();
    b.wait_for("#form-plan-decision").await;
    click("#form-plan-decision button[value=true]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已儲存。");
    let main = b.text("main").await;
    assert!(main.contains("已批准") && main.contains("介入"), "the plan is in force and the case in intervention: {main}");

    // The worker asks to close the case.
    sign_out().await;
    b.sign_in(&worker.username, PASSWORD).await;
    b.wait_for("html[lang=\"zh-Hant-HK\"]").await;
    b.goto(&case_path).await;
    b.wait_for("#form-close").await;
    click("#form-close summary").await;
    b.find("#close-reason").await.select_by_value("goals_achieved").await.unwrap();
    b.fill("#close-summary", "家庭關係改善，目標已達成。").await;
    click("#form-close button[type=submit]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已儲存。");
    let main = b.text("main").await;
    assert!(main.contains("待批准結案") && main.contains("已申請結案，正等待督導審批。"), "{main}");

    // The supervisor approves the closure.
    sign_out().await;
    b.sign_in(&supervisor.username, PASSWORD).await;
    b.goto("/cases/todo").await;
    b.wait_for("main h1").await;
    assert!(b.text("main").await.contains("待批結案"));
    b.goto(&case_path).await;
    b.wait_for("#form-closure-decision").await;
    click("#form-closure-decision button[value=true]").await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已儲存。");
    assert!(b.text("main h1").await.contains("已結案"), "the case shows as closed");
    let details = b.text("main table").await;
    assert!(details.contains("已結案") && details.contains("已達成目標"), "{details}");
    assert!(b.text("ol.timeline").await.contains("結案"), "the timeline records the closure");
    b.screenshot("case-closed").await;

    // The supervisor's other views.
    b.goto("/cases?view=unit&status=closed").await;
    assert!(b.wait_for("main tbody").await.text().await.unwrap().contains("黃小明"), "the closed case is listed");
    b.goto("/cases/team").await;
    b.wait_for("main h1").await;
    assert_eq!(b.text("main h1").await, "團隊個案量");
    b.goto("/cases/stats?group_by=problem").await;
    let stats = b.wait_for("main table").await.text().await.unwrap();
    assert!(stats.contains("家庭衝突") && stats.contains("總數"), "{stats}");
    b.goto("/cases/stats?from=2026-13-01").await;
    assert_eq!(b.wait_for("#e-f-from").await.text().await.unwrap(), "請用 YYYY-MM-DD 格式。");

    // The administrator configures casework (and reads no case).
    sign_out().await;
    b.sign_in(&app.seeded.user(Role::Admin).username, PASSWORD).await;
    b.goto("/cases/settings").await;
    b.wait_for("#f-review_days").await;
    assert_eq!(b.value("#f-review_days").await, "90");
    b.goto(&case_path).await;
    assert!(
        b.wait_for("main").await.text().await.unwrap().contains("You do not have permission"),
        "the admin (in English) cannot open the case"
    );
    b.close().await;
}

/// A group planned on the pages, three sessions, five clients enrolled, attendance ticked on a
/// phone-sized window; the activity page and the counts show person-times and unique persons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_attendance_on_a_phone_and_the_counts() {
    let app = app().await;
    let worker = app.seeded.user(Role::SocialWorker);
    let unit = app.seeded.unit_a.id;
    // Five invented people, registered through the API beforehand.
    let names = ["Kite Ada", "Kite Ben", "Kite Cleo", "Kite Dev", "Kite Eli"];
    let api = app.signed_in(Role::SocialWorker).await;
    for (i, name) in names.iter().enumerate() {
        let body = serde_json::json!({"unit_id": unit.to_string(), "name_en": name, "phones": [format!("6555 010{i}")]});
        let r = api.json(reqwest::Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await;
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    }
    let Some(b) = Browser::start(&app.base).await else { return };
    let submit = |css: &'static str| {
        let b = &b;
        async move { b.find(css).await.click().await.unwrap() }
    };
    b.sign_in(&worker.username, PASSWORD).await;

    // Plan the group.
    b.goto("/activities").await;
    b.client.find(Locator::LinkText("Plan an activity")).await.unwrap().click().await.unwrap();
    b.wait_for("#f-kind").await;
    b.find("#f-kind").await.select_by_value("group").await.unwrap();
    b.find("#f-unit_id").await.select_by_value(&unit.to_string()).await.unwrap();
    b.fill("#f-title_en", "Kite-making group").await;
    b.find("#f-domain").await.select_by_value("elderly").await.unwrap();
    b.client.find(Locator::Css("input[name=target_categories][value=elderly_alone]")).await.unwrap().click().await.unwrap();
    b.fill("#f-capacity", "8").await;
    submit("main form.stack button[type=submit]").await;
    b.wait_for(".notice.ok").await;
    let path = b.path().await;
    let activity_path = path.strip_suffix("?notice=created").unwrap_or_else(|| panic!("on {path}")).to_string();
    assert_eq!(b.text("main h1").await, "Kite-making group");

    // Three weekly sessions (inside the counts' default period: the last twelve months).
    for (n, date) in ["2026-02-02", "2026-02-09", "2026-02-16"].into_iter().enumerate() {
        b.fill("#f-date", date).await;
        b.fill("#f-venue", "Activity room").await;
        b.fill("#f-starts_at", "14:30").await;
        b.fill("#f-ends_at", "16:00").await;
        submit("#add-session button[type=submit]").await;
        b.wait_for(&format!("#sessions + table tbody tr:nth-child({})", n + 1)).await;
    }
    assert_eq!(b.text("#sessions-held").await, "0", "no session is held before attendance is taken");

    // Find the five and enrol them.
    b.fill("#f-find", "kite").await;
    submit("form.filters button[type=submit]").await;
    b.wait_for("#enrol input[name=client]").await;
    let boxes = b.client.find_all(Locator::Css("#enrol input[name=client]")).await.unwrap();
    assert_eq!(boxes.len(), 5, "the search finds the five clients");
    for cb in boxes {
        cb.click().await.unwrap();
    }
    submit("#enrol button[type=submit]").await;
    b.wait_for("#participants + table tbody tr:nth-child(5)").await;
    let participants = b.text("#participants + table").await;
    for name in names {
        assert!(participants.contains(name), "{name} is enrolled: {participants}");
    }
    let session_links: Vec<String> = {
        let mut out = Vec::new();
        for a in b.client.find_all(Locator::Css("#sessions + table tbody a")).await.unwrap() {
            out.push(a.attr("href").await.unwrap().unwrap());
        }
        out
    };
    assert_eq!(session_links.len(), 3);

    // Attendance on a phone: 5 at session 1, 3 at session 2, 4 at session 3 (overlapping people).
    b.client.set_window_size(390, 844).await.unwrap();
    let present: [&[&str]; 3] = [&names, &["Kite Ada", "Kite Ben", "Kite Cleo"], &["Kite Ada", "Kite Cleo", "Kite Dev", "Kite Eli"]];
    for (i, (href, who)) in session_links.iter().zip(present).enumerate() {
        b.goto(href).await;
        b.wait_for("#checklist").await;
        let width: serde_json::Value = b.client.execute("return window.innerWidth", vec![]).await.unwrap();
        assert!(width.as_i64().unwrap() <= 390, "a phone-sized viewport: {width}");
        let scroll: serde_json::Value =
            b.client.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![]).await.unwrap();
        assert_eq!(scroll, serde_json::json!(false), "the checklist fits the phone without scrolling sideways");
        assert_eq!(b.text("#present-count").await, "0");
        if i == 0 {
            submit("#all-present").await;
        } else {
            for name in who {
                let xpath = format!("//form[@id='checklist']//label[span[text()='{name}']]/input[@type='checkbox']");
                let cb = b.client.find(Locator::XPath(&xpath)).await.unwrap_or_else(|e| panic!("a box for {name}: {e}"));
                assert!(cb.is_displayed().await.unwrap(), "{name}'s box is visible");
                cb.click().await.unwrap();
            }
            submit("#save-attendance").await;
        }
        b.wait_for(".notice.ok").await;
        assert_eq!(b.path().await, format!("{href}?notice=saved"));
        assert_eq!(b.text("#present-count").await, who.len().to_string(), "session {}", i + 1);
        let ticked = b.client.find_all(Locator::Css("#checklist input[name=present]:checked")).await.unwrap();
        assert_eq!(ticked.len(), who.len(), "the saved ticks are shown again");
        if i == 2 {
            b.screenshot("attendance-phone").await;
        }
    }

    // The activity page adds up the attendances…
    b.goto(&activity_path).await;
    b.wait_for("#activity-counts").await;
    assert_eq!(b.text("#sessions-held").await, "3");
    assert_eq!(b.text("#person-times").await, "12", "person-times = attendances");

    // …and the counts page shows person-times and distinct people for the period.
    b.goto("/activities").await;
    b.client.find(Locator::LinkText("Counts")).await.unwrap().click().await.unwrap();
    b.wait_for("#counts").await;
    let header: Vec<String> = {
        let mut out = Vec::new();
        for th in b.client.find_all(Locator::Css("#counts thead th")).await.unwrap() {
            out.push(th.text().await.unwrap());
        }
        out
    };
    let rows = b.client.find_all(Locator::Css("#counts tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1, "one total row");
    let mut cells = Vec::new();
    for td in rows[0].find_all(Locator::Css("td")).await.unwrap() {
        cells.push(td.text().await.unwrap());
    }
    let cell = |label: &str| {
        let i = header.iter().position(|h| h == label).unwrap_or_else(|| panic!("a `{label}` column in {header:?}"));
        cells[i].clone()
    };
    assert_eq!(cell("Person-times"), "12", "5 + 3 + 4 attendances");
    assert_eq!(cell("Unique persons"), "5", "five different people, each counted once");
    assert_eq!(cell("Sessions held"), "3");
    assert_eq!(cell("Groups / events held"), "1");
    assert!(b.text("#counts-scope").await.contains("2 Mar 2026"), "the period ends today");
    b.screenshot("activity-counts-phone").await;
    b.close().await;
}

/// A hotline operator logs an imminent-risk call in Simplified Chinese, escalated to the unit's
/// supervisor with a follow-up; the supervisor sees the escalation on screen and acknowledges it;
/// the follow-up waits in the queue until it is closed.
#[tokio::test]
async fn hotline_high_risk_call_escalated_and_followed_up_in_simplified_chinese() {
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let operator = app.seeded.user(Role::HotlineOperator);
    let supervisor = app.seeded.user(Role::Supervisor);
    let switch_to_chinese = || async {
        b.find("#locale-select").await.select_by_value("zh-Hans-CN").await.unwrap();
        b.wait_for("html[lang=\"zh-Hans-CN\"]").await;
    };
    let sign_out = || async {
        b.find("form[action=\"/logout\"] button[type=submit]").await.click().await.unwrap();
        b.wait_for("#f-username").await;
    };

    b.sign_in(&operator.username, PASSWORD).await;
    switch_to_chinese().await;
    assert!(b.text("nav").await.contains("热线"), "the operator sees the hotline in the navigation");
    b.goto("/hotline").await;
    b.wait_for("#call-form").await;
    // A high-risk call without a supervisor is refused, with the input kept.
    b.fill("#f-caller_phone", "6123 4567").await;
    b.find("#f-call_type").await.select_by_value("counselling").await.unwrap();
    b.fill("#f-note", "来电人情绪激动，表示不想活下去。").await;
    b.find("#f-risk").await.select_by_value("imminent").await.unwrap();
    b.find("#f-outcome").await.select_by_value("follow_up").await.unwrap();
    b.find("#call-form button[type=submit]").await.click().await.unwrap();
    b.wait_for(".field-error").await;
    assert!(b.text("main").await.contains("请选择接手这个高风险来电的督导。"));
    assert_eq!(b.value("#f-note").await, "来电人情绪激动，表示不想活下去。", "the note is kept");
    b.find("#f-escalate_to").await.select_by_value(&supervisor.id.to_string()).await.unwrap();
    b.fill("#f-action", "保持通话，已与来电人制定安全计划。").await;
    b.find("#f-outcome").await.select_by_value("follow_up").await.unwrap();
    b.find("#call-form button[type=submit]").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    let queue = b.text("ul.queue").await;
    assert!(queue.contains("跟进电话") && queue.contains("61234567"), "{queue}");
    b.screenshot("hotline-call-logged").await;

    // The supervisor sees the escalation on screen until acknowledging it.
    sign_out().await;
    b.sign_in(&supervisor.username, PASSWORD).await;
    switch_to_chinese().await;
    b.goto("/").await;
    let home = b.wait_for("#home-escalations").await.text().await.unwrap();
    assert!(home.contains("有 1 个高风险热线来电上报给你"), "the home page points to it: {home}");
    b.goto("/hotline").await;
    let esc = b.wait_for("#escalations").await.text().await.unwrap();
    assert!(esc.contains("紧迫") && esc.contains("保持通话"), "{esc}");
    b.find("#escalations button[type=submit]").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    assert!(b.client.find(fantoccini::Locator::Css("#escalations")).await.is_err(), "acknowledged escalations leave the screen");

    // The follow-up is closed from the queue.
    b.fill("ul.queue input[name=result]", "已回电，来电人已在亲属家中，情况稳定。").await;
    b.find("ul.queue button[type=submit]").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    assert!(b.text("main").await.contains("没有需要跟进的事项。"));
    b.close().await;
}

/// In 繁體中文, a supervisor creates a training course and a duty that requires it; an untrained
/// volunteer is refused with the course named; the training is recorded; the volunteer is
/// assigned; the hours are confirmed; the certificate prints in Traditional Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volunteer_course_duty_refusal_training_hours_and_certificate_in_traditional_chinese() {
    use shegong_domain::accounts::Actor;
    use shegong_domain::ports::VolunteersRepo;
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let input = shegong_domain::volunteers::VolunteerInput {
        unit_id: Some(app.seeded.unit_a.id),
        name_zh: "張小明".into(),
        active: true,
        ..Default::default()
    };
    let admin = Actor::from(app.seeded.user(Role::Admin));
    let vid = app.store().create_volunteer(&admin, &input.validate(today).unwrap()).await.unwrap().id.to_string();
    let set = |css: &'static str, value: &'static str| {
        let b = &b;
        async move {
            let js = format!("document.querySelector('{css}').value = '{value}'");
            b.client.execute(&js, vec![]).await.unwrap();
        }
    };

    b.sign_in(&app.seeded.user(Role::Supervisor).username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("zh-Hant-HK").await.unwrap();
    b.wait_for("html[lang=\"zh-Hant-HK\"]").await;
    assert!(b.text("nav").await.contains("義工"), "the supervisor sees volunteers in the navigation");

    // A course.
    b.goto("/volunteers/courses").await;
    b.wait_for("#course-form").await;
    b.fill("#c-title_zh_hant", "長者探訪訓練").await;
    b.fill("#c-hours", "3").await;
    b.find("#course-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    assert!(b.text("#courses").await.contains("長者探訪訓練"));

    // A duty that requires it.
    b.goto("/volunteers/duties").await;
    b.wait_for("#duty-form").await;
    b.fill("#d-title", "探訪獨居長者").await;
    set("#d-date", "2026-03-07").await;
    set("#d-starts_at", "09:00").await;
    set("#d-ends_at", "12:00").await;
    b.find("#duty-form input[name=courses]").await.click().await.unwrap();
    b.find("#duty-form button[type=submit]").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    assert!(b.path().await.starts_with("/volunteers/duties/"), "the new duty's page");
    assert!(b.text("main").await.contains("長者探訪訓練"), "the duty names the course it requires");
    let duty_path = b.path().await.split('?').next().unwrap().to_string();

    // The untrained volunteer is refused, with the course named.
    b.find("#a-volunteer_id").await.select_by_value(&vid).await.unwrap();
    b.find("#assign-form button[type=submit]").await.click().await.unwrap();
    let refusal = b.wait_for("#assign-errors").await.text().await.unwrap();
    assert!(refusal.contains("未能編配此義工") && refusal.contains("尚未完成必修培訓「長者探訪訓練」"), "{refusal}");
    b.screenshot("volunteer-refused-untrained").await;

    // Trained, then assigned.
    b.goto(&format!("/volunteers/{vid}")).await;
    b.wait_for("#training-form").await;
    assert!(b.text("main").await.contains("仍需完成") || b.text("main").await.contains("張小明"));
    b.find("#t-course_id").await.select_by_index(1).await.unwrap();
    b.find("#training-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已記錄培訓。");
    b.goto(&duty_path).await;
    b.find("#a-volunteer_id").await.select_by_value(&vid).await.unwrap();
    b.find("#assign-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已編配。");
    assert!(b.text("#assignments").await.contains("張小明"));

    // The hours are confirmed (the duty's three hours).
    b.find("#assignments form[action$=\"/confirm\"] button[type=submit]").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    assert!(b.text("#assignments").await.contains("已記錄時數"));

    // The certificate in Traditional Chinese.
    b.goto(&format!("/volunteers/{vid}")).await;
    assert_eq!(b.wait_for("#year-hours").await.text().await.unwrap(), "3.0");
    b.find("a.certificate-link[lang=\"zh-Hant-HK\"]").await.click().await.unwrap();
    assert_eq!(b.wait_for("#certificate-hours").await.text().await.unwrap(), "3.0");
    assert_eq!(b.find("html").await.attr("lang").await.unwrap().as_deref(), Some("zh-Hant-HK"));
    let cert = b.text("main").await;
    assert!(
        cert.contains("義工服務證書") && cert.contains("茲證明 張小明 曾於本機構擔任義工") && cert.contains("2026年服務時數"),
        "{cert}"
    );
    b.screenshot("volunteer-certificate").await;
    b.close().await;
}

/// The toy library in Traditional Chinese: a social worker adds a toy, enrols a household,
/// lends the toy at the counter by typing (as a scanner does) the member number and the toy
/// code each ended by Enter, takes it back with a part missing, finds it in the repair queue,
/// and sees the family's points balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toy_library_lend_and_return_with_a_missing_part_in_traditional_chinese() {
    use shegong_domain::accounts::Actor;
    use shegong_domain::clients::{ClientInput, HouseholdInput, MemberInput};
    use shegong_domain::ports::ClientsRepo;
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let worker = app.seeded.user(Role::SocialWorker);
    let store = app.store();
    let actor = Actor::from(worker);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let input = ClientInput {
        unit_id: Some(app.seeded.unit_a.id),
        name_zh: "區美華".into(),
        phones: vec!["91112222".into()],
        ..Default::default()
    };
    let client =
        store.create_client(&actor, &input.validate(today, &store.categories(app.seeded.org).await.unwrap()).unwrap()).await.unwrap();
    let h = HouseholdInput {
        unit_id: Some(app.seeded.unit_a.id),
        name: "區家".into(),
        address: String::new(),
        members: vec![MemberInput { client_id: client.id, relationship: "head".into() }],
    };
    store.create_household(&actor, &h.validate().unwrap()).await.unwrap();
    shegong_web::clients::reindex(&app.state, std::slice::from_ref(&client)).await;

    b.sign_in(&worker.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("zh-Hant-HK").await.unwrap();
    b.wait_for("html[lang=\"zh-Hant-HK\"]").await;
    assert!(b.text("nav").await.contains("玩具圖書館"));

    // Add a toy of eight parts.
    b.goto("/lending").await;
    b.wait_for("#toy-form").await;
    b.fill("#t-name", "木製農場").await;
    b.fill("#t-parts", "8").await;
    b.find("#toy-form input[value=fine_motor]").await.click().await.unwrap();
    b.find("#toy-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    let code = b.text("h1 code").await;
    assert!(b.text("#toy-facts").await.contains("可借用"));

    // Enrol the household, found by the head's name.
    b.goto("/lending/members?find=區美華").await;
    b.wait_for("#found form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已建立。");
    let member_no = b.text("h1 code").await;
    b.screenshot("lending-member").await;

    // At the counter: the member number, Enter; the toy code, Enter.
    b.goto("/lending/counter").await;
    b.wait_for("#c-member_no").await.click().await.unwrap();
    b.press_keys(&format!("{member_no}{}", char::from(Key::Enter))).await;
    b.wait_for("#c-toy_code").await;
    assert!(b.text("#counter-member").await.contains("區家"));
    b.press_keys(&format!("{code}{}", char::from(Key::Enter))).await;
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已借出。請掃描下一件玩具。");
    // The same toy again is refused with a clear message.
    b.wait_for("#c-toy_code").await;
    b.press_keys(&format!("{code}{}", char::from(Key::Enter))).await;
    assert_eq!(b.wait_for("#e-toy_code").await.text().await.unwrap(), "這件玩具已經借出，不能重複借出。");

    // Taken back with seven parts of eight.
    b.fill("#c-return_code", &code).await;
    b.find("#return-scan button[type=submit]").await.click().await.unwrap();
    b.wait_for("#return-form").await;
    assert!(b.text("#return-form").await.contains("共 8 件"));
    b.fill("#c-parts_returned", "7").await;
    b.fill("#c-note", "少了一隻小羊").await;
    b.screenshot("lending-return").await;
    b.find("#return-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已歸還。玩具已列入維修清單。");

    // The repair queue holds it, with the part missing.
    b.goto("/lending/repairs").await;
    let queue = b.wait_for("#repairs").await.text().await.unwrap();
    assert!(queue.contains("木製農場") && queue.contains("欠缺配件") && queue.contains("少了一隻小羊"), "{queue}");
    b.screenshot("lending-repairs").await;

    // The household earned its on-time points.
    b.goto("/lending/members").await;
    b.wait_for("#members a").await.click().await.unwrap();
    assert_eq!(b.wait_for("#points-balance").await.text().await.unwrap(), "積分結餘：5");
    assert!(b.text("#ledger").await.contains("準時歸還"));
    b.close().await;
}

/// The reports in Simplified Chinese: a supervisor opens the dashboard (SVG charts, monthly
/// table), then the month's output report, downloads its Excel file, and the workbook holds
/// the figures the page shows, under Chinese headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_dashboard_and_excel_in_simplified_chinese() {
    use calamine::{Data, Reader, Xlsx};
    use serde_json::json;
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let sup = app.seeded.user(Role::Supervisor);
    let unit = app.seeded.unit_a.id.to_string();
    let c = app.signed_in(Role::Supervisor).await;
    let mut people = Vec::new();
    for i in 0..6 {
        let body = json!({"unit_id": unit, "name_zh": format!("报表测试{i}"), "phones": [format!("5555{i:04}")]});
        let r = c.json(reqwest::Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await;
        people.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    let body = json!({"unit_id": unit, "kind": "group", "title_zh_hans": "长者记忆小组", "domain": "elderly", "objectives": "记忆训练"});
    let a = c.json(reqwest::Method::POST, "/api/v1/activities", &body).await.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.json(reqwest::Method::POST, &format!("/api/v1/activities/{a}/participants"), &json!({"clients": people})).await;
    for day in ["2026-02-03", "2026-02-10"] {
        let s = json!({"date": day, "starts_at": "10:00", "ends_at": "11:00", "venue": "活动室"});
        let s =
            c.json(reqwest::Method::POST, &format!("/api/v1/activities/{a}/sessions"), &s).await.json::<serde_json::Value>().await.unwrap();
        let s = s["id"].as_str().unwrap();
        c.json(reqwest::Method::POST, &format!("/api/v1/sessions/{s}/attendance"), &json!({"all_enrolled_present": true})).await;
    }

    b.sign_in(&sup.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("zh-Hans-CN").await.unwrap();
    b.wait_for("html[lang=\"zh-Hans-CN\"]").await;
    assert!(b.text("nav").await.contains("统计报表"));
    b.goto("/reports/dashboard").await;
    b.wait_for("#chart-people").await;
    assert_eq!(b.text("h1").await, "数据看板");
    let table = b.text("#trend-table").await;
    assert!(table.contains("2026-02") && table.contains("人次"), "{table}");
    b.screenshot("reports-dashboard").await;

    b.goto("/reports").await;
    b.find("#r-period").await.select_by_value("month").await.unwrap();
    b.fill("#r-value", "2026-02").await;
    b.find("#report-form button[type=submit]").await.click().await.unwrap();
    b.wait_for("#report-lines").await;
    let cell = |m: &str| format!("#report-lines tr[data-measure=\"{m}\"] td.num");
    assert_eq!(b.text(&cell("person_times")).await, "12");
    assert_eq!(b.text(&cell("unique_persons")).await, "6");
    assert!(b.text("#report-period").await.contains("2026-02"));
    b.screenshot("reports-outputs").await;

    // The file behind the Excel link, read back.
    let href = b.find("#export-xlsx").await.attr("href").await.unwrap().unwrap();
    let r = c.get(&href).await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names()[0], "摘要");
    let summary = wb.worksheet_range("摘要").unwrap();
    let value =
        |name: &str| summary.rows().find(|r| r.first().map(|c| c.to_string()).as_deref() == Some(name)).and_then(|r| r.get(1).cloned());
    assert_eq!(value("人次"), Some(Data::Float(12.0)));
    assert_eq!(value("人数"), Some(Data::Float(6.0)));
    assert_eq!(value("小组节数"), Some(Data::Float(2.0)));
    b.close().await;
}

/// Emergency assistance in English: a social worker records a donation of 100 boxes of masks,
/// opens an assistance request from today's phone check-in (the household comes over), and
/// dispatches it to a trained volunteer; the volunteer hands over 30 boxes with the recipient's
/// confirmation; the stock shows 70 and the donor's report shows one household reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_donation_of_masks_reaches_a_household_through_a_check_in_request() {
    use shegong_domain::accounts::Actor;
    use shegong_domain::clients::{ClientInput, HouseholdInput, MemberInput};
    use shegong_domain::donations::DonorInput;
    use shegong_domain::hotline::ScheduleInput;
    use shegong_domain::ports::{ClientsRepo, DonationsRepo, HotlineRepo};
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let worker = app.seeded.user(Role::SocialWorker);
    let volunteer = app.seeded.user(Role::Volunteer);
    let store = app.store();
    let actor = Actor::from(worker);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let unit = app.seeded.unit_a.id;
    let mut members = Vec::new();
    let mut head = None;
    for name in ["何婆婆", "何伯伯"] {
        let input = ClientInput {
            unit_id: Some(unit),
            name_zh: name.into(),
            phones: vec![format!("9{:07}", members.len() + 1)],
            ..Default::default()
        };
        let c =
            store.create_client(&actor, &input.validate(today, &store.categories(app.seeded.org).await.unwrap()).unwrap()).await.unwrap();
        head.get_or_insert(c.id);
        members.push(MemberInput { client_id: c.id, relationship: if members.is_empty() { "head".into() } else { "spouse".into() } });
    }
    let h = HouseholdInput { unit_id: Some(unit), name: "何家".into(), address: "秀茂坪邨秀明樓 1 號".into(), members };
    store.create_household(&actor, &h.validate().unwrap()).await.unwrap();
    let donor = DonorInput { name: "Good Neighbour Ltd".into(), kind: "company".into(), ..Default::default() };
    let donor = store.create_donor(&actor, &donor.validate().unwrap()).await.unwrap();
    let schedule = ScheduleInput { unit_id: Some(unit), client_id: head, worker_id: Some(worker.id), every_days: 7, first_on: None };
    store.create_schedule(&actor, &schedule.validate(today).unwrap()).await.unwrap();

    b.sign_in(&worker.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("en").await.unwrap();
    b.wait_for("html[lang=\"en\"]").await;

    // 100 boxes of masks from the company.
    b.goto("/donations").await;
    b.wait_for("#donation-form").await;
    b.find("#g-donor_id").await.select_by_value(&donor.id.to_string()).await.unwrap();
    b.fill("#i0-name", "Surgical masks").await;
    b.find("#i0-category").await.select_by_value("masks").await.unwrap();
    b.fill("#i0-uom", "box").await;
    b.fill("#i0-quantity", "100").await;
    b.fill("#i0-value", "35.50").await;
    b.find("#i0-basis").await.select_by_value("invoice").await.unwrap();
    b.find("#donation-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Donation recorded.");
    assert_eq!(b.text("h1 code").await, "R000001");
    b.find("#receipt-link").await.click().await.unwrap();
    assert!(b.wait_for("#receipt-text").await.text().await.unwrap().contains("Good Neighbour Ltd"));
    b.screenshot("donation-receipt").await;

    // From today's check-in list on the hotline page, one step to a request.
    b.goto("/hotline").await;
    b.wait_for("#check-in-list a.check-in-assistance").await.click().await.unwrap();
    b.wait_for("#request-form").await;
    b.find("#r-need").await.select_by_value("masks").await.unwrap();
    b.find("#r-consent").await.click().await.unwrap();
    b.find("#request-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Request taken.");
    assert!(b.text("h1").await.contains("何家"), "the household came over from the check-in");
    b.find("#d-assignee_id").await.select_by_value(&volunteer.id.to_string()).await.unwrap();
    b.find("#dispatch-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Dispatched.");
    b.screenshot("assistance-request").await;
    b.find("form[action=\"/logout\"] button[type=submit]").await.click().await.unwrap();

    // The volunteer delivers 30 boxes, confirmed by the recipient.
    b.sign_in(&volunteer.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("en").await.unwrap();
    b.wait_for("html[lang=\"en\"]").await;
    b.goto("/assistance/mine").await;
    let card = b.wait_for("#deliveries li").await.text().await.unwrap();
    assert!(card.contains("何家") && card.contains("秀茂坪邨秀明樓 1 號"), "{card}");
    b.fill(".deliver-form #v-recipient_name", "何婆婆").await;
    b.find(".deliver-form #v-item_id option:nth-child(2)").await.click().await.unwrap();
    b.fill(".deliver-form #v-quantity", "30").await;
    b.find(".deliver-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Recorded.");
    b.screenshot("assistance-delivered").await;
    b.find("form[action=\"/logout\"] button[type=submit]").await.click().await.unwrap();

    // Stock 100 − 30, and the donor's report.
    b.sign_in(&worker.username, PASSWORD).await;
    b.goto("/donations/stock").await;
    assert_eq!(b.wait_for("#stock td.qty").await.text().await.unwrap(), "70 box");
    b.goto(&format!("/donations/reports?donor_id={}", donor.id)).await;
    assert_eq!(b.wait_for("#households-reached").await.text().await.unwrap(), "1");
    assert_eq!(b.text("#persons-reached").await, "2");
    let items = b.text("#report-items").await;
    assert!(items.contains("100") && items.contains("30"), "{items}");
    b.screenshot("donor-report").await;
    b.close().await;
}

/// In 简体中文, an administrator imports a population grid, sees the map of walking times and
/// the table by category, adds a candidate site by clicking the map, asks for a suggestion, and
/// gets a settings error in Chinese with the input kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_map_grid_site_and_suggestion_in_simplified_chinese() {
    use shegong_domain::accounts::Actor;
    use shegong_domain::units::UnitInput;
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let admin = app.seeded.user(Role::Admin);
    let unit = UnitInput {
        code: "COV-A".into(),
        name_zh_hans: "便利中心".into(),
        unit_type: "family_centre".into(),
        district: "湾仔".into(),
        latitude: Some("22.30".into()),
        longitude: Some("114.17".into()),
        active: true,
        ..Default::default()
    };
    app.store().create_unit(&Actor::from(admin), &unit.validate().unwrap()).await.unwrap();
    let csv = std::env::temp_dir().join(format!("coverage-grid-{}.csv", uuid::Uuid::now_v7().simple()));
    std::fs::write(
        &csv,
        "district,lat,lng,count,elderly_alone\n湾仔,22.300,114.175,120,10\n湾仔,22.300,114.195,80,6\n湾仔,22.318,114.170,60,0\n",
    )
    .unwrap();

    b.sign_in(&admin.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("zh-Hans-CN").await.unwrap();
    b.wait_for("html[lang=\"zh-Hans-CN\"]").await;
    assert!(b.text("nav").await.contains("便利圈"));
    b.goto("/coverage").await;
    b.wait_for("#grid-form").await;
    b.find("#grid-file").await.send_keys(&csv.to_string_lossy()).await.unwrap();
    b.find("#grid-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "人口网格已导入。");
    let _ = std::fs::remove_file(&csv);
    b.wait_for("#coverage-map").await;
    let table = b.text("#coverage-table").await;
    assert!(table.contains("全部居民") && table.contains("独居老人") && table.contains("260"), "{table}");
    assert!(b.text("#coverage-legend").await.contains("超过 20 分钟"));
    assert!(b.client.find(Locator::Css("#coverage-map polygon[data-band=\"beyond_20\"]")).await.is_ok(), "the far cell is red");
    b.screenshot("coverage-map").await;

    // A click on the map fills in the new site's coordinates.
    b.find("#coverage-map").await.click().await.unwrap();
    assert!(
        !b.value("#site-latitude").await.is_empty() && !b.value("#site-longitude").await.is_empty(),
        "the click filled the coordinates"
    );
    b.fill("#site-latitude", "22.300").await;
    b.fill("#site-longitude", "114.195").await;
    b.fill("#site-name", "社区活动室").await;
    b.find("#site-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "已添加候选点位。");

    // One new site suggested, with before and after.
    b.fill("#c-k", "1").await;
    b.find("#coverage-show").await.click().await.unwrap();
    let s = b.wait_for("#coverage-suggestion").await.text().await.unwrap();
    assert!(s.contains("建议新增点位") && s.contains("社区活动室") && s.contains("新增 80 人可到达"), "{s}");
    assert!(s.contains("已比较所有候选点位组合"), "{s}");
    b.screenshot("coverage-suggestion").await;

    // A detour factor out of range is explained in Chinese and kept.
    b.fill("#s-detour", "5").await;
    b.find("#coverage-settings button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for("#e-s-detour").await.text().await.unwrap(), "须为 1 到 3 之间的数字。");
    assert_eq!(b.value("#s-detour").await, "5");
    b.close().await;
}

/// One accessibility finding: the rule, its impact, and where.
#[derive(serde::Deserialize, Debug)]
struct AxeViolation {
    id: String,
    impact: Option<String>,
    help: String,
    nodes: Vec<String>,
}

/// Runs axe-core's WCAG 2.1 A and AA rules in the page the browser shows.
async fn axe(b: &Browser, source: &str) -> Vec<AxeViolation> {
    b.client.execute(source, vec![]).await.expect("axe-core loads into the page");
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
          .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 120)) }))))
          .catch(e => done([{ id: 'axe-error', impact: null, help: String(e), nodes: [] }]));
    "#;
    let found = b.client.execute_async(script, vec![]).await.expect("axe-core runs");
    serde_json::from_value(found).expect("axe-core's findings")
}

/// Every page of the demo site, as the roles that reach it, in the three languages: axe-core
/// finds no WCAG 2.1 A or AA violation. Pages come from a crawl, so a new page is checked the
/// day it is linked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_three_languages() {
    let Some(source) = std::env::var("SHEGONG_AXE").ok().map(|p| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))) else {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "SHEGONG_AXE must name axe.min.js in CI");
        eprintln!("SHEGONG_AXE is not set: skipping the accessibility check");
        return;
    };
    let app = TestApp::spawn_demo(TestDb::new(Backend::Sqlite).await.expect("SQLite is always available")).await;
    let Some(b) = Browser::start(&app.base).await else { return };

    // Which pages each account opens: the first account to reach a kind of page checks it.
    let mut kinds = std::collections::BTreeSet::new();
    let mut plan: Vec<(&str, Vec<String>)> = Vec::new();
    for login in ["admin", "supervisor", "worker", "welfare", "hotline", "volunteer"] {
        let c = app.client();
        assert_eq!(c.login(login, shegong_web::demo::DEMO_PASSWORD).await.status(), 303);
        let pages = crate::security::crawl(&c, &["/"], 1, 300).await;
        let mine: Vec<String> = pages.into_iter().map(|p| p.path).filter(|p| kinds.insert(crate::security::pattern(p))).collect();
        plan.push((login, mine));
    }

    let mut findings: Vec<String> = Vec::new();
    let mut checked = 0;
    for locale in ["zh-Hant-HK", "zh-Hans-CN", "en"] {
        b.client.delete_all_cookies().await.unwrap();
        b.goto("/login").await;
        b.wait_for("html[lang]").await;
        for v in axe(&b, &source).await {
            findings.push(format!("{locale} /login (signed out): {} [{}] {} at {:?}", v.id, v.impact.unwrap_or_default(), v.help, v.nodes));
        }
        for (login, paths) in &plan {
            b.client.delete_all_cookies().await.unwrap();
            b.sign_in(login, shegong_web::demo::DEMO_PASSWORD).await;
            b.find("#locale-select").await.select_by_value(locale).await.unwrap();
            b.wait_for(&format!("html[lang=\"{locale}\"]")).await;
            for path in paths {
                b.goto(path).await;
                b.wait_for("main").await;
                checked += 1;
                for v in axe(&b, &source).await {
                    findings.push(format!(
                        "{locale} {path} ({login}): {} [{}] {} at {:?}",
                        v.id,
                        v.impact.unwrap_or_default(),
                        v.help,
                        v.nodes
                    ));
                }
            }
        }
    }
    // The check can fail: an image without a text alternative is found.
    b.client
        .execute("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/none.png\">')", vec![])
        .await
        .unwrap();
    let canary = axe(&b, &source).await;
    assert!(canary.iter().any(|v| v.id == "image-alt"), "axe-core finds an image without alt text: {canary:?}");
    b.close().await;
    println!("axe-core: {checked} pages ({} kinds, 3 languages), {} violations", kinds.len(), findings.len());
    assert!(kinds.len() >= 70, "the crawl reaches the site: {} kinds of page", kinds.len());
    assert!(findings.is_empty(), "WCAG 2.1 AA violations:\n{}", findings.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brs_before_on_a_tablet_and_after_on_paper_shows_the_change_and_a_simplified_query_finds_a_traditional_solution() {
    use shegong_domain::accounts::Actor;
    use shegong_domain::clients::ClientInput;
    use shegong_domain::knowledge::SolutionInput;
    use shegong_domain::ports::{ClientsRepo, KnowledgeRepo};
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let worker = app.seeded.user(Role::SocialWorker);
    let store = app.store();
    let actor = Actor::from(worker);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let input = ClientInput {
        unit_id: Some(app.seeded.unit_a.id),
        name_zh: "梁照顧".into(),
        phones: vec!["91230000".into()],
        preferred_language: "cantonese".into(),
        ..Default::default()
    };
    let client =
        store.create_client(&actor, &input.validate(today, &store.categories(app.seeded.org).await.unwrap()).unwrap()).await.unwrap();
    let s = SolutionInput {
        title: "照顧者減壓小組".into(), need: "為認知障礙症患者的照顧者減輕壓力。".into(), ..Default::default()
    };
    store.create_solution(&actor, &s.validate().unwrap()).await.unwrap();

    b.sign_in(&worker.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("en").await.unwrap();
    b.wait_for("html[lang=\"en\"]").await;

    // Before: the worker hands the tablet over; the client answers in Traditional Chinese, in large type.
    b.goto(&format!("/outcomes/clients/{}", client.id)).await;
    b.wait_for("#start-form").await;
    b.find("#s-scale").await.select_by_value("brs").await.unwrap();
    b.find("#s-time_point").await.select_by_value("pre").await.unwrap();
    b.find("#s-mode").await.select_by_value("tablet").await.unwrap();
    b.find("#start-form button[type=submit]").await.click().await.unwrap();
    b.wait_for("#administer.tablet[lang=\"zh-Hant-HK\"]").await;
    assert!(b.text("#item-0 legend").await.contains("很快恢復"), "the items are in the client's language");
    for (i, v) in [3, 4, 2, 5, 2, 4].iter().enumerate() {
        b.find(&format!("label[for=\"a{i}-{v}\"]")).await.click().await.unwrap();
    }
    b.screenshot("brs-tablet").await;
    b.find("#administer-submit").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    assert!(b.text("#administrations").await.contains("Low resilience"), "2.00 is low resilience");

    // After: entered from the paper form by the worker.
    b.find("#s-scale").await.select_by_value("brs").await.unwrap();
    b.find("#s-time_point").await.select_by_value("post").await.unwrap();
    b.find("#s-mode").await.select_by_value("paper").await.unwrap();
    b.find("#start-form button[type=submit]").await.click().await.unwrap();
    b.wait_for("#f-administered_on").await;
    for (i, v) in [4, 2, 4, 2, 4, 2].iter().enumerate() {
        b.find(&format!("label[for=\"a{i}-{v}\"]")).await.click().await.unwrap();
    }
    b.find("#administer-submit").await.click().await.unwrap();
    b.wait_for(".notice.ok").await;
    let change = b.text("#change-brs").await;
    assert!(change.contains("+2") && change.contains("Reliably improved"), "the change and its meaning: {change}");
    b.screenshot("brs-change").await;

    // The solution was written in Traditional; a Simplified query finds it.
    b.goto("/knowledge").await;
    b.fill("#q", "照顾者减压").await;
    b.find("#search-submit").await.click().await.unwrap();
    b.wait_for("#results").await;
    assert!(b.text("#results").await.contains("照顧者減壓小組"));
    b.close().await;
}

/// In English, a social worker logs an outreach session (a registered client who speaks Urdu and
/// twelve Nepali speakers not registered), asks for an Urdu interpreter for the client, is told
/// that someone who does not cover Urdu cannot take it, assigns the district ambassador who
/// does, records the time spent, and finds the hours in the month's outreach report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outreach_session_and_an_urdu_interpretation_reach_the_months_report() {
    use shegong_domain::accounts::Actor;
    use shegong_domain::clients::ClientInput;
    use shegong_domain::ports::{ClientsRepo, OutreachRepo};
    let app = app().await;
    let Some(b) = Browser::start(&app.base).await else { return };
    let worker = app.seeded.user(Role::SocialWorker);
    let ambassador = app.seeded.user(Role::PeerSupporter);
    let store = app.store();
    let actor = Actor::from(worker);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let input = ClientInput {
        unit_id: Some(app.seeded.unit_a.id),
        name_en: "Amina Khan".into(),
        phones: vec!["61230000".into()],
        preferred_language: "urdu".into(),
        district: "Yau Tsim Mong".into(),
        categories: vec!["ethnic_minority".into()],
        ..Default::default()
    };
    let amina =
        store.create_client(&actor, &input.validate(today, &store.categories(app.seeded.org).await.unwrap()).unwrap()).await.unwrap();
    store.save_interpreter_languages(&actor, ambassador.id, &["ur".to_string()], 0).await.unwrap();

    b.sign_in(&worker.username, PASSWORD).await;
    b.find("#locale-select").await.select_by_value("en").await.unwrap();
    b.wait_for("html[lang=\"en\"]").await;

    // The outreach session: Amina, and twelve Nepali speakers not registered.
    b.goto("/outreach").await;
    b.wait_for("#session-form").await;
    b.fill("#s-district", "Yau Tsim Mong").await;
    b.fill("#s-area", "Chungking Mansions").await;
    b.fill("#s-ambassadors", "Bilal").await;
    b.fill("#contact-rows tbody tr:nth-child(1) input[name=\"c_client\"]", &amina.id.to_string()).await;
    b.find("#contact-rows tbody tr:nth-child(2) select[name=\"c_category\"]").await.select_by_value("ethnic_minority").await.unwrap();
    b.find("#contact-rows tbody tr:nth-child(2) select[name=\"c_language\"]").await.select_by_value("ne").await.unwrap();
    b.fill("#contact-rows tbody tr:nth-child(2) input[name=\"c_count\"]", "12").await;
    b.find("#session-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Outreach session saved.");
    let contacts = b.text("#contacts").await;
    assert!(contacts.contains("Amina Khan") && contacts.contains("Urdu") && contacts.contains("Nepali"), "{contacts}");
    assert_eq!(b.text("#session-people").await, "13");
    b.screenshot("outreach-session").await;

    // An interpretation request for Amina: her preferred language is shown and used.
    b.goto(&format!("/outreach/interpretations?client_id={}", amina.id)).await;
    assert!(b.wait_for("#form-client").await.text().await.unwrap().contains("Urdu"));
    b.find("#i-mode").await.select_by_value("on_site").await.unwrap();
    b.fill("#i-appointment", "Queen Elizabeth Hospital, 10:30").await;
    b.find("#request-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Request created.");
    assert!(b.text("h1").await.contains("Urdu → Cantonese"));
    assert_eq!(b.text("#client-language").await, "Urdu");

    // Someone who does not cover Urdu is refused, by name; the ambassador who does is assigned.
    b.find("#a-assignee_id").await.select_by_value(&worker.id.to_string()).await.unwrap();
    b.find("#assign-form button[type=submit]").await.click().await.unwrap();
    let refusal = b.wait_for("#e-assignee_id").await.text().await.unwrap();
    assert!(refusal.contains(&worker.display_name) && refusal.contains("does not cover Urdu"), "{refusal}");
    b.screenshot("outreach-language-refused").await;
    b.find("#a-assignee_id").await.select_by_value(&ambassador.id.to_string()).await.unwrap();
    b.find("#assign-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Request assigned.");
    assert_eq!(b.text("#request-assignee").await, ambassador.display_name);

    // Completed in an hour and a half.
    b.fill("#c-minutes", "90").await;
    b.find("#complete-form button[type=submit]").await.click().await.unwrap();
    assert_eq!(b.wait_for(".notice.ok").await.text().await.unwrap(), "Request completed.");
    assert_eq!(b.text("#request-status").await, "Completed");

    // The month's report.
    b.goto("/outreach/report?month=2026-03").await;
    b.wait_for("#report-totals").await;
    assert_eq!(b.text("#t-contacts").await, "13");
    assert_eq!(b.text("#t-interpretations").await, "1");
    assert_eq!(b.text("#t-hours").await, "1.5");
    let by_language = b.text("#by-language").await;
    assert!(by_language.contains("Urdu") && by_language.contains("1.5"), "{by_language}");
    assert_eq!(b.text("#t-em-times").await, "14", "Amina at the session, twelve not registered, one interpretation");
    assert_eq!(b.text("#t-em-unique").await, "1");
    b.screenshot("outreach-report").await;
    b.close().await;
}
