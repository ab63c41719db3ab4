//! 消息通知 and the 定时任务 behind its reminders, through real HTTP on every backend: who is
//! told of what, that nobody reads or marks another's notifications, that a reminder slot runs
//! once however many runners compete, and that webhook deliveries are signed and retried.

use anze::jobs::{Runner, TickReport};
use anze_core::ids::{OrderId, OrgId, PolicyId};
use anze_core::job::{JobKind, JobQuery, JobState, JobStore};
use anze_core::notify::{NoticeKind, NoticeQuery, NoticeStore, Viewer};
use anze_core::page::PageRequest;
use anze_core::time::Clock;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use chrono::Duration;
use reqwest::{Client, StatusCode};
use std::sync::{Arc, Mutex};

use crate::hazards::{accept_and_assign, day, hazard_form, inspect, new_hazard};
use crate::helpers::{PASSWORD, TestApp, location};

crate::backend_tests!(
    the_agency_hears_of_a_designation_and_the_insurer_of_the_answer,
    badges_follow_writes_on_the_next_page,
    an_objection_reaches_the_agency,
    another_organizations_notifications_stay_out_of_reach,
    reminders_fire_once_per_deadline_and_reach_the_enterprise,
    a_slot_runs_once_however_many_runners_compete,
    a_stopping_runner_claims_no_further_run,
    webhook_deliveries_are_signed_and_retried,
    complaint_deadlines_are_reminded_on_the_working_day_clock,
);

struct World {
    agency: OrgId,
    /// 丰泽 enterprise's policy (its enterprise has the account `qy_a`).
    policy: PolicyId,
    /// A second policy of the same insurer, for a second order.
    policy2: PolicyId,
}

/// Insurer `ins`; agency `ag_a` with staff `ag_staff` (仅本人负责); a second agency `ag_b`;
/// two insured enterprises, the first with the account `qy_a`.
async fn world(app: &TestApp) -> World {
    app.seed_org("insurer", "人保泉州分公司", "ins").await;
    let agency = app.seed_org("agency", "安信安全技术", "ag_a").await;
    app.seed_account("ag_a", "ag_staff", "服务人员").await;
    app.seed_org("agency", "闽南安全咨询", "ag_b").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let code2 = app
        .seed_enterprise("ins", "泉州鲤城纺织有限公司", "350502")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-N-1").await;
    let policy2 = app.seed_policy("ins", &code2, "PICC-N-2").await;
    app.seed_enterprise_account(&code, "qy_a").await;
    World {
        agency,
        policy,
        policy2,
    }
}

/// 指定服务机构 through the page; returns the order.
async fn designate(
    app: &TestApp,
    insurer: &Client,
    policy: PolicyId,
    agency: OrgId,
    end_in_days: Option<i64>,
) -> OrderId {
    let p = anze_core::policy::PolicyStore::get_policy(&app.db, policy)
        .await
        .unwrap()
        .unwrap();
    let end = match end_in_days {
        Some(n) => day(app, n),
        None => p.end_date.to_string(),
    };
    let page = format!("/policies/{policy}/designate");
    let agency = agency.to_string();
    let start = p.start_date.to_string();
    let res = app
        .post_form(
            insurer,
            &page,
            &page,
            &[
                ("agency_id", agency.as_str()),
                ("service_start", start.as_str()),
                ("service_end", end.as_str()),
                ("plan_training", "2"),
                ("plan_risk", "0"),
                ("plan_hazard", "1"),
                ("plan_standardization", "0"),
                ("plan_emergency", "0"),
                ("plan_promotion", "0"),
                ("plan_other", "0"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "designation refused");
    OrderId(
        location(&res)
            .trim_start_matches("/orders/")
            .parse()
            .unwrap(),
    )
}

/// The number after `marker` inside the home page's link that starts at `link` (0 where the
/// link shows none).
async fn home_number(app: &TestApp, client: &Client, link: &str, marker: &str) -> u64 {
    let (status, html) = app.get(client, "/").await;
    assert_eq!(status, StatusCode::OK);
    let a = &html[html
        .find(link)
        .unwrap_or_else(|| panic!("no {link} on the home page"))..];
    let a = &a[..a.find("</a>").unwrap()];
    match a.find(marker) {
        Some(i) => a[i + marker.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap(),
        None => 0,
    }
}

/// The bell's number (every page has the bell).
async fn bell(app: &TestApp, client: &Client) -> u64 {
    home_number(app, client, "id=\"bell\"", "data-unread=\"").await
}

/// The 待受理 badge of the 服务订单 menu entry.
async fn pending_badge(app: &TestApp, client: &Client) -> u64 {
    home_number(app, client, "href=\"/orders\">", "title=\"待受理订单\">").await
}

/// The menu badges are kept for a few seconds between pages, and every write on the instance
/// drops them: a designation, an acceptance and a read notification show on the next page.
async fn badges_follow_writes_on_the_next_page(app: TestApp) {
    let w = world(&app).await;
    let insurer = app.login("ins", PASSWORD).await;
    let agency = app.login("ag_a", PASSWORD).await;
    assert_eq!(
        (
            pending_badge(&app, &agency).await,
            bell(&app, &agency).await
        ),
        (0, 0)
    );
    assert_eq!(pending_badge(&app, &agency).await, 0, "kept: still none");

    let order = designate(&app, &insurer, w.policy, w.agency, None).await;
    assert_eq!(pending_badge(&app, &agency).await, 1);
    assert_eq!(bell(&app, &agency).await, 1);

    let page = format!("/orders/{order}/accept");
    let res = app.post_form(&agency, &page, &page, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        pending_badge(&app, &agency).await,
        0,
        "accepted: nothing waits"
    );

    let res = app
        .post_form(&agency, "/notifications", "/notifications/read-all", &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&app, &agency).await, 0, "read: the bell is quiet");
}

/// The rows of the list page: (notice id, text).
async fn inbox(app: &TestApp, client: &Client, query: &str) -> Vec<(i64, String)> {
    let (status, html) = app.get(client, &format!("/notifications{query}")).await;
    assert_eq!(status, StatusCode::OK);
    html.split("data-notice=\"")
        .skip(1)
        .map(|row| {
            let id = row[..row.find('"').unwrap()].parse().unwrap();
            let text = row[..row.find("</tr>").unwrap()].to_string();
            (id, text)
        })
        .collect()
}

/// Everything an organization has been told, of one kind, as the store holds it.
async fn told(app: &TestApp, org: OrgId, kind: NoticeKind) -> usize {
    app.db
        .list_notices(
            &Viewer {
                org,
                account: anze_core::ids::AccountId(0),
                own_orders_only: false,
            },
            &NoticeQuery {
                read: None,
                kind: Some(kind),
            },
            PageRequest::first(100),
        )
        .await
        .unwrap()
        .total as usize
}

async fn org_of(app: &TestApp, username: &str) -> OrgId {
    app.actor(username).await.org_id
}

async fn the_agency_hears_of_a_designation_and_the_insurer_of_the_answer(app: TestApp) {
    let w = world(&app).await;
    let insurer = app.login("ins", PASSWORD).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let other = app.login("ag_b", PASSWORD).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    assert_eq!(bell(&app, &agency).await, 0);

    let order = designate(&app, &insurer, w.policy, w.agency, None).await;
    assert_eq!(bell(&app, &agency).await, 1);
    let rows = inbox(&app, &agency, "").await;
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].1.contains("新订单待受理") && rows[0].1.contains("PICC-N-1"),
        "{}",
        rows[0].1
    );
    // Another agency and the unassigned 仅本人负责 staff member hear nothing.
    assert_eq!(bell(&app, &other).await, 0);
    assert_eq!(bell(&app, &staff).await, 0);
    assert_eq!(bell(&app, &insurer).await, 0);

    // 受理 from the order page: the insurer is told.
    let page = format!("/orders/{order}/accept");
    let res = app.post_form(&agency, &page, &page, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&app, &insurer).await, 1);
    let rows = inbox(&app, &insurer, "").await;
    assert!(rows[0].1.contains("订单已受理") && rows[0].1.contains("安信安全技术"));

    // Assigned, the staff member sees the order's notification.
    let staff_id = app.actor("ag_staff").await.account_id;
    accept_and_assign_only(&app, order, staff_id).await;
    assert_eq!(bell(&app, &staff).await, 1);

    // A second order, declined with a reason the insurer reads.
    let order2 = designate(&app, &insurer, w.policy2, w.agency, None).await;
    assert_eq!(bell(&app, &agency).await, 2);
    assert_eq!(
        bell(&app, &staff).await,
        1,
        "not assigned to the second order"
    );
    let page = format!("/orders/{order2}/accept");
    let res = app
        .post_form(
            &agency,
            &page,
            &format!("/orders/{order2}/decline"),
            &[("reason", "本月人手不足")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rows = inbox(&app, &insurer, "?kind=order.declined").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].1.contains("本月人手不足"));
    assert_eq!(inbox(&app, &insurer, "?kind=order.accepted").await.len(), 1);

    // 查看 marks read and opens the order.
    let (id, _) = inbox(&app, &agency, "").await.pop().unwrap();
    let res = app
        .post_form(
            &agency,
            "/notifications",
            &format!("/notifications/{id}/read"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orders/{order}"));
    assert_eq!(bell(&app, &agency).await, 1);
    assert_eq!(inbox(&app, &agency, "?read=read").await.len(), 1);
    assert_eq!(inbox(&app, &agency, "?read=unread").await.len(), 1);
    // 全部标为已读
    let res = app
        .post_form(&agency, "/notifications", "/notifications/read-all", &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&agency, "/notifications").await;
    assert!(html.contains("消息已全部标为已读"));
    assert_eq!(bell(&app, &agency).await, 0);
    // Nonsense filters and pages are ignored, not refused.
    let (status, _) = app
        .get(&agency, "/notifications?read=x&kind=%3Cb%3E&page=-1&size=7")
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn accept_and_assign_only(app: &TestApp, order: OrderId, staff: anze_core::ids::AccountId) {
    let actor = app.actor("ag_a").await;
    anze_core::order::service::assign(
        &app.db,
        &actor,
        order,
        &[staff.to_string()],
        app.clock_now(),
    )
    .await
    .unwrap();
}

async fn an_objection_reaches_the_agency(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let agency = app.seed_org("agency", "安信技术", "ag_admin").await;
    let staff = app.seed_account("ag_admin", "ag_staff", "服务人员").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-O-1").await;
    let order = app.seed_order("ins", policy, agency).await;
    accept_and_assign(&app, "ag_admin", order, &[staff]).await;
    app.seed_enterprise_account(&code, "qy_user").await;
    let record = crate::confirmations::record(&app, order, "危化品储存培训").await;
    let ag = app.login("ag_admin", PASSWORD).await;
    let before = bell(&app, &ag).await;
    let qy = app.login("qy_user", PASSWORD).await;
    let res = crate::confirmations::step(&app, &qy, record, "object", "实际参训 20 人").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&app, &ag).await, before + 1);
    let rows = inbox(&app, &ag, "?kind=record.objected").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].1.contains("实际参训 20 人") && rows[0].1.contains("泉州恒安石化"));
    // The assigned staff member sees it too; the insurer is not told.
    let st = app.login("ag_staff", PASSWORD).await;
    assert_eq!(inbox(&app, &st, "?kind=record.objected").await.len(), 1);
    let ins = app.login("ins", PASSWORD).await;
    assert!(inbox(&app, &ins, "?kind=record.objected").await.is_empty());
    let res = app
        .post_form(
            &ag,
            "/notifications",
            &format!("/notifications/{}/read", rows[0].0),
            &[],
        )
        .await;
    assert_eq!(location(&res), format!("/records/{record}"));
    // Deleted with its record, the notification no longer leads to a missing page.
    let res = app
        .post_form(
            &ag,
            &format!("/records/{record}"),
            &format!("/records/{record}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(inbox(&app, &ag, "?kind=record.objected").await.is_empty());
}

async fn another_organizations_notifications_stay_out_of_reach(app: TestApp) {
    let w = world(&app).await;
    let insurer = app.login("ins", PASSWORD).await;
    designate(&app, &insurer, w.policy, w.agency, None).await;
    let agency = app.login("ag_a", PASSWORD).await;
    let other = app.login("ag_b", PASSWORD).await;
    let (id, _) = inbox(&app, &agency, "").await.pop().unwrap();

    // Guessing the id: not found, and it stays unread.
    for client in [&other, &insurer] {
        let res = app
            .post_form(
                client,
                "/notifications",
                &format!("/notifications/{id}/read"),
                &[],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert!(inbox(&app, &other, "").await.is_empty());
    // 全部标为已读 elsewhere changes nothing here.
    let res = app
        .post_form(&other, "/notifications", "/notifications/read-all", &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&app, &agency).await, 1);
    assert!(
        inbox(&app, &other, "?kind=order.designated")
            .await
            .is_empty()
    );
    // Nor can the unassigned 仅本人负责 staff of the same agency open it.
    let staff = app.login("ag_staff", PASSWORD).await;
    let res = app
        .post_form(
            &staff,
            "/notifications",
            &format!("/notifications/{id}/read"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(bell(&app, &agency).await, 1);
    // Non-numeric ids are not found either.
    let res = app
        .post_form(&agency, "/notifications", "/notifications/abc/read", &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{:?}", res.headers());
}

fn runner(app: &TestApp) -> Runner {
    let clock: Arc<dyn Clock> = app.clock.clone();
    Runner::new(Arc::new(app.db.clone()), clock)
        .unwrap()
        .only(NOTIFYING)
}

/// The kinds these tests are about; the dashboards' recounts have their own test.
const NOTIFYING: &[JobKind] = &[JobKind::Reminders, JobKind::WebhookDelivery];

async fn runs(app: &TestApp, kind: JobKind) -> Vec<anze_core::job::JobRun> {
    app.db
        .list_job_runs(
            &JobQuery {
                kind: Some(kind),
                ..JobQuery::default()
            },
            PageRequest::first(100),
        )
        .await
        .unwrap()
        .items
}

async fn reminders_fire_once_per_deadline_and_reach_the_enterprise(app: TestApp) {
    let w = world(&app).await;
    let insurer = app.login("ins", PASSWORD).await;
    let order = designate(&app, &insurer, w.policy, w.agency, None).await;
    let staff = app.actor("ag_staff").await.account_id;
    accept_and_assign(&app, "ag_a", order, &[staff]).await;
    // An order whose service period ends in five days with its training undelivered.
    let ending = designate(&app, &insurer, w.policy2, w.agency, Some(5)).await;
    accept_and_assign(&app, "ag_a", ending, &[]).await;
    // A hazard due in two days.
    let client = app.login("ag_staff", PASSWORD).await;
    let inspection = inspect(&app, &client, order, &day(&app, 0), &staff.to_string()).await;
    let deadline = day(&app, 2);
    new_hazard(
        &app,
        &client,
        &inspection,
        &hazard_form("消防通道堆放杂物", "general", &deadline),
    )
    .await;
    let agency = w.agency;
    let enterprise = org_of(&app, "qy_a").await;
    let insurer_org = org_of(&app, "ins").await;

    let r = runner(&app);
    let first = r.tick().await.unwrap();
    assert_eq!((first.enqueued, first.done), (1, 1), "{first:?}");
    assert_eq!(told(&app, agency, NoticeKind::HazardDueSoon).await, 1);
    assert_eq!(told(&app, enterprise, NoticeKind::HazardDueSoon).await, 1);
    assert_eq!(told(&app, agency, NoticeKind::OrderEnding).await, 1);
    assert_eq!(told(&app, insurer_org, NoticeKind::OrderEnding).await, 1);
    let qy = app.login("qy_a", PASSWORD).await;
    let rows = inbox(&app, &qy, "?kind=hazard.due_soon").await;
    assert!(rows[0].1.contains("还剩 2 天"), "{}", rows[0].1);
    // The enterprise opens it onto its hazard.
    let res = app
        .post_form(
            &qy,
            "/notifications",
            &format!("/notifications/{}/read", rows[0].0),
            &[],
        )
        .await;
    let hazard = location(&res);
    assert!(hazard.starts_with("/hazards/"), "{hazard}");
    assert_eq!(app.get(&qy, &hazard).await.0, StatusCode::OK);
    let ins_rows = inbox(&app, &insurer, "?kind=order.ending").await;
    assert!(ins_rows[0].1.contains("安全培训 0/2"), "{}", ins_rows[0].1);

    // The same slot again: nothing enqueued, nothing run.
    assert_eq!(r.tick().await.unwrap(), TickReport::default());
    // The next day's slot runs, but the same deadline is not announced twice.
    app.clock.advance(Duration::days(1));
    let next = r.tick().await.unwrap();
    assert_eq!((next.enqueued, next.done), (1, 1));
    assert_eq!(told(&app, agency, NoticeKind::HazardDueSoon).await, 1);
    assert_eq!(told(&app, agency, NoticeKind::OrderEnding).await, 1);
    // Past the deadline: 已逾期, once.
    app.clock.advance(Duration::days(2));
    r.tick().await.unwrap();
    app.clock.advance(Duration::days(1));
    r.tick().await.unwrap();
    assert_eq!(told(&app, agency, NoticeKind::HazardOverdue).await, 1);
    assert_eq!(told(&app, enterprise, NoticeKind::HazardOverdue).await, 1);
    // The other agency heard of none of it.
    let other = org_of(&app, "ag_b").await;
    assert_eq!(told(&app, other, NoticeKind::HazardDueSoon).await, 0);
    assert_eq!(told(&app, other, NoticeKind::HazardOverdue).await, 0);

    // The platform admin's page lists the runs; nobody else may read it.
    let reminders = runs(&app, JobKind::Reminders).await;
    assert_eq!(reminders.len(), 4);
    assert!(
        reminders
            .iter()
            .all(|r| r.state == JobState::Done && r.attempts == 1)
    );
    let admin = app.admin().await;
    let (status, html) = app.get(&admin, "/jobs?kind=reminders&state=done").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("data-job=").count(), 4);
    assert!(html.contains("每天 07:00(北京时间)"));
    let (_, html) = app.get(&admin, "/jobs?state=failed").await;
    assert!(html.contains("没有符合条件的执行记录"));
    let (status, _) = app.get(&admin, "/jobs?from=2026-99-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // (A fresh session: the clock moved past the first one's lifetime.)
    let insurer = app.login("ins", PASSWORD).await;
    let (status, _) = app.get(&insurer, "/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_slot_runs_once_however_many_runners_compete(app: TestApp) {
    let now = app.clock_now();
    assert_eq!(
        anze_core::job::service::enqueue_due(&app.db, now, NOTIFYING)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        anze_core::job::service::enqueue_due(&app.db, now, NOTIFYING)
            .await
            .unwrap(),
        0
    );
    // A later time of the same day computes the same slot.
    assert_eq!(
        anze_core::job::service::enqueue_due(&app.db, now + Duration::minutes(5), NOTIFYING)
            .await
            .unwrap(),
        0
    );
    // Three runners, as three instances would, tick at once.
    let (a, b, c) = (runner(&app), runner(&app), runner(&app));
    let (ra, rb, rc) = tokio::join!(a.tick(), b.tick(), c.tick());
    let total: u32 = [ra.unwrap(), rb.unwrap(), rc.unwrap()]
        .iter()
        .map(|r| r.done)
        .sum();
    assert_eq!(total, 1);
    let reminders = runs(&app, JobKind::Reminders).await;
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].attempts, 1);
    assert_eq!(reminders[0].state, JobState::Done);
    let worker = reminders[0].locked_by.clone().unwrap();
    assert!([a.worker(), b.worker(), c.worker()].contains(&worker.as_str()));
}

/// At shutdown the runner finishes the run in progress but claims no other, even within the
/// tick: the due slot waits for an instance that is still up.
async fn a_stopping_runner_claims_no_further_run(app: TestApp) {
    let stop = tokio_util::sync::CancellationToken::new();
    stop.cancel();
    let report = runner(&app).stopping_on(stop).tick().await.unwrap();
    assert_eq!(report.ran(), 0);
    let reminders = runs(&app, JobKind::Reminders).await;
    assert_eq!(reminders.len(), 1, "the slot is enqueued all the same");
    assert_eq!(reminders[0].state, JobState::Pending);
    assert_eq!(reminders[0].attempts, 0);
    // A runner that is not stopping takes it.
    assert_eq!(runner(&app).tick().await.unwrap().done, 1);
}

/// What the receiver heard, and how many requests it still refuses.
#[derive(Default)]
struct Heard {
    requests: Vec<(HeaderMap, Bytes)>,
    refuse: u32,
}

/// A webhook receiver on 127.0.0.1 that answers 500 while `refuse` lasts, 200 after.
async fn receiver() -> (String, Arc<Mutex<Heard>>) {
    let heard = Arc::new(Mutex::new(Heard::default()));
    let state = heard.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let mut h = state.lock().unwrap();
                h.requests.push((headers, body));
                if h.refuse > 0 {
                    h.refuse -= 1;
                    AxumStatus::INTERNAL_SERVER_ERROR
                } else {
                    AxumStatus::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), heard)
}

const SECRET: &str = "s3cret-shared-with-the-receiver";

async fn webhook_deliveries_are_signed_and_retried(app: TestApp) {
    let w = world(&app).await;
    let (url, heard) = receiver().await;
    heard.lock().unwrap().refuse = 1;
    let agency = app.login("ag_a", PASSWORD).await;
    let (status, html) = app.get(&agency, "/webhook").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("暂无推送记录"));
    // Bad input is refused in Chinese, the secret never echoed.
    let res = app
        .post_form(
            &agency,
            "/webhook",
            "/webhook",
            &[
                ("url", "ftp://example"),
                ("secret", "short"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("推送地址应以 http:// 或 https:// 开头"));
    assert!(html.contains("签名密钥长度应为"));
    let res = app
        .post_form(
            &agency,
            "/webhook",
            "/webhook",
            &[("url", url.as_str()), ("secret", SECRET), ("enabled", "on")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&agency, "/webhook").await;
    assert!(!html.contains(SECRET) && html.contains("••••••••iver"));

    let insurer = app.login("ins", PASSWORD).await;
    let order = designate(&app, &insurer, w.policy, w.agency, None).await;
    let r = runner(&app);
    let first = r.tick().await.unwrap();
    assert_eq!(first.retried, 1, "{first:?}");
    assert_eq!(heard.lock().unwrap().requests.len(), 1);
    let delivery = &runs(&app, JobKind::WebhookDelivery).await[0];
    assert_eq!(delivery.state, JobState::Pending);
    assert_eq!(delivery.last_error.as_deref(), Some("接收方返回 HTTP 500"));
    // Not due again before its back-off.
    assert_eq!(r.tick().await.unwrap().ran(), 0);
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/jobs?state=retry").await;
    assert!(html.contains("等待重试") && html.contains("接收方返回 HTTP 500"));

    app.clock.advance(Duration::seconds(61));
    assert_eq!(r.tick().await.unwrap().done, 1);
    let (headers, body) = heard.lock().unwrap().requests[1].clone();
    assert_eq!(
        headers["x-anze-signature"].to_str().unwrap(),
        anze_core::webhook::signature(SECRET, &body)
    );
    assert_eq!(headers["x-anze-event"], "order.designated");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["object"]["path"], format!("/orders/{order}"));
    assert_eq!(
        headers["x-anze-delivery"].to_str().unwrap(),
        json["id"].to_string()
    );
    let (_, html) = app.get(&agency, "/webhook").await;
    assert!(html.contains("成功"));

    // A receiver that keeps failing: retried with back-off until the attempts are spent.
    heard.lock().unwrap().refuse = 100;
    let page = format!("/orders/{order}/accept");
    let res = app.post_form(&agency, &page, &page, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The insurer, told of the acceptance, has no webhook: nothing queued for it.
    assert_eq!(runs(&app, JobKind::WebhookDelivery).await.len(), 1);
    designate(&app, &insurer, w.policy2, w.agency, None).await;
    for _ in 0..JobKind::WebhookDelivery.max_attempts() {
        r.tick().await.unwrap();
        app.clock.advance(Duration::hours(2));
    }
    let all = runs(&app, JobKind::WebhookDelivery).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].state, JobState::Failed);
    assert_eq!(all[0].attempts, JobKind::WebhookDelivery.max_attempts());
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/jobs?kind=webhook&state=failed").await;
    assert_eq!(html.matches("data-job=").count(), 1);
    // Switched off, the webhook gets nothing more queued; the secret is kept.
    let agency = app.login("ag_a", PASSWORD).await;
    let res = app
        .post_form(&agency, "/webhook", "/webhook", &[("url", url.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let hook = anze_core::webhook::WebhookStore::get_webhook(&app.db, w.agency)
        .await
        .unwrap()
        .unwrap();
    assert!(!hook.enabled);
    assert_eq!(hook.secret, SECRET);
    let code3 = app
        .seed_enterprise("ins", "泉州洛江鞋业有限公司", "350504")
        .await;
    let policy3 = app.seed_policy("ins", &code3, "PICC-N-3").await;
    let insurer = app.login("ins", PASSWORD).await;
    designate(&app, &insurer, policy3, w.agency, None).await;
    assert_eq!(runs(&app, JobKind::WebhookDelivery).await.len(), 2);
    // Another organization's admin sees none of these deliveries.
    let other = app.login("ag_b", PASSWORD).await;
    let (_, html) = app.get(&other, "/webhook").await;
    assert!(html.contains("暂无推送记录"));
}

/// 10:00 in China on `day`.
fn china_morning(day: &str) -> chrono::DateTime<chrono::Utc> {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    anze_core::time::start_of_day(d) + Duration::hours(10)
}

/// Filed on Thursday 24 September 2026: 受理 is due on 15 October (10 working days across
/// 国庆 and its 调休 Saturday), 办结 on 12 November.
async fn complaint_deadlines_are_reminded_on_the_working_day_clock(app: TestApp) {
    app.clock.set(china_morning("2026-09-24"));
    let w = world(&app).await;
    let insurer = app.login("ins", PASSWORD).await;
    let order = designate(&app, &insurer, w.policy, w.agency, None).await;
    accept_and_assign(&app, "ag_a", order, &[]).await;
    let qy = app.actor("qy_a").await;
    anze_core::complaint::service::file(
        &app.db,
        &qy,
        order,
        &anze_core::complaint::ComplaintForm {
            category: "quality".into(),
            description: "培训内容与企业实际不符".into(),
            complainant: "陈主任".into(),
            ..Default::default()
        },
        &[],
        app.clock_now(),
    )
    .await
    .unwrap();
    let insurer_org = org_of(&app, "ins").await;
    let r = runner(&app);
    r.tick().await.unwrap();
    assert_eq!(
        told(&app, insurer_org, NoticeKind::ComplaintReplyDue).await,
        0
    );

    app.clock.set(china_morning("2026-10-13"));
    r.tick().await.unwrap();
    assert_eq!(
        told(&app, insurer_org, NoticeKind::ComplaintReplyDue).await,
        1
    );
    let insurer = app.login("ins", PASSWORD).await;
    let rows = inbox(&app, &insurer, "?kind=complaint.reply_due").await;
    assert!(
        rows[0].1.contains("须于 2026-10-15 前受理"),
        "{}",
        rows[0].1
    );

    app.clock.set(china_morning("2026-10-16"));
    r.tick().await.unwrap();
    assert_eq!(
        told(&app, insurer_org, NoticeKind::ComplaintOverdue).await,
        1
    );
    // The agency is not asked to accept; it hears of nothing yet.
    assert_eq!(told(&app, w.agency, NoticeKind::ComplaintOverdue).await, 0);
    let insurer = app.login("ins", PASSWORD).await;
    let rows = inbox(&app, &insurer, "?kind=complaint.overdue").await;
    let res = app
        .post_form(
            &insurer,
            "/notifications",
            &format!("/notifications/{}/read", rows[0].0),
            &[],
        )
        .await;
    assert!(location(&res).starts_with("/complaints/"));

    // Accepted late; two working days before 办结 (12 November) insurer and agency are told.
    let complaint: anze_core::ids::ComplaintId = location(&res)
        .trim_start_matches("/complaints/")
        .parse()
        .unwrap();
    let handler = app.actor("ins").await;
    anze_core::complaint::service::handle(
        &app.db,
        &handler,
        complaint,
        anze_core::complaint::ComplaintAction::Accept,
        "",
        app.clock_now(),
    )
    .await
    .unwrap();
    app.clock.set(china_morning("2026-11-10"));
    r.tick().await.unwrap();
    assert_eq!(
        told(&app, insurer_org, NoticeKind::ComplaintSettleDue).await,
        1
    );
    assert_eq!(
        told(&app, w.agency, NoticeKind::ComplaintSettleDue).await,
        1
    );
    let agency = app.login("ag_a", PASSWORD).await;
    let rows = inbox(&app, &agency, "?kind=complaint.settle_due").await;
    assert!(
        rows[0].1.contains("须于 2026-11-12 前办结"),
        "{}",
        rows[0].1
    );
}
