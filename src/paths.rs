//! Where dashshare keeps its files when no flag names them: the platform's folders, as etcetera
//! finds them. The one place that reads HOME and the XDG variables.
//!
//! Linux, the BSDs and macOS follow XDG: the config in `$XDG_CONFIG_HOME` or `~/.config`, the
//! journal in `$XDG_STATE_HOME` or `~/.local/state`. macOS takes XDG too, not
//! `~/Library/Application Support`, as gh, kubectl and terraform users expect of a CLI, and so
//! that a config copied between a Linux and a Mac laptop lands in the same place. Windows takes
//! its own folders: `%APPDATA%` for both, since Windows has no state folder.

use std::path::PathBuf;

use etcetera::BaseStrategy;

/// The folder of dashshare's own files under a config or state folder.
const APP: &str = "dashshare";

/// The current user's folders, read from the process's environment once per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    home: PathBuf,
    config: PathBuf,
    state: PathBuf,
}

impl Folders {
    /// None when no home folder can be found (no `$HOME` and no password entry, or on Windows
    /// no profile folder).
    pub fn of_this_user() -> Option<Folders> {
        let strategy = etcetera::choose_base_strategy().ok()?;
        Some(Folders {
            home: strategy.home_dir().to_path_buf(),
            config: strategy.config_dir(),
            state: strategy.state_dir().unwrap_or_else(|| strategy.data_dir()),
        })
    }

    /// The config files looked at, in order: the platform's config folder, then
    /// `~/.config/dashshare/config.toml`, where a file stays found when `$XDG_CONFIG_HOME` is
    /// set later (and on Windows, for a config brought from Linux or macOS).
    pub fn config_files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.config.join(APP).join("config.toml")];
        let beside_home = self.home.join(".config").join(APP).join("config.toml");
        if !files.contains(&beside_home) {
            files.push(beside_home);
        }
        files
    }

    /// The journal of writes.
    pub fn journal(&self) -> PathBuf {
        self.state.join(APP).join("journal.jsonl")
    }
}

/// The user's home folder, for `~/` in a config file's paths.
pub fn home() -> Option<PathBuf> {
    etcetera::home_dir().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(home: &str, config: &str, state: &str) -> Folders {
        Folders {
            home: home.into(),
            config: config.into(),
            state: state.into(),
        }
    }

    #[test]
    fn the_config_folder_comes_first_then_the_one_beside_home() {
        let found = folders("/home/u", "/xdg/config", "/xdg/state");
        assert_eq!(
            found.config_files(),
            [
                PathBuf::from("/xdg/config/dashshare/config.toml"),
                PathBuf::from("/home/u/.config/dashshare/config.toml"),
            ]
        );
    }

    #[test]
    fn the_default_config_folder_is_looked_at_once() {
        let found = folders("/home/u", "/home/u/.config", "/home/u/.local/state");
        assert_eq!(
            found.config_files(),
            [PathBuf::from("/home/u/.config/dashshare/config.toml")]
        );
    }

    #[test]
    fn the_journal_lives_in_the_state_folder() {
        let found = folders("/home/u", "/home/u/.config", "/home/u/.local/state");
        assert_eq!(
            found.journal(),
            PathBuf::from("/home/u/.local/state/dashshare/journal.jsonl")
        );
    }
}
