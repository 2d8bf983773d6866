//! The comparison table: medians of per-iteration times, Rust ÷ reference ratios, peak memory
//! and the verdict against each target, as a Markdown table (printed and written into
//! docs/PERFORMANCE.md).

use crate::measure::Measured;

/// The middle value (the mean of the two middle values for an even count); `None` when empty.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// How one side's time is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Shown {
    /// Seconds per iteration (one whole run).
    SecondsPerRun,
    /// Milliseconds per iteration (one training step).
    MillisPerStep,
    /// Milliseconds per unit of work (one generated token).
    MillisPerItem,
}

/// One side of a comparison, accumulated over the repetitions.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub name: String,
    /// Seconds per iteration, every sample of every repetition.
    pub seconds: Vec<f64>,
    /// Units of work (characters or tokens) one iteration processes.
    pub work_per_iteration: f64,
    pub peak_rss_kib: u64,
    pub wall_s: f64,
    pub cpu_s: f64,
}

impl Side {
    pub(crate) fn new(name: &str) -> Side {
        Side {
            name: name.to_owned(),
            seconds: Vec::new(),
            work_per_iteration: 0.0,
            peak_rss_kib: 0,
            wall_s: 0.0,
            cpu_s: 0.0,
        }
    }

    /// Adds one measured process that timed `seconds` (per iteration of `work` units each).
    pub(crate) fn add(&mut self, measured: &Measured, seconds: &[f64], work: f64) {
        self.seconds.extend_from_slice(seconds);
        self.work_per_iteration = work;
        self.peak_rss_kib = self.peak_rss_kib.max(measured.peak_rss_kib);
        self.wall_s += measured.wall_s;
        self.cpu_s += measured.cpu_s;
    }

    /// Median seconds per unit of work.
    pub(crate) fn seconds_per_item(&self) -> Option<f64> {
        Some(median(&self.seconds)? / self.work_per_iteration)
    }

    /// Median units of work per second.
    pub(crate) fn throughput(&self) -> Option<f64> {
        Some(1.0 / self.seconds_per_item()?)
    }

    /// Average cores kept busy by its processes (CPU time ÷ wall time).
    pub(crate) fn cores_used(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.cpu_s / self.wall_s
        } else {
            0.0
        }
    }

    fn time(&self, shown: Shown) -> String {
        let Some(per_iteration) = median(&self.seconds) else {
            return "—".into();
        };
        match shown {
            Shown::SecondsPerRun => format!("{per_iteration:.2} s"),
            Shown::MillisPerStep => format!("{:.0} ms/step", per_iteration * 1e3),
            Shown::MillisPerItem => format!(
                "{:.1} ms/token",
                per_iteration * 1e3 / self.work_per_iteration
            ),
        }
    }
}

/// What a comparison must reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Target {
    /// Rust throughput ÷ reference throughput at least this.
    ThroughputAtLeast(f64),
    /// Rust time ÷ reference time at most this.
    TimeAtMost(f64),
}

/// One line of the table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub what: String,
    pub rust: Side,
    pub reference: Side,
    pub shown: Shown,
    /// "chars" or "tokens".
    pub work: &'static str,
    pub target: Option<Target>,
}

impl Row {
    /// Rust seconds per unit of work ÷ the reference's.
    pub(crate) fn time_ratio(&self) -> Option<f64> {
        Some(self.rust.seconds_per_item()? / self.reference.seconds_per_item()?)
    }

    /// Whether the target is met; `None` without a target or without figures.
    pub(crate) fn met(&self) -> Option<bool> {
        let ratio = self.time_ratio()?;
        Some(match self.target? {
            Target::ThroughputAtLeast(x) => 1.0 / ratio >= x,
            Target::TimeAtMost(x) => ratio <= x,
        })
    }
}

fn throughput(side: &Side, work: &str) -> String {
    match side.throughput() {
        Some(t) if t >= 1e5 => format!("{:.2} M {work}/s", t / 1e6),
        Some(t) => format!("{t:.0} {work}/s"),
        None => "—".into(),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// The table in Markdown.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| comparison | Rust | reference | Rust ÷ ref. time | throughput ratio | peak RSS Rust / ref. | target | met |\n\
         | --- | --- | --- | ---: | ---: | ---: | --- | --- |\n",
    );
    for row in rows {
        let ratio = row.time_ratio();
        let target = match row.target {
            Some(Target::ThroughputAtLeast(x)) => format!("≥ {x}× throughput"),
            Some(Target::TimeAtMost(x)) => format!("≤ {x}× time"),
            None => "—".into(),
        };
        let met = match row.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        out.push_str(&format!(
            "| {} | {}, {} | {}: {}, {} | {} | {} | {} / {} | {target} | {met} |\n",
            row.what,
            row.rust.time(row.shown),
            throughput(&row.rust, row.work),
            row.reference.name,
            row.reference.time(row.shown),
            throughput(&row.reference, row.work),
            ratio.map_or("—".into(), |r| format!("{r:.3}")),
            ratio.map_or("—".into(), |r| format!("{:.2}×", 1.0 / r)),
            mib(row.rust.peak_rss_kib),
            mib(row.reference.peak_rss_kib),
        ));
    }
    out
}

/// Per side: samples, spread and CPU use, to judge how noisy each median is.
pub(crate) fn spread_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| comparison | side | samples | min–max per iteration | cores busy |\n| --- | --- | ---: | --- | ---: |\n",
    );
    for row in rows {
        for side in [&row.rust, &row.reference] {
            let (min, max) = side
                .seconds
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), &s| {
                    (lo.min(s), hi.max(s))
                });
            out.push_str(&format!(
                "| {} | {} | {} | {:.3}–{:.3} s | {:.2} |\n",
                row.what,
                side.name,
                side.seconds.len(),
                min,
                max,
                side.cores_used()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(name: &str, seconds: &[f64], work: f64, rss_kib: u64) -> Side {
        let mut s = Side::new(name);
        let measured = Measured {
            wall_s: 10.0,
            cpu_s: 15.0,
            peak_rss_kib: rss_kib,
        };
        s.add(&measured, seconds, work);
        s
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ratios_compare_time_per_unit_of_work() {
        // Rust: 0.2 s for 16 tokens; reference: 0.1 s for 1 token → 0.0125 ÷ 0.1.
        let row = Row {
            what: "generate".into(),
            rust: side("Rust", &[0.3, 0.2, 0.1], 16.0, 2048),
            reference: side("Python", &[0.1], 1.0, 1024),
            shown: Shown::MillisPerItem,
            work: "tokens",
            target: Some(Target::TimeAtMost(0.6)),
        };
        assert!((row.time_ratio().unwrap() - 0.125).abs() < 1e-12);
        assert_eq!(row.met(), Some(true));
        let table = table(&[row]);
        assert!(table.contains("| 0.125 | 8.00× |"), "{table}");
        assert!(table.contains("12.5 ms/token, 80 tokens/s"), "{table}");
        assert!(table.contains("2 MiB / 1 MiB"), "{table}");
        assert!(table.contains("| ≤ 0.6× time | yes |"), "{table}");
    }

    #[test]
    fn a_missed_target_is_marked_and_missing_figures_are_dashes() {
        let row = Row {
            what: "preprocess".into(),
            rust: side("Rust", &[2.0], 1e6, 1),
            reference: side("Python", &[20.0], 1e6, 1),
            shown: Shown::SecondsPerRun,
            work: "chars",
            target: Some(Target::ThroughputAtLeast(30.0)),
        };
        assert_eq!(row.met(), Some(false));
        let text = table(std::slice::from_ref(&row));
        assert!(text.contains("2.00 s, 0.50 M chars/s"), "{text}");
        assert!(
            text.contains("| 10.00× |") && text.contains("**no**"),
            "{text}"
        );
        let empty = Row {
            rust: Side::new("Rust"),
            ..row
        };
        assert_eq!(empty.met(), None);
        assert!(table(&[empty]).contains("| — | — |"));
    }

    #[test]
    fn spread_shows_samples_range_and_cores() {
        let row = Row {
            what: "train".into(),
            rust: side("Rust full", &[0.5, 0.25], 1120.0, 1),
            reference: side("Python full", &[1.0], 1120.0, 1),
            shown: Shown::MillisPerStep,
            work: "tokens",
            target: None,
        };
        let text = spread_table(&[row]);
        assert!(
            text.contains("| train | Rust full | 2 | 0.250–0.500 s | 1.50 |"),
            "{text}"
        );
    }
}
