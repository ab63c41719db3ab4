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
    an_insurer_opens_the_first_account_of_an_enterprise_it_insures,
    an_enterprise_registers_with_its_policy_once,
    registration_guesses_are_throttled_and_logged,
    the_enterprise_signs_the_notice_on_the_agencys_device,
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
    assert!(html.contains("未签收") && !html.contains("notice/sign\""));
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

async fn an_insurer_opens_the_first_account_of_an_enterprise_it_insures(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    app.seed_org("insurer", "平安泉州", "other_ins").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    app.seed_policy("ins", &code, "PICC-A-1").await;
    let id = {
        use anze_core::enterprise::EnterpriseStore;
        app.db
            .find_enterprise_by_credit_code(&code)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let page = format!("/enterprises/{id}/account");
    // Another insurer neither sees the action nor reaches the page.
    let other = app.login("other_ins", PASSWORD).await;
    let (_, list) = app.get(&other, "/enterprises").await;
    assert!(!list.contains(&page));
    let (status, _) = app.get(&other, &page).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let ins = app.login("ins", PASSWORD).await;
    let (_, list) = app.get(&ins, "/enterprises").await;
    assert!(list.contains(&page), "{list}");
    let res = app
        .post_form(&ins, &page, &page, &[("username", "qy"), ("name", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("field-error"), "{html}");
    let res = app
        .post_form(
            &ins,
            &page,
            &page,
            &[
                ("username", "hengan_admin"),
                ("name", "陈安全"),
                ("phone", "13905951234"),
                ("password", "Qiye2026x"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let qy = app.login("hengan_admin", "Qiye2026x").await;
    let (_, accounts) = app.get(&qy, "/accounts").await;
    assert!(accounts.contains("陈安全") && accounts.contains("管理员"));
    // Only the first account: the enterprise's admin adds the rest.
    let (_, html) = app.get(&ins, &page).await;
    assert!(html.contains("该企业已开通账号"));
    let (_, home) = app.get(&ins, "/").await;
    let token = csrf_token(&home).unwrap();
    let res = ins
        .post(app.url(&page))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "hengan_2"),
            ("name", "王"),
            ("password", "Qiye2026x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, audit) = app.get(&app.admin().await, "/audit").await;
    assert!(audit.contains("为投保企业“泉州恒安石化有限公司”开通管理员账号"));
}

/// The registration form's fields, with `phone` as the 联系电话.
fn registration<'a>(code: &'a str, policy: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("credit_code", code),
        ("policy_no", policy),
        ("contact_phone", phone),
        ("username", "hengan_self"),
        ("name", "林自助"),
        ("password", "Qiye2026x"),
        ("confirm_password", "Qiye2026x"),
    ]
}

async fn an_enterprise_registers_with_its_policy_once(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    app.seed_policy("ins", &code, "PICC-R-9").await;
    let client = app.client();
    let (status, page) = app.get(&client, "/register").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("投保企业注册"));
    // Wrong phone, unknown policy, unknown code: one answer, nothing made.
    for fields in [
        registration(&code, "PICC-R-9", "13900000000"),
        registration(&code, "PICC-R-1", "13905958888"),
        registration("91350500MA00000000", "PICC-R-9", "13905958888"),
    ] {
        let res = app
            .post_form(&client, "/register", "/register", &fields)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("统一社会信用代码、保单号与联系电话不匹配"),
            "{html}"
        );
    }
    let (_, res) = app.try_login("hengan_self", "Qiye2026x").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The right three facts (the phone written with a dash) open the admin account.
    let res = app
        .post_form(
            &client,
            "/register",
            "/register",
            &registration(&code.to_lowercase(), " PICC-R-9 ", "139-0595-8888"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
    let qy = app.login("hengan_self", "Qiye2026x").await;
    let (_, orders) = app.get(&qy, "/policies").await;
    assert!(orders.contains("PICC-R-9"));
    // A second registration is refused: later accounts come from the enterprise's admin.
    let mut again = registration(&code, "PICC-R-9", "13905958888");
    again[3] = ("username", "hengan_again");
    let res = app
        .post_form(&client, "/register", "/register", &again)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("该企业已开通账号"));
}

async fn registration_guesses_are_throttled_and_logged(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    app.seed_policy("ins", &code, "PICC-T-1").await;
    let client = app.client();
    for guess in 0..5 {
        let phone = format!("1390000000{guess}");
        let res = app
            .post_form(
                &client,
                "/register",
                "/register",
                &registration(&code, "PICC-T-1", &phone),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Locked now, even for the right facts.
    let res = app
        .post_form(
            &client,
            "/register",
            "/register",
            &registration(&code, "PICC-T-1", "13905958888"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("核对失败次数过多"));
    let (_, log) = app.get(&app.admin().await, "/login-log").await;
    assert!(log.contains("企业自助注册信息不匹配"));
    // The lock ends.
    app.clock.advance(chrono::Duration::minutes(16));
    let res = app
        .post_form(
            &client,
            "/register",
            "/register",
            &registration(&code, "PICC-T-1", "13905958888"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn post_signature(
    app: &TestApp,
    client: &Client,
    notice: &str,
    signer: &str,
    png: Vec<u8>,
) -> reqwest::Response {
    app.post_multipart_files(
        client,
        "/",
        &format!("{notice}/sign-onsite"),
        &[("signer_name", signer)],
        &[("notice_signature", "企业签字.png", png)],
    )
    .await
}

async fn the_enterprise_signs_the_notice_on_the_agencys_device(app: TestApp) {
    use crate::confirmations::{blank_png, signature_png};
    let (inspection, _) = one_hazard(&app).await;
    app.seed_enterprise_account(&credit_code(ENTERPRISE), "qy_user")
        .await;
    let notice = format!("{inspection}/notice");
    let staff = app.login("hz_staff", PASSWORD).await;
    let (_, html) = app.get(&staff, &notice).await;
    assert!(html.contains("现场签收") && html.contains("data-signature-pad"));
    // A blank pad, or no name, is refused and nothing is signed.
    let res = post_signature(&app, &staff, &notice, "陈主任", blank_png()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("签字为空白"));
    let res = post_signature(&app, &staff, &notice, "", signature_png()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请填写签字人姓名"));
    // The enterprise's own account does not sign on the agency's device.
    let qy = app.login("qy_user", PASSWORD).await;
    let res = post_signature(&app, &qy, &notice, "陈主任", signature_png()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, html) = app.get(&staff, &notice).await;
    assert!(html.contains("未签收"));

    let res = post_signature(&app, &staff, &notice, "陈主任", signature_png()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&qy, &notice).await;
    assert!(
        html.contains("已签收") && html.contains("陈主任(现场签字)"),
        "{html}"
    );
    let marker = "class=\"notice-signature\" src=\"";
    let at = html.find(marker).expect("the signature is shown") + marker.len();
    let src = &html[at..at + html[at..].find('"').unwrap()];
    let res = qy.get(app.url(src)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        signature_png(),
        "stored as drawn"
    );
    // Signed once: neither way signs again.
    let res = post_signature(&app, &staff, &notice, "陈主任", signature_png()).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(!html.contains("notice/sign\""));
}
