//! API 令牌 and `/api/v1`: tokens made on the page (secret shown once, only its hash kept),
//! calls with `Authorization: Bearer`, and everything a token may not do.

use anze_core::api_token::{ApiTokenStore, secret_hash};
use anze_core::audit::{AuditStore, LogQuery};
use anze_core::page::PageRequest;
use chrono::Duration;
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, csrf_token};

crate::backend_tests!(
    admins_make_tokens_that_systems_call_with,
    a_token_reaches_only_its_scope_and_permissions,
    lists_page_by_cursor_over_inserts,
    systems_designate_answer_and_read_records,
    hazards_are_walked_by_cursor_within_scope,
    insurers_register_policies_in_batches,
    lists_narrow_by_region_and_the_regions_below_it,
    every_call_is_logged_with_its_token,
    a_call_sent_again_with_its_key_acts_once,
);
crate::async_tests!(
    a_busy_token_is_told_when_to_come_back,
    the_api_describes_every_route_it_has,
);

/// Makes a token on the page as `client` (an admin); returns the secret the page shows.
async fn make_token(app: &TestApp, client: &Client, name: &str, permissions: &[&str]) -> String {
    let (status, html) = app.get(client, "/api-tokens").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf_token(&html).unwrap();
    let mut form = vec![("_csrf", token.as_str()), ("name", name), ("days", "30")];
    form.extend(permissions.iter().map(|p| ("permissions", *p)));
    let res = client
        .post(app.url("/api-tokens"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("离开本页后将无法再次查看"), "{html}");
    let start = html.find("data-secret>").expect("the secret is shown") + "data-secret>".len();
    html[start..start + 69].to_string()
}

/// `GET path` with a bearer token: (status, content type, JSON body).
async fn call(app: &TestApp, secret: Option<&str>, path: &str) -> (StatusCode, String, Value) {
    let mut req = reqwest::Client::new().get(app.url(path));
    if let Some(s) = secret {
        req = req.bearer_auth(s);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, ct, json)
}

async fn admins_make_tokens_that_systems_call_with(app: TestApp) {
    let (order, _) = crate::records::accepted_order(&app).await;
    let ins = app.login("ins", PASSWORD).await;
    let secret = make_token(&app, &ins, "核心系统对接", &["order:view"]).await;
    assert!(
        secret.starts_with("anze_") && secret.len() == 69,
        "{secret}"
    );
    // Shown once: the list has its first characters only, the database only its hash.
    let (_, list) = app.get(&ins, "/api-tokens").await;
    assert!(!list.contains(&secret));
    assert!(list.contains(&format!("{}…", &secret[..12])));
    assert!(list.contains("从未使用"));
    assert!(
        app.db
            .find_api_token_by_hash(&secret)
            .await
            .unwrap()
            .is_none()
    );
    let stored = app
        .db
        .find_api_token_by_hash(&secret_hash(&secret))
        .await
        .unwrap()
        .expect("kept by its hash");

    let (status, ct, body) = call(&app, Some(&secret), "/api/v1/orders").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ct, "application/json");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], order.0);
    assert_eq!(items[0]["state"], "accepted");
    assert_eq!(items[0]["insurer"]["name"], "人保泉州");
    assert!(body["next_cursor"].is_null());
    let (status, _, one) = call(&app, Some(&secret), &format!("/api/v1/orders/{order}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["enterprise"]["name"], "泉州恒安石化有限公司");
    assert!(one["progress"].as_array().is_some_and(|p| !p.is_empty()));
    let (_, list) = app.get(&ins, "/api-tokens").await;
    assert!(!list.contains("从未使用"), "the last use is shown");

    // No token, a wrong one, or a session cookie: 401 with a problem document.
    for secret in [
        None,
        Some("anze_nope"),
        Some(&*format!("anze_{}", "0".repeat(64))),
    ] {
        let (status, ct, p) = call(&app, secret, "/api/v1/orders").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(ct, "application/problem+json");
        assert_eq!(p["status"], 401);
        assert!(p["detail"].as_str().unwrap().contains("API 令牌"));
    }
    let res = ins.get(app.url("/api/v1/orders")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "cookies are not read"
    );
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let (status, _, _) = call(&app, Some(&secret), "/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Revoked: refused at once. Expired: refused too.
    let (_, html) = app.get(&ins, "/api-tokens").await;
    let csrf = csrf_token(&html).unwrap();
    let res = ins
        .post(app.url(&format!("/api-tokens/{}/revoke", stored.id)))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        call(&app, Some(&secret), "/api/v1/orders").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, list) = app.get(&ins, "/api-tokens").await;
    assert!(list.contains("已吊销"));
    let second = make_token(&app, &ins, "监测平台", &["order:view"]).await;
    assert_eq!(
        call(&app, Some(&second), "/api/v1/orders").await.0,
        StatusCode::OK
    );
    app.clock.advance(Duration::days(31));
    assert_eq!(
        call(&app, Some(&second), "/api/v1/orders").await.0,
        StatusCode::UNAUTHORIZED
    );

    let log = app
        .db
        .list_audit(&LogQuery::default(), PageRequest::first(50))
        .await
        .unwrap();
    assert!(
        log.items
            .iter()
            .any(|e| e.summary.contains("新建 API 令牌“核心系统对接”"))
    );
    assert!(
        log.items
            .iter()
            .any(|e| e.summary.contains("吊销 API 令牌“核心系统对接”"))
    );
}

async fn a_token_reaches_only_its_scope_and_permissions(app: TestApp) {
    let (order, _) = crate::records::accepted_order(&app).await;
    // Another insurer's token sees none of it.
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let other = app.login("ins2", PASSWORD).await;
    let theirs = make_token(&app, &other, "平安核心", &["order:view"]).await;
    let (status, _, body) = call(&app, Some(&theirs), "/api/v1/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["items"].as_array().unwrap().is_empty());
    let (status, ct, p) = call(&app, Some(&theirs), &format!("/api/v1/orders/{order}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ct, "application/problem+json");
    assert!(p["detail"].as_str().unwrap().contains("不存在"));
    for bad in ["abc", "-1", "99999999999999999999"] {
        assert_eq!(
            call(&app, Some(&theirs), &format!("/api/v1/orders/{bad}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }
    // A token without 服务订单·查看 is refused the orders.
    let ins = app.login("ins", PASSWORD).await;
    let policies_only = make_token(&app, &ins, "保单同步", &["policy:view"]).await;
    let (status, _, p) = call(&app, Some(&policies_only), "/api/v1/orders").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(p["title"], "无权限");
    // Bad query values: a problem naming the field, never a 500.
    let all = make_token(&app, &ins, "全部", &["order:view"]).await;
    for limit in ["100000", "0", ""] {
        let (status, _, p) = call(&app, Some(&all), &format!("/api/v1/orders?limit={limit}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "limit={limit}");
        assert_eq!(p["errors"][0]["field"], "limit");
    }
    let (status, _, p) = call(&app, Some(&all), "/api/v1/orders?cursor=zz%27%20OR%201=1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "cursor");
    let (status, _, p) = call(&app, Some(&all), "/api/v1/orders?from=2026-13-45").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // A NUL or a byte that is not UTF-8 in a search term is refused with a message that says
    // so, on the API and on the pages (SQLite's full-text query and PostgreSQL both fail on a
    // NUL; to the API's schema it is a string, so a value error there).
    for (q, api) in [
        ("enterprise=a%00b", StatusCode::UNPROCESSABLE_ENTITY),
        ("order_no=%FF%FE", StatusCode::BAD_REQUEST),
    ] {
        let (status, _, p) = call(&app, Some(&all), &format!("/api/v1/orders?{q}")).await;
        assert_eq!(status, api, "{q}: {p}");
        let (status, html) = app.get(&ins, &format!("/orders?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert!(
            html.contains("控制字符") || html.contains("UTF-8"),
            "{html}"
        );
    }

    // The page: staff may not make tokens (nor see the link), an admin may not grant what it
    // lacks.
    let staff = app.login("ag_staff", PASSWORD).await;
    assert_eq!(
        app.get(&staff, "/api-tokens").await.0,
        StatusCode::FORBIDDEN
    );
    assert!(
        !app.get(&staff, "/")
            .await
            .1
            .contains("href=\"/api-tokens\"")
    );
    assert!(app.get(&ins, "/").await.1.contains("href=\"/api-tokens\""));
    let (_, html) = app.get(&ins, "/api-tokens").await;
    let csrf = csrf_token(&html).unwrap();
    let res = ins
        .post(app.url("/api-tokens"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "越权"),
            ("days", "30"),
            ("permissions", "hazard:review"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("不能授予本账号没有的权限")
    );
}

async fn lists_page_by_cursor_over_inserts(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let mut orders = Vec::new();
    for i in 0..5 {
        let policy = app.seed_policy("ins", &code, &format!("PICC-C-{i}")).await;
        orders.push(app.seed_order("ins", policy, agency).await.0);
    }
    let ins = app.login("ins", PASSWORD).await;
    let secret = make_token(&app, &ins, "核心系统", &["order:view"]).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/orders?limit=2".to_string();
    let mut pages = 0;
    loop {
        let (status, _, body) = call(&app, Some(&secret), &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_i64().unwrap()),
        );
        pages += 1;
        if pages == 1 {
            // An order designated while the client walks: it is newer than the cursor, so the
            // walk neither repeats nor skips the older ones.
            let policy = app.seed_policy("ins", &code, "PICC-C-new").await;
            app.seed_order("ins", policy, agency).await;
        }
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/orders?limit=2&cursor={c}"),
            None => break,
        }
    }
    orders.reverse();
    assert_eq!(seen, orders, "every order once, newest first");
}

async fn a_busy_token_is_told_when_to_come_back() {
    let app = TestApp::spawn_configured(crate::helpers::Backend::Sqlite, |c| {
        c.api_requests_per_minute = 3;
    })
    .await;
    app.seed_org("insurer", "人保泉州", "ins").await;
    let ins = app.login("ins", PASSWORD).await;
    let secret = make_token(&app, &ins, "核心系统", &["order:view"]).await;
    let other = make_token(&app, &ins, "监测平台", &["order:view"]).await;
    for _ in 0..3 {
        assert_eq!(
            call(&app, Some(&secret), "/api/v1/orders").await.0,
            StatusCode::OK
        );
    }
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/orders"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    let p: Value = res.json().await.unwrap();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("每分钟最多调用 3 次")
    );
    // Another token of the same organization has its own allowance.
    assert_eq!(
        call(&app, Some(&other), "/api/v1/orders").await.0,
        StatusCode::OK
    );
}

/// `POST path` with a bearer token and a raw body: (status, JSON body).
async fn post(app: &TestApp, secret: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let (status, _, _, json) = send_post(app, secret, path, None, body).await;
    (status, json)
}

async fn systems_designate_answer_and_read_records(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    app.seed_org("agency", "别家技术", "ag2_admin").await;
    let staff = app.seed_account("ag_admin", "ag_staff", "服务人员").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-API-1").await;
    let p = anze_core::policy::PolicyStore::get_policy(&app.db, policy)
        .await
        .unwrap()
        .unwrap();
    let ins = app.login("ins", PASSWORD).await;
    let insurer = make_token(
        &app,
        &ins,
        "核心系统",
        &["order:view", "order:designate", "policy:view"],
    )
    .await;
    let path = format!("/api/v1/policies/{policy}/orders");
    let designation = |agency: i64, start: &str, end: &str, plan: &str| {
        format!(
            r#"{{"agency_id":{agency},"service_start":"{start}","service_end":"{end}","plan":{plan}}}"#
        )
    };
    let (start, end) = (p.start_date.to_string(), p.end_date.to_string());
    // What cannot be read, or means nothing, changes nothing.
    assert_eq!(
        post(&app, &insurer, &path, "not json").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(&app, &insurer, &path, r#"{"agency_id":"x"}"#).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, problem) = post(
        &app,
        &insurer,
        &path,
        &designation(agency.0, &start, &end, r#"{"nonsense":1}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "plan");
    let (status, problem) = post(
        &app,
        &insurer,
        &path,
        &designation(agency.0, &end, &start, r#"{"training":1}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        post(
            &app,
            &insurer,
            "/api/v1/policies/999999/orders",
            &designation(agency.0, &start, &end, r#"{"training":1}"#)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // JSON Schema's integer takes 7.0; 7.5 is not a whole number.
    let fractional = designation(agency.0, &start, &end, r#"{"training":1}"#)
        .replace(&format!(":{},", agency.0), &format!(":{}.5,", agency.0));
    let (status, problem) = post(&app, &insurer, &path, &fractional).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "agency_id");
    let (status, created) = post(
        &app,
        &insurer,
        &path,
        &designation(agency.0, &start, &end, r#"{"training":2.0,"hazard":4}"#)
            .replace(&format!(":{},", agency.0), &format!(":{}.0,", agency.0)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["state"], "pending");
    let order = created["id"].as_i64().unwrap();
    let training = created["progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["item"] == "training")
        .unwrap()
        .clone();
    assert_eq!(training["planned"], 2);

    // The agency answers through its own token; another agency's token finds nothing.
    let ag = app.login("ag_admin", PASSWORD).await;
    let agency_token = make_token(
        &app,
        &ag,
        "业务系统",
        &["order:view", "order:accept", "record:view"],
    )
    .await;
    let other = make_token(
        &app,
        &app.login("ag2_admin", PASSWORD).await,
        "别家",
        &["order:view", "order:accept"],
    )
    .await;
    let accept = format!("/api/v1/orders/{order}/accept");
    assert_eq!(
        post(&app, &other, &accept, "").await.0,
        StatusCode::NOT_FOUND
    );
    let (status, problem) = post(
        &app,
        &agency_token,
        &format!("/api/v1/orders/{order}/decline"),
        r#"{"reason":" "}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "reason");
    assert_eq!(
        post(&app, &insurer, &accept, "").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, accepted) = post(&app, &agency_token, &accept, "").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    assert!(accepted["accepted_at"].is_string());
    let (status, again) = post(&app, &agency_token, &accept, "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, _) = post(
        &app,
        &insurer,
        &format!("/api/v1/orders/{order}/cancel"),
        "",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an accepted order is not cancelled"
    );

    // Records: the agency's staff records a training on the page; the agency's system reads it.
    let admin = app.actor("ag_admin").await;
    anze_core::order::service::assign(
        &app.db,
        &admin,
        anze_core::ids::OrderId(order),
        &[staff.to_string()],
        app.clock_now(),
    )
    .await
    .unwrap();
    let staff_client = app.login("ag_staff", PASSWORD).await;
    let date = crate::records::today(&app);
    let photo = crate::helpers::png();
    let res = app
        .post_multipart_files(
            &staff_client,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &crate::records::training(&date, &staff.to_string()),
            &[("photos", "现场.png", photo.clone())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _, list) = call(&app, Some(&agency_token), "/api/v1/records?item=training").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["summary"],
        "讲解了危化品储存与应急处置要求,现场答疑。"
    );
    assert_eq!(items[0]["confirmation"], "pending");
    // The record with its files, and the file as uploaded, byte for byte.
    let record = items[0]["id"].as_i64().unwrap();
    let (status, _, detail) = call(
        &app,
        Some(&agency_token),
        &format!("/api/v1/records/{record}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["summary"], items[0]["summary"]);
    let files = detail["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], "现场.png");
    let url = files[0]["url"].as_str().unwrap();
    let res = reqwest::Client::new()
        .get(app.url(url))
        .bearer_auth(&agency_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().to_vec(), photo);
    // Another agency's token: no 服务记录·查看 for the record, and the file is out of its scope.
    assert_eq!(
        call(&app, Some(&other), &format!("/api/v1/records/{record}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let res = reqwest::Client::new()
        .get(app.url(url))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let (status, _, problem) = call(&app, Some(&agency_token), "/api/v1/records").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "item");
    assert_eq!(
        call(&app, Some(&insurer), "/api/v1/records?item=training")
            .await
            .0,
        StatusCode::FORBIDDEN,
        "the insurer's token has no 服务记录·查看"
    );
}

async fn hazards_are_walked_by_cursor_within_scope(app: TestApp) {
    use crate::hazards::{day, hazard_form, inspect, new_hazard};
    let (order, _) = crate::records::accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let record = inspect(&app, &staff, order, &day(&app, -10), &staff_id).await;
    let mut made = Vec::new();
    for (i, level) in ["general", "major", "general"].into_iter().enumerate() {
        let description = format!("消防通道堆放杂物 {i}");
        let deadline = day(&app, if i == 0 { -1 } else { 20 });
        let path = new_hazard(
            &app,
            &staff,
            &record,
            &hazard_form(&description, level, &deadline),
        )
        .await;
        made.push(path.trim_start_matches("/hazards/").parse::<i64>().unwrap());
    }
    // A city regulator's token walks them newest first, two at a time.
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    let reg = app.login("reg", PASSWORD).await;
    let regulator = make_token(&app, &reg, "监管平台", &["hazard:view"]).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/hazards?limit=2".to_string();
    loop {
        let (status, _, body) = call(&app, Some(&regulator), &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for h in body["items"].as_array().unwrap() {
            seen.push(h["id"].as_i64().unwrap());
            assert_eq!(h["state"], "rectify");
            assert_eq!(h["state_label"], "待整改");
        }
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/hazards?limit=2&cursor={c}"),
            None => break,
        }
    }
    made.reverse();
    assert_eq!(seen, made);
    // Filters of the ledger: 重大, and 逾期 as of the call.
    let (_, _, major) = call(&app, Some(&regulator), "/api/v1/hazards?level=major").await;
    assert_eq!(major["items"].as_array().unwrap().len(), 1);
    let (_, _, late) = call(&app, Some(&regulator), "/api/v1/hazards?overdue=1").await;
    let late = late["items"].as_array().unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["overdue"], true);
    assert_eq!(late[0]["description"], "消防通道堆放杂物 0");
    // A records cursor means nothing here; a regulator elsewhere sees none of it.
    let records_cursor: String = "d:2026-01-01:5"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (status, _, p) = call(
        &app,
        Some(&regulator),
        &format!("/api/v1/hazards?cursor={records_cursor}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "cursor");
    let elsewhere =
        crate::hazards::seed_org_in(&app, "regulator", "晋江市应急管理局", "reg2", "350582").await;
    let _ = elsewhere;
    let reg2 = app.login("reg2", PASSWORD).await;
    let theirs = make_token(&app, &reg2, "晋江平台", &["hazard:view"]).await;
    let (_, _, none) = call(&app, Some(&theirs), "/api/v1/hazards").await;
    assert!(none["items"].as_array().unwrap().is_empty());

    // One hazard in full: its 整改 step and its photos before and after, each downloadable.
    let rectified = format!("/hazards/{}", made[2]);
    let res = crate::hazards::rectify(&app, &staff, &rectified, "杂物已清理", &day(&app, 0)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A hazard is read in its order, as on the pages: 服务订单·查看 as well.
    let (status, _, p) = call(
        &app,
        Some(&regulator),
        &format!("/api/v1/hazards/{}", made[2]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    let regulator = make_token(&app, &reg, "监管平台详情", &["hazard:view", "order:view"]).await;
    let theirs = make_token(&app, &reg2, "晋江平台详情", &["hazard:view", "order:view"]).await;
    let path = format!("/api/v1/hazards/{}", made[2]);
    let (status, _, detail) = call(&app, Some(&regulator), &path).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["id"], made[2]);
    assert_eq!(detail["state"], "review");
    let steps = detail["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{detail}");
    assert_eq!(steps[0]["kind"], "rectify");
    assert_eq!(steps[0]["note"], "杂物已清理");
    assert_eq!(steps[0]["party"], "agency");
    let files = detail["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{detail}");
    let url = files[0]["url"].as_str().unwrap();
    let res = reqwest::Client::new()
        .get(app.url(url))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), crate::helpers::png());
    assert_eq!(
        call(&app, Some(&theirs), &path).await.0,
        StatusCode::NOT_FOUND,
        "another region's hazard"
    );
    assert_eq!(
        call(&app, Some(&regulator), "/api/v1/hazards/0").await.0,
        StatusCode::NOT_FOUND
    );
}

async fn insurers_register_policies_in_batches(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let ins = app.login("ins", PASSWORD).await;
    let importer = make_token(&app, &ins, "核心系统", &["policy:view", "policy:import"]).await;
    let reader = make_token(&app, &ins, "报表", &["policy:view"]).await;
    let today = anze_core::time::today(app.clock_now());
    let item = |no: &str, name: &str, code: &str| {
        serde_json::json!({
            "policy_no": no,
            "enterprise_name": name,
            "credit_code": code,
            "region": "丰泽区",
            "industry": "危险化学品 / 经营",
            "address": "泉州市丰泽区东海街道 8 号",
            "employee_count": 120,
            "contact_name": "王经理",
            "contact_phone": "139 0595 1234",
            "start_date": (today - chrono::Duration::days(30)).to_string(),
            "end_date": (today + chrono::Duration::days(334)).to_string(),
            "premium": "2万元",
            "total_limit": 5000000,
            "per_person_limit": "500,000.00",
            "insured_count": 120,
            "prevention_ratio": "15%",
        })
    };
    let code = crate::helpers::credit_code("批量化工");
    let mut bad = item("API-2", "批量化工有限公司", &code);
    bad["premium"] = serde_json::json!("两万");
    bad["region"] = serde_json::json!("不存在区");
    let batch = serde_json::json!({ "policies": [item("API-1", "批量化工有限公司", &code), bad] });
    let (status, problem) = post(
        &app,
        &importer,
        "/api/v1/policies/batch",
        &batch.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors = problem["errors"].as_array().unwrap();
    assert!(errors.iter().all(|e| e["item"] == 1), "{problem}");
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"premium") && fields.contains(&"region"),
        "{fields:?}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("本次未登记任何保单")
    );
    let (_, _, none) = call(&app, Some(&reader), "/api/v1/policies").await;
    assert!(
        none["items"].as_array().unwrap().is_empty(),
        "all or nothing"
    );
    // An unknown field is named; a token without 导入 is refused.
    let mut typo = item("API-3", "批量化工有限公司", &code);
    typo["premum"] = serde_json::json!(1);
    let (status, problem) = post(
        &app,
        &importer,
        "/api/v1/policies/batch",
        &serde_json::json!({ "policies": [typo] }).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("premum")
    );
    let good = serde_json::json!({ "policies": [item("API-1", "批量化工有限公司", &code), item("API-2", "批量化工有限公司", &code)] });
    assert_eq!(
        post(&app, &reader, "/api/v1/policies/batch", &good.to_string())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, done) = post(&app, &importer, "/api/v1/policies/batch", &good.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["policies"], 2);
    assert_eq!(done["new_enterprises"], 1);
    // Read back, newest first, one per page; amounts as strings with two decimals.
    let (_, _, first) = call(&app, Some(&reader), "/api/v1/policies?limit=1").await;
    let p = &first["items"][0];
    assert_eq!(p["policy_no"], "API-2");
    assert_eq!(p["premium"], "20000.00");
    assert_eq!(p["per_person_limit"], "500000.00");
    assert_eq!(p["prevention_ratio"], "15.00");
    assert_eq!(p["prevention_amount"], "3000.00");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, _, second) = call(
        &app,
        Some(&reader),
        &format!("/api/v1/policies?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"][0]["policy_no"], "API-1");
    let id = second["items"][0]["id"].as_i64().unwrap();
    let (status, _, one) = call(&app, Some(&reader), &format!("/api/v1/policies/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["enterprise"]["name"], "批量化工有限公司");
    // The same batch again: every number is taken now.
    let (status, problem) =
        post(&app, &importer, "/api/v1/policies/batch", &good.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "policy_no");
}

/// The OpenAPI document is generated from the handlers: every `/api/v1` route of the router is
/// in it with its method, and the documentation page shows it without any outside request.
async fn the_api_describes_every_route_it_has() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let (status, ct, doc) = call(&app, None, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    let mut described = 0;
    for (method, path) in anze_web::route_table() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
            continue;
        }
        let op = &doc["paths"][path][method.as_str().to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
        described += 1;
    }
    assert!(described >= 11);
    let res = reqwest::get(app.url("/api/docs")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("/api/v1/policies/batch"));
    assert!(html.contains("id=\"schema-OrderBody\""));
    assert!(html.contains("Authorization: Bearer"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched from elsewhere"
    );
}

async fn lists_narrow_by_region_and_the_regions_below_it(app: TestApp) {
    // One order in 丰泽区, one in 晋江市, each with a training record.
    let (fengze, agency) = crate::records::accepted_order(&app).await;
    let code = app
        .seed_enterprise("ins", "晋江安盛鞋业有限公司", "350582")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-R-2").await;
    let jinjiang = app.seed_order("ins", policy, agency).await;
    let staff_account = app.actor("ag_staff").await.account_id;
    crate::hazards::accept_and_assign(&app, "ag_admin", jinjiang, &[staff_account]).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = staff_account.to_string();
    let date = crate::records::today(&app);
    for order in [fengze, jinjiang] {
        let new = format!("/orders/{order}/training/new");
        let res = app
            .post_multipart(
                &staff,
                &new,
                &format!("/orders/{order}/training"),
                &crate::records::training(&date, &staff_id),
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    // The city's regulator sees both; a district narrows, the city covers its districts.
    crate::hazards::seed_org_in(&app, "regulator", "泉州市应急管理局", "creg", "350500").await;
    let creg = app.login("creg", PASSWORD).await;
    let secret = make_token(
        &app,
        &creg,
        "监管平台",
        &["order:view", "record:view", "hazard:view"],
    )
    .await;
    let ids = |body: &Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_id"].as_i64().or(o["id"].as_i64()).unwrap())
            .collect()
    };
    let (status, _, all) = call(&app, Some(&secret), "/api/v1/orders").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), vec![jinjiang.0, fengze.0]);
    for (region, expected) in [
        ("350503", vec![fengze.0]),
        ("350582", vec![jinjiang.0]),
        ("350500", vec![jinjiang.0, fengze.0]),
        ("350502", vec![]),
    ] {
        let (status, _, body) = call(
            &app,
            Some(&secret),
            &format!("/api/v1/orders?region={region}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(ids(&body), expected, "orders in {region}");
        let (status, _, body) = call(
            &app,
            Some(&secret),
            &format!("/api/v1/records?item=training&region={region}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(ids(&body), expected, "records in {region}");
    }
    for path in [
        "/api/v1/orders?region=110000",
        "/api/v1/records?item=training&region=x%27--",
        "/api/v1/hazards?region=110000",
    ] {
        let (status, _, p) = call(&app, Some(&secret), path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {p}");
        assert_eq!(p["errors"][0]["field"], "region");
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("区划不存在")
        );
    }

    // The pages take the same filter; a district's regulator is offered only its own region.
    let (status, html) = app.get(&creg, "/orders?region=350582").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("晋江安盛鞋业有限公司") && !html.contains("泉州恒安石化有限公司"));
    assert!(
        html.contains("<option value=\"350503\">丰泽区</option>"),
        "{html}"
    );
    let (_, html) = app.get(&creg, "/services/training?region=350503").await;
    assert!(
        html.contains("泉州恒安石化有限公司") && !html.contains("晋江安盛鞋业有限公司"),
        "{html}"
    );
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    let reg = app.login("reg", PASSWORD).await;
    let (_, html) = app.get(&reg, "/orders").await;
    assert!(html.contains(">丰泽区</option>") && !html.contains(">晋江市</option>"));
    assert!(!html.contains("晋江安盛鞋业有限公司"), "outside its region");
    // Choosing a region outside its own finds nothing outside its scope.
    let (_, html) = app.get(&reg, "/orders?region=350582").await;
    assert!(!html.contains("晋江安盛鞋业有限公司"));
    let (_, html) = app.get(&app.admin().await, "/orders").await;
    assert!(
        html.contains("name=\"region\""),
        "the platform filters by region"
    );
}

async fn every_call_is_logged_with_its_token(app: TestApp) {
    crate::records::accepted_order(&app).await;
    let ins = app.login("ins", PASSWORD).await;
    let secret = make_token(&app, &ins, "核心系统", &["order:view"]).await;
    assert_eq!(
        call(&app, Some(&secret), "/api/v1/orders?state=accepted")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Some(&secret), "/api/v1/orders/987654").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Some(&secret), "/api/v1/hazards").await.0,
        StatusCode::FORBIDDEN
    );
    // Without a valid token nothing can be attributed: not kept.
    assert_eq!(
        call(&app, Some("anze_nope"), "/api/v1/orders?nobody")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let (status, html) = app.get(&ins, "/api-tokens/calls").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("data-call=").count(), 3, "{html}");
    for text in [
        "/api/v1/orders?state=accepted",
        "/api/v1/orders/987654",
        "/api/v1/hazards",
        "核心系统",
        ">404<",
        ">403<",
        ">200<",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(!html.contains("nobody"));
    let (_, failed) = app.get(&ins, "/api-tokens/calls?result=failure").await;
    assert_eq!(failed.matches("data-call=").count(), 2);
    let (_, found) = app.get(&ins, "/api-tokens/calls?q=987654").await;
    assert_eq!(found.matches("data-call=").count(), 1);
    let (status, bad) = app.get(&ins, "/api-tokens/calls?from=2026-02-30").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (_, tokens) = app.get(&ins, "/api-tokens").await;
    assert!(tokens.contains("/api-tokens/calls?token="));

    // Another organization's admin sees none of them, and cannot ask for them.
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let other = app.login("ins2", PASSWORD).await;
    let own_org = app.actor("ins").await.org_id;
    let (status, theirs) = app
        .get(&other, &format!("/api-tokens/calls?org={own_org}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs.matches("data-call=").count(), 0);
    // Staff do not read the log; the platform's admin reads every organization's.
    let staff = app.login("ag_staff", PASSWORD).await;
    assert_eq!(
        app.get(&staff, "/api-tokens/calls").await.0,
        StatusCode::FORBIDDEN
    );
    let admin = app.admin().await;
    let (_, all) = app
        .get(&admin, &format!("/api-tokens/calls?org={own_org}"))
        .await;
    assert_eq!(all.matches("data-call=").count(), 3);
    assert!(all.contains("人保泉州"));

    // 清理过期数据 forgets calls older than the log keeps.
    let kept = anze_core::api_token::service::prune_calls(&app.db, app.clock_now())
        .await
        .unwrap();
    assert_eq!(kept, 0, "nothing is old yet");
    let removed = anze_core::api_token::service::prune_calls(
        &app.db,
        app.clock_now() + Duration::days(anze_core::api_token::service::CALL_LOG_DAYS + 1),
    )
    .await
    .unwrap();
    assert_eq!(removed, 3);
    let (_, html) = app.get(&ins, "/api-tokens/calls").await;
    assert!(html.contains("没有符合条件的调用记录"));
}

/// A POST, with `Idempotency-Key` when `key` is given: (status, `Idempotency-Replayed`,
/// `Location`, JSON body).
async fn send_post(
    app: &TestApp,
    secret: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (StatusCode, bool, Option<String>, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(secret)
        .header("content-type", "application/json");
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    let res = req.body(body.to_string()).send().await.unwrap();
    let status = res.status();
    let replayed = res.headers().get("idempotency-replayed").is_some();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let text = res.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, replayed, location, json)
}

async fn post_once(
    app: &TestApp,
    secret: &str,
    path: &str,
    key: &str,
    body: &str,
) -> (StatusCode, bool, Option<String>, Value) {
    send_post(app, secret, path, Some(key), body).await
}

async fn a_call_sent_again_with_its_key_acts_once(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-ONCE-1").await;
    let p = anze_core::policy::PolicyStore::get_policy(&app.db, policy)
        .await
        .unwrap()
        .unwrap();
    let ins = app.login("ins", PASSWORD).await;
    let insurer = make_token(
        &app,
        &ins,
        "核心系统",
        &[
            "order:view",
            "order:designate",
            "policy:view",
            "policy:import",
        ],
    )
    .await;
    let path = format!("/api/v1/policies/{policy}/orders");
    let designation = |start: &str| {
        format!(
            r#"{{"agency_id":{},"service_start":"{start}","service_end":"{}","plan":{{"training":1}}}}"#,
            agency.0, p.end_date
        )
    };
    let key = "retry-0123456789abcdef";
    // A refused call frees its key: the corrected retry with the same key runs.
    let (status, _, _, _) = post_once(&app, &insurer, &path, key, &designation("2001-01-01")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = designation(&p.start_date.to_string());
    let (status, replayed, location, first) = post_once(&app, &insurer, &path, key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!replayed);
    // The connection dropped before the client read that: it sends the same call again.
    for _ in 0..2 {
        let (status, replayed, again_location, again) =
            post_once(&app, &insurer, &path, key, &body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(replayed, "answered from the first call");
        assert_eq!(again, first);
        assert_eq!(again_location, location);
    }
    let (_, _, orders) = call(&app, Some(&insurer), "/api/v1/orders").await;
    assert_eq!(
        orders["items"].as_array().unwrap().len(),
        1,
        "one order, not three"
    );
    // Without a key a second designation is a second call (refused: the policy has its order).
    let (status, _) = post(&app, &insurer, &path, &body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A malformed key is a field error, and nothing happens.
    let (status, _, _, problem) = post_once(&app, &insurer, &path, "short", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    // Another path with the same key is another call; so is another account's.
    let batch = |no: &str| {
        format!(
            r#"{{"policies":[{{"policy_no":"{no}","enterprise_name":"泉州恒安石化有限公司","credit_code":"{code}","region":"丰泽区","industry":"危险化学品 / 经营","address":"泉州市丰泽区测试路 1 号","employee_count":120,"contact_name":"陈主任","contact_phone":"13905950000","start_date":"{}","end_date":"{}","premium":"20000","total_limit":"5000000","per_person_limit":"500000","insured_count":120,"prevention_ratio":"15"}}]}}"#,
            p.start_date, p.end_date
        )
    };
    let (status, replayed, _, counts) = post_once(
        &app,
        &insurer,
        "/api/v1/policies/batch",
        key,
        &batch("PICC-ONCE-2"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{counts}");
    assert!(!replayed);
    let (status, replayed, _, again) = post_once(
        &app,
        &insurer,
        "/api/v1/policies/batch",
        key,
        &batch("PICC-ONCE-2"),
    )
    .await;
    assert_eq!((status, replayed), (StatusCode::CREATED, true));
    assert_eq!(again, counts);
    let (_, _, policies) = call(&app, Some(&insurer), "/api/v1/policies?q=PICC-ONCE-2").await;
    assert_eq!(policies["items"].as_array().unwrap().len(), 1);
    // The key's call is logged each time it is sent.
    let (_, log) = app
        .get(&ins, "/api-tokens/calls?q=/api/v1/policies/batch")
        .await;
    assert_eq!(log.matches("data-call=").count(), 2);
}
