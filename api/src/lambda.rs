//! The Lambda launcher. One binary serves the three functions of a deployment, chosen by `MESHPORT_FUNCTION`: `api`
//! (the default) answers API Gateway HTTP API and Function URL events with the same router as the local server,
//! `sync` answers the EventBridge schedule by running one mirror sync, and `notify` answers the catalog table's
//! stream (a change's event was written) and a schedule (retries fall due; whatever the stream missed) by handing
//! new events to the outbox and delivering what is due ([`crate::notify::deliver`]).
//!
//! The state is built once per execution environment. Without secrets that happens at cold start; with secrets
//! (`secrets.rs`) it happens on the first invocation, because the extension that reads them does not answer before.
//! A first invocation that cannot read them fails (and raises the deployment's Lambda error alarm); the next one tries
//! again.

use std::sync::Arc;

use lambda_http::lambda_runtime::{self, Diagnostic, LambdaEvent};
use lambda_http::{Request, service_fn};
use tokio::sync::OnceCell;
use tower::ServiceExt;

use crate::app::{self, AppState};
use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::notify::{self, EmailSettings, Notifier};
use crate::secrets::{self, SecretArns, SecretsExtension};

/// (variable, default, meaning) of the variable read here, in the style of `config::VARIABLES`.
pub const VARIABLES: &[(&str, &str, &str)] = &[(
    "MESHPORT_FUNCTION",
    "api",
    "which Lambda handler runs: `api` (HTTP), `sync` (scheduled mirror sync) or `notify` (notifications, fed by the \
     table's stream and a schedule)",
)];

/// Which of the deployment's functions this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Api,
    Sync,
    Notify,
}

impl Function {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match lookup("MESHPORT_FUNCTION").as_deref().map(str::trim) {
            None | Some("" | "api") => Ok(Self::Api),
            Some("sync") => Ok(Self::Sync),
            Some("notify") => Ok(Self::Notify),
            Some(other) => Err(ConfigError {
                variable: "MESHPORT_FUNCTION",
                message: format!("`{other}` is not a function: use `api`, `sync` or `notify`"),
            }),
        }
    }
}

/// Why an invocation failed, as Lambda records it (`errorType` is the variant's name, so alarms and logs can tell a
/// deployment that cannot start from a sync that failed).
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error("cannot start: {0}")]
    Start(String),
    #[error("mirror sync failed: {0}")]
    Sync(#[from] Error),
    #[error("notifications not delivered: {0}")]
    Notify(Error),
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Self {
        let error_type = match &error {
            InvocationError::Start(_) => "MeshportStartFailed",
            InvocationError::Sync(_) => "MirrorSyncFailed",
            InvocationError::Notify(_) => "NotifyFailed",
        };
        tracing::error!(error = %error, "invocation failed");
        Diagnostic { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}

/// Serves Lambda invocations until the runtime stops the process.
pub async fn run(config: Config) -> Result<(), lambda_http::Error> {
    let lookup = |name: &str| std::env::var(name).ok();
    let function = Function::from_lookup(lookup)?;
    let environment = Environment::new(config, SecretArns::from_lookup(lookup))?;
    match function {
        Function::Api => {
            let router = Arc::new(OnceCell::new());
            lambda_http::run(service_fn(move |request: Request| {
                let (environment, router) = (environment.clone(), router.clone());
                async move {
                    let router = router
                        .get_or_try_init(|| async {
                            Ok::<_, InvocationError>(app::router(environment.state().await?, None))
                        })
                        .await?
                        .clone();
                    Ok::<_, InvocationError>(router.oneshot(request).await.unwrap_or_else(|never| match never {}))
                }
            }))
            .await
        }
        Function::Sync => {
            // The event's content does not matter: every invocation (the schedule's, or one by hand) runs one sync.
            lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
                let environment = environment.clone();
                async move {
                    let source = event.payload.get("detail-type").and_then(|v| v.as_str()).unwrap_or("direct");
                    tracing::info!(request_id = %event.context.request_id, source, "mirror sync starting");
                    let state = environment.state().await?;
                    let report = crate::sync::run_once(&state.mesh).await?;
                    tracing::info!(?report, "mirror sync done");
                    Ok::<_, InvocationError>(report)
                }
            }))
            .await
        }
        Function::Notify => {
            // The stream's records only wake the function: what to hand out and deliver is read from the catalog, so
            // a batch the stream repeats, or one it lost (the schedule's invocation finds it), changes nothing.
            let notify = Arc::new(OnceCell::new());
            lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
                let (environment, notify) = (environment.clone(), notify.clone());
                async move {
                    let (notifier, dispatcher) = notify
                        .get_or_try_init(|| async {
                            let (state, config) = environment.built().await?;
                            Notifier::local(
                                state.mesh.catalog.clone(),
                                &config.embed.portal_url,
                                config.smtp.as_ref().map(EmailSettings::from),
                            )
                            .map_err(|e| InvocationError::Start(e.to_string()))
                        })
                        .await?;
                    let records = event.payload.get("Records").and_then(|r| r.as_array()).map_or(0, Vec::len);
                    let report = notify::deliver(notifier, dispatcher).await.map_err(InvocationError::Notify)?;
                    tracing::info!(request_id = %event.context.request_id, records, ?report, "notifications delivered");
                    Ok::<_, InvocationError>(report)
                }
            }))
            .await
        }
    }
}

/// The configuration, and the state built from it once the secrets it names are known.
#[derive(Debug, Clone)]
struct Environment {
    config: Arc<Config>,
    secrets: SecretArns,
    state: Arc<OnceCell<(AppState, Arc<Config>)>>,
}

impl Environment {
    fn new(config: Config, secrets: SecretArns) -> Result<Self, lambda_http::Error> {
        // Without secrets nothing waits for an invocation: build now, so a bad setting fails the cold start.
        let state = if secrets.is_empty() {
            OnceCell::new_with(Some((AppState::build(&config)?, Arc::new(config.clone()))))
        } else {
            OnceCell::new()
        };
        Ok(Self { config: Arc::new(config), secrets, state: Arc::new(state) })
    }

    async fn state(&self) -> Result<AppState, InvocationError> {
        Ok(self.built().await?.0)
    }

    /// The state, and the configuration it was built from with the secrets applied.
    async fn built(&self) -> Result<(AppState, Arc<Config>), InvocationError> {
        let built = self
            .state
            .get_or_try_init(|| async {
                let extension =
                    SecretsExtension::from_lookup(|name| std::env::var(name).ok(), self.config.dependency_timeout)
                        .map_err(|e| InvocationError::Start(e.to_string()))?;
                let mut config = Config::clone(&self.config);
                secrets::apply(&mut config, &self.secrets, &extension)
                    .await
                    .map_err(|e| InvocationError::Start(e.to_string()))?;
                let state = AppState::build(&config).map_err(|e| InvocationError::Start(e.to_string()))?;
                Ok::<_, InvocationError>((state, Arc::new(config)))
            })
            .await?;
        Ok(built.clone())
    }
}
