//! Where evidence packages wait for their extractor (issue 21, item 4): the local disk of the
//! central process that made or received them, or an S3-compatible object store every central
//! process reaches — so that behind a load balancer any process serves the download and the
//! erasure after `KEEP_DAYS` (PROD-EVIDENCE-2) reaches the one copy.
//!
//! A package's recorded location says where it is: a file path, or `s3://<bucket>/<key>`.
//! `object_store` (Apache Arrow's) speaks S3; it is pinned to 0.12, the last line on the
//! workspace's reqwest 0.12 and ring (0.13 moves to reqwest 0.13 and aws-lc).

use axum::body::Body;
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path as Key;
use std::path::Path;
use std::sync::Arc;

/// The S3-compatible store's settings (`[packages]` in the configuration file).
#[derive(Clone)]
pub struct S3Settings {
    /// `https://…` (or `http://` on a closed network) of the S3 endpoint.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region the endpoint expects.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (read from a file; never logged).
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Where packages are kept.
#[derive(Clone, Default)]
pub enum PackageStore {
    /// On this machine's disk, where the export wrote them.
    #[default]
    Local,
    /// In an S3-compatible object store.
    Object {
        /// The store.
        store: Arc<dyn ObjectStore>,
        /// Its bucket (named in the recorded location).
        bucket: String,
    },
}

impl std::fmt::Debug for PackageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackageStore::Local => f.write_str("Local"),
            PackageStore::Object { bucket, .. } => write!(f, "Object(s3://{bucket})"),
        }
    }
}

/// Why a package could not be kept, read or erased.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The local file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The object store.
    #[error("object store: {0}")]
    Object(#[from] object_store::Error),
    /// A location this server cannot reach (an `s3://` location without a configured store,
    /// or another bucket).
    #[error("package location {0} is not reachable from this server's configuration")]
    Elsewhere(String),
    /// Not there (erased, or never kept).
    #[error("not found")]
    NotFound,
}

/// Bytes per part of an upload.
const PART: usize = 8 << 20;

impl PackageStore {
    /// An S3-compatible store.
    pub fn s3(s: &S3Settings) -> Result<PackageStore, PackageError> {
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&s.endpoint)
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key)
            .with_allow_http(s.endpoint.starts_with("http://"))
            .build()?;
        Ok(PackageStore::Object { store: Arc::new(store), bucket: s.bucket.clone() })
    }

    /// Takes the package written at `local` into the store: returns the location to record
    /// (the path itself when kept locally). Moved into an object store, the local file is
    /// removed once the upload is whole.
    pub async fn keep(&self, local: &Path) -> Result<String, PackageError> {
        let PackageStore::Object { store, bucket } = self else {
            return Ok(local.to_string_lossy().into_owned());
        };
        let name = local.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let key = Key::from(format!("packages/{name}"));
        let upload = store.put_multipart(&key).await?;
        let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, PART);
        let mut f = tokio::fs::File::open(local).await?;
        let mut buf = vec![0u8; PART];
        loop {
            use tokio::io::AsyncReadExt;
            let n = f.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            w.wait_for_capacity(2).await?;
            w.write(&buf[..n]);
        }
        w.finish().await?;
        tokio::fs::remove_file(local).await?;
        Ok(format!("s3://{bucket}/{key}"))
    }

    fn key_of(&self, location: &str) -> Result<Option<Key>, PackageError> {
        let Some(rest) = location.strip_prefix("s3://") else { return Ok(None) };
        match self {
            PackageStore::Object { bucket, .. } => {
                let key = rest
                    .strip_prefix(bucket.as_str())
                    .and_then(|k| k.strip_prefix('/'))
                    .ok_or_else(|| PackageError::Elsewhere(location.to_owned()))?;
                Ok(Some(Key::from(key)))
            }
            PackageStore::Local => Err(PackageError::Elsewhere(location.to_owned())),
        }
    }

    /// The package at `location`, as a response body.
    pub async fn open(&self, location: &str) -> Result<Body, PackageError> {
        match (self.key_of(location)?, self) {
            (Some(key), PackageStore::Object { store, .. }) => {
                let got = store.get(&key).await.map_err(|e| match e {
                    object_store::Error::NotFound { .. } => PackageError::NotFound,
                    other => PackageError::Object(other),
                })?;
                Ok(Body::from_stream(got.into_stream().map_err(std::io::Error::other)))
            }
            _ => {
                let f = tokio::fs::File::open(location).await.map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        PackageError::NotFound
                    } else {
                        PackageError::Io(e)
                    }
                })?;
                Ok(Body::from_stream(tokio_util::io::ReaderStream::new(f)))
            }
        }
    }

    /// Erases the package at `location`; one already gone is erased.
    pub async fn erase(&self, location: &str) -> Result<(), PackageError> {
        match (self.key_of(location)?, self) {
            (Some(key), PackageStore::Object { store, .. }) => match store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
            _ => match tokio::fs::remove_file(location).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.into()),
            },
        }
    }
}
