//! The classical baselines of every restoration task, scored on held-out images: the baselines'
//! half of the image-to-image results table (book chapter "Image-to-image"), and its image strips.
//!
//! ```text
//! cargo run --release --example restoration_baselines -- [SHARED_DATA] [IMAGES_OUT]
//! ```
//!
//! SHARED_DATA (default `../shared/data`) holds `fashion-mnist/` and `photos/`; the strips are
//! written to IMAGES_OUT (default `book/src/images`). Prints one Markdown table.
use std::path::PathBuf;

use burn_gan::data::tiles::{self, TileSplit};
use burn_gan::data::{idx, Samples};
use burn_gan::metrics::image_quality::gradient_energy;
use burn_gan::restore::baselines::Wiener;
use burn_gan::restore::degrade::upsample_nearest;
use burn_gan::restore::{baselines, evaluate, held_out, paired};
use burn_gan::restore::{DegradationConfig, Image, Task};
use burn_gan::viz::image_grid;

/// Test images of Fashion-MNIST scored (the t10k file is never trained on).
const FASHION_TEST: usize = 500;
const SEED: u64 = 2026;

fn main() -> burn_gan::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shared = PathBuf::from(args.first().map_or("../shared/data", |s| s.as_str()));
    let out = PathBuf::from(args.get(1).map_or("book/src/images", |s| s.as_str()));
    let config = DegradationConfig::new();

    let train =
        idx::load_images_with_labels(&shared.join("fashion-mnist/train-images-idx3-ubyte.gz"))?;
    tune_wiener(&train.take(200), &config)?;

    let fashion =
        idx::load_images_with_labels(&shared.join("fashion-mnist/t10k-images-idx3-ubyte.gz"))?;
    // The held-out tiles of `--data tiles:DIR:test`: the trained rows are scored on the same.
    let photos = tiles::load(&shared.join("photos"), TileSplit::Test, 0, 3)?;
    println!("| data | task | method | PSNR (dB) | SSIM | sharpness |");
    println!("| --- | --- | --- | ---: | ---: | ---: |");
    for (name, data, strip) in [
        (
            format!("Fashion-MNIST test, {FASHION_TEST}"),
            &fashion,
            "restoration-fashion.png",
        ),
        (
            format!("photo tiles 128x128, {}", photos.len()),
            &photos,
            "restoration-photos.png",
        ),
    ] {
        let mut cells = Vec::new();
        // The strip shows the first Fashion-MNIST test image and the most detailed photo tile
        // (the largest gradient energy: the first tile is a smooth corner of the astronaut).
        let shown = match data.shape[1] < 64 {
            true => 0,
            false => (0..data.len())
                .max_by(|&a, &b| energy(data, a).total_cmp(&energy(data, b)))
                .unwrap_or(0),
        };
        for task in Task::ALL {
            let pairs = paired(data, task, &config, SEED)?;
            let (_, test) = held_out(&pairs, 0..FASHION_TEST.min(pairs.len()))?;
            for b in baselines(task, &config, data.shape[0]) {
                let s = evaluate(b.as_ref(), &test)?;
                println!(
                    "| {name} | {task} | {} | {:.2} | {:.4} | {:.2} |",
                    b.name(),
                    s.psnr,
                    s.ssim,
                    s.sharpness
                );
            }
            cells.extend(strip_row(&test, shown, task, &config)?);
        }
        let [c, h, w] = data.shape;
        let zoom = if h < 64 { 3 } else { 1 };
        image_grid(&cells, [c, h * zoom, w * zoom], 4, &out.join(strip))?;
    }
    Ok(())
}

/// Prints the PSNR of the Wiener filter at several balances on training images (how
/// `WIENER_BALANCE` was chosen).
fn tune_wiener(train: &Samples, config: &DegradationConfig) -> burn_gan::Result<()> {
    let pairs = paired(train, Task::Deblur, config, SEED)?;
    let mut line = String::from("wiener balance on 200 training images (PSNR):");
    for balance in [0.001, 0.003, 0.01, 0.03, 0.1] {
        let w = Wiener {
            psf: config.blur_kernel(),
            size: config.blur_size,
            balance,
        };
        line += &format!(" {balance}: {:.2}", evaluate(&w, &pairs)?.psnr);
    }
    eprintln!("{line}");
    Ok(())
}

fn energy(data: &Samples, i: usize) -> f64 {
    gradient_energy(data.sample(i), data.shape)
}

/// One row of the strip for test pair `index`: the input (shown at full size), each baseline
/// other than the input itself, blanks, and the ground truth; 4 cells, `[-1, 1]`, zoomed 3 times
/// for 28x28 images.
fn strip_row(
    test: &Samples,
    index: usize,
    task: Task,
    config: &DegradationConfig,
) -> burn_gan::Result<Vec<f32>> {
    let [c, h, _] = test.shape;
    let zoom = if h < 64 { 3 } else { 1 };
    let input = test.paired.as_ref().expect("paired");
    let input = Image::from_sample(input.sample(index), input.shape);
    let shown = upsample_nearest(&input.channels(c), task.factor());
    let mut cells = vec![shown];
    for b in baselines(task, config, c) {
        if b.name() != "input" {
            cells.push(b.restore(&input)?);
        }
    }
    while cells.len() < 3 {
        cells.push(Image::new(vec![0.0; test.sample_len()], test.shape));
    }
    cells.push(Image::from_sample(test.sample(index), test.shape));
    Ok(cells
        .iter()
        .flat_map(|cell| upsample_nearest(cell, zoom).to_sample())
        .collect())
}
