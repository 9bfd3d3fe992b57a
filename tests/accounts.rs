//! Signing in and out, lock-out, CSRF, language, sessions, account administration.

use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, Client, TestApp, PASSWORD};

#[db_test]
async fn sign_in_shows_home_with_units_and_role(app: TestApp) {
    let c = app.client();
    let (status, _) = c.page("/").await;
    assert_eq!(status, 303, "anonymous visitors are sent to sign in");
    let r = c.login("worker", PASSWORD).await;
    assert_eq!(r.status(), 401, "unknown user");
    let r = c.login(&app.seeded.user(Role::SocialWorker).username, PASSWORD).await;
    assert_eq!(r.status(), 303);
    let (status, body) = c.page("/").await;
    assert_eq!(status, 200);
    assert!(body.contains("甲中心"), "home lists the agency's units");
    assert!(body.contains("Social worker"), "home shows the user's role");
}

#[db_test]
async fn wrong_password_five_times_locks_the_account(app: TestApp) {
    let c = app.client();
    let name = app.seeded.user(Role::SocialWorker).username.clone();
    for _ in 0..4 {
        let r = c.login(&name, "not the password").await;
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("用戶名稱或密碼錯誤"), "the message is in the default language, Traditional Chinese");
    }
    let r = c.login(&name, "not the password").await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("帳戶已被鎖定"));
    // Even the right password is refused while locked …
    let r = c.login(&name, PASSWORD).await;
    assert_eq!(r.status(), 429);
    // … and accepted once the lock has run out.
    app.db.clock.advance(chrono::Duration::minutes(16));
    let r = c.login(&name, PASSWORD).await;
    assert_eq!(r.status(), 303);
}

#[db_test]
async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let r = c
        .http
        .post(c.url("/units"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("code=X1&name_zh_hant=x&unit_type=other&_csrf=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("This form has expired"), "admin works in English");
    let (_, list) = c.page("/units").await;
    assert!(!list.contains("X1"), "nothing was created");
}

#[db_test]
async fn language_choice_is_remembered_on_the_account(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let r = c.post_form("/locale", &[("locale", "zh-Hant-HK"), ("next", "/units")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/units");
    // A new sign-in elsewhere (fresh cookies) comes up in the chosen language.
    let other = Client::new(&app.base);
    other.login(&app.seeded.user(Role::Admin).username, PASSWORD).await;
    let (_, body) = other.page("/units").await;
    assert!(body.contains("服務單位"), "page is in Traditional Chinese");
    assert!(body.contains("lang=\"zh-Hant-HK\""));
}
