//! Short-lived copies of what nearly every page reads and almost nothing writes: the acting
//! account's principal (account, organization, roles, permissions), the region and industry
//! dictionaries, the filters' organization options, and organizations read by id.
//!
//! Every page resolved these afresh, five to seven statements of a list page's fourteen. Each
//! copy lives `PRINCIPAL_TTL` (the dictionaries `REGION_TTL`). A write through this instance's store
//! to accounts, roles, organizations or enterprises drops every copy at once (`invalidate`),
//! so the instance that changed a role, disabled an account or renamed an organization acts
//! on the change with its next request; other instances sharing the database see it when
//! their copy expires, within `PRINCIPAL_TTL`. Sessions themselves are not copied: logging
//! out ends a session on every instance at once.
//!
//! A read that started before an invalidation may finish after it with what it read before
//! the write; such a result is not kept (the generation it was read at is compared under the
//! map's lock), so an invalidation is never undone by a slow reader.
//!
//! The menu badges (orders waiting for 受理, unread notifications: two counts on every page)
//! are kept `BADGE_TTL` and dropped whenever a write transaction begins on this instance
//! (`writes_begin`). A badge read while that transaction is still open may keep the count from
//! before it; so a badge may lag a write by up to `BADGE_TTL` on the instance that made it, as
//! it may on the others.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anze_core::auth::session::Principal;
use anze_core::org::Organization;

use crate::entity::{industry, organization, region};

/// How long another instance's write to an account, role or organization may go unseen here.
pub const PRINCIPAL_TTL: Duration = Duration::from_secs(3);
/// Regions and industries are seeded by the migrations and changed by none of the pages.
const REGION_TTL: Duration = Duration::from_secs(60);
/// How long a menu badge's count is kept.
pub const BADGE_TTL: Duration = Duration::from_secs(3);
/// Bounds each map; a full map starts over rather than tracking recency.
const MAX_ENTRIES: usize = 10_000;

/// One kind of copy: values by key, each with the time it was read.
struct Memo<K, V> {
    ttl: Duration,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A panic while holding the lock leaves a map of complete entries: keep using it.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &K) -> Option<V> {
        let map = self.lock();
        let (at, v) = map.get(key)?;
        (at.elapsed() < self.ttl).then(|| v.clone())
    }

    fn put(&self, key: K, value: V, read_at: u64, generation: &AtomicU64) {
        let mut map = self.lock();
        if generation.load(Ordering::SeqCst) != read_at {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

pub(crate) struct ReferenceCache {
    generation: AtomicU64,
    principals: Memo<i64, Option<Principal>>,
    /// Organization rows read by id, a few at a time (`Db::org_map`: `get_org`, the names of
    /// a detail page).
    org_rows: Memo<i64, organization::Model>,
    org_options: Memo<Vec<&'static str>, Vec<Organization>>,
    regions: Memo<(), Vec<region::Model>>,
    industries: Memo<(), Vec<industry::Model>>,
    badge_generation: AtomicU64,
    badges: Memo<String, u64>,
}

impl Default for ReferenceCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            principals: Memo::new(PRINCIPAL_TTL),
            org_rows: Memo::new(PRINCIPAL_TTL),
            org_options: Memo::new(PRINCIPAL_TTL),
            regions: Memo::new(REGION_TTL),
            industries: Memo::new(REGION_TTL),
            badge_generation: AtomicU64::new(0),
            badges: Memo::new(BADGE_TTL),
        }
    }
}

/// The generation a read started at, to hand back with its result.
#[derive(Clone, Copy)]
pub(crate) struct ReadAt(u64);

impl ReferenceCache {
    pub(crate) fn read_at(&self) -> ReadAt {
        ReadAt(self.generation.load(Ordering::SeqCst))
    }

    /// Called after a write that may change what is copied here has committed.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.principals.clear();
        self.org_rows.clear();
        self.org_options.clear();
        self.regions.clear();
        self.industries.clear();
        self.writes_begin();
    }

    /// Called as a write transaction begins: any write may change a badge's count.
    pub(crate) fn writes_begin(&self) {
        self.badge_generation.fetch_add(1, Ordering::SeqCst);
        self.badges.clear();
    }

    pub(crate) fn badges_read_at(&self) -> ReadAt {
        ReadAt(self.badge_generation.load(Ordering::SeqCst))
    }

    pub(crate) fn badge(&self, key: &str) -> Option<u64> {
        self.badges.get(&key.to_string())
    }

    pub(crate) fn keep_badge(&self, key: String, n: u64, at: ReadAt) {
        self.badges.put(key, n, at.0, &self.badge_generation);
    }

    pub(crate) fn principal(&self, account: i64) -> Option<Option<Principal>> {
        self.principals.get(&account)
    }

    pub(crate) fn keep_principal(&self, account: i64, p: Option<Principal>, at: ReadAt) {
        self.principals.put(account, p, at.0, &self.generation);
    }

    pub(crate) fn org_row(&self, id: i64) -> Option<organization::Model> {
        self.org_rows.get(&id)
    }

    pub(crate) fn keep_org_rows(&self, rows: &[organization::Model], at: ReadAt) {
        for row in rows {
            self.org_rows
                .put(row.id, row.clone(), at.0, &self.generation);
        }
    }

    pub(crate) fn org_options(&self, kinds: &[&'static str]) -> Option<Vec<Organization>> {
        self.org_options.get(&kinds.to_vec())
    }

    pub(crate) fn keep_org_options(
        &self,
        kinds: Vec<&'static str>,
        orgs: Vec<Organization>,
        at: ReadAt,
    ) {
        self.org_options.put(kinds, orgs, at.0, &self.generation);
    }

    pub(crate) fn regions(&self) -> Option<Vec<region::Model>> {
        self.regions.get(&())
    }

    pub(crate) fn keep_regions(&self, rows: Vec<region::Model>, at: ReadAt) {
        self.regions.put((), rows, at.0, &self.generation);
    }

    pub(crate) fn industries(&self) -> Option<Vec<industry::Model>> {
        self.industries.get(&())
    }

    pub(crate) fn keep_industries(&self, rows: Vec<industry::Model>, at: ReadAt) {
        self.industries.put((), rows, at.0, &self.generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_from_before_an_invalidation_is_not_kept() {
        let cache = ReferenceCache::default();
        let at = cache.read_at();
        cache.invalidate();
        cache.keep_regions(vec![], at);
        assert!(cache.regions().is_none());
        let at = cache.read_at();
        cache.keep_regions(vec![], at);
        assert!(cache.regions().is_some());
        cache.invalidate();
        assert!(
            cache.regions().is_none(),
            "an invalidation drops what was kept"
        );
    }

    #[test]
    fn a_write_drops_the_badges_and_a_badge_read_before_it() {
        let cache = ReferenceCache::default();
        let at = cache.badges_read_at();
        cache.keep_badge("k".into(), 3, at);
        assert_eq!(cache.badge("k"), Some(3));
        let at = cache.badges_read_at();
        cache.writes_begin();
        assert_eq!(cache.badge("k"), None);
        cache.keep_badge("k".into(), 3, at);
        assert_eq!(cache.badge("k"), None, "read before the write: not kept");
        cache.invalidate();
        let at = cache.badges_read_at();
        cache.keep_badge("k".into(), 4, at);
        cache.invalidate();
        assert_eq!(cache.badge("k"), None, "reference changes drop badges too");
    }

    #[test]
    fn copies_expire() {
        let memo: Memo<u8, u8> = Memo::new(Duration::ZERO);
        let generation = AtomicU64::new(0);
        memo.put(1, 1, 0, &generation);
        assert_eq!(memo.get(&1), None);
    }
}
