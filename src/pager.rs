//! Long listings through `$PAGER` on a terminal, as git and gh do; never for a pipe or a file.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::Result;

/// The pager when neither DASHSHARE_PAGER nor PAGER names one: -F quits at once when the text fits
/// on one screen, -R keeps colours, -X leaves the text on the screen after quitting.
const DEFAULT_PAGER: &str = "less -FRX";

/// The pager to run, as program and arguments, or `None` to print straight to stdout: only when
/// stdout is a terminal and the output is for people, and not when `--no-pager`,
/// DASHSHARE_PAGER (first) or PAGER is set to empty or `cat`.
pub fn choose(
    stdout_is_terminal: bool,
    for_people: bool,
    no_pager: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Vec<String>> {
    if !stdout_is_terminal || !for_people || no_pager {
        return None;
    }
    let named = env("DASHSHARE_PAGER")
        .or_else(|| env("PAGER"))
        .unwrap_or_else(|| DEFAULT_PAGER.to_string());
    let words = shlex::split(&named)?;
    match words.first().map(String::as_str) {
        None | Some("cat") => None,
        Some(_) => Some(words),
    }
}

/// `text` (terminal controls escaped, as `output::print_text`) through `pager`,
/// or to stdout without one. A pager that cannot start prints straight to stdout instead; one
/// that quits before reading everything (`q` in less) is no error.
pub fn print(text: &str, pager: Option<&[String]>) -> Result<()> {
    let Some((program, args)) = pager.and_then(|words| words.split_first()) else {
        return crate::output::print_text(text);
    };
    // Ctrl-C in the pager (less aborts a search with it) reaches the whole process group:
    // dashshare must outlive it and wait for the pager, as git does, or the shell's prompt and
    // the pager fight over the terminal. Catching SIGINT (and doing nothing) is how tokio
    // ignores it; the listing is all read by then, so nothing is left to interrupt. Set before the
    // pager starts, which may send it at once.
    #[cfg(unix)]
    let _caught = tokio::runtime::Handle::try_current().ok().and_then(|_| {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()
    });
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        return crate::output::print_text(text);
    };
    if let Some(mut stdin) = child.stdin.take() {
        let safe = crate::output::terminal_safe(text);
        // Broken pipe: the reader quit early, as `dashshare list … | head` does.
        let _ = writeln!(stdin, "{safe}");
    }
    let _ = child.wait();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn words(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn a_terminal_gets_the_default_pager() {
        assert_eq!(
            choose(true, true, false, &env(&[])),
            words(&["less", "-FRX"])
        );
    }

    #[test]
    fn a_pipe_json_or_no_pager_print_straight() {
        assert_eq!(choose(false, true, false, &env(&[])), None);
        assert_eq!(choose(true, false, false, &env(&[])), None);
        assert_eq!(choose(true, true, true, &env(&[])), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_pager_that_quits_at_once_or_cannot_start_is_no_error() {
        // `true` reads nothing: the write meets a closed pipe, as when `q` ends less early.
        let long = "a row of a long listing\n".repeat(20_000);
        assert!(print(&long, Some(&["true".to_string()])).is_ok());
        let missing = ["dashshare-no-such-pager".to_string()];
        assert!(print("", Some(&missing)).is_ok());
    }

    #[test]
    fn the_environment_names_the_pager_or_turns_it_off() {
        let pager = [("PAGER", "more")];
        assert_eq!(choose(true, true, false, &env(&pager)), words(&["more"]));
        let both = [("PAGER", "more"), ("DASHSHARE_PAGER", "less -S")];
        assert_eq!(
            choose(true, true, false, &env(&both)),
            words(&["less", "-S"])
        );
        assert_eq!(choose(true, true, false, &env(&[("PAGER", "")])), None);
        assert_eq!(choose(true, true, false, &env(&[("PAGER", "cat")])), None);
        let off = [("PAGER", "more"), ("DASHSHARE_PAGER", "cat")];
        assert_eq!(choose(true, true, false, &env(&off)), None);
    }
}
