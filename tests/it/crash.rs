//! One `anze serve` (the real binary) on SQLite with local files, killed with SIGKILL 20 times
//! while clients create records with photos (each submit with its one-time key, a submit whose
//! answer was lost sent again with the same key) and read: no create a client saw acknowledged
//! is lost, none is saved twice, and after `anze storage gc` every stored file belongs to a
//! record and every record's file is there.

use anze_core::attachment::AttachmentStore;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::helpers::{Backend, TestApp};
use crate::load::{self, Outages, Seen, User};
use crate::process::{Launch, free_port};

crate::async_tests!(twenty_kills_under_write_load_lose_no_acknowledged_create);

const KILLS: u64 = 20;

fn files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

async fn twenty_kills_under_write_load_lose_no_acknowledged_create() {
    let began = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (order, _) = crate::records::accepted_order(&app).await;
    let staff = app.actor("ag_staff").await.account_id.to_string();
    let mut server = Launch::new(&app, "solo").port(free_port()).start().await;
    let base = server.url("");

    let writers = vec![
        User::login(&base, order, &staff).await,
        User::login(&base, order, &staff).await,
    ];
    let readers = vec![User::login(&base, order, &staff).await];
    let seen = Arc::new(Mutex::new(Seen::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load::run(&writers, &readers, stop.clone(), seen.clone());
    // Without a proxy, everything sent from the kill until the restarted server listens fails.
    let mut outages = Outages::default();
    for i in 0..KILLS {
        // Kills at varying points of the creates in progress.
        tokio::time::sleep(Duration::from_millis(400 + (i * 137) % 500)).await;
        let killed = Instant::now();
        server.kill();
        server.restart().await;
        outages.0.push((killed, Instant::now()));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let load_time = began.elapsed();

    let seen = std::mem::replace(&mut *seen.lock().unwrap(), Seen::new());
    let checker = User::login(&base, order, &staff).await;
    let tally = load::verify(&app, order, &seen, &outages, &checker).await;
    assert!(tally.acknowledged >= 40, "the load wrote little: {tally}");
    server.stop().await;

    // The kills left files without a record (written before their record's transaction) and
    // unfinished writes; `anze storage gc` removes them once they are an hour old, so age
    // every file by two hours first.
    let root = app.data_dir.join("files");
    let mut before = Vec::new();
    files_under(&root, &mut before);
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    for path in &before {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_anze"))
        .args(["storage", "gc"])
        .env("ANZE_DATA_DIR", &app.data_dir)
        .env_remove("ANZE_CONFIG")
        .env_remove("ANZE_DATABASE_URL")
        .env_remove("ANZE_STORAGE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = report.lines().last().unwrap_or_default().to_string();
    assert!(
        summary.ends_with(" 0 younger than an hour left"),
        "{report}"
    );

    let mut after = Vec::new();
    files_under(&root, &mut after);
    let stored: BTreeSet<String> = after
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let referenced: BTreeSet<String> = app
        .db
        .attachment_keys()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        stored, referenced,
        "after gc exactly the files of records are stored"
    );
    println!(
        "crash: {KILLS} kills, {tally}; failures accepted (sent while the server was down or \
         in flight at a kill): {}; files before gc {}, after {} ({summary}); load {load_time:.1?}, \
         total {:.1?}",
        seen.failures.len(),
        before.len(),
        after.len(),
        began.elapsed()
    );
}
