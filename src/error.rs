//! The one public error type. Every failure the tool can report is classified here, and the
//! classification alone decides the process exit code (see CONTRACT.md, "Exit codes").

use std::fmt;

/// What went wrong, in words a user can act on. Messages never contain a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Bad invocation, configuration or input: an unknown principal, a malformed value, a missing
    /// setting. Nothing was changed on any server.
    #[error("{0}")]
    Invalid(String),

    /// The vendor cannot do what was asked. Nothing was changed on any server.
    #[error("{0}")]
    Unsupported(String),

    /// The server refused the credentials.
    #[error("{0}")]
    Auth(String),

    /// A remote operation failed (after retries where retrying was safe).
    #[error("{0}")]
    Remote(String),

    /// The server answered, but not in a shape dashshare understands (a renamed or missing key).
    /// Never reported as "not found": the thing may well exist. Nothing was changed.
    #[error("{0}")]
    NotUnderstood(String),

    /// `diff --exit-code`: the servers differ from the file. Not a failure, but cron must see it.
    #[error("{0}")]
    Drift(String),

    /// SIGINT or SIGTERM stopped the run: what was under way finished and was journaled, nothing
    /// more was started. The exit status is the signal's (130, 143).
    #[error("{message}")]
    Interrupted {
        signal: crate::signal::Signal,
        message: String,
    },
}

/// The contract's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    RemoteFailure = 1,
    BadInput = 2,
    AuthFailure = 3,
    Drift = 4,
    /// 128 + SIGINT.
    Interrupted = 130,
    /// 128 + SIGTERM.
    Terminated = 143,
}

impl Error {
    pub fn invalid(message: impl fmt::Display) -> Self {
        Error::Invalid(message.to_string())
    }

    pub fn remote(message: impl fmt::Display) -> Self {
        Error::Remote(message.to_string())
    }

    /// The same error, its message extended: the exit code does not change.
    pub fn and_then_say(self, more: impl fmt::Display) -> Self {
        match self {
            Error::Invalid(m) => Error::Invalid(format!("{m}; {more}")),
            Error::Unsupported(m) => Error::Unsupported(format!("{m}; {more}")),
            Error::Auth(m) => Error::Auth(format!("{m}; {more}")),
            Error::Remote(m) => Error::Remote(format!("{m}; {more}")),
            Error::NotUnderstood(m) => Error::NotUnderstood(format!("{m}; {more}")),
            Error::Drift(m) => Error::Drift(format!("{m}; {more}")),
            Error::Interrupted { signal, message } => Error::Interrupted {
                signal,
                message: format!("{message}; {more}"),
            },
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Invalid(_) | Error::Unsupported(_) => ExitCode::BadInput,
            Error::Auth(_) => ExitCode::AuthFailure,
            Error::Remote(_) | Error::NotUnderstood(_) => ExitCode::RemoteFailure,
            Error::Drift(_) => ExitCode::Drift,
            Error::Interrupted {
                signal: crate::signal::Signal::Interrupt,
                ..
            } => ExitCode::Interrupted,
            Error::Interrupted {
                signal: crate::signal::Signal::Terminate,
                ..
            } => ExitCode::Terminated,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
