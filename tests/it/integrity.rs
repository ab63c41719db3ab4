//! 可信证据: photos reused across enterprises or visits are flagged on the record that reuses
//! them, and each party sees only what its scope allows of the other side.

use anze_core::ids::OrderId;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use reqwest::StatusCode;

use crate::helpers::{Exif, PASSWORD, TestApp, credit_code, location, with_exif};

crate::backend_tests!(
    a_photo_reused_for_another_enterprise_is_flagged_and_the_agency_sees_only_the_date,
    a_different_scene_raises_no_duplicate_flag,
    the_agency_answers_a_flag_once_and_only_its_own,
    an_insurer_or_regulator_decides_a_flag_once,
    the_list_of_flags_shows_each_overseer_its_own_and_exports,
    a_photo_far_from_the_enterprise_site_is_flagged,
    the_site_comes_from_the_first_geotagged_photo_the_enterprise_confirms,
    capture_times_are_read_from_exif_and_checked_against_the_service_date,
    an_after_photo_showing_the_before_photo_is_flagged_on_the_hazard,
    decisions_keep_their_note_and_the_list_shows_rates_tags_and_filters,
);

/// A photo-like scene: a lit background with shaded shapes and sensor noise, from `seed`.
pub(crate) fn scene(seed: u32, w: u32, h: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let shapes: Vec<[u32; 7]> = (0..20)
        .map(|_| {
            [
                next() % w,
                next() % h,
                10 + next() % (w / 4),
                10 + next() % (h / 4),
                next() % 256,
                next() % 256,
                next() % 256,
            ]
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let mut c = [(x * 255 / w) as i32, (y * 255 / h) as i32, 128];
        for [cx, cy, rx, ry, r, g, b] in &shapes {
            if x.abs_diff(*cx) <= *rx && y.abs_diff(*cy) <= *ry {
                c = [*r as i32, *g as i32, *b as i32];
            }
        }
        let noise = (next() % 17) as i32 - 8;
        Rgb(c.map(|v| (v + noise).clamp(0, 255) as u8))
    })
}

pub(crate) fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    out
}

/// Two insurers' enterprises, each served by its own agency: (order of 甲 by ag_a, order of 乙
/// by ag_b), both accepted, with `a_staff` and `b_staff` assigned.
pub(crate) async fn two_orders(app: &TestApp) -> (OrderId, OrderId) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let mut orders = Vec::new();
    for (agency, admin, staff, enterprise, policy) in [
        (
            "安信技术",
            "a_admin",
            "a_staff",
            "泉州甲化工有限公司",
            "P-1",
        ),
        (
            "众安技术",
            "b_admin",
            "b_staff",
            "泉州乙机械有限公司",
            "P-2",
        ),
    ] {
        let org = app.seed_org("agency", agency, admin).await;
        let staff_id = app.seed_account(admin, staff, "服务人员").await;
        let code = app.seed_enterprise("ins", enterprise, "350503").await;
        let policy = app.seed_policy("ins", &code, policy).await;
        let order = app.seed_order("ins", policy, org).await;
        let actor = app.actor(admin).await;
        anze_core::order::service::accept(&app.db, &actor, order, app.clock_now())
            .await
            .unwrap();
        anze_core::order::service::assign(
            &app.db,
            &actor,
            order,
            &[staff_id.to_string()],
            app.clock_now(),
        )
        .await
        .unwrap();
        orders.push(order);
    }
    (orders[0], orders[1])
}

/// Records a training on `order` by `staff` with these photos; returns the record's page.
pub(crate) async fn training(
    app: &TestApp,
    staff: &str,
    order: OrderId,
    photos: Vec<Vec<u8>>,
) -> String {
    let client = app.login(staff, PASSWORD).await;
    let staff_id = app.actor(staff).await.account_id.to_string();
    let date = anze_core::time::today(app.clock_now()).to_string();
    let fields = [
        ("service_date", date.as_str()),
        ("location", "企业三楼会议室"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈主任"),
        ("topic", "危险化学品安全管理培训"),
        ("audience", "worker"),
        ("mode", "offline"),
        ("hours", "2"),
        ("participants", "30"),
        ("trainer", "张工"),
        ("summary", "现场培训"),
    ];
    let files: Vec<(&str, &str, Vec<u8>)> = photos
        .into_iter()
        .map(|p| ("photos", "现场.jpg", p))
        .collect();
    let res = app
        .post_multipart_files(
            &client,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &fields,
            &files,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    location(&res)
}

async fn a_photo_reused_for_another_enterprise_is_flagged_and_the_agency_sees_only_the_date(
    app: TestApp,
) {
    let (order_a, order_b) = two_orders(&app).await;
    let photo = scene(1, 800, 600);
    let first = training(&app, "a_staff", order_a, vec![jpeg(&photo, 90)]).await;
    app.clock.advance(chrono::Duration::days(3));
    // The same picture, scaled down and re-saved: not the same bytes, the same photo.
    let smaller = image::imageops::resize(&photo, 480, 360, image::imageops::FilterType::Triangle);
    let near = training(&app, "b_staff", order_b, vec![jpeg(&smaller, 60)]).await;
    let first_date =
        anze_core::time::today(app.clock_now() - chrono::Duration::days(3)).to_string();

    let b = app.login("b_staff", PASSWORD).await;
    let (status, html) = app.get(&b, &near).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("疑似重复照片"), "{html}");
    assert!(
        html.contains(&first_date) && html.contains("画面近似"),
        "{html}"
    );
    // 乙's agency learns that a match exists and when, not whose it is.
    assert!(!html.contains("泉州甲化工有限公司"), "{html}");
    assert!(!html.contains(&format!("href=\"{first}\"")));
    // The insurer oversees both and sees both sides, with the link it may open.
    let ins = app.login("ins", PASSWORD).await;
    let (_, html) = app.get(&ins, &near).await;
    assert!(html.contains("疑似重复照片") && html.contains("泉州甲化工有限公司"));
    assert!(html.contains(&format!("href=\"{first}\"")), "{html}");
    // The earlier record is the original: it carries no duplicate flag.
    let a = app.login("a_staff", PASSWORD).await;
    let (_, html) = app.get(&a, &first).await;
    assert!(!html.contains("疑似重复照片"));
    // Photos without EXIF cannot show when they were taken.
    assert!(html.contains("拍摄时间异常"));

    // The very same file again is identical.
    let same = training(&app, "b_staff", order_b, vec![jpeg(&photo, 90)]).await;
    let (_, html) = app.get(&b, &same).await;
    assert!(
        html.contains("疑似重复照片") && html.contains("文件完全相同"),
        "{html}"
    );
}

async fn a_different_scene_raises_no_duplicate_flag(app: TestApp) {
    let (order_a, order_b) = two_orders(&app).await;
    training(
        &app,
        "a_staff",
        order_a,
        vec![jpeg(&scene(1, 800, 600), 90)],
    )
    .await;
    app.clock.advance(chrono::Duration::days(3));
    let other = training(
        &app,
        "b_staff",
        order_b,
        vec![jpeg(&scene(2, 800, 600), 90)],
    )
    .await;
    // The same enterprise's two photos of one visit are not duplicates either.
    let again = training(
        &app,
        "b_staff",
        order_b,
        vec![jpeg(&scene(3, 800, 600), 90), jpeg(&scene(3, 800, 600), 90)],
    )
    .await;
    let b = app.login("b_staff", PASSWORD).await;
    for page in [other, again] {
        let (status, html) = app.get(&b, &page).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("疑似重复照片"), "{html}");
        assert!(html.contains("拍摄时间异常"));
    }
}

/// The id of the first flag whose `form` (answer or decide) the page offers.
fn flag_form(html: &str, form: &str) -> Option<String> {
    let end = html.find(&format!("/{form}\""))?;
    let start = html[..end].rfind("/integrity/")? + "/integrity/".len();
    Some(html[start..end].to_string())
}

async fn the_agency_answers_a_flag_once_and_only_its_own(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    // A photo without EXIF raises 拍摄时间异常.
    let page = training(
        &app,
        "a_staff",
        order_a,
        vec![jpeg(&scene(1, 400, 300), 90)],
    )
    .await;
    let a = app.login("a_staff", PASSWORD).await;
    let (_, html) = app.get(&a, &page).await;
    let id = flag_form(&html, "answer").unwrap_or_else(|| panic!("{html}"));
    assert!(
        flag_form(&html, "decide").is_none(),
        "the agency does not decide"
    );
    let action = format!("/integrity/{id}/answer");

    let b = app.login("b_staff", PASSWORD).await;
    let res = app
        .post_form(&b, "/", &action, &[("explanation", "不是我们的")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another agency's flag");
    let ins = app.login("ins", PASSWORD).await;
    let res = app
        .post_form(&ins, "/", &action, &[("explanation", "保险公司")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "insurers decide, not answer"
    );
    let res = app
        .post_form(&a, &page, &action, &[("explanation", "  ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form(
            &a,
            &page,
            "/integrity/999999/answer",
            &[("explanation", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = app
        .post_form(
            &a,
            &page,
            &action,
            &[("explanation", "相机时间未设置,现场照片为当天所拍")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), page);
    let (_, html) = app.get(&a, &page).await;
    assert!(
        html.contains("已答复") && html.contains("相机时间未设置"),
        "{html}"
    );
    assert!(flag_form(&html, "answer").is_none(), "answered once");
    let res = app
        .post_form(&a, &page, &action, &[("explanation", "再答复一次")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The insurer now sees the explanation, with the decision form.
    let (_, html) = app.get(&ins, &page).await;
    assert!(html.contains("相机时间未设置"));
    assert_eq!(flag_form(&html, "decide"), Some(id));
}

async fn an_insurer_or_regulator_decides_a_flag_once(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let page = training(
        &app,
        "a_staff",
        order_a,
        vec![jpeg(&scene(1, 400, 300), 90), jpeg(&scene(2, 400, 300), 90)],
    )
    .await;
    let ins = app.login("ins", PASSWORD).await;
    let (_, html) = app.get(&ins, &page).await;
    let first = flag_form(&html, "decide").unwrap_or_else(|| panic!("{html}"));
    let action = format!("/integrity/{first}/decide");

    let a = app.login("a_staff", PASSWORD).await;
    let res = app
        .post_form(&a, &page, &action, &[("decision", "dismiss")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "the agency answers only"
    );
    let other = app.login("ins2", PASSWORD).await;
    let res = app
        .post_form(&other, "/", &action, &[("decision", "dismiss")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another insurer's policy"
    );
    let res = app
        .post_form(&ins, &page, &action, &[("decision", "maybe")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = app
        .post_form(
            &ins,
            &page,
            &action,
            &[("decision", "dismiss"), ("note", "已电话核实")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form(&ins, &page, &action, &[("decision", "confirm")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "decided once");
    let reg = app.login("reg", PASSWORD).await;
    let res = app
        .post_form(&reg, &page, &action, &[("decision", "confirm")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The regulator of the region decides the other flag; an open flag may be kept unanswered.
    let (_, html) = app.get(&reg, &page).await;
    let second = flag_form(&html, "decide").unwrap_or_else(|| panic!("{html}"));
    assert_ne!(second, first);
    let res = app
        .post_form(
            &reg,
            &page,
            &format!("/integrity/{second}/decide"),
            &[("decision", "confirm")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&a, &page).await;
    assert!(html.contains("已排除") && html.contains("已核实"), "{html}");
    assert!(
        flag_form(&html, "answer").is_none(),
        "decided flags take no answer"
    );
    // Both decisions are in the audit log.
    let (_, log) = app.get(&app.admin().await, "/audit").await;
    assert!(log.contains("已电话核实"), "{log}");
}

async fn the_list_of_flags_shows_each_overseer_its_own_and_exports(app: TestApp) {
    let (order_a, order_b) = two_orders(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    // 丙, in 鲤城区, insured by another insurer and served by 甲's agency.
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let code = app
        .seed_enterprise("ins2", "泉州丙纺织有限公司", "350502")
        .await;
    let policy = app.seed_policy("ins2", &code, "P-3").await;
    let agency = app.actor("a_admin").await;
    let order_c = app.seed_order("ins2", policy, agency.org_id).await;
    anze_core::order::service::accept(&app.db, &agency, order_c, app.clock_now())
        .await
        .unwrap();
    let staff = app.actor("a_staff").await.account_id.to_string();
    anze_core::order::service::assign(&app.db, &agency, order_c, &[staff], app.clock_now())
        .await
        .unwrap();
    for (staff, order, seed) in [
        ("a_staff", order_a, 1),
        ("b_staff", order_b, 2),
        ("a_staff", order_c, 3),
    ] {
        training(&app, staff, order, vec![jpeg(&scene(seed, 400, 300), 90)]).await;
    }
    let names = [
        "泉州甲化工有限公司",
        "泉州乙机械有限公司",
        "泉州丙纺织有限公司",
    ];
    for (who, sees) in [
        ("admin", [true, true, true]),
        ("ins", [true, true, false]),
        ("ins2", [false, false, true]),
        ("reg", [true, true, false]),
    ] {
        let client = if who == "admin" {
            app.admin().await
        } else {
            app.login(who, PASSWORD).await
        };
        let (status, html) = app.get(&client, "/integrity").await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert!(
            html.contains("可疑记录") && html.contains("拍摄时间异常"),
            "{who}: {html}"
        );
        for (name, seen) in names.iter().zip(sees) {
            assert_eq!(
                html.contains(&format!(">{name}<")),
                seen,
                "{who} and {name}: {html}"
            );
        }
        let res = client
            .get(app.url("/integrity/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{who}");
        assert!(
            res.bytes().await.unwrap().starts_with(b"PK"),
            "an xlsx is a zip"
        );
    }
    for who in ["a_staff", "a_admin"] {
        let client = app.login(who, PASSWORD).await;
        let (status, _) = app.get(&client, "/integrity").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (_, home) = app.get(&client, "/").await;
        assert!(
            !home.contains("href=\"/integrity\""),
            "no menu entry for {who}"
        );
    }

    let ins = app.login("ins", PASSWORD).await;
    let (_, home) = app.get(&ins, "/").await;
    assert!(
        home.contains("href=\"/integrity\""),
        "the menu offers the list"
    );
    let b_org = app.actor("b_admin").await.org_id;
    let (_, html) = app.get(&ins, &format!("/integrity?agency={b_org}")).await;
    assert!(html.contains(">泉州乙机械有限公司<") && !html.contains(">泉州甲化工有限公司<"));
    let (_, html) = app.get(&ins, "/integrity?kind=duplicate").await;
    assert!(html.contains("没有符合条件的可疑标记"), "{html}");
    let day = anze_core::time::today(app.clock_now());
    let (_, html) = app
        .get(&ins, &format!("/integrity?from={day}&to={day}&state=open"))
        .await;
    assert!(html.contains(">泉州甲化工有限公司<"), "{html}");
    let next = day + chrono::Duration::days(1);
    let (_, html) = app.get(&ins, &format!("/integrity?from={next}")).await;
    assert!(html.contains("没有符合条件的可疑标记"), "{html}");
    let (status, _) = app.get(&ins, "/integrity?from=notadate").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The camera's local time (China) `hours_ago` before the application's now, as EXIF writes it.
fn camera_time(app: &TestApp, hours_ago: i64) -> String {
    (app.clock_now() - chrono::Duration::hours(hours_ago))
        .with_timezone(&anze_core::time::china())
        .format("%Y:%m:%d %H:%M:%S")
        .to_string()
}

/// A photo of `seed`'s scene taken an hour ago at `gps`.
fn geotagged(app: &TestApp, seed: u32, gps: Option<(f64, f64)>) -> Vec<u8> {
    let when = camera_time(app, 1);
    with_exif(
        &jpeg(&scene(seed, 400, 300), 90),
        Exif {
            captured: Some(&when),
            gps,
            ..Default::default()
        },
    )
}

const SITE: (f64, f64) = (24.874222, 118.675694);

/// 投保企业 → 编辑 of 泉州甲化工有限公司 by its insurer, with these 经度 and 纬度.
async fn edit_site(app: &TestApp, lng: &str, lat: &str) -> reqwest::Response {
    use anze_core::enterprise::EnterpriseStore;
    let e = app
        .db
        .find_enterprise_by_credit_code(&credit_code("泉州甲化工有限公司"))
        .await
        .unwrap()
        .unwrap();
    let ins = app.login("ins", PASSWORD).await;
    let page = format!("/enterprises/{}", e.id);
    let employees = e.employee_count.to_string();
    app.post_form(
        &ins,
        &page,
        &page,
        &[
            ("name", e.name.as_str()),
            ("credit_code", e.credit_code.as_str()),
            ("industry_code", e.industry_code.as_str()),
            ("region_code", e.region_code.as_str()),
            ("address", e.address.as_str()),
            ("employee_count", employees.as_str()),
            ("contact_name", e.contact_name.as_str()),
            ("contact_phone", e.contact_phone.as_str()),
            ("longitude", lng),
            ("latitude", lat),
        ],
    )
    .await
}

async fn site_of(app: &TestApp) -> (Option<anze_core::geo::GeoPoint>, bool) {
    use anze_core::enterprise::EnterpriseStore;
    let e = app
        .db
        .find_enterprise_by_credit_code(&credit_code("泉州甲化工有限公司"))
        .await
        .unwrap()
        .unwrap();
    (e.site, e.site_photo.is_some())
}

async fn a_photo_far_from_the_enterprise_site_is_flagged(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    // Half a site, a swapped pair and a word are refused and change nothing.
    for (lng, lat, message) in [
        ("118.675694", "", "请同时填写纬度"),
        ("24.874222", "118.675694", "经度应在 73 至 136 之间"),
        ("东经118度", "24.874222", "经度应为数字"),
    ] {
        let res = edit_site(&app, lng, lat).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{lng} {lat}"
        );
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
    }
    assert_eq!(site_of(&app).await, (None, false));
    let res = edit_site(&app, &SITE.1.to_string(), &SITE.0.to_string()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (site, from_photo) = site_of(&app).await;
    assert_eq!(site.map(|p| (p.lat, p.lng)), Some(SITE));
    assert!(!from_photo);
    let ins = app.login("ins", PASSWORD).await;
    let (_, list) = app.get(&ins, "/enterprises").await;
    assert!(list.contains("已填写"), "{list}");

    // 0.05° north is 5.6 km away; 0.002° is 220 m, on the premises.
    let far = training(
        &app,
        "a_staff",
        order_a,
        vec![geotagged(&app, 1, Some((SITE.0 + 0.05, SITE.1)))],
    )
    .await;
    let near = training(
        &app,
        "a_staff",
        order_a,
        vec![geotagged(&app, 2, Some((SITE.0 + 0.002, SITE.1)))],
    )
    .await;
    let without = training(&app, "a_staff", order_a, vec![geotagged(&app, 3, None)]).await;
    let a = app.login("a_staff", PASSWORD).await;
    let (_, html) = app.get(&a, &far).await;
    assert!(
        html.contains("拍摄地点异常") && html.contains("5.6 公里") && html.contains("2 公里"),
        "{html}"
    );
    assert!(!html.contains("拍摄时间异常"), "the EXIF time fits: {html}");
    for page in [near, without] {
        let (_, html) = app.get(&a, &page).await;
        assert!(!html.contains("拍摄地点异常"), "{html}");
        assert!(!html.contains("拍摄时间异常"), "{html}");
    }
}

async fn the_site_comes_from_the_first_geotagged_photo_the_enterprise_confirms(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    app.seed_enterprise_account(&credit_code("泉州甲化工有限公司"), "qy_user")
        .await;
    // The sign-in sheet is not where the site is; the first evidence photo with a position is.
    let first = (SITE.0 + 0.01, SITE.1 + 0.01);
    let page = training(
        &app,
        "a_staff",
        order_a,
        vec![
            geotagged(&app, 1, None),
            geotagged(&app, 2, Some(first)),
            geotagged(&app, 3, Some(SITE)),
        ],
    )
    .await;
    assert_eq!(
        site_of(&app).await,
        (None, false),
        "not before it is confirmed"
    );
    let qy = app.login("qy_user", PASSWORD).await;
    let res = app
        .post_form(&qy, &page, &format!("{page}/confirm"), &[("reason", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (site, from_photo) = site_of(&app).await;
    let site = site.expect("the site is taken from the photo");
    assert!(
        (site.lat - first.0).abs() < 1e-5 && (site.lng - first.1).abs() < 1e-5,
        "{site:?}"
    );
    assert!(from_photo);
    let (_, log) = app.get(&app.admin().await, "/audit").await;
    assert!(log.contains("取自企业确认的安全培训中的照片"), "{log}");
    let ins = app.login("ins", PASSWORD).await;
    let (_, list) = app.get(&ins, "/enterprises").await;
    assert!(list.contains("取自照片"), "{list}");

    // Later photos are checked against it: 30 km away is flagged.
    let later = training(
        &app,
        "a_staff",
        order_a,
        vec![geotagged(&app, 4, Some((first.0 + 0.27, first.1)))],
    )
    .await;
    let a = app.login("a_staff", PASSWORD).await;
    let (_, html) = app.get(&a, &later).await;
    assert!(
        html.contains("拍摄地点异常") && html.contains("30 公里"),
        "{html}"
    );
    // A second confirmation does not move a site once set.
    let second = training(
        &app,
        "a_staff",
        order_a,
        vec![geotagged(&app, 5, Some(SITE))],
    )
    .await;
    let res = app
        .post_form(
            &qy,
            &second,
            &format!("{second}/confirm"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (again, _) = site_of(&app).await;
    assert_eq!(again, Some(site));
}

async fn capture_times_are_read_from_exif_and_checked_against_the_service_date(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    let photo = |seed: u32, when: Option<String>| {
        with_exif(
            &jpeg(&scene(seed, 400, 300), 90),
            Exif {
                captured: when.as_deref(),
                ..Default::default()
            },
        )
    };
    let a = app.login("a_staff", PASSWORD).await;
    // Taken an hour ago, on the service date: nothing to ask.
    let ok = training(
        &app,
        "a_staff",
        order_a,
        vec![photo(1, Some(camera_time(&app, 1)))],
    )
    .await;
    let (_, html) = app.get(&a, &ok).await;
    assert!(!html.contains("拍摄时间异常"), "{html}");
    // Three days before the service date.
    let old = training(
        &app,
        "a_staff",
        order_a,
        vec![photo(2, Some(camera_time(&app, 72)))],
    )
    .await;
    let (_, html) = app.get(&a, &old).await;
    assert!(
        html.contains("拍摄时间异常") && html.contains("相差超过一天"),
        "{html}"
    );
    // Taken after it was uploaded: a camera clock set ahead, or a made-up time.
    let future = training(
        &app,
        "a_staff",
        order_a,
        vec![photo(3, Some(camera_time(&app, -5)))],
    )
    .await;
    let (_, html) = app.get(&a, &future).await;
    assert!(html.contains("晚于上传时间"), "{html}");
    // No time at all.
    let none = training(&app, "a_staff", order_a, vec![photo(4, None)]).await;
    let (_, html) = app.get(&a, &none).await;
    assert!(html.contains("没有拍摄时间"), "{html}");
}

async fn an_after_photo_showing_the_before_photo_is_flagged_on_the_hazard(app: TestApp) {
    use crate::hazards::{accepted_order, day, hazard_form, inspect};
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, agency.order, &today, &agency.staff).await;
    let deadline = day(&app, 10);
    let before = scene(7, 640, 480);
    let mut hazards = Vec::new();
    for description in ["消防通道堆放杂物", "配电箱门未关闭"] {
        let res = app
            .post_multipart_files(
                &staff,
                &format!("{record}/hazards/new"),
                &format!("{record}/hazards"),
                &hazard_form(description, "general", &deadline),
                &[("before", "整改前.jpg", jpeg(&before, 90))],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        hazards.push(location(&res));
    }
    // The first is "rectified" with its before-photo re-saved; the second with a new photo.
    for (hazard, after) in hazards
        .iter()
        .zip([jpeg(&before, 70), jpeg(&scene(8, 640, 480), 90)])
    {
        let res = app
            .post_multipart_files(
                &staff,
                hazard,
                &format!("{hazard}/rectify"),
                &[("rectify_note", "已清理"), ("rectified_on", today.as_str())],
                &[("after", "整改后.jpg", after)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{hazard}");
    }
    let (_, html) = app.get(&staff, &hazards[0]).await;
    assert!(html.contains("整改前后照片相同"), "{html}");
    let (_, html) = app.get(&staff, &hazards[1]).await;
    assert!(!html.contains("整改前后照片相同"), "{html}");
    // The ledger tags the hazard and filters by the kind.
    let (_, ledger) = app.get(&staff, "/hazards?flag=unrectified").await;
    assert!(ledger.contains("消防通道堆放杂物"), "{ledger}");
    assert!(!ledger.contains("配电箱门未关闭"), "{ledger}");
    assert!(
        ledger.contains("flag-tag\" title=\"可疑标记\">整改前后照片相同"),
        "{ledger}"
    );
}

async fn decisions_keep_their_note_and_the_list_shows_rates_tags_and_filters(app: TestApp) {
    let (order_a, order_b) = two_orders(&app).await;
    // 甲's agency: one flagged record (a photo without EXIF) of two; 乙's: one of one.
    let flagged = training(
        &app,
        "a_staff",
        order_a,
        vec![jpeg(&scene(1, 400, 300), 90)],
    )
    .await;
    training(&app, "a_staff", order_a, vec![geotagged(&app, 2, None)]).await;
    training(
        &app,
        "b_staff",
        order_b,
        vec![jpeg(&scene(3, 400, 300), 90)],
    )
    .await;
    let ins = app.login("ins", PASSWORD).await;
    let (_, html) = app.get(&ins, "/integrity").await;
    assert!(html.contains("各服务机构标记率"), "{html}");
    let rate_row = |html: &str, agency: &str| -> String {
        let at = html
            .find(&format!(">{agency}</a>"))
            .unwrap_or_else(|| panic!("{html}"));
        html[at..at + html[at..].find("</tr>").unwrap()].to_string()
    };
    let row = rate_row(&html, "安信技术");
    assert!(
        row.contains(">1<") && row.contains(">2<") && row.contains("50.0%"),
        "{row}"
    );
    let row = rate_row(&html, "众安技术");
    assert!(row.contains("100.0%"), "{row}");
    let res = ins
        .get(app.url("/integrity/rates.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let sheet = crate::ledgers::rows(res.bytes().await.unwrap().to_vec());
    assert_eq!(sheet[0][0], "服务机构");
    assert!(
        sheet
            .iter()
            .any(|r| r[0] == "安信技术" && r[1] == "1" && r[2] == "2" && r[3] == "50"),
        "{sheet:?}"
    );
    // The enterprise filter.
    let (_, html) = app.get(&ins, "/integrity?q=乙机械").await;
    assert!(html.contains(">泉州乙机械有限公司<") && !html.contains(">泉州甲化工有限公司<"));

    // The decision's note stays on the flag, for every party, and in the export.
    let (_, page) = app.get(&ins, &flagged).await;
    let id = flag_form(&page, "decide").unwrap_or_else(|| panic!("{page}"));
    let res = app
        .post_form(
            &ins,
            &flagged,
            &format!("/integrity/{id}/decide"),
            &[("decision", "confirm"), ("note", "现场照片系翻拍")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let a = app.login("a_staff", PASSWORD).await;
    let (_, page) = app.get(&a, &flagged).await;
    assert!(
        page.contains("已核实") && page.contains("现场照片系翻拍"),
        "{page}"
    );
    let res = ins
        .get(app.url("/integrity/export.xlsx"))
        .send()
        .await
        .unwrap();
    let sheet = crate::ledgers::rows(res.bytes().await.unwrap().to_vec());
    assert!(
        sheet
            .iter()
            .any(|r| r.iter().any(|c| c == "现场照片系翻拍")),
        "{sheet:?}"
    );

    // The record list tags flagged records and filters them.
    let (_, list) = app.get(&a, "/services/training").await;
    assert!(list.contains("flag-tag"), "{list}");
    let (_, list) = app.get(&a, "/services/training?flag=capture_time").await;
    assert_eq!(list.matches("/records/").count(), 1, "{list}");
    let (_, list) = app.get(&a, "/services/training?flag=duplicate").await;
    assert_eq!(list.matches("/records/").count(), 0, "{list}");
    // 有可疑标记: the one record with a flag; the record whose photo has its EXIF time has none.
    let (_, list) = app.get(&a, "/services/training?flag=any").await;
    assert_eq!(list.matches("/records/").count(), 1, "{list}");
}
