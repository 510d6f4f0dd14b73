//! Running blocking work (block stores, CAR and UnixFS traversal) off the async runtime.

use crate::ApiError;

/// Runs `f` on the blocking pool; a task that panicked is a 500.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::Worker)?
}

/// Runs `f` on the blocking pool, keeping its own error as the cause (a task that panicked is
/// an error too).
pub(crate) async fn blocking_with<T: Send + 'static, E>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Box<dyn std::error::Error + Send + Sync>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    Ok(tokio::task::spawn_blocking(f).await??)
}
