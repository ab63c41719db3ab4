//! 保单 and 投保企业, the insurer's side.

use anze_core::policy::PolicyStore;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, credit_code, location};

crate::backend_tests!(
    insurer_registers_an_enterprise_and_a_policy,
    policy_form_refuses_bad_terms,
    policy_numbers_are_unique_per_insurer,
    policy_status_and_period_filters,
    editing_a_policy_keeps_live_orders_inside_it,
    enterprise_form_refuses_bad_input_and_duplicates,
    enterprises_filter_by_sector_and_region,
    agencies_do_not_see_policy_lists,
);

pub(crate) fn policy_fields<'a>(
    no: &'a str,
    code: &'a str,
    start: &'a str,
    end: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("policy_no", no),
        ("enterprise_credit_code", code),
        ("start_date", start),
        ("end_date", end),
        ("premium", "¥12,000.50"),
        ("total_limit", "5000000"),
        ("per_person_limit", "500000"),
        ("insured_count", "80"),
        ("prevention_ratio", "15"),
    ]
}

async fn insurer_registers_an_enterprise_and_a_policy(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let insurer = app.login("ins", PASSWORD).await;
    let (_, home) = app.get(&insurer, "/").await;
    assert!(
        home.contains("保单管理")
            && home.contains("href=\"/policies\">保单列表")
            && home.contains("href=\"/enterprises\">投保企业"),
        "the insurer's menu offers its policy pages"
    );
    let (status, html) = app.get(&insurer, "/enterprises/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("危险化学品 / 经营(高危)"));
    let code = credit_code("晋江鞋业");
    let res = app
        .post_form(
            &insurer,
            "/enterprises/new",
            "/enterprises",
            &[
                ("name", "晋江华兴鞋业有限公司"),
                ("credit_code", &code),
                ("region_code", "350582"),
                ("address", "晋江市陈埭镇 1 号"),
                ("employee_count", "860"),
                ("contact_name", "许经理"),
                ("contact_phone", "13905951234"),
                ("industry_code", "0903"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&insurer, "/enterprises").await;
    assert!(
        list.contains("晋江华兴鞋业有限公司")
            && list.contains("工贸 / 鞋业")
            && list.contains("晋江市")
    );
    let res = app
        .post_form(
            &insurer,
            "/policies/new",
            "/policies",
            &policy_fields("PICC-2026-7", &code, "2026-01-01", "2026-12-31"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let detail = location(&res);
    let (_, html) = app.get(&insurer, &detail).await;
    for text in [
        "PICC-2026-7",
        "晋江华兴鞋业有限公司",
        "¥12,000.50",
        "¥1,800.08",
        "2026-01-01 至 2026-12-31",
        "指定服务机构",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let (_, list) = app.get(&insurer, "/policies").await;
    assert!(list.contains("PICC-2026-7") && list.contains("¥1,800.08(15.00%)"));
    let (_, log) = app.get(&insurer, "/audit?object=policy").await;
    assert!(log.contains("PICC-2026-7"));
}

async fn policy_form_refuses_bad_terms(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let insurer = app.login("ins", PASSWORD).await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            policy_fields("P-1", &code, "2026-12-31", "2026-01-01"),
            "保险止期不能早于保险起期",
        ),
        (
            policy_fields("P-1", &code, "2026-13-01", "2026-12-31"),
            "保险起期日期格式应为",
        ),
        (
            policy_fields("P-1", "91350500MA0000000X", "2026-01-01", "2026-12-31"),
            "未找到该统一社会信用代码的投保企业",
        ),
        (
            policy_fields("P 1;--", &code, "2026-01-01", "2026-12-31"),
            "保单号只能包含",
        ),
        (
            policy_fields("P-1", &code, "2026-01-01", "2036-12-31"),
            "保险期间不能超过 5 年",
        ),
    ];
    for (fields, message) in cases {
        let res = app
            .post_form(&insurer, "/policies/new", "/policies", &fields)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    for (field, value, message) in [
        ("premium", "-100", "保费应为金额"),
        ("premium", "0", "保费应大于 0"),
        ("premium", "99999999999999", "保费不能超过"),
        ("prevention_ratio", "35", "事故预防费用比例应为 0 到 21"),
        ("prevention_ratio", "0", "事故预防费用比例应大于 0"),
        ("insured_count", "1.5", "参保人数应为整数"),
        (
            "per_person_limit",
            "6000000",
            "每人责任限额不能超过累计责任限额",
        ),
    ] {
        let mut fields = policy_fields("P-2", &code, "2026-01-01", "2026-12-31");
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let res = app
            .post_form(&insurer, "/policies/new", "/policies", &fields)
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{field}={value}: {message}");
        assert!(
            html.contains(&format!("value=\"{value}\"")),
            "the typed value is kept"
        );
    }
    let (_, list) = app.get(&insurer, "/policies").await;
    assert!(list.contains("没有符合条件的保单"));
}

async fn policy_numbers_are_unique_per_insurer(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    app.seed_policy("ins", &code, "SAME-001").await;
    let insurer = app.login("ins", PASSWORD).await;
    let res = app
        .post_form(
            &insurer,
            "/policies/new",
            "/policies",
            &policy_fields("SAME-001", &code, "2026-01-01", "2026-12-31"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("本机构已登记该保单号"));
    // The enterprise is shared, the number space is not.
    let other = app.login("ins2", PASSWORD).await;
    let res = app
        .post_form(
            &other,
            "/policies/new",
            "/policies",
            &policy_fields("SAME-001", &code, "2026-01-01", "2026-12-31"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&other, "/policies").await;
    assert!(
        list.contains("共 1 条"),
        "each insurer sees its own policies"
    );
}

async fn policy_status_and_period_filters(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let insurer = app.login("ins", PASSWORD).await;
    let today = anze_core::time::today(anze_core::time::Clock::now(app.clock.as_ref()));
    let d = |days: i64| (today + chrono::Duration::days(days)).to_string();
    for (no, start, end) in [
        ("FUTURE", d(10), d(300)),
        ("ACTIVE", d(-10), d(300)),
        ("SOON", d(-300), d(10)),
        ("OLD", d(-700), d(-400)),
    ] {
        let res = app
            .post_form(
                &insurer,
                "/policies/new",
                "/policies",
                &policy_fields(no, &code, &start, &end),
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{no}");
    }
    for (status, expected) in [
        ("pending", "FUTURE"),
        ("active", "ACTIVE"),
        ("expiring", "SOON"),
        ("expired", "OLD"),
    ] {
        let (_, html) = app
            .get(&insurer, &format!("/policies?status={status}"))
            .await;
        assert!(
            html.contains(expected) && html.contains("共 1 条"),
            "{status}"
        );
    }
    let (_, html) = app
        .get(
            &insurer,
            &format!("/policies?from={}&to={}", d(-750), d(-650)),
        )
        .await;
    assert!(html.contains("OLD") && html.contains("共 1 条"));
    let (_, html) = app.get(&insurer, "/policies?q=%E6%81%92%E5%AE%89").await; // 恒安
    assert!(html.contains("共 4 条"));
    let (_, html) = app.get(&insurer, "/policies?q=SOON").await;
    assert!(html.contains("共 1 条") && html.contains("即将到期"));
}

async fn editing_a_policy_keeps_live_orders_inside_it(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信", "ag_x").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "EDIT-1").await;
    app.seed_order("ins", policy, agency).await;
    let p = app.db.get_policy(policy).await.unwrap().unwrap();
    let insurer = app.login("ins", PASSWORD).await;
    let edit = format!("/policies/{policy}/edit");
    let (_, html) = app.get(&insurer, &edit).await;
    assert!(html.contains("value=\"EDIT-1\"") && html.contains("value=\"20000.00\""));
    let shorter = (p.end_date - chrono::Duration::days(30)).to_string();
    let start = p.start_date.to_string();
    let res = app
        .post_form(
            &insurer,
            &edit,
            &format!("/policies/{policy}"),
            &policy_fields("EDIT-1", &code, &start, &shorter),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("须在保险期间内"));
    let end = p.end_date.to_string();
    let res = app
        .post_form(
            &insurer,
            &edit,
            &format!("/policies/{policy}"),
            &policy_fields("EDIT-2", &code, &start, &end),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, log) = app
        .get(&insurer, "/audit?object=policy&action=update")
        .await;
    assert!(
        log.contains("保单号: EDIT-1 → EDIT-2") && log.contains("保费: ¥20,000.00 → ¥12,000.50")
    );
}

async fn enterprise_form_refuses_bad_input_and_duplicates(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let insurer = app.login("ins", PASSWORD).await;
    let base = |code: &str| {
        vec![
            ("name".to_string(), "<script>x</script>新企业".to_string()),
            ("credit_code".to_string(), code.to_string()),
            ("region_code".to_string(), "350503".to_string()),
            ("address".to_string(), "地址".to_string()),
            ("employee_count".to_string(), "10".to_string()),
            ("contact_name".to_string(), "联系人".to_string()),
            ("contact_phone".to_string(), "13905951234".to_string()),
            ("industry_code".to_string(), "0201".to_string()),
        ]
    };
    let send = |fields: Vec<(String, String)>| {
        let app = &app;
        let insurer = &insurer;
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form(insurer, "/enterprises/new", "/enterprises", &f)
                .await
        }
    };
    let res = send(base(&code)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("已登记,请在企业列表中直接选用")
    );
    for (field, value, message) in [
        ("industry_code", "02", "请从列表中选择二级行业"),
        ("industry_code", "", "请选择行业"),
        ("region_code", "110000", "所属区划不存在"),
        ("employee_count", "0", "从业人数应在 1 到 1000000 之间"),
        ("contact_phone", "110", "电话格式不正确"),
    ] {
        let mut fields = base(&credit_code("新企业"));
        for (k, v) in fields.iter_mut() {
            if k == field {
                *v = value.to_string();
            }
        }
        let res = send(fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            res.text().await.unwrap().contains(message),
            "{field}: {message}"
        );
    }
    let res = send(base(&credit_code("新企业"))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&insurer, "/enterprises").await;
    assert!(list.contains("&#60;script&#62;x&#60;/script&#62;新企业"));
}

async fn enterprises_filter_by_sector_and_region(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    app.seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let insurer = app.login("ins", PASSWORD).await;
    let code = credit_code("鞋厂");
    app.post_form(
        &insurer,
        "/enterprises/new",
        "/enterprises",
        &[
            ("name", "晋江鞋厂"),
            ("credit_code", &code),
            ("region_code", "350582"),
            ("address", "晋江"),
            ("employee_count", "300"),
            ("contact_name", "许"),
            ("contact_phone", "13905951234"),
            ("industry_code", "0903"),
        ],
    )
    .await;
    let (_, html) = app.get(&insurer, "/enterprises?mandatory=1").await;
    assert!(html.contains("泉州恒安石化有限公司") && !html.contains("晋江鞋厂"));
    let (_, html) = app.get(&insurer, "/enterprises?industry=09").await;
    assert!(html.contains("晋江鞋厂") && !html.contains("泉州恒安石化有限公司"));
    let (_, html) = app.get(&insurer, "/enterprises?region=350582").await;
    assert!(html.contains("晋江鞋厂") && !html.contains("泉州恒安石化有限公司"));
    let (_, html) = app.get(&insurer, &format!("/enterprises?q={code}")).await;
    assert!(html.contains("晋江鞋厂") && html.contains("共 1 条"));
}

async fn agencies_do_not_see_policy_lists(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    app.seed_org("agency", "安信", "ag_x").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "HIDDEN-1").await;
    let agency = app.login("ag_x", PASSWORD).await;
    assert_eq!(app.get(&agency, "/policies").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&agency, &format!("/policies/{policy}")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&agency, "/enterprises").await.0,
        StatusCode::FORBIDDEN
    );
    let (_, home) = app.get(&agency, "/").await;
    assert!(home.contains("服务订单") && !home.contains("保单列表"));
}
