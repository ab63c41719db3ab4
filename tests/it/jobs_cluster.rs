//! Two `anze serve` processes (the real binary) on one PostgreSQL database: the daily reminder
//! slot is enqueued by both, claimed by one, and its notifications are written once. Runs when
//! `ANZE_TEST_POSTGRES_URL` is set (and must, with `ANZE_TEST_REQUIRE_ALL=1`).

use anze_core::job::{JobKind, JobQuery, JobState, JobStore};
use anze_core::notify::{NoticeKind, NoticeQuery, NoticeStore, Viewer};
use anze_core::page::PageRequest;
use std::time::{Duration, Instant};

use crate::hazards::{accept_and_assign, day, hazard_form, inspect, new_hazard};
use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::process::Launch;

crate::__register!(
    Postgres,
    [],
    "postgres::two_servers_on_one_database_fire_the_reminder_once",
    || crate::harness::block_on(two_servers_on_one_database_fire_the_reminder_once())
);

async fn two_servers_on_one_database_fire_the_reminder_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    // A hazard due in two days, with its enterprise's account.
    app.seed_org("insurer", "人保泉州分公司", "ins").await;
    let agency = app.seed_org("agency", "安信安全技术", "ag_a").await;
    let staff = app.seed_account("ag_a", "ag_staff", "服务人员").await;
    let code = app
        .seed_enterprise("ins", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins", &code, "PICC-C-1").await;
    app.seed_enterprise_account(&code, "qy_a").await;
    let order = app.seed_order("ins", policy, agency).await;
    accept_and_assign(&app, "ag_a", order, &[staff]).await;
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
    let enterprise = app.actor("qy_a").await.org_id;

    let a = Launch::new(&app, "a").start().await;
    let b = Launch::new(&app, "b").start().await;
    // Both runners up, and the slot's run finished.
    let started = Instant::now();
    loop {
        let done = reminder_runs(&app)
            .await
            .iter()
            .any(|r| r.state == JobState::Done);
        if done && a.worker().is_some() && b.worker().is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no reminder run finished:\n{}\n{}",
            a.log(),
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more ticks of both: the slot is not run again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (wa, wb) = (a.worker().unwrap(), b.worker().unwrap());
    a.stop().await;
    b.stop().await;

    let runs = reminder_runs(&app).await;
    assert_eq!(runs.len(), 1, "one run for the slot");
    assert_eq!(runs[0].attempts, 1, "claimed once");
    assert_eq!(runs[0].state, JobState::Done);
    let worker = runs[0].locked_by.clone().unwrap();
    assert_ne!(wa, wb);
    assert!(
        worker == wa || worker == wb,
        "{worker} is neither {wa} nor {wb}"
    );
    for org in [agency, enterprise] {
        let told = app
            .db
            .list_notices(
                &Viewer {
                    org,
                    account: anze_core::ids::AccountId(0),
                    own_orders_only: false,
                },
                &NoticeQuery {
                    read: None,
                    kind: Some(NoticeKind::HazardDueSoon),
                },
                PageRequest::first(10),
            )
            .await
            .unwrap()
            .total;
        assert_eq!(told, 1, "told once");
    }
}

async fn reminder_runs(app: &TestApp) -> Vec<anze_core::job::JobRun> {
    app.db
        .list_job_runs(
            &JobQuery {
                kind: Some(JobKind::Reminders),
                ..JobQuery::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .items
}
