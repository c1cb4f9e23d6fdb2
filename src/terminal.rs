//! What a person at a terminal is shown beyond plain text: colour, only where it can be seen and
//! is wanted (no-color.org's NO_COLOR, TERM=dumb), and the progress bar, which every line written
//! to stderr lifts out of the way first, so that a log line never tears it.

use std::io::{IsTerminal, Write};
use std::sync::LazyLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether a stream takes colour: it is a terminal, NO_COLOR is unset or empty, and TERM is not
/// `dumb`. `env` reads a variable.
pub fn use_colour(is_terminal: bool, env: &dyn Fn(&str) -> Option<String>) -> bool {
    is_terminal
        && env("NO_COLOR").is_none_or(|value| value.is_empty())
        && env("TERM").as_deref() != Some("dumb")
}

/// `use_colour` for this process's `stream`.
pub fn colour_for(stream: &impl IsTerminal) -> bool {
    use_colour(stream.is_terminal(), &|name| {
        std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
    })
}

/// Every bar shown is drawn through this one, so that `write_stderr` can lift it.
static BARS: LazyLock<MultiProgress> =
    LazyLock::new(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));

/// A progress bar on stderr over `what` (plural), or a hidden one when `shown` is false. It spins
/// with its message until `grow` gives it a total: a bar never reads `0/0`.
pub fn progress_bar(shown: bool, what: &'static str) -> ProgressBar {
    if !shown {
        // With a total, as a shown bar has, so that `grow` counts on either.
        return ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    }
    let bar = BARS.add(ProgressBar::new(0));
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    // The total, kept for `grow`'s style (a template names it; the key must be 'static).
    bar.set_prefix(what);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Adds `more` to the bar's total; from the first item on, the bar counts.
pub fn grow(bar: &ProgressBar, more: u64) {
    bar.inc_length(more);
    if more == 0 || bar.is_hidden() {
        return;
    }
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {prefix} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
}

/// Writes `bytes` to stderr with any progress bar lifted out of the way, and put back after. A
/// closed stderr drops them: a diagnostic is not worth a panic.
pub fn write_stderr(bytes: &[u8]) {
    BARS.suspend(|| {
        let _ = std::io::stderr().lock().write_all(bytes);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn colour_only_on_a_terminal_that_wants_it() {
        assert!(use_colour(true, &env(&[("TERM", "xterm-256color")])));
        assert!(use_colour(true, &env(&[])));
        assert!(!use_colour(false, &env(&[("TERM", "xterm")])));
        assert!(!use_colour(true, &env(&[("NO_COLOR", "1")])));
        assert!(!use_colour(true, &env(&[("NO_COLOR", "0")])), "any value");
        assert!(!use_colour(true, &env(&[("TERM", "dumb")])));
        // no-color.org: an empty NO_COLOR does not count.
        assert!(use_colour(true, &env(&[("NO_COLOR", "")])));
    }

    #[test]
    fn a_bar_counts_only_once_it_has_a_total() {
        let bar = progress_bar(false, "dashboards");
        grow(&bar, 0);
        assert!(bar.is_hidden());
        assert_eq!(bar.length(), Some(0));
        grow(&bar, 3);
        assert_eq!(bar.length(), Some(3));
    }
}
