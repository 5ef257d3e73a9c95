//! What can be wrong with a scenario file, said so that the user can fix it:
//! the file, the key path, the value and what is allowed.

use std::path::PathBuf;

/// A scenario that cannot be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}: cannot read the scenario file: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("{file}: not valid TOML: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file}: extends = \"{target}\": {problem}")]
    Extends {
        file: PathBuf,
        target: String,
        problem: String,
    },
    #[error("{file}: {key}: {message}")]
    Invalid {
        file: PathBuf,
        key: String,
        message: String,
    },
}

/// Every scenario error is the user's to fix (exit code 2), a file that cannot be read included.
impl crate::exit::ExitWith for ScenarioError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::BadInput
    }
}

impl ScenarioError {
    /// The key path the error is about, where there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ScenarioError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}
