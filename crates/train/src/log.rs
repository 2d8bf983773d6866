//! `--log-file`: a copy of the run's plain lines (progress every 10 s, validations, warnings,
//! messages, the final error) appended to a file while stderr shows them, or the progress bar,
//! to the terminal. `cargo xtask pipeline` uses it on a terminal: it lets the stage draw its bar
//! there, as when run alone, and still keeps `logs/train.log` in plain lines.

use crate::error::TrainError;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// A log file the run appends its plain lines to. Cloning shares the file.
#[derive(Debug, Clone)]
pub struct LogFile {
    file: Arc<File>,
}

impl LogFile {
    /// Opens `path` for appending (creating it): whoever started the run may be appending other
    /// lines to it as well (the orchestrator copies the stage's stdout there), and appending
    /// keeps both whole.
    pub fn append(path: &Path) -> Result<LogFile, TrainError> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                TrainError::Param(format!(
                    "--log-file {}: cannot open it for appending ({e}); give a writable file in a folder that exists",
                    path.display()
                ))
            })?;
        Ok(LogFile {
            file: Arc::new(file),
        })
    }

    /// Appends `line` and a line end in one write, so a line never lands inside another
    /// writer's. A failing write is ignored: the log is a copy of what the terminal shows, and
    /// losing it must not stop the training.
    pub fn line(&self, line: &str) {
        let mut text = String::with_capacity(line.len() + 1);
        text.push_str(line);
        text.push('\n');
        let _ = (&*self.file).write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::LogFile;

    #[test]
    fn lines_are_appended_after_what_the_file_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.log");
        std::fs::write(&path, "$ jianghu-train\n").unwrap();
        let log = LogFile::append(&path).unwrap();
        log.line("valid loss 4.2");
        log.clone().line("done");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "$ jianghu-train\nvalid loss 4.2\ndone\n"
        );
    }

    #[test]
    fn an_unopenable_log_names_the_flag_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("train.log");
        let err = LogFile::append(&path).unwrap_err().to_string();
        assert!(
            err.contains("--log-file") && err.contains("no-such-folder"),
            "{err}"
        );
    }
}
