//! Smoke run of `anze bench` at a tiny scale, so the benchmark cannot rot: every scenario must
//! complete without errors. It asserts nothing about speed.

use anze::bench::{BenchArgs, Target};
use clap::Parser;

crate::async_tests!(every_bench_scenario_completes_without_errors_on_sqlite);

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

async fn every_bench_scenario_completes_without_errors_on_sqlite() {
    let out = std::env::temp_dir().join(format!("anze-bench-smoke-{}", std::process::id()));
    let cli = Cli::parse_from([
        "bench",
        "--scale",
        "tiny",
        "--concurrency",
        "2",
        "--warmup",
        "0.2",
        "--duration",
        "1",
        "--export-rows",
        "100",
        "--upload-bytes",
        "4194304",
        "--backfill-photos",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let opts = cli
        .bench
        .options(env!("CARGO_BIN_EXE_anze").into())
        .unwrap();
    let report = anze::bench::run(&opts).await.unwrap();
    assert!(report.failures().is_empty(), "{:#?}", report.failures());
    assert!(report.rows.iter().any(|r| r.target == Target::Ceiling));
    assert!(
        report.rows.len() >= 20,
        "every scenario has a row: {}",
        report.markdown()
    );
    assert!(
        report
            .rows
            .iter()
            .any(|r| r.scenario == "inspection checks"),
        "the data set marks inspections against a checklist: {}",
        report.markdown()
    );
    let upload = report
        .upload
        .as_ref()
        .expect("the large upload is measured");
    assert!(
        upload.outcome.starts_with("answered 303"),
        "the large upload is accepted and stored: {}",
        upload.outcome
    );
    let backfill = report.backfill.as_ref().expect("the backfill is measured");
    assert_eq!(backfill.photos, 2, "every stored photo is visited");
    for file in ["report.md", "report.json", "dataset.json"] {
        assert!(out.join(file).exists(), "{file} is written");
    }
    // The same data set measured again, without generating.
    let again = anze::bench::run(&anze::bench::BenchOptions {
        reuse: true,
        upload_bytes: 0,
        backfill_photos: 0,
        ..opts
    })
    .await
    .unwrap();
    assert!(again.failures().is_empty(), "{:#?}", again.failures());
    let _ = std::fs::remove_dir_all(&out);
}
