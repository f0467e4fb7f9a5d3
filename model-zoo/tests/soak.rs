//! Kill-and-resume soak: `burn-gan train` is killed with SIGKILL at random moments (while it
//! starts, trains, writes a checkpoint or draws its final pictures) and resumed each time, until
//! the run finishes; the finished run must equal an uninterrupted one: the same
//! `metrics.jsonl`, the same final pictures, and every parameter and optimizer tensor of the
//! final checkpoint equal (decoded, since a record also holds random parameter ids).
//!
//! The normal suite runs a few kills on the ring8 GAN and on a DCGAN. The long soak is ignored
//! by default:
//!
//! ```sh
//! SOAK_KILLS=200 cargo test --release --workspace --test soak -- --ignored --nocapture
//! SOAK_KILLS=200 SOAK_MODELS=dcgan cargo test --release --workspace --test soak -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use burn_gan::train::{checkpoint, latest_checkpoint};
use rand::{Rng, SeedableRng};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("burn-gan-soak-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn train(args: &[&str], out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_burn-gan"));
    c.arg("train")
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// A record's content, MessagePack decoded.
#[derive(Debug, PartialEq)]
enum Value {
    Nil,
    Bool(bool),
    Int(i128),
    Float(u64),
    Str(String),
    Bytes(Vec<u8>),
    Seq(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a MessagePack value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Nil)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Nil)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_f32<E>(self, v: f32) -> Result<Value, E> {
                Ok(Value::Float(f64::from(v).to_bits()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v.to_bits()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
                Ok(Value::Bytes(v.to_vec()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = a.next_element()? {
                    items.push(v);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut items = BTreeMap::new();
                while let Some((k, v)) = a.next_entry::<String, Value>()? {
                    items.insert(k, v);
                }
                Ok(Value::Map(items))
            }
        }
        d.deserialize_any(V)
    }
}

/// The decoded content of checkpoint file `part`-`n` of `run`.
fn decoded(run: &Path, part: &str, n: usize) -> Value {
    let file = checkpoint::checkpoint_file(run, part, n);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let record = checkpoint::verified(bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    rmp_serde::from_slice(&record).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The path in the model record of each parameter id (burn draws ids at random when a model
/// is built, and keys the optimizer's state by them).
fn parameter_paths(v: &Value, path: &str, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Map(m) => {
            if let Some(Value::Str(id)) = m.get("id") {
                out.insert(id.clone(), path.to_string());
            }
            for (k, x) in m {
                parameter_paths(x, &format!("{path}/{k}"), out);
            }
        }
        Value::Seq(items) => {
            for (i, x) in items.iter().enumerate() {
                parameter_paths(x, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// `v` with parameter ids replaced by the parameters' paths: what two runs of one model share.
fn canonical(v: Value, paths: &BTreeMap<String, String>) -> Value {
    let name = |s: String| paths.get(&s).cloned().unwrap_or(s);
    match v {
        Value::Map(m) => Value::Map(
            m.into_iter()
                .filter(|(k, _)| k != "id")
                .map(|(k, x)| (name(k), canonical(x, paths)))
                .collect(),
        ),
        Value::Seq(items) => Value::Seq(items.into_iter().map(|x| canonical(x, paths)).collect()),
        Value::Str(s) => Value::Str(name(s)),
        other => other,
    }
}

/// Checkpoint `n` of `run`, its parameter ids replaced by their paths.
fn checkpoint_content(run: &Path, n: usize) -> Vec<(&'static str, Value)> {
    let model = decoded(run, "model", n);
    let mut paths = BTreeMap::new();
    parameter_paths(&model, "", &mut paths);
    let rest = ["optim", "scheduler"].map(|part| (part, canonical(decoded(run, part, n), &paths)));
    let mut out = vec![("model", canonical(model, &paths))];
    out.extend(rest);
    out
}

/// What differs between the finished run `run` and the uninterrupted run `whole`.
fn differences(run: &Path, whole: &Path, pictures: &[&str], finished: bool) -> Vec<String> {
    let mut out = Vec::new();
    let read = |p: PathBuf| std::fs::read(&p).unwrap_or_default();
    if read(run.join("metrics.jsonl")) != read(whole.join("metrics.jsonl")) {
        out.push("metrics.jsonl".to_string());
    }
    if finished {
        for p in pictures {
            if read(run.join(p)) != read(whole.join(p)) {
                out.push(p.to_string());
            }
        }
    }
    match (latest_checkpoint(run), latest_checkpoint(whole)) {
        (Some(a), Some(b)) if a == b => {
            let theirs = checkpoint_content(whole, b);
            for ((part, mine), (_, theirs)) in checkpoint_content(run, a).into_iter().zip(theirs) {
                if mine != theirs {
                    out.push(format!("{part}-{a}"));
                }
            }
        }
        (a, b) => out.push(format!("latest checkpoint {a:?} against {b:?}")),
    }
    out
}

/// What a soak did.
#[derive(Debug, Default)]
struct Soak {
    kills: usize,
    episodes: usize,
    restarts: usize,
    killed_after_the_end: usize,
    differences: Vec<String>,
    seconds: f64,
}

/// Trains `args` once uninterrupted, then `kills` times kills a run of the same arguments at a
/// random moment and resumes it (from scratch when it had no checkpoint yet), comparing each
/// finished run (an episode) with the uninterrupted one.
fn soak(name: &str, args: &[&str], pictures: &[&str], kills: usize, seed: u64) -> Soak {
    let started = Instant::now();
    let dir = scratch(name);
    let whole = dir.join("whole");
    let t = Instant::now();
    let out = train(args, &whole).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let duration = t.elapsed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut report = Soak::default();
    let run = dir.join("run");
    let mut fresh = true;
    while report.kills < kills || !fresh {
        let mut command = if fresh {
            let _ = std::fs::remove_dir_all(&run);
            train(args, &run)
        } else {
            train(&["--resume"], &run)
        };
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + duration.mul_f64(rng.random_range(0.0..1.0));
        // Kill at the deadline, unless all kills are done: then let the run finish.
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if report.kills < kills && Instant::now() >= deadline {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                report.kills += 1;
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let mut stderr = String::new();
        if status.is_some() {
            use std::io::Read;
            let mut pipe = child.stderr.take().unwrap();
            pipe.read_to_string(&mut stderr).unwrap();
        }
        let finished = match status {
            None => false,
            Some(s) if s.success() => {
                if stderr.contains("already reached step") {
                    // Killed after the last checkpoint; the resume redid the final pictures.
                    report.killed_after_the_end += 1;
                }
                true
            }
            Some(_) => panic!("{name}: a resumed run failed: {stderr}"),
        };
        if finished {
            report.episodes += 1;
            report
                .differences
                .extend(differences(&run, &whole, pictures, true));
            fresh = true;
        } else if latest_checkpoint(&run).is_some() {
            fresh = false;
        } else {
            report.restarts += 1;
            fresh = true;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

const GAN: &[&str] = &[
    "gan",
    "--steps",
    "200",
    "--checkpoint-every",
    "10",
    "--log-every",
    "10",
    "--sample-every",
    "50",
];

const DCGAN: &[&str] = &[
    "dcgan",
    "--data",
    "shapes",
    "--steps",
    "24",
    "--batch",
    "16",
    "--checkpoint-every",
    "4",
    "--log-every",
    "2",
    "--sample-every",
    "8",
];

#[test]
fn killed_and_resumed_runs_end_as_uninterrupted_ones() {
    for (name, args, pictures, kills) in [
        ("gan", GAN, &["scatter.png", "losses.png"][..], 4),
        ("dcgan", DCGAN, &["samples.png", "losses.png"][..], 3),
    ] {
        let report = soak(name, args, pictures, kills, 7);
        println!("{name}: {report:?}");
        assert_eq!(report.kills, kills);
        assert!(report.episodes >= 1);
        assert!(report.differences.is_empty(), "{name}: {report:?}");
    }
    // The comparison sees a difference: a run of another seed differs in every part.
    let dir = scratch("other-seed");
    let (a, b) = (dir.join("a"), dir.join("b"));
    assert!(train(GAN, &a).output().unwrap().status.success());
    let other: Vec<&str> = GAN.iter().copied().chain(["--seed", "2"]).collect();
    assert!(train(&other, &b).output().unwrap().status.success());
    let found = differences(&a, &b, &["scatter.png"], true);
    assert_eq!(
        found,
        ["metrics.jsonl", "scatter.png", "model-200", "optim-200"],
        "a run of another seed"
    );
}

/// The long soak of the book's Reliability chapter (`SOAK_KILLS` kills per model, default 200;
/// `SOAK_MODELS`, default `gan,dcgan`, picks the runs).
#[test]
#[ignore]
fn soak_long() {
    let kills = std::env::var("SOAK_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(200);
    let models = std::env::var("SOAK_MODELS").unwrap_or_else(|_| "gan,dcgan".into());
    for (name, args, pictures) in [
        ("gan-long", GAN, &["scatter.png", "losses.png"][..]),
        ("dcgan-long", DCGAN, &["samples.png", "losses.png"][..]),
    ] {
        let model = name.trim_end_matches("-long");
        if !models.split(',').any(|m| m.trim() == model) {
            continue;
        }
        let report = soak(name, args, pictures, kills, 1);
        println!("{name}: {report:?}");
        assert!(report.differences.is_empty(), "{name}: {report:?}");
    }
}
