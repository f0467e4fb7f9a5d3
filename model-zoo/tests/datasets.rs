//! Named datasets and their download, against an HTTP server on 127.0.0.1 that each test starts
//! (never the internet): verified files, refused checksums, resumed transfers, server errors,
//! no connection; then `burn-gan data get/list` and `--data NAME` end to end.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use burn_gan_zoo::download::{sha256_of, DownloadError, Downloader, FileToGet, Outcome};

/// What the test server answers to one request.
enum Reply {
    /// 200 with the body.
    Whole(Vec<u8>),
    /// 200 announcing the whole body's length, then only its first `n` bytes and a closed
    /// connection.
    Cut(Vec<u8>, usize),
    /// 206 with the bytes from the request's `Range` start on (200 without a range).
    Ranged(Vec<u8>),
    /// An error status with an empty body.
    Status(u16),
}

/// One request the server saw: its path and its `Range` header.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    path: String,
    range: Option<String>,
}

/// A one-thread HTTP/1.1 server on 127.0.0.1: answers each request with `reply(path, n)`, `n`
/// counting the requests so far; it stops when dropped, and after a minute in any case.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(reply: impl Fn(&str, usize) -> Reply + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !halt.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let n = log.lock().unwrap().len();
                        if let Some(request) = serve(stream, &reply, n) {
                            log.lock().unwrap().push(request);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { port, seen, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, reply: &dyn Fn(&str, usize) -> Reply, n: usize) -> Option<Seen> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line
        .split_whitespace()
        .nth(1)?
        .trim_start_matches('/')
        .to_string();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let mut out = stream;
    let head = |status: &str, len: usize, extra: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {len}\r\n{extra}Connection: close\r\n\r\n")
    };
    let start: Option<usize> = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse().ok());
    let _ = match reply(&path, n) {
        Reply::Whole(body) => out
            .write_all(head("200 OK", body.len(), "").as_bytes())
            .and_then(|()| out.write_all(&body)),
        Reply::Cut(body, cut) => out
            .write_all(head("200 OK", body.len(), "").as_bytes())
            .and_then(|()| out.write_all(&body[..cut])),
        Reply::Ranged(body) => match start {
            Some(s) => {
                let extra = format!(
                    "Content-Range: bytes {s}-{}/{}\r\n",
                    body.len() - 1,
                    body.len()
                );
                out.write_all(head("206 Partial Content", body.len() - s, &extra).as_bytes())
                    .and_then(|()| out.write_all(&body[s..]))
            }
            None => out
                .write_all(head("200 OK", body.len(), "").as_bytes())
                .and_then(|()| out.write_all(&body)),
        },
        Reply::Status(code) => out.write_all(head(&format!("{code} Oops"), 0, "").as_bytes()),
    };
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Both);
    Some(Seen { path, range })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("burn-gan-datasets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 300 KB that are not all alike, and their SHA-256.
fn payload() -> (Vec<u8>, String) {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let dir = scratch("payload");
    std::fs::write(dir.join("p"), &body).unwrap();
    let sha = sha256_of(&dir.join("p")).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    (body, sha)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn to_get(server: &Server, sha256: &str) -> FileToGet {
    FileToGet {
        url: server.url("set/data.bin"),
        name: "data.bin".into(),
        sha256: sha256.into(),
    }
}

#[test]
fn a_good_download_is_verified_and_lands_in_the_folder() {
    let (body, sha) = payload();
    let served = body.clone();
    let server = Server::start(move |_, _| Reply::Whole(served.clone()));
    let dir = scratch("good").join("nested");
    let file = to_get(&server, &sha);
    let outcome = Downloader::direct().get(&file, &dir).unwrap();
    assert_eq!(
        outcome,
        Outcome::Downloaded {
            bytes: body.len() as u64,
            resumed_from: 0
        }
    );
    assert_eq!(files_in(&dir), ["data.bin"]);
    assert_eq!(std::fs::read(dir.join("data.bin")).unwrap(), body);
    // A second run checks the file and asks the server for nothing.
    assert_eq!(
        Downloader::direct().get(&file, &dir).unwrap(),
        Outcome::AlreadyThere
    );
    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.seen()[0].path, "set/data.bin");
}

#[test]
fn a_checksum_mismatch_is_refused_in_one_line_and_leaves_no_file() {
    let (body, _) = payload();
    let server = Server::start(move |_, _| Reply::Whole(body.clone()));
    let dir = scratch("mismatch");
    let wrong = "0".repeat(64);
    let err = Downloader::direct()
        .get(&to_get(&server, &wrong), &dir)
        .unwrap_err();
    assert!(matches!(err, DownloadError::Checksum { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(
        msg.contains(&server.url("set/data.bin"))
            && msg.contains(&wrong)
            && msg.contains("deleted"),
        "{msg}"
    );
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
}

#[test]
fn a_truncated_download_resumes_with_a_range_request() {
    let (body, sha) = payload();
    let served = body.clone();
    // The first answer stops after 100,000 bytes; later ones honour Range.
    let server = Server::start(move |_, n| match n {
        0 => Reply::Cut(served.clone(), 100_000),
        _ => Reply::Ranged(served.clone()),
    });
    let dir = scratch("resume");
    let outcome = Downloader::direct()
        .get(&to_get(&server, &sha), &dir)
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Downloaded {
            bytes: 300_000,
            resumed_from: 100_000
        }
    );
    assert_eq!(std::fs::read(dir.join("data.bin")).unwrap(), body);
    assert_eq!(files_in(&dir), ["data.bin"]);
    let ranges: Vec<Option<String>> = server.seen().into_iter().map(|s| s.range).collect();
    assert_eq!(ranges, [None, Some("bytes=100000-".to_string())]);
}

#[test]
fn a_partial_file_from_an_earlier_run_is_continued() {
    let (body, sha) = payload();
    let served = body.clone();
    let server = Server::start(move |_, _| Reply::Ranged(served.clone()));
    let dir = scratch("part");
    std::fs::write(dir.join("data.bin.part"), &body[..250_000]).unwrap();
    let outcome = Downloader::direct()
        .get(&to_get(&server, &sha), &dir)
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Downloaded {
            bytes: 300_000,
            resumed_from: 250_000
        }
    );
    assert_eq!(std::fs::read(dir.join("data.bin")).unwrap(), body);
    assert_eq!(server.seen()[0].range.as_deref(), Some("bytes=250000-"));
}

#[test]
fn server_errors_name_the_url_in_one_line() {
    let server =
        Server::start(|path, _| Reply::Status(if path.ends_with("gone") { 404 } else { 500 }));
    let dir = scratch("status");
    for (path, code) in [("set/gone", "HTTP 404"), ("set/broken", "HTTP 500")] {
        let file = FileToGet {
            url: server.url(path),
            name: "x".into(),
            sha256: "0".repeat(64),
        };
        let msg = Downloader::direct()
            .get(&file, &dir)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(&server.url(path)) && msg.contains(code),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn no_connection_names_the_url() {
    let url = format!("http://127.0.0.1:{}/set/data.bin", closed_port());
    let file = FileToGet {
        url: url.clone(),
        name: "data.bin".into(),
        sha256: "0".repeat(64),
    };
    let err = Downloader::direct()
        .get(&file, &scratch("offline"))
        .unwrap_err();
    assert!(matches!(err, DownloadError::Network { .. }), "{err:?}");
    assert!(err.to_string().contains(&url), "{err}");
}

// ---- the program ----

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "{} is missing: the tests read ../shared/data",
        p.display()
    );
    p
}

/// Runs the program with `BURN_GAN_DATA=data`, no proxy, and `mirror` as the download mirror.
fn burn_gan(args: &[&str], data: &Path, mirror: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_burn-gan"));
    cmd.args(args).env("BURN_GAN_DATA", data);
    for v in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    match mirror {
        Some(m) => cmd.env("BURN_GAN_DATA_MIRROR", m),
        None => cmd.env_remove("BURN_GAN_DATA_MIRROR"),
    };
    cmd.output().expect("the burn-gan binary runs")
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The single `error: ` line of a failed run.
fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "succeeded; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected:\n{stderr}");
    assert!(
        lines[0].starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    lines[0].to_string()
}

const FILES: [&str; 4] = [
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
];

#[test]
fn data_get_fetches_a_named_set_from_a_mirror_and_data_list_finds_it() {
    // The mirror serves the real Fashion-MNIST files, so the program's own checksums apply.
    let source = shared("fashion-mnist");
    let server = Server::start(move |path, _| match path.strip_prefix("fashion-mnist/") {
        Some(name) if FILES.contains(&name) => {
            Reply::Ranged(std::fs::read(source.join(name)).unwrap())
        }
        _ => Reply::Status(404),
    });
    let data = scratch("get");
    let mirror = format!("http://127.0.0.1:{}", server.port);
    let list = stdout_of(&burn_gan(&["data", "list"], &data, None));
    assert!(list.contains("burn-gan data get mnist"), "{list}");
    let out = stdout_of(&burn_gan(
        &["data", "get", "fashion-mnist"],
        &data,
        Some(&mirror),
    ));
    assert!(out.contains("ready: --data fashion-mnist"), "{out}");
    assert_eq!(files_in(&data.join("fashion-mnist")), FILES);
    for name in FILES {
        let a = std::fs::read(data.join("fashion-mnist").join(name)).unwrap();
        assert!(
            a == std::fs::read(shared("fashion-mnist").join(name)).unwrap(),
            "{name}"
        );
    }
    // Again: every file is checked and none downloaded.
    let again = stdout_of(&burn_gan(
        &["data", "get", "fashion-mnist"],
        &data,
        Some(&mirror),
    ));
    assert_eq!(again.matches("already there").count(), 4, "{again}");
    assert_eq!(server.seen().len(), 4);
    let list = stdout_of(&burn_gan(&["data", "list"], &data, None));
    let row = list
        .lines()
        .find(|l| l.starts_with("fashion-mnist"))
        .unwrap();
    assert!(
        row.contains("ready") && row.contains(data.join("fashion-mnist").to_str().unwrap()),
        "{list}"
    );
    // --dir puts the files elsewhere, and says to name that folder.
    let elsewhere = scratch("get-dir");
    let out = stdout_of(&burn_gan(
        &[
            "data",
            "get",
            "fashion-mnist",
            "--dir",
            elsewhere.to_str().unwrap(),
        ],
        &data,
        Some(&mirror),
    ));
    assert!(
        out.contains(&format!("ready: --data {}", elsewhere.display())),
        "{out}"
    );
    assert_eq!(files_in(&elsewhere), FILES);
}

#[test]
fn a_failed_data_get_is_one_line_naming_the_url_and_the_folder() {
    let data = scratch("get-fail");
    let port = closed_port();
    let err = error_line(&burn_gan(
        &["data", "get", "mnist"],
        &data,
        Some(&format!("http://127.0.0.1:{port}")),
    ));
    let url = format!("http://127.0.0.1:{port}/mnist/train-images-idx3-ubyte.gz");
    assert!(
        err.contains(&url) && err.contains("connection refused"),
        "{err}"
    );
    assert!(
        err.contains("by hand") && err.contains(data.join("mnist").to_str().unwrap()),
        "{err}"
    );
    let server = Server::start(|_, _| Reply::Status(500));
    let err = error_line(&burn_gan(
        &["data", "get", "kmnist"],
        &data,
        Some(&format!("http://127.0.0.1:{}", server.port)),
    ));
    assert!(
        err.contains("HTTP 500") && err.contains("/kmnist/train-images-idx3-ubyte.gz"),
        "{err}"
    );
    let err = error_line(&burn_gan(&["data", "get", "cifar10"], &data, None));
    assert!(
        err.contains("unknown dataset `cifar10`") && err.contains("fashion-mnist"),
        "{err}"
    );
}

#[test]
fn named_sets_resolve_in_the_cache_folder_for_train_and_eval() {
    let data = scratch("resolve");
    let cache = data.join("fashion-mnist");
    std::fs::create_dir_all(&cache).unwrap();
    for name in FILES {
        std::os::unix::fs::symlink(shared("fashion-mnist").join(name), cache.join(name)).unwrap();
    }
    let out = burn_gan(
        &[
            "eval",
            "--real",
            "fashion-mnist:test@0..300",
            "--fake",
            "fashion-mnist@0..300",
            "--features",
            "fashion",
            "--metrics",
            "fid",
            "--no-cache",
            "--json",
        ],
        &data,
        None,
    );
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let real = report["real"].as_str().unwrap();
    assert!(
        real.contains(cache.join("t10k-images-idx3-ubyte.gz").to_str().unwrap()),
        "{report}"
    );
    assert!(
        report["fake"].as_str().unwrap().contains("train-images"),
        "{report}"
    );
    assert!(report["fid"].as_f64().unwrap() > 0.0, "{report}");
    let run = data.join("run");
    let out = stdout_of(&burn_gan(
        &[
            "train",
            "dcgan28",
            "--data",
            "fashion-mnist@0..64",
            "--steps",
            "1",
            "--batch",
            "32",
            "--out",
            run.to_str().unwrap(),
        ],
        &data,
        None,
    ));
    assert!(
        out.contains(cache.join("train-images-idx3-ubyte.gz").to_str().unwrap()),
        "{out}"
    );
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    assert!(config.contains("\"fashion-mnist@0..64\""), "{config}");

    // Not there: one line with the command that fetches it and where the files go.
    let err = error_line(&burn_gan(
        &["train", "dcgan28", "--data", "mnist"],
        &data,
        None,
    ));
    assert!(
        err.contains("burn-gan data get mnist")
            && err.contains(data.join("mnist").to_str().unwrap()),
        "{err}"
    );
    let err = error_line(&burn_gan(
        &["eval", "--real", "kmnist:test", "--fake", "kmnist:test"],
        &data,
        None,
    ));
    assert!(
        err.contains("burn-gan data get kmnist") && err.contains("t10k-images"),
        "{err}"
    );
    let err = error_line(&burn_gan(
        &["train", "dcgan28", "--data", "mnist:valid"],
        &data,
        None,
    ));
    assert!(err.contains("unknown split `valid`"), "{err}");
}
