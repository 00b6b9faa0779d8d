//! The async runtime every command that talks to an org, or serves one, runs on; and the
//! signal that ends the long-running ones (`sfkit serve`, `sfkit emulator`).

use anyhow::Context as _;

/// Runs `work` to its end on a multi-threaded tokio runtime with I/O and timers, built here
/// and nowhere else.
pub(crate) fn block_on<F: std::future::Future>(work: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(work))
}

/// Ctrl-C, or SIGTERM on Unix (what a service manager sends).
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
