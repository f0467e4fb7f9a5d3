//! Wiener–Hunt deconvolution with a known point-spread function, as scikit-image's
//! `restoration.wiener(image, psf, balance, clip=False)` computes it: in the frequency domain,
//!
//! ```text
//! X̂ = conj(H) / (|H|² + balance |L|²) · Y
//! ```
//!
//! with H the transfer function of the PSF, L that of the discrete Laplacian (the regulariser,
//! a smoothness prior) and Y the spectrum of the blurred image. The FFT is `rustfft`'s; the
//! convolution this inverts is circular, so a blur computed with mirrored borders leaves some
//! ringing at the image's edges (as it does in scikit-image).

use rustfft::{num_complex::Complex, FftPlanner};

use super::Image;
use crate::{Error, Result};

/// The 2-D DFT of `data` (`[h, w]` row-major) in place, unnormalised; `inverse` for the inverse.
fn fft2(
    data: &mut [Complex<f64>],
    h: usize,
    w: usize,
    inverse: bool,
    planner: &mut FftPlanner<f64>,
) {
    let mut plan = |n| match inverse {
        true => planner.plan_fft_inverse(n),
        false => planner.plan_fft_forward(n),
    };
    plan(w).process(data);
    let mut column = vec![Complex::default(); h];
    let along = plan(h);
    for x in 0..w {
        column
            .iter_mut()
            .enumerate()
            .for_each(|(y, v)| *v = data[y * w + x]);
        along.process(&mut column);
        column
            .iter()
            .enumerate()
            .for_each(|(y, v)| data[y * w + x] = *v);
    }
}

/// The transfer function of a `k x k` impulse response centred on the origin of an `h x w`
/// image (scikit-image's `uft.ir2tf`: padded, rolled by `-k / 2`).
fn transfer(
    impulse: &[f64],
    k: usize,
    h: usize,
    w: usize,
    planner: &mut FftPlanner<f64>,
) -> Vec<Complex<f64>> {
    let mut padded = vec![Complex::default(); h * w];
    let r = k / 2;
    for (i, row) in impulse.chunks(k).enumerate() {
        for (j, v) in row.iter().enumerate() {
            let (y, x) = ((i + h - r) % h, (j + w - r) % w);
            padded[y * w + x].re += v;
        }
    }
    fft2(&mut padded, h, w, false, planner);
    padded
}

/// Wiener deconvolution of every channel of `image` by the `k x k` PSF `psf` (row-major), with
/// regularisation weight `balance`; unclipped.
pub fn wiener(image: &Image, psf: &[f64], k: usize, balance: f64) -> Result<Image> {
    let [_, h, w] = image.shape;
    if psf.len() != k * k || k > h || k > w {
        return Err(Error::Invalid(format!(
            "a Wiener filter needs a {k}x{k} PSF ({} values given) no larger than the {h}x{w} image",
            psf.len()
        )));
    }
    let mut planner = FftPlanner::new();
    let tf = transfer(psf, k, h, w, &mut planner);
    #[rustfmt::skip]
    let laplacian = [0.0, -1.0, 0.0, -1.0, 4.0, -1.0, 0.0, -1.0, 0.0];
    let reg = transfer(&laplacian, 3, h, w, &mut planner);
    let filter: Vec<Complex<f64>> = tf
        .iter()
        .zip(&reg)
        .map(|(t, l)| t.conj() / (t.norm_sqr() + balance * l.norm_sqr()))
        .collect();
    let mut values = Vec::with_capacity(image.values.len());
    for plane in image.values.chunks(h * w) {
        let mut spectrum: Vec<Complex<f64>> =
            plane.iter().map(|&v| Complex::new(v as f64, 0.0)).collect();
        fft2(&mut spectrum, h, w, false, &mut planner);
        spectrum.iter_mut().zip(&filter).for_each(|(s, f)| *s *= f);
        fft2(&mut spectrum, h, w, true, &mut planner);
        values.extend(spectrum.iter().map(|v| (v.re / (h * w) as f64) as f32));
    }
    Ok(Image::new(values, image.shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::degrade::gaussian_psf;

    #[test]
    fn a_delta_psf_without_regularisation_returns_the_image() {
        let values: Vec<f32> = (0..2 * 8 * 6).map(|i| (i % 7) as f32 / 7.0).collect();
        let image = Image::new(values, [2, 8, 6]);
        let mut delta = vec![0.0; 9];
        delta[4] = 1.0;
        let out = wiener(&image, &delta, 3, 0.0).unwrap();
        for (a, b) in out.values.iter().zip(&image.values) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn a_psf_larger_than_the_image_is_an_error() {
        let image = Image::new(vec![0.0; 16], [1, 4, 4]);
        let err = wiener(&image, &gaussian_psf(1.0, 5), 5, 0.1).unwrap_err();
        assert!(
            err.to_string().contains("no larger than the 4x4 image"),
            "{err}"
        );
    }
}
