//! The filter language (`status:429 model:opus -api:openai dur>5s …`, see `crate::filter`) as
//! a matcher over the console's rows.

use super::rows::{Row, RowMatcher};
use crate::filter::Filter;

/// Compiles `text`; an error names the term that is wrong and why.
pub fn compile(text: &str) -> Result<Box<dyn RowMatcher + Send>, String> {
    Filter::parse(text)
        .map(|f| Box::new(f) as Box<dyn RowMatcher + Send>)
        .map_err(|e| e.to_string())
}

impl RowMatcher for Filter {
    fn matches(&self, row: &Row) -> bool {
        Filter::matches(self, row)
    }
}
