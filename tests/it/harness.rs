//! The harness of the `it` binary (libtest-mimic, `harness = false`).
//!
//! The standard harness can only pass or fail a test that has started, so a PostgreSQL test on a
//! machine without PostgreSQL used to return early and count as passed. Here every test says what
//! it needs besides SQLite and local files (`Needs`); one whose suite is not configured is
//! reported as ignored, with the variable that turns it on, and the run ends with one line naming
//! the suites that did not run. `ANZE_TEST_REQUIRE_ALL=1` (CI) makes a missing suite an error
//! before anything runs.
//!
//! Tests register themselves where they are written, through the macros below, so a new file
//! needs nothing but its `mod` line in `main.rs`: `inventory` gathers the registrations at start.

use libtest_mimic::{Arguments, Completion, Trial};
use std::future::Future;
use std::process::ExitCode;

/// One registered test; built by the macros, never by hand.
pub struct Test {
    /// `module_path!()` where the macro was invoked, e.g. `it::accounts`.
    pub module: &'static str,
    /// The name under that module, e.g. `sqlite::admin_creates_account`.
    pub name: &'static str,
    pub needs: Needs,
    /// Like `#[ignore]`: runs only with `--ignored` or `--include-ignored`.
    pub ignored: bool,
    pub run: fn(),
}

inventory::collect!(Test);

/// What a test needs besides SQLite and local files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    Postgres,
    Mysql,
    S3,
    Browser,
    /// PostgreSQL, S3 and nginx: several `anze serve` processes behind a reverse proxy.
    Cluster,
}

impl Needs {
    const SUITES: [Needs; 5] = [
        Needs::Postgres,
        Needs::Mysql,
        Needs::S3,
        Needs::Browser,
        Needs::Cluster,
    ];

    fn label(self) -> &'static str {
        match self {
            Needs::Nothing => "SQLite",
            Needs::Postgres => "PostgreSQL",
            Needs::Mysql => "MySQL/MariaDB",
            Needs::S3 => "S3",
            Needs::Browser => "browser",
            Needs::Cluster => "two instances behind nginx",
        }
    }

    /// The setting that turns the suite on.
    fn switch(self) -> &'static str {
        match self {
            Needs::Nothing => "",
            Needs::Postgres => "ANZE_TEST_POSTGRES_URL",
            Needs::Mysql => "ANZE_TEST_MYSQL_URL",
            Needs::S3 => "ANZE_TEST_S3_URL",
            Needs::Browser => "ANZE_TEST_BROWSER=1",
            Needs::Cluster => {
                "ANZE_TEST_POSTGRES_URL and ANZE_TEST_S3_URL, and install nginx or name it in \
                 ANZE_TEST_NGINX"
            }
        }
    }

    pub fn configured(self) -> bool {
        let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
        match self {
            Needs::Nothing => true,
            Needs::Postgres => set("ANZE_TEST_POSTGRES_URL"),
            Needs::Mysql => set("ANZE_TEST_MYSQL_URL"),
            Needs::S3 => set("ANZE_TEST_S3_URL"),
            Needs::Browser => std::env::var("ANZE_TEST_BROWSER").as_deref() == Ok("1"),
            Needs::Cluster => {
                Needs::Postgres.configured()
                    && Needs::S3.configured()
                    && crate::process::nginx_binary().is_some()
            }
        }
    }
}

/// Runs one test's future the way `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`
/// did: a runtime of its own, gone when the test ends.
pub fn block_on(test: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("building the test's runtime")
        // Boxed: a test's future can be large, and the harness's threads have default stacks.
        .block_on(Box::pin(test))
}

pub fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // The standard harness reads it; libtest-mimic only knows `--test-threads`.
    if args.test_threads.is_none() {
        args.test_threads = std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|n| n.parse().ok());
    }
    let missing: Vec<Needs> = Needs::SUITES
        .into_iter()
        .filter(|n| !n.configured())
        .collect();
    if std::env::var("ANZE_TEST_REQUIRE_ALL").as_deref() == Ok("1")
        && !missing.is_empty()
        && !args.list
    {
        eprintln!(
            "error: ANZE_TEST_REQUIRE_ALL=1 but these suites cannot run: {}",
            describe(&missing)
        );
        return ExitCode::from(101);
    }

    let mut tests: Vec<&'static Test> = inventory::iter::<Test>.into_iter().collect();
    tests.sort_by_key(|t| (t.module, t.name));
    for pair in tests.windows(2) {
        assert!(
            (pair[0].module, pair[0].name) != (pair[1].module, pair[1].name),
            "{}::{} is registered twice",
            pair[0].module,
            pair[0].name
        );
    }
    let trials: Vec<Trial> = tests.iter().map(|t| trial(t)).collect();
    // Only suites with a test the filter selected: `cargo test --test it cli::` skips none.
    let not_run: Vec<Needs> = missing
        .into_iter()
        .filter(|&needs| {
            tests
                .iter()
                .zip(&trials)
                .any(|(t, trial)| t.needs == needs && !args.is_filtered_out(trial))
        })
        .collect();

    let conclusion = libtest_mimic::run(&args, trials);
    crate::helpers::template::drop_all();
    if !not_run.is_empty() && !args.list {
        eprintln!(
            "note: these suites did not run (their tests are counted as ignored): {}",
            describe(&not_run)
        );
    }
    conclusion.exit_code()
}

fn trial(test: &'static Test) -> Trial {
    let module = test.module.strip_prefix("it::").unwrap_or(test.module);
    let needs = test.needs;
    let run = test.run;
    Trial::ignorable_test(format!("{module}::{}", test.name), move || {
        if !needs.configured() {
            return Ok(Completion::ignored_with(format!("set {}", needs.switch())));
        }
        let started = std::time::Instant::now();
        run();
        record_time(module, test.name, started.elapsed());
        Ok(Completion::Completed)
    })
    .with_ignored_flag(test.ignored)
}

/// With `ANZE_TEST_TIMES=FILE`, each passed test appends `seconds<TAB>name` to FILE, so the
/// tests that make the suite slow can be found (`sort -rn FILE | head`).
fn record_time(module: &str, name: &str, took: std::time::Duration) {
    use std::io::Write;
    let Some(path) = std::env::var_os("ANZE_TEST_TIMES") else {
        return;
    };
    let line = format!("{:.3}\t{module}::{name}\n", took.as_secs_f64());
    // One write per line on an append-mode file: lines of parallel tests do not interleave.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

fn describe(suites: &[Needs]) -> String {
    suites
        .iter()
        .map(|n| format!("{} (set {})", n.label(), n.switch()))
        .collect::<Vec<_>>()
        .join(", ")
}

crate::tests!(no_test_attribute_is_left_unregistered);

/// `#[test]` and `#[tokio::test]` compile to nothing in this binary (it is built without
/// `--test`), so a test written that way would vanish without a word; this one names it.
fn no_test_attribute_is_left_unregistered() {
    fn scan(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, line) in text.lines().enumerate() {
                    let line = line.trim_start();
                    if line.starts_with("#[test]") || line.starts_with("#[tokio::test") {
                        found.push(format!("{}:{}", path.display(), i + 1));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    scan(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it"),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "these tests would never run; register them with crate::tests!, async_tests! or \
         backend_tests! instead of the attribute: {}",
        found.join(", ")
    );
}

/// `[ignore]` → true, `[]` → false: the optional `#[ignore]` of a registration.
#[doc(hidden)]
#[macro_export]
macro_rules! __ignored {
    () => {
        false
    };
    (ignore) => {
        true
    };
}

/// Registers one test; the macros below are the way to call it.
#[doc(hidden)]
#[macro_export]
macro_rules! __register {
    ($needs:ident, [$($ignore:ident)?], $name:expr, $run:expr) => {
        ::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: $name,
                needs: $crate::harness::Needs::$needs,
                ignored: $crate::__ignored!($($ignore)?),
                run: $run,
            }
        }
    };
}

/// Registers plain `fn()` tests of the calling module under their own names. `#[ignore]` before
/// a name keeps it for `--ignored` runs.
#[macro_export]
macro_rules! tests {
    ($($(#[$ignore:ident])? $name:ident),* $(,)?) => {
        $(
            $crate::__register!(Nothing, [$($ignore)?], stringify!($name), $name);
        )*
    };
}

/// Registers `async fn()` tests of the calling module, each on a runtime of its own.
/// `#[ignore]` before a name keeps it for `--ignored` runs.
#[macro_export]
macro_rules! async_tests {
    ($($(#[$ignore:ident])? $name:ident),* $(,)?) => {
        $(
            $crate::__register!(Nothing, [$($ignore)?], stringify!($name), || {
                $crate::harness::block_on($name())
            });
        )*
    };
}

/// Runs each named `async fn(TestApp)` of the calling module on SQLite, PostgreSQL and MySQL,
/// as `module::sqlite::name`, `module::postgres::name` and `module::mysql::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            $crate::__register!(Nothing, [], concat!("sqlite::", stringify!($name)), || {
                $crate::harness::block_on(async {
                    $name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await)
                        .await
                })
            });
            $crate::__register!(Postgres, [], concat!("postgres::", stringify!($name)), || {
                $crate::harness::block_on(async {
                    $name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await)
                        .await
                })
            });
            $crate::__register!(Mysql, [], concat!("mysql::", stringify!($name)), || {
                $crate::harness::block_on(async {
                    $name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Mysql).await)
                        .await
                })
            });
        )*
    };
}

/// Like `backend_tests!`, for apps whose configuration `$configure` adjusts; the tests of one
/// configuration sit in the module `$module` (`module::$module::sqlite::name`, …).
#[macro_export]
macro_rules! configured_tests {
    ($module:ident, $configure:ident; $($name:ident),* $(,)?) => {
        mod $module {
            $(
                $crate::configured_tests!(@one Nothing, Sqlite, "sqlite::", $configure, $name);
                $crate::configured_tests!(@one Postgres, Postgres, "postgres::", $configure, $name);
                $crate::configured_tests!(@one Mysql, Mysql, "mysql::", $configure, $name);
            )*
        }
    };
    (@one $needs:ident, $backend:ident, $prefix:literal, $configure:ident, $name:ident) => {
        $crate::__register!($needs, [], concat!($prefix, stringify!($name)), || {
            $crate::harness::block_on(async {
                let app = $crate::helpers::TestApp::spawn_configured(
                    $crate::helpers::Backend::$backend,
                    super::$configure,
                )
                .await;
                super::$name(app).await
            })
        });
    };
}

/// Runs each named `async fn(TestApp)` on every database with local files (`backend_tests!`),
/// and on SQLite with files in the S3 test bucket (`module::s3::name`).
#[macro_export]
macro_rules! storage_tests {
    ($($name:ident),* $(,)?) => {
        $crate::backend_tests!($($name),*);
        $(
            $crate::__register!(S3, [], concat!("s3::", stringify!($name)), || {
                $crate::harness::block_on(async {
                    $name(
                        $crate::helpers::TestApp::spawn_with(
                            $crate::helpers::Backend::Sqlite,
                            $crate::helpers::Storage::S3,
                        )
                        .await,
                    )
                    .await
                })
            });
        )*
    };
}

/// Runs each named `async fn(TestApp, Browser)` with a fresh SQLite application and a fresh
/// headless Chromium, when `ANZE_TEST_BROWSER=1`.
#[macro_export]
macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {
        $(
            $crate::__register!(Browser, [], stringify!($name), || {
                $crate::harness::block_on(async {
                    let (app, browser) = $crate::browser::start().await;
                    $name(app, browser).await
                })
            });
        )*
    };
}
