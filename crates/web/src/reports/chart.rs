//! Server-rendered SVG charts: a bar chart and a line chart of monthly figures. They need no
//! script, print as they show, scale with the page, and carry a title and description for
//! screen readers (the figures are also in a table beside each chart).

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
/// Series colours with enough contrast on white (WCAG 2.1 non-text contrast 3:1).
const COLOURS: [&str; 3] = ["#1f5fa8", "#b3541e", "#2e7d32"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Grid lines above the axis; with tops of 5, 10, 20, 50, … every line falls on a whole number.
const TICKS: u8 = 5;

/// A "nice" top of the axis (1, 2 or 5 times a power of ten, at least 5) at or above `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 5.0 || !max.is_finite() {
        return 5.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= max).unwrap_or(10.0 * p)
}

fn label(v: f64) -> String {
    if v.fract() == 0.0 {
        crate::i18n::number(v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// The frame: title, axes, four grid lines with their values, and the month labels.
fn frame(out: &mut String, id: &str, title: &str, labels: &[String], top: f64) {
    let _ = write!(
        out,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title>"#,
        esc(title)
    );
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=TICKS {
        let y = TOP + plot_h - plot_h * f64::from(i) / f64::from(TICKS);
        let v = top * f64::from(i) / f64::from(TICKS);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d4da"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11" fill="#333">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            label(v)
        );
    }
    let step = slot(labels.len());
    let every = labels.len().div_ceil(12).max(1);
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let x = LEFT + step * (i as f64 + 0.5);
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{}" text-anchor="middle" font-size="11" fill="#333">{}</text>"##,
            H - BOTTOM + 16.0,
            esc(l)
        );
    }
}

fn slot(n: usize) -> f64 {
    (W - LEFT - RIGHT) / n.max(1) as f64
}

fn y_of(v: f64, top: f64) -> f64 {
    let plot_h = H - TOP - BOTTOM;
    TOP + plot_h - plot_h * (v / top).clamp(0.0, 1.0)
}

/// A bar chart of one series; `None` values (hidden small cells) leave a gap.
pub fn bars(id: &str, title: &str, labels: &[String], values: &[Option<f64>]) -> String {
    let top = nice_max(values.iter().flatten().copied().fold(0.0, f64::max));
    let mut out = String::new();
    frame(&mut out, id, title, labels, top);
    let step = slot(labels.len());
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let x = LEFT + step * i as f64 + step * 0.15;
        let y = y_of(*v, top);
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
            step * 0.7,
            (H - BOTTOM - y).max(0.0),
            COLOURS[0],
            esc(labels.get(i).map_or("", String::as_str)),
            label(*v)
        );
    }
    out.push_str("</svg>");
    out
}

/// A line chart of up to three named series over the same months, with a legend.
pub fn lines(id: &str, title: &str, labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> String {
    let top = nice_max(series.iter().flat_map(|(_, v)| v.iter().flatten().copied()).fold(0.0, f64::max));
    let mut out = String::new();
    frame(&mut out, id, title, labels, top);
    let step = slot(labels.len());
    for (n, (name, values)) in series.iter().enumerate().take(COLOURS.len()) {
        let colour = COLOURS[n];
        let mut path = String::new();
        let mut pen_up = true;
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else {
                pen_up = true;
                continue;
            };
            let (x, y) = (LEFT + step * (i as f64 + 0.5), y_of(*v, top));
            let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_up { "M" } else { "L" });
            pen_up = false;
            let _ = write!(
                out,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"><title>{}: {}</title></circle>"#,
                esc(name),
                label(*v)
            );
        }
        let dash = if n == 1 { r#" stroke-dasharray="6 3""# } else { "" };
        let _ = write!(out, r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#, path.trim_end());
        let lx = LEFT + 8.0 + 170.0 * n as f64;
        let _ = write!(
            out,
            r##"<line x1="{lx}" x2="{}" y1="{}" y2="{}" stroke="{colour}" stroke-width="2"{dash}/><text x="{}" y="{}" font-size="11" fill="#333">{}</text>"##,
            lx + 18.0,
            H - 8.0,
            H - 8.0,
            lx + 22.0,
            H - 4.0,
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 5.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(430.0), 500.0);
        assert_eq!(nice_max(1000.0), 1000.0);
    }

    #[test]
    fn bars_escape_their_text_and_skip_hidden_values() {
        let labels = vec!["2026-01".to_string(), "<b>".to_string()];
        let svg = bars("c", "Cases & <script>", &labels, &[Some(3.0), None]);
        assert!(svg.contains("Cases &amp; &lt;script&gt;"));
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert_eq!(svg.matches("<rect").count(), 1);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn lines_draw_one_path_per_series_with_a_legend() {
        let labels: Vec<String> = (1..=3).map(|m| format!("2026-0{m}")).collect();
        let svg =
            lines("t", "Trend", &labels, &[("A".into(), vec![Some(1.0), Some(2.0), Some(4.0)]), ("B".into(), vec![None, Some(1.0), None])]);
        assert_eq!(svg.matches("<path").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains(">A</text>") && svg.contains(">B</text>"));
    }
}
