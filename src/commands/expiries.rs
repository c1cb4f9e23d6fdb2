//! When shares given for a time end, from this machine's journal: as `list` and `report` show
//! them, and as a run reads them before it decides them anew.

use crate::cli::GlobalArgs;
use crate::config::Profile;
use crate::error::Result;
use crate::journal::Journal;
use crate::model::{Level, ShareKey};
use crate::share_ends::{RunEnds, ShareEnds};

/// The journal's share ends. The journal only adds to what is shown: one that cannot be read
/// shows no expiry.
pub struct Expiries {
    ends: ShareEnds,
}

impl Expiries {
    pub fn load(global: &GlobalArgs) -> Expiries {
        let ends = match super::journal(global).and_then(|journal| ShareEnds::read(&journal)) {
            Ok(ends) => ends,
            Err(err) => {
                tracing::debug!("no expiries shown: {err}");
                ShareEnds::default()
            }
        };
        Expiries { ends }
    }

    /// When the share `key` of `dashboard` ends, while it is still at the level the timed grant
    /// gave (`level`).
    pub fn of_share(
        &self,
        profile: &Profile,
        dashboard: &str,
        key: &ShareKey,
        level: Level,
    ) -> Option<String> {
        self.ends
            .of_share(profile.url.as_str(), dashboard, key, level)
            .map(|end| crate::flow::timed::rfc3339(end.at))
    }
}

/// The ends in force for a run: a writing one (holding the lock) is refused when the journal
/// cannot say them (`RunEnds::read`); a dry run shows none then, and says so.
pub fn run_ends(journal: &Journal, dry_run: bool) -> Result<RunEnds> {
    if !dry_run {
        return RunEnds::read(journal);
    }
    Ok(RunEnds::of(ShareEnds::read(journal).unwrap_or_else(
        |err| {
            tracing::warn!("the ends of earlier timed grants are unknown: {err}");
            ShareEnds::default()
        },
    )))
}
