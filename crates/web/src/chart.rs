//! Charts drawn on the server as inline SVG: no script, no request to another host, and
//! presentation attributes only, so the page's content security policy (no inline styles)
//! holds. The SVG scales to its container's width, so a phone shows the same chart smaller.

use std::fmt::Write;

/// One line of a trend chart.
pub struct Series<'a> {
    pub label: &'a str,
    pub color: &'static str,
    pub values: Vec<u64>,
}

const W: f64 = 640.0;
const H: f64 = 280.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 26.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 30.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round upper bound for the axis: 1, 2 or 5 times a power of ten.
fn nice_max(v: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= v.max(1) {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Lines over months: `labels` under the x axis (`MM` of each month), one polyline per series,
/// a legend on top. `title` is read by screen readers.
pub fn trend(title: &str, labels: &[String], series: &[Series]) -> String {
    let n = labels.len().max(1);
    let max = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0),
    );
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: u64| TOP + plot_h * (1.0 - v as f64 / max as f64);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" font-size="15" font-family="sans-serif">"#,
        escape(title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = (max as f64 * frac).round() as u64;
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e5e7eb"/><text x="{}" y="{:.1}" text-anchor="end" fill="#6b7280">{v}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    // Every other month when there are many, so the labels stay legible on a phone.
    let every = if n > 6 { 2 } else { 1 };
    for (i, l) in labels.iter().enumerate() {
        if !(n - 1 - i).is_multiple_of(every) {
            continue;
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#6b7280">{}</text>"##,
            x(i),
            H - 8.0,
            escape(l)
        );
    }
    for (k, se) in series.iter().enumerate() {
        let points: Vec<String> = se
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            se.color,
            points.join(" ")
        );
        for (i, v) in se.values.iter().enumerate() {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>{} {}:{}</title></circle>"#,
                x(i),
                y(*v),
                se.color,
                escape(labels.get(i).map(String::as_str).unwrap_or("")),
                escape(se.label),
                v
            );
        }
        // Legend in two columns, so four series fit a phone's width.
        let (lx, ly) = (LEFT + (k % 2) as f64 * 200.0, 8.0 + (k / 2) as f64 * 22.0);
        let _ = write!(
            s,
            r##"<rect x="{lx}" y="{ly}" width="12" height="12" fill="{}"/><text x="{}" y="{}" fill="#374151">{}</text>"##,
            se.color,
            lx + 18.0,
            ly + 11.0,
            escape(se.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar for a table cell: `per_mille` of the full width.
pub fn bar(per_mille: u64, color: &'static str) -> String {
    let w = per_mille.min(1000) as f64 / 10.0;
    format!(
        r##"<svg class="bar" viewBox="0 0 100 8" width="100%" height="8" preserveAspectRatio="none" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><rect width="100" height="8" fill="#eef2f7"/><rect width="{w:.1}" height="8" fill="{color}"/></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(480), 500);
        assert_eq!(nice_max(501), 1000);
    }

    #[test]
    fn labels_are_escaped_and_every_point_drawn() {
        let svg = trend(
            "趋势<script>",
            &["01".into(), "02".into()],
            &[Series {
                label: "发现\"",
                color: "#2563eb",
                values: vec![3, 7],
            }],
        );
        assert!(svg.contains("趋势&lt;script&gt;"));
        assert!(svg.contains("发现&quot;"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(!svg.contains("style="));
    }
}
