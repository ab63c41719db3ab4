//! 隐患排查 (seed §4.3): an inspection finds hazards; each is rectified by the enterprise (recorded
//! by the agency), reviewed and closed (销号), or sent back for another round. Everything goes
//! through real HTTP, the way the user manual walks through it.

use anze_core::hazard::{Hazard, HazardState, HazardStore, StepKind};
use anze_core::ids::{AccountId, HazardId, OrderId, OrgId};
use chrono::Duration;
use reqwest::{Client, StatusCode};

use crate::helpers::{PASSWORD, TestApp, credit_code, csrf_token, location};

crate::backend_tests!(
    photos_are_required_and_checked_by_content,
    staff_record_a_hazard_and_the_admin_closes_it,
    a_failed_review_sends_the_hazard_back_for_another_round,
    immediate_rectification_starts_at_pending_review,
    moves_the_state_does_not_allow_are_refused_with_the_state,
    major_hazards_close_only_with_a_governance_plan,
    dates_and_opinions_are_checked,
    another_organizations_hazards_are_not_found,
    text_fields_are_shown_escaped,
    the_reviewer_must_belong_to_the_agency,
    a_reviewer_without_record_rights_can_name_a_reviewer,
    two_rectifications_at_once_only_one_wins,
    racing_reviews_and_rectifications_leave_one_consistent_history,
    hazards_become_overdue_with_the_clock_and_stop_when_closed,
    ledger_filters_and_counts,
    insurers_and_regulators_read_without_forms,
    regulators_read_major_and_overdue_hazards_first,
    order_page_shows_hazard_counts,
    rectification_notice_lists_the_hazards,
    the_loop_goes_on_after_the_order_is_completed,
    an_inspection_with_hazards_keeps_them_consistent,
    editing_an_inspection_keeps_the_discovery_date,
);

pub(crate) const ENTERPRISE: &str = "泉州恒达化工有限公司";
/// The second enterprise, in 鲤城区 (350502), outside the regulator's 丰泽区.
const ENTERPRISE_2: &str = "泉州鲤城纺织有限公司";

/// The agency, its two people and the order it accepted.
pub(crate) struct Agency {
    pub(crate) org: OrgId,
    pub(crate) order: OrderId,
    /// `hz_staff` (服务人员, 仅本人负责, assigned to the order).
    pub(crate) staff: String,
    /// `hz_admin` (管理员).
    pub(crate) admin: String,
}

/// Insurer `hz_ins` designated agency `hz_admin` for a policy of `ENTERPRISE` (丰泽区); the agency
/// accepted and assigned `hz_staff`.
pub(crate) async fn accepted_order(app: &TestApp) -> Agency {
    app.seed_org("insurer", "太保泉州分公司", "hz_ins").await;
    let org = app.seed_org("agency", "安泰安全技术", "hz_admin").await;
    let staff = app.seed_account("hz_admin", "hz_staff", "服务人员").await;
    let code = app.seed_enterprise("hz_ins", ENTERPRISE, "350503").await;
    let policy = app.seed_policy("hz_ins", &code, "CPIC-HZ-1").await;
    let order = app.seed_order("hz_ins", policy, org).await;
    accept_and_assign(app, "hz_admin", order, &[staff]).await;
    let admin = app.actor("hz_admin").await.account_id;
    Agency {
        org,
        order,
        staff: staff.to_string(),
        admin: admin.to_string(),
    }
}

/// A second accepted order of the same agency: insurer `hz_ins2` for `ENTERPRISE_2` in 鲤城区.
async fn second_order(app: &TestApp, a: &Agency) -> OrderId {
    app.seed_org("insurer", "平安泉州分公司", "hz_ins2").await;
    let code = app.seed_enterprise("hz_ins2", ENTERPRISE_2, "350502").await;
    let policy = app.seed_policy("hz_ins2", &code, "PA-HZ-2").await;
    let order = app.seed_order("hz_ins2", policy, a.org).await;
    let staff: AccountId = a.staff.parse().unwrap();
    accept_and_assign(app, "hz_admin", order, &[staff]).await;
    order
}

/// 同意服务 on `order` as agency account `by` (through the core), then makes `staff` its
/// 负责人员.
pub(crate) async fn accept_and_assign(
    app: &TestApp,
    by: &str,
    order: OrderId,
    staff: &[AccountId],
) {
    let actor = app.actor(by).await;
    anze_core::order::service::accept(&app.db, &actor, order, app.clock_now())
        .await
        .unwrap();
    let ids: Vec<String> = staff.iter().map(|s| s.to_string()).collect();
    anze_core::order::service::assign(&app.db, &actor, order, &ids, app.clock_now())
        .await
        .unwrap();
}

/// Like `TestApp::seed_org`, in the region `region_code` instead of 丰泽区.
pub(crate) async fn seed_org_in(
    app: &TestApp,
    kind: &str,
    name: &str,
    admin_username: &str,
    region_code: &str,
) -> OrgId {
    let actor = app.actor("admin").await;
    let form = anze_core::org::OrgForm {
        kind: kind.into(),
        name: name.into(),
        credit_code: credit_code(name),
        region_code: region_code.into(),
        address: "泉州市测试路 2 号".into(),
        contact_name: "测试联系人".into(),
        contact_phone: "13905950001".into(),
        admin_username: admin_username.into(),
        admin_name: format!("{name}管理员"),
        admin_password: PASSWORD.into(),
    };
    anze_core::org::service::create(&app.db, &actor, &form, app.clock_now())
        .await
        .unwrap()
}

/// A date relative to the application's today (China time), as the forms take it.
pub(crate) fn day(app: &TestApp, offset: i64) -> String {
    (anze_core::time::today(app.clock_now()) + Duration::days(offset)).to_string()
}

/// 事故排查 → 新增: records an inspection on `date`; returns its page (`/records/N`).
pub(crate) async fn inspect(
    app: &TestApp,
    client: &Client,
    order: OrderId,
    date: &str,
    staff: &str,
) -> String {
    let fields = [
        ("service_date", date),
        ("location", "储罐区及装卸区"),
        ("staff_ids", staff),
        ("enterprise_contact", "林主任"),
        ("summary", "对储罐区、装卸区和配电房开展综合检查。"),
        ("kind", "comprehensive"),
        ("scope", "储罐区、装卸区、配电房"),
    ];
    let res = app
        .post_multipart(
            client,
            &format!("/orders/{order}/hazard/new"),
            &format!("/orders/{order}/hazard"),
            &fields,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "inspection on {date}");
    let record = location(&res);
    assert!(record.starts_with("/records/"), "{record}");
    record
}

/// The fields of 新增隐患.
pub(crate) fn hazard_form<'a>(
    description: &'a str,
    level: &'a str,
    deadline: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("description", description),
        ("location", "二号仓库东侧通道"),
        ("category", "fire"),
        ("level", level),
        ("basis", "GB 50016-2014 第 5.5.17 条"),
        ("suggestion", "清理通道杂物,设置禁止堆放标识"),
        ("deadline", deadline),
        ("responsible", "仓库主管陈明"),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(k, _)| *k != key);
    fields.push((key, value));
    fields
}

/// Submits a multipart form from `page` the way the pages do (CSRF token in the query string).
/// The token belongs to the session, so when `page` is refused to this user (403/404) it is
/// taken from the home page instead.
async fn submit(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = app.get(client, page).await;
    let token = match csrf_token(&html) {
        Some(t) => t,
        None => token(app, client, "/").await,
    };
    send(app, client, &token, action, fields).await
}

pub(crate) async fn add_hazard(
    app: &TestApp,
    client: &Client,
    record: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    submit(
        app,
        client,
        &format!("{record}/hazards/new"),
        &format!("{record}/hazards"),
        fields,
    )
    .await
}

/// 新增隐患 that must succeed; returns the hazard's page (`/hazards/N`).
pub(crate) async fn new_hazard(
    app: &TestApp,
    client: &Client,
    record: &str,
    fields: &[(&str, &str)],
) -> String {
    let res = add_hazard(app, client, record, fields).await;
    let status = res.status();
    let to = location(&res);
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "新增隐患 refused: {}",
        res.text().await.unwrap_or_default()
    );
    assert!(to.starts_with("/hazards/"), "{to}");
    to
}

pub(crate) async fn rectify(
    app: &TestApp,
    client: &Client,
    hazard: &str,
    note: &str,
    on: &str,
) -> reqwest::Response {
    submit(
        app,
        client,
        hazard,
        &format!("{hazard}/rectify"),
        &[("rectify_note", note), ("rectified_on", on)],
    )
    .await
}

pub(crate) async fn review(
    app: &TestApp,
    client: &Client,
    hazard: &str,
    reviewer: &str,
    on: &str,
    result: &str,
    opinion: &str,
) -> reqwest::Response {
    submit(
        app,
        client,
        hazard,
        &format!("{hazard}/review"),
        &[
            ("reviewer_id", reviewer),
            ("reviewed_on", on),
            ("result", result),
            ("opinion", opinion),
        ],
    )
    .await
}

fn hazard_id(path: &str) -> HazardId {
    path.trim_start_matches("/hazards/").parse().unwrap()
}

/// The hazard as stored, with every step.
pub(crate) async fn stored(app: &TestApp, hazard: &str) -> Hazard {
    app.db.get_hazard(hazard_id(hazard)).await.unwrap().unwrap()
}

/// A number in the counts at the top of a page: `<span class="stat-num">N</span><span
/// class="muted">label</span>`.
fn stat(html: &str, label: &str) -> String {
    let marker = format!("</span><span class=\"muted\">{label}</span>");
    let end = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no count {label} on the page"));
    let start = html[..end].rfind('>').unwrap() + 1;
    html[start..end].to_string()
}

/// The ledger read from the tallies (no filter but state, level and 逾期) shows what a count
/// of the hazards shows (the same filters plus one the tallies do not key, selecting the same
/// hazards): the figures and the page.
async fn tallies_agree(app: &TestApp, client: &Client) {
    for asked in [
        "",
        "overdue=1",
        "level=major",
        "state=review",
        "state=rectify&overdue=1",
    ] {
        let (_, tallied) = app.get(client, &format!("/hazards?{asked}")).await;
        let (_, counted) = app
            .get(client, &format!("/hazards?{asked}&found_from=2000-01-01"))
            .await;
        for label in ["待整改", "待复查", "已销号", "逾期", "重大隐患", "整改率"]
        {
            assert_eq!(
                stat(&tallied, label),
                stat(&counted, label),
                "{asked}: {label}"
            );
        }
        assert_eq!(numbers(&tallied), numbers(&counted), "{asked}");
    }
}

/// The 隐患编号 a page lists, in order.
fn numbers(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(">YH") {
        let tail = &rest[i + 1..];
        let end = tail.find('<').unwrap();
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

/// The CSRF token a page carries, for requests sent side by side.
async fn token(app: &TestApp, client: &Client, page: &str) -> String {
    let (_, html) = app.get(client, page).await;
    csrf_token(&html).unwrap_or_else(|| panic!("no CSRF token on {page}"))
}

/// A multipart POST with a token fetched beforehand (nothing between the two racers). Like a
/// user, it attaches the photos the step asks for: 整改前照片 with a new hazard (and 整改后照片
/// with a 即查即改 one), 整改后照片 with a rectification.
async fn send(
    app: &TestApp,
    client: &Client,
    token: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let immediate = fields.iter().any(|(k, v)| *k == "immediate" && *v == "1");
    let mut photos: Vec<&str> = Vec::new();
    if action.ends_with("/hazards") {
        photos.push("before");
        if immediate {
            photos.push("after");
        }
    } else if action.ends_with("/rectify") {
        photos.push("after");
    }
    send_with(app, client, token, action, fields, &photos).await
}

/// A multipart POST with a photo in each of the named file fields.
async fn send_with(
    app: &TestApp,
    client: &Client,
    token: &str,
    action: &str,
    fields: &[(&str, &str)],
    photos: &[&str],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for field in photos {
        let part = if *field == "plan" {
            reqwest::multipart::Part::bytes(crate::helpers::pdf()).file_name("治理方案.pdf")
        } else {
            reqwest::multipart::Part::bytes(crate::helpers::png()).file_name(format!("{field}.png"))
        };
        form = form.part(field.to_string(), part);
    }
    client
        .post(app.url(&format!("{action}?_csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

const RECTIFY_FORM: &str = "<h3 class=\"form-section\">隐患整改</h3>";
const REVIEW_FORM: &str = "<h3 class=\"form-section\">隐患复查</h3>";
const OVERDUE_TAG: &str = "<span class=\"tag tag-danger\">逾期</span>";

// ---------------------------------------------------------------------------------------------
// The closed loop
// ---------------------------------------------------------------------------------------------

async fn staff_record_a_hazard_and_the_admin_closes_it(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);

    // 服务订单 → 事故排查 → 新增
    let (_, orders) = app.get(&staff, "/orders").await;
    assert!(orders.contains(&format!("/orders/{}/hazard\">事故排查", a.order)));
    let (status, list) = app
        .get(&staff, &format!("/orders/{}/hazard", a.order))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("/orders/{}/hazard/new\">新增", a.order)));
    let (status, form) = app
        .get(&staff, &format!("/orders/{}/hazard/new", a.order))
        .await;
    assert_eq!(status, StatusCode::OK);
    for label in [
        "排查日期",
        "排查地点",
        "排查人员",
        "企业陪同人员",
        "排查类型",
        "排查范围",
        "小结",
    ] {
        assert!(form.contains(label), "inspection form: {label}");
    }
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let (status, page) = app.get(&staff, &record).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("综合检查") && page.contains("储罐区、装卸区、配电房"));
    assert!(page.contains("隐患明细") && page.contains("本次排查尚未登记隐患"));
    assert!(page.contains(&format!("{record}/hazards/new\">新增隐患")));
    assert!(
        !page.contains("/notice\">整改通知书"),
        "no notice before any hazard"
    );

    // 新增隐患: the form, with 整改期限 suggested 30 days after the inspection.
    let (status, form) = app.get(&staff, &format!("{record}/hazards/new")).await;
    assert_eq!(status, StatusCode::OK);
    for label in [
        "隐患描述",
        "隐患位置",
        "隐患类别",
        "隐患等级",
        "判定依据",
        "整改建议",
        "整改期限",
        "整改责任人",
        "即查即改",
    ] {
        assert!(form.contains(label), "hazard form: {label}");
    }
    assert!(form.contains(&format!("value=\"{}\"", day(&app, 30))));
    let deadline = day(&app, 30);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防通道堆放杂物", "general", &deadline),
    )
    .await;
    let h = stored(&app, &hazard).await;
    let number = format!("YH{}{:06}", today.replace('-', ""), h.id.0);
    assert_eq!(h.hazard_no, number, "隐患编号 = YH + 发现日期 + 序号");
    assert_eq!(h.state, HazardState::PendingRectification);
    let (status, page) = app.get(&staff, &hazard).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        number.as_str(),
        "操作成功,已新增",
        "待整改",
        "第 1 轮",
        "消防通道堆放杂物",
        "二号仓库东侧通道",
        "消防安全",
        "一般隐患",
        "清理通道杂物,设置禁止堆放标识",
        "仓库主管陈明",
        deadline.as_str(),
        ENTERPRISE,
    ] {
        assert!(page.contains(text), "hazard page: {text}");
    }
    assert!(page.contains(RECTIFY_FORM), "staff rectify");
    assert!(!page.contains(REVIEW_FORM), "staff do not review");
    let (_, page) = app.get(&staff, &record).await;
    assert!(page.contains(&number) && page.contains("待整改"));
    assert!(page.contains(&format!("{record}/notice\">整改通知书")));

    // 整改
    let res = rectify(
        &app,
        &staff,
        &hazard,
        "已清理通道杂物并张贴禁止堆放标识",
        &today,
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), hazard);
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("待复查") && page.contains("操作成功,已保存"));
    assert!(page.contains(&format!("第 1 轮 · 整改 · {today}")));
    assert!(page.contains("已清理通道杂物并张贴禁止堆放标识"));
    assert!(!page.contains(RECTIFY_FORM) && !page.contains(REVIEW_FORM));
    // Service staff hold no 复查销号 right.
    let res = review(&app, &staff, &hazard, &a.staff, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // 复查 by the agency admin: 通过 closes the hazard.
    let admin = app.login("hz_admin", PASSWORD).await;
    let (_, page) = app.get(&admin, &hazard).await;
    assert!(page.contains(REVIEW_FORM));
    assert!(
        page.contains(&format!("<option value=\"{}\" selected>", a.admin)),
        "the reviewer defaults to the admin"
    );
    let res = review(
        &app,
        &admin,
        &hazard,
        &a.admin,
        &today,
        "pass",
        "通道已畅通",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&admin, &hazard).await;
    assert!(page.contains("已销号") && page.contains("复查通过"));
    assert!(page.contains("复查人:安泰安全技术管理员(hz_admin)"));
    assert!(page.contains("通道已畅通"));
    assert!(!page.contains(RECTIFY_FORM) && !page.contains(REVIEW_FORM));
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::Closed);
    assert!(h.closed_at.is_some());
    assert_eq!(h.steps.len(), 2);

    // The ledger shows it 已销号.
    let (status, ledger) = app.get(&staff, "/hazards").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&ledger), vec![number.clone()]);
    assert!(ledger.contains("已销号") && ledger.contains(ENTERPRISE));
    assert_eq!(stat(&ledger, "已销号"), "1");
    assert_eq!(stat(&ledger, "待整改"), "0");
    assert_eq!(stat(&ledger, "整改率"), "100.0%");
    let (_, closed) = app.get(&staff, "/hazards?state=closed").await;
    assert_eq!(numbers(&closed), vec![number.clone()]);
    let (_, open) = app.get(&staff, "/hazards?state=rectify").await;
    assert!(numbers(&open).is_empty());
    let (_, page) = app.get(&staff, &record).await;
    assert!(page.contains("已销号"));
}

async fn a_failed_review_sends_the_hazard_back_for_another_round(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let found = day(&app, -6);
    let record = inspect(&app, &staff, a.order, &found, &a.staff).await;
    let deadline = day(&app, 20);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("配电箱未可靠接地", "general", &deadline),
    )
    .await;
    let first = day(&app, -4);
    let res = rectify(&app, &staff, &hazard, "第一次整改:加装接地线", &first).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let reviewed = day(&app, -3);
    let res = review(
        &app,
        &admin,
        &hazard,
        &a.admin,
        &reviewed,
        "fail",
        "接地电阻实测 12Ω,仍不合格",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Back to 待整改 in round 2; round 1 is kept.
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::PendingRectification);
    assert_eq!(h.round, 2);
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("待整改") && page.contains("第 2 轮"));
    assert!(page.contains(&format!("第 1 轮 · 整改 · {first}")));
    assert!(page.contains("第一次整改:加装接地线"));
    assert!(page.contains(&format!("第 1 轮 · 复查 · {reviewed}")));
    assert!(page.contains("复查不通过") && page.contains("接地电阻实测 12Ω,仍不合格"));
    assert!(page.contains(RECTIFY_FORM), "round 2 is rectified again");
    let (_, ledger) = app.get(&staff, "/hazards").await;
    assert!(ledger.contains("第2轮"), "the ledger shows the round");
    assert_eq!(stat(&ledger, "待整改"), "1");
    tallies_agree(&app, &admin).await;

    // Round 2: rectified again and passed.
    let today = day(&app, 0);
    let res = rectify(&app, &staff, &hazard, "第二次整改:更换接地极", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(&app, &admin, &hazard, &a.admin, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::Closed);
    assert_eq!(h.round, 2);
    let steps: Vec<(i32, StepKind, Option<bool>)> = h
        .steps
        .iter()
        .map(|s| (s.round, s.kind, s.passed))
        .collect();
    assert_eq!(
        steps,
        vec![
            (1, StepKind::Rectification, None),
            (1, StepKind::Review, Some(false)),
            (2, StepKind::Rectification, None),
            (2, StepKind::Review, Some(true)),
        ]
    );
    tallies_agree(&app, &admin).await;
    let (_, page) = app.get(&staff, &hazard).await;
    let at = |text: &str| {
        page.find(text)
            .unwrap_or_else(|| panic!("hazard page: {text}"))
    };
    assert!(at("第一次整改") < at("仍不合格"));
    assert!(at("仍不合格") < at("第二次整改"));
    assert!(at("第二次整改") < at("复查通过"));
    assert!(page.contains("已销号"));
}

async fn immediate_rectification_starts_at_pending_review(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 7);
    let mut fields = hazard_form("灭火器压力不足", "general", &deadline);
    fields.extend([
        ("immediate", "1"),
        ("rectify_note", "现场更换灭火器 2 具"),
        ("rectified_on", today.as_str()),
    ]);
    let hazard = new_hazard(&app, &staff, &record, &fields).await;
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::PendingReview);
    assert_eq!(h.steps.len(), 1);
    assert_eq!(h.steps[0].kind, StepKind::Rectification);
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("待复查"));
    assert!(page.contains(&format!("第 1 轮 · 整改 · {today}")));
    assert!(page.contains("现场更换灭火器 2 具"));
    assert!(!page.contains(RECTIFY_FORM));
    let (_, ledger) = app.get(&staff, "/hazards?state=review").await;
    assert_eq!(numbers(&ledger), vec![h.hazard_no.clone()]);
    // Without 即查即改 the rectification fields are ignored.
    let mut fields = hazard_form("安全出口指示灯损坏", "general", &deadline);
    fields.extend([
        ("rectify_note", "不应记录"),
        ("rectified_on", today.as_str()),
    ]);
    let hazard = new_hazard(&app, &staff, &record, &fields).await;
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::PendingRectification);
    assert!(h.steps.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

async fn moves_the_state_does_not_allow_are_refused_with_the_state(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("叉车警示灯损坏", "general", &deadline),
    )
    .await;

    // Reviewing a hazard that is still 待整改.
    let res = review(&app, &admin, &hazard, &a.admin, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.contains("“待整改”"), "{body}");
    // Rectifying twice: the second finds it 待复查.
    let res = rectify(&app, &staff, &hazard, "已更换警示灯", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = rectify(&app, &staff, &hazard, "再次整改", &today).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("“待复查”"));
    // Closed: neither rectified nor reviewed again.
    let res = review(&app, &admin, &hazard, &a.admin, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = rectify(&app, &staff, &hazard, "销号后整改", &today).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.contains("“已销号”"), "{body}");
    assert!(!body.contains("销号后整改"));
    let res = review(&app, &admin, &hazard, &a.admin, &today, "fail", "重新复查").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("“已销号”"));
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::Closed);
    assert_eq!(h.steps.len(), 2, "refused moves leave no step behind");
    // Unknown hazards and malformed ids.
    for path in ["/hazards/999999", "/hazards/abc"] {
        assert_eq!(
            app.get(&staff, path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let res = rectify(&app, &staff, "/hazards/999999", "x", &today).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn major_hazards_close_only_with_a_governance_plan(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 60);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("液氨储罐区可燃气体报警器失效", "major", &deadline),
    )
    .await;
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("重大隐患"));
    let res = rectify(&app, &staff, &hazard, "更换报警探头并联网", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // 通过 is refused until a 治理方案 is on file.
    let res = review(&app, &admin, &hazard, &a.admin, &today, "pass", "报警正常").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.contains("治理方案"), "{body}");
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::PendingReview);
    assert_eq!(h.steps.len(), 1);
    // 不通过 is still possible.
    let res = review(
        &app,
        &admin,
        &hazard,
        &a.admin,
        &today,
        "fail",
        "请先编制治理方案",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let h = stored(&app, &hazard).await;
    assert_eq!((h.state, h.round), (HazardState::PendingRectification, 2));
    // The second rectification brings the 治理方案; now the hazard can be closed.
    let t = token(&app, &staff, &hazard).await;
    let res = send_with(
        &app,
        &staff,
        &t,
        &format!("{hazard}/rectify"),
        &[
            ("rectify_note", "编制治理方案并落实"),
            ("rectified_on", today.as_str()),
        ],
        &["after", "plan"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains("治理方案.pdf") && page.contains("第 2 轮整改后照片"));
    let res = review(&app, &admin, &hazard, &a.admin, &today, "pass", "治理到位").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, &hazard).await.state, HazardState::Closed);
}

async fn photos_are_required_and_checked_by_content(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let fields = hazard_form("灭火器过期", "general", &deadline);
    let t = token(&app, &staff, &format!("{record}/hazards/new")).await;
    let res = send_with(&app, &staff, &t, &format!("{record}/hazards"), &fields, &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请上传整改前照片"));
    // A PDF in the photo field is refused by its content, whatever its name.
    let form = reqwest::multipart::Form::new().part(
        "before",
        reqwest::multipart::Part::bytes(crate::helpers::pdf()).file_name("隐患.jpg"),
    );
    let form = fields
        .iter()
        .fold(form, |f, (k, v)| f.text(k.to_string(), v.to_string()));
    let res = staff
        .post(app.url(&format!("{record}/hazards?_csrf={t}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("灭火器过期", "general", &deadline),
    )
    .await;
    let t = token(&app, &staff, &hazard).await;
    let res = send_with(
        &app,
        &staff,
        &t,
        &format!("{hazard}/rectify"),
        &[("rectify_note", "已更换"), ("rectified_on", today.as_str())],
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请上传整改后照片"));
    assert_eq!(
        stored(&app, &hazard).await.state,
        HazardState::PendingRectification
    );
}

async fn dates_and_opinions_are_checked(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let found = day(&app, -5);
    let record = inspect(&app, &staff, a.order, &found, &a.staff).await;

    // Nothing filled in: every required field says so, nothing is stored.
    let res = add_hazard(&app, &staff, &record, &[("immediate", "1")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for message in [
        "请填写隐患描述",
        "请填写隐患位置",
        "请选择隐患类别",
        "请选择隐患等级",
        "请填写整改建议",
        "请填写整改期限",
        "请填写整改责任人",
        "请填写整改说明",
        "请填写整改完成日期",
    ] {
        assert!(html.contains(message), "{message}");
    }
    // 整改期限 before the discovery.
    let before = day(&app, -6);
    let res = add_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防水带老化", "general", &before),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("整改期限不能早于隐患发现日期 {found}")));
    assert!(html.contains("消防水带老化"), "typed values are kept");
    // Unknown choices and a bad date.
    let deadline = day(&app, 10);
    let fields = hazard_form("消防水带老化", "critical", &deadline);
    let fields = with(fields, "category", "weather");
    let fields = with(fields, "deadline", "2026/13/01");
    let res = add_hazard(&app, &staff, &record, &fields).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("请选择隐患类别") && html.contains("请选择隐患等级"));
    assert!(html.contains("整改期限日期格式应为 YYYY-MM-DD"));
    // 即查即改 dated before the discovery or in the future.
    for (on, message) in [
        (
            before.clone(),
            format!("整改完成日期不能早于隐患发现日期 {found}"),
        ),
        (day(&app, 1), "整改完成日期不能晚于今天".to_string()),
    ] {
        let mut fields = hazard_form("消防水带老化", "general", &deadline);
        fields.extend([
            ("immediate", "1"),
            ("rectify_note", "已更换"),
            ("rectified_on", on.as_str()),
        ]);
        let res = add_hazard(&app, &staff, &record, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{on}");
        assert!(res.text().await.unwrap().contains(&message), "{message}");
    }
    // Too late a deadline, too long a description.
    let far = day(&app, -5 + 366 * 2 + 1);
    let res = add_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防水带老化", "general", &far),
    )
    .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("整改期限不能超过发现后两年")
    );
    let long = "隐".repeat(2001);
    let res = add_hazard(
        &app,
        &staff,
        &record,
        &hazard_form(&long, "general", &deadline),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("隐患描述不能超过 2000 个字符(当前 2001 个)")
    );
    let (_, ledger) = app.get(&staff, "/hazards").await;
    assert!(numbers(&ledger).is_empty(), "nothing was stored");

    // 整改 dated before the discovery, in the future, or malformed.
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防水带老化", "general", &deadline),
    )
    .await;
    for (on, message) in [
        (
            before.clone(),
            format!("整改完成日期不能早于隐患发现日期 {found}"),
        ),
        (day(&app, 1), "整改完成日期不能晚于今天".to_string()),
        (
            "2026-02-30".to_string(),
            "整改完成日期日期格式应为 YYYY-MM-DD".to_string(),
        ),
    ] {
        let res = rectify(&app, &staff, &hazard, "更换新水带", &on).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{on}");
        let html = res.text().await.unwrap();
        assert!(html.contains(&message), "{on}: {message}");
        assert!(html.contains("更换新水带"), "the note is kept");
    }
    let res = rectify(&app, &staff, &hazard, "", &found).await;
    assert!(res.text().await.unwrap().contains("请填写整改说明"));
    assert_eq!(
        stored(&app, &hazard).await.state,
        HazardState::PendingRectification
    );

    // 复查 dated before the rectification; a failed review without opinion; no conclusion.
    let rectified = day(&app, -2);
    let res = rectify(&app, &staff, &hazard, "更换新水带", &rectified).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(&app, &admin, &hazard, &a.admin, &day(&app, -3), "pass", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(&format!("复查日期不能早于整改完成日期 {rectified}"))
    );
    let res = review(&app, &admin, &hazard, &a.admin, &day(&app, 1), "pass", "").await;
    assert!(res.text().await.unwrap().contains("复查日期不能晚于今天"));
    let today = day(&app, 0);
    let res = review(&app, &admin, &hazard, &a.admin, &today, "fail", "  ").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("请填写复查意见"), "a failed review says why");
    assert!(html.contains(REVIEW_FORM), "the review form is shown again");
    let res = review(&app, &admin, &hazard, &a.admin, &today, "", "").await;
    assert!(res.text().await.unwrap().contains("请选择复查结论"));
    let res = review(&app, &admin, &hazard, &a.admin, "", "pass", "").await;
    assert!(res.text().await.unwrap().contains("请填写复查日期"));
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::PendingReview);
    assert_eq!(h.steps.len(), 1, "refused reviews leave no step");
    // Same day as the rectification is fine.
    let res = review(&app, &admin, &hazard, &a.admin, &rectified, "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn another_organizations_hazards_are_not_found(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let secret = "储罐区静电接地线断裂";
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form(secret, "general", &deadline),
    )
    .await;
    let number = stored(&app, &hazard).await.hazard_no;
    // Another agency's admin (every right, other organization).
    app.seed_org("agency", "闽南安全咨询", "hz_other").await;
    let other = app.login("hz_other", PASSWORD).await;
    let other_id = app.actor("hz_other").await.account_id.to_string();
    for path in [
        hazard.clone(),
        format!("{record}/hazards/new"),
        format!("{record}/notice"),
        record.clone(),
    ] {
        let (status, html) = app.get(&other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains(secret) && !html.contains(&number), "{path}");
    }
    let res = rectify(&app, &other, &hazard, "越权整改", &today).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains(secret));
    let res = add_hazard(
        &app,
        &other,
        &record,
        &hazard_form("越权新增", "general", &deadline),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Move it to 待复查 so that only the organization stands between the intruder and 销号.
    let res = rectify(&app, &staff, &hazard, "已重新连接接地线", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(&app, &other, &hazard, &other_id, &today, "pass", "越权复查").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, ledger) = app.get(&other, "/hazards").await;
    assert!(numbers(&ledger).is_empty() && !ledger.contains(secret));
    assert_eq!(stat(&ledger, "待复查"), "0");
    let h = stored(&app, &hazard).await;
    assert_eq!(h.state, HazardState::PendingReview);
    assert_eq!(h.steps.len(), 1);
    // A colleague limited to 仅本人负责 and not assigned to the order sees nothing either.
    app.seed_account("hz_admin", "hz_staff2", "服务人员").await;
    let colleague = app.login("hz_staff2", PASSWORD).await;
    assert_eq!(app.get(&colleague, &hazard).await.0, StatusCode::NOT_FOUND);
    let (_, ledger) = app.get(&colleague, "/hazards").await;
    assert!(numbers(&ledger).is_empty());
    let res = rectify(&app, &colleague, &hazard, "越权整改", &today).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn text_fields_are_shown_escaped(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let script = "<script>alert(1)</script>";
    let image = "<img src=x onerror=alert(2)>";
    let fields = hazard_form(script, "general", &deadline);
    let fields = with(fields, "location", image);
    let fields = with(fields, "suggestion", "\"><b>加粗</b>");
    let fields = with(fields, "responsible", "<i>负责人</i>");
    let fields = with(fields, "basis", "<u>依据</u>");
    let hazard = new_hazard(&app, &staff, &record, &fields).await;
    let res = rectify(&app, &staff, &hazard, "<svg onload=alert(3)>", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(
        &app,
        &admin,
        &hazard,
        &a.admin,
        &today,
        "fail",
        "<iframe src=//x>",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let raw = [
        "<script>alert(1)",
        "<img src=x",
        "<b>加粗",
        "<i>负责人",
        "<u>依据",
        "<svg onload",
        "<iframe",
    ];
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(page.contains("&#60;img src=x onerror=alert(2)&#62;"));
    assert!(page.contains("&#60;svg onload=alert(3)&#62;"));
    assert!(page.contains("&#60;iframe src=//x&#62;"));
    for path in [
        hazard.clone(),
        "/hazards".to_string(),
        record.clone(),
        format!("{record}/notice"),
    ] {
        let (status, html) = app.get(&staff, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("&#60;script&#62;"), "{path} shows the text");
        for r in raw {
            assert!(!html.contains(r), "{path} must not contain {r}");
        }
    }
    // A typed-back form (422) escapes too.
    let fields = hazard_form(script, "general", "");
    let res = add_hazard(&app, &staff, &record, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("&#60;script&#62;") && !html.contains(script));
}

async fn the_reviewer_must_belong_to_the_agency(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("安全警示标志缺失", "general", &deadline),
    )
    .await;
    let res = rectify(&app, &staff, &hazard, "已补设警示标志", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.seed_org("agency", "闽南安全咨询", "hz_other").await;
    let foreign = app.actor("hz_other").await.account_id.to_string();
    app.seed_org("insurer", "人寿泉州分公司", "hz_ins3").await;
    let insurer_person = app.actor("hz_ins3").await.account_id.to_string();
    for (reviewer, message) in [
        (foreign.as_str(), "复查人须为本机构启用的账号"),
        (insurer_person.as_str(), "复查人须为本机构启用的账号"),
        ("999999", "复查人须为本机构启用的账号"),
        ("abc", "请选择复查人"),
        ("", "请选择复查人"),
    ] {
        let res = review(&app, &admin, &hazard, reviewer, &today, "pass", "").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{reviewer}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{reviewer}: {message}");
    }
    let (_, page) = app.get(&admin, &hazard).await;
    assert!(
        !page.contains(&format!("<option value=\"{foreign}\"")),
        "only the agency's people are offered"
    );
    assert_eq!(
        stored(&app, &hazard).await.state,
        HazardState::PendingReview
    );
    // A colleague of the agency may be named.
    let res = review(&app, &admin, &hazard, &a.staff, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let h = stored(&app, &hazard).await;
    assert_eq!(
        h.steps[1].reviewer.as_deref(),
        Some("hz_staff的姓名(hz_staff)")
    );
}

/// An agency role made for reviewing only (查看订单, 查看隐患, 复查销号) must still be able to
/// use the 复查 form: its 复查人 list offers at least the reviewer.
async fn a_reviewer_without_record_rights_can_name_a_reviewer(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防栓被遮挡", "general", &deadline),
    )
    .await;
    let res = rectify(&app, &staff, &hazard, "移除遮挡物", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let admin = app.actor("hz_admin").await;
    let form = anze_core::role::RoleForm {
        org_id: String::new(),
        name: "复查员".into(),
        data_scope: "organization".into(),
        permissions: vec![
            "order:view".into(),
            "hazard:view".into(),
            "hazard:review".into(),
        ],
    };
    anze_core::role::service::create(&app.db, &admin, &form, app.clock_now())
        .await
        .unwrap();
    let reviewer_id = app.seed_account("hz_admin", "hz_reviewer", "复查员").await;
    let reviewer = app.login("hz_reviewer", PASSWORD).await;
    let (status, page) = app.get(&reviewer, &hazard).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(REVIEW_FORM), "the reviewer may review");
    assert!(!page.contains(RECTIFY_FORM));
    assert!(
        page.contains(&format!("<option value=\"{reviewer_id}\"")),
        "the 复查人 list of a reviewer without 服务记录 rights is empty, so the form cannot be \
         submitted from the page"
    );
    let res = review(
        &app,
        &reviewer,
        &hazard,
        &reviewer_id.to_string(),
        &today,
        "pass",
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

async fn two_rectifications_at_once_only_one_wins(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    for n in 0..3 {
        let description = format!("第 {n} 处配电柜前堆放杂物");
        let hazard = new_hazard(
            &app,
            &staff,
            &record,
            &hazard_form(&description, "general", &deadline),
        )
        .await;
        let action = format!("{hazard}/rectify");
        let t1 = token(&app, &staff, &hazard).await;
        let t2 = token(&app, &admin, &hazard).await;
        let f1 = [
            ("rectify_note", "甲:已清理"),
            ("rectified_on", today.as_str()),
        ];
        let f2 = [
            ("rectify_note", "乙:已清理"),
            ("rectified_on", today.as_str()),
        ];
        let (r1, r2) = tokio::join!(
            send(&app, &staff, &t1, &action, &f1),
            send(&app, &admin, &t2, &action, &f2),
        );
        let (s1, s2) = (r1.status(), r2.status());
        let (b1, b2) = (r1.text().await.unwrap(), r2.text().await.unwrap());
        let mut statuses = [s1.as_u16(), s2.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "round {n}: {b1} / {b2}");
        let loser = if s1 == StatusCode::CONFLICT { &b1 } else { &b2 };
        assert!(
            loser.contains("“待复查”"),
            "the loser sees the state: {loser}"
        );
        let h = stored(&app, &hazard).await;
        assert_eq!(h.state, HazardState::PendingReview);
        assert_eq!(h.steps.len(), 1, "exactly one rectification is recorded");
        let winner = if s1 == StatusCode::SEE_OTHER {
            "甲:已清理"
        } else {
            "乙:已清理"
        };
        assert_eq!(h.steps[0].note, winner);
    }
}

async fn racing_reviews_and_rectifications_leave_one_consistent_history(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    app.seed_account("hz_admin", "hz_admin2", "管理员").await;
    let admin2 = app.login("hz_admin2", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);

    // Two reviewers at once, one passing and one failing: one conclusion only.
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("危化品仓库通风不良", "general", &deadline),
    )
    .await;
    let res = rectify(&app, &staff, &hazard, "加装防爆排风扇", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let action = format!("{hazard}/review");
    let t1 = token(&app, &admin, &hazard).await;
    let t2 = token(&app, &admin2, &hazard).await;
    let pass = [
        ("reviewer_id", a.admin.as_str()),
        ("reviewed_on", today.as_str()),
        ("result", "pass"),
        ("opinion", ""),
    ];
    let fail = [
        ("reviewer_id", a.admin.as_str()),
        ("reviewed_on", today.as_str()),
        ("result", "fail"),
        ("opinion", "风量不足"),
    ];
    let (r1, r2) = tokio::join!(
        send(&app, &admin, &t1, &action, &pass),
        send(&app, &admin2, &t2, &action, &fail),
    );
    let (s1, s2) = (r1.status(), r2.status());
    let (b1, b2) = (r1.text().await.unwrap(), r2.text().await.unwrap());
    let mut statuses = [s1.as_u16(), s2.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "{b1} / {b2}");
    let h = stored(&app, &hazard).await;
    let reviews: Vec<_> = h
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Review)
        .collect();
    assert_eq!(reviews.len(), 1, "one review is recorded");
    if s1 == StatusCode::SEE_OTHER {
        assert_eq!((h.state, h.round), (HazardState::Closed, 1));
        assert!(b2.contains("“已销号”"), "{b2}");
    } else {
        assert_eq!((h.state, h.round), (HazardState::PendingRectification, 2));
        assert!(b1.contains("“待整改”"), "{b1}");
    }

    // A failed review and a rectification at once: the review always lands (the hazard is
    // 待复查); the rectification either finds it still 待复查 (409) or rectifies round 2.
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("动火作业未办票", "general", &deadline),
    )
    .await;
    let res = rectify(&app, &staff, &hazard, "补办动火作业票", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let t1 = token(&app, &admin, &hazard).await;
    let t2 = token(&app, &staff, &hazard).await;
    let fail = [
        ("reviewer_id", a.admin.as_str()),
        ("reviewed_on", today.as_str()),
        ("result", "fail"),
        ("opinion", "作业票未签字"),
    ];
    let again = [
        ("rectify_note", "抢先整改"),
        ("rectified_on", today.as_str()),
    ];
    let (review_at, rectify_at) = (format!("{hazard}/review"), format!("{hazard}/rectify"));
    let (review_res, rectify_res) = tokio::join!(
        send(&app, &admin, &t1, &review_at, &fail),
        send(&app, &staff, &t2, &rectify_at, &again),
    );
    assert_eq!(review_res.status(), StatusCode::SEE_OTHER);
    let h = stored(&app, &hazard).await;
    let steps: Vec<(i32, StepKind)> = h.steps.iter().map(|s| (s.round, s.kind)).collect();
    match rectify_res.status() {
        StatusCode::CONFLICT => {
            assert!(rectify_res.text().await.unwrap().contains("“待复查”"));
            assert_eq!((h.state, h.round), (HazardState::PendingRectification, 2));
            assert_eq!(
                steps,
                vec![(1, StepKind::Rectification), (1, StepKind::Review)]
            );
        }
        StatusCode::SEE_OTHER => {
            assert_eq!((h.state, h.round), (HazardState::PendingReview, 2));
            assert_eq!(
                steps,
                vec![
                    (1, StepKind::Rectification),
                    (1, StepKind::Review),
                    (2, StepKind::Rectification)
                ]
            );
        }
        other => panic!(
            "rectification answered {other}: {}",
            rectify_res.text().await.unwrap()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Overdue, ledger, views
// ---------------------------------------------------------------------------------------------

async fn hazards_become_overdue_with_the_clock_and_stop_when_closed(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let found = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &found, &a.staff).await;
    let short = day(&app, 5);
    let long = day(&app, 30);
    let late = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("压力表超期未检", "general", &short),
    )
    .await;
    let in_time = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("劳保用品发放台账缺失", "general", &long),
    )
    .await;
    let late_no = stored(&app, &late).await.hazard_no;
    let (_, ledger) = app.get(&staff, "/hazards?overdue=1").await;
    assert!(numbers(&ledger).is_empty());
    assert_eq!(stat(&ledger, "逾期"), "0");

    // On the deadline itself it is not overdue yet. (Sessions idle out meanwhile.)
    app.clock.advance(Duration::days(5));
    let staff = app.login("hz_staff", PASSWORD).await;
    assert_eq!(day(&app, 0), short);
    let (_, overdue) = app.get(&staff, "/hazards?overdue=1").await;
    assert!(numbers(&overdue).is_empty(), "due today is not overdue");
    let (_, page) = app.get(&staff, &late).await;
    assert!(!page.contains(OVERDUE_TAG));
    // Ten days after the inspection the five-day deadline has passed.
    app.clock.advance(Duration::days(5));
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    // The hourly fold moves the past deadline's tallies into one row per (party, state,
    // level); every figure below reads the folded tallies.
    assert!(fold(&app).await > 0);
    assert!(past_tally_rows(&app).await.is_empty());
    let (_, ledger) = app.get(&staff, "/hazards").await;
    assert_eq!(stat(&ledger, "逾期"), "1");
    assert_eq!(ledger.matches(OVERDUE_TAG).count(), 1);
    tallies_agree(&app, &admin).await;
    assert!(ledger.contains("class=\"row-danger\""));
    let (_, overdue) = app.get(&staff, "/hazards?overdue=1").await;
    assert_eq!(numbers(&overdue), vec![late_no.clone()]);
    assert_eq!(stat(&overdue, "逾期"), "1");
    let (_, page) = app.get(&staff, &late).await;
    assert!(page.contains(OVERDUE_TAG));
    let (_, page) = app.get(&staff, &in_time).await;
    assert!(!page.contains(OVERDUE_TAG));
    let (_, page) = app.get(&staff, &record).await;
    assert_eq!(page.matches(OVERDUE_TAG).count(), 1);
    let (_, detail) = app.get(&staff, &format!("/orders/{}", a.order)).await;
    assert_eq!(stat(&detail, "逾期"), "1");

    // Rectified late it is still open, hence still overdue; closed, it no longer is.
    let today = day(&app, 0);
    let res = rectify(&app, &staff, &late, "已送检并更换合格压力表", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, overdue) = app.get(&staff, "/hazards?overdue=1").await;
    assert_eq!(numbers(&overdue), vec![late_no.clone()]);
    let res = review(&app, &admin, &late, &a.admin, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, overdue) = app.get(&staff, "/hazards?overdue=1").await;
    assert!(numbers(&overdue).is_empty());
    assert_eq!(stat(&overdue, "逾期"), "0");
    let (_, ledger) = app.get(&staff, "/hazards").await;
    assert_eq!(stat(&ledger, "逾期"), "0");
    assert!(!ledger.contains(OVERDUE_TAG));
    tallies_agree(&app, &admin).await;
    // Closing a hazard of a folded deadline took one from a row that was folded away: a row
    // of −1 under that deadline, folded in its turn.
    assert!(past_tally_rows(&app).await.iter().any(|n| n == "-1"));
    assert!(fold(&app).await > 0);
    assert!(past_tally_rows(&app).await.is_empty());
    assert_eq!(fold(&app).await, 0, "a second fold finds nothing");
    tallies_agree(&app, &admin).await;
    let (_, page) = app.get(&staff, &late).await;
    assert!(!page.contains(OVERDUE_TAG));
    // The other one follows the clock in its turn.
    app.clock.advance(Duration::days(30));
    let staff = app.login("hz_staff", PASSWORD).await;
    let (_, overdue) = app.get(&staff, "/hazards?overdue=1").await;
    assert_eq!(
        numbers(&overdue),
        vec![stored(&app, &in_time).await.hazard_no]
    );
}

/// Folds the hazard tallies as the server does hourly, at the test clock's time.
async fn fold(app: &TestApp) -> u64 {
    anze_core::hazard::service::fold_past_deadlines(&app.db, app.clock_now())
        .await
        .unwrap()
}

/// The tallies (their `n`) kept under a past deadline that is not the folded one.
async fn past_tally_rows(app: &TestApp) -> Vec<String> {
    let before = (anze_core::time::today(app.clock_now()) - Duration::days(1)).format("%Y-%m-%d");
    app.db
        .query_strings(&format!(
            "SELECT CAST(n AS CHAR(20)) FROM hazard_tallies \
             WHERE deadline < '{before}' AND deadline > '1000-01-01'"
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.trim().to_string())
        .collect()
}

/// Four hazards over two enterprises, insurers and districts.
struct LedgerWorld {
    /// 恒达 (丰泽区, 太保): general, open, deadline in 20 days, found 10 days ago.
    h1: String,
    /// 恒达: major, overdue (deadline 5 days ago), found 10 days ago.
    h2: String,
    /// 鲤城 (鲤城区, 平安): general, closed, found 3 days ago, deadline in 10 days.
    h3: String,
    /// 鲤城: general, 即查即改 (待复查), found 3 days ago, deadline in 15 days.
    h4: String,
}

async fn ledger_world(app: &TestApp, a: &Agency) -> LedgerWorld {
    let second = second_order(app, a).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let r1 = inspect(app, &staff, a.order, &day(app, -10), &a.staff).await;
    let r2 = inspect(app, &staff, second, &day(app, -3), &a.staff).await;
    let d = |n| day(app, n);
    let (d20, dm5, d10, d15) = (d(20), d(-5), d(10), d(15));
    let mut f1 = hazard_form("配电箱未可靠接地", "general", &d20);
    f1 = with(f1, "category", "electric");
    let h1 = new_hazard(app, &staff, &r1, &f1).await;
    let h2 = new_hazard(
        app,
        &staff,
        &r1,
        &hazard_form("液氨储罐区可燃气体报警器失效", "major", &dm5),
    )
    .await;
    let h3 = new_hazard(
        app,
        &staff,
        &r2,
        &hazard_form("消防通道堆放杂物", "general", &d10),
    )
    .await;
    let today = day(app, 0);
    assert_eq!(
        rectify(app, &staff, &h3, "已清理", &today).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        review(app, &admin, &h3, &a.admin, &today, "pass", "")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let mut f4 = hazard_form("砂轮机防护罩缺失", "general", &d15);
    f4 = with(f4, "category", "equipment");
    f4.extend([
        ("immediate", "1"),
        ("rectify_note", "现场加装防护罩"),
        ("rectified_on", today.as_str()),
    ]);
    let h4 = new_hazard(app, &staff, &r2, &f4).await;
    let mut no = Vec::new();
    for h in [&h1, &h2, &h3, &h4] {
        no.push(stored(app, h).await.hazard_no);
    }
    let [h1, h2, h3, h4] = no.try_into().unwrap();
    LedgerWorld { h1, h2, h3, h4 }
}

async fn ledger_filters_and_counts(app: TestApp) {
    let a = accepted_order(&app).await;
    let w = ledger_world(&app, &a).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let ins1 = app.actor("hz_ins").await.org_id;
    let ins2 = app.actor("hz_ins2").await.org_id;
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let listed = |q: String| {
        let app = &app;
        let admin = &admin;
        async move {
            let (status, html) = app.get(admin, &format!("/hazards?{q}")).await;
            assert_eq!(status, StatusCode::OK, "{q}");
            (sorted(numbers(&html)), html)
        }
    };
    let all = sorted(vec![w.h1.clone(), w.h2.clone(), w.h3.clone(), w.h4.clone()]);
    let (found, html) = listed(String::new()).await;
    assert_eq!(found, all);
    let counts = |html: &str| {
        ["待整改", "待复查", "已销号", "逾期", "重大隐患", "整改率"].map(|l| stat(html, l))
    };
    assert_eq!(counts(&html), ["2", "1", "1", "1", "1", "25.0%"]);
    // The filter bar shows what is chosen, and only that.
    assert_eq!(html.matches(" selected>").count(), 0, "nothing chosen yet");
    let (_, chosen) = listed("level=major&flag=any".into()).await;
    assert_eq!(
        chosen.matches(" selected>").count(),
        2,
        "level and 可疑标记"
    );
    assert!(chosen.contains("<option value=\"major\" selected>"));
    assert!(chosen.contains("<option value=\"any\" selected>"));
    tallies_agree(&app, &admin).await;
    // Newest first.
    assert_eq!(
        numbers(&html),
        vec![w.h4.clone(), w.h3.clone(), w.h2.clone(), w.h1.clone()]
    );

    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let cases: Vec<(String, Vec<&String>)> = vec![
        // 状态: the counts at the top stay those of every state.
        ("state=rectify".into(), vec![&w.h1, &w.h2]),
        ("state=review".into(), vec![&w.h4]),
        ("state=closed".into(), vec![&w.h3]),
        ("level=major".into(), vec![&w.h2]),
        ("level=general".into(), vec![&w.h1, &w.h3, &w.h4]),
        ("overdue=1".into(), vec![&w.h2]),
        (format!("enterprise={}", enc("恒达")), vec![&w.h1, &w.h2]),
        (
            format!("enterprise={}", enc("鲤城纺织")),
            vec![&w.h3, &w.h4],
        ),
        (format!("enterprise={}", enc("不存在的企业")), vec![]),
        (format!("insurer={ins1}"), vec![&w.h1, &w.h2]),
        (format!("insurer={ins2}"), vec![&w.h3, &w.h4]),
        ("region=350502".into(), vec![&w.h3, &w.h4]),
        ("region=350503".into(), vec![&w.h1, &w.h2]),
        ("region=350504".into(), vec![]),
        (format!("found_from={}", day(&app, -5)), vec![&w.h3, &w.h4]),
        (format!("found_to={}", day(&app, -5)), vec![&w.h1, &w.h2]),
        (
            format!("found_from={0}&found_to={0}", day(&app, -3)),
            vec![&w.h3, &w.h4],
        ),
        (format!("deadline_to={}", day(&app, -1)), vec![&w.h2]),
        (
            format!("deadline_from={}", day(&app, 0)),
            vec![&w.h1, &w.h3, &w.h4],
        ),
        (
            format!(
                "deadline_from={}&deadline_to={}",
                day(&app, 11),
                day(&app, 30)
            ),
            vec![&w.h1, &w.h4],
        ),
        (format!("q={}", enc("报警器")), vec![&w.h2]),
        (format!("q={}", w.h3), vec![&w.h3]),
        ("q=%25".into(), vec![]),
        ("q=_".into(), vec![]),
        (
            format!("state=rectify&level=general&enterprise={}", enc("恒达")),
            vec![&w.h1],
        ),
    ];
    for (q, expected) in cases {
        let (found, html) = listed(q.clone()).await;
        let expected = sorted(expected.into_iter().cloned().collect());
        assert_eq!(found, expected, "{q}");
        assert!(
            !html.contains("没有符合条件的隐患") || expected.is_empty(),
            "{q}"
        );
    }
    // The state filter leaves the counts alone; the others narrow them.
    let (_, html) = listed("state=closed".into()).await;
    assert_eq!(counts(&html), ["2", "1", "1", "1", "1", "25.0%"]);
    let (_, html) = listed(format!("enterprise={}", enc("恒达"))).await;
    assert_eq!(counts(&html), ["2", "0", "0", "1", "1", "0.0%"]);
    let (_, html) = listed("overdue=1".into()).await;
    assert_eq!(stat(&html, "逾期"), "1");
    assert_eq!(stat(&html, "待整改"), "1");
    let (_, html) = listed("region=350502".into()).await;
    assert_eq!(counts(&html), ["0", "1", "1", "0", "0", "50.0%"]);
    // The form keeps what was asked.
    let (_, html) = listed(format!("state=review&q={}", enc("防护罩"))).await;
    assert!(html.contains("<option value=\"review\" selected>"));
    assert!(html.contains("value=\"防护罩\""));
    // A malformed date is a mistake, not an empty list.
    for q in ["found_from=not-a-date", "deadline_to=2026-02-30"] {
        let (status, _) = app.get(&admin, &format!("/hazards?{q}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
    // An insurer's ledger is its own policies, and has no 保险机构 filter.
    let ins = app.login("hz_ins", PASSWORD).await;
    let (_, html) = app.get(&ins, "/hazards").await;
    assert_eq!(
        sorted(numbers(&html)),
        sorted(vec![w.h1.clone(), w.h2.clone()])
    );
    assert_eq!(counts(&html), ["2", "0", "0", "1", "1", "0.0%"]);
    assert!(!html.contains("name=\"insurer\""));
    tallies_agree(&app, &ins).await;
    let (_, html) = app.get(&ins, &format!("/hazards?insurer={ins2}")).await;
    assert!(
        numbers(&html).is_empty(),
        "an insurer cannot widen its scope"
    );
}

async fn insurers_and_regulators_read_without_forms(app: TestApp) {
    let a = accepted_order(&app).await;
    let second = second_order(&app, &a).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let elsewhere = inspect(&app, &staff, second, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let open = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("消防通道堆放杂物", "general", &deadline),
    )
    .await;
    let pending = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("应急照明失效", "general", &deadline),
    )
    .await;
    let res = rectify(&app, &staff, &pending, "更换应急灯", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let far = new_hazard(
        &app,
        &staff,
        &elsewhere,
        &hazard_form("鲤城厂区配电房漏水", "general", &deadline),
    )
    .await;
    let open_no = stored(&app, &open).await.hazard_no;
    let far_no = stored(&app, &far).await.hazard_no;
    app.seed_org("regulator", "丰泽区应急管理局", "hz_reg")
        .await;
    let admin_id = a.admin.clone();

    for user in ["hz_ins", "hz_reg"] {
        let c = app.login(user, PASSWORD).await;
        let (status, ledger) = app.get(&c, "/hazards").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        let listed = numbers(&ledger);
        assert!(listed.contains(&open_no), "{user}");
        assert!(!listed.contains(&far_no), "{user}: 鲤城区, another insurer");
        assert_eq!(stat(&ledger, "待整改"), "1", "{user}");
        tallies_agree(&app, &c).await;
        for page in [&open, &pending] {
            let (status, html) = app.get(&c, page).await;
            assert_eq!(status, StatusCode::OK, "{user} {page}");
            assert!(
                !html.contains(RECTIFY_FORM) && !html.contains(REVIEW_FORM),
                "{user} reads only"
            );
            assert!(!html.contains("/rectify?_csrf=") && !html.contains("/review?_csrf="));
        }
        let (status, html) = app.get(&c, &record).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert!(html.contains(&open_no) && html.contains("整改通知书"));
        assert!(!html.contains("新增隐患</a>"), "{user} adds no hazard");
        assert_eq!(
            app.get(&c, &format!("{record}/notice")).await.0,
            StatusCode::OK
        );
        assert_eq!(
            app.get(&c, &format!("{record}/hazards/new")).await.0,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        let res = add_hazard(
            &app,
            &c,
            &record,
            &hazard_form("越权新增", "general", &deadline),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
        let res = rectify(&app, &c, &open, "越权整改", &today).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
        let res = review(&app, &c, &pending, &admin_id, &today, "pass", "").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
        // What lies outside their scope is not found.
        let (status, html) = app.get(&c, &far).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}");
        assert!(!html.contains("配电房漏水"));
    }
    assert_eq!(
        stored(&app, &open).await.state,
        HazardState::PendingRectification
    );
    assert_eq!(
        stored(&app, &pending).await.state,
        HazardState::PendingReview
    );
    assert_eq!(stored(&app, &open).await.steps.len(), 0);
    // The insurer of the second policy sees that one and not the first.
    let ins2 = app.login("hz_ins2", PASSWORD).await;
    let (_, ledger) = app.get(&ins2, "/hazards").await;
    assert_eq!(numbers(&ledger), vec![far_no]);
    assert_eq!(app.get(&ins2, &open).await.0, StatusCode::NOT_FOUND);
    // The platform operator reads everything, and changes nothing.
    let platform = app.admin().await;
    tallies_agree(&app, &platform).await;
    let (status, ledger) = app.get(&platform, "/hazards").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&ledger).len(), 3);
    assert!(
        ledger.contains("name=\"insurer\""),
        "the operator filters by insurer"
    );
    let (status, html) = app.get(&platform, &open).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(RECTIFY_FORM) && !html.contains(REVIEW_FORM));
    let res = rectify(&app, &platform, &open, "平台整改", &today).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A regulator of 鲤城区 sees only that one too.
    seed_org_in(&app, "regulator", "鲤城区应急管理局", "hz_reg2", "350502").await;
    let reg2 = app.login("hz_reg2", PASSWORD).await;
    let (_, ledger) = app.get(&reg2, "/hazards").await;
    assert_eq!(numbers(&ledger), vec![stored(&app, &far).await.hazard_no]);
    assert_eq!(app.get(&reg2, &open).await.0, StatusCode::NOT_FOUND);
}

async fn regulators_read_major_and_overdue_hazards_first(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, -10), &a.staff).await;
    let (late, later) = (day(&app, -5), day(&app, 20));
    // Created oldest first: the agency reads newest first.
    let mut made = Vec::new();
    for (description, level, deadline) in [
        ("重大且逾期:储罐区防火堤破损", "major", &late),
        ("一般且逾期:消防器材未定期检查", "general", &late),
        ("重大未逾期:氨压缩机安全阀失效", "major", &later),
        ("一般未逾期:车间照明不足", "general", &later),
    ] {
        let h = new_hazard(
            &app,
            &staff,
            &record,
            &hazard_form(description, level, deadline),
        )
        .await;
        made.push(stored(&app, &h).await.hazard_no);
    }
    let [major_late, general_late, major, general] = made.clone().try_into().unwrap();
    let (_, ledger) = app.get(&staff, "/hazards").await;
    assert_eq!(
        numbers(&ledger),
        vec![
            general.clone(),
            major.clone(),
            general_late.clone(),
            major_late.clone()
        ],
        "agencies read newest first"
    );
    app.seed_org("regulator", "丰泽区应急管理局", "hz_reg")
        .await;
    let reg = app.login("hz_reg", PASSWORD).await;
    let (status, ledger) = app.get(&reg, "/hazards").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        numbers(&ledger),
        vec![major_late, major, general_late.clone(), general.clone()],
        "regulators read 重大 first, then 逾期"
    );
    assert_eq!(stat(&ledger, "重大隐患"), "2");
    assert_eq!(stat(&ledger, "逾期"), "2");
    // Pages carry the order across the groups: nine more 一般且逾期, ten a page.
    let mut more = Vec::new();
    for i in 0..9 {
        let description = format!("一般且逾期:第{i}处安全出口堵塞");
        let h = new_hazard(
            &app,
            &staff,
            &record,
            &hazard_form(&description, "general", &late),
        )
        .await;
        more.push(stored(&app, &h).await.hazard_no);
    }
    let (_, page2) = app.get(&reg, "/hazards?size=10&page=2").await;
    assert_eq!(
        numbers(&page2),
        vec![more[0].clone(), general_late.clone(), general]
    );
    let (_, late2) = app.get(&reg, "/hazards?size=10&page=2&overdue=1").await;
    assert_eq!(numbers(&late2), vec![general_late]);
    let (_, past) = app.get(&reg, "/hazards?size=10&page=3&overdue=1").await;
    assert_eq!(numbers(&past), Vec::<String>::new());
}

async fn order_page_shows_hazard_counts(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let (_, detail) = app.get(&staff, &format!("/orders/{}", a.order)).await;
    assert_eq!(stat(&detail, "发现隐患"), "0");
    assert_eq!(stat(&detail, "整改率"), "—");
    let record = inspect(&app, &staff, a.order, &day(&app, -8), &a.staff).await;
    let today = day(&app, 0);
    let (late, later) = (day(&app, -1), day(&app, 20));
    let closed = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("有限空间作业无监护", "general", &later),
    )
    .await;
    new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("化学品安全技术说明书缺失", "general", &late),
    )
    .await;
    new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("装卸区防静电设施损坏", "major", &later),
    )
    .await;
    assert_eq!(
        rectify(&app, &staff, &closed, "已设专人监护", &today)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        review(&app, &admin, &closed, &a.admin, &today, "pass", "")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    for (who, c) in [("hz_staff", &staff), ("hz_admin", &admin)] {
        let (_, detail) = app.get(c, &format!("/orders/{}", a.order)).await;
        assert_eq!(stat(&detail, "发现隐患"), "3", "{who}");
        assert_eq!(stat(&detail, "已销号"), "1", "{who}");
        assert_eq!(stat(&detail, "逾期"), "1", "{who}");
        assert_eq!(stat(&detail, "重大隐患"), "1", "{who}");
        assert_eq!(stat(&detail, "整改率"), "33.3%", "{who}");
    }
    let ins = app.login("hz_ins", PASSWORD).await;
    let (_, detail) = app.get(&ins, &format!("/orders/{}", a.order)).await;
    assert_eq!(stat(&detail, "发现隐患"), "3");
    // Another order of the same agency keeps its own counts.
    let second = second_order(&app, &a).await;
    let (_, detail) = app.get(&admin, &format!("/orders/{second}")).await;
    assert_eq!(stat(&detail, "发现隐患"), "0");
}

async fn rectification_notice_lists_the_hazards(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let today = day(&app, 0);
    let empty = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let (status, html) = app.get(&staff, &format!("{empty}/notice")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("本次排查未发现隐患"));

    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let (d1, d2) = (day(&app, 7), day(&app, 30));
    let first = hazard_form("消防通道堆放杂物", "general", &d1);
    let second = with(
        hazard_form("液氨储罐区可燃气体报警器失效", "major", &d2),
        "suggestion",
        "更换报警探头并接入中控室",
    );
    let h1 = new_hazard(&app, &staff, &record, &first).await;
    let h2 = new_hazard(&app, &staff, &record, &second).await;
    let (_, page) = app.get(&staff, &record).await;
    assert!(page.contains(&format!("href=\"{record}/notice\">整改通知书")));
    let (status, notice) = app.get(&staff, &format!("{record}/notice")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(notice.contains(&format!("<title>隐患整改通知书 · {ENTERPRISE}</title>")));
    assert!(notice.contains("<link rel=\"stylesheet\" href=\"/static/print.css\">"));
    assert!(notice.contains("安全生产事故隐患整改通知书"));
    assert!(notice.contains(&format!("<strong>{ENTERPRISE}</strong>")));
    assert!(notice.contains("发现以下 2 项事故隐患"));
    for text in [
        "清理通道杂物,设置禁止堆放标识",
        "更换报警探头并接入中控室",
        d1.as_str(),
        d2.as_str(),
        "一般隐患",
        "重大隐患",
        "安泰安全技术",
        "太保泉州分公司",
        "hz_staff的姓名",
        "林主任",
    ] {
        assert!(notice.contains(text), "notice: {text}");
    }
    for h in [&h1, &h2] {
        assert!(notice.contains(&stored(&app, h).await.hazard_no));
    }
    let res = app
        .client()
        .get(app.url("/static/print.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    // A record of another type has no notice, nor hazards.
    let training = app
        .post_multipart(
            &staff,
            &format!("/orders/{}/training/new", a.order),
            &format!("/orders/{}/training", a.order),
            &[
                ("service_date", today.as_str()),
                ("location", "会议室"),
                ("staff_ids", a.staff.as_str()),
                ("enterprise_contact", "林主任"),
                ("topic", "危化品安全培训"),
                ("audience", "worker"),
                ("mode", "offline"),
                ("hours", "2"),
                ("participants", "30"),
                ("trainer", "张工"),
                ("summary", "完成"),
            ],
        )
        .await;
    assert_eq!(training.status(), StatusCode::SEE_OTHER);
    let training = location(&training);
    let res = add_hazard(
        &app,
        &staff,
        &training,
        &hazard_form("培训记录上的隐患", "general", &d1),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for path in [
        format!("{training}/notice"),
        format!("{training}/hazards/new"),
    ] {
        assert_eq!(
            app.get(&staff, &path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

async fn the_loop_goes_on_after_the_order_is_completed(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let today = day(&app, 0);
    let record = inspect(&app, &staff, a.order, &today, &a.staff).await;
    let deadline = day(&app, 10);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("电焊机外壳未接地", "general", &deadline),
    )
    .await;
    let res = app
        .post_form(
            &admin,
            &format!("/orders/{}", a.order),
            &format!("/orders/{}/complete", a.order),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // No new hazards on a completed order…
    let (_, page) = app.get(&staff, &record).await;
    assert!(!page.contains("新增隐患</a>"));
    let res = add_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("完成后新增", "general", &deadline),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("“已完成”"));
    // …but the open ones are still rectified and reviewed.
    let (_, page) = app.get(&staff, &hazard).await;
    assert!(page.contains(RECTIFY_FORM));
    let res = rectify(&app, &staff, &hazard, "外壳已接地", &today).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = review(&app, &admin, &hazard, &a.admin, &today, "pass", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, &hazard).await.state, HazardState::Closed);
}

/// An inspection that found hazards is their 发现 record: deleting it must not leave hazards
/// behind (nor fail with a server error), and its date is their 发现日期.
async fn an_inspection_with_hazards_keeps_them_consistent(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let found = day(&app, -5);
    let record = inspect(&app, &staff, a.order, &found, &a.staff).await;
    let deadline = day(&app, 10);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("氧气乙炔瓶混放", "general", &deadline),
    )
    .await;
    // 删除: refused with a message (409), not a server error; nothing disappears.
    let res = app
        .post_form(
            &admin,
            &record,
            &format!("{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "deleting an inspection with hazards: {body}"
    );
    assert_eq!(app.get(&admin, &record).await.0, StatusCode::OK);
    assert_eq!(app.get(&admin, &hazard).await.0, StatusCode::OK);
}

/// Editing the date of an inspection that found hazards either is refused or moves their
/// 发现日期 along; the ledger never shows a 发现日期 the inspection does not have.
async fn editing_an_inspection_keeps_the_discovery_date(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let found = day(&app, -5);
    let record = inspect(&app, &staff, a.order, &found, &a.staff).await;
    let deadline = day(&app, 10);
    let hazard = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("氧气乙炔瓶混放", "general", &deadline),
    )
    .await;
    let moved = day(&app, -2);
    let res = app
        .post_multipart(
            &staff,
            &format!("{record}/edit"),
            &record,
            &[
                ("service_date", moved.as_str()),
                ("location", "储罐区及装卸区"),
                ("staff_ids", a.staff.as_str()),
                ("enterprise_contact", "林主任"),
                ("summary", "对储罐区、装卸区和配电房开展综合检查。"),
                ("kind", "comprehensive"),
                ("scope", "储罐区、装卸区、配电房"),
            ],
        )
        .await;
    let status = res.status();
    let inspection_date = anze_core::record::RecordStore::get_record(
        &app.db,
        record.trim_start_matches("/records/").parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .service_date;
    let h = stored(&app, &hazard).await;
    assert_eq!(
        h.found_on, inspection_date,
        "edit answered {status}: the inspection is dated {inspection_date}, its hazard says it \
         was found on {}",
        h.found_on
    );
}
