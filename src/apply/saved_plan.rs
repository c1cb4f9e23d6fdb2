//! A saved plan (`diff FILE --out plan.json`): per dashboard, the shares read and the write
//! intended, with the server each profile named. `apply --plan` carries out exactly those writes,
//! and refuses a dashboard whose shares changed since, the way Terraform refuses a stale plan.
//! It holds profile names and server URLs, never a secret, and a sha256 of its text as its last
//! member (`checksum.rs`): a plan edited by hand, or without one, is refused.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::execute::{Connected, DataModelWrite, Report};
use crate::checksum::Seal;
use crate::error::{Error, Result};
use crate::flow::{self, Send};
use crate::journal::{Expiring, Expiry};
use crate::model::ends::{Asked, AskedEnds};
use crate::model::{Access, ShareKey, ShareSet};
use crate::providers::{BlindChange, Dashboard};
use crate::vendor::Vendor;

/// What marks a file as a dashshare plan, and the version of its shape.
const KIND: &str = "dashshare-plan";
/// Version 2 added `data_models`; a version 1 plan (none) is still read.
const SCHEMA_VERSION: u32 = 2;
/// A plan is a few hundred bytes per dashboard; a larger file is not one.
const MAX_PLAN_FILE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub kind: String,
    pub schema_version: u32,
    /// When the shares were read (RFC 3339).
    pub made_at: String,
    /// The file the plan was made from, for people.
    pub source: String,
    pub prune: bool,
    /// Each profile's server, as the plan read it: a plan is refused against another.
    pub servers: BTreeMap<String, Server>,
    pub dashboards: Vec<PlannedWrite>,
    /// The data models' entries to give (`diff --with-data`, or the file's `with_data`), each
    /// written once, after the dashboards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_models: Vec<PlannedModel>,
}

/// One data model's entries, as planned. The write merges them into the model's entries as
/// they are then: a party that has an entry by that time keeps it, so nothing is lost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedModel {
    pub profile: String,
    #[serde(flatten)]
    pub write: DataModelWrite,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub vendor: Vendor,
    pub url: String,
}

/// One dashboard's write, as planned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedWrite {
    pub profile: String,
    pub dashboard: Dashboard,
    /// The shares read when the plan was made; `None` where the vendor cannot read them.
    pub before: Option<ShareSet>,
    /// The shares the write leaves (for a vendor that cannot read: what is sent).
    pub after: ShareSet,
    pub send: PlannedSend,
    pub publish: bool,
    /// The shares the file gives for a time (`expires`): their ends are decided when the plan is
    /// carried out, over the ends in force then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Expiry>,
    /// The shares the file asks for with no end: any end they have then no longer holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keeps: Vec<ShareKey>,
}

/// How the write reaches the vendor (see `flow::Send`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannedSend {
    /// The whole list written over a fresh read that must still equal `before`.
    Merge,
    /// Sent as asked, in turn, to a vendor that cannot read.
    Blind(Vec<BlindSend>),
    /// The complete set, to a vendor whose only write is a complete one.
    Replace,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindSend {
    /// `grant` or `revoke`.
    pub change: String,
    /// The access granted, or the one level revoked (none: every level).
    pub access: Option<Access>,
    pub keys: Vec<ShareKey>,
}

impl BlindSend {
    fn of(change: BlindChange, keys: &[ShareKey]) -> BlindSend {
        let (change, access) = match change {
            BlindChange::Grant(access) => ("grant", Some(access)),
            BlindChange::Revoke(access) => ("revoke", access),
        };
        BlindSend {
            change: change.into(),
            access,
            keys: keys.to_vec(),
        }
    }

    pub fn change(&self) -> Result<BlindChange> {
        match (self.change.as_str(), self.access) {
            ("grant", Some(access)) => Ok(BlindChange::Grant(access)),
            ("revoke", access) => Ok(BlindChange::Revoke(access)),
            (other, _) => Err(Error::invalid(format!(
                "the plan has a send '{other}' dashshare does not know: make the plan again with \
                 `dashshare diff FILE --out PLAN`"
            ))),
        }
    }
}

impl SavedPlan {
    /// The writes a dry run planned (`Options::keep_plan`), with each profile's server.
    pub fn of(report: &Report, sites: &[Connected], source: &Path, prune: bool) -> SavedPlan {
        let servers = sites
            .iter()
            .map(|connected| {
                let profile = &connected.site.profile;
                let server = Server {
                    vendor: profile.vendor,
                    url: profile.url.to_string(),
                };
                (profile.name.clone(), server)
            })
            .collect();
        let dashboards = report
            .dashboards
            .iter()
            .filter_map(|result| {
                let write = result.planned.as_ref()?;
                Some(PlannedWrite {
                    profile: result.profile.clone(),
                    dashboard: write.dashboard.clone(),
                    before: match &write.send {
                        Send::Merge { snapshot, .. } => Some(snapshot.shares.clone()),
                        Send::Blind(_) | Send::Replace => None,
                    },
                    after: write.after.clone(),
                    send: match &write.send {
                        Send::Merge { .. } => PlannedSend::Merge,
                        Send::Blind(sends) => PlannedSend::Blind(
                            sends
                                .iter()
                                .map(|(change, keys)| BlindSend::of(*change, keys))
                                .collect(),
                        ),
                        Send::Replace => PlannedSend::Replace,
                    },
                    publish: write.publish,
                    expires: timed_of(&write.asked, &write.after),
                    keeps: write
                        .asked
                        .iter()
                        .filter(|(_, asked)| **asked == Asked::NoEnd)
                        .map(|(key, _)| key.clone())
                        .collect(),
                })
            })
            .collect();
        let data_models = report
            .data_models
            .iter()
            .filter_map(|outcome| {
                Some(PlannedModel {
                    profile: outcome.profile.clone(),
                    write: (**outcome.planned.as_ref()?).clone(),
                })
            })
            .collect();
        SavedPlan {
            kind: KIND.into(),
            schema_version: SCHEMA_VERSION,
            made_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            source: source.display().to_string(),
            prune,
            servers,
            dashboards,
            data_models,
        }
    }

    /// Written beside its place and renamed over it, readable by its owner only (it names people).
    pub fn save(&self, path: &Path) -> Result<()> {
        let failed = |err: &dyn std::fmt::Display| {
            Error::local(format!(
                "cannot write the plan to {}: {err}",
                path.display()
            ))
        };
        let text = serde_json::to_string_pretty(self).map_err(|err| failed(&err))?;
        let sealed = crate::checksum::seal(&text);
        crate::private_file::write(path, sealed.as_bytes()).map_err(|err| failed(&err))
    }

    pub fn load(path: &Path) -> Result<SavedPlan> {
        let cannot = |err: std::io::Error| {
            Error::invalid(format!("cannot read the plan {}: {err}", path.display()))
        };
        let file = crate::private_file::open_existing(path)
            .map_err(cannot)?
            .ok_or_else(|| cannot(std::io::ErrorKind::NotFound.into()))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut crate::capped::file(file, MAX_PLAN_FILE).map_err(cannot)?,
            &mut bytes,
        )
        .map_err(cannot)?;
        let not_a_plan = |why: String| {
            Error::invalid(format!(
                "{} is not a plan dashshare can carry out ({why}): make one with `dashshare diff \
                 FILE --out PLAN`",
                path.display()
            ))
        };
        let text = match crate::checksum::open(&bytes) {
            Seal::Sealed(text) => text,
            Seal::Mismatch => {
                return Err(not_a_plan(
                    "it was changed after dashshare wrote it: its sha256 does not match".into(),
                ));
            }
            Seal::Unsealed => {
                return Err(not_a_plan(
                    "it has no sha256: it was made by a dashshare from before plans carried one, \
                     or edited"
                        .into(),
                ));
            }
        };
        let plan: SavedPlan =
            serde_json::from_slice(&text).map_err(|err| not_a_plan(err.to_string()))?;
        if plan.kind != KIND {
            return Err(not_a_plan(format!("its kind is '{}'", plan.kind)));
        }
        if !(1..=SCHEMA_VERSION).contains(&plan.schema_version) {
            return Err(not_a_plan(format!(
                "schema_version {}, this dashshare reads 1 to {SCHEMA_VERSION}",
                plan.schema_version
            )));
        }
        Ok(plan)
    }
}

/// The shares a write gives until a time, as a plan records them (one end per dashboard: an
/// apply file gives one dashboard's timed shares one end).
fn timed_of(asked: &AskedEnds, after: &ShareSet) -> Option<Expiry> {
    let mut at = None;
    let shares: Vec<Expiring> = asked
        .iter()
        .filter_map(|(key, asked)| match asked {
            Asked::Until(until) => {
                at = Some(*until);
                Some(Expiring {
                    key: key.clone(),
                    granted: after.get(key)?,
                    before: None,
                })
            }
            _ => None,
        })
        .collect();
    Some(Expiry {
        at: crate::flow::timed::rfc3339(at?),
        shares,
    })
}

impl PlannedWrite {
    /// The shares this write removes, as far as the plan knows (a vendor that cannot read
    /// states its complete set, so what that removes is unknown).
    pub fn removals(&self) -> usize {
        self.before.as_ref().map_or(0, |before| {
            before
                .iter()
                .filter(|share| share.level != crate::model::Level::Owner)
                .filter(|share| self.after.get(&share.key).is_none())
                .count()
        })
    }

    /// The write, over `fresh` shares read just now, which must equal those planned over.
    pub fn write(&self, fresh: Option<crate::providers::Snapshot>) -> Result<flow::Write> {
        let send = match (&self.send, fresh) {
            (PlannedSend::Merge, Some(snapshot)) => Send::Merge {
                snapshot,
                reread: false,
            },
            (PlannedSend::Merge, None) => {
                return Err(Error::remote("the plan needs a read of the shares first"));
            }
            (PlannedSend::Blind(sends), _) => Send::Blind(
                sends
                    .iter()
                    .map(|send| Ok((send.change()?, send.keys.clone())))
                    .collect::<Result<_>>()?,
            ),
            (PlannedSend::Replace, _) => Send::Replace,
        };
        let mut asked: AskedEnds = self
            .keeps
            .iter()
            .map(|key| (key.clone(), Asked::NoEnd))
            .collect();
        if let Some(expiry) = &self.expires {
            let at = chrono::DateTime::parse_from_rfc3339(&expiry.at)
                .map(|at| at.with_timezone(&chrono::Utc))
                .ok()
                .filter(|at| *at > chrono::Utc::now())
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "the plan gives shares of {} until {}, which has passed (or is no time): \
                         make the plan again with `dashshare diff FILE --out PLAN`",
                        self.dashboard.id, expiry.at
                    ))
                })?;
            for share in &expiry.shares {
                asked.insert(share.key.clone(), Asked::Until(at));
            }
        }
        Ok(flow::Write {
            dashboard: self.dashboard.clone(),
            after: self.after.clone(),
            send,
            publish: self.publish,
            asked,
        })
    }
}
