//! SeaORM entities, one per table. Relations are not declared: queries join explicitly, which
//! keeps each query's shape visible where it is written.

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod region {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "regions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub parent_code: Option<String>,
        pub sort: i32,
    }
    entity_boilerplate!();
}

pub mod organization {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub name: String,
        pub credit_code: Option<String>,
        pub region_code: String,
        pub address: String,
        pub contact_name: String,
        pub contact_phone: String,
        pub enabled: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub industry_code: Option<String>,
        pub employee_count: Option<i64>,
        /// Enterprises only: the organization that registered it.
        pub created_by_org_id: Option<i64>,
        /// Enterprises only: 纬度/经度 of the site.
        pub site_lat: Option<f64>,
        pub site_lng: Option<f64>,
        /// The photo the site was taken from; NULL when typed on the form.
        pub site_photo_id: Option<i64>,
    }
    entity_boilerplate!();
}

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: i64,
        pub username: String,
        pub name: String,
        pub phone: Option<String>,
        pub password_hash: String,
        pub enabled: bool,
        pub deleted_at: Option<DateTimeUtc>,
        pub failed_attempts: i32,
        pub locked_until: Option<DateTimeUtc>,
        pub last_login_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod role {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: i64,
        pub name: String,
        pub kind: String,
        pub data_scope: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod role_permission {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_permissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub permission: String,
    }
    entity_boilerplate!();
}

pub mod account_role {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: i64,
    }
    entity_boilerplate!();
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub account_id: i64,
        pub csrf_token: String,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        pub ip: String,
        pub user_agent: String,
    }
    entity_boilerplate!();
}

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub org_id: Option<i64>,
        pub account_id: Option<i64>,
        pub actor_name: String,
        pub action: String,
        pub object_kind: String,
        pub object_id: Option<i64>,
        pub object_label: String,
        #[sea_orm(column_type = "Text")]
        pub summary: String,
        pub ip: String,
        /// Position in the hash chain (`anze_core::audit::chain`); set on every row written
        /// since the chain began, and by the migration on the rows before.
        pub seq: Option<i64>,
        pub prev_hash: Option<String>,
        pub hash: Option<String>,
    }
    entity_boilerplate!();
}

/// The one row that holds the newest link of the audit chain; writers lock it to take the
/// next sequence number.
pub mod audit_chain_head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_chain_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
    }
    entity_boilerplate!();

    /// The id of the single row.
    pub const ROW: i32 = 1;
}

pub mod audit_verification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_verifications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub ok: bool,
        pub rows_checked: i64,
        pub head_seq: i64,
        pub head_hash: String,
        pub problem: String,
    }
    entity_boilerplate!();
}

pub mod login_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub username: String,
        pub account_id: Option<i64>,
        pub org_id: Option<i64>,
        pub success: bool,
        pub reason: String,
        pub ip: String,
        pub user_agent: String,
    }
    entity_boilerplate!();
}

pub mod login_throttle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_throttles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub username_key: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ip: String,
        pub failures: i32,
        pub locks: i32,
        pub locked_until: Option<DateTimeUtc>,
        pub last_failure_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod industry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "industries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub parent_code: Option<String>,
        pub mandatory: bool,
        pub sort: i32,
    }
    entity_boilerplate!();
}

pub mod policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "policies")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub insurer_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub policy_no: String,
        pub start_date: Date,
        pub end_date: Date,
        pub premium: i64,
        pub total_limit: i64,
        pub per_person_limit: i64,
        pub insured_count: i64,
        pub prevention_ratio: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod service_order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_orders")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_no: Option<String>,
        pub policy_id: i64,
        pub insurer_id: i64,
        pub agency_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub state: String,
        pub service_start: Date,
        pub service_end: Date,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub decline_reason: Option<String>,
        pub designated_at: DateTimeUtc,
        pub designated_by: i64,
        pub accepted_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod order_plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_plan")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub item: String,
        pub planned: i32,
    }
    entity_boilerplate!();
}

pub mod order_assignee {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_assignees")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
    }
    entity_boilerplate!();
}

pub mod service_record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_records")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub item: String,
        pub order_id: i64,
        pub agency_id: i64,
        pub insurer_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub service_date: Date,
        pub location: String,
        pub enterprise_contact: String,
        #[sea_orm(column_type = "Text")]
        pub summary: String,
        /// The type's own fields as a JSON object of strings.
        #[sea_orm(column_type = "Text")]
        pub details: String,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// 企业确认: pending | confirmed | objected
        pub confirmation: String,
        pub confirmed_by: Option<i64>,
        pub confirmed_by_name: Option<String>,
        pub confirmed_at: Option<DateTimeUtc>,
        pub signed_on_site: bool,
        #[sea_orm(column_type = "Text", nullable)]
        pub objection: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub objection_reply: Option<String>,
        /// Whether `objection_reply` is set: indexable where the text is not.
        pub objection_answered: bool,
    }
    entity_boilerplate!();
}

pub mod record_staff {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "record_staff")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub record_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
    }
    entity_boilerplate!();
}

pub mod hazard {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hazards")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub hazard_no: Option<String>,
        pub inspection_id: i64,
        pub order_id: i64,
        pub agency_id: i64,
        pub insurer_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub found_on: Date,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub location: String,
        pub category: String,
        pub level: String,
        pub basis: String,
        #[sea_orm(column_type = "Text")]
        pub suggestion: String,
        pub deadline: Date,
        pub responsible: String,
        pub state: String,
        pub round: i32,
        pub closed_at: Option<DateTimeUtc>,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod hazard_step {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "hazard_steps")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub hazard_id: i64,
        pub round: i32,
        pub kind: String,
        pub on_date: Date,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub passed: Option<bool>,
        pub reviewer_id: Option<i64>,
        /// 整改 steps: who rectified (`enterprise`, or `agency` on its behalf); older rows have none.
        pub party: Option<String>,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod notice_receipt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice_receipts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub record_id: i64,
        pub via: String,
        pub signer_name: String,
        pub signed_by: Option<i64>,
        pub signed_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub owner_kind: String,
        pub owner_id: i64,
        pub field: String,
        pub storage_key: String,
        pub thumb_key: Option<String>,
        pub original_name: String,
        pub size: i64,
        pub sha256: String,
        pub kind: String,
        pub captured_at: Option<DateTimeUtc>,
        pub gps_lat: Option<f64>,
        pub gps_lng: Option<f64>,
        pub uploaded_by: i64,
        pub uploaded_at: DateTimeUtc,
        pub phash: Option<i64>,
        pub phash_alg: Option<String>,
        pub phash_b0: Option<i32>,
        pub phash_b1: Option<i32>,
        pub phash_b2: Option<i32>,
        pub phash_b3: Option<i32>,
    }
    entity_boilerplate!();
}

pub mod integrity_flag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "integrity_flags")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub state: String,
        pub attachment_id: i64,
        pub order_id: i64,
        pub owner_kind: String,
        pub owner_id: i64,
        pub agency_id: i64,
        pub insurer_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub matched_attachment_id: Option<i64>,
        pub distance: Option<i32>,
        pub detail: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub explanation: Option<String>,
        pub answered_by: Option<i64>,
        pub answered_by_name: Option<String>,
        pub answered_at: Option<DateTimeUtc>,
        pub reviewed_by: Option<i64>,
        pub reviewed_by_name: Option<String>,
        pub reviewed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        #[sea_orm(column_type = "Text", nullable)]
        pub review_note: Option<String>,
    }
    entity_boilerplate!();
}

pub mod satisfaction_rating {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "satisfaction_ratings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub agency_id: i64,
        pub insurer_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub source: String,
        pub overall: i32,
        #[sea_orm(column_type = "Text")]
        pub comment: String,
        pub callee: Option<String>,
        pub called_at: Option<DateTimeUtc>,
        pub caller_name: Option<String>,
        pub created_by: i64,
        pub created_by_name: String,
        pub created_at: DateTimeUtc,
        /// The order id on an enterprise's own rating, under a unique index.
        pub enterprise_once: Option<i64>,
    }
    entity_boilerplate!();
}

pub mod calendar_day {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_days")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub on_date: Date,
        /// `holiday` (休) or `workday` (班).
        pub kind: String,
        pub name: String,
        /// NULL for the entries shipped with the system.
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod complaint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub complaint_no: Option<String>,
        pub order_id: i64,
        pub record_id: Option<i64>,
        pub insurer_id: i64,
        pub agency_id: i64,
        pub enterprise_id: i64,
        pub region_code: String,
        pub category: String,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub complainant: String,
        pub phone: Option<String>,
        pub filer: String,
        pub state: String,
        pub filed_at: DateTimeUtc,
        /// The local (China) date of `filed_at`: both clocks count from it.
        pub filed_on: Date,
        pub accepted_at: Option<DateTimeUtc>,
        pub settled_at: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub outcome: Option<String>,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod satisfaction_item_score {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "satisfaction_item_scores")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub rating_id: i64,
        pub item: String,
        pub score: i32,
    }
    entity_boilerplate!();
}

pub mod complaint_step {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_steps")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub complaint_id: i64,
        pub kind: String,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        /// The organization of whoever took the step.
        pub org_id: i64,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod job_run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_runs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub run_key: String,
        pub scheduled_at: DateTimeUtc,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub locked_by: Option<String>,
        pub locked_until: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub last_error: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub payload: Option<String>,
        pub org_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
    }
    entity_boilerplate!();
}

pub mod notification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: i64,
        pub account_id: Option<i64>,
        pub kind: String,
        pub object_kind: String,
        pub object_id: i64,
        pub order_id: Option<i64>,
        pub text: String,
        pub dedupe_key: Option<String>,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
        pub read_by: Option<i64>,
    }
    entity_boilerplate!();
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: i64,
        pub name: String,
        pub permissions: String,
        pub prefix: String,
        pub secret_hash: String,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
    }
    entity_boilerplate!();
}

pub mod api_call {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_calls")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub token_id: i64,
        pub org_id: i64,
        pub method: String,
        pub route: String,
        pub path: String,
        pub status: i32,
        pub ip: String,
    }
    entity_boilerplate!();
}

pub mod pending_upload {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "pending_uploads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token: String,
        pub account_id: i64,
        pub field: String,
        pub storage_key: String,
        pub thumb_key: Option<String>,
        pub original_name: String,
        pub size: i64,
        pub sha256: String,
        pub kind: String,
        pub captured_at: Option<DateTimeUtc>,
        pub gps_lat: Option<f64>,
        pub gps_lng: Option<f64>,
        pub uniform: Option<bool>,
        pub phash: Option<i64>,
        pub phash_alg: Option<String>,
        pub created_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod checklist {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checklists")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: Option<i64>,
        pub name: String,
        pub industry: String,
        pub description: String,
        pub active: bool,
        pub item_count: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod checklist_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checklist_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub checklist_id: i64,
        pub position: i32,
        pub section: String,
        pub content: String,
        pub basis: String,
        pub level: String,
        pub category: String,
    }
    entity_boilerplate!();
}

pub mod inspection_check {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "inspection_checks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub record_id: i64,
        pub checklist_id: i64,
        pub checklist_name: String,
        pub sector: String,
        pub position: i32,
        pub section: String,
        pub content: String,
        pub basis: String,
        pub level: String,
        pub category: String,
        pub outcome: Option<String>,
        pub note: String,
        pub hazard_id: Option<i64>,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod webhook {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhooks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: i64,
        pub url: String,
        pub secret: String,
        pub enabled: bool,
        pub updated_at: DateTimeUtc,
        pub updated_by: i64,
    }
    entity_boilerplate!();
}

pub mod dashboard_fact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dashboard_facts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub region_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub insurer_id: i64,
        pub orders_pending: i64,
        pub orders_accepted: i64,
        pub orders_declined: i64,
        pub orders_cancelled: i64,
        pub orders_completed: i64,
        pub items_planned: i64,
        pub items_delivered: i64,
        pub prevention_fee: i64,
        pub records: i64,
        pub records_confirmed: i64,
        pub records_objected: i64,
        pub objections_open: i64,
        pub hazards_found: i64,
        pub hazards_major: i64,
        pub hazards_overdue: i64,
        pub hazards_closed: i64,
        pub ratings: i64,
        pub rating_sum: i64,
        pub complaints: i64,
        pub flags: i64,
    }
    entity_boilerplate!();
}

pub mod dashboard_coverage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dashboard_coverage")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub region_code: String,
        /// '' for enterprises without one.
        #[sea_orm(primary_key, auto_increment = false)]
        pub industry_code: String,
        pub enterprises: i64,
        pub policies: i64,
        pub covered: i64,
    }
    entity_boilerplate!();
}

pub mod dashboard_staff {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dashboard_staff")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
        pub records: i64,
        pub hazards: i64,
    }
    entity_boilerplate!();
}

pub mod dashboard_refresh {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dashboard_refreshes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: Date,
        pub as_of: Date,
        pub refreshed_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod submission {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "submissions")]
    pub struct Model {
        /// SHA-256 of (account, path, key), hex.
        #[sea_orm(primary_key, auto_increment = false)]
        pub fingerprint: String,
        pub account_id: i64,
        pub path: String,
        /// Where the submit led; NULL while it runs.
        pub location: Option<String>,
        pub created_at: DateTimeUtc,
        pub completed_at: Option<DateTimeUtc>,
        /// An API call's answer, replayed as it was (`/api/v1`); NULL for forms.
        pub response_status: Option<i32>,
        pub response_body: Option<String>,
    }
    entity_boilerplate!();
}
