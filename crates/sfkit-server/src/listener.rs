//! The accept loop and what it allows each TCP connection.
//!
//! `axum::serve` trusts its clients: a connection may stay open, silent or half-way through a
//! request, for as long as the client likes, and nothing bounds how many there are. A few
//! hundred stalled clients were enough to make `/healthz` time out for everyone. Here each
//! connection is watched (its bytes read, its requests under way), and closed when it breaks
//! one of these limits:
//!
//! - **idle**: no request under way (just opened, or kept alive after an answer) for
//!   `idle_timeout`;
//! - **headers**: a request's line and headers not complete `header_read_timeout` after its
//!   first byte (a client trickling a byte at a time is cut off all the same);
//! - **body**: a request's body not complete `body_read_timeout` after its headers; the handler
//!   reading it gets an error and answers 408;
//! - **send**: an answer that cannot be written for `send_timeout` because the client stopped
//!   reading (its window stays full); otherwise a client could ask for large answers and never
//!   read them, holding connections "under way" that the limit never frees.
//!
//! At most `max_connections` are served at once. At the limit, a new connection takes the
//! place of the one that has gone longest without a request under way: stalled and idle
//! clients make room for new ones, and only connections doing real work make a new one wait.
//! hyper's own header timeout is not used: it counts from the end of the previous answer, so
//! it would also be the keep-alive limit.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use hyper::body::{Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A request body that did not arrive within the server's body read timeout.
#[derive(Debug)]
pub(crate) struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// True when `e`, or an error it wraps, is a [`BodyTimeout`].
pub(crate) fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<BodyTimeout>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// What each connection is allowed (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) send_timeout: Duration,
}

/// Where a connection is between requests.
#[derive(Debug)]
struct Phase {
    /// Requests whose answer has not been sent in full.
    in_flight: usize,
    /// When the connection last had no request under way (opened, or an answer sent).
    since: Instant,
    /// The first byte of the next request, once it came.
    first_byte: Option<Instant>,
    /// Since when the socket has taken none of the answer (the client is not reading).
    write_blocked: Option<Instant>,
}

/// One connection, as the accept loop and its watchdog see it.
#[derive(Debug)]
struct Watch {
    id: u64,
    phase: Mutex<Phase>,
    /// Told of every change the watchdog's deadline depends on.
    changed: Notify,
    /// Set when the accept loop needs this connection's place.
    evicted: AtomicBool,
}

/// Why the watchdog closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    Idle,
    SlowHeaders,
    SlowReader,
    Evicted,
}

impl Watch {
    fn new(id: u64) -> Self {
        Watch {
            id,
            phase: Mutex::new(Phase {
                in_flight: 0,
                since: Instant::now(),
                first_byte: None,
                write_blocked: None,
            }),
            changed: Notify::new(),
            evicted: AtomicBool::new(false),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock()
    }

    /// Bytes came in: between requests, the first of them starts the header timeout.
    fn read(&self) {
        let mut p = self.phase();
        if p.in_flight == 0 && p.first_byte.is_none() {
            p.first_byte = Some(Instant::now());
            drop(p);
            self.changed.notify_waiters();
        }
    }

    /// The socket would take no more of an answer: the send timeout starts, unless it has.
    fn write_blocked(&self) {
        let mut p = self.phase();
        if p.write_blocked.is_none() {
            p.write_blocked = Some(Instant::now());
            drop(p);
            self.changed.notify_waiters();
        }
    }

    /// Some of an answer was written: the client is reading.
    fn wrote(&self) {
        let mut p = self.phase();
        if p.write_blocked.is_some() {
            p.write_blocked = None;
        }
    }

    /// A request's headers are in: it is under way until its answer is sent.
    fn start(self: &Arc<Self>) -> Busy {
        let mut p = self.phase();
        p.in_flight += 1;
        p.first_byte = None;
        drop(p);
        self.changed.notify_waiters();
        Busy(Arc::clone(self))
    }

    /// When the connection breaks a limit, and which. While a request is under way only a
    /// client that stopped reading has one; an answer that cannot be written counts whether or
    /// not hyper still holds its request (it may have taken the whole body already).
    fn deadline(&self, limits: &Limits) -> Option<(Instant, Closing)> {
        let p = self.phase();
        let blocked = p
            .write_blocked
            .map(|since| (since + limits.send_timeout, Closing::SlowReader));
        let other = if p.in_flight > 0 {
            None
        } else if self.evicted.load(Ordering::Acquire) {
            Some((Instant::now(), Closing::Evicted))
        } else {
            Some(match p.first_byte {
                Some(first) => (first + limits.header_read_timeout, Closing::SlowHeaders),
                None => (p.since + limits.idle_timeout, Closing::Idle),
            })
        };
        match (blocked, other) {
            (Some(b), Some(o)) => Some(if b.0 < o.0 { b } else { o }),
            (b, o) => b.or(o),
        }
    }

    /// True when no request is under way.
    fn is_between_requests(&self) -> bool {
        self.phase().in_flight == 0
    }

    /// Waits until the connection breaks a limit.
    async fn watchdog(&self, limits: &Limits) -> Closing {
        loop {
            // Registered before the state is read, so no change between the two is missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.deadline(limits) {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A request under way: when its answer has been sent (or dropped), the connection is between
/// requests again.
#[derive(Debug)]
struct Busy(Arc<Watch>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut p = self.0.phase();
        p.in_flight = p.in_flight.saturating_sub(1);
        if p.in_flight == 0 {
            p.since = Instant::now();
        }
        drop(p);
        self.0.changed.notify_waiters();
    }
}

/// The connections being served, for the accept loop to choose one to close at the limit.
#[derive(Debug, Default)]
struct Registry {
    watches: Mutex<HashMap<u64, Arc<Watch>>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Watch>>> {
        self.watches.lock()
    }

    /// Asks the connection that has gone longest without a request under way to close; false
    /// when every connection has one.
    fn evict_one(&self) -> bool {
        let oldest = self
            .lock()
            .values()
            .filter(|w| !w.evicted.load(Ordering::Acquire))
            .filter_map(|w| {
                let p = w.phase();
                (p.in_flight == 0).then(|| (p.since, Arc::clone(w)))
            })
            .min_by_key(|(since, _)| *since);
        match oldest {
            Some((_, w)) => {
                w.evicted.store(true, Ordering::Release);
                w.changed.notify_waiters();
                true
            }
            None => false,
        }
    }
}

/// The TCP stream as hyper reads and writes it, reporting every read to the connection's
/// [`Watch`]. The stream is shared so that, once hyper lets go, the watchdog can still answer
/// a client whose headers timed out.
struct Watched {
    tcp: Arc<TcpStream>,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            match self.tcp.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
            match self.tcp.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    if n > 0 {
                        self.watch.read();
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // Readiness was stale: wait for the next.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match self.tcp.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.watch.write_blocked();
                    return Poll::Pending;
                }
            }
            match self.tcp.try_write(buf) {
                Ok(n) => {
                    self.watch.wrote();
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket: nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The socket closes when the last holder lets go of it (see `serve_connection`).
        Poll::Ready(Ok(()))
    }
}

/// A request body that fails with [`BodyTimeout`] when it is not complete by its deadline.
struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    /// Made on the first wait only: most bodies are there already, or empty.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's body that holds its request's [`Busy`] until hyper has sent it (or dropped it).
struct Answer {
    inner: Body,
    _busy: Busy,
}

impl HttpBody for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `app` on `listener` until `stop` is cancelled, then lets requests under way finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: CancellationToken,
) {
    let max = limits.max_connections.clamp(1, 1 << 20);
    let permits = Arc::new(Semaphore::new(max));
    let registry = Arc::new(Registry::default());
    let ids = AtomicU64::new(0);
    let mut warned: Option<Instant> = None;
    loop {
        let tcp = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of file descriptors, most likely: make room and retry shortly rather
                    // than spin; said once in a while, not twenty times a second.
                    if warned.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                        tracing::warn!(error = %e, "accepting a connection failed (lower max_connections below the open-file limit?)");
                        warned = Some(Instant::now());
                    }
                    registry.evict_one();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !registry.evict_one() {
                    tracing::debug!("every connection has a request under way; this one waits");
                }
                tokio::select! {
                    () = stop.cancelled() => break,
                    p = Arc::clone(&permits).acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                }
            }
        };
        let watch = Arc::new(Watch::new(ids.fetch_add(1, Ordering::Relaxed)));
        registry.lock().insert(watch.id, Arc::clone(&watch));
        let (app, registry, stop) = (app.clone(), Arc::clone(&registry), stop.clone());
        tokio::spawn(async move {
            serve_connection(tcp, &watch, app, &limits, &stop).await;
            registry.lock().remove(&watch.id);
            drop(permit);
        });
    }
    // Every permit back means every connection closed.
    let _ = permits
        .acquire_many(u32::try_from(max).unwrap_or(u32::MAX))
        .await;
}

/// Serves one connection until it closes, breaks a limit, or the server stops.
async fn serve_connection(
    tcp: TcpStream,
    watch: &Arc<Watch>,
    app: Router,
    limits: &Limits,
    stop: &CancellationToken,
) {
    let _ = tcp.set_nodelay(true);
    let tcp = Arc::new(tcp);
    let io = hyper_util::rt::TokioIo::new(Watched {
        tcp: Arc::clone(&tcp),
        watch: Arc::clone(watch),
    });
    let service = {
        let (watch, app) = (
            Arc::clone(watch),
            hyper_util::service::TowerToHyperService::new(app),
        );
        let body_read_timeout = limits.body_read_timeout;
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let busy = watch.start();
            let deadline = Instant::now() + body_read_timeout;
            let req = req.map(|inner| TimedBody {
                inner,
                deadline,
                sleep: None,
            });
            let answer = hyper::service::Service::call(&app, req);
            async move {
                let r = answer.await?;
                Ok::<_, Infallible>(r.map(|inner| Body::new(Answer { inner, _busy: busy })))
            }
        })
    };
    let mut conn = Box::pin(
        hyper::server::conn::http1::Builder::new()
            .header_read_timeout(None)
            .serve_connection(io, service),
    );
    let mut stopping = false;
    let closing = loop {
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "a connection ended with an error");
                }
                break None;
            }
            why = watch.watchdog(limits) => break Some(why),
            () = stop.cancelled(), if !stopping => {
                if watch.is_between_requests() {
                    break None;
                }
                // Finish the request under way, then close.
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    };
    drop(conn);
    if closing == Some(Closing::SlowHeaders)
        && let Ok(mut tcp) = Arc::try_unwrap(tcp)
    {
        // A client that sent part of a request gets an answer, as every error has one; one
        // that sent nothing, or whose place was taken, is simply closed (as keep-alive clients
        // expect).
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            tcp.write_all(&request_timeout_answer()).await?;
            tcp.shutdown().await
        })
        .await;
    }
}

/// `408 Request Timeout` with the API's error body, as raw HTTP/1.1.
fn request_timeout_answer() -> Vec<u8> {
    let e = sfkit_actions::ActionError::invalid(
        "REQUEST_TIMEOUT",
        "the request's line and headers did not arrive in time",
        Vec::new(),
    );
    let body = serde_json::json!({ "error": e }).to_string();
    format!(
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
