//! `performance.png`: time per phase per layout, and accuracy plaintext vs
//! encrypted.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::report::Report;

const PHASES: [(&str, RGBColor); 4] = [
    ("key generation", RGBColor(0x8c, 0x8c, 0x8c)),
    ("encryption", RGBColor(0x1f, 0x77, 0xb4)),
    ("inference", RGBColor(0xd6, 0x27, 0x28)),
    ("decryption", RGBColor(0x2c, 0xa0, 0x2c)),
];

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font travels in the binary, so drawing needs no system fonts.
        // Registration only fails for bytes that are not a font.
        let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws the chart into `path` (PNG, 1400 × 560).
///
/// # Errors
/// Any drawing or encoding error, as text.
pub fn draw(report: &Report, path: &Path) -> DrawResult {
    register_fonts();
    let root = BitMapBackend::new(path, (1400, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(900);
    draw_times(report, &left)?;
    draw_accuracy(report, &right)?;
    root.present()?;
    Ok(())
}

fn draw_times(
    report: &Report,
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
) -> DrawResult {
    let layouts = &report.layouts;
    let times: Vec<[f64; 4]> = layouts
        .iter()
        .map(|l| [l.keygen_ms, l.encrypt_ms, l.infer_ms, l.decrypt_ms])
        .collect();
    let max = times.iter().flatten().copied().fold(1.0, f64::max);
    let min = times
        .iter()
        .flatten()
        .copied()
        .filter(|&t| t > 0.0)
        .fold(max, f64::min);
    let y_lo = 10f64.powf(min.log10().floor() - 0.2);
    let y_hi = 10f64.powf(max.log10().ceil() + 0.1);
    let n = layouts.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "Time per phase for {} test patients (ms, log scale)",
                report.test_rows
            ),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n, (y_lo..y_hi).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(layouts.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 1e-6 && i < layouts.len() {
                layouts[i].name.clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y}"))
        .label_style(("sans-serif", 16))
        .draw()?;
    for (p, (name, color)) in PHASES.iter().enumerate() {
        let bars = times.iter().enumerate().map(move |(i, t)| {
            let x0 = i as f64 + 0.1 + 0.2 * p as f64;
            Rectangle::new([(x0, y_lo), (x0 + 0.18, t[p].max(y_lo))], color.filled())
        });
        chart
            .draw_series(bars)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

fn draw_accuracy(
    report: &Report,
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
) -> DrawResult {
    let mut bars: Vec<(String, f64, RGBColor)> = vec![(
        "plaintext".into(),
        report.plaintext.accuracy,
        RGBColor(0x55, 0x55, 0x55),
    )];
    for l in &report.layouts {
        bars.push((
            l.name.clone(),
            l.quality.accuracy,
            RGBColor(0x1f, 0x77, 0xb4),
        ));
    }
    let n = bars.len() as f64;
    let lo = bars.iter().map(|b| b.1).fold(1.0, f64::min);
    let y_lo = ((lo * 100.0 - 5.0).floor() / 100.0).max(0.0);
    let mut chart = ChartBuilder::on(area)
        .caption("Test accuracy (%)", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..n, (100.0 * y_lo)..100.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 1e-6 && i < bars.len() {
                bars[i].0.clone()
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 15))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, a, c))| {
        Rectangle::new(
            [
                (i as f64 + 0.15, 100.0 * y_lo),
                (i as f64 + 0.85, 100.0 * a),
            ],
            c.filled(),
        )
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, a, _))| {
        Text::new(
            format!("{:.2}", 100.0 * a),
            (i as f64 + 0.3, 100.0 * a - 0.4),
            ("sans-serif", 15).into_font().color(&WHITE),
        )
    }))?;
    Ok(())
}
