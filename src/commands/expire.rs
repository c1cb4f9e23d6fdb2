//! `expire`: takes back what shares given for a time (`grant --for/--until`, an apply file's
//! `expires`) gave, once their end has come (`--at`: by a later time), and only where each share
//! is still as its grant left it; anything else is left, with the reason (`flow::expire`). Each
//! end is settled once: its write is journaled like any revoke, so `undo` works.

use chrono::{DateTime, Utc};

use crate::cli::{ExpireArgs, GlobalArgs, OutputFormat};
use crate::error::{Error, Result};
use crate::flow;
use crate::interrupt::Interrupt;
use crate::model::when;
use crate::output;

use super::writing_run::WritingRun;

pub async fn run(global: &GlobalArgs, args: &ExpireArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let by = match &args.at {
        None => Utc::now(),
        Some(text) => by_time(text, Utc::now())?,
    };
    let mut run = WritingRun::start(global, "expire".into(), &args.lock, args.dry_run).await?;
    // Reading the ends needs the journal, dry run or not.
    run.journal()?;
    let due: Vec<_> = run.ends.lock().due_by(by).into_iter().cloned().collect();
    // One connection (one login) per profile, however many dashboards are due on it.
    for held in &due {
        run.connection(global, &held.profile);
    }
    let ahead = run.ahead();
    let mut outcomes = Vec::new();
    let mut written = false;
    let mut stopped = None;
    for held in &due {
        // A signal starts no more dashboards; the one being written finishes and is journaled.
        if let Some(signal) = run.interrupt.stopped() {
            stopped = Some(signal);
            break;
        }
        let connection = run.connections()[&held.profile].as_ref();
        let connection = connection.map(|(profile, provider)| (profile, &**provider));
        let (taken, wrote) = flow::expire::take_back(connection, held, by, ahead.as_ref()).await;
        written |= wrote;
        outcomes.extend(taken);
    }
    let run_id = written.then_some(run.id.as_str());
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "run_id": run_id, "dry_run": args.dry_run, "expired": outcomes,
        }))?,
        format => {
            let empty = match args.at {
                Some(_) => format!("Nothing ends by {}.", when::rfc3339(by)),
                None => "Nothing has expired.".to_string(),
            };
            let summary = match run_id {
                Some(run_id) => format!(
                    "Run {run_id} done in {} (undo with `dashshare undo {run_id}`)",
                    crate::wording::elapsed(started.elapsed())
                ),
                None => String::new(),
            };
            let markdown = format == OutputFormat::Markdown;
            let text = output::outcomes::report(&outcomes, markdown, &empty, &summary);
            output::print_text(&text)?
        }
    }
    let failed = outcomes.iter().filter(|o| !o.result.done()).count();
    if let Some(signal) = stopped {
        return Err(Interrupt::error(
            signal,
            "the ends not reached yet stay for the next `dashshare expire`",
        ));
    }
    if failed > 0 {
        return Err(Error::remote(format!(
            "{} could not be taken back, or not published (see each detail): where the write \
             failed the next `dashshare expire` tries again; where only the publish did, its \
             detail says how to finish",
            crate::wording::plural(failed, "expired share")
        )));
    }
    Ok(())
}

/// `--at`: what `--until` or `--for` takes, read as the time the ends are taken back by.
fn by_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    when::When::parse(text)
        .and_then(|when| when.from(now).map_err(|why| format!("'{text}' {why}")))
        .map_err(|why| Error::invalid(format!("--at {why}")))
}
