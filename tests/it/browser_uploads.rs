//! Browser test of a large photo over a poor connection, on a phone (390×844): the upload shows
//! its progress, the connection drops half-way, the form says so and keeps everything, and 重试
//! saves the hazard once with the photo byte for byte.
//!
//! The browser reaches the application through a small proxy in this file that passes the
//! request body on at a bounded rate (so the upload is still under way when the test looks) and
//! can cut every connection, as a phone losing its signal would. Runs only when
//! `ANZE_TEST_BROWSER=1`; nothing sleeps for a fixed time except the proxy's pacing.

use anze_core::attachment::{AttachmentStore, BlobStore, OwnerKind};
use anze_core::hazard::HazardStore;
use anze_core::ids::HazardId;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use crate::browser::{Browser, WAIT};
use crate::hazards::{accepted_order, day, inspect};
use crate::helpers::{PASSWORD, TestApp};

crate::browser_tests!(a_large_photo_shows_its_progress_and_survives_a_dropped_connection,);

/// Bytes a second the proxy passes from the browser to the server while pacing.
const PACE: usize = 1024 * 1024;

/// A TCP proxy in front of the application: paces uploads while `pacing`, and `cut` closes every
/// connection and refuses new ones until `restore`.
struct Proxy {
    addr: SocketAddr,
    pacing: Arc<AtomicBool>,
    cut: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let socket = TcpSocket::new_v4().unwrap();
        // A small receive window, so the browser's count of bytes sent follows what the proxy
        // has really taken, not what the kernel buffered.
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener: TcpListener = socket.listen(64).unwrap();
        let addr = listener.local_addr().unwrap();
        let pacing = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(false);
        let proxy = Proxy {
            addr,
            pacing: pacing.clone(),
            cut: cut.clone(),
        };
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *cut.borrow() {
                    drop(client);
                    continue;
                }
                let pacing = pacing.clone();
                let mut down = cut.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = pipe(client, server, pacing) => {}
                        _ = down.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        proxy
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The signal is gone: every open connection ends, new ones are refused.
    fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// The signal is back, at full speed.
    fn restore(&self) {
        self.pacing.store(false, Ordering::SeqCst);
        self.cut.send_replace(false);
    }
}

/// Passes bytes both ways; the browser's side at `PACE` while `pacing` is on.
async fn pipe(client: TcpStream, server: TcpStream, pacing: Arc<AtomicBool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            if pacing.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_secs_f64(n as f64 / PACE as f64)).await;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let down = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}

/// A photo of about 8 MB that no compression shrinks: noise, as a PNG.
fn large_photo() -> (std::path::PathBuf, Vec<u8>) {
    let mut seed: u32 = 0x2545_f491;
    let img = image::RgbImage::from_fn(1700, 1700, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    let bytes = bytes.into_inner();
    let dir = std::env::temp_dir().join(format!("anze-browser-uploads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("现场大图.png");
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// How many hazards the inspection's page lists.
async fn hazards_on(app: &TestApp, client: &reqwest::Client, record: &str) -> usize {
    let (status, html) = app.get(client, record).await;
    assert!(status.is_success(), "{record}: {status}");
    let mut ids: Vec<&str> = html
        .split("href=\"/hazards/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

impl Browser {
    /// The upload bar's value and text while it is shown.
    async fn progress(&self) -> Option<(f64, String)> {
        let value = self
            .client
            .execute(
                "var b = document.querySelector('.upload-progress progress');\
                 var t = document.querySelector('.upload-progress .upload-text');\
                 return b && t ? [b.value, t.textContent] : null;",
                vec![],
            )
            .await
            .unwrap();
        let pair = value.as_array()?;
        Some((pair[0].as_f64()?, pair[1].as_str()?.to_string()))
    }
}

async fn a_large_photo_shows_its_progress_and_survives_a_dropped_connection(
    app: TestApp,
    plain: Browser,
) {
    // The browser the harness opened talks to the application directly; this one goes through
    // the proxy.
    plain.close().await;
    let proxy = Proxy::start(app.addr).await;
    let b = Browser::open_at(&proxy.url()).await;

    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;
    let form = format!("{record}/hazards/new");
    let (path, bytes) = large_photo();

    b.client.set_window_size(390, 844).await.unwrap();
    // Signing in goes at full speed; the pacing is for the upload.
    proxy.pacing.store(false, Ordering::SeqCst);
    b.login("hz_staff", PASSWORD).await;
    proxy.pacing.store(true, Ordering::SeqCst);
    b.visit(&form).await;
    b.wait_title("新增隐患").await;
    b.fill("#description", "配电室电缆沟积水").await;
    b.fill("#location", "一号配电室").await;
    b.fill("#suggestion", "排水并封堵电缆沟").await;
    b.fill("#responsible", "电工班长刘强").await;
    b.choose("category", "用电安全").await;
    b.find_css("input[name=level][value=general]")
        .await
        .click()
        .await
        .unwrap();
    b.find_css("input#f_before")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    b.press("确定").await;

    // The bar moves: some of the photo is up, not all of it.
    let start = Instant::now();
    let seen = loop {
        if let Some((value, text)) = b.progress().await
            && value > 0.0
            && value < 100.0
        {
            break (value, text);
        }
        assert!(
            start.elapsed() < WAIT,
            "no upload under way: {}",
            b.context().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        seen.1.starts_with("正在上传 ") && seen.1.contains(" MB"),
        "the bar says how far: {seen:?}"
    );
    b.fits("the form while uploading").await;

    // The signal goes half-way through.
    proxy.cut();
    b.wait_xpath("//div[contains(@class, 'offline-note') and contains(., '网络中断')]")
        .await;
    assert_eq!(b.path().await, form, "still on the form");
    assert!(b.progress().await.is_none(), "the bar is gone");
    let picked: i64 = b
        .client
        .execute(
            "return document.querySelector('input#f_before').files.length;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(picked, 1, "the photo is still picked");
    assert_eq!(
        b.find_css("#description")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("配电室电缆沟积水")
    );
    b.fits("the form after the drop").await;
    assert_eq!(
        hazards_on(&app, &staff, &record).await,
        0,
        "nothing was saved from the cut upload"
    );

    // The signal is back: 重试 sends it all again and ends on the new hazard.
    proxy.restore();
    b.press("重试").await;
    b.wait_flash("操作成功,已新增").await;
    let path = b.path().await;
    let hazard: HazardId = path
        .strip_prefix("/hazards/")
        .unwrap_or_else(|| panic!("ends on the hazard, not {path}"))
        .parse()
        .unwrap();
    b.fits("the saved hazard").await;
    let stored = app.db.get_hazard(hazard).await.unwrap().unwrap();
    assert_eq!(stored.description, "配电室电缆沟积水");
    assert_eq!(hazards_on(&app, &staff, &record).await, 1, "saved once");
    let files = app
        .db
        .attachments_of(OwnerKind::Hazard, &[stored.id.0])
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    let saved = app
        .blobs
        .read_to_vec(&files[0].storage_key, 64 << 20)
        .await
        .unwrap()
        .unwrap();
    assert!(
        saved == bytes,
        "the photo is stored as picked, byte for byte"
    );
    b.close().await;
}
