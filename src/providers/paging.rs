//! Listings that come in pages, read the same way on every vendor: each page is checked for
//! progress, so a server that answers the same page again, or more rows than it said it has,
//! stops the run (exit 1, naming the endpoint) instead of looping or counting a row twice. A
//! listing is never cut short in silence: an access review that misses dashboards is worse than
//! one that fails.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{Hash, Hasher};

use futures::StreamExt;
use serde_json::Value;

use crate::error::Error;

/// How many pages a listing may take before dashshare stops believing it ends (at 50 rows a
/// page, five million rows).
const MAX_PAGES: u64 = 100_000;

/// How many pages are asked for at once once the total is known.
pub const PAGE_WIDTH: usize = 4;

/// What a server said of the whole listing, beside one page of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// How many rows there are in all (mindzie `totalCount`, AppViewX `totalRecords`, ECI's
    /// `TotalNumberOfRecords` header).
    Rows(u64),
    /// How many pages there are (ECI's `TotalPages` header).
    Pages(u64),
}

/// One page as read: the request it answers (for messages), its rows, and the total it reported.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub target: String,
    pub rows: Vec<Value>,
    pub total: Option<Total>,
    /// The page says of itself that it is the last (a vendor reader decided so from a page
    /// shorter than the largest the API serves, where the server sent no total).
    pub last: bool,
}

/// Every row of a listing, and the request of its first page (for messages about a row).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub target: String,
    pub rows: Vec<Value>,
}

/// The progress of one listing, page after page.
#[derive(Debug, Default)]
pub struct Progress {
    first_target: String,
    rows: Vec<Value>,
    pages: u64,
    /// Fingerprints of the non-empty pages read so far.
    seen: HashSet<u64>,
}

impl Progress {
    pub fn new() -> Self {
        Progress::default()
    }

    /// How many rows have been read.
    pub fn read(&self) -> u64 {
        self.rows.len() as u64
    }

    pub fn rows(&self) -> &[Value] {
        &self.rows
    }

    /// Takes the next page: `Ok(true)` when the listing goes on, `Ok(false)` when it is complete.
    /// An empty page ends a listing of unknown size; one of known size ends at its total.
    pub fn take(&mut self, page: Page) -> Result<bool, Error> {
        if self.pages == 0 {
            self.first_target = page.target.clone();
        }
        self.pages += 1;
        let endpoint = endpoint(&page.target);
        if !page.rows.is_empty() && !self.seen.insert(fingerprint(&page.rows)) {
            return Err(Error::remote(format!(
                "{endpoint} answered the same page twice (page {} repeats an earlier one, after {} \
                 rows): the server does not page as dashshare expects, so the listing was stopped \
                 rather than read without end; nothing was changed",
                self.pages,
                self.read()
            )));
        }
        let empty = page.rows.is_empty();
        let last = page.last;
        self.rows.extend(page.rows);
        let read = self.read();
        match page.total {
            Some(Total::Rows(total)) if read > total => Err(Error::remote(format!(
                "{endpoint} answered {read} rows though it said it has {total}: the listing \
                 changed while it was read, or the server does not page as dashshare expects; \
                 nothing was changed, run the command again"
            ))),
            Some(Total::Rows(total)) if read == total => Ok(false),
            Some(Total::Pages(total)) if self.pages >= total => Ok(false),
            None if last => Ok(false),
            Some(total) if empty => Err(Error::remote(format!(
                "{endpoint} ended after {read} rows on page {}, short of the {} it said it has: \
                 the listing changed while it was read; nothing was changed, run the command again",
                self.pages,
                match total {
                    Total::Rows(rows) => format!("{rows} rows"),
                    Total::Pages(pages) => format!("{pages} pages"),
                }
            ))),
            _ if empty => Ok(false),
            _ if self.pages >= MAX_PAGES => Err(Error::remote(format!(
                "{endpoint} was still answering rows after {MAX_PAGES} pages ({read} rows): the \
                 server does not page as dashshare expects; nothing was changed"
            ))),
            _ => Ok(true),
        }
    }

    pub fn finish(self) -> Listing {
        Listing {
            target: self.first_target,
            rows: self.rows,
        }
    }
}

/// Reads a listing by offset (Sisense's `skip`/`limit`): `fetch(skip)` answers the rows from
/// `skip` on. The next page starts after the rows read so far, so a server that caps its answers
/// below the asked `limit` loses no rows, and the listing ends on an empty page (as pysisense
/// `migration/dashboards.py` stops: `if not items: break`).
pub async fn by_offset<F, Fut, E>(fetch: F) -> Result<Listing, E>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<Page, E>>,
    E: From<Error>,
{
    let mut progress = Progress::new();
    loop {
        let page = fetch(progress.read()).await?;
        if !progress.take(page)? {
            return Ok(progress.finish());
        }
    }
}

/// Reads a listing by page number (`fetch(1)`, `fetch(2)`, …: ECI's `pageNumber`, mindzie's
/// `page`). Once the first page tells the total, the other pages are asked for `width` at a
/// time; a listing that is not complete by then goes on one page at a time.
pub async fn by_number<F, Fut, E>(fetch: F, width: usize) -> Result<Listing, E>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<Page, E>>,
    E: From<Error>,
{
    let mut progress = Progress::new();
    let first = fetch(1).await?;
    let size = first.rows.len() as u64;
    let total = first.total;
    if !progress.take(first)? {
        return Ok(progress.finish());
    }
    // The server's own page size is what the first page held, whatever was asked for.
    let known_pages = match total {
        Some(Total::Pages(pages)) => Some(pages),
        Some(Total::Rows(rows)) if size > 0 => Some(rows.div_ceil(size)),
        _ => None,
    };
    let mut next = 2;
    if let Some(last) = known_pages.map(|pages| pages.min(MAX_PAGES)) {
        let mut pages = futures::stream::iter((2..=last).map(&fetch)).buffered(width.max(1));
        while let Some(page) = pages.next().await {
            next += 1;
            if !progress.take(page?)? {
                return Ok(progress.finish());
            }
        }
    }
    loop {
        let page = fetch(next).await?;
        next += 1;
        if !progress.take(page)? {
            return Ok(progress.finish());
        }
    }
}

/// `METHOD URL` without its query, which names the page and would differ from page to page.
fn endpoint(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

fn fingerprint(rows: &[Value]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for row in rows {
        row.to_string().hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(rows: std::ops::Range<u64>, total: Option<Total>) -> Page {
        Page {
            target: "GET http://x/list?skip=0".into(),
            rows: rows.map(|n| json!({"id": n})).collect(),
            total,
            last: false,
        }
    }

    fn ids(listing: &Listing) -> Vec<u64> {
        listing
            .rows
            .iter()
            .map(|row| row["id"].as_u64().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn by_offset_reads_past_a_cap_smaller_than_asked_and_ends_on_an_empty_page() {
        let asked = std::sync::Mutex::new(Vec::new());
        let listing = by_offset(|skip| {
            asked.lock().unwrap().push(skip);
            // A server that serves at most 30 of 130 rows a request, whatever the limit.
            let end = (skip + 30).min(130);
            async move { Ok::<_, Error>(page(skip..end, None)) }
        })
        .await
        .unwrap();
        assert_eq!(ids(&listing), (0..130).collect::<Vec<_>>());
        assert_eq!(*asked.lock().unwrap(), [0, 30, 60, 90, 120, 130]);
        assert_eq!(listing.target, "GET http://x/list?skip=0");
    }

    #[tokio::test]
    async fn a_server_that_ignores_the_offset_is_stopped_not_read_forever() {
        let err = by_offset(|_| async { Ok::<_, Error>(page(0..50, None)) })
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("GET http://x/list answered the same page twice"),
            "{text}"
        );
        assert!(!text.contains("skip="), "{text}");
        assert_eq!(err.exit_code(), crate::error::ExitCode::RemoteFailure);
    }

    #[tokio::test]
    async fn by_number_reads_the_rest_concurrently_once_the_total_is_known() {
        let asked = std::sync::Mutex::new(Vec::new());
        // 250 rows, 100 a page, though 1000 were asked for.
        let listing = by_number(
            |number| {
                asked.lock().unwrap().push(number);
                let start = (number - 1) * 100;
                async move {
                    Ok::<_, Error>(page(start..(start + 100).min(250), Some(Total::Rows(250))))
                }
            },
            4,
        )
        .await
        .unwrap();
        assert_eq!(ids(&listing), (0..250).collect::<Vec<_>>());
        assert_eq!(*asked.lock().unwrap(), [1, 2, 3]);
    }

    #[tokio::test]
    async fn by_number_ends_at_the_total_pages() {
        let listing = by_number(
            |number| async move {
                let start = (number - 1) * 10;
                Ok::<_, Error>(page(start..start + 10, Some(Total::Pages(3))))
            },
            2,
        )
        .await
        .unwrap();
        assert_eq!(listing.rows.len(), 30);
    }

    #[test]
    fn more_rows_than_the_total_or_fewer_before_the_end_are_errors() {
        let mut progress = Progress::new();
        assert!(progress.take(page(0..10, Some(Total::Rows(15)))).unwrap());
        let err = progress
            .take(page(10..20, Some(Total::Rows(15))))
            .unwrap_err();
        assert!(
            err.to_string().contains("20 rows though it said it has 15"),
            "{err}"
        );

        let mut progress = Progress::new();
        assert!(progress.take(page(0..10, Some(Total::Rows(15)))).unwrap());
        let err = progress
            .take(page(0..0, Some(Total::Rows(15))))
            .unwrap_err();
        assert!(err.to_string().contains("short of the 15 rows"), "{err}");
    }

    #[test]
    fn an_unknown_total_ends_on_an_empty_page() {
        let mut progress = Progress::new();
        assert!(progress.take(page(0..5, None)).unwrap());
        assert!(!progress.take(page(0..0, None)).unwrap());
        assert_eq!(progress.finish().rows.len(), 5);
    }
}
