//! Line breaking for Chinese documents: a line may end between any two Han characters, but never
//! inside a Latin word or a number (`ZG-12-20261128`, `¥12,345.00`, `GB 30871`'s two halves stay
//! whole), never before closing punctuation (`,`, `。`, `)`) and never after opening
//! punctuation (`(`, `“`) — the 避头尾 rules of Chinese typesetting.

/// The advance of a character, in ems (a fraction of the font size).
pub trait Measure {
    fn advance(&self, ch: char) -> f32;

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }
}

/// Han ideographs, kana, Hangul, CJK punctuation and full-width forms: each is a unit of its own,
/// and a line may break on either side of it (unless punctuation forbids it).
pub fn is_cjk(ch: char) -> bool {
    matches!(ch as u32,
        0x2E80..=0x9FFF     // radicals, CJK symbols and punctuation, kana, unified ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // compatibility ideographs
        | 0xFE10..=0xFE1F   // vertical forms
        | 0xFE30..=0xFE4F   // compatibility forms
        | 0xFF00..=0xFFEF   // full-width and half-width forms
        | 0x20000..=0x3FFFF // supplementary ideographs
    )
}

/// May not begin a line: closing brackets and quotes, stops, commas, and the like (ASCII and
/// full-width forms both occur in what users type).
const NO_LINE_START: &[char] = &[
    ',', '.', ';', ':', '!', '?', ')', ']', '}', '%', '\u{3001}', // 、
    '\u{3002}', // 。
    '\u{FF0C}', // full-width comma
    '\u{FF0E}', // full-width full stop
    '\u{FF1B}', // full-width semicolon
    '\u{FF1A}', // full-width colon
    '\u{FF01}', // full-width exclamation mark
    '\u{FF1F}', // full-width question mark
    '\u{FF09}', // full-width right parenthesis
    '\u{FF3D}', // full-width right bracket
    '\u{FF5D}', // full-width right brace
    '\u{FF05}', // full-width percent sign
    '\u{300D}', // 」
    '\u{300F}', // 』
    '\u{3011}', // 】
    '\u{3015}', // 〕
    '\u{300B}', // 》
    '\u{3009}', // 〉
    '\u{3017}', // 〗
    '\u{2019}', // ’
    '\u{201D}', // ”
    '\u{2026}', // …
    '\u{00B7}', // ·
    '\u{2030}', // ‰
    '\u{3005}', // 々
    '\u{30FC}', // ー
];

/// May not end a line: opening brackets and quotes, currency signs.
const NO_LINE_END: &[char] = &[
    '(', '[', '{', '$', '\u{FF08}', // full-width left parenthesis
    '\u{FF3B}', // full-width left bracket
    '\u{FF5B}', // full-width left brace
    '\u{300C}', // 「
    '\u{300E}', // 『
    '\u{3010}', // 【
    '\u{3014}', // 〔
    '\u{300A}', // 《
    '\u{3008}', // 〈
    '\u{3016}', // 〖
    '\u{2018}', // ‘
    '\u{201C}', // “
    '\u{00A5}', // yen/yuan sign
    '\u{FFE5}', // full-width yuan sign
];

fn no_line_start(ch: char) -> bool {
    NO_LINE_START.contains(&ch)
}

fn no_line_end(ch: char) -> bool {
    NO_LINE_END.contains(&ch)
}

/// Spaces a line may break after. The ideographic space (U+3000) is not one: it indents
/// Chinese paragraphs and is kept like any other Han-width character.
fn is_space(ch: char) -> bool {
    ch == ' ' || ch == '\t'
}

/// Whether a line may end between `before` and `after` (neither a line feed).
pub fn can_break(before: char, after: char) -> bool {
    if is_space(after) || no_line_start(after) || no_line_end(before) {
        return false;
    }
    is_space(before) || is_cjk(before) || is_cjk(after)
}

/// Breaks `text` into lines no wider than `width` points at `size` points. Line feeds end a line
/// (blank lines are kept); spaces where a line breaks are dropped. A word wider than the whole
/// line is the one thing cut inside, character by character, since it fits nowhere else.
pub fn wrap(text: &str, width: f32, size: f32, m: &impl Measure) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        wrap_paragraph(paragraph, width, size, m, &mut lines);
    }
    lines
}

/// Width of the widest piece of `text` no line may break inside (a number, a Latin word, a
/// character with its punctuation): what a table column needs at least.
pub fn widest_word(text: &str, size: f32, m: &impl Measure) -> f32 {
    text.lines()
        .flat_map(segments)
        .map(|s| m.width(s.trim_end_matches(is_space), size))
        .fold(0.0, f32::max)
}

/// The paragraph's unbreakable pieces: each ends where a line may end.
fn segments(paragraph: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = paragraph.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if let Some(&(next_at, next)) = chars.peek()
            && can_break(c, next)
        {
            out.push(&paragraph[start..next_at]);
            start = next_at;
        }
    }
    if start < paragraph.len() {
        out.push(&paragraph[start..]);
    }
    out
}

fn wrap_paragraph(paragraph: &str, width: f32, size: f32, m: &impl Measure, out: &mut Vec<String>) {
    let paragraph: String = paragraph
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    let mut line = String::new();
    let mut line_width = 0.0;
    for segment in segments(&paragraph) {
        // Trailing spaces hang past the margin: they never push a word to the next line.
        let visible = segment.trim_end_matches(is_space);
        let visible_width = m.width(visible, size);
        if !line.is_empty() && line_width + visible_width > width {
            out.push(line.trim_end_matches(is_space).to_string());
            line.clear();
            line_width = 0.0;
        }
        let segment = if line.is_empty() {
            segment.trim_start_matches(is_space)
        } else {
            segment
        };
        if line.is_empty() && m.width(segment.trim_end_matches(is_space), size) > width {
            // Wider than a whole line: cut it where it must be cut.
            for c in segment.chars() {
                let w = m.advance(c) * size;
                if !line.is_empty() && line_width + w > width && !is_space(c) {
                    out.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += w;
            }
            continue;
        }
        line.push_str(segment);
        line_width += m.width(segment, size);
    }
    out.push(line.trim_end_matches(is_space).to_string());
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Han and full-width characters one em, everything else half an em: near enough to a real
    /// CJK font to test with round numbers.
    pub struct Mono;

    impl Measure for Mono {
        fn advance(&self, ch: char) -> f32 {
            if is_cjk(ch) { 1.0 } else { 0.5 }
        }
    }

    /// Lines of at most `ems` ems at size 1.
    fn wrap_at(text: &str, ems: f32) -> Vec<String> {
        wrap(text, ems, 1.0, &Mono)
    }

    #[test]
    fn han_text_breaks_between_any_two_characters() {
        assert_eq!(
            wrap_at("配电箱未设置漏电保护装置", 5.0),
            ["配电箱未设", "置漏电保护", "装置"]
        );
    }

    #[test]
    fn latin_words_and_numbers_are_never_cut() {
        // 5 ems: "编号" (2) and "ZG-1-2026" (4.5) cannot share a line; the number moves whole.
        assert_eq!(
            wrap_at("编号ZG-1-2026", 5.0),
            ["编号", "ZG-1-2026"],
            "a number wider than what is left moves whole to the next line"
        );
        assert_eq!(
            wrap_at("金额¥12,345.00元整", 6.0),
            ["金额", "¥12,345.00元", "整"],
        );
        assert_eq!(
            wrap_at("依据 GB 30871-2022 执行", 6.0),
            ["依据 GB", "30871-2022", "执行"]
        );
        for line in wrap_at("version 2026 released", 5.0) {
            assert!(
                ["version", "2026", "released"].contains(&line.as_str()),
                "{line}"
            );
        }
    }

    #[test]
    fn closing_punctuation_never_starts_a_line_and_opening_never_ends_one() {
        let text = "整改完毕\u{3002}请复查\u{FF08}第二轮\u{FF09}\u{FF0C}限期\u{201C}七日\u{201D}";
        let lines = wrap_at(text, 4.0);
        for line in &lines {
            let first = line.chars().next().unwrap();
            let last = line.chars().last().unwrap();
            assert!(!no_line_start(first), "{lines:?}");
            assert!(!no_line_end(last), "{lines:?}");
        }
        assert_eq!(lines.concat(), text);
        // "整改完毕" fills the first line, but the stop may not start the next one: "毕" goes
        // down with it.
        assert_eq!(lines[0], "整改完");
        assert_eq!(lines[1], "毕\u{3002}请复");
    }

    #[test]
    fn spaces_at_a_break_are_dropped_and_line_feeds_are_kept() {
        assert_eq!(wrap_at("alpha beta", 3.0), ["alpha", "beta"]);
        assert_eq!(wrap_at("第一行\n\n第三行", 10.0), ["第一行", "", "第三行"]);
        assert_eq!(wrap_at("", 10.0), [""]);
        assert_eq!(wrap_at("a\r\nb", 10.0), ["a", "b"]);
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_as_a_last_resort() {
        let lines = wrap_at("照片 abcdefghijkl 完", 3.0);
        assert_eq!(lines, ["照片", "abcdef", "ghijkl", "完"]);
    }

    #[test]
    fn the_widest_word_is_what_a_column_needs() {
        assert_eq!(widest_word("隐患编号 YH20261125000001", 1.0, &Mono), 8.0);
        assert_eq!(widest_word("一般隐患", 1.0, &Mono), 1.0);
        assert_eq!(
            widest_word("整改\u{3002}", 1.0, &Mono),
            2.0,
            "a stop stays with its character"
        );
    }

    #[test]
    fn every_line_fits() {
        let text = "2026-11-28\u{FF0C}泉州某化工有限公司在储罐区\u{FF08}T-101\u{FF09}动火作业\
                    未办理作业票\u{FF0C}违反 GB 30871-2022 第 5.2 条\u{FF1B}整改期限 7 日\u{3002}";
        for width in [3.0, 4.0, 7.5, 12.0, 40.0] {
            let lines = wrap_at(text, width);
            for line in &lines {
                assert!(Mono.width(line, 1.0) <= width, "{width}: {line:?}");
            }
            // Nothing lost but the spaces at breaks.
            let strip = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
            assert_eq!(strip(&lines.concat()), strip(text));
        }
    }
}
