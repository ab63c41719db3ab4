//! A write load for the kill tests (`cluster.rs`, `crash.rs`): clients that create 安全培训
//! records with a photo, each submit carrying its own one-time key and a submit whose answer was
//! lost sent again with the same key, beside clients that read; then the check that every
//! create a client saw acknowledged is there once, with its file.
//!
//! The failures accepted, and why:
//! - a request in flight to an instance at the moment it was killed: nginx answers 502 (it
//!   cannot resend a POST whose body it began to send; a GET it resends to the other instance
//!   itself, so those are rare), or the connection breaks. The client resends a create with
//!   the same key and must get the first result (303 to the same record) or, when the dead
//!   instance had claimed the key, 409 "处理中 / 处理结果未知" (whether it saved is unknown
//!   and is never guessed), never a second record;
//! - without a proxy, also a request sent while the only server was down (connection refused),
//!   up to the moment the restarted one is ready.
//!
//! Each failure is kept with its start and end, and the test checks it against the times of the
//! kills (`Outages`). Any other failure (a timeout, a failure outside the windows) and any
//! answer the application should never give (a 500, a 409 for a first submit, a redirect to the
//! login page) fails the test.

use anze_core::attachment::{AttachmentStore, OwnerKind};
use anze_core::ids::OrderId;
use anze_core::page::PageRequest;
use anze_core::record::{RecordQuery, RecordStore};
use anze_core::scope::Scope;
use anze_core::service_item::ServiceItem;
use reqwest::{Client, StatusCode, redirect};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{PASSWORD, TestApp, csrf_token, location};

/// What every load record's 服务内容/小结 starts with; the rest is its one-time key.
const SUMMARY_PREFIX: &str = "负载测试记录 ";

/// A request that got no answer from the application.
#[derive(Debug, Clone)]
pub struct Failure {
    pub started: Instant,
    pub ended: Instant,
    pub request: String,
    pub error: String,
}

/// How a create ended for its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 303 to the record: acknowledged.
    Saved(String),
    /// 409: the key was claimed by a submit whose instance died before answering; whether it
    /// saved is not known to the client (and must not be guessed by the server).
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Create {
    pub key: String,
    pub photo: Vec<u8>,
    pub outcome: Outcome,
    /// Submits sent with this key (1 when the first was answered).
    pub submits: u32,
}

/// Everything the clients saw.
pub struct Seen {
    /// When the load began: the times in reports count from here.
    pub began: Instant,
    pub creates: Vec<Create>,
    pub reads: u64,
    pub failures: Vec<Failure>,
    /// Answers no client should ever get, whatever was killed.
    pub wrong: Vec<String>,
}

impl Seen {
    pub fn new() -> Seen {
        Seen {
            began: Instant::now(),
            creates: Vec::new(),
            reads: 0,
            failures: Vec::new(),
            wrong: Vec::new(),
        }
    }

    /// A failure as `GET /orders: 502, 1.234–1.240 s`.
    pub fn describe(&self, f: &Failure) -> String {
        let at = |t: Instant| t.duration_since(self.began).as_secs_f64();
        format!(
            "{}: {}, {:.3}–{:.3} s",
            f.request,
            f.error,
            at(f.started),
            at(f.ended)
        )
    }

    /// The failures that no outage explains, described.
    pub fn unexplained(&self, outages: &Outages) -> Vec<String> {
        self.failures
            .iter()
            .filter(|f| !outages.explains(f))
            .map(|f| self.describe(f))
            .collect()
    }
}

/// A logged-in client of the load, posting to `base` (nginx or the one instance).
#[derive(Clone)]
pub struct User {
    client: Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
    order: OrderId,
    staff: String,
    csrf: String,
}

impl User {
    /// Logs `ag_staff` in through `base` and reads the form's CSRF token.
    pub async fn login(base: &str, order: OrderId, staff: &str) -> User {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let html = client
            .get(format!("{base}/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = csrf_token(&html).expect("the login form has its token");
        let res = client
            .post(format!("{base}/login"))
            .form(&[
                ("_csrf", token.as_str()),
                ("username", "ag_staff"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login");
        let form = client
            .get(format!("{base}/orders/{order}/training/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let start = form
            .find("_csrf=")
            .expect("the upload form carries its token")
            + 6;
        User {
            client,
            jar,
            base: base.to_string(),
            order,
            staff: staff.to_string(),
            csrf: form[start..start + 64].to_string(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The `Cookie` header this user's requests carry (the session).
    pub fn cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.base).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The record's fields for a create (`photo` set) or an edit (`None`: the photo stays).
    fn record_form(
        &self,
        summary: &str,
        participants: &str,
        photo: Option<&[u8]>,
    ) -> reqwest::multipart::Form {
        let date = anze_core::time::today(chrono::Utc::now()).to_string();
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in [
            ("service_date", date.as_str()),
            ("location", "企业会议室"),
            ("staff_ids", self.staff.as_str()),
            ("enterprise_contact", "陈主任"),
            ("topic", "实例被强制结束时的培训"),
            ("audience", "worker"),
            ("mode", "offline"),
            ("hours", "1"),
            ("participants", participants),
            ("trainer", "张工"),
            ("summary", summary),
        ] {
            form = form.text(name, value.to_string());
        }
        if let Some(photo) = photo {
            form = form.part(
                "photos",
                reqwest::multipart::Part::bytes(photo.to_vec())
                    .file_name("现场.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        }
        form
    }

    /// One submit of a new record with `summary` and `photo` under the one-time `key`.
    pub async fn submit(
        &self,
        key: &str,
        summary: &str,
        photo: &[u8],
    ) -> reqwest::Result<reqwest::Response> {
        let url = format!(
            "{}/orders/{}/training?_csrf={}&_once={key}",
            self.base, self.order, self.csrf
        );
        let form = self.record_form(summary, "12", Some(photo));
        self.client.post(&url).multipart(form).send().await
    }

    /// Saves the record at `record` (`/records/ID`) with another 参训人数.
    pub async fn edit(&self, record: &str, summary: &str, participants: &str) -> reqwest::Response {
        let url = format!("{}{record}?_csrf={}", self.base, self.csrf);
        let form = self.record_form(summary, participants, None);
        self.client.post(&url).multipart(form).send().await.unwrap()
    }

    /// Creates one record with its own key and photo; a submit that got no answer is sent
    /// again, with the same key, until one comes.
    pub async fn create(&self, key: &str, seen: &Mutex<Seen>) -> Option<Create> {
        let photo = photo(key);
        let summary = format!("{SUMMARY_PREFIX}{key}");
        for submits in 1..=100 {
            let started = Instant::now();
            let answer = match self.submit(key, &summary, &photo).await {
                Ok(res) => {
                    let status = res.status();
                    let to = location(&res);
                    res.text().await.map(|body| (status, to, body))
                }
                Err(e) => Err(e),
            };
            let outcome = match answer {
                Ok((StatusCode::SEE_OTHER, to, _)) if to.starts_with("/records/") => {
                    Outcome::Saved(to)
                }
                // Only a retry can find its key claimed and unsettled.
                Ok((StatusCode::CONFLICT, _, body)) if submits > 1 && body.contains("处理") => {
                    Outcome::Unknown
                }
                Ok((status, _, _)) if status == StatusCode::BAD_GATEWAY => {
                    failed(seen, started, format!("POST {key} #{submits}"), "502");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Err(e) if !e.is_timeout() => {
                    failed(seen, started, format!("POST {key} #{submits}"), &e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Ok((status, to, body)) => {
                    seen.lock().unwrap().wrong.push(format!(
                        "POST {key} #{submits}: {status} {to} {}",
                        snippet(&body)
                    ));
                    return None;
                }
                Err(e) => {
                    seen.lock().unwrap().wrong.push(format!("POST {key}: {e}"));
                    return None;
                }
            };
            let create = Create {
                key: key.to_string(),
                photo,
                outcome,
                submits,
            };
            seen.lock().unwrap().creates.push(create.clone());
            return Some(create);
        }
        seen.lock()
            .unwrap()
            .wrong
            .push(format!("POST {key}: no answer after 100 submits"));
        None
    }

    /// Reads the order's record list and the order list once each; after a failure it
    /// pauses, as a user would before reloading.
    pub async fn read(&self, seen: &Mutex<Seen>) {
        for path in [format!("/orders/{}/training", self.order), "/orders".into()] {
            let started = Instant::now();
            let ok = match self.client.get(format!("{}{path}", self.base)).send().await {
                Ok(res) if res.status() == StatusCode::OK => match res.text().await {
                    Ok(_) => {
                        seen.lock().unwrap().reads += 1;
                        true
                    }
                    Err(e) => failed(seen, started, format!("GET {path} (body)"), &e),
                },
                Ok(res) if res.status() == StatusCode::BAD_GATEWAY => {
                    failed(seen, started, format!("GET {path}"), "502")
                }
                Ok(res) => {
                    seen.lock().unwrap().wrong.push(format!(
                        "GET {path}: {} {}",
                        res.status(),
                        location(&res)
                    ));
                    true
                }
                Err(e) => failed(seen, started, format!("GET {path}"), &e),
            };
            if !ok {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Keeps a failure; false, for the caller's flow.
fn failed(seen: &Mutex<Seen>, started: Instant, request: String, error: impl ToString) -> bool {
    seen.lock().unwrap().failures.push(Failure {
        started,
        ended: Instant::now(),
        request,
        error: error.to_string(),
    });
    false
}

fn snippet(body: &str) -> String {
    body.chars().take(300).collect()
}

/// A small PNG of its own for each key (about 1 KB), so that each record's file is told apart.
pub fn photo(key: &str) -> Vec<u8> {
    // FNV-1a of the key, stretched over the pixels.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    let seed: Vec<u8> = (0..32u64)
        .map(|i| (h.rotate_left((i * 7) as u32) >> 24) as u8)
        .collect();
    let img = image::RgbImage::from_fn(24, 16, |x, y| {
        let i = ((x + y * 24) as usize) % seed.len();
        image::Rgb([seed[i], (x * 10) as u8 ^ seed[0], (y * 15) as u8 ^ seed[1]])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Runs `writers` creating clients and `readers` reading clients until `stop` is set; each
/// finishes the create it is in (retries included) before it returns.
pub fn run(
    writers: &[User],
    readers: &[User],
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for (w, user) in writers.iter().enumerate() {
        let (user, stop, seen) = (user.clone(), stop.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            let run = crate::helpers::credit_code(&format!("{w}{:?}", Instant::now()));
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                // 16 to 64 of A-Z a-z 0-9 - _, unique across runs and writers.
                let key = format!("w{w}-{n:05}-{}", &run[8..17]);
                user.create(&key, &seen).await;
            }
        }));
    }
    for user in readers {
        let (user, stop, seen) = (user.clone(), stop.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                user.read(&seen).await;
            }
        }));
    }
    tasks
}

/// When the killed server(s) could not answer: a failure is accepted only if it overlaps one.
/// Behind nginx an outage is the instant of a kill (the requests in flight to that instance;
/// later ones go to the other), without a proxy it lasts until the restarted server is ready.
#[derive(Default)]
pub struct Outages(pub Vec<(Instant, Instant)>);

impl Outages {
    /// As `1.500–1.502 s, …`, counted from `began`.
    pub fn describe(&self, began: Instant) -> String {
        let at = |t: &Instant| t.duration_since(began).as_secs_f64();
        self.0
            .iter()
            .map(|(from, to)| format!("{:.3}–{:.3} s", at(from), at(to)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn explains(&self, f: &Failure) -> bool {
        self.0
            .iter()
            .any(|(from, to)| f.started <= *to && *from <= f.ended)
    }
}

/// The figures of a load run, for the test's output.
pub struct Tally {
    pub acknowledged: usize,
    pub unknown: usize,
    pub unknown_saved: usize,
    pub resubmitted: usize,
    pub reads: u64,
    pub failures: usize,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} creates acknowledged, {} answered 409 on a resubmit (of which {} had saved), \
             {} sent more than once, {} reads, {} failed requests",
            self.acknowledged,
            self.unknown,
            self.unknown_saved,
            self.resubmitted,
            self.reads,
            self.failures
        )
    }
}

/// Checks what the clients saw against the database and the files: no unexplained failure, no
/// wrong answer, every acknowledged create saved once at the place it was acknowledged with
/// its photo, no key saved twice, and nothing saved that no client sent. Downloads every saved
/// photo through `download`'s client and base URL.
pub async fn verify(
    app: &TestApp,
    order: OrderId,
    seen: &Seen,
    outages: &Outages,
    download: &User,
) -> Tally {
    assert!(seen.wrong.is_empty(), "wrong answers: {:#?}", seen.wrong);
    let unexplained = seen.unexplained(outages);
    assert!(
        unexplained.is_empty(),
        "failures outside the kills ({}): {unexplained:#?}",
        outages.describe(seen.began)
    );

    let records = app
        .db
        .list_records(
            &Scope::All,
            &RecordQuery {
                order: Some(order),
                item: Some(ServiceItem::Training),
                ..RecordQuery::default()
            },
            PageRequest::first(100_000),
        )
        .await
        .unwrap()
        .items;
    let mut by_key: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for r in &records {
        if let Some(key) = r.summary.strip_prefix(SUMMARY_PREFIX) {
            by_key.entry(key).or_default().push(r.id.0);
        }
    }
    let twice: Vec<_> = by_key.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(twice.is_empty(), "keys saved more than once: {twice:?}");

    let sent: HashMap<&str, &Create> = seen.creates.iter().map(|c| (c.key.as_str(), c)).collect();
    assert_eq!(sent.len(), seen.creates.len(), "each key is used once");
    for key in by_key.keys() {
        assert!(
            sent.contains_key(key),
            "{key} was saved but its client never got an answer"
        );
    }
    let mut tally = Tally {
        acknowledged: 0,
        unknown: 0,
        unknown_saved: 0,
        resubmitted: seen.creates.iter().filter(|c| c.submits > 1).count(),
        reads: seen.reads,
        failures: seen.failures.len(),
    };
    for c in &seen.creates {
        match &c.outcome {
            Outcome::Saved(to) => {
                tally.acknowledged += 1;
                let ids = by_key
                    .get(c.key.as_str())
                    .unwrap_or_else(|| panic!("{} was acknowledged ({to}) but is lost", c.key));
                assert_eq!(*to, format!("/records/{}", ids[0]), "{}", c.key);
            }
            Outcome::Unknown => {
                tally.unknown += 1;
                tally.unknown_saved += usize::from(by_key.contains_key(c.key.as_str()));
            }
        }
    }
    assert_eq!(
        by_key.len(),
        tally.acknowledged + tally.unknown_saved,
        "records = distinct keys acknowledged (+ those whose answer was lost but which saved)"
    );

    // Each with its photo: the row says so, and the bytes come back.
    let ids: Vec<i64> = by_key.values().map(|ids| ids[0]).collect();
    let mut files: HashMap<i64, Vec<_>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in app
            .db
            .attachments_of(OwnerKind::Training, chunk)
            .await
            .unwrap()
        {
            files.entry(a.owner.id).or_default().push(a);
        }
    }
    for (key, ids) in &by_key {
        let photo = &sent[key].photo;
        let attached = files.get(&ids[0]).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(attached.len(), 1, "{key}: one photo");
        let res = download
            .client
            .get(format!("{}/attachments/{}", download.base, attached[0].id))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{key}");
        assert!(
            res.bytes().await.unwrap().as_ref() == photo.as_slice(),
            "{key}: the downloaded file differs"
        );
    }
    tally
}
