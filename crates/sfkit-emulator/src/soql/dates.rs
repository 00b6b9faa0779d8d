//! Relative date literals as half-open ranges of days `[start, end)`.
//!
//! Ranges are computed in the org's time zone (UTC here), with weeks starting on Sunday (the
//! en_US locale) and the fiscal year starting in the org's `FiscalYearStartMonth`.

use chrono::{Datelike, Days, Months, NaiveDate};
use sfkit_soql::DateLiteral;

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
            .unwrap_or(NaiveDate::MAX)
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
            .unwrap_or(NaiveDate::MIN)
    }
}

fn add_months(d: NaiveDate, n: i64) -> NaiveDate {
    let m = Months::new(u32::try_from(n.unsigned_abs()).unwrap_or(u32::MAX));
    if n >= 0 {
        d.checked_add_months(m).unwrap_or(NaiveDate::MAX)
    } else {
        d.checked_sub_months(m).unwrap_or(NaiveDate::MIN)
    }
}

fn week_start(d: NaiveDate) -> NaiveDate {
    add_days(d, -i64::from(d.weekday().num_days_from_sunday()))
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the `months`-long period containing `d`, where periods start in
/// `first_month` (1 for calendar quarters and years).
fn period_start(d: NaiveDate, months: u32, first_month: u32) -> NaiveDate {
    let offset = (d.month() + 12 - first_month) % months;
    add_months(month_start(d), -i64::from(offset))
}

/// The range of days `lit` covers when today is `today`.
pub(crate) fn range(
    lit: DateLiteral,
    today: NaiveDate,
    fiscal_start: u32,
) -> (NaiveDate, NaiveDate) {
    use DateLiteral as L;
    let fy = fiscal_start.clamp(1, 12);
    let day = |n: i64| add_days(today, n);
    let week = week_start(today);
    let month = month_start(today);
    let quarter = period_start(today, 3, 1);
    let year = period_start(today, 12, 1);
    let fquarter = period_start(today, 3, fy);
    let fyear = period_start(today, 12, fy);
    let n = |k: u32| i64::from(k);
    match lit {
        L::Yesterday => (day(-1), today),
        L::Today => (today, day(1)),
        L::Tomorrow => (day(1), day(2)),
        L::LastWeek => (add_days(week, -7), week),
        L::ThisWeek => (week, add_days(week, 7)),
        L::NextWeek => (add_days(week, 7), add_days(week, 14)),
        L::LastMonth => (add_months(month, -1), month),
        L::ThisMonth => (month, add_months(month, 1)),
        L::NextMonth => (add_months(month, 1), add_months(month, 2)),
        L::Last90Days => (day(-90), day(1)),
        L::Next90Days => (day(1), day(91)),
        L::ThisQuarter => (quarter, add_months(quarter, 3)),
        L::LastQuarter => (add_months(quarter, -3), quarter),
        L::NextQuarter => (add_months(quarter, 3), add_months(quarter, 6)),
        L::ThisYear => (year, add_months(year, 12)),
        L::LastYear => (add_months(year, -12), year),
        L::NextYear => (add_months(year, 12), add_months(year, 24)),
        L::ThisFiscalQuarter => (fquarter, add_months(fquarter, 3)),
        L::LastFiscalQuarter => (add_months(fquarter, -3), fquarter),
        L::NextFiscalQuarter => (add_months(fquarter, 3), add_months(fquarter, 6)),
        L::ThisFiscalYear => (fyear, add_months(fyear, 12)),
        L::LastFiscalYear => (add_months(fyear, -12), fyear),
        L::NextFiscalYear => (add_months(fyear, 12), add_months(fyear, 24)),
        L::LastNDays(k) => (day(-n(k)), day(1)),
        L::NextNDays(k) => (day(1), day(n(k) + 1)),
        L::NDaysAgo(k) => (day(-n(k)), day(-n(k) + 1)),
        L::LastNWeeks(k) => (add_days(week, -7 * n(k)), week),
        L::NextNWeeks(k) => (add_days(week, 7), add_days(week, 7 * (n(k) + 1))),
        L::NWeeksAgo(k) => (add_days(week, -7 * n(k)), add_days(week, -7 * n(k) + 7)),
        L::LastNMonths(k) => (add_months(month, -n(k)), month),
        L::NextNMonths(k) => (add_months(month, 1), add_months(month, n(k) + 1)),
        L::NMonthsAgo(k) => (add_months(month, -n(k)), add_months(month, -n(k) + 1)),
        L::LastNQuarters(k) => (add_months(quarter, -3 * n(k)), quarter),
        L::NextNQuarters(k) => (add_months(quarter, 3), add_months(quarter, 3 * (n(k) + 1))),
        L::NQuartersAgo(k) => (
            add_months(quarter, -3 * n(k)),
            add_months(quarter, -3 * n(k) + 3),
        ),
        L::LastNYears(k) => (add_months(year, -12 * n(k)), year),
        L::NextNYears(k) => (add_months(year, 12), add_months(year, 12 * (n(k) + 1))),
        L::NYearsAgo(k) => (
            add_months(year, -12 * n(k)),
            add_months(year, -12 * n(k) + 12),
        ),
        L::LastNFiscalQuarters(k) => (add_months(fquarter, -3 * n(k)), fquarter),
        L::NextNFiscalQuarters(k) => (
            add_months(fquarter, 3),
            add_months(fquarter, 3 * (n(k) + 1)),
        ),
        L::NFiscalQuartersAgo(k) => (
            add_months(fquarter, -3 * n(k)),
            add_months(fquarter, -3 * n(k) + 3),
        ),
        L::LastNFiscalYears(k) => (add_months(fyear, -12 * n(k)), fyear),
        L::NextNFiscalYears(k) => (add_months(fyear, 12), add_months(fyear, 12 * (n(k) + 1))),
        L::NFiscalYearsAgo(k) => (
            add_months(fyear, -12 * n(k)),
            add_months(fyear, -12 * n(k) + 12),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn ranges() {
        let today = d(2026, 11, 25); // a Wednesday
        assert_eq!(
            range(DateLiteral::Today, today, 1),
            (today, d(2026, 11, 26))
        );
        assert_eq!(
            range(DateLiteral::ThisWeek, today, 1),
            (d(2026, 11, 22), d(2026, 11, 29))
        );
        assert_eq!(
            range(DateLiteral::LastMonth, today, 1),
            (d(2026, 10, 1), d(2026, 11, 1))
        );
        assert_eq!(
            range(DateLiteral::ThisQuarter, today, 1),
            (d(2026, 10, 1), d(2027, 1, 1))
        );
        assert_eq!(
            range(DateLiteral::LastNDays(30), today, 1),
            (d(2026, 10, 26), d(2026, 11, 26))
        );
        assert_eq!(
            range(DateLiteral::NextNDays(2), today, 1),
            (d(2026, 11, 26), d(2026, 11, 28))
        );
        assert_eq!(
            range(DateLiteral::ThisFiscalYear, today, 4),
            (d(2026, 4, 1), d(2027, 4, 1))
        );
        assert_eq!(
            range(DateLiteral::ThisFiscalQuarter, today, 2),
            (d(2026, 11, 1), d(2027, 2, 1))
        );
        assert_eq!(
            range(DateLiteral::LastNYears(1), today, 1),
            (d(2025, 1, 1), d(2026, 1, 1))
        );
    }
}
