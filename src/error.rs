//! The one public error type. Every failure the tool can report is classified here by what
//! happened, and the classification alone decides the process exit code (README, "Exit
//! codes") and the stable `kind` name a machine reads. Nothing decides by an error's words.

use std::fmt;
use std::sync::Arc;

/// The failure beneath an error (an I/O or transport error), kept for `source()`; shared so that
/// errors stay `Clone` (one failed look-up is reported for every row that needed it).
pub type Source = Arc<dyn std::error::Error + Send + Sync>;

/// What went wrong, in words a user can act on. Messages never contain a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Bad invocation, configuration or input: a malformed value, a missing setting, a file that
    /// cannot be read. Nothing was changed on any server. `about` names the thing at fault when
    /// the error is about one.
    #[error("{message}")]
    Invalid {
        message: String,
        about: Option<Subject>,
        #[source]
        source: Option<Source>,
    },

    /// A dashboard, profile, link or run that the user named does not exist (or is not visible
    /// to the account). Bad input: nothing was changed.
    #[error("{message}")]
    NotFound { about: Subject, message: String },

    /// The server refused the account the right to do this (HTTP 403). Nothing was changed.
    #[error("{0}")]
    PermissionDenied(String),

    /// The vendor cannot do what was asked. Nothing was changed on any server.
    #[error("{0}")]
    NotSupported(String),

    /// The server refused the credentials.
    #[error("{0}")]
    Auth(String),

    /// A remote operation failed (after retries where retrying was safe).
    #[error("{message}")]
    Remote {
        message: String,
        #[source]
        source: Option<Source>,
    },

    /// Something on this machine failed, not a server: a file that could not be written (the
    /// journal on a full disk, an output), stdout, the terminal, the runtime. The message names
    /// the path. Exit 1, as a failed remote operation has.
    #[error("{message}")]
    Local {
        message: String,
        #[source]
        source: Option<Source>,
    },

    /// The server answered, but not in a shape dashshare understands (a renamed or missing key).
    /// Never reported as "not found": the thing may well exist. Nothing was changed. `request`
    /// is the request whose answer it was ("GET https://…"), when one is to blame.
    #[error("{message}")]
    NotUnderstood {
        message: String,
        request: Option<String>,
    },

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

/// The kinds of thing a user names, for errors that are about one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    Profile,
    /// A user or group a vendor does not know (the name lists each, when several are missing).
    Principal,
    Dashboard,
    /// A public share link.
    Link,
    /// A run id of the journal.
    Run,
}

/// The one thing an error is about, by value, so that a caller can ask "was it this profile?"
/// without reading the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub thing: Thing,
    pub name: String,
}

impl Subject {
    pub fn new(thing: Thing, name: impl Into<String>) -> Self {
        Subject {
            thing,
            name: name.into(),
        }
    }

    pub fn is(&self, thing: Thing, name: &str) -> bool {
        self.thing == thing && self.name == name
    }
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
        Error::Invalid {
            message: message.to_string(),
            about: None,
            source: None,
        }
    }

    /// Bad input about one named thing (a profile's bad setting, say).
    pub fn invalid_about(about: Subject, message: impl fmt::Display) -> Self {
        Error::Invalid {
            message: message.to_string(),
            about: Some(about),
            source: None,
        }
    }

    /// Bad input (a file that cannot be read, say) caused by `source`, whose words `message`
    /// already carries.
    pub fn invalid_from(
        message: impl fmt::Display,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Invalid {
            message: message.to_string(),
            about: None,
            source: Some(Arc::new(source)),
        }
    }

    /// `name`, a `thing` the user named, does not exist.
    pub fn not_found(thing: Thing, name: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::NotFound {
            about: Subject::new(thing, name),
            message: message.to_string(),
        }
    }

    pub fn remote(message: impl fmt::Display) -> Self {
        Error::Remote {
            message: message.to_string(),
            source: None,
        }
    }

    /// A remote failure caused by `source` (a transport or I/O error), whose words `message`
    /// already carries.
    pub fn remote_from(
        message: impl fmt::Display,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Remote {
            message: message.to_string(),
            source: Some(Arc::new(source)),
        }
    }

    /// A failure on this machine (`Local`).
    pub fn local(message: impl fmt::Display) -> Self {
        Error::Local {
            message: message.to_string(),
            source: None,
        }
    }

    /// A failure on this machine caused by `source` (an I/O error), whose words `message`
    /// already carries.
    pub fn local_from(
        message: impl fmt::Display,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Local {
            message: message.to_string(),
            source: Some(Arc::new(source)),
        }
    }

    /// An answer not understood, blamed on no one request. The message quotes the server's
    /// keys and values, so it is scrubbed of secrets here.
    pub fn not_understood(message: impl fmt::Display) -> Self {
        Error::NotUnderstood {
            message: crate::redact::scrub(&message.to_string()).into_owned(),
            request: None,
        }
    }

    /// An answer to `request` ("METHOD URL") not understood.
    pub fn not_understood_from(request: &str, message: impl fmt::Display) -> Self {
        Error::NotUnderstood {
            message: crate::redact::scrub(&message.to_string()).into_owned(),
            request: Some(crate::redact::scrub(request).into_owned()),
        }
    }

    /// The thing this error is about, when it is about one.
    pub fn about(&self) -> Option<&Subject> {
        match self {
            Error::Invalid { about, .. } => about.as_ref(),
            Error::NotFound { about, .. } => Some(about),
            _ => None,
        }
    }

    /// The same error, its message extended: the kind and exit code do not change.
    pub fn and_then_say(mut self, more: impl fmt::Display) -> Self {
        let message = match &mut self {
            Error::Invalid { message, .. }
            | Error::NotFound { message, .. }
            | Error::PermissionDenied(message)
            | Error::NotSupported(message)
            | Error::Auth(message)
            | Error::Remote { message, .. }
            | Error::Local { message, .. }
            | Error::NotUnderstood { message, .. }
            | Error::Drift(message)
            | Error::Interrupted { message, .. } => message,
        };
        message.push_str(&format!("; {more}"));
        self
    }

    /// The one place where a failure becomes an exit code.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Invalid { .. } | Error::NotFound { .. } | Error::NotSupported(_) => {
                ExitCode::BadInput
            }
            // A 403 has always exited as a failed remote operation; exit code 3 is kept for
            // refused credentials.
            Error::PermissionDenied(_)
            | Error::Remote { .. }
            | Error::Local { .. }
            | Error::NotUnderstood { .. } => ExitCode::RemoteFailure,
            Error::Auth(_) => ExitCode::AuthFailure,
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

    /// A stable snake_case name for the failure, for machines (`-o json` errors).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::PermissionDenied(_) => "permission_denied",
            Error::NotSupported(_) => "not_supported",
            Error::Auth(_) => "auth",
            Error::Remote { .. } => "remote",
            Error::Local { .. } => "local",
            Error::NotUnderstood { .. } => "not_understood",
            Error::Drift(_) => "drift",
            Error::Interrupted { .. } => "interrupted",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Signal;
    use std::error::Error as _;

    /// Every variant once, with the exit code and kind the contract and issue 14 rely on.
    #[test]
    fn each_variant_has_one_exit_code_and_one_kind() {
        let io = || std::io::Error::other("connection reset");
        let table = [
            (Error::invalid("m"), ExitCode::BadInput, "invalid"),
            (
                Error::invalid_from("m", io()),
                ExitCode::BadInput,
                "invalid",
            ),
            (
                Error::invalid_about(Subject::new(Thing::Profile, "p"), "m"),
                ExitCode::BadInput,
                "invalid",
            ),
            (
                Error::not_found(Thing::Dashboard, "d", "m"),
                ExitCode::BadInput,
                "not_found",
            ),
            (
                Error::PermissionDenied("m".into()),
                ExitCode::RemoteFailure,
                "permission_denied",
            ),
            (
                Error::NotSupported("m".into()),
                ExitCode::BadInput,
                "not_supported",
            ),
            (Error::Auth("m".into()), ExitCode::AuthFailure, "auth"),
            (Error::remote("m"), ExitCode::RemoteFailure, "remote"),
            (Error::local("m"), ExitCode::RemoteFailure, "local"),
            (
                Error::local_from("m", io()),
                ExitCode::RemoteFailure,
                "local",
            ),
            (
                Error::remote_from("m", io()),
                ExitCode::RemoteFailure,
                "remote",
            ),
            (
                Error::not_understood("m"),
                ExitCode::RemoteFailure,
                "not_understood",
            ),
            (
                Error::not_understood_from("GET https://x/", "m"),
                ExitCode::RemoteFailure,
                "not_understood",
            ),
            (Error::Drift("m".into()), ExitCode::Drift, "drift"),
            (
                Error::Interrupted {
                    signal: Signal::Interrupt,
                    message: "m".into(),
                },
                ExitCode::Interrupted,
                "interrupted",
            ),
            (
                Error::Interrupted {
                    signal: Signal::Terminate,
                    message: "m".into(),
                },
                ExitCode::Terminated,
                "interrupted",
            ),
        ];
        for (error, code, kind) in table {
            assert_eq!(error.exit_code(), code, "{error:?}");
            assert_eq!(error.kind(), kind, "{error:?}");
            assert_eq!(error.to_string(), "m", "the message is the whole Display");
            let longer = error.clone().and_then_say("more");
            assert_eq!(longer.to_string(), "m; more");
            assert_eq!(longer.exit_code(), code, "{longer:?}");
            assert_eq!(longer.kind(), kind, "{longer:?}");
            assert_eq!(longer.about(), error.about());
        }
    }

    #[test]
    fn not_found_is_about_what_was_named() {
        let err = Error::not_found(Thing::Profile, "staging", "profile 'staging' is not in c");
        assert!(err.about().is_some_and(|s| s.is(Thing::Profile, "staging")));
        assert!(!err.about().is_some_and(|s| s.is(Thing::Profile, "prod")));
        assert!(Error::invalid("m").about().is_none());
    }

    #[test]
    fn a_failure_keeps_its_cause() {
        let err = Error::remote_from(
            "GET / failed: reset",
            std::io::Error::other("connection reset"),
        );
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("connection reset")
        );
        assert!(Error::remote("m").source().is_none());
        let err = Error::invalid_from("cannot read f: denied", std::io::Error::other("denied"));
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("denied")
        );
        assert_eq!(err.kind(), "invalid");
        assert!(Error::invalid("m").source().is_none());
    }
}
