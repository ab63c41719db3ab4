//! `/api/v1`: JSON for insurers' and regulators' own systems, on the same core services as the
//! pages (same permissions, scope and validation). Calls carry `Authorization: Bearer anze_…`
//! (an API 令牌, `anze_core::api_token`); session cookies are never read here, so there is no
//! CSRF to check. Errors are RFC 9457 problem details with the pages' Chinese messages. Lists
//! page by an opaque cursor over the list's keyset, never by offset, so a client can walk any
//! number of rows.

use anze_core::auth::Actor;
use anze_core::ids::{ApiTokenId, OrderId, OrgId};
use anze_core::order::{self, OrderFilter, ServiceOrder};
use anze_core::page::{Keyset, PageRequest};
use anze_core::{CoreError, FieldErrors};
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;

/// Rows per list call unless the client asks for fewer or more (up to `MAX_LIMIT`).
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

/// An RFC 9457 problem: `application/problem+json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// Field by field, as the pages show them under their inputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField>,
    /// Seconds, for a 429's `Retry-After`.
    #[serde(skip)]
    retry_after: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ProblemField {
    field: &'static str,
    message: String,
}

impl Problem {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "未认证",
            "请在请求头 Authorization 中携带有效的 API 令牌(Bearer),令牌可能已过期或已吊销",
        )
    }

    fn invalid(errors: FieldErrors) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "参数有误",
            errors
                .0
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        );
        p.errors = errors
            .0
            .into_iter()
            .map(|e| ProblemField {
                field: e.field,
                message: e.message,
            })
            .collect();
        p
    }
}

impl From<CoreError> for Problem {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "不存在",
                "对象不存在,或不在本令牌的数据范围内",
            ),
            CoreError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "无权限",
                "本令牌没有执行此操作的权限",
            ),
            CoreError::Refused(m) => Problem::new(StatusCode::FORBIDDEN, "无权限", m),
            CoreError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "状态不允许", m),
            CoreError::Duplicate => Problem::new(StatusCode::CONFLICT, "重复", "与已有数据重复"),
            CoreError::Validation(errors) => Problem::invalid(errors),
            CoreError::Internal(m) => {
                tracing::error!(error = %m, "api call failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统错误",
                    "系统内部错误,请稍后重试",
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = json_response(status, &self, "application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        res
    }
}

fn json_response<T: Serialize>(
    status: StatusCode,
    body: &T,
    content_type: &'static str,
) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "api response not serializable");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn json<T: Serialize>(body: &T) -> Response {
    json_response(StatusCode::OK, body, "application/json")
}

/// The caller of an API route: the token's actor (`api_token::service::authenticate`).
#[derive(Clone)]
pub struct ApiCaller {
    pub actor: Actor,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        // Authenticated already by `idempotent`: the call is counted once.
        if let Some(caller) = parts.extensions.get::<ApiCaller>() {
            return Ok(caller.clone());
        }
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(Problem::unauthorized)?;
        let ip =
            crate::extract::context::client_ip_of(&parts.headers, &parts.extensions, &state.config);
        match anze_core::api_token::service::authenticate(
            state.store(),
            secret,
            &ip,
            state.clock.now(),
        )
        .await?
        {
            Some((actor, token)) => {
                if let Some(slot) = parts.extensions.get::<CallSlot>() {
                    slot.fill(token.id, token.org_id);
                }
                match state
                    .api_limits
                    .take(token.id.0, state.config.api_requests_per_minute)
                {
                    Ok(()) => Ok(ApiCaller { actor }),
                    Err(wait) => {
                        let mut p = Problem::new(
                            StatusCode::TOO_MANY_REQUESTS,
                            "调用过于频繁",
                            format!(
                                "本令牌每分钟最多调用 {} 次,请 {wait} 秒后重试",
                                state.config.api_requests_per_minute
                            ),
                        );
                        p.retry_after = Some(wait);
                        Err(p)
                    }
                }
            }
            None => Err(Problem::unauthorized()),
        }
    }
}

/// `Idempotency-Key` on a POST (防重复提交, as the pages' forms have it): the first call with a
/// key runs, and when it succeeds its answer is kept for a week; the same key to the same path
/// again, on any instance, is answered with that answer and `Idempotency-Replayed: true`
/// instead of acting twice. A call that failed frees its key for the corrected retry. A key
/// counts for the account behind the token and the path only.
pub async fn idempotent(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use anze_core::submission::{self, Claim, Replay, SubmissionKey};
    if req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(submission::HEADER).cloned() else {
        return next.run(req).await;
    };
    // Who calls comes first: without a valid token the answer is 401 whatever the key.
    let (mut parts, body) = req.into_parts();
    let caller = match ApiCaller::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    parts.extensions.insert(caller.clone());
    let Some(key) = raw.to_str().ok().and_then(SubmissionKey::parse) else {
        let mut errors = FieldErrors::new();
        errors.add(
            "Idempotency-Key",
            "Idempotency-Key 应为 16–64 位字母、数字、“-”或“_”",
        );
        return Problem::invalid(errors).into_response();
    };
    let path = parts.uri.path().to_string();
    let now = state.clock.now();
    let claim =
        match submission::service::claim(state.store(), &caller.actor, &path, &key, now).await {
            Ok(c) => c,
            Err(e) => return Problem::from(e).into_response(),
        };
    match claim {
        Claim::New(ticket) => {
            let res = next.run(axum::extract::Request::from_parts(parts, body)).await;
            if !res.status().is_success() {
                if let Err(e) = submission::service::release(state.store(), &ticket).await {
                    tracing::warn!(error = %e, path, "idempotency key not released");
                }
                return res;
            }
            let (head, body) = res.into_parts();
            let bytes = match axum::body::to_bytes(body, 4 * submission::REPLAY_MAX_BYTES).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, path, "API answer not readable");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            let location = head
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(&path)
                .to_string();
            let replay = Replay {
                status: head.status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            };
            if let Err(e) =
                submission::service::complete_call(state.store(), &ticket, &location, &replay, now)
                    .await
            {
                // Done and answered; a repeat is told the result is unknown, not run again.
                tracing::warn!(error = %e, path, "idempotency key not settled");
            }
            Response::from_parts(head, axum::body::Body::from(bytes))
        }
        Claim::Done {
            location,
            response: Some(replay),
        } => {
            tracing::info!(path, "repeated API call answered with the first answer");
            let status = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK);
            let mut res = (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                replay.body,
            )
                .into_response();
            res.headers_mut().insert(
                "idempotency-replayed",
                HeaderValue::from_static("true"),
            );
            if status == StatusCode::CREATED
                && let Ok(v) = HeaderValue::from_str(&location)
            {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Claim::Done { response: None, .. } => Problem::new(
            StatusCode::CONFLICT,
            "重复提交",
            "该 Idempotency-Key 已用于一次提交,其结果无法重放;请先查询结果,确认未生效后换用新的 Key 重试",
        )
        .into_response(),
        Claim::Pending { since } => Problem::new(
            StatusCode::CONFLICT,
            "重复提交",
            if now - since < submission::PENDING_GRACE {
                "使用该 Idempotency-Key 的请求正在处理中,请稍后重试同一请求以取得结果"
            } else {
                "使用该 Idempotency-Key 的请求结果未知(可能已生效);请先查询结果,确认未生效后换用新的 Key 重试"
            },
        )
        .into_response(),
    }
}

/// Where `ApiCaller` leaves the token it authenticated, so `log_calls` can record the call
/// once its answer is known.
#[derive(Clone, Default)]
struct CallSlot(std::sync::Arc<std::sync::Mutex<Option<(ApiTokenId, OrgId)>>>);

impl CallSlot {
    fn fill(&self, token: ApiTokenId, org: OrgId) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((token, org));
    }

    fn take(&self) -> Option<(ApiTokenId, OrgId)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// API 调用日志: every call a token made, with the status it was answered (refusals and
/// `429` included). Calls without a valid token are not attributable and are not kept.
pub async fn log_calls(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let slot = CallSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let ip = crate::extract::context::client_ip_of(req.headers(), req.extensions(), &state.config);
    let response = next.run(req).await;
    if let Some((token_id, org_id)) = slot.take() {
        let call = anze_core::api_token::ApiCall {
            at: state.clock.now(),
            token_id,
            org_id,
            method,
            route,
            path,
            status: response.status().as_u16(),
            ip,
        };
        // The answer stands even when the log cannot be written; the failure is logged.
        if let Err(e) = anze_core::api_token::service::record_call(state.store(), call).await {
            tracing::error!(error = %e, "API call not recorded");
        }
    }
    response
}

/// Each token's bucket of calls: `per_minute` at most, refilled evenly. Kept per instance (a
/// deployment of N instances lets a token make up to N times as many calls), and only for
/// tokens that authenticated, so made-up secrets cannot fill it.
#[derive(Default)]
pub struct RateLimits {
    buckets: std::sync::Mutex<std::collections::HashMap<i64, (f64, std::time::Instant)>>,
}

impl RateLimits {
    /// Takes one call from the token's bucket, or says how many seconds until one is there.
    fn take(&self, token: i64, per_minute: u32) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        let now = std::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (left, at) = buckets.entry(token).or_insert((capacity, now));
        *left = (*left + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *left >= 1.0 {
            *left -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *left) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// A list's query string: the filters of the page it mirrors, and the cursor.
fn query<T: for<'de> Deserialize<'de> + Default>(raw: Option<&str>) -> Result<T, Problem> {
    match raw {
        None | Some("") => Ok(T::default()),
        Some(q) if !crate::extract::form::urlencoded_is_utf8(q.as_bytes()) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "参数有误",
            crate::extract::form::NOT_UTF8,
        )),
        // A string with a NUL is still a string to the schema: refused as a value (422).
        Some(q) if crate::extract::form::urlencoded_has_nul(q.as_bytes()) => {
            let name = serde_html_form::from_str::<Vec<(String, String)>>(q)
                .ok()
                .and_then(|pairs| pairs.into_iter().find(|(_, v)| v.contains('\0')))
                .map(|(k, _)| k)
                .unwrap_or_default();
            Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "参数有误",
                format!(
                    "参数 {} 含有不可见的控制字符(NUL),请重新输入",
                    name.chars().take(40).collect::<String>()
                ),
            ))
        }
        Some(q) => serde_html_form::from_str(q).map_err(|_| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "参数有误",
                "查询参数格式不正确,请检查参数名与取值",
            )
        }),
    }
}

/// A list call's query: the filters of the page it mirrors, with `limit` and `cursor`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, bound = "F: Deserialize<'de> + Default")]
struct ListParams<F> {
    #[serde(flatten)]
    filter: F,
    #[serde(flatten)]
    paging: Paging,
}

/// The answer to a list call: the page's rows as `body` shows them, and the cursor after the
/// last one when the page is full.
fn list_response<T, B: Serialize>(
    items: Vec<T>,
    page: PageRequest,
    key: impl Fn(&T) -> Keyset,
    body: impl FnMut(T) -> B,
) -> Response {
    let next_cursor = items
        .last()
        .filter(|_| items.len() as u64 == page.size)
        .map(|last| encode_cursor(key(last)));
    json(&ListBody {
        items: items.into_iter().map(body).collect(),
        next_cursor,
    })
}

/// `limit` and `cursor` of a list call.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Paging {
    /// Absent: the default; present, even empty, it must be a number in range.
    limit: Option<String>,
    cursor: String,
}

/// How a list's rows are ordered, and so which cursors it takes.
#[derive(Clone, Copy)]
enum Order {
    /// Newest first by id (orders, hazards).
    ById,
    /// Newest service date first, then id (records).
    ByDate,
}
use Order::{ByDate, ById};

impl Paging {
    fn request(&self, order: Order) -> Result<PageRequest, Problem> {
        let mut errors = FieldErrors::new();
        let limit = match &self.limit {
            None => Some(DEFAULT_LIMIT),
            Some(raw) => errors
                .take(
                    "limit",
                    anze_core::field::count(raw, "limit", 1, MAX_LIMIT as i64),
                )
                .map(|n| n as u64),
        };
        let after = if self.cursor.is_empty() {
            None
        } else {
            match (decode_cursor(&self.cursor), order) {
                (Some(k @ Keyset::Id(_)), ById) | (Some(k @ Keyset::DateId(..)), ByDate) => Some(k),
                _ => {
                    errors.add("cursor", "cursor 无效:请使用上一页返回的 next_cursor");
                    None
                }
            }
        };
        let limit = errors.into_result(limit).map_err(Problem::from)?;
        Ok(PageRequest {
            page: 1,
            size: limit.unwrap_or(DEFAULT_LIMIT),
            after,
        })
    }
}

/// Opaque to clients: the keyset of the last row, in hex, so nobody is tempted to do sums on it.
fn encode_cursor(last: Keyset) -> String {
    let plain = match last {
        Keyset::Id(i) => format!("i:{i}"),
        Keyset::DateId(d, i) => format!("d:{d}:{i}"),
    };
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(raw: &str) -> Option<Keyset> {
    if !raw.len().is_multiple_of(2) || raw.len() > 120 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect();
    let plain = String::from_utf8(bytes?).ok()?;
    match plain.split(':').collect::<Vec<_>>().as_slice() {
        ["i", id] => id.parse().ok().map(Keyset::Id),
        ["d", date, id] => Some(Keyset::DateId(date.parse().ok()?, id.parse().ok()?)),
        _ => None,
    }
}

/// One page of a list.
#[derive(Serialize, utoipa::ToSchema)]
struct ListBody<T> {
    items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct OrgRef {
    id: i64,
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ProgressItem {
    item: &'static str,
    item_label: &'static str,
    planned: i64,
    done: i64,
    confirmed: i64,
}

/// 服务订单 as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
struct OrderBody {
    id: i64,
    order_no: String,
    state: &'static str,
    state_label: &'static str,
    policy_id: i64,
    policy_no: String,
    insurer: OrgRef,
    agency: OrgRef,
    enterprise: OrgRef,
    region_code: String,
    service_start: String,
    service_end: String,
    designated_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    decline_reason: Option<String>,
    progress: Vec<ProgressItem>,
}

impl From<ServiceOrder> for OrderBody {
    fn from(o: ServiceOrder) -> Self {
        Self {
            id: o.id.0,
            order_no: o.order_no,
            state: o.state.code(),
            state_label: o.state.label(),
            policy_id: o.policy_id.0,
            policy_no: o.policy_no,
            insurer: OrgRef {
                id: o.insurer_id.0,
                name: o.insurer_name,
            },
            agency: OrgRef {
                id: o.agency_id.0,
                name: o.agency_name,
            },
            enterprise: OrgRef {
                id: o.enterprise_id.0,
                name: o.enterprise_name,
            },
            region_code: o.region_code,
            service_start: o.service_start.to_string(),
            service_end: o.service_end.to_string(),
            designated_at: o.designated_at,
            accepted_at: o.accepted_at,
            completed_at: o.completed_at,
            decline_reason: o.decline_reason,
            progress: o
                .plan
                .iter()
                .map(|p| ProgressItem {
                    item: p.item.code(),
                    item_label: p.item.label(),
                    planned: p.planned,
                    done: p.done,
                    confirmed: p.confirmed,
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/orders`: the orders the token's organization sees, newest first; filters as on
/// the 服务订单 page (`state`, `from`, `to`, `insurer`, `agency`, `enterprise`, `order_no`,
/// `policy_no`, `region`).
#[utoipa::path(get, path = "/api/v1/orders", summary = "服务订单列表", tag = "订单", params(PageQuery, ("state" = Option<String>, Query, description = "pending, accepted, declined, cancelled, completed"), ("from" = Option<String>, Query, description = "指派日期起,YYYY-MM-DD"), ("to" = Option<String>, Query, description = "指派日期止"), ("insurer" = Option<String>, Query, description = "保险机构 id"), ("agency" = Option<String>, Query, description = "服务机构 id"), ("enterprise" = Option<String>, Query, description = "企业名称,部分"), ("order_no" = Option<String>, Query), ("policy_no" = Option<String>, Query), ("region" = Option<String>, Query, description = "区划代码,含其下级区划")), responses((status = 200, body = ListBody<OrderBody>),(status = 400, description = "查询参数格式不正确", body = Problem, content_type = "application/problem+json"),  (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn orders(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params: ListParams<OrderFilter> = query(raw.as_deref())?;
    let page = params.paging.request(ById)?;
    let listed = order::service::list(state.store(), &caller.actor, &params.filter, page).await?;
    Ok(list_response(
        listed.items,
        page,
        |o| Keyset::Id(o.id.0),
        OrderBody::from,
    ))
}

/// `GET /api/v1/orders/{id}`
#[utoipa::path(get, path = "/api/v1/orders/{id}", summary = "服务订单详情", tag = "订单", params(("id" = String, Path)), responses((status = 200, body = OrderBody), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn order(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = path_id::<OrderId>(&id)?;
    let o = order::service::get(state.store(), &caller.actor, id).await?;
    Ok(json(&OrderBody::from(o)))
}

/// A JSON request body as `T`; a body that is not JSON, or not of that shape, is a 400 that
/// says why.
fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "请求体有误",
            format!("请求体应为 JSON 对象,且字段名与类型符合接口说明:{e}"),
        )
    })
}

/// A typed id from the path; one that is not a number names nothing: 404.
fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, Problem> {
    raw.parse().map_err(|_| Problem::from(CoreError::NotFound))
}

/// `POST /api/v1/orders/{id}/accept`: 受理 (agency).
#[utoipa::path(post, path = "/api/v1/orders/{id}/accept", summary = "受理订单(服务机构)", tag = "订单", params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "16–64 位字母、数字、-、_;同一 Key 重发时返回首次成功的结果(响应头 Idempotency-Replayed: true),不会重复执行")), responses((status = 200, body = OrderBody), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 409, description = "状态不允许", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let o = order::service::accept(
        state.store(),
        &caller.actor,
        path_id::<OrderId>(&id)?,
        state.clock.now(),
    )
    .await?;
    Ok(json(&OrderBody::from(o)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DeclineBody {
    reason: String,
}

/// `POST /api/v1/orders/{id}/decline` with `{"reason": "…"}`: 拒绝 (agency).
#[utoipa::path(post, path = "/api/v1/orders/{id}/decline", summary = "拒绝订单(服务机构)", tag = "订单", params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "16–64 位字母、数字、-、_;同一 Key 重发时返回首次成功的结果(响应头 Idempotency-Replayed: true),不会重复执行")), request_body = DeclineBody, responses((status = 200, body = OrderBody), (status = 400, description = "请求体不是约定的 JSON", body = Problem, content_type = "application/problem+json"), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 409, description = "状态不允许", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, Problem> {
    let id = path_id::<OrderId>(&id)?;
    let b: DeclineBody = body(&bytes)?;
    let o = order::service::decline(
        state.store(),
        &caller.actor,
        id,
        &b.reason,
        state.clock.now(),
    )
    .await?;
    Ok(json(&OrderBody::from(o)))
}

/// `POST /api/v1/orders/{id}/cancel`: 撤销 while the agency has not answered (insurer).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", summary = "撤销订单(保险机构)", tag = "订单", params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "16–64 位字母、数字、-、_;同一 Key 重发时返回首次成功的结果(响应头 Idempotency-Replayed: true),不会重复执行")), responses((status = 200, body = OrderBody), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 409, description = "状态不允许", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let o = order::service::cancel(
        state.store(),
        &caller.actor,
        path_id::<OrderId>(&id)?,
        state.clock.now(),
    )
    .await?;
    Ok(json(&OrderBody::from(o)))
}

/// 指定服务机构: the agency, the service period and the plan (service item code → count).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DesignateBody {
    /// 服务机构 id.
    #[schema(value_type = i64)]
    agency_id: serde_json::Number,
    /// YYYY-MM-DD
    service_start: String,
    /// YYYY-MM-DD
    service_end: String,
    #[serde(default)]
    note: String,
    /// Service item code → count.
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeMap<String, i64>)]
    plan: std::collections::BTreeMap<String, serde_json::Number>,
}

/// A JSON number that is a whole number, as JSON Schema's `integer` allows it (`7` or `7.0`).
fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// `POST /api/v1/policies/{id}/orders`: designates an agency for the policy, which creates
/// the order (insurer); 201 with the order.
#[utoipa::path(post, path = "/api/v1/policies/{id}/orders", summary = "指定服务机构,生成订单(保险机构)", tag = "保单", params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "16–64 位字母、数字、-、_;同一 Key 重发时返回首次成功的结果(响应头 Idempotency-Replayed: true),不会重复执行")), request_body = DesignateBody, responses((status = 201, body = OrderBody), (status = 400, description = "请求体不是约定的 JSON", body = Problem, content_type = "application/problem+json"), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 409, description = "状态不允许", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn designate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, Problem> {
    use anze_core::service_item::ServiceItem;
    let policy = path_id::<anze_core::ids::PolicyId>(&id)?;
    let b: DesignateBody = body(&bytes)?;
    let mut errors = FieldErrors::new();
    for (code, n) in &b.plan {
        if ServiceItem::from_code(code).is_none() {
            errors.add("plan", format!("服务项目“{code}”不存在"));
        } else if whole(n).is_none() {
            errors.add("plan", format!("服务项目“{code}”的次数应为整数"));
        }
    }
    let Some(agency_id) = whole(&b.agency_id) else {
        errors.add("agency_id", "服务机构 id 应为整数");
        return Err(Problem::invalid(errors));
    };
    errors.into_result(()).map_err(Problem::from)?;
    let count = |item: ServiceItem| {
        b.plan
            .get(item.code())
            .and_then(whole)
            .unwrap_or(0)
            .to_string()
    };
    let form = order::DesignateForm {
        agency_id: agency_id.to_string(),
        service_start: b.service_start,
        service_end: b.service_end,
        note: b.note,
        plan_training: count(ServiceItem::Training),
        plan_risk: count(ServiceItem::RiskIdentification),
        plan_hazard: count(ServiceItem::HazardInvestigation),
        plan_standardization: count(ServiceItem::Standardization),
        plan_emergency: count(ServiceItem::Emergency),
        plan_promotion: count(ServiceItem::Promotion),
        plan_other: count(ServiceItem::OtherWork),
    };
    let now = state.clock.now();
    let id = order::service::designate(state.store(), &caller.actor, policy, &form, now).await?;
    let o = order::service::get(state.store(), &caller.actor, id).await?;
    let mut res = json_response(StatusCode::CREATED, &OrderBody::from(o), "application/json");
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/orders/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// 服务记录 as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
struct RecordBody {
    id: i64,
    item: &'static str,
    item_label: &'static str,
    order_id: i64,
    order_no: String,
    insurer: OrgRef,
    agency: OrgRef,
    enterprise: OrgRef,
    region_code: String,
    service_date: String,
    location: String,
    staff: Vec<String>,
    enterprise_contact: String,
    summary: String,
    confirmation: &'static str,
    confirmation_label: &'static str,
    confirmed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<anze_core::record::ServiceRecord> for RecordBody {
    fn from(r: anze_core::record::ServiceRecord) -> Self {
        Self {
            id: r.id.0,
            item: r.item.code(),
            item_label: r.item.label(),
            order_id: r.order_id.0,
            order_no: r.order_no,
            insurer: OrgRef {
                id: r.insurer_id.0,
                name: r.insurer_name,
            },
            agency: OrgRef {
                id: r.agency_id.0,
                name: r.agency_name,
            },
            enterprise: OrgRef {
                id: r.enterprise_id.0,
                name: r.enterprise_name,
            },
            region_code: r.region_code,
            service_date: r.service_date.to_string(),
            location: r.location,
            staff: r.staff.into_iter().map(|s| s.name).collect(),
            enterprise_contact: r.enterprise_contact,
            summary: r.summary,
            confirmation: r.confirmation.state.code(),
            confirmation_label: r.confirmation.state.label(),
            confirmed_at: r.confirmation.at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `GET /api/v1/records?item=training`: one service item's records the token sees, newest
/// service date first; filters as on the item's list page (`from`, `to`, `enterprise`,
/// `insurer`, `agency`, `staff`, `q`, `confirmation`, `region`).
#[utoipa::path(get, path = "/api/v1/records", summary = "服务记录列表", tag = "服务记录", params(PageQuery, ("item" = String, Query, description = "training, risk, hazard, standardization, emergency, promotion, other"), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("enterprise" = Option<String>, Query), ("insurer" = Option<String>, Query), ("agency" = Option<String>, Query), ("staff" = Option<String>, Query), ("q" = Option<String>, Query), ("confirmation" = Option<String>, Query), ("region" = Option<String>, Query, description = "区划代码,含其下级区划")), responses((status = 200, body = ListBody<RecordBody>),(status = 400, description = "查询参数格式不正确", body = Problem, content_type = "application/problem+json"),  (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn records(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params: ListParams<anze_core::record::RecordFilter> = query(raw.as_deref())?;
    let page = params.paging.request(ByDate)?;
    let Some(item) = anze_core::service_item::ServiceItem::from_code(&params.filter.item) else {
        let mut errors = FieldErrors::new();
        errors.add(
            "item",
            "请用 item 指定服务项目:training、risk、hazard、standardization、emergency、promotion、other",
        );
        return Err(Problem::invalid(errors));
    };
    let listed =
        anze_core::record::service::list(state.store(), &caller.actor, item, &params.filter, page)
            .await?;
    Ok(list_response(
        listed.items,
        page,
        |r| Keyset::DateId(r.service_date, r.id.0),
        RecordBody::from,
    ))
}

/// 隐患 as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
struct HazardBody {
    id: i64,
    hazard_no: String,
    inspection_id: i64,
    order_id: i64,
    order_no: String,
    insurer: OrgRef,
    agency: OrgRef,
    enterprise: OrgRef,
    region_code: String,
    found_on: String,
    description: String,
    location: String,
    category: String,
    category_label: String,
    level: &'static str,
    level_label: &'static str,
    basis: String,
    suggestion: String,
    deadline: String,
    responsible: String,
    state: &'static str,
    state_label: &'static str,
    /// 逾期: past the deadline and not closed, as of the call.
    overdue: bool,
    round: i32,
    closed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl HazardBody {
    fn of(h: anze_core::hazard::Hazard, today: chrono::NaiveDate) -> Self {
        Self {
            overdue: h.overdue(today),
            category_label: h.category_label().to_string(),
            id: h.id.0,
            hazard_no: h.hazard_no,
            inspection_id: h.inspection_id.0,
            order_id: h.order_id.0,
            order_no: h.order_no,
            insurer: OrgRef {
                id: h.insurer_id.0,
                name: h.insurer_name,
            },
            agency: OrgRef {
                id: h.agency_id.0,
                name: h.agency_name,
            },
            enterprise: OrgRef {
                id: h.enterprise_id.0,
                name: h.enterprise_name,
            },
            region_code: h.region_code,
            found_on: h.found_on.to_string(),
            description: h.description,
            location: h.location,
            category: h.category,
            level: h.level.code(),
            level_label: h.level.label(),
            basis: h.basis,
            suggestion: h.suggestion,
            deadline: h.deadline.to_string(),
            responsible: h.responsible,
            state: h.state.code(),
            state_label: h.state.label(),
            round: h.round,
            closed_at: h.closed_at,
            created_at: h.created_at,
        }
    }
}

/// `GET /api/v1/hazards`: the hazards the token sees, newest first; filters as on the 隐患台账
/// (`state`, `level`, `overdue=1`, `enterprise`, `insurer`, `agency`, `region`, `found_from`,
/// `found_to`, `deadline_from`, `deadline_to`, `q`).
#[utoipa::path(get, path = "/api/v1/hazards", summary = "隐患列表", tag = "隐患", params(PageQuery, ("state" = Option<String>, Query, description = "rectify, review, closed"), ("level" = Option<String>, Query, description = "general, major"), ("overdue" = Option<String>, Query, description = "1: 只看逾期"), ("enterprise" = Option<String>, Query), ("insurer" = Option<String>, Query), ("agency" = Option<String>, Query), ("region" = Option<String>, Query, description = "区划代码,含其下级区划"), ("found_from" = Option<String>, Query), ("found_to" = Option<String>, Query), ("deadline_from" = Option<String>, Query), ("deadline_to" = Option<String>, Query), ("q" = Option<String>, Query)), responses((status = 200, body = ListBody<HazardBody>),(status = 400, description = "查询参数格式不正确", body = Problem, content_type = "application/problem+json"),  (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn hazards(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params: ListParams<anze_core::hazard::HazardFilter> = query(raw.as_deref())?;
    let page = params.paging.request(ById)?;
    let now = state.clock.now();
    let listed =
        anze_core::hazard::service::walk(state.store(), &caller.actor, &params.filter, page, now)
            .await?;
    let today = anze_core::time::today(now);
    Ok(list_response(
        listed.items,
        page,
        |h| Keyset::Id(h.id.0),
        |h| HazardBody::of(h, today),
    ))
}

/// 保单 as the API shows it; amounts as strings with two decimals.
#[derive(Serialize, utoipa::ToSchema)]
struct PolicyBody {
    id: i64,
    policy_no: String,
    insurer: OrgRef,
    enterprise: OrgRef,
    enterprise_credit_code: String,
    region_code: String,
    start_date: String,
    end_date: String,
    premium: String,
    total_limit: String,
    per_person_limit: String,
    insured_count: i64,
    /// Percent, two decimals: `"15.00"`.
    prevention_ratio: String,
    /// 事故预防费用
    prevention_amount: String,
    created_at: DateTime<Utc>,
}

impl From<anze_core::policy::Policy> for PolicyBody {
    fn from(p: anze_core::policy::Policy) -> Self {
        Self {
            prevention_amount: p.prevention_amount().plain(),
            id: p.id.0,
            policy_no: p.policy_no,
            insurer: OrgRef {
                id: p.insurer_id.0,
                name: p.insurer_name,
            },
            enterprise: OrgRef {
                id: p.enterprise_id.0,
                name: p.enterprise_name,
            },
            enterprise_credit_code: p.enterprise_credit_code,
            region_code: p.region_code,
            start_date: p.start_date.to_string(),
            end_date: p.end_date.to_string(),
            premium: p.premium.plain(),
            total_limit: p.total_limit.plain(),
            per_person_limit: p.per_person_limit.plain(),
            insured_count: p.insured_count,
            prevention_ratio: p.prevention_ratio.plain(),
            created_at: p.created_at,
        }
    }
}

/// `GET /api/v1/policies`: the policies the token sees, newest first; filters as on the 保单列表
/// (`q`, `status`, `from`, `to`, `insurer`).
#[utoipa::path(get, path = "/api/v1/policies", summary = "保单列表", tag = "保单", params(PageQuery, ("q" = Option<String>, Query, description = "保单号或企业名称"), ("status" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("insurer" = Option<String>, Query)), responses((status = 200, body = ListBody<PolicyBody>),(status = 400, description = "查询参数格式不正确", body = Problem, content_type = "application/problem+json"),  (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn policies(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params: ListParams<anze_core::policy::PolicyFilter> = query(raw.as_deref())?;
    let page = params.paging.request(ById)?;
    let listed = anze_core::policy::service::list(
        state.store(),
        &caller.actor,
        &params.filter,
        page,
        state.clock.now(),
    )
    .await?;
    Ok(list_response(
        listed.items,
        page,
        |p| Keyset::Id(p.id.0),
        PolicyBody::from,
    ))
}

/// `GET /api/v1/policies/{id}`
#[utoipa::path(get, path = "/api/v1/policies/{id}", summary = "保单详情", tag = "保单", params(("id" = String, Path)), responses((status = 200, body = PolicyBody), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn policy(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = path_id::<anze_core::ids::PolicyId>(&id)?;
    let p = anze_core::policy::service::get(state.store(), &caller.actor, id).await?;
    Ok(json(&PolicyBody::from(p)))
}

/// A batch of policies: each item has the import template's columns by their API names
/// (`policy_no`, `credit_code`, `premium`, …), as strings or numbers.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PolicyBatch {
    /// Each item: the import template's columns by their API names, strings or numbers.
    #[schema(value_type = Vec<Object>)]
    policies: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct BatchItemError {
    /// Index in `policies`, from 0; `null` when the batch as a whole is wrong.
    item: Option<usize>,
    field: &'static str,
    message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct BatchProblem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    errors: Vec<BatchItemError>,
}

/// `POST /api/v1/policies/batch`: registers policies (and the enterprises not yet registered)
/// by the Excel import's rules: every item or none, errors by item and field.
#[utoipa::path(post, path = "/api/v1/policies/batch", summary = "批量登记保单(保险机构)", tag = "保单", params(("Idempotency-Key" = Option<String>, Header, description = "16–64 位字母、数字、-、_;同一 Key 重发时返回首次成功的结果(响应头 Idempotency-Replayed: true),不会重复执行")), request_body = PolicyBatch, responses((status = 201, description = "{\"policies\": n, \"new_enterprises\": m}"), (status = 400, description = "请求体不是约定的 JSON", body = Problem, content_type = "application/problem+json"), (status = 422, description = "逐项错误,未登记任何保单", body = BatchProblem, content_type = "application/problem+json"), (status = 409, description = "同一 Idempotency-Key 的请求正在处理或结果未知", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 422, description = "参数有误", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn policy_batch(
    State(state): State<AppState>,
    caller: ApiCaller,
    bytes: axum::body::Bytes,
) -> Result<Response, Problem> {
    use anze_core::policy::import::{self, Column};
    let batch: PolicyBatch = body(&bytes)?;
    let mut errors = Vec::new();
    let mut rows = vec![
        Column::ALL
            .iter()
            .map(|c| c.header().to_string())
            .collect::<Vec<_>>(),
    ];
    for (i, item) in batch.policies.iter().enumerate() {
        for key in item.keys() {
            if !Column::ALL.iter().any(|c| c.field() == key) {
                errors.push(BatchItemError {
                    item: Some(i),
                    field: "policies",
                    message: format!("字段“{key}”不存在"),
                });
            }
        }
        rows.push(
            Column::ALL
                .iter()
                .map(|c| match item.get(c.field()) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect(),
        );
    }
    let outcome = if errors.is_empty() {
        import::import(state.store(), &caller.actor, rows, state.clock.now()).await?
    } else {
        Err(Vec::new())
    };
    match outcome {
        Ok(summary) => Ok(json_response(
            StatusCode::CREATED,
            &serde_json::json!({
                "policies": summary.policies,
                "new_enterprises": summary.new_enterprises,
            }),
            "application/json",
        )),
        Err(row_errors) => {
            errors.extend(row_errors.into_iter().map(|e| BatchItemError {
                // Row 1 is the header the batch was turned into.
                item: e.row.map(|r| r.saturating_sub(2)),
                field: Column::of_header(&e.column).map_or("policies", Column::field),
                message: e.message,
            }));
            Ok(json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &BatchProblem {
                    kind: "about:blank",
                    title: "保单有误",
                    status: 422,
                    detail: format!("{} 处错误,本次未登记任何保单", errors.len()),
                    errors,
                },
                "application/problem+json",
            ))
        }
    }
}

/// 附件 as the API lists it; `url` downloads it with the same token.
#[derive(Serialize, utoipa::ToSchema)]
struct AttachmentBody {
    id: i64,
    /// The form field it was uploaded through (`photos`, `sign_sheet`, …).
    field: String,
    name: String,
    content_type: &'static str,
    size: u64,
    /// Hex SHA-256 of the content as uploaded.
    sha256: String,
    captured_at: Option<DateTime<Utc>>,
    uploaded_at: DateTime<Utc>,
    url: String,
}

impl From<anze_core::attachment::Attachment> for AttachmentBody {
    fn from(a: anze_core::attachment::Attachment) -> Self {
        Self {
            url: format!("/api/v1/attachments/{}", a.id),
            id: a.id.0,
            field: a.field,
            name: a.original_name,
            content_type: a.kind.mime(),
            size: a.size,
            sha256: a.sha256,
            captured_at: a.captured_at,
            uploaded_at: a.uploaded_at,
        }
    }
}

/// One record with its files.
#[derive(Serialize, utoipa::ToSchema)]
struct RecordDetail {
    #[serde(flatten)]
    record: RecordBody,
    attachments: Vec<AttachmentBody>,
}

/// `GET /api/v1/records/{id}`: a record with the list of its files.
#[utoipa::path(get, path = "/api/v1/records/{id}", summary = "服务记录详情(含附件)", tag = "服务记录", params(("id" = String, Path)), responses((status = 200, body = RecordDetail), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn record(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = path_id::<anze_core::ids::RecordId>(&id)?;
    let (record, _) = anze_core::record::service::get(state.store(), &caller.actor, id).await?;
    let files = anze_core::record::service::attachments(state.store(), &record).await?;
    Ok(json(&RecordDetail {
        record: RecordBody::from(record),
        attachments: files.into_iter().map(AttachmentBody::from).collect(),
    }))
}

/// One 整改 or 复查 step of a hazard.
#[derive(Serialize, utoipa::ToSchema)]
struct HazardStepBody {
    round: i32,
    /// `rectify` or `review`
    kind: &'static str,
    kind_label: &'static str,
    on: String,
    note: String,
    /// 复查结论 (reviews only)
    passed: Option<bool>,
    /// 复查人 (reviews only)
    reviewer: Option<String>,
    /// 整改 steps: `enterprise` or `agency` (recorded on the enterprise's behalf)
    party: Option<&'static str>,
    by_name: String,
    at: DateTime<Utc>,
}

/// One hazard with its 整改 and 复查 steps and its photos and files.
#[derive(Serialize, utoipa::ToSchema)]
struct HazardDetail {
    #[serde(flatten)]
    hazard: HazardBody,
    steps: Vec<HazardStepBody>,
    attachments: Vec<AttachmentBody>,
}

/// `GET /api/v1/hazards/{id}`: a hazard, the steps it went through, and its files (整改前、整改后
/// photos, plans), each fetched through `GET /api/v1/attachments/{id}`.
#[utoipa::path(get, path = "/api/v1/hazards/{id}", summary = "隐患详情(含整改复查与附件)", description = "需要 隐患排查·查看 与 服务订单·查看 权限(隐患在其订单中读取)", tag = "隐患", params(("id" = String, Path)), responses((status = 200, body = HazardDetail), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn hazard(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = path_id::<anze_core::ids::HazardId>(&id)?;
    let (hazard, _) = anze_core::hazard::service::get(state.store(), &caller.actor, id).await?;
    let files = anze_core::hazard::service::attachments(state.store(), &hazard).await?;
    let steps = hazard
        .steps
        .iter()
        .map(|s| HazardStepBody {
            round: s.round,
            kind: s.kind.code(),
            kind_label: s.kind.label(),
            on: s.on.to_string(),
            note: s.note.clone(),
            passed: s.passed,
            reviewer: s.reviewer.clone(),
            party: s.party.map(|p| p.code()),
            by_name: s.by_name.clone(),
            at: s.at,
        })
        .collect();
    Ok(json(&HazardDetail {
        hazard: HazardBody::of(hazard, anze_core::time::today(state.clock.now())),
        steps,
        attachments: files.into_iter().map(AttachmentBody::from).collect(),
    }))
}

/// `GET /api/v1/attachments/{id}`: the file as uploaded (the original, EXIF intact).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", summary = "下载附件原件", tag = "服务记录", params(("id" = String, Path)), responses((status = 200, description = "文件内容,Content-Type 为其类型"), (status = 304, description = "未变化(If-None-Match)"), (status = 404, description = "不存在或不在数据范围内", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未认证", body = Problem, content_type = "application/problem+json"), (status = 403, description = "无权限", body = Problem, content_type = "application/problem+json"), (status = 429, description = "调用过于频繁", body = Problem, content_type = "application/problem+json")), security(("token" = [])))]
pub async fn attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Problem> {
    let id = path_id::<anze_core::ids::AttachmentId>(&id)?;
    let a = anze_core::attachment::service::download(state.store(), &caller.actor, id).await?;
    crate::pages::attachments::serve(&state, &a, &headers)
        .await
        .map_err(|e| match e {
            crate::error::PageError::NotFound => Problem::from(CoreError::NotFound),
            other => Problem::from(CoreError::Internal(format!("{other:?}"))),
        })
}

/// `limit` and `cursor` as the document describes them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

/// The document of `/api/v1`, generated from the handlers and types above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "anze 安责险事故预防服务平台 API", version = "1"),
    paths(
        orders,
        order,
        accept,
        decline,
        cancel,
        designate,
        records,
        record,
        attachment,
        hazards,
        hazard,
        policies,
        policy,
        policy_batch
    ),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API 令牌(页面“API 令牌”或 anze api-token create 创建)",
                    ))
                    .build(),
            ),
        );
    }
}

/// `GET /api/v1/openapi.json`: public, like any API's description; it holds no data.
pub async fn openapi() -> Response {
    use utoipa::OpenApi;
    json(&ApiDoc::openapi())
}

/// One operation of the documentation page.
struct DocOperation {
    anchor: String,
    method: String,
    path: String,
    tag: String,
    summary: String,
    params: Vec<DocParam>,
    body: Option<String>,
    responses: Vec<DocResponse>,
}

struct DocParam {
    name: String,
    location: String,
    required: bool,
    description: String,
}

struct DocResponse {
    status: String,
    description: String,
    schema: Option<String>,
}

struct DocSchema {
    name: String,
    description: String,
    fields: Vec<DocField>,
}

struct DocField {
    name: String,
    kind: String,
    description: String,
}

#[derive(askama::Template)]
#[template(path = "api/docs.html")]
struct DocsPage {
    title: String,
    version: String,
    operations: Vec<DocOperation>,
    schemas: Vec<DocSchema>,
}

/// The name a `$ref` (or an array of them) points to.
fn schema_name(schema: &serde_json::Value) -> Option<String> {
    let r = schema
        .get("$ref")
        .or_else(|| schema.get("items").and_then(|i| i.get("$ref")))?;
    r.as_str()?.rsplit('/').next().map(str::to_string)
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_string()
}

/// A field's type as the page shows it: `string`, `integer`, `OrgRef`, `array of RecordBody`.
fn kind_of(schema: &serde_json::Value) -> String {
    if let Some(name) = schema.get("$ref").and_then(|_| schema_name(schema)) {
        return name;
    }
    let kind = match schema.get("type") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(serde_json::Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" | "),
        _ => schema
            .get("oneOf")
            .and_then(|o| o.as_array())
            .map(|o| o.iter().map(kind_of).collect::<Vec<_>>().join(" | "))
            .unwrap_or_else(|| "any".into()),
    };
    match schema.get("items") {
        Some(items) => format!("{kind} of {}", kind_of(items)),
        None => kind,
    }
}

/// `GET /api/docs`: the document as a page, served from the binary with no outside request.
pub async fn docs() -> Response {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut operations = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let params = op
                    .get("parameters")
                    .and_then(|p| p.as_array())
                    .into_iter()
                    .flatten()
                    .map(|p| DocParam {
                        name: text(p, "name"),
                        location: text(p, "in"),
                        required: p.get("required").and_then(|r| r.as_bool()).unwrap_or(false),
                        description: text(p, "description"),
                    })
                    .collect();
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .and_then(schema_name);
                let responses = op
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| DocResponse {
                        status: status.clone(),
                        description: text(r, "description"),
                        schema: r
                            .get("content")
                            .and_then(|c| c.as_object())
                            .and_then(|c| c.values().next())
                            .and_then(|c| c.get("schema"))
                            .and_then(schema_name),
                    })
                    .collect();
                operations.push(DocOperation {
                    anchor: format!("{method}-{path}").replace(['/', '{', '}'], "-"),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    tag: op
                        .get("tags")
                        .and_then(|t| t.get(0))
                        .and_then(|t| t.as_str())
                        .unwrap_or("")
                        .to_string(),
                    summary: text(op, "summary"),
                    params,
                    body,
                    responses,
                });
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(|s| s.as_object())
        .into_iter()
        .flatten()
        .map(|(name, schema)| DocSchema {
            name: name.clone(),
            description: text(schema, "description"),
            fields: schema
                .get("properties")
                .and_then(|p| p.as_object())
                .into_iter()
                .flatten()
                .map(|(field, f)| DocField {
                    name: field.clone(),
                    kind: kind_of(f),
                    description: text(f, "description"),
                })
                .collect(),
        })
        .collect();
    let page = DocsPage {
        title: text(doc.get("info").unwrap_or(&serde_json::Value::Null), "title"),
        version: text(
            doc.get("info").unwrap_or(&serde_json::Value::Null),
            "version",
        ),
        operations,
        schemas,
    };
    match askama::Template::render(&page) {
        Ok(html) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "api docs page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Any other path under `/api/`.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "不存在", "没有这个接口")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_calls_per_minute_then_waits() {
        let limits = RateLimits::default();
        for _ in 0..3 {
            assert_eq!(limits.take(1, 3), Ok(()));
        }
        // One call comes back every 20 s at 3 a minute.
        assert!(matches!(limits.take(1, 3), Err(s) if (19..=20).contains(&s)));
        assert_eq!(limits.take(2, 3), Ok(()), "each token has its own bucket");
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        for k in [
            Keyset::Id(42),
            Keyset::DateId(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), 7),
        ] {
            assert_eq!(decode_cursor(&encode_cursor(k)), Some(k));
        }
        for bad in ["", "zz", "abc", "69", "693a78", &"0".repeat(200)] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
