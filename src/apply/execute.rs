//! Carrying out a gathered file. Every principal is looked up once per profile and every
//! dashboard reference resolved, all before any write; then each dashboard is read, planned,
//! written once and published once, many dashboards at a time. A failure stops only its own
//! dashboard.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use indicatif::ProgressBar;

pub use super::connected::Connected;
use super::desired::Wanted;
use super::guard;
use super::lookups::{Lookups, Unit, looked_up, resolve_dashboards, resolve_principals};
use super::results::wanted_of;
pub use super::results::{DashboardResult, DataModelOutcome, DataModelWrite, ModelSource, Report};
use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::flow;
use crate::flow::{Ask, Asked, ShareResult};
use crate::interrupt::{Interrupt, Signal};
use crate::model::ends::AskedEnds;
use crate::model::{Action, Change, Level, Mode, ShareSet};
use crate::providers::{Dashboard, Snapshot};
use crate::share_ends::{RunEnds, ShareEnds};
use crate::write_ahead::WriteAhead;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub prune: bool,
    pub dry_run: bool,
    pub max_removals: usize,
    pub concurrency: usize,
    /// In a dry run, keep each dashboard's planned write (`diff --out`).
    pub keep_plan: bool,
    /// Also give the file's principals the entries they lack on the dashboards' data models.
    pub with_data: bool,
}

/// What may stop a writing run before a dashboard starts: a signal, and under `--prune` the
/// answer of a person asked before the removals.
pub struct Stops<'a> {
    pub interrupt: &'a Interrupt,
    /// `--yes`: remove without asking, even on a terminal.
    pub yes: bool,
}

/// Carries the file out with no signal handling and no question (library callers, benchmarks).
/// From how many dashboards of one profile a file is planned from the profile's listing (a
/// Sisense admin's: 50 dashboards a page) rather than one read each.
const LISTED_FROM: usize = 20;

pub async fn execute(
    sites: &[Connected],
    options: &Options,
    recorder: Option<&WriteAhead<'_>>,
    progress: &ProgressBar,
) -> Result<Report> {
    let stops = Stops {
        interrupt: &Interrupt::none(),
        yes: true,
    };
    let ends = match recorder {
        Some(ahead) => ahead.ends,
        None => &RunEnds::of(ShareEnds::default()),
    };
    execute_until(sites, options, recorder, progress, &stops, ends).await
}

/// Carries the file out until `stops` says otherwise: once a signal comes, no dashboard starts
/// (those already writing finish and are journaled), and the rest are reported not started.
/// `ends` are those in force (the recorder's, in a writing run), which the file's rows decide
/// anew.
pub async fn execute_until(
    sites: &[Connected],
    options: &Options,
    recorder: Option<&WriteAhead<'_>>,
    progress: &ProgressBar,
    stops: &Stops<'_>,
    ends: &RunEnds,
) -> Result<Report> {
    let width = options.concurrency.max(1);
    let lookups = resolve_principals(sites, width).await;
    let units = resolve_dashboards(sites, width).await;
    crate::terminal::grow(progress, units.len() as u64);

    let work = Work {
        sites,
        lookups: &lookups,
        options,
        recorder,
        journal_failed: AtomicBool::new(false),
        interrupt: stops.interrupt,
        ends,
        data: std::sync::Mutex::new(Vec::new()),
        data_unreadable: std::sync::Mutex::new(Vec::new()),
        dashboards: (0..sites.len())
            .map(|site| units.iter().filter(|u| u.site == site).count())
            .collect(),
        listings: sites.iter().map(|_| tokio::sync::OnceCell::new()).collect(),
    };
    let mut results: Vec<(usize, DashboardResult)> = if options.prune && !options.dry_run {
        // The removal guard needs every plan before the first write.
        progress.set_message("reading");
        let staged: Vec<(usize, Staged)> = futures::stream::iter(units.into_iter().enumerate())
            .map(|(order, unit)| {
                let work = &work;
                async move {
                    let staged = work.stage(&unit).await;
                    progress.inc(1);
                    (order, staged)
                }
            })
            .buffer_unordered(width)
            .collect()
            .await;
        let plans: Vec<guard::Planned> = staged
            .iter()
            .filter_map(|(_, staged)| match staged {
                Staged::Ready(ready) => Some(guard::Planned {
                    dashboard: &ready.dashboard,
                    rows: &ready.rows,
                }),
                Staged::Failed(_) => None,
            })
            .collect();
        guard::guard(
            &plans,
            options.max_removals,
            stops.yes,
            stops.interrupt,
            progress,
        )
        .await?;
        drop(plans);
        progress.set_position(0);
        progress.set_message("writing");
        futures::stream::iter(staged)
            .map(|(order, staged)| {
                let work = &work;
                async move {
                    let done = work.write(staged).await;
                    progress.inc(1);
                    (order, done)
                }
            })
            .buffer_unordered(width)
            .collect()
            .await
    } else {
        progress.set_message(if options.dry_run {
            "reading"
        } else {
            "applying"
        });
        futures::stream::iter(units.into_iter().enumerate())
            .map(|(order, unit)| {
                let work = &work;
                async move {
                    let staged = work.stage(&unit).await;
                    let done = if options.dry_run {
                        work.unwritten(staged)
                    } else {
                        work.write(staged).await
                    };
                    progress.inc(1);
                    (order, done)
                }
            })
            .buffer_unordered(width)
            .collect()
            .await
    };
    // Back in the file's order, whatever order the dashboards finished in.
    results.sort_by_key(|(order, _)| *order);
    let dashboards: Vec<DashboardResult> = results.into_iter().map(|(_, r)| r).collect();
    let data_models = work.give_data().await;
    let removals = dashboards
        .iter()
        .flat_map(|d| &d.rows)
        .filter(|row| row.action == Action::Removed)
        .count();
    Ok(Report {
        dashboards,
        removals,
        data_models,
        data_unreadable: work
            .data_unreadable
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    })
}

/// A dashboard's rows, its write (`None`: nothing to change), and what the journal must learn
/// without a write: the shares read and what the rows ask of their ends.
type Plan = (
    Vec<ShareResult>,
    Option<flow::Write>,
    Option<(ShareSet, AskedEnds)>,
    Option<DataGrant>,
);

/// A dashboard's entries to give on its data model (`--with-data`), and its shares once written,
/// for the journal line of the model's write.
struct DataGrant {
    change: DataModelChange,
    shares: ShareSet,
}

/// A dashboard planned and ready to write, or failed before any write.
enum Staged {
    Ready(Box<Ready>),
    Failed(Box<DashboardResult>),
}

struct Ready {
    site: usize,
    targets: Vec<usize>,
    dashboard: Dashboard,
    rows: Vec<ShareResult>,
    /// `None`: the plan changes nothing.
    write: Option<flow::Write>,
    /// With no write: the shares read and what the rows ask of their ends, for a line of its
    /// own where that changes an end.
    unwritten: Option<(ShareSet, AskedEnds)>,
    data: Option<DataGrant>,
}

struct Work<'a> {
    sites: &'a [Connected],
    lookups: &'a [Lookups<'a>],
    options: &'a Options,
    recorder: Option<&'a WriteAhead<'a>>,
    /// Set when a write could not be journaled: no further write starts, since `undo` would not
    /// know it.
    journal_failed: AtomicBool,
    interrupt: &'a Interrupt,
    ends: &'a RunEnds,
    /// The data-model entries of the dashboards written (or, in a dry run, planned): given at
    /// the end, one write per model.
    data: std::sync::Mutex<Vec<(usize, Dashboard, DataGrant)>>,
    /// Each data model that could not be read, said once.
    data_unreadable: std::sync::Mutex<Vec<String>>,
    /// How many dashboards the file names on each profile, and each profile's listing of every
    /// dashboard with its shares (`listed`), read once where it costs less than those reads.
    dashboards: Vec<usize>,
    listings: Vec<tokio::sync::OnceCell<Option<HashMap<String, Snapshot>>>>,
}

impl Work<'_> {
    /// `dashboard`'s shares from the profile's listing, where the vendor's listing carries them
    /// and the file names enough of its dashboards that one paged listing costs less than their
    /// reads (`LISTED_FROM`); `None`: the dashboard is read on its own. A listing the account
    /// may not read (not an admin) is said once at `-v`, and each dashboard is read instead.
    async fn listed(&self, site: usize, dashboard: &Dashboard) -> Option<&Snapshot> {
        if self.dashboards[site] < LISTED_FROM {
            return None;
        }
        let provider = self.sites[site].provider.as_ref();
        let listing = self.listings[site]
            .get_or_init(|| async {
                let profile = &self.sites[site].site.profile.name;
                match provider.listed_shares(None).await {
                    Ok(Some(snapshots)) => Some(
                        (snapshots.into_iter())
                            .map(|s| (s.dashboard.id.clone(), s))
                            .collect(),
                    ),
                    Ok(None) => {
                        tracing::info!("{profile}: no listing carries the shares here; each dashboard is read on its own");
                        None
                    }
                    Err(err) => {
                        tracing::info!("{profile}: the listing could not be read ({err}); each dashboard is read on its own");
                        None
                    }
                }
            })
            .await;
        listing.as_ref()?.get(&dashboard.id)
    }

    /// Gives the data-model entries the dashboards kept, one write per model (the entries of
    /// every dashboard reading from it together), each journaled on a line of its own under the
    /// first of those dashboards; in a dry run, only says what would be given.
    async fn give_data(&self) -> Vec<DataModelOutcome> {
        let kept = std::mem::take(
            &mut *self
                .data
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let mut models: Vec<(usize, Dashboard, DataGrant, Vec<ModelSource>)> = Vec::new();
        for (site, dashboard, grant) in kept {
            let source = ModelSource {
                dashboard: dashboard.id.clone(),
                keys: grant.change.entries.iter().map(|e| e.key.clone()).collect(),
            };
            match models
                .iter_mut()
                .find(|(s, _, g, _)| *s == site && g.change.model == grant.change.model)
            {
                Some((_, _, merged, sources)) => {
                    for entry in grant.change.entries {
                        if !merged.change.entries.iter().any(|e| e.key == entry.key) {
                            merged.change.entries.push(entry);
                        }
                    }
                    sources.push(source);
                }
                None => models.push((site, dashboard, grant, vec![source])),
            }
        }
        let mut outcomes = Vec::with_capacity(models.len());
        for (site, dashboard, grant, sources) in models {
            let profile = &self.sites[site].site.profile;
            let mut outcome = DataModelOutcome {
                profile: profile.name.clone(),
                model: grant.change.model.title.clone(),
                entries: grant.change.entries.len(),
                written: false,
                error: None,
                planned: None,
            };
            if self.options.dry_run && self.options.keep_plan {
                outcome.planned = Some(Box::new(DataModelWrite {
                    dashboard: dashboard.clone(),
                    shares: grant.shares.clone(),
                    change: grant.change.clone(),
                    sources,
                }));
            }
            if !self.options.dry_run {
                // A signal starts no more writes: the shares stand without their data.
                let written = match self.interrupt.stopped() {
                    Some(signal) => Err(not_started(signal)),
                    None => self.write_data(site, &dashboard, &grant).await,
                };
                match written {
                    Ok(given) => {
                        outcome.entries = given.entries.len();
                        outcome.written = !given.entries.is_empty();
                    }
                    Err(err) => outcome.error = Some(err),
                }
            }
            outcomes.push(outcome);
        }
        outcomes
    }

    async fn write_data(
        &self,
        site: usize,
        dashboard: &Dashboard,
        grant: &DataGrant,
    ) -> Result<DataModelChange> {
        let provider = self.sites[site].provider.as_ref();
        let profile = &self.sites[site].site.profile;
        let ahead = self.recorder.copied();
        flow::write_data_grant(
            provider,
            dashboard,
            &grant.shares,
            &grant.change,
            ahead.as_ref().map(|ahead| (ahead, profile)),
        )
        .await
        .map_err(|halted| halted.error)
    }

    fn keep_data(&self, site: usize, dashboard: &Dashboard, data: Option<DataGrant>) {
        if let Some(data) = data {
            self.data
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push((site, dashboard.clone(), data));
        }
    }

    async fn stage(&self, unit: &Unit) -> Staged {
        let targets = &self.sites[unit.site].site.targets;
        // Most dashboards are named once in a file: their shares are used where they lie.
        let wanted: Cow<[Wanted]> = match unit.targets.as_slice() {
            [only] => Cow::Borrowed(&targets[*only].wanted),
            several => Cow::Owned(wanted_of(self.sites, unit.site, several).cloned().collect()),
        };
        let dashboard = match &unit.dashboard {
            Ok(dashboard) => dashboard.clone(),
            Err(err) => {
                let named = Dashboard {
                    id: targets[unit.targets[0]].dashboard.clone(),
                    title: None,
                };
                return self.failed(unit, named, err.clone());
            }
        };
        if let Some(signal) = self.interrupt.stopped() {
            return self.failed(unit, dashboard, not_started(signal));
        }
        match self.plan(unit.site, &dashboard, &wanted).await {
            Ok((rows, write, unwritten, data)) => Staged::Ready(Box::new(Ready {
                site: unit.site,
                targets: unit.targets.clone(),
                dashboard,
                rows,
                write,
                unwritten,
                data,
            })),
            Err(err) => self.failed(unit, dashboard, err),
        }
    }

    async fn plan(&self, site: usize, dashboard: &Dashboard, wanted: &[Wanted]) -> Result<Plan> {
        let provider = self.sites[site].provider.as_ref();
        let resolved = looked_up(&self.lookups[site], provider, wanted)?;
        let url = self.sites[site].site.profile.url.as_str();
        let ends = self.ends.lock().of_dashboard(url, &dashboard.id);
        let prune = self.options.prune;
        let ask = Ask {
            dashboard,
            asked: resolved
                .iter()
                .zip(wanted)
                .map(|(resolved, w)| Asked {
                    resolved,
                    change: Change::Grant(w.access),
                    line: Some(w.line),
                    end: w.expires,
                })
                .collect(),
            mode: if prune { Mode::Replace } else { Mode::Merge },
            revoke_scope: None,
            additive: !prune,
            reread: prune,
            publish: true,
            ends: &ends,
            listed: self.listed(site, dashboard).await,
        };
        let mut planned = flow::plan(provider, &ask).await?;
        refuse_timed_removals(&planned, wanted)?;
        if planned.before.is_none() {
            for row in planned.results.iter_mut().filter(|r| r.expires.is_some()) {
                row.note = Some(flow::timed::BLIND_TIMED);
            }
            // A file states what to send; at a vendor that cannot read, no change is seen.
            for row in &mut planned.results {
                row.action = Action::Sent;
            }
        }
        // The shares the run gives are marked with their data-model reach: one without it opens
        // the dashboard empty. Shares already there are not (a re-apply reads no model);
        // `list` and `report` mark those.
        let gives = |row: &ShareResult| matches!(row.action, Action::Added | Action::Updated);
        if let Some(access) =
            flow::mark_data(provider, dashboard, &mut planned.results, gives).await
            && let Some(why) = access.unreadable
        {
            let profile = &self.sites[site].site.profile.name;
            let said = format!("{} ({profile}) could not be read ({why})", access.model);
            let mut unreadable = self
                .data_unreadable
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !unreadable.contains(&said) {
                unreadable.push(said);
            }
        }
        // The whole file (`--with-data`), or the rows that ask (`with_data`).
        let asked_lines: Vec<u64> = wanted
            .iter()
            .filter(|w| w.with_data)
            .map(|w| w.line)
            .collect();
        let data = if self.options.with_data || !asked_lines.is_empty() {
            let all = self.options.with_data;
            flow::plan_data_grant(provider, dashboard, &mut planned.results, |row| {
                all || row.line.is_some_and(|line| asked_lines.contains(&line))
            })
            .await?
            .map(|change| DataGrant {
                change,
                shares: planned.after.clone(),
            })
        } else {
            None
        };
        let unwritten = match (&planned.write, planned.before) {
            (None, Some(read)) => Some((read, planned.asked)),
            _ => None,
        };
        Ok((planned.results, planned.write, unwritten, data))
    }

    fn failed(&self, unit: &Unit, dashboard: Dashboard, err: Error) -> Staged {
        let rows = failed_rows(wanted_of(self.sites, unit.site, &unit.targets));
        Staged::Failed(Box::new(self.result(
            unit.site,
            &unit.targets,
            dashboard,
            rows,
            Some(err),
        )))
    }

    fn result(
        &self,
        site: usize,
        targets: &[usize],
        dashboard: Dashboard,
        rows: Vec<ShareResult>,
        error: Option<Error>,
    ) -> DashboardResult {
        let profile = &self.sites[site].site.profile;
        DashboardResult {
            profile: profile.name.clone(),
            vendor: profile.vendor,
            dashboard,
            written: false,
            published: false,
            rows,
            error,
            failed_after_write: false,
            journaled: false,
            planned: None,
            site,
            targets: targets.to_vec(),
        }
    }

    /// Makes the one write a ready dashboard needs, journaled ahead, and publishes.
    async fn write(&self, staged: Staged) -> DashboardResult {
        let ready = match staged {
            Staged::Failed(result) => return *result,
            Staged::Ready(ready) => *ready,
        };
        if let Some(signal) = self.interrupt.stopped()
            && ready.write.is_some()
        {
            let rows = failed_rows(wanted_of(self.sites, ready.site, &ready.targets));
            let error = Some(not_started(signal));
            return self.result(ready.site, &ready.targets, ready.dashboard, rows, error);
        }
        let site = ready.site;
        let provider = self.sites[site].provider.as_ref();
        let mut result = self.result(site, &ready.targets, ready.dashboard, ready.rows, None);
        let Some(write) = &ready.write else {
            self.remember(site, &mut result, ready.unwritten);
            if result.error.is_none() {
                self.keep_data(site, &result.dashboard, ready.data);
            }
            return result;
        };
        let written = if self.journal_failed.load(Ordering::Relaxed) {
            Err(Error::local(
                "not written: an earlier write of this run could not be journaled, so `undo` \
                 would not know this one; fix the journal and apply again",
            ))
        } else {
            let ahead = self.recorder.copied();
            let profile = &self.sites[site].site.profile;
            flow::write(
                provider,
                write,
                ahead.as_ref().map(|ahead| (ahead, profile)),
            )
            .await
            .map_err(|halted| {
                if halted.unjournaled {
                    self.journal_failed.store(true, Ordering::Relaxed);
                }
                result.written = halted.partial.is_some();
                halted.error
            })
        };
        result.journaled = self.recorder.is_some() && (written.is_ok() || result.written);
        match written {
            Ok(written) => {
                // The shares stand: their data model's entries are given at the end.
                self.keep_data(site, &result.dashboard, ready.data);
                result.written = true;
                result.published = written.published;
                if let Some(err) = written.publish_error {
                    result.error = Some(err);
                    result.failed_after_write = true;
                }
            }
            Err(error) => {
                result.rows = failed_rows(result.wanted(self.sites));
                result.error = Some(error);
            }
        }
        result
    }

    /// Journals what a dashboard with nothing to write asks of its shares' ends (a share kept
    /// with no end, or given a new one). Unjournaled, the earlier end would still hold, so the
    /// dashboard fails.
    fn remember(
        &self,
        site: usize,
        result: &mut DashboardResult,
        unwritten: Option<(ShareSet, AskedEnds)>,
    ) {
        let (Some(recorder), Some((read, asked))) = (self.recorder, unwritten) else {
            return;
        };
        let profile = &self.sites[site].site.profile;
        let settled = recorder.settle(profile, &result.dashboard, Some(read), &asked);
        if let Err(err) = settled {
            result.rows = failed_rows(result.wanted(self.sites));
            result.error = Some(err.and_then_say(
                "the shares are as the file asks, but the ends earlier timed grants gave them \
                 still hold: fix the journal and apply again",
            ));
        }
    }

    /// The result of a dry run: the plan, nothing written.
    fn unwritten(&self, staged: Staged) -> DashboardResult {
        match staged {
            Staged::Failed(result) => *result,
            Staged::Ready(ready) => {
                let ready = *ready;
                let mut result = self.result(
                    ready.site,
                    &ready.targets,
                    ready.dashboard,
                    ready.rows,
                    None,
                );
                if self.options.keep_plan {
                    result.planned = ready.write.map(Box::new);
                }
                self.keep_data(ready.site, &result.dashboard, ready.data);
                result
            }
        }
    }
}

/// What a dashboard's write removes (ECI's everyone drops the user and group lists) would not
/// come back when its shares given for a time end, as `grant --for` refuses it.
fn refuse_timed_removals(planned: &flow::Planned, wanted: &[Wanted]) -> Result<()> {
    if wanted.iter().all(|w| w.expires.is_none()) {
        return Ok(());
    }
    match flow::timed::removed_by(&planned.results) {
        Some(removed) => Err(Error::invalid(format!(
            "this dashboard's shares given for a time (expires) would go with removing \
             {removed}, and their expiry could not give them back: leave expires out for it, or \
             change the file so that nothing is removed"
        ))),
        None => Ok(()),
    }
}

fn failed_rows<'w>(wanted: impl Iterator<Item = &'w Wanted>) -> Vec<ShareResult> {
    wanted
        .map(|w| ShareResult {
            principal: w.principal.name().to_string(),
            kind: w.principal.kind(),
            id: None,
            before: None,
            after: Some(Level::Access(w.access)),
            action: Action::Failed,
            line: Some(w.line),
            note: None,
            expires: w.expires.map(flow::timed::rfc3339),
            data: None,
        })
        .collect()
}

/// The error of a dashboard a signal kept from starting: its rows are failed, to apply again.
fn not_started(signal: Signal) -> Error {
    Error::Interrupted {
        signal,
        message: format!("not started: the run was interrupted by {}", signal.name()),
    }
}
