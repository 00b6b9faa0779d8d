//! When a failed exchange is tried again: one policy for every way a call can fail on its way
//! (not connected, timed out, the answer lost mid-read, an error answer, a rejected session,
//! an instance that moved), so [`Client::send`](super::Client) and its streamed sibling decide
//! the same way. The decisions are plain data ([`Failure`] in, [`Next`] out), so the table is
//! tested without a server.
//!
//! What is tried again:
//! - **not connected** (nothing reached the server): any request, after a backoff; for a token
//!   source whose instance moves, the session is looked up again first, at most
//!   [`MAX_RELOCATIONS`] times a call, without a wait;
//! - **timed out, or failed while sending** (Salesforce may have it): idempotent requests only;
//! - **the answer's body lost while reading it**: idempotent requests only;
//! - **503**: any request (Salesforce did not take it); **502, 504**: idempotent requests only;
//!   **`UNABLE_TO_LOCK_ROW`**: any request (the row lock refused it whole);
//! - **401 or `INVALID_SESSION_ID`**: the session is renewed, without a wait, as many times a
//!   call as the token source allows ([`crate::TokenSource::renewals_per_call`]); past that the
//!   call fails with [`Error::Reconnect`](crate::Error::Reconnect).
//!
//! Backoffs count against [`RetryPolicy::max_retries`] for the whole call; each waits a random
//! time up to `base_delay * 2^n`, capped at `max_delay` ("full jitter").

use std::time::Duration;

use crate::error::ErrorCode;

/// How failed calls are retried (only where safe; see [`Client`](crate::Client)).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The first backoff (default 200 ms); doubled each time, with full jitter.
    pub base_delay: Duration,
    /// The longest backoff (default 5 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (from 0): random, up to the doubled base delay,
    /// at most `max_delay`.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        use rand::Rng as _;
        let cap = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// How many times one call looks up an instance that moves (see `TokenSource::relocates`).
pub(crate) const MAX_RELOCATIONS: u32 = 2;

/// What went wrong with one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure<'a> {
    /// The connection was not made: nothing reached the server.
    NotConnected,
    /// The request timed out or failed while being sent: Salesforce may have it.
    MaybeSent,
    /// Any other failure (a request body that failed while streaming, a redirect loop, ...):
    /// never retried.
    Other,
    /// The answer came but its body was lost while reading it.
    BodyLost,
    /// Salesforce answered with an error: its status and code.
    Answer { status: u16, code: &'a ErrorCode },
}

impl Failure<'static> {
    /// Sorts a failure to send.
    pub(crate) fn of_send(e: &reqwest::Error) -> Self {
        if e.is_connect() {
            Failure::NotConnected
        } else if e.is_timeout() || e.is_request() {
            Failure::MaybeSent
        } else {
            Failure::Other
        }
    }
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait this long, then send again.
    Backoff(Duration),
    /// Renew the session (it was rejected, or its instance moved), then send again at once.
    Renew,
    /// Give up: the failure is the call's error.
    Fail,
    /// The session was rejected after `renewals` renewals: the connection must be re-made.
    Reconnect { renewals: u32 },
}

/// One call's retries: what it has used of the policy so far.
#[derive(Debug)]
pub(crate) struct Attempts<'p> {
    policy: &'p RetryPolicy,
    /// Safe to send twice (see `Req::idempotent`).
    idempotent: bool,
    /// The session's instance may move (see `TokenSource::relocates`).
    relocates: bool,
    /// Renewals of a rejected session allowed (see `TokenSource::renewals_per_call`).
    renewals_allowed: u32,
    backoffs: u32,
    renewals: u32,
    relocations: u32,
}

impl<'p> Attempts<'p> {
    pub(crate) fn new(
        policy: &'p RetryPolicy,
        idempotent: bool,
        relocates: bool,
        renewals_allowed: u32,
    ) -> Self {
        Attempts {
            policy,
            idempotent,
            relocates,
            renewals_allowed,
            backoffs: 0,
            renewals: 0,
            relocations: 0,
        }
    }

    /// A new exchange for the same call, after its success answer was lost mid-read: backoffs
    /// go on counting for the call, renewals and relocations start again (as they always have).
    pub(crate) fn next_exchange(&mut self) {
        self.renewals = 0;
        self.relocations = 0;
    }

    /// Decides what follows `failure`, and counts it.
    pub(crate) fn after(&mut self, failure: Failure<'_>) -> Next {
        let backoff = match failure {
            Failure::NotConnected if self.relocates && self.relocations < MAX_RELOCATIONS => {
                self.relocations += 1;
                return Next::Renew;
            }
            Failure::NotConnected => true,
            Failure::MaybeSent | Failure::BodyLost => self.idempotent,
            Failure::Other => false,
            Failure::Answer { status, code } => {
                if status == 401 || *code == ErrorCode::InvalidSessionId {
                    if self.renewals >= self.renewals_allowed {
                        return Next::Reconnect {
                            renewals: self.renewals,
                        };
                    }
                    self.renewals += 1;
                    return Next::Renew;
                }
                match status {
                    503 => true,
                    502 | 504 => self.idempotent,
                    _ => *code == ErrorCode::UnableToLockRow,
                }
            }
        };
        if !backoff || self.backoffs >= self.policy.max_retries {
            return Next::Fail;
        }
        if let Failure::Answer { status, code } = failure {
            tracing::debug!(status, code = %code, attempt = self.backoffs, "retrying");
        }
        let wait = self.policy.delay(self.backoffs);
        self.backoffs += 1;
        Next::Backoff(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            assert!(p.delay(attempt) <= p.max_delay);
        }
    }

    fn answer(status: u16, code: &ErrorCode) -> Failure<'_> {
        Failure::Answer { status, code }
    }

    /// The table in the module's doc, row by row.
    #[test]
    fn what_is_tried_again() {
        let p = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        let none = ErrorCode::from("");
        let locked = ErrorCode::UnableToLockRow;
        let retried = |idempotent: bool, f: Failure<'_>| {
            let mut a = Attempts::new(&p, idempotent, false, 3);
            matches!(a.after(f), Next::Backoff(_))
        };
        for idempotent in [false, true] {
            assert!(retried(idempotent, Failure::NotConnected));
            assert!(!retried(idempotent, Failure::Other));
            assert!(retried(idempotent, answer(503, &none)));
            assert!(retried(idempotent, answer(400, &locked)));
            assert!(!retried(idempotent, answer(400, &none)));
            assert!(!retried(idempotent, answer(500, &none)));
            assert_eq!(retried(idempotent, Failure::MaybeSent), idempotent);
            assert_eq!(retried(idempotent, Failure::BodyLost), idempotent);
            assert_eq!(retried(idempotent, answer(502, &none)), idempotent);
            assert_eq!(retried(idempotent, answer(504, &none)), idempotent);
        }

        // Backoffs are counted for the whole call, whatever caused them.
        let mut a = Attempts::new(&p, true, false, 3);
        assert!(matches!(a.after(answer(503, &none)), Next::Backoff(_)));
        assert!(matches!(a.after(Failure::BodyLost), Next::Backoff(_)));
        a.next_exchange();
        assert_eq!(a.after(Failure::NotConnected), Next::Fail);
    }

    #[test]
    fn rejected_sessions_are_renewed_while_the_source_allows() {
        let p = RetryPolicy::default();
        let rejected = ErrorCode::InvalidSessionId;
        let mut a = Attempts::new(&p, false, false, 2);
        assert_eq!(a.after(answer(401, &ErrorCode::from(""))), Next::Renew);
        assert_eq!(a.after(answer(400, &rejected)), Next::Renew);
        assert_eq!(
            a.after(answer(401, &rejected)),
            Next::Reconnect { renewals: 2 }
        );
        let mut never = Attempts::new(&p, true, false, 0);
        assert_eq!(
            never.after(answer(401, &rejected)),
            Next::Reconnect { renewals: 0 }
        );
    }

    #[test]
    fn an_instance_that_moves_is_looked_up_again_before_any_backoff() {
        let p = RetryPolicy::default();
        let mut a = Attempts::new(&p, false, true, 3);
        for _ in 0..MAX_RELOCATIONS {
            assert_eq!(a.after(Failure::NotConnected), Next::Renew);
        }
        assert!(matches!(a.after(Failure::NotConnected), Next::Backoff(_)));
        // A fixed instance: straight to backoff.
        let mut fixed = Attempts::new(&p, false, false, 3);
        assert!(matches!(
            fixed.after(Failure::NotConnected),
            Next::Backoff(_)
        ));
    }
}
