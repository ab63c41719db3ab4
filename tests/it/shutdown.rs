//! `anze serve` (the real binary) stopping on SIGTERM: it refuses new connections at once, lets
//! a request in flight finish (an upload whose body is still arriving), and exits 0; a request
//! that outlasts `ANZE_SHUTDOWN_TIMEOUT_SECONDS` is cut there and the process exits anyway.
//! The binary serves the database of a `TestApp` of each backend, whose own in-process server
//! stays up for checking afterwards.

use anze_core::ids::{AccountId, OrderId};
use reqwest::cookie::CookieStore;
use reqwest::{Client, StatusCode, redirect};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{PASSWORD, TestApp, csrf_token, png};
use crate::process::{Launch, Server};

crate::backend_tests!(
    an_upload_in_flight_at_sigterm_finishes_and_new_connections_are_refused,
    the_deadline_cuts_a_request_that_takes_too_long,
);

/// An instance on the app's database and files that allows requests `deadline_secs` after
/// SIGTERM.
async fn start(app: &TestApp, name: &str, deadline_secs: u64) -> Server {
    Launch::new(app, name)
        .env("ANZE_SHUTDOWN_TIMEOUT_SECONDS", deadline_secs.to_string())
        .start()
        .await
}

/// The records tests' accepted order, with its staff member's id.
async fn accepted_order(app: &TestApp) -> (OrderId, AccountId) {
    let (order, _) = crate::records::accepted_order(app).await;
    (order, app.actor("ag_staff").await.account_id)
}

/// A client of the server with its cookie jar, logged in as `ag_staff`.
async fn login(server: &Server) -> (Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let html = client
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&html).unwrap();
    let res = client
        .post(server.url("/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "ag_staff"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", server.log());
    (client, jar)
}

const BOUNDARY: &str = "----anzeShutdownBoundary";

/// The head and body of a 安全培训 record's multipart POST with one photo, as a browser sends
/// it, for writing by hand.
async fn training_upload(
    server: &Server,
    client: &Client,
    jar: &reqwest::cookie::Jar,
    order: OrderId,
    staff: AccountId,
    photo: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let html = client
        .get(server.url(&format!("/orders/{order}/training/new")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = {
        let start = html.find("_csrf=").expect("the form carries its token") + "_csrf=".len();
        html[start..start + 64].to_string()
    };
    let date = anze_core::time::today(chrono::Utc::now()).to_string();
    let staff = staff.to_string();
    let mut body = Vec::new();
    for (name, value) in [
        ("service_date", date.as_str()),
        ("location", "企业会议室"),
        ("staff_ids", staff.as_str()),
        ("enterprise_contact", "陈主任"),
        ("topic", "停机前开始的培训"),
        ("audience", "worker"),
        ("mode", "offline"),
        ("hours", "2"),
        ("participants", "30"),
        ("trainer", "张工"),
        ("summary", "上传途中服务收到停止信号。"),
    ] {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photos\"; \
             filename=\"现场.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let url = reqwest::Url::parse(&server.url("/")).unwrap();
    let cookie = jar.cookies(&url).expect("logged in");
    let head = format!(
        "POST /orders/{order}/training?_csrf={token} HTTP/1.1\r\nHost: {}\r\n\
         Cookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr,
        cookie.to_str().unwrap(),
        body.len()
    );
    (head.into_bytes(), body)
}

/// A photo large enough that its upload is still arriving over several pauses.
fn large_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn an_upload_in_flight_at_sigterm_finishes_and_new_connections_are_refused(app: TestApp) {
    let (order, staff) = accepted_order(&app).await;
    let deadline = Duration::from_secs(20);
    let mut server = start(&app, "first", deadline.as_secs()).await;
    let (client, jar) = login(&server).await;
    let photo = large_photo();
    let (head, body) = training_upload(&server, &client, &jar, order, staff, &photo).await;

    // The head and the text fields and half of the photo, then a pause mid-body.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&head).await.unwrap();
    let half = body.len() - photo.len() / 2;
    stream.write_all(&body[..half]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    server.terminate();
    server.wait_for_message("shutting down").await;
    // New connections are refused from now on (the listener closes right after the log line).
    let started = Instant::now();
    loop {
        match TcpStream::connect(server.addr).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            other => {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "a new connection after SIGTERM: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    assert!(
        server.exited().is_none(),
        "the server waits for the upload in flight"
    );

    // The rest of the body, in chunks with pauses.
    for chunk in body[half..].chunks(body[half..].len().div_ceil(5)) {
        stream.write_all(chunk).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut response))
        .await
        .expect("the response came")
        .unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    assert!(
        response.starts_with("HTTP/1.1 303"),
        "the upload was saved: {response}\n{}",
        server.log()
    );
    let record = response
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or(l.strip_prefix("Location: "))
        })
        .expect("redirected to the record")
        .trim()
        .to_string();
    assert!(record.starts_with("/records/"), "{record}");

    let status = server.exit(deadline).await;
    assert!(status.success(), "exit {status}: {}", server.log());
    assert!(
        signalled.elapsed() < deadline,
        "stopped within the deadline"
    );
    assert!(server.messages().iter().any(|m| m == "stopped"));
    assert!(
        !server.log().contains("deadline passed"),
        "{}",
        server.log()
    );

    // After a restart the record and its photo are there.
    let mut again = start(&app, "second", 5).await;
    let (client, _) = login(&again).await;
    let res = client.get(again.url(&record)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("停机前开始的培训"));
    let start = html.find("/attachments/").expect("the photo is listed");
    let id: String = html[start + "/attachments/".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let res = client
        .get(again.url(&format!("/attachments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());
    again.terminate();
    assert!(again.exit(Duration::from_secs(10)).await.success());
}

async fn the_deadline_cuts_a_request_that_takes_too_long(app: TestApp) {
    let (order, staff) = accepted_order(&app).await;
    let deadline = Duration::from_secs(2);
    let mut server = start(&app, "slow", deadline.as_secs()).await;
    let (client, jar) = login(&server).await;
    let (head, body) = training_upload(&server, &client, &jar, order, staff, &png()).await;

    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(&head).await.unwrap();
    let half = body.len() / 2;
    writer.write_all(&body[..half]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    server.terminate();
    // A client far too slow: a byte every 300 ms would take minutes to finish.
    let rest = body[half..].to_vec();
    let trickle = tokio::spawn(async move {
        for byte in rest {
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let status = server.exit(deadline + Duration::from_secs(10)).await;
    let took = signalled.elapsed();
    trickle.abort();
    assert!(status.success(), "exit {status}: {}", server.log());
    assert!(
        took >= deadline,
        "waited for the request until the deadline: {took:?}"
    );
    assert!(
        server.log().contains("shutdown deadline passed"),
        "{}",
        server.log()
    );

    // The cut request got no answer, and saved nothing.
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut response)).await;
    assert!(
        !String::from_utf8_lossy(&response).starts_with("HTTP/1.1 303"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    let staff_client = app.login("ag_staff", PASSWORD).await;
    let (_, list) = app
        .get(&staff_client, &format!("/orders/{order}/training"))
        .await;
    assert!(list.contains("还没有安全培训记录"), "nothing was saved");
}
