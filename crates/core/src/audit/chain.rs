//! The hash chain over 操作日志 that makes edits outside the application visible.
//!
//! Every audit row carries a sequence number (`seq`, 1, 2, 3, … without gaps), the hash of the
//! row before it (`prev_hash`; the first row's is [`GENESIS_HASH`]) and its own `hash`, the
//! SHA-256 of its canonical content ([`canonical`], version [`CHAIN_VERSION`]). A row edited
//! afterwards no longer matches its hash; a deleted row leaves a gap in the sequence; a row
//! inserted or rehashed breaks the link to the next row or to the chain head, which the store
//! keeps beside the rows and moves in the same transaction.
//!
//! Anyone with write access to the database and this source can rebuild the whole chain, so
//! the chain proves integrity only against the heads seen before: each verification records
//! the head it saw, and an operator who keeps those (the cron mail of `anze audit verify`)
//! can show that history was rewritten afterwards.

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::ids::AuditEventId;

/// The version of the canonical encoding; a future change of fields or format gets a new
/// number, so rows hashed under the old one stay verifiable.
pub const CHAIN_VERSION: u32 = 1;

/// `prev_hash` of the first row in the chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The time an audit row stores and the chain covers: whole seconds, the precision MySQL's
/// `TIMESTAMP` keeps (PostgreSQL and SQLite keep more). Truncating before the insert means
/// the stored value is exactly the hashed one on every backend, with no rounding to disagree
/// about.
pub fn chain_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(0)
}

/// The fields of an audit row that the chain covers, as they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainFields<'a> {
    pub at: DateTime<Utc>,
    pub org_id: Option<i64>,
    pub account_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<i64>,
    pub object_label: &'a str,
    pub summary: &'a str,
    pub ip: &'a str,
}

/// The canonical content of row `seq` chained after `prev_hash`, version 1:
///
/// ```text
/// anze-audit-chain v1\n
/// seq:<decimal>\n
/// prev:<64 lowercase hex>\n
/// at:<RFC 3339 UTC, whole seconds, "Z": 2026-11-30T08:05:09Z>\n
/// org:<decimal, or "-" for none>\n
/// account:<decimal or "->\n
/// actor:<UTF-8 byte length>:<text>\n
/// action:<length>:<code>\n
/// object_kind:<length>:<code>\n
/// object_id:<decimal or "->\n
/// object_label:<length>:<text>\n
/// summary:<length>:<text>\n
/// ip:<length>:<text>\n
/// ```
///
/// Texts carry their byte length, so no content (a summary with newlines or `:`) can make two
/// different rows encode alike.
pub fn canonical(seq: i64, prev_hash: &str, f: &ChainFields<'_>) -> Vec<u8> {
    fn number(out: &mut Vec<u8>, name: &str, v: Option<i64>) {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        match v {
            Some(v) => out.extend_from_slice(v.to_string().as_bytes()),
            None => out.push(b'-'),
        }
        out.push(b'\n');
    }
    fn text(out: &mut Vec<u8>, name: &str, v: &str) {
        out.extend_from_slice(format!("{name}:{}:", v.len()).as_bytes());
        out.extend_from_slice(v.as_bytes());
        out.push(b'\n');
    }
    let mut out = Vec::with_capacity(256 + f.summary.len());
    out.extend_from_slice(format!("anze-audit-chain v{CHAIN_VERSION}\n").as_bytes());
    number(&mut out, "seq", Some(seq));
    out.extend_from_slice(format!("prev:{prev_hash}\n").as_bytes());
    let at = chain_time(f.at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    out.extend_from_slice(format!("at:{at}\n").as_bytes());
    number(&mut out, "org", f.org_id);
    number(&mut out, "account", f.account_id);
    text(&mut out, "actor", f.actor_name);
    text(&mut out, "action", f.action);
    text(&mut out, "object_kind", f.object_kind);
    number(&mut out, "object_id", f.object_id);
    text(&mut out, "object_label", f.object_label);
    text(&mut out, "summary", f.summary);
    text(&mut out, "ip", f.ip);
    out
}

/// The row's `hash`: SHA-256 of its canonical content, 64 lowercase hex digits.
pub fn chain_hash(seq: i64, prev_hash: &str, f: &ChainFields<'_>) -> String {
    Sha256::digest(canonical(seq, prev_hash, f))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The last link: the sequence number and hash of the newest chained row (0 and
/// [`GENESIS_HASH`] while the chain is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }

    /// The first 16 hex digits, as the page shows them.
    pub fn short_hash(&self) -> &str {
        self.hash.get(..16).unwrap_or(&self.hash)
    }
}

/// One chained audit row as the verifier reads it.
#[derive(Debug, Clone)]
pub struct ChainRow {
    pub id: AuditEventId,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub at: DateTime<Utc>,
    pub org_id: Option<i64>,
    pub account_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<i64>,
    pub object_label: String,
    pub summary: String,
    pub ip: String,
}

impl ChainRow {
    pub fn fields(&self) -> ChainFields<'_> {
        ChainFields {
            at: self.at,
            org_id: self.org_id,
            account_id: self.account_id,
            actor_name: &self.actor_name,
            action: &self.action,
            object_kind: &self.object_kind,
            object_id: self.object_id,
            object_label: &self.object_label,
            summary: &self.summary,
            ip: &self.ip,
        }
    }
}

/// What is wrong at a broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The row's content no longer gives its hash.
    Modified,
    /// Sequence numbers are missing: rows were deleted.
    Missing,
    /// The row's `prev_hash` is not the previous row's hash: a row before it was replaced, or
    /// the row was inserted with a made-up link.
    Unlinked,
    /// A row the chain does not account for: without a sequence number, or beyond the head.
    Outside,
    /// The newest row is not the one the chain head names.
    HeadMismatch,
    /// The chain holds together but differs from what an earlier verification saw: it was
    /// rebuilt (every hash recomputed) after that verification.
    Rewritten,
}

impl BreakKind {
    pub fn label(self) -> &'static str {
        match self {
            BreakKind::Modified => "内容被修改",
            BreakKind::Missing => "记录缺失",
            BreakKind::Unlinked => "链接断开",
            BreakKind::Outside => "链外记录",
            BreakKind::HeadMismatch => "链头不符",
            BreakKind::Rewritten => "链被重写",
        }
    }
}

/// The first broken link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub kind: BreakKind,
    /// The sequence number at which the chain breaks (for `Missing`, the first missing one).
    pub seq: i64,
    /// The row found there, if there is one.
    pub id: Option<AuditEventId>,
    pub detail: String,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第 {} 条", self.seq)?;
        if let Some(id) = self.id {
            write!(f, "(记录 id {})", id.0)?;
        }
        write!(f, ":{}——{}", self.kind.label(), self.detail)
    }
}

/// Walks chained rows in sequence order, one at a time, keeping only the last link: memory
/// stays constant however long the log is.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    last_seq: i64,
    last_hash: String,
    checked: u64,
    anchor: Option<ChainHead>,
}

impl Default for ChainWalk {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainWalk {
    pub fn new() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            checked: 0,
            anchor: None,
        }
    }

    /// A walk that also requires the chain to pass through `anchor`, the head an earlier
    /// verification saw: a chain rebuilt since then holds together but not at the anchor.
    pub fn anchored(anchor: ChainHead) -> Self {
        Self {
            anchor: Some(anchor),
            ..Self::new()
        }
    }

    /// The sequence number of the last row checked; the next batch starts after it.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// Checks the next row: its number follows the last one, it links to the last one's hash
    /// and its content gives its own hash.
    pub fn check(&mut self, row: &ChainRow) -> Result<(), ChainBreak> {
        let expected = self.last_seq + 1;
        let at = |kind, seq, detail: String| ChainBreak {
            kind,
            seq,
            id: Some(row.id),
            detail,
        };
        if row.seq > expected {
            let detail = if row.seq == expected + 1 {
                format!("第 {expected} 条不存在")
            } else {
                format!("第 {expected} 至 {} 条不存在", row.seq - 1)
            };
            return Err(at(BreakKind::Missing, expected, detail));
        }
        if row.seq < expected {
            return Err(at(
                BreakKind::Outside,
                row.seq,
                format!("序号 {} 重复或倒序", row.seq),
            ));
        }
        if row.prev_hash != self.last_hash {
            return Err(at(
                BreakKind::Unlinked,
                row.seq,
                "记录的前序哈希与上一条记录的哈希不一致".into(),
            ));
        }
        if chain_hash(row.seq, &row.prev_hash, &row.fields()) != row.hash {
            return Err(at(
                BreakKind::Modified,
                row.seq,
                "记录内容与其哈希不符".into(),
            ));
        }
        if let Some(a) = &self.anchor
            && a.seq == row.seq
            && a.hash != row.hash
        {
            return Err(at(
                BreakKind::Rewritten,
                row.seq,
                format!(
                    "上次校验通过时此条的哈希为 {}…,现已不同,此前的记录被整体改写",
                    a.short_hash()
                ),
            ));
        }
        self.last_seq = row.seq;
        self.last_hash.clone_from(&row.hash);
        self.checked += 1;
        Ok(())
    }

    /// After the last row up to `head.seq`: the head must name the row the walk ended on.
    pub fn finish(&self, head: &ChainHead) -> Result<u64, ChainBreak> {
        if self.last_seq < head.seq {
            let from = self.last_seq + 1;
            let detail = if from == head.seq {
                format!("链头记到第 {} 条,该条不存在", head.seq)
            } else {
                format!(
                    "链头记到第 {} 条,第 {from} 至 {} 条不存在",
                    head.seq, head.seq
                )
            };
            return Err(ChainBreak {
                kind: BreakKind::Missing,
                seq: from,
                id: None,
                detail,
            });
        }
        if self.last_seq != head.seq || self.last_hash != head.hash {
            return Err(ChainBreak {
                kind: BreakKind::HeadMismatch,
                seq: self.last_seq,
                id: None,
                detail: "最后一条记录的哈希与链头不一致".into(),
            });
        }
        if let Some(a) = self.anchor.as_ref().filter(|a| a.seq > head.seq) {
            return Err(ChainBreak {
                kind: BreakKind::Missing,
                seq: head.seq + 1,
                id: None,
                detail: format!(
                    "上次校验通过时链头为第 {} 条,现在只到第 {} 条",
                    a.seq, head.seq
                ),
            });
        }
        Ok(self.checked)
    }
}

/// One run of the verifier, as recorded for the 操作日志 page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerification {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub rows_checked: u64,
    pub head: ChainHead,
    /// The first broken link, in words; empty when the chain holds.
    pub problem: String,
}

/// What the platform admin's 操作日志 page shows above the list.
#[derive(Debug, Clone)]
pub struct ChainStatus {
    pub head: ChainHead,
    pub last_verification: Option<ChainVerification>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fields(summary: &str) -> ChainFields<'_> {
        ChainFields {
            at: Utc
                .with_ymd_and_hms(2026, 11, 30, 8, 5, 9)
                .single()
                .map(|t| t + chrono::Duration::microseconds(123_456))
                .unwrap(),
            org_id: Some(7),
            account_id: None,
            actor_name: "安信管理员(l_admin)",
            action: "create",
            object_kind: "account",
            object_id: Some(42),
            object_label: "l_staff",
            summary,
            ip: "127.0.0.1",
        }
    }

    #[test]
    fn canonical_encoding_is_the_documented_one() {
        let text =
            String::from_utf8(canonical(3, GENESIS_HASH, &fields("新增账号\n角色:a"))).unwrap();
        assert_eq!(
            text,
            format!(
                "anze-audit-chain v1\nseq:3\nprev:{GENESIS_HASH}\nat:2026-11-30T08:05:09Z\norg:7\naccount:-\n\
                 actor:24:安信管理员(l_admin)\naction:6:create\nobject_kind:7:account\nobject_id:42\n\
                 object_label:7:l_staff\nsummary:21:新增账号\n角色:a\nip:9:127.0.0.1\n"
            )
        );
    }

    #[test]
    fn hash_is_pinned_so_the_encoding_cannot_drift_unnoticed() {
        let h = chain_hash(1, GENESIS_HASH, &fields("s"));
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(h, PINNED_HASH);
    }

    // Computed independently (Python hashlib over the documented encoding).
    const PINNED_HASH: &str = "cf5e4fa008a77a011fefe2bd3adca7798b2cfee33a87dee5a58f9dd488a38e65";

    #[test]
    fn sub_seconds_do_not_change_the_hash_but_every_field_does() {
        let base = fields("s");
        let h = chain_hash(1, GENESIS_HASH, &base);
        let later_in_the_second = ChainFields {
            at: chain_time(base.at) + chrono::Duration::milliseconds(999),
            ..base
        };
        assert_eq!(chain_hash(1, GENESIS_HASH, &later_in_the_second), h);
        let variants = [
            ChainFields {
                org_id: None,
                ..base
            },
            ChainFields {
                account_id: Some(7),
                ..base
            },
            ChainFields {
                actor_name: "x",
                ..base
            },
            ChainFields {
                action: "delete",
                ..base
            },
            ChainFields {
                object_kind: "role",
                ..base
            },
            ChainFields {
                object_id: None,
                ..base
            },
            ChainFields {
                object_label: "l_staff ",
                ..base
            },
            ChainFields {
                summary: "t",
                ..base
            },
            ChainFields { ip: "", ..base },
            ChainFields {
                at: base.at + chrono::Duration::seconds(1),
                ..base
            },
        ];
        for v in variants {
            assert_ne!(chain_hash(1, GENESIS_HASH, &v), h, "{v:?}");
        }
        assert_ne!(chain_hash(2, GENESIS_HASH, &base), h, "seq");
        assert_ne!(chain_hash(1, &"1".repeat(64), &base), h, "prev");
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        // Moving text from one field into the next must not give the same bytes.
        let a = ChainFields {
            object_label: "ab",
            summary: "c",
            ..fields("")
        };
        let b = ChainFields {
            object_label: "a",
            summary: "bc",
            ..fields("")
        };
        assert_ne!(
            canonical(1, GENESIS_HASH, &a),
            canonical(1, GENESIS_HASH, &b)
        );
    }

    fn chain(n: i64) -> Vec<ChainRow> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let summary = format!("第 {seq} 次");
                let f = fields(&summary);
                let hash = chain_hash(seq, &prev, &f);
                let row = ChainRow {
                    id: AuditEventId(seq * 10),
                    seq,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                    at: f.at,
                    org_id: f.org_id,
                    account_id: f.account_id,
                    actor_name: f.actor_name.into(),
                    action: f.action.into(),
                    object_kind: f.object_kind.into(),
                    object_id: f.object_id,
                    object_label: f.object_label.into(),
                    summary: summary.clone(),
                    ip: f.ip.into(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn walk(rows: &[ChainRow], head: &ChainHead) -> Result<u64, ChainBreak> {
        let mut w = ChainWalk::new();
        for r in rows {
            w.check(r)?;
        }
        w.finish(head)
    }

    fn head_of(rows: &[ChainRow]) -> ChainHead {
        rows.last().map_or_else(ChainHead::genesis, |r| ChainHead {
            seq: r.seq,
            hash: r.hash.clone(),
        })
    }

    #[test]
    fn an_intact_chain_passes_and_an_empty_one_too() {
        let rows = chain(5);
        assert_eq!(walk(&rows, &head_of(&rows)), Ok(5));
        assert_eq!(walk(&[], &ChainHead::genesis()), Ok(0));
    }

    #[test]
    fn an_edited_row_is_reported_as_modified() {
        let mut rows = chain(5);
        rows[2].summary = "改过".into();
        let e = walk(&rows, &head_of(&rows)).unwrap_err();
        assert_eq!(
            (e.kind, e.seq, e.id),
            (BreakKind::Modified, 3, Some(AuditEventId(30)))
        );
        assert!(e.to_string().contains("内容被修改"), "{e}");
    }

    #[test]
    fn an_edited_and_rehashed_row_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[2].summary = "改过".into();
        rows[2].hash = chain_hash(3, &rows[2].prev_hash, &rows[2].fields());
        let e = walk(&rows, &head_of(&rows)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Unlinked, 4));
    }

    #[test]
    fn deleted_rows_are_reported_missing_in_the_middle_and_at_the_end() {
        let rows = chain(5);
        let head = head_of(&rows);
        let mut gap = rows.clone();
        gap.remove(1);
        let e = walk(&gap, &head).unwrap_err();
        assert_eq!(
            (e.kind, e.seq, e.id),
            (BreakKind::Missing, 2, Some(AuditEventId(30)))
        );
        let e = walk(&rows[..4], &head).unwrap_err();
        assert_eq!((e.kind, e.seq, e.id), (BreakKind::Missing, 5, None));
    }

    #[test]
    fn a_head_that_names_another_row_is_reported() {
        let rows = chain(3);
        let head = ChainHead {
            seq: 3,
            hash: "f".repeat(64),
        };
        assert_eq!(
            walk(&rows, &head).unwrap_err().kind,
            BreakKind::HeadMismatch
        );
    }

    #[test]
    fn a_chain_rebuilt_after_a_verification_fails_at_that_verifications_head() {
        let rows = chain(5);
        let anchor = ChainHead {
            seq: 3,
            hash: rows[2].hash.clone(),
        };
        let mut rebuilt = rows.clone();
        rebuilt[1].summary = "改过".into();
        let mut prev = rebuilt[0].hash.clone();
        for r in &mut rebuilt[1..] {
            r.prev_hash = prev;
            r.hash = chain_hash(r.seq, &r.prev_hash, &r.fields());
            prev = r.hash.clone();
        }
        let head = head_of(&rebuilt);
        assert_eq!(walk(&rebuilt, &head), Ok(5), "whole on its own");
        let mut w = ChainWalk::anchored(anchor.clone());
        let e = rebuilt.iter().try_for_each(|r| w.check(r)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Rewritten, 3));

        let mut w = ChainWalk::anchored(anchor);
        rows.iter().try_for_each(|r| w.check(r)).unwrap();
        assert_eq!(
            w.finish(&head_of(&rows)),
            Ok(5),
            "the untouched chain passes"
        );
        let mut w = ChainWalk::anchored(head_of(&rows));
        rows[..2].iter().try_for_each(|r| w.check(r)).unwrap();
        let e = w.finish(&head_of(&rows[..2])).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Missing, 3), "{e}");
    }

    #[test]
    fn a_duplicate_sequence_number_is_outside_the_chain() {
        let mut rows = chain(3);
        let dup = rows[1].clone();
        rows.insert(2, dup);
        assert_eq!(
            walk(&rows, &head_of(&rows)).unwrap_err().kind,
            BreakKind::Outside
        );
    }
}
