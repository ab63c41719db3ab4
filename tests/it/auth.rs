//! 用户登录 (seed §2): sessions, lockout, throttling, CSRF and headers.

use anze_core::account::AccountStore;
use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, csrf_token, location};

crate::backend_tests!(
    login_page_is_chinese_and_carries_a_csrf_token,
    admin_logs_in_and_sees_the_system_menus,
    unknown_account_and_wrong_password_get_the_same_answer,
    five_wrong_passwords_lock_the_account_here_for_fifteen_minutes,
    many_failures_from_one_address_do_not_block_right_passwords,
    disabled_organization_and_disabled_account_cannot_log_in,
    forged_and_expired_sessions_go_back_to_login,
    forms_without_the_right_csrf_token_change_nothing,
    login_rotates_the_session_and_logout_ends_it,
    changing_the_password_ends_every_session,
    pages_carry_security_headers_and_cookies_are_strict,
    login_never_redirects_off_site,
    health_check_answers_when_the_database_does,
);

async fn login_page_is_chinese_and_carries_a_csrf_token(app: TestApp) {
    let client = app.client();
    let res = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("anze_csrf="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let html = res.text().await.unwrap();
    for label in ["账号", "密码", "登录"] {
        assert!(html.contains(label), "{label}");
    }
    assert!(csrf_token(&html).is_some());
    // Not logged in: pages send the user to the login page and remember where they were going.
    let res = client
        .get(app.url("/accounts?page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Faccounts%3Fpage%3D2");
}

async fn admin_logs_in_and_sees_the_system_menus(app: TestApp) {
    let client = app.admin().await;
    let (status, html) = app.get(&client, "/").await;
    assert_eq!(status, StatusCode::OK);
    for menu in [
        "账号管理",
        "角色管理",
        "机构管理",
        "操作日志",
        "登录日志",
        "修改密码",
        "退出",
    ] {
        assert!(html.contains(menu), "{menu}");
    }
    assert!(html.contains("平台管理员(admin)"));
}

async fn unknown_account_and_wrong_password_get_the_same_answer(app: TestApp) {
    let (_, wrong) = app.try_login("admin", "Wrong12345").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let (_, unknown) = app.try_login("nobody", "Wrong12345").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("账号或密码错误"));
    assert!(unknown.contains("账号或密码错误"));
    assert!(
        unknown.contains("value=\"nobody\""),
        "the typed account is kept"
    );
    let (_, ok) = app.try_login("admin", ADMIN_PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

/// Locks are per (username, address): see login_security.rs for other addresses.
async fn five_wrong_passwords_lock_the_account_here_for_fifteen_minutes(app: TestApp) {
    for i in 1..=4 {
        let (_, res) = app.try_login("admin", "Wrong12345").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (_, fifth) = app.try_login("admin", "Wrong12345").await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(fifth.text().await.unwrap().contains("账号已锁定"));
    // Even the right password is refused while locked.
    let (_, locked) = app.try_login("admin", ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.text().await.unwrap().contains("账号已锁定"));
    app.clock.advance(Duration::minutes(16));
    app.login("admin", ADMIN_PASSWORD).await;
}

/// One address guessing many usernames (or a whole office behind one NAT) does not stop a
/// right password from that address.
async fn many_failures_from_one_address_do_not_block_right_passwords(app: TestApp) {
    for i in 0..20 {
        let (_, res) = app.try_login(&format!("ghost{i}"), "Wrong12345").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    app.login("admin", ADMIN_PASSWORD).await;
    // A further guess there locks its username at once.
    let (_, res) = app.try_login("ghost0", "Wrong12345").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("账号已锁定"));
}

async fn disabled_organization_and_disabled_account_cannot_log_in(app: TestApp) {
    let org = app.seed_org("agency", "测试服务机构", "agency_admin").await;
    app.seed_account("agency_admin", "agency_staff", "服务人员")
        .await;
    let staff = app.login("agency_staff", PASSWORD).await;
    let admin = app.admin().await;
    let res = app
        .post_form(
            &admin,
            "/orgs",
            &format!("/orgs/{org}/toggle"),
            &[("enabled", "0")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The staff member's open session ends with the organization.
    let (status, _) = app.get(&staff, "/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, res) = app.try_login("agency_staff", PASSWORD).await;
    assert!(res.text().await.unwrap().contains("所属机构已停用"));
    app.post_form(
        &admin,
        "/orgs",
        &format!("/orgs/{org}/toggle"),
        &[("enabled", "1")],
    )
    .await;
    app.login("agency_staff", PASSWORD).await;

    // Disabling the account itself.
    let agency_admin = app.login("agency_admin", PASSWORD).await;
    let staff = app
        .db
        .find_account_by_username("agency_staff")
        .await
        .unwrap()
        .unwrap();
    let path = format!("/accounts/{}", staff.id);
    let role = staff.roles[0].id.to_string();
    let res = app
        .post_form(
            &agency_admin,
            &path,
            &path,
            &[("name", "停用的人"), ("role_ids", &role), ("enabled", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, res) = app.try_login("agency_staff", PASSWORD).await;
    assert!(res.text().await.unwrap().contains("账号已停用"));
}

async fn forged_and_expired_sessions_go_back_to_login(app: TestApp) {
    let forged = app.client();
    let res = forged
        .get(app.url("/"))
        .header("cookie", format!("anze_session={}", "ab".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let client = app.admin().await;
    app.clock.advance(Duration::minutes(119));
    assert_eq!(
        app.get(&client, "/").await.0,
        StatusCode::OK,
        "still within idle time"
    );
    app.clock.advance(Duration::minutes(121));
    assert_eq!(
        app.get(&client, "/").await.0,
        StatusCode::SEE_OTHER,
        "idle too long"
    );

    // Absolute expiry holds even for a session in constant use.
    let busy = app.admin().await;
    for _ in 0..13 {
        app.clock.advance(Duration::minutes(59));
        app.get(&busy, "/").await;
    }
    assert_eq!(app.get(&busy, "/").await.0, StatusCode::SEE_OTHER);
}

async fn forms_without_the_right_csrf_token_change_nothing(app: TestApp) {
    let client = app.admin().await;
    let fields = [
        ("username", "csrf_victim"),
        ("name", "受害者"),
        ("password", PASSWORD),
        ("role_ids", "1"),
        ("enabled", "1"),
    ];
    let missing = client
        .post(app.url("/accounts"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(missing.text().await.unwrap().contains("页面已过期"));
    let mut wrong = vec![("_csrf", "0".repeat(64))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let res = client
        .post(app.url("/accounts"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A token from another session is as good as none.
    let other = app.admin().await;
    let (_, html) = app.get(&other, "/accounts/new").await;
    let foreign = csrf_token(&html).unwrap();
    let mut stolen = vec![("_csrf", foreign)];
    stolen.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let res = client
        .post(app.url("/accounts"))
        .form(&stolen)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!app.db.username_taken("csrf_victim").await.unwrap());
    // Logging in needs the login page's token too.
    let bare = app.client();
    let res = bare
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn login_rotates_the_session_and_logout_ends_it(app: TestApp) {
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "/login",
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    let first = session_cookie(&res);
    assert!(
        first.contains("HttpOnly") && first.contains("SameSite=Lax") && !first.contains("Secure")
    );
    let res = app
        .post_form(
            &client,
            "/",
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    let second = session_cookie(&res);
    assert_ne!(first, second, "a new id at every login");
    let old = app.client();
    let res = old
        .get(app.url("/"))
        .header("cookie", first.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the old id is dead");

    let res = app.post_form(&client, "/", "/logout", &[]).await;
    assert_eq!(location(&res), "/login");
    assert_eq!(app.get(&client, "/").await.0, StatusCode::SEE_OTHER);
    let replay = app.client();
    let res = replay
        .get(app.url("/"))
        .header("cookie", second.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "logout revoked it server-side"
    );
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("anze_session=") && !c.starts_with("anze_session=;"))
        .expect("session cookie")
}

async fn changing_the_password_ends_every_session(app: TestApp) {
    let laptop = app.admin().await;
    let phone = app.admin().await;
    let res = app
        .post_form(
            &laptop,
            "/me/password",
            "/me/password",
            &[
                ("current_password", "not-it"),
                ("new_password", "NewPass123"),
                ("confirm_password", "NewPass123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("当前密码不正确"));
    let res = app
        .post_form(
            &laptop,
            "/me/password",
            "/me/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "NewPass123"),
                ("confirm_password", "NewPass124"),
            ],
        )
        .await;
    assert!(res.text().await.unwrap().contains("两次输入的新密码不一致"));
    let res = app
        .post_form(
            &laptop,
            "/me/password",
            "/me/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "NewPass123"),
                ("confirm_password", "NewPass123"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/login");
    assert_eq!(app.get(&laptop, "/").await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&phone, "/").await.0, StatusCode::SEE_OTHER);
    let (_, res) = app.try_login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.login("admin", "NewPass123").await;
}

async fn pages_carry_security_headers_and_cookies_are_strict(app: TestApp) {
    let client = app.admin().await;
    for path in ["/", "/login", "/accounts", "/no-such-page"] {
        let res = client.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
        assert!(h.get("x-request-id").is_some());
    }
    let res = client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let request_id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains("页面不存在") && html.contains(&request_id));
    // Pages contain no inline script: the CSP would block it anyway.
    let (_, html) = app.get(&client, "/accounts").await;
    assert!(!html.contains("<script>") && !html.contains("onclick="));
    let css = client.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(
        css.headers().get("content-type").unwrap(),
        "text/css; charset=utf-8"
    );
}

async fn login_never_redirects_off_site(app: TestApp) {
    for (next, expected) in [
        ("/accounts", "/accounts"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
    ] {
        let client = app.client();
        let res = app
            .post_form(
                &client,
                "/login",
                "/login",
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&res), expected, "{next}");
    }
}

async fn health_check_answers_when_the_database_does(app: TestApp) {
    let res = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
}
