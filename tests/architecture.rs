//! Architecture: rules about the source itself, checked by reading src/ and tests/ (nothing runs).
//!
//! The module floors, no cycles between modules, and the import rules of ARCHITECTURE.md. Change
//! the tables here and ARCHITECTURE.md together.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Each top-level module of src/ and its floor, bottom (1) to top. A module may import modules on
/// its own floor and below, never above; `main` is the binary. ARCHITECTURE.md names the floors.
const FLOORS: &[(&str, u8)] = &[
    // 1 ground: failures and exit codes, the secret filter, bounded reads, checksums, the log.
    ("error", 1),
    ("signal", 1),
    ("redact", 1),
    ("capped", 1),
    ("checksum", 1),
    ("logging", 1),
    ("terminal", 1),
    ("wording", 1),
    // 2 vocabulary: values and pure functions, no I/O.
    ("model", 2),
    ("data_model", 2),
    ("vendor", 2),
    ("shape", 2),
    ("unique_json", 2),
    ("links", 2),
    ("suggest", 2),
    // 3 the process's edges: profiles, default folders, the terminal, signals, the question before removals.
    ("private_file", 3),
    ("paths", 3),
    ("config", 3),
    ("output", 3),
    ("pager", 3),
    ("interrupt", 3),
    ("confirm", 3),
    // 4 records: the journal and what keeps it whole. They never talk to a server.
    ("journal", 4),
    ("write_ahead", 4),
    ("share_ends", 4),
    ("run_lock", 4),
    // 5 transport: one HTTP client, pacing, sessions.
    ("pacer", 5),
    ("http", 5),
    ("session", 5),
    // 6 vendors: the only place vendor-specific code lives, clients and emulators.
    ("providers", 6),
    ("sandbox", 6),
    // 7 the per-dashboard sequence.
    ("flow", 7),
    // 8 bulk: many dashboards from a file.
    ("apply", 8),
    ("inventory", 8),
    ("people", 8),
    // 9 surface: the command line and the commands.
    ("cli", 9),
    ("usage", 9),
    ("commands", 9),
    ("main", 9),
];

/// Imports forbidden whatever the floors say, so that moving a module between floors cannot
/// quietly allow them: (importer, imported, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "journal",
        "providers",
        "the journal records share sets as plain values and must read back the same whatever the vendor code becomes",
    ),
    (
        "write_ahead",
        "providers",
        "journaling a write takes plain values; the caller talks to the vendor",
    ),
    (
        "sandbox",
        "providers",
        "the emulators follow the vendors' documents, not our clients, so one wrong guess is not made twice",
    ),
    (
        "providers",
        "sandbox",
        "the clients are tested against the emulators and must not know them",
    ),
    (
        "flow",
        "cli",
        "the sequence takes plain values (vendor, principal kind, access, change, mode), not command-line types",
    ),
    (
        "flow",
        "apply",
        "the sequence takes plain values, not apply-file types; apply calls the sequence",
    ),
];

/// Where vendor-specific code may live: the clients, the emulators and the vendor table.
const VENDOR_HOMES: &[&str] = &["providers/", "sandbox/", "vendor.rs"];

/// Profile keys only one vendor has (mindzie's tenant and project, AppViewX's `gwsource`/`gwkey`).
const VENDOR_ONLY_KEYS: &[&str] = &["tenant_id", "project_id", "gwsource", "gwkey"];

/// Today's vendor names and vendor-only keys outside `VENDOR_HOMES` (in code and messages; comments
/// and `#[cfg(test)]` modules aside): (file under src/, word, why). An entry nothing matches any
/// more fails the test, so this list stays exact: delete the line when the code moves.
const VENDOR_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "usage.rs",
        "sisense",
        "`config init VENDOR...`'s help examples name vendors, as the user types them",
    ),
    (
        "usage.rs",
        "eci",
        "`config init VENDOR...`'s help examples name vendors, as the user types them",
    ),
    (
        "cli.rs",
        "vizzly",
        "--help names the vendors: the description, and diff's note on vendors that cannot read shares",
    ),
    (
        "cli.rs",
        "appviewx",
        "--help names the vendors: the description, and diff's note on vendors that cannot read shares",
    ),
    (
        "commands/demo.rs",
        "sisense",
        "the demo is a scripted tour of the sandbox, vendor by vendor",
    ),
    (
        "commands/demo.rs",
        "eci",
        "the demo is a scripted tour of the sandbox, vendor by vendor",
    ),
    (
        "commands/demo.rs",
        "vizzly",
        "the demo is a scripted tour of the sandbox, vendor by vendor",
    ),
    (
        "commands/demo.rs",
        "appviewx",
        "the demo is a scripted tour of the sandbox, vendor by vendor",
    ),
    (
        "commands/demo.rs",
        "mindzie",
        "the demo is a scripted tour of the sandbox, vendor by vendor",
    ),
    (
        "commands/embed.rs",
        "mindzie",
        "embed is mindzie's alone; the message could take the vendor's name from the table",
    ),
    (
        "config.rs",
        "sisense",
        "the --url error's example names a vendor",
    ),
    (
        "flow/admit.rs",
        "vizzly",
        "revoke --access's refusal names the one vendor that has it; it could come from the vendor table",
    ),
];

#[test]
fn the_modules_form_floors_without_cycles_and_keep_the_rules() {
    let sources = read_src(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path());
    assert!(sources.len() > 20, "src/ looks empty: {}", sources.len());
    let rules = Rules::today(&sources);
    assert_eq!(
        rules.vendor_variants.len(),
        dashshare::vendor::Vendor::ALL.len(),
        "{:?}",
        rules.vendor_variants
    );
    let problems = check(&sources, &rules);
    assert!(
        problems.is_empty(),
        "the architecture rules (ARCHITECTURE.md) are broken:\n{}",
        problems.join("\n")
    );
}

/// The kinds of test file, each named by the first line of its header (ARCHITECTURE.md, "Tests").
const TEST_KINDS: &[&str] = &[
    "Flags and exit codes only:",
    "Request pins:",
    "Conformance:",
    "End to end:",
    "Client:",
    "Properties:",
    "Emulator fidelity:",
    "Architecture:",
    "Helpers for every file here",
    "Test binary:",
];

/// Every test source: the files directly under `tests/` and those of each test binary's folder
/// (`tests/e2e/`, `tests/pins/`), never the shared helpers or fixtures.
fn test_files(tests: &Path) -> Vec<std::path::PathBuf> {
    let rust = |dir: &Path| -> Vec<std::path::PathBuf> {
        fs::read_dir(dir)
            .expect("a tests folder")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect()
    };
    let mut files = rust(tests);
    for binary in ["e2e", "pins"] {
        files.extend(rust(&tests.join(binary)));
    }
    files.sort();
    files
}

#[test]
fn every_test_file_says_first_what_kind_of_test_belongs_in_it() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = test_files(&tests);
    files.push(tests.join("common/mod.rs"));
    let unmarked: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = fs::read_to_string(path).unwrap_or_default();
            let first = text.lines().next().unwrap_or_default();
            !TEST_KINDS
                .iter()
                .any(|kind| first.starts_with(&format!("//! {kind}")))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        files.len() > 20 && unmarked.is_empty(),
        "start these with `//! KIND: what belongs here.`, KIND one of {TEST_KINDS:?}: {unmarked:#?}"
    );
}

/// Each file directly under `tests/` is a test binary that cargo builds and links on its own:
/// a few, so that `cargo test` links a few times rather than once per file (issue 25).
#[test]
fn the_tests_are_built_in_a_few_binaries() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let binaries: Vec<String> = fs::read_dir(&tests)
        .expect("tests/")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "rs") || path.join("main.rs").exists()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        binaries.len() <= 8,
        "add a module to tests/e2e/ or tests/pins/ instead: {binaries:#?}"
    );
}

/// Where each kind lives, by file name: a newcomer finds the request pins of a vendor, or the
/// end-to-end runs, without opening files.
#[test]
fn every_test_file_is_named_for_its_kind() {
    let named = |kind: &str, name: &str| match kind {
        "Flags and exit codes only" => name == "cli.rs",
        "Request pins" => name.ends_with("_api.rs"),
        "Conformance" => name == "conformance.rs",
        "End to end" => name.starts_with("e2e_"),
        "Test binary" => name == "main.rs",
        _ => true,
    };
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let misnamed: Vec<String> = test_files(&tests)
        .into_iter()
        .filter_map(|path| {
            let text = fs::read_to_string(&path).unwrap_or_default();
            let first = text.lines().next().unwrap_or_default();
            let kind = first.strip_prefix("//! ")?.split(':').next()?.to_string();
            let name = path.file_name()?.to_str()?.to_string();
            (!named(&kind, &name)).then(|| format!("{name} ({kind})"))
        })
        .collect();
    assert!(
        misnamed.is_empty(),
        "name these for their kind (cli.rs, <vendor>_api.rs, conformance.rs, e2e_*.rs): \
         {misnamed:#?}"
    );
}

// The checker checked: each kind of breach is caught, and what is not code is not taken for it.

fn rules_for_examples() -> Rules {
    Rules {
        floors: &[("error", 1), ("model", 2), ("journal", 4), ("providers", 6)],
        forbidden: &[("journal", "providers", "plain values")],
        vendor_exceptions: &[],
        vendor_variants: vec!["Sisense".into(), "Eci".into()],
    }
}

fn source(path: &str, text: &str) -> (String, String) {
    (path.to_string(), text.to_string())
}

#[test]
fn an_upward_import_breaks_the_floors_and_the_named_rule() {
    let sources = [
        source(
            "journal.rs",
            "use crate::{\n    model::ShareSet,\n    providers::Dashboard,\n};\n",
        ),
        source("providers/mod.rs", "use crate::model::ShareSet;\n"),
        source("model.rs", ""),
        source("error.rs", ""),
    ];
    let problems = check(&sources, &rules_for_examples());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("journal.rs:3: journal (floor 4) imports providers (floor 6)"));
    assert!(problems[1].contains("journal.rs:3: journal must not import providers: plain values"));
}

/// Inside a folder too, files import each other one way only (issue 25: three circles had
/// grown there, each a type without its own home).
#[test]
fn no_files_of_a_folder_import_each_other_in_a_circle() {
    let sources = read_src(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path());
    let circles = sibling_circles(&sources);
    assert!(
        circles.is_empty(),
        "give what the files share a file of its own: {circles:#?}"
    );
}

#[test]
fn a_circle_of_two_files_in_a_folder_is_found() {
    let sources = [
        source("apply/a.rs", "use super::b::B;\npub struct A;\n"),
        source("apply/b.rs", "use crate::apply::a::A;\npub struct B;\n"),
        source(
            "apply/c.rs",
            "use super::a::A;\n#[cfg(test)]\nmod tests {\n    use super::super::c;\n}\n",
        ),
    ];
    assert_eq!(sibling_circles(&sources), ["apply: a -> b -> a"]);
}

/// Each folder's circles of files (`folder: a -> b -> a`), by `super::x` and
/// `crate::folder::x` imports outside test modules; a folder's `mod.rs` only declares them.
fn sibling_circles(sources: &[(String, String)]) -> Vec<String> {
    let mut folders: BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
    for (path, text) in sources {
        let Some((folder, file)) = path.split_once('/') else {
            continue;
        };
        let Some(name) = file.strip_suffix(".rs").filter(|f| !f.contains('/')) else {
            continue;
        };
        if name == "mod" {
            continue;
        }
        let (code, _) = lex(text);
        let code = blank_lines(&code, &test_module_lines(&code));
        let inside = format!("crate::{folder}::");
        let edges = folders.entry(folder).or_default().entry(name).or_default();
        for (target, _) in paths_after(&code, "super::")
            .into_iter()
            .chain(paths_after(&code, &inside))
        {
            if target != name && target != "super" {
                edges.insert(target);
            }
        }
    }
    folders
        .iter()
        .filter_map(|(folder, graph)| {
            find_cycle(graph).map(|cycle| format!("{folder}: {}", cycle.join(" -> ")))
        })
        .collect()
}

#[test]
fn a_cycle_on_one_floor_is_found_and_named() {
    let sources = [
        source("error.rs", "pub fn f() { crate::model::g() }\n"),
        source("model.rs", "use crate::error::Error;\n"),
    ];
    let mut rules = rules_for_examples();
    rules.floors = &[("error", 1), ("model", 1)];
    let problems = check(&sources, &rules);
    assert_eq!(
        problems,
        ["modules import each other in a circle: error -> model -> error"]
    );
}

#[test]
fn comments_strings_and_test_modules_are_not_imports() {
    let sources = [
        source(
            "error.rs",
            "//! See crate::providers.\n/* crate::journal */\nconst A: &str = \"crate::providers\";\nconst B: char = '\"';\nconst C: &str = r#\"crate::journal\"#;\n",
        ),
        source("model.rs", ""),
        source("journal.rs", ""),
        source("providers/mod.rs", ""),
    ];
    assert_eq!(check(&sources, &rules_for_examples()), Vec::<String>::new());
}

#[test]
fn a_vendor_outside_its_home_is_caught_in_code_and_messages_only() {
    let sources = [
        source(
            "journal.rs",
            "// Sisense wants it so.\nfn f(v: Vendor) -> bool {\n    matches!(v, Vendor::Eci)\n}\nconst M: &str = \"not on sisense\";\nconst D: &str = \"decide\";\n#[cfg(test)]\nmod tests {\n    const S: &str = \"sisense\";\n}\n#[cfg(test)]\npub(crate) mod examples {\n    const V: Vendor = Vendor::Sisense;\n}\n",
        ),
        source("providers/sisense.rs", "const S: &str = \"sisense\";\n"),
        source("model.rs", ""),
        source("error.rs", ""),
    ];
    let problems = check(&sources, &rules_for_examples());
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for expected in [
        "journal.rs:3: Vendor::Eci outside",
        "journal.rs:3: `eci` outside",
        "journal.rs:5: `sisense` outside",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected}: {problems:#?}"
        );
    }
}

#[test]
fn an_exception_nothing_needs_any_more_must_be_deleted() {
    let mut rules = rules_for_examples();
    rules.vendor_exceptions = &[("journal.rs", "sisense", "gone since")];
    let sources = [source("journal.rs", "fn f() {}\n")];
    let problems = check(&sources, &rules);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("exception journal.rs `sisense` matches nothing")),
        "{problems:#?}"
    );
}

#[test]
fn a_module_without_a_floor_and_a_root_escape_are_reported() {
    let sources = [
        source("newcomer.rs", "use crate::model::ShareSet;\n"),
        source("model.rs", "use super::error::Error;\n"),
        source("error.rs", ""),
    ];
    let problems = check(&sources, &rules_for_examples());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("module newcomer has no floor")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("model.rs:1: `super::` reaches the crate root")),
        "{problems:#?}"
    );
}

struct Rules {
    floors: &'static [(&'static str, u8)],
    forbidden: &'static [(&'static str, &'static str, &'static str)],
    vendor_exceptions: &'static [(&'static str, &'static str, &'static str)],
    /// The variants of `vendor::Vendor`, read from vendor.rs so that a new vendor is covered.
    vendor_variants: Vec<String>,
}

impl Rules {
    fn today(sources: &[(String, String)]) -> Self {
        let vendor_rs = sources
            .iter()
            .find(|(path, _)| path == "vendor.rs")
            .map(|(_, text)| text.as_str())
            .unwrap_or_default();
        Rules {
            floors: FLOORS,
            forbidden: FORBIDDEN,
            vendor_exceptions: VENDOR_EXCEPTIONS,
            vendor_variants: enum_variants(vendor_rs, "Vendor"),
        }
    }
}

/// Every .rs file under `dir`, as (path relative to src/ with `/`, text), sorted by path.
fn read_src(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(root).expect("under src/");
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                out.push((name, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The top-level module a file belongs to (`apply/execute.rs` → `apply`); `None` for lib.rs, the
/// crate root that only declares the modules.
fn module_of(path: &str) -> Option<&str> {
    if path == "lib.rs" {
        return None;
    }
    let first = path.split('/').next().unwrap_or(path);
    Some(first.strip_suffix(".rs").unwrap_or(first))
}

/// How many modules deep a file's items are: `x.rs` and `x/mod.rs` 1, `x/y.rs` 2.
fn depth_of(path: &str) -> usize {
    let parts = path.split('/').count();
    if path.ends_with("/mod.rs") {
        parts - 1
    } else {
        parts
    }
}

fn check(sources: &[(String, String)], rules: &Rules) -> Vec<String> {
    let floor_of: BTreeMap<&str, u8> = rules.floors.iter().copied().collect();
    let modules: BTreeSet<&str> = sources.iter().filter_map(|(p, _)| module_of(p)).collect();
    let mut problems = Vec::new();
    let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut vendor_hits: BTreeSet<(String, String)> = BTreeSet::new();
    let root_items = root_reexports(sources);

    for module in &modules {
        if !floor_of.contains_key(module) {
            problems.push(format!(
                "module {module} has no floor: add it to FLOORS in tests/architecture.rs and to ARCHITECTURE.md"
            ));
        }
    }
    for (name, _) in rules.floors {
        if !modules.contains(name) {
            problems.push(format!(
                "FLOORS names {name}, which src/ no longer has: remove it"
            ));
        }
    }

    for (path, text) in sources {
        let Some(module) = module_of(path) else {
            continue;
        };
        let (code, prose) = lex(text);
        let prefix = if module == "main" {
            "dashshare::"
        } else {
            "crate::"
        };
        for (target, at) in paths_after(&code, prefix) {
            let target = root_items.get(&target).cloned().unwrap_or(target);
            if target == module {
                continue;
            }
            let line = line_at(&code, at);
            graph.entry(module).or_default().insert(target.clone());
            if !modules.contains(target.as_str()) {
                problems.push(format!(
                    "{path}:{line}: {prefix}{target} is not a module: import it from the module that defines it"
                ));
                continue;
            }
            if let (Some(&from), Some(&to)) = (floor_of.get(module), floor_of.get(target.as_str()))
                && to > from
            {
                problems.push(format!(
                    "{path}:{line}: {module} (floor {from}) imports {target} (floor {to}): imports run down, never up"
                ));
            }
            for (importer, imported, why) in rules.forbidden {
                if *importer == module && *imported == target {
                    problems.push(format!(
                        "{path}:{line}: {module} must not import {target}: {why}"
                    ));
                }
            }
        }

        let tests = test_module_lines(&code);
        let (code, prose) = (blank_lines(&code, &tests), blank_lines(&prose, &tests));
        for at in super_escapes(&code, depth_of(path)) {
            problems.push(format!(
                "{path}:{}: `super::` reaches the crate root: write `crate::…` so the floors can be checked",
                line_at(&code, at)
            ));
        }
        if VENDOR_HOMES
            .iter()
            .any(|home| path.starts_with(home) || path == home)
        {
            continue;
        }
        for (variant, at) in paths_after(&code, "Vendor::") {
            if rules.vendor_variants.contains(&variant) {
                problems.push(format!(
                    "{path}:{}: Vendor::{variant} outside providers/, sandbox/ and vendor.rs: ask the vendor table instead",
                    line_at(&code, at)
                ));
            }
        }
        let lower = prose.to_ascii_lowercase();
        let words = rules
            .vendor_variants
            .iter()
            .map(|v| v.to_ascii_lowercase())
            .chain(VENDOR_ONLY_KEYS.iter().map(|k| k.to_string()));
        for word in words {
            for at in word_positions(&prose, &lower, &word) {
                let excepted = rules
                    .vendor_exceptions
                    .iter()
                    .any(|(p, w, _)| p == path && *w == word);
                vendor_hits.insert((path.clone(), word.clone()));
                if !excepted {
                    problems.push(format!(
                        "{path}:{}: `{word}` outside providers/, sandbox/ and vendor.rs: move the vendor's fact to its provider, or add a reasoned exception to VENDOR_EXCEPTIONS",
                        line_at(&prose, at)
                    ));
                }
            }
        }
    }

    for (path, word, _) in rules.vendor_exceptions {
        if !vendor_hits.contains(&(path.to_string(), word.to_string())) {
            problems.push(format!(
                "exception {path} `{word}` matches nothing any more: delete it from VENDOR_EXCEPTIONS (and ARCHITECTURE.md)"
            ));
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        problems.push(format!(
            "modules import each other in a circle: {}",
            cycle.join(" -> ")
        ));
    }
    problems
}

/// The file with comments blanked, twice, line for line: `code` also blanks what strings and
/// character literals hold (for paths and braces), `prose` keeps it (for names in messages).
fn lex(text: &str) -> (String, String) {
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut prose = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                code.push(' ');
                prose.push(' ');
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    break;
                }
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    code.push_str("  ");
                    prose.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                code.push(blank(chars[i]));
                prose.push(blank(chars[i]));
                i += 1;
            }
        } else if !after_ident && (c == 'r' || (c == 'b' && at(i + 1) == 'r')) && {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = (start..).take_while(|&j| at(j) == '#').count();
            at(start + hashes) == '"'
        } {
            // A raw string: r"…", r#"…"#, br"…".
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = (start..).take_while(|&j| at(j) == '#').count();
            let open = start + hashes + 1;
            for &ch in &chars[i..open] {
                code.push(ch);
                prose.push(ch);
            }
            i = open;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    break;
                }
                code.push(blank(chars[i]));
                prose.push(chars[i]);
                i += 1;
            }
            let close = (i + 1 + hashes).min(chars.len());
            for &ch in &chars[i..close] {
                code.push(ch);
                prose.push(ch);
            }
            i = close;
        } else if c == '"' {
            code.push('"');
            prose.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let step = if chars[i] == '\\' { 2 } else { 1 };
                for &ch in chars.iter().skip(i).take(step) {
                    code.push(blank(ch));
                    prose.push(ch);
                }
                i += step;
            }
            if i < chars.len() {
                code.push('"');
                prose.push('"');
                i += 1;
            }
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A character literal ('"', '{', '\'', '\u{1b}'); a lifetime has no closing quote.
            let end = if at(i + 1) == '\\' {
                (i + 3..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .unwrap_or(chars.len() - 1)
            } else {
                i + 2
            };
            for &ch in &chars[i..=end] {
                code.push(if ch == '\'' { '\'' } else { blank(ch) });
                prose.push(ch);
            }
            i = end + 1;
        } else {
            code.push(c);
            prose.push(c);
            i += 1;
        }
    }
    (code, prose)
}

/// Which lines (0-based) a `#[cfg(test)] mod … { … }` covers. `code` must come from `lex`, so
/// that braces in strings and comments do not count.
fn test_module_lines(code: &str) -> Vec<bool> {
    let mut cut = vec![false; code.split('\n').count()];
    let mut search = 0;
    while let Some(found) = code[search..].find("#[cfg(test)]") {
        let start = search + found;
        search = start + 1;
        let rest = code[start + "#[cfg(test)]".len()..].trim_start();
        // Test values other modules' tests share (`pub(crate) mod examples`) are test code too.
        let rest = rest
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        if !rest.starts_with("mod ") {
            continue;
        }
        let Some(open) = code[start..].find('{').map(|o| start + o) else {
            continue;
        };
        let mut depth = 0usize;
        let mut end = code.len();
        for (offset, ch) in code[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + offset;
                        break;
                    }
                }
                _ => {}
            }
        }
        for flag in cut
            .iter_mut()
            .take(line_at(code, end))
            .skip(line_at(code, start) - 1)
        {
            *flag = true;
        }
    }
    cut
}

/// `text` with the lines `cut` marks emptied; line numbers stay.
fn blank_lines(text: &str, cut: &[bool]) -> String {
    text.split('\n')
        .zip(cut.iter().chain(std::iter::repeat(&false)))
        .map(|(line, &cut)| if cut { "" } else { line })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first name after each `prefix` (at a word start) and its offset; a `{…}` group gives each
/// of its members' first names: `crate::{model::A, vendor}` → model, vendor.
fn paths_after(code: &str, prefix: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(offset) = code[search..].find(prefix) {
        let at = search + offset;
        search = at + prefix.len();
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = code[search..].trim_start();
        let group_start = code.len() - rest.len() + 1;
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut expecting = true;
            for (i, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expecting = true,
                    c if expecting && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                        found.push((identifier(&group[i..]), group_start + i));
                        expecting = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = identifier(rest);
            if !name.is_empty() {
                found.push((name, at));
            }
        }
    }
    found
}

/// What lib.rs re-exports at the crate root (`pub use error::{Error, Result}`): item → module.
fn root_reexports(sources: &[(String, String)]) -> BTreeMap<String, String> {
    let lib = sources
        .iter()
        .find(|(path, _)| path == "lib.rs")
        .map(|(_, text)| lex(text).0)
        .unwrap_or_default();
    let mut items = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(used) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, rest)) = used.split_once("::") else {
            continue;
        };
        for item in rest.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = item.rsplit("::").next().unwrap_or(item);
            let name = name.rsplit(" as ").next().unwrap_or(name).trim();
            if !name.is_empty() {
                items.insert(name.to_string(), module.trim().to_string());
            }
        }
    }
    items
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Offsets of `super::` chains as long as the file is deep: they name the crate root's modules
/// without `crate::`, which would hide an import from the floors.
fn super_escapes(code: &str, depth: usize) -> Vec<usize> {
    let chain = "super::".repeat(depth);
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(offset) = code[search..].find(&chain) {
        let at = search + offset;
        found.push(at);
        search = at + chain.len();
    }
    found
}

/// Offsets where `word` (lower case) stands alone in `text` (`lower` is `text` in ASCII lower
/// case): "decide" holds no "eci", but "ECI-ApiKey", "vendor_eci" and "mindzieStudio" name a vendor.
fn word_positions(text: &str, lower: &str, word: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(offset) = lower[search..].find(word) {
        let at = search + offset;
        search = at + word.len();
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len()).copied();
        let starts = before.is_none_or(|b| !b.is_ascii_alphanumeric());
        let ends = after.is_none_or(|b| !b.is_ascii_lowercase() && !b.is_ascii_digit());
        if starts && ends {
            found.push(at);
        }
    }
    found
}

/// The variants of `pub enum NAME { … }`.
fn enum_variants(text: &str, name: &str) -> Vec<String> {
    let (code, _) = lex(text);
    let Some(start) = code.find(&format!("pub enum {name} {{")) else {
        return Vec::new();
    };
    let body = &code[start..];
    let body = &body[body.find('{').unwrap_or(0) + 1..body.find('}').unwrap_or(body.len())];
    body.split(',')
        .map(|item| {
            item.lines()
                .map(str::trim)
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .collect::<String>()
        })
        .map(|item| identifier(&item))
        .filter(|item| !item.is_empty())
        .collect()
}

fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// One circle in the import graph, if there is one, as the modules walked (first = last).
fn find_cycle(graph: &BTreeMap<&str, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}
