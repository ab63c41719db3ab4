use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::{JobRunId, OrgId};
use crate::time::{china, parse_date, start_of_day};

/// What a run does. Adding a kind: a variant here (code, label, schedule, attempts) and an arm
/// in `anze::jobs::perform` calling one async function; the ticker and the 定时任务 page pick
/// it up from `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum JobKind {
    /// 到期提醒: hazards due in 3 days or overdue, orders ending with items undelivered,
    /// complaint deadlines.
    Reminders,
    /// 消息推送: one notification posted to an organization's webhook.
    WebhookDelivery,
    /// 看板统计: the running month's dashboard facts (and the previous month's in a month's
    /// first days).
    DashboardRecent,
    /// 看板统计(夜间): the last thirteen months' dashboard facts.
    DashboardNightly,
    /// 清理过期数据: one-time form keys older than a week, API calls older than
    /// `api_token::service::CALL_LOG_DAYS`.
    Housekeeping,
}

impl JobKind {
    pub const ALL: [JobKind; 5] = [
        JobKind::Reminders,
        JobKind::WebhookDelivery,
        JobKind::DashboardRecent,
        JobKind::DashboardNightly,
        JobKind::Housekeeping,
    ];

    /// Stable code stored in the database; never change one that has shipped.
    pub fn code(self) -> &'static str {
        match self {
            JobKind::Reminders => "reminders",
            JobKind::WebhookDelivery => "webhook",
            JobKind::DashboardRecent => "dashboard_recent",
            JobKind::DashboardNightly => "dashboard_nightly",
            JobKind::Housekeeping => "housekeeping",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobKind::Reminders => "到期提醒",
            JobKind::WebhookDelivery => "消息推送(Webhook)",
            JobKind::DashboardRecent => "看板统计(本月)",
            JobKind::DashboardNightly => "看板统计(近 13 个月)",
            JobKind::Housekeeping => "清理过期数据",
        }
    }

    /// When the ticker enqueues a run by itself; `None` for kinds enqueued by events.
    pub fn schedule(self) -> Option<Schedule> {
        match self {
            JobKind::Reminders => Some(Schedule::DailyAt(
                NaiveTime::from_hms_opt(7, 0, 0).expect("07:00 is a time"),
            )),
            JobKind::WebhookDelivery => None,
            JobKind::DashboardRecent => Some(Schedule::EveryMinutes(10)),
            JobKind::DashboardNightly => Some(Schedule::DailyAt(
                NaiveTime::from_hms_opt(2, 30, 0).expect("02:30 is a time"),
            )),
            JobKind::Housekeeping => Some(Schedule::DailyAt(
                NaiveTime::from_hms_opt(3, 30, 0).expect("03:30 is a time"),
            )),
        }
    }

    /// Attempts before a failing run is given up (状态 失败).
    pub fn max_attempts(self) -> i32 {
        match self {
            JobKind::Reminders => 5,
            JobKind::WebhookDelivery => 6,
            // The next slot recounts anyway.
            JobKind::DashboardRecent => 2,
            JobKind::DashboardNightly => 3,
            JobKind::Housekeeping => 3,
        }
    }
}

/// When a scheduled kind runs, in China time (the service area has no daylight saving).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every day at this local time.
    DailyAt(NaiveTime),
    /// Every this many minutes, on the minutes of the day that are multiples of it (10: at
    /// :00, :10, :20 …), so every instance computes the same slots. Divide 1440 evenly.
    EveryMinutes(u32),
}

impl Schedule {
    /// The latest slot at or before `now`: the run every instance agrees on.
    pub fn latest_due(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Schedule::DailyAt(t) => {
                let local = now.with_timezone(&china());
                let today = local.date_naive();
                let at = |d: chrono::NaiveDate| start_of_day(d) + (t - NaiveTime::MIN);
                let slot = at(today);
                if slot <= now {
                    slot
                } else {
                    at(today.pred_opt().expect("a day before today"))
                }
            }
            Schedule::EveryMinutes(n) => {
                let n = i64::from(n.max(1));
                let midnight = start_of_day(now.with_timezone(&china()).date_naive());
                let minutes = (now - midnight).num_minutes();
                midnight + Duration::minutes(minutes - minutes % n)
            }
        }
    }

    /// The slot after the latest due one, shown on the page.
    pub fn next_after(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Schedule::DailyAt(_) => self.latest_due(now) + Duration::days(1),
            Schedule::EveryMinutes(n) => {
                self.latest_due(now) + Duration::minutes(i64::from(n.max(1)))
            }
        }
    }

    pub fn label(self) -> String {
        match self {
            Schedule::DailyAt(t) => format!("每天 {}(北京时间)", t.format("%H:%M")),
            Schedule::EveryMinutes(n) => format!("每 {n} 分钟"),
        }
    }
}

/// How long a claim holds: a run still "running" after its instance died (kill -9, lost
/// database connection) is claimed again once this has passed. Longer than any run takes.
pub fn lease() -> Duration {
    Duration::minutes(10)
}

/// The key of a scheduled run: its slot, so every instance computes the same one.
pub fn slot_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Wait before attempt `attempts + 1` after `attempts` failures: one minute, doubling, at most
/// an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 7) - 1;
    Duration::minutes(1i64 << exp).min(Duration::hours(1))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JobState {
    /// 待执行 (also a failed attempt waiting for its retry)
    Pending,
    /// 执行中
    Running,
    /// 成功
    Done,
    /// 失败: every attempt failed.
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Pending,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::Pending => "待执行",
            JobState::Running => "执行中",
            JobState::Done => "成功",
            JobState::Failed => "失败",
        }
    }
}

/// A run to enqueue.
#[derive(Debug, Clone)]
pub struct NewJobRun {
    pub kind: JobKind,
    pub key: String,
    pub scheduled_at: DateTime<Utc>,
    /// Kind-specific input (JSON), e.g. the notification a delivery posts.
    pub payload: Option<String>,
    /// The organization the run concerns, so its admin sees its deliveries.
    pub org_id: Option<OrgId>,
    pub created_at: DateTime<Utc>,
}

impl NewJobRun {
    /// The run of a scheduled kind for the slot due at `now`.
    pub fn scheduled(kind: JobKind, schedule: Schedule, now: DateTime<Utc>) -> Self {
        let at = schedule.latest_due(now);
        Self {
            kind,
            key: slot_key(at),
            scheduled_at: at,
            payload: None,
            org_id: None,
            created_at: now,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct JobRun {
    pub id: JobRunId,
    pub kind: JobKind,
    pub key: String,
    pub scheduled_at: DateTime<Utc>,
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub payload: Option<String>,
    pub org_id: Option<OrgId>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl JobRun {
    /// A pending run that already failed: it waits for its retry at `next_attempt_at`.
    pub fn awaits_retry(&self) -> bool {
        self.state == JobState::Pending && self.attempts > 0
    }

    /// 状态 as the page shows it.
    pub fn status_label(&self) -> &'static str {
        if self.awaits_retry() {
            "等待重试"
        } else {
            self.state.label()
        }
    }

    /// What the run is about beyond its kind: the notification a delivery posts.
    pub fn subject(&self) -> Option<String> {
        match self.kind {
            JobKind::WebhookDelivery => Some(format!("消息 {}", self.key)),
            JobKind::Reminders
            | JobKind::DashboardRecent
            | JobKind::DashboardNightly
            | JobKind::Housekeeping => None,
        }
    }

    pub fn tag(&self) -> &'static str {
        match self.state {
            JobState::Done => "tag-success",
            JobState::Failed => "tag-danger",
            JobState::Pending if self.attempts > 0 => "tag-warning",
            JobState::Running => "tag-info",
            JobState::Pending => "",
        }
    }
}

/// How a claimed run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Done {
        at: DateTime<Utc>,
    },
    /// Failed; tried again at `next_attempt_at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// Failed for the last time.
    GiveUp {
        at: DateTime<Utc>,
        error: String,
    },
}

/// What becomes of `run` (already counted in `attempts`) after it ended with `result`.
pub fn outcome(run: &JobRun, result: Result<(), String>, now: DateTime<Utc>) -> RunOutcome {
    match result {
        Ok(()) => RunOutcome::Done { at: now },
        Err(e) => {
            let error: String = e.chars().take(2000).collect();
            if run.attempts >= run.kind.max_attempts() {
                RunOutcome::GiveUp { at: now, error }
            } else {
                RunOutcome::Retry {
                    at: now,
                    error,
                    next_attempt_at: now + backoff(run.attempts),
                }
            }
        }
    }
}

/// Filters of the 定时任务 page; dates are local `YYYY-MM-DD`, inclusive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct JobFilter {
    pub kind: String,
    /// A `JobState` code, or "retry" (pending after a failure).
    pub state: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    /// Only runs that failed at least once.
    pub failed_before: bool,
    pub org: Option<OrgId>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
}

impl JobFilter {
    /// Unknown values are ignored rather than refused: the filter comes from a query string.
    pub fn query(&self) -> CoreResult<JobQuery> {
        let date = |s: &str, field: &'static str| -> CoreResult<Option<chrono::NaiveDate>> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            parse_date(s)
                .map(Some)
                .map_err(|m| crate::error::field_error(field, m))
        };
        let (state, failed_before) = match self.state.as_str() {
            "retry" => (Some(JobState::Pending), true),
            s => (JobState::from_code(s), false),
        };
        Ok(JobQuery {
            kind: JobKind::from_code(&self.kind),
            state,
            failed_before,
            org: None,
            from: date(&self.from, "from")?.map(start_of_day),
            until: date(&self.to, "to")?.map(|d| start_of_day(d) + Duration::days(1)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_daily_slot_is_seven_in_the_morning_china_time() {
        let s = JobKind::Reminders.schedule().unwrap();
        // 06:59 in China: yesterday's slot.
        assert_eq!(
            s.latest_due(at("2026-11-29T22:59:00Z")),
            at("2026-11-28T23:00:00Z")
        );
        // 07:00 sharp and later the same day: today's.
        assert_eq!(
            s.latest_due(at("2026-11-29T23:00:00Z")),
            at("2026-11-29T23:00:00Z")
        );
        assert_eq!(
            s.latest_due(at("2026-11-30T15:59:00Z")),
            at("2026-11-29T23:00:00Z")
        );
        assert_eq!(
            s.next_after(at("2026-11-30T01:00:00Z")),
            at("2026-11-30T23:00:00Z")
        );
        assert_eq!(s.label(), "每天 07:00(北京时间)");
    }

    #[test]
    fn a_slot_every_ten_minutes_falls_on_the_tens() {
        let s = Schedule::EveryMinutes(10);
        assert_eq!(
            s.latest_due(at("2026-11-30T01:27:59Z")),
            at("2026-11-30T01:20:00Z")
        );
        assert_eq!(
            s.latest_due(at("2026-11-30T01:30:00Z")),
            at("2026-11-30T01:30:00Z")
        );
        // Across China's midnight (16:00 UTC).
        assert_eq!(
            s.latest_due(at("2026-11-30T16:04:00Z")),
            at("2026-11-30T16:00:00Z")
        );
        assert_eq!(
            s.next_after(at("2026-11-30T01:27:59Z")),
            at("2026-11-30T01:30:00Z")
        );
        assert_eq!(s.label(), "每 10 分钟");
    }

    #[test]
    fn every_instance_computes_the_same_key_for_a_slot() {
        let s = JobKind::Reminders.schedule().unwrap();
        let a = NewJobRun::scheduled(JobKind::Reminders, s, at("2026-11-30T00:00:01Z"));
        let b = NewJobRun::scheduled(JobKind::Reminders, s, at("2026-11-30T09:30:00Z"));
        assert_eq!(a.key, b.key);
        assert_eq!(a.key, "2026-11-29T23:00:00Z");
    }

    #[test]
    fn backoff_doubles_from_a_minute_up_to_an_hour() {
        let mins: Vec<i64> = (1..=9).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(0).num_minutes(), 1);
    }

    fn run(attempts: i32) -> JobRun {
        let now = at("2026-11-30T00:00:00Z");
        JobRun {
            id: JobRunId(1),
            kind: JobKind::WebhookDelivery,
            key: "1".into(),
            scheduled_at: now,
            state: JobState::Running,
            attempts,
            next_attempt_at: now,
            locked_by: None,
            last_error: None,
            payload: None,
            org_id: None,
            created_at: now,
            started_at: Some(now),
            finished_at: None,
        }
    }

    #[test]
    fn a_failure_retries_until_the_attempts_are_spent() {
        let now = at("2026-11-30T01:00:00Z");
        assert_eq!(
            outcome(&run(2), Err("502".into()), now),
            RunOutcome::Retry {
                at: now,
                error: "502".into(),
                next_attempt_at: now + Duration::minutes(2)
            }
        );
        assert_eq!(
            outcome(&run(6), Err("502".into()), now),
            RunOutcome::GiveUp {
                at: now,
                error: "502".into()
            }
        );
        assert_eq!(outcome(&run(6), Ok(()), now), RunOutcome::Done { at: now });
    }

    #[test]
    fn codes_round_trip() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::from_code(k.code()), Some(k));
        }
        for s in JobState::ALL {
            assert_eq!(JobState::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn the_filter_reads_retry_as_pending_after_a_failure() {
        let q = JobFilter {
            state: "retry".into(),
            kind: "webhook".into(),
            ..JobFilter::default()
        }
        .query()
        .unwrap();
        assert_eq!(q.state, Some(JobState::Pending));
        assert!(q.failed_before);
        assert_eq!(q.kind, Some(JobKind::WebhookDelivery));
        assert!(
            JobFilter {
                from: "2026-13-01".into(),
                ..JobFilter::default()
            }
            .query()
            .is_err()
        );
    }
}
