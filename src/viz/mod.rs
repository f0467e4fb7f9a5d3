//! Pictures of a run: line plots of training curves (panels stacked over one step axis, several
//! runs overlaid), scatter plots of 2-D samples, and image grids.
//!
//! Plots are drawn with `plotters`, as PNG or SVG by the output's extension. Their text is set in
//! DejaVu Sans, embedded from `src/viz/font` (licence there), so a plot looks the same on a
//! machine without fonts. PNGs are drawn at twice their size and scaled down: plotters smooths
//! only 1-pixel lines, and this anti-aliases the thicker lines and dots as well. Image grids are
//! plain pixel copies, which a plotting library has nothing to add to.

mod chart;

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Error, Result};

pub use chart::{line_plot, scatter, stacked_plots, training_panel, Panel, Series};

/// Colours of plotted series, in order (Tableau 10).
pub const PALETTE: [[u8; 3]; 6] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
];

/// How much larger than the output a PNG is drawn before it is scaled down.
const SUPERSAMPLE: u32 = 2;

/// The font family every text of a plot is set in (registered by [`register_font`]).
const FONT: &str = "sans-serif";

/// Writes `n` images (values in `[-1, 1]`, `[n, c, h, w]` with `c` = 1 or 3) as a grid with
/// `cols` columns and a 2-pixel gap, in the format of `path`'s extension (PNG, JPEG).
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
    let (width, height) = (cols * (w + pad) + pad, rows * (h + pad) + pad);
    let mut grid = image::RgbImage::from_pixel(width as u32, height as u32, image::Rgb([40; 3]));
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
                grid.put_pixel((x0 + x) as u32, (y0 + y) as u32, image::Rgb(rgb));
            }
        }
    }
    create_parent(path)?;
    grid.save(path)
        .map_err(|e| Error::format(path, format!("cannot write the image ({e})")))
}

/// Something [`save`] can draw on either backend.
trait Figure {
    /// Width and height of the output in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the figure on `root`, whose lengths are `k` times the output's (fonts, lines and
    /// margins scale by `k`).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, k: u32) -> Drawn<DB>;
}

/// The result of drawing on backend `DB`.
type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The output formats of a plot.
enum Format {
    Png,
    Svg,
}

/// The format `path`'s extension names.
fn format_of(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        other => Err(Error::Invalid(format!(
            "{}: cannot write a plot as {}; name the file .png or .svg",
            path.display(),
            other.map_or("a file without an extension".into(), |e| format!(".{e}"))
        ))),
    }
}

/// Draws `figure` to `path` as PNG or SVG (by its extension), creating the folder if needed.
fn save(figure: &impl Figure, path: &Path) -> Result<()> {
    let format = format_of(path)?;
    register_font();
    create_parent(path)?;
    let failed = |e: String| Error::format(path, format!("cannot draw the plot ({e})"));
    let (w, h) = figure.size();
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
                figure.draw(&root, 1).map_err(|e| failed(e.to_string()))?;
                root.present().map_err(|e| failed(e.to_string()))?;
            }
            std::fs::write(path, text).map_err(|e| Error::io(path, e))
        }
        Format::Png => {
            let (big_w, big_h) = (w * SUPERSAMPLE, h * SUPERSAMPLE);
            let mut pixels = vec![255u8; (big_w * big_h * 3) as usize];
            {
                let root =
                    BitMapBackend::with_buffer(&mut pixels, (big_w, big_h)).into_drawing_area();
                figure
                    .draw(&root, SUPERSAMPLE)
                    .map_err(|e| failed(e.to_string()))?;
                root.present().map_err(|e| failed(e.to_string()))?;
            }
            let big = image::RgbImage::from_raw(big_w, big_h, pixels)
                .expect("the buffer holds the whole bitmap");
            image::imageops::resize(&big, w, h, image::imageops::FilterType::Triangle)
                .save_with_format(path, image::ImageFormat::Png)
                .map_err(|e| Error::format(path, format!("cannot write the PNG ({e})")))
        }
    }
}

/// Registers the embedded font as [`FONT`] with plotters (once per process).
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let bytes = include_bytes!("font/DejaVuSans.ttf");
        if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_err() {
            panic!("the embedded DejaVu Sans is not a font plotters can read");
        }
    });
}

/// Creates the folder `path` goes in.
fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))
        }
        _ => Ok(()),
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
    fn a_plot_named_other_than_png_or_svg_is_refused() {
        let err = format_of(Path::new("runs/plot.gif")).err().unwrap();
        assert!(err.to_string().contains(".gif") && err.to_string().contains(".svg"));
        assert!(format_of(Path::new("runs/PLOT.SVG")).is_ok());
    }
}
