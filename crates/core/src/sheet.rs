//! Spreadsheet imports (保单导入, 检查表导入): the mistakes a user fixes in Excel, each with the
//! row and column where the user finds it.

use serde::Serialize;

/// One mistake in the file, as the user finds it in the spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Spreadsheet row number (the header is usually row 1); `None` when the file as a whole is
    /// wrong.
    pub row: Option<usize>,
    /// The column header; empty when no single column is to blame.
    pub column: String,
    pub message: String,
}

impl RowError {
    /// The file as a whole is wrong (no header, too many rows, nothing to import).
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            row: None,
            column: String::new(),
            message: message.into(),
        }
    }

    /// A mistake in the cell of `row` under the header `column`.
    pub fn cell(row: usize, column: &str, message: impl Into<String>) -> Self {
        Self {
            row: Some(row),
            column: column.to_string(),
            message: message.into(),
        }
    }
}
