//! 回访与满意度: the enterprise rates its completed order once, the insurer records telephone
//! follow-ups, and insurers and regulators read each agency's score per period.

use anze_core::ids::OrderId;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, credit_code};
use crate::integrity::{jpeg, scene, training, two_orders};

crate::backend_tests!(
    the_enterprise_rates_its_completed_order_once,
    the_insurer_records_telephone_follow_ups,
    scores_per_agency_and_period_for_those_who_watch_agencies,
);

/// A training on `order` by `staff`, then 完成订单 by `admin`.
async fn deliver_and_complete(app: &TestApp, staff: &str, admin: &str, order: OrderId) {
    training(app, staff, order, vec![jpeg(&scene(1, 200, 150), 90)]).await;
    let client = app.login(admin, PASSWORD).await;
    let page = format!("/orders/{order}");
    let res = app
        .post_form(&client, &page, &format!("{page}/complete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn rate(
    app: &TestApp,
    client: &reqwest::Client,
    order: OrderId,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form(client, "/", &format!("/orders/{order}/rating"), fields)
        .await
}

async fn the_enterprise_rates_its_completed_order_once(app: TestApp) {
    let (order_a, order_b) = two_orders(&app).await;
    app.seed_enterprise_account(&credit_code("泉州甲化工有限公司"), "qy_jia")
        .await;
    let qy = app.login("qy_jia", PASSWORD).await;
    let good = [
        ("overall", "4"),
        ("item_training", "5"),
        ("comment", "培训内容实用"),
    ];
    // Not before the order is completed.
    let res = rate(&app, &qy, order_a, &good).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("订单完成后才能评价"));
    let (_, page) = app.get(&qy, &format!("/orders/{order_a}")).await;
    assert!(
        page.contains("回访与满意度") && !page.contains("评价服务</a>"),
        "{page}"
    );

    deliver_and_complete(&app, "a_staff", "a_admin", order_a).await;
    let (_, page) = app.get(&qy, &format!("/orders/{order_a}")).await;
    assert!(
        page.contains(&format!("/orders/{order_a}/rating")),
        "{page}"
    );
    let (status, form) = app.get(&qy, &format!("/orders/{order_a}/rating")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"item_training\"") && !form.contains("name=\"item_emergency\""));

    // Each delivered item is scored; scores are 1–5.
    for (fields, field_message) in [
        (vec![("overall", "4")], "请为安全培训选择 1–5 分"),
        (
            vec![("overall", "6"), ("item_training", "5")],
            "请为总体评价选择 1–5 分",
        ),
        (
            vec![("overall", "四"), ("item_training", "5")],
            "请为总体评价选择 1–5 分",
        ),
    ] {
        let res = rate(&app, &qy, order_a, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text().await.unwrap().contains(field_message),
            "{field_message}"
        );
    }
    // The agency and another enterprise's account cannot rate it.
    let agency = app.login("a_admin", PASSWORD).await;
    assert_eq!(
        rate(&app, &agency, order_a, &good).await.status(),
        StatusCode::FORBIDDEN
    );
    app.seed_enterprise_account(&credit_code("泉州乙机械有限公司"), "qy_yi")
        .await;
    let other = app.login("qy_yi", PASSWORD).await;
    assert_eq!(
        rate(&app, &other, order_a, &good).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rate(&app, &other, order_b, &good).await.status(),
        StatusCode::CONFLICT
    );

    let res = rate(&app, &qy, order_a, &good).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&agency, &format!("/orders/{order_a}")).await;
    assert!(
        page.contains("总体评价 <strong>4 分</strong>")
            && page.contains("安全培训 5 分")
            && page.contains("培训内容实用"),
        "{page}"
    );
    // The order's 服务报告 carries the rating, on the page and in the PDF.
    let report = format!("/orders/{order_a}/report");
    let (_, html) = app.get(&agency, &report).await;
    assert!(
        html.contains("五、回访与满意度") && html.contains("总体 4 分(满意)"),
        "{html}"
    );
    let ins = app.login("ins", PASSWORD).await;
    let pdf = crate::documents::Pdf::read(
        &crate::documents::get_pdf(&app, &ins, &format!("{report}.pdf")).await,
    );
    let text = pdf.text();
    assert!(
        text.contains("五、回访与满意度") && text.contains("培训内容实用"),
        "{text}"
    );
    // Once: a second rating is refused and nothing changes.
    let res = rate(
        &app,
        &qy,
        order_a,
        &[("overall", "1"), ("item_training", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, page) = app.get(&qy, &format!("/orders/{order_a}")).await;
    assert!(!page.contains("1 分"), "{page}");
    assert!(!page.contains(&format!("/orders/{order_a}/rating\"")));
    let (_, log) = app.get(&app.admin().await, "/audit").await;
    assert!(log.contains("企业评价:总体 4 分"), "{log}");
}

async fn the_insurer_records_telephone_follow_ups(app: TestApp) {
    let (order_a, _) = two_orders(&app).await;
    training(
        &app,
        "a_staff",
        order_a,
        vec![jpeg(&scene(1, 200, 150), 90)],
    )
    .await;
    let ins = app.login("ins", PASSWORD).await;
    let page = format!("/orders/{order_a}");
    let action = format!("/orders/{order_a}/followup");
    let call = |callee: &'static str, at: String, score: &'static str| {
        vec![
            ("callee", callee.to_string()),
            ("called_at", at),
            ("overall", score.to_string()),
            ("item_training", score.to_string()),
            ("comment", "企业表示培训及时,希望增加应急演练".to_string()),
        ]
    };
    let now = app
        .clock_now()
        .with_timezone(&anze_core::time::china())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let post = |fields: Vec<(&'static str, String)>| {
        let (ins, page, action) = (ins.clone(), page.clone(), action.clone());
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(&ins, &page, &action, &f).await
        }
    };
    let res = post(call("", now.clone(), "4")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请填写受访人"));
    let tomorrow = (app.clock_now() + chrono::Duration::days(1))
        .with_timezone(&anze_core::time::china())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = post(call("陈主任", tomorrow, "4")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("回访时间不能晚于现在"));
    // An insurer calls as often as it chooses, while the order is in service.
    for score in ["4", "2"] {
        let res = post(call("陈主任", now.clone(), score)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = app.get(&ins, &page).await;
    assert_eq!(html.matches("受访人 陈主任,").count(), 2, "{html}");
    // The agency reads them; it does not call; another insurer does not see the order.
    let agency = app.login("a_admin", PASSWORD).await;
    let (_, html) = app.get(&agency, &page).await;
    assert!(html.contains("电话回访") && !html.contains(&format!("href=\"{action}\"")));
    let res = app
        .post_form(&agency, &page, &action, &[("overall", "5")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let other = app.login("ins2", PASSWORD).await;
    let res = app
        .post_form(&other, "/", &action, &[("overall", "5")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn scores_per_agency_and_period_for_those_who_watch_agencies(app: TestApp) {
    let (order_a, order_b) = two_orders(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    for (order, staff, admin, code, user) in [
        (
            order_a,
            "a_staff",
            "a_admin",
            "泉州甲化工有限公司",
            "qy_jia",
        ),
        (order_b, "b_staff", "b_admin", "泉州乙机械有限公司", "qy_yi"),
    ] {
        deliver_and_complete(&app, staff, admin, order).await;
        app.seed_enterprise_account(&credit_code(code), user).await;
    }
    let qy = app.login("qy_jia", PASSWORD).await;
    rate(
        &app,
        &qy,
        order_a,
        &[("overall", "5"), ("item_training", "4")],
    )
    .await;
    let qy = app.login("qy_yi", PASSWORD).await;
    rate(
        &app,
        &qy,
        order_b,
        &[
            ("overall", "2"),
            ("item_training", "1"),
            ("comment", "服务人员迟到"),
        ],
    )
    .await;
    let ins = app.login("ins", PASSWORD).await;
    let now = app
        .clock_now()
        .with_timezone(&anze_core::time::china())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .post_form(
            &ins,
            &format!("/orders/{order_a}"),
            &format!("/orders/{order_a}/followup"),
            &[
                ("callee", "陈主任"),
                ("called_at", now.as_str()),
                ("overall", "4"),
                ("item_training", "5"),
                ("comment", "满意"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    for who in ["ins", "reg"] {
        let client = app.login(who, PASSWORD).await;
        let (status, html) = app.get(&client, "/satisfaction").await;
        assert_eq!(status, StatusCode::OK, "{who}");
        let row = |agency: &str| {
            let at = html
                .find(&format!(">{agency}</a>"))
                .unwrap_or_else(|| panic!("{html}"));
            html[at..at + html[at..].find("</tr>").unwrap()].to_string()
        };
        // 安信: 5 and 4 → 4.50, training 4 and 5 → 4.50; 众安: 2 → 2.00, one unsatisfied.
        let a = row("安信技术");
        assert!(
            a.contains("<strong>4.50</strong>") && a.contains(">4.50<"),
            "{who}: {a}"
        );
        let b = row("众安技术");
        assert!(
            b.contains("<strong>2.00</strong>") && b.contains("class=\"danger\">1<"),
            "{who}: {b}"
        );
        assert!(
            html.find(">安信技术</a>").unwrap() < html.find(">众安技术</a>").unwrap(),
            "best first"
        );
        assert!(html.contains("服务人员迟到"), "{who}");
    }
    let b_org = app.actor("b_admin").await.org_id;
    let (_, html) = app
        .get(&ins, &format!("/satisfaction?agency={b_org}"))
        .await;
    assert!(
        html.contains("众安技术") && !html.contains(">安信技术</a>"),
        "{html}"
    );
    let (_, html) = app.get(&ins, "/satisfaction?source=phone").await;
    assert!(
        html.contains("<strong>4.00</strong>") && !html.contains("众安技术</a>"),
        "{html}"
    );
    // A period before any rating is empty; a bad range is a field error.
    let (_, html) = app
        .get(
            &ins,
            "/satisfaction?period=custom&from=2020-01-01&to=2020-12-31",
        )
        .await;
    assert!(html.contains("所选期间没有评价"), "{html}");
    let (status, _) = app
        .get(
            &ins,
            "/satisfaction?period=custom&from=2026-12-01&to=2026-01-01",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Three months later, this quarter holds none of them.
    app.clock.advance(chrono::Duration::days(100));
    let ins = app.login("ins", PASSWORD).await;
    let (_, html) = app.get(&ins, "/satisfaction").await;
    assert!(html.contains("所选期间没有评价"), "{html}");
    let (_, html) = app
        .get(
            &ins,
            "/satisfaction?period=custom&from=2020-01-01&to=2030-12-31",
        )
        .await;
    assert!(html.contains("<strong>4.50</strong>"), "{html}");

    let res = ins
        .get(app.url("/satisfaction/export.xlsx?period=custom&from=2020-01-01&to=2030-12-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = crate::ledgers::rows(res.bytes().await.unwrap().to_vec());
    assert_eq!(rows[0][0], "服务机构");
    assert!(
        rows.iter()
            .any(|r| r[0] == "安信技术" && r[2] == "2" && r[3] == "4.50"),
        "{rows:?}"
    );
    // Agencies and enterprises do not read the scores.
    for who in ["a_admin", "qy_jia"] {
        let client = app.login(who, PASSWORD).await;
        let (status, _) = app.get(&client, "/satisfaction").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
}
