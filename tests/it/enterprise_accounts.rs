//! 投保企业 accounts: an insured enterprise logs in and sees only its own side of the service.

use reqwest::{Client, StatusCode};

use crate::hazards::{ENTERPRISE, accepted_order, day, hazard_form, inspect, new_hazard};
use crate::helpers::{PASSWORD, TestApp, credit_code, csrf_token, location, png};

crate::backend_tests!(
    an_enterprise_account_sees_only_its_own_orders,
    the_enterprise_rectifies_and_the_agency_passes_the_review,
    the_agency_records_a_rectification_on_the_enterprises_behalf,
    the_enterprise_signs_for_the_rectification_notice_once,
    another_enterprises_hazards_and_notices_are_not_found,
);

async fn an_enterprise_account_sees_only_its_own_orders(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let mine = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let other = app
        .seed_enterprise("ins", "泉州鲤城纺织有限公司", "350502")
        .await;
    let p1 = app.seed_policy("ins", &mine, "PICC-E-1").await;
    let p2 = app.seed_policy("ins", &other, "PICC-E-2").await;
    let own_order = app.seed_order("ins", p1, agency).await;
    let other_order = app.seed_order("ins", p2, agency).await;
    app.seed_enterprise_account(&mine, "qy_user").await;
    let client = app.login("qy_user", PASSWORD).await;
    let (status, html) = app.get(&client, "/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("PICC-E-1"), "{html}");
    assert!(!html.contains("PICC-E-2"));
    let (status, _) = app.get(&client, &format!("/orders/{own_order}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&client, &format!("/orders/{other_order}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// An inspection of the `hazards` fixture's order with one hazard, recorded by `hz_staff`;
/// returns (inspection page, hazard page).
async fn one_hazard(app: &TestApp) -> (String, String) {
    let agency = accepted_order(app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let inspection = inspect(app, &staff, agency.order, &day(app, 0), &agency.staff).await;
    let deadline = day(app, 15);
    let hazard = new_hazard(
        app,
        &staff,
        &inspection,
        &hazard_form("配电箱未接地", "general", &deadline),
    )
    .await;
    (inspection, hazard)
}

async fn rectify(app: &TestApp, client: &Client, hazard: &str) -> reqwest::Response {
    let on = day(app, 0);
    app.post_multipart_files(
        client,
        hazard,
        &format!("{hazard}/rectify"),
        &[
            ("rectify_note", "已加装接地线并检测合格"),
            ("rectified_on", &on),
        ],
        &[("after", "整改后.png", png())],
    )
    .await
}

async fn the_enterprise_rectifies_and_the_agency_passes_the_review(app: TestApp) {
    let (_, hazard) = one_hazard(&app).await;
    app.seed_enterprise_account(&credit_code(ENTERPRISE), "qy_user")
        .await;
    let qy = app.login("qy_user", PASSWORD).await;
    // Its ledger lists the hazard with the 整改 step offered.
    let (status, ledger) = app.get(&qy, "/hazards").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ledger.contains("配电箱未接地") && ledger.contains(">整改</a>"));
    let (status, page) = app.get(&qy, &hazard).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("隐患整改") && !page.contains("服务机构代企业录入整改情况"));
    assert!(!page.contains("隐患复查"), "the enterprise does not review");
    let res = rectify(&app, &qy, &hazard).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&qy, &hazard).await;
    assert!(
        page.contains("待复查") && page.contains("企业自行整改"),
        "{page}"
    );
    // Twice is refused: the hazard waits for the agency's review.
    let res = rectify(&app, &qy, &hazard).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The agency reviews and closes it, as before.
    let admin = app.login("hz_admin", PASSWORD).await;
    let reviewer = app.actor("hz_admin").await.account_id.to_string();
    let on = day(&app, 0);
    let res = app
        .post_multipart(
            &admin,
            &hazard,
            &format!("{hazard}/review"),
            &[
                ("reviewer_id", &reviewer),
                ("reviewed_on", &on),
                ("result", "pass"),
                ("opinion", "复查合格"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&qy, &hazard).await;
    assert!(page.contains("已销号"));
}

async fn the_agency_records_a_rectification_on_the_enterprises_behalf(app: TestApp) {
    let (_, hazard) = one_hazard(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("服务机构代企业录入整改情况"));
    let res = rectify(&app, &staff, &hazard).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("· 服务机构代企业录入"), "{page}");
}

async fn the_enterprise_signs_for_the_rectification_notice_once(app: TestApp) {
    let (inspection, _) = one_hazard(&app).await;
    app.seed_enterprise_account(&credit_code(ENTERPRISE), "qy_user")
        .await;
    let notice = format!("{inspection}/notice");
    // The agency cannot sign for the enterprise.
    let staff = app.login("hz_staff", PASSWORD).await;
    let (_, html) = app.get(&staff, &notice).await;
    assert!(html.contains("未签收") && !html.contains("notice/sign"));
    let (_, home) = app.get(&staff, "/").await;
    let token = csrf_token(&home).unwrap();
    let res = staff
        .post(app.url(&format!("{notice}/sign")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let qy = app.login("qy_user", PASSWORD).await;
    let (status, html) = app.get(&qy, &notice).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("未签收") && html.contains("notice/sign"));
    let res = app
        .post_form(&qy, &notice, &format!("{notice}/sign"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), notice);
    let (_, html) = app.get(&qy, &notice).await;
    assert!(html.contains("已签收") && html.contains("qy_user的姓名(企业账号签收)"));
    assert!(!html.contains("notice/sign"));
    // The agency's copy shows it too; a second 签收 is refused.
    let (_, html) = app.get(&staff, &notice).await;
    assert!(html.contains("qy_user的姓名(企业账号签收)"));
    let (_, home) = app.get(&qy, "/").await;
    let token = csrf_token(&home).unwrap();
    let res = qy
        .post(app.url(&format!("{notice}/sign")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, audit) = app.get(&app.admin().await, "/audit").await;
    assert!(audit.contains("签收"));
}

async fn another_enterprises_hazards_and_notices_are_not_found(app: TestApp) {
    let (inspection, hazard) = one_hazard(&app).await;
    let other = app
        .seed_enterprise("hz_ins", "泉州其他企业有限公司", "350503")
        .await;
    app.seed_enterprise_account(&other, "qy_other").await;
    let qy = app.login("qy_other", PASSWORD).await;
    let (_, ledger) = app.get(&qy, "/hazards").await;
    assert!(!ledger.contains("配电箱未接地"));
    for path in [
        hazard.clone(),
        inspection.clone(),
        format!("{inspection}/notice"),
    ] {
        let (status, _) = app.get(&qy, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, home) = app.get(&qy, "/").await;
    let token = csrf_token(&home).unwrap();
    let res = qy
        .post(app.url(&format!("{inspection}/notice/sign")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let form = reqwest::multipart::Form::new()
        .text("rectify_note", "冒充整改")
        .part(
            "after",
            reqwest::multipart::Part::bytes(png()).file_name("a.png"),
        );
    let res = qy
        .post(app.url(&format!("{hazard}/rectify?_csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
