//! 企业确认: the insured enterprise confirms each service record, or objects to it, from its own
//! account or by signing on site; the agency answers objections; edits ask again.

use anze_core::attachment::BlobStore;
use anze_core::audit::{AuditStore, LogQuery};
use anze_core::ids::{OrderId, RecordId};
use anze_core::order::OrderStore;
use anze_core::page::PageRequest;
use anze_core::record::{Confirmation, RecordStore};
use anze_core::service_item::ServiceItem;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location, pager_total, pdf};

crate::backend_tests!(
    an_enterprise_confirms_its_records_from_its_own_list,
    an_objection_waits_for_the_agencys_answer,
    editing_a_record_asks_the_enterprise_again,
    others_cannot_confirm_or_object,
    an_on_site_signature_confirms_the_record,
    blank_or_foreign_signatures_are_refused_and_nothing_is_saved,
    lists_filter_and_ledgers_export_the_confirmation,
    a_confirmed_record_is_kept,
    record_list_totals_from_the_tallies_agree_with_a_count,
);

/// The own enterprise's credit code.
struct World {
    order: OrderId,
    enterprise: String,
    other_enterprise: String,
}

/// An accepted order of agency `ag_admin` (staff `ag_staff` assigned) for the enterprise whose
/// account is `qy_user`; a second enterprise `qy_other` insured by the same insurer.
async fn world(app: &TestApp) -> World {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let staff = app.seed_account("ag_admin", "ag_staff", "服务人员").await;
    let enterprise = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let other_enterprise = app
        .seed_enterprise("ins", "泉州鲤城纺织有限公司", "350502")
        .await;
    let policy = app.seed_policy("ins", &enterprise, "PICC-C-1").await;
    let order = app.seed_order("ins", policy, agency).await;
    crate::hazards::accept_and_assign(app, "ag_admin", order, &[staff]).await;
    app.seed_enterprise_account(&enterprise, "qy_user").await;
    app.seed_enterprise_account(&other_enterprise, "qy_other")
        .await;
    World {
        order,
        enterprise,
        other_enterprise,
    }
}

fn training(date: &str, staff: &str, topic: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("service_date", date.to_string()),
        ("location", "企业三楼会议室".into()),
        ("staff_ids", staff.to_string()),
        ("enterprise_contact", "陈主任".into()),
        ("topic", topic.into()),
        ("audience", "worker".into()),
        ("mode", "offline".into()),
        ("hours", "2".into()),
        ("participants", "30".into()),
        ("trainer", "张工".into()),
        ("summary", "讲解危化品储存要求。".into()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn today(app: &TestApp) -> String {
    anze_core::time::today(app.clock_now()).to_string()
}

/// A training record written by `ag_staff`, not yet confirmed; returns its id.
pub(crate) async fn record(app: &TestApp, order: OrderId, topic: &'static str) -> RecordId {
    let staff = app.login("ag_staff", PASSWORD).await;
    let me = app.actor("ag_staff").await.account_id.to_string();
    let fields = training(&today(app), &me, topic);
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &borrowed(&fields),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    location(&res)
        .trim_start_matches("/records/")
        .parse()
        .unwrap()
}

async fn state_of(app: &TestApp, id: RecordId) -> Confirmation {
    app.db
        .get_record(id)
        .await
        .unwrap()
        .unwrap()
        .confirmation
        .state
}

/// Posts a confirmation step with the caller's CSRF token (from the home page, so that callers
/// who cannot see the record can still try).
pub(crate) async fn step(
    app: &TestApp,
    client: &reqwest::Client,
    id: RecordId,
    action: &str,
    reason: &str,
) -> reqwest::Response {
    app.post_form(
        client,
        "/",
        &format!("/records/{id}/{action}"),
        &[("reason", reason)],
    )
    .await
}

async fn audit_summaries(app: &TestApp, id: RecordId) -> Vec<String> {
    app.db
        .list_audit(&LogQuery::default(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.object_kind == "record" && e.object_id == Some(id.0))
        .map(|e| format!("{} {}", e.action, e.summary))
        .collect()
}

async fn an_enterprise_confirms_its_records_from_its_own_list(app: TestApp) {
    let w = world(&app).await;
    let id = record(&app, w.order, "危险化学品安全管理培训").await;
    assert_eq!(state_of(&app, id).await, Confirmation::Pending);
    let qy = app.login("qy_user", PASSWORD).await;
    let (_, home) = app.get(&qy, "/").await;
    assert!(
        home.contains("服务确认") && home.contains("待确认记录"),
        "{home}"
    );
    assert!(home.contains("data-count=\"pending\">1<"), "{home}");
    let (status, list) = app.get(&qy, "/confirmations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("安全培训") && list.contains("待确认"),
        "{list}"
    );
    assert!(list.contains(&format!("/records/{id}#confirmation")));
    let (status, page) = app.get(&qy, &format!("/records/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("提出异议") && page.contains(&format!("/records/{id}/confirm")));

    let res = step(&app, &qy, id, "confirm", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, id).await, Confirmation::Confirmed);
    let (_, page) = app.get(&qy, &format!("/records/{id}")).await;
    assert!(
        page.contains("已确认") && page.contains("qy_user的姓名"),
        "{page}"
    );
    assert!(!page.contains(&format!("/records/{id}/confirm\"")));

    // Twice: refused, nothing changes.
    let res = step(&app, &qy, id, "confirm", "").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("该记录已确认"));
    let res = step(&app, &qy, id, "object", "人数不对").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(state_of(&app, id).await, Confirmation::Confirmed);

    // Audited, with who.
    let events = audit_summaries(&app, id).await;
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("confirm") && e.contains("待确认 → 已确认")),
        "{events:?}"
    );
    // The order counts it as confirmed, apart from recorded.
    let o = app.db.get_order(w.order).await.unwrap().unwrap();
    let p = o
        .plan
        .iter()
        .find(|p| p.item == ServiceItem::Training)
        .unwrap();
    assert_eq!((p.done, p.confirmed), (1, 1));
    record(&app, w.order, "第二次培训").await;
    let o = app.db.get_order(w.order).await.unwrap().unwrap();
    let p = o
        .plan
        .iter()
        .find(|p| p.item == ServiceItem::Training)
        .unwrap();
    assert_eq!((p.done, p.confirmed), (2, 1));
    let ag = app.login("ag_admin", PASSWORD).await;
    let (_, detail) = app.get(&ag, &format!("/orders/{}", w.order)).await;
    assert!(detail.contains("企业已确认"), "{detail}");
    // The agency's home counts what waits in its scope.
    let (_, home) = app.get(&ag, "/").await;
    assert!(home.contains("data-count=\"pending\">1<"), "{home}");
    assert!(home.contains("data-count=\"objected\">0<"), "{home}");
}

async fn an_objection_waits_for_the_agencys_answer(app: TestApp) {
    let w = world(&app).await;
    let id = record(&app, w.order, "危险化学品安全管理培训").await;
    let qy = app.login("qy_user", PASSWORD).await;
    // A reason is required.
    let res = step(&app, &qy, id, "object", "  ").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请填写异议理由"));
    assert_eq!(state_of(&app, id).await, Confirmation::Pending);
    let res = step(&app, &qy, id, "object", "实际参训 20 人,不是 30 人").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, id).await, Confirmation::Objected);
    // Not confirmable until the agency answers.
    let res = step(&app, &qy, id, "confirm", "").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("须待服务机构答复"));
    let res = step(&app, &qy, id, "object", "再次异议").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(state_of(&app, id).await, Confirmation::Objected);

    // The agency and the insurer see the flag and the reason.
    let ag = app.login("ag_staff", PASSWORD).await;
    let (_, list) = app.get(&ag, "/services/training").await;
    assert!(list.contains("tag-danger\">有异议"), "{list}");
    let ins = app.login("ins", PASSWORD).await;
    let (_, list) = app.get(&ins, "/services/training").await;
    assert!(list.contains("有异议"), "{list}");
    let (_, page) = app.get(&ins, &format!("/records/{id}")).await;
    assert!(page.contains("实际参训 20 人,不是 30 人"), "{page}");
    assert!(!page.contains("答复异议"), "the insurer does not answer");
    let (_, home) = app.get(&ins, "/").await;
    assert!(home.contains("data-count=\"objected\">1<"), "{home}");

    // The answer: required, then back to 待确认 with both texts readable.
    let (_, page) = app.get(&ag, &format!("/records/{id}")).await;
    assert!(page.contains("答复异议"), "{page}");
    let res = step(&app, &ag, id, "reply", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app, id).await, Confirmation::Objected);
    let res = step(&app, &ag, id, "reply", "已核对签到表,实到 30 人").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, id).await, Confirmation::Pending);
    let res = step(&app, &ag, id, "reply", "再答复").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, page) = app.get(&qy, &format!("/records/{id}")).await;
    assert!(page.contains("实际参训 20 人,不是 30 人") && page.contains("已核对签到表,实到 30 人"));
    let res = step(&app, &qy, id, "confirm", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, id).await, Confirmation::Confirmed);
    let events = audit_summaries(&app, id).await;
    for action in ["object", "reply", "confirm"] {
        assert!(
            events.iter().any(|e| e.starts_with(action)),
            "{action}: {events:?}"
        );
    }
}

async fn editing_a_record_asks_the_enterprise_again(app: TestApp) {
    let w = world(&app).await;
    let id = record(&app, w.order, "危险化学品安全管理培训").await;
    let qy = app.login("qy_user", PASSWORD).await;
    assert_eq!(
        step(&app, &qy, id, "confirm", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let ag = app.login("ag_staff", PASSWORD).await;
    let me = app.actor("ag_staff").await.account_id.to_string();
    let mut fields = training(&today(&app), &me, "危险化学品安全管理培训");
    fields.retain(|(k, _)| *k != "participants");
    fields.push(("participants", "28".into()));
    let res = app
        .post_multipart(
            &ag,
            &format!("/records/{id}/edit"),
            &format!("/records/{id}"),
            &borrowed(&fields),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, id).await, Confirmation::Pending);
    let events = audit_summaries(&app, id).await;
    let update = events
        .iter()
        .find(|e| e.starts_with("update"))
        .expect("the edit is audited");
    assert!(update.contains("参训人数: 30 → 28"), "{update}");
    assert!(update.contains("确认状态: 已确认 → 待确认"), "{update}");

    // An objection answered by an edit: 待确认 again, the objection still readable.
    assert_eq!(
        step(&app, &qy, id, "object", "人数仍不对").await.status(),
        StatusCode::SEE_OTHER
    );
    let res = app
        .post_multipart(
            &ag,
            &format!("/records/{id}/edit"),
            &format!("/records/{id}"),
            &borrowed(&fields),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, id).await, Confirmation::Pending);
    let (_, page) = app.get(&qy, &format!("/records/{id}")).await;
    assert!(page.contains("人数仍不对") && page.contains("提出异议"));
}

async fn others_cannot_confirm_or_object(app: TestApp) {
    let w = world(&app).await;
    let id = record(&app, w.order, "危险化学品安全管理培训").await;
    assert_ne!(w.enterprise, w.other_enterprise);
    // Another enterprise: the record does not exist for it.
    let other = app.login("qy_other", PASSWORD).await;
    for action in ["confirm", "object"] {
        let res = step(&app, &other, id, action, "不是我们的").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let (status, _) = app.get(&other, &format!("/records/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&other, "/confirmations").await;
    assert!(!list.contains(&format!("/records/{id}")));
    // The agency and the insurer speak for no enterprise.
    for who in ["ag_admin", "ins"] {
        let client = app.login(who, PASSWORD).await;
        for action in ["confirm", "object"] {
            let res = step(&app, &client, id, action, "代企业确认").await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {action}");
        }
        let (status, _) = app.get(&client, "/confirmations").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // The enterprise does not answer objections.
    let qy = app.login("qy_user", PASSWORD).await;
    let res = step(&app, &qy, id, "reply", "自己答复").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(state_of(&app, id).await, Confirmation::Pending);
    let events = audit_summaries(&app, id).await;
    assert!(
        events.iter().all(|e| e.starts_with("create")),
        "nothing but the creation was recorded: {events:?}"
    );
}

/// A signature as the pad draws it: dark strokes on a transparent canvas.
pub(crate) fn signature_png() -> Vec<u8> {
    let mut img = image::RgbaImage::from_pixel(600, 180, image::Rgba([0, 0, 0, 0]));
    for x in 40..560u32 {
        let y = 90.0 + 40.0 * ((x as f32) / 30.0).sin();
        for dy in 0..3 {
            img.put_pixel(x, y as u32 + dy, image::Rgba([17, 17, 17, 255]));
        }
    }
    encode(img)
}

pub(crate) fn blank_png() -> Vec<u8> {
    encode(image::RgbaImage::from_pixel(
        600,
        180,
        image::Rgba([0, 0, 0, 0]),
    ))
}

fn encode(img: image::RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A signature file: its name and bytes.
type Signature = (&'static str, Vec<u8>);

async fn create_signed(
    app: &TestApp,
    order: OrderId,
    signer: &str,
    signature: Option<Signature>,
) -> reqwest::Response {
    let staff = app.login("ag_staff", PASSWORD).await;
    let me = app.actor("ag_staff").await.account_id.to_string();
    let mut fields = training(&today(app), &me, "现场签字培训");
    fields.push(("signer_name", signer.to_string()));
    let files: Vec<(&str, &str, Vec<u8>)> = signature
        .into_iter()
        .map(|(name, bytes)| ("signature", name, bytes))
        .collect();
    app.post_multipart_files(
        &staff,
        &format!("/orders/{order}/training/new"),
        &format!("/orders/{order}/training"),
        &borrowed(&fields),
        &files,
    )
    .await
}

async fn an_on_site_signature_confirms_the_record(app: TestApp) {
    let w = world(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let (_, form) = app
        .get(&staff, &format!("/orders/{}/training/new", w.order))
        .await;
    assert!(form.contains("data-signature-pad") && form.contains("签字人姓名"));
    let res = create_signed(
        &app,
        w.order,
        "王五",
        Some(("企业签字.png", signature_png())),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let path = location(&res);
    let id: RecordId = path.trim_start_matches("/records/").parse().unwrap();
    let r = app.db.get_record(id).await.unwrap().unwrap();
    assert_eq!(r.confirmation.state, Confirmation::Confirmed);
    assert!(r.confirmation.on_site);
    assert_eq!(r.confirmation.by_name.as_deref(), Some("王五"));
    // Backends keep seconds (MySQL) or microseconds: compare the seconds.
    assert_eq!(
        r.confirmation.at.map(|t| t.timestamp()),
        Some(app.clock_now().timestamp())
    );
    let (_, page) = app.get(&staff, &path).await;
    assert!(
        page.contains("已确认") && page.contains("现场签字人") && page.contains("王五"),
        "{page}"
    );
    assert!(
        page.contains("企业签字.png"),
        "the signature is kept as uploaded"
    );
    // The original is stored byte for byte.
    let files = anze_core::record::service::attachments(&app.db, &r)
        .await
        .unwrap();
    let signature = files.iter().find(|a| a.field == "signature").unwrap();
    let (status, bytes) = {
        let res = staff
            .get(app.url(&format!("/attachments/{}", signature.id)))
            .send()
            .await
            .unwrap();
        (res.status(), res.bytes().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes.as_ref(), signature_png().as_slice());
    let events = audit_summaries(&app, id).await;
    assert!(
        events
            .iter()
            .any(|e| e.contains("企业现场签字,签字人: 王五")),
        "{events:?}"
    );
    // The enterprise finds it already confirmed.
    let qy = app.login("qy_user", PASSWORD).await;
    let res = step(&app, &qy, id, "confirm", "").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn blank_or_foreign_signatures_are_refused_and_nothing_is_saved(app: TestApp) {
    let w = world(&app).await;
    let cases: Vec<(&str, Option<Signature>, &str)> = vec![
        (
            "王五",
            Some(("企业签字.png", blank_png())),
            "签字为空白,请企业代表在签字板上签字",
        ),
        (
            "",
            Some(("企业签字.png", signature_png())),
            "请填写签字人姓名",
        ),
        ("王五", None, "请企业代表在签字板上签字"),
        ("王五", Some(("企业签字.png", pdf())), "只接受 PNG 格式"),
    ];
    for (signer, signature, message) in cases {
        let res = create_signed(&app, w.order, signer, signature).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
    }
    let ag = app.login("ag_admin", PASSWORD).await;
    let (_, list) = app.get(&ag, &format!("/orders/{}/training", w.order)).await;
    assert!(list.contains("还没有安全培训记录"), "nothing was saved");
    // The files of a refused request are only kept for the form's next submit (pending
    // uploads); once those expire, gc leaves no blob behind.
    let kept: std::collections::HashSet<String> =
        anze_core::attachment::AttachmentStore::attachment_keys(&app.db)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let left = app.blobs.list("").await.unwrap();
    assert!(left.iter().all(|(k, _)| kept.contains(k)), "{left:?}");
    let later = app.clock_now() + chrono::Duration::hours(25);
    anze_core::attachment::service::collect_orphans(&app.db, &*app.blobs, later)
        .await
        .unwrap();
    let left = app.blobs.list("").await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

async fn lists_filter_and_ledgers_export_the_confirmation(app: TestApp) {
    let w = world(&app).await;
    let confirmed = record(&app, w.order, "已确认的培训").await;
    let objected = record(&app, w.order, "有异议的培训").await;
    let pending = record(&app, w.order, "待确认的培训").await;
    let qy = app.login("qy_user", PASSWORD).await;
    step(&app, &qy, confirmed, "confirm", "").await;
    step(&app, &qy, objected, "object", "日期不对").await;
    // 待确认 first, then 有异议, then 已确认.
    let (_, all) = app.get(&qy, "/confirmations").await;
    let at = |id: RecordId| all.find(&format!("/records/{id}#")).unwrap();
    assert!(
        at(pending) < at(objected) && at(objected) < at(confirmed),
        "{all}"
    );
    let (_, only) = app.get(&qy, "/confirmations?confirmation=objected").await;
    assert!(only.contains(&format!("/records/{objected}#")));
    assert!(!only.contains(&format!("/records/{pending}#")));
    let (_, other_item) = app.get(&qy, "/confirmations?item=risk").await;
    assert!(!other_item.contains("/records/"));

    let ag = app.login("ag_admin", PASSWORD).await;
    let (_, list) = app
        .get(&ag, "/services/training?confirmation=confirmed")
        .await;
    assert!(
        list.contains("已确认的培训") && !list.contains("待确认的培训"),
        "{list}"
    );
    let (_, list) = app
        .get(
            &ag,
            &format!("/orders/{}/training?confirmation=pending", w.order),
        )
        .await;
    assert!(
        list.contains("待确认的培训") && !list.contains("已确认的培训"),
        "{list}"
    );

    let res = ag
        .get(app.url("/services/training/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let rows = crate::ledgers::rows(bytes);
    let header = &rows[0];
    let col = header
        .iter()
        .position(|h| h == "确认状态")
        .expect("确认状态");
    let reason = header.iter().position(|h| h == "异议理由").unwrap();
    let states: Vec<&str> = rows[1..].iter().map(|r| r[col].as_str()).collect();
    for s in ["已确认", "有异议", "待确认"] {
        assert!(states.contains(&s), "{states:?}");
    }
    assert!(rows[1..].iter().any(|r| r[reason] == "日期不对"));
}

async fn a_confirmed_record_is_kept(app: TestApp) {
    let w = world(&app).await;
    let kept = record(&app, w.order, "危化品储存").await;
    let draft = record(&app, w.order, "有限空间作业").await;
    let qy = app.login("qy_user", PASSWORD).await;
    assert_eq!(
        step(&app, &qy, kept, "confirm", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let staff = app.login("ag_staff", PASSWORD).await;
    let (_, page) = app.get(&staff, &format!("/records/{kept}")).await;
    assert!(!page.contains(&format!("/records/{kept}/delete")), "{page}");
    for confirmed in ["", "1"] {
        let res = app
            .post_form(
                &staff,
                "/",
                &format!("/records/{kept}/delete"),
                &[("confirmed", confirmed)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("已由企业确认,不能删除"));
    }
    assert!(app.db.get_record(kept).await.unwrap().is_some());
    // A record the enterprise has not confirmed can still be withdrawn.
    let (_, page) = app.get(&staff, &format!("/records/{draft}")).await;
    assert!(page.contains(&format!("/records/{draft}/delete")));
    let res = app
        .post_form(
            &staff,
            "/",
            &format!("/records/{draft}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.db.get_record(draft).await.unwrap().is_none());
}

/// A record list filtered by nothing but its service item and 企业确认 state reads its total
/// from `record_tallies`; the same list with a service-date filter that selects every record
/// counts the records. Both agree for every party as records are written and confirmed.
async fn record_list_totals_from_the_tallies_agree_with_a_count(app: TestApp) {
    let w = world(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    let clients = [
        app.login("ag_admin", PASSWORD).await,
        app.login("ins", PASSWORD).await,
        app.login("reg", PASSWORD).await,
        app.admin().await,
    ];
    let agree = |expected: &'static str| {
        let app = &app;
        let clients = &clients;
        async move {
            for client in clients {
                for list in [
                    "/services/training?",
                    "/services/training?confirmation=pending",
                    "/services/training?confirmation=confirmed",
                    "/services/training?confirmation=objected",
                    "/services/risk?",
                ] {
                    let (status, tallied) = app.get(client, list).await;
                    assert_eq!(status, StatusCode::OK, "{list}");
                    let (_, counted) = app.get(client, &format!("{list}&from=2000-01-01")).await;
                    assert_eq!(pager_total(&tallied), pager_total(&counted), "{list}");
                }
                let (_, all) = app.get(client, "/services/training").await;
                assert_eq!(pager_total(&all), expected);
            }
        }
    };
    agree("0").await;
    let confirmed = record(&app, w.order, "已确认的培训").await;
    let objected = record(&app, w.order, "有异议的培训").await;
    record(&app, w.order, "待确认的培训").await;
    agree("3").await;
    let qy = app.login("qy_user", PASSWORD).await;
    step(&app, &qy, confirmed, "confirm", "").await;
    step(&app, &qy, objected, "object", "日期不对").await;
    agree("3").await;
    let (_, pending) = app
        .get(&clients[0], "/services/training?confirmation=pending")
        .await;
    assert_eq!(pager_total(&pending), "1");
}
