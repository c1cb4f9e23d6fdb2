//! When shares given for a time end, as `list` and `report` show them: the pending timed grants
//! of the journal, matched to a share by server, profile, dashboard and principal.

use std::collections::HashMap;

use crate::cli::GlobalArgs;
use crate::config::Profile;
use crate::journal::{self, Entry};
use crate::model::{Level, ShareKey};

/// Where a share lies: profile, server, dashboard.
type Place = (String, String, String);

/// Each timed share of a dashboard: the level it was given and when it ends.
type Timed = HashMap<ShareKey, (Level, String)>;

/// The journal's pending expiries. The journal only adds to what is shown: one that cannot be
/// read shows no expiry.
pub struct Expiries {
    pending: HashMap<Place, Timed>,
}

impl Expiries {
    pub fn load(global: &GlobalArgs) -> Expiries {
        match super::journal(global).and_then(|journal| journal.entries()) {
            Ok(entries) => Expiries::of(&entries),
            Err(err) => {
                tracing::debug!("no expiries shown: {err}");
                Expiries {
                    pending: HashMap::new(),
                }
            }
        }
    }

    fn of(entries: &[Entry]) -> Expiries {
        let mut pending: HashMap<Place, Timed> = HashMap::new();
        for entry in journal::pending_expiries(entries) {
            let Some(expiry) = &entry.marks.expires else {
                continue;
            };
            let place = (
                entry.profile.clone(),
                entry.url.clone(),
                entry.dashboard.id.clone(),
            );
            let shares = pending.entry(place).or_default();
            for share in &expiry.shares {
                shares.insert(share.key.clone(), (share.granted, expiry.at.clone()));
            }
        }
        Expiries { pending }
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
        let place = (
            profile.name.clone(),
            profile.url.to_string(),
            dashboard.to_string(),
        );
        self.pending
            .get(&place)?
            .get(key)
            .filter(|(granted, _)| *granted == level)
            .map(|(_, at)| at.clone())
    }
}
