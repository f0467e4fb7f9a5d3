//! `shapes`: a built-in procedural RGB set whose samples can be checked, as ring8's can.
//!
//! Each 32x32 image is one filled shape (a disc, a square or an upward triangle) of one of six
//! saturated colours, of random size and position, on a white background. The 18 combinations
//! of shape and colour are its modes and its labels (`colour * 3 + shape`). Because the rules are
//! known, a generated image can be scored: [`score`] says whether it is a valid image of the set
//! (one solid shape of a palette colour on white) and which mode it shows, so a run on `shapes`
//! reports the fraction of valid samples and the modes covered, with no data to download and
//! no feature network: an image model's no-data default and a fast test of RGB training.

use rand::{rngs::StdRng, Rng, SeedableRng};

use super::{SampleKind, Samples};

/// The side of the images.
pub const SIDE: usize = 32;
/// The shapes, in label order.
pub const SHAPES: [&str; 3] = ["disc", "square", "triangle"];
/// The colours, in label order, as RGB in `[0, 1]`.
pub const COLOURS: [(&str, [f32; 3]); 6] = [
    ("red", [0.9, 0.1, 0.1]),
    ("green", [0.1, 0.7, 0.2]),
    ("blue", [0.1, 0.2, 0.9]),
    ("yellow", [0.95, 0.8, 0.1]),
    ("magenta", [0.8, 0.1, 0.8]),
    ("cyan", [0.1, 0.8, 0.85]),
];
/// The number of modes (and classes): every shape in every colour.
pub const MODES: usize = SHAPES.len() * COLOURS.len();
/// The number of images `--data shapes` holds.
pub const DEFAULT_LEN: usize = 10_000;

/// Whether pixel centre `(x, y)` lies in `shape` centred at `(cx, cy)` with half-size `r`.
fn inside(shape: usize, x: f32, y: f32, cx: f32, cy: f32, r: f32) -> bool {
    let (dx, dy) = (x - cx, y - cy);
    match shape {
        0 => dx * dx + dy * dy <= r * r,
        1 => dx.abs() <= r && dy.abs() <= r,
        // Apex at the top (cy - r), base at cy + r, as wide as it is tall.
        _ => dy.abs() <= r && dx.abs() <= (dy + r) / 2.0,
    }
}

/// `n` images drawn from `seed`, `[n, 3, 32, 32]` in `[-1, 1]`, labelled `colour * 3 + shape`.
pub fn samples(n: usize, seed: u64) -> Samples {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7368_6170_6573);
    let plane = SIDE * SIDE;
    let mut values = Vec::with_capacity(n * 3 * plane);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let shape = rng.random_range(0..SHAPES.len());
        let colour = rng.random_range(0..COLOURS.len());
        let r = rng.random_range(5.0f32..11.0);
        let (lo, hi) = (r + 1.0, SIDE as f32 - r - 1.0);
        let (cx, cy) = (rng.random_range(lo..hi), rng.random_range(lo..hi));
        let rgb = COLOURS[colour].1;
        for c in 0..3 {
            for i in 0..plane {
                let (x, y) = ((i % SIDE) as f32 + 0.5, (i / SIDE) as f32 + 0.5);
                let v = match inside(shape, x, y, cx, cy, r) {
                    true => rgb[c],
                    false => 1.0,
                };
                values.push(v * 2.0 - 1.0);
            }
        }
        labels.push(colour * SHAPES.len() + shape);
    }
    Samples {
        values,
        shape: [3, SIDE, SIDE],
        labels: Some(labels),
        num_classes: Some(MODES),
        kind: SampleKind::Image,
        source: "shapes".into(),
        paired: None,
    }
}

/// The mode (`colour * 3 + shape`) a 3x32x32 image in `[-1, 1]` shows, or `None` when it is not
/// a valid image of the set: a white background (every channel above 0.75 in `[0, 1]`) around
/// 40 to 600 foreground pixels, at least 85% of them within 0.3 (RGB distance) of one palette
/// colour, whose bounding box is about square (aspect 0.8 to 1.25) and filled like one shape:
/// above 0.95 a square, 0.63 to 0.95 a disc (pi/4), 0.40 to 0.62 a triangle (1/2).
pub fn classify(image: &[f32]) -> Option<usize> {
    let plane = SIDE * SIDE;
    assert_eq!(image.len(), 3 * plane, "one 3x32x32 image");
    let px = |c: usize, i: usize| (image[c * plane + i] + 1.0) / 2.0;
    let mut votes = [0usize; COLOURS.len()];
    let mut close = [0usize; COLOURS.len()];
    let (mut count, mut x0, mut x1, mut y0, mut y1) = (0usize, SIDE, 0, SIDE, 0);
    for i in 0..plane {
        let rgb = [px(0, i), px(1, i), px(2, i)];
        if rgb.iter().all(|&v| v > 0.75) {
            continue;
        }
        count += 1;
        let (x, y) = (i % SIDE, i / SIDE);
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        let dist = |k: usize| {
            COLOURS[k]
                .1
                .iter()
                .zip(rgb)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
        };
        let nearest = (0..COLOURS.len())
            .min_by(|&a, &b| dist(a).total_cmp(&dist(b)))
            .expect("a palette");
        votes[nearest] += 1;
        if dist(nearest) < 0.3 * 0.3 {
            close[nearest] += 1;
        }
    }
    if !(40..=600).contains(&count) {
        return None;
    }
    let colour = (0..COLOURS.len()).max_by_key(|&k| votes[k])?;
    if (close[colour] as f32) < 0.85 * count as f32 {
        return None;
    }
    let (w, h) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
    let fill = count as f32 / (w * h);
    if !(0.8..=1.25).contains(&(w / h)) {
        return None;
    }
    // Rasterised discs of radius 5 to 11 fill 0.67 to 0.90 of their box, triangles 0.50 to 0.60.
    let shape = match fill {
        f if f > 0.95 => 1,
        f if (0.63..=0.95).contains(&f) => 0,
        f if (0.40..=0.62).contains(&f) => 2,
        _ => return None,
    };
    Some(colour * SHAPES.len() + shape)
}

/// How well a set of generated images matches the set.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapesScore {
    /// The fraction of images that are valid images of the set.
    pub valid: f64,
    /// Valid images per mode (`colour * 3 + shape`).
    pub per_mode: Vec<usize>,
    /// Modes with at least a twentieth of their fair share of the images (at least one).
    pub modes_covered: usize,
}

/// Scores `[n, 3, 32, 32]` images in `[-1, 1]` (see [`classify`]).
pub fn score(values: &[f32]) -> ShapesScore {
    let per = 3 * SIDE * SIDE;
    let n = values.len() / per;
    let mut per_mode = vec![0; MODES];
    for image in values.chunks_exact(per) {
        if let Some(mode) = classify(image) {
            per_mode[mode] += 1;
        }
    }
    let min = (n / MODES / 20).max(1);
    ShapesScore {
        valid: per_mode.iter().sum::<usize>() as f64 / n.max(1) as f64,
        modes_covered: per_mode.iter().filter(|&&c| c >= min).count(),
        per_mode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_drawn_image_is_valid_and_shows_its_label() {
        let s = samples(2000, 3);
        assert_eq!((s.len(), s.shape), (2000, [3, 32, 32]));
        let labels = s.labels.as_ref().unwrap();
        for i in 0..s.len() {
            assert_eq!(classify(s.sample(i)), Some(labels[i]), "image {i}");
        }
        let report = score(&s.values);
        assert_eq!(report.valid, 1.0);
        assert_eq!(report.modes_covered, MODES);
        // Deterministic from the seed.
        assert_eq!(samples(3, 3).values, samples(3, 3).values);
        assert_ne!(samples(3, 3).values, samples(3, 4).values);
    }

    #[test]
    fn noise_blank_and_blurred_images_are_not_valid() {
        let mut rng = StdRng::seed_from_u64(1);
        let noise: Vec<f32> = (0..3 * 32 * 32)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        assert_eq!(classify(&noise), None);
        assert_eq!(classify(&vec![1.0; 3 * 32 * 32]), None);
        // A shape washed towards gray: its colour is no longer a palette colour.
        let s = samples(1, 9);
        let washed: Vec<f32> = s.values.iter().map(|v| v * 0.4).collect();
        assert_eq!(classify(&washed), None);
        // Collapse to one image: one mode of 18.
        let one = samples(40, 5);
        let label0 = one.labels.as_ref().unwrap()[0];
        let same: Vec<f32> = (0..40).flat_map(|_| one.sample(0).to_vec()).collect();
        let report = score(&same);
        assert_eq!(report.modes_covered, 1);
        assert_eq!(report.per_mode[label0], 40);
    }
}
