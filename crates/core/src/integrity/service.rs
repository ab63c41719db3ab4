use serde::Serialize;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    AgencyFlagRate, Flag, FlagChange, FlagDecision, FlagFilter, FlagKind, FlagState, FlagStep,
    MatchedView, matched_view,
};
use crate::attachment::{OwnerKind, OwnerRef};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::{FlagId, OrderId};
use crate::org::OrgKind;
use crate::page::{Page, PageRequest};
use crate::store::Store;

/// A flag as one viewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct FlagView {
    pub flag: Flag,
    /// The other photo's side of a duplicate, cut to what the viewer may know.
    pub matched: Option<MatchedView>,
}

/// Whether the actor may open `order` (and so the records under it). Only "not yours" answers
/// false; a failing database is an error.
async fn may_open(store: &dyn Store, actor: &Actor, order: OrderId) -> CoreResult<bool> {
    match crate::order::service::get(store, actor, order).await {
        Ok(_) => Ok(true),
        Err(CoreError::NotFound | CoreError::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The flags on the photos of a record or hazard the caller has already loaded (and so may
/// see), each cut to what the caller may know of the other side.
pub async fn of_owner(
    store: &dyn Store,
    actor: &Actor,
    owner: OwnerRef,
) -> CoreResult<Vec<FlagView>> {
    let flags = store.flags_of(owner.kind, &[owner.id]).await?;
    let mut opens: HashMap<OrderId, bool> = HashMap::new();
    let mut out = Vec::with_capacity(flags.len());
    for flag in flags {
        let matched = match &flag.matched {
            Some(side) => {
                let in_scope = match opens.get(&side.order_id) {
                    Some(v) => *v,
                    None => {
                        let v = may_open(store, actor, side.order_id).await?;
                        opens.insert(side.order_id, v);
                        v
                    }
                };
                Some(matched_view(actor, side, in_scope))
            }
            None => None,
        };
        out.push(FlagView { flag, matched });
    }
    Ok(out)
}

/// The kinds of live flags on each of these records (`hazards` false) or hazards, in
/// `FlagKind::ALL` order, for the tags of a list page whose rows the caller already loaded.
pub async fn tags_of(
    store: &dyn Store,
    hazards: bool,
    owner_ids: &[i64],
) -> CoreResult<HashMap<i64, Vec<FlagKind>>> {
    let mut tags: HashMap<i64, Vec<FlagKind>> = HashMap::new();
    if owner_ids.is_empty() {
        return Ok(tags);
    }
    for (owner, kind) in store.live_flag_kinds(hazards, owner_ids).await? {
        let kinds = tags.entry(owner).or_default();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    for kinds in tags.values_mut() {
        kinds.sort_by_key(|k| FlagKind::ALL.iter().position(|a| a == k));
    }
    Ok(tags)
}

/// The permission that lets an agency write the flag's record or hazard.
fn write_permission(owner: OwnerKind) -> Permission {
    if owner == OwnerKind::Hazard {
        Permission::HazardWrite
    } else {
        Permission::RecordWrite
    }
}

fn view_permission(owner: OwnerKind) -> Permission {
    if owner == OwnerKind::Hazard {
        Permission::HazardView
    } else {
        Permission::RecordView
    }
}

/// Whether the actor is the party that answers this flag: the agency owning the flagged record
/// or hazard, allowed to write it. The state is checked separately (`can_answer`).
fn answers(actor: &Actor, flag: &Flag) -> bool {
    actor.org_kind == OrgKind::Agency
        && actor.org_id == flag.agency_id
        && actor.has(write_permission(flag.owner.kind))
}

/// Whether the actor is a party that decides flags: an insurer, a regulator or the platform.
/// Which flags is the scope's answer (`load`): the insurer's policies, the regulator's region.
fn decides(actor: &Actor, flag: &Flag) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::Insurer | OrgKind::Regulator | OrgKind::Platform
    ) && actor.has(view_permission(flag.owner.kind))
}

/// Whether the actor may answer the flag now (a flag the actor was shown).
pub fn can_answer(actor: &Actor, flag: &Flag) -> bool {
    answers(actor, flag) && flag.state.answerable()
}

/// Whether the actor may mark the flag 已核实 or 已排除 now (a flag the actor was shown).
pub fn can_decide(actor: &Actor, flag: &Flag) -> bool {
    decides(actor, flag) && flag.state.decidable()
}

/// A flag whose record the actor may open; any other is not found.
async fn load(store: &dyn Store, actor: &Actor, id: FlagId) -> CoreResult<Flag> {
    let flag = store.get_flag(id).await?.ok_or(CoreError::NotFound)?;
    if !may_open(store, actor, flag.order_id).await? {
        return Err(CoreError::NotFound);
    }
    Ok(flag)
}

const MAX_TEXT: usize = 1000;

fn audit_of(
    actor: &Actor,
    flag: &Flag,
    action: AuditAction,
    summary: String,
    now: DateTime<Utc>,
) -> AuditEvent {
    let kind = if flag.owner.kind == OwnerKind::Hazard {
        ObjectKind::Hazard
    } else {
        ObjectKind::Record
    };
    AuditEvent::new(
        actor,
        now,
        action,
        kind,
        Some(flag.owner.id),
        &format!("可疑标记 #{}", flag.id.0),
        summary,
    )
}

/// 答复 (the agency): its explanation of a flag on its own record or hazard. Returns the flag,
/// whose page the caller goes back to.
pub async fn answer(
    store: &dyn Store,
    actor: &Actor,
    id: FlagId,
    explanation: &str,
    now: DateTime<Utc>,
) -> CoreResult<Flag> {
    let flag = load(store, actor, id).await?;
    if !answers(actor, &flag) {
        return Err(CoreError::Forbidden);
    }
    let text = explanation.trim();
    if text.is_empty() {
        return Err(field_error("explanation", "请填写说明"));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(field_error("explanation", "说明不能超过 1000 字"));
    }
    if !flag.state.answerable() {
        return Err(CoreError::Conflict(format!(
            "该标记已{},不能再答复",
            flag.state.label()
        )));
    }
    let audit = audit_of(
        actor,
        &flag,
        AuditAction::Reply,
        format!("答复「{}」:{text}", flag.kind.label()),
        now,
    )
    .in_org(flag.agency_id);
    let change = FlagChange {
        from: flag.state,
        to: FlagState::Answered,
        step: FlagStep::Answer {
            explanation: text.to_string(),
        },
        by: actor.account_id,
        by_name: actor.name.clone(),
        at: now,
    };
    store.change_flag(id, &change, &audit).await?;
    Ok(flag)
}

/// 核实 or 排除 (an insurer of the policy, a regulator of the region, the platform), with an
/// optional note kept on the flag and in the audit log.
pub async fn decide(
    store: &dyn Store,
    actor: &Actor,
    id: FlagId,
    decision: &str,
    note: &str,
    now: DateTime<Utc>,
) -> CoreResult<Flag> {
    let flag = load(store, actor, id).await?;
    if !decides(actor, &flag) {
        return Err(CoreError::Forbidden);
    }
    let decision = FlagDecision::from_code(decision)
        .ok_or_else(|| field_error("decision", "请选择处理结果"))?;
    let note = note.trim();
    if note.chars().count() > MAX_TEXT {
        return Err(field_error("note", "备注不能超过 1000 字"));
    }
    if !flag.state.decidable() {
        return Err(CoreError::Conflict(format!(
            "该标记已{},不能再处理",
            flag.state.label()
        )));
    }
    let to = decision.state();
    let audit = audit_of(
        actor,
        &flag,
        AuditAction::Review,
        format!(
            "「{}」{} → {}{}",
            flag.kind.label(),
            flag.state.label(),
            to.label(),
            if note.is_empty() {
                String::new()
            } else {
                format!(":{note}")
            }
        ),
        now,
    );
    let change = FlagChange {
        from: flag.state,
        to,
        step: FlagStep::Decision {
            note: (!note.is_empty()).then(|| note.to_string()),
        },
        by: actor.account_id,
        by_name: actor.name.clone(),
        at: now,
    };
    store.change_flag(id, &change, &audit).await?;
    Ok(flag)
}

/// Whether the actor reads the 可疑记录 list: the parties that decide flags.
pub fn may_list(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::Insurer | OrgKind::Regulator | OrgKind::Platform
    ) && actor.has(Permission::RecordView)
}

/// 可疑记录: the flags on the records and hazards the actor oversees (an insurer its policies'
/// records, a regulator its region's), newest first.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &FlagFilter,
    page: PageRequest,
) -> CoreResult<Page<Flag>> {
    if !may_list(actor) {
        return Err(CoreError::Forbidden);
    }
    let scope = crate::scope::of(store, actor).await?;
    let query = filter.query()?;
    store.list_flags(&scope, &query, page).await
}

/// The agencies with the most flagged records in the actor's oversight, with their rate of
/// flagged records: the table above the 可疑记录 list. Only the list's agency filter applies,
/// since a rate is over all of an agency's records.
pub async fn rates(
    store: &dyn Store,
    actor: &Actor,
    filter: &FlagFilter,
) -> CoreResult<Vec<AgencyFlagRate>> {
    if !may_list(actor) {
        return Err(CoreError::Forbidden);
    }
    let scope = crate::scope::of(store, actor).await?;
    let query = filter.query()?;
    store
        .flag_rates(&scope, query.agency, super::RATE_AGENCIES)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, AttachmentId, OrgId};

    fn actor(kind: OrgKind, org: i64, permissions: &[Permission]) -> Actor {
        Actor {
            account_id: AccountId(1),
            username: "u".into(),
            name: "n".into(),
            org_id: OrgId(org),
            org_name: "o".into(),
            org_kind: kind,
            permissions: permissions.iter().copied().collect(),
            data_scope: crate::auth::DataScope::Organization,
            is_org_admin: false,
            ip: String::new(),
        }
    }

    fn flag(owner: OwnerKind, state: FlagState) -> Flag {
        Flag {
            id: FlagId(1),
            kind: FlagKind::CaptureTime,
            state,
            attachment: AttachmentId(1),
            owner: OwnerRef { kind: owner, id: 3 },
            order_id: OrderId(4),
            agency_id: OrgId(7),
            agency_name: String::new(),
            enterprise_id: OrgId(8),
            enterprise_name: String::new(),
            distance: None,
            detail: String::new(),
            matched: None,
            explanation: None,
            answered_by_name: None,
            answered_at: None,
            reviewed_by_name: None,
            reviewed_at: None,
            review_note: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_owning_agency_answers_an_open_flag_with_the_right_write_permission() {
        let writer = actor(OrgKind::Agency, 7, &[Permission::RecordWrite]);
        assert!(can_answer(
            &writer,
            &flag(OwnerKind::Training, FlagState::Open)
        ));
        assert!(!can_answer(
            &writer,
            &flag(OwnerKind::Training, FlagState::Answered)
        ));
        assert!(!can_answer(
            &writer,
            &flag(OwnerKind::Hazard, FlagState::Open)
        ));
        let hazards = actor(OrgKind::Agency, 7, &[Permission::HazardWrite]);
        assert!(can_answer(
            &hazards,
            &flag(OwnerKind::Hazard, FlagState::Open)
        ));
        let other = actor(OrgKind::Agency, 9, &[Permission::RecordWrite]);
        assert!(!can_answer(
            &other,
            &flag(OwnerKind::Training, FlagState::Open)
        ));
    }

    #[test]
    fn overseers_decide_a_flag_once() {
        for kind in [OrgKind::Insurer, OrgKind::Regulator, OrgKind::Platform] {
            let a = actor(kind, 2, &[Permission::RecordView, Permission::HazardView]);
            assert!(can_decide(&a, &flag(OwnerKind::Training, FlagState::Open)));
            assert!(can_decide(
                &a,
                &flag(OwnerKind::Hazard, FlagState::Answered)
            ));
            for done in [FlagState::Confirmed, FlagState::Dismissed] {
                assert!(!can_decide(&a, &flag(OwnerKind::Training, done)));
            }
        }
        let agency = actor(OrgKind::Agency, 7, &[Permission::RecordView]);
        assert!(!can_decide(
            &agency,
            &flag(OwnerKind::Training, FlagState::Open)
        ));
    }

    #[test]
    fn the_filter_reads_china_days_and_rejects_bad_dates() {
        let q = FlagFilter {
            q: " 企业 ".into(),
            kind: "duplicate".into(),
            state: "answered".into(),
            agency: "7".into(),
            from: "2026-11-02".into(),
            to: "2026-11-02".into(),
        }
        .query()
        .unwrap();
        assert_eq!(q.enterprise_name.as_deref(), Some("企业"));
        assert_eq!(q.kind, Some(FlagKind::Duplicate));
        assert_eq!(q.state, Some(FlagState::Answered));
        assert_eq!(q.agency, Some(OrgId(7)));
        let day = |s: &str| crate::time::start_of_day(s.parse().unwrap());
        assert_eq!(q.since, Some(day("2026-11-02")));
        assert_eq!(q.before, Some(day("2026-11-03")));
        let bad = FlagFilter {
            from: "11/02".into(),
            ..Default::default()
        };
        assert!(matches!(bad.query(), Err(CoreError::Validation(_))));
    }
}
