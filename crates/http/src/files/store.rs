//! Where files' bytes are kept: a directory (`file://./followup-files`, the
//! default: nothing to set up) or an S3-compatible object store
//! (`s3://bucket/prefix`, for more than one instance), behind one interface
//! ([`object_store`]). Bytes are streamed in and out in parts, so memory
//! does not grow with a file's size.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};

/// A file store.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    /// Where this server's keys start (`s3://bucket/prefix`: `prefix`).
    root: Path,
    /// Files under `root`.
    prefix: Path,
    /// What it is, for the start-up log (no credentials).
    pub described: String,
    /// The directory of a `file://` store (whose emptied folders go).
    dir: Option<std::path::PathBuf>,
}

/// Bytes written in one part (S3 wants at least 5 MiB but for the last).
const PART: usize = 5 * 1024 * 1024;

impl FileStore {
    /// The store a URL names: `file://DIR` (created if missing),
    /// `s3://bucket[/prefix]` (credentials and region from the standard
    /// `AWS_*` variables; `FOLLOWUP_S3_ENDPOINT` or `AWS_ENDPOINT_URL` for an
    /// S3-compatible server), or `memory://` (kept in this process, for
    /// tests of the server's own logic).
    pub fn from_url(raw: &str) -> Result<Self, String> {
        if let Some(dir) = raw.strip_prefix("file://") {
            let dir = if dir.is_empty() { "." } else { dir };
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the file directory {dir}: {e}"))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| format!("cannot use the file directory {dir}: {e}"))?;
            let absolute =
                std::fs::canonicalize(dir).map_or_else(|_| dir.to_owned(), |p| p.display().to_string());
            return Ok(Self {
                inner: Arc::new(store),
                root: Path::default(),
                prefix: Path::from("files"),
                described: format!("directory {absolute}"),
                dir: Some(std::path::PathBuf::from(dir)),
            });
        }
        if raw == "memory://" {
            return Ok(Self {
                inner: Arc::new(object_store::memory::InMemory::new()),
                root: Path::default(),
                prefix: Path::from("files"),
                described: "memory (this process only)".into(),
                dir: None,
            });
        }
        if let Some(rest) = raw.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("{raw}: name the bucket, s3://bucket/prefix"));
            }
            let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            let endpoint =
                std::env::var("FOLLOWUP_S3_ENDPOINT").or_else(|_| std::env::var("AWS_ENDPOINT_URL")).ok();
            if let Some(endpoint) = &endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
            }
            let store = builder.build().map_err(|e| format!("{raw}: {e}"))?;
            let root = Path::from(prefix.trim_matches('/'));
            let at = endpoint.map(|e| format!(" at {e}")).unwrap_or_default();
            return Ok(Self {
                inner: Arc::new(store),
                prefix: root.child("files"),
                root,
                described: format!("S3 bucket {bucket}{at}"),
                dir: None,
            });
        }
        Err(format!("{raw}: FOLLOWUP_STORAGE_URL must be file://DIR or s3://bucket/prefix"))
    }

    /// Where the bytes of file `name` go.
    pub fn key(&self, name: &str) -> String {
        self.prefix.child(name).to_string()
    }

    /// Where the parts of resumable upload `name` go.
    pub fn upload_key(&self, name: &str) -> String {
        self.root.child("uploads").child(name).to_string()
    }

    /// Every key under `prefix`.
    pub async fn list_under(&self, prefix: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let prefix = Path::from(prefix);
        let mut listing = self.inner.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            out.push(meta.map_err(|e| e.to_string())?.location.to_string());
        }
        Ok(out)
    }

    /// A writer that streams a file in parts to `key`.
    pub async fn writer(&self, key: &str) -> Result<Writer, String> {
        let upload = self.inner.put_multipart(&Path::from(key)).await.map_err(|e| e.to_string())?;
        Ok(Writer { inner: WriteMultipart::new_with_chunk_size(upload, PART) })
    }

    /// Store `bytes` whole at `key`.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), String> {
        self.inner.put(&Path::from(key), bytes.into()).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// The bytes at `key`, as a stream, and their size.
    pub async fn read(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, std::io::Error>>), String> {
        let got = self.inner.get(&Path::from(key)).await.map_err(|e| e.to_string())?;
        let size = got.meta.size;
        let stream = got.into_stream().map(|r| r.map_err(std::io::Error::other)).boxed();
        Ok((size, stream))
    }

    /// Remove `key`; a missing one is gone already. In a directory, the
    /// folder of an upload's parts goes with its last part.
    pub async fn remove(&self, key: &str) -> Result<(), String> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
        if let Some(folder) = self.dir.as_ref().and_then(|dir| {
            let folder = dir.join(key).parent()?.to_path_buf();
            (folder.parent()? != dir.as_path()).then_some(folder)
        }) {
            // Fails while the folder still holds parts, which is as meant.
            let _ = tokio::fs::remove_dir(folder).await;
        }
        Ok(())
    }

    /// Every stored file's key and when it was last written.
    pub async fn list(&self) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, String> {
        let mut out = Vec::new();
        let mut listing = self.inner.list(Some(&self.prefix));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| e.to_string())?;
            out.push((meta.location.to_string(), meta.last_modified));
        }
        Ok(out)
    }
}

/// A file being streamed to the store.
pub struct Writer {
    inner: WriteMultipart,
}

impl Writer {
    /// Add bytes; waits while too many parts are in flight.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.inner.wait_for_capacity(2).await.map_err(|e| e.to_string())?;
        self.inner.write(bytes);
        Ok(())
    }

    /// All bytes are written: the file appears whole.
    pub async fn finish(self) -> Result<(), String> {
        self.inner.finish().await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Give the file up: nothing of it stays.
    pub async fn abort(self) {
        if let Err(e) = self.inner.abort().await {
            tracing::warn!(error = %e, "could not abort a partial upload; the sweeper removes what is left");
        }
    }
}
