//! Throughput against threads as a small hand-written SVG: one panel per
//! corpus (their scales differ a hundredfold), measured line solid, linear
//! scaling from one thread dashed.

use std::fmt::Write;

use super::report::Report;

const WIDTH: f64 = 480.0;
const PANEL: f64 = 220.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 30.0;
const PLOT_W: f64 = WIDTH - LEFT - 20.0;
const PLOT_H: f64 = PANEL - TOP - 40.0;

pub fn render(report: &Report) -> String {
    let height = PANEL * report.channels.len().max(1) as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    for (i, channel) in report.channels.iter().enumerate() {
        let y0 = i as f64 * PANEL;
        let max_threads = channel.points.len().max(1) as f64;
        let one = channel.points.first().map_or(0.0, |p| p.msgs_per_sec);
        let best = channel
            .points
            .iter()
            .map(|p| p.msgs_per_sec)
            .fold(one * max_threads, f64::max)
            .max(1.0);
        let x = |threads: f64| LEFT + (threads - 1.0) / (max_threads - 1.0).max(1.0) * PLOT_W;
        let y = |rate: f64| y0 + TOP + PLOT_H - rate / best * PLOT_H;
        let _ = writeln!(
            svg,
            r#"<text x="{LEFT}" y="{}" font-size="13">{}: messages/s by worker threads</text>"#,
            y0 + 18.0,
            escape(&channel.channel)
        );
        let _ = writeln!(
            svg,
            r##"<path d="M{LEFT},{} V{} H{}" fill="none" stroke="#333"/>"##,
            y0 + TOP,
            y0 + TOP + PLOT_H,
            LEFT + PLOT_W
        );
        for tick in 0..=4 {
            let rate = best * f64::from(tick) / 4.0;
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{:.0}</text>"#,
                LEFT - 6.0,
                y(rate) + 4.0,
                rate
            );
        }
        for p in &channel.points {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x(p.threads as f64),
                y0 + TOP + PLOT_H + 16.0,
                p.threads
            );
        }
        let ideal = format!(
            "M{:.1},{:.1} L{:.1},{:.1}",
            x(1.0),
            y(one),
            x(max_threads),
            y(one * max_threads)
        );
        let _ = writeln!(
            svg,
            r##"<path d="{ideal}" fill="none" stroke="#999" stroke-dasharray="4 3"/>"##
        );
        let line: Vec<String> = channel
            .points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.threads as f64), y(p.msgs_per_sec)))
            .collect();
        let _ = writeln!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#1f6feb" stroke-width="2"/>"##,
            line.join(" ")
        );
        for p in &channel.points {
            let _ = writeln!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#1f6feb"/>"##,
                x(p.threads as f64),
                y(p.msgs_per_sec)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
