//! Every page the agency and the insured enterprise use, on a phone (390×844): each account of
//! the demo data opens the pages its menu leads to and every page linked from those (one page
//! per address shape: `/orders/7` stands for every order; records, whose one address serves
//! seven kinds of service, up to ten), and none may scroll sideways.
//!
//! Runs only when `ANZE_TEST_BROWSER=1`, like `browser.rs`.

use anze::demo::DEMO_PASSWORD;
use std::collections::{BTreeMap, VecDeque};

use crate::browser::Browser;
use crate::helpers::TestApp;

crate::browser_tests!(every_page_of_the_agency_and_the_enterprise_fits_a_phone,);

/// Pages per account at most: far above what the menus lead to today, a bound on a runaway.
const MAX_PAGES: usize = 200;

/// How many pages of one address shape are opened.
fn visits(shape: &str) -> usize {
    if shape == "/records/N" { 10 } else { 1 }
}

/// The address with every number as `N` and without its query: one page per shape.
fn shape(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut out = String::new();
    let mut in_number = false;
    for c in path.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}

/// Links worth opening: pages of the application, not files, exports or leaving it.
fn page_link(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !["/logout", "/attachments/", "/static/", "/api/", "/metrics"]
            .iter()
            .any(|p| href.starts_with(p))
        && ![".xlsx", ".pdf", ".zip", ".csv", ".png", ".jpg"]
            .iter()
            .any(|ext| href.split('?').next().unwrap_or_default().ends_with(ext))
}

/// The links of the current page.
async fn links(b: &Browser) -> Vec<String> {
    let found = b
        .client
        .execute(
            "return Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.getAttribute('href'); });",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

async fn every_page_of_the_agency_and_the_enterprise_fits_a_phone(app: TestApp, b: Browser) {
    anze::demo::load(&app.db, &*app.blobs).await.unwrap();
    b.client.set_window_size(390, 844).await.unwrap();
    let mut wide = Vec::new();
    // The agency's admin and its inspector, the insured enterprise.
    for user in ["anxin_admin", "anxin_staff1", "qiye1"] {
        b.login(user, DEMO_PASSWORD).await;
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut done = Vec::new();
        let mut queue = VecDeque::from([String::from("/")]);
        let mut opened = 0;
        while let Some(path) = queue.pop_front() {
            let kind = shape(&path);
            let count = seen.entry(kind.clone()).or_default();
            if *count >= visits(&kind) || done.contains(&path) {
                continue;
            }
            *count += 1;
            done.push(path.clone());
            opened += 1;
            assert!(
                opened <= MAX_PAGES,
                "{user} opened more than {MAX_PAGES} pages"
            );
            b.visit(&path).await;
            b.wait_css("body").await;
            if let Some(why) = b.too_wide().await {
                wide.push(format!("{user} {path}: {why}"));
            }
            for href in links(&b).await {
                let kind = shape(&href);
                if page_link(&href) && seen.get(&kind).is_none_or(|n| *n < visits(&kind)) {
                    queue.push_back(href);
                }
            }
        }
        assert!(
            opened >= 15,
            "{user} reached only {opened} pages: {:?}",
            seen.keys()
        );
        eprintln!("{user}: {opened} pages: {:?}", seen.keys());
        b.visit("/").await;
        b.logout().await;
    }
    assert!(
        wide.is_empty(),
        "pages that scroll sideways at 390 px:\n{}",
        wide.join("\n")
    );
}
