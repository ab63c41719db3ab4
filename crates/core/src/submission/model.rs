use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::ids::AccountId;

/// The form field (and query parameter) that carries the key.
pub const FIELD: &str = "_once";
/// The header an API client sends instead.
pub const HEADER: &str = "idempotency-key";

/// How long a key is remembered: longer than anyone keeps a form open or a client retries.
pub const KEEP: Duration = Duration::days(7);

/// A pending claim older than this belongs to a submit that will not finish (its instance
/// died); younger, it is most likely still running.
pub const PENDING_GRACE: Duration = Duration::seconds(120);

/// A one-time key as a form or client sent it: 16 to 64 of `A–Z a–z 0–9 - _`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionKey(String);

impl SubmissionKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (16..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(raw.to_string()))
    }

    /// A fresh key for a form being shown.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What identifies a submission: the key counts only for the account that sent it and the
/// path it was sent to, so one page's two forms (or a key guessed by someone else) never
/// answer for each other. Stored hashed, which also gives a fixed-width unique column.
pub fn fingerprint(account: AccountId, path: &str, key: &SubmissionKey) -> String {
    let mut h = Sha256::new();
    h.update(account.0.to_be_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(key.0.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The right to run one submission, won by the first claim of its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub fingerprint: String,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: run it, then `complete` or `release` the ticket.
    New(Ticket),
    /// Done before: send the caller where the first submit led, or (an API call) answer
    /// what it was answered.
    Done {
        location: String,
        response: Option<Replay>,
    },
    /// Claimed and not finished.
    Pending { since: DateTime<Utc> },
}

/// The first answer to an API call, kept to answer its repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub status: u16,
    /// JSON, as sent.
    pub body: String,
}

/// The largest answer kept for a replay; a larger one leaves its key unsettled, so a repeat
/// is told the result is unknown rather than run twice.
pub const REPLAY_MAX_BYTES: usize = 60 * 1024;

/// The message for a submit whose first attempt has not finished.
pub fn pending_message(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if now - since < PENDING_GRACE {
        "该表单刚刚已提交,正在处理中。请稍候在列表中查看结果,不要重复提交。".into()
    } else {
        "该表单之前已提交,但处理结果未知(可能已保存)。请先在列表中查看;确认没有保存后,\
         重新打开表单填写提交。"
            .into()
    }
}

/// Where a successful submit leads must be a path of this site: the stored location is sent
/// back as a redirect.
pub fn is_local_location(location: &str) -> bool {
    location.starts_with('/') && !location.starts_with("//") && location.len() <= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(SubmissionKey::parse("0123456789abcdef").is_some());
        assert!(SubmissionKey::parse("short").is_none());
        assert!(SubmissionKey::parse(&"a".repeat(65)).is_none());
        assert!(SubmissionKey::parse("0123456789abcdef'; drop").is_none());
        assert!(SubmissionKey::parse("０１２３４５６７８９abcdef").is_none());
        let k = SubmissionKey::generate();
        assert_eq!(SubmissionKey::parse(k.as_str()), Some(k));
    }

    #[test]
    fn a_key_counts_for_its_account_and_path_only() {
        let k = SubmissionKey::parse("0123456789abcdef").unwrap();
        let base = fingerprint(AccountId(1), "/policies", &k);
        assert_eq!(base.len(), 64);
        assert_eq!(base, fingerprint(AccountId(1), "/policies", &k));
        assert_ne!(base, fingerprint(AccountId(2), "/policies", &k));
        assert_ne!(base, fingerprint(AccountId(1), "/enterprises", &k));
        // The separator keeps "/a" + "1…" apart from "/a1" + "…".
        let k2 = SubmissionKey::parse("123456789abcdef0").unwrap();
        let k1 = SubmissionKey::parse("0123456789abcdef").unwrap();
        assert_ne!(
            fingerprint(AccountId(1), "/a", &k2),
            fingerprint(AccountId(1), "/a0", &k1)
        );
    }

    #[test]
    fn pending_submits_are_explained_by_age() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(pending_message(t, t + Duration::seconds(5)).contains("正在处理"));
        assert!(pending_message(t, t + Duration::minutes(10)).contains("结果未知"));
    }

    #[test]
    fn only_local_locations_are_replayed() {
        assert!(is_local_location("/records/5"));
        assert!(!is_local_location("//evil.example/"));
        assert!(!is_local_location("https://evil.example/"));
    }
}
