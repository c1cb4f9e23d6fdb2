//! `completions`: the shell's completion script on stdout. The script calls back into dashshare
//! (`DASHSHARE_COMPLETE=SHELL dashshare -- WORDS…`, clap_complete's dynamic completion), so it
//! completes what only dashshare knows at that moment: the config file's profile names for `-p`.
//!
//! clap_complete marks that engine `unstable-dynamic`: the call-back protocol may change between
//! its releases, so the README has the shell load the script anew at start-up (`source <(…)`),
//! which keeps script and binary in step across upgrades.

use clap_complete::env::{EnvCompleter, Shells};

use crate::cli::CompletionsArgs;
use crate::error::{Error, Result};

/// The environment variable that turns a run into a completion request (main answers it with
/// clap_complete's `CompleteEnv` before anything else). Ours, not clap's default `COMPLETE`, so
/// that a variable of that common name left in a CI environment cannot hijack a run.
pub const COMPLETE_VAR: &str = "DASHSHARE_COMPLETE";

pub fn run(args: &CompletionsArgs) -> Result<()> {
    let text = script(args.shell)?;
    crate::output::print_text(text.trim_end())
}

/// The registration script for `shell`, calling `dashshare` on $PATH back.
pub fn script(shell: clap_complete::Shell) -> Result<String> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer: &dyn EnvCompleter = shells
        .completer(&name)
        .ok_or_else(|| Error::invalid(format!("no completion for the shell '{name}'")))?;
    let mut script = Vec::new();
    completer
        .write_registration(
            COMPLETE_VAR,
            "dashshare",
            "dashshare",
            "dashshare",
            &mut script,
        )
        .map_err(|err| Error::local_from(format!("cannot write the {name} script: {err}"), err))?;
    String::from_utf8(script)
        .map_err(|err| Error::local(format!("the {name} completion script is not UTF-8: {err}")))
}
