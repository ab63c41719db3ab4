use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::attachment::{OwnerKind, OwnerRef, PerceptualHash};
use crate::auth::Actor;
use crate::geo::GeoPoint;
use crate::ids::{AccountId, AttachmentId, FlagId, OrderId, OrgId};
use crate::org::OrgKind;
use crate::time::{china, format_date, format_datetime};

/// Largest Hamming distance between two dHashes still taken for the same picture. Tuned on
/// generated photos (docs/integrity.md): re-encoded, resized and re-formatted copies land at
/// 0–5 (5 for a copy shrunk to 120 px), unrelated scenes at 16 and beyond; a re-shot of the
/// same scene from a slightly moved camera spreads over 2–25, and the lower the threshold the
/// fewer of those match.
pub const NEAR_DUPLICATE_MAX_DISTANCE: u32 = 5;

/// Upload fields whose photos evidence that a visit happened, besides a hazard's after-photos
/// (`AFTER_PREFIX` and the round). Sign-in sheets (one printed form for every session) and
/// signatures (one person's hand) are alike by nature, so they are not compared.
pub const EVIDENCE_FIELDS: &[&str] = &["photos", "before"];

/// A hazard's after-photos of round n are stored under `after_n`.
pub const AFTER_PREFIX: &str = "after_";

/// Candidates fetched per lookup key (the SHA-256 and each band); bounds the work of one upload
/// when a band value is common.
pub const CANDIDATES_PER_KEY: u64 = 200;

/// Flags of one kind raised for one photo at most; the closest matches are kept.
pub const MAX_MATCHES_PER_PHOTO: usize = 5;

/// A capture time up to this much after the upload is a phone clock running fast, not a
/// photo from the future.
pub const CLOCK_SLACK_MINUTES: i64 = 10;

pub fn is_evidence(field: &str) -> bool {
    EVIDENCE_FIELDS.contains(&field) || is_after(field)
}

/// A hazard's after-photo (of any round).
pub fn is_after(field: &str) -> bool {
    field.starts_with(AFTER_PREFIX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FlagKind {
    /// 疑似重复照片
    Duplicate,
    /// 拍摄时间异常
    CaptureTime,
    /// 拍摄地点异常
    CapturePlace,
    /// 整改前后照片相同
    Unrectified,
}

impl FlagKind {
    pub const ALL: [FlagKind; 4] = [
        FlagKind::Duplicate,
        FlagKind::CaptureTime,
        FlagKind::CapturePlace,
        FlagKind::Unrectified,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagKind::Duplicate => "duplicate",
            FlagKind::CaptureTime => "capture_time",
            FlagKind::CapturePlace => "capture_place",
            FlagKind::Unrectified => "unrectified",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagKind::Duplicate => "疑似重复照片",
            FlagKind::CaptureTime => "拍摄时间异常",
            FlagKind::CapturePlace => "拍摄地点异常",
            FlagKind::Unrectified => "整改前后照片相同",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FlagState {
    /// 待处理
    Open,
    /// 已答复 (the agency explained)
    Answered,
    /// 已核实 (an insurer or regulator keeps it)
    Confirmed,
    /// 已排除 (an insurer or regulator dismissed it)
    Dismissed,
}

impl FlagState {
    pub const ALL: [FlagState; 4] = [
        FlagState::Open,
        FlagState::Answered,
        FlagState::Confirmed,
        FlagState::Dismissed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagState::Open => "open",
            FlagState::Answered => "answered",
            FlagState::Confirmed => "confirmed",
            FlagState::Dismissed => "dismissed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagState::Open => "待处理",
            FlagState::Answered => "已答复",
            FlagState::Confirmed => "已核实",
            FlagState::Dismissed => "已排除",
        }
    }

    /// A dismissed flag no longer marks its record.
    pub fn is_live(self) -> bool {
        self != FlagState::Dismissed
    }
}

/// A list's 可疑标记 filter: the records (or hazards) with a flag that was not dismissed, of
/// any kind or of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlaggedFilter {
    pub kind: Option<FlagKind>,
}

impl FlaggedFilter {
    /// `any` or a kind's code; anything else (the empty 全部 included) filters nothing.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "any" => Some(Self { kind: None }),
            code => FlagKind::from_code(code).map(|k| Self { kind: Some(k) }),
        }
    }
}

/// What an insurer, a regulator or the platform decides about a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FlagDecision {
    /// 已核实: the flag stands.
    Confirm,
    /// 已排除: the flag was wrong.
    Dismiss,
}

impl FlagDecision {
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "confirm" => Some(FlagDecision::Confirm),
            "dismiss" => Some(FlagDecision::Dismiss),
            _ => None,
        }
    }

    pub fn state(self) -> FlagState {
        match self {
            FlagDecision::Confirm => FlagState::Confirmed,
            FlagDecision::Dismiss => FlagState::Dismissed,
        }
    }
}

impl FlagState {
    /// The agency answers a flag once, before anyone decided it.
    pub fn answerable(self) -> bool {
        self == FlagState::Open
    }

    /// A flag is decided once, answered or not: a second decision would overwrite the first
    /// reviewer's without either seeing the other.
    pub fn decidable(self) -> bool {
        matches!(self, FlagState::Open | FlagState::Answered)
    }
}

/// What a change of a flag's state records besides the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagStep {
    /// The agency's explanation (答复).
    Answer { explanation: String },
    /// An insurer's or regulator's decision, with its optional note (处理备注).
    Decision { note: Option<String> },
}

/// A change of a flag's state, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagChange {
    pub from: FlagState,
    pub to: FlagState,
    pub step: FlagStep,
    pub by: AccountId,
    pub by_name: String,
    pub at: DateTime<Utc>,
}

/// The 可疑记录 list's filter, as the query string gives it.
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FlagFilter {
    /// 企业名称, in part.
    pub q: String,
    pub kind: String,
    pub state: String,
    pub agency: String,
    /// The day a flag was raised, from and to (China time, inclusive).
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagQuery {
    /// Part of the flagged enterprise's name.
    pub enterprise_name: Option<String>,
    pub kind: Option<FlagKind>,
    pub state: Option<FlagState>,
    pub agency: Option<OrgId>,
    /// Raised at or after.
    pub since: Option<DateTime<Utc>>,
    /// Raised before.
    pub before: Option<DateTime<Utc>>,
}

impl FlagFilter {
    pub fn query(&self) -> crate::error::CoreResult<FlagQuery> {
        let mut e = crate::error::FieldErrors::new();
        let mut date = |field: &'static str, raw: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                None
            } else {
                e.take(field, crate::time::parse_date(raw))
            }
        };
        let from = date("from", &self.from);
        let to = date("to", &self.to);
        let q = self.q.trim();
        e.into_result(FlagQuery {
            enterprise_name: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            kind: FlagKind::from_code(self.kind.trim()),
            state: FlagState::from_code(self.state.trim()),
            agency: self.agency.trim().parse::<i64>().ok().map(OrgId),
            since: from.map(crate::time::start_of_day),
            before: to.map(|d| crate::time::start_of_day(d + Duration::days(1))),
        })
    }
}

/// Agencies shown in the 可疑记录 page's table of rates, those with the most flagged records.
pub const RATE_AGENCIES: u64 = 20;

/// How many of an agency's records (服务记录 and 隐患) carry a flag that was not dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencyFlagRate {
    pub agency_id: OrgId,
    pub agency_name: String,
    /// Records and hazards with at least one live flag.
    pub flagged_records: u64,
    /// Flags still 待处理.
    pub open_flags: u64,
    /// Every record and hazard of the agency in the viewer's scope.
    pub records: u64,
}

impl AgencyFlagRate {
    /// Flagged records per 10,000 records, rounded; `None` without records.
    pub fn rate_basis_points(&self) -> Option<i32> {
        (self.records > 0).then(|| {
            let bp = (self.flagged_records * 10_000 + self.records / 2) / self.records;
            i32::try_from(bp).unwrap_or(i32::MAX)
        })
    }

    /// `3.2%`; `—` without records.
    pub fn rate_label(&self) -> String {
        match self.rate_basis_points() {
            Some(bp) => {
                let per_mille = (bp + 5) / 10;
                format!("{}.{}%", per_mille / 10, per_mille % 10)
            }
            None => "—".into(),
        }
    }
}

/// A photo as the checks see it: its fingerprints, and what its record says.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub attachment: AttachmentId,
    pub owner: OwnerRef,
    pub order_id: OrderId,
    pub enterprise_id: OrgId,
    /// The upload field (`photos`, `before`, `after`).
    pub field: String,
    /// 服务日期 of a record, 发现日期 of a hazard.
    pub date: NaiveDate,
    /// Hex SHA-256; empty when unknown.
    pub sha256: String,
    pub phash: Option<PerceptualHash>,
    pub captured_at: Option<DateTime<Utc>>,
    pub uploaded_at: DateTime<Utc>,
    /// EXIF GPS position of the photo.
    pub gps: Option<GeoPoint>,
    /// The enterprise's site, when it has one.
    pub site: Option<GeoPoint>,
}

/// Settings of the checks that depend on the deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntegrityRules {
    /// A photo taken farther than this from the enterprise's site raises 拍摄地点异常.
    pub place_max_m: f64,
}

/// 2 km: a large plant's grounds, plus a phone's GPS error in a steel building.
pub const DEFAULT_PLACE_MAX_M: f64 = 2_000.0;

impl Default for IntegrityRules {
    fn default() -> Self {
        Self {
            place_max_m: DEFAULT_PLACE_MAX_M,
        }
    }
}

/// How alike two photos are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Likeness {
    /// Same bytes.
    Identical,
    /// Perceptual hashes within `NEAR_DUPLICATE_MAX_DISTANCE` bits.
    Near(u32),
}

impl Likeness {
    pub fn distance(self) -> u32 {
        match self {
            Likeness::Identical => 0,
            Likeness::Near(d) => d,
        }
    }

    pub fn label(self) -> String {
        match self {
            Likeness::Identical => "文件完全相同".into(),
            Likeness::Near(d) => format!("画面近似(指纹相差 {d} 位)"),
        }
    }
}

/// Whether two photos are the same picture: identical bytes, or perceptual hashes of the same
/// algorithm within the threshold.
pub fn likeness(a: &Evidence, b: &Evidence) -> Option<Likeness> {
    if !a.sha256.is_empty() && a.sha256 == b.sha256 {
        return Some(Likeness::Identical);
    }
    match (a.phash, b.phash) {
        (Some(x), Some(y)) if x.alg == y.alg => {
            let d = x.distance(y);
            (d <= NEAR_DUPLICATE_MAX_DISTANCE).then_some(Likeness::Near(d))
        }
        _ => None,
    }
}

/// Whether `new` reuses `old` as evidence of another visit: the same picture on a record of
/// another enterprise, or of the same enterprise on another date. Photos of one record are never
/// duplicates of each other, nor are the photos of one visit (a record and its hazards).
pub fn reuses(new: &Evidence, old: &Evidence) -> Option<Likeness> {
    if new.attachment == old.attachment || new.owner == old.owner {
        return None;
    }
    if !is_evidence(&new.field) || !is_evidence(&old.field) {
        return None;
    }
    if new.enterprise_id == old.enterprise_id && new.date == old.date {
        return None;
    }
    likeness(new, old)
}

/// Whether a hazard's after-photo shows its before-photo: nothing was rectified.
pub fn unrectified(after: &Evidence, before: &Evidence) -> Option<Likeness> {
    let same_hazard = after.owner == before.owner && after.owner.kind == OwnerKind::Hazard;
    if !same_hazard || !is_after(&after.field) || before.field != "before" {
        return None;
    }
    likeness(after, before)
}

/// Why a photo's capture time does not fit its record, if it does not: missing, after the
/// upload, or more than a day from the service date (by calendar day in China time). An
/// after-photo of a hazard is taken on the day of rectification, so only its lower bound is
/// the discovery date.
pub fn capture_time_issue(e: &Evidence) -> Option<String> {
    let Some(at) = e.captured_at else {
        return Some("照片没有拍摄时间信息(EXIF),无法确认拍摄于服务当天".into());
    };
    if at > e.uploaded_at + Duration::minutes(CLOCK_SLACK_MINUTES) {
        return Some(format!(
            "拍摄时间 {} 晚于上传时间 {}",
            format_datetime(at),
            format_datetime(e.uploaded_at)
        ));
    }
    let day = at.with_timezone(&china()).date_naive();
    let too_early = day < e.date - Duration::days(1);
    let too_late = !is_after(&e.field) && day > e.date + Duration::days(1);
    let what = if e.owner.kind == OwnerKind::Hazard {
        "隐患发现日期"
    } else {
        "服务日期"
    };
    (too_early || too_late).then(|| {
        format!(
            "拍摄时间 {} 与{what} {} 相差超过一天",
            format_datetime(at),
            format_date(e.date)
        )
    })
}

/// Why a photo's GPS position does not fit the enterprise's site, if it does not: farther than
/// `rules.place_max_m`. A photo without a position, or an enterprise without a site, says nothing.
pub fn capture_place_issue(e: &Evidence, rules: &IntegrityRules) -> Option<String> {
    let (gps, site) = (e.gps?, e.site?);
    let d = gps.distance_m(site);
    (d > rules.place_max_m).then(|| {
        format!(
            "拍摄位置距企业位置 {}(允许 {}以内)",
            distance_label(d),
            distance_label(rules.place_max_m)
        )
    })
}

/// `850 米`, `12.3 公里`.
fn distance_label(m: f64) -> String {
    if m < 1_000.0 {
        format!("{m:.0} 米")
    } else {
        let km = format!("{:.1}", m / 1_000.0);
        format!("{} 公里", km.trim_end_matches(".0"))
    }
}

/// A flag to store, raised on `Evidence::attachment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlag {
    pub kind: FlagKind,
    pub attachment: AttachmentId,
    pub matched: Option<AttachmentId>,
    pub distance: Option<u32>,
    /// The evidence, in words every party may read (no other party's name).
    pub detail: String,
}

/// Every flag `photo` raises against `others`: earlier photos found by its fingerprints, and the
/// other photos of its own record. Closest matches first, at most `MAX_MATCHES_PER_PHOTO` of a
/// kind.
pub fn flags_for(photo: &Evidence, others: &[Evidence], rules: &IntegrityRules) -> Vec<NewFlag> {
    if !is_evidence(&photo.field) {
        return vec![];
    }
    let mut flags = Vec::new();
    for (kind, detail) in [
        (FlagKind::CaptureTime, capture_time_issue(photo)),
        (FlagKind::CapturePlace, capture_place_issue(photo, rules)),
    ] {
        if let Some(detail) = detail {
            flags.push(NewFlag {
                kind,
                attachment: photo.attachment,
                matched: None,
                distance: None,
                detail,
            });
        }
    }
    for kind in [FlagKind::Unrectified, FlagKind::Duplicate] {
        let mut found: Vec<(Likeness, &Evidence)> = others
            .iter()
            .filter_map(|o| {
                let l = if kind == FlagKind::Unrectified {
                    unrectified(photo, o)
                } else {
                    reuses(photo, o)
                };
                l.map(|l| (l, o))
            })
            .collect();
        found.sort_by_key(|(l, o)| (l.distance(), o.attachment));
        flags.extend(
            found
                .into_iter()
                .take(MAX_MATCHES_PER_PHOTO)
                .map(|(l, o)| NewFlag {
                    kind,
                    attachment: photo.attachment,
                    matched: Some(o.attachment),
                    distance: Some(l.distance()),
                    detail: if kind == FlagKind::Unrectified {
                        format!("整改后照片与整改前照片{}", l.label())
                    } else {
                        format!(
                            "与 {} 的{}中的照片{}",
                            format_date(o.date),
                            if o.owner.kind == OwnerKind::Hazard {
                                "隐患"
                            } else {
                                "服务记录"
                            },
                            l.label()
                        )
                    },
                }),
        );
    }
    flags
}

/// The other photo of a duplicate flag, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedSide {
    pub attachment: AttachmentId,
    pub owner: OwnerRef,
    pub order_id: OrderId,
    pub order_no: String,
    pub date: NaiveDate,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
}

/// A stored flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub id: FlagId,
    pub kind: FlagKind,
    pub state: FlagState,
    pub attachment: AttachmentId,
    pub owner: OwnerRef,
    pub order_id: OrderId,
    pub agency_id: OrgId,
    pub agency_name: String,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub distance: Option<u32>,
    pub detail: String,
    pub matched: Option<MatchedSide>,
    pub explanation: Option<String>,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// 处理备注 of the decision.
    pub review_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What a viewer is shown of a flag's other side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedView {
    /// Always shown: that a match exists and when.
    pub date: String,
    /// The other enterprise's name, where the viewer may know it.
    pub enterprise_name: Option<String>,
    /// The other record, where the viewer may open it: (order, owner).
    pub link: Option<(OrderId, OwnerRef)>,
}

/// Who sees what of the other side of a match. Insurers, regulators and the platform oversee
/// reuse across the parties they supervise, so they see both sides' enterprises; an agency or an
/// enterprise learns the other party only when that party's record is in its own scope
/// (`other_in_scope`), and otherwise only that a match exists and its date. A link is offered
/// only to a record the viewer can open.
pub fn matched_view(actor: &Actor, side: &MatchedSide, other_in_scope: bool) -> MatchedView {
    let overseer = matches!(
        actor.org_kind,
        OrgKind::Platform | OrgKind::Insurer | OrgKind::Regulator
    );
    MatchedView {
        date: format_date(side.date),
        enterprise_name: (overseer || other_in_scope).then(|| side.enterprise_name.clone()),
        link: other_in_scope.then_some((side.order_id, side.owner)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attachment::PHASH_ALG;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn photo(id: i64, owner: i64, enterprise: i64, date: &str, phash: u64) -> Evidence {
        Evidence {
            attachment: AttachmentId(id),
            owner: OwnerRef {
                kind: OwnerKind::Training,
                id: owner,
            },
            order_id: OrderId(owner),
            enterprise_id: OrgId(enterprise),
            field: "photos".into(),
            date: date.parse().unwrap(),
            sha256: format!("sha{id}"),
            phash: Some(PerceptualHash::current(phash)),
            captured_at: Some(at(&format!("{date}T02:00:00Z"))),
            uploaded_at: at(&format!("{date}T09:00:00Z")),
            gps: None,
            site: None,
        }
    }

    #[test]
    fn bands_cover_the_hash_and_a_three_bit_change_keeps_one() {
        let h = PerceptualHash::current(0x1234_5678_9abc_def0);
        assert_eq!(h.bands(), [0xdef0, 0x9abc, 0x5678, 0x1234]);
        let moved = PerceptualHash::current(h.bits ^ (1 | 1 << 20 | 1 << 40));
        assert_eq!(h.distance(moved), 3);
        let shared = h
            .bands()
            .iter()
            .zip(moved.bands())
            .filter(|(a, b)| **a == *b)
            .count();
        assert!(shared >= 1);
        assert_eq!(
            PerceptualHash::from_stored(h.stored_bits(), PHASH_ALG),
            Some(h)
        );
        assert_eq!(PerceptualHash::from_stored(1, "pHash-v0"), None);
        assert_eq!(PerceptualHash::current(u64::MAX).stored_bits(), -1);
    }

    #[test]
    fn the_same_picture_for_another_enterprise_is_a_duplicate() {
        let old = photo(1, 10, 100, "2026-11-02", 0xF0F0);
        let mut new = photo(2, 20, 200, "2026-11-20", 0xF0F0 ^ 0b111);
        assert_eq!(reuses(&new, &old), Some(Likeness::Near(3)));
        new.sha256 = old.sha256.clone();
        assert_eq!(reuses(&new, &old), Some(Likeness::Identical));
    }

    #[test]
    fn the_same_enterprise_is_flagged_only_on_another_date() {
        let old = photo(1, 10, 100, "2026-11-02", 0xF0F0);
        let same_visit = photo(2, 20, 100, "2026-11-02", 0xF0F0);
        assert_eq!(reuses(&same_visit, &old), None);
        let later_visit = photo(3, 30, 100, "2026-11-25", 0xF0F0);
        assert!(reuses(&later_visit, &old).is_some());
    }

    #[test]
    fn photos_of_one_record_and_distant_hashes_are_not_duplicates() {
        let old = photo(1, 10, 100, "2026-11-02", 0);
        let same_record = photo(2, 10, 200, "2026-11-20", 0);
        assert_eq!(reuses(&same_record, &old), None);
        let other_scene = photo(3, 30, 200, "2026-11-20", 0xFF);
        assert_eq!(reuses(&other_scene, &old), None, "8 bits apart");
        let mut signature = photo(4, 40, 200, "2026-11-20", 0);
        signature.field = "signature".into();
        assert_eq!(reuses(&signature, &old), None);
        let mut other_alg = photo(5, 50, 200, "2026-11-20", 0);
        other_alg.phash = Some(PerceptualHash { bits: 0, alg: "x" });
        assert_eq!(reuses(&other_alg, &old), None);
    }

    #[test]
    fn an_after_photo_showing_the_before_photo_is_unrectified() {
        let hazard = OwnerRef {
            kind: OwnerKind::Hazard,
            id: 7,
        };
        let mut before = photo(1, 7, 100, "2026-11-02", 0xABCD);
        before.owner = hazard;
        before.field = "before".into();
        let mut after = photo(2, 7, 100, "2026-11-02", 0xABCD);
        after.owner = hazard;
        after.field = "after_1".into();
        assert_eq!(unrectified(&after, &before), Some(Likeness::Near(0)));
        let flags = flags_for(
            &after,
            std::slice::from_ref(&before),
            &IntegrityRules::default(),
        );
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].kind, FlagKind::Unrectified);
        assert_eq!(flags[0].matched, Some(AttachmentId(1)));
        after.phash = Some(PerceptualHash::current(!0xABCD));
        assert_eq!(unrectified(&after, &before), None);
    }

    #[test]
    fn capture_times_are_checked_against_the_service_date_and_the_upload() {
        let ok = photo(1, 10, 100, "2026-11-02", 0);
        assert_eq!(capture_time_issue(&ok), None);
        let mut e = ok.clone();
        e.captured_at = None;
        assert!(capture_time_issue(&e).unwrap().contains("没有拍摄时间"));
        // The day before and after are within a day; two days before is not.
        e.captured_at = Some(at("2026-11-01T01:00:00Z"));
        assert_eq!(capture_time_issue(&e), None);
        e.captured_at = Some(at("2026-10-31T01:00:00Z"));
        let why = capture_time_issue(&e).unwrap();
        assert!(
            why.contains("相差超过一天") && why.contains("2026-11-02"),
            "{why}"
        );
        // 2026-11-03 20:00 UTC is already the 4th in China.
        e.captured_at = Some(at("2026-11-03T20:00:00Z"));
        e.uploaded_at = at("2026-11-05T00:00:00Z");
        assert!(capture_time_issue(&e).is_some());
        e.captured_at = Some(at("2026-11-02T09:05:00Z"));
        e.uploaded_at = at("2026-11-02T09:00:00Z");
        assert_eq!(capture_time_issue(&e), None, "within the clock slack");
        e.captured_at = Some(at("2026-11-02T10:00:00Z"));
        assert!(capture_time_issue(&e).unwrap().contains("晚于上传时间"));
    }

    #[test]
    fn a_photo_far_from_the_site_is_flagged_at_the_configured_distance() {
        let site = GeoPoint {
            lat: 24.874222,
            lng: 118.675694,
        };
        let rules = IntegrityRules::default();
        let mut e = photo(1, 10, 100, "2026-11-02", 0);
        assert_eq!(capture_place_issue(&e, &rules), None, "no site, no GPS");
        e.site = Some(site);
        assert_eq!(capture_place_issue(&e, &rules), None, "no GPS");
        // 0.01° of latitude is about 1.1 km: inside 2 km.
        e.gps = Some(GeoPoint {
            lat: site.lat + 0.01,
            ..site
        });
        assert_eq!(capture_place_issue(&e, &rules), None);
        let strict = IntegrityRules { place_max_m: 500.0 };
        let why = capture_place_issue(&e, &strict).unwrap();
        assert!(why.contains("1.1 公里") && why.contains("500 米"), "{why}");
        // 0.05° is about 5.6 km.
        e.gps = Some(GeoPoint {
            lat: site.lat + 0.05,
            ..site
        });
        let flags = flags_for(&e, &[], &rules);
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].kind, FlagKind::CapturePlace);
        assert!(flags[0].detail.contains("5.6 公里"), "{}", flags[0].detail);
        assert!(flags[0].detail.contains("2 公里"), "{}", flags[0].detail);
    }

    #[test]
    fn the_list_filter_takes_any_or_a_kind() {
        assert_eq!(FlaggedFilter::parse(""), None);
        assert_eq!(FlaggedFilter::parse("x"), None);
        assert_eq!(
            FlaggedFilter::parse(" any "),
            Some(FlaggedFilter { kind: None })
        );
        assert_eq!(
            FlaggedFilter::parse("capture_place"),
            Some(FlaggedFilter {
                kind: Some(FlagKind::CapturePlace)
            })
        );
    }

    #[test]
    fn rates_are_per_mille_rounded() {
        let mut r = AgencyFlagRate {
            agency_id: OrgId(1),
            agency_name: String::new(),
            flagged_records: 1,
            open_flags: 1,
            records: 3,
        };
        assert_eq!(r.rate_label(), "33.3%");
        assert_eq!(r.rate_basis_points(), Some(3333));
        r.flagged_records = 3;
        assert_eq!(r.rate_label(), "100.0%");
        r.records = 0;
        assert_eq!(r.rate_label(), "—");
    }

    #[test]
    fn flags_keep_the_closest_matches_and_name_no_party() {
        let new = photo(100, 1, 100, "2026-11-20", 0);
        let others: Vec<Evidence> = (0..8)
            .map(|i| photo(i, 10 + i, 200, "2026-11-02", (1u64 << i) - 1))
            .collect();
        let flags = flags_for(&new, &others, &IntegrityRules::default());
        let dups: Vec<_> = flags
            .iter()
            .filter(|f| f.kind == FlagKind::Duplicate)
            .collect();
        assert_eq!(dups.len(), MAX_MATCHES_PER_PHOTO);
        assert_eq!(dups[0].distance, Some(0));
        assert_eq!(dups[0].matched, Some(AttachmentId(0)));
        assert!(dups[0].detail.contains("2026-11-02"), "{}", dups[0].detail);
    }

    fn actor(kind: OrgKind) -> Actor {
        Actor {
            account_id: crate::ids::AccountId(1),
            username: "u".into(),
            name: "n".into(),
            org_id: OrgId(1),
            org_name: "o".into(),
            org_kind: kind,
            permissions: Default::default(),
            data_scope: crate::auth::DataScope::Organization,
            is_org_admin: false,
            ip: String::new(),
        }
    }

    #[test]
    fn the_agency_sees_only_the_date_of_a_match_outside_its_scope() {
        let side = MatchedSide {
            attachment: AttachmentId(1),
            owner: OwnerRef {
                kind: OwnerKind::Training,
                id: 5,
            },
            order_id: OrderId(9),
            order_no: "FW1".into(),
            date: "2026-11-02".parse().unwrap(),
            enterprise_id: OrgId(2),
            enterprise_name: "乙公司".into(),
        };
        let agency = matched_view(&actor(OrgKind::Agency), &side, false);
        assert_eq!(agency.date, "2026-11-02");
        assert_eq!(agency.enterprise_name, None);
        assert_eq!(agency.link, None);
        let own = matched_view(&actor(OrgKind::Agency), &side, true);
        assert_eq!(own.enterprise_name.as_deref(), Some("乙公司"));
        assert!(own.link.is_some());
        for kind in [OrgKind::Insurer, OrgKind::Regulator, OrgKind::Platform] {
            let v = matched_view(&actor(kind), &side, false);
            assert_eq!(v.enterprise_name.as_deref(), Some("乙公司"), "{kind:?}");
            assert_eq!(v.link, None, "no link to what it cannot open");
        }
        let enterprise = matched_view(&actor(OrgKind::Enterprise), &side, false);
        assert_eq!(enterprise.enterprise_name, None);
    }

    #[test]
    fn codes_round_trip() {
        for k in FlagKind::ALL {
            assert_eq!(FlagKind::from_code(k.code()), Some(k));
        }
        for s in FlagState::ALL {
            assert_eq!(FlagState::from_code(s.code()), Some(s));
        }
    }
}
