//! Run a unit of work off the actix worker threads (`web::block`), on a read
//! connection or inside one write transaction.

use std::sync::OnceLock;

use actix_web::web;
use followup_persistence::{DbConnection, StoreError};
use tokio::sync::Semaphore;

use crate::problem::ApiError;
use crate::AppState;

pub async fn read<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    let db = state.db.clone();
    Ok(web::block(move || db.read(work)).await??)
}

pub async fn write<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    let db = state.db.clone();
    Ok(web::block(move || db.write(work)).await??)
}

/// Run CPU-heavy work (password hashing) on the blocking pool, at most one
/// job per core at a time across the process: each argon2 hash holds 19 MiB,
/// so a burst of sign-ins queues here instead of multiplying the heap (and
/// more hashes than cores at once would not finish any sooner).
pub async fn cpu<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    });
    let _slot = slots.acquire().await.map_err(|e| ApiError::internal(&e))?;
    Ok(web::block(work).await?)
}
