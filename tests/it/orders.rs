//! 服务订单 (seed §4.1.1): designation by the insurer, 受理 by the agency, and what each party sees.

use anze_core::order::{OrderState, OrderStore};
use anze_core::policy::PolicyStore;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location, pager_total as total};

crate::backend_tests!(
    insurer_designates_and_agency_accepts_from_the_badge,
    agency_declines_with_a_reason_and_insurer_designates_another,
    designation_is_checked_against_the_policy_and_the_agency,
    state_machine_refuses_what_the_state_does_not_allow,
    two_people_accepting_at_once_exactly_one_wins,
    accept_and_cancel_racing_leave_one_outcome,
    another_agencys_order_is_not_found,
    staff_who_see_only_their_own_orders_see_assigned_ones,
    regulator_sees_its_region_read_only,
    order_list_filters,
    completing_an_order_shows_on_the_insurer_side,
    home_page_counts_orders_by_state_in_scope,
    list_totals_from_the_tallies_agree_with_a_count,
);

/// An insurer with one policy and two agencies; returns (policy id, agency A org, agency B org).
async fn setup(
    app: &TestApp,
) -> (
    anze_core::ids::PolicyId,
    anze_core::ids::OrgId,
    anze_core::ids::OrgId,
) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let a = app.seed_org("agency", "安信技术", "ag_a").await;
    let b = app.seed_org("agency", "闽安评价", "ag_b").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-2026-0001").await;
    (policy, a, b)
}

/// A designation form and the message it must produce.
type Case<'a> = (Vec<(&'a str, String)>, &'a str);

fn designate_fields(agency: &str, start: &str, end: &str) -> Vec<(&'static str, String)> {
    vec![
        ("agency_id", agency.to_string()),
        ("service_start", start.to_string()),
        ("service_end", end.to_string()),
        ("plan_training", "2".into()),
        ("plan_risk", "1".into()),
        ("plan_hazard", "4".into()),
        ("plan_standardization", "0".into()),
        ("plan_emergency", "1".into()),
        ("plan_promotion", "0".into()),
        ("plan_other", "0".into()),
        ("note", "每季度排查一次<b>重点</b>".into()),
    ]
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, String)],
) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form(client, page, action, &f).await
}

async fn insurer_designates_and_agency_accepts_from_the_badge(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let p = app.db.get_policy(policy).await.unwrap().unwrap();
    let insurer = app.login("ins", PASSWORD).await;
    let (status, html) = app
        .get(&insurer, &format!("/policies/{policy}/designate"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("安信技术") && html.contains("应急预案编制和演练"));
    let page = format!("/policies/{policy}/designate");
    let res = post(
        &app,
        &insurer,
        &page,
        &page,
        &designate_fields(
            &a.to_string(),
            &p.start_date.to_string(),
            &p.end_date.to_string(),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order_path = location(&res);
    let (_, html) = app.get(&insurer, &order_path).await;
    assert!(html.contains("待受理") && html.contains("FW"));
    assert!(
        html.contains("每季度排查一次&#60;b&#62;重点&#60;/b&#62;"),
        "the note is escaped"
    );

    // The agency sees the badge, the order and its 受理 action.
    let agency = app.login("ag_a", PASSWORD).await;
    let (_, home) = app.get(&agency, "/").await;
    assert!(home.contains("<span class=\"badge\" title=\"待受理订单\">1</span>"));
    let (_, list) = app.get(&agency, "/orders").await;
    assert!(list.contains("泉州恒安石化有限公司") && list.contains("受理"));
    let accept = format!("{order_path}/accept");
    let (status, html) = app.get(&agency, &accept).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "同意服务",
        "拒绝",
        "PICC-2026-0001",
        "人保泉州",
        "泉州恒安石化有限公司",
        "¥3,000.00",
        "危险化学品 / 生产",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let res = app.post_form(&agency, &accept, &accept, &[]).await;
    assert_eq!(location(&res), order_path);
    let (_, html) = app.get(&agency, &order_path).await;
    assert!(html.contains("已同意服务") && html.contains("已受理"));
    let (_, home) = app.get(&agency, "/").await;
    assert!(
        !home.contains("title=\"待受理订单\""),
        "nothing pending any more"
    );
    // The insurer sees 已受理 and the timeline.
    let (_, html) = app.get(&insurer, &order_path).await;
    assert!(html.contains("已受理") && html.contains("同意服务") && html.contains("指定服务机构"));
    let (_, list) = app.get(&insurer, "/orders").await;
    assert!(list.contains("已受理"));
}

async fn agency_declines_with_a_reason_and_insurer_designates_another(app: TestApp) {
    let (policy, a, b) = setup(&app).await;
    let order = app.seed_order("ins", policy, a).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let accept = format!("/orders/{order}/accept");
    let decline = format!("/orders/{order}/decline");
    let res = app
        .post_form(&agency, &accept, &decline, &[("reason", "  ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请填写拒绝原因"));
    assert_eq!(
        app.db.get_order(order).await.unwrap().unwrap().state,
        OrderState::Pending
    );
    let res = app
        .post_form(
            &agency,
            &accept,
            &decline,
            &[("reason", "人员已满负荷,无法按期服务")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let insurer = app.login("ins", PASSWORD).await;
    let (_, html) = app.get(&insurer, &format!("/policies/{policy}")).await;
    assert!(html.contains("已拒绝") && html.contains("人员已满负荷,无法按期服务"));
    assert!(
        html.contains("指定服务机构"),
        "can designate again after a decline"
    );
    let p = app.db.get_policy(policy).await.unwrap().unwrap();
    let page = format!("/policies/{policy}/designate");
    let res = post(
        &app,
        &insurer,
        &page,
        &page,
        &designate_fields(
            &b.to_string(),
            &p.start_date.to_string(),
            &p.end_date.to_string(),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let orders = app.db.orders_of_policy(policy).await.unwrap();
    assert_eq!(orders.len(), 2, "the declined order stays in history");
    assert_eq!(orders[0].state, OrderState::Pending);
    assert_eq!(orders[1].state, OrderState::Declined);
    // A second live designation is refused.
    let res = post(
        &app,
        &insurer,
        &page,
        &page,
        &designate_fields(
            &a.to_string(),
            &p.start_date.to_string(),
            &p.end_date.to_string(),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("待受理的服务订单"));
}

async fn designation_is_checked_against_the_policy_and_the_agency(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let insurer_org = app.actor("ins").await.org_id;
    let p = app.db.get_policy(policy).await.unwrap().unwrap();
    let (start, end) = (p.start_date.to_string(), p.end_date.to_string());
    let late = (p.end_date + chrono::Duration::days(1)).to_string();
    let insurer = app.login("ins", PASSWORD).await;
    let page = format!("/policies/{policy}/designate");
    let cases: Vec<Case> = vec![
        (
            designate_fields(&a.to_string(), &start, &late),
            "须在保险期间",
        ),
        (
            designate_fields(&a.to_string(), &end, &start),
            "不能早于开始日期",
        ),
        (
            designate_fields(&insurer_org.to_string(), &start, &end),
            "启用状态的技术服务机构",
        ),
        (
            designate_fields("999999", &start, &end),
            "启用状态的技术服务机构",
        ),
        (designate_fields("abc", &start, &end), "请选择技术服务机构"),
    ];
    for (fields, message) in cases {
        let res = post(&app, &insurer, &page, &page, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    let mut zero = designate_fields(&a.to_string(), &start, &end);
    for (k, v) in zero.iter_mut() {
        if k.starts_with("plan_") {
            *v = "0".into();
        }
    }
    let res = post(&app, &insurer, &page, &page, &zero).await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("服务方案至少包含一项服务")
    );
    // A disabled agency cannot be designated.
    let admin = app.admin().await;
    app.post_form(
        &admin,
        "/orgs",
        &format!("/orgs/{a}/toggle"),
        &[("enabled", "0")],
    )
    .await;
    let (_, html) = app.get(&insurer, &page).await;
    assert!(!html.contains("安信技术"), "not offered");
    let res = post(
        &app,
        &insurer,
        &page,
        &page,
        &designate_fields(&a.to_string(), &start, &end),
    )
    .await;
    assert!(res.text().await.unwrap().contains("启用状态的技术服务机构"));
    assert!(
        app.db.orders_of_policy(policy).await.unwrap().is_empty(),
        "nothing was created"
    );
}

async fn state_machine_refuses_what_the_state_does_not_allow(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let order = app.seed_order("ins", policy, a).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let insurer = app.login("ins", PASSWORD).await;
    let detail = format!("/orders/{order}");
    // Completing a pending order.
    let res = app
        .post_form(&agency, &detail, &format!("{detail}/complete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("当前状态为“待受理”,不能完成")
    );
    app.post_form(&insurer, &detail, &format!("{detail}/cancel"), &[])
        .await;
    // Accepting a cancelled order.
    let res = app
        .post_form(&agency, &detail, &format!("{detail}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("当前状态为“已撤销”,不能受理")
    );
    let (_, html) = app.get(&agency, &format!("{detail}/accept")).await;
    assert!(html.contains("无需受理"));
    // Accepting twice.
    let order = app.seed_order("ins", policy, a).await;
    let detail = format!("/orders/{order}");
    let res = app
        .post_form(&agency, &detail, &format!("{detail}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form(&agency, &detail, &format!("{detail}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("当前状态为“已受理”,不能受理")
    );
    // The insurer cannot cancel once accepted; the agency cannot cancel at all.
    let res = app
        .post_form(&insurer, &detail, &format!("{detail}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post_form(&agency, &detail, &format!("{detail}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The insurer cannot accept for the agency.
    let res = app
        .post_form(&insurer, &detail, &format!("{detail}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn two_people_accepting_at_once_exactly_one_wins(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    app.seed_account("ag_a", "ag_a2", "管理员").await;
    let order = app.seed_order("ins", policy, a).await;
    let first = app.login("ag_a", PASSWORD).await;
    let second = app.login("ag_a2", PASSWORD).await;
    let page = format!("/orders/{order}/accept");
    let (r1, r2) = tokio::join!(
        app.post_form(&first, &page, &page, &[]),
        app.post_form(&second, &page, &page, &[])
    );
    let mut statuses = [r1.status(), r2.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let loser = if r1.status() == StatusCode::CONFLICT {
        r1
    } else {
        r2
    };
    assert!(
        loser.text().await.unwrap().contains("已受理"),
        "the loser sees the current state"
    );
    let (_, html) = app.get(&first, &format!("/orders/{order}")).await;
    assert_eq!(
        html.matches("同意服务(状态").count(),
        1,
        "one acceptance in the timeline"
    );
}

async fn accept_and_cancel_racing_leave_one_outcome(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let order = app.seed_order("ins", policy, a).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let insurer = app.login("ins", PASSWORD).await;
    let detail = format!("/orders/{order}");
    let (accept, cancel) = (format!("{detail}/accept"), format!("{detail}/cancel"));
    let (r1, r2) = tokio::join!(
        app.post_form(&agency, &detail, &accept, &[]),
        app.post_form(&insurer, &detail, &cancel, &[])
    );
    let state = app.db.get_order(order).await.unwrap().unwrap().state;
    match state {
        OrderState::Accepted => {
            assert_eq!(r1.status(), StatusCode::SEE_OTHER);
            assert_eq!(r2.status(), StatusCode::CONFLICT);
        }
        OrderState::Cancelled => {
            assert_eq!(r1.status(), StatusCode::CONFLICT);
            assert_eq!(r2.status(), StatusCode::SEE_OTHER);
        }
        other => panic!("unexpected {other:?}"),
    }
}

async fn another_agencys_order_is_not_found(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let order = app.seed_order("ins", policy, a).await;
    let other = app.login("ag_b", PASSWORD).await;
    for path in [
        format!("/orders/{order}"),
        format!("/orders/{order}/accept"),
    ] {
        let (status, html) = app.get(&other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("泉州恒安石化有限公司"));
    }
    let res = app
        .post_form(&other, "/orders", &format!("/orders/{order}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_form(
            &other,
            "/orders",
            &format!("/orders/{order}/decline"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.db.get_order(order).await.unwrap().unwrap().state,
        OrderState::Pending
    );
    let (_, list) = app.get(&other, "/orders").await;
    assert!(!list.contains("泉州恒安石化有限公司"));
    // Nor can another insurer see or cancel it.
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let ins2 = app.login("ins2", PASSWORD).await;
    assert_eq!(
        app.get(&ins2, &format!("/orders/{order}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&ins2, &format!("/policies/{policy}")).await.0,
        StatusCode::NOT_FOUND
    );
    let res = app
        .post_form(&ins2, "/orders", &format!("/orders/{order}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn staff_who_see_only_their_own_orders_see_assigned_ones(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let staff = app.seed_account("ag_a", "ag_staff", "服务人员").await;
    let order = app.seed_order("ins", policy, a).await;
    let staff_client = app.login("ag_staff", PASSWORD).await;
    let (_, list) = app.get(&staff_client, "/orders").await;
    assert!(
        !list.contains("泉州恒安石化有限公司"),
        "仅本人负责: nothing assigned yet"
    );
    assert_eq!(
        app.get(&staff_client, &format!("/orders/{order}")).await.0,
        StatusCode::NOT_FOUND
    );
    let admin = app.login("ag_a", PASSWORD).await;
    let detail = format!("/orders/{order}");
    let (_, html) = app.get(&admin, &detail).await;
    assert!(html.contains("ag_staff") && html.contains("保存负责人员"));
    let staff_id = staff.to_string();
    let res = app
        .post_form(
            &admin,
            &detail,
            &format!("{detail}/assign"),
            &[("account_ids", &staff_id)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&staff_client, "/orders").await;
    assert!(list.contains("泉州恒安石化有限公司"));
    let (status, html) = app.get(&staff_client, &detail).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ag_staff的姓名(ag_staff)"));
    // Staff of another agency cannot be assigned.
    let foreign = app
        .seed_account("ag_b", "b_staff", "服务人员")
        .await
        .to_string();
    let res = app
        .post_form(
            &admin,
            &detail,
            &format!("{detail}/assign"),
            &[("account_ids", &foreign)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Staff cannot assign themselves.
    let res = app
        .post_form(
            &staff_client,
            &detail,
            &format!("{detail}/assign"),
            &[("account_ids", &staff_id)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn regulator_sees_its_region_read_only(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    app.seed_order("ins", policy, a).await;
    let far = app
        .seed_enterprise("ins", "南安远方机械有限公司", "350583")
        .await;
    let far_policy = app.seed_policy("ins", &far, "PICC-2026-0002").await;
    app.seed_order("ins", far_policy, a).await;
    // A district regulator in 丰泽区 sees 丰泽区 only; seed_org puts organizations in 丰泽区.
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    let reg = app.login("reg", PASSWORD).await;
    let (_, orders) = app.get(&reg, "/orders").await;
    assert!(orders.contains("泉州恒安石化有限公司") && !orders.contains("南安远方机械有限公司"));
    let (_, policies) = app.get(&reg, "/policies").await;
    assert!(policies.contains("PICC-2026-0001") && !policies.contains("PICC-2026-0002"));
    assert_eq!(
        app.get(&reg, &format!("/policies/{far_policy}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, enterprises) = app.get(&reg, "/enterprises").await;
    assert!(enterprises.contains("泉州恒安石化有限公司") && !enterprises.contains("南安远方"));
    // Read-only: no designation, no editing, no accepting.
    assert_eq!(
        app.get(&reg, "/policies/new").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&reg, &format!("/policies/{policy}/designate"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&reg, "/enterprises/new").await.0,
        StatusCode::FORBIDDEN
    );
    let (_, detail) = app.get(&reg, &format!("/policies/{policy}")).await;
    assert!(!detail.contains("指定服务机构</a>") && !detail.contains("编辑</a>"));
}

async fn order_list_filters(app: TestApp) {
    let (policy, a, b) = setup(&app).await;
    let first = app.seed_order("ins", policy, a).await;
    let code = app
        .seed_enterprise("ins", "晋江华兴鞋业有限公司", "350582")
        .await;
    let second_policy = app.seed_policy("ins", &code, "PICC-2026-0009").await;
    app.seed_order("ins", second_policy, b).await;
    let insurer = app.login("ins", PASSWORD).await;
    let number = app.db.get_order(first).await.unwrap().unwrap().order_no;
    let check = |q: String, yes: &'static str, no: &'static str| {
        let app = &app;
        let insurer = &insurer;
        async move {
            let (status, html) = app.get(insurer, &format!("/orders?{q}")).await;
            assert_eq!(status, StatusCode::OK, "{q}");
            assert!(html.contains(yes) && !html.contains(no), "{q}");
        }
    };
    check(
        format!("order_no={number}"),
        "泉州恒安石化有限公司",
        "晋江华兴鞋业有限公司",
    )
    .await;
    check(
        "policy_no=0009".into(),
        "晋江华兴鞋业有限公司",
        "泉州恒安石化有限公司",
    )
    .await;
    check(
        "enterprise=%E6%99%8B%E6%B1%9F".into(),
        "晋江华兴鞋业有限公司",
        "泉州恒安石化有限公司",
    )
    .await; // 晋江
    check(
        format!("agency={a}"),
        "泉州恒安石化有限公司",
        "晋江华兴鞋业有限公司",
    )
    .await;
    check(
        "state=accepted".into(),
        "没有符合条件的服务订单",
        "晋江华兴鞋业有限公司",
    )
    .await;
    let today = anze_core::time::today(anze_core::time::Clock::now(app.clock.as_ref()));
    check(
        format!("from={today}&to={today}"),
        "晋江华兴鞋业有限公司",
        "没有符合条件",
    )
    .await;
    check(
        "from=2000-01-01&to=2000-01-02".into(),
        "没有符合条件的服务订单",
        "晋江华兴鞋业有限公司",
    )
    .await;
    let (status, _) = app.get(&insurer, "/orders?from=bad-date").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .get(
            &insurer,
            "/orders?order_no=%27%3B+DROP+TABLE+service_orders%3B--",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn completing_an_order_shows_on_the_insurer_side(app: TestApp) {
    let (policy, a, _) = setup(&app).await;
    let order = app.seed_order("ins", policy, a).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let detail = format!("/orders/{order}");
    app.post_form(&agency, &detail, &format!("{detail}/accept"), &[])
        .await;
    let (_, html) = app.get(&agency, &detail).await;
    assert!(html.contains("完成订单"));
    let res = app
        .post_form(&agency, &detail, &format!("{detail}/complete"), &[])
        .await;
    assert_eq!(location(&res), detail);
    let insurer = app.login("ins", PASSWORD).await;
    let (_, html) = app.get(&insurer, &detail).await;
    assert!(html.contains("已完成") && html.contains("服务完成"));
    // A finished order no longer blocks a new designation.
    let (_, html) = app.get(&insurer, &format!("/policies/{policy}")).await;
    assert!(html.contains("指定服务机构</a>"));
}

async fn home_page_counts_orders_by_state_in_scope(app: TestApp) {
    let (policy, a, b) = setup(&app).await;
    app.seed_order("ins", policy, a).await;
    let code = app.seed_enterprise("ins", "泉州另一家公司", "350503").await;
    let other = app.seed_policy("ins", &code, "PICC-2026-0077").await;
    app.seed_order("ins", other, b).await;
    let insurer = app.login("ins", PASSWORD).await;
    let (_, home) = app.get(&insurer, "/").await;
    assert!(home.contains("服务订单") && home.contains("隐患治理"));
    assert!(home.contains("<span class=\"stat-num\">2</span><span class=\"muted\">待受理</span>"));
    let agency = app.login("ag_a", PASSWORD).await;
    let (_, home) = app.get(&agency, "/").await;
    assert!(
        home.contains("<span class=\"stat-num\">1</span><span class=\"muted\">待受理</span>"),
        "an agency counts only its own orders"
    );
}

/// An unfiltered list (or one filtered by state only) reads its total from `order_tallies`;
/// the same list with a filter the tallies do not key (a designation date that selects every
/// order) counts the orders. Both agree, for every party, through each state change.
async fn list_totals_from_the_tallies_agree_with_a_count(app: TestApp) {
    let (policy, a, b) = setup(&app).await;
    let far = app
        .seed_enterprise("ins", "南安远方机械有限公司", "350583")
        .await;
    let far_policy = app.seed_policy("ins", &far, "PICC-2026-0002").await;
    let first = app.seed_order("ins", policy, a).await;
    let second = app.seed_order("ins", far_policy, a).await;
    let near = app
        .seed_enterprise("ins", "泉州丰泽机电有限公司", "350503")
        .await;
    let near_policy = app.seed_policy("ins", &near, "PICC-2026-0003").await;
    let third = app.seed_order("ins", near_policy, b).await;
    app.seed_org("regulator", "丰泽区应急管理局", "reg").await;
    let clients = [
        app.login("ins", PASSWORD).await,
        app.login("ag_a", PASSWORD).await,
        app.login("ag_b", PASSWORD).await,
        app.login("reg", PASSWORD).await,
        app.admin().await,
    ];
    let agree = |expected: [&'static str; 5]| {
        let app = &app;
        let clients = &clients;
        async move {
            for (client, expected) in clients.iter().zip(expected) {
                for state in ["", "pending", "accepted", "declined"] {
                    let (status, tallied) =
                        app.get(client, &format!("/orders?state={state}")).await;
                    assert_eq!(status, StatusCode::OK);
                    let (_, counted) = app
                        .get(client, &format!("/orders?state={state}&from=2000-01-01"))
                        .await;
                    assert_eq!(total(&tallied), total(&counted), "state={state}");
                    if state.is_empty() {
                        assert_eq!(total(&tallied), expected);
                    }
                }
            }
        }
    };
    // The insurer, agency A, agency B, the 丰泽区 regulator (not 南安) and the platform.
    agree(["3", "2", "1", "2", "3"]).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let accept = format!("/orders/{first}/accept");
    let res = app.post_form(&agency, &accept, &accept, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let decline = format!("/orders/{second}/decline");
    let res = app
        .post_form(
            &agency,
            &format!("/orders/{second}/accept"),
            &decline,
            &[("reason", "人员已满负荷")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    agree(["3", "2", "1", "2", "3"]).await;
    let (_, accepted) = app.get(&clients[0], "/orders?state=accepted").await;
    assert_eq!(total(&accepted), "1");
    let (_, pending) = app.get(&clients[0], "/orders?state=pending").await;
    assert_eq!(total(&pending), "1");
    assert_eq!(
        app.db.get_order(third).await.unwrap().unwrap().state,
        OrderState::Pending
    );
}
