//! The synthetic part of the seed corpus, written by `burn-gan-fuzz seeds`. The rest comes from a
//! real run (`tests/fuzz-corpus/README.md`): its `config.json`, `metrics.jsonl` and checkpoint.

use std::io::Cursor;
use std::path::Path;

use burn_gan::data::idx::{encode, IdxArray};
use image::{DynamicImage, ImageFormat};
use safetensors::{Dtype, View};

fn save(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)
}

fn encoded(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("an image encodes");
    out.into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

struct F32s(Vec<usize>, Vec<u8>, Dtype);
impl View for &F32s {
    fn dtype(&self) -> Dtype {
        self.2
    }
    fn shape(&self) -> &[usize] {
        &self.0
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        (&self.1[..]).into()
    }
    fn data_len(&self) -> usize {
        self.1.len()
    }
}

fn tensor(shape: &[usize], dtype: Dtype) -> F32s {
    let n: usize = shape.iter().product();
    let bytes = (0..n)
        .flat_map(|i| match dtype {
            Dtype::F16 => ((i % 7) as u16 * 0x0400).to_le_bytes().to_vec(),
            _ => (0.25 + (i % 11) as f32 * 0.01).to_le_bytes().to_vec(),
        })
        .collect();
    F32s(shape.to_vec(), bytes, dtype)
}

/// Writes the synthetic seeds under `root` (`tests/fuzz-corpus`).
pub fn write_synthetic(root: &Path) -> std::io::Result<()> {
    // IDX: every seed holds 4 items (the reader pairs it with a valid file of 4).
    let idx = root.join("idx/seeds");
    let images = |h: usize, w: usize| {
        encode(&IdxArray {
            dims: vec![4, h, w],
            data: (0..4 * h * w).map(|i| (i * 37 % 256) as u8).collect(),
        })
    };
    let labels = encode(&IdxArray {
        dims: vec![4],
        data: vec![3, 0, 9, 1],
    });
    save(&idx, "train-images-idx3-ubyte", &images(7, 5))?;
    save(&idx, "t10k-images-idx3-ubyte.gz", &gzip(&images(3, 2)))?;
    save(&idx, "train-labels-idx1-ubyte", &labels)?;
    save(&idx, "t10k-labels-idx1-ubyte.gz", &gzip(&labels))?;

    // Images: PNG in four colour types and two depths, JPEG gray and colour, odd sizes.
    let img = root.join("image/seeds");
    let gray = image::GrayImage::from_fn(8, 8, |x, y| image::Luma([(x * 30 + y * 3) as u8]));
    save(
        &img,
        "gray-8x8.png",
        &encoded(gray.clone().into(), ImageFormat::Png),
    )?;
    let rgba = image::RgbaImage::from_fn(5, 3, |x, y| {
        image::Rgba([x as u8 * 50, y as u8 * 80, 200, (x * 60) as u8])
    });
    save(
        &img,
        "rgba-5x3.png",
        &encoded(rgba.into(), ImageFormat::Png),
    )?;
    let rgb16 = image::ImageBuffer::<image::Rgb<u16>, _>::from_fn(7, 9, |x, y| {
        image::Rgb([x as u16 * 9000, y as u16 * 7000, 1234])
    });
    save(
        &img,
        "rgb16-7x9.png",
        &encoded(rgb16.into(), ImageFormat::Png),
    )?;
    let la = image::GrayAlphaImage::from_fn(3, 3, |x, y| {
        image::LumaA([(x * 80) as u8, (y * 120) as u8])
    });
    save(
        &img,
        "gray-alpha-3x3.png",
        &encoded(la.into(), ImageFormat::Png),
    )?;
    save(
        &img,
        "gray-8x8.jpg",
        &encoded(gray.into(), ImageFormat::Jpeg),
    )?;
    let rgb = image::RgbImage::from_fn(16, 9, |x, y| {
        image::Rgb([(x * 16) as u8, (y * 28) as u8, 77])
    });
    save(
        &img,
        "rgb-16x9.jpg",
        &encoded(rgb.into(), ImageFormat::Jpeg),
    )?;
    let tall = image::RgbImage::from_fn(1, 17, |_, y| image::Rgb([(y * 15) as u8, 0, 255]));
    save(
        &img,
        "rgb-1x17.jpeg",
        &encoded(tall.into(), ImageFormat::Jpeg),
    )?;

    // Inception weights: the first convolution of the real file's layout (its tensors only; the
    // loader then reports the next one missing), a wrong dtype, and an empty header.
    let inc = root.join("inception/seeds");
    let first = [
        ("conv.beta", tensor(&[32], Dtype::F32)),
        ("conv.mean", tensor(&[32], Dtype::F32)),
        ("conv.var", tensor(&[32], Dtype::F32)),
        ("conv.weight", tensor(&[32, 3, 3, 3], Dtype::F32)),
    ];
    let file = safetensors::serialize(first.iter().map(|(n, t)| (*n, t)), None).unwrap();
    save(&inc, "first-conv.safetensors", &file)?;
    let f16 = [("conv.weight", tensor(&[32, 3, 3, 3], Dtype::F16))];
    let file = safetensors::serialize(f16.iter().map(|(n, t)| (*n, t)), None).unwrap();
    save(&inc, "f16-weight.safetensors", &file)?;
    let none: [(&str, &F32s); 0] = [];
    save(
        &inc,
        "empty.safetensors",
        &safetensors::serialize(none, None).unwrap(),
    )?;
    Ok(())
}
