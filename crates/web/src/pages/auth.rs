use anze_core::account::service::{self as accounts, ChangePasswordForm};
use anze_core::auth::login::{self, LoginAttempt, safe_next};
use anze_core::auth::session;
use anze_core::enterprise::RegistrationForm;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::context::{PRE_CSRF_COOKIE, RequestContext, SESSION_COOKIE, random_token};
use crate::extract::{Ctx, FormData, QueryData};
use crate::view::{Flash, Shell, redirect_with, render, render_status};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    csrf: String,
    username: String,
    next: String,
    error: Option<String>,
    flash: Option<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
}

fn cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The login page carries a double-submit CSRF token, since there is no session yet.
fn render_login(
    state: &AppState,
    rc: &RequestContext,
    username: String,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult<Response> {
    let csrf = rc.pre_csrf.clone().unwrap_or_else(random_token);
    let page = LoginPage {
        csrf: csrf.clone(),
        username,
        next,
        error,
        flash: rc.flash.map(Flash::message),
    };
    let mut res = render_status(&page, status)?;
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(state, PRE_CSRF_COOKIE, &csrf, Some(3600)),
    );
    Ok(res)
}

pub async fn login_page(
    State(state): State<AppState>,
    Extension(rc): Extension<RequestContext>,
    QueryData(q): QueryData<LoginQuery>,
) -> PageResult<Response> {
    let next = safe_next(&q.next).to_string();
    if rc.auth.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    render_login(&state, &rc, String::new(), next, None, StatusCode::OK)
}

/// Password checks running at once. Each argon2id check holds 19 MiB and a core for about
/// 50 ms; more of them at once than half the cores only adds memory (the bench measured 4
/// concurrent logins raising the server's RSS by 60 MiB) and stalls other pages, so the rest
/// wait their turn.
static PASSWORD_CHECKS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new((cores / 2).max(1))
    });

async fn password_check_turn() -> PageResult<tokio::sync::SemaphorePermit<'static>> {
    PASSWORD_CHECKS
        .acquire()
        .await
        .map_err(|e| PageError::Internal(format!("password check queue: {e}")))
}

pub async fn login(
    State(state): State<AppState>,
    Extension(rc): Extension<RequestContext>,
    FormData(form): FormData<LoginForm>,
) -> PageResult<Response> {
    let now = state.clock.now();
    let turn = password_check_turn().await?;
    let outcome = login::authenticate(
        state.store(),
        LoginAttempt {
            username: &form.username,
            password: &form.password,
            ip: &rc.ip,
            user_agent: &rc.user_agent,
            now,
        },
    )
    .await?;
    drop(turn);
    let account = match outcome {
        Ok(account) => account,
        Err(failure) => {
            use crate::metrics::{LoginFailureReason as R, login_failed};
            match failure {
                login::LoginFailure::InvalidCredentials { .. } => {
                    login_failed(R::InvalidCredentials, false)
                }
                login::LoginFailure::Locked { started, .. } => login_failed(
                    if started {
                        R::InvalidCredentials
                    } else {
                        R::Locked
                    },
                    started,
                ),
                login::LoginFailure::AccountDisabled | login::LoginFailure::OrgDisabled => {
                    login_failed(R::Disabled, false)
                }
            }
            let status = if failure.is_throttled() {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            return render_login(
                &state,
                &rc,
                form.username.chars().take(64).collect(),
                safe_next(&form.next).to_string(),
                Some(failure.message()),
                status,
            );
        }
    };
    let token = session::start(
        state.store(),
        account.id,
        rc.auth.as_ref().map(|a| a.session.token_hash.as_str()),
        &rc.ip,
        &rc.user_agent,
        now,
    )
    .await?;
    let mut res = Redirect::to(safe_next(&form.next)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, SESSION_COOKIE, &token, None),
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, PRE_CSRF_COOKIE, "", Some(0)),
    );
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(rc): Extension<RequestContext>,
) -> PageResult<Response> {
    if let Some(auth) = &rc.auth {
        session::end(state.store(), &auth.session.token_hash).await?;
    }
    let mut res = redirect_with("/login", Flash::LoggedOut);
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, SESSION_COOKIE, "", Some(0)),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    shell: Shell,
    errors: FieldErrors,
}

pub async fn password_page(ctx: Ctx) -> PageResult<Response> {
    render(&PasswordPage {
        shell: ctx.shell(""),
        errors: FieldErrors::new(),
    })
}

/// 修改密码: every session of the account ends, this one included, so the user logs in again.
pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ChangePasswordForm>,
) -> PageResult<Response> {
    let turn = password_check_turn().await?;
    let changed = accounts::change_own_password(state.store(), &ctx.actor, &form, ctx.now).await;
    drop(turn);
    match changed {
        Ok(()) => {
            let mut res = redirect_with("/login", Flash::PasswordChanged);
            res.headers_mut().append(
                header::SET_COOKIE,
                cookie(&state, SESSION_COOKIE, "", Some(0)),
            );
            Ok(res)
        }
        Err(CoreError::Validation(errors)) => render_status(
            &PasswordPage {
                shell: ctx.shell(""),
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(PageError::from(e)),
    }
}

#[derive(Template)]
#[template(path = "auth/register.html")]
struct RegisterPage {
    csrf: String,
    form: RegistrationForm,
    errors: FieldErrors,
}

fn render_register(
    state: &AppState,
    rc: &RequestContext,
    form: RegistrationForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let csrf = rc.pre_csrf.clone().unwrap_or_else(random_token);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render_status(
        &RegisterPage {
            csrf: csrf.clone(),
            form: RegistrationForm {
                password: String::new(),
                confirm_password: String::new(),
                ..form
            },
            errors,
        },
        status,
    )?;
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(state, PRE_CSRF_COOKIE, &csrf, Some(3600)),
    );
    Ok(res)
}

/// 投保企业注册 (before login).
pub async fn register_page(
    State(state): State<AppState>,
    Extension(rc): Extension<RequestContext>,
) -> PageResult<Response> {
    if rc.auth.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render_register(&state, &rc, RegistrationForm::default(), FieldErrors::new())
}

pub async fn register(
    State(state): State<AppState>,
    Extension(rc): Extension<RequestContext>,
    FormData(form): FormData<RegistrationForm>,
) -> PageResult<Response> {
    let turn = password_check_turn().await?;
    let outcome =
        anze_core::enterprise::service::register(state.store(), &form, &rc.ip, state.clock.now())
            .await;
    drop(turn);
    match outcome {
        Ok(_) => Ok(redirect_with("/login", Flash::Registered)),
        Err(CoreError::Validation(errors)) => render_register(&state, &rc, form, errors),
        Err(e) => {
            let mut errors = FieldErrors::new();
            match e {
                CoreError::Conflict(message) => errors.add("", message),
                e => return Err(e.into()),
            }
            render_register(&state, &rc, form, errors)
        }
    }
}
