//! The PDF documents: 整改通知书, 复查意见书 and 服务报告, each built as a `pdf::Doc` from what
//! core returned to the page, and the response that carries it. The HTML pages show the same
//! content for printing; the two are kept side by side here and in the templates.

use anze_core::attachment::{Attachment, BlobStore};
use anze_core::hazard::{self, Hazard, NoticeReceipt, StepKind};
use anze_core::order::ServiceOrder;
use anze_core::record::ServiceRecord;
use anze_core::report::{HazardTally, OrderReport};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::attachments::content_disposition;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::pdf::{self, Block, Cell, Doc, Photo, PhotoSet, Press, Table};

/// Photos printed in one table cell; the rest are counted and left to the system.
const MAX_CELL_PHOTOS: usize = 6;
/// Photos printed in one photo block.
const MAX_BLOCK_PHOTOS: usize = 12;

/// The font and a slot to make the PDF with, or the page that sends the user to `print_page`
/// instead. Asked before the document's photos are read, so the slot bounds that work too.
pub async fn press(state: &AppState, print_page: &str) -> PageResult<Press> {
    state
        .pdf
        .press()
        .await
        .ok_or_else(|| PageError::PdfUnavailable {
            print_page: print_page.to_string(),
        })
}

/// Makes the PDF's bytes.
pub async fn make(press: Press, doc: Doc, photos: PhotoSet) -> PageResult<Vec<u8>> {
    pdf::make(press, doc, photos)
        .await
        .map_err(PageError::Internal)
}

/// Makes the PDF and answers with it, shown in the browser and saved as `file_name`.
pub async fn respond(
    press: Press,
    doc: Doc,
    photos: PhotoSet,
    file_name: &str,
) -> PageResult<Response> {
    let bytes = make(press, doc, photos).await?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition(true, file_name))
            .map_err(|e| PageError::Internal(format!("bad file name header: {e}")))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Made from the current state each time; access may be withdrawn.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// A cell of text with photos under it (at most `MAX_CELL_PHOTOS`, the rest counted).
async fn photo_cell(
    set: &mut PhotoSet,
    blobs: &dyn BlobStore,
    text: String,
    photos: &[Attachment],
) -> Cell {
    let (placed, left_out) = set.add(blobs, photos, MAX_CELL_PHOTOS).await;
    let text = match left_out {
        0 => text,
        n => format!("{text}\n(另有 {n} 张照片未列入,请在系统中查看)"),
    };
    Cell {
        text,
        photos: placed.into_iter().map(|(id, _)| id).collect(),
    }
}

/// A heading and the photos under it, each captioned with its name and capture time.
async fn photo_block(
    blocks: &mut Vec<Block>,
    set: &mut PhotoSet,
    blobs: &dyn BlobStore,
    heading: &str,
    photos: &[Attachment],
) {
    let (placed, left_out) = set.add(blobs, photos, MAX_BLOCK_PHOTOS).await;
    if placed.is_empty() {
        return;
    }
    blocks.push(Block::Heading(heading.to_string()));
    blocks.push(Block::Photos(
        placed
            .into_iter()
            .map(|(id, a)| Photo {
                id,
                caption: match a.captured_label() {
                    Some(t) => format!("{} · 拍摄于 {t}", a.original_name),
                    None => a.original_name.clone(),
                },
            })
            .collect(),
    ));
    if left_out > 0 {
        blocks.push(Block::Paragraph(format!(
            "另有 {left_out} 张照片未列入,请在系统中查看。"
        )));
    }
}

/// 安全生产事故隐患整改通知书, as `templates/hazard/notice.html` prints it, with each hazard's
/// 整改前照片.
pub async fn notice(
    blobs: &dyn BlobStore,
    inspection: &ServiceRecord,
    hazards: &[Hazard],
    files: &[Attachment],
    receipt: Option<&NoticeReceipt>,
    signature: Option<&Attachment>,
    today: NaiveDate,
) -> (Doc, PhotoSet) {
    let mut set = PhotoSet::default();
    let number = hazard::notice_number(inspection.id, inspection.service_date);
    let mut rows = Vec::new();
    for (i, h) in hazards.iter().enumerate() {
        let (before, _) = h.photos(files);
        rows.push(vec![
            Cell::from((i + 1).to_string()),
            Cell::from(h.hazard_no.as_str()),
            photo_cell(
                &mut set,
                blobs,
                if h.basis.is_empty() {
                    format!("{}\n位置:{}", h.description, h.location)
                } else {
                    format!("{}\n位置:{}\n依据:{}", h.description, h.location, h.basis)
                },
                &before,
            )
            .await,
            Cell::from(h.level.label()),
            Cell::from(h.suggestion.as_str()),
            Cell::from(h.deadline.to_string()),
        ]);
    }
    let mut blocks = vec![
        Block::Title("安全生产事故隐患整改通知书".into()),
        Block::Right(format!("编号:{number}")),
        Block::Paragraph(format!("{}:", inspection.enterprise_name)),
        Block::Indented(format!(
            "{},{}受{}委托,对贵单位开展了安全生产事故隐患排查(服务订单 {}),发现以下 {} 项\
             事故隐患。请按整改建议在整改期限内完成整改,整改完成后将整改情况及整改后照片反馈\
             我单位复查。",
            inspection.service_date,
            inspection.agency_name,
            inspection.insurer_name,
            inspection.order_no,
            hazards.len()
        )),
        Block::Table(Table {
            columns: vec![
                ("序号".into(), 0.6),
                ("隐患编号".into(), 1.9),
                ("隐患描述、位置及依据".into(), 3.6),
                ("等级".into(), 1.0),
                ("整改建议".into(), 2.6),
                ("整改期限".into(), 1.3),
            ],
            rows,
        }),
        Block::Space(12.0),
    ];
    let agency = vec![
        format!("服务机构(盖章):{}", inspection.agency_name),
        format!("排查人员:{}", inspection.staff_names()),
        format!("日期:{today}"),
    ];
    let enterprise = match receipt {
        Some(r) => vec![
            format!("企业签收人:{}({})", r.signer_name, r.via.label()),
            format!("企业陪同人员:{}", inspection.enterprise_contact),
            format!("签收日期:{}", crate::view::dt(r.signed_at)),
        ],
        None => vec![
            "企业签收人:________________".into(),
            format!("企业陪同人员:{}", inspection.enterprise_contact),
            "签收日期:________________".into(),
        ],
    };
    blocks.push(Block::Columns(vec![agency, enterprise]));
    if let (Some(r), Some(sig)) = (receipt, signature) {
        let (placed, _) = set.add(blobs, std::slice::from_ref(sig), 1).await;
        if let Some((id, _)) = placed.first() {
            blocks.push(Block::Photos(vec![Photo {
                id: *id,
                caption: format!("{}的签字", r.signer_name),
            }]));
        }
    }
    let doc = Doc {
        title: "隐患整改通知书".into(),
        number,
        blocks,
    };
    (doc, set)
}

/// 隐患整改复查意见书: the hazard, every 整改 and 复查 of its loop, and the last review's
/// conclusion, with the photos before and after.
pub async fn review(
    blobs: &dyn BlobStore,
    hazard: &Hazard,
    order: &ServiceOrder,
    files: &[Attachment],
) -> (Doc, PhotoSet) {
    let mut set = PhotoSet::default();
    let number = hazard::review_number(hazard).unwrap_or_else(|| hazard.hazard_no.clone());
    let (before, after) = hazard.photos(files);
    let mut blocks = vec![
        Block::Title("隐患整改复查意见书".into()),
        Block::Right(format!("编号:{number}")),
        Block::Fields(vec![
            ("投保企业".into(), hazard.enterprise_name.clone()),
            ("服务机构".into(), hazard.agency_name.clone()),
            ("服务订单".into(), order.order_no.clone()),
            ("隐患编号".into(), hazard.hazard_no.clone()),
            ("隐患等级".into(), hazard.level.label().into()),
            ("隐患类别".into(), hazard.category_label().into()),
            ("发现日期".into(), hazard.found_on.to_string()),
            ("整改期限".into(), hazard.deadline.to_string()),
            ("整改责任人".into(), hazard.responsible.clone()),
            ("当前状态".into(), hazard.state.label().into()),
        ]),
        Block::Paragraph(format!("隐患位置:{}", hazard.location)),
        Block::Paragraph(format!("隐患描述:{}", hazard.description)),
        Block::Paragraph(format!("整改建议:{}", hazard.suggestion)),
        Block::Heading("整改与复查经过".into()),
    ];
    let mut rows = Vec::new();
    for s in &hazard.steps {
        let (conclusion, people) = match s.kind {
            StepKind::Rectification => (
                s.party.map_or(String::new(), |p| p.label().to_string()),
                s.by_name.clone(),
            ),
            StepKind::Review => (
                match s.passed {
                    Some(true) => "通过(销号)".into(),
                    Some(false) => "不通过".into(),
                    None => String::new(),
                },
                s.reviewer.clone().unwrap_or_else(|| s.by_name.clone()),
            ),
        };
        let round_photos: Vec<Attachment> = if s.kind == StepKind::Rectification {
            after
                .iter()
                .filter(|a| a.field == hazard::after_field(s.round))
                .cloned()
                .collect()
        } else {
            vec![]
        };
        rows.push(vec![
            Cell::from(format!("第 {} 轮", s.round)),
            Cell::from(s.kind.label()),
            Cell::from(s.on.to_string()),
            Cell::from(people),
            Cell::from(conclusion),
            photo_cell(&mut set, blobs, s.note.clone(), &round_photos).await,
        ]);
    }
    blocks.push(Block::Table(Table {
        columns: vec![
            ("轮次".into(), 1.1),
            ("环节".into(), 0.9),
            ("日期".into(), 1.5),
            ("人员".into(), 1.4),
            ("结论".into(), 1.6),
            ("说明/意见及整改后照片".into(), 4.0),
        ],
        rows,
    }));
    if let Some(last) = hazard.last_review() {
        blocks.push(Block::Heading("复查结论".into()));
        let reviewer = last
            .reviewer
            .clone()
            .unwrap_or_else(|| last.by_name.clone());
        let outcome = if last.passed == Some(true) {
            "整改符合要求,复查通过,该隐患予以销号".to_string()
        } else {
            "整改未达到要求,复查不通过,请继续整改后再次申请复查".to_string()
        };
        let opinion = if last.note.is_empty() {
            String::new()
        } else {
            format!("复查意见:{}", last.note)
        };
        blocks.push(Block::Indented(format!(
            "经{reviewer}于 {} 对第 {} 轮整改进行复查:{outcome}。{opinion}",
            last.on, last.round
        )));
        blocks.push(Block::Space(12.0));
        blocks.push(Block::Columns(vec![
            vec![
                format!("复查单位(盖章):{}", hazard.agency_name),
                format!("复查人:{reviewer}"),
            ],
            vec![
                format!("复查日期:{}", last.on),
                "企业签收:________________".into(),
            ],
        ]));
    }
    photo_block(&mut blocks, &mut set, blobs, "整改前照片", &before).await;
    let doc = Doc {
        title: "隐患整改复查意见书".into(),
        number,
        blocks,
    };
    (doc, set)
}

/// 安责险事故预防服务报告 of an order, as `templates/report/order.html` shows it.
pub async fn report(blobs: &dyn BlobStore, r: &OrderReport) -> (Doc, PhotoSet) {
    let mut set = PhotoSet::default();
    let o = &r.order;
    let mut blocks = vec![
        Block::Title("安责险事故预防服务报告".into()),
        Block::Right(format!("编号:{}", r.number())),
        Block::Heading("一、保单与服务概况".into()),
        Block::Fields(overview(r)),
        Block::Heading("二、服务方案与完成情况".into()),
        Block::Table(Table {
            columns: vec![
                ("服务项目".into(), 3.0),
                ("计划次数".into(), 1.0),
                ("已完成".into(), 1.0),
                ("企业已确认".into(), 1.2),
                ("完成率".into(), 1.0),
            ],
            rows: o
                .plan
                .iter()
                .map(|p| {
                    vec![
                        Cell::from(p.item.label()),
                        Cell::from(p.planned.to_string()),
                        Cell::from(p.done.to_string()),
                        Cell::from(p.confirmed.to_string()),
                        Cell::from(if p.planned > 0 {
                            format!("{}%", p.percent())
                        } else {
                            "未计划".into()
                        }),
                    ]
                })
                .collect(),
        }),
        Block::Heading("三、服务记录".into()),
    ];
    match &r.records {
        None => blocks.push(Block::Paragraph("您没有查看服务记录的权限。".into())),
        Some(records) if records.is_empty() => {
            blocks.push(Block::Paragraph("尚无服务记录。".into()))
        }
        Some(records) => {
            let mut rows = Vec::new();
            for (i, rr) in records.iter().enumerate() {
                let rec = &rr.record;
                let mut text = rec.summary.clone();
                for (label, value) in &rr.details {
                    text.push_str(&format!("\n{label}:{value}"));
                }
                let c = &rec.confirmation;
                let mut confirmation = c.state.label().to_string();
                if let Some(name) = &c.by_name {
                    confirmation.push_str(&format!("\n{}:{name}", c.by_label()));
                }
                if let Some(at) = c.at {
                    confirmation.push_str(&format!("\n{}", crate::view::dt(at)));
                }
                rows.push(vec![
                    Cell::from((i + 1).to_string()),
                    Cell::from(rec.item.label()),
                    Cell::from(format!("{}\n{}", rec.service_date, rec.location)),
                    Cell::from(rec.staff_names()),
                    photo_cell(&mut set, blobs, text, &rr.photos).await,
                    Cell::from(confirmation),
                ]);
            }
            blocks.push(Block::Table(Table {
                columns: vec![
                    ("序号".into(), 0.6),
                    ("服务项目".into(), 1.4),
                    ("日期及地点".into(), 1.7),
                    ("服务人员".into(), 1.2),
                    ("服务内容及照片".into(), 4.0),
                    ("企业确认".into(), 1.5),
                ],
                rows,
            }));
        }
    }
    blocks.push(Block::Heading("四、隐患排查治理".into()));
    match (&r.hazards, r.hazard_tally()) {
        (Some(hazards), Some(t)) if !hazards.is_empty() => {
            blocks.push(Block::Paragraph(tally_line(&t)));
            let mut rows = Vec::new();
            for h in hazards {
                let hz = &h.hazard;
                let mut state = hz.state.label().to_string();
                if h.overdue {
                    state.push_str("\n逾期");
                }
                let progress = hazard_progress(hz);
                rows.push(vec![
                    Cell::from(format!("{}\n{}", hz.hazard_no, hz.found_on)),
                    photo_cell(
                        &mut set,
                        blobs,
                        format!("{}\n位置:{}", hz.description, hz.location),
                        &h.before,
                    )
                    .await,
                    Cell::from(hz.level.label()),
                    Cell::from(hz.deadline.to_string()),
                    Cell::from(state),
                    photo_cell(&mut set, blobs, progress, &h.after).await,
                ]);
            }
            blocks.push(Block::Table(Table {
                columns: vec![
                    ("隐患编号".into(), 1.8),
                    ("隐患描述及整改前照片".into(), 3.2),
                    ("等级".into(), 1.1),
                    ("整改期限".into(), 1.2),
                    ("状态".into(), 0.9),
                    ("整改情况及整改后照片".into(), 3.0),
                ],
                rows,
            }));
        }
        (Some(_), _) => blocks.push(Block::Paragraph("本订单未发现隐患。".into())),
        (None, _) => blocks.push(Block::Paragraph("您没有查看隐患的权限。".into())),
    }
    blocks.push(Block::Heading("五、回访与满意度".into()));
    if r.ratings.is_empty() {
        blocks.push(Block::Paragraph("尚无评价或回访。".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![
                ("时间".into(), 1.6),
                ("方式".into(), 1.2),
                ("评分".into(), 2.4),
                ("意见或回访记录".into(), 4.0),
            ],
            rows: rating_rows(&r.ratings)
                .into_iter()
                .map(|row| row.into_iter().map(Cell::from).collect())
                .collect(),
        }));
    }
    blocks.push(Block::Heading("六、投诉".into()));
    match &r.complaints {
        Some(list) if list.is_empty() => blocks.push(Block::Paragraph("本订单未收到投诉。".into())),
        Some(list) => blocks.push(Block::Table(Table {
            columns: vec![
                ("投诉编号及日期".into(), 1.8),
                ("类别".into(), 1.1),
                ("投诉内容".into(), 3.2),
                ("状态及期限".into(), 1.8),
                ("处理结果".into(), 2.4),
            ],
            rows: complaint_rows(list)
                .into_iter()
                .map(|row| row.into_iter().map(Cell::from).collect())
                .collect(),
        })),
        None => blocks.push(Block::Paragraph("您没有查看投诉的权限。".into())),
    }
    blocks.push(Block::Space(12.0));
    blocks.push(Block::Columns(vec![
        vec![format!("服务机构(盖章):{}", o.agency_name)],
        vec![format!("报告日期:{}", r.today)],
    ]));
    let doc = Doc {
        title: "安责险事故预防服务报告".into(),
        number: r.number().to_string(),
        blocks,
    };
    (doc, set)
}

/// 五、回访与满意度 as table rows (the page and the PDF show the same cells).
pub fn rating_rows(ratings: &[anze_core::satisfaction::Rating]) -> Vec<Vec<String>> {
    ratings
        .iter()
        .map(|r| {
            let mut scores = format!("总体 {} 分({})", r.overall.value(), r.overall.label());
            for s in &r.items {
                scores.push_str(&format!("\n{} {} 分", s.item.label(), s.score.value()));
            }
            let who = match &r.call {
                Some(c) => format!("{}\n受访人 {}", r.source.label(), c.callee),
                None => r.source.label().to_string(),
            };
            vec![
                crate::view::dt(r.created_at),
                who,
                scores,
                r.comment.clone(),
            ]
        })
        .collect()
}

/// 六、投诉 as table rows.
pub fn complaint_rows(list: &[anze_core::complaint::service::Listed]) -> Vec<Vec<String>> {
    list.iter()
        .map(|l| {
            let c = &l.complaint;
            vec![
                format!("{}\n{}", c.complaint_no, c.filed_on),
                c.category.label().to_string(),
                c.description.clone(),
                format!(
                    "{}\n受理:{}\n办结:{}",
                    c.state.label(),
                    l.clocks.reply.status.label(),
                    l.clocks.settle.status.label()
                ),
                c.outcome.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// 一、保单与服务概况, as label and value.
pub fn overview(r: &OrderReport) -> Vec<(String, String)> {
    let (o, p, e) = (&r.order, &r.policy, &r.enterprise);
    vec![
        ("投保企业".into(), e.name.clone()),
        ("统一社会信用代码".into(), e.credit_code.clone()),
        ("行业".into(), e.industry_label.clone()),
        ("所属区划".into(), e.region_name.clone()),
        ("地址".into(), e.address.clone()),
        ("从业人数".into(), e.employee_count.to_string()),
        ("保单号".into(), p.policy_no.clone()),
        ("保险机构".into(), o.insurer_name.clone()),
        ("保险期间".into(), p.period()),
        ("事故预防费用".into(), p.prevention_amount().to_string()),
        ("服务机构".into(), o.agency_name.clone()),
        ("服务期限".into(), o.period()),
        ("订单状态".into(), o.state.label().into()),
        ("负责人员".into(), o.assignee_names()),
    ]
}

/// 整改情况 of a hazard: its latest 整改 and latest 复查, in the order they happened.
pub fn hazard_progress(h: &Hazard) -> String {
    let last = |kind| {
        h.steps
            .iter()
            .enumerate()
            .rev()
            .find(|(_, s)| s.kind == kind)
    };
    let mut steps: Vec<_> = [last(StepKind::Rectification), last(StepKind::Review)]
        .into_iter()
        .flatten()
        .collect();
    steps.sort_by_key(|(i, _)| *i);
    steps
        .into_iter()
        .map(|(_, s)| {
            let head = match (s.kind, s.passed) {
                (StepKind::Rectification, _) => format!("第 {} 轮整改({})", s.round, s.on),
                (StepKind::Review, Some(true)) => format!("复查通过({})", s.on),
                (StepKind::Review, _) => format!("第 {} 轮复查不通过({})", s.round, s.on),
            };
            if s.note.is_empty() {
                head
            } else {
                format!("{head}:{}", s.note)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// "发现隐患 3 项,已销号 1 项,未销号 2 项(逾期 1 项),重大隐患 1 项,整改率 33%。"
pub fn tally_line(t: &HazardTally) -> String {
    format!(
        "发现隐患 {} 项,已销号 {} 项,未销号 {} 项(其中逾期 {} 项),重大隐患 {} 项,整改率 {}。",
        t.found,
        t.closed,
        t.open,
        t.overdue,
        t.major,
        t.rate()
    )
}
