//! PDF documents made on the server and the 服务报告: the 整改通知书 with its 整改前照片, the
//! 复查意见书 of a reviewed hazard, and an order's report as a page and a PDF. Each PDF is read
//! back with a PDF library: its text layer, its embedded (subset) font, its photos.
//!
//! The documents are set in a CJK font found on the machine (`.ci/run` installs
//! fonts-wqy-microhei); the tests without one configure a font path that does not exist.

use anze::Config;
use anze_core::attachment::{AttachmentStore, OwnerKind};
use anze_core::ids::OrderId;
use anze_core::order::OrderStore;
use lopdf::{Document, Object};
use reqwest::{Client, StatusCode};
use std::io::Cursor;

use crate::hazards::{
    ENTERPRISE, accepted_order, day, hazard_form, inspect, new_hazard, rectify, review, stored,
};
use crate::helpers::{PASSWORD, TestApp, location};

crate::backend_tests!(
    the_notice_pdf_has_its_title_hazard_numbers_photos_and_an_embedded_font,
    a_reviewed_hazard_has_a_review_pdf,
    the_service_report_shows_the_plan_records_and_hazards,
    a_report_with_twenty_photos_stays_well_under_five_megabytes,
    a_long_report_numbers_every_page_and_repeats_table_headers,
    another_organizations_documents_are_not_found,
);

crate::configured_tests!(
    without_font, without_font;
    without_a_font_the_pages_say_so_and_print_versions_still_work,
);

fn without_font(c: &mut Config) {
    c.pdf_font = Some("/nonexistent/fonts/missing.ttc".into());
}

/// What a PDF holds, as a reader finds it.
pub(crate) struct Pdf {
    /// Every page's text, whitespace removed (extraction puts spaces and breaks its own way).
    pages: Vec<String>,
    /// Fonts embedded as files (`FontFile2`/`FontFile3`), by their PostScript names.
    embedded_fonts: Vec<String>,
    /// JPEG images (`DCTDecode` XObjects); a photo drawn twice, or two identical photos, count
    /// once.
    jpegs: usize,
    /// XObjects drawn on the pages (here: every photo placed).
    drawn: usize,
}

impl Pdf {
    pub(crate) fn read(bytes: &[u8]) -> Pdf {
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let doc = Document::load_mem(bytes).expect("the PDF parses");
        let drawn = doc
            .get_pages()
            .values()
            .map(|id| {
                let content = doc.get_page_content(*id);
                lopdf::content::Content::decode(&content)
                    .expect("page content decodes")
                    .operations
                    .iter()
                    .filter(|op| op.operator == "Do")
                    .count()
            })
            .sum();
        let pages = doc
            .get_pages()
            .keys()
            .map(|n| {
                doc.extract_text(&[*n])
                    .expect("text extracts")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect()
            })
            .collect();
        let mut embedded_fonts = Vec::new();
        let mut jpegs = 0;
        for object in doc.objects.values() {
            let dict = match object {
                Object::Dictionary(d) => d,
                Object::Stream(s) => &s.dict,
                _ => continue,
            };
            let name = |key: &[u8]| dict.get(key).and_then(Object::as_name).ok();
            if name(b"Type") == Some(b"FontDescriptor")
                && (dict.has(b"FontFile2") || dict.has(b"FontFile3"))
            {
                let font = name(b"FontName").unwrap_or_default();
                embedded_fonts.push(String::from_utf8_lossy(font).into_owned());
            }
            if name(b"Subtype") == Some(b"Image") && name(b"Filter") == Some(b"DCTDecode") {
                jpegs += 1;
            }
        }
        Pdf {
            pages,
            embedded_fonts,
            jpegs,
            drawn,
        }
    }

    pub(crate) fn text(&self) -> String {
        self.pages.concat()
    }

    /// Every page names itself and the document: `第 n 页 共 N 页` and the number.
    fn assert_numbered(&self, number: &str) {
        let total = self.pages.len();
        for (i, page) in self.pages.iter().enumerate() {
            assert!(
                page.contains(&format!("第{}页共{total}页", i + 1)),
                "page {} lacks its number: {page}",
                i + 1
            );
            assert!(page.contains(&format!("编号:{number}")), "page {}", i + 1);
        }
    }

    /// The font is embedded, and as a subset (`ABCDEF+Name`), not the whole CJK font.
    fn assert_subset_font(&self) {
        assert!(!self.embedded_fonts.is_empty(), "no embedded font");
        for name in &self.embedded_fonts {
            let (tag, _) = name.split_once('+').unwrap_or(("", ""));
            assert!(
                tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
                "not a subset: {name}"
            );
        }
    }
}

/// A PDF response: 200, `application/pdf`, shown inline under a Chinese file name.
pub(crate) async fn get_pdf(app: &TestApp, client: &Client, path: &str) -> Vec<u8> {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap().to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("inline;") && disposition.contains(".pdf"),
        "{disposition}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    bytes
}

/// A photo as a phone takes it: `w`×`h`, full of detail (noise compresses badly), as JPEG.
fn photo(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state & 0x3f) as u8;
        image::Rgb([
            (x * 255 / w) as u8 ^ n,
            (y * 255 / h) as u8 ^ n,
            (seed * 40) as u8 ^ n,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

/// 新增隐患 with these 整改前照片 (as many as the form takes, ten).
async fn hazard_with_photos(
    app: &TestApp,
    client: &Client,
    record: &str,
    description: &str,
    photos: Vec<Vec<u8>>,
) -> String {
    let deadline = day(app, 30);
    let fields = hazard_form(description, "general", &deadline);
    let files: Vec<(&str, String, Vec<u8>)> = photos
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| ("before", format!("现场照片{}.jpg", i + 1), bytes))
        .collect();
    let files: Vec<(&str, &str, Vec<u8>)> = files
        .iter()
        .map(|(f, n, b)| (*f, n.as_str(), b.clone()))
        .collect();
    let res = app
        .post_multipart_files(
            client,
            &format!("{record}/hazards/new"),
            &format!("{record}/hazards"),
            &fields,
            &files,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    location(&res)
}

/// A training record of the order with one 现场照片; returns its page.
async fn training(app: &TestApp, client: &Client, order: OrderId, staff: &str) -> String {
    let today = day(app, 0);
    let res = app
        .post_multipart_files(
            client,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &[
                ("service_date", today.as_str()),
                ("location", "三楼会议室"),
                ("staff_ids", staff),
                ("enterprise_contact", "林主任"),
                ("topic", "危险化学品储存安全培训"),
                ("audience", "worker"),
                ("mode", "offline"),
                ("hours", "2"),
                ("participants", "30"),
                ("trainer", "张工"),
                ("summary", "讲解储罐区作业规程并组织实操演示。"),
            ],
            &[("photos", "培训现场.jpg", photo(99, 640, 480))],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    location(&res)
}

async fn the_notice_pdf_has_its_title_hazard_numbers_photos_and_an_embedded_font(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let h1 = hazard_with_photos(
        &app,
        &staff,
        &record,
        "消防通道堆放杂物,阻碍人员疏散",
        vec![photo(1, 800, 600), photo(2, 600, 800)],
    )
    .await;
    let h2 = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("液氨储罐区可燃气体报警器失效", "major", &day(&app, 7)),
    )
    .await;
    let (n1, n2) = (
        stored(&app, &h1).await.hazard_no,
        stored(&app, &h2).await.hazard_no,
    );

    // The page: a PDF link, and the 整改前照片 in each hazard's row.
    let (status, page) = app.get(&staff, &format!("{record}/notice")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("href=\"{record}/notice.pdf\">下载 PDF")));
    assert!(!page.contains("服务器未安装中文字体"));
    let h1_id = stored(&app, &h1).await.id;
    let photos = app
        .db
        .attachments_of(OwnerKind::Hazard, &[h1_id.0])
        .await
        .unwrap();
    assert_eq!(photos.len(), 2);
    for p in &photos {
        assert!(
            page.contains(&format!("<img src=\"/attachments/{}/thumb\"", p.id)),
            "the notice shows the 整改前照片"
        );
    }
    let inspection: i64 = record.trim_start_matches("/records/").parse().unwrap();
    let number = format!("ZG-{inspection}-{}", day(&app, 0).replace('-', ""));
    assert!(page.contains(&format!("编号:{number}")));

    let bytes = get_pdf(&app, &staff, &format!("{record}/notice.pdf")).await;
    let pdf = Pdf::read(&bytes);
    let text = pdf.text();
    for expected in [
        "安全生产事故隐患整改通知书",
        n1.as_str(),
        n2.as_str(),
        ENTERPRISE,
        "消防通道堆放杂物,阻碍人员疏散",
        "重大隐患",
        "清理通道杂物,设置禁止堆放标识",
        "安泰安全技术",
        "林主任",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected}: {text}");
    }
    pdf.assert_numbered(&number);
    pdf.assert_subset_font();
    assert_eq!(
        pdf.jpegs, 3,
        "both photos of the first hazard and the second's, as JPEG"
    );
    assert_eq!(pdf.drawn, 3);
    assert!(bytes.len() < 300_000, "{} bytes", bytes.len());

    // Every reader of the notice reads its PDF: the insurer and the enterprise too.
    let insurer = app.login("hz_ins", PASSWORD).await;
    let bytes = get_pdf(&app, &insurer, &format!("{record}/notice.pdf")).await;
    assert!(Pdf::read(&bytes).text().contains(&n1));
    // An inspection without hazards has no notice, in PDF neither.
    let empty = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let (status, html) = app.get(&staff, &format!("{empty}/notice.pdf")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("本次排查未发现隐患"));
}

async fn a_reviewed_hazard_has_a_review_pdf(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, -6), &a.staff).await;
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("配电箱未可靠接地", "general", &day(&app, 20)),
    )
    .await;
    let no = stored(&app, &hazard).await.hazard_no;
    // Not reviewed yet: no link, and the PDF route says why.
    let (_, page) = app.get(&admin, &hazard).await;
    assert!(!page.contains("review.pdf"));
    let (status, html) = app.get(&admin, &format!("{hazard}/review.pdf")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("该隐患尚未复查"));

    let res = rectify(
        &app,
        &staff,
        &hazard,
        "第一次整改:加装接地线",
        &day(&app, -4),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(
        &app,
        &admin,
        &hazard,
        &a.admin,
        &day(&app, -3),
        "fail",
        "接地电阻仍超标,须重新敷设",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = rectify(&app, &staff, &hazard, "重新敷设接地极", &day(&app, -2)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(
        &app,
        &admin,
        &hazard,
        &a.admin,
        &day(&app, -1),
        "pass",
        "接地电阻合格",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains(&format!("href=\"{hazard}/review.pdf\">复查意见书(PDF)")));
    let bytes = get_pdf(&app, &staff, &format!("{hazard}/review.pdf")).await;
    let pdf = Pdf::read(&bytes);
    let text = pdf.text();
    for expected in [
        "隐患整改复查意见书",
        no.as_str(),
        ENTERPRISE,
        "配电箱未可靠接地",
        "第一次整改:加装接地线",
        "接地电阻仍超标,须重新敷设",
        "不通过",
        "重新敷设接地极",
        "通过(销号)",
        "接地电阻合格",
        "复查通过,该隐患予以销号",
        "安泰安全技术管理员",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected}: {text}");
    }
    pdf.assert_numbered(&format!("FC-{no}-2"));
    pdf.assert_subset_font();
    assert_eq!(pdf.drawn, 3, "整改前 and both rounds' 整改后照片");
}

async fn the_service_report_shows_the_plan_records_and_hazards(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let course = training(&app, &staff, a.order, &a.staff).await;
    let record = inspect(&app, &staff, a.order, &day(&app, -5), &a.staff).await;
    let open = hazard_with_photos(
        &app,
        &staff,
        &record,
        "消防通道堆放杂物",
        vec![photo(3, 640, 480)],
    )
    .await;
    let closed = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("配电箱门未关闭", "general", &day(&app, -1)),
    )
    .await;
    let res = rectify(&app, &staff, &closed, "已关闭并加锁", &day(&app, -4)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(&app, &admin, &closed, &a.admin, &day(&app, -3), "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let late = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("灭火器过期未更换", "major", &day(&app, -1)),
    )
    .await;
    let numbers = [
        stored(&app, &open).await.hazard_no,
        stored(&app, &closed).await.hazard_no,
        stored(&app, &late).await.hazard_no,
    ];
    let order_no = app.db.get_order(a.order).await.unwrap().unwrap().order_no;

    // The order page links to its report, for every reader of the order.
    let report = format!("/orders/{}/report", a.order);
    let insurer = app.login("hz_ins", PASSWORD).await;
    for client in [&staff, &insurer] {
        let (_, page) = app.get(client, &format!("/orders/{}", a.order)).await;
        assert!(page.contains(&format!("href=\"{report}\">服务报告")));
    }
    let (status, page) = app.get(&insurer, &report).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/static/print.css\">"));
    for expected in [
        "安责险事故预防服务报告",
        &format!("编号:{order_no}"),
        "一、保单与服务概况",
        "CPIC-HZ-1",
        "太保泉州分公司",
        "二、服务方案与完成情况",
        "安全培训",
        "三、服务记录",
        "讲解储罐区作业规程并组织实操演示。",
        "危险化学品储存安全培训",
        "待确认",
        "四、隐患排查治理",
        "发现隐患 3 项,已销号 1 项,未销号 2 项(其中逾期 1 项),重大隐患 1 项,整改率 33%。",
        "已关闭并加锁",
        "逾期",
        &format!("href=\"{report}.pdf\">下载 PDF"),
    ] {
        assert!(page.contains(expected), "report page: {expected}\n{page}");
    }
    for n in &numbers {
        assert!(page.contains(n.as_str()), "report page: {n}");
    }
    assert!(page.contains(&format!("href=\"{course}\">安全培训")));
    // Photos of the record and of the hazards, as thumbnails.
    let thumbs = page.matches("/thumb\"").count();
    assert!(thumbs >= 3, "training, 整改前 and 整改后 photos: {thumbs}");

    let bytes = get_pdf(&app, &insurer, &format!("{report}.pdf")).await;
    let pdf = Pdf::read(&bytes);
    let text = pdf.text();
    for expected in [
        "安责险事故预防服务报告",
        "一、保单与服务概况",
        "CPIC-HZ-1",
        ENTERPRISE,
        "二、服务方案与完成情况",
        "三、服务记录",
        "危险化学品储存安全培训",
        "待确认",
        "四、隐患排查治理",
        "发现隐患3项,已销号1项,未销号2项(其中逾期1项),重大隐患1项,整改率33%。",
        "已关闭并加锁",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected}: {text}");
    }
    for n in &numbers {
        assert!(text.contains(n.as_str()), "the PDF lacks {n}");
    }
    pdf.assert_numbered(&order_no);
    pdf.assert_subset_font();
    assert_eq!(
        pdf.drawn, 5,
        "the training's photo, three hazards' 整改前照片 and one 整改后照片"
    );

    let (status, _) = app.get(&app.client(), &report).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "logged out: to the login");
}

async fn a_report_with_twenty_photos_stays_well_under_five_megabytes(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let mut uploaded = 0;
    let mut hazards = Vec::new();
    for batch in 0..2u32 {
        let photos: Vec<Vec<u8>> = (0..10).map(|i| photo(batch * 10 + i, 1280, 960)).collect();
        uploaded += photos.iter().map(Vec::len).sum::<usize>();
        let hazard = hazard_with_photos(
            &app,
            &staff,
            &record,
            &format!("第 {} 处隐患", batch + 1),
            photos,
        )
        .await;
        hazards.push(stored(&app, &hazard).await.id.0);
    }
    assert!(
        uploaded > 5 * 1024 * 1024,
        "the originals alone are over 5 MB: {uploaded}"
    );
    let bytes = get_pdf(&app, &staff, &format!("/orders/{}/report.pdf", a.order)).await;
    let pdf = Pdf::read(&bytes);
    assert_eq!(pdf.jpegs, 12, "six photos a cell, the rest counted");
    assert_eq!(pdf.drawn, 12);
    assert!(pdf.text().contains("另有4张照片未列入"));
    let bytes_notice = get_pdf(&app, &staff, &format!("{record}/notice.pdf")).await;
    assert!(
        bytes.len() < 2 * 1024 * 1024 && bytes_notice.len() < 2 * 1024 * 1024,
        "report {} bytes, notice {} bytes",
        bytes.len(),
        bytes_notice.len()
    );
    // The originals are untouched: each still downloads byte for byte.
    let h = app
        .db
        .attachments_of(OwnerKind::Hazard, &hazards)
        .await
        .unwrap();
    assert_eq!(h.len(), 20);
    let first = h.first().expect("photos stored");
    let res = staff
        .get(app.url(&format!("/attachments/{}", first.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().len() as u64, first.size);
}

async fn a_long_report_numbers_every_page_and_repeats_table_headers(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let long = "储罐区防火堤内堆放可燃物,排水阀常开,未设置明显警示标识;".repeat(6);
    for i in 0..14 {
        new_hazard(
            &app,
            &staff,
            &record,
            &hazard_form(&format!("第{i}项:{long}"), "general", &day(&app, 10)),
        )
        .await;
    }
    let order_no = app.db.get_order(a.order).await.unwrap().unwrap().order_no;
    let bytes = get_pdf(&app, &staff, &format!("/orders/{}/report.pdf", a.order)).await;
    let pdf = Pdf::read(&bytes);
    assert!(pdf.pages.len() >= 3, "{} pages", pdf.pages.len());
    pdf.assert_numbered(&order_no);
    // The hazard table goes on over several pages, its header on each of them.
    let with_header = pdf
        .pages
        .iter()
        .filter(|p| p.contains("隐患描述及整改前照片"))
        .count();
    assert!(with_header >= 2, "{with_header}");
    for i in 0..14 {
        assert!(pdf.text().contains(&format!("第{i}项:")), "hazard {i}");
    }
}

async fn another_organizations_documents_are_not_found(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防通道堆放杂物", "general", &day(&app, 10)),
    )
    .await;
    // Another insurer, agency and enterprise.
    app.seed_org("insurer", "平安泉州分公司", "other_ins").await;
    app.seed_org("agency", "另一家安全技术", "other_ag").await;
    let code = app
        .seed_enterprise("other_ins", "泉州另一化工", "350503")
        .await;
    app.seed_enterprise_account(&code, "other_qy").await;
    for user in ["other_ins", "other_ag", "other_qy"] {
        let client = app.login(user, PASSWORD).await;
        for path in [
            format!("/orders/{}/report", a.order),
            format!("/orders/{}/report.pdf", a.order),
            format!("{record}/notice.pdf"),
            format!("{hazard}/review.pdf"),
        ] {
            let (status, _) = app.get(&client, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user} {path}");
        }
    }
    for path in ["/orders/999999/report", "/orders/x/report.pdf"] {
        let (status, _) = app.get(&staff, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

async fn without_a_font_the_pages_say_so_and_print_versions_still_work(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防通道堆放杂物", "general", &day(&app, 10)),
    )
    .await;
    let no = stored(&app, &hazard).await.hazard_no;
    let report = format!("/orders/{}/report", a.order);
    for (page, pdf) in [
        (format!("{record}/notice"), format!("{record}/notice.pdf")),
        (report.clone(), format!("{report}.pdf")),
    ] {
        // The print version works, and says why there is no PDF instead of linking to it.
        let (status, html) = app.get(&staff, &page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(html.contains(&no), "{page}");
        assert!(html.contains("data-print"), "{page}: the print button");
        assert!(
            html.contains("服务器未安装中文字体,暂不能生成 PDF 文件"),
            "{page}"
        );
        assert!(!html.contains(&format!("href=\"{pdf}\"")), "{page}");
        // The PDF route answers a clear page with the way to the print version, not a 500.
        let (status, html) = app.get(&staff, &pdf).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{pdf}");
        assert!(html.contains("暂不能生成 PDF"), "{pdf}");
        assert!(html.contains("服务器未安装中文字体"), "{pdf}");
        assert!(
            html.contains(&format!("href=\"{page}\">打开打印版本")),
            "{pdf}: {html}"
        );
    }
    // Authorization comes first: a stranger learns nothing about fonts.
    app.seed_org("insurer", "平安泉州分公司", "other_ins").await;
    let other = app.login("other_ins", PASSWORD).await;
    let (status, _) = app.get(&other, &format!("{report}.pdf")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
