//! Renderers: a [`Document`](crate::document::Document) to an output format, as pure functions
//! returning the output. The CLI writes the files.

pub mod html;
pub mod text;
