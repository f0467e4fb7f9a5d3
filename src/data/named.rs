//! Named datasets: `--data mnist`, `fashion-mnist` and `kmnist` read four IDX gzip files from a
//! folder found by name, which `burn-gan data get NAME` fills.
//!
//! Each set is published as four files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
//! `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`) at one public location, and the
//! table here pins each file's SHA-256, so a download is checked before it is used. A set is looked
//! for in its cache folder, `$BURN_GAN_DATA/NAME` or else `$XDG_CACHE_HOME/burn-gan/datasets/NAME`
//! (`~/.cache/burn-gan/datasets/NAME`), then in the folders of system packages that ship it
//! (Debian's `dataset-fashion-mnist` installs `/usr/share/datasets/fashion-mnist`).
//!
//! A name selects the training split; `NAME:test` the held-out one (`NAME:train` says the
//! default), and the `@start..end` suffix of any data source still applies after it
//! (`fashion-mnist:test@0..5000`). Files are not checked against their SHA-256 when they are read:
//! Debian's copies hold the same images in gzip streams of their own, so their bytes differ.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One file of a named set as its publisher serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name, the same locally and on the server.
    pub name: &'static str,
    /// Its SHA-256, lower-case hex.
    pub sha256: &'static str,
    /// Its size in bytes.
    pub bytes: u64,
}

/// A dataset known by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedSet {
    /// What `--data` takes: `fashion-mnist`.
    pub name: &'static str,
    /// What it is, for listings.
    pub title: &'static str,
    /// The public location its files are downloaded from (ends with `/`).
    pub base_url: &'static str,
    /// The four IDX gzip files: training images and labels, then test images and labels.
    pub files: [RemoteFile; 4],
    /// Folders where system packages install the same files, with the package's name.
    pub system_dirs: &'static [(&'static str, &'static str)],
    /// The licence the publisher gives.
    pub licence: &'static str,
}

const fn file(name: &'static str, sha256: &'static str, bytes: u64) -> RemoteFile {
    RemoteFile {
        name,
        sha256,
        bytes,
    }
}

/// The named sets. The SHA-256 sums were computed from copies whose MD5 sums match the ones
/// torchvision pins for the same files (`torchvision/datasets/mnist.py`); for Kuzushiji-MNIST they
/// are the SHA-256 sums torchvision-ruby pins for its files.
pub const NAMED_SETS: [NamedSet; 3] = [
    NamedSet {
        name: "fashion-mnist",
        title: "Fashion-MNIST (Zalando Research): 70,000 28x28 gray clothing images, 10 classes",
        // S3's website endpoint serves plain HTTP only; the SHA-256 check is what makes it safe.
        base_url: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        files: [
            file(
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                26_421_880,
            ),
            file(
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                29_515,
            ),
            file(
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                4_422_102,
            ),
            file(
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                5_148,
            ),
        ],
        system_dirs: &[("/usr/share/datasets/fashion-mnist", "dataset-fashion-mnist")],
        licence: "MIT",
    },
    NamedSet {
        name: "mnist",
        title: "MNIST (LeCun, Cortes, Burges): 70,000 28x28 gray handwritten digits, 10 classes",
        // The mirror torchvision downloads from: yann.lecun.com is often unreachable.
        base_url: "https://ossci-datasets.s3.amazonaws.com/mnist/",
        files: [
            file(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                9_912_422,
            ),
            file(
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                28_881,
            ),
            file(
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                1_648_877,
            ),
            file(
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                4_542,
            ),
        ],
        system_dirs: &[],
        licence: "CC BY-SA 3.0",
    },
    NamedSet {
        name: "kmnist",
        title: "Kuzushiji-MNIST (ROIS-DS CODH): 70,000 28x28 gray cursive Japanese characters, 10 classes",
        base_url: "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        files: [
            file(
                "train-images-idx3-ubyte.gz",
                "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
                18_165_135,
            ),
            file(
                "train-labels-idx1-ubyte.gz",
                "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
                29_497,
            ),
            file(
                "t10k-images-idx3-ubyte.gz",
                "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
                3_041_136,
            ),
            file(
                "t10k-labels-idx1-ubyte.gz",
                "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
                5_120,
            ),
        ],
        system_dirs: &[],
        licence: "CC BY-SA 4.0",
    },
];

/// The names of [`NAMED_SETS`], for messages.
pub fn names() -> Vec<&'static str> {
    NAMED_SETS.iter().map(|s| s.name).collect()
}

/// The named set called `name`.
pub fn find(name: &str) -> Option<&'static NamedSet> {
    NAMED_SETS.iter().find(|s| s.name == name)
}

/// A split of a named set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The training split (60,000 images in these sets).
    Train,
    /// The held-out split (10,000 images).
    Test,
}

impl Split {
    /// The images file of this split (without `.gz`, which is optional).
    pub fn images_file(self) -> &'static str {
        match self {
            Self::Train => "train-images-idx3-ubyte",
            Self::Test => "t10k-images-idx3-ubyte",
        }
    }
}

/// Reads `NAME`, `NAME:train` or `NAME:test`: `None` when the part before `:` names no set.
pub fn parse(spec: &str) -> Option<Result<(&'static NamedSet, Split)>> {
    let (name, split) = match spec.split_once(':') {
        Some((name, split)) => (name, Some(split)),
        None => (spec, None),
    };
    let set = find(name)?;
    Some(match split {
        None | Some("train") => Ok((set, Split::Train)),
        Some("test") => Ok((set, Split::Test)),
        Some(other) => Err(Error::Invalid(format!(
            "`{spec}`: unknown split `{other}`; use {name} or {name}:train for the training split, {name}:test for the held-out one"
        ))),
    })
}

/// The folder that holds the named sets' cache folders: `$BURN_GAN_DATA`, else
/// `$XDG_CACHE_HOME/burn-gan/datasets`, else `~/.cache/burn-gan/datasets`.
pub fn data_root() -> PathBuf {
    match std::env::var_os("BURN_GAN_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => crate::metrics::cache_home().join("datasets"),
    }
}

/// The file in `dir` named `name` or, gzip being optional, `name` without `.gz` (or with it).
fn existing(dir: &Path, name: &str) -> Option<PathBuf> {
    let plain = name.strip_suffix(".gz").unwrap_or(name);
    [format!("{plain}.gz"), plain.to_string()]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

impl NamedSet {
    /// Where `burn-gan data get` puts the set: `data_root()/NAME`.
    pub fn cache_dir(&self) -> PathBuf {
        data_root().join(self.name)
    }

    /// The folders searched, in order: the cache folder, then the system packages' folders.
    pub fn locations(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.cache_dir()];
        dirs.extend(self.system_dirs.iter().map(|(d, _)| PathBuf::from(d)));
        dirs
    }

    /// The base URL downloads use: `$BURN_GAN_DATA_MIRROR/NAME/` when that is set (a mirror or a
    /// test server), else [`NamedSet::base_url`].
    pub fn download_base(&self) -> String {
        match std::env::var("BURN_GAN_DATA_MIRROR") {
            Ok(m) if !m.is_empty() => format!("{}/{}/", m.trim_end_matches('/'), self.name),
            _ => self.base_url.to_string(),
        }
    }

    /// How many of the four files `dir` holds (gzip or not).
    pub fn files_in(&self, dir: &Path) -> usize {
        self.files
            .iter()
            .filter(|f| existing(dir, f.name).is_some())
            .count()
    }

    /// The images file of `split` in the first of `dirs` that has it.
    pub fn images_in(&self, split: Split, dirs: &[PathBuf]) -> Option<PathBuf> {
        dirs.iter().find_map(|d| existing(d, split.images_file()))
    }

    /// One sentence on getting the set into `dir`: the command, or the files by hand.
    pub fn how_to_get(&self, dir: &Path) -> String {
        let files: Vec<&str> = self.files.iter().map(|f| f.name).collect();
        let mut s = format!(
            "run `burn-gan data get {}`, or download {} from {} into {} by hand",
            self.name,
            files.join(", "),
            self.download_base(),
            dir.display()
        );
        for (_, package) in self.system_dirs {
            s.push_str(&format!(" (or install Debian's package {package})"));
        }
        s
    }

    /// The images file of `split` where the set is found, or one line saying how to get it.
    pub fn resolve(&self, split: Split) -> Result<PathBuf> {
        let dirs = self.locations();
        self.images_in(split, &dirs).ok_or_else(|| {
            let file = split.images_file();
            Error::Invalid(format!(
                "{}: no {file}.gz in {}; {}",
                self.name,
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                self.how_to_get(&dirs[0])
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_splits_parse() {
        let (set, split) = parse("fashion-mnist").unwrap().unwrap();
        assert_eq!((set.name, split), ("fashion-mnist", Split::Train));
        assert_eq!(parse("mnist:train").unwrap().unwrap().1, Split::Train);
        assert_eq!(parse("kmnist:test").unwrap().unwrap().1, Split::Test);
        assert!(parse("fashion").is_none());
        assert!(parse("data/mnist").is_none());
        let err = parse("mnist:valid").unwrap().unwrap_err().to_string();
        assert!(
            err.contains("unknown split `valid`") && err.contains("mnist:test"),
            "{err}"
        );
    }

    #[test]
    fn the_table_pins_four_distinct_files_per_set() {
        for set in NAMED_SETS {
            assert!(set.base_url.ends_with('/'), "{}", set.name);
            for (f, expected) in set.files.iter().zip([
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
            ]) {
                assert_eq!(f.name, expected);
                assert_eq!(f.sha256.len(), 64);
                assert!(f
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            }
        }
    }

    #[test]
    fn the_first_folder_holding_the_split_wins_gzip_or_not() {
        let root = std::env::temp_dir().join(format!("burn-gan-named-{}", std::process::id()));
        let (a, b) = (root.join("a"), root.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("train-images-idx3-ubyte.gz"), b"x").unwrap();
        std::fs::write(a.join("t10k-images-idx3-ubyte"), b"x").unwrap();
        let set = find("mnist").unwrap();
        let dirs = [a.clone(), b.clone()];
        assert_eq!(
            set.images_in(Split::Train, &dirs),
            Some(b.join("train-images-idx3-ubyte.gz"))
        );
        assert_eq!(
            set.images_in(Split::Test, &dirs),
            Some(a.join("t10k-images-idx3-ubyte"))
        );
        assert_eq!(set.files_in(&a), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
