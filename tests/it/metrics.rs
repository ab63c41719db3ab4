//! `/metrics`: who may read it, and that its counters follow what the server did.
//!
//! The recorder is process-wide, so the test servers of one run share their counters: each
//! test reads a value before and after its own requests and expects at least its own change
//! (other tests only ever add).

use anze::Config;
use anze::config::Secret;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::helpers::{PASSWORD, TestApp, location, png};

crate::backend_tests!(
    loopback_reads_metrics_with_the_pools,
    requests_are_counted_by_route_template_not_by_path,
    login_failures_and_lockouts_are_counted,
    upload_bytes_and_failures_are_counted,
);
crate::configured_tests!(
    token_only, token_only;
    others_get_404_and_the_token_lets_in,
);

const TOKEN: &str = "scrape-9f2c4e7a1b";

/// No address of the test's (loopback) is let in; the token is, from anywhere. The proxy
/// settings make `X-Forwarded-For: 10.9.9.9` the client address pages see, which must not open
/// the page although 10.9.9.9 is listed.
fn token_only(c: &mut Config) {
    c.metrics.allow = vec!["10.9.9.9".parse().unwrap()];
    c.metrics.token = Some(Secret::new(TOKEN));
    c.trust_proxy = true;
}

/// The page's text, read as a scraper would (no cookies).
async fn scrape(app: &TestApp) -> String {
    let res = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "Prometheus text format"
    );
    res.text().await.unwrap()
}

/// The sum of the samples of `name` whose labels include every one of `labels`; 0 when there
/// is none.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = match series.split_once('{') {
                Some((m, rest)) => (m, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let all = labels.iter().all(|(k, v)| {
                rest.split("\",")
                    .map(|pair| pair.trim_end_matches('"'))
                    .any(|pair| pair == format!("{k}=\"{v}"))
            });
            all.then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

async fn loopback_reads_metrics_with_the_pools(app: TestApp) {
    // One request first: a series appears once it has a sample, whatever ran before.
    let (status, _) = app.get(&app.client(), "/login").await;
    assert_eq!(status, StatusCode::OK);
    let text = scrape(&app).await;
    for help in [
        "# HELP anze_http_requests_total",
        "# TYPE anze_http_request_duration_seconds histogram",
        "# TYPE anze_db_pool_connections gauge",
        "# TYPE anze_upload_bytes_total counter",
        "# TYPE anze_login_lockouts_total counter",
        "# TYPE anze_db_pool_acquire_timeouts_total counter",
    ] {
        assert!(text.contains(help), "{help} in\n{text}");
    }
    // Every test server has a pool of 5 (the gauges are sampled at each scrape).
    assert_eq!(
        value(&text, "anze_db_pool_max_connections", &[("pool", "main")]),
        5.0
    );
    let open = value(&text, "anze_db_pool_connections", &[("pool", "main")]);
    assert!(
        open >= 1.0,
        "at least the minimum connection is open: {open}"
    );
    // The scrape itself is counted (from the next scrape on).
    let again = scrape(&app).await;
    assert!(
        value(
            &again,
            "anze_http_requests_total",
            &[("route", "/metrics"), ("status", "200"), ("method", "GET")]
        ) >= 1.0
    );
}

async fn requests_are_counted_by_route_template_not_by_path(app: TestApp) {
    let admin = app.admin().await;
    let org = app.seed_org("agency", "安信技术", "ag_admin").await;
    let before = scrape(&app).await;
    let list = |t: &str| {
        value(
            t,
            "anze_http_requests_total",
            &[("route", "/orgs"), ("method", "GET"), ("status", "200")],
        )
    };
    let edit = |t: &str| {
        value(
            t,
            "anze_http_requests_total",
            &[("route", "/orgs/{id}"), ("status", "200")],
        )
    };
    let unmatched = |t: &str| {
        value(
            t,
            "anze_http_requests_total",
            &[("route", "unmatched"), ("status", "404")],
        )
    };
    let timed = |t: &str| {
        value(
            t,
            "anze_http_request_duration_seconds_count",
            &[("route", "/orgs/{id}")],
        )
    };
    for _ in 0..2 {
        let (status, _) = app.get(&admin, "/orgs").await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = app.get(&admin, &format!("/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&admin, "/no/such/page-73519").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let after = scrape(&app).await;
    assert!(list(&after) >= list(&before) + 2.0, "the list page, twice");
    assert!(edit(&after) > edit(&before), "the page of one organization");
    assert!(
        timed(&after) > timed(&before),
        "its time is in the histogram"
    );
    assert!(
        unmatched(&after) > unmatched(&before),
        "no route: one label"
    );
    for raw in [format!("route=\"/orgs/{org}\""), "page-73519".into()] {
        assert!(!after.contains(&raw), "a raw path became a label: {raw}");
    }
}

async fn login_failures_and_lockouts_are_counted(app: TestApp) {
    let failures =
        |t: &str, reason: &str| value(t, "anze_login_failures_total", &[("reason", reason)]);
    let lockouts = |t: &str| value(t, "anze_login_lockouts_total", &[]);
    let before = scrape(&app).await;
    let (_, res) = app.try_login("admin", "wrong-password").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let one = scrape(&app).await;
    assert!(
        failures(&one, "invalid_credentials") >= failures(&before, "invalid_credentials") + 1.0
    );

    // The fifth wrong password of the pair locks it; the next attempt is refused unchecked.
    for _ in 0..4 {
        app.try_login("admin", "wrong-password").await;
    }
    let locked = scrape(&app).await;
    assert!(lockouts(&locked) >= lockouts(&before) + 1.0);
    let (_, res) = app.try_login("admin", "wrong-password").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let after = scrape(&app).await;
    assert!(failures(&after, "locked") >= failures(&locked, "locked") + 1.0);
    assert!(
        failures(&after, "invalid_credentials") >= failures(&before, "invalid_credentials") + 5.0
    );
}

async fn upload_bytes_and_failures_are_counted(app: TestApp) {
    let (order, _) = crate::records::accepted_order(&app).await;
    let staff = app.actor("ag_staff").await.account_id;
    let client = app.login("ag_staff", PASSWORD).await;
    let date = anze_core::time::today(app.clock_now()).to_string();
    let staff_id = staff.to_string();
    let fields = [
        ("service_date", date.as_str()),
        ("location", "企业会议室"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈主任"),
        ("topic", "危化品储存培训"),
        ("audience", "worker"),
        ("mode", "offline"),
        ("hours", "2"),
        ("participants", "30"),
        ("trainer", "张工"),
        ("summary", "现场讲解。"),
    ];
    let new = format!("/orders/{order}/training/new");
    let action = format!("/orders/{order}/training");
    let bytes = |t: &str| value(t, "anze_upload_bytes_total", &[]);
    let files = |t: &str| value(t, "anze_upload_files_total", &[]);
    let refused = |t: &str| value(t, "anze_upload_failures_total", &[("reason", "refused")]);

    let before = scrape(&app).await;
    let photo = png();
    let res = app
        .post_multipart_files(
            &client,
            &new,
            &action,
            &fields,
            &[("photos", "现场.png", photo.clone())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/records/"));
    let after = scrape(&app).await;
    assert!(bytes(&after) >= bytes(&before) + photo.len() as f64);
    assert!(files(&after) >= files(&before) + 1.0);

    // A file that is not a photo is refused while it streams.
    let res = app
        .post_multipart_files(
            &client,
            &new,
            &action,
            &fields,
            &[("photos", "现场.png", b"MZ\x90\x00 not a photo".repeat(20))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused_after = scrape(&app).await;
    assert!(refused(&refused_after) >= refused(&after) + 1.0);
}

async fn others_get_404_and_the_token_lets_in(app: TestApp) {
    let client = reqwest::Client::new();
    let url = app.url("/metrics");
    let missing = client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(missing, StatusCode::NOT_FOUND);
    for (what, auth) in [
        ("no token", None),
        ("a wrong token", Some(format!("Bearer {TOKEN}x"))),
        (
            "a prefix of the token",
            Some(format!("Bearer {}", &TOKEN[..8])),
        ),
        ("the token without its scheme", Some(TOKEN.to_string())),
    ] {
        let mut req = client.get(&url);
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            missing,
            "{what}: like a page that does not exist"
        );
        assert!(!res.text().await.unwrap().contains("anze_"), "{what}");
    }
    // The forwarded address is what pages log, but the page goes by the TCP peer.
    let res = client
        .get(&url)
        .header("x-forwarded-for", "10.9.9.9")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "X-Forwarded-For opens nothing"
    );

    let res = client
        .get(&url)
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("anze_http_requests_total")
    );
}
