//! `anze backup` and `anze restore` through the real binary: the demo data (and a file
//! uploaded over HTTP) moves from SQLite to SQLite, PostgreSQL, MariaDB and an S3 bucket and
//! the restored system serves the same pages and the same files, with its audit chain intact;
//! a restore refuses a target that holds data, an archive of an unknown schema and a damaged
//! archive, and leaves the target as it was; a backup taken while the server writes is one
//! consistent moment.

use anze::demo::DEMO_PASSWORD;
use reqwest::{Client, StatusCode};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use crate::helpers::{
    ADMIN_PASSWORD, Backend, EmptyTarget, PASSWORD, Storage, TestApp, credit_code, csrf_token,
    location,
};

crate::__register!(
    Nothing,
    [],
    "sqlite::demo_data_moves_to_a_new_sqlite",
    || { crate::harness::block_on(demo_data_moves(Backend::Sqlite, Storage::Fs)) }
);
crate::__register!(
    Postgres,
    [],
    "postgres::demo_data_moves_from_sqlite",
    || { crate::harness::block_on(demo_data_moves(Backend::Postgres, Storage::Fs)) }
);
crate::__register!(Mysql, [], "mysql::demo_data_moves_from_sqlite", || {
    crate::harness::block_on(demo_data_moves(Backend::Mysql, Storage::Fs))
});
crate::__register!(S3, [], "s3::demo_data_moves_into_a_bucket", || {
    crate::harness::block_on(demo_data_moves(Backend::Sqlite, Storage::S3))
});
crate::__register!(Nothing, [], "sqlite::restore_refuses_bad_archives", || {
    crate::harness::block_on(restore_refuses_bad_archives(Backend::Sqlite))
});
crate::__register!(
    Postgres,
    [],
    "postgres::restore_refuses_bad_archives",
    || { crate::harness::block_on(restore_refuses_bad_archives(Backend::Postgres)) }
);
crate::__register!(Mysql, [], "mysql::restore_refuses_bad_archives", || {
    crate::harness::block_on(restore_refuses_bad_archives(Backend::Mysql))
});
crate::__register!(
    Nothing,
    [],
    "sqlite::a_failed_load_leaves_nothing_behind",
    || { crate::harness::block_on(a_failed_load_leaves_nothing_behind(Backend::Sqlite)) }
);
crate::__register!(
    Postgres,
    [],
    "postgres::a_failed_load_leaves_nothing_behind",
    || { crate::harness::block_on(a_failed_load_leaves_nothing_behind(Backend::Postgres)) }
);
crate::__register!(
    Mysql,
    [],
    "mysql::a_failed_load_leaves_nothing_behind",
    || { crate::harness::block_on(a_failed_load_leaves_nothing_behind(Backend::Mysql)) }
);
crate::backend_tests!(restore_refuses_a_target_that_holds_data);
crate::async_tests!(a_backup_while_the_server_writes_is_one_moment);

/// Runs the binary with exactly the given settings (none inherited from the caller's shell).
fn anze(env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anze"));
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env("RUST_LOG", "warn")
        .env_remove("ANZE_CONFIG");
    for (k, _) in std::env::vars() {
        if k.starts_with("ANZE_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `anze` on a blocking thread, so the servers of the test's runtime keep answering.
async fn anze_async(env: Vec<(String, String)>, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        anze(&env, &args)
    })
    .await
    .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The settings that point the binary at a test application's database and files.
fn env_of(app: &TestApp) -> Vec<(String, String)> {
    vec![
        ("ANZE_DATABASE_URL".into(), app.database_url.clone()),
        ("ANZE_DATA_DIR".into(), app.data_dir.display().to_string()),
    ]
}

fn backup(env: &[(String, String)], out: &Path) -> Output {
    let o = anze(env, &["backup", "--out", &out.display().to_string()]);
    assert!(o.status.success(), "backup failed: {}", text(&o));
    o
}

fn restore(env: &[(String, String)], archive: &Path) -> Output {
    anze(env, &["restore", &archive.display().to_string()])
}

/// `审计日志校验通过:N 条` and the head line, after checking that it passed.
fn audit_verify(env: &[(String, String)]) -> String {
    let o = anze(env, &["audit", "verify"]);
    assert!(o.status.success(), "audit verify failed: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// An accepted order of 安信 whose 其他工作 form opens, and the photo uploaded with a new
/// record on it by its staff member; returns the record's page.
async fn upload_a_photo(app: &TestApp, photo: Vec<u8>) -> String {
    let staff = app.login("anxin_staff1", DEMO_PASSWORD).await;
    let staff_id = app.actor("anxin_staff1").await.account_id.to_string();
    let (_, orders) = app.get(&staff, "/orders").await;
    let today = anze_core::time::today(app.clock_now()).to_string();
    for part in orders.split("href=\"/orders/").skip(1) {
        let id: String = part.chars().take_while(char::is_ascii_digit).collect();
        if id.is_empty() {
            continue;
        }
        let new = format!("/orders/{id}/other/new");
        if app.get(&staff, &new).await.0 != StatusCode::OK {
            continue;
        }
        let res = app
            .post_multipart_files(
                &staff,
                &new,
                &format!("/orders/{id}/other"),
                &[
                    ("service_date", today.as_str()),
                    ("location", "厂区东门"),
                    ("staff_ids", staff_id.as_str()),
                    ("enterprise_contact", "陈主任"),
                    ("summary", "备份前上传的现场照片"),
                    ("title", "安全文化宣传"),
                    ("content", "张贴安全标语"),
                ],
                &[("photos", "宣传栏.png", photo.clone())],
            )
            .await;
        if res.status() == StatusCode::SEE_OTHER {
            let record = location(&res);
            let (status, html) = app.get(&staff, &record).await;
            assert_eq!(status, StatusCode::OK);
            assert!(html.contains("宣传栏.png"));
            return record;
        }
    }
    panic!("no accepted order of 安信 took a record");
}

/// A PNG unlike the helper's, so the restored system's upload is not a duplicate.
fn photo(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8 ^ seed, (y * 4) as u8, seed.wrapping_mul(7)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// List pages of an insurer, an agency and a regulator account.
const PAGES: &[(&str, &[&str])] = &[
    (
        "picc_admin",
        &[
            "/",
            "/policies",
            "/orders",
            "/enterprises",
            "/hazards",
            "/services/training",
            "/services/other",
            "/satisfaction",
            "/complaints",
        ],
    ),
    (
        "anxin_admin",
        &[
            "/",
            "/orders",
            "/hazards",
            "/services/training",
            "/services/other",
            "/services/hazard",
            "/accounts",
            "/roles",
            "/notifications",
        ],
    ),
    (
        "yjj_admin",
        &[
            "/",
            "/policies",
            "/orders",
            "/hazards",
            "/services/other",
            "/integrity",
            "/satisfaction",
        ],
    ),
];

async fn demo_data_moves(backend: Backend, storage: Storage) {
    let source = TestApp::spawn(Backend::Sqlite).await;
    anze::demo::load(&source.db, source.blobs.as_ref())
        .await
        .unwrap();
    let record = upload_a_photo(&source, photo(1)).await;
    // Everyone logs in before the backup: sessions move with the rest, so the same browser
    // (cookie jar) reads both systems, with no new login to change 最近登录.
    let mut clients = Vec::new();
    for (user, _) in PAGES {
        clients.push(source.login(user, DEMO_PASSWORD).await);
    }
    let staff = source.login("anxin_staff1", DEMO_PASSWORD).await;
    let admin = source.admin().await;

    let archive = source.data_dir.join("anze-backup.tar.gz");
    let out = backup(&env_of(&source), &archive);
    let progress = text(&out);
    assert!(
        progress.contains("表 audit_events") && progress.contains("备份完成"),
        "{progress}"
    );
    let source_chain = audit_verify(&env_of(&source));

    let target = EmptyTarget::create(backend, storage).await;
    let out = restore(&target.env(), &archive);
    assert!(out.status.success(), "restore failed: {}", text(&out));
    assert!(text(&out).contains("还原完成"), "{}", text(&out));
    // The same chain, every link verified on the new backend.
    let target_chain = audit_verify(&target.env());
    assert_eq!(target_chain, source_chain);
    let restored = TestApp::serve(&target).await;

    for ((user, pages), client) in PAGES.iter().zip(&clients) {
        for path in *pages {
            same_page(&source, &restored, client, path, user).await;
        }
    }
    same_page(&source, &restored, &staff, &record, "anxin_staff1").await;

    // Every file (and thumbnail) byte for byte, the uploaded one included.
    let mut files = 0;
    let mut id = 1;
    loop {
        let original = download(&source, &admin, &format!("/attachments/{id}")).await;
        if original.0 == StatusCode::NOT_FOUND && id > 50 {
            break;
        }
        for path in [
            format!("/attachments/{id}"),
            format!("/attachments/{id}/thumb"),
        ] {
            let before = download(&source, &admin, &path).await;
            let after = download(&restored, &admin, &path).await;
            assert_eq!(after.0, before.0, "{path}");
            if before.0 == StatusCode::OK {
                assert!(after.1 == before.1, "{path}: the bytes differ");
                files += 1;
            }
        }
        id += 1;
    }
    assert!(files > 40, "only {files} files compared");

    // The restored system goes on: its next rows get ids of their own (PostgreSQL's
    // sequences moved past the loaded rows).
    let next = upload_a_photo(&restored, photo(2)).await;
    assert_ne!(next, record);
    let code = credit_code("还原后新建的机构");
    let res = restored
        .post_form(
            &admin,
            "/orgs/new",
            "/orgs",
            &org_fields("还原后新建的机构", &code, "after_restore"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "org after restore");
    drop(restored);
}

/// `path` reads the same on both systems, for the same session.
async fn same_page(source: &TestApp, restored: &TestApp, client: &Client, path: &str, who: &str) {
    let (status, before) = source.get(client, path).await;
    assert_eq!(status, StatusCode::OK, "{who} {path}");
    let (status, after) = restored.get(client, path).await;
    assert_eq!(status, StatusCode::OK, "{who} {path} after the restore");
    if let Some((a, b)) = before.lines().zip(after.lines()).find(|(a, b)| a != b) {
        panic!("{who} {path} differs after the restore:\n  before: {a}\n  after:  {b}");
    }
    assert_eq!(before.len(), after.len(), "{who} {path}");
}

async fn download(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    (status, res.bytes().await.unwrap().to_vec())
}

fn org_fields<'a>(name: &'a str, code: &'a str, admin: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "agency"),
        ("name", name),
        ("credit_code", code),
        ("region_code", "350582"),
        ("address", "晋江市世纪大道 1 号"),
        ("contact_name", "许主任"),
        ("contact_phone", "0595-85678901"),
        ("admin_username", admin),
        ("admin_name", "许管理"),
        ("admin_password", PASSWORD),
    ]
}

/// An archive of a freshly migrated SQLite database (regions, industries and holidays as the
/// migrations put them): small, and enough to be refused.
fn small_archive(dir: &Path, name: &str) -> PathBuf {
    let env = vec![
        (
            "ANZE_DATA_DIR".to_string(),
            dir.join("small-source").display().to_string(),
        ),
        (
            "ANZE_ADMIN_PASSWORD".to_string(),
            ADMIN_PASSWORD.to_string(),
        ),
    ];
    let o = anze(&env, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.join(name);
    backup(&env, &out);
    out
}

/// `gz` with one byte changed from the middle on, the first change that alters what it
/// decompresses to: some bits of a deflate stream's code tables describe codes no data uses,
/// and flipping one of them leaves the archive intact.
fn damaged_gzip(gz: &[u8]) -> Vec<u8> {
    let decoded = |bytes: &[u8]| {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .ok()
            .map(|_| out)
    };
    let original = decoded(gz).expect("a valid gzip archive");
    (gz.len() / 2..gz.len())
        .map(|at| {
            let mut d = gz.to_vec();
            d[at] ^= 0x40;
            d
        })
        .find(|d| decoded(d).as_ref() != Some(&original))
        .expect("a byte whose change shows")
}

/// Nothing was written: no schema in the database, no file in the storage.
async fn assert_untouched(target: &EmptyTarget) {
    let db = anze_store::Db::connect(&target.database_url, 1)
        .await
        .unwrap();
    assert!(
        db.execute_unprepared("SELECT 1 FROM seaql_migrations")
            .await
            .is_err(),
        "the refused restore created the schema"
    );
    db.close().await;
    let blobs = match &target.bucket {
        Some((c, _)) => anze_store::Blobs::open(c).unwrap(),
        None => anze_store::Blobs::open(&anze_store::BlobConfig::Fs {
            root: target.data_dir.join("files"),
        })
        .unwrap(),
    };
    use anze_core::attachment::BlobStore;
    assert_eq!(blobs.list("").await.unwrap(), vec![], "files were written");
}

async fn restore_refuses_bad_archives(backend: Backend) {
    let work = scratch_dir();
    let good = small_archive(&work.0, "good.tar");
    let bytes = std::fs::read(&good).unwrap();
    let target = EmptyTarget::create(backend, Storage::Fs).await;

    // An archive of a newer schema: well formed, every checksum right, one migration unknown.
    let newer = work.0.join("newer.tar");
    let mut parts = entries(&good);
    let mut header: serde_json::Value = serde_json::from_slice(&parts[0].1).unwrap();
    header["migrations"]
        .as_array_mut()
        .unwrap()
        .push("m20991231_000001_from_the_future".into());
    parts[0].1 = serde_json::to_vec_pretty(&header).unwrap();
    std::fs::write(&newer, seal(parts)).unwrap();
    let o = restore(&target.env(), &newer);
    assert!(!o.status.success());
    let message = text(&o);
    assert!(
        message.contains("备份来自更新版本的 anze")
            && message.contains("m20991231_000001_from_the_future"),
        "{message}"
    );
    assert_untouched(&target).await;

    // One byte changed inside a table's rows.
    let mut damaged = bytes.clone();
    let at = find(&damaged, "泉港区".as_bytes()).expect("a region's name in the archive");
    damaged[at] ^= 0x01;
    let path = work.0.join("damaged.tar");
    std::fs::write(&path, &damaged).unwrap();
    let o = restore(&target.env(), &path);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("备份文件已损坏") && text(&o).contains("tables/regions"),
        "{}",
        text(&o)
    );
    assert_untouched(&target).await;

    // The same archive compressed: one byte changed, or cut short.
    let gz = small_archive(&work.0, "good.tar.gz");
    let gz_bytes = std::fs::read(&gz).unwrap();
    let damaged = damaged_gzip(&gz_bytes);
    let path = work.0.join("damaged.tar.gz");
    std::fs::write(&path, &damaged).unwrap();
    let o = restore(&target.env(), &path);
    assert!(!o.status.success());
    assert!(text(&o).contains("备份文件已损坏"), "{}", text(&o));
    assert_untouched(&target).await;
    for cut in [gz_bytes.len() / 2, gz_bytes.len() - 10] {
        std::fs::write(&path, &gz_bytes[..cut]).unwrap();
        let o = restore(&target.env(), &path);
        assert!(!o.status.success());
        assert!(text(&o).contains("备份文件已损坏"), "{}", text(&o));
        assert_untouched(&target).await;
    }
    // A plain tar cut at an entry's end still lacks its manifest.
    let cut = find(&bytes, b"manifest.json").unwrap() / 512 * 512;
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let o = restore(&target.env(), &path);
    assert!(!o.status.success());
    assert!(text(&o).contains("缺少清单"), "{}", text(&o));
    assert_untouched(&target).await;

    // A file in the storage: refused, though the database is empty.
    let stray = target.data_dir.join("files/att/2026/11/stray");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"left here").unwrap();
    let o = restore(&target.env(), &gz);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("目标文件存储不是空的") && text(&o).contains("att/2026/11/stray"),
        "{}",
        text(&o)
    );
    std::fs::remove_file(&stray).unwrap();
    assert_untouched(&target).await;

    // The target stayed usable: the good archive loads into it.
    let o = restore(&target.env(), &gz);
    assert!(o.status.success(), "{}", text(&o));
}

/// A load that fails after files were written: the rows are rolled back, the files removed,
/// and the same target then takes the good archive.
async fn a_failed_load_leaves_nothing_behind(backend: Backend) {
    let source = TestApp::spawn(Backend::Sqlite).await;
    anze::demo::load(&source.db, source.blobs.as_ref())
        .await
        .unwrap();
    let work = scratch_dir();
    let good = work.0.join("demo.tar");
    backup(&env_of(&source), &good);
    // A well-formed archive whose last table comes after the files and repeats a key, as no
    // backup writes it: every check passes, the insert fails once the files are stored.
    let mut parts = entries(&good);
    let at = parts
        .iter()
        .position(|(name, _)| name.starts_with("tables/dashboard_refreshes/"))
        .unwrap();
    let (name, mut rows) = parts.remove(at);
    let first_line = rows.split(|b| *b == b'\n').next().unwrap().to_vec();
    let lines = rows.iter().filter(|b| **b == b'\n').count();
    rows.extend_from_slice(&first_line);
    rows.push(b'\n');
    let sums = parts
        .iter()
        .rposition(|(name, _)| name.starts_with("sums/"))
        .unwrap();
    assert!(parts[sums - 1].0.starts_with("files/"));
    parts.insert(sums, (name, rows));
    let manifest = parts
        .iter_mut()
        .find(|(n, _)| n == "manifest.json")
        .unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
    for t in m["tables"].as_array_mut().unwrap() {
        if t["name"] == "dashboard_refreshes" {
            t["rows"] = (lines as u64 + 1).into();
        }
    }
    manifest.1 = serde_json::to_vec_pretty(&m).unwrap();
    let bad = work.0.join("bad.tar");
    std::fs::write(&bad, seal(parts)).unwrap();

    let target = EmptyTarget::create(backend, Storage::Fs).await;
    let o = restore(&target.env(), &bad);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("写入表 dashboard_refreshes 失败"),
        "{}",
        text(&o)
    );
    use anze_core::attachment::BlobStore;
    let files = anze_store::Blobs::open(&anze_store::BlobConfig::Fs {
        root: target.data_dir.join("files"),
    })
    .unwrap();
    assert_eq!(files.list("").await.unwrap(), vec![], "files were left");
    // No row stayed: the target is still empty, and takes the good archive.
    let o = restore(&target.env(), &good);
    assert!(o.status.success(), "{}", text(&o));
    assert!(files.list("").await.unwrap().len() > 40);
    audit_verify(&target.env());
}

async fn restore_refuses_a_target_that_holds_data(app: TestApp) {
    let work = scratch_dir();
    let archive = small_archive(&work.0, "small.tar.gz");
    let before = work.0.join("before.tar");
    let after = work.0.join("after.tar");
    let env = env_of(&app);
    backup(&env, &before);
    let o = restore(&env, &archive);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("目标数据库不是空的") && text(&o).contains("表 organizations"),
        "{}",
        text(&o)
    );
    backup(&env, &after);
    assert_eq!(
        table_chunks(&after),
        table_chunks(&before),
        "the refused restore changed the target"
    );
    let admin = app.admin().await;
    assert_eq!(app.get(&admin, "/orgs").await.0, StatusCode::OK);
}

async fn a_backup_while_the_server_writes_is_one_moment() {
    let source = TestApp::spawn(Backend::Sqlite).await;
    let work = scratch_dir();
    // Organizations (each with its first account, its roles and an audit event) are created
    // over HTTP without a pause while three backups run.
    let stop = Arc::new(AtomicBool::new(false));
    let created = Arc::new(AtomicU32::new(0));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = {
        let stop = stop.clone();
        let created = created.clone();
        let acknowledged = acknowledged.clone();
        let url = source.url("");
        let admin = source.admin().await;
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let name = format!("并发写入机构{n}");
                let code = credit_code(&name);
                let username = format!("concurrent_{n}");
                let (_, form) = get(&admin, &format!("{url}/orgs/new")).await;
                let mut body = org_fields(&name, &code, &username);
                let token = csrf_token(&form).unwrap();
                body.push(("_csrf", token.as_str()));
                let res = admin
                    .post(format!("{url}/orgs"))
                    .form(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::SEE_OTHER);
                created.fetch_add(1, Ordering::SeqCst);
                acknowledged.lock().unwrap().push(Instant::now());
            }
        })
    };
    let mut archives = Vec::new();
    let mut running = Vec::new();
    for i in 0..3 {
        while created.load(Ordering::SeqCst) < 2 * (i + 1) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let out = work.0.join(format!("during-{i}.tar.gz"));
        let started = Instant::now();
        let o = anze_async(
            env_of(&source),
            vec!["backup".into(), "--out".into(), out.display().to_string()],
        )
        .await;
        assert!(o.status.success(), "{}", text(&o));
        running.push(started..Instant::now());
        archives.push(out);
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let during = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|&&t| running.iter().any(|r| r.contains(&t)))
        .count();
    assert!(during > 0, "no write was acknowledged while a backup ran");

    let mut orgs_seen = Vec::new();
    for archive in &archives {
        // Each archive is one moment: every organization with its first account, and the
        // chain's head at the last event it holds.
        let orgs = rows(archive, "organizations");
        let accounts = rows(archive, "accounts");
        let concurrent = |rows: &[serde_json::Value], field: usize, prefix: &str| {
            rows.iter()
                .filter(|r| r[field].as_str().is_some_and(|s| s.starts_with(prefix)))
                .count()
        };
        let n = concurrent(&orgs, 2, "并发写入机构");
        assert_eq!(concurrent(&accounts, 2, "concurrent_"), n, "{archive:?}");
        let events = rows(archive, "audit_events");
        let head = rows(archive, "audit_chain_head");
        assert_eq!(
            head[0][1].as_i64().unwrap(),
            events.len() as i64,
            "{archive:?}"
        );
        orgs_seen.push(n);
    }
    assert!(
        orgs_seen.windows(2).all(|w| w[0] < w[1]),
        "the backups did not overlap the writes: {orgs_seen:?}"
    );
    let target = EmptyTarget::create(Backend::Sqlite, Storage::Fs).await;
    let o = restore(&target.env(), archives.last().unwrap());
    assert!(o.status.success(), "{}", text(&o));
    let verified = audit_verify(&target.env());
    let events = rows(archives.last().unwrap(), "audit_events").len();
    assert!(
        verified.contains(&format!("审计日志校验通过:{events} 条")),
        "{verified}"
    );
}

async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let res = client.get(url).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch_dir() -> Scratch {
    let dir = std::env::temp_dir().join(format!(
        "anze-backup-test-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Every entry of an archive (plain or gzip), in order.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let reader: Box<dyn Read> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(bytes.as_slice()))
    } else {
        Box::new(bytes.as_slice())
    };
    let mut archive = tar::Archive::new(reader);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

/// The rows of one table in an archive.
fn rows(path: &Path, table: &str) -> Vec<serde_json::Value> {
    entries(path)
        .into_iter()
        .filter(|(name, _)| name.starts_with(&format!("tables/{table}/")))
        .flat_map(|(_, data)| {
            data.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn table_chunks(path: &Path) -> Vec<(String, Vec<u8>)> {
    entries(path)
        .into_iter()
        .filter(|(name, _)| name.starts_with("tables/"))
        .collect()
}

fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An archive of `entries` with its checksums made right (each `sums/` list, the manifest's
/// list of them and the manifest's own), whatever was changed, added or moved: what a version
/// of anze that wrote these entries would have written.
fn seal(entries: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    let mut out = tar::Builder::new(Vec::new());
    let mut since_sums = Vec::new();
    let mut sums = Vec::new();
    let mut manifest_sha = String::new();
    for (name, mut data) in entries {
        if name.starts_with("sums/") {
            data = since_sums
                .drain(..)
                .map(|(path, bytes, sha): (String, usize, String)| {
                    format!(
                        "{}\n",
                        serde_json::json!({"path": path, "bytes": bytes, "sha256": sha})
                    )
                })
                .collect::<String>()
                .into_bytes();
            sums.push(serde_json::json!({"path": name, "sha256": sha256(&data)}));
        } else if name == "manifest.json" {
            let mut manifest: serde_json::Value = serde_json::from_slice(&data).unwrap();
            manifest["sums"] = serde_json::Value::Array(std::mem::take(&mut sums));
            data = serde_json::to_vec_pretty(&manifest).unwrap();
            manifest_sha = sha256(&data);
        } else if name == "manifest.json.sha256" {
            data = manifest_sha.clone().into_bytes();
        } else {
            since_sums.push((name.clone(), data.len(), sha256(&data)));
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        out.append_data(&mut header, &name, data.as_slice())
            .unwrap();
    }
    out.into_inner().unwrap()
}
