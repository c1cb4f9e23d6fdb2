//! When shares given for a time end, as `list` and `report` show them, from this machine's
//! journal.

use crate::cli::GlobalArgs;
use crate::config::Profile;
use crate::journal::Journal;
use crate::model::{Level, ShareKey};
use crate::share_ends::ShareEnds;

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
            .map(|end| end.at.clone())
    }
}

/// The ends earlier timed grants gave shares, for a run that asks for shares anew (`grant`,
/// `apply`, `diff`). A journal that cannot be read gives none, marked unknown: a run whose
/// shares depend on them refuses them (`flow::timed::earlier_ends`), since once the journal is
/// mended `expire` would take back what the run asked to keep.
pub fn earlier_ends(journal: &Journal) -> ShareEnds {
    match ShareEnds::read(journal) {
        Ok(ends) => ends,
        Err(err) => {
            tracing::warn!("the ends of earlier timed grants are unknown: {err}");
            ShareEnds::unread(err.to_string())
        }
    }
}
