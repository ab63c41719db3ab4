//! The archive container: a tar file (gzip-compressed unless its name ends in `.tar`) whose
//! entries are, in order:
//!
//! - `header.json`: format, anze version, source backend, the applied migrations and every
//!   table's columns (`Header`);
//! - `tables/<table>/<n>.jsonl`: the table's rows in primary-key order, one JSON array per
//!   line, in chunks of about 1 MiB;
//! - `files/<storage key>`: every stored file an attachment row names (original and thumbnail);
//! - `sums/<n>.jsonl`: after every few thousand entries, one line per entry written since the
//!   previous one: `{"path", "bytes", "sha256"}`;
//! - `manifest.json`: rows and chunks per table, file count and bytes, and the SHA-256 of every
//!   `sums/` entry (`Manifest`); then `manifest.json.sha256`.
//!
//! Each entry is checked by a `sums/` line, each `sums/` entry by the manifest and the manifest by
//! its `.sha256`, so one changed byte anywhere in an entry is found, while nothing the reader
//! holds grows with the archive: a province's millions of files need no list in memory.
//! Both sides run on a blocking thread and talk to the async side through a bounded channel.

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use tokio::sync::mpsc;

use super::BackupError;
use super::schema::TableSpec;

pub const FORMAT: &str = "anze-backup";
pub const FORMAT_VERSION: u32 = 1;

pub(crate) const HEADER: &str = "header.json";
pub(crate) const MANIFEST: &str = "manifest.json";
const MANIFEST_SUM: &str = "manifest.json.sha256";
pub(crate) const TABLES: &str = "tables/";
pub(crate) const FILES: &str = "files/";
const SUMS: &str = "sums/";
/// Entries listed per `sums/` entry: bounds what the reader holds until the list arrives.
const SUMS_EVERY: usize = 4096;
/// Largest entry read whole (a table chunk, a list, the header): far above what the writer
/// makes, so only a damaged archive reaches it.
const MAX_WHOLE_ENTRY: u64 = 256 * 1024 * 1024;
/// gzip level 1: table rows still shrink several times, and compressing is not what a
/// province's backup waits for. Photos do not shrink at any level.
const GZIP_LEVEL: u32 = 1;

/// What the archive is, written first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub anze_version: String,
    pub created_at: DateTime<Utc>,
    /// `sqlite`, `postgres` or `mysql`.
    pub source: String,
    /// The schema version: every migration applied to the source, in order.
    pub migrations: Vec<String>,
    pub tables: Vec<TableSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    pub name: String,
    pub rows: u64,
    pub chunks: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCount {
    pub count: u64,
    pub bytes: u64,
    /// Files an attachment row named but the storage did not have while the backup ran...
    pub missing_count: u64,
    /// ...and the first of their keys.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumRef {
    pub path: String,
    pub sha256: String,
}

/// What the archive holds, written last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub tables: Vec<TableCount>,
    pub files: FileCount,
    pub sums: Vec<SumRef>,
}

/// One line of a `sums/` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sum {
    path: String,
    bytes: u64,
    sha256: String,
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the producer sends the writer thread.
pub(crate) enum Piece {
    /// An entry held whole.
    Entry {
        path: String,
        data: Vec<u8>,
    },
    /// An entry streamed as `Data` pieces up to `FileEnd`; exactly `size` bytes.
    FileStart {
        path: String,
        size: u64,
    },
    Data(Vec<u8>),
    FileEnd,
    /// The counts for the manifest; the writer adds the sums and closes the archive.
    Finish {
        tables: Vec<TableCount>,
        files: FileCount,
    },
}

/// Writes the archive from `rx` into `out`; returns the manifest written. Stops with an error
/// when the producer goes away before `Finish`.
pub(crate) fn write(out: File, gzip: bool, mut rx: mpsc::Receiver<Piece>) -> io::Result<Manifest> {
    let sink = BufWriter::with_capacity(1 << 20, out);
    let sink = if gzip {
        Sink::Gzip(Box::new(GzEncoder::new(sink, Compression::new(GZIP_LEVEL))))
    } else {
        Sink::Plain(sink)
    };
    let mut tar = tar::Builder::new(sink);
    let mut sums = SumWriter::default();
    while let Some(piece) = rx.blocking_recv() {
        match piece {
            Piece::Entry { path, data } => {
                append(&mut tar, &path, data.len() as u64, &mut data.as_slice())?;
                sums.add(
                    &mut tar,
                    path,
                    data.len() as u64,
                    hex(Sha256::digest(&data)),
                )?;
            }
            Piece::FileStart { path, size } => {
                let mut body = StreamedBody {
                    rx: &mut rx,
                    left: size,
                    buf: Vec::new(),
                    at: 0,
                    hash: Sha256::new(),
                    ended: false,
                };
                append(&mut tar, &path, size, &mut body)?;
                if !body.ended {
                    // The body's last bytes arrived but not its end mark.
                    match body.rx.blocking_recv() {
                        Some(Piece::FileEnd) => {}
                        _ => return Err(broken("a file ran past its size")),
                    }
                }
                let sha = hex(body.hash.finalize());
                sums.add(&mut tar, path, size, sha)?;
            }
            Piece::Data(_) | Piece::FileEnd => return Err(broken("file data outside a file")),
            Piece::Finish { tables, files } => {
                sums.flush(&mut tar)?;
                let manifest = Manifest {
                    tables,
                    files,
                    sums: sums.refs,
                };
                let json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
                append(&mut tar, MANIFEST, json.len() as u64, &mut json.as_slice())?;
                let sum = hex(Sha256::digest(&json));
                append(
                    &mut tar,
                    MANIFEST_SUM,
                    sum.len() as u64,
                    &mut sum.as_bytes(),
                )?;
                let file = tar.into_inner()?.finish()?;
                file.sync_all()?;
                return Ok(manifest);
            }
        }
    }
    Err(broken("the backup stopped before it was complete"))
}

fn broken(what: &str) -> io::Error {
    io::Error::other(what.to_string())
}

fn append(
    tar: &mut tar::Builder<Sink>,
    path: &str,
    size: u64,
    data: &mut dyn Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    tar.append_data(&mut header, path, data)
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl Sink {
    fn finish(self) -> io::Result<File> {
        let buffered = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(g) => g.finish()?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(g) => g.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(g) => g.flush(),
        }
    }
}

/// The `sums/` entries as they fill.
#[derive(Default)]
struct SumWriter {
    pending: Vec<u8>,
    lines: usize,
    refs: Vec<SumRef>,
}

impl SumWriter {
    fn add(
        &mut self,
        tar: &mut tar::Builder<Sink>,
        path: String,
        bytes: u64,
        sha256: String,
    ) -> io::Result<()> {
        serde_json::to_writer(
            &mut self.pending,
            &Sum {
                path,
                bytes,
                sha256,
            },
        )
        .map_err(io::Error::other)?;
        self.pending.push(b'\n');
        self.lines += 1;
        if self.lines >= SUMS_EVERY {
            self.flush(tar)?;
        }
        Ok(())
    }

    fn flush(&mut self, tar: &mut tar::Builder<Sink>) -> io::Result<()> {
        if self.lines == 0 {
            return Ok(());
        }
        let path = format!("{SUMS}{:06}.jsonl", self.refs.len() + 1);
        let data = std::mem::take(&mut self.pending);
        append(tar, &path, data.len() as u64, &mut data.as_slice())?;
        self.refs.push(SumRef {
            path,
            sha256: hex(Sha256::digest(&data)),
        });
        self.lines = 0;
        Ok(())
    }
}

/// A file's bytes as `Data` pieces arrive; ends after exactly `left` bytes.
struct StreamedBody<'a> {
    rx: &'a mut mpsc::Receiver<Piece>,
    left: u64,
    buf: Vec<u8>,
    at: usize,
    hash: Sha256,
    ended: bool,
}

impl Read for StreamedBody<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.buf.len() {
            if self.left == 0 {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Piece::Data(d)) => {
                    self.buf = d;
                    self.at = 0;
                }
                Some(Piece::FileEnd) => {
                    self.ended = true;
                    return Err(broken("a file ended before its size"));
                }
                _ => return Err(broken("the backup stopped inside a file")),
            }
        }
        let n = out
            .len()
            .min(self.buf.len() - self.at)
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        if n == 0 {
            return Err(broken("a file ran past its size"));
        }
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.hash.update(&out[..n]);
        self.at += n;
        self.left -= n as u64;
        if self.left == 0 && self.at != self.buf.len() {
            return Err(broken("a file ran past its size"));
        }
        Ok(n)
    }
}

/// What the reader hands on, in archive order. Each entry is checked against its `sums/` line
/// only when that line arrives, after the entry: a consumer that writes anything keeps it
/// undone until `read` returns `Ok`.
pub(crate) enum Event {
    Rows { table: String, chunk: Vec<u8> },
    FileStart { key: String },
    Data(Vec<u8>),
    FileEnd,
}

fn corrupt(what: impl Into<String>) -> BackupError {
    BackupError::Corrupt(what.into())
}

/// The archive's bytes, decompressed when they are gzip.
fn open(path: &Path) -> Result<Box<dyn Read>, BackupError> {
    let mut file = BufReader::with_capacity(1 << 20, File::open(path)?);
    let gzip = {
        use std::io::BufRead;
        file.fill_buf()?.starts_with(&[0x1f, 0x8b])
    };
    Ok(if gzip {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

fn parse_header(data: &[u8]) -> Result<Header, BackupError> {
    let header: Header =
        serde_json::from_slice(data).map_err(|e| corrupt(format!("header.json 无法解析:{e}")))?;
    if header.format != FORMAT {
        return Err(corrupt("不是 anze 备份(header.json 的 format 不符)"));
    }
    if header.version != FORMAT_VERSION {
        return Err(BackupError::Format(header.version));
    }
    Ok(header)
}

/// Only the header, the archive's first entry: enough to refuse an archive of another schema
/// before reading the rest. Nothing in it is verified yet.
pub(crate) fn read_header(path: &Path) -> Result<Header, BackupError> {
    let mut archive = tar::Archive::new(open(path)?);
    let mut entries = archive
        .entries()
        .map_err(|e| corrupt(format!("不是 tar 归档:{e}")))?;
    let mut entry = entries
        .next()
        .ok_or_else(|| corrupt("归档是空的,不是 anze 备份"))?
        .map_err(|e| corrupt(format!("归档结构损坏或被截断:{e}")))?;
    if entry.path_bytes().as_ref() != HEADER.as_bytes() {
        return Err(corrupt("归档不以 header.json 开头,不是 anze 备份"));
    }
    let size = entry.size();
    parse_header(&read_whole(&mut entry, size, HEADER)?)
}

/// Reads and checks the whole archive at `path`, handing each part to `on`; an error from `on`
/// stops the read and is returned. Returns the header and the manifest once every check passed:
/// each entry's size and SHA-256 against its `sums/` line, each `sums/` entry against the
/// manifest, the manifest against its `.sha256`, and the rows counted in each table against the
/// manifest.
pub(crate) fn read(
    path: &Path,
    on: &mut dyn FnMut(Event) -> Result<(), BackupError>,
) -> Result<(Header, Manifest), BackupError> {
    let source = open(path)?;
    let mut archive = tar::Archive::new(source);
    let mut check = Checker::default();
    let entries = archive
        .entries()
        .map_err(|e| corrupt(format!("不是 tar 归档:{e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(format!("归档结构损坏或被截断:{e}")))?;
        let name = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| corrupt("条目名不是 UTF-8"))?;
        let size = entry.size();
        check.entry(&name, size, &mut entry, on)?;
    }
    // The end of the tar stream is not the end of the file: what follows (padding, and for
    // gzip its checksum and length) must be there too, or the file was cut short.
    io::copy(&mut archive.into_inner(), &mut io::sink())
        .map_err(|e| corrupt(format!("归档结尾不完整,可能被截断:{e}")))?;
    check.finish()
}

#[derive(Default)]
struct Checker {
    header: Option<Header>,
    /// Entries read since the last `sums/` entry: path → (bytes, sha256).
    pending: HashMap<String, (u64, String)>,
    sums: Vec<SumRef>,
    rows: HashMap<String, u64>,
    chunks: HashMap<String, u64>,
    files: u64,
    file_bytes: u64,
    manifest: Option<(Manifest, String)>,
    manifest_checked: bool,
}

fn read_whole(entry: &mut dyn Read, size: u64, name: &str) -> Result<Vec<u8>, BackupError> {
    if size > MAX_WHOLE_ENTRY {
        return Err(corrupt(format!("条目 {name} 大小异常({size} 字节)")));
    }
    let mut data = Vec::with_capacity(size as usize);
    entry
        .take(size)
        .read_to_end(&mut data)
        .map_err(|e| corrupt(format!("读取 {name} 失败,归档可能被截断:{e}")))?;
    if data.len() as u64 != size {
        return Err(corrupt(format!("{name} 不完整,归档可能被截断")));
    }
    Ok(data)
}

impl Checker {
    fn entry(
        &mut self,
        name: &str,
        size: u64,
        entry: &mut dyn Read,
        on: &mut dyn FnMut(Event) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        if self.manifest_checked {
            return Err(corrupt(format!("清单之后还有条目 {name}")));
        }
        if self.header.is_none() && name != HEADER {
            return Err(corrupt("归档不以 header.json 开头,不是 anze 备份"));
        }
        if let Some((_, sha)) = &self.manifest {
            if name != MANIFEST_SUM {
                return Err(corrupt(format!("清单之后出现了 {name}")));
            }
            let data = read_whole(entry, size, name)?;
            if data != sha.as_bytes() {
                return Err(corrupt("manifest.json 的校验和不符"));
            }
            self.manifest_checked = true;
            return Ok(());
        }
        if name == HEADER {
            if self.header.is_some() {
                return Err(corrupt("header.json 出现了两次"));
            }
            let data = read_whole(entry, size, name)?;
            self.record(name, &data)?;
            let header = parse_header(&data)?;
            self.header = Some(header);
            return Ok(());
        }
        if let Some(rest) = name.strip_prefix(TABLES) {
            let table = rest.split('/').next().unwrap_or_default().to_string();
            if !self.knows_table(&table) {
                return Err(corrupt(format!("{name} 不属于 header.json 中的任何表")));
            }
            let chunk = read_whole(entry, size, name)?;
            self.record(name, &chunk)?;
            let rows = chunk.iter().filter(|b| **b == b'\n').count() as u64;
            *self.rows.entry(table.clone()).or_default() += rows;
            *self.chunks.entry(table.clone()).or_default() += 1;
            return on(Event::Rows { table, chunk });
        }
        if let Some(key) = name.strip_prefix(FILES) {
            if key.is_empty()
                || key.starts_with('/')
                || key
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == "..")
            {
                return Err(corrupt(format!("文件名 {name} 不合法")));
            }
            on(Event::FileStart {
                key: key.to_string(),
            })?;
            let mut hash = Sha256::new();
            let mut left = size;
            let mut buf = vec![0u8; 256 * 1024];
            while left > 0 {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = entry
                    .read(&mut buf[..want])
                    .map_err(|e| corrupt(format!("读取 {name} 失败,归档可能被截断:{e}")))?;
                if n == 0 {
                    return Err(corrupt(format!("{name} 不完整,归档可能被截断")));
                }
                hash.update(&buf[..n]);
                left -= n as u64;
                on(Event::Data(buf[..n].to_vec()))?;
            }
            on(Event::FileEnd)?;
            self.pending
                .insert(name.to_string(), (size, hex(hash.finalize())));
            self.files += 1;
            self.file_bytes += size;
            return Ok(());
        }
        if name.starts_with(SUMS) {
            let data = read_whole(entry, size, name)?;
            for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let sum: Sum = serde_json::from_slice(line)
                    .map_err(|e| corrupt(format!("{name} 无法解析:{e}")))?;
                match self.pending.remove(&sum.path) {
                    Some((bytes, sha)) if bytes == sum.bytes && sha == sum.sha256 => {}
                    Some(_) => return Err(corrupt(format!("{} 的校验和不符", sum.path))),
                    None => return Err(corrupt(format!("{name} 列出的 {} 不在归档中", sum.path))),
                }
            }
            if let Some(path) = self.pending.keys().next() {
                return Err(corrupt(format!("{path} 没有校验和")));
            }
            self.sums.push(SumRef {
                path: name.to_string(),
                sha256: hex(Sha256::digest(&data)),
            });
            return Ok(());
        }
        if name == MANIFEST {
            let data = read_whole(entry, size, name)?;
            let manifest: Manifest = serde_json::from_slice(&data)
                .map_err(|e| corrupt(format!("manifest.json 无法解析:{e}")))?;
            self.manifest = Some((manifest, hex(Sha256::digest(&data))));
            return Ok(());
        }
        Err(corrupt(format!("未知条目 {name}")))
    }

    fn knows_table(&self, table: &str) -> bool {
        self.header
            .as_ref()
            .is_some_and(|h| h.tables.iter().any(|t| t.name == table))
    }

    fn record(&mut self, name: &str, data: &[u8]) -> Result<(), BackupError> {
        if self
            .pending
            .insert(
                name.to_string(),
                (data.len() as u64, hex(Sha256::digest(data))),
            )
            .is_some()
        {
            return Err(corrupt(format!("{name} 出现了两次")));
        }
        Ok(())
    }

    fn finish(self) -> Result<(Header, Manifest), BackupError> {
        let header = self
            .header
            .ok_or_else(|| corrupt("归档是空的,不是 anze 备份"))?;
        let Some((manifest, _)) = self.manifest.filter(|_| self.manifest_checked) else {
            return Err(corrupt("归档不完整(缺少清单),可能被截断"));
        };
        if let Some(path) = self.pending.keys().next() {
            return Err(corrupt(format!("{path} 没有校验和")));
        }
        if manifest.sums != self.sums {
            return Err(corrupt("校验和列表与清单不符,归档缺少或多出了条目"));
        }
        if manifest.tables.len() != header.tables.len() {
            return Err(corrupt("清单中的表与 header.json 不符"));
        }
        for (count, spec) in manifest.tables.iter().zip(&header.tables) {
            let rows = self.rows.get(&count.name).copied().unwrap_or(0);
            let chunks = self.chunks.get(&count.name).copied().unwrap_or(0);
            if count.name != spec.name || count.rows != rows || count.chunks != chunks {
                return Err(corrupt(format!(
                    "表 {} 的行数不符:清单 {} 行,归档中 {} 行",
                    count.name, count.rows, rows
                )));
            }
        }
        if manifest.files.count != self.files || manifest.files.bytes != self.file_bytes {
            return Err(corrupt(format!(
                "文件数不符:清单 {} 个,归档中 {} 个",
                manifest.files.count, self.files
            )));
        }
        Ok((header, manifest))
    }
}
