//! A tiny RGB raster with lines, dots and a 3x5 pixel font.

use std::path::Path;

use crate::{Error, Result};

/// An RGB image being drawn.
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

/// 3x5 glyphs, one row per entry, bit 2 = left column.
fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c.to_ascii_lowercase() {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '.' => [0, 0, 0, 0, 2],
        ',' => [0, 0, 0, 2, 4],
        '-' => [0, 0, 7, 0, 0],
        '+' => [0, 2, 7, 2, 0],
        '_' => [0, 0, 0, 0, 7],
        '(' => [2, 4, 4, 4, 2],
        ')' => [2, 1, 1, 1, 2],
        ':' => [0, 2, 0, 2, 0],
        '/' => [1, 1, 2, 4, 4],
        '=' => [0, 7, 0, 7, 0],
        '%' => [5, 1, 2, 4, 5],
        'a' => [0, 3, 5, 5, 3],
        'b' => [4, 6, 5, 5, 6],
        'c' => [0, 3, 4, 4, 3],
        'd' => [1, 3, 5, 5, 3],
        'e' => [2, 5, 7, 4, 3],
        'f' => [3, 4, 6, 4, 4],
        'g' => [3, 4, 5, 5, 3],
        'h' => [4, 6, 5, 5, 5],
        'i' => [2, 0, 2, 2, 2],
        'j' => [1, 0, 1, 5, 2],
        'k' => [4, 5, 6, 5, 5],
        'l' => [6, 2, 2, 2, 7],
        'm' => [0, 7, 7, 5, 5],
        'n' => [0, 6, 5, 5, 5],
        'o' => [0, 2, 5, 5, 2],
        'p' => [0, 6, 5, 6, 4],
        'q' => [0, 3, 5, 3, 1],
        'r' => [0, 3, 4, 4, 4],
        's' => [0, 3, 6, 1, 6],
        't' => [2, 7, 2, 2, 3],
        'u' => [0, 5, 5, 5, 3],
        'v' => [0, 5, 5, 5, 2],
        'w' => [0, 5, 5, 7, 7],
        'x' => [0, 5, 2, 5, 5],
        'y' => [5, 5, 3, 1, 6],
        'z' => [0, 7, 2, 4, 7],
        _ => return None,
    })
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: [u8; 3]) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&background);
        }
        Self {
            width,
            height,
            pixels,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Sets one pixel (ignored outside the canvas).
    pub fn set(&mut self, x: usize, y: usize, rgb: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = (y * self.width + x) * 3;
            self.pixels[i..i + 3].copy_from_slice(&rgb);
        }
    }

    /// A horizontal line from `x0` to `x1` at `y`.
    pub fn hline(&mut self, x0: usize, x1: usize, y: usize, rgb: [u8; 3]) {
        (x0..=x1).for_each(|x| self.set(x, y, rgb));
    }

    /// A vertical line from `y0` to `y1` at `x`.
    pub fn vline(&mut self, x: usize, y0: usize, y1: usize, rgb: [u8; 3]) {
        (y0..=y1).for_each(|y| self.set(x, y, rgb));
    }

    /// The outline of a rectangle.
    pub fn rect_outline(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, rgb: [u8; 3]) {
        self.hline(x0, x1, y0, rgb);
        self.hline(x0, x1, y1, rgb);
        self.vline(x0, y0, y1, rgb);
        self.vline(x1, y0, y1, rgb);
    }

    /// A filled rectangle.
    pub fn fill_rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, rgb: [u8; 3]) {
        (y0..=y1).for_each(|y| self.hline(x0, x1, y, rgb));
    }

    /// A filled square of half-width `r` centred on `(x, y)`.
    pub fn dot(&mut self, x: usize, y: usize, r: usize, rgb: [u8; 3]) {
        self.fill_rect(x.saturating_sub(r), y.saturating_sub(r), x + r, y + r, rgb);
    }

    /// A straight line between two points (DDA).
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), rgb: [u8; 3]) {
        let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if x >= 0.0 && y >= 0.0 {
                self.set(x.round() as usize, y.round() as usize, rgb);
                self.set(x.round() as usize, y.round() as usize + 1, rgb);
            }
        }
    }

    /// Text in the 3x5 font, each font pixel drawn as `scale x scale` pixels.
    pub fn text(&mut self, x: usize, y: usize, text: &str, rgb: [u8; 3], scale: usize) {
        for (k, c) in text.chars().enumerate() {
            let Some(rows) = glyph(c) else { continue };
            let gx = x + k * 4 * scale;
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3 {
                    if bits & (4 >> col) != 0 {
                        let (px, py) = (gx + col * scale, y + r * scale);
                        self.fill_rect(px, py, px + scale - 1, py + scale - 1, rgb);
                    }
                }
            }
        }
    }

    /// Writes the canvas as PNG, creating the folder if needed.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        image::RgbImage::from_raw(self.width as u32, self.height as u32, self.pixels.clone())
            .expect("the buffer matches the canvas size")
            .save(path)
            .map_err(|e| Error::format(path, format!("cannot write the PNG ({e})")))
    }
}
