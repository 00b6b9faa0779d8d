//! Sending a [`Req`]: wait for a slot, check the budget, authenticate, send, and on failure do
//! what the retry policy ([`super::retry`]) says: back off and send again, renew the session,
//! or give up with the error.

use std::sync::Arc;

use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::OwnedSemaphorePermit;

use super::Client;
use super::request::{Answer, Req, SESSION_PLACEHOLDER, Streamed, sforce_locator};
use super::retry::{Attempts, Failure, Next};
use crate::auth::Current;
use crate::error::{ApiError, Error};

impl Client {
    /// Sends a request: waits for a slot, checks the budget, authenticates, retries where safe,
    /// re-authenticates on `INVALID_SESSION_ID` (as many times as the token source allows,
    /// [`crate::TokenSource::renewals_per_call`]).
    pub(crate) async fn send(&self, req: &Req) -> Result<Answer, Error> {
        let mut attempts = self.attempts(req);
        loop {
            let (r, permit) = self.dispatch(req, &mut attempts).await?;
            let context = format!("{} {}", req.method, r.url().path());
            let status = r.status().as_u16();
            match r.bytes().await {
                Ok(body) => {
                    return Ok(Answer {
                        status,
                        body: body.to_vec(),
                    });
                }
                Err(e) => {
                    drop(permit);
                    match attempts.after(Failure::BodyLost) {
                        Next::Backoff(wait) => tokio::time::sleep(wait).await,
                        _ => return Err(Error::transport(context, e)),
                    }
                    attempts.next_exchange();
                }
            }
        }
    }

    /// [`Self::send`] for answers too large to hold (Bulk API result files): the body is left
    /// on the wire for the caller to read a chunk at a time. A failure while reading it is the
    /// caller's to handle: what was read cannot be taken back, so it is not retried here.
    pub(crate) async fn send_streamed(&self, req: &Req) -> Result<Streamed, Error> {
        let (response, permit) = self.dispatch(req, &mut self.attempts(req)).await?;
        Ok(Streamed {
            locator: sforce_locator(&response),
            context: format!("{} {}", req.method, response.url().path()),
            response,
            _permit: permit,
        })
    }

    /// Sends and decodes a JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        req: &Req,
        context: &str,
    ) -> Result<T, Error> {
        self.send(req).await?.json(context)
    }

    /// A call's retries under this client's policy.
    fn attempts(&self, req: &Req) -> Attempts<'_> {
        let inner = &self.inner;
        Attempts::new(
            &inner.retry,
            req.idempotent,
            inner.session.relocates(),
            inner.session.renewals_per_call(),
        )
    }

    /// Sends until Salesforce answers with success (its body unread) or with a failure that
    /// the policy gives up on; `attempts` is the whole call's.
    async fn dispatch(
        &self,
        req: &Req,
        attempts: &mut Attempts<'_>,
    ) -> Result<(reqwest::Response, OwnedSemaphorePermit), Error> {
        let inner = &self.inner;
        loop {
            self.check_budget()?;
            let permit = Arc::clone(&inner.limiter)
                .acquire_owned()
                .await
                .map_err(|_| Error::Config("the client is shutting down".into()))?;
            let session = inner.session.get(&inner.http).await?;
            let url = req.url(&session.instance_url, &inner.version)?;
            let context = format!("{} {}", req.method, url.path());
            let (next, error) = match self.build_request(req, url, &session)?.send().await {
                Err(e) => (
                    attempts.after(Failure::of_send(&e)),
                    Error::transport(context, e),
                ),
                Ok(r) => {
                    self.note_usage(r.headers());
                    let status = r.status();
                    if status.is_success() || status == StatusCode::MULTIPLE_CHOICES {
                        return Ok((r, permit));
                    }
                    match r.bytes().await {
                        Err(e) => (
                            attempts.after(Failure::BodyLost),
                            Error::transport(context, e),
                        ),
                        Ok(body) => {
                            let err = match crate::soap::fault(&body) {
                                Some(fault) => ApiError::new(status.as_u16(), vec![fault]),
                                None => ApiError::from_body(status.as_u16(), &body),
                            };
                            let next = attempts.after(Failure::Answer {
                                status: status.as_u16(),
                                code: &err.code,
                            });
                            (next, Error::Api(err))
                        }
                    }
                }
            };
            drop(permit);
            match next {
                Next::Backoff(wait) => tokio::time::sleep(wait).await,
                // A rejected token, or an instance that moved (nothing was sent): the session
                // is looked up again before anything else.
                Next::Renew => {
                    inner
                        .session
                        .renew(&inner.http, Some(session.generation))
                        .await?;
                }
                Next::Fail => return Err(error),
                Next::Reconnect { renewals } => return Err(reconnect(renewals, error)),
            }
        }
    }

    /// The request for one attempt, with this session's token.
    fn build_request(
        &self,
        req: &Req,
        url: Url,
        session: &Current,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let mut rb = self
            .inner
            .http
            .request(req.method.clone(), url)
            .bearer_auth(session.token.expose());
        for (k, v) in &req.headers {
            rb = rb.header(k.clone(), v.clone());
        }
        if let Some((body, content_type)) = &req.body {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        if let Some(upload) = &req.upload {
            rb = rb.header(reqwest::header::CONTENT_TYPE, upload.content_type);
            if let Some(n) = upload.length {
                rb = rb.header(reqwest::header::CONTENT_LENGTH, n);
            }
            // Made anew for each attempt: a retry sends the whole body again.
            rb = rb.body((upload.make)()?);
        }
        if let Some((action, envelope)) = &req.soap {
            // Session ids are `[A-Za-z0-9!._-]`; nothing to escape, but never trust that.
            let id = session
                .token
                .expose()
                .replace('&', "&amp;")
                .replace('<', "&lt;");
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
                .header("SOAPAction", *action)
                .body(envelope.replace(SESSION_PLACEHOLDER, &id));
        }
        Ok(rb)
    }
}

/// The session was rejected after `renewals` renewals: say that the connection needs repair,
/// with Salesforce's words but without the code's own remedy ("sfkit renews it by itself"),
/// which no longer holds.
fn reconnect(renewals: u32, rejection: Error) -> Error {
    let what = match renewals {
        0 => "the session was rejected".to_owned(),
        1 => "the renewed session was rejected too".to_owned(),
        n => format!("{n} renewed sessions in a row were rejected too"),
    };
    let said = match &rejection {
        Error::Api(err) => match err.code.as_str() {
            "" => err.message().to_owned(),
            code => format!("{code}: {}", err.message()),
        },
        other => other.to_string(),
    };
    Error::Reconnect {
        cause: format!("{what}: {said}"),
    }
}
