//! One way to show a writing run's outcomes (apply --plan, undo, expire): a plain table for
//! people, or a Markdown table for a pull request. JSON is the rows themselves.

use super::escape;
use crate::model::outcome::OutcomeRow;

/// The rows with the columns they fill: the principal and the end only where a row has one.
fn columns(rows: &[OutcomeRow]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let principals = rows.iter().any(|row| row.principal.is_some());
    let ends = rows.iter().any(|row| row.ends.is_some());
    let mut headers = vec!["profile", "dashboard"];
    headers.extend(principals.then_some("principal"));
    headers.extend(ends.then_some("ends"));
    headers.extend(["result", "detail"]);
    let cells = rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.profile.clone(), row.dashboard.clone()];
            if principals {
                cells.push(row.principal.clone().unwrap_or_default());
            }
            if ends {
                cells.push(row.ends.clone().unwrap_or_default());
            }
            cells.extend([row.result.to_string(), row.detail.clone()]);
            cells
        })
        .collect();
    (headers, cells)
}

pub fn table(rows: &[OutcomeRow]) -> String {
    let (headers, cells) = columns(rows);
    super::table(&headers, cells)
}

/// Every value escaped, so a title cannot break the table; the result in bold.
pub fn markdown(rows: &[OutcomeRow]) -> String {
    let (headers, cells) = columns(rows);
    let result = headers.len() - 2;
    let cells = cells.into_iter().map(|row| {
        row.iter()
            .enumerate()
            .map(|(i, cell)| match i == result {
                true => format!("**{cell}**"),
                false => escape::markdown(cell),
            })
            .collect()
    });
    super::markdown_table(&headers, cells)
}

/// The rows as a plain table (or Markdown), then what the run says below them; a report with
/// no rows is only `empty`.
pub fn report(rows: &[OutcomeRow], markdown: bool, empty: &str, summary: &str) -> String {
    if rows.is_empty() {
        return empty.to_string();
    }
    let rows = match markdown {
        true => self::markdown(rows),
        false => table(rows),
    };
    match summary {
        "" => rows,
        summary => format!("{}\n\n{summary}", rows.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outcome::Outcome;

    fn row(principal: Option<&str>, result: Outcome) -> OutcomeRow {
        OutcomeRow {
            profile: "prod".into(),
            dashboard: "Sales | KPIs".into(),
            principal: principal.map(String::from),
            ends: None,
            result,
            detail: String::new(),
        }
    }

    #[test]
    fn columns_follow_the_rows_and_markdown_escapes_every_value() {
        let plain = table(&[row(None, Outcome::Written)]);
        assert!(plain.starts_with("PROFILE  DASHBOARD"), "{plain}");
        assert!(!plain.contains("PRINCIPAL"), "{plain}");
        let shares = [row(Some("bob"), Outcome::Left), row(None, Outcome::Failed)];
        assert!(table(&shares).contains("PRINCIPAL"));
        let md = markdown(&shares);
        assert!(
            md.starts_with(
                "| profile | dashboard | principal | result | detail |\n|---|---|---|---|---|\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("| prod | Sales \\| KPIs | bob | **left** |  |"),
            "{md}"
        );
    }
}
