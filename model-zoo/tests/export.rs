//! `burn-gan sample --outdir`: exported PNGs and npz read back equal the generated images, which
//! are the ones `eval --fake RUN` scores; grids take `--scale`; bad exports get one error line.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("burn-gan-export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn burn_gan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burn-gan"))
        .args(args)
        .output()
        .expect("the burn-gan binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = burn_gan(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn error_line(args: &[&str]) -> String {
    let out = burn_gan(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} succeeded");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?} printed:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    lines[0].to_string()
}

fn write_idx(path: &Path, dims: &[u32], data: &[u8]) {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The arrays of an npz: name -> (descr, shape, data bytes).
fn read_npz(path: &Path) -> Vec<(String, String, Vec<usize>, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut arrays = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "{name}");
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + len) % 64, 0, "{name}: header not 64-byte aligned");
        let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
        let field = |key: &str| {
            let start = header.find(key).unwrap() + key.len();
            header[start..].to_string()
        };
        let descr = field("'descr': '").split('\'').next().unwrap().to_string();
        let shape_text = field("'shape': (");
        let shape = shape_text
            .split(')')
            .next()
            .unwrap()
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().unwrap())
            .collect();
        assert!(header.contains("'fortran_order': False"));
        arrays.push((name, descr, shape, bytes[10 + len..].to_vec()));
    }
    arrays
}

/// A labelled 28x28 set of 32 images in 4 classes.
fn labelled_set(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let pixels: Vec<u8> = (0..32 * 28 * 28).map(|i| ((i * 13) % 256) as u8).collect();
    write_idx(
        &data.join("train-images-idx3-ubyte"),
        &[32, 28, 28],
        &pixels,
    );
    let labels: Vec<u8> = (0..32).map(|i| (i % 4) as u8).collect();
    write_idx(&data.join("train-labels-idx1-ubyte"), &[32], &labels);
    data
}

fn train(model: &str, data: &Path, run: &Path) {
    ok(&[
        "train",
        model,
        "--data",
        p(data),
        "--steps",
        "2",
        "--batch",
        "8",
        "--out",
        p(run),
    ]);
}

#[test]
fn exported_samples_read_back_equal_and_eval_scores_them_as_the_run() {
    let dir = scratch("roundtrip");
    let data = labelled_set(&dir);
    let run = dir.join("cgan");
    train("cgan", &data, &run);

    // 7 PNGs and one npz of the same 7 samples.
    let pngs = dir.join("pngs");
    let said = ok(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "7",
        "--seed",
        "3",
        "--outdir",
        p(&pngs),
    ]);
    assert!(said.contains("7 samples"), "{said}");
    let mut names: Vec<String> = std::fs::read_dir(&pngs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected: Vec<String> = (0..7).map(|i| format!("seed3-{i:06}.png")).collect();
    assert_eq!(names, expected);
    let npz_dir = dir.join("npz");
    ok(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "7",
        "--seed",
        "3",
        "--outdir",
        p(&npz_dir),
        "--format",
        "npz",
    ]);
    let arrays = read_npz(&npz_dir.join("samples-seed3.npz"));
    assert_eq!(arrays.len(), 2, "arr_0 and arr_1 (labels)");
    let (name, descr, shape, images) = &arrays[0];
    assert_eq!((name.as_str(), descr.as_str()), ("arr_0.npy", "|u1"));
    assert_eq!(shape, &vec![7, 28, 28, 1]);
    for (i, file) in expected.iter().enumerate() {
        let img = image::open(pngs.join(file)).unwrap();
        assert_eq!(img.color(), image::ColorType::L8, "gray stays one channel");
        assert_eq!((img.width(), img.height()), (28, 28), "unpadded");
        assert_eq!(
            img.to_luma8().as_raw().as_slice(),
            &images[i * 784..(i + 1) * 784],
            "PNG {file} and npz image {i} differ"
        );
    }
    let (name, descr, shape, labels) = &arrays[1];
    assert_eq!((name.as_str(), descr.as_str()), ("arr_1.npy", "<i8"));
    assert_eq!(shape, &vec![7]);
    let labels: Vec<i64> = labels
        .chunks(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(labels, vec![0, 1, 2, 3, 0, 1, 2, 3][..7].to_vec());

    // The grid shows the same images (one class per column, 2-pixel gaps), and --scale 2
    // doubles every pixel.
    let grid = dir.join("grid.png");
    ok(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "7",
        "--seed",
        "3",
        "--out",
        p(&grid),
        "--scale",
        "2",
    ]);
    let grid = image::open(&grid).unwrap().to_luma8();
    assert_eq!(
        (grid.width(), grid.height()),
        (4 * (56 + 2) + 2, 2 * (56 + 2) + 2)
    );
    for i in [0usize, 5] {
        let (x0, y0) = (2 + (i % 4) * 58, 2 + (i / 4) * 58);
        for (y, x) in [(0, 0), (13, 20), (27, 27)] {
            let want = images[i * 784 + y * 28 + x];
            for (dy, dx) in [(0, 0), (1, 1)] {
                let got = grid.get_pixel((x0 + 2 * x + dx) as u32, (y0 + 2 * y + dy) as u32)[0];
                assert_eq!(got, want, "grid image {i} pixel ({y}, {x})");
            }
        }
    }

    // eval reads the exported folder as the same set it generates from the run.
    let eval = |fake: &Path| -> f64 {
        let out = ok(&[
            "eval",
            "--real",
            p(&pngs),
            "--fake",
            p(fake),
            "--n",
            "7",
            "--seed",
            "3",
            "--features",
            "mnist",
            "--metrics",
            "fid",
            "--no-cache",
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        v["fid"].as_f64().unwrap_or_else(|| panic!("{v}"))
    };
    let same = eval(&run);
    assert!(
        same.abs() < 1e-3,
        "FID of the export against its run: {same}"
    );

    // Exporting the same seed again is refused before anything is written.
    let line = error_line(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "7",
        "--seed",
        "3",
        "--outdir",
        p(&pngs),
    ]);
    assert!(
        line.contains("seed3-000000.png") && line.contains("--seed"),
        "{line}"
    );
    let line = error_line(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "7",
        "--seed",
        "3",
        "--outdir",
        p(&npz_dir),
        "--format",
        "npz",
    ]);
    assert!(line.contains("samples-seed3.npz"), "{line}");
    assert_eq!(
        std::fs::read_dir(&npz_dir).unwrap().count(),
        1,
        "no stray files"
    );
}

#[test]
fn bad_exports_get_one_clear_error_line() {
    let dir = scratch("bad");
    let ring = dir.join("ring");
    ok(&[
        "train",
        "gan",
        "--data",
        "ring8",
        "--steps",
        "2",
        "--batch",
        "8",
        "--out",
        p(&ring),
    ]);
    let line = error_line(&["sample", "--run", p(&ring), "--outdir", p(&dir.join("x"))]);
    assert!(
        line.contains("2-D points") && line.contains("--out"),
        "{line}"
    );
    assert!(!dir.join("x").exists());
    for (flag, value) in [("--scale", "0"), ("--scale", "99"), ("--format", "tiff")] {
        let line = error_line(&["sample", "--run", p(&ring), flag, value]);
        assert!(line.contains(value) && line.contains(flag), "{line}");
    }
    let line = error_line(&[
        "sample",
        "--run",
        p(&ring),
        "--outdir",
        p(&dir.join("x")),
        "--scale",
        "2",
    ]);
    assert!(line.contains("--scale"), "{line}");
    let line = error_line(&[
        "sample",
        "--run",
        p(&ring),
        "--outdir",
        "a",
        "--out",
        "b.png",
    ]);
    assert!(line.contains("--out"), "{line}");
    let line = error_line(&["sample", "--runn", p(&ring)]);
    assert!(line.contains("--runn") && line.contains("tip"), "{line}");
    let line = error_line(&["sample", "--run", p(&ring), "--format", "npz"]);
    assert!(line.contains("--outdir"), "{line}");
}
