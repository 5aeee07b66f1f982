//! The `meshport` binary: on AWS Lambda when `AWS_LAMBDA_RUNTIME_API` is set, a local HTTP server otherwise;
//! `meshport openapi` prints the API's OpenAPI document instead (scripts/test validates it), and `meshport product ...`
//! and `meshport completions <shell>` are the command line (`meshport_api::cli`).

use std::process::ExitCode;

use meshport_api::app::{AppState, Application};
use meshport_api::config::Config;
use meshport_api::notify::{EmailSettings, Notifier};

/// How often the local server hands new events to the outbox and delivers what is due.
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

#[tokio::main]
async fn main() -> ExitCode {
    if meshport_api::cli::is_command(std::env::args().nth(1).as_deref()) {
        return meshport_api::cli::run(std::env::args()).await.into();
    }
    let on_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    init_logging(on_lambda);

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("meshport: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        return print_openapi(&config);
    }
    let outcome = if on_lambda {
        // The launcher builds the state itself: the secrets it may need can only be read once invoked.
        meshport_api::lambda::run(config).await.map_err(|e| e.to_string())
    } else {
        let state = match AppState::build(&config) {
            Ok(state) => state,
            Err(e) => {
                eprintln!("meshport: cannot start: {e}");
                return ExitCode::from(2);
            }
        };
        serve_locally(&config, state).await
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meshport: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_openapi(config: &Config) -> ExitCode {
    match serde_json::to_string_pretty(&meshport_api::routes::openapi_document(
        &config.embed.portal_url,
        config.auth.public_reads,
    )) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("meshport: cannot write the OpenAPI document: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_locally(config: &Config, state: AppState) -> Result<(), String> {
    if config.demo {
        tokio::spawn(meshport_api::demo::run_with(state.mesh.clone(), config.demo_catcher.clone()));
    }
    if let Some(interval) = config.sync_interval {
        tokio::spawn(meshport_api::sync::every(state.mesh.clone(), interval));
    }
    let email = config.smtp.as_ref().map(EmailSettings::from);
    let (notifier, dispatcher) =
        Notifier::local(state.mesh.catalog.clone(), &config.embed.portal_url, email).map_err(|e| e.to_string())?;
    tokio::spawn(meshport_api::notify::run(notifier, dispatcher, NOTIFY_EVERY));
    let application = Application::bind(config, state).await.map_err(|e| e.to_string())?;
    tracing::info!(
        portal = config.static_dir.is_some(),
        hosts = ?config.allowed_hosts.names(),
        "meshport listening on http://{}",
        application.address()
    );
    application.serve(shutdown_signal()).await.map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
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
        _ = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn init_logging(on_lambda: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rdkafka=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if on_lambda {
        // CloudWatch reads one JSON object per line; Lambda adds its own timestamps.
        builder.json().without_time().init();
    } else {
        builder.compact().init();
    }
}
