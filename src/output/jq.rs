//! `--jq EXPR`: a jq filter over the one JSON document a command prints, through jaq (a
//! maintained jq implementation). Results are printed one per line like `gh --jq`: strings raw,
//! everything else as compact JSON.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

use crate::error::{Error, Result};

/// The data a filter runs on.
type Data = data::JustLut<Val>;

/// Refuses an expression that does not parse or names an unknown filter, before the command
/// runs (so a typo never follows a write).
pub fn check(expr: &str) -> Result<()> {
    compile(expr).map(|_| ())
}

/// The lines `expr` makes of the JSON text `document`.
pub fn run(expr: &str, document: &str) -> Result<Vec<String>> {
    let filter = compile(expr)?;
    let input = jaq_json::read::parse_single(document.as_bytes())
        .map_err(|err| Error::remote(format!("cannot read the JSON output for --jq: {err}")))?;
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
