//! Run a unit of work off the actix worker threads (`web::block`), on a read
//! connection or inside one write transaction.

use actix_web::web;
use followup_persistence::{DbConnection, StoreError};

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

/// Run CPU-heavy work (password hashing) on the blocking pool.
pub async fn cpu<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    Ok(web::block(work).await?)
}
