//! stagediff: load container images, walk their layers and file trees, and
//! compare a single-stage build with its multi-stage twin.
//!
//! Data flows one way: [`cli`] (flags) → [`cmd`] (one command) →
//! [`pipeline`] (load, squash once, analyse) → [`report`] / [`ui`]; below
//! the pipeline, [`source`] (bytes) → [`image`] (layers and entries) →
//! [`tree`] (squashed filesystem) → [`analysis`].

pub mod error;
pub mod escape;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod source;
pub mod tree;

pub use error::{Error, ErrorKind, Result};
pub mod analysis;
pub mod binary;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod export;
pub mod format;
pub mod pipeline;
pub mod report;
pub mod ui;
