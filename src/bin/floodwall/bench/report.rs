//! The benchmark's results: a table for people, one JSON object for tools.

use std::io::Write;

use serde::Serialize;

use super::measure::Point;

/// All results of one `floodwall bench`.
#[derive(Serialize)]
pub struct Report {
    /// CPUs the process may use (other work on the machine shares them).
    pub cpus: usize,
    pub runs_per_point: usize,
    pub seconds_per_run: f64,
    pub channels: Vec<ChannelReport>,
}

/// One corpus at 1..=N threads; each point is the median of the runs.
#[derive(Serialize)]
pub struct ChannelReport {
    pub channel: String,
    pub source: String,
    pub corpus_messages: usize,
    pub avg_bytes: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_spam_share: Option<f64>,
    pub points: Vec<Point>,
}

impl ChannelReport {
    /// Throughput at `threads` over throughput at one thread.
    pub fn speedup(&self, point: &Point) -> f64 {
        match self.points.first() {
            Some(one) if one.msgs_per_sec > 0.0 => point.msgs_per_sec / one.msgs_per_sec,
            _ => 0.0,
        }
    }
}

pub fn write_json(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}

pub fn write_text(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{} CPUs; each point is the median of {} runs of at least {:.1} s; stage times from one more run",
        report.cpus, report.runs_per_point, report.seconds_per_run
    )?;
    for channel in &report.channels {
        writeln!(
            out,
            "\n== {}: {} messages of {:.0} bytes on average, {}",
            channel.channel, channel.corpus_messages, channel.avg_bytes, channel.source
        )?;
        writeln!(
            out,
            "{:>7} {:>12} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8}",
            "threads",
            "msg/s",
            "MB/s",
            "CPU µs/msg",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "q-p99 µs",
            "speedup"
        )?;
        for p in &channel.points {
            writeln!(
                out,
                "{:>7} {:>12.0} {:>8.1} {:>10.2} {:>9.1} {:>9.1} {:>9.1} {:>9.0} {:>7.2}x",
                p.threads,
                p.msgs_per_sec,
                p.mb_per_sec,
                p.cpu_us_per_msg,
                p.latency_us.p50,
                p.latency_us.p99,
                p.latency_us.p999,
                p.queue_latency_us.p99,
                channel.speedup(p)
            )?;
        }
        if let Some(one) = channel.points.first() {
            let stages: Vec<String> = one
                .stages
                .iter()
                .map(|s| format!("{} {:.2}", s.name, s.us_per_msg))
                .collect();
            writeln!(out, "stages at 1 thread, µs/msg: {}", stages.join(", "))?;
            let flagged = format!("flagged (not accept): {:.1}%", one.flagged_share * 100.0);
            match channel.generated_spam_share {
                Some(spam) => writeln!(out, "{flagged}; generated as spam: {:.1}%", spam * 100.0)?,
                None => writeln!(out, "{flagged}")?,
            }
        }
    }
    Ok(())
}
