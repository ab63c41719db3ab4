//! The `anze` binary's commands, run as an operator would, on a SQLite data directory.

use std::path::PathBuf;
use std::process::{Command, Output};

crate::tests!(
    config_prints_the_effective_values_with_secrets_masked,
    dashboard_rebuild_recounts_every_month_of_the_demo_data,
    demo_is_idempotent_and_reset_password_unlocks_an_account,
    first_start_prints_a_generated_admin_password_once,
    api_token_create_prints_a_secret_for_an_account,
);

struct DataDir(PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn data_dir() -> DataDir {
    let dir = std::env::temp_dir().join(format!(
        "anze-cli-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    DataDir(dir)
}

fn anze(dir: &DataDir, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anze"));
    cmd.args(args)
        .current_dir(&dir.0)
        .env("ANZE_DATA_DIR", dir.0.join("data"))
        .env_remove("ANZE_DATABASE_URL")
        .env_remove("ANZE_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn config_prints_the_effective_values_with_secrets_masked() {
    let dir = data_dir();
    std::fs::write(dir.0.join("anze.toml"), "listen = \"0.0.0.0:9090\"\n").unwrap();
    let out = anze(
        &dir,
        &["config"],
        &[
            ("ANZE_DATABASE_URL", "postgres://anze:s3cret@db/anze"),
            ("ANZE_ADMIN_PASSWORD", "Admin12345"),
        ],
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("listen = \"0.0.0.0:9090\""), "{text}");
    assert!(text.contains("postgres://anze:***@db/anze"));
    assert!(!text.contains("s3cret") && !text.contains("Admin12345"));
}

fn demo_is_idempotent_and_reset_password_unlocks_an_account() {
    let dir = data_dir();
    let first = anze(&dir, &["demo"], &[("ANZE_ADMIN_PASSWORD", "Admin12345")]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout(&first).contains("6 organizations and 5 staff accounts created"));
    let again = anze(&dir, &["demo"], &[]);
    assert!(again.status.success());
    assert!(stdout(&again).contains("0 organizations and 0 staff accounts created"));

    let reset = anze(&dir, &["admin", "reset-password", "anxin_staff1"], &[]);
    assert!(reset.status.success());
    let text = stdout(&reset);
    assert!(text.contains("张工(anxin_staff1)"));
    assert!(text.contains("新密码(仅显示一次)"));

    let chosen = anze(
        &dir,
        &[
            "admin",
            "reset-password",
            "admin",
            "--password",
            "Chosen123",
        ],
        &[],
    );
    assert!(chosen.status.success());
    let weak = anze(
        &dir,
        &["admin", "reset-password", "admin", "--password", "weak"],
        &[],
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("密码至少 8 位"));
    let nobody = anze(&dir, &["admin", "reset-password", "nobody"], &[]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no such account"));
}

fn first_start_prints_a_generated_admin_password_once() {
    let dir = data_dir();
    let out = anze(&dir, &["demo"], &[]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("初始密码(仅显示一次"));
    let again = anze(&dir, &["migrate"], &[]);
    assert!(again.status.success());
    assert!(!stdout(&again).contains("初始密码"));
}

fn dashboard_rebuild_recounts_every_month_of_the_demo_data() {
    let dir = data_dir();
    assert!(anze(&dir, &["demo"], &[]).status.success());
    let out = anze(&dir, &["dashboard", "rebuild"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("看板数据重算完成"),
        "{}",
        stdout(&out)
    );
    let progress = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(progress.contains("已统计"), "{progress}");
    let bad = anze(&dir, &["dashboard", "rebuild", "--from", "2026-13"], &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from 应为年月"));
}

fn api_token_create_prints_a_secret_for_an_account() {
    let dir = data_dir();
    assert!(
        anze(&dir, &["demo"], &[("ANZE_ADMIN_PASSWORD", "Admin12345")])
            .status
            .success()
    );
    let create = |account: &str, more: &[&str]| {
        let mut args = vec!["api-token", "create", account, "--name", "巡检终端"];
        args.extend_from_slice(more);
        anze(&dir, &args, &[])
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let out = create("anxin_staff1", &["--days", "7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = stdout(&out).trim().to_string();
    assert!(anze_core::api_token::looks_like_secret(&secret), "{secret}");
    // Only what the account holds, a real account, a year at most.
    let out = create("anxin_staff1", &["--permissions", "policy:import"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("不能授予本账号没有的权限"));
    assert!(stderr(&create("nobody", &[])).contains("no such account"));
    assert!(stderr(&create("anxin_staff1", &["--days", "400"])).contains("有效期"));
}
