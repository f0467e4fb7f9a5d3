//! Pictures of a run, written as PNG without any plotting dependency: image grids, scatter plots
//! of 2-D samples, and line plots of training curves with labelled axes.

mod canvas;

use std::path::Path;

pub use canvas::Canvas;

use crate::{Error, Result};

/// Colours of plotted series, in order (Tableau 10).
pub const PALETTE: [[u8; 3]; 6] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
];

/// Writes `n` images (values in `[-1, 1]`, `[n, c, h, w]` with `c` = 1 or 3) as a grid with
/// `cols` columns and a 2-pixel gap.
pub fn image_grid(values: &[f32], shape: [usize; 3], cols: usize, path: &Path) -> Result<()> {
    let [c, h, w] = shape;
    if c != 1 && c != 3 {
        return Err(Error::Invalid(format!(
            "cannot draw images with {c} channels; an image grid needs 1 or 3"
        )));
    }
    let n = values.len() / (c * h * w);
    let cols = cols.clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let pad = 2;
    let mut canvas = Canvas::new(cols * (w + pad) + pad, rows * (h + pad) + pad, [40, 40, 40]);
    for i in 0..n {
        let (x0, y0) = (pad + (i % cols) * (w + pad), pad + (i / cols) * (h + pad));
        let img = &values[i * c * h * w..(i + 1) * c * h * w];
        for y in 0..h {
            for x in 0..w {
                let px = |ch: usize| {
                    let v = img[ch * h * w + y * w + x];
                    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
                };
                let rgb = if c == 1 {
                    [px(0); 3]
                } else {
                    [px(0), px(1), px(2)]
                };
                canvas.set(x0 + x, y0 + y, rgb);
            }
        }
    }
    canvas.save(path)
}

/// Writes a scatter plot of real (grey) and generated (red) 2-D points over `[-extent, extent]^2`.
pub fn scatter(
    real: &[[f32; 2]],
    fake: &[[f32; 2]],
    extent: f32,
    title: &str,
    path: &Path,
) -> Result<()> {
    let size = 560;
    let margin = 30;
    let mut canvas = Canvas::new(size, size + 20, [255, 255, 255]);
    let plot = (size - 2 * margin) as f32;
    let to_px = |p: &[f32; 2]| {
        let x = margin as f32 + (p[0] + extent) / (2.0 * extent) * plot;
        let y = (margin + 20) as f32 + (extent - p[1]) / (2.0 * extent) * plot;
        (x, y)
    };
    canvas.rect_outline(
        margin,
        margin + 20,
        size - margin,
        size - margin + 20,
        [0, 0, 0],
    );
    let (ox, oy) = to_px(&[0.0, 0.0]);
    canvas.hline(margin, size - margin, oy as usize, [220, 220, 220]);
    canvas.vline(
        ox as usize,
        margin + 20,
        size - margin + 20,
        [220, 220, 220],
    );
    for (points, colour, r) in [(real, [150, 150, 150], 1), (fake, PALETTE[3], 1)] {
        for p in points {
            let (x, y) = to_px(p);
            if x >= 0.0 && y >= 0.0 {
                canvas.dot(x as usize, y as usize, r, colour);
            }
        }
    }
    canvas.text(margin, 6, title, [0, 0, 0], 2);
    canvas.text(
        margin + 4,
        size - margin + 4,
        &format!("{:.1}", -extent),
        [0, 0, 0],
        1,
    );
    canvas.text(
        size - margin - 20,
        size - margin + 4,
        &format!("{extent:.1}"),
        [0, 0, 0],
        1,
    );
    canvas.save(path)
}

/// One curve of a [`line_plot`].
pub struct Series<'a> {
    /// Its legend label.
    pub name: &'a str,
    /// `(x, y)` points in x order.
    pub points: Vec<(f64, f64)>,
}

/// Writes a line plot of several series with axes, tick labels and a legend.
pub fn line_plot(series: &[Series], x_label: &str, title: &str, path: &Path) -> Result<()> {
    let (w, h) = (900usize, 460usize);
    let mut canvas = Canvas::new(w, h, [255, 255, 255]);
    let x_range = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    draw_panel(&mut canvas, 0, h, series, x_range, x_label, title);
    canvas.save(path)
}

/// Writes panels stacked vertically over one shared x axis (e.g. a critic's estimate above
/// FID, both over training steps): each `(title, series)` gets its own y axis.
pub fn stacked_plots(panels: &[(&str, Vec<Series>)], x_label: &str, path: &Path) -> Result<()> {
    let (w, h) = (900usize, 300usize);
    let mut canvas = Canvas::new(w, h * panels.len().max(1), [255, 255, 255]);
    let x_range = range(
        panels
            .iter()
            .flat_map(|(_, series)| series.iter().flat_map(|s| s.points.iter().map(|p| p.0))),
    );
    for (k, (title, series)) in panels.iter().enumerate() {
        draw_panel(&mut canvas, k * h, h, series, x_range, x_label, title);
    }
    canvas.save(path)
}

/// The finite minimum and maximum of `values`, widened when empty or flat.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    (lo, hi)
}

/// One plot with axes, tick labels, legend and title in rows `y_off..y_off + h` of `canvas`.
fn draw_panel(
    canvas: &mut Canvas,
    y_off: usize,
    h: usize,
    series: &[Series],
    (x0, x1): (f64, f64),
    x_label: &str,
    title: &str,
) {
    let w = canvas.width();
    let (left, right, top, bottom) = (70usize, 170usize, y_off + 36, 44usize);
    let bottom_y = y_off + h - bottom;
    let (y0, y1) = range(
        series
            .iter()
            .flat_map(|s| s.points.iter().filter(|p| p.0.is_finite()).map(|p| p.1)),
    );
    let pad = (y1 - y0) * 0.05;
    let (y0, y1) = (y0 - pad, y1 + pad);
    let (pw, ph) = ((w - left - right) as f64, (bottom_y - top) as f64);
    let px = |x: f64| left as f64 + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| top as f64 + (y1 - y) / (y1 - y0) * ph;
    for i in 0..=4 {
        let t = i as f64 / 4.0;
        let (yv, xv) = (y0 + t * (y1 - y0), x0 + t * (x1 - x0));
        let (yy, xx) = (py(yv) as usize, px(xv) as usize);
        canvas.hline(left, w - right, yy, [235, 235, 235]);
        canvas.text(4, yy.saturating_sub(5), &short(yv), [0, 0, 0], 2);
        canvas.text(
            xx.saturating_sub(12),
            bottom_y + 8,
            &short(xv),
            [0, 0, 0],
            2,
        );
    }
    canvas.rect_outline(left, top, w - right, bottom_y, [0, 0, 0]);
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| (px(x), py(y)))
            .collect();
        for pair in pts.windows(2) {
            canvas.line(pair[0], pair[1], colour);
        }
        let ly = top + 10 + k * 22;
        canvas.fill_rect(w - right + 12, ly, w - right + 30, ly + 10, colour);
        canvas.text(w - right + 36, ly, s.name, [0, 0, 0], 2);
    }
    canvas.text(left, y_off + 10, title, [0, 0, 0], 2);
    canvas.text(
        left + (w - left - right) / 2 - 20,
        y_off + h - 18,
        x_label,
        [0, 0, 0],
        2,
    );
}

fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_grid_has_the_expected_size() {
        let dir = std::env::temp_dir().join(format!("burn-gan-viz-{}", std::process::id()));
        let path = dir.join("grid.png");
        image_grid(&vec![0.0; 5 * 3 * 4 * 4], [3, 4, 4], 3, &path).unwrap();
        let img = image::open(&path).unwrap();
        assert_eq!((img.width(), img.height()), (3 * 6 + 2, 2 * 6 + 2));
    }

    #[test]
    fn line_plot_draws_each_series_in_its_colour() {
        let dir = std::env::temp_dir().join(format!("burn-gan-viz-{}", std::process::id()));
        let path = dir.join("plot.png");
        let s = |name, k: f64| Series {
            name,
            points: (0..10).map(|i| (i as f64, k * i as f64)).collect(),
        };
        line_plot(
            &[s("loss_d", 1.0), s("loss_g", -1.0)],
            "step",
            "losses",
            &path,
        )
        .unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        let has = |c: [u8; 3]| img.pixels().any(|p| p.0 == c);
        assert!(has(PALETTE[0]) && has(PALETTE[1]));
    }

    /// Stacked panels share the x axis and each draws its own series: the first panel's curve
    /// lies in the top half of the image, the second's in the bottom half.
    #[test]
    fn stacked_plots_draw_one_panel_per_metric() {
        let dir = std::env::temp_dir().join(format!("burn-gan-viz-{}", std::process::id()));
        let path = dir.join("stacked.png");
        let s = |name, k: f64| Series {
            name,
            points: (0..10).map(|i| (i as f64 * 100.0, k * i as f64)).collect(),
        };
        stacked_plots(
            &[
                ("critic", vec![s("w_distance", 0.1)]),
                ("fid", vec![s("fid", 30.0)]),
            ],
            "step",
            &path,
        )
        .unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (900, 600));
        let colour_rows: Vec<u32> = img
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0 == PALETTE[0])
            .map(|(_, y, _)| y)
            .collect();
        assert!(colour_rows.iter().any(|&y| y < 300) && colour_rows.iter().any(|&y| y >= 300));
    }
}
