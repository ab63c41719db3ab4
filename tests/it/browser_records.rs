//! Browser tests of the six service-record types (issue 4; seed §4.1.2, §4.1.3, §4.1.5–§4.1.8):
//! the agency's 服务人员 opens 服务订单, follows the item's link on the accepted order's row,
//! clicks 新增, fills the type's form, uploads a site photo (and, for 风险识别, the 评估报告 PDF)
//! through the file inputs, then finds the record on the order's list and under the item's entry
//! of the left menu; the photo opens in the image viewer of `static/app.js`.
//!
//! Like `browser.rs`, they run only when `ANZE_TEST_BROWSER=1` and reuse its browser driver.
//! Every step waits (bounded) for what the page must show; nothing sleeps for a fixed time.

use crate::browser::{Browser, WAIT, lit};
use crate::helpers::{PASSWORD, TestApp};
use anze_core::ids::OrderId;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

crate::browser_tests!(agency_records_each_service_type_with_a_photo_in_the_browser,);

const INSURER: &str = "浏览器记录财产保险泉州分公司";
const AGENCY: &str = "浏览器记录安全技术";
const ENTERPRISE: &str = "泉州浏览器记录化工有限公司";
const POLICY: &str = "BRW-REC-001";
const STAFF: &str = "rec_staff";
/// How record pages, lists and the record form's check boxes name the staff member: 姓名(账号).
const STAFF_NAME: &str = "rec_staff的姓名(rec_staff)";
/// `helpers::png()` is this wide; the viewer shows the original, not the thumbnail.
const PHOTO_WIDTH: i64 = 64;

/// One step of filling a type's own fields (`crates/core/src/<type>.rs`).
enum Step {
    /// Types into the field `#d_<name>` (text, number or textarea).
    Fill(&'static str, &'static str),
    /// Picks the option reading exactly this text of `<select id="d_<name>">`.
    Choose(&'static str, &'static str),
    /// Ticks the check box `<input name="<name>" value="<value>">`.
    Tick(&'static str, &'static str),
}

/// A record type and what the user enters for it.
struct Case {
    code: &'static str,
    label: &'static str,
    /// 服务地点; it tells the record's row apart on the order's list.
    location: &'static str,
    steps: Vec<Step>,
    summary: &'static str,
    /// How the type's own list columns show what was entered; the record page shows them too.
    shows: Vec<&'static str>,
    /// A document field the type requires, with its section title and the file name to upload.
    document: Option<(&'static str, &'static str, &'static str)>,
}

fn cases() -> Vec<Case> {
    use Step::{Choose, Fill, Tick};
    vec![
        Case {
            code: "training",
            label: "安全培训",
            location: "企业三楼会议室",
            steps: vec![
                Fill("topic", "危险化学品安全管理培训"),
                Tick("audience", "manager"),
                Tick("audience", "worker"),
                Choose("mode", "线下"),
                Fill("hours", "2.5"),
                Fill("participants", "45"),
                Fill("trainer", "张工"),
            ],
            summary: "讲解危化品储存与应急处置要求,现场答疑。",
            shows: vec![
                "危险化学品安全管理培训",
                "安全管理人员、从业人员",
                "2.5 学时",
                "45",
            ],
            document: None,
        },
        Case {
            code: "risk",
            label: "风险识别",
            location: "储罐区及装卸区",
            steps: vec![
                Fill("scope", "储罐区、装卸区、配电房"),
                Choose("method", "作业条件危险性分析法(LEC)"),
                Fill("major", "1"),
                Fill("high", "2"),
                Fill("general", "5"),
                Fill("low", "9"),
            ],
            summary: "对储罐区、装卸区和配电房开展风险辨识与评估。",
            shows: vec!["作业条件危险性分析法(LEC)", "1", "2", "5", "9"],
            document: Some(("report", "评估报告", "评估报告.pdf")),
        },
        Case {
            code: "standardization",
            label: "标准化建设",
            location: "企业办公楼",
            steps: vec![
                Choose("grade", "三级"),
                Fill("conform", "120"),
                Fill("nonconform", "8"),
            ],
            summary: "指导企业按三级标准开展自评。",
            shows: vec!["三级", "120", "8"],
            document: None,
        },
        Case {
            code: "emergency",
            label: "应急预案编制和演练",
            location: "厂区东侧空地",
            steps: vec![
                Choose("kind", "应急演练"),
                Choose("plan_kind", "专项应急预案"),
                Choose("drill_form", "实战演练"),
                Choose("drill_scope", "单项演练"),
                Fill("participants", "60"),
                Fill("evaluation", "疏散用时 4 分钟,组织有序"),
            ],
            summary: "组织危化品泄漏专项应急演练。",
            shows: vec!["应急演练", "专项应急预案", "实战演练", "60"],
            document: None,
        },
        Case {
            code: "promotion",
            label: "安全生产科技推广应用",
            location: "中控室",
            steps: vec![
                Fill("technology", "可燃气体报警联网系统"),
                Choose("way", "试点应用"),
                Fill("usage", "在储罐区试点安装 6 个探头"),
            ],
            summary: "推广可燃气体报警联网系统。",
            shows: vec!["可燃气体报警联网系统", "试点应用"],
            document: None,
        },
        Case {
            code: "other",
            label: "其他有关事故预防工作",
            location: "企业宣传栏",
            steps: vec![
                Fill("title", "安全文化宣传"),
                Fill("content", "张贴安全标语并开展安全月活动"),
            ],
            summary: "协助企业开展安全生产月宣传。",
            shows: vec!["安全文化宣传"],
            document: None,
        },
    ]
}

/// Insurer `rec_ins` designated agency `rec_admin` for a policy of `ENTERPRISE`; the agency
/// accepted and made `rec_staff` (服务人员) its 负责人员.
async fn accepted_order(app: &TestApp) -> OrderId {
    app.seed_org("insurer", INSURER, "rec_ins").await;
    let agency = app.seed_org("agency", AGENCY, "rec_admin").await;
    let staff = app.seed_account("rec_admin", STAFF, "服务人员").await;
    let code = app.seed_enterprise("rec_ins", ENTERPRISE, "350503").await;
    let policy = app.seed_policy("rec_ins", &code, POLICY).await;
    let order = app.seed_order("rec_ins", policy, agency).await;
    let admin = app.actor("rec_admin").await;
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
    order
}

/// 服务订单 → the item → 新增 → 确认 → the record, its photo in the viewer, the order's list and
/// the cross-order menu, for each record type but 事故排查 (its own test, with hazards) in one
/// browser session.
async fn agency_records_each_service_type_with_a_photo_in_the_browser(app: TestApp, b: Browser) {
    let order = accepted_order(&app).await;
    let dir = std::env::temp_dir().join(format!("anze-browser-records-{}", app.addr.port()));

    b.login(STAFF, PASSWORD).await;
    let cases = cases();
    let total = cases.len();
    let mut failures = Vec::new();
    for case in cases {
        let run = AssertUnwindSafe(record_one(&app, &b, order, &case, &dir))
            .catch_unwind()
            .await;
        if let Err(panic) = run {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failures.push(format!("{} ({}): {message}", case.label, case.code));
        }
    }

    let _ = std::fs::remove_dir_all(&dir);
    // Before `close`, so that the failing browser's chromedriver log is kept.
    assert!(
        failures.is_empty(),
        "{} of {total} record types failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    b.close().await;
}

/// The manual's flow for one record type.
async fn record_one(app: &TestApp, b: &Browser, order: OrderId, case: &Case, dir: &Path) {
    let label = case.label;
    let order_list = format!("/orders/{order}/{}", case.code);
    let today = anze_core::time::today(app.clock_now()).to_string();

    // 首页 → 服务订单;在已受理订单的行上点击该服务项目。
    b.visit("/").await;
    open_orders(b).await;
    b.wait_xpath(&format!(
        "{}//a[normalize-space()={}]",
        row(POLICY),
        lit(label)
    ))
    .await
    .click()
    .await
    .unwrap();
    b.wait_title(&format!("{label}记录")).await;
    assert_eq!(b.path().await, order_list);
    b.wait_xpath(&format!(
        "//div[contains(@class,'empty')][contains(normalize-space(.), {})]",
        lit(&format!("该订单还没有{label}记录"))
    ))
    .await;

    // 点击“新增”:服务日期默认今天,服务人员默认本人。
    b.wait_xpath("//div[contains(@class,'toolbar')]/a[normalize-space()='新增']")
        .await
        .click()
        .await
        .unwrap();
    b.wait_title(&format!("新增{label}记录")).await;
    assert_eq!(b.path().await, format!("{order_list}/new"));
    let date = b
        .find_css("#service_date")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        date.as_deref(),
        Some(today.as_str()),
        "服务日期 defaults to today"
    );
    let me = staff_box(b).await;
    assert!(
        me.is_selected().await.unwrap(),
        "服务人员 defaults to the user"
    );

    // 填写服务信息。
    b.fill("#location", case.location).await;
    b.fill("#enterprise_contact", "林主任").await;
    for step in &case.steps {
        match *step {
            Step::Fill(name, value) => b.fill(&format!("#d_{name}"), value).await,
            Step::Choose(name, text) => {
                b.find_xpath(&format!(
                    "//select[@id={}]/option[normalize-space()={}]",
                    lit(&format!("d_{name}")),
                    lit(text)
                ))
                .await
                .click()
                .await
                .unwrap();
            }
            Step::Tick(name, value) => {
                let check = b
                    .find_css(&format!(
                        "input[type=checkbox][name={name}][value='{value}']"
                    ))
                    .await;
                if !check.is_selected().await.unwrap() {
                    check.click().await.unwrap();
                }
            }
        }
    }
    b.fill("#summary", case.summary).await;

    // 通过文件选择框上传现场照片(风险识别还须上传评估报告)。
    let photo_name = format!("现场照片-{}.png", case.code);
    let photo = write_file(dir, &photo_name, &crate::helpers::png());
    b.find_css("input#f_photos")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    if let Some((field, _, name)) = case.document {
        let document = write_file(dir, name, &crate::helpers::pdf());
        b.find_css(&format!("input#f_{field}"))
            .await
            .send_keys(document.to_str().unwrap())
            .await
            .unwrap();
    }

    // 点击“确认”:提示新增成功,打开记录页。
    b.press("确认").await;
    b.wait_flash("操作成功,已新增").await;
    let record = b.path().await;
    assert!(
        record.starts_with("/records/"),
        "确认 should open the new record, not {record}\n{}",
        b.context().await
    );
    b.wait_title(&format!("{label}记录")).await;
    b.wait_xpath(&format!(
        "//h3[contains(@class,'section-title')][normalize-space()={}]",
        lit(&format!("{label} · {ENTERPRISE}"))
    ))
    .await;
    for value in [case.location, "林主任", STAFF_NAME, today.as_str()]
        .into_iter()
        .chain(case.shows.iter().copied())
    {
        b.wait_xpath(&format!(
            "//dl[contains(@class,'detail')]//dd[normalize-space()={}]",
            lit(value)
        ))
        .await;
    }
    b.wait_xpath(&format!(
        "//p[contains(@class,'wrap')][normalize-space()={}]",
        lit(case.summary)
    ))
    .await;
    if let Some((_, section, name)) = case.document {
        b.wait_xpath(&format!(
            "//h3[normalize-space()={}]/following-sibling::ul[1]\
             //li[contains(@class,'attachment-file')]/a[normalize-space()={}]",
            lit(section),
            lit(name)
        ))
        .await;
    }

    // 现场照片显示为缩略图。
    let thumb_css = "a[data-viewer='photos'] > img";
    let thumb = b.wait_css(thumb_css).await;
    let src = thumb.attr("src").await.unwrap().unwrap_or_default();
    assert!(
        src.starts_with("/attachments/") && src.ends_with("/thumb"),
        "the photo should show as its thumbnail, not {src}"
    );
    assert_eq!(
        thumb.attr("alt").await.unwrap().as_deref(),
        Some(photo_name.as_str())
    );
    let width = loaded_width(b, "the thumbnail", thumb_css).await;
    assert!(width > 0, "the thumbnail did not load");

    // 点击缩略图:图片查看器打开,显示原图。
    b.find_css("a[data-viewer='photos']")
        .await
        .click()
        .await
        .unwrap();
    b.wait_css("dialog.viewer[open]").await;
    let width = loaded_width(
        b,
        "the viewer's image",
        "dialog.viewer[open] img.viewer-image",
    )
    .await;
    assert_eq!(
        width, PHOTO_WIDTH,
        "the viewer should show the uploaded photo itself"
    );
    let caption = b
        .find_css("dialog.viewer .viewer-caption")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        caption.contains(&photo_name),
        "the viewer's caption should name the photo: {caption}"
    );
    assert_eq!(b.path().await, record, "the viewer opens in place");
    b.find_css("dialog.viewer button.viewer-close")
        .await
        .click()
        .await
        .unwrap();
    b.wait_css("dialog.viewer:not([open])").await;

    // 面包屑回到该订单的记录列表:记录在列。
    b.find_xpath(&format!(
        "//div[contains(@class,'breadcrumb')]/a[normalize-space()={}]",
        lit(label)
    ))
    .await
    .click()
    .await
    .unwrap();
    b.see_row(case.location).await;
    assert_eq!(b.path().await, order_list);
    for value in case
        .shows
        .iter()
        .copied()
        .chain([today.as_str(), STAFF_NAME])
    {
        b.wait_xpath(&format!(
            "{}/td[normalize-space()={}]",
            row(case.location),
            lit(value)
        ))
        .await;
    }
    // 服务人员 and 录入人 are both the staff member.
    b.wait_xpath(&format!(
        "{}[count(td[normalize-space()={}]) = 2]",
        row(case.location),
        lit(STAFF_NAME)
    ))
    .await;
    b.wait_xpath(
        "//span[contains(@class,'pager-total')][starts-with(normalize-space(.), '共 1 条')]",
    )
    .await;

    // 左侧菜单中的该服务项目:跨订单列表中有这条记录,点击“查看”打开它。
    b.open_menu(label).await;
    assert_eq!(b.path().await, format!("/services/{}", case.code));
    b.see_row(ENTERPRISE).await;
    for value in case
        .shows
        .iter()
        .copied()
        .chain([today.as_str(), AGENCY, INSURER, STAFF_NAME])
    {
        b.wait_xpath(&format!(
            "{}/td[normalize-space()={}]",
            row(ENTERPRISE),
            lit(value)
        ))
        .await;
    }
    b.find_xpath(&format!("{}//a[normalize-space()='查看']", row(ENTERPRISE)))
        .await
        .click()
        .await
        .unwrap();
    b.wait_title(&format!("{label}记录")).await;
    assert_eq!(b.path().await, record);
    b.wait_css(thumb_css).await;
}

/// The row of a table with a cell reading exactly `cell`.
fn row(cell: &str) -> String {
    format!("//table//tbody/tr[td[normalize-space()={}]]", lit(cell))
}

/// 服务订单 in the left menu (its label may carry a badge, so it is matched by prefix).
async fn open_orders(b: &Browser) {
    b.find_xpath(
        "//aside[@id='sidebar']//a[contains(@class,'nav-item')]\
         [starts-with(normalize-space(.), '服务订单')]",
    )
    .await
    .click()
    .await
    .unwrap();
    b.wait_title("服务订单").await;
}

/// The 服务人员 check box of the signed-in staff member on the record form.
async fn staff_box(b: &Browser) -> fantoccini::elements::Element {
    b.find_xpath(&format!(
        "//label[contains(@class,'check')][normalize-space()={}]/input[@name='staff_ids']",
        lit(STAFF_NAME)
    ))
    .await
}

/// Waits (bounded) until the image `css` has loaded, and returns its natural width.
async fn loaded_width(b: &Browser, what: &str, css: &str) -> i64 {
    let script = "var img = document.querySelector(arguments[0]);\
                  return img && img.complete ? img.naturalWidth : 0;";
    let started = Instant::now();
    loop {
        let width = b
            .client
            .execute(script, vec![serde_json::json!(css)])
            .await
            .unwrap()
            .as_i64()
            .unwrap_or(0);
        if width > 0 {
            return width;
        }
        if started.elapsed() > WAIT {
            panic!(
                "waited {WAIT:?} for {what} ({css}) to load: it has no width\n{}",
                b.context().await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes a file the browser can pick up.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
