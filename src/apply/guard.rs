//! The removal guard of `apply --prune`, between every plan and the first write: more removals
//! than `--max-removals` refuse the whole run, and a person at a terminal is asked before the
//! rest.

use indicatif::{ProgressBar, ProgressDrawTarget};

use crate::confirm::{self, Confirmed, Removal};
use crate::error::{Error, Result};
use crate::flow::ShareResult;
use crate::interrupt::Interrupt;
use crate::model::Action;
use crate::providers::Dashboard;

/// One dashboard as planned: the results its write will bring.
pub struct Planned<'a> {
    pub dashboard: &'a Dashboard,
    pub rows: &'a [ShareResult],
}

impl Planned<'_> {
    fn removals(&self) -> impl Iterator<Item = &ShareResult> {
        self.rows.iter().filter(|row| row.action == Action::Removed)
    }
}

/// Refuses more than `limit` removals in all, then asks on a terminal (unless `yes`); the bar is
/// hidden while the question is open, so that it does not draw over it. A signal while asking
/// returns `Ok`: the writes after it see the signal, and none starts.
pub async fn guard(
    plans: &[Planned<'_>],
    limit: usize,
    yes: bool,
    interrupt: &Interrupt,
    progress: &ProgressBar,
) -> Result<()> {
    let removals: usize = plans.iter().map(|p| p.removals().count()).sum();
    if removals > limit {
        return Err(too_many_removals(plans, removals, limit));
    }
    let removing = removal_list(plans);
    if removing.is_empty() || yes || interrupt.stopped().is_some() {
        return Ok(());
    }
    let drawn = !progress.is_hidden();
    progress.set_draw_target(ProgressDrawTarget::hidden());
    let answer = confirm::on_terminal(removing, yes, interrupt).await;
    if drawn {
        progress.set_draw_target(ProgressDrawTarget::stderr());
    }
    match answer? {
        // Confirmed, or no terminal to ask on (the --max-removals limit above holds).
        Confirmed::Yes | Confirmed::Interrupted => Ok(()),
    }
}

/// Every share the plans remove, for the question before the first write.
fn removal_list(plans: &[Planned<'_>]) -> Vec<Removal> {
    plans
        .iter()
        .flat_map(|plan| {
            let dashboard = plan.dashboard.shown();
            plan.removals().map(move |row| Removal {
                dashboard: dashboard.clone(),
                principal: row.principal.clone(),
                kind: row.kind,
                level: row.before,
            })
        })
        .collect()
}

fn too_many_removals(plans: &[Planned<'_>], removals: usize, limit: usize) -> Error {
    let mut heaviest: Vec<(usize, &str)> = plans
        .iter()
        .map(|plan| (plan.removals().count(), plan.dashboard.id.as_str()))
        .filter(|(removals, _)| *removals > 0)
        .collect();
    heaviest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let named: Vec<String> = heaviest
        .iter()
        .take(5)
        .map(|(n, id)| format!("{id} ({n})"))
        .collect();
    Error::invalid(format!(
        "--prune would remove {}, more than --max-removals {limit}; nothing was changed. Most \
         from: {}. Check the plan with `dashshare diff FILE --prune`, then raise --max-removals \
         if it is right",
        crate::wording::plural(removals, "share"),
        named.join(", ")
    ))
}
