use std::path::PathBuf;

/// Errors from burn-gan's I/O and configuration code.
///
/// Every message names the file or value at fault and, where there is one, what to do about it, so
/// that a command-line program can print it as a single line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file was read but its content is not what it should be.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A configuration value or argument is invalid.
    #[error("{0}")]
    Invalid(String),
    /// Training diverged: a loss became NaN or infinite.
    #[error("training diverged at step {step}: {what} is {value}; the last good checkpoint is kept, lower the learning rate or change the seed")]
    Diverged {
        /// The generator step at which it happened.
        step: usize,
        /// Which quantity was not finite.
        what: String,
        /// Its value.
        value: f64,
    },
    /// Training was asked to stop (Ctrl-C, SIGTERM) and stopped with a checkpoint.
    #[error("training stopped at step {step} with a checkpoint there")]
    Stopped {
        /// The generator steps done: the step of the checkpoint written at the stop.
        step: usize,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A content error on `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
