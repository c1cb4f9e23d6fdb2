//! Authenticated calls: log in lazily once, attach the credential to every request, and on a 401
//! log in again once and resend. Shared by concurrent requests: one login serves them all.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::Mutex;

use crate::error::Result;
use crate::http::{HttpClient, Reply};

/// A header that proves who we are. Its value is marked sensitive, so `Debug` never shows it.
#[derive(Debug, Clone)]
pub struct Credential {
    pub header: HeaderName,
    pub value: HeaderValue,
}

/// How a vendor obtains its credential.
#[async_trait]
pub trait Login: Send + Sync {
    async fn login(&self, http: &HttpClient) -> Result<Credential>;

    /// Whether logging in again can cure a 401 (true for session tokens, false for fixed API keys).
    fn renewable(&self) -> bool;
}

/// A credential that is the same for every request (an API key): nothing to log in to, and
/// nothing a new login could cure.
pub struct FixedCredential(pub Credential);

#[async_trait]
impl Login for FixedCredential {
    async fn login(&self, _http: &HttpClient) -> Result<Credential> {
        Ok(self.0.clone())
    }

    fn renewable(&self) -> bool {
        false
    }
}

pub struct Session {
    http: HttpClient,
    login: Box<dyn Login>,
    /// The current credential and how many logins produced it, so that concurrent requests that
    /// all saw a 401 renew it once between them.
    current: Mutex<Option<(u64, Arc<Credential>)>>,
    /// Set when a fresh login was still refused, until a request succeeds again: logging in
    /// again for every later request would only open more sessions of the same account. Cleared
    /// on success, since a 401 can be about the request rather than the token (Sisense answers
    /// some `adminAccess=true` requests so), and a token that expires later must still be renewed.
    renewal_failed: AtomicBool,
    /// A login the server refused: the many requests of a bulk run report it instead of each
    /// trying the bad credentials again (and perhaps locking the account).
    refused: std::sync::OnceLock<crate::error::Error>,
}

impl Session {
    pub fn new(http: HttpClient, login: Box<dyn Login>) -> Self {
        Session {
            http,
            login,
            current: Mutex::new(None),
            renewal_failed: AtomicBool::new(false),
            refused: std::sync::OnceLock::new(),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Logs in now if no credential is held yet.
    pub async fn ensure_logged_in(&self) -> Result<()> {
        self.credential().await.map(|_| ())
    }

    /// `GET` base URL + `segments` with `query`, asking for JSON. Reads may always be resent.
    pub async fn get(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Reply> {
        let request = self
            .http
            .request(reqwest::Method::GET, segments)
            .query(query);
        self.send(request, true).await
    }

    /// Sends `request` with the credential attached; see `HttpClient::execute` for retries.
    pub async fn send(&self, request: reqwest::RequestBuilder, idempotent: bool) -> Result<Reply> {
        let request = request.build().map_err(|err| {
            crate::error::Error::invalid(format!("cannot build the request: {err}"))
        })?;
        let (generation, credential) = self.credential().await?;
        let reply = self
            .http
            .execute(with_credential(&request, &credential)?, idempotent)
            .await?;
        if reply.is_success() {
            self.renewal_failed.store(false, Ordering::Relaxed);
        }
        if reply.status != StatusCode::UNAUTHORIZED
            || !self.login.renewable()
            || self.renewal_failed.load(Ordering::Relaxed)
        {
            return Ok(reply);
        }
        tracing::info!("{}: session expired; logging in again", reply.target);
        let credential = self.renew(generation).await?;
        let reply = self
            .http
            .execute(with_credential(&request, &credential)?, idempotent)
            .await?;
        if reply.status == StatusCode::UNAUTHORIZED {
            self.renewal_failed.store(true, Ordering::Relaxed);
        }
        Ok(reply)
    }

    async fn credential(&self) -> Result<(u64, Arc<Credential>)> {
        let mut current = self.current.lock().await;
        if let Some((generation, credential)) = current.as_ref() {
            return Ok((*generation, credential.clone()));
        }
        let credential = self.log_in().await?;
        *current = Some((1, credential.clone()));
        Ok((1, credential))
    }

    async fn renew(&self, stale: u64) -> Result<Arc<Credential>> {
        let mut current = self.current.lock().await;
        if let Some((generation, credential)) = current.as_ref()
            && *generation != stale
        {
            return Ok(credential.clone());
        }
        let credential = self.log_in().await?;
        *current = Some((stale + 1, credential.clone()));
        Ok(credential)
    }

    /// Every login, first or renewed, goes through here, so that once the server has refused the
    /// credentials no later request of the run tries them again.
    async fn log_in(&self) -> Result<Arc<Credential>> {
        if let Some(err) = self.refused.get() {
            return Err(err.clone());
        }
        match self.login.login(&self.http).await {
            Ok(credential) => Ok(Arc::new(credential)),
            Err(err) => {
                if matches!(err, crate::error::Error::Auth(_)) {
                    let _ = self.refused.set(err.clone());
                }
                Err(err)
            }
        }
    }
}

fn with_credential(
    request: &reqwest::Request,
    credential: &Credential,
) -> Result<reqwest::Request> {
    let mut request = request.try_clone().ok_or_else(|| {
        crate::error::Error::invalid("a streaming request body cannot carry a credential")
    })?;
    request
        .headers_mut()
        .insert(credential.header.clone(), credential.value.clone());
    Ok(request)
}
