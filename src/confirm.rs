//! The question before a command removes shares a person may depend on (`apply --prune`, and
//! for `grant --replace` and `undo` the same call with their own removals). Only a person at a
//! terminal is asked; scripts and CI are not, and keep the `--max-removals` guard. `--yes` skips
//! the question.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};
use crate::interrupt::Interrupt;
use crate::model::{Level, PrincipalKind};
use crate::output;

/// Removals listed one per line before the question; the rest are counted.
pub const LISTED: usize = 20;

/// One share a command is about to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// As people know it: the title with the id, or the id.
    pub dashboard: String,
    pub principal: String,
    pub kind: PrincipalKind,
    /// The access it has now.
    pub level: Option<Level>,
}

/// How the question ended, when it did not end the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// Go ahead: confirmed, `--yes`, nothing to remove, or no terminal to ask on.
    Yes,
    /// SIGINT or SIGTERM came while the question was open: start nothing.
    Interrupted,
}

/// Whether a person can be asked: stdin and stderr are both terminals.
pub fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks on this process's terminal (stdin and stderr both terminals) before `removals` are made,
/// unless `yes`. Anything but `y` or `yes` is exit 2, nothing changed. While the question is
/// open, a signal ends it with `Confirmed::Interrupted` (the caller's interrupt sees it too).
pub async fn on_terminal(
    removals: Vec<Removal>,
    yes: bool,
    interrupt: &Interrupt,
) -> Result<Confirmed> {
    if removals.is_empty() || yes || !can_ask() {
        return Ok(Confirmed::Yes);
    }
    // A reading thread of its own, not the runtime's: a read of a terminal cannot be cancelled,
    // and a detached thread does not hold the process open once the command has ended.
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("confirm".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let asked = ask(
                &removals,
                yes,
                true,
                &mut stdin.lock(),
                &mut std::io::stderr(),
            );
            let _ = answer.send(asked);
        })
        .map_err(|err| Error::local(format!("cannot ask for confirmation: {err}")))?;
    tokio::select! {
        asked = answered => asked.unwrap_or_else(|_| Err(Error::local("the confirmation stopped unanswered"))),
        () = interrupt.cancelled() => Ok(Confirmed::Interrupted),
    }
}

/// The question itself, on any reader and writer: lists the removals (the first `LISTED`, then a
/// count) on `output` and reads the answer from `input`. Skipped when there is nothing to remove,
/// with `yes`, or off a terminal.
pub fn ask(
    removals: &[Removal],
    yes: bool,
    terminal: bool,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> Result<Confirmed> {
    if removals.is_empty() || yes || !terminal {
        return Ok(Confirmed::Yes);
    }
    let count = removals.len();
    let shares = if count == 1 { "share" } else { "shares" };
    let rows = removals.iter().take(LISTED).map(|r| {
        vec![
            r.dashboard.clone(),
            r.principal.clone(),
            r.kind.to_string(),
            r.level.map_or("-".to_string(), |level| level.to_string()),
        ]
    });
    let mut text = format!(
        "This removes {count} {shares}:\n{}\n",
        output::table(&["dashboard", "principal", "type", "access"], rows)
    );
    if count > LISTED {
        text.push_str(&format!("and {} more\n", count - LISTED));
    }
    text.push_str(&format!("Remove {count} {shares}? [y/N] "));
    let cannot_ask = |err: std::io::Error| {
        Error::invalid(format!(
            "cannot ask before removing {count} {shares} ({err}); nothing was changed. Pass --yes \
             to remove them without the question"
        ))
    };
    output
        .write_all(output::terminal_safe(&text).as_bytes())
        .and_then(|()| output.flush())
        .map_err(cannot_ask)?;
    let mut answer = String::new();
    input.read_line(&mut answer).map_err(cannot_ask)?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        return Ok(Confirmed::Yes);
    }
    Err(Error::invalid(format!(
        "not confirmed, so nothing was changed ({count} {shares} kept). Pass --yes to remove \
         without the question"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Access;

    fn removals(count: usize) -> Vec<Removal> {
        (0..count)
            .map(|n| Removal {
                dashboard: format!("Sales ({n})"),
                principal: format!("user{n}@example.com"),
                kind: PrincipalKind::User,
                level: Some(Level::Access(Access::Edit)),
            })
            .collect()
    }

    /// What `ask` answers to `typed`, and what it showed.
    fn asked(
        removals: &[Removal],
        yes: bool,
        terminal: bool,
        typed: &str,
    ) -> (Result<Confirmed>, String) {
        let mut shown = Vec::new();
        let answer = ask(removals, yes, terminal, &mut typed.as_bytes(), &mut shown);
        (answer, String::from_utf8(shown).unwrap())
    }

    #[test]
    fn y_or_yes_goes_ahead_after_the_removals_are_shown() {
        for typed in ["y\n", "yes\n", " YES \n", "Y"] {
            let (answer, shown) = asked(&removals(2), false, true, typed);
            assert_eq!(answer.unwrap(), Confirmed::Yes, "{typed:?}");
            assert!(shown.contains("This removes 2 shares:"), "{shown}");
            assert!(shown.contains("user1@example.com"), "{shown}");
            assert!(shown.contains("edit"), "{shown}");
            assert!(shown.ends_with("Remove 2 shares? [y/N] "), "{shown}");
        }
    }

    #[test]
    fn anything_else_stops_with_exit_2() {
        for typed in ["\n", "n\n", "no\n", "yep\n", ""] {
            let (answer, _) = asked(&removals(1), false, true, typed);
            let err = answer.unwrap_err();
            assert_eq!(err.exit_code() as u8, 2, "{typed:?}");
            assert!(err.to_string().contains("--yes"), "{err}");
        }
    }

    #[test]
    fn a_long_list_shows_the_first_ones_and_counts_the_rest() {
        let (_, shown) = asked(&removals(LISTED + 7), false, true, "n\n");
        assert!(shown.contains(&format!("user{}@example.com", LISTED - 1)));
        assert!(
            !shown.contains(&format!("user{LISTED}@example.com")),
            "{shown}"
        );
        assert!(shown.contains("and 7 more\n"), "{shown}");
        assert!(shown.contains(&format!("Remove {} shares?", LISTED + 7)));
    }

    #[test]
    fn yes_no_terminal_or_nothing_to_remove_asks_nothing() {
        for (list, yes, terminal) in [
            (removals(3), true, true),
            (removals(3), false, false),
            (Vec::new(), false, true),
        ] {
            let (answer, shown) = asked(&list, yes, terminal, "n\n");
            assert_eq!(answer.unwrap(), Confirmed::Yes);
            assert_eq!(shown, "");
        }
    }

    #[test]
    fn vendor_text_cannot_drive_the_terminal() {
        let mut list = removals(1);
        list[0].principal = "eve\u{1b}[2J".into();
        let (_, shown) = asked(&list, false, true, "n\n");
        assert!(!shown.contains('\u{1b}'), "{shown}");
    }
}
