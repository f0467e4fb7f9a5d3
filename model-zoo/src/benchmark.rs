//! `burn-gan bench`: training and sampling throughput and peak memory of the zoo's networks on
//! the compiled backend, as a table or as one JSON object.

use burn_gan_backends::AutodiffBackend;
use burn_gan_zoo::bench::{bench_model, BenchOptions, ModelBench, BENCH_MODELS};
use clap::Args;
use serde_json::{json, Map, Value};

use crate::cli::{invalid, CliResult};

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// Models to measure, comma-separated (dcgan28, dcgan32, dcgan64, gan-mnist, vaegan28, vae28, progan32, restore-sr2).
    #[arg(long, default_value = "dcgan28,dcgan64")]
    models: String,
    /// Training batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Sampling batch size.
    #[arg(long, default_value_t = 256)]
    sample_batch: usize,
    /// Untimed iterations before timing.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// The least number of timed iterations.
    #[arg(long, default_value_t = 3)]
    min_iters: usize,
    /// Seconds to time each measurement (at least --min-iters iterations).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Worker threads of the CPU backends (default: all cores; also RAYON_NUM_THREADS).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Sets the thread counts of `--threads`, which rayon (flex, ndarray) and matrixmultiply
/// (ndarray) read once, when their threads start: before any backend work.
pub(crate) fn set_threads(args: &BenchArgs) {
    if let Some(n) = args.threads.filter(|&n| n > 0) {
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        std::env::set_var("MATMUL_NUM_THREADS", n.to_string());
    }
}

pub(crate) fn bench(args: BenchArgs) -> CliResult<()> {
    let models: Vec<&str> = args.models.split(',').map(str::trim).collect();
    for m in &models {
        if !BENCH_MODELS.contains(m) {
            return Err(invalid(format!(
                "unknown benchmark model `{m}` in --models; available: {}",
                BENCH_MODELS.join(", ")
            )));
        }
    }
    if args.batch == 0 || args.sample_batch == 0 {
        return Err(invalid("--batch and --sample-batch must be at least 1"));
    }
    if !(args.seconds >= 0.0 && args.seconds.is_finite()) {
        return Err(invalid(format!(
            "--seconds must be a finite number >= 0, got {}",
            args.seconds
        )));
    }
    if args.threads == Some(0) {
        return Err(invalid("--threads must be at least 1"));
    }
    let threads = rayon::current_num_threads();
    let options = BenchOptions {
        batch: args.batch,
        sample_batch: args.sample_batch,
        warmup: args.warmup,
        min_iters: args.min_iters,
        seconds: args.seconds,
    };
    let device = burn_gan_backends::device();
    let header = environment(threads);
    if !args.json {
        println!(
            "burn-gan bench: backend {}, {threads} threads, burn 0.21.0, {}, {}",
            burn_gan_backends::NAME,
            header["rustc"].as_str().unwrap_or("?"),
            header["cpu"].as_str().unwrap_or("?"),
        );
        println!(
            "{:<11} {:<9} {:>6} {:>12} {:>9} {:>9} {:>13} {:>9} {:>9}",
            "model",
            "image",
            "batch",
            "train img/s",
            "step ms",
            "RSS MiB",
            "sample img/s",
            "batch",
            "RSS MiB"
        );
    }
    let mut out = match header {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for name in models {
        let r = bench_model::<AutodiffBackend>(name, &options, &device).map_err(invalid)?;
        if !args.json {
            print_row(&r);
        }
        out.insert(
            name.to_string(),
            serde_json::to_value(&r).expect("serialisable"),
        );
    }
    if args.json {
        println!("{}", Value::Object(out));
    }
    Ok(())
}

fn print_row(r: &ModelBench) {
    let rss = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
    println!(
        "{:<11} {:<9} {:>6} {:>12.1} {:>9.1} {:>9} {:>13.1} {:>9} {:>9}",
        r.model,
        format!("{}x{}x{}", r.image[0], r.image[1], r.image[2]),
        r.batch,
        r.train_images_per_s,
        r.train.median_s * 1e3,
        rss(r.train_peak_rss_mib),
        r.sample_images_per_s,
        r.sample_batch,
        rss(r.sample_peak_rss_mib),
    );
}

/// The backend, threads and versions a result belongs to.
fn environment(threads: usize) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    json!({
        "tool": "burn-gan",
        "backend": burn_gan_backends::NAME,
        "features": burn_gan_backends::compiled_features(),
        "device": format!("{:?}", burn_gan_backends::device()),
        "threads": threads,
        "burn_gan": env!("CARGO_PKG_VERSION"),
        "burn": "0.21.0",
        "rustc": env!("BURN_GAN_RUSTC"),
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    })
}
