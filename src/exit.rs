//! How each failure ends the `spcap` command: every library error says which
//! of three kinds it is, so the command line maps any error to its exit code
//! and message without knowing the error's type.

/// The kinds of failure, as the exit codes scripts and batch schedulers see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The user's input is at fault: a command-line value, a scenario, or an
    /// output folder's file. Exit code 2, as clap's own usage errors.
    BadInput,
    /// Writing a file, starting threads, or an internal error. Exit code 1.
    Failed,
    /// Stopped by Ctrl-C or SIGTERM before finishing. Exit code 130, as
    /// shells report a process ended by SIGINT (128 + 2).
    Interrupted,
}

impl Exit {
    /// The process exit code of this kind of failure.
    pub fn code(self) -> u8 {
        match self {
            Exit::BadInput => 2,
            Exit::Failed => 1,
            Exit::Interrupted => 130,
        }
    }
}

/// An error that knows how the command ends because of it.
pub trait ExitWith: std::error::Error {
    fn exit_with(&self) -> Exit;
}

/// Lets `?` turn any such error into the command line's boxed error, as
/// `Box<dyn Error>` does for every error.
impl<'a, E: ExitWith + 'a> From<E> for Box<dyn ExitWith + 'a> {
    fn from(e: E) -> Self {
        Box::new(e)
    }
}
