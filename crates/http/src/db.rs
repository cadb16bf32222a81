//! Run a unit of work off the actix worker threads (`web::block`), on a read
//! connection or inside one write transaction.

use std::future::Future;
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

/// One slot per core, for work that should not run more often than that at once.
fn per_core(cell: &'static OnceLock<Semaphore>) -> &'static Semaphore {
    cell.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    })
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
    let _slot = per_core(&SLOTS).acquire().await.map_err(|e| ApiError::internal(&e))?;
    Ok(web::block(work).await?)
}

/// Run a read that goes over a whole programme (the monitoring tables fold
/// every plan into per-delegate figures before sorting), at most one per
/// core at a time across the process: each keeps a core busy for up to a
/// second on a 100,000-plan programme, so a burst of them waits here instead
/// of starving every other request of CPU.
pub async fn whole_programme<T>(work: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    let _slot = per_core(&SLOTS).acquire().await.map_err(|e| ApiError::internal(&e))?;
    work.await
}
