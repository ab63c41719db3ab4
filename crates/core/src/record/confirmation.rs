//! 企业确认: the insured enterprise's second signature on every service record.
//!
//! A record starts 待确认. The enterprise confirms it (已确认) or objects with a reason (有异议),
//! either later from its own account or on site, by signing the agency's phone. An objection
//! waits for the agency: its answer, or an edit of the record, returns the record to 待确认.
//! Any edit of the record asks for confirmation again, since what was confirmed has changed.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::attachment::{FileKind, FileRule, NewAttachment};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::AccountId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Confirmation {
    /// 待确认
    Pending,
    /// 已确认
    Confirmed,
    /// 有异议
    Objected,
}

impl Confirmation {
    /// In the order the enterprise works through them: what waits for it first.
    pub const ALL: [Confirmation; 3] = [
        Confirmation::Pending,
        Confirmation::Objected,
        Confirmation::Confirmed,
    ];

    /// Stored codes. Sorted descending they give 待确认, 有异议, 已确认: the confirmations list
    /// relies on it to show what waits first straight from its index.
    pub fn code(self) -> &'static str {
        match self {
            Confirmation::Pending => "pending",
            Confirmation::Confirmed => "confirmed",
            Confirmation::Objected => "objected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Confirmation::Pending => "待确认",
            Confirmation::Confirmed => "已确认",
            Confirmation::Objected => "有异议",
        }
    }

    /// Colour of the tag: 待确认 orange, 已确认 green, 有异议 red.
    pub fn tag(self) -> &'static str {
        match self {
            Confirmation::Pending => "tag-warning",
            Confirmation::Confirmed => "tag-success",
            Confirmation::Objected => "tag-danger",
        }
    }

    pub fn is_pending(self) -> bool {
        self == Confirmation::Pending
    }

    pub fn is_objected(self) -> bool {
        self == Confirmation::Objected
    }

    /// 确认: only a record waiting for it.
    pub fn confirm(self) -> CoreResult<Confirmation> {
        match self {
            Confirmation::Pending => Ok(Confirmation::Confirmed),
            Confirmation::Confirmed => Err(CoreError::Conflict("该记录已确认".into())),
            Confirmation::Objected => Err(CoreError::Conflict(
                "该记录已提出异议,须待服务机构答复或修改记录后才能确认".into(),
            )),
        }
    }

    /// 提出异议: only a record waiting for confirmation.
    pub fn object(self) -> CoreResult<Confirmation> {
        match self {
            Confirmation::Pending => Ok(Confirmation::Objected),
            Confirmation::Confirmed => {
                Err(CoreError::Conflict("该记录已确认,不能再提出异议".into()))
            }
            Confirmation::Objected => Err(CoreError::Conflict(
                "该记录已提出异议,正在等待服务机构答复".into(),
            )),
        }
    }

    /// 答复异议: only an open objection; the enterprise is asked again.
    pub fn reply(self) -> CoreResult<Confirmation> {
        match self {
            Confirmation::Objected => Ok(Confirmation::Pending),
            _ => Err(CoreError::Conflict("该记录没有待答复的异议".into())),
        }
    }
}

/// Where a record stands with its enterprise, with who said so and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordConfirmation {
    pub state: Confirmation,
    /// The enterprise account that confirmed or objected; `None` when signed on site.
    pub by: Option<AccountId>,
    /// The account's name, or the name the signer typed on site.
    pub by_name: Option<String>,
    pub at: Option<DateTime<Utc>>,
    /// Signed on the agency's device (the signature is among the record's files).
    pub on_site: bool,
    /// The last objection's reason; kept after it is answered, for the record's history.
    pub objection: Option<String>,
    /// The agency's answer to it.
    pub reply: Option<String>,
}

impl Default for RecordConfirmation {
    fn default() -> Self {
        Self::pending()
    }
}

impl RecordConfirmation {
    pub fn pending() -> Self {
        Self {
            state: Confirmation::Pending,
            by: None,
            by_name: None,
            at: None,
            on_site: false,
            objection: None,
            reply: None,
        }
    }

    /// What the record page calls `by_name`.
    pub fn by_label(&self) -> &'static str {
        match self.state {
            Confirmation::Confirmed if self.on_site => "现场签字人",
            Confirmation::Confirmed => "确认人",
            Confirmation::Objected => "异议提出人",
            Confirmation::Pending => "",
        }
    }

    /// Signed on site by the enterprise's representative.
    pub fn signed(name: String, at: DateTime<Utc>) -> Self {
        Self {
            state: Confirmation::Confirmed,
            by_name: Some(name),
            at: Some(at),
            on_site: true,
            ..Self::pending()
        }
    }

    /// After the record was edited: asked again; an objection it answered stays readable.
    pub fn after_edit(&self) -> Self {
        Self {
            objection: self.objection.clone(),
            reply: self.reply.clone(),
            ..Self::pending()
        }
    }

    pub fn confirmed(&self, by: AccountId, name: String, at: DateTime<Utc>) -> CoreResult<Self> {
        Ok(Self {
            state: self.state.confirm()?,
            by: Some(by),
            by_name: Some(name),
            at: Some(at),
            on_site: false,
            objection: self.objection.clone(),
            reply: self.reply.clone(),
        })
    }

    pub fn objected(
        &self,
        by: AccountId,
        name: String,
        reason: String,
        at: DateTime<Utc>,
    ) -> CoreResult<Self> {
        Ok(Self {
            state: self.state.object()?,
            by: Some(by),
            by_name: Some(name),
            at: Some(at),
            on_site: false,
            objection: Some(reason),
            reply: None,
        })
    }

    pub fn replied(&self, reply: String) -> CoreResult<Self> {
        Ok(Self {
            state: self.state.reply()?,
            reply: Some(reply),
            objection: self.objection.clone(),
            ..Self::pending()
        })
    }
}

/// 企业签字: the signature drawn on the record form, uploaded as a PNG.
pub const SIGNATURE: FileRule = FileRule {
    field: "signature",
    label: "企业签字",
    allowed: &[FileKind::Png],
    required: false,
    max_files: 1,
};

/// The on-site signature of a record form: with a drawn (not blank) PNG and the signer's typed
/// name the save confirms the record; neither leaves it to the enterprise's account.
pub fn parse_signature(
    signer_name: &str,
    added: &[(String, NewAttachment)],
    now: DateTime<Utc>,
) -> Result<Option<RecordConfirmation>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.take(
        "signer_name",
        field::text(signer_name, "签字人姓名", 50, false),
    );
    let signature = added
        .iter()
        .find(|(f, _)| f == SIGNATURE.field)
        .map(|(_, a)| a);
    match signature {
        Some(a) if a.kind != FileKind::Png => errors.add("signature", "企业签字须为 PNG 图片"),
        Some(a) => match a.uniform {
            Some(false) => {}
            Some(true) => errors.add("signature", "签字为空白,请企业代表在签字板上签字"),
            None => errors.add("signature", "签字图片无法识别,请清除后重新签字"),
        },
        None => {}
    }
    let name = name.unwrap_or_default();
    match (signature.is_some(), name.is_empty()) {
        (true, true) => errors.add("signer_name", "请填写签字人姓名"),
        (false, false) => errors.add("signature", "请企业代表在签字板上签字,或清空签字人姓名"),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(signature.map(|_| RecordConfirmation::signed(name, now)))
}

/// 异议理由 / 答复: required, bounded text.
pub fn parse_reason(raw: &str, label: &str) -> CoreResult<String> {
    field::text(raw, label, 1000, true).map_err(|m| crate::error::field_error("reason", m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Confirmation::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn codes_round_trip_and_sort_what_waits_first() {
        for c in Confirmation::ALL {
            assert_eq!(Confirmation::from_code(c.code()), Some(c));
        }
        let mut codes: Vec<&str> = Confirmation::ALL.iter().map(|c| c.code()).collect();
        codes.sort_by(|a, b| b.cmp(a));
        assert_eq!(codes, ["pending", "objected", "confirmed"]);
        assert_eq!(Pending.label(), "待确认");
        assert_eq!(Confirmed.label(), "已确认");
        assert_eq!(Objected.label(), "有异议");
    }

    #[test]
    fn a_pending_record_is_confirmed_or_objected_once() {
        assert_eq!(Pending.confirm().unwrap(), Confirmed);
        assert_eq!(Pending.object().unwrap(), Objected);
        let Err(CoreError::Conflict(m)) = Confirmed.confirm() else {
            panic!()
        };
        assert_eq!(m, "该记录已确认");
        assert!(matches!(Confirmed.object(), Err(CoreError::Conflict(_))));
        assert!(matches!(Objected.object(), Err(CoreError::Conflict(_))));
    }

    #[test]
    fn an_objection_needs_the_agencys_answer_before_confirming() {
        let Err(CoreError::Conflict(m)) = Objected.confirm() else {
            panic!()
        };
        assert!(m.contains("答复"), "{m}");
        assert_eq!(Objected.reply().unwrap(), Pending);
        assert!(matches!(Pending.reply(), Err(CoreError::Conflict(_))));
        assert!(matches!(Confirmed.reply(), Err(CoreError::Conflict(_))));
    }

    #[test]
    fn the_objection_stays_readable_after_the_answer_and_an_edit() {
        let objected = RecordConfirmation::pending()
            .objected(AccountId(7), "企业甲".into(), "人数不对".into(), at())
            .unwrap();
        assert_eq!(objected.state, Objected);
        let replied = objected.replied("已核实,按签到表为准".into()).unwrap();
        assert_eq!(replied.state, Pending);
        assert_eq!(replied.objection.as_deref(), Some("人数不对"));
        assert_eq!(replied.reply.as_deref(), Some("已核实,按签到表为准"));
        assert_eq!(replied.by, None);
        let confirmed = replied
            .confirmed(AccountId(7), "企业甲".into(), at())
            .unwrap();
        assert_eq!(confirmed.state, Confirmed);
        let edited = confirmed.after_edit();
        assert_eq!(edited.state, Pending);
        assert_eq!(edited.by_name, None);
        assert_eq!(edited.objection.as_deref(), Some("人数不对"));
    }

    #[test]
    fn an_on_site_signature_confirms_with_the_typed_name() {
        let s = RecordConfirmation::signed("王五".into(), at());
        assert_eq!(s.state, Confirmed);
        assert!(s.on_site);
        assert_eq!(s.by, None);
        assert_eq!(s.by_name.as_deref(), Some("王五"));
    }

    fn png(uniform: Option<bool>) -> (String, NewAttachment) {
        (
            "signature".into(),
            NewAttachment {
                storage_key: "k".into(),
                thumb_key: None,
                original_name: "signature.png".into(),
                size: 10,
                sha256: String::new(),
                kind: FileKind::Png,
                captured_at: None,
                gps: None,
                uniform,
                phash: None,
            },
        )
    }

    #[test]
    fn a_signature_needs_ink_and_a_name() {
        assert_eq!(parse_signature("", &[], at()).unwrap(), None);
        let signed = parse_signature(" 王五 ", &[png(Some(false))], at())
            .unwrap()
            .unwrap();
        assert_eq!(signed.by_name.as_deref(), Some("王五"));
        let blank = parse_signature("王五", &[png(Some(true))], at()).unwrap_err();
        assert_eq!(
            blank.get("signature"),
            Some("签字为空白,请企业代表在签字板上签字")
        );
        let unnamed = parse_signature("", &[png(Some(false))], at()).unwrap_err();
        assert_eq!(unnamed.get("signer_name"), Some("请填写签字人姓名"));
        let unsigned = parse_signature("王五", &[], at()).unwrap_err();
        assert!(unsigned.get("signature").is_some());
        assert!(parse_signature("王五", &[png(None)], at()).is_err());
    }

    #[test]
    fn reasons_are_required() {
        assert!(parse_reason("  ", "异议理由").is_err());
        assert_eq!(parse_reason(" 不对 ", "异议理由").unwrap(), "不对");
    }
}
