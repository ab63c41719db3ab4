//! The zip of a policy's 服务档案: an index (目录.csv), a description (说明.txt), the documents
//! made from the records, and every original evidence file byte for byte, written to a
//! temporary file one chunk at a time so a large archive never sits in memory.

use anze_core::attachment::{Attachment, BlobStore};
use anze_core::policy::archive::{PolicyArchive, safe_name};
use anze_core::time::format_datetime;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::error::{PageError, PageResult};

/// A document made for the archive (a PDF), by its path in it.
pub struct Document {
    pub path: String,
    pub bytes: Vec<u8>,
}

struct Entry<'a> {
    path: String,
    kind: &'static str,
    order_no: &'a str,
    /// 服务项目 and date, or 隐患编号.
    what: String,
    state: String,
    file: &'a Attachment,
}

fn zip_err(e: impl std::fmt::Display) -> PageError {
    PageError::Internal(format!("writing the archive: {e}"))
}

/// A CSV field: quoted, quotes doubled, so commas and line breaks in names are safe, and a
/// leading `=`, `+`, `-` or `@` made inert for spreadsheet programs.
fn csv(field: &str) -> String {
    let inert = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

/// Writes the archive of `a` with `documents` (`None`: the server cannot make PDFs) to a
/// temporary file, rewound for download.
pub async fn write(
    a: &PolicyArchive,
    documents: Option<Vec<Document>>,
    blobs: &dyn BlobStore,
) -> PageResult<File> {
    let pdf_note = match &documents {
        Some(d) => format!("文书(服务报告、整改通知书,PDF){} 份。", d.len()),
        None => "本服务器未安装中文字体,档案未含 PDF 文书;可在系统中打印服务报告和整改通知书。"
            .to_string(),
    };
    let documents = documents.unwrap_or_default();
    let mut entries = Vec::new();
    for o in &a.orders {
        let order_no = o.order.order_no.as_str();
        for (r, files) in &o.records {
            let folder = format!(
                "{}/{}/{}_{}",
                safe_name(order_no),
                r.item.label(),
                r.service_date,
                r.id
            );
            for f in files {
                entries.push(Entry {
                    path: format!("{folder}/{}_{}", f.id, safe_name(&f.original_name)),
                    kind: "服务记录",
                    order_no,
                    what: format!("{} {}", r.item.label(), r.service_date),
                    state: r.confirmation.state.label().to_string(),
                    file: f,
                });
            }
        }
        for (h, files) in &o.hazards {
            let folder = format!("{}/隐患/{}", safe_name(order_no), safe_name(&h.hazard_no));
            for f in files {
                entries.push(Entry {
                    path: format!("{folder}/{}_{}", f.id, safe_name(&f.original_name)),
                    kind: "隐患",
                    order_no,
                    what: h.hazard_no.clone(),
                    state: h.state.label().to_string(),
                    file: f,
                });
            }
        }
    }
    let mut index = String::from("\u{feff}");
    index.push_str("类别,订单号,记录或隐患,状态,文件名,存档路径,SHA-256,字节,上传人,上传时间\r\n");
    for e in &entries {
        let cells = [
            e.kind.to_string(),
            e.order_no.to_string(),
            e.what.clone(),
            e.state.clone(),
            e.file.original_name.clone(),
            e.path.clone(),
            e.file.sha256.clone(),
            e.file.size.to_string(),
            e.file.uploaded_by_name.clone(),
            format_datetime(e.file.uploaded_at),
        ];
        index.push_str(&cells.iter().map(|c| csv(c)).collect::<Vec<_>>().join(","));
        index.push_str("\r\n");
    }
    for d in &documents {
        index.push_str(&format!(
            "{},,,,,{},,{},,\r\n",
            csv("文书"),
            csv(&d.path),
            d.bytes.len()
        ));
    }
    let p = &a.policy;
    let mut about = format!(
        "安责险事故预防服务档案\r\n\r\n保单号:{}\r\n保险机构:{}\r\n投保企业:{}({})\r\n保险期间:{}\r\n",
        p.policy_no,
        p.insurer_name,
        p.enterprise_name,
        p.enterprise_credit_code,
        p.period()
    );
    for o in &a.orders {
        about.push_str(&format!(
            "\r\n服务订单 {}:{},{},服务期限 {},服务记录 {} 条,隐患 {} 项\r\n",
            o.order.order_no,
            o.order.agency_name,
            o.order.state.label(),
            o.order.period(),
            o.records.len(),
            o.hazards.len()
        ));
    }
    about.push_str(&format!(
        "\r\n证据文件 {} 个,均为上传时的原始文件(含拍摄信息),SHA-256 见 目录.csv。\r\n{pdf_note}\r\n生成时间:{},生成人:{}\r\n保存期限:自服务之日起不少于五年。\r\n",
        entries.len(),
        format_datetime(a.made_at),
        a.made_by
    ));

    let file = tempfile::tempfile().map_err(zip_err)?;
    let mut zip = ZipWriter::new(file);
    // Photos and PDFs are compressed already; stored entries keep every reader able to open them.
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true);
    for (name, bytes) in [
        ("说明.txt", about.into_bytes()),
        ("目录.csv", index.into_bytes()),
    ] {
        zip.start_file(name, options).map_err(zip_err)?;
        zip.write_all(&bytes).map_err(zip_err)?;
    }
    for d in documents {
        zip.start_file(d.path.as_str(), options).map_err(zip_err)?;
        zip.write_all(&d.bytes).map_err(zip_err)?;
    }
    for e in &entries {
        zip.start_file(e.path.as_str(), options).map_err(zip_err)?;
        let mut reader = blobs.read(&e.file.storage_key).await?;
        while let Some(chunk) = reader.next_chunk().await? {
            zip.write_all(&chunk).map_err(zip_err)?;
        }
    }
    let mut file = zip.finish().map_err(zip_err)?;
    file.seek(SeekFrom::Start(0)).map_err(zip_err)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_inert() {
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("他说\"好\""), "\"他说\"\"好\"\"\"");
        assert_eq!(csv("=1+1"), "\"'=1+1\"");
    }
}
