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

/// How many pages a listing may take before dashshare stops believing it ends.
const MAX_PAGES: u64 = 10_000;
/// How many rows a listing may hold: far more than any server's users or dashboards, and few
/// enough that a server sending rows without end is stopped before memory runs out.
const MAX_ROWS: u64 = 1_000_000;

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

/// One page as read: the request it answers (for messages), its rows, the total it reported,
/// and how many rows were asked for.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub target: String,
    pub rows: Vec<Value>,
    pub total: Option<Total>,
    /// The page says of itself that it is the last: a page short of the size asked for, from a
    /// server that sent no total where its vendor documents one (see `Page::numbered`).
    pub last: bool,
    /// The rows asked for (`limit`, `pageSize`, `maxSize`).
    pub asked: usize,
}

impl Page {
    /// A page of a listing whose vendor documents a total: without one (a server that left it
    /// out), a page short of the `asked` size is taken as the last, as a client without the
    /// total can only take it.
    pub fn numbered(target: String, rows: Vec<Value>, total: Option<Total>, asked: usize) -> Page {
        Page {
            last: total.is_none() && rows.len() < asked,
            target,
            rows,
            total,
            asked,
        }
    }
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
    /// How many rows the first page held, and whether that was more than it was asked for.
    first_over_asked: bool,
    /// Fingerprints of every row read so far: a row that comes again means the pages overlap.
    seen: HashSet<u64>,
    /// The last total a page reported (a later page may leave it out).
    total: Option<Total>,
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
        let endpoint = endpoint(&page.target).to_string();
        self.pages += 1;
        if self.pages == 1 {
            self.first_target = page.target.clone();
            self.first_over_asked = page.asked > 0 && page.rows.len() > page.asked;
        }
        let total = page.total.or(self.total);
        self.total = total;
        if let Some(Total::Rows(rows)) = total
            && rows > MAX_ROWS
        {
            return Err(too_many(&endpoint, rows));
        }
        let fingerprints: Vec<u64> = page.rows.iter().map(fingerprint).collect();
        let repeats = fingerprints
            .iter()
            .filter(|f| self.seen.contains(f))
            .count();
        if repeats > 0 {
            // A server that ignores paging answers everything on every page: when the first page
            // held more than was asked for, it was the whole listing.
            if self.pages == 2 && self.first_over_asked && repeats == page.rows.len() {
                tracing::debug!("{endpoint} ignores paging: its first answer is the whole listing");
                return Ok(false);
            }
            return Err(Error::remote(format!(
                "{endpoint} answered rows of an earlier page again (page {}, after {} rows): the \
                 listing changed while it was read, or the server does not page as dashshare \
                 expects, so it was stopped rather than read without end; nothing was changed, \
                 run the command again",
                self.pages,
                self.read()
            )));
        }
        self.seen.extend(fingerprints);
        let empty = page.rows.is_empty();
        self.rows.extend(page.rows);
        let read = self.read();
        if read > MAX_ROWS {
            return Err(too_many(&endpoint, read));
        }
        match total {
            Some(Total::Rows(total)) if read > total => Err(Error::remote(format!(
                "{endpoint} answered {read} rows though it said it has {total}: the listing \
                 changed while it was read, or the server does not page as dashshare expects; \
                 nothing was changed, run the command again"
            ))),
            Some(Total::Rows(total)) if read == total => Ok(false),
            Some(Total::Pages(total)) if self.pages >= total => Ok(false),
            Some(total) if empty => Err(Error::remote(format!(
                "{endpoint} ended after {read} rows on page {}, short of the {} it said it has: \
                 the listing changed while it was read; nothing was changed, run the command again",
                self.pages,
                match total {
                    Total::Rows(rows) => format!("{rows} rows"),
                    Total::Pages(pages) => format!("{pages} pages"),
                }
            ))),
            None if page.last || empty => Ok(false),
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

fn too_many(endpoint: &str, rows: u64) -> Error {
    Error::remote(format!(
        "{endpoint} holds {rows} rows, more than the {MAX_ROWS} dashshare reads from one \
         listing: the server does not page as dashshare expects; nothing was changed"
    ))
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

fn fingerprint(row: &Value) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    row.to_string().hash(&mut hasher);
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
            asked: 50,
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
            text.contains("GET http://x/list answered rows of an earlier page again"),
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

    #[tokio::test]
    async fn a_server_that_ignores_paging_and_answers_everything_at_once_is_read_once() {
        let asked = std::sync::Mutex::new(0);
        let listing = by_offset(|_| {
            *asked.lock().unwrap() += 1;
            async { Ok::<_, Error>(page(0..80, None)) }
        })
        .await
        .unwrap();
        assert_eq!(listing.rows.len(), 80);
        assert_eq!(*asked.lock().unwrap(), 2);
    }

    #[test]
    fn overlapping_pages_are_stopped_and_a_total_is_remembered() {
        let mut progress = Progress::new();
        assert!(progress.take(page(0..50, None)).unwrap());
        let err = progress.take(page(40..90, None)).unwrap_err();
        assert!(err.to_string().contains("rows of an earlier page"), "{err}");

        // A later page without the total (AppViewX's 404) is still held to it.
        let mut progress = Progress::new();
        assert!(progress.take(page(0..50, Some(Total::Rows(120)))).unwrap());
        let err = progress.take(page(0..0, None)).unwrap_err();
        assert!(err.to_string().contains("short of the 120 rows"), "{err}");
    }

    #[test]
    fn a_total_beyond_what_dashshare_reads_is_refused_at_once() {
        let mut progress = Progress::new();
        let err = progress
            .take(page(0..50, Some(Total::Rows(MAX_ROWS + 1))))
            .unwrap_err();
        assert!(err.to_string().contains("more than the"), "{err}");
    }
}
