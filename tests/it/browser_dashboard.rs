//! Browser test of 看板 on a phone: the regulator's board, with its chart and tables, fits a
//! 390-pixel-wide window without scrolling sideways, and the period selector works by hand.
//!
//! Runs only when `ANZE_TEST_BROWSER=1`, like `browser.rs`.

use crate::browser::Browser;
use crate::hazards::{accepted_order, day, hazard_form, inspect, new_hazard};
use crate::helpers::{PASSWORD, TestApp};

crate::browser_tests!(the_regulators_board_fits_a_phone,);

async fn the_regulators_board_fits_a_phone(app: TestApp, b: Browser) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("配电房门口堆放杂物", "general", &day(&app, 5)),
    )
    .await;
    anze_core::dashboard::service::rebuild(&app.db, None, app.clock_now(), &mut |_| {})
        .await
        .unwrap();
    app.seed_org("regulator", "丰泽区应急管理局", "bd_reg")
        .await;

    b.client.set_window_size(390, 844).await.unwrap();
    b.login("bd_reg", PASSWORD).await;
    b.visit("/dashboard").await;
    b.wait_title("看板").await;
    b.wait_css("svg.chart").await;
    let widths = b
        .client
        .execute(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth,\
                     document.querySelector('svg.chart').getBoundingClientRect().width];",
            vec![],
        )
        .await
        .unwrap();
    let [viewport, page, chart]: [f64; 3] = serde_json::from_value(widths).unwrap();
    if let Ok(png) = b.client.screenshot().await {
        let _ = std::fs::write(std::env::temp_dir().join("anze-dashboard-390.png"), png);
    }
    let wide = b
        .client
        .execute(
            "var w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('main *'))               .filter(e => e.getBoundingClientRect().right > w + 1)               .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        page <= viewport + 1.0,
        "the board scrolls sideways: {page} > {viewport}: {wide}"
    );
    assert!(chart > 200.0 && chart <= viewport, "chart {chart}");

    // 本月 by hand: the page reloads with the month's period.
    b.find_xpath("//select[@name='period']/option[normalize-space()='本月']")
        .await
        .click()
        .await
        .unwrap();
    b.press("查询").await;
    b.wait_css(".stats").await;
    assert!(b.path().await.starts_with("/dashboard"));
    let text = b.find_css("main").await.text().await.unwrap();
    assert!(text.contains("安泰安全技术"), "{text}");
}
