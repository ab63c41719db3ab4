//! Values as a clerk types them in WPS or Excel, brought to the form the parsers check: full-width
//! digits and letters from a Chinese input method, a mobile number written in groups, an amount
//! with its unit. Only spelling is changed here; what the value means is still for the parser
//! to accept or refuse with its usual message.

use unicode_normalization::UnicodeNormalization;

/// Compatibility forms folded to their plain characters (NFKC: `１２３` → `123`, `ＡＢ` → `AB`,
/// `％` → `%`, `，` → `,`), trimmed. For values made of digits, Latin letters and signs only:
/// names keep their full-width brackets as registered.
pub fn half_width(raw: &str) -> String {
    raw.trim().nfkc().collect::<String>().trim().to_string()
}

/// `138 0000 0000`, `138-0000-0000`, `+86 13800000000` → `13800000000`, when what is left is a
/// mobile number's eleven digits; anything else as it came (a landline keeps its dash).
pub fn mobile(raw: &str) -> String {
    let v = half_width(raw);
    let digits: String = v
        .trim_start_matches("+86")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '—' | '－'))
        .collect();
    if digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits
    } else {
        v
    }
}

/// An amount in 元: thousands separators and spaces dropped, a trailing `元` dropped, a trailing
/// `万元` or `万` scaled by 10,000 without going through floating point (`1.5万元` → `15000`).
pub fn amount(raw: &str) -> String {
    let v: String = half_width(raw)
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if let Some(wan) = v.strip_suffix("万元").or_else(|| v.strip_suffix('万')) {
        return times_ten_thousand(wan).unwrap_or(v);
    }
    v.strip_suffix('元').map(str::to_string).unwrap_or(v)
}

/// A whole number with thousands separators (`1,200`) as digits; anything else as it came.
pub fn whole(raw: &str) -> String {
    let v = half_width(raw);
    let groups: Vec<&str> = v.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if grouped { groups.concat() } else { v }
}

/// `12.3456` → `123456`, `0.00015` → `1.5`; `None` when `v` is not a plain decimal.
fn times_ten_thousand(v: &str) -> Option<String> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || v.ends_with('.') {
        return None;
    }
    let frac = format!("{frac:0<4}");
    let (moved, rest) = frac.split_at(4);
    let whole = format!("{int}{moved}");
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        w => w,
    };
    Some(if rest.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{rest}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_become_plain() {
        assert_eq!(half_width(" ９１３５０５００ＭＡ "), "91350500MA");
        assert_eq!(half_width("１５％"), "15%");
        assert_eq!(half_width("PICC－２０２６"), "PICC-2026");
    }

    #[test]
    fn mobile_numbers_lose_their_grouping_and_landlines_keep_their_dash() {
        assert_eq!(mobile("138 0000 0000"), "13800000000");
        assert_eq!(mobile("138-0000-0000"), "13800000000");
        assert_eq!(mobile("+86 138 0000 0000"), "13800000000");
        assert_eq!(mobile("１３８００００００００"), "13800000000");
        assert_eq!(mobile("0595-22345678"), "0595-22345678");
        assert_eq!(mobile("138 0000 000"), "138 0000 000");
    }

    #[test]
    fn amounts_lose_separators_and_units_and_wan_is_scaled_exactly() {
        assert_eq!(amount("1,234,567.80"), "1234567.80");
        assert_eq!(amount("１２，３４５元"), "12345");
        assert_eq!(amount("12 345 元"), "12345");
        assert_eq!(amount("50万元"), "500000");
        assert_eq!(amount("1.5万"), "15000");
        assert_eq!(amount("0.00015万元"), "1.5");
        assert_eq!(amount("12.345678万元"), "123456.78");
        assert_eq!(amount("0.5万元"), "5000");
        // Not a number: left for the parser to refuse.
        assert_eq!(amount("五十万元"), "五十万元");
        assert_eq!(amount("1.万元"), "1.万元");
    }

    #[test]
    fn whole_numbers_lose_only_real_thousands_separators() {
        assert_eq!(whole("1,200"), "1200");
        assert_eq!(whole("１２００"), "1200");
        assert_eq!(whole("12,00"), "12,00");
        assert_eq!(whole("1,2"), "1,2");
    }
}
