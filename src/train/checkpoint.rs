//! Crash-safe checkpoints, named by the generator step they were taken at.
//!
//! burn 0.21's file recorders delete the old file and then write the new one in place, so a kill
//! mid-write loses the checkpoint. [`AtomicRecorder`] serialises the record in memory (burn's
//! named MessagePack format, full precision), writes it to `<file>.mpk.tmp`, flushes it to disk
//! and renames it over `<file>.mpk`: a reader sees the old file or the new one, never half of one.
//!
//! Every file ends with a checksum of its record (a 12-byte tag and the SHA-256 of the bytes
//! before it), verified when the file is read: a file damaged after it was written (flipped
//! bits on a disk, an edit, a copy cut short) is refused with a line that says so instead of
//! loading wrong numbers. Files written before the checksum existed are read without it.
//!
//! The learner writes three files per checkpoint (`model-N`, `optim-N`, `scheduler-N` under
//! `<run>/checkpoint/`), each from its own thread; [`latest_checkpoint`] only returns an `N` for
//! which all three exist, so a kill between them falls back to the previous complete checkpoint.
//!
//! `N` is the generator step the checkpoint was taken after (`model-500.mpk`, as
//! stylegan2-ada's `network-snapshot-000500.pkl`): the training loop hands burn-train's
//! `LearningCheckpointer` the step as the number its `FileCheckpointer` names the files with, and
//! [`KeepNewestCheckpoints`] (burn-train's `KeepLastNCheckpoints` deletes number `N - keep`,
//! which assumes consecutive numbers) keeps the newest sets. Steps only grow, so no set is ever
//! written over another: a set is whole or missing a file. Run folders written before, whose
//! checkpoints are numbered by interval (`model-1.mpk` for the first `checkpoint_every` steps),
//! still load: resume reads the step a checkpoint was taken after from its learning-rate
//! schedule, not from its number, and an interval's number is never above its step, so the
//! newest file is still the one with the largest number.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::record::{
    BurnRecord, FileRecorder, FullPrecisionSettings, NamedMpkBytesRecorder, Record, Recorder,
    RecorderError,
};
use burn::tensor::backend::Backend;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::EventStoreClient;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

/// The extension of checkpoint files.
pub const EXTENSION: &str = "mpk";

/// A file recorder that writes atomically (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct AtomicRecorder {
    bytes: NamedMpkBytesRecorder<FullPrecisionSettings>,
}

fn unknown(path: &Path, e: impl std::fmt::Display) -> RecorderError {
    RecorderError::Unknown(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // A full disk: give back the space the partial file took.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The tag before a checkpoint file's checksum.
const CHECKSUM_TAG: &[u8; 12] = b"burn-gan-sha";
/// The bytes the tag and the checksum add at the end of a file.
const TRAILER: usize = CHECKSUM_TAG.len() + 32;

/// `record` followed by its checksum trailer.
pub fn with_checksum(mut record: Vec<u8>) -> Vec<u8> {
    let digest = Sha256::digest(&record);
    record.extend_from_slice(CHECKSUM_TAG);
    record.extend_from_slice(&digest);
    record
}

/// What is wrong with a checkpoint file that did not load: the checksum's sentence when that
/// is what failed, else `otherwise`.
pub(crate) fn describe(e: &RecorderError, otherwise: &str) -> String {
    let e = e.to_string();
    match e.find(CHECKSUM_MISMATCH) {
        Some(_) => CHECKSUM_MISMATCH.to_string(),
        None => otherwise.to_string(),
    }
}

const CHECKSUM_MISMATCH: &str =
    "its checksum does not match its content: the file was damaged or changed after it was written";

/// The record of a file's `bytes`: without its checksum trailer, after checking it; as it is
/// for a file written before checksums.
pub fn verified(mut bytes: Vec<u8>) -> std::result::Result<Vec<u8>, &'static str> {
    let Some(body) = bytes.len().checked_sub(TRAILER) else {
        return Ok(bytes);
    };
    if &bytes[body..body + CHECKSUM_TAG.len()] != CHECKSUM_TAG {
        return Ok(bytes);
    }
    if Sha256::digest(&bytes[..body])[..] != bytes[body + CHECKSUM_TAG.len()..] {
        return Err(CHECKSUM_MISMATCH);
    }
    bytes.truncate(body);
    Ok(bytes)
}

impl<B: Backend> Recorder<B> for AtomicRecorder {
    type Settings = FullPrecisionSettings;
    type RecordArgs = PathBuf;
    type RecordOutput = ();
    type LoadArgs = PathBuf;

    fn save_item<I: Serialize>(&self, item: I, mut file: PathBuf) -> Result<(), RecorderError> {
        file.set_extension(EXTENSION);
        let bytes = with_checksum(Recorder::<B>::save_item(&self.bytes, item, ())?);
        write_atomically(&file, &bytes).map_err(|e| unknown(&file, e))
    }

    fn load_item<I: DeserializeOwned>(&self, file: &mut PathBuf) -> Result<I, RecorderError> {
        file.set_extension(EXTENSION);
        let bytes = std::fs::read(&*file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RecorderError::FileNotFound(file.display().to_string()),
            _ => unknown(file, e),
        })?;
        let mut bytes = verified(bytes).map_err(|e| RecorderError::Unknown(e.to_string()))?;
        // Before decoding: the decoder reserves room from the lengths the file announces.
        super::msgpack::check_lengths(&bytes)
            .map_err(|e| RecorderError::DeserializeError(format!("corrupt MessagePack: {e}")))?;
        guarded(|| Recorder::<B>::load_item(&self.bytes, &mut bytes))?
    }

    fn load<R: Record<B>>(
        &self,
        mut file: PathBuf,
        device: &B::Device,
    ) -> Result<R, RecorderError> {
        let item: BurnRecord<R::Item<FullPrecisionSettings>, B> =
            Recorder::<B>::load_item(self, &mut file)?;
        guarded(|| R::from_item(item.item, device))
    }
}

/// Runs `decode` and turns its panic into an error. burn decodes and builds records with
/// `expect`s (a parameter id that does not decode, a dtype whose bytes do not divide into its
/// elements): a corrupt file must be an error, not a crash.
fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, RecorderError> {
    DECODING.with(|d| d.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode));
    DECODING.with(|d| d.set(false));
    result.map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("its contents do not make a record");
        RecorderError::Unknown(format!("corrupt record: {what}"))
    })
}

thread_local! {
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is building a record from a checkpoint file, where [`AtomicRecorder`]
/// turns burn's panics on corrupt contents into errors: a panic hook can stay quiet then.
pub fn decoding_record() -> bool {
    DECODING.with(|d| d.get())
}

impl<B: Backend> FileRecorder<B> for AtomicRecorder {
    fn file_extension() -> &'static str {
        EXTENSION
    }
}

/// The folder of a run's checkpoints.
pub fn checkpoint_dir(run: &Path) -> PathBuf {
    run.join("checkpoint")
}

/// The parts of a checkpoint, one file each.
const PARTS: [&str; 3] = ["model", "optim", "scheduler"];

/// The file of one part (`model`, `optim`, `scheduler`) of checkpoint `n` (the generator step
/// it was taken after; the interval's number in run folders written before).
pub fn checkpoint_file(run: &Path, part: &str, n: usize) -> PathBuf {
    checkpoint_dir(run).join(format!("{part}-{n}.{EXTENSION}"))
}

/// [`checkpoint_file`], or the error naming it when it does not exist.
pub(crate) fn existing_checkpoint_file(run: &Path, part: &str, n: usize) -> crate::Result<PathBuf> {
    let file = checkpoint_file(run, part, n);
    match file.is_file() {
        true => Ok(file),
        false => Err(crate::Error::format(&file, "checkpoint file is missing")),
    }
}

/// The newest checkpoint of `run` whose three files all exist.
pub fn latest_checkpoint(run: &Path) -> Option<usize> {
    checkpoints(run).first().copied()
}

/// The checkpoints of `run` whose three files all exist, newest first.
pub fn checkpoints(run: &Path) -> Vec<usize> {
    let mut found = numbers_on_disk(run);
    found.retain(|&n| {
        PARTS
            .iter()
            .all(|part| checkpoint_file(run, part, n).is_file())
    });
    found.reverse();
    found
}

/// The numbers of the checkpoints of `run` of which any part exists, oldest first.
fn numbers_on_disk(run: &Path) -> Vec<usize> {
    let Ok(entries) = std::fs::read_dir(checkpoint_dir(run)) else {
        return Vec::new();
    };
    let mut found: Vec<usize> = entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let (part, number) = name.strip_suffix(".mpk")?.rsplit_once('-')?;
            PARTS
                .contains(&part)
                .then_some(number.parse::<usize>().ok()?)
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// burn-train's checkpointing strategy for checkpoints numbered by generator step: saves every
/// checkpoint it is asked for and deletes the oldest sets beyond the newest `keep`, counting the
/// sets already in the run folder (those of the run being resumed).
#[derive(Debug)]
pub struct KeepNewestCheckpoints {
    keep: usize,
    kept: Vec<usize>,
}

impl KeepNewestCheckpoints {
    /// Keeps the newest `keep` checkpoints of `run`, those on disk now included.
    pub fn new(keep: usize, run: &Path) -> Self {
        Self {
            keep: keep.max(1),
            kept: numbers_on_disk(run),
        }
    }
}

impl CheckpointingStrategy for KeepNewestCheckpoints {
    fn checkpointing(
        &mut self,
        number: usize,
        _store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        self.saving(number)
    }
}

impl KeepNewestCheckpoints {
    /// What to do when checkpoint `number` is taken: save it, and delete the oldest beyond
    /// the newest `keep`.
    fn saving(&mut self, number: usize) -> Vec<CheckpointingAction> {
        self.kept.retain(|&n| n != number);
        self.kept.push(number);
        self.kept.sort_unstable();
        let excess = self.kept.len().saturating_sub(self.keep);
        std::iter::once(CheckpointingAction::Save)
            .chain(self.kept.drain(..excess).map(CheckpointingAction::Delete))
            .collect()
    }
}

/// Removes the checkpoint files of `run` numbered above `n` and any temporary file: what a run
/// resumed from checkpoint `n` (or started afresh, `n = 0`) will number its next checkpoints
/// with. They are parts of sets that failed or were skipped; left in place, a part of one could
/// complete a later set of the same number interrupted between its files.
pub fn remove_checkpoints_after(run: &Path, n: usize) -> crate::Result<()> {
    let dir = checkpoint_dir(run);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let number = name
            .strip_suffix(".mpk")
            .or_else(|| name.strip_suffix(".mpk.tmp"))
            .and_then(|stem| stem.rsplit_once('-'))
            .filter(|(part, _)| PARTS.contains(part))
            .and_then(|(_, number)| number.parse::<usize>().ok());
        let stale = name.ends_with(".tmp") || number.is_some_and(|k| k > n);
        if stale && number.is_some() {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| crate::Error::io(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};

    type TB = crate::TestBackend;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("burn-gan-ckpt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn records_round_trip_and_leave_no_temporary_file() {
        let dir = scratch("roundtrip");
        let device = Default::default();
        let layer: Linear<TB> = LinearConfig::new(3, 2).init(&device);
        // Parameters are initialised lazily, and a clone of an uninitialised parameter draws its
        // own values: read the weights once so the clone below records these values.
        let expected = layer.weight.val().to_data();
        let path = dir.join("model-1");
        AtomicRecorder::default()
            .record(layer.clone().into_record(), path.clone())
            .unwrap();
        assert!(dir.join("model-1.mpk").is_file());
        assert!(!dir.join("model-1.mpk.tmp").exists());
        let record = Recorder::<TB>::load(&AtomicRecorder::default(), path, &device).unwrap();
        let loaded = LinearConfig::new(3, 2)
            .init::<TB>(&device)
            .load_record(record);
        // Checkpoints hold f32 (full precision); the f64 test backend round-trips through it.
        loaded
            .weight
            .val()
            .to_data()
            .assert_approx_eq::<f64>(&expected, burn::tensor::Tolerance::absolute(1e-6));
    }

    #[test]
    fn a_damaged_file_fails_its_checksum_and_an_old_one_still_reads() {
        let dir = scratch("checksum");
        let device = Default::default();
        let layer: Linear<TB> = LinearConfig::new(3, 2).init(&device);
        let path = dir.join("model-1");
        AtomicRecorder::default()
            .record(layer.into_record(), path.clone())
            .unwrap();
        let file = dir.join("model-1.mpk");
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(&bytes[bytes.len() - TRAILER..][..12], CHECKSUM_TAG);
        let load = || {
            Recorder::<TB>::load::<<Linear<TB> as Module<TB>>::Record>(
                &AtomicRecorder::default(),
                path.clone(),
                &device,
            )
        };
        // One flipped bit inside the tensors (which MessagePack would read without complaint).
        let mut flipped = bytes.clone();
        flipped[bytes.len() - TRAILER - 3] ^= 1;
        std::fs::write(&file, &flipped).unwrap();
        let err = load().err().expect("a damaged file fails").to_string();
        assert!(err.contains("checksum does not match"), "{err}");
        // A file of the program before checksums: the record alone.
        std::fs::write(&file, &bytes[..bytes.len() - TRAILER]).unwrap();
        assert!(load().is_ok());
        assert_eq!(verified(b"short".to_vec()).unwrap(), b"short");
    }

    /// The newest `keep` sets stay, those found on disk counted: step numbers are not
    /// consecutive, and a resumed run's older sets go first.
    #[test]
    fn keep_newest_deletes_the_oldest_step_numbers() {
        use CheckpointingAction::{Delete, Save};
        let run = scratch("keep");
        for n in [100, 200] {
            for part in PARTS {
                write_atomically(&checkpoint_file(&run, part, n), b"x").unwrap();
            }
        }
        write_atomically(&checkpoint_file(&run, "model", 50), b"x").unwrap();
        let mut keep = KeepNewestCheckpoints::new(2, &run);
        assert_eq!(keep.saving(250), [Save, Delete(50), Delete(100)]);
        assert_eq!(keep.saving(300), [Save, Delete(200)]);
        assert_eq!(keep.saving(300), [Save]);
        let mut fresh = KeepNewestCheckpoints::new(3, &run.join("nothing"));
        for n in [7, 14, 21] {
            assert_eq!(fresh.saving(n), [Save]);
        }
        assert_eq!(fresh.saving(28), [Save, Delete(7)]);
    }

    #[test]
    fn latest_checkpoint_needs_all_three_files() {
        let run = scratch("latest");
        for (part, n) in [
            ("model", 1),
            ("optim", 1),
            ("scheduler", 1),
            ("model", 2),
            ("optim", 2),
        ] {
            write_atomically(&checkpoint_file(&run, part, n), b"x").unwrap();
        }
        assert_eq!(latest_checkpoint(&run), Some(1));
        assert_eq!(latest_checkpoint(&run.join("nothing")), None);
        // Resuming from 1 removes set 2's parts and temporary files, nothing else.
        std::fs::write(run.join("checkpoint/optim-3.mpk.tmp"), b"x").unwrap();
        std::fs::write(run.join("checkpoint/model-1.mpk.tmp"), b"x").unwrap();
        write_atomically(&run.join("checkpoint/notes.txt"), b"x").unwrap();
        remove_checkpoints_after(&run, 1).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(checkpoint_dir(&run))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["model-1.mpk", "notes.txt", "optim-1.mpk", "scheduler-1.mpk"]
        );
    }
}
