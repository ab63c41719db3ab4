use serde::Serialize;

/// One field's validation failure; `field` is the form field name, `message` is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Every failure of a form, collected so the user sees them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for a field, for rendering under that field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(value)` when nothing failed, otherwise the collected errors.
    pub fn into_result<T>(self, value: T) -> CoreResult<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(CoreError::Validation(self))
        }
    }

    /// A list filter's date (`YYYY-MM-DD`): none when left empty, the parse error on the field
    /// otherwise.
    pub fn optional_date(&mut self, field: &'static str, raw: &str) -> Option<chrono::NaiveDate> {
        if raw.trim().is_empty() {
            None
        } else {
            self.take(field, crate::time::parse_date(raw))
        }
    }

    /// Records the error of one parse and returns its value when it succeeded.
    pub fn take<T>(&mut self, field: &'static str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

pub fn field_error(field: &'static str, message: impl Into<String>) -> CoreError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    CoreError::Validation(errors)
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The object does not exist or lies outside the caller's scope; both look the same to the caller.
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Forbidden for a reason the caller may read, such as acting on an account that holds more
    /// than the caller does.
    #[error("refused: {0}")]
    Refused(String),
    /// A rule refuses the operation in the object's current state; the message is for the user.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A unique constraint refused the write; services turn it into a field error.
    #[error("duplicate")]
    Duplicate,
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// Turns a unique-constraint failure into a message on the field that caused it.
    pub fn on_duplicate(self, field: &'static str, message: &str) -> CoreError {
        match self {
            CoreError::Duplicate => field_error(field, message),
            other => other,
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
