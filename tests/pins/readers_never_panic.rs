//! Properties: proptests of the readers of user and crash input over arbitrary bytes.
//!
//! The readers of what a user or a crash can hand dashshare (apply files in CSV and YAML, the
//! config, the journal) over arbitrary bytes and over near-valid files: each returns rows,
//! problems or an error, never panics, and holds memory in proportion to its input. The same
//! entry points are fuzzed by the targets in fuzz/.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use dashshare::apply::input::{self, Problem, Row};
use dashshare::config;
use dashshare::journal;
use proptest::prelude::*;

/// Counts the bytes each thread holds, so that a test can see the most a reader held at once.
struct Counting;

thread_local! {
    // Const-initialised cells without destructors: using them never allocates.
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(change: isize) {
    // `try_with`: an allocation while a thread is torn down finds its cells gone.
    let _ = HELD.try_with(|held| {
        let now = held.get() + change;
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            count(layout.size() as isize);
        }
        block
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            count(layout.size() as isize);
        }
        block
    }
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { System.dealloc(block, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What `read` returns, and the most it held at once beyond what was held before.
fn peak_of<T>(read: impl FnOnce() -> T) -> (T, usize) {
    let before = HELD.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let result = read();
    let peak = PEAK.with(Cell::get) - before;
    (result, peak.max(0) as usize)
}

/// Generous for any parser (YAML takes about 30 bytes per byte read), far below what an
/// amplification such as an alias bomb takes.
fn memory_bound(input: &[u8]) -> usize {
    64 * input.len() + (48 << 20)
}

fn csv(bytes: &[u8]) -> (Vec<Row>, Vec<Problem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let (result, peak) =
        peak_of(|| input::read_csv(bytes, &mut |row| rows.push(row), &mut problems));
    assert!(
        result.is_ok(),
        "reading from memory cannot fail: {result:?}"
    );
    assert!(
        peak <= memory_bound(bytes),
        "CSV of {} bytes held {peak} bytes",
        bytes.len()
    );
    (rows, problems)
}

fn yaml(bytes: &[u8]) -> (Vec<Row>, Vec<Problem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let ((), peak) = peak_of(|| input::read_yaml(bytes, &mut |row| rows.push(row), &mut problems));
    assert!(
        peak <= memory_bound(bytes),
        "YAML of {} bytes held {peak} bytes",
        bytes.len()
    );
    (rows, problems)
}

fn config(bytes: &[u8]) -> dashshare::Result<config::Profile> {
    // No environment, and a folder that does not exist for relative secret files.
    let path = Path::new("/nonexistent-dashshare-test/config.toml");
    let (result, peak) = peak_of(|| config::profile_from_config(bytes, path, None, &|_| None));
    assert!(
        peak <= memory_bound(bytes),
        "config of {} bytes held {peak} bytes",
        bytes.len()
    );
    if let Err(err) = &result {
        assert_eq!(err.exit_code(), dashshare::ExitCode::BadInput, "{err}");
    }
    result
}

fn journal(bytes: &[u8]) -> dashshare::Result<Vec<journal::Entry>> {
    let path = Path::new("/nonexistent-dashshare-test/journal.jsonl");
    let (result, peak) = peak_of(|| journal::entries_in(bytes, path));
    assert!(
        peak <= memory_bound(bytes),
        "journal of {} bytes held {peak} bytes",
        bytes.len()
    );
    if let Err(err) = &result {
        assert_eq!(err.exit_code(), dashshare::ExitCode::BadInput, "{err}");
    }
    result
}

const CSV: &str = "# who sees what\n\
profile,dashboard,principal,access\n\
prod-sisense,5829b46bd009e91420000047,user:alice@example.com,view\n\
prod-sisense,\"name:Sales, KPIs\",group:Marketing,EDIT\n\
,d2,everyone,\n\
eci,'=cmd|x,everyone,view\n";

const YAML: &str = r#"shares:
  - profile: prod-sisense
    dashboard: 5829b46bd009e91420000047
    users: [alice@example.com, bob@example.com]
    groups: [Marketing]
    access: view
  - dashboard: &d "name:Café ☕"
    users:
      - customer-42
    access: edit
  - dashboard: 7
    everyone: true
"#;

const CONFIG: &str = "default_profile = \"prod\"\n\
[profiles.prod]\n\
vendor = \"sisense\"\n\
url = \"https://bi.example.com\"\n\
username = \"admin@example.com\"\n\
password_env = \"SISENSE_PASSWORD\"\n\
rate_limit = 8\n\
timeout = 30\n\
[profiles.eci]\n\
vendor = \"eci\"\n\
url = \"https://eci.example.com\"\n\
api_key_file = \"secrets/eci\"\n";

/// A journal line as dashshare 0.1 writes it; older lines must stay readable.
fn journal_line(run: usize, title: &str) -> String {
    format!(
        "{{\"run_id\":\"20261130T000000Z-{run:016x}\",\"time\":\"2026-11-30T00:00:00Z\",\
         \"command\":\"grant d{run}\",\"profile\":\"prod\",\"vendor\":\"sisense\",\
         \"url\":\"https://bi.example.com/\",\"dashboard\":{{\"id\":\"d{run}\",\"title\":\"{title}\"}},\
         \"before\":[{{\"type\":\"user\",\"id\":\"a@example.com\",\"access\":\"view\"}}],\
         \"after\":[{{\"type\":\"user\",\"id\":\"a@example.com\",\"access\":\"view\"}},\
         {{\"type\":\"group\",\"id\":\"Ops\",\"access\":\"edit\"}}]}}\n"
    )
}

#[test]
fn the_samples_are_valid() {
    let (rows, problems) = csv(CSV.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows.len(), 4);
    let (rows, problems) = yaml(YAML.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows.len(), 5);
    let bytes = format!("{}{}", journal_line(1, "Café ☕"), journal_line(2, "x"));
    assert_eq!(journal(bytes.as_bytes()).unwrap().len(), 2);
    // The profile needs its password from the environment, which these tests leave empty.
    let err = config(CONFIG.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("SISENSE_PASSWORD"), "{err}");
}

/// One change to a valid file.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
    /// A stretch of the file repeated, to make long lines, many columns and deep nesting.
    Repeat(prop::sample::Index, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        any::<String>().prop_map(String::into_bytes),
        prop::sample::select(vec![
            &b"\0"[..],
            b"\xef\xbb\xbf",
            b"\r\n",
            b"\r",
            b"\"",
            b",",
            b"'",
            b"#",
            b"\n  - ",
            b"[",
            b"{",
            b"&a ",
            b"*a",
            b"<<: ",
            b"!!binary ",
            b"---\n",
            b"\xc3",
            b"\\u0000",
            b"[profiles.x]\n",
            b"\xe2\x80\xae",
        ])
        .prop_map(<[u8]>::to_vec),
    ];
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        (any::<prop::sample::Index>(), interesting)
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<prop::sample::Index>(), 1..64usize, 1..2000usize)
            .prop_map(|(at, len, times)| Mutation::Repeat(at, len, times)),
    ]
}

fn mutated(valid: &str) -> impl Strategy<Value = Vec<u8>> {
    let valid = valid.as_bytes().to_vec();
    prop::collection::vec(mutation(), 1..6).prop_map(move |mutations| {
        let mut bytes = valid.clone();
        for mutation in mutations {
            let at = |index: &prop::sample::Index, bytes: &Vec<u8>| index.index(bytes.len() + 1);
            match mutation {
                Mutation::Delete(index) if !bytes.is_empty() => {
                    let at = index.index(bytes.len());
                    bytes.remove(at);
                }
                Mutation::Delete(_) => {}
                Mutation::Insert(index, inserted) => {
                    let at = at(&index, &bytes);
                    bytes.splice(at..at, inserted);
                }
                Mutation::Repeat(index, len, times) => {
                    let start = at(&index, &bytes);
                    let end = (start + len).min(bytes.len());
                    let stretch = bytes[start..end].repeat(times);
                    bytes.splice(start..start, stretch);
                }
            }
        }
        bytes
    })
}

fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..1024)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn csv_reads_any_bytes(bytes in arbitrary_bytes()) {
        csv(&bytes);
    }

    #[test]
    fn csv_reads_any_near_valid_file(bytes in mutated(CSV)) {
        let (rows, problems) = csv(&bytes);
        // Every problem names its line, and every row comes from a line the file has.
        let lines = bytes.split(|&b| b == b'\n' || b == b'\r').count() as u64;
        prop_assert!(problems.iter().all(|p| p.line.is_some_and(|l| l >= 1 && l <= lines)), "{problems:?}");
        prop_assert!(rows.iter().all(|r| r.line >= 1 && r.line <= lines));
    }

    #[test]
    fn yaml_reads_any_bytes(bytes in arbitrary_bytes()) {
        yaml(&bytes);
    }

    #[test]
    fn yaml_reads_any_near_valid_file(bytes in mutated(YAML)) {
        yaml(&bytes);
    }

    #[test]
    fn config_reads_any_bytes(bytes in arbitrary_bytes()) {
        let _ = config(&bytes);
    }

    #[test]
    fn config_reads_any_near_valid_file(bytes in mutated(CONFIG)) {
        let _ = config(&bytes);
    }

    #[test]
    fn journal_reads_any_bytes(bytes in arbitrary_bytes()) {
        let _ = journal(&bytes);
    }

    #[test]
    fn journal_reads_any_near_valid_file(bytes in mutated(&(journal_line(1, "Café ☕") + &journal_line(2, "x")))) {
        let _ = journal(&bytes);
    }

    /// A crash cuts the last append anywhere, even inside a character; the next append starts on
    /// a fresh line. Every whole entry before the cut and after it is read.
    #[test]
    fn a_journal_cut_anywhere_keeps_its_whole_entries(cut in any::<prop::sample::Index>()) {
        let first = journal_line(1, "Café ☕ ünïcode");
        let torn = journal_line(2, "Ωmega ☕");
        let whole = first.len() + torn.len() - 1;
        let end = first.len() + cut.index(torn.len());
        let mut bytes = (first.clone() + &torn).into_bytes();
        bytes.truncate(end);
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(journal_line(3, "after").as_bytes());
        let runs: Vec<String> = journal(&bytes)
            .unwrap_or_else(|err| panic!("cut at {end}: {err}"))
            .into_iter()
            .map(|entry| entry.dashboard.id)
            .collect();
        let expected: &[&str] = if end >= whole { &["d1", "d2", "d3"] } else { &["d1", "d3"] };
        prop_assert_eq!(runs, expected);
    }
}

#[test]
fn invalid_utf8_nul_bytes_bom_and_crlf() {
    // Lines end in CRLF where a file was saved on Windows; each row keeps its own line.
    let (rows, problems) = csv(b"dashboard,principal\r\nd1,user:a\r\n\r\nd2,bad\r\nd3,user:c\r\n");
    let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
    assert_eq!(lines, [2, 5]);
    assert_eq!(problems[0].line, Some(4), "{problems:?}");
    let (rows, problems) =
        csv(b"\xef\xbb\xbfdashboard,principal\r\nd1,user:a\r\nd\xff2,user:b\r\n");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        problems[0].to_string(),
        "line 3: the line is not valid UTF-8: save the file as UTF-8"
    );
    let (rows, problems) =
        yaml(b"\xef\xbb\xbfshares:\r\n  - dashboard: d1\r\n    users: [a\xff]\r\n");
    assert!(rows.is_empty());
    assert_eq!(
        problems[0].to_string(),
        "line 3: the line is not valid UTF-8: save the file as UTF-8"
    );
    let (_, problems) = csv(b"dashboard,principal\nd1,user:a\x00b\n");
    assert!(
        problems[0].to_string().contains("control character"),
        "{problems:?}"
    );
    let err = config(b"[profiles.p]\nvendor = \"eci\xff\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("(line 2) is not valid UTF-8"), "{err}");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
    let (_, problems) = yaml(format!("shares: {}\n", deep("[", "]")).as_bytes());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (_, problems) = yaml(format!("shares:\n{}", "- ".repeat(50_000)).as_bytes());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(config(format!("x = {}\n", deep("[", "]")).as_bytes()).is_err());
    assert!(config(format!("x = {}\n", deep("{a=", "}")).as_bytes()).is_err());
    assert!(journal(format!("{}\n", deep("[", "]")).as_bytes()).is_err());
}

#[test]
fn many_columns_and_long_lines_are_refused_at_their_line() {
    let header = format!("dashboard,principal{}\n", ",extra".repeat(50_000));
    let (_, problems) = csv(header.as_bytes());
    assert!(
        problems.iter().all(|p| p.line == Some(1)),
        "{:?}",
        &problems[..3]
    );
    let long = format!("dashboard,principal\nd1,user:{}\n", "x".repeat(4 << 20));
    let (rows, problems) = csv(long.as_bytes());
    assert!(rows.is_empty());
    assert!(
        problems[0]
            .to_string()
            .starts_with("line 2: a value of 4194309 bytes"),
        "{problems:?}"
    );
    let long = format!(
        "shares:\n  - dashboard: d1\n    users: [\"{}\"]\n",
        "x".repeat(4 << 20)
    );
    let (_, problems) = yaml(long.as_bytes());
    assert!(
        problems[0]
            .to_string()
            .starts_with("line 3: a value of 4194304 bytes"),
        "{problems:?}"
    );
}

/// "Billion laughs": one list of 100 anchored names, named again by alias on thousands of
/// dashboards. Each alias has its own anchor, so the parser's alias-to-anchor ratio check passes.
fn alias_bomb(value_len: usize, dashboards: usize) -> String {
    let mut text = String::from("shares:\n  - dashboard: d0\n    users: &u [");
    for n in 0..100 {
        text.push_str(&format!("&s{n} {}{n}, ", "v".repeat(value_len)));
    }
    text.push_str("]\n");
    for n in 1..=dashboards {
        text.push_str(&format!("  - {{dashboard: &d{n} d{n}, users: *u}}\n"));
    }
    text
}

#[test]
fn a_yaml_alias_bomb_is_refused_in_bounded_memory() {
    // 300 aliases of a list of 100 values of 4 KiB, in a file of 420 KB. The parser's default
    // budget stopped this at 64 MiB of values; the reader's own cap stops it well before, and
    // says why.
    let (rows, problems) = yaml(alias_bomb(4096 - 4, 300).as_bytes());
    assert!(rows.is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].message.contains("aliases (*name)"),
        "{problems:?}"
    );
    // Smaller values, and many more aliases.
    let (_, problems) = yaml(alias_bomb(100, 9_000).as_bytes());
    assert!(
        problems[0].message.contains("aliases (*name)"),
        "{problems:?}"
    );
    // A sober use of aliases still reads.
    let (rows, problems) = yaml(alias_bomb(10, 20).as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows.len(), 21 * 100);
}

#[test]
fn files_past_their_cap_are_refused_with_their_size() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["big.csv", "big.yaml"] {
        let path = dir.path().join(name);
        let file = std::fs::File::create(&path).unwrap();
        // Sparse: nothing is written, but the size is what a reader sees.
        file.set_len(input::MAX_FILE + 1).unwrap();
        let (result, peak) = peak_of(|| input::read(&path, &mut |_| {}, &mut Vec::new()));
        let err = result.unwrap_err();
        assert_eq!(err.exit_code(), dashshare::ExitCode::BadInput);
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("{} bytes", input::MAX_FILE + 1)),
            "{shown}"
        );
        assert!(shown.contains("64 MiB"), "{shown}");
        assert!(peak < 1 << 20, "{name}: {peak}");
    }
    let path = dir.path().join("config.toml");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(config::MAX_CONFIG_FILE + 1)
        .unwrap();
    let selection = config::Selection {
        config: Some(path),
        ..config::Selection::default()
    };
    let err = config::load_profile(&selection, &|_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("larger than the 1 MiB"), "{err}");
}

#[cfg(unix)]
#[test]
fn an_apply_file_that_is_a_directory_or_endless_ends() {
    let dir = tempfile::tempdir().unwrap();
    // A directory opens, then fails every read: the CSV reader looped on that error for ever.
    let folder = dir.path().join("shares.csv");
    std::fs::create_dir(&folder).unwrap();
    let mut problems = Vec::new();
    let err = input::read(&folder, &mut |_| {}, &mut problems).unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
    assert!(problems.len() <= 1, "{}", problems.len());
    let endless = dir.path().join("endless.csv");
    std::os::unix::fs::symlink("/dev/zero", &endless).unwrap();
    let (result, peak) = peak_of(|| input::read(&endless, &mut |_| {}, &mut Vec::new()));
    assert!(result.unwrap_err().to_string().contains("64 MiB"));
    assert!(peak < 2 * input::MAX_FILE as usize, "{peak}");
}
