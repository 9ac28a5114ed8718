//! `docs/benchmarks.png`: the median time of every operation, one bar per
//! library, on a logarithmic axis.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// One operation under one preset: a median time per library (µs).
pub struct Row {
    /// `preset op`.
    pub label: String,
    /// One per library, `None` where it was not measured.
    pub times_us: Vec<Option<f64>>,
}

const COLORS: [RGBColor; 3] = [
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
];

/// Draws the chart (PNG).
///
/// # Errors
/// Drawing or encoding errors, as text.
pub fn draw(path: &Path, libs: &[String], rows: &[Row]) -> Result<(), String> {
    // The font travels in the binary: no system fonts needed.
    let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    let height = 120 + 26 * rows.len() as u32;
    let root = BitMapBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.times_us.iter().flatten().copied())
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).max(0.01) / 2.0;
    let hi = all.iter().copied().fold(0.0, f64::max).max(lo * 10.0) * 2.0;
    let n = rows.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "median time per operation, one thread (lower is better)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(190)
        .build_cartesian_2d((lo..hi).log_scale(), -0.5f64..(n as f64 - 0.5))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                rows[n - 1 - i as usize].label.clone()
            } else {
                String::new()
            }
        })
        .x_desc("µs (log scale)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    let k = libs.len().max(1) as f64;
    for (li, lib) in libs.iter().enumerate() {
        let color = COLORS[li % COLORS.len()];
        let bars = rows.iter().enumerate().filter_map(|(ri, r)| {
            let t = r.times_us.get(li).copied().flatten()?;
            let y = (n - 1 - ri) as f64;
            let top = y + 0.4 - 0.8 * li as f64 / k;
            Some(Rectangle::new(
                [(lo, top - 0.8 / k + 0.04), (t, top)],
                color.filled(),
            ))
        });
        chart
            .draw_series(bars)
            .map_err(|e| e.to_string())?
            .label(lib.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
