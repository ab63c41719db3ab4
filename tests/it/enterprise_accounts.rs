//! 投保企业 accounts: an insured enterprise logs in and sees only its own side of the service.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

crate::backend_tests!(an_enterprise_account_sees_only_its_own_orders);

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
