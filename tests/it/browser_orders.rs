//! Browser tests of the service flow (issue 3 of the seed): the insurer imports policies and
//! designates an agency, the agency accepts or declines, and the agency then runs the hazard
//! loop (事故排查 → 新增隐患 → 整改 → 复查) and prints the 整改通知书.
//!
//! Like `browser.rs`, they run only when `ANZE_TEST_BROWSER=1` and reuse its browser driver.
//! Every step waits (bounded) for what the page must show; nothing sleeps.

use crate::browser::{Browser, lit};
use crate::hazards::{ENTERPRISE, accepted_order, day, hazard_form, inspect, new_hazard};
use crate::helpers::{PASSWORD, TestApp, credit_code};
use chrono::Duration;
use fantoccini::Locator;
use rust_xlsxwriter::Workbook;
use std::path::PathBuf;

crate::browser_tests!(
    insurer_imports_and_designates_and_the_agency_accepts_or_declines,
    agency_runs_the_hazard_loop_in_the_browser,
    the_rectification_notice_opens_from_the_inspection,
    the_enterprise_rectifies_and_signs_and_the_agency_passes_the_review,
    the_bell_counts_a_new_designation,
);

const INSURER: &str = "浏览器财产保险泉州分公司";
const AGENCY_A: &str = "浏览器安全技术甲";
const AGENCY_B: &str = "浏览器安全咨询乙";
const POLICY_1: &str = "BRW-2026-001";
const POLICY_2: &str = "BRW-2026-002";
const ENTERPRISE_1: &str = "泉州浏览器化工有限公司";
const ENTERPRISE_2: &str = "泉州浏览器机械有限公司";

/// The import headers, in the template's order (`crates/core/src/policy/import.rs`).
const HEADERS: [&str; 16] = [
    "保单号",
    "企业名称",
    "统一社会信用代码",
    "所属区划",
    "行业",
    "地址",
    "从业人数",
    "联系人",
    "联系电话",
    "保险起期",
    "保险止期",
    "保费(元)",
    "累计责任限额(元)",
    "每人责任限额(元)",
    "参保人数",
    "事故预防费用比例(%)",
];

/// A two-policy import file for two new enterprises, written where the browser can pick it up.
fn import_file(app: &TestApp) -> PathBuf {
    let start = anze_core::time::today(app.clock_now()) - Duration::days(30);
    let end = start + Duration::days(364);
    let (start, end) = (start.to_string(), end.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (policy, enterprise)) in [(POLICY_1, ENTERPRISE_1), (POLICY_2, ENTERPRISE_2)]
        .into_iter()
        .enumerate()
    {
        let code = credit_code(enterprise);
        let row = [
            policy,
            enterprise,
            code.as_str(),
            "丰泽区",
            "危险化学品 / 经营",
            "泉州市丰泽区东海街道 18 号",
            "80",
            "王经理",
            "13905951234",
            start.as_str(),
            end.as_str(),
            "20000",
            "5000000",
            "500000",
            "80",
            "15",
        ];
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }
    let dir = std::env::temp_dir().join(format!("anze-import-{}", app.addr.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("保单导入.xlsx");
    wb.save(&path).unwrap();
    path
}

impl Browser {
    /// The row of a table with a cell reading exactly `cell`.
    fn row(cell: &str) -> String {
        format!("//table//tbody/tr[td[normalize-space()={}]]", lit(cell))
    }

    /// Clicks the link `text` on the table row holding `cell`.
    async fn click_in_row(&self, cell: &str, text: &str) {
        let xpath = format!("{}//a[normalize-space()={}]", Self::row(cell), lit(text));
        self.wait_xpath(&xpath).await.click().await.unwrap();
    }

    /// Picks the option of the select `#select_id` whose text contains `text`.
    pub(crate) async fn choose(&self, select_id: &str, text: &str) {
        let xpath = format!(
            "//select[@id={}]/option[contains(normalize-space(.), {})]",
            lit(select_id),
            lit(text)
        );
        self.find_xpath(&xpath).await.click().await.unwrap();
    }

    /// Waits for the state tag in the heading of a hazard page.
    async fn wait_hazard_state(&self, label: &str) {
        self.wait_xpath(&format!(
            "//h3[contains(@class,'section-title')]/span[contains(@class,'tag')][normalize-space()={}]",
            lit(label)
        ))
        .await;
    }

    /// Waits for a table cell reading `text` (on a row whose other cell reads `cell`).
    async fn wait_cell(&self, cell: &str, text: &str) {
        self.wait_xpath(&format!(
            "{}/td[normalize-space()={}]",
            Self::row(cell),
            lit(text)
        ))
        .await;
    }

    /// The page title as the browser shows it.
    async fn title(&self) -> String {
        self.client.title().await.unwrap()
    }

    /// Whether the left menu has an entry reading `label`.
    async fn has_menu(&self, label: &str) -> bool {
        let xpath = format!(
            "//aside[@id='sidebar']//a[contains(@class,'nav-item')][normalize-space()={}]",
            lit(label)
        );
        !self
            .client
            .find_all(Locator::XPath(&xpath))
            .await
            .unwrap()
            .is_empty()
    }

    /// 保单列表 from the left menu. Should the entry be missing, the list is opened by its
    /// address so that the rest of the flow is still checked; the test asserts the menu at the
    /// end.
    async fn open_policies(&self) {
        if self.has_menu("保单列表").await {
            self.open_menu("保单列表").await;
        } else {
            self.visit("/policies").await;
            self.wait_title("保单列表").await;
        }
    }

    /// 保单列表 → the policy → 指定服务机构 → choose the agency, keep the suggested plan → 确认.
    async fn designate(&self, policy_no: &str, agency: &str) {
        self.open_policies().await;
        self.click_in_row(policy_no, policy_no).await;
        self.wait_title(&format!("保单 {policy_no}")).await;
        self.click_link("指定服务机构").await;
        self.wait_title("指定服务机构").await;
        // The suggested plan is filled in; it is kept as it is.
        let plan = self.find_css("input[name=plan_hazard]").await;
        assert_eq!(plan.prop("value").await.unwrap().as_deref(), Some("4"));
        self.choose("agency_id", agency).await;
        self.press("确认").await;
        self.wait_xpath("/html/head/title[starts-with(normalize-space(.), '服务订单 ')]")
            .await;
        self.wait_flash("操作成功,已新增").await;
    }

    /// The agency's 服务订单 menu entry with its badge of orders waiting for 受理.
    async fn order_badge(&self) -> Option<String> {
        let badges = self
            .client
            .find_all(Locator::XPath(
                "//aside[@id='sidebar']//a[contains(@class,'nav-item')][contains(., '服务订单')]\
                 /span[contains(@class,'badge')]",
            ))
            .await
            .unwrap();
        match badges.first() {
            Some(b) => Some(b.text().await.unwrap().trim().to_string()),
            None => None,
        }
    }

    /// 服务订单 in the menu (its label carries the badge, so it is matched by prefix).
    async fn open_orders(&self) {
        self.find_xpath(
            "//aside[@id='sidebar']//a[contains(@class,'nav-item')][starts-with(normalize-space(.), '服务订单')]",
        )
        .await
        .click()
        .await
        .unwrap();
        self.wait_title("服务订单").await;
    }
}

/// 导入保单 → 指定服务机构 → the agency sees the badge and accepts; a second policy is declined
/// with a reason, which the insurer reads before designating another agency.
async fn insurer_imports_and_designates_and_the_agency_accepts_or_declines(
    app: TestApp,
    b: Browser,
) {
    app.seed_org("insurer", INSURER, "br_ins").await;
    app.seed_org("agency", AGENCY_A, "br_ag").await;
    app.seed_org("agency", AGENCY_B, "br_ag2").await;
    let file = import_file(&app);

    // 保险机构登录,在“保单列表”点击“导入”,选择 Excel 文件上传。
    b.login("br_ins", PASSWORD).await;
    let policy_menu = b.has_menu("保单列表").await;
    b.open_policies().await;
    b.click_link("导入").await;
    b.wait_title("导入保单").await;
    b.find_css("input#file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.press("上传并导入").await;
    b.wait_flash("导入成功,保单已登记").await;
    b.see_row(POLICY_1).await;
    b.see_row(POLICY_2).await;
    let _ = std::fs::remove_dir_all(file.parent().unwrap());

    // 打开保单,指定服务机构(选择机构,保留建议的服务方案)。
    b.designate(POLICY_1, AGENCY_A).await;
    b.wait_xpath("//span[contains(@class,'tag')][normalize-space()='待受理']")
        .await;
    b.logout().await;

    // 服务机构登录:“服务订单”上有待受理的角标;打开“受理”,点击“同意服务”。
    b.login("br_ag", PASSWORD).await;
    assert_eq!(b.order_badge().await.as_deref(), Some("1"));
    b.open_orders().await;
    b.see_row(POLICY_1).await;
    b.click_in_row(POLICY_1, "受理").await;
    b.wait_title("订单受理").await;
    b.press("同意服务").await;
    b.wait_flash("操作成功,已同意服务").await;
    b.wait_xpath("//span[contains(@class,'tag')][normalize-space()='已受理']")
        .await;
    assert_eq!(b.order_badge().await, None, "nothing waits any more");
    b.logout().await;

    // 保险机构在保单页看到订单已受理。
    b.login("br_ins", PASSWORD).await;
    b.open_policies().await;
    b.click_in_row(POLICY_1, POLICY_1).await;
    b.wait_title(&format!("保单 {POLICY_1}")).await;
    b.wait_cell(AGENCY_A, "已受理").await;

    // 第二份保单指定给同一机构。
    b.designate(POLICY_2, AGENCY_A).await;
    b.logout().await;

    // 服务机构拒绝,并说明原因。
    b.login("br_ag", PASSWORD).await;
    assert_eq!(b.order_badge().await.as_deref(), Some("1"));
    b.open_orders().await;
    b.click_in_row(POLICY_2, "受理").await;
    b.wait_title("订单受理").await;
    b.fill("#reason", "本月排期已满,无法按期服务").await;
    b.press("拒绝").await;
    b.wait_flash("操作成功,已拒绝该订单").await;
    b.wait_cell(POLICY_2, "已拒绝").await;
    b.logout().await;

    // 保险机构在保单页看到拒绝原因,改为指定另一家机构。
    b.login("br_ins", PASSWORD).await;
    b.open_policies().await;
    b.click_in_row(POLICY_2, POLICY_2).await;
    b.wait_title(&format!("保单 {POLICY_2}")).await;
    b.wait_cell(AGENCY_A, "拒绝原因:本月排期已满,无法按期服务")
        .await;
    b.designate(POLICY_2, AGENCY_B).await;
    b.open_policies().await;
    b.click_in_row(POLICY_2, POLICY_2).await;
    b.wait_title(&format!("保单 {POLICY_2}")).await;
    b.wait_cell(AGENCY_B, "待受理").await;
    b.wait_cell(AGENCY_A, "已拒绝").await;
    b.logout().await;

    // 新的机构看到自己的角标。
    b.login("br_ag2", PASSWORD).await;
    assert_eq!(b.order_badge().await.as_deref(), Some("1"));

    b.close().await;
    assert!(
        policy_menu,
        "the insurer's left menu has no 保单列表 (nor 保单管理 group): it was reached by its \
         address instead"
    );
}

/// 服务订单 → 事故排查 → 新增 → 新增隐患 → 整改, then the admin 复查 通过 and the ledger shows
/// 已销号.
async fn agency_runs_the_hazard_loop_in_the_browser(app: TestApp, b: Browser) {
    accepted_order(&app).await;

    // 服务人员打开已受理的订单,点击“事故排查”,再点击“新增”录入排查记录。
    b.login("hz_staff", PASSWORD).await;
    b.open_orders().await;
    b.click_in_row("CPIC-HZ-1", "事故排查").await;
    b.wait_title("隐患排查记录").await;
    b.click_link("新增").await;
    b.wait_title("新增隐患排查记录").await;
    // 排查日期 defaults to today and the排查人员 to the user; both are kept.
    b.fill("#location", "储罐区及装卸区").await;
    b.fill("#enterprise_contact", "林主任").await;
    b.choose("d_kind", "综合检查").await;
    b.fill("#d_scope", "储罐区、装卸区、配电房").await;
    b.fill("#summary", "对储罐区、装卸区和配电房开展综合检查。")
        .await;
    b.press("确认").await;
    b.wait_flash("操作成功,已新增").await;
    b.wait_xpath("//a[normalize-space()='新增隐患']").await;
    assert!(b.path().await.starts_with("/records/"));

    // 在排查记录页点击“新增隐患”。
    b.click_link("新增隐患").await;
    b.wait_title("新增隐患").await;
    b.fill("#description", "消防通道堆放杂物").await;
    b.fill("#location", "二号仓库东侧通道").await;
    b.choose("category", "消防安全").await;
    b.find_css("input[name=level][value=general]")
        .await
        .click()
        .await
        .unwrap();
    b.fill("#suggestion", "清理通道杂物,设置禁止堆放标识").await;
    b.fill("#responsible", "仓库主管陈明").await;
    // 上传隐患图片 through the file input, as the user picks it.
    let before = photo_file("before.png");
    b.find_css("input#f_before")
        .await
        .send_keys(before.to_str().unwrap())
        .await
        .unwrap();
    b.press("确定").await;
    b.wait_xpath("/html/head/title[starts-with(normalize-space(.), '隐患 YH')]")
        .await;
    b.wait_flash("操作成功,已新增").await;
    b.wait_hazard_state("待整改").await;
    let hazard = b.path().await;

    // 整改:填写整改说明(完成日期默认今天)。
    b.fill("#rectify_note", "已清理通道杂物并张贴禁止堆放标识")
        .await;
    // 将整改后的图片上传 (seed 图4.3.5).
    let after = photo_file("after.png");
    b.find_css("input#f_after")
        .await
        .send_keys(after.to_str().unwrap())
        .await
        .unwrap();
    b.press("确定").await;
    b.wait_flash("操作成功,已保存").await;
    b.wait_hazard_state("待复查").await;
    b.logout().await;

    // 机构管理员在“隐患排查”中点击“复查”,选择“通过”。
    b.login("hz_admin", PASSWORD).await;
    b.open_menu("隐患排查").await;
    b.click_in_row("待复查", "复查").await;
    b.wait_xpath("//h3[normalize-space()='隐患复查']").await;
    assert_eq!(b.path().await, hazard);
    b.find_css("input[name=result][value=pass]")
        .await
        .click()
        .await
        .unwrap();
    b.fill("#opinion", "通道已畅通").await;
    b.press("确定").await;
    b.wait_flash("操作成功,已保存").await;
    b.wait_hazard_state("已销号").await;

    // 台账中该隐患显示“已销号”。
    b.open_menu("隐患排查").await;
    b.see_row("已销号").await;
    b.wait_cell("已销号", ENTERPRISE).await;

    b.close().await;
}

/// 排查记录 → 整改通知书: the printable notice opens with its title.
async fn the_rectification_notice_opens_from_the_inspection(app: TestApp, b: Browser) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let deadline = day(&app, 15);
    new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防通道堆放杂物", "general", &deadline),
    )
    .await;

    b.login("hz_staff", PASSWORD).await;
    b.visit(&record).await;
    b.wait_title("隐患排查记录").await;
    b.click_link("整改通知书").await;
    b.wait_title("隐患整改通知书").await;
    assert_eq!(b.title().await, format!("隐患整改通知书 · {ENTERPRISE}"));
    let heading = b.wait_css("article.sheet h1").await.text().await.unwrap();
    assert_eq!(heading.trim(), "安全生产事故隐患整改通知书");
    b.find_css("link[rel=stylesheet][href='/static/print.css']")
        .await;
    b.find_css("button[data-print]").await;
    b.wait_xpath(&format!(
        "//table[contains(@class,'notice-table')]//td[normalize-space()={}]",
        lit(&deadline)
    ))
    .await;

    b.close().await;
}

/// The insured enterprise's user finds its hazard, rectifies it with a photo and signs for the
/// notice; the agency's admin then passes the review.
async fn the_enterprise_rectifies_and_signs_and_the_agency_passes_the_review(
    app: TestApp,
    b: Browser,
) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let deadline = day(&app, 15);
    new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("配电箱未接地", "general", &deadline),
    )
    .await;
    app.seed_enterprise_account(&credit_code(ENTERPRISE), "qy_user")
        .await;

    // 企业用户登录,在“隐患排查”中看到本企业的隐患,点击“整改”。
    b.login("qy_user", PASSWORD).await;
    b.open_menu("隐患排查").await;
    b.click_in_row("配电箱未接地", "整改").await;
    b.wait_hazard_state("待整改").await;
    b.fill("#rectify_note", "已加装接地线并检测合格").await;
    let after = photo_file("enterprise-after.png");
    b.find_css("input#f_after")
        .await
        .send_keys(after.to_str().unwrap())
        .await
        .unwrap();
    b.press("确定").await;
    b.wait_flash("操作成功,已保存").await;
    b.wait_hazard_state("待复查").await;
    b.wait_xpath("//ul[@class='timeline']//div[contains(., '企业自行整改')]")
        .await;

    // 打开整改通知书,点击“签收”并确认。
    b.visit(&format!("{record}/notice")).await;
    b.wait_title("隐患整改通知书").await;
    b.press("签收").await;
    b.wait_css("dialog#confirm-dialog[open]").await;
    b.find_css("#confirm-ok").await.click().await.unwrap();
    b.wait_xpath("//span[contains(@class,'tag')][normalize-space()='已签收']")
        .await;
    b.wait_xpath("//p[contains(., 'qy_user的姓名(企业账号签收)')]")
        .await;
    b.visit("/").await;
    b.logout().await;

    // 服务机构管理员复查通过,隐患销号。
    b.login("hz_admin", PASSWORD).await;
    b.open_menu("隐患排查").await;
    b.click_in_row("待复查", "复查").await;
    b.wait_xpath("//h3[normalize-space()='隐患复查']").await;
    b.find_css("input[name=result][value=pass]")
        .await
        .click()
        .await
        .unwrap();
    b.press("确定").await;
    b.wait_flash("操作成功,已保存").await;
    b.wait_hazard_state("已销号").await;

    b.close().await;
}

/// A PNG on disk for the file inputs; the directory lives as long as the test process.
pub(crate) fn photo_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("anze-browser-photos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, crate::helpers::png()).unwrap();
    path
}

impl Browser {
    /// The number on the bell in the top bar; `None` without a badge.
    async fn bell(&self) -> Option<String> {
        let badges = self
            .client
            .find_all(Locator::Css("a#bell span.badge"))
            .await
            .unwrap();
        match badges.first() {
            Some(b) => Some(b.text().await.unwrap().trim().to_string()),
            None => None,
        }
    }
}

/// 消息通知: the agency's bell counts the order the insurer designates; opening the
/// notification goes to the order and the count drops.
async fn the_bell_counts_a_new_designation(app: TestApp, b: Browser) {
    app.seed_org("insurer", INSURER, "br_ins").await;
    app.seed_org("agency", AGENCY_A, "br_ag").await;
    let code = app.seed_enterprise("br_ins", ENTERPRISE_1, "350503").await;
    app.seed_policy("br_ins", &code, POLICY_1).await;

    b.login("br_ag", PASSWORD).await;
    assert_eq!(b.bell().await, None, "nothing to tell yet");
    b.logout().await;

    b.login("br_ins", PASSWORD).await;
    b.designate(POLICY_1, AGENCY_A).await;
    b.logout().await;

    // 服务机构登录:铃铛上有 1 条未读;点开消息列表,“查看”打开订单。
    b.login("br_ag", PASSWORD).await;
    assert_eq!(b.bell().await.as_deref(), Some("1"));
    b.find_css("a#bell").await.click().await.unwrap();
    b.wait_title("消息通知").await;
    b.wait_xpath("//td[contains(., '新订单待受理')]").await;
    // On a phone the list and the bell fit the screen's width.
    b.client.set_window_size(390, 844).await.unwrap();
    b.fits("the list").await;
    assert!(b.find_css("a#bell").await.is_displayed().await.unwrap());
    b.press("查看").await;
    b.wait_xpath("/html/head/title[starts-with(normalize-space(.), '服务订单 ')]")
        .await;
    assert_eq!(b.bell().await, None, "read once opened");
}
