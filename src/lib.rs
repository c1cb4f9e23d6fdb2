//! dashshare: grant, revoke and list dashboard shares on five BI vendors through their REST APIs.

pub mod apply;
pub mod capped;
pub mod checksum;
pub mod cli;
pub mod commands;
pub mod config;
pub mod confirm;
pub mod data_model;
pub mod error;
pub mod flow;
pub mod http;
pub mod interrupt;
pub mod journal;
pub mod links;
pub mod logging;
pub mod model;
pub mod output;
pub mod pacer;
pub mod pager;
pub mod paths;
pub mod private_file;
pub mod providers;
pub mod redact;
pub mod run_lock;
pub mod sandbox;
pub mod session;
pub mod shape;
pub mod share_ends;
pub mod signal;
pub mod suggest;
pub mod terminal;
pub mod usage;
pub mod vendor;
pub mod wording;
pub mod write_ahead;

pub use error::{Error, ExitCode, Result};
