//! 服务投诉 on a working-day clock, and the 工作日历 that clock reads: an enterprise (or its
//! insurer on its behalf) files, the insurer handles (受理 → 处理中 → 已办结), the agency answers,
//! regulators read; deadlines count working days across 国庆 and its 调休 Saturday.
//!
//! Every test starts on Thursday 24 September 2026, 10:00 in China, the day before 中秋: the
//! 10-working-day reply deadline then falls on 15 October (Monday–Friday alone would give
//! 8 October), the 30-day settlement deadline on 12 November.

use anze_core::audit::{AuditStore, LogQuery};
use anze_core::ids::OrderId;
use anze_core::page::PageRequest;
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Client, StatusCode};

use crate::hazards::{accept_and_assign, inspect};
use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, csrf_token, location, pdf, png};

crate::backend_tests!(
    an_enterprise_and_its_insurer_file_complaints,
    the_insurer_handles_and_the_agency_answers,
    each_party_sees_only_its_own_complaints,
    the_clock_counts_working_days_across_national_day,
    the_platform_admin_keeps_the_calendar,
    the_ledger_exports_with_its_filters,
);

/// 10:00 in China on `day`.
fn china_morning(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    anze_core::time::start_of_day(d) + chrono::Duration::hours(10)
}

/// The parties of two sides. Own side: insurer `ts_ins` (staff `ts_ins_staff`), agency `ts_ag`
/// (staff `ts_ag_staff`, assigned), enterprise `ts_qy` in 丰泽区 with an accepted order and a
/// pending one, regulator `ts_reg` of 丰泽区. Other side: insurer `ts_ins2`, agency `ts_ag2` and
/// enterprise `ts_qy2` in 晋江市 with an accepted order.
struct World {
    order: OrderId,
    pending_order: OrderId,
    /// `/records/N`: an inspection of `order`.
    record: String,
    other_order: OrderId,
}

async fn world(app: &TestApp) -> World {
    app.clock.set(china_morning("2026-09-24"));
    app.seed_org("insurer", "人保泉州分公司", "ts_ins").await;
    app.seed_account("ts_ins", "ts_ins_staff", "业务人员").await;
    let agency = app.seed_org("agency", "安信安全技术", "ts_ag").await;
    let staff = app.seed_account("ts_ag", "ts_ag_staff", "服务人员").await;
    app.seed_org("regulator", "丰泽区应急管理局", "ts_reg")
        .await;
    let code = app
        .seed_enterprise("ts_ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ts_ins", &code, "PICC-TS-1").await;
    let order = app.seed_order("ts_ins", policy, agency).await;
    accept_and_assign(app, "ts_ag", order, &[staff]).await;
    app.seed_enterprise_account(&code, "ts_qy").await;
    let code_b = app
        .seed_enterprise("ts_ins", "泉州恒安物流有限公司", "350503")
        .await;
    let policy_b = app.seed_policy("ts_ins", &code_b, "PICC-TS-2").await;
    let pending_order = app.seed_order("ts_ins", policy_b, agency).await;

    app.seed_org("insurer", "平安晋江支公司", "ts_ins2").await;
    let agency2 = app.seed_org("agency", "晋安安全咨询", "ts_ag2").await;
    let code2 = app
        .seed_enterprise("ts_ins2", "晋江鸿运鞋业有限公司", "350582")
        .await;
    let policy2 = app.seed_policy("ts_ins2", &code2, "PA-TS-1").await;
    let other_order = app.seed_order("ts_ins2", policy2, agency2).await;
    let admin2 = app.actor("ts_ag2").await.account_id;
    accept_and_assign(app, "ts_ag2", other_order, &[admin2]).await;
    app.seed_enterprise_account(&code2, "ts_qy2").await;

    let client = app.login("ts_ag_staff", PASSWORD).await;
    let record = inspect(app, &client, order, "2026-09-22", &staff.to_string()).await;
    World {
        order,
        pending_order,
        record,
        other_order,
    }
}

fn complaint_fields<'a>(category: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("category", category),
        ("description", description),
        ("complainant", "陈主任"),
        ("phone", "13905951234"),
    ]
}

/// 登记投诉 from the order's form page; `record` names the record complained about.
async fn file(
    app: &TestApp,
    client: &Client,
    order: OrderId,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> reqwest::Response {
    let (_, home) = app.get(client, "/").await;
    let token = csrf_token(&home).unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (field, name, bytes) in files {
        form = form.part(
            field.to_string(),
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    client
        .post(app.url(&format!("/orders/{order}/complaints?_csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Files and returns the complaint's page (`/complaints/N`).
async fn filed(app: &TestApp, user: &str, order: OrderId, description: &str) -> String {
    let client = app.login(user, PASSWORD).await;
    let res = file(
        app,
        &client,
        order,
        &complaint_fields("quality", description),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "filing as {user}");
    let to = location(&res);
    assert!(to.starts_with("/complaints/"), "{to}");
    to
}

/// Posts an urlencoded form with the session's token (taken from 首页, which every caller sees).
async fn post(app: &TestApp, client: &Client, path: &str, fields: &[(&str, &str)]) -> StatusCode {
    let (_, home) = app.get(client, "/").await;
    let token = csrf_token(&home).unwrap();
    let mut body = vec![("_csrf", token.as_str())];
    body.extend_from_slice(fields);
    client
        .post(app.url(path))
        .form(&body)
        .send()
        .await
        .unwrap()
        .status()
}

/// The number a `data-count` figure shows.
fn figure(html: &str, name: &str) -> u64 {
    let marker = format!("data-count=\"{name}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no figure {name}"))
        + marker.len();
    html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

async fn an_enterprise_and_its_insurer_file_complaints(app: TestApp) {
    let w = world(&app).await;
    let qy = app.login("ts_qy", PASSWORD).await;

    // The order page offers 投诉; the form names the order and fills in who complains.
    let (status, order_page) = app.get(&qy, &format!("/orders/{}", w.order)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(order_page.contains(&format!("/orders/{}/complaints/new", w.order)));
    let (status, form) = app
        .get(&qy, &format!("/orders/{}/complaints/new", w.order))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("安信安全技术") && form.contains("ts_qy的姓名"));

    // Nothing filled in: every error in Chinese, nothing saved.
    let res = file(&app, &qy, w.order, &[("phone", "12345")], &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    for message in [
        "请选择投诉类别",
        "请填写投诉内容",
        "请填写投诉人",
        "电话格式不正确",
    ] {
        assert!(body.contains(message), "{message}");
    }
    // A file that is neither a photo nor a PDF is refused with the rest.
    let res = file(
        &app,
        &qy,
        w.order,
        &complaint_fields("attitude", "服务人员态度恶劣,拒绝解释检查结论"),
        &[("files", "说明.exe", b"MZ\x90\x00 not a document".to_vec())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get(&qy, "/complaints").await;
    assert!(list.contains("没有符合条件的投诉"), "nothing was filed");

    // The enterprise files with a photo and a scan.
    let res = file(
        &app,
        &qy,
        w.order,
        &complaint_fields("attitude", "服务人员态度恶劣,拒绝解释检查结论"),
        &[
            ("files", "现场.png", png()),
            ("files", "情况说明.pdf", pdf()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = location(&res);
    let (status, detail) = app.get(&qy, &page).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "企业投诉",
        "服务态度",
        "待受理",
        "TS20260924",
        "2026-10-15",
        "2026-11-12",
        "情况说明.pdf",
        "陈主任",
    ] {
        assert!(detail.contains(text), "{text}");
    }
    // The insurer and the agency open its files.
    let at = detail.find("/attachments/").unwrap() + "/attachments/".len();
    let file_id: String = detail[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    for user in ["ts_ins", "ts_ag"] {
        let client = app.login(user, PASSWORD).await;
        let (status, _) = app.get(&client, &format!("/attachments/{file_id}")).await;
        assert_eq!(status, StatusCode::OK, "{user}");
    }

    // The insurer files on the enterprise's behalf, about one record, from the record's page.
    let ins = app.login("ts_ins", PASSWORD).await;
    let (_, record_page) = app.get(&ins, &w.record).await;
    let record_id = w.record.trim_start_matches("/records/");
    let link = format!("/orders/{}/complaints/new?record={record_id}", w.order);
    assert!(record_page.contains(&link.replace('&', "&amp;")) || record_page.contains(&link));
    let (status, form) = app.get(&ins, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("隐患排查 2026-09-22") && form.contains("代企业登记"));
    let mut fields = complaint_fields("false_record", "企业反映:排查记录所列人员当天未到场");
    fields.push(("record_id", record_id));
    let res = file(&app, &ins, w.order, &fields, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, detail) = app.get(&ins, &location(&res)).await;
    assert!(detail.contains("保险机构代为登记") && detail.contains("虚假记录"));
    assert!(detail.contains(&format!("href=\"{}\"", w.record)));
    // A record of another order is refused under its field.
    let mut fields = complaint_fields("false_record", "记录不属于该订单的情况测试");
    fields.push(("record_id", "999999"));
    let res = file(&app, &ins, w.order, &fields, &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("不属于该订单"));

    // Who may not: the agency (403), another enterprise's order (404), an order not yet served
    // (409), staff without 登记投诉 (403).
    let fields = complaint_fields("quality", "服务质量不达标,检查流于形式");
    let ag = app.login("ts_ag", PASSWORD).await;
    assert_eq!(
        file(&app, &ag, w.order, &fields, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        file(&app, &qy, w.other_order, &fields, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        file(&app, &ins, w.pending_order, &fields, &[])
            .await
            .status(),
        StatusCode::CONFLICT
    );
    let staff = app.login("ts_ins_staff", PASSWORD).await;
    assert_eq!(
        file(&app, &staff, w.order, &fields, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = app
        .get(&qy, &format!("/orders/{}/complaints/new", w.other_order))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_insurer_handles_and_the_agency_answers(app: TestApp) {
    let w = world(&app).await;
    let page = filed(&app, "ts_qy", w.order, "培训课件与企业实际不符,讲解敷衍").await;
    let id = page.trim_start_matches("/complaints/");
    let path = |step: &str| format!("/complaints/{id}/{step}");
    let ins = app.login("ts_ins", PASSWORD).await;
    let ag = app.login("ts_ag", PASSWORD).await;
    let qy = app.login("ts_qy", PASSWORD).await;
    let ins2 = app.login("ts_ins2", PASSWORD).await;

    // Out of order: refused with the state named.
    assert_eq!(
        post(&app, &ins, &path("process"), &[]).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        post(&app, &ins, &path("settle"), &[("note", "已处理")]).await,
        StatusCode::CONFLICT
    );
    // The wrong parties: the agency and the enterprise may not handle (403); another insurer
    // does not see it (404).
    assert_eq!(
        post(&app, &ag, &path("accept"), &[]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&app, &qy, &path("accept"), &[]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&app, &ins2, &path("accept"), &[]).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, &qy, &path("reply"), &[("note", "x")]).await,
        StatusCode::FORBIDDEN
    );
    let ag2 = app.login("ts_ag2", PASSWORD).await;
    assert_eq!(
        post(&app, &ag2, &path("reply"), &[("note", "不是我们")]).await,
        StatusCode::NOT_FOUND
    );

    // 受理, once.
    let (_, detail) = app.get(&ins, &page).await;
    assert!(
        detail.contains(&path("accept")),
        "the insurer is offered 受理"
    );
    assert_eq!(
        post(
            &app,
            &ins,
            &path("accept"),
            &[("note", "已电话联系企业了解情况")]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post(&app, &ins, &path("accept"), &[]).await,
        StatusCode::CONFLICT
    );

    // The agency answers, twice; answers do not move the state.
    let (_, detail) = app.get(&ag, &page).await;
    assert!(detail.contains(&path("reply")) && !detail.contains(&path("accept")));
    assert_eq!(
        post(&app, &ag, &path("reply"), &[("note", "")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for note in [
        "已约谈培训讲师,课件将按企业工艺重做",
        "重做的课件已于 9 月 30 日补讲",
    ] {
        assert_eq!(
            post(&app, &ag, &path("reply"), &[("note", note)]).await,
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(
        post(&app, &ins, &path("process"), &[]).await,
        StatusCode::SEE_OTHER
    );

    // 办结 needs the outcome: refused under its box, with the text kept, and nothing changes.
    let res = app
        .post_form(&ins, &page, &path("settle"), &[("note", "  ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("请填写处理结果") && body.contains("处理中"));
    assert_eq!(
        post(
            &app,
            &ins,
            &path("settle"),
            &[("note", "经核实投诉属实,已责令服务机构整改并补讲")]
        )
        .await,
        StatusCode::SEE_OTHER
    );

    // The order's 服务报告 carries the complaint and its outcome, on the page and in the PDF.
    let report = format!("/orders/{}/report", w.order);
    let (_, html) = app.get(&ins, &report).await;
    assert!(
        html.contains("六、投诉")
            && html.contains("已办结")
            && html.contains("已责令服务机构整改并补讲"),
        "{html}"
    );
    let pdf = crate::documents::Pdf::read(
        &crate::documents::get_pdf(&app, &ins, &format!("{report}.pdf")).await,
    );
    let text = pdf.text();
    assert!(
        text.contains("六、投诉") && text.contains("已办结"),
        "{text}"
    );

    // Settled: nothing more, not even an answer.
    assert_eq!(
        post(&app, &ins, &path("settle"), &[("note", "再次办结")]).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        post(&app, &ag, &path("reply"), &[("note", "补充说明")]).await,
        StatusCode::CONFLICT
    );

    // The history: every step with who and when; everyone who sees it reads the same.
    for client in [&qy, &ins, &ag] {
        let (_, detail) = app.get(client, &page).await;
        for text in [
            "已办结",
            "按期完成",
            "登记投诉",
            "ts_qy的姓名(ts_qy)",
            "已电话联系企业了解情况",
            "人保泉州分公司管理员(ts_ins)",
            "已约谈培训讲师",
            "重做的课件已于 9 月 30 日补讲",
            "转入处理",
            "经核实投诉属实",
        ] {
            assert!(detail.contains(text), "{text}");
        }
        assert!(!detail.contains(&path("reply")) && !detail.contains(&path("settle")));
    }
    // Every step is in the audit log.
    let actions: Vec<String> = app
        .db
        .list_audit(&LogQuery::default(), PageRequest::first(200))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| {
            e.object_kind == "complaint"
                && e.object_id.map(|i| i.to_string()).as_deref() == Some(id)
        })
        .map(|e| e.action)
        .collect();
    let mut actions = actions;
    actions.sort();
    assert_eq!(
        actions,
        [
            "accept", "create", "process", "respond", "respond", "settle"
        ]
    );
}

async fn each_party_sees_only_its_own_complaints(app: TestApp) {
    let w = world(&app).await;
    let own = filed(&app, "ts_qy", w.order, "服务人员未按约定时间到场").await;
    let other = filed(&app, "ts_qy2", w.other_order, "检查报告抄袭其他企业").await;
    let own_no = format!("href=\"{own}\"");
    let other_no = format!("href=\"{other}\"");
    for (user, password, sees_own, sees_other) in [
        ("admin", ADMIN_PASSWORD, true, true),
        ("ts_ins", PASSWORD, true, false),
        ("ts_ins_staff", PASSWORD, true, false),
        ("ts_ag", PASSWORD, true, false),
        ("ts_ag_staff", PASSWORD, true, false),
        ("ts_reg", PASSWORD, true, false),
        ("ts_qy", PASSWORD, true, false),
        ("ts_ins2", PASSWORD, false, true),
        ("ts_ag2", PASSWORD, false, true),
        ("ts_qy2", PASSWORD, false, true),
    ] {
        let client = app.login(user, password).await;
        let (status, list) = app.get(&client, "/complaints").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(
            list.contains(&own_no),
            sees_own,
            "{user} lists the own complaint"
        );
        assert_eq!(
            list.contains(&other_no),
            sees_other,
            "{user} lists the other"
        );
        for (page, sees) in [(&own, sees_own), (&other, sees_other)] {
            let (status, _) = app.get(&client, page).await;
            let want = if sees {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, want, "{user} opens {page}");
        }
        // 服务投诉 is in the menu of everyone who sees complaints.
        assert!(
            list.contains("href=\"/complaints\""),
            "{user} has the menu entry"
        );
    }
    // Regulators read, nothing more.
    let reg = app.login("ts_reg", PASSWORD).await;
    let (_, detail) = app.get(&reg, &own).await;
    assert!(!detail.contains("/accept") && !detail.contains("/reply"));
    let id = own.trim_start_matches("/complaints/");
    assert_eq!(
        post(&app, &reg, &format!("/complaints/{id}/accept"), &[]).await,
        StatusCode::FORBIDDEN
    );
    // Filters: the agency's own, by category and keyword, one order's.
    let admin = app.admin().await;
    let agency2 = app.actor("ts_ag2").await.org_id;
    let (_, list) = app
        .get(&admin, &format!("/complaints?agency={agency2}"))
        .await;
    assert!(list.contains(&other_no) && !list.contains(&own_no));
    let (_, list) = app.get(&admin, "/complaints?q=%E6%8A%84%E8%A2%AD").await;
    assert!(
        list.contains(&other_no) && !list.contains(&own_no),
        "keyword 抄袭"
    );
    let (_, list) = app.get(&admin, "/complaints?q=%E9%B8%BF%E8%BF%90").await;
    assert!(
        list.contains(&other_no) && !list.contains(&own_no),
        "enterprise 鸿运"
    );
    let (_, list) = app
        .get(&admin, &format!("/complaints?order={}", w.order))
        .await;
    assert!(list.contains(&own_no) && !list.contains(&other_no));
    let (_, list) = app.get(&admin, "/complaints?category=fees").await;
    assert!(!list.contains(&own_no) && !list.contains(&other_no));
    let (_, list) = app.get(&admin, "/complaints?from=2026-09-25").await;
    assert!(!list.contains(&own_no), "filed on the 24th");
    let (status, _) = app.get(&admin, "/complaints?from=2026-13-45").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_clock_counts_working_days_across_national_day(app: TestApp) {
    let w = world(&app).await;
    let page = filed(&app, "ts_qy", w.order, "整改复查未按约定日期进行").await;
    let id = page.trim_start_matches("/complaints/").to_string();

    // On the deadline: due today, not overdue, nothing counted.
    app.clock.set(china_morning("2026-10-15"));
    let ins = app.login("ts_ins", PASSWORD).await;
    let (_, detail) = app.get(&ins, &page).await;
    assert!(detail.contains("2026-10-15(周四)") && detail.contains("今日到期"));
    let (_, home) = app.get(&ins, "/").await;
    assert_eq!(figure(&home, "complaints_reply_overdue"), 0);
    assert_eq!(figure(&home, "complaints_pending"), 1);

    // The next day the reply clock is past due: highlighted, filtered, counted on 首页 by the
    // insurer, the agency and the regulator.
    app.clock.set(china_morning("2026-10-16"));
    for user in ["ts_ins", "ts_ag", "ts_ag_staff", "ts_reg", "ts_qy"] {
        let client = app.login(user, PASSWORD).await;
        let (_, home) = app.get(&client, "/").await;
        assert_eq!(figure(&home, "complaints_reply_overdue"), 1, "{user}");
        assert_eq!(figure(&home, "complaints_settle_overdue"), 0, "{user}");
        let (_, list) = app.get(&client, "/complaints?overdue=1").await;
        assert!(
            list.contains("data-overdue") && list.contains(&page),
            "{user}"
        );
        assert!(list.contains("已超期 1 个工作日"), "{user}");
        assert!(!list.contains("data-calendar-fallback"), "2026 is known");
    }
    let other = app.login("ts_ins2", PASSWORD).await;
    let (_, home) = app.get(&other, "/").await;
    assert_eq!(figure(&home, "complaints_reply_overdue"), 0);

    // Deadlines follow the calendar as it stands: without the swapped Saturday of 10 October
    // the reply would be due on the 16th, so it is not overdue yet.
    let admin = app.admin().await;
    let (_, calendar) = app.get(&admin, "/calendar?year=2026").await;
    let marker = "2026-10-10</td>";
    let row = &calendar[calendar.find(marker).expect("10 October is listed")..];
    let at = row.find("/calendar/").unwrap() + "/calendar/".len();
    let entry: String = row[at..].chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(
        post(
            &app,
            &admin,
            &format!("/calendar/{entry}/delete"),
            &[("confirmed", "1")]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let ins = app.login("ts_ins", PASSWORD).await;
    let (_, detail) = app.get(&ins, &page).await;
    assert!(detail.contains("2026-10-16(周五)") && detail.contains("今日到期"));
    let (_, home) = app.get(&ins, "/").await;
    assert_eq!(figure(&home, "complaints_reply_overdue"), 0);
    assert_eq!(
        post(
            &app,
            &admin,
            "/calendar",
            &[
                ("on", "2026-10-10"),
                ("kind", "workday"),
                ("name", "国庆节")
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (_, home) = app.get(&ins, "/").await;
    assert_eq!(figure(&home, "complaints_reply_overdue"), 1);

    // 受理 a day late stops the reply clock: 超期 shows on the complaint, no longer on 首页;
    // settlement runs on to 12 November.
    assert_eq!(
        post(&app, &ins, &format!("/complaints/{id}/accept"), &[]).await,
        StatusCode::SEE_OTHER
    );
    let (_, detail) = app.get(&ins, &page).await;
    assert!(detail.contains("超期 1 个工作日完成"));
    assert!(detail.contains("2026-11-12(周四)") && detail.contains("剩余 19 个工作日"));
    let (_, home) = app.get(&ins, "/").await;
    assert_eq!(figure(&home, "complaints_reply_overdue"), 0);
    assert_eq!(figure(&home, "complaints_in_progress"), 1);

    // Past 12 November unsettled: the settlement clock is overdue.
    app.clock.set(china_morning("2026-11-13"));
    let ins = app.login("ts_ins", PASSWORD).await;
    let (_, home) = app.get(&ins, "/").await;
    assert_eq!(figure(&home, "complaints_settle_overdue"), 1);
    let (_, list) = app.get(&ins, "/complaints").await;
    assert!(list.contains("data-overdue"));
    // Clocks started now run into 2027, whose calendar nobody has entered yet.
    assert!(list.contains("2027 年的工作日历尚未维护"));
}

async fn the_platform_admin_keeps_the_calendar(app: TestApp) {
    app.clock.set(china_morning("2027-03-01"));
    app.seed_org("insurer", "人保泉州分公司", "ts_ins").await;
    let admin = app.admin().await;
    let ins = app.login("ts_ins", PASSWORD).await;

    // The shipped 2026 calendar.
    let (status, page) = app.get(&admin, "/calendar?year=2026").await;
    assert_eq!(status, StatusCode::OK);
    for text in ["2026-10-01", "国庆节", "2026-02-14", "调休上班", "系统内置"] {
        assert!(page.contains(text), "{text}");
    }
    assert!(!page.contains("data-calendar-fallback"));
    assert!(page.contains("href=\"/calendar\""), "the menu entry");

    // Only the platform keeps it.
    let (status, _) = app.get(&ins, "/calendar").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let holiday = [("on", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")];
    assert_eq!(
        post(&app, &ins, "/calendar", &holiday).await,
        StatusCode::FORBIDDEN
    );

    // 2027 has no calendar yet: the calendar page and the complaint pages say so.
    let (_, page) = app.get(&admin, "/calendar").await;
    assert!(page.contains("2027 年尚未维护工作日历") && page.contains("data-calendar-fallback"));
    let (_, list) = app.get(&ins, "/complaints").await;
    assert!(list.contains("data-calendar-fallback") && list.contains("2027 年的工作日历尚未维护"));

    // Refused entries say why, under the field.
    let res = app
        .post_form(
            &admin,
            "/calendar",
            "/calendar",
            &[("on", "2027-02-08"), ("kind", "workday"), ("name", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("调休上班日应为周六或周日") && body.contains("请填写节日名称"));

    // An entry for 2027: the warnings go.
    assert_eq!(
        post(&app, &admin, "/calendar", &holiday).await,
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.get(&admin, "/calendar?year=2027").await;
    assert!(page.contains("2027-01-01") && page.contains("元旦"));
    assert!(!page.contains("data-calendar-fallback"));
    let (_, list) = app.get(&ins, "/complaints").await;
    assert!(!list.contains("data-calendar-fallback"));
    // The same date twice is refused.
    let res = app
        .post_form(&admin, "/calendar", "/calendar", &holiday)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("该日期已在日历中"));

    // Deleting asks first, then removes.
    let at = page.find("/calendar/").unwrap() + "/calendar/".len();
    let entry: String = page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let delete = format!("/calendar/{entry}/delete");
    assert!(page.contains("data-confirm=\"确定删除 2027-01-01"));
    assert_eq!(
        post(&app, &ins, &delete, &[("confirmed", "1")]).await,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post_form(&admin, "/calendar?year=2027", &delete, &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("确定删除 2027-01-01(周五)元旦")
    );
    let (_, page) = app.get(&admin, "/calendar?year=2027").await;
    assert!(
        page.contains("2027-01-01"),
        "not deleted before it is confirmed"
    );
    assert_eq!(
        post(&app, &admin, &delete, &[("confirmed", "1")]).await,
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.get(&admin, "/calendar?year=2027").await;
    assert!(page.contains("data-calendar-fallback"));
    assert_eq!(
        post(&app, &admin, &delete, &[("confirmed", "1")]).await,
        StatusCode::NOT_FOUND
    );

    // Both changes are in the audit log.
    let summaries: Vec<String> = app
        .db
        .list_audit(&LogQuery::default(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.object_kind == "calendar_day")
        .map(|e| format!("{} {}", e.action, e.summary))
        .collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("create") && s.contains("2027-01-01"))
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("delete") && s.contains("2027-01-01"))
    );
}

async fn the_ledger_exports_with_its_filters(app: TestApp) {
    let w = world(&app).await;
    for text in [
        "服务人员未按约定时间到场",
        "检查结论前后矛盾",
        "隐患描述与现场不符",
    ] {
        filed(&app, "ts_qy", w.order, text).await;
    }
    filed(&app, "ts_qy2", w.other_order, "别家的投诉").await;
    app.clock.set(china_morning("2026-10-16"));
    let ins = app.login("ts_ins", PASSWORD).await;
    let res = ins
        .get(app.url("/complaints/export.xlsx?overdue=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("complaints-20261016.xlsx")
    );
    let rows = crate::ledgers::rows(res.bytes().await.unwrap().to_vec());
    assert_eq!(rows[0][0], "投诉编号");
    // Three rows over two batches, newest first; none of the other insurer's.
    assert_eq!(rows.len(), 4, "{rows:?}");
    let texts: Vec<&str> = rows[1..].iter().map(|r| r[10].as_str()).collect();
    assert_eq!(
        texts,
        [
            "隐患描述与现场不符",
            "检查结论前后矛盾",
            "服务人员未按约定时间到场"
        ]
    );
    assert!(
        rows[1].iter().any(|c| c == "已超期 1 个工作日"),
        "{:?}",
        rows[1]
    );
    assert!(rows[1].iter().any(|c| c == "企业投诉"));
    // A filter that matches nothing exports the header alone; others may not export.
    let res = ins
        .get(app.url("/complaints/export.xlsx?state=settled"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::ledgers::rows(res.bytes().await.unwrap().to_vec()).len(),
        1
    );
    let outsider = app.client();
    let res = outsider
        .get(app.url("/complaints/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
