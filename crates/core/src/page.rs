//! Pagination shared by every list.

use serde::Serialize;

pub const PAGE_SIZES: [u64; 4] = [10, 20, 50, 100];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based.
    pub page: u64,
    pub size: u64,
    /// Keyset: the rows after this one in the list's order, instead of skipping to `page`.
    /// Exports read a whole ledger this way, so their last thousand rows cost what the first
    /// thousand do; such a page is not counted (`Page::total` is 0).
    pub after: Option<Keyset>,
}

/// Where the previous page ended, in the terms of the list's sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyset {
    /// Lists sorted newest first by id (orders, policies, hazards).
    Id(i64),
    /// Lists sorted by a date, newest first, then by id (service records).
    DateId(chrono::NaiveDate, i64),
}

impl PageRequest {
    /// Lenient on purpose: a hand-edited query string falls back to sane values instead of failing.
    pub fn from_query(page: Option<&str>, size: Option<&str>) -> Self {
        let page = page
            .and_then(|p| p.trim().parse::<u64>().ok())
            .filter(|p| *p >= 1 && *p <= 1_000_000)
            .unwrap_or(1);
        let size = size
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|s| PAGE_SIZES.contains(s))
            .unwrap_or(20);
        Self {
            page,
            size,
            after: None,
        }
    }

    pub fn first(size: u64) -> Self {
        Self {
            page: 1,
            size,
            after: None,
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.size
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(20)
    }
}

/// Large counts are counted exactly up to this many rows and shown as "10,000+" beyond:
/// counting a province's million orders on every page would cost more than the page itself.
pub const COUNT_CAP: u64 = 10_000;

/// A menu badge (orders waiting for 受理, unread notifications) counts to this and shows
/// "99+" beyond 99: every page shows the badges, and a count walks as many index entries as
/// it counts.
pub const BADGE_CAP: u64 = 100;

/// A count taken up to a cap: shown as "1000+" when counting stopped there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CappedCount {
    pub n: u64,
    pub capped: bool,
}

impl CappedCount {
    /// `counted` is what a count limited to `cap` rows answered.
    pub fn of(counted: u64, cap: u64) -> Self {
        Self {
            n: counted.min(cap),
            capped: counted >= cap,
        }
    }
}

impl std::fmt::Display for CappedCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.capped {
            write!(f, "{}+", self.n)
        } else {
            write!(f, "{}", self.n)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// Counting stopped at `total`: there are more rows (large lists show "10,000+" rather
    /// than count millions of rows on every page).
    pub total_capped: bool,
    pub page: u64,
    pub size: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.size).max(1)
    }
}

/// Every page of a list, `batch` rows at a time: for documents that show a whole list (a
/// report, an archive), never for pages.
pub async fn all_pages<T, F, Fut>(batch: u64, mut fetch: F) -> crate::CoreResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = crate::CoreResult<Page<T>>>,
{
    let mut request = PageRequest::first(batch);
    let mut all = Vec::new();
    loop {
        let page = fetch(request).await?;
        let last = (page.items.len() as u64) < batch;
        all.extend(page.items);
        if last {
            return Ok(all);
        }
        request.page += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_counts_say_so() {
        assert_eq!(CappedCount::of(999, 1000).to_string(), "999");
        assert_eq!(CappedCount::of(1000, 1000).to_string(), "1000+");
        assert_eq!(CappedCount::of(0, 1000).to_string(), "0");
    }

    #[test]
    fn bad_values_fall_back() {
        assert_eq!(
            PageRequest::from_query(Some("0"), Some("7")),
            PageRequest::first(20)
        );
        assert_eq!(
            PageRequest::from_query(Some("x'; drop"), None),
            PageRequest::default()
        );
        assert_eq!(PageRequest::from_query(Some("3"), Some("50")).offset(), 100);
    }

    #[test]
    fn pages_round_up() {
        let p: Page<()> = Page {
            items: vec![],
            total: 41,
            total_capped: false,
            page: 1,
            size: 20,
        };
        assert_eq!(p.pages(), 3);
        let empty: Page<()> = Page {
            items: vec![],
            total: 0,
            total_capped: false,
            page: 1,
            size: 20,
        };
        assert_eq!(empty.pages(), 1);
    }
}
