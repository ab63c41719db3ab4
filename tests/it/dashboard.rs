//! 看板: each party's dashboard over recounted monthly facts, its scope, the period selector,
//! the Excel export and the platform's 立即更新. Everything through real HTTP.

use calamine::{Reader, Xlsx};
use chrono::Duration;
use reqwest::StatusCode;
use std::io::Cursor;

use crate::hazards::{accepted_order, day, hazard_form, inspect, new_hazard};
use crate::helpers::TestApp;

crate::backend_tests!(
    each_party_reads_its_own_figures_after_a_recount,
    periods_are_checked_and_only_the_platform_recounts,
    the_export_holds_every_table_of_the_board,
    the_scheduled_recounts_keep_the_boards_current,
    the_agency_board_lists_what_needs_it_soon,
);

/// 立即更新 as the platform admin, for the year.
async fn recount(app: &TestApp) {
    let admin = app.admin().await;
    let res = app
        .post_form(
            &admin,
            "/dashboard",
            "/dashboard/refresh",
            &[("period", "year")],
        )
        .await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
}

/// The agency's order with one inspection today and one hazard due in three days; then the
/// clock moves ten days on, so the hazard is overdue.
async fn an_overdue_hazard(app: &TestApp) -> crate::hazards::Agency {
    let a = accepted_order(app).await;
    let staff = app.login("hz_staff", crate::helpers::PASSWORD).await;
    let record = inspect(app, &staff, a.order, &day(app, 0), &a.staff).await;
    let deadline = day(app, 3);
    new_hazard(
        app,
        &staff,
        &record,
        &hazard_form("消防通道堆放杂物", "major", &deadline),
    )
    .await;
    a
}

async fn each_party_reads_its_own_figures_after_a_recount(app: TestApp) {
    let a = an_overdue_hazard(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "db_reg")
        .await;
    app.seed_org("insurer", "平安泉州分公司", "db_other_ins")
        .await;
    let reg = app.login("db_reg", crate::helpers::PASSWORD).await;

    // Nothing is counted before the first recount, and the page says so.
    let (status, html) = app.get(&reg, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("尚未统计"), "{html}");
    assert!(!html.contains("安泰安全技术"));

    recount(&app).await;
    let (_, html) = app.get(&reg, "/dashboard").await;
    assert!(!html.contains("尚未统计"));
    // The agency ranks with its hazard; the region's row links to the ledger behind it.
    assert!(html.contains("安泰安全技术"), "{html}");
    assert!(html.contains("/hazards?region=350503&amp;level=major&amp;found_from="));
    assert!(html.contains("<svg class=\"chart\""));
    // Coverage: the one policy in force has an accepted order.
    assert!(html.contains("100.0%"), "{html}");
    // Narrowed to the region, then to one outside the regulator's.
    let (status, html) = app.get(&reg, "/dashboard?region=350503").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("安泰安全技术"));
    let (status, html) = app.get(&reg, "/dashboard?region=350502").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("所选区划不在本部门管辖范围内"), "{html}");
    // The ledger the overdue figure links to takes the agency filter.
    let (status, ledger) = app.get(&reg, &format!("/hazards?agency={}", a.org.0)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ledger.contains("消防通道堆放杂物"));

    // The insurer sees its agency; another insurer sees nothing of it.
    let ins = app.login("hz_ins", crate::helpers::PASSWORD).await;
    let (status, html) = app.get(&ins, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("订单状态(按服务机构)"));
    assert!(html.contains("安泰安全技术"));
    let other = app.login("db_other_ins", crate::helpers::PASSWORD).await;
    let (_, html) = app.get(&other, "/dashboard").await;
    assert!(!html.contains("安泰安全技术"), "{html}");
    assert!(html.contains("所选期间没有指派订单"));

    // The agency: its people, and the hazard due within seven days.
    let admin = app.login("hz_admin", crate::helpers::PASSWORD).await;
    let (status, html) = app.get(&admin, "/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("人员工作量"));
    assert!(html.contains("7 日内到期隐患"));
    assert!(html.contains("待整改"), "{html}");

    // Ten days on, after the next recount, the hazard is overdue for the regulator.
    app.clock.advance(Duration::days(10));
    recount(&app).await;
    let reg = app.login("db_reg", crate::helpers::PASSWORD).await;
    let (_, html) = app.get(&reg, "/dashboard?rank=overdue").await;
    assert!(
        html.contains("class=\"danger\" href=\"/hazards?overdue=1"),
        "{html}"
    );
}

async fn periods_are_checked_and_only_the_platform_recounts(app: TestApp) {
    accepted_order(&app).await;
    let ins = app.login("hz_ins", crate::helpers::PASSWORD).await;
    for (query, message) in [
        (
            "period=custom&from=2026-13&to=2026-01",
            "月份格式应为 2026-01",
        ),
        (
            "period=custom&from=2026-05&to=2026-01",
            "结束月份不能早于开始月份",
        ),
        ("period=custom&from=&to=2026-01", "请选择月份"),
        (
            "period=custom&from=2019-01&to=2026-01",
            "一次最多查看 36 个月",
        ),
    ] {
        let (status, html) = app.get(&ins, &format!("/dashboard?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(html.contains(message), "{query}: {html}");
    }
    // Injection attempts in the other parameters are ignored, not errors.
    let (status, _) = app
        .get(
            &ins,
            "/dashboard?period=month%27%20or%201=1&rank=%3Cscript%3E",
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Only the platform recounts.
    let (_, html) = app.get(&ins, "/dashboard").await;
    assert!(!html.contains("立即更新"));
    let res = app
        .post_form(&ins, "/dashboard", "/dashboard/refresh", &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/dashboard").await;
    assert!(html.contains("立即更新"));
}

async fn the_export_holds_every_table_of_the_board(app: TestApp) {
    an_overdue_hazard(&app).await;
    recount(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "db_reg")
        .await;
    let reg = app.login("db_reg", crate::helpers::PASSWORD).await;
    let res = reg
        .get(app.url("/dashboard/export.xlsx?period=year"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a valid xlsx");
    let names = wb.sheet_names();
    for sheet in [
        "说明",
        "投保覆盖-按区划",
        "投保覆盖-按行业",
        "按区划",
        "服务机构排名",
        "近12个月",
    ] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }
    let ranking = wb.worksheet_range("服务机构排名").unwrap();
    let rows: Vec<Vec<String>> = ranking
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "服务机构");
    assert!(rows.iter().any(|r| r[0] == "安泰安全技术"), "{rows:?}");
    // The hazard found: column 发现隐患.
    let found = rows[0].iter().position(|c| c == "发现隐患").unwrap();
    let agency = rows.iter().find(|r| r[0] == "安泰安全技术").unwrap();
    assert_eq!(agency[found], "1");
}

async fn the_scheduled_recounts_keep_the_boards_current(app: TestApp) {
    use anze::jobs::Runner;
    use anze_core::job::JobKind;
    use std::sync::Arc;

    an_overdue_hazard(&app).await;
    app.seed_org("regulator", "丰泽区应急管理局", "db_reg")
        .await;
    let clock: Arc<dyn anze_core::time::Clock> = app.clock.clone();
    let runner = Runner::new(Arc::new(app.db.clone()), clock)
        .unwrap()
        .only(&[JobKind::DashboardRecent, JobKind::DashboardNightly]);
    // Both kinds' current slots: the running month every 10 minutes, 13 months nightly.
    let first = runner.tick().await.unwrap();
    assert_eq!(
        (first.enqueued, first.done, first.failed),
        (2, 2, 0),
        "{first:?}"
    );
    let reg = app.login("db_reg", crate::helpers::PASSWORD).await;
    let (_, html) = app.get(&reg, "/dashboard?period=month").await;
    assert!(html.contains("安泰安全技术"), "{html}");
    assert!(!html.contains("尚未统计"));
    // The same slot again runs nothing; ten minutes on, the running month is recounted.
    assert_eq!(runner.tick().await.unwrap().ran(), 0);
    app.clock.advance(chrono::Duration::minutes(10));
    let next = runner.tick().await.unwrap();
    assert_eq!((next.enqueued, next.done), (1, 1), "{next:?}");
    // The platform's 定时任务 page lists both.
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/jobs").await;
    assert!(html.contains("看板统计(本月)") && html.contains("看板统计(近 13 个月)"));
}

/// The agency board's to-do sections read live: an order whose service period ends within a
/// month with items undelivered, and an objection until it is answered.
async fn the_agency_board_lists_what_needs_it_soon(app: TestApp) {
    let a = accepted_order(&app).await;
    let admin = app.login("hz_admin", crate::helpers::PASSWORD).await;
    let link = format!("href=\"/orders/{}\">", a.order);
    let (status, board) = app.get(&admin, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!board.contains(&link), "ends in 334 days: {board}");
    assert!(
        board.contains("href=\"/confirmations?state=objected\">0</a>"),
        "{board}"
    );

    // A record the enterprise objects to waits for the agency's answer.
    let code = crate::helpers::credit_code(crate::hazards::ENTERPRISE);
    app.seed_enterprise_account(&code, "hz_qy").await;
    let staff = app.login("hz_staff", crate::helpers::PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let record: anze_core::ids::RecordId = record.trim_start_matches("/records/").parse().unwrap();
    let qy = app.login("hz_qy", crate::helpers::PASSWORD).await;
    let res = crate::confirmations::step(&app, &qy, record, "object", "检查日期不对").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, board) = app.get(&admin, "/dashboard").await;
    assert!(
        board.contains("class=\"danger\" href=\"/confirmations?state=objected\">1</a>"),
        "{board}"
    );
    assert_eq!(recounted_open_objections(&app).await, 1);
    let res = crate::confirmations::step(&app, &admin, record, "reply", "已核对,日期无误").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, board) = app.get(&admin, "/dashboard").await;
    assert!(
        board.contains("href=\"/confirmations?state=objected\">0</a>"),
        "answered: {board}"
    );
    assert_eq!(recounted_open_objections(&app).await, 0);

    // Three weeks before the end of its service period, with most items still to deliver.
    app.clock.advance(Duration::days(320));
    let admin = app.login("hz_admin", crate::helpers::PASSWORD).await;
    let (_, board) = app.get(&admin, "/dashboard").await;
    assert!(board.contains(&link), "ends in 14 days: {board}");
}

/// 待答复异议 in this month's facts after 立即更新: the agencies' ranking and the export read it.
async fn recounted_open_objections(app: &TestApp) -> u64 {
    use anze_core::dashboard::DashboardStore;
    // A later recount than the last one: the boards keep their sums until a recount's stamp
    // changes, and the test clock stands still.
    app.clock.advance(Duration::seconds(1));
    recount(app).await;
    let month = anze_core::dashboard::month_of(anze_core::time::today(app.clock_now()));
    let period = anze_core::dashboard::Period {
        first: month,
        last: month,
    };
    app.db
        .facts(&anze_core::scope::Scope::All, period)
        .await
        .unwrap()
        .iter()
        .map(|c| c.facts.objections_open)
        .sum()
}
