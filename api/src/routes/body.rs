//! A JSON body extractor whose every rejection is our error shape: unknown fields, wrong types and malformed JSON
//! answer `bad_request` naming the problem, oversized bodies `payload_too_large`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::AppError;

#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge(format!("the body is larger than {} KiB", super::MAX_BODY_BYTES / 1024));
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("send the body as JSON with `Content-Type: application/json`".into())
        }
        JsonRejection::JsonDataError(e) => AppError::BadRequest(format!("the body does not fit: {}", e.body_text())),
        JsonRejection::JsonSyntaxError(e) => {
            AppError::BadRequest(format!("the body is not valid JSON: {}", e.body_text()))
        }
        other => AppError::BadRequest(other.body_text()),
    }
}
