//! Plots of inference results (the `plot` feature): trace plots, posterior histograms, the SVI
//! loss curve and a forest plot of credible intervals. The file extension chooses the format:
//! `.svg` for SVG, anything else for PNG.
//!
//! Text needs a TrueType font: the first of `SMALLX_PLOT_FONT` and a few usual system paths that
//! exists is used. Without one, plots are drawn without text.

use crate::samples::{Samples, Summary};
use plotters::coord::Shift;
use plotters::prelude::*;
use smallx_core::{Error, Result};
use std::path::Path;
use std::sync::OnceLock;

/// Width and height of every plot, in pixels.
pub const SIZE: (u32, u32) = (900, 600);

const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// Register a font once; true when text can be drawn.
fn fonts() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let candidates = std::env::var("SMALLX_PLOT_FONT")
            .into_iter()
            .chain(FONT_PATHS.iter().map(|s| s.to_string()));
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn err(e: impl std::fmt::Display) -> Error {
    Error::Data(format!("plot: {e}"))
}

/// Draw on a PNG or SVG file of [`SIZE`], as the extension says.
fn with_area(
    path: &Path,
    draw: impl FnOnce(DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
    draw_svg: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    if path.extension().is_some_and(|e| e == "svg") {
        let area = SVGBackend::new(path, SIZE).into_drawing_area();
        area.fill(&WHITE).map_err(err)?;
        draw_svg(area.clone())?;
        area.present().map_err(err)
    } else {
        let area = BitMapBackend::new(path, SIZE).into_drawing_area();
        area.fill(&WHITE).map_err(err)?;
        draw(area.clone())?;
        area.present().map_err(err)
    }
}

fn range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    }
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn histogram_counts(xs: &[f64], bins: usize, (lo, hi): (f64, f64)) -> Vec<f64> {
    let mut counts = vec![0.0; bins];
    let width = (hi - lo) / bins as f64;
    for &x in xs {
        let b = (((x - lo) / width) as usize).min(bins - 1);
        counts[b] += 1.0;
    }
    let norm = xs.len() as f64 * width;
    counts.iter().map(|c| c / norm).collect()
}

/// Draw one panel: a trace (draw index on x, one line per chain) or a density histogram.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    chains: &[Vec<f64>],
    trace: bool,
) -> Result<()> {
    let text = fonts();
    let mut builder = ChartBuilder::on(area);
    builder.margin(8);
    if text {
        builder
            .caption(title, ("sans-serif", 16))
            .x_label_area_size(24)
            .y_label_area_size(48);
    }
    let (lo, hi) = range(chains.iter().flatten().copied());
    if trace {
        let n = chains.iter().map(Vec::len).max().unwrap_or(1);
        let mut chart = builder.build_cartesian_2d(0..n, lo..hi).map_err(err)?;
        if text {
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(5)
                .draw()
                .map_err(err)?;
        }
        for (c, xs) in chains.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    xs.iter().copied().enumerate(),
                    COLORS[c % COLORS.len()].stroke_width(1),
                ))
                .map_err(err)?;
        }
    } else {
        let bins = 40;
        let all: Vec<f64> = chains.concat();
        let density = histogram_counts(&all, bins, (lo, hi));
        let top = density.iter().copied().fold(0.0, f64::max) * 1.05;
        let mut chart = builder
            .build_cartesian_2d(lo..hi, 0.0..top.max(1e-12))
            .map_err(err)?;
        if text {
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(4)
                .draw()
                .map_err(err)?;
        }
        let width = (hi - lo) / bins as f64;
        chart
            .draw_series(density.iter().enumerate().map(|(b, &d)| {
                let x0 = lo + b as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, d)], COLORS[0].mix(0.7).filled())
            }))
            .map_err(err)?;
    }
    Ok(())
}

fn site_panels<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    samples: &Samples,
    site: &str,
    with_trace: bool,
) -> Result<()> {
    let draws = samples.site(site)?;
    let rows = area.split_evenly((draws.dim, if with_trace { 2 } else { 1 }));
    for j in 0..draws.dim {
        let name = draws.element_name(j);
        let chains = draws.element(j)?;
        if with_trace {
            panel(&rows[2 * j], &format!("{name}: trace"), &chains, true)?;
            panel(
                &rows[2 * j + 1],
                &format!("{name}: posterior"),
                &chains,
                false,
            )?;
        } else {
            panel(&rows[j], &format!("{name}: posterior"), &chains, false)?;
        }
    }
    Ok(())
}

/// A trace plot of `site`: for each element, the draws of every chain against their index, and
/// their histogram.
pub fn trace_plot(samples: &Samples, site: &str, path: impl AsRef<Path>) -> Result<()> {
    with_area(
        path.as_ref(),
        |a| site_panels(a, samples, site, true),
        |a| site_panels(a, samples, site, true),
    )
}

/// The posterior histogram (a density) of each element of `site`, all chains pooled.
pub fn posterior_plot(samples: &Samples, site: &str, path: impl AsRef<Path>) -> Result<()> {
    with_area(
        path.as_ref(),
        |a| site_panels(a, samples, site, false),
        |a| site_panels(a, samples, site, false),
    )
}

fn loss_panel<DB: DrawingBackend>(area: DrawingArea<DB, Shift>, losses: &[f64]) -> Result<()> {
    let finite: Vec<(usize, f64)> = losses
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, l)| l.is_finite())
        .collect();
    panel(
        &area,
        "SVI loss (−ELBO)",
        &[finite.iter().map(|(_, l)| *l).collect()],
        true,
    )
}

/// The SVI loss against the step.
pub fn loss_curve(losses: &[f64], path: impl AsRef<Path>) -> Result<()> {
    with_area(
        path.as_ref(),
        |a| loss_panel(a, losses),
        |a| loss_panel(a, losses),
    )
}

fn forest_panel<DB: DrawingBackend>(area: DrawingArea<DB, Shift>, summary: &Summary) -> Result<()> {
    let text = fonts();
    let rows = &summary.rows;
    let (lo, hi) = range(rows.iter().flat_map(|r| [r.q5, r.q95]));
    let pad = 0.05 * (hi - lo);
    let mut builder = ChartBuilder::on(&area);
    builder.margin(12);
    if text {
        builder
            .caption("90% credible intervals and means", ("sans-serif", 18))
            .x_label_area_size(28)
            .y_label_area_size(90);
    }
    let mut chart = builder
        .build_cartesian_2d(lo - pad..hi + pad, (0..rows.len()).into_segmented())
        .map_err(err)?;
    if text {
        chart
            .configure_mesh()
            .y_labels(rows.len())
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => rows.get(*i).map_or(String::new(), |r| r.name.clone()),
                _ => String::new(),
            })
            .draw()
            .map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = SegmentValue::CenterOf(i);
        chart
            .draw_series(LineSeries::new(
                [(r.q5, y.clone()), (r.q95, y.clone())],
                COLORS[0].stroke_width(3),
            ))
            .map_err(err)?;
        chart
            .draw_series([Circle::new((r.mean, y), 5, COLORS[1].filled())])
            .map_err(err)?;
    }
    Ok(())
}

/// A forest plot: each site element's 5%–95% interval and mean, one row each.
pub fn forest_plot(summary: &Summary, path: impl AsRef<Path>) -> Result<()> {
    with_area(
        path.as_ref(),
        |a| forest_panel(a, summary),
        |a| forest_panel(a, summary),
    )
}
