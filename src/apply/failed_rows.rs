//! `apply --failed-out FILE`: the rows of the dashboards that failed, written in the apply
//! file's own columns (`columns.rs`) and made formula-safe, so that applying the file retries
//! them; and the checks that keep it from replacing a file dashshare did not write.

use std::path::Path;

use super::columns::{CSV_COLUMNS, EXPIRES_COLUMN, WITH_DATA_COLUMN};
use super::execute::{Connected, DashboardResult, Report};
use super::input::FAILED_ROWS_MARK;
use crate::config::ENV_PROFILE;
use crate::error::{Error, Result};

/// Refuses a `--failed-out` path whose file dashshare did not write (a config, the input file
/// under another name), unless `force`: the run would replace it.
pub fn may_replace(path: &Path, force: bool) -> Result<()> {
    use std::io::Read;
    let refused = |err: std::io::Error| {
        Error::invalid(format!(
            "--failed-out {}: {err}; nothing was changed",
            path.display()
        ))
    };
    let Some(file) = crate::private_file::open_existing(path).map_err(refused)? else {
        return Ok(());
    };
    let mut start = Vec::with_capacity(FAILED_ROWS_MARK.len());
    let read = file
        .take(FAILED_ROWS_MARK.len() as u64)
        .read_to_end(&mut start)
        .unwrap_or(0);
    if force || read == 0 || start == FAILED_ROWS_MARK.as_bytes() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "--failed-out {} exists and is not a failed-rows file dashshare wrote, so the run would \
         replace it; name another file, or pass --force to replace it. Nothing was changed",
        path.display()
    )))
}

/// The failed dashboards' rows as a CSV in the input's own columns, ready to apply again; those
/// whose shares were written in full are left out, since applying them changes nothing. Without
/// a report, just the header (so that a file from an earlier run never lingers).
pub fn write(path: &Path, sites: &[Connected], report: Option<&Report>) -> Result<()> {
    let failed = |err: &dyn std::fmt::Display| {
        Error::local(format!(
            "cannot write the failed rows to {}: {err}",
            path.display()
        ))
    };
    // Whole or not at all, readable by its owner only: the rows name people.
    crate::private_file::write_with(path, |file| {
        writeln!(file, "{FAILED_ROWS_MARK}")?;
        let mut writer = csv::Writer::from_writer(file);
        let to_redo: Vec<&DashboardResult> = report
            .into_iter()
            .flat_map(|r| &r.dashboards)
            .filter(|d| d.error.is_some() && !d.failed_after_write)
            .collect();
        // A retry keeps each timed share's end; files with none keep their four columns.
        let timed = to_redo
            .iter()
            .any(|d| d.wanted(sites).any(|w| w.expires.is_some()));
        let with_data = to_redo.iter().any(|d| d.wanted(sites).any(|w| w.with_data));
        let mut header = CSV_COLUMNS.to_vec();
        if timed {
            header.push(EXPIRES_COLUMN);
        }
        if with_data {
            header.push(WITH_DATA_COLUMN);
        }
        writer.write_record(&header)?;
        for dashboard in to_redo {
            let profile = if dashboard.profile == ENV_PROFILE {
                ""
            } else {
                dashboard.profile.as_str()
            };
            for wanted in dashboard.wanted(sites) {
                let principal = wanted.principal.to_string();
                let ends = wanted.expires.map(crate::flow::timed::rfc3339);
                let mut cells = vec![
                    profile,
                    dashboard.dashboard.id.as_str(),
                    &principal,
                    wanted.access.as_str(),
                ];
                if timed {
                    cells.push(ends.as_deref().unwrap_or_default());
                }
                if with_data {
                    cells.push(if wanted.with_data { "true" } else { "" });
                }
                writer.write_record(
                    cells
                        .into_iter()
                        .map(|cell| crate::apply::formula_safe(cell).into_owned()),
                )?;
            }
        }
        writer.flush()
    })
    .map_err(|err| failed(&err))
}

/// Whether `a` and `b` are one file, by any path: the same device and inode, so a hard link counts.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
