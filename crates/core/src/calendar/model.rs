use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::CalendarDayId;
use crate::time::parse_date;

/// What an entry makes of its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DayKind {
    /// 休: a public holiday (or a day of its break), not worked even on a weekday.
    Holiday,
    /// 班: a Saturday or Sunday worked in exchange for a longer break (调休上班).
    Workday,
}

impl DayKind {
    pub const ALL: [DayKind; 2] = [DayKind::Holiday, DayKind::Workday];

    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The one character calendars print on the day.
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "休",
            DayKind::Workday => "班",
        }
    }

    pub fn long_label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "调休上班",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            DayKind::Holiday => "tag-success",
            DayKind::Workday => "tag-warning",
        }
    }
}

/// One entry of the calendar table.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarDay {
    pub id: CalendarDayId,
    pub on: NaiveDate,
    pub kind: DayKind,
    /// The holiday it belongs to (元旦, 春节, …).
    pub name: String,
    /// Who added it; `None` for the entries shipped with the system.
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl CalendarDay {
    pub fn weekday_label(&self) -> &'static str {
        weekday_label(self.on)
    }
}

/// 周一 … 周日
pub fn weekday_label(d: impl std::borrow::Borrow<NaiveDate>) -> &'static str {
    match d.borrow().weekday() {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// An entry to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCalendarDay {
    pub on: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// The entries of the years loaded, as the working-day rules read them.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar of these entries; a year is known when it has at least one.
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        let days: BTreeMap<NaiveDate, DayKind> = days.into_iter().collect();
        let years = days.keys().map(|d| d.year()).collect();
        Self { days, years }
    }

    /// The official entries this system ships with.
    pub fn official() -> Self {
        Self::new(official_2026().into_iter().map(|d| (d.on, d.kind)))
    }

    /// Whether the year has entries; without them it counts Monday–Friday.
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn kind_of(&self, d: NaiveDate) -> Option<DayKind> {
        self.days.get(&d).copied()
    }

    /// The years from `from`'s to `to`'s that have no entries, ascending.
    pub fn missing_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year())
            .filter(|y| !self.knows_year(*y))
            .collect()
    }
}

pub fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A working day: an entry decides (休 is off, 班 is worked); otherwise Monday to Friday.
pub fn is_working_day(d: NaiveDate, calendar: &Calendar) -> bool {
    match calendar.kind_of(d) {
        Some(DayKind::Holiday) => false,
        Some(DayKind::Workday) => true,
        None => !is_weekend(d),
    }
}

/// The `n`-th working day after `start` (`start` itself does not count; `n` = 0 is `start`).
/// A deadline of 10 working days from a filing is `add_working_days(filed_on, 10, …)`.
pub fn add_working_days(start: NaiveDate, n: u32, calendar: &Calendar) -> NaiveDate {
    let mut d = start;
    let mut left = n;
    while left > 0 {
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
        if is_working_day(d, calendar) {
            left -= 1;
        }
    }
    d
}

/// The working days after `from` up to and including `to`; 0 when `to` is not after `from`.
/// From today to a deadline it is the working days left; from a deadline to today, how far past.
pub fn working_days_between(from: NaiveDate, to: NaiveDate, calendar: &Calendar) -> u32 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| is_working_day(*d, calendar))
        .count() as u32
}

/// The earliest filing date whose `n`-working-day deadline has not passed on `today`: a clock
/// started on `f` is overdue on `today` (`today > add_working_days(f, n)`) exactly when
/// `f < overdue_before(today, n)`. Lists filter overdue items by this one date, so a list can
/// ask the database for them while the deadlines follow the calendar as it is now.
pub fn overdue_before(today: NaiveDate, n: u32, calendar: &Calendar) -> NaiveDate {
    // Deadlines never move back as the start moves forward, so step back while they hold.
    let mut f = today;
    while let Some(prev) = f.pred_opt() {
        if add_working_days(prev, n, calendar) >= today {
            f = prev;
        } else {
            break;
        }
    }
    f
}

/// The State Council's arrangement of 2026 (国务院办公厅关于2026年部分节假日安排的通知, dated
/// 2025-11-04 and published by Xinhua that day): each holiday's break (休) and the weekend days
/// worked in exchange (班). Every date below is as the notice states it, weekdays included.
pub const OFFICIAL_2026: &[(&str, &str, &str, DayKind)] = &[
    // 元旦:1月1日(周四)至3日(周六)放假调休,共3天。1月4日(周日)上班。
    ("元旦", "2026-01-01", "2026-01-03", DayKind::Holiday),
    ("元旦", "2026-01-04", "2026-01-04", DayKind::Workday),
    // 春节:2月15日(腊月二十八、周日)至23日(正月初七、周一)放假调休,共9天。2月14日(周六)、2月28日(周六)上班。
    ("春节", "2026-02-15", "2026-02-23", DayKind::Holiday),
    ("春节", "2026-02-14", "2026-02-14", DayKind::Workday),
    ("春节", "2026-02-28", "2026-02-28", DayKind::Workday),
    // 清明节:4月4日(周六)至6日(周一)放假,共3天。
    ("清明节", "2026-04-04", "2026-04-06", DayKind::Holiday),
    // 劳动节:5月1日(周五)至5日(周二)放假调休,共5天。5月9日(周六)上班。
    ("劳动节", "2026-05-01", "2026-05-05", DayKind::Holiday),
    ("劳动节", "2026-05-09", "2026-05-09", DayKind::Workday),
    // 端午节:6月19日(周五)至21日(周日)放假,共3天。
    ("端午节", "2026-06-19", "2026-06-21", DayKind::Holiday),
    // 中秋节:9月25日(周五)至27日(周日)放假,共3天。
    ("中秋节", "2026-09-25", "2026-09-27", DayKind::Holiday),
    // 国庆节:10月1日(周四)至7日(周三)放假调休,共7天。9月20日(周日)、10月10日(周六)上班。
    ("国庆节", "2026-10-01", "2026-10-07", DayKind::Holiday),
    ("国庆节", "2026-09-20", "2026-09-20", DayKind::Workday),
    ("国庆节", "2026-10-10", "2026-10-10", DayKind::Workday),
];

/// `OFFICIAL_2026` day by day, by date.
pub fn official_2026() -> Vec<NewCalendarDay> {
    let mut out: Vec<NewCalendarDay> = OFFICIAL_2026
        .iter()
        .flat_map(|(name, from, to, kind)| {
            let from = NaiveDate::parse_from_str(from, "%Y-%m-%d").expect("a valid date");
            let to = NaiveDate::parse_from_str(to, "%Y-%m-%d").expect("a valid date");
            from.iter_days()
                .take_while(move |d| *d <= to)
                .map(move |on| NewCalendarDay {
                    on,
                    kind: *kind,
                    name: name.to_string(),
                })
        })
        .collect();
    out.sort_by_key(|d| d.on);
    out
}

/// The years the calendar page offers and accepts.
pub const YEARS: std::ops::RangeInclusive<i32> = 2020..=2100;

/// 新增日历条目 as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarForm {
    pub on: String,
    pub kind: String,
    pub name: String,
}

pub fn parse_calendar_day(form: &CalendarForm) -> CoreResult<NewCalendarDay> {
    let mut e = FieldErrors::new();
    let on = if form.on.trim().is_empty() {
        e.add("on", "请填写日期");
        None
    } else {
        e.take("on", parse_date(&form.on))
    };
    if let Some(d) = on
        && !YEARS.contains(&d.year())
    {
        e.add(
            "on",
            format!("日期应在 {} 至 {} 年之间", YEARS.start(), YEARS.end()),
        );
    }
    let kind = e.take(
        "kind",
        DayKind::from_code(form.kind.trim()).ok_or_else(|| "请选择放假或调休上班".to_string()),
    );
    if let (Some(d), Some(DayKind::Workday)) = (on, kind)
        && !is_weekend(d)
    {
        e.add(
            "kind",
            format!(
                "{d} 是{},本就是工作日;调休上班日应为周六或周日",
                weekday_label(d)
            ),
        );
    }
    let name = e.take("name", field::text(&form.name, "节日名称", 20, true));
    match (on, kind, name) {
        (Some(on), Some(kind), Some(name)) if e.is_empty() => Ok(NewCalendarDay { on, kind, name }),
        _ => Err(CoreError::Validation(e)),
    }
}

/// What a page says when deadlines of these years are counted Monday–Friday.
pub fn fallback_notice(years: &[i32]) -> Option<String> {
    if years.is_empty() {
        return None;
    }
    let list = years
        .iter()
        .map(|y| format!("{y} 年"))
        .collect::<Vec<_>>()
        .join("、");
    Some(format!(
        "{list}的工作日历尚未维护:该年的期限暂按周一至周五计算,未扣除法定节假日与调休。请平台管理员在“工作日历”中录入。"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn the_2026_notice_day_by_day() {
        let days = official_2026();
        let holidays = days.iter().filter(|x| x.kind == DayKind::Holiday).count();
        let workdays: Vec<_> = days
            .iter()
            .filter(|x| x.kind == DayKind::Workday)
            .map(|x| x.on.to_string())
            .collect();
        // 3 + 9 + 3 + 5 + 3 + 3 + 7 days off.
        assert_eq!(holidays, 33);
        assert_eq!(
            workdays,
            [
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10"
            ]
        );
        // The weekdays the notice names: the swapped days are all weekend days.
        assert!(
            days.iter()
                .filter(|x| x.kind == DayKind::Workday)
                .all(|x| is_weekend(x.on))
        );
        assert_eq!(weekday_label(d("2026-01-01")), "周四");
        assert_eq!(weekday_label(d("2026-02-15")), "周日");
        assert_eq!(weekday_label(d("2026-02-23")), "周一");
        assert_eq!(weekday_label(d("2026-05-05")), "周二");
        assert_eq!(weekday_label(d("2026-10-07")), "周三");
        let mut dates: Vec<_> = days.iter().map(|x| x.on).collect();
        dates.dedup();
        assert_eq!(dates.len(), days.len(), "no date twice");
    }

    #[test]
    fn holidays_are_off_and_swapped_weekends_are_worked() {
        let cal = Calendar::official();
        assert!(!is_working_day(d("2026-10-01"), &cal), "国庆, a Thursday");
        assert!(!is_working_day(d("2026-09-25"), &cal), "中秋, a Friday");
        assert!(is_working_day(d("2026-10-10"), &cal), "调休 Saturday");
        assert!(is_working_day(d("2026-09-20"), &cal), "调休 Sunday");
        assert!(!is_working_day(d("2026-10-11"), &cal), "an ordinary Sunday");
        assert!(is_working_day(d("2026-10-09"), &cal), "an ordinary Friday");
        let none = Calendar::default();
        assert!(
            is_working_day(d("2026-10-01"), &none),
            "Mon–Fri without a calendar"
        );
        assert!(!is_working_day(d("2026-10-10"), &none));
    }

    #[test]
    fn ten_working_days_across_mid_autumn_national_day_and_a_swapped_saturday() {
        let cal = Calendar::official();
        // Filed on Thursday 24 September: 28, 29, 30 Sep; 8, 9, 10 (Saturday worked), 12–15 Oct.
        assert_eq!(add_working_days(d("2026-09-24"), 10, &cal), d("2026-10-15"));
        assert_eq!(add_working_days(d("2026-09-24"), 30, &cal), d("2026-11-12"));
        // Monday to Friday only, the same filing would be due a week earlier.
        let none = Calendar::default();
        assert_eq!(
            add_working_days(d("2026-09-24"), 10, &none),
            d("2026-10-08")
        );
        assert_eq!(add_working_days(d("2026-09-24"), 0, &cal), d("2026-09-24"));
        // Filed on a holiday: the count starts after it like any other day.
        assert_eq!(add_working_days(d("2026-10-03"), 1, &cal), d("2026-10-08"));
    }

    #[test]
    fn working_days_between_counts_after_the_first_day_up_to_the_last() {
        let cal = Calendar::official();
        assert_eq!(
            working_days_between(d("2026-09-24"), d("2026-10-15"), &cal),
            10
        );
        assert_eq!(
            working_days_between(d("2026-09-30"), d("2026-10-08"), &cal),
            1
        );
        assert_eq!(
            working_days_between(d("2026-10-08"), d("2026-10-12"), &cal),
            3
        );
        assert_eq!(
            working_days_between(d("2026-10-15"), d("2026-10-15"), &cal),
            0
        );
        assert_eq!(
            working_days_between(d("2026-10-15"), d("2026-10-01"), &cal),
            0
        );
    }

    #[test]
    fn overdue_before_agrees_with_every_deadline() {
        for cal in [Calendar::official(), Calendar::default()] {
            for today in d("2026-09-01").iter_days().step_by(2).take(60) {
                for n in [0, 1, 10, 30] {
                    let t = overdue_before(today, n, &cal);
                    for f in d("2026-06-01").iter_days().take_while(|f| *f <= today) {
                        assert_eq!(
                            f < t,
                            today > add_working_days(f, n, &cal),
                            "today {today}, n {n}, filed {f}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_year_without_entries_is_reported() {
        let cal = Calendar::official();
        assert!(cal.knows_year(2026) && !cal.knows_year(2027));
        assert_eq!(cal.missing_years(d("2026-11-20"), d("2027-01-30")), [2027]);
        assert!(
            cal.missing_years(d("2026-01-01"), d("2026-12-31"))
                .is_empty()
        );
        assert!(fallback_notice(&[2027]).unwrap().contains("2027 年"));
        assert!(fallback_notice(&[]).is_none());
    }

    #[test]
    fn an_entry_is_parsed_with_clear_errors() {
        let ok = parse_calendar_day(&CalendarForm {
            on: "2027-02-06".into(),
            kind: "workday".into(),
            name: "春节".into(),
        })
        .unwrap();
        assert_eq!(ok.kind, DayKind::Workday);
        let Err(CoreError::Validation(e)) = parse_calendar_day(&CalendarForm {
            on: "2027-02-08".into(),
            kind: "workday".into(),
            name: String::new(),
        }) else {
            panic!()
        };
        assert!(e.get("kind").unwrap().contains("周六或周日"));
        assert_eq!(e.get("name"), Some("请填写节日名称"));
        let Err(CoreError::Validation(e)) = parse_calendar_day(&CalendarForm {
            on: "2027-13-01".into(),
            kind: "x".into(),
            name: "元旦".into(),
        }) else {
            panic!()
        };
        assert!(e.get("on").is_some() && e.get("kind").is_some());
    }
}
