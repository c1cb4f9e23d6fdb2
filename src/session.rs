//! Authenticated calls: log in lazily once, attach the credential to every request, and on a 401
//! log in again and resend. Shared by concurrent requests: one login serves them all.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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
    /// The current credential and how many logins produced it, so that requests that all saw a
    /// 401 renew it once between them.
    current: Mutex<Option<(u64, Arc<Credential>)>>,
    /// Set by a 401 until a request answers otherwise: meanwhile requests take turns, so that a
    /// token fresh from a login is first used by the request that logged in, alone. Without turns,
    /// a server whose tokens serve few requests (or expire fast) hands every new token to the
    /// crowd, and a request can lose the race for every renewal of the run.
    recovering: AtomicBool,
    turn: Mutex<()>,
    /// A generation whose token, fresh from a login, was refused to the one request using it: that
    /// 401 is about the request (Sisense answers some `adminAccess=true` requests so), not the
    /// token. Later 401s on it are returned without a login, until a request succeeds; a token
    /// that expires after that is renewed again.
    refused_fresh: AtomicU64,
    /// A login the server refused: the many requests of a bulk run report it instead of each
    /// trying the bad credentials again (and perhaps locking the account).
    refused: std::sync::OnceLock<crate::error::Error>,
}

/// No generation (generations count from 1).
const NONE: u64 = 0;

impl Session {
    pub fn new(http: HttpClient, login: Box<dyn Login>) -> Self {
        Session {
            http,
            login,
            current: Mutex::new(None),
            recovering: AtomicBool::new(false),
            turn: Mutex::new(()),
            refused_fresh: AtomicU64::new(NONE),
            refused: std::sync::OnceLock::new(),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Whether the credential is fixed (an API key or token): nothing logs in.
    pub fn fixed_credential(&self) -> bool {
        !self.login.renewable()
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

    /// Sends `request` with the credential attached; see `HttpClient::execute` for retries. A 401
    /// is answered by one login however many requests saw it, and the request is sent again with
    /// the newest token; only credentials the login itself is refused for end the run.
    pub async fn send(&self, request: reqwest::RequestBuilder, idempotent: bool) -> Result<Reply> {
        let request = request.build().map_err(|err| {
            crate::error::Error::invalid(format!("cannot build the request: {err}"))
        })?;
        let mut stale = None;
        if !self.recovering.load(Ordering::SeqCst) {
            let (generation, credential) = self.credential().await?;
            // A renewal may have begun while this request waited for the credential.
            if !self.recovering.load(Ordering::SeqCst) {
                let reply = self.execute(&request, &credential, idempotent).await?;
                if !self.expired(&reply, generation) {
                    return Ok(reply);
                }
                self.recovering.store(true, Ordering::SeqCst);
                stale = Some(generation);
            }
        }
        self.in_turn(&request, idempotent, stale).await
    }

    /// Sends `request` while no other request is sent through the turn: after a 401 with the
    /// token of `stale`, with a newer token, logging in for one if none is newer.
    async fn in_turn(
        &self,
        request: &reqwest::Request,
        idempotent: bool,
        mut stale: Option<u64>,
    ) -> Result<Reply> {
        let _turn = self.turn.lock().await;
        let mut logged_in_for = NONE;
        loop {
            let (generation, credential) = match stale {
                Some(stale) => {
                    self.recovering.store(true, Ordering::SeqCst);
                    let (generation, credential, logged_in) = self.renew(stale).await?;
                    if logged_in {
                        logged_in_for = generation;
                    }
                    (generation, credential)
                }
                None => self.credential().await?,
            };
            let reply = self.execute(request, &credential, idempotent).await?;
            if !self.expired(&reply, generation) {
                self.recovering.store(false, Ordering::SeqCst);
                return Ok(reply);
            }
            if generation == logged_in_for {
                tracing::debug!(
                    "{}: refused with a token fresh from a login; not logging in again",
                    reply.target
                );
                self.refused_fresh.store(generation, Ordering::SeqCst);
                self.recovering.store(false, Ordering::SeqCst);
                return Ok(reply);
            }
            tracing::info!("{}: session expired; logging in again", reply.target);
            stale = Some(generation);
        }
    }

    async fn execute(
        &self,
        request: &reqwest::Request,
        credential: &Credential,
        idempotent: bool,
    ) -> Result<Reply> {
        let reply = self
            .http
            .execute(with_credential(request, credential)?, idempotent)
            .await?;
        if reply.is_success() {
            self.refused_fresh.store(NONE, Ordering::SeqCst);
        }
        Ok(reply)
    }

    /// Whether `reply` says the token of `generation` is no longer good and a new one may cure it.
    fn expired(&self, reply: &Reply, generation: u64) -> bool {
        reply.status == StatusCode::UNAUTHORIZED
            && self.login.renewable()
            && self.refused_fresh.load(Ordering::SeqCst) != generation
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

    /// A token newer than `stale`'s: the current one if it is, else one from a new login (then
    /// `true`).
    async fn renew(&self, stale: u64) -> Result<(u64, Arc<Credential>, bool)> {
        let mut current = self.current.lock().await;
        if let Some((generation, credential)) = current.as_ref()
            && *generation != stale
        {
            return Ok((*generation, credential.clone(), false));
        }
        let credential = self.log_in().await?;
        *current = Some((stale + 1, credential.clone()));
        Ok((stale + 1, credential, true))
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
