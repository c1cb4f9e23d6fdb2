//! `check`: log in once and say whether the profile works. `check --deep` calls every read
//! endpoint dashshare uses and shows, per request, whether the answer's shape was understood:
//! the command to run first against a real server, and to paste into a bug report.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use crate::cli::{CheckArgs, GlobalArgs, OutputFormat};
use crate::error::{Error, Result};
use crate::http::{Exchange, ExchangeLog};
use crate::model::{Principal, PrincipalKind, ShareKey};
use crate::output;
use crate::providers::{self, Reach, ShareProvider, Snapshot};
use crate::vendor::Vendor;

#[derive(Serialize)]
struct CheckReport<'a> {
    ok: bool,
    profile: &'a str,
    vendor: Vendor,
    url: &'a str,
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

pub async fn run(global: &GlobalArgs, args: &CheckArgs) -> Result<()> {
    if args.all {
        return super::check_all::run(global).await;
    }
    if args.deep {
        return deep(global, args).await;
    }
    let (profile, provider) = super::connect(global)?;
    let identity = provider.check().await?;
    let report = CheckReport {
        ok: true,
        profile: &profile.name,
        vendor: profile.vendor,
        url: profile.url.as_str(),
        user: &identity.user,
        detail: identity.detail.as_deref(),
    };
    match global.output {
        OutputFormat::Json => output::print_json(&report),
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&format!(
            "ok: profile '{}' reaches {} at {} as {}{}",
            report.profile,
            report.vendor,
            report.url,
            report.user,
            report.detail.map(|d| format!(" ({d})")).unwrap_or_default()
        )),
    }
}

/// One request of the probe, or one step that made none.
#[derive(Debug, Serialize)]
struct Probe {
    step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// `None`: no answer came.
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    millis: Option<u64>,
    /// `Some(false)`: the answer came but its shape was not understood; `None`: not judged (the
    /// request failed, or the step was skipped).
    understood: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Serialize)]
struct DeepReport<'a> {
    profile: &'a str,
    vendor: Vendor,
    url: &'a str,
    /// Every answer that came was understood.
    understood: bool,
    probes: &'a [Probe],
}

/// Runs one step and turns the requests it made into probes, judged by how the step ended.
struct Prober {
    log: Arc<ExchangeLog>,
    probes: Vec<Probe>,
    /// Steps that failed, in order; their errors decide the exit code.
    failures: Vec<Error>,
}

impl Prober {
    async fn step<T>(
        &mut self,
        step: &str,
        work: impl Future<Output = Result<T>>,
        said: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        let outcome = work.await;
        let exchanges = self.log.take();
        let (result, note, culprit) = match outcome {
            Ok(value) => {
                let note = said(&value);
                (Some(value), Some(note), None)
            }
            Err(err) => {
                let culprit = match &err {
                    Error::NotUnderstood { request, .. } => {
                        Some(culprit(&exchanges, request.as_deref()))
                    }
                    _ => None,
                };
                let note = match &err {
                    Error::NotSupported(message) => format!("skipped: {message}"),
                    other => other.to_string(),
                };
                if !matches!(err, Error::NotSupported(_)) {
                    self.failures.push(err);
                }
                (None, Some(note), culprit)
            }
        };
        if exchanges.is_empty() {
            self.probes.push(Probe {
                step: step.to_string(),
                method: None,
                url: None,
                status: None,
                millis: None,
                understood: result.is_some().then_some(true),
                note: note.map(|note| format!("no request: {note}")),
            });
            return result;
        }
        let last = exchanges.len() - 1;
        // The request whose answer was not understood; the successful ones before it were, those
        // after were not reached by the failure. Without a shape failure, the step's end judges
        // the last. A refusal the provider went past (a fallback) is not judged.
        let judged = culprit.unwrap_or(last);
        for (index, exchange) in exchanges.into_iter().enumerate() {
            let understood = if index < judged {
                exchange
                    .status
                    .is_some_and(|status| (200..300).contains(&status))
                    .then_some(true)
            } else if index == judged {
                match (&result, culprit) {
                    (Some(_), _) => Some(true),
                    (None, Some(_)) => Some(false),
                    (None, None) => None,
                }
            } else {
                None
            };
            let said = (index == judged).then(|| note.clone()).flatten();
            self.probes.push(probe(step, exchange, understood, said));
        }
        result
    }
}

/// A request's probe row. Its note is what the provider noted on the request (a fallback it took,
/// say) followed by what the step said, when this row carries the step's outcome.
fn probe(step: &str, exchange: Exchange, understood: Option<bool>, said: Option<String>) -> Probe {
    let note = match (exchange.note, said) {
        (Some(noted), Some(said)) => Some(format!("{noted}; {said}")),
        (noted, said) => noted.or(said),
    };
    Probe {
        step: step.to_string(),
        method: Some(exchange.method),
        url: Some(exchange.url),
        status: exchange.status,
        millis: Some(u64::try_from(exchange.elapsed.as_millis()).unwrap_or(u64::MAX)),
        understood,
        note,
    }
}

/// The exchange whose answer was not understood (the last one, if the error blames none).
fn culprit(exchanges: &[Exchange], request: Option<&str>) -> usize {
    exchanges
        .iter()
        .rposition(|exchange| request == Some(&format!("{} {}", exchange.method, exchange.url)))
        .unwrap_or(exchanges.len().saturating_sub(1))
}

async fn deep(global: &GlobalArgs, args: &CheckArgs) -> Result<()> {
    let profile = super::load_profile(global, None)?;
    super::warn_if_insecure(global);
    let log = Arc::new(ExchangeLog::default());
    let mut options = super::http_options(global, &profile);
    options.exchanges = Some(log.clone());
    let provider = providers::connect(&profile, &options)?;
    let mut prober = Prober {
        log,
        probes: Vec::new(),
        failures: Vec::new(),
    };
    let signed_in = prober
        .step("log-in", provider.check(), |identity| {
            format!(
                "as {}{}",
                identity.user,
                identity
                    .detail
                    .as_ref()
                    .map(|detail| format!(" ({detail})"))
                    .unwrap_or_default()
            )
        })
        .await
        .is_some();
    // After a refused log-in every other call would only repeat the refusal.
    if signed_in {
        probe_reads(&mut prober, provider.as_ref(), args).await;
    }
    let understood = prober.probes.iter().all(|p| p.understood != Some(false));
    let report = DeepReport {
        profile: &profile.name,
        vendor: profile.vendor,
        url: profile.url.as_str(),
        understood,
        probes: &prober.probes,
    };
    match global.output {
        OutputFormat::Json => output::print_json(&report)?,
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&render(&report))?,
    }
    let misread = prober
        .probes
        .iter()
        .filter(|p| p.understood == Some(false))
        .count();
    if misread > 0 {
        return Err(Error::not_understood(format!(
            "{misread} answer(s) from {} were not understood (the rows with UNDERSTOOD = no); \
             dashshare would refuse to write there. Include this output in a bug report",
            profile.vendor
        )));
    }
    match prober.failures.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

/// The reads after the log-in: a principal look-up, the listing, and a dashboard's shares.
async fn probe_reads(prober: &mut Prober, provider: &dyn ShareProvider, args: &CheckArgs) {
    let mut principals = Vec::new();
    if let Some(user) = &args.user {
        principals.push(Principal::User(user.clone()));
    }
    if let Some(group) = &args.group {
        principals.push(Principal::Group(group.clone()));
    }
    let mut resolved = Vec::new();
    for principal in principals {
        let step = format!("look up {principal}");
        let found = prober
            .step(
                &step,
                provider.resolve_principal(&principal),
                |found| match found {
                    Some(resolved) => format!("found: id {}", resolved.key.id),
                    None => format!(
                        "answer understood: {} has no such {}",
                        provider.vendor(),
                        principal.kind()
                    ),
                },
            )
            .await;
        if let Some(Some(found)) = found {
            resolved.push(found);
        }
    }
    prober
        .step(
            "list dashboards",
            provider.dashboards(None, false),
            |found| crate::wording::plural(found.len(), "dashboard"),
        )
        .await;
    if let Some(reference) = &args.dashboard {
        let read = async {
            let dashboard = provider.resolve_dashboard(reference).await?;
            provider.read_shares(&dashboard).await
        };
        let snapshot = prober
            .step(&format!("read shares of {reference}"), read, |snapshot| {
                crate::wording::plural(snapshot.shares.len(), "share")
            })
            .await;
        if let Some(snapshot) = snapshot {
            for found in &resolved {
                let reach = async { Ok(reach(provider, &snapshot, &found.key).await) };
                prober
                    .step(
                        &format!("can {} use {reference}", found.principal),
                        reach,
                        |said| said.clone(),
                    )
                    .await;
            }
        }
    }
}

/// Whether `key` can open the dashboard of `snapshot` (directly, through everyone, through a
/// group it belongs to) and query its data model, where the vendor keeps one apart.
async fn reach(provider: &dyn ShareProvider, snapshot: &Snapshot, key: &ShareKey) -> String {
    let opens =
        match snapshot.shares.get(key) {
            Some(level) => format!("opens it directly ({level})"),
            None if snapshot.shares.get(&ShareKey::everyone()).is_some() => {
                "opens it through everyone".to_string()
            }
            None => {
                let group_shares = snapshot
                    .shares
                    .iter()
                    .any(|share| share.key.kind == PrincipalKind::Group);
                match provider.memberships(key).await {
                None if group_shares => {
                    "whether it opens it through a group is unknown: its groups could not be read"
                        .to_string()
                }
                groups => {
                    let groups = groups.unwrap_or_default();
                    let through = snapshot.shares.iter().map(|share| &share.key).find(|shared| {
                        shared.kind == PrincipalKind::Group && groups.contains(&shared.id)
                    });
                    match through {
                        Some(group) => format!(
                            "opens it through group {}",
                            snapshot.names.get(group).unwrap_or(&group.id)
                        ),
                        None => "cannot open it: no share reaches it".to_string(),
                    }
                }
            }
            }
        };
    let data = match provider
        .data_access(&snapshot.dashboard, std::slice::from_ref(key))
        .await
    {
        None => String::new(),
        Some(access) => {
            let model = &access.model;
            let how = match access.of(key) {
                Reach::Direct => format!("queries its data model {model} directly"),
                Reach::Group => format!("queries its data model {model} through a group"),
                Reach::Everyone => format!("queries its data model {model} through everyone"),
                Reach::None => {
                    format!("cannot query its data model {model} (grant --with-data gives it)")
                }
                Reach::Unknown => format!(
                    "whether it can query its data model {model} is unknown: {}",
                    access
                        .unreadable
                        .as_deref()
                        .unwrap_or("the model could not be read")
                ),
            };
            format!("; {how}")
        }
    };
    format!("{opens}{data}")
}

fn render(report: &DeepReport) -> String {
    let rows = report.probes.iter().map(|p| {
        vec![
            p.step.clone(),
            match (&p.method, &p.url) {
                // The footer names the server; the rows show what was asked of it.
                (Some(method), Some(url)) => format!(
                    "{method} {}",
                    url.strip_prefix(report.url.trim_end_matches('/'))
                        .unwrap_or(url)
                ),
                _ => "-".into(),
            },
            p.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            p.millis
                .map(|ms| format!("{ms} ms"))
                .unwrap_or_else(|| "-".into()),
            match p.understood {
                Some(true) => "yes".into(),
                Some(false) => "NO".into(),
                None => "-".into(),
            },
            p.note.clone().unwrap_or_default(),
        ]
    });
    let table = output::table(
        &["step", "request", "status", "time", "understood", "note"],
        rows,
    );
    format!(
        "{table}\n\n{} at {} (profile '{}'): {}",
        report.vendor,
        report.url,
        report.profile,
        if report.understood {
            "every answer was understood"
        } else {
            "some answers were NOT understood"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn exchange(url: &str) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: url.into(),
            status: Some(200),
            elapsed: Duration::ZERO,
            note: None,
        }
    }

    /// The probe marked not understood is the request the error blames, found by value.
    #[test]
    fn the_culprit_is_the_request_the_error_names() {
        let exchanges = [
            exchange("https://bi/api/users"),
            exchange("https://bi/api/users?page=2"),
            exchange("https://bi/api/groups"),
        ];
        assert_eq!(culprit(&exchanges, Some("GET https://bi/api/users")), 0);
        assert_eq!(
            culprit(&exchanges, Some("GET https://bi/api/users?page=2")),
            1
        );
        assert_eq!(culprit(&exchanges, Some("POST https://bi/api/users")), 2);
        assert_eq!(culprit(&exchanges, None), 2);
        assert_eq!(culprit(&[], None), 0);
    }
}
