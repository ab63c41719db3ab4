//! 附件: uploads streamed through `upload::receive` into the blob store, rows saved with the
//! store helpers, files served through `/attachments/{id}` under the order's scope, and
//! `anze storage gc`. Every test runs on each database with local files, and on SQLite with the
//! S3 test bucket.

use anze_core::attachment::service::remove_blobs;
use anze_core::attachment::{
    Attachment, AttachmentStore, BlobStore, DOCUMENTS, FileKind, FileRule, IMAGES, IMAGES_AND_PDF,
    OwnerKind, OwnerRef,
};
use anze_core::ids::{AccountId, OrderId};
use anze_web::upload::{self, Received, UploadError, UploadErrorKind, UploadLimits};
use axum::body::Body;
use axum::extract::Multipart;
use axum::http::{Request, header};
use axum::routing::post;
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

use crate::helpers::{Exif, Storage, TestApp, location, with_exif};

crate::storage_tests!(
    parties_of_the_order_download_with_safe_headers_others_get_404,
    photo_gets_an_upright_thumbnail_and_its_exif_is_kept,
    decompression_bomb_is_stored_without_thumbnail,
    refused_uploads_leave_no_file_behind,
    text_parts_and_empty_file_inputs,
    storage_gc_removes_orphans_and_keeps_referenced_files,
);
crate::async_tests!(
    storage_gc_command_prints_what_it_removed,
    // A measurement, run by hand (see the function).
    #[ignore]
    upload_memory_of_a_1gb_file,
);

const RULES: &[FileRule] = &[
    FileRule {
        field: "photos",
        label: "现场照片",
        allowed: IMAGES,
        required: true,
        max_files: 3,
    },
    FileRule {
        field: "sign_sheet",
        label: "签到表",
        allowed: IMAGES_AND_PDF,
        required: false,
        max_files: 2,
    },
    FileRule {
        field: "courseware",
        label: "课件",
        allowed: DOCUMENTS,
        required: false,
        max_files: 5,
    },
];

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// One part of a multipart body: a text field when `file_name` is `None`.
struct Part<'a> {
    name: &'a str,
    file_name: Option<&'a str>,
    data: Vec<u8>,
}

fn file<'a>(name: &'a str, file_name: &'a str, data: &[u8]) -> Part<'a> {
    Part {
        name,
        file_name: Some(file_name),
        data: data.to_vec(),
    }
}

fn text<'a>(name: &'a str, value: &str) -> Part<'a> {
    Part {
        name,
        file_name: None,
        data: value.as_bytes().to_vec(),
    }
}

const BOUNDARY: &str = "----anzeTestBoundary7MA4YWxkTrZu0gW";

fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p.file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
        }
        body.extend_from_slice(&p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Runs `upload::receive` behind a route with the upload body limit, as a record page would.
pub async fn receive_body(
    blobs: Arc<dyn BlobStore>,
    limits: UploadLimits,
    body: Body,
) -> Result<Received, UploadError> {
    let out = Arc::new(Mutex::new(None));
    let sink = out.clone();
    let router = axum::Router::new()
        .route(
            "/upload",
            post(move |multipart: Multipart| {
                let (blobs, limits, sink) = (blobs.clone(), limits.clone(), sink.clone());
                async move {
                    let r = upload::receive(multipart, RULES, blobs.as_ref(), &limits).await;
                    *sink.lock().unwrap() = Some(r);
                }
            }),
        )
        .layer(upload::body_limit());
    let req = Request::post("/upload")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .unwrap();
    router.oneshot(req).await.unwrap();
    out.lock().unwrap().take().expect("the handler ran")
}

async fn receive(app: &TestApp, parts: &[Part<'_>]) -> Result<Received, UploadError> {
    receive_with(app, UploadLimits::default(), parts).await
}

async fn receive_with(
    app: &TestApp,
    limits: UploadLimits,
    parts: &[Part<'_>],
) -> Result<Received, UploadError> {
    receive_body(app.blobs.clone(), limits, Body::from(multipart_body(parts))).await
}

/// Keys currently in the blob store.
async fn stored(app: &TestApp) -> Vec<String> {
    let mut keys: Vec<String> = app
        .blobs
        .list("att/")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    keys.sort();
    keys
}

/// An insurer (`ins`), agencies `ag_a` (serving) and `ag_b`, and an accepted order of `ag_a`.
async fn accepted_order(app: &TestApp) -> OrderId {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let a = app.seed_org("agency", "安信技术", "ag_a").await;
    app.seed_org("agency", "闽安评价", "ag_b").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-2026-0009").await;
    let order = app.seed_order("ins", policy, a).await;
    let agency = app.actor("ag_a").await;
    anze_core::order::service::accept(&app.db, &agency, order, Utc::now())
        .await
        .unwrap();
    order
}

/// Saves what was received as the attachments of training record `record` of `order`.
async fn attach(
    app: &TestApp,
    order: OrderId,
    record: i64,
    received: &Received,
    by: &str,
) -> Vec<Attachment> {
    let owner = OwnerRef {
        kind: OwnerKind::Training,
        id: record,
    };
    let account: AccountId = app.actor(by).await.account_id;
    app.db
        .insert_attachments(order, owner, &received.files, account, Utc::now())
        .await
        .unwrap();
    app.db
        .attachments_of(OwnerKind::Training, &[record])
        .await
        .unwrap()
}

/// A `w`×`h` JPEG whose left half is red and right half blue, with an EXIF block (orientation,
/// capture time 2026:11:20 09:30:00, GPS 24°52'27.2"N 118°40'32.5"E in 泉州) as a phone
/// camera writes it.
fn phone_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgb([230, 20, 20])
        } else {
            image::Rgb([20, 20, 230])
        }
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&img)
        .unwrap();
    with_exif(
        &jpeg,
        Exif {
            orientation: Some(orientation),
            captured: Some("2026:11:20 09:30:00"),
            gps: Some((
                24.0 + 52.0 / 60.0 + 27.2 / 3600.0,
                118.0 + 40.0 / 60.0 + 32.5 / 3600.0,
            )),
        },
    )
}

/// A Word document as a zip: `[Content_Types].xml`, a 100 KB embedded picture, then `word/`,
/// so the part telling it is Word lies past the first 64 KiB and only the zip's directory at
/// the end shows it. Entries are stored uncompressed.
fn docx_with_large_first_entry() -> Vec<u8> {
    let entries: Vec<(&str, Vec<u8>)> = vec![
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        ("docProps/thumbnail.jpeg", vec![0x5a; 100 * 1024]),
        ("word/document.xml", b"<w:document/>".to_vec()),
    ];
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in &entries {
        let offset = out.len() as u32;
        let crc = crc32(data).to_le_bytes();
        let size = (data.len() as u32).to_le_bytes();
        let name_len = (name.len() as u16).to_le_bytes();
        out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&crc);
        out.extend_from_slice(&size);
        out.extend_from_slice(&size);
        out.extend_from_slice(&name_len);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0");
        central.extend_from_slice(&crc);
        central.extend_from_slice(&size);
        central.extend_from_slice(&size);
        central.extend_from_slice(&name_len);
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (dir_offset, dir_len) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\x03\0\x03\0");
    out.extend_from_slice(&dir_len.to_le_bytes());
    out.extend_from_slice(&dir_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A 200-byte PNG declaring 60000×60000 pixels (10 GB decoded): a decompression bomb.
fn bomb_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // A zlib stream of zeros, far shorter than the declared image.
    chunk(
        &mut png,
        b"IDAT",
        b"\x78\x9c\x63\x60\x18\x05\x00\x00\x00\x00\x01",
    );
    chunk(&mut png, b"IEND", b"");
    png
}

async fn parties_of_the_order_download_with_safe_headers_others_get_404(app: TestApp) {
    let order = accepted_order(&app).await;
    let received = receive(
        &app,
        &[
            file("sign_sheet", "安全培训签到表.pdf", PDF),
            file("photos", "现场.jpg", &phone_jpeg(64, 32, 1)),
            file(
                "courseware",
                "培训课件.docx",
                &docx_with_large_first_entry(),
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(received.files.len(), 3);
    let saved = attach(&app, order, 1, &received, "ag_a").await;
    let pdf = saved.iter().find(|a| a.kind == FileKind::Pdf).unwrap();
    assert_eq!(pdf.original_name, "安全培训签到表.pdf");
    assert_eq!(pdf.size, PDF.len() as u64);
    assert_eq!(pdf.field, "sign_sheet");
    assert_eq!(pdf.uploaded_by_name, "安信技术管理员(ag_a)");
    assert!(!pdf.has_thumbnail);
    let path = format!("/attachments/{}", pdf.id);

    for who in ["ag_a", "ins"] {
        let client = app.login(who, crate::helpers::PASSWORD).await;
        let res = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{who}");
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-length"], PDF.len().to_string().as_str());
        assert_eq!(
            h["content-disposition"],
            "inline; filename=\"_______.pdf\"; \
             filename*=UTF-8''%E5%AE%89%E5%85%A8%E5%9F%B9%E8%AE%AD%E7%AD%BE%E5%88%B0%E8%A1%A8.pdf"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

        // The browser's copy is revalidated, and not sent again when current.
        let etag = h["etag"].to_str().unwrap().to_string();
        assert_eq!(etag, format!("\"{}\"", pdf.sha256));
        let again = client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }

    let outsider = app.login("ag_b", crate::helpers::PASSWORD).await;
    for p in [
        path.clone(),
        format!("{path}/thumb"),
        "/attachments/999999".into(),
        "/attachments/x".into(),
    ] {
        let res = outsider.get(app.url(&p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }

    let anonymous = app.client();
    let res = anonymous.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&res).starts_with("/login?next="),
        "{}",
        location(&res)
    );

    // A Word document is told by its zip directory and downloaded, not shown.
    let doc = saved.iter().find(|a| a.kind == FileKind::Docx).unwrap();
    let client = app.login("ag_a", crate::helpers::PASSWORD).await;
    let res = client
        .get(app.url(&format!("/attachments/{}", doc.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"____.docx\"; filename*=UTF-8''")
    );
    assert_eq!(res.bytes().await.unwrap().len() as u64, doc.size);

    // A photo: image type, its own thumbnail; a PDF has none.
    let photo = saved.iter().find(|a| a.kind == FileKind::Jpeg).unwrap();
    let client = app.login("ins", crate::helpers::PASSWORD).await;
    let res = client
        .get(app.url(&format!("/attachments/{}", photo.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let res = client
        .get(app.url(&format!("{path}/thumb")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn photo_gets_an_upright_thumbnail_and_its_exif_is_kept(app: TestApp) {
    let order = accepted_order(&app).await;
    // Stored 64 wide and 32 tall; orientation 6 says "turn 90° clockwise to view".
    let received = receive(
        &app,
        &[file("photos", "IMG_0001.JPG", &phone_jpeg(64, 32, 6))],
    )
    .await
    .unwrap();
    let saved = attach(&app, order, 7, &received, "ag_a").await;
    let photo = &saved[0];
    assert!(photo.has_thumbnail);
    assert_eq!(
        photo.captured_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 20, 1, 30, 0).unwrap()),
        "09:30 China time"
    );
    let (lat, lng) = photo.gps.unwrap();
    assert!((lat - 24.874222).abs() < 1e-5, "{lat}");
    assert!((lng - 118.675694).abs() < 1e-5, "{lng}");
    assert_eq!(photo.gps_label().unwrap(), "24.874222, 118.675694");
    assert_eq!(photo.captured_label().unwrap(), "2026-11-20 09:30:00");

    let client = app.login("ag_a", crate::helpers::PASSWORD).await;
    let res = client
        .get(app.url(&format!("/attachments/{}/thumb", photo.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let thumb = image::load_from_memory(&res.bytes().await.unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!((thumb.width(), thumb.height()), (32, 64), "turned upright");
    // The stored image's left (red) half is the top once turned.
    let top = thumb.get_pixel(16, 8).0;
    let bottom = thumb.get_pixel(16, 56).0;
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );
}

async fn decompression_bomb_is_stored_without_thumbnail(app: TestApp) {
    let order = accepted_order(&app).await;
    let bomb = bomb_png();
    let received = receive(&app, &[file("photos", "huge.png", &bomb)])
        .await
        .unwrap();
    let saved = attach(&app, order, 3, &received, "ag_a").await;
    assert_eq!(saved[0].kind, FileKind::Png);
    assert!(!saved[0].has_thumbnail);
    assert_eq!(stored(&app).await, vec![saved[0].storage_key.clone()]);
    let client = app.login("ag_a", crate::helpers::PASSWORD).await;
    let res = client
        .get(app.url(&format!("/attachments/{}", saved[0].id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), bomb.as_slice());
}

async fn refused_uploads_leave_no_file_behind(app: TestApp) {
    let png = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(8, 8)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let cases: Vec<(Vec<Part>, UploadErrorKind, &str, &str)> = vec![
        (
            vec![
                file("photos", "a.png", &png),
                file("photos", "photo.jpg", PDF),
            ],
            UploadErrorKind::Refused,
            "photos",
            "“photo.jpg”是PDF 文档,现场照片只接受 JPG、PNG、WebP、HEIC 格式",
        ),
        (
            vec![file("sign_sheet", "签到表.jpg", PDF)],
            UploadErrorKind::Refused,
            "sign_sheet",
            "文件“签到表.jpg”的扩展名表明是JPEG 图片,但内容是PDF 文档,请确认后重新选择",
        ),
        (
            vec![file(
                "courseware",
                "课件.pptx",
                b"<html><script>alert(1)</script></html>",
            )],
            UploadErrorKind::Refused,
            "courseware",
            "无法识别“课件.pptx”的文件格式,课件只接受 PDF、Word、Excel、PPT 格式",
        ),
        (
            vec![file("photos", "a.png", &png), file("photos", "空.png", b"")],
            UploadErrorKind::Refused,
            "photos",
            "“空.png”是空文件,请重新选择",
        ),
        (
            vec![file("photos", "../..", &png)],
            UploadErrorKind::Refused,
            "photos",
            "现场照片的文件名无效,请重命名后再上传",
        ),
        (
            vec![
                file("sign_sheet", "1.pdf", PDF),
                file("sign_sheet", "2.pdf", PDF),
                file("sign_sheet", "3.pdf", PDF),
            ],
            UploadErrorKind::Refused,
            "sign_sheet",
            "签到表最多上传 2 个文件",
        ),
        (
            vec![file("other", "x.pdf", PDF)],
            UploadErrorKind::Refused,
            "",
            "提交了不接受文件的上传项,请刷新页面后重试",
        ),
    ];
    for (parts, kind, field, message) in cases {
        let err = receive(&app, &parts).await.unwrap_err();
        assert_eq!(
            (err.kind, err.field, err.message.as_str()),
            (kind, field, message)
        );
        assert_eq!(stored(&app).await, Vec::<String>::new(), "{message}");
    }

    // Past the size limit mid-stream: cut off, 413, nothing kept.
    let limits = UploadLimits {
        max_file_bytes: 100 * 1024,
        ..UploadLimits::default()
    };
    let mut big = PDF.to_vec();
    big.resize(300 * 1024, b' ');
    let err = receive_with(
        &app,
        limits.clone(),
        &[
            file("sign_sheet", "ok.pdf", PDF),
            file("sign_sheet", "big.pdf", &big),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, UploadErrorKind::TooLarge);
    assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(err.message, "“big.pdf”超过了单个文件 100.0 KB 的大小限制");
    assert_eq!(stored(&app).await, Vec::<String>::new());

    // A body cut off mid-file (the client went away): nothing kept either.
    let mut body = multipart_body(&[
        file("sign_sheet", "ok.pdf", PDF),
        file("sign_sheet", "b.pdf", &big),
    ]);
    body.truncate(body.len() - 1000);
    let err = receive_body(app.blobs.clone(), UploadLimits::default(), Body::from(body))
        .await
        .unwrap_err();
    assert_eq!(err.kind, UploadErrorKind::Malformed);
    assert_eq!(stored(&app).await, Vec::<String>::new());

    // Received but not saved (the record's own fields were invalid): `discard` cleans up.
    let received = receive(
        &app,
        &[
            file("photos", "a.png", &png),
            file("sign_sheet", "s.pdf", PDF),
        ],
    )
    .await
    .unwrap();
    assert_eq!(stored(&app).await.len(), 3, "two files and a thumbnail");
    received.discard(app.blobs.as_ref()).await;
    assert_eq!(stored(&app).await, Vec::<String>::new());
}

async fn text_parts_and_empty_file_inputs(app: TestApp) {
    #[derive(serde::Deserialize)]
    struct Form {
        topic: String,
        staff: Vec<String>,
    }
    let received = receive(
        &app,
        &[
            text("topic", "危险化学品安全培训"),
            text("staff", "3"),
            text("staff", "5"),
            // A file input nobody used: browsers send an empty part with an empty name.
            file("photos", "", b""),
            file("courseware", "讲义", PDF),
        ],
    )
    .await
    .unwrap();
    assert_eq!(received.text("topic"), Some("危险化学品安全培训"));
    let form: Form = received.form().unwrap();
    assert_eq!(form.topic, "危险化学品安全培训");
    assert_eq!(form.staff, vec!["3", "5"]);
    assert_eq!(received.files.len(), 1);
    let (field, doc) = &received.files[0];
    assert_eq!(field, "courseware");
    assert_eq!(
        doc.original_name, "讲义.pdf",
        "the missing extension is added"
    );
    assert_eq!(doc.kind, FileKind::Pdf);
    assert_eq!(doc.sha256.len(), 64);
    // The required photos are missing: the record's check says so under the field.
    let errors = anze_core::attachment::check_files(RULES, &received.files, &[]);
    assert_eq!(errors.get("photos"), Some("请上传现场照片"));

    // Text parts have their own small limit.
    let long = "字".repeat(30_000);
    let err = receive(&app, &[text("summary", &long)]).await.unwrap_err();
    assert_eq!(err.kind, UploadErrorKind::TooLarge);
    received.discard(app.blobs.as_ref()).await;
}

async fn storage_gc_removes_orphans_and_keeps_referenced_files(app: TestApp) {
    let order = accepted_order(&app).await;
    let received = receive(&app, &[file("photos", "p.jpg", &phone_jpeg(16, 16, 1))])
        .await
        .unwrap();
    let saved = attach(&app, order, 11, &received, "ag_a").await;
    let referenced = saved[0].keys();
    assert_eq!(referenced.len(), 2, "file and thumbnail");
    let orphan = "att/2026/01/0123456789abcdef0123456789abcdef".to_string();
    app.blobs
        .put(&orphan, b"left by a crash".to_vec())
        .await
        .unwrap();

    // Within the hour the orphan may still be an upload in progress: kept.
    let gc = anze::storage_gc(&app.db, &app.blobs, Utc::now())
        .await
        .unwrap();
    assert!(gc.orphans.removed.is_empty());
    assert_eq!((gc.orphans.kept, gc.orphans.young), (2, 1));

    let gc = anze::storage_gc(&app.db, &app.blobs, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(gc.orphans.removed, vec![orphan]);
    assert_eq!(gc.orphans.kept, 2);
    let mut expected = referenced.clone();
    expected.sort();
    assert_eq!(stored(&app).await, expected);

    // A record's deletion returns its keys for removal after commit.
    let owner = OwnerRef {
        kind: OwnerKind::Training,
        id: 11,
    };
    let mut keys = app.db.delete_attachments_of(owner, None).await.unwrap();
    keys.sort();
    assert_eq!(keys, expected);
    assert!(app.db.get_attachment(saved[0].id).await.unwrap().is_none());
    assert!(remove_blobs(app.blobs.as_ref(), &keys).await.is_empty());
    assert_eq!(stored(&app).await, Vec::<String>::new());
}

/// `anze storage gc` from the console on a SQLite data directory with local files.
async fn storage_gc_command_prints_what_it_removed() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    assert_eq!(app.storage, Storage::Fs);
    let order = accepted_order(&app).await;
    let received = receive(&app, &[file("sign_sheet", "s.pdf", PDF)])
        .await
        .unwrap();
    let saved = attach(&app, order, 5, &received, "ag_a").await;
    let files = app.data_dir.join("files");
    let orphan = "att/2026/01/feedfacefeedfacefeedfacefeedface";
    std::fs::create_dir_all(files.join("att/2026/01")).unwrap();
    std::fs::write(files.join(orphan), b"orphan").unwrap();
    // Both are old; only the row decides.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 3600);
    for key in [orphan, saved[0].storage_key.as_str()] {
        std::fs::File::options()
            .write(true)
            .open(files.join(key))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_anze"))
        .args(["storage", "gc"])
        .env("ANZE_DATA_DIR", &app.data_dir)
        .env_remove("ANZE_DATABASE_URL")
        .env_remove("ANZE_STORAGE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("removed {orphan}")), "{stdout}");
    assert!(
        stdout.contains("1 orphaned and 0 unfinished files removed, 1 referenced kept"),
        "{stdout}"
    );
    assert!(!files.join(orphan).exists());
    assert!(files.join(&saved[0].storage_key).exists());
}

/// Not a test: measures the server's memory while a 1 GB upload streams through
/// `upload::receive` into the local store. The upload comes over TCP from `curl` (another
/// process, so its buffers do not count), as from a browser; the server's socket gives the
/// back-pressure an in-memory body would not.
/// `cargo test --test it attachments::upload_memory -- --ignored --nocapture`
async fn upload_memory_of_a_1gb_file() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    fn rss_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
    const SIZE: usize = 1024 * 1024 * 1024;
    let dir = std::env::temp_dir().join(format!("anze-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("big.pdf");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        f.write_all(b"%PDF-1.4\n").unwrap();
        let block = vec![b' '; 1024 * 1024];
        for _ in 0..SIZE / block.len() {
            f.write_all(&block).unwrap();
        }
    }
    let blobs: Arc<dyn BlobStore> = Arc::new(
        anze_store::Blobs::open(&anze_store::BlobConfig::Fs {
            root: dir.join("files"),
        })
        .unwrap(),
    );
    let limits = UploadLimits {
        max_file_bytes: 2 * SIZE as u64,
        ..UploadLimits::default()
    };
    let result = Arc::new(Mutex::new(None));
    let sink = result.clone();
    let handler_blobs = blobs.clone();
    let router = axum::Router::new()
        .route(
            "/upload",
            post(move |multipart: Multipart| {
                let (blobs, limits, sink) = (handler_blobs.clone(), limits.clone(), sink.clone());
                async move {
                    let r = upload::receive(multipart, RULES, blobs.as_ref(), &limits).await;
                    *sink.lock().unwrap() = Some(r);
                }
            }),
        )
        .layer(upload::body_limit());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let before = rss_kb();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kb(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    let started = std::time::Instant::now();
    let form = format!(
        "courseware=@{};filename=big.pdf;type=application/pdf",
        source.display()
    );
    let curl = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", &form])
            .arg(format!("http://{addr}/upload"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    server.abort();
    assert_eq!(String::from_utf8_lossy(&curl.stdout), "200");
    let received = result.lock().unwrap().take().unwrap().unwrap();
    assert_eq!(received.files[0].1.size, SIZE as u64 + 9);
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "1 GB upload to fs: server RSS before {} MB, peak {} MB, extra {} MB; {:.1} s ({:.0} MB/s)",
        before / 1024,
        peak / 1024,
        (peak - before) / 1024,
        elapsed.as_secs_f64(),
        1024.0 / elapsed.as_secs_f64()
    );
    received.discard(blobs.as_ref()).await;
    let _ = std::fs::remove_dir_all(dir);
}
