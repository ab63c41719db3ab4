//! Login abuse and request hardening: redirects after login, cross-site requests, throttling
//! per (username, address), the client address behind proxies, form encoding, HSTS.

use anze::Config;
use anze_core::account::AccountStore;
use chrono::{Duration, Utc};
use reqwest::{Client, StatusCode};

use crate::helpers::{ADMIN_PASSWORD, TestApp, csrf_token, location};

crate::backend_tests!(
    login_next_that_browsers_read_as_another_site_goes_home,
    login_next_with_line_breaks_is_no_server_error,
    cross_site_posts_are_refused_even_with_a_valid_token,
    invalid_utf8_in_forms_and_queries_is_refused_in_chinese,
    invalid_utf8_in_a_multipart_field_is_refused_in_chinese,
);

crate::configured_tests!(
    behind_proxy, behind_proxy;
    wrong_passwords_lock_only_their_username_and_address,
    concurrent_wrong_passwords_all_count,
    locks_of_one_pair_grow_longer,
    a_busy_address_still_lets_right_passwords_in,
    unknown_and_known_usernames_are_throttled_alike,
    the_client_address_is_the_rightmost_untrusted_one,
    resetting_the_password_lifts_the_locks,
);

crate::configured_tests!(
    distrusting_loopback, distrusting_loopback;
    forwarded_for_from_an_untrusted_peer_is_ignored,
);

crate::configured_tests!(
    public_https, public_https;
    the_public_origin_is_the_one_allowed_and_https_sends_hsts,
);

fn behind_proxy(c: &mut Config) {
    c.trust_proxy = true;
}

fn distrusting_loopback(c: &mut Config) {
    c.trust_proxy = true;
    c.trusted_proxies = anze_web::IpNet::parse_list("10.0.0.0/8").unwrap();
}

fn public_https(c: &mut Config) {
    c.public_url = Some("https://anze.example".into());
}

const HOME: &str = "203.0.113.10";
const OFFICE: &str = "198.51.100.20";

/// One login attempt as the proxy forwards it from `from`.
async fn login_from(
    app: &TestApp,
    from: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let client = app.client();
    let html = client
        .get(app.url("/login"))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&html).unwrap();
    client
        .post(app.url("/login"))
        .header("x-forwarded-for", from)
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn login_next(app: &TestApp, client: &Client, next: &str) -> reqwest::Response {
    app.post_form(
        client,
        "/login",
        "/login",
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", next),
        ],
    )
    .await
}

async fn login_log(app: &TestApp) -> String {
    let admin = app.admin().await;
    let (status, html) = app.get(&admin, "/login-log").await;
    assert_eq!(status, StatusCode::OK);
    html
}

async fn login_next_that_browsers_read_as_another_site_goes_home(app: TestApp) {
    for (next, expected) in [
        ("/accounts?page=2", "/accounts?page=2"),
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%5C%5Cevil.example", "/"),
        ("/ /evil.example", "/"),
    ] {
        let res = login_next(&app, &app.client(), next).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&res), expected, "{next:?}");
    }
    // Already logged in, the login page sends the user on at once.
    let admin = app.admin().await;
    for (query, expected) in [
        ("next=%2Forders", "/orders"),
        ("next=%2F%09%2Fevil.example", "/"),
        ("next=%2F%5Cevil.example", "/"),
    ] {
        let res = admin
            .get(app.url(&format!("/login?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{query}");
        assert_eq!(location(&res), expected, "{query}");
    }
}

async fn login_next_with_line_breaks_is_no_server_error(app: TestApp) {
    for next in ["/a\r\nSet-Cookie: x=1", "/a\nb", "/a\u{b}b", "/a%0D%0Ab"] {
        let res = login_next(&app, &app.client(), next).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&res), "/", "{next:?}");
    }
    let admin = app.admin().await;
    let res = admin
        .get(app.url("/login?next=%2Fa%0D%0AX-Evil%3A%201"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    // The login page does not carry such a `next` on into its form either.
    let (status, html) = app.get(&app.client(), "/login?next=%2Fa%0Ab").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/a\nb") && html.contains("name=\"next\" value=\"/\""));
    // Pages that need a login remember where the user was going, encoded.
    let res = app
        .client()
        .get(app.url("/accounts?q=%E5%BC%A0&page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/login?next=%2Faccounts%3Fq%3D%25E5%25BC%25A0%26page%3D2"
    );
    let res = app
        .client()
        .get(app.url("/accounts?q=%0D%0A"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
}

/// Posts the new-account form with the session's own token and the given extra headers.
async fn post_account(
    app: &TestApp,
    client: &Client,
    username: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = app.get(client, "/accounts/new").await;
    let token = csrf_token(&html).unwrap();
    let role = app
        .db
        .find_account_by_username("admin")
        .await
        .unwrap()
        .unwrap()
        .roles[0]
        .id
        .to_string();
    let mut req = client.post(app.url("/accounts")).form(&[
        ("_csrf", token.as_str()),
        ("username", username),
        ("name", "跨站测试"),
        ("password", "Passw0rd1"),
        ("role_ids", role.as_str()),
        ("enabled", "1"),
    ]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn cross_site_posts_are_refused_even_with_a_valid_token(app: TestApp) {
    let admin = app.admin().await;
    let own = format!("http://{}", app.addr);
    for (i, headers) in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", own.as_str()), ("sec-fetch-site", "cross-site")],
        vec![("origin", "http://127.0.0.1:1")],
    ]
    .into_iter()
    .enumerate()
    {
        let username = format!("cross_site_{i}");
        let res = post_account(&app, &admin, &username, &headers).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("请求来源不明"), "{headers:?}");
        assert!(!app.db.username_taken(&username).await.unwrap());
    }
    // The same form from this site's own pages, or from a client that sends no origin at all.
    for (username, headers) in [
        (
            "same_origin",
            vec![("origin", own.as_str()), ("sec-fetch-site", "same-origin")],
        ),
        ("no_origin", vec![]),
        ("typed_url", vec![("sec-fetch-site", "none")]),
    ] {
        let res = post_account(&app, &admin, username, &headers).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{username}");
        assert!(app.db.username_taken(username).await.unwrap());
    }
    // The login form too: a page elsewhere cannot log a visitor in to its own account.
    let client = app.client();
    let (_, html) = app.get(&client, "/login").await;
    let token = csrf_token(&html).unwrap();
    let res = client
        .post(app.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Without a public https URL there is no HSTS (it would pin plain-http installations).
    let res = admin.get(app.url("/")).send().await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
}

async fn the_public_origin_is_the_one_allowed_and_https_sends_hsts(app: TestApp) {
    // Cookies are `Secure` here, which a client over plain http keeps to itself: send by hand.
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        res.headers().get("strict-transport-security").unwrap(),
        "max-age=31536000; includeSubDomains"
    );
    let html = res.text().await.unwrap();
    let token = csrf_token(&html).unwrap();
    let try_login = |origin: String| {
        let client = client.clone();
        let token = token.clone();
        let url = app.url("/login");
        async move {
            client
                .post(url)
                .header("origin", origin)
                .header("cookie", format!("anze_csrf={token}"))
                .form(&[
                    ("_csrf", token.as_str()),
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // The address the server was reached at is not the public origin behind a proxy.
    let res = try_login(format!("http://{}", app.addr)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = try_login("https://anze.example".into()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers().get("strict-transport-security").is_some());
}

async fn invalid_utf8_in_forms_and_queries_is_refused_in_chinese(app: TestApp) {
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/accounts/new").await;
    let token = csrf_token(&html).unwrap();
    let res = admin
        .post(app.url("/accounts"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "_csrf={token}&username=bad_utf8&name=%FF%FEabc&password=Passw0rd1&role_ids=1&enabled=1"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("不是有效的 UTF-8 文本"), "{html}");
    assert!(!app.db.username_taken("bad_utf8").await.unwrap());

    // Raw bytes that are not UTF-8 are no better than escaped ones.
    let mut body = format!("_csrf={token}&username=raw_bytes&name=").into_bytes();
    body.extend_from_slice(&[0xC0, 0x80]);
    let res = admin
        .post(app.url("/accounts"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(!app.db.username_taken("raw_bytes").await.unwrap());

    // A body that is not a form at all: a Chinese message, no parser internals.
    let res = admin
        .post(app.url("/accounts"))
        .header("content-type", "text/plain")
        .header("x-csrf-token", token.as_str())
        .body("username=plain")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("表单内容无法识别"), "{html}");
    assert!(!html.contains("Failed to deserialize") && !html.contains("Content-Type"));

    let (status, html) = app.get(&admin, "/accounts?keyword=%FF").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("不是有效的 UTF-8 文本"));
}

async fn invalid_utf8_in_a_multipart_field_is_refused_in_chinese(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-U-1").await;
    let order = app.seed_order("ins", policy, agency).await;
    let admin = app.actor("ag_admin").await;
    anze_core::order::service::accept(&app.db, &admin, order, app.clock_now())
        .await
        .unwrap();
    let client = app.login("ag_admin", crate::helpers::PASSWORD).await;
    let (_, html) = app
        .get(&client, &format!("/orders/{order}/training/new"))
        .await;
    let token = csrf_token(&html).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("service_date", "2026-11-30")
        .part(
            "location",
            reqwest::multipart::Part::bytes(vec![0xFF, 0xFE, b'a']),
        );
    let res = client
        .post(app.url(&format!("/orders/{order}/training?_csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("不是有效的 UTF-8 文本"));
}

async fn wrong_passwords_lock_only_their_username_and_address(app: TestApp) {
    for i in 1..=4 {
        let res = login_from(&app, HOME, "admin", "Wrong12345").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let fifth = login_from(&app, HOME, "admin", "Wrong12345").await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(fifth.text().await.unwrap().contains("账号已锁定"));
    // Even the right password is refused from there while the lock lasts...
    let locked = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...but the real owner, elsewhere, logs in as usual.
    let office = login_from(&app, OFFICE, "admin", ADMIN_PASSWORD).await;
    assert_eq!(office.status(), StatusCode::SEE_OTHER);
    // Every failure and the lock are in 登录日志, with the address.
    let log = login_log(&app).await;
    assert!(log.contains("密码错误,锁定至"), "{log}");
    assert!(log.contains("锁定期间,拒绝登录"));
    assert!(log.contains(HOME) && log.contains(OFFICE));
    app.clock.advance(Duration::minutes(16));
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn concurrent_wrong_passwords_all_count(app: TestApp) {
    let attempts = (0..5).map(|_| login_from(&app, HOME, "admin", "Wrong12345"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        1,
        "exactly one of five concurrent failures locks: {statuses:?}"
    );
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn locks_of_one_pair_grow_longer(app: TestApp) {
    for _ in 0..5 {
        login_from(&app, HOME, "admin", "Wrong12345").await;
    }
    app.clock.advance(Duration::minutes(16));
    for _ in 0..4 {
        let res = login_from(&app, HOME, "admin", "Wrong12345").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&app, HOME, "admin", "Wrong12345").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The second lock lasts 30 minutes.
    app.clock.advance(Duration::minutes(16));
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(15));
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A successful login forgets the pair's history: the next lock is 15 minutes again.
    for _ in 0..5 {
        login_from(&app, HOME, "admin", "Wrong12345").await;
    }
    app.clock.advance(Duration::minutes(16));
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn a_busy_address_still_lets_right_passwords_in(app: TestApp) {
    // Someone behind the office NAT tries many usernames.
    for i in 0..20 {
        let res = login_from(&app, OFFICE, &format!("ghost{i}"), "Wrong12345").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "ghost{i}");
    }
    // A colleague with the right password still gets in.
    let res = login_from(&app, OFFICE, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // But from a busy address one wrong password locks its username there at once.
    let res = login_from(&app, OFFICE, "admin", "Wrong12345").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("账号已锁定"));
    let res = login_from(&app, OFFICE, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The window passes: the address is no longer busy and its lock has ended.
    app.clock.advance(Duration::minutes(16));
    let res = login_from(&app, OFFICE, "admin", "Wrong12345").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// The message the login page shows, cut out of the page.
async fn login_error(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let html = res.text().await.unwrap();
    let message = ["账号或密码错误", "密码错误次数过多"]
        .iter()
        .find_map(|m| html.find(m))
        .map(|start| {
            let rest = &html[start..];
            rest[..rest.find('<').unwrap_or(rest.len())].to_string()
        })
        .unwrap_or_else(|| panic!("no login error in {html}"));
    (status, message)
}

async fn unknown_and_known_usernames_are_throttled_alike(app: TestApp) {
    for attempt in 1..=6 {
        let known = login_error(login_from(&app, HOME, "admin", "Wrong12345").await).await;
        let unknown = login_error(login_from(&app, HOME, "nobody", "Wrong12345").await).await;
        assert_eq!(known, unknown, "attempt {attempt}");
        match attempt {
            1 | 2 => assert_eq!(known, (StatusCode::UNAUTHORIZED, "账号或密码错误".into())),
            3 => assert!(known.1.contains("再错 2 次")),
            4 => assert!(known.1.contains("再错 1 次")),
            _ => {
                assert_eq!(known.0, StatusCode::TOO_MANY_REQUESTS);
                assert!(known.1.contains("账号已锁定"));
            }
        }
    }
}

async fn the_client_address_is_the_rightmost_untrusted_one(app: TestApp) {
    // The client wrote the first entry itself; our proxy (loopback) appended the second.
    for spoofed in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"] {
        login_from(&app, &format!("{spoofed}, {HOME}"), "admin", "Wrong12345").await;
    }
    // All five came from HOME, so that pair is locked whatever the client wrote.
    let res = login_from(&app, &format!("6.6.6.6, {HOME}"), "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // And a client cannot borrow another address to get around it.
    let res = login_from(&app, &format!("{OFFICE}, {HOME}"), "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let log = login_log(&app).await;
    assert!(log.contains(HOME));
    assert!(!log.contains("1.1.1.1") && !log.contains("6.6.6.6"));
}

async fn forwarded_for_from_an_untrusted_peer_is_ignored(app: TestApp) {
    // Loopback is not a trusted proxy here, so the header is the client's own words.
    let res = login_from(&app, HOME, "nobody", "Wrong12345").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let log = login_log(&app).await;
    assert!(!log.contains(HOME));
    assert!(log.contains("127.0.0.1"));
}

async fn resetting_the_password_lifts_the_locks(app: TestApp) {
    for _ in 0..5 {
        login_from(&app, HOME, "admin", "Wrong12345").await;
    }
    let res = login_from(&app, HOME, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // What `anze admin reset-password` runs.
    anze_core::account::service::reset_password_from_console(
        &app.db,
        "admin",
        "Reset12345",
        Utc::now(),
    )
    .await
    .unwrap();
    let res = login_from(&app, HOME, "admin", "Reset12345").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
