//! `--jq EXPR`: a jq filter over the one JSON document a command prints, through jaq (a
//! maintained jq implementation). Results are printed one per line like `gh --jq`: strings raw,
//! everything else as compact JSON.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The data a filter runs on.
type Data = data::JustLut<Val>;

/// Refuses an expression that does not parse or names an unknown filter, before the command
/// runs (so a typo never follows a write).
pub fn check(expr: &str) -> Result<()> {
    compile(expr).map(|_| ())
}

/// The hidden first argument that makes the binary run one filter (`contained`).
pub const WORKER_ARG: &str = "__jq-worker";

/// How long a filter may run, on the clock and on the processor.
const WALL_LIMIT: Duration = Duration::from_secs(20);
const CPU_LIMIT_SECS: u64 = 15;
/// Address space a filter may use beyond what its document needs (a few times its size).
const MEMORY_BASE: u64 = 768 << 20;

/// The lines `expr` makes of `document`, run in a child process of this binary so that no
/// expression can harm the run it reports on: its stack (a deep recursion overflows there, not
/// here), its memory (`RLIMIT_AS`), its processor time (`RLIMIT_CPU`) and its time on the clock
/// are bounded, and a SIGINT or SIGTERM ends it at once. Outside a process of this binary
/// (library callers, unit tests) the filter runs here.
pub fn contained(expr: &str, document: &str) -> Result<Vec<String>> {
    let Some(exe) = worker_exe() else {
        return run(expr, document);
    };
    let failed = |why: String| Error::invalid(format!("--jq '{expr}' {why}"));
    let mut command = std::process::Command::new(exe);
    command
        .arg(WORKER_ARG)
        .arg(expr)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let memory = MEMORY_BASE + 8 * document.len() as u64;
    limit(&mut command, memory);
    let mut child = command
        .spawn()
        .map_err(|err| failed(format!("could not start: {err}")))?;
    let mut stdin = child.stdin.take();
    let document = document.to_string();
    let feeder = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            // A filter that stops reading early (`limit(1; …)`) closes the pipe: no error.
            let _ = std::io::Write::write_all(stdin, document.as_bytes());
        }
    });
    let output = read_in_background(child.stdout.take());
    let errors = read_in_background(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(err) => return Err(failed(format!("could not be watched: {err}"))),
        }
        let stop = if let Some(signal) = crate::signal::received() {
            Some(format!("was stopped by {}", signal.name()))
        } else if started.elapsed() > WALL_LIMIT {
            Some(format!(
                "ran longer than {} s and was stopped",
                WALL_LIMIT.as_secs()
            ))
        } else {
            None
        };
        if let Some(why) = stop {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(why));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = feeder.join();
    let output = output.join().unwrap_or_default();
    let errors = errors.join().unwrap_or_default();
    if status.success() {
        return serde_json::from_slice(&output)
            .map_err(|_| failed("gave an answer dashshare could not read".into()));
    }
    if let Some(signal) = crate::signal::received()
        .map(|s| s.name())
        .or(stopped_by(&status))
    {
        return Err(failed(format!("was stopped by {signal}")));
    }
    match status.code() {
        Some(_) => Err(Error::invalid(
            String::from_utf8_lossy(&errors).trim().to_string(),
        )),
        // Killed by the kernel: its stack, memory or processor time ran out.
        None => Err(failed(format!(
            "went deeper, larger or longer than a filter may (a stack of 8 MiB, {} MiB of \
             memory, {CPU_LIMIT_SECS} s of processor time) and was stopped",
            memory >> 20
        ))),
    }
}

/// Set by the binary's `main`, which answers `WORKER_ARG`: whatever the binary is named or
/// installed as, its filters run contained; a library caller's (a test harness) run here.
static WORKER_READY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called by a binary whose `main` runs `worker` for `WORKER_ARG`.
pub fn serve_workers() {
    WORKER_READY.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The binary to run a filter in: this process's own, when it answers `WORKER_ARG`.
fn worker_exe() -> Option<std::path::PathBuf> {
    if !WORKER_READY.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    std::env::current_exe().ok()
}

/// The signal a child was ended by, when it is one a person or a supervisor sends (the
/// terminal sends Ctrl-C to the child too), rather than the kernel's for a limit.
#[cfg(unix)]
fn stopped_by(status: &std::process::ExitStatus) -> Option<&'static str> {
    use std::os::unix::process::ExitStatusExt;
    match status.signal()? {
        libc::SIGINT => Some("SIGINT"),
        libc::SIGTERM => Some("SIGTERM"),
        libc::SIGHUP => Some("SIGHUP"),
        _ => None,
    }
}

#[cfg(not(unix))]
fn stopped_by(_: &std::process::ExitStatus) -> Option<&'static str> {
    None
}

fn read_in_background(
    pipe: Option<impl std::io::Read + Send + 'static>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

#[cfg(unix)]
fn limit(command: &mut std::process::Command, memory: u64) {
    use std::os::unix::process::CommandExt;
    let set = move || {
        let bound = |resource, value: u64| {
            let limit = libc::rlimit {
                rlim_cur: value as libc::rlim_t,
                rlim_max: value as libc::rlim_t,
            };
            // SAFETY: setrlimit only reads the struct it is given.
            if unsafe { libc::setrlimit(resource, &limit) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        bound(libc::RLIMIT_AS, memory)?;
        bound(libc::RLIMIT_CPU, CPU_LIMIT_SECS)?;
        bound(libc::RLIMIT_CORE, 0)?;
        Ok(())
    };
    // SAFETY: the closure only calls setrlimit, which is async-signal-safe, between fork and
    // exec.
    unsafe { command.pre_exec(set) };
}

#[cfg(not(unix))]
fn limit(_command: &mut std::process::Command, _memory: u64) {}

/// The worker's side (`dashshare __jq-worker EXPR`, the document on stdin): the lines as one
/// JSON array on stdout, or the failure on stderr and exit 2.
pub fn worker(expr: &str) -> std::process::ExitCode {
    let mut document = String::new();
    if let Err(err) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut document) {
        eprintln!("--jq '{expr}' could not read the document: {err}");
        return std::process::ExitCode::from(2);
    }
    match run(expr, &document) {
        Ok(lines) => {
            let text = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
            println!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The lines `expr` makes of the JSON text `document`.
pub fn run(expr: &str, document: &str) -> Result<Vec<String>> {
    let filter = compile(expr)?;
    let input = jaq_json::read::parse_single(document.as_bytes())
        .map_err(|err| Error::local(format!("cannot read the JSON output for --jq: {err}")))?;
    let ctx = Ctx::<Data>::new(&filter.lut, Vars::new([]));
    let mut lines = Vec::new();
    for result in filter.id.run((ctx, input)).map(unwrap_valr) {
        match result {
            Ok(Val::TStr(text)) => lines.push(String::from_utf8_lossy(&text).into_owned()),
            Ok(value) => lines.push(value.to_string()),
            Err(err) => {
                return Err(Error::invalid(format!(
                    "--jq '{expr}' failed on the output: {err}"
                )));
            }
        }
    }
    Ok(lines)
}

fn compile(expr: &str) -> Result<jaq_core::Filter<Data>> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(
            &arena,
            File {
                code: expr,
                path: (),
            },
        )
        .map_err(|errors| {
            let problems = errors.into_iter().flat_map(|(_, error)| match error {
                jaq_core::load::Error::Io(io) => io
                    .into_iter()
                    .map(|(path, why)| format!("cannot load '{path}': {why}"))
                    .collect::<Vec<_>>(),
                jaq_core::load::Error::Lex(lex) => lex
                    .into_iter()
                    .map(|(expect, at)| expected(expect.as_str(), at))
                    .collect(),
                jaq_core::load::Error::Parse(parse) => parse
                    .into_iter()
                    .map(|(expect, at)| expected(expect.as_str(), at))
                    .collect(),
            });
            refused(expr, problems)
        })?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errors| {
            let problems = errors.into_iter().flat_map(|(_, undefined)| {
                undefined
                    .into_iter()
                    .map(|(name, what)| format!("unknown {} '{name}'", what.as_str()))
            });
            refused(expr, problems)
        })
}

fn expected(what: &str, at: &str) -> String {
    if at.is_empty() {
        format!("expected {what} at the end")
    } else {
        format!("expected {what} before '{at}'")
    }
}

fn refused(expr: &str, problems: impl Iterator<Item = String>) -> Error {
    let problems: Vec<String> = problems.collect();
    Error::invalid(format!(
        "--jq '{expr}' is not a jq expression dashshare can run ({}); it takes the jq language, e.g. \
         --jq '.shares[].principal'",
        problems.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_raw_and_other_values_compact_json() {
        let document = r#"{"shares": [{"principal": "alice", "access": "view"}], "n": 2}"#;
        assert_eq!(run(".shares[].principal", document).unwrap(), ["alice"]);
        assert_eq!(
            run(".shares[0], .n", document).unwrap(),
            [r#"{"principal":"alice","access":"view"}"#, "2"]
        );
        assert_eq!(
            run(
                r#".shares | map(select(.access | test("vi"))) | length"#,
                document
            )
            .unwrap(),
            ["1"]
        );
    }

    #[test]
    fn a_bad_expression_is_refused_naming_it() {
        let err = check(".shares[").unwrap_err();
        assert_eq!(err.kind(), "invalid");
        assert!(err.to_string().contains("--jq '.shares['"), "{err}");
        let err = check("nosuchfilter").unwrap_err();
        assert!(
            err.to_string().contains("unknown filter 'nosuchfilter'"),
            "{err}"
        );
        check(".a | keys").unwrap();
    }

    #[test]
    fn a_failure_while_running_names_the_expression() {
        let err = run(".a.b", r#"{"a": "text"}"#).unwrap_err();
        assert!(err.to_string().contains("--jq '.a.b' failed"), "{err}");
    }
}
