//! 服务档案: a policy's archive holds every original evidence file byte for byte, with an index
//! and a description; the insurer and the regulator download it, no one else.

use anze_core::order::OrderStore;
use reqwest::StatusCode;
use std::io::{Cursor, Read};

use crate::helpers::{Exif, PASSWORD, TestApp, with_exif};
use crate::integrity::{jpeg, scene, training, two_orders};

crate::backend_tests!(
    the_archive_holds_every_original_with_its_index,
    hazards_bring_their_photos_and_the_rectification_notice,
);

fn entries(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

async fn the_archive_holds_every_original_with_its_index(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    let photo = with_exif(
        &jpeg(&scene(4, 320, 240), 90),
        Exif {
            captured: Some("2026:11:20 09:30:00"),
            gps: Some((24.874222, 118.675694)),
            ..Default::default()
        },
    );
    let record = training(&app, "a_staff", order_a, vec![photo.clone()]).await;
    let policy = app.db.get_order(order_a).await.unwrap().unwrap().policy_id;
    let url = format!("/policies/{policy}/archive.zip");

    let ins = app.login("ins", PASSWORD).await;
    let (_, page) = app.get(&ins, &format!("/policies/{policy}")).await;
    assert!(page.contains(&url), "{page}");
    let res = ins.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let files = entries(res.bytes().await.unwrap().to_vec());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let about = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "说明.txt")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(
        about.contains("P-1") && about.contains("泉州甲化工有限公司"),
        "{about}"
    );
    let index = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "目录.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    // The evidence is the uploaded file itself, EXIF and all.
    let (path, bytes) = files
        .iter()
        .find(|(n, _)| n.contains("/安全培训/") && n.ends_with("现场.jpg"))
        .unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(bytes, &photo, "byte for byte");
    assert!(
        index.contains(path.as_str()) && index.contains("服务记录"),
        "{index}"
    );
    // The order's 服务报告 as a PDF, named in the index and 说明.txt.
    let (report, pdf) = files
        .iter()
        .find(|(n, _)| n.contains("/服务报告-") && n.ends_with(".pdf"))
        .unwrap_or_else(|| panic!("{names:?}"));
    assert!(index.contains(report.as_str()), "{index}");
    assert!(
        about.contains("文书(服务报告、整改通知书,PDF)1 份"),
        "{about}"
    );
    let text = crate::documents::Pdf::read(pdf).text();
    assert!(
        text.contains("服务报告") && text.contains("泉州甲化工有限公司"),
        "{text}"
    );
    let id = record.trim_start_matches("/records/");
    assert!(path.contains(&format!("_{id}/")), "{path}");

    let reg = app.login("reg", PASSWORD).await;
    let res = reg.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for (who, status) in [
        ("a_admin", StatusCode::FORBIDDEN),
        ("a_staff", StatusCode::FORBIDDEN),
    ] {
        let client = app.login(who, PASSWORD).await;
        let res = client.get(app.url(&url)).send().await.unwrap();
        assert_eq!(res.status(), status, "{who}");
    }
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let other = app.login("ins2", PASSWORD).await;
    let res = other.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn hazards_bring_their_photos_and_the_rectification_notice(app: TestApp) {
    use crate::hazards::{accepted_order, day, hazard_form, inspect};
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;
    let before = jpeg(&scene(9, 320, 240), 90);
    let deadline = day(&app, 10);
    let res = app
        .post_multipart_files(
            &staff,
            &format!("{record}/hazards/new"),
            &format!("{record}/hazards"),
            &hazard_form("消防通道堆放杂物", "general", &deadline),
            &[("before", "整改前.jpg", before.clone())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let policy = app
        .db
        .get_order(agency.order)
        .await
        .unwrap()
        .unwrap()
        .policy_id;
    let ins = app.login("hz_ins", PASSWORD).await;
    let res = ins
        .get(app.url(&format!("/policies/{policy}/archive.zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let files = entries(res.bytes().await.unwrap().to_vec());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let (_, photo) = files
        .iter()
        .find(|(n, _)| n.contains("/隐患/") && n.ends_with("整改前.jpg"))
        .unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(photo, &before);
    let (_, notice) = files
        .iter()
        .find(|(n, _)| n.contains("/整改通知书-") && n.ends_with(".pdf"))
        .unwrap_or_else(|| panic!("{names:?}"));
    let text = crate::documents::Pdf::read(notice).text();
    assert!(text.contains("消防通道堆放杂物"), "{text}");
}
