//! `curve.svg`: train and valid loss against training tokens seen, drawn with plotters.

use crate::metrics::Record;
use plotters::prelude::*;
use std::path::Path;

/// Draws the curve of `records` into `path`.
pub fn write_curve(path: &Path, records: &[Record]) -> Result<(), String> {
    let points = |split: &str| -> Vec<(f64, f64)> {
        records
            .iter()
            .filter(|r| r.split == split && r.loss.is_finite())
            .map(|r| (r.tokens_seen as f64, r.loss))
            .collect()
    };
    let (train, valid) = (points("train"), points("valid"));
    let all = train.iter().chain(&valid);
    let x_max = all.clone().map(|p| p.0).fold(1.0, f64::max);
    let y_min = all.clone().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_max = all.map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (y_min, y_max) = if y_min.is_finite() {
        (0f64.max(y_min - 0.1), y_max + 0.1)
    } else {
        (0.0, 1.0)
    };
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    let e = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("training curve", ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, y_min..y_max)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("training tokens seen")
        .x_label_formatter(&|x| short_count(*x))
        .y_desc("loss (nats per token)")
        .draw()
        .map_err(|x| e(&x))?;
    chart
        .draw_series(LineSeries::new(train, &BLUE))
        .map_err(|x| e(&x))?
        .label("train")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(valid.clone(), &RED))
        .map_err(|x| e(&x))?
        .label("valid")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .draw_series(valid.iter().map(|&p| Circle::new(p, 3, RED.filled())))
        .map_err(|x| e(&x))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// A token count for an axis label: `750`, `12.5k`, `3M`.
fn short_count(n: f64) -> String {
    let (value, unit) = match n.abs() {
        a if a >= 1e6 => (n / 1e6, "M"),
        a if a >= 1e3 => (n / 1e3, "k"),
        _ => (n, ""),
    };
    let text = format!("{value:.1}");
    format!("{}{unit}", text.trim_end_matches(".0"))
}

#[cfg(test)]
mod tests {
    use super::short_count;

    #[test]
    fn axis_counts_are_short() {
        let cases = [
            (0.0, "0"),
            (750.0, "750"),
            (12_500.0, "12.5k"),
            (1_000_000.0, "1M"),
            (7_448_960.0, "7.4M"),
        ];
        for (n, text) in cases {
            assert_eq!(short_count(n), text);
        }
    }
}
