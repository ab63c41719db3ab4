//! File contents through OpenDAL: a local directory by default, an S3-compatible bucket (AWS S3,
//! MinIO, Aliyun OSS, Tencent COS, Huawei OBS) by configuration. Both stream: a writer sends
//! chunks as they come, a reader hands them out as they arrive.

use anze_core::attachment::{BlobReader, BlobStore, BlobWriter};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use opendal::layers::RetryLayer;
use opendal::{EntryMode, ErrorKind, Operator, services};
use std::fmt;
use std::path::{Path, PathBuf};

/// S3 multipart parts must be at least 5 MiB (but the last); 8 MiB parts keep a 1 GB upload's
/// buffer small and its part count far below S3's 10,000.
const S3_PART_BYTES: usize = 8 * 1024 * 1024;
/// Local writes are gathered to this size, so a stream of small multipart chunks does not become
/// one system call (and one blocking-pool hop) each.
const FS_WRITE_BYTES: usize = 256 * 1024;
/// Reads are served in chunks of this size.
const READ_CHUNK_BYTES: usize = 256 * 1024;
/// Unfinished local writes live here, inside the root but outside every key's path, and are
/// renamed into place on close: a key never names half a file.
const PARTIAL_DIR: &str = ".partial";

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("invalid storage URL: {0}")]
    Url(String),
    #[error("storage setup failed: {0}")]
    Open(#[source] opendal::Error),
}

/// Where blobs live. Secrets never print (see the `Debug` impl).
#[derive(Clone, PartialEq, Eq)]
pub enum BlobConfig {
    Fs {
        root: PathBuf,
    },
    S3 {
        /// `http(s)://host:port`; empty for AWS itself.
        endpoint: String,
        bucket: String,
        region: String,
        /// Absent keys fall back to the AWS environment variables and profile.
        access_key: Option<String>,
        secret_key: Option<String>,
        /// Key prefix inside the bucket (`/` for none).
        root: String,
    },
}

impl fmt::Debug for BlobConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl BlobConfig {
    /// Parses `s3://bucket?endpoint=http://127.0.0.1:9000&region=us-east-1[&root=/prefix]`,
    /// `fs:///srv/anze/files` or a plain directory path. Keys travel separately: they are secrets
    /// and URLs end up in logs.
    pub fn from_url(
        raw: &str,
        access_key: Option<String>,
        secret_key: Option<String>,
    ) -> Result<Self, BlobError> {
        if let Some(path) = raw
            .strip_prefix("fs://")
            .or_else(|| raw.strip_prefix("file://"))
        {
            return Ok(BlobConfig::Fs { root: path.into() });
        }
        if !raw.starts_with("s3://") {
            if raw.contains("://") {
                return Err(BlobError::Url(
                    "expected s3://bucket?endpoint=…&region=…, fs:///path or a directory".into(),
                ));
            }
            return Ok(BlobConfig::Fs { root: raw.into() });
        }
        let url = url::Url::parse(raw).map_err(|e| BlobError::Url(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BlobError::Url(
                "put the keys in ANZE_STORAGE_ACCESS_KEY / ANZE_STORAGE_SECRET_KEY, not the URL"
                    .into(),
            ));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| BlobError::Url("the bucket is missing (s3://bucket?…)".into()))?
            .to_string();
        let mut endpoint = String::new();
        let mut region = String::from("us-east-1");
        let mut root = url.path().to_string();
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "endpoint" => endpoint = v.into_owned(),
                "region" => region = v.into_owned(),
                "root" => root = v.into_owned(),
                other => return Err(BlobError::Url(format!("unknown parameter {other}"))),
            }
        }
        if root.is_empty() {
            root = "/".into();
        }
        Ok(BlobConfig::S3 {
            endpoint,
            bucket,
            region,
            access_key,
            secret_key,
            root,
        })
    }

    /// One line for logs and `anze config`, without secrets.
    pub fn describe(&self) -> String {
        match self {
            BlobConfig::Fs { root } => format!("fs {}", root.display()),
            BlobConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key,
                root,
                ..
            } => format!(
                "s3 bucket={bucket} endpoint={} region={region} root={root} keys={}",
                if endpoint.is_empty() {
                    "(aws)"
                } else {
                    endpoint
                },
                if access_key.is_some() {
                    "***"
                } else {
                    "(environment)"
                }
            ),
        }
    }
}

/// The blob store over OpenDAL.
#[derive(Clone)]
pub struct Blobs {
    op: Operator,
    write_chunk: usize,
    /// For a local store: where unfinished writes live, for `sweep_partial_writes`.
    partial_dir: Option<PathBuf>,
    description: String,
}

impl fmt::Debug for Blobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

fn storage_err(e: opendal::Error) -> CoreError {
    match e.kind() {
        ErrorKind::NotFound => CoreError::NotFound,
        _ => CoreError::Internal(format!("storage: {e}")),
    }
}

/// Makes `ring` the process's TLS crypto provider. The HTTP client S3 requests go through is
/// built without a provider of its own (the alternative pulls in a second crypto library with a
/// C build); `ring` is the one the database drivers already use. Idempotent; every HTTP client
/// in the process (tests' included) needs it before it is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Blobs {
    /// Builds the store; a local root (and its directory for unfinished writes) is created when
    /// missing. Nothing is contacted yet: `check` does that.
    pub fn open(config: &BlobConfig) -> Result<Self, BlobError> {
        install_crypto_provider();
        // The HTTP transport S3 uses. OpenDAL registers it by itself only with its aws-lc TLS
        // feature, which this build avoids. Idempotent.
        opendal_http_transport_reqwest::install_default();
        let description = config.describe();
        let (op, write_chunk, partial_dir) = match config {
            BlobConfig::Fs { root } => {
                let partial = root.join(PARTIAL_DIR);
                let builder = services::Fs::default()
                    .root(&root.to_string_lossy())
                    .atomic_write_dir(&partial.to_string_lossy());
                let op = Operator::new(builder).map_err(BlobError::Open)?;
                (op, FS_WRITE_BYTES, Some(partial))
            }
            BlobConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key,
                secret_key,
                root,
            } => {
                // Path-style addressing is OpenDAL's default, which every S3 clone accepts.
                // The EC2 metadata service is never asked: credentials come from here or the
                // environment.
                let mut builder = services::S3::default()
                    .bucket(bucket)
                    .region(region)
                    .root(root)
                    .disable_ec2_metadata();
                if !endpoint.is_empty() {
                    builder = builder.endpoint(endpoint);
                }
                if let (Some(a), Some(s)) = (access_key, secret_key) {
                    builder = builder
                        .access_key_id(a)
                        .secret_access_key(s)
                        .disable_config_load();
                }
                let op = Operator::new(builder).map_err(BlobError::Open)?;
                (op, S3_PART_BYTES, None)
            }
        };
        Ok(Self {
            op: op.layer(RetryLayer::new().with_jitter()),
            write_chunk,
            partial_dir,
            description,
        })
    }

    /// `fs <dir>` or `s3 bucket=… endpoint=…`, without secrets.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Succeeds when the storage answers (the bucket exists and the keys work).
    pub async fn check(&self) -> CoreResult<()> {
        self.op.check().await.map_err(storage_err)
    }

    /// Removes unfinished local writes older than `cutoff` (left by a crash mid-upload) and
    /// returns their names. A bucket needs no sweep: S3 never shows an unfinished upload as an
    /// object (configure a lifecycle rule to drop abandoned multipart parts).
    pub async fn sweep_partial_writes(&self, cutoff: DateTime<Utc>) -> CoreResult<Vec<String>> {
        let Some(dir) = &self.partial_dir else {
            return Ok(vec![]);
        };
        sweep_dir(dir, cutoff)
            .await
            .map_err(|e| CoreError::Internal(format!("sweeping {}: {e}", dir.display())))
    }
}

impl Blobs {
    /// The file under `key` with its size, or `None` when there is none; for the backup, which
    /// must write an entry's size before its bytes.
    pub(crate) async fn open_sized(
        &self,
        key: &str,
    ) -> CoreResult<Option<(u64, Box<dyn BlobReader>)>> {
        let size = match self.op.stat(key).await {
            Ok(meta) => meta.content_length(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(storage_err(e)),
        };
        match self.read(key).await {
            Ok(reader) => Ok(Some((size, reader))),
            Err(CoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Some stored file, if the storage holds any (unfinished local writes aside); a restore
    /// writes only into an empty storage.
    pub(crate) async fn any_file(&self) -> CoreResult<Option<String>> {
        let mut lister = match self.op.lister_with("").recursive(true).await {
            Ok(l) => l,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(storage_err(e)),
        };
        let partial = format!("{PARTIAL_DIR}/");
        while let Some(entry) = lister.next().await {
            let entry = entry.map_err(storage_err)?;
            if entry.metadata().mode() == EntryMode::FILE && !entry.path().starts_with(&partial) {
                return Ok(Some(entry.path().to_string()));
            }
        }
        Ok(None)
    }

    /// Removes every stored file; only for undoing a failed restore, which began on an empty
    /// storage. Returns how many were removed.
    pub(crate) async fn remove_everything(&self) -> CoreResult<u64> {
        let mut lister = match self.op.lister_with("").recursive(true).await {
            Ok(l) => l,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(storage_err(e)),
        };
        let mut removed = 0;
        while let Some(entry) = lister.next().await {
            let entry = entry.map_err(storage_err)?;
            if entry.metadata().mode() == EntryMode::FILE {
                self.op.delete(entry.path()).await.map_err(storage_err)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

async fn sweep_dir(dir: &Path, cutoff: DateTime<Utc>) -> std::io::Result<Vec<String>> {
    let mut removed = Vec::new();
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    while let Some(entry) = entries.next_entry().await? {
        let meta = entry.metadata().await?;
        if meta.is_file() && DateTime::<Utc>::from(meta.modified()?) <= cutoff {
            tokio::fs::remove_file(entry.path()).await?;
            removed.push(format!(
                "{PARTIAL_DIR}/{}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    Ok(removed)
}

struct Writer(opendal::Writer);

#[async_trait]
impl BlobWriter for Writer {
    async fn write(&mut self, chunk: Vec<u8>) -> CoreResult<()> {
        self.0.write(chunk).await.map_err(storage_err)
    }

    async fn close(mut self: Box<Self>) -> CoreResult<()> {
        self.0.close().await.map(|_| ()).map_err(storage_err)
    }

    async fn abort(mut self: Box<Self>) {
        if let Err(e) = self.0.abort().await {
            tracing::warn!(error = %e, "aborting a blob write failed; gc will collect it");
        }
    }
}

struct Reader(opendal::FuturesBytesStream);

#[async_trait]
impl BlobReader for Reader {
    async fn next_chunk(&mut self) -> CoreResult<Option<Vec<u8>>> {
        match self.0.next().await {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes.to_vec())),
            Some(Err(e)) => Err(CoreError::Internal(format!("storage read: {e}"))),
        }
    }
}

#[async_trait]
impl BlobStore for Blobs {
    async fn writer(&self, key: &str) -> CoreResult<Box<dyn BlobWriter>> {
        let w = self
            .op
            .writer_with(key)
            .chunk(self.write_chunk)
            .await
            .map_err(storage_err)?;
        Ok(Box::new(Writer(w)))
    }

    async fn read(&self, key: &str) -> CoreResult<Box<dyn BlobReader>> {
        // Asking first turns a missing blob into NotFound before any byte is promised.
        self.op.stat(key).await.map_err(storage_err)?;
        let stream = self
            .op
            .reader_with(key)
            .chunk(READ_CHUNK_BYTES)
            .await
            .map_err(storage_err)?
            .into_bytes_stream(..)
            .await
            .map_err(storage_err)?;
        Ok(Box::new(Reader(stream)))
    }

    async fn read_to_vec(&self, key: &str, max_bytes: u64) -> CoreResult<Option<Vec<u8>>> {
        let meta = self.op.stat(key).await.map_err(storage_err)?;
        if meta.content_length() > max_bytes {
            return Ok(None);
        }
        let buf = self.op.read(key).await.map_err(storage_err)?;
        Ok(Some(buf.to_vec()))
    }

    async fn delete(&self, key: &str) -> CoreResult<()> {
        self.op.delete(key).await.map_err(storage_err)
    }

    async fn list(&self, prefix: &str) -> CoreResult<Vec<(String, Option<DateTime<Utc>>)>> {
        let entries = match self.op.list_with(prefix).recursive(true).await {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(storage_err(e)),
        };
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().mode() == EntryMode::FILE)
            .map(|e| {
                let modified = e
                    .metadata()
                    .last_modified()
                    .map(|t| DateTime::<Utc>::from(std::time::SystemTime::from(t)));
                (e.path().to_string(), modified)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_urls_parse_and_never_print_their_keys() {
        let c = BlobConfig::from_url(
            "s3://anze?endpoint=http://127.0.0.1:9000&region=cn-east-1",
            Some("AKID".into()),
            Some("s3cret".into()),
        )
        .unwrap();
        assert_eq!(
            c,
            BlobConfig::S3 {
                endpoint: "http://127.0.0.1:9000".into(),
                bucket: "anze".into(),
                region: "cn-east-1".into(),
                access_key: Some("AKID".into()),
                secret_key: Some("s3cret".into()),
                root: "/".into(),
            }
        );
        let shown = format!("{c:?} {}", c.describe());
        assert!(
            !shown.contains("AKID") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("bucket=anze"));
        assert!(matches!(
            BlobConfig::from_url("/srv/anze/files", None, None).unwrap(),
            BlobConfig::Fs { root } if root == Path::new("/srv/anze/files")
        ));
        assert!(matches!(
            BlobConfig::from_url("fs:///srv/files", None, None).unwrap(),
            BlobConfig::Fs { root } if root == Path::new("/srv/files")
        ));
        assert!(BlobConfig::from_url("s3://k:s@anze", None, None).is_err());
        assert!(BlobConfig::from_url("s3://anze?bucket=x", None, None).is_err());
        assert!(BlobConfig::from_url("ftp://x", None, None).is_err());
        let rooted = BlobConfig::from_url("s3://anze/tenant-a?root=/t1", None, None).unwrap();
        assert!(matches!(rooted, BlobConfig::S3 { root, .. } if root == "/t1"));
    }
}
