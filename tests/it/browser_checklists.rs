//! Browser test of an inspection on a phone (390×844): the inspector takes the platform's
//! 通用安全检查表, marks items with a thumb, and registers the failed one as a hazard with a photo
//! picked through the file input. No page the inspector opens scrolls sideways.
//!
//! Runs only when `ANZE_TEST_BROWSER=1`, like `browser.rs`. Every step waits (bounded) for what
//! the page must show; nothing sleeps for a fixed time.

use crate::browser::Browser;
use crate::browser_orders::photo_file;
use crate::hazards::{accepted_order, day, inspect};
use crate::helpers::{PASSWORD, TestApp};

crate::browser_tests!(an_inspector_marks_a_checklist_on_a_phone_and_registers_the_failed_item,);

impl Browser {
    /// The current value of the field `css` finds.
    async fn value(&self, css: &str) -> String {
        self.find_css(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Taps what `css` finds, scrolled to the middle of the screen first, as a thumb would (the
    /// sticky save bar covers the bottom edge).
    async fn tap(&self, css: &str) {
        let target = self.find_css(css).await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&target).unwrap()],
            )
            .await
            .unwrap();
        target.click().await.unwrap();
    }

    /// Taps the visible button of a check's result (the radio itself is hidden behind it).
    async fn mark(&self, index: usize, outcome: &str) {
        self.tap(&format!(
            ".check-item:nth-of-type({index}) .seg-{outcome} span"
        ))
        .await;
    }
}

async fn an_inspector_marks_a_checklist_on_a_phone_and_registers_the_failed_item(
    app: TestApp,
    b: Browser,
) {
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;

    b.client.set_window_size(390, 844).await.unwrap();
    b.login("hz_staff", PASSWORD).await;
    for (path, title) in [
        ("/orders", "服务订单"),
        ("/services/hazard", "隐患排查"),
        ("/hazards", "隐患排查"),
        ("/checklists", "检查表"),
        ("/checklists/stats", "不符合项统计"),
    ] {
        b.visit(path).await;
        b.wait_title(title).await;
        b.fits(path).await;
    }

    b.visit(&record).await;
    b.fits("the inspection").await;
    b.click_link("使用检查表").await;
    b.wait_xpath("//select[@id='checklist']").await;
    b.fits("the empty checklist page").await;
    b.choose("checklist", "通用安全检查表").await;
    b.press("添加").await;
    b.wait_flash("操作成功,已保存").await;
    b.wait_css(".check-item").await;
    b.fits("the checklist with its items").await;

    // 符合, 不符合 with a note, 不涉及: each a thumb-sized button.
    b.mark(1, "pass").await;
    b.mark(2, "fail").await;
    b.fill(".check-item:nth-of-type(2) .check-note", "配电房门未上锁")
        .await;
    b.mark(3, "na").await;
    b.press("保存检查结果").await;
    b.wait_flash("操作成功,已保存").await;
    b.fits("the marked checklist").await;
    // For a look by hand after a run (the file is overwritten by the next one).
    if let Ok(png) = b.client.screenshot().await {
        let _ = std::fs::write(std::env::temp_dir().join("anze-checklist-390.png"), png);
    }
    assert!(
        b.find_css(".check-item:nth-of-type(2) .seg-fail input")
            .await
            .is_selected()
            .await
            .unwrap()
    );

    // The failed item becomes a hazard: the form comes pre-filled, the photo is picked.
    b.tap("a[href*='/hazards/new?check=']").await;
    b.wait_title("新增隐患").await;
    b.fits("the hazard form").await;
    let description = b
        .find_css("#description")
        .await
        .prop("value")
        .await
        .unwrap();
    assert!(
        description.is_some_and(|d| d.contains("现场情况:配电房门未上锁")),
        "pre-filled from the item"
    );
    // The photo first, through the file input, as the user picks it; it is listed with 移除.
    let photo = photo_file("checklist-before.png");
    b.find_css("input#f_before")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    b.wait_xpath("//ul[@class='picked']/li[contains(., 'checklist-before.png')]")
        .await;
    b.fits("the hazard form with a photo picked").await;
    // Submitted without its location: refused, and the photo is kept for the next submit.
    b.fill("#suggestion", "配电房门加锁,钥匙由电工专人保管")
        .await;
    b.press("确定").await;
    b.wait_xpath("//div[@class='field-error'][contains(., '隐患位置')]")
        .await;
    let kept = b
        .wait_xpath(
            "//label[contains(@class, 'pending-file')][contains(., 'checklist-before.png')]/input",
        )
        .await;
    assert!(
        kept.is_selected().await.unwrap(),
        "the kept photo is checked"
    );
    b.fits("the refused hazard form").await;
    b.fill("#location", "配电房").await;
    b.fill("#responsible", "设备科王工").await;
    b.press("确定").await;
    b.wait_flash("操作成功,已新增").await;
    assert!(b.path().await.ends_with("/checks"), "back to the checklist");
    b.wait_xpath("//a[normalize-space()='已登记隐患,查看']")
        .await;
    b.fits("the checklist after the hazard").await;

    b.visit(&record).await;
    b.wait_xpath("//p[@data-counts][contains(., '已登记隐患 1')]")
        .await;
    b.fits("the inspection with its counts").await;
    // The hazard has the photo picked before the refusal.
    b.find_css("td.actions a[href^='/hazards/']")
        .await
        .click()
        .await
        .unwrap();
    b.wait_xpath("//a[contains(@href, '/attachments/')]").await;
    b.fits("the hazard").await;
}

crate::browser_tests!(a_form_keeps_its_text_offline_and_across_a_reload,);

/// Weak signal: what is typed into 新增隐患 survives a reload (kept in the browser), a submit
/// without network is held back with a 重试 button, and the kept text ends with the save.
async fn a_form_keeps_its_text_offline_and_across_a_reload(app: TestApp, b: Browser) {
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;
    let form = format!("{record}/hazards/new");

    b.client.set_window_size(390, 844).await.unwrap();
    b.login("hz_staff", PASSWORD).await;
    b.visit(&form).await;
    b.wait_title("新增隐患").await;
    b.fill("#description", "二号仓库消防通道堆放纸箱").await;
    b.fill("#location", "二号仓库").await;
    // The page is gone (a reload, a closed tab): the text comes back, said so.
    b.visit(&form).await;
    b.wait_xpath("//div[contains(@class, 'draft-note')]").await;

    assert_eq!(b.value("#description").await, "二号仓库消防通道堆放纸箱");
    assert_eq!(b.value("#location").await, "二号仓库");

    // No network: the submit is held back, the page stays, nothing is lost.
    b.client
        .execute(
            "Object.defineProperty(Navigator.prototype, 'onLine', {get: function () { return false; }, configurable: true});",
            vec![],
        )
        .await
        .unwrap();
    b.fill("#suggestion", "清理纸箱,保持通道畅通").await;
    b.fill("#responsible", "仓库主管陈明").await;
    b.choose("category", "消防安全").await;
    b.find_css("input[name=level][value=general]")
        .await
        .click()
        .await
        .unwrap();
    let photo = photo_file("offline-before.png");
    b.find_css("input#f_before")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    b.press("确定").await;
    b.wait_xpath("//div[contains(@class, 'offline-note')]")
        .await;
    assert_eq!(b.path().await, form, "still on the form");
    b.fits("the form held back offline").await;

    // The network is back: 重试 sends it, with the photo picked before.
    b.client
        .execute(
            "Object.defineProperty(Navigator.prototype, 'onLine', {get: function () { return true; }, configurable: true});",
            vec![],
        )
        .await
        .unwrap();
    b.press("重试").await;
    b.wait_flash("操作成功,已新增").await;
    // Saved: the form starts empty again.
    b.visit(&form).await;
    b.wait_title("新增隐患").await;
    assert!(
        b.client
            .find_all(fantoccini::Locator::Css(".draft-note"))
            .await
            .unwrap()
            .is_empty(),
        "the kept text ended with the save"
    );
    assert_eq!(b.value("#description").await, "");
}
