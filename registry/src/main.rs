//! Runs the dev schema registry on `MESHPORT_REGISTRY_LISTEN` (default `127.0.0.1:8081`) until Ctrl-C or SIGTERM.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

const LISTEN_VAR: &str = "MESHPORT_REGISTRY_LISTEN";
const DEFAULT_LISTEN: &str = "127.0.0.1:8081";

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr so that stdout carries only the line scripts wait for.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let address = match listen_address() {
        Ok(address) => address,
        Err(message) => {
            eprintln!("meshport-registry: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("meshport-registry: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().unwrap_or(address);
    // Printed rather than logged: scripts and tests read it, and with port 0 it is the only way to learn the port.
    println!("meshport-registry listening on http://{bound}");
    tracing::info!(%bound, "serving the dev schema registry; everything is kept in memory only");

    if let Err(error) = axum::serve(listener, meshport_registry::router()).with_graceful_shutdown(shutdown()).await {
        tracing::error!(%error, "the server stopped");
        return ExitCode::FAILURE;
    }
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// The address from the environment; unset or empty means the default.
fn listen_address() -> Result<SocketAddr, String> {
    let raw = match std::env::var(LISTEN_VAR) {
        Ok(raw) if !raw.trim().is_empty() => raw,
        Ok(_) | Err(std::env::VarError::NotPresent) => DEFAULT_LISTEN.to_owned(),
        Err(std::env::VarError::NotUnicode(_)) => return Err(format!("{LISTEN_VAR} is not valid UTF-8")),
    };
    raw.trim()
        .parse()
        .map_err(|_| format!("{LISTEN_VAR}=`{raw}` is not a socket address: use IP:PORT, for example {DEFAULT_LISTEN}"))
}

/// Resolves on Ctrl-C or SIGTERM. A signal that cannot be watched never fires, rather than stopping at once.
async fn shutdown() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
