//! stagediff: load container images, walk their layers and file trees, and
//! compare a single-stage build with its multi-stage twin.
//!
//! Data flows one way: [`source`] (bytes) → [`image`] (layers and entries) →
//! [`tree`] (squashed filesystem) → `analysis` → `report` / `ui`.

pub mod error;
pub mod escape;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod source;
pub mod tree;

pub use error::{Error, ErrorKind, Result};
pub mod analysis;
pub mod cli;
pub mod config;
pub mod report;
pub mod ui;
