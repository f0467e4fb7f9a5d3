//! Non-local means denoising (Buades, Coll & Morel 2005, "A non-local algorithm for image
//! denoising"), as scikit-image's `denoise_nl_means(fast_mode=True)` computes it (the
//! integral-image algorithm of Darbon et al. 2008 and Froment 2014).
//!
//! Each pixel p becomes the weighted mean of the pixels q of its search window,
//! `u(p) = Σ_q v(q) f(p, q) / Σ_q f(p, q)`, with `f(p, q) = exp(-max(d²(p, q) - 2σ², 0) / h²)`
//! where d² is the mean squared difference of the patches around p and q over the channels
//! (the lecture's formula, with the noise variance subtracted when σ is given). Written here
//! because no maintained Rust crate implements it; it follows scikit-image line for line to match
//! its output, quirks included: a patch of side s covers s - 1 rows and columns in the integral
//! image but is normalised by s², weights below exp(-5) are dropped, the exponential is
//! Schraudolph's fast approximation, and borders are mirrored without repeating the edge
//! (`numpy.pad(mode="reflect")`).

use super::Image;

/// Schraudolph's approximation of `exp(y)` (scikit-image's `_fast_exp`): the bits of a double
/// built from a scaled integer. Within about 4% of `exp` relative.
fn fast_exp(y: f64) -> f64 {
    const EXP_A: f64 = 1_512_775.395_195_185_6;
    const EXP_BC: i32 = 1_072_632_447;
    let high = ((EXP_A * y) as i32).wrapping_add(EXP_BC);
    f64::from_bits((high as u32 as u64) << 32)
}

/// numpy's `reflect` padding: (d c b | a b c d | c b a).
fn mirror(i: i64, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as i64 - 1);
    let i = i.rem_euclid(period);
    (if i >= n as i64 { period - i } else { i }) as usize
}

/// Non-local means of `image` (any number of channels, patches compared over all of them):
/// patches of `patch_size` (made odd), a search window of `±patch_distance` pixels, filtering
/// parameter `h` and noise standard deviation `sigma` (0: none subtracted), all on the image's
/// value scale. scikit-image suggests `h = 0.8 σ` with `sigma = σ` for Gaussian noise of σ.
pub fn nl_means(
    image: &Image,
    patch_size: usize,
    patch_distance: usize,
    h: f64,
    sigma: f64,
) -> Image {
    let [nc, ih, iw] = image.shape;
    let s = patch_size | 1;
    let offset = s / 2;
    let d = patch_distance as i64;
    let pad = offset + patch_distance + 1;
    let (rows, cols) = (ih + 2 * pad, iw + 2 * pad);
    // [rows, cols, nc] as scikit-image holds it.
    let mut padded = vec![0.0f64; rows * cols * nc];
    for r in 0..rows {
        let sr = mirror(r as i64 - pad as i64, ih);
        for c in 0..cols {
            let sc = mirror(c as i64 - pad as i64, iw);
            for ch in 0..nc {
                padded[(r * cols + c) * nc + ch] = image.values[ch * ih * iw + sr * iw + sc] as f64;
            }
        }
    }
    let h2s2 = nc as f64 * h * h * (s * s) as f64;
    let var2 = 2.0 * sigma * sigma;
    let mut weights = vec![0.0f64; rows * cols];
    let mut result = vec![0.0f64; rows * cols * nc];
    let mut integral = vec![0.0f64; rows * cols];
    let (o, rows_i, cols_i) = (offset as i64, rows as i64, cols as i64);
    for t_row in -d..=d {
        for t_col in 0..=d {
            let alpha = if t_col == 0 { 0.5 } else { 1.0 };
            integral.fill(0.0);
            for row in 1.max(-t_row)..rows_i.min(rows_i - t_row) {
                for col in 1..cols_i - t_col {
                    let (a, b) = (
                        (row * cols_i + col) as usize * nc,
                        ((row + t_row) * cols_i + col + t_col) as usize * nc,
                    );
                    let mut dist = -(nc as f64) * var2;
                    for ch in 0..nc {
                        let t = padded[a + ch] - padded[b + ch];
                        dist += t * t;
                    }
                    let at = |r: i64, c: i64| integral[(r * cols_i + c) as usize];
                    let v = dist + at(row - 1, col) + at(row, col - 1) - at(row - 1, col - 1);
                    integral[(row * cols_i + col) as usize] = v;
                }
            }
            let at = |r: i64, c: i64| integral[(r * cols_i + c) as usize];
            for row in o.max(o - t_row)..(rows_i - o).min(rows_i - o - t_row) {
                for col in o..cols_i - o - t_col {
                    let distance = (at(row + o, col + o) + at(row - o, col - o)
                        - at(row - o, col + o)
                        - at(row + o, col - o))
                    .max(0.0)
                        / h2s2;
                    if distance > 5.0 {
                        continue;
                    }
                    let weight = alpha * fast_exp(-distance);
                    let p = (row * cols_i + col) as usize;
                    let q = ((row + t_row) * cols_i + col + t_col) as usize;
                    weights[p] += weight;
                    weights[q] += weight;
                    for ch in 0..nc {
                        result[p * nc + ch] += weight * padded[q * nc + ch];
                        result[q * nc + ch] += weight * padded[p * nc + ch];
                    }
                }
            }
        }
    }
    let mut values = vec![0.0f32; nc * ih * iw];
    for y in 0..ih {
        for x in 0..iw {
            let p = (y + pad) * cols + x + pad;
            for ch in 0..nc {
                values[ch * ih * iw + y * iw + x] = (result[p * nc + ch] / weights[p]) as f32;
            }
        }
    }
    Image::new(values, image.shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_exponential_is_close_to_exp() {
        for y in [0.0, -0.5, -1.0, -2.5, -5.0] {
            let (fast, exact) = (fast_exp(y), f64::exp(y));
            assert!((fast / exact - 1.0).abs() < 0.05, "{y}: {fast} vs {exact}");
        }
    }

    #[test]
    fn mirror_padding_skips_the_edge() {
        let got: Vec<usize> = (-3..7).map(|i| mirror(i, 4)).collect();
        assert_eq!(got, [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    }

    #[test]
    fn a_constant_image_stays_constant_and_noise_shrinks() {
        let flat = Image::new(vec![0.3; 2 * 12 * 12], [2, 12, 12]);
        let out = nl_means(&flat, 5, 4, 0.1, 0.0);
        assert!(out.values.iter().all(|v| (v - 0.3).abs() < 1e-6));
        // A checkerboard of ±0.1 noise around 0.5 is smoothed towards 0.5.
        let noisy: Vec<f32> = (0..144)
            .map(|i| {
                0.5 + if (i / 12 + i % 12) % 2 == 0 {
                    0.1
                } else {
                    -0.1
                }
            })
            .collect();
        let out = nl_means(&Image::new(noisy, [1, 12, 12]), 3, 3, 0.5, 0.0);
        assert!(out.values.iter().all(|v| (v - 0.5).abs() < 0.05));
    }
}
