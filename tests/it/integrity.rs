//! 可信证据: photos reused across enterprises or visits are flagged on the record that reuses
//! them, and each party sees only what its scope allows of the other side.

use anze_core::ids::OrderId;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location};

crate::backend_tests!(
    a_photo_reused_for_another_enterprise_is_flagged_and_the_agency_sees_only_the_date,
    a_different_scene_raises_no_duplicate_flag,
    the_agency_answers_a_flag_once_and_only_its_own,
    an_insurer_or_regulator_decides_a_flag_once,
    the_list_of_flags_shows_each_overseer_its_own_and_exports,
);

/// A photo-like scene: a lit background with shaded shapes and sensor noise, from `seed`.
fn scene(seed: u32, w: u32, h: u32) -> RgbImage {
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

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    out
}

/// Two insurers' enterprises, each served by its own agency: (order of 甲 by ag_a, order of 乙
/// by ag_b), both accepted, with `a_staff` and `b_staff` assigned.
async fn two_orders(app: &TestApp) -> (OrderId, OrderId) {
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
async fn training(app: &TestApp, staff: &str, order: OrderId, photos: Vec<Vec<u8>>) -> String {
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
