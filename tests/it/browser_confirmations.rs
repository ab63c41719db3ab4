//! Browser test of the on-site signature (企业确认): on a phone-sized window the agency's staff
//! fills a training record, hands the phone over, the enterprise's representative signs on the
//! pad with strokes of the pointer and types their name, and the saved record reads 已确认.
//!
//! Runs only when `ANZE_TEST_BROWSER=1`, like `browser.rs`. Every step waits (bounded) for
//! what the page must show; nothing sleeps for a fixed time.

use crate::browser::{Browser, lit};
use crate::helpers::{PASSWORD, TestApp};
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use std::time::Duration;

crate::browser_tests!(enterprise_signs_a_record_on_the_agencys_phone_in_the_browser,);

const ENTERPRISE: &str = "泉州浏览器签字化工有限公司";
const POLICY: &str = "BRW-SIGN-001";
const STAFF: &str = "sign_staff";

async fn enterprise_signs_a_record_on_the_agencys_phone_in_the_browser(app: TestApp, b: Browser) {
    app.seed_org("insurer", "浏览器签字保险公司", "sign_ins")
        .await;
    let agency = app.seed_org("agency", "浏览器签字技术", "sign_admin").await;
    let staff = app.seed_account("sign_admin", STAFF, "服务人员").await;
    let code = app.seed_enterprise("sign_ins", ENTERPRISE, "350503").await;
    let policy = app.seed_policy("sign_ins", &code, POLICY).await;
    let order = app.seed_order("sign_ins", policy, agency).await;
    let admin = app.actor("sign_admin").await;
    anze_core::order::service::accept(&app.db, &admin, order, app.clock_now())
        .await
        .unwrap();
    anze_core::order::service::assign(
        &app.db,
        &admin,
        order,
        &[staff.to_string()],
        app.clock_now(),
    )
    .await
    .unwrap();

    // A phone: 390 CSS pixels wide.
    b.client.set_window_size(390, 844).await.unwrap();
    b.login(STAFF, PASSWORD).await;
    b.visit(&format!("/orders/{order}/training/new")).await;
    b.wait_title("新增安全培训记录").await;
    b.fill("#location", "企业三楼会议室").await;
    b.fill("#enterprise_contact", "林主任").await;
    b.fill("#d_topic", "危险化学品安全管理培训").await;
    b.find_css("input[type=checkbox][name=audience][value='worker']")
        .await
        .click()
        .await
        .unwrap();
    b.find_xpath("//select[@id='d_mode']/option[normalize-space()='线下']")
        .await
        .click()
        .await
        .unwrap();
    b.fill("#d_hours", "2").await;
    b.fill("#d_participants", "30").await;
    b.fill("#d_trainer", "张工").await;
    b.fill("#summary", "讲解危化品储存要求。").await;

    // The pad fits the phone's width, and the file input behind it is hidden.
    let canvas = b
        .wait_css(".signature-pad.ready [data-signature-canvas]")
        .await;
    let width = b
        .client
        .execute(
            "var c = document.querySelector('[data-signature-canvas]');\
             return [c.getBoundingClientRect().width, document.documentElement.clientWidth,\
                     document.documentElement.scrollWidth];",
            vec![],
        )
        .await
        .unwrap();
    let [pad, viewport, page]: [f64; 3] = serde_json::from_value(width).unwrap();
    assert!(
        pad > 200.0 && pad <= viewport,
        "pad {pad} in viewport {viewport}"
    );
    assert!(
        page <= viewport + 1.0,
        "the form scrolls sideways: {page} > {viewport}"
    );
    assert!(
        !b.find_css("#f_signature")
            .await
            .is_displayed()
            .await
            .unwrap()
    );

    b.client
        .execute(
            "document.querySelector('[data-signature-canvas]').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .unwrap();
    let strokes = MouseActions::new("pen".into())
        .then(PointerAction::MoveToElement {
            element: canvas.clone(),
            duration: None,
            x: -pad / 3.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(60)),
            x: 30.0,
            y: -30.0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(60)),
            x: 30.0,
            y: 40.0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(60)),
            x: 40.0,
            y: -20.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: None,
            x: 10.0,
            y: 10.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(60)),
            x: 50.0,
            y: 0.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    b.client.perform_actions(strokes).await.unwrap();
    // The drawing reaches the file input once the PNG is encoded.
    b.wait_xpath("//*[@data-signature-state][normalize-space()='已签字']")
        .await;
    b.fill("#signer_name", "王五").await;

    b.press("确认").await;
    b.wait_flash("操作成功,已新增").await;
    assert!(
        b.path().await.starts_with("/records/"),
        "{}",
        b.context().await
    );
    b.wait_xpath(&format!(
        "//*[@data-confirmation][normalize-space()={}]",
        lit("已确认")
    ))
    .await;
    b.wait_xpath(&format!(
        "//dl[contains(@class,'detail')]//dd[normalize-space()={}]",
        lit("王五")
    ))
    .await;
    b.close().await;
}
