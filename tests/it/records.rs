//! 服务记录 (seed §4.1.2–§4.1.8, §4.2, §4.4–§4.8): recorded per order, listed across orders.

use anze_core::ids::{OrderId, OrgId};
use anze_core::order::OrderStore;
use anze_core::service_item::ServiceItem;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location};

crate::backend_tests!(
    staff_record_a_training_and_the_order_progresses,
    every_record_type_takes_its_own_fields,
    record_forms_refuse_bad_input,
    only_accepted_orders_take_records,
    others_cannot_see_or_touch_an_agencys_records,
    authors_and_admins_edit_and_delete_until_the_order_completes,
    insurers_and_regulators_read_the_cross_order_lists,
    cross_order_list_filters,
    keyword_search_follows_edits_and_deletes,
    records_written_before_the_search_index_are_found_after_its_migration,
    evidence_is_checked_stored_and_shown,
    large_files_up_to_the_configured_limit_are_accepted,
    a_refused_upload_is_answered_not_reset,
);

/// An accepted order of agency `ag` for insurer `ins`, with staff member `ag_staff` assigned.
pub(crate) async fn accepted_order(app: &TestApp) -> (OrderId, OrgId) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let staff = app.seed_account("ag_admin", "ag_staff", "服务人员").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-R-1").await;
    let order = app.seed_order("ins", policy, agency).await;
    crate::hazards::accept_and_assign(app, "ag_admin", order, &[staff]).await;
    (order, agency)
}

/// A record type's path code, its own fields, and a value its page must show.
type TypeCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

pub(crate) fn today(app: &TestApp) -> String {
    anze_core::time::today(app.clock_now()).to_string()
}

pub(crate) fn training<'a>(date: &'a str, staff: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("service_date", date),
        ("location", "企业三楼会议室"),
        ("staff_ids", staff),
        ("enterprise_contact", "陈主任"),
        ("topic", "危险化学品安全管理培训"),
        ("audience", "manager"),
        ("audience", "worker"),
        ("mode", "offline"),
        ("hours", "2.5"),
        ("participants", "45"),
        ("trainer", "张工"),
        ("summary", "讲解了危化品储存与应急处置要求,现场答疑。"),
    ]
}

async fn staff_record_a_training_and_the_order_progresses(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    // From the order row (seed 图4.1.3) to the item's record list (图4.1.6).
    let (_, list) = app.get(&staff, "/orders").await;
    assert!(list.contains(&format!("/orders/{order}/training\">安全培训")));
    assert!(
        list.contains(&format!("/orders/{order}/hazard\">事故排查")),
        "the seed calls the hazard item 事故排查 on order rows"
    );
    let (status, html) = app.get(&staff, &format!("/orders/{order}/training")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("还没有安全培训记录") && html.contains("新增"));
    let new = format!("/orders/{order}/training/new");
    let (status, form) = app.get(&staff, &new).await;
    assert_eq!(status, StatusCode::OK);
    for label in [
        "培训主题",
        "培训对象",
        "主要负责人",
        "培训方式",
        "学时",
        "参训人数",
        "授课人",
        "企业对接人",
    ] {
        assert!(form.contains(label), "{label}");
    }
    let date = today(&app);
    let res = app
        .post_multipart(
            &staff,
            &new,
            &format!("/orders/{order}/training"),
            &training(&date, &staff_id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);
    let (_, html) = app.get(&staff, &record).await;
    for text in [
        "危险化学品安全管理培训",
        "安全管理人员、从业人员",
        "2.5 学时",
        "线下",
        "企业三楼会议室",
        "ag_staff的姓名",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let (_, list) = app.get(&staff, &format!("/orders/{order}/training")).await;
    assert!(list.contains("危险化学品安全管理培训") && list.contains("共 1 条"));
    let (_, detail) = app.get(&staff, &format!("/orders/{order}")).await;
    assert!(detail.contains("1/1"), "training planned once, done once");
    let o = app.db.get_order(order).await.unwrap().unwrap();
    let done = o
        .plan
        .iter()
        .find(|p| p.item == ServiceItem::Training)
        .unwrap()
        .done;
    assert_eq!(done, 1);
    let (_, menu) = app.get(&staff, "/services/training").await;
    assert!(menu.contains("危险化学品安全管理培训") && menu.contains("泉州恒安石化有限公司"));
}

async fn every_record_type_takes_its_own_fields(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let common = [
        ("service_date", date.as_str()),
        ("location", "厂区"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈主任"),
        ("summary", "已完成"),
    ];
    let cases: [TypeCase; 5] = [
        (
            "risk",
            vec![
                ("scope", "储罐区、装卸区"),
                ("method", "lec"),
                ("major", "1"),
                ("high", "2"),
                ("general", "5"),
                ("low", "9"),
            ],
            "作业条件危险性分析法(LEC)",
        ),
        (
            "standardization",
            vec![("grade", "3"), ("conform", "120"), ("nonconform", "8")],
            "三级",
        ),
        (
            "emergency",
            vec![
                ("kind", "drill"),
                ("plan_kind", "special"),
                ("drill_form", "live"),
                ("drill_scope", "single"),
                ("participants", "60"),
                ("evaluation", "疏散用时 4 分钟"),
            ],
            "实战演练",
        ),
        (
            "promotion",
            vec![("technology", "可燃气体报警联网系统"), ("way", "pilot")],
            "试点应用",
        ),
        (
            "other",
            vec![
                ("title", "安全文化宣传"),
                ("content", "张贴安全标语并开展安全月活动"),
            ],
            "安全文化宣传",
        ),
    ];
    for (code, fields, expected) in cases {
        let mut all: Vec<(&str, &str)> = common.to_vec();
        all.extend(fields);
        let new = format!("/orders/{order}/{code}/new");
        let files = if code == "risk" {
            vec![("report", "评估报告.pdf", crate::helpers::pdf())]
        } else {
            vec![("photos", "现场.png", crate::helpers::png())]
        };
        let res = app
            .post_multipart_files(
                &staff,
                &new,
                &format!("/orders/{order}/{code}"),
                &all,
                &files,
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{code}");
        let (_, html) = app.get(&staff, &location(&res)).await;
        assert!(html.contains(expected), "{code}: {expected}");
        let path = anze_web_list_path(code);
        let (_, list) = app.get(&staff, path).await;
        assert!(
            list.contains("泉州恒安石化有限公司"),
            "{code} cross-order list"
        );
    }
}

fn anze_web_list_path(code: &str) -> &'static str {
    match code {
        "risk" => "/services/risk",
        "standardization" => "/services/standardization",
        "emergency" => "/services/emergency",
        "promotion" => "/services/promotion",
        "other" => "/services/other",
        _ => "/services/training",
    }
}

async fn record_forms_refuse_bad_input(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let new = format!("/orders/{order}/training/new");
    let action = format!("/orders/{order}/training");
    let o = app.db.get_order(order).await.unwrap().unwrap();
    let before = (o.service_start - chrono::Duration::days(1)).to_string();
    let tomorrow =
        (anze_core::time::today(app.clock_now()) + chrono::Duration::days(1)).to_string();
    let date = today(&app);
    for (field, value, message) in [
        ("service_date", before.as_str(), "须在订单服务期限"),
        ("service_date", tomorrow.as_str(), "不能晚于今天"),
        ("service_date", "2026/01/01", "日期格式应为"),
        ("hours", "1.3", "以 0.5 为单位"),
        ("mode", "telepathy", "培训方式选项无效"),
        ("participants", "0", "参训人数应在 1 到 100000 之间"),
        ("staff_ids", "abc", "服务人员选择无效"),
        ("topic", "", "请填写培训主题"),
    ] {
        let mut fields = training(&date, &staff_id);
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let res = app.post_multipart(&staff, &new, &action, &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{field}={value}: {message}");
        assert!(html.contains("企业三楼会议室"), "typed values are kept");
    }
    // Staff of another agency cannot be named.
    app.seed_org("agency", "闽安", "other_ag").await;
    let foreign = app.actor("other_ag").await.account_id.to_string();
    let res = app
        .post_multipart(&staff, &new, &action, &training(&date, &foreign))
        .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("服务人员须为本机构的账号")
    );
    // Cross-field rules of the types.
    let mut risk = vec![
        ("service_date", date.as_str()),
        ("location", "厂区"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈"),
        ("summary", "x"),
    ];
    risk.extend([
        ("scope", "全厂"),
        ("method", "lec"),
        ("major", "0"),
        ("high", "0"),
        ("general", "0"),
        ("low", "0"),
    ]);
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/risk/new"),
            &format!("/orders/{order}/risk"),
            &risk,
        )
        .await;
    assert!(res.text().await.unwrap().contains("至少一个"));
    let mut drill = vec![
        ("service_date", date.as_str()),
        ("location", "厂区"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈"),
        ("summary", "x"),
    ];
    drill.extend([("kind", "drill"), ("plan_kind", "special")]);
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/emergency/new"),
            &format!("/orders/{order}/emergency"),
            &drill,
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("应急演练请选择演练形式") && html.contains("应急演练请填写参演人数"));
    // HTML in text fields is stored and shown as text.
    let mut xss = training(&date, &staff_id);
    xss.retain(|(k, _)| *k != "topic");
    xss.push(("topic", "<img src=x onerror=alert(1)>"));
    let res = app.post_multipart(&staff, &new, &action, &xss).await;
    let (_, html) = app.get(&staff, &location(&res)).await;
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;") && !html.contains("<img src=x"));
    let (_, list) = app.get(&staff, &action).await;
    assert!(list.contains("共 1 条"), "only the last one was saved");
}

async fn only_accepted_orders_take_records(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-R-2").await;
    let order = app.seed_order("ins", policy, agency).await;
    let admin = app.login("ag_admin", PASSWORD).await;
    let me = app.actor("ag_admin").await.account_id.to_string();
    let date = today(&app);
    assert_eq!(
        app.get(&admin, &format!("/orders/{order}/training/new"))
            .await
            .0,
        StatusCode::CONFLICT
    );
    let res = app
        .post_multipart(
            &admin,
            &format!("/orders/{order}/training"),
            &format!("/orders/{order}/training"),
            &training(&date, &me),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("只有已受理的订单可以录入服务记录")
    );
    let actor = app.actor("ag_admin").await;
    anze_core::order::service::decline(&app.db, &actor, order, "忙", app.clock_now())
        .await
        .unwrap();
    let res = app
        .post_multipart(
            &admin,
            &format!("/orders/{order}/training"),
            &format!("/orders/{order}/training"),
            &training(&date, &me),
        )
        .await;
    assert!(res.text().await.unwrap().contains("“已拒绝”"));
    assert_eq!(
        app.get(&admin, &format!("/orders/{order}/nonsense"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn others_cannot_see_or_touch_an_agencys_records(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &training(&date, &staff_id),
        )
        .await;
    let record = location(&res);
    app.seed_org("agency", "闽安", "other_ag").await;
    let other = app.login("other_ag", PASSWORD).await;
    for path in [
        record.clone(),
        format!("{record}/edit"),
        format!("/orders/{order}/training"),
        format!("/orders/{order}/training/new"),
    ] {
        let (status, html) = app.get(&other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("危险化学品安全管理培训"));
    }
    let res = app
        .post_form(
            &other,
            "/",
            &format!("{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_multipart(&other, "/", &record, &training(&date, &staff_id))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, list) = app.get(&other, "/services/training").await;
    assert!(!list.contains("危险化学品安全管理培训"));
    // A colleague limited to 仅本人负责 and not assigned to the order sees nothing either.
    app.seed_account("ag_admin", "ag_staff2", "服务人员").await;
    let colleague = app.login("ag_staff2", PASSWORD).await;
    assert_eq!(app.get(&colleague, &record).await.0, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&colleague, "/services/training").await;
    assert!(!list.contains("危险化学品安全管理培训"));
}

async fn authors_and_admins_edit_and_delete_until_the_order_completes(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &training(&date, &staff_id),
        )
        .await;
    let record = location(&res);
    // The author edits.
    let mut changed = training(&date, &staff_id);
    changed.retain(|(k, _)| *k != "participants");
    changed.push(("participants", "50"));
    let res = app
        .post_multipart(&staff, &format!("{record}/edit"), &record, &changed)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&staff, &record).await;
    assert!(html.contains(">50<"));
    // A colleague assigned to the order but without 管理 rights may read, not change.
    let colleague = app.seed_account("ag_admin", "ag_staff3", "服务人员").await;
    let admin_actor = app.actor("ag_admin").await;
    anze_core::order::service::assign(
        &app.db,
        &admin_actor,
        order,
        &[staff_id.clone(), colleague.to_string()],
        app.clock_now(),
    )
    .await
    .unwrap();
    let c = app.login("ag_staff3", PASSWORD).await;
    let (status, html) = app.get(&c, &record).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/edit\">修改"));
    assert_eq!(
        app.get(&c, &format!("{record}/edit")).await.0,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post_form(
            &c,
            &record,
            &format!("{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The agency admin deletes, after confirming.
    let admin = app.login("ag_admin", PASSWORD).await;
    let res = app
        .post_form(&admin, &record, &format!("{record}/delete"), &[])
        .await;
    assert!(res.text().await.unwrap().contains("确定删除"));
    let res = app
        .post_form(
            &admin,
            &record,
            &format!("{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(location(&res), format!("/orders/{order}/training"));
    assert_eq!(app.get(&admin, &record).await.0, StatusCode::NOT_FOUND);
    // Once completed, the order's records are read-only.
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &training(&date, &staff_id),
        )
        .await;
    let record = location(&res);
    anze_core::order::service::complete(&app.db, &admin_actor, order, app.clock_now())
        .await
        .unwrap();
    let res = app.post_multipart(&staff, &record, &record, &changed).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post_form(
            &admin,
            &record,
            &format!("{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, html) = app.get(&admin, &record).await;
    assert!(!html.contains("/edit\">修改"));
}

async fn insurers_and_regulators_read_the_cross_order_lists(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &training(&date, &staff_id),
        )
        .await;
    let record = location(&res);
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    for (user, sees) in [("ins", true), ("reg", true)] {
        let c = app.login(user, PASSWORD).await;
        let (status, list) = app.get(&c, "/services/training").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.contains("危险化学品安全管理培训"), sees, "{user}");
        let (status, html) = app.get(&c, &record).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert!(!html.contains("修改</a>"), "{user} reads only");
        assert_eq!(
            app.get(&c, &format!("/orders/{order}/training/new"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let res = app
            .post_multipart(
                &c,
                &record,
                &format!("/orders/{order}/training"),
                &training(&date, &staff_id),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
    }
    // Another insurer and a regulator elsewhere see nothing.
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let other = app.login("ins2", PASSWORD).await;
    let (_, list) = app.get(&other, "/services/training").await;
    assert!(!list.contains("危险化学品安全管理培训"));
    assert_eq!(app.get(&other, &record).await.0, StatusCode::NOT_FOUND);
}

async fn cross_order_list_filters(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    app.post_multipart(
        &staff,
        &format!("/orders/{order}/training/new"),
        &format!("/orders/{order}/training"),
        &training(&date, &staff_id),
    )
    .await;
    let admin = app.login("ag_admin", PASSWORD).await;
    let check = |q: String, found: bool| {
        let app = &app;
        let admin = &admin;
        async move {
            let (status, html) = app.get(admin, &format!("/services/training?{q}")).await;
            assert_eq!(status, StatusCode::OK, "{q}");
            assert_eq!(html.contains("危险化学品安全管理培训"), found, "{q}");
        }
    };
    check("enterprise=%E6%81%92%E5%AE%89".into(), true).await; // 恒安
    check("enterprise=%E4%B8%8D%E5%AD%98%E5%9C%A8".into(), false).await; // 不存在
    check(format!("from={date}&to={date}"), true).await;
    check("from=2000-01-01&to=2000-01-31".into(), false).await;
    check(format!("staff={staff_id}"), true).await;
    check("staff=999999".into(), false).await;
    check("q=%E4%BC%9A%E8%AE%AE%E5%AE%A4".into(), true).await; // 会议室
    check("q=%25".into(), false).await;
    let ins = app.actor("ins").await.org_id;
    check(format!("insurer={ins}"), true).await;
    let (status, _) = app.get(&admin, "/services/training?from=not-a-date").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// 关键字 and 企业名称 are substrings however the backend indexes them (trigrams from three
/// characters on, LIKE below): a saved edit is found by its new text and no longer by the old,
/// a deleted record not at all, and the index's own syntax in a term is taken literally.
async fn keyword_search_follows_edits_and_deletes(app: TestApp) {
    let record = recorded_training(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let admin = app.login("ag_admin", PASSWORD).await;
    let found = |q: &'static str| search_finds_training(&app, &admin, q);
    // Location and summary, long and short terms, Latin case as LIKE folds it.
    assert!(found("q=三楼会议室").await);
    // The total of a searched page: counted, or (a short term, 20 a page) read with the
    // page's ids in one walk.
    for (term, size) in [("会议室", 20), ("会议", 20), ("会议", 10)] {
        let (_, html) = app
            .get(
                &admin,
                &format!(
                    "/services/training?size={size}&q={}",
                    utf8_percent_encode(term, NON_ALPHANUMERIC)
                ),
            )
            .await;
        assert!(html.contains("共 1 条"), "{term} {size}");
    }
    assert!(found("q=会议").await);
    assert!(found("q=室").await);
    assert!(found("q=危化品储存与应急").await);
    assert!(!found("q=四楼会议室").await);
    assert!(found("enterprise=恒安石化").await);
    assert!(found("enterprise=恒安").await);
    assert!(!found("enterprise=恒安化工").await);
    // Full-text syntax and LIKE wildcards are characters like any other.
    for q in [
        "q=会议室\"",
        "q=\"会议室\"",
        "q=会议室 OR 仓库",
        "q=location:会议",
        "q={summary}:会议室",
        "q=会议*",
        "q=NEAR(会议 室)",
        "q=%会议%",
        "q=_议室",
        "q=会议室'; DROP TABLE service_records; --",
    ] {
        assert!(!found(q).await, "{q}");
    }
    // An edit is searchable by what it says now.
    let mut changed = training(&date, &staff_id);
    changed.retain(|(k, _)| *k != "location");
    changed.push(("location", "二号仓库Area"));
    let res = app
        .post_multipart(&staff, &format!("{record}/edit"), &record, &changed)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!found("q=三楼会议室").await);
    assert!(found("q=二号仓库").await);
    assert!(found("q=仓库area").await);
    // A short term, below the trigram index, folds Latin case too.
    assert!(found("q=rE").await);
    // A deleted record is found by nothing.
    let res = app
        .post_form(
            &admin,
            &record,
            &format!("{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!found("q=二号仓库").await);
    assert!(!found("q=危化品储存与应急").await);
}

/// The training `training()` describes, recorded by `ag_staff` on an accepted order; its path.
async fn recorded_training(app: &TestApp) -> String {
    let (order, _) = accepted_order(app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let res = app
        .post_multipart(
            &staff,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &training(&today(app), &staff_id),
        )
        .await;
    location(&res)
}

/// Whether the training list, filtered by `key=value` (the value percent-encoded here),
/// shows the training `training()` records.
async fn search_finds_training(app: &TestApp, c: &reqwest::Client, q: &str) -> bool {
    let (key, value) = q.split_once('=').unwrap();
    let q = format!("{key}={}", utf8_percent_encode(value, NON_ALPHANUMERIC));
    let (status, html) = app.get(c, &format!("/services/training?{q}")).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    html.contains("危险化学品安全管理培训")
}

/// The search migration indexes what a deployment already holds, and its indexes exist
/// (dropping them succeeds) on the backends that have them.
async fn records_written_before_the_search_index_are_found_after_its_migration(app: TestApp) {
    recorded_training(&app).await;
    let searched = [
        ("service_records", ["location", "summary"]),
        ("hazards", ["hazard_no", "description"]),
        ("organizations", ["name", "credit_code"]),
    ];
    let mut drops = Vec::new();
    for (table, cols) in searched {
        match app.db.backend_name() {
            "sqlite" => {
                for t in ["ai", "ad", "au"] {
                    drops.push(format!("DROP TRIGGER {table}_fts_{t}"));
                }
                drops.push(format!("DROP TABLE {table}_fts"));
            }
            "postgres" => {
                for col in cols {
                    drops.push(format!("DROP INDEX idx_{table}_{col}_trgm"));
                }
            }
            _ => {}
        }
    }
    drops
        .push("DELETE FROM seaql_migrations WHERE version = 'm20261205_000020_text_search'".into());
    for sql in &drops {
        app.db.execute_unprepared(sql).await.unwrap();
    }
    app.db.migrate().await.unwrap();
    let admin = app.login("ag_admin", PASSWORD).await;
    assert!(search_finds_training(&app, &admin, "q=三楼会议室").await);
    assert!(search_finds_training(&app, &admin, "enterprise=恒安石化").await);
    assert!(!search_finds_training(&app, &admin, "q=四楼会议室").await);
}

async fn evidence_is_checked_stored_and_shown(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let mut risk = vec![
        ("service_date", date.as_str()),
        ("location", "储罐区"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈主任"),
        ("summary", "完成风险辨识"),
    ];
    risk.extend([
        ("scope", "储罐区、装卸区"),
        ("method", "lec"),
        ("major", "0"),
        ("high", "1"),
        ("general", "3"),
        ("low", "6"),
    ]);
    let new = format!("/orders/{order}/risk/new");
    let action = format!("/orders/{order}/risk");
    // The 评估报告 is required.
    let res = app.post_multipart(&staff, &new, &action, &risk).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请上传评估报告"));
    // A PDF named .jpg in the photo field is refused by its content.
    let res = app
        .post_multipart_files(
            &staff,
            &new,
            &action,
            &risk,
            &[
                ("report", "评估报告.pdf", crate::helpers::pdf()),
                ("photos", "现场.jpg", crate::helpers::pdf()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get(&staff, &action).await;
    assert!(list.contains("还没有风险识别记录"), "nothing saved");
    let res = app
        .post_multipart_files(
            &staff,
            &new,
            &action,
            &risk,
            &[
                ("report", "评估报告.pdf", crate::helpers::pdf()),
                ("photos", "储罐区.png", crate::helpers::png()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);
    let (_, html) = app.get(&staff, &record).await;
    assert!(html.contains("评估报告.pdf") && html.contains("储罐区.png"));
    let start = html.find("/attachments/").unwrap() + "/attachments/".len();
    let id: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let res = staff
        .get(app.url(&format!("/attachments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    // Removing the only report while editing is refused: the record must keep its evidence.
    let report_id = {
        let pos = html.find("评估报告.pdf").unwrap();
        let before = &html[..pos];
        let s = before.rfind("/attachments/").unwrap() + "/attachments/".len();
        before[s..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
    };
    let mut edit = risk.clone();
    edit.push(("remove_attachment", report_id.as_str()));
    let res = app
        .post_multipart(&staff, &format!("{record}/edit"), &record, &edit)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请上传评估报告"));
}

/// A record's files may be as large as the configured limit (50 MB by default), not only as
/// large as the web framework's default body limit (2 MB), on create and on edit.
async fn large_files_up_to_the_configured_limit_are_accepted(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let staff_id = app.actor("ag_staff").await.account_id.to_string();
    let date = today(&app);
    let risk = [
        ("service_date", date.as_str()),
        ("location", "储罐区"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈主任"),
        ("summary", "完成风险辨识"),
        ("scope", "储罐区、装卸区"),
        ("method", "lec"),
        ("major", "0"),
        ("high", "1"),
        ("general", "3"),
        ("low", "6"),
    ];
    let mut report = crate::helpers::pdf();
    report.resize(6 * 1024 * 1024, b' ');
    let res = app
        .post_multipart_files(
            &staff,
            &format!("/orders/{order}/risk/new"),
            &format!("/orders/{order}/risk"),
            &risk,
            &[("report", "评估报告.pdf", report.clone())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);
    let (_, html) = app.get(&staff, &record).await;
    assert!(
        html.contains("评估报告.pdf") && html.contains("6.0 MB"),
        "{html}"
    );
    let res = app
        .post_multipart_files(
            &staff,
            &format!("{record}/edit"),
            &record,
            &risk,
            &[("photos", "大图.pdf", report)],
        )
        .await;
    // Refused for its type (a PDF is no photo), not for its size.
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("现场照片只接受"));
}

/// A refusal comes before the body is read (no byte of a refused caller is stored), so the
/// answer leaves while the client is still sending. The rest of the body must still be read:
/// otherwise the server closes the connection with bytes unread, the kernel resets it, and the
/// browser shows a reset connection instead of the 403 (seen as a flaky BrokenPipe here).
/// Written on a raw connection so the body's second half surely arrives after the answer.
async fn a_refused_upload_is_answered_not_reset(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let list = format!("/orders/{order}/training");
    let (_, before) = app.get(&staff, &list).await;
    let body = vec![b'x'; 512 * 1024];
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /orders/{order}/training?_csrf={} HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        "0".repeat(64),
        app.addr,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body[..4096]).await.unwrap();
    // The answer, read to its end while the body is still incomplete.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed before an answer");
        answer.extend_from_slice(&buf[..n]);
        if let Some(i) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.1 403"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("a sized answer")
        .trim()
        .parse()
        .unwrap();
    while answer.len() < head_end + length {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "the answer was cut off");
        answer.extend_from_slice(&buf[..n]);
    }
    // The rest of the body after a pause, then a second request on the same connection.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    conn.write_all(&body[4096..])
        .await
        .expect("the server still reads the body");
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: anze\r\nConnection: close\r\n\r\n")
        .await
        .expect("the connection is still open");
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest).await;
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.starts_with("HTTP/1.1 200"),
        "no second answer: {rest:?}"
    );
    // Nothing was recorded.
    let (status, after) = app.get(&staff, &list).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, before, "the list is unchanged");
}
