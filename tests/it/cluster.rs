//! Two `anze serve` processes (the real binary) on one PostgreSQL database and one S3 bucket,
//! behind nginx (round robin, the README's settings), driven only through the proxy: a session
//! made on one instance serves on the other, a file uploaded through one downloads from the
//! other, an edit on one shows on the other, a logout on one ends the session on both. Then a
//! write load while the instances are killed (SIGKILL) and restarted in turn: every create a
//! client saw acknowledged is there once with its file, and no request failed but those in
//! flight to the killed instance.
//!
//! nginx reports the instance that answered in an `X-Upstream` header (test configuration
//! only), so each claim names the instance it was made on. Runs when PostgreSQL, S3 and nginx
//! are there (`Needs::Cluster`).

use reqwest::header::COOKIE;
use reqwest::{Client, Response, StatusCode, redirect};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{ADMIN_PASSWORD, Backend, Storage, TestApp, csrf_token, location};
use crate::load::{self, Outages, Seen, User};
use crate::process::{Launch, Nginx, Server, UPSTREAM_HEADER, free_port};

crate::__register!(
    Cluster,
    [],
    "two_instances_behind_nginx_serve_as_one_and_survive_kills",
    || crate::harness::block_on(two_instances_behind_nginx_serve_as_one_and_survive_kills())
);

/// Which instance (`127.0.0.1:PORT`) answered through nginx; the last one tried, when nginx
/// moved the request on from a dead one.
fn served_by(res: &Response) -> String {
    let tried = res
        .headers()
        .get(UPSTREAM_HEADER)
        .expect("nginx names the instance")
        .to_str()
        .unwrap();
    tried.rsplit(", ").next().unwrap().to_string()
}

/// An instance on the app's database and bucket, on a port of its own that it keeps across
/// restarts, believing `X-Forwarded-For` from the proxy on loopback.
fn instance(app: &TestApp, name: &str) -> Launch {
    let key = |var: &str| std::env::var(var).unwrap_or_else(|_| "test".into());
    Launch::new(app, name)
        .port(free_port())
        .env(
            "ANZE_STORAGE_URL",
            app.storage_url.clone().expect("files in S3"),
        )
        .env("ANZE_STORAGE_ACCESS_KEY", key("ANZE_TEST_S3_ACCESS_KEY"))
        .env("ANZE_STORAGE_SECRET_KEY", key("ANZE_TEST_S3_SECRET_KEY"))
        .env("ANZE_TRUST_PROXY", "true")
        .env("ANZE_TRUSTED_PROXIES", "127.0.0.1,::1")
        .env("ANZE_DB_MAX_CONNECTIONS", "5")
}

async fn two_instances_behind_nginx_serve_as_one_and_survive_kills() {
    let began = Instant::now();
    let app = TestApp::spawn_with(Backend::Postgres, Storage::S3).await;
    let (order, _) = crate::records::accepted_order(&app).await;
    let staff = app.actor("ag_staff").await.account_id.to_string();
    let a = instance(&app, "a").start().await;
    let b = instance(&app, "b").start().await;
    let nginx = Nginx::start(&app.data_dir.join("nginx"), &[a.addr, b.addr]).await;
    let base = nginx.url("");
    let both: BTreeSet<String> = [a.addr.to_string(), b.addr.to_string()].into();

    // Through the proxy, /metrics is nobody's (nginx's own requests come from loopback), and
    // a client's address is the one nginx appended to X-Forwarded-For, as login throttling and
    // 登录日志 need: a wrong password from 203.0.113.7 is logged with that address.
    let res = reqwest::get(nginx.url("/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, res) = login_from(&base, "203.0.113.7", "ag_staff", "Wrong-pass1").await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER, "a wrong password");
    let (admin, res) = login_from(&base, "198.51.100.20", "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let log = admin
        .get(format!("{base}/login-log?result=failure"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("203.0.113.7"), "{log}");

    // A session made on one instance serves on the other: both answer its pages.
    let user = User::login(&base, order, &staff).await;
    let mut answered = BTreeSet::new();
    for _ in 0..4 {
        let res = user.client().get(user.url("/orders")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", location(&res));
        answered.insert(served_by(&res));
    }
    assert_eq!(answered, both, "round robin over both");
    for server in [&a, &b] {
        let pages = server
            .metric(
                "anze_http_requests_total",
                &["route=\"/orders\"", "status=\"200\""],
            )
            .await;
        assert!(pages >= 1.0, "{} served the session's pages", server.addr);
    }

    // A file uploaded through one instance downloads from the other, byte for byte.
    let photo = load::photo("cluster-upload");
    let res = user
        .submit("cluster-upload-0001", "跨实例上传", &photo)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);
    let uploaded_on = served_by(&res);
    let html = user
        .client()
        .get(user.url(&record))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html.find("/attachments/").expect("the photo is listed") + "/attachments/".len();
    let attachment: String = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let downloaded = other_than(&uploaded_on, || async {
        user.client()
            .get(user.url(&format!("/attachments/{attachment}")))
            .send()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert!(downloaded.bytes().await.unwrap().as_ref() == photo.as_slice());

    // An edit on one shows on the other.
    let res = user.edit(&record, "跨实例上传", "77").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", location(&res));
    let edited_on = served_by(&res);
    let page = other_than(&edited_on, || async {
        user.client().get(user.url(&record)).send().await.unwrap()
    })
    .await;
    assert!(page.text().await.unwrap().contains(">77<"));

    // Logging out on one ends the session on both: the old cookie, replayed, opens nothing.
    let cookie = user.cookie();
    let replay = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let res = replay
        .get(user.url("/orders"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the cookie replays while valid"
    );
    let res = user
        .client()
        .post(user.url("/logout"))
        .form(&[("_csrf", user.csrf())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut refused_by = BTreeSet::new();
    for _ in 0..4 {
        let res = replay
            .get(user.url("/orders"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{}", res.status());
        assert!(location(&res).starts_with("/login"), "{}", location(&res));
        refused_by.insert(served_by(&res));
    }
    assert_eq!(
        refused_by, both,
        "neither instance knows the session any more"
    );
    let setup = began.elapsed();

    // A write load while each instance in turn is killed and restarted.
    let mut writers = Vec::new();
    for _ in 0..3 {
        writers.push(User::login(&base, order, &staff).await);
    }
    let readers = vec![User::login(&base, order, &staff).await];
    let seen = Arc::new(Mutex::new(Seen::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load::run(&writers, &readers, stop.clone(), seen.clone());
    let mut servers: [Server; 2] = [a, b];
    let mut outages = Outages::default();
    for round in 0..4 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let victim = &mut servers[round % 2];
        let killed = Instant::now();
        victim.kill();
        // Requests in flight to it at that instant; later ones go to the other.
        outages.0.push((killed, Instant::now()));
        tokio::time::sleep(Duration::from_millis(300)).await;
        victim.restart().await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let load_time = began.elapsed() - setup;

    let seen = std::mem::replace(&mut *seen.lock().unwrap(), Seen::new());
    let unexplained = seen.unexplained(&outages);
    assert!(
        unexplained.is_empty(),
        "failures outside the kills ({}): {unexplained:#?}\nnginx:\n{}",
        outages.describe(seen.began),
        nginx.logs()
    );
    let checker = User::login(&base, order, &staff).await;
    let tally = load::verify(&app, order, &seen, &outages, &checker).await;
    // Both instances took creates.
    let create = format!("POST /orders/{order}/training?");
    let mut creates_by: BTreeMap<String, usize> = BTreeMap::new();
    for line in nginx.access_log().lines() {
        let fields: Vec<&str> = line.split('|').collect();
        if let [status, tried, _, request] = fields[..]
            && status == "303"
            && request.starts_with(&create)
        {
            let answered = tried.rsplit(", ").next().unwrap().to_string();
            *creates_by.entry(answered).or_default() += 1;
        }
    }
    for addr in &both {
        assert!(
            creates_by.get(addr).is_some_and(|n| *n > 0),
            "{addr} took no create: {creates_by:?}"
        );
    }
    let accepted: Vec<String> = seen.failures.iter().map(|f| seen.describe(f)).collect();
    println!(
        "cluster: {tally}; acknowledged creates per instance {creates_by:?}; kills at {}; \
         failures accepted (in flight at a kill): {accepted:#?}; setup {setup:.1?}, load \
         {load_time:.1?}, total {:.1?}",
        outages.describe(seen.began),
        began.elapsed()
    );
    assert!(tally.acknowledged >= 20, "the load wrote little: {tally}");
    for server in servers {
        server.stop().await;
    }
}

/// One login through nginx by a client at `from` (as a proxy before nginx would say in
/// `X-Forwarded-For`).
async fn login_from(base: &str, from: &str, username: &str, password: &str) -> (Client, Response) {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let html = client
        .get(format!("{base}/login"))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&html).unwrap();
    let res = client
        .post(format!("{base}/login"))
        .header("x-forwarded-for", from)
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    (client, res)
}

/// Sends the request until an instance other than `not` answers it (round robin: the next
/// one, unless another client came in between).
async fn other_than<F, Fut>(not: &str, send: F) -> Response
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    for _ in 0..6 {
        let res = send().await;
        if served_by(&res) != not {
            return res;
        }
    }
    panic!("only {not} answered");
}
