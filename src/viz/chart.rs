//! Line plots of logged metrics and scatter plots of 2-D samples, drawn with plotters.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{save, Drawn, Figure, FONT, PALETTE};
use crate::Result;

/// One curve of a [`Panel`].
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its legend label.
    pub name: String,
    /// `(x, y)` points in x order; points that are not finite (or beyond ±1e150) are left out.
    pub points: Vec<(f64, f64)>,
}

/// One plot of a figure: a title, a y axis and its curves.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// The title over the plot.
    pub title: String,
    /// The label of the y axis.
    pub y_label: String,
    /// The curves, drawn in [`PALETTE`] order, with a legend naming each.
    pub series: Vec<Series>,
    /// The y range; `None` fits it to the curves.
    pub y_range: Option<(f64, f64)>,
}

impl Panel {
    /// A panel whose y range fits its curves.
    pub fn new(title: impl Into<String>, y_label: impl Into<String>, series: Vec<Series>) -> Self {
        Self {
            title: title.into(),
            y_label: y_label.into(),
            series,
            y_range: None,
        }
    }
}

/// The panel of a group of `metrics` (keys of `metrics.jsonl`) from the logs of `runs`
/// (`(run name, text of its metrics.jsonl)`): one curve per run and metric, named after the
/// metric, and after the run too when there are several. Known metrics get a title and an axis
/// label that say what they are (losses; `d_real`, `d_fake` are the mean discriminator outputs
/// `D(x)`, `D(G(z))`, drawn on `[0, 1]` when they are probabilities); a run without a metric
/// draws no curve for it.
pub fn training_panel(metrics: &[&str], runs: &[(&str, &str)]) -> Panel {
    let mut series = Vec::new();
    for (run, text) in runs {
        for metric in metrics {
            let points = crate::train::metric_points(text, metric);
            if points.is_empty() {
                continue;
            }
            let label = match *metric {
                "d_real" => "d_real: D(x)".to_string(),
                "d_fake" => "d_fake: D(G(z))".to_string(),
                other => other.to_string(),
            };
            let name = match runs.len() {
                1 => label,
                _ => format!("{run} – {label}"),
            };
            series.push(Series { name, points });
        }
    }
    let (mut titles, mut y_labels) = (Vec::new(), Vec::new());
    for metric in metrics {
        let (title, y_label) = describe(metric);
        if !titles.contains(&title) {
            titles.push(title);
        }
        if !y_labels.contains(&y_label) {
            y_labels.push(y_label);
        }
    }
    let probabilities = metrics.iter().all(|m| matches!(*m, "d_real" | "d_fake"))
        && series
            .iter()
            .flat_map(|s| &s.points)
            .all(|p| (0.0..=1.0).contains(&p.1));
    Panel {
        title: titles.join(", "),
        y_label: y_labels.join(", "),
        series,
        y_range: probabilities.then_some((0.0, 1.0)),
    }
}

/// The title and y-axis label of a panel of `metric`.
fn describe(metric: &str) -> (String, String) {
    let (title, y_label) = match metric {
        "loss_d" | "loss_g" => ("Losses", "loss"),
        "d_real" | "d_fake" => ("Discriminator outputs", "mean D output"),
        "w_distance" => ("Critic's Wasserstein estimate", "E[D(x)] − E[D(G(z))]"),
        "fid" => ("FID", "FID"),
        "kid" => ("KID", "KID"),
        other => (other, other),
    };
    (title.to_string(), y_label.to_string())
}

/// Writes one panel as a plot with axes, tick labels and a legend, 900 x 460 pixels.
pub fn line_plot(panel: &Panel, x_label: &str, path: &Path) -> Result<()> {
    save(
        &Stacked {
            panels: std::slice::from_ref(panel),
            x_label,
            panel_height: 460,
        },
        path,
    )
}

/// Writes panels stacked vertically over one shared x range (e.g. the losses above the
/// discriminator's outputs, or a critic's estimate above FID), each with its own y axis; 900
/// pixels wide and 300 high per panel.
pub fn stacked_plots(panels: &[Panel], x_label: &str, path: &Path) -> Result<()> {
    save(
        &Stacked {
            panels,
            x_label,
            panel_height: 300,
        },
        path,
    )
}

/// Writes a scatter plot of real (grey) and generated (red) 2-D points over
/// `[-extent, extent]^2`, the real points drawn over the generated ones, half transparent.
pub fn scatter(
    real: &[[f32; 2]],
    fake: &[[f32; 2]],
    extent: f32,
    title: &str,
    path: &Path,
) -> Result<()> {
    save(
        &Scatter {
            real,
            fake,
            extent: f64::from(extent.abs().max(1e-6)),
            title,
        },
        path,
    )
}

struct Stacked<'a> {
    panels: &'a [Panel],
    x_label: &'a str,
    panel_height: u32,
}

impl Figure for Stacked<'_> {
    fn size(&self) -> (u32, u32) {
        (900, self.panel_height * self.panels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, k: u32) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let x_range = range(
            self.panels
                .iter()
                .flat_map(|p| &p.series)
                .flat_map(|s| s.points.iter().filter(|p| plottable(p.1)).map(|p| p.0)),
        );
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for (area, panel) in areas.iter().zip(self.panels) {
            draw_panel(area, panel, x_range, self.x_label, k)?;
        }
        Ok(())
    }
}

/// A font of `px` pixels at output size.
fn font(px: u32, k: u32) -> FontDesc<'static> {
    (FONT, f64::from(px * k)).into_font()
}

/// One panel: title, axes with rounded ticks and labels, curves and a legend in its quietest
/// corner.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    (x0, x1): (f64, f64),
    x_label: &str,
    k: u32,
) -> Drawn<DB> {
    let finite = |s: &Series| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .copied()
            .filter(|&(x, y)| plottable(x) && plottable(y))
            .collect()
    };
    let curves: Vec<Vec<(f64, f64)>> = panel.series.iter().map(finite).collect();
    let (y0, y1) = panel.y_range.unwrap_or_else(|| {
        let (lo, hi) = range(curves.iter().flatten().map(|p| p.1));
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    });
    // The plotting area, in output pixels, less the label areas, margins and title below.
    let (w, h) = area.dim_in_pixel();
    let plot = (
        f64::from(w / k).max(200.0) - 110.0,
        f64::from(h / k).max(120.0) - 92.0,
    );
    let names: Vec<&str> = panel.series.iter().map(|s| s.name.as_str()).collect();
    let (corner, y1) = legend_place(&curves, &names, (x0, x1), (y0, y1), plot);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, font(18, k))
        .margin(10 * k)
        .margin_right(24 * k)
        .x_label_area_size(44 * k)
        .y_label_area_size(76 * k)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(&panel.y_label)
        .x_labels(10)
        .y_labels(6)
        .x_label_formatter(&|v| tick(*v, tick_decimals((x0, x1), 10)))
        .y_label_formatter(&|v| tick(*v, tick_decimals((y0, y1), 6)))
        .label_style(font(13, k))
        .axis_desc_style(font(14, k))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(k))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.stroke_width(k))
        .set_all_tick_mark_size(4 * k)
        .draw()?;
    for (i, points) in curves.iter().enumerate() {
        let [r, g, b] = PALETTE[i % PALETTE.len()];
        let style = RGBColor(r, g, b).stroke_width(2 * k);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))?
            .label(&panel.series[i].name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 22 * k as i32, y)], style));
        // A few points (evaluations every few hundred steps) are marked, one alone is visible.
        if points.len() <= 40 {
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 3 * k, RGBColor(r, g, b).filled())),
            )?;
        }
    }
    if !curves.iter().all(Vec::is_empty) {
        chart
            .configure_series_labels()
            .position(corner)
            .margin(8 * k)
            .legend_area_size(28 * k)
            .label_font(font(13, k))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160).stroke_width(k))
            .draw()?;
    }
    Ok(())
}

/// Where the legend of `names` goes: the first corner (upper right, upper left, lower right,
/// lower left) that no curve passes through, or else the upper right with the y range raised
/// to leave it room. `plot` is the plotting area's size in output pixels.
fn legend_place(
    curves: &[Vec<(f64, f64)>],
    names: &[&str],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    plot: (f64, f64),
) -> (SeriesLabelPosition, f64) {
    // The legend's box as fractions of the plot, from its 13-pixel text and 28-pixel samples.
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as f64;
    let fx = ((52.0 + 7.5 * longest) / plot.0).min(1.0);
    let fy = ((20.0 + 18.0 * names.len() as f64) / plot.1).min(0.5);
    // The curves at their points and at 8 places along each segment, as fractions of the plot.
    let at = |x: f64, y: f64| ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0));
    let traced: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|c| {
            let along = c.windows(2).flat_map(|w| {
                (0..8).map(move |i| {
                    let t = f64::from(i) / 8.0;
                    (
                        w[0].0 + t * (w[1].0 - w[0].0),
                        w[0].1 + t * (w[1].1 - w[0].1),
                    )
                })
            });
            along.chain(c.last().copied())
        })
        .map(|(x, y)| at(x, y))
        .collect();
    let free = |right: bool, upper: bool| {
        !traced.iter().any(|&(u, v)| {
            let inside_x = if right { u >= 1.0 - fx } else { u <= fx };
            let inside_y = if upper { v >= 1.0 - fy } else { v <= fy };
            inside_x && inside_y
        })
    };
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    match corners.into_iter().find(|&(_, r, u)| free(r, u)) {
        Some((corner, _, _)) => (corner, y1),
        None => (SeriesLabelPosition::UpperRight, y0 + (y1 - y0) / (1.0 - fy)),
    }
}

/// The decimals of the tick labels of an axis over `(lo, hi)` with at most `labels` ticks: as
/// few as show every tick plotters places there exactly, so that the labels of an axis agree
/// (`0.8`, `1.0`, `1.2`, where plotters prints `1.0` after `0.8` and `0.30000000000000004`).
fn tick_decimals((lo, hi): (f64, f64), labels: usize) -> usize {
    let ticks = RangedCoordf64::from(lo..hi).key_points(labels);
    let exact = |d: i32| {
        let m = 10f64.powi(d);
        ticks
            .iter()
            .all(|v| ((v * m).round() / m - v).abs() <= 1e-9 * (hi - lo))
    };
    (0..=8).find(|&d| exact(d)).unwrap_or(8) as usize
}

/// A tick label with `decimals` decimals, in scientific notation for very large or small values.
fn tick(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e7).contains(&a) {
        return format!("{v:.1e}");
    }
    let text = format!("{v:.decimals$}");
    match text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        true => text.trim_start_matches('-').into(),
        false => text,
    }
}

/// Whether `v` can be drawn: finite, and small enough that the span of a plot's range, and its
/// padding, stay finite too.
fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= 1e150
}

/// The minimum and maximum of the [`plottable`] `values`, widened when empty or flat.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values.filter(|&v| plottable(v)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    // Relative too: at 1e20, adding 0.5 leaves a flat range flat.
    let least = 1e-9 * lo.abs().max(hi.abs()).max(1e-3);
    if hi - lo < least {
        let half = (0.5f64).max(lo.abs() * 0.01);
        return (lo - half, hi + half);
    }
    (lo, hi)
}

struct Scatter<'a> {
    real: &'a [[f32; 2]],
    fake: &'a [[f32; 2]],
    extent: f64,
    title: &'a str,
}

impl<'a> Figure for Scatter<'a> {
    fn size(&self) -> (u32, u32) {
        (600, 620)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, k: u32) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let e = self.extent;
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, font(18, k))
            .margin(12 * k)
            .margin_right(24 * k)
            .x_label_area_size(44 * k)
            .y_label_area_size(56 * k)
            .build_cartesian_2d(-e..e, -e..e)?;
        chart
            .configure_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .x_labels(9)
            .y_labels(9)
            .x_label_formatter(&|v| tick(*v, tick_decimals((-e, e), 9)))
            .y_label_formatter(&|v| tick(*v, tick_decimals((-e, e), 9)))
            .label_style(font(13, k))
            .axis_desc_style(font(14, k))
            .bold_line_style(RGBColor(232, 232, 232).stroke_width(k))
            .light_line_style(TRANSPARENT)
            .axis_style(BLACK.stroke_width(k))
            .set_all_tick_mark_size(4 * k)
            .draw()?;
        let inside = |points: &'a [[f32; 2]]| {
            points
                .iter()
                .map(|p| (f64::from(p[0]), f64::from(p[1])))
                .filter(move |(x, y)| x.abs() <= e && y.abs() <= e)
        };
        let [r, g, b] = PALETTE[3];
        // Generated points large and under, real ones small, dark and half transparent over
        // them: both show where they overlap.
        let fake_style = RGBColor(r, g, b).mix(0.6).filled();
        let real_style = RGBColor(40, 40, 40).mix(0.35).filled();
        for (points, style, radius, name) in [
            (self.fake, fake_style, 3 * k, "generated"),
            (self.real, real_style, 3 * k / 2, "real"),
        ] {
            chart
                .draw_series(inside(points).map(|p| Circle::new(p, radius, style)))?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 8 * k as i32, y), 4 * k, style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(8 * k)
            .legend_area_size(20 * k)
            .label_font(font(13, k))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160).stroke_width(k))
            .draw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        std::env::temp_dir()
            .join(format!("burn-gan-viz-{}", std::process::id()))
            .join(name)
    }

    /// Whether pixel `p` is within `tolerance` of `colour` in every channel.
    fn near(p: &image::Rgb<u8>, colour: [u8; 3], tolerance: u8) -> bool {
        p.0.iter()
            .zip(colour)
            .all(|(&a, b)| a.abs_diff(b) <= tolerance)
    }

    fn series(name: &str, k: f64) -> Series {
        Series {
            name: name.into(),
            points: (0..10).map(|i| (i as f64 * 100.0, k * i as f64)).collect(),
        }
    }

    #[test]
    fn tick_labels_are_round_and_agree_on_their_decimals() {
        assert_eq!(tick_decimals((50.0, 3000.0), 10), 0);
        assert_eq!(tick_decimals((0.79, 1.53), 6), 1);
        assert_eq!(tick_decimals((0.0, 0.3), 6), 1);
        assert_eq!(tick_decimals((0.0, 0.25), 6), 2);
        let labels: Vec<String> = [0.8, 1.0, 0.30000000000000004, -0.0, -2.5, 1e-6, 3e9]
            .into_iter()
            .map(|v| tick(v, 1))
            .collect();
        assert_eq!(
            labels,
            ["0.8", "1.0", "0.3", "0.0", "-2.5", "1.0e-6", "3.0e9"]
        );
        assert_eq!(tick(1500.0, 0), "1500");
    }

    #[test]
    fn line_plot_draws_each_series_in_its_colour_and_sets_text() {
        let path = scratch("plot.png");
        let panel = Panel::new(
            "Losses",
            "loss",
            vec![series("loss_d", 1.0), series("loss_g", -1.0)],
        );
        line_plot(&panel, "step", &path).unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (900, 460));
        let has = |c: [u8; 3]| img.pixels().any(|p| near(p, c, 4));
        assert!(has(PALETTE[0]) && has(PALETTE[1]));
        // The title is set in the strip over the plot: many dark pixels there.
        let dark = (0..img.width())
            .flat_map(|x| (0..34).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 128))
            .count();
        assert!(dark > 60, "{dark} dark pixels where the title is");
    }

    /// Stacked panels share the x axis and each draws its own series: the first panel's curve
    /// lies in the top half of the image, the second's in the bottom half.
    #[test]
    fn stacked_plots_draw_one_panel_per_metric() {
        let path = scratch("stacked.png");
        stacked_plots(
            &[
                Panel::new("critic", "w", vec![series("w_distance", 0.1)]),
                Panel::new("FID", "FID", vec![series("fid", 30.0)]),
            ],
            "step",
            &path,
        )
        .unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (900, 600));
        let colour_rows: Vec<u32> = img
            .enumerate_pixels()
            .filter(|(_, _, p)| near(p, PALETTE[0], 4))
            .map(|(_, y, _)| y)
            .collect();
        assert!(colour_rows.iter().any(|&y| y < 300) && colour_rows.iter().any(|&y| y >= 300));
    }

    /// SVG output keeps its text as text: the title, the axis labels and the legend.
    #[test]
    fn svg_output_holds_the_title_axis_labels_and_legend() {
        let path = scratch("plot.svg");
        let runs = [
            ("gan-ring8", "{\"step\":1,\"loss_d\":1.4,\"d_real\":0.5}\n{\"step\":2,\"loss_d\":1.2,\"d_real\":0.6}\n"),
            ("wgan-ring8", "{\"step\":1,\"loss_d\":-0.1}\n{\"step\":2,\"loss_d\":-0.3}\n"),
        ];
        let panels = [
            training_panel(&["loss_d", "loss_g"], &runs),
            training_panel(&["d_real", "d_fake"], &runs),
        ];
        assert_eq!(panels[1].y_range, Some((0.0, 1.0)));
        stacked_plots(&panels, "step", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        for text in [
            "Losses",
            "Discriminator outputs",
            "mean D output",
            "step",
            "gan-ring8 – loss_d",
            "wgan-ring8 – loss_d",
            "gan-ring8 – d_real: D(x)",
        ] {
            assert!(svg.contains(text), "no {text:?} in the SVG");
        }
    }

    /// Real points drawn over generated ones at the same places stay visible: the picture
    /// changes where they are added, and the generated points still show through.
    #[test]
    fn scatter_shows_real_points_over_generated_ones() {
        let ring: Vec<[f32; 2]> = (0..400)
            .map(|i| {
                let a = i as f32 * 0.0157;
                [2.0 * a.cos(), 2.0 * a.sin()]
            })
            .collect();
        let draw = |real: &[[f32; 2]], name: &str| {
            let path = scratch(name);
            scatter(real, &ring, 3.0, "ring: Step 3000", &path).unwrap();
            image::open(&path).unwrap().to_rgb8()
        };
        let (both, fake_only) = (draw(&ring, "both.png"), draw(&[], "fake-only.png"));
        assert_eq!((both.width(), both.height()), (600, 620));
        let changed = both
            .pixels()
            .zip(fake_only.pixels())
            .filter(|(a, b)| !near(a, b.0, 8))
            .count();
        let reddish = both
            .pixels()
            .filter(|p| p[0] > p[1].saturating_add(40) && p[0] > p[2].saturating_add(40))
            .count();
        assert!(
            changed > 500 && reddish > 500,
            "{changed} changed, {reddish} red pixels"
        );
        let svg = scratch("scatter.svg");
        scatter(&ring, &[], 3.0, "ring: Step 3000", &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("ring: Step 3000") && text.contains("real"));
    }
}
