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
