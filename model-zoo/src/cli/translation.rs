//! `burn-gan score` for a CycleGAN run: both directions on held-out images of both domains,
//! judged by a domain classifier (the fraction of translations it assigns to the target class,
//! domain FID), and the cycle reconstruction error ([`burn_gan_zoo::cyclegan::score`]).

use std::path::Path;

use burn_gan::metrics::evaluate::FeatureNet;
use burn_gan::train::{latest_checkpoint, load_weights};
use burn_gan_backends::Backend;
use burn_gan_zoo::cyclegan::score::{map_images, score_direction, DirectionScores};
use burn_gan_zoo::cyclegan::CycleganFamily;
use burn_gan_zoo::Family;

use super::score::ScoreArgs;
use super::{invalid, load_data, CliResult, RunConfig};

pub(super) fn score_cyclegan(args: &ScoreArgs, rc: &RunConfig, spec: &str) -> CliResult<()> {
    if args.baselines {
        return Err(invalid(format!(
            "--baselines: `{}` is not a restoration model; the classical baselines restore degraded images",
            rc.model_name
        )));
    }
    let config = rc
        .model
        .config::<CycleganFamily>()
        .expect("the caller checked the family");
    let load = |spec: &str| {
        load_data(
            spec,
            rc.image_size,
            rc.channels,
            rc.background.as_deref(),
            &rc.model_name,
        )
    };
    let held_b = match (&rc.data_b, &args.data_b) {
        (_, Some(b)) => Some(load(b)?),
        (Some(b), None) => {
            return Err(invalid(format!(
                "--data-b: {} trained on two sets (its second: {b}); give held-out images of the second domain with --data-b",
                args.run.display()
            )))
        }
        (None, None) => None,
    };
    let (a, b) = CycleganFamily::domains(&config, load(spec)?, held_b)
        .map_err(|e| invalid(format!("--data {spec}: {e}")))?;
    let b = b.expect("cyclegan's domains are two");
    if a.shape != rc.data_shape {
        return Err(invalid(format!(
            "--data {spec}: images of shape {:?}, but {} trained on {:?}",
            a.shape,
            args.run.display(),
            rc.data_shape
        )));
    }
    let (a, b) = (a.take(args.n), b.take(args.n));
    let features = super::score::domain_features(args, rc)?.ok_or_else(|| {
        invalid(format!(
            "--features: {} trained on {}, which has no domain classifier burn-gan knows; pass --features fashion or mnist for 28x28 gray images",
            args.run.display(),
            rc.data
        ))
    })?;
    let device = burn_gan_backends::device();
    let classifier =
        FeatureNet::<Backend>::by_name(&features, Path::new(""), &device, "--features")?;
    let n = latest_checkpoint(&args.run).ok_or_else(|| {
        invalid(format!(
            "{}: the run has no complete checkpoint yet",
            args.run.display()
        ))
    })?;
    let model = load_weights(
        CycleganFamily::init::<Backend>(&config, &device),
        &args.run,
        n,
        &device,
    )?;
    // ANCHOR: translate
    let fake_b = map_images(&a, &device, |x| model.a_to_b(x));
    let cycled_a = map_images(&fake_b, &device, |x| model.b_to_a(x));
    let fake_a = map_images(&b, &device, |x| model.b_to_a(x));
    let cycled_b = map_images(&fake_a, &device, |x| model.a_to_b(x));
    // ANCHOR_END: translate
    if a.len() < 2 || b.len() < 2 {
        return Err(invalid(format!(
            "--n {}: held-out domains of {} and {} images; FID needs at least 2 of each",
            args.n,
            a.len(),
            b.len()
        )));
    }
    // The target classes of a run split by class; a run on two sets has no class to judge by.
    let (class_a, class_b) = match rc.data_b {
        None => (Some(config.class_a), Some(config.class_b)),
        Some(_) => (None, None),
    };
    let name = |domain: &str, class: Option<usize>| match class {
        Some(c) => format!("{domain} (class {c})"),
        None => domain.to_string(),
    };
    let (name_a, name_b) = (name("A", class_a), name("B", class_b));
    let mut rows = [
        score_direction(&classifier, &a, &fake_b, &cycled_a, &b, class_b, &device)?,
        score_direction(&classifier, &b, &fake_a, &cycled_b, &a, class_a, &device)?,
    ];
    (rows[0].from, rows[0].to) = (name_a.clone(), name_b.clone());
    (rows[1].from, rows[1].to) = (name_b, name_a);
    if let Some(path) = &args.strip {
        // Rows: A, G(A), F(G(A)), B, F(B), G(F(B)); the first 8 images of each.
        let k = a.len().min(b.len()).min(8);
        let mut values = Vec::new();
        for set in [&a, &fake_b, &cycled_a, &b, &fake_a, &cycled_b] {
            values.extend_from_slice(&set.values[..k * set.sample_len()]);
        }
        burn_gan::viz::image_grid(&values, a.shape, k, path)?;
    }
    if args.json {
        let report = serde_json::json!({
            "run": args.run, "data": spec, "features": features, "rows": rows
        });
        println!("{report}");
        return Ok(());
    }
    print_table(&rows, &rc.model_name, spec, &features);
    if let Some(path) = &args.strip {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn print_table(rows: &[DirectionScores], model: &str, data: &str, features: &str) {
    let rate = |r: Option<f64>| r.map_or("-".into(), |r| format!("{:.1}%", 100.0 * r));
    println!("{model} on held-out {data}, judged by the {features} classifier:");
    println!("| direction | images | as target: inputs | translations | real targets | FID: inputs | translations | cycle L1 | cycle PSNR (dB) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        println!(
            "| {} -> {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.4} | {:.2} |",
            r.from,
            r.to,
            r.n,
            rate(r.inputs_as_target),
            rate(r.translated_as_target),
            rate(r.reals_as_target),
            r.inputs_fid,
            r.fid,
            r.cycle_l1,
            r.cycle_psnr
        );
    }
}
