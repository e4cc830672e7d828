//! Cleans client JSON schemas into the subset the upstream accepts, recording every change.
