//! The 操作日志 hash chain: changes through the application keep it whole; a row edited,
//! deleted or added with SQL behind the application's back is found by `anze audit verify`.

use anze_core::audit::chain::ChainVerification;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

crate::backend_tests!(
    audit_chain_break_detected_when_a_row_is_edited_with_sql,
    audit_chain_reports_a_deleted_row_as_missing,
    audit_chain_reports_the_newest_row_deleted,
    audit_chain_reports_a_row_added_outside_the_application,
    audit_chain_holds_under_concurrent_writers,
    platform_admin_sees_the_chain_head_and_last_verification,
    rows_written_before_the_chain_are_chained_by_its_migration,
    a_chain_rebuilt_after_a_verification_is_found_at_that_verifications_head,
);

async fn verify(app: &TestApp) -> ChainVerification {
    anze_core::audit::service::verify_chain(&app.db, app.clock_now(), 2, &mut |_| {})
        .await
        .unwrap()
}

/// Some audited changes through HTTP: an organization, two accounts, a role.
async fn some_changes(app: &TestApp) {
    app.seed_org("agency", "安信", "c_admin").await;
    app.seed_account("c_admin", "c_staff1", "服务人员").await;
    let admin = app.login("c_admin", PASSWORD).await;
    let res = app
        .post_form(
            &admin,
            "/roles/new",
            "/roles",
            &[
                ("name", "链角色"),
                ("data_scope", "own"),
                ("permissions", "account:view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.seed_account("c_admin", "c_staff2", "服务人员").await;
}

fn run_cli(app: &TestApp) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_anze"))
        .args(["audit", "verify", "--batch", "2"])
        .current_dir(&app.data_dir)
        .env(
            "ANZE_DATABASE_URL",
            format!("sqlite://{}", app.data_dir.join("anze.db").display()),
        )
        .env_remove("ANZE_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

async fn audit_chain_break_detected_when_a_row_is_edited_with_sql(app: TestApp) {
    some_changes(&app).await;
    let v = verify(&app).await;
    assert!(v.ok, "{}", v.problem);
    assert!(v.rows_checked >= 4, "{v:?}");
    assert_eq!(v.head.seq, v.rows_checked as i64);
    let sqlite = app.db.backend_name() == "sqlite";
    if sqlite {
        let out = run_cli(&app);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains(&format!("审计日志校验通过:{} 条", v.rows_checked)),
            "{text}"
        );
    }

    // Changes through the application numbered 1, 2, 3, … from the first audited event.
    let seq = 3;
    app.db
        .execute_unprepared(&format!(
            "UPDATE audit_events SET summary = '新增角色 管理员' WHERE seq = {seq}"
        ))
        .await
        .unwrap();
    let v = verify(&app).await;
    assert!(!v.ok);
    assert!(
        v.problem.starts_with(&format!("第 {seq} 条(记录 id ")) && v.problem.contains("内容被修改"),
        "{}",
        v.problem
    );
    assert_eq!(
        v.rows_checked,
        (seq - 1) as u64,
        "checked up to the edited row"
    );

    if sqlite {
        let out = run_cli(&app);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{text}");
        assert!(
            text.contains("审计日志校验未通过") && text.contains("内容被修改"),
            "{text}"
        );
    }
}

async fn audit_chain_reports_a_deleted_row_as_missing(app: TestApp) {
    some_changes(&app).await;
    let seq = 2;
    app.db
        .execute_unprepared(&format!("DELETE FROM audit_events WHERE seq = {seq}"))
        .await
        .unwrap();
    let v = verify(&app).await;
    assert!(!v.ok);
    assert!(
        v.problem.contains("记录缺失") && v.problem.contains(&format!("第 {seq} 条不存在")),
        "{}",
        v.problem
    );
}

async fn audit_chain_reports_the_newest_row_deleted(app: TestApp) {
    some_changes(&app).await;
    // The head still names it.
    let head = verify(&app).await.head;
    app.db
        .execute_unprepared(&format!(
            "DELETE FROM audit_events WHERE seq = {}",
            head.seq
        ))
        .await
        .unwrap();
    let v = verify(&app).await;
    assert!(
        !v.ok && v.problem.contains("记录缺失") && v.problem.contains("链头记到"),
        "{}",
        v.problem
    );
}

async fn audit_chain_reports_a_row_added_outside_the_application(app: TestApp) {
    some_changes(&app).await;
    app.db
        .execute_unprepared(
            "INSERT INTO audit_events (at, actor_name, action, object_kind, object_label, summary, ip) \
             VALUES ('2026-01-01 00:00:00', '某人', 'delete', 'account', 'x', '伪造', '')",
        )
        .await
        .unwrap();
    let v = verify(&app).await;
    assert!(
        !v.ok && v.problem.contains("链外记录") && v.problem.contains("不在链上"),
        "{}",
        v.problem
    );
    // Given the next number, but the head was not moved.
    let next = v.head.seq + 1;
    app.db
        .execute_unprepared(&format!(
            "UPDATE audit_events SET seq = {next}, prev_hash = '{}', hash = '{}' WHERE seq IS NULL",
            v.head.hash,
            "a".repeat(64)
        ))
        .await
        .unwrap();
    let v = verify(&app).await;
    assert!(
        !v.ok
            && v.problem.contains("链外记录")
            && v.problem.contains(&format!("但存在第 {next} 条")),
        "{}",
        v.problem
    );
}

async fn audit_chain_holds_under_concurrent_writers(app: TestApp) {
    app.seed_org("agency", "安信", "c_admin").await;
    let admin = app.login("c_admin", PASSWORD).await;
    let role = role_id(&app, "c_admin", "服务人员").await;
    let usernames: Vec<String> = (0..8).map(|i| format!("par{i}")).collect();
    let (app, admin, role) = (&app, &admin, role.as_str());
    let creates = usernames.iter().map(|u| async move {
        app.post_form(
            admin,
            "/accounts/new",
            "/accounts",
            &[
                ("username", u.as_str()),
                ("name", "并发"),
                ("phone", ""),
                ("password", PASSWORD),
                ("role_ids", role),
                ("enabled", "1"),
            ],
        )
        .await
    });
    for res in futures_util::future::join_all(creates).await {
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{}",
            res.text().await.unwrap()
        );
    }
    let v = verify(app).await;
    assert!(v.ok, "{}", v.problem);
    // The organization, its admin's events and the eight accounts, numbered without gaps.
    assert!(v.rows_checked >= 9, "{v:?}");
    assert_eq!(v.head.seq, v.rows_checked as i64);
}

async fn role_id(app: &TestApp, admin_username: &str, role: &str) -> String {
    let org = app.actor(admin_username).await.org_id;
    anze_core::role::RoleStore::roles_of_org(&app.db, org)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == role)
        .unwrap()
        .id
        .to_string()
}

async fn platform_admin_sees_the_chain_head_and_last_verification(app: TestApp) {
    some_changes(&app).await;
    let admin = app.admin().await;
    let (status, html) = app.get(&admin, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("链头:seq ") && html.contains("尚未校验"),
        "{html}"
    );
    let res = app.post_form(&admin, "/audit", "/audit/verify", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let v = anze_core::audit::AuditStore::last_chain_verification(&app.db, false)
        .await
        .unwrap()
        .unwrap();
    assert!(v.ok, "{}", v.problem);
    let (_, html) = app.get(&admin, "/audit").await;
    assert!(
        html.contains(&format!(
            "链头:seq {} · hash {}",
            v.head.seq,
            v.head.short_hash()
        )),
        "{html}"
    );
    assert!(html.contains("通过") && html.contains(&format!("共 {} 条", v.rows_checked)));
    // The chain spans every organization: an organization's admin sees its own log only.
    let org_admin = app.login("c_admin", PASSWORD).await;
    let (_, html) = app.get(&org_admin, "/audit").await;
    assert!(
        !html.contains("链头") && !html.contains("立即校验"),
        "{html}"
    );
}

async fn rows_written_before_the_chain_are_chained_by_its_migration(app: TestApp) {
    some_changes(&app).await;
    let before = verify(&app).await.rows_checked;
    // Back to the schema before the chain, keeping the rows.
    let drop_index = if app.db.backend_name() == "mysql" {
        "DROP INDEX idx_audit_events_seq ON audit_events"
    } else {
        "DROP INDEX idx_audit_events_seq"
    };
    for sql in [
        drop_index,
        "DROP TABLE audit_chain_head",
        "DROP TABLE audit_verifications",
        "ALTER TABLE audit_events DROP COLUMN hash",
        "ALTER TABLE audit_events DROP COLUMN prev_hash",
        "ALTER TABLE audit_events DROP COLUMN seq",
        "DELETE FROM seaql_migrations WHERE version = 'm20261130_000030_audit_chain'",
    ] {
        app.db.execute_unprepared(sql).await.unwrap();
    }
    app.db.migrate().await.unwrap();
    let v = verify(&app).await;
    assert!(v.ok, "{}", v.problem);
    assert_eq!(v.rows_checked, before);
    // New events continue the chain the migration built.
    app.seed_account("c_admin", "c_staff3", "服务人员").await;
    let v = verify(&app).await;
    assert!(v.ok, "{}", v.problem);
    assert_eq!(v.rows_checked, before + 1);
}

async fn a_chain_rebuilt_after_a_verification_is_found_at_that_verifications_head(app: TestApp) {
    use anze_core::audit::AuditStore;
    use anze_core::audit::chain::chain_hash;
    some_changes(&app).await;
    let seen = verify(&app).await;
    assert!(seen.ok, "{}", seen.problem);
    // Someone who knows the encoding edits row 2 and recomputes every hash after it, and the head.
    let mut rows = app
        .db
        .audit_chain_rows(0, seen.head.seq, 1000)
        .await
        .unwrap();
    rows[1].summary = "改写".into();
    let mut prev = rows[0].hash.clone();
    for r in &mut rows[1..] {
        r.prev_hash = prev;
        r.hash = chain_hash(r.seq, &r.prev_hash, &r.fields());
        prev = r.hash.clone();
        app.db
            .execute_unprepared(&format!(
                "UPDATE audit_events SET summary = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                r.summary, r.prev_hash, r.hash, r.seq
            ))
            .await
            .unwrap();
    }
    app.db
        .execute_unprepared(&format!("UPDATE audit_chain_head SET hash = '{prev}'"))
        .await
        .unwrap();
    let v = verify(&app).await;
    assert!(
        !v.ok
            && v.problem.starts_with(&format!("第 {} 条", seen.head.seq))
            && v.problem.contains("链被重写"),
        "{}",
        v.problem
    );
}
