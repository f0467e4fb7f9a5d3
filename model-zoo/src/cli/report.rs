//! What `burn-gan train` writes and prints at the end of a run: the samples or scatter plot,
//! a classifier's test accuracy, and the toy sets' mode coverage and shape fidelity.

use std::path::Path;

use burn::tensor::{Tensor, TensorData};
use burn_gan::data::{DataSpec, ImageFolderOptions, SampleKind, Samples, Toy};
use burn_gan::train::{toy_coverage, Adversarial, RunFiles};
use burn_gan::Error;
use burn_gan_backends::Backend;

use super::{invalid, CliResult, RunConfig};

/// The pictures and figures at the end of a run.
pub(super) fn report<M: Adversarial<Backend>>(
    trained: &M,
    data: &Samples,
    rc: &RunConfig,
    out: &Path,
) -> CliResult<()> {
    let device = burn_gan_backends::device();
    if let Some(spec) = &rc.test_data {
        test_classifier(trained, spec, data.shape, rc.training.steps, out)?;
    }
    let files = RunFiles::<Backend>::new(out, data, trained.latent_dim(), &rc.training, &device);
    match data.kind {
        SampleKind::Points => {
            let path = out.join("scatter.png");
            let title = format!(
                "{} on {} after {} steps",
                rc.model_name, rc.data, rc.training.steps
            );
            files.draw(trained, &title, &path)?;
            if let Ok(DataSpec::Toy(toy)) = DataSpec::parse(&rc.data) {
                report_coverage(trained, toy, &device);
            }
            println!("wrote {}", path.display());
        }
        SampleKind::Image => {
            let path = out.join("samples.png");
            files.draw(trained, "samples", &path)?;
            println!("wrote {}", path.display());
            if let Ok(DataSpec::Shapes) = DataSpec::parse(&rc.data) {
                report_shapes(trained, rc.training.steps, out, &device)?;
            }
        }
    }
    println!(
        "wrote {} and {}",
        out.join("losses.png").display(),
        out.join("metrics.jsonl").display()
    );
    Ok(())
}

/// The accuracy of a classifier model on held-out labelled images, printed and appended to
/// `metrics.jsonl`.
fn test_classifier<M: Adversarial<Backend>>(
    model: &M,
    spec: &str,
    shape: [usize; 3],
    step: usize,
    out: &Path,
) -> CliResult<()> {
    let device = burn_gan_backends::device();
    let test = DataSpec::parse(spec)?.load(&ImageFolderOptions::default())?;
    let Some(labels) = &test.labels else {
        return Err(invalid(format!(
            "--test-data {spec}: {} has no labels; give an IDX images file with its labels file beside it",
            test.source
        )));
    };
    if test.shape != shape {
        return Err(invalid(format!(
            "--test-data {spec}: samples of shape {:?}, but the model was trained on {shape:?}",
            test.shape
        )));
    }
    let mut correct = 0usize;
    let per = test.sample_len();
    for start in (0..test.len()).step_by(500) {
        let end = (start + 500).min(test.len());
        let x = Tensor::<Backend, 4>::from_data(
            TensorData::new(
                test.values[start * per..end * per].to_vec(),
                [end - start, shape[0], shape[1], shape[2]],
            ),
            &device,
        );
        let Some(logits) = model.classifier().map(|c| c.classify(x)) else {
            return Err(invalid(
                "--test-data: this model is not a classifier; it applies to sgan, sgan-fm and sgan-supervised",
            ));
        };
        let predicted: Vec<i64> = logits
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .to_vec()
            .expect("class indices");
        correct += predicted
            .iter()
            .zip(&labels[start..end])
            .filter(|(p, y)| **p as usize == **y)
            .count();
    }
    let accuracy = correct as f64 / test.len() as f64;
    println!(
        "test accuracy {:.4} on {} images of {}",
        accuracy,
        test.len(),
        test.source
    );
    let row = serde_json::json!({"step": step, "test_accuracy": accuracy, "test_images": test.len(), "test_data": test.source});
    final_row(out, row, "test_accuracy")
}

/// Appends the end-of-run `row` to the run's `metrics.jsonl`, replacing a row of the same step
/// that has `key`: a run killed after its last checkpoint redoes its report on `--resume`, and
/// must end with the lines an uninterrupted run has.
fn final_row(out: &Path, row: serde_json::Value, key: &str) -> CliResult<()> {
    let path = out.join("metrics.jsonl");
    let same = |line: &str| {
        serde_json::from_str::<serde_json::Value>(line)
            .is_ok_and(|v| v.get(key).is_some() && v.get("step") == row.get("step"))
    };
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut text: String = old
        .lines()
        .filter(|l| !same(l))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str(&format!("{row}\n"));
    burn_gan::train::write_atomically(&path, text.as_bytes()).map_err(|e| Error::io(&path, e))
}

/// `shapes`: how many of 2,000 samples are valid images of the set, and the modes they cover;
/// printed and appended to `metrics.jsonl`.
fn report_shapes<M: Adversarial<Backend>>(
    model: &M,
    step: usize,
    out: &Path,
    device: &burn::tensor::Device<Backend>,
) -> CliResult<()> {
    use burn_gan::data::shapes;
    let n = 2000;
    let z = burn_gan::train::normal_noise::<Backend>(n, model.latent_dim(), 7, device);
    let values: Vec<f32> = super::sample::Generate::gen(model, z, None);
    let score = shapes::score(&values);
    println!(
        "shapes: {:.1}% of {n} samples are valid images of the set; {} of {} modes (shape and colour) covered",
        100.0 * score.valid,
        score.modes_covered,
        shapes::MODES
    );
    let row = serde_json::json!({"step": step, "shapes_valid": score.valid, "shapes_modes": score.modes_covered});
    final_row(out, row, "shapes_valid")
}

fn report_coverage<M: Adversarial<Backend>>(
    model: &M,
    toy: Toy,
    device: &burn::tensor::Device<Backend>,
) {
    let c = toy_coverage(model, toy, 2500, 7, device);
    println!(
        "{}: {} of {} modes covered, {:.1}% of 2500 samples within 3 standard deviations of a mode",
        toy.name(),
        c.modes_covered,
        toy.modes().len(),
        100.0 * c.high_quality
    );
}
