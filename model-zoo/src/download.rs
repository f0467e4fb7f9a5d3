//! Downloads of dataset files for `burn-gan data get`: each file is fetched into `NAME.part`
//! beside its destination, continued with an HTTP `Range` request when the connection breaks (now
//! or in a later run), checked against its SHA-256, and only then renamed to `NAME`, so a file
//! under its final name is always whole and verified.
//!
//! The files and their checksums are arguments ([`FileToGet`]): the named sets' table lives in
//! `burn_gan::data::named`, and tests point the same code at a server of their own.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// One file to download.
#[derive(Clone, Debug)]
pub struct FileToGet {
    /// Where it is served.
    pub url: String,
    /// Its name in the destination folder.
    pub name: String,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// Why a download failed; every message names the URL (or the local file) and what happened.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// No connection, or it broke and could not be resumed.
    #[error("{url}: {message}")]
    Network {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url}: the server answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The whole file arrived but its SHA-256 is not the expected one; nothing was kept.
    #[error("{url}: SHA-256 {got} is not the expected {expected}; the download was deleted")]
    Checksum {
        /// The URL.
        url: String,
        /// The expected SHA-256.
        expected: String,
        /// What the bytes hashed to.
        got: String,
    },
    /// A local file could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// What [`Downloader::get`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The file was already there with the right SHA-256.
    AlreadyThere,
    /// The file was downloaded; its last transfer continued a broken one at `resumed_from`.
    Downloaded {
        /// Its size.
        bytes: u64,
        /// Where the transfer that completed the file started (0: it sent the whole file).
        resumed_from: u64,
    },
}

/// A blocking HTTP(S) client that downloads verified files.
pub struct Downloader {
    agent: ureq::Agent,
    progress: bool,
    attempts: usize,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The SHA-256 of a file, lower-case hex.
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What a ureq error means to a user.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::HostNotFound => "host not found (offline, or no DNS)".into(),
        // getaddrinfo's failures arrive as plain I/O errors.
        ureq::Error::Io(io)
            if ["lookup address", "name resolution", "Name or service"]
                .iter()
                .any(|m| io.to_string().contains(m)) =>
        {
            format!("host not found (offline, or no DNS): {io}")
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(what) => format!("timed out ({what})"),
        other => other.to_string(),
    }
}

impl Downloader {
    /// A client that uses the proxy of `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (the first set)
    /// except for the hosts in `NO_PROXY`, and draws a progress line on
    /// standard error when `progress` is set and standard error is a terminal.
    pub fn new(progress: bool) -> Self {
        Self::with_proxy(ureq::Proxy::try_from_env(), progress)
    }

    /// A client that connects directly, whatever the environment says (tests on loopback).
    pub fn direct() -> Self {
        Self::with_proxy(None, false)
    }

    fn with_proxy(proxy: Option<ureq::Proxy>, progress: bool) -> Self {
        let config = ureq::Agent::config_builder()
            .proxy(proxy)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .build();
        Self {
            agent: config.into(),
            progress: progress && std::io::stderr().is_terminal(),
            attempts: 5,
        }
    }

    /// Downloads `file` into `dir` (created if missing) unless a file of that name with the right
    /// SHA-256 is already there. A broken transfer is continued from where it stopped, up to a few
    /// times while it makes progress; what arrived stays in `NAME.part` for the next run.
    pub fn get(&self, file: &FileToGet, dir: &Path) -> Result<Outcome, DownloadError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let dest = dir.join(&file.name);
        if dest.is_file() && sha256_of(&dest).map_err(io_err(&dest))? == file.sha256 {
            return Ok(Outcome::AlreadyThere);
        }
        let part = dir.join(format!("{}.part", file.name));
        let mut resumed_from = 0;
        let mut last_error = None;
        for _ in 0..self.attempts {
            match self.transfer(file, &part) {
                Ok(offset) => {
                    resumed_from = offset;
                    last_error = None;
                    break;
                }
                Err((e, progressed)) => {
                    last_error = Some(e);
                    if !progressed {
                        break;
                    }
                }
            }
        }
        if let Some(e) = last_error {
            return Err(e);
        }
        let got = sha256_of(&part).map_err(io_err(&part))?;
        if got != file.sha256 {
            let _ = std::fs::remove_file(&part);
            return Err(DownloadError::Checksum {
                url: file.url.clone(),
                expected: file.sha256.clone(),
                got,
            });
        }
        let bytes = std::fs::metadata(&part).map_err(io_err(&part))?.len();
        std::fs::rename(&part, &dest).map_err(io_err(&dest))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Outcome::Downloaded {
            bytes,
            resumed_from,
        })
    }

    /// One request: appends to `part` from its current length and returns where it started. On
    /// failure, also says whether bytes arrived (worth another try).
    fn transfer(&self, file: &FileToGet, part: &Path) -> Result<u64, (DownloadError, bool)> {
        let url = &file.url;
        let network = |message: String| DownloadError::Network {
            url: url.clone(),
            message,
        };
        let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let mut request = self.agent.get(url);
        if have > 0 {
            request = request.header("Range", format!("bytes={have}-"));
        }
        let response = request.call().map_err(|e| (network(describe(&e)), false))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (offset, total) = match status {
            200 => (0, header("content-length").and_then(|v| v.parse().ok())),
            206 => {
                // `bytes START-END/TOTAL`: the server must continue where the file stops.
                let range = header("content-range").unwrap_or_default();
                let start = range
                    .strip_prefix("bytes ")
                    .and_then(|r| r.split('-').next())
                    .and_then(|s| s.parse::<u64>().ok());
                if start != Some(have) {
                    let _ = std::fs::remove_file(part);
                    return Err((
                        network(format!(
                            "asked for bytes from {have} and got `{range}`; the partial file was deleted, run the command again"
                        )),
                        true,
                    ));
                }
                let total = range.rsplit('/').next().and_then(|t| t.parse().ok());
                (have, total)
            }
            // The range starts at the end: `.part` already holds the whole file (the checksum says).
            416 if have > 0 => return Ok(have),
            _ => {
                return Err((
                    DownloadError::Status {
                        url: url.clone(),
                        status,
                    },
                    false,
                ))
            }
        };
        let mut out = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(part)
            .map_err(|e| (io_err(part)(e), false))?;
        out.set_len(offset)
            .and_then(|()| out.seek(SeekFrom::Start(offset)).map(|_| ()))
            .map_err(|e| (io_err(part)(e), false))?;
        let mut body = response.into_body().into_reader();
        let mut buf = vec![0u8; 1 << 16];
        let mut done = offset;
        let mut drawn = Instant::now();
        let result = loop {
            match body.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if let Err(e) = out.write_all(&buf[..n]) {
                        break Err((io_err(part)(e), true));
                    }
                    done += n as u64;
                    if self.progress && drawn.elapsed() > Duration::from_millis(100) {
                        draw(&file.name, done, total);
                        drawn = Instant::now();
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    break Err((
                        network(format!("transfer broke after {done} bytes ({e})")),
                        done > offset,
                    ))
                }
            }
        };
        if let Err(e) = out.sync_all() {
            return Err((io_err(part)(e), false));
        }
        if self.progress {
            draw(&file.name, done, total);
            let _ = writeln!(std::io::stderr());
        }
        result?;
        match total {
            Some(t) if done < t => Err((
                network(format!("the connection closed after {done} of {t} bytes")),
                done > offset,
            )),
            _ => Ok(offset),
        }
    }
}

/// The progress line: `\r  NAME  12.3 / 26.4 MB  46%`.
fn draw(name: &str, done: u64, total: Option<u64>) {
    let mb = |b: u64| b as f64 / 1e6;
    let line = match total {
        Some(t) if t > 0 => format!(
            "\r  {name}  {:.1} / {:.1} MB  {:>3}%",
            mb(done),
            mb(t),
            done * 100 / t
        ),
        _ => format!("\r  {name}  {:.1} MB", mb(done)),
    };
    let _ = std::io::stderr().write_all(line.as_bytes());
    let _ = std::io::stderr().flush();
}
