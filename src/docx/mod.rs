//! Word: a Document as a .docx ([`write`]), a .docx back to a Document ([`read`]), both pure
//! functions over bytes. WordprocessingML is written directly (with a small deterministic ZIP
//! writer, [`zip`]): content controls, tracked moves with their inner edits (a deletion nested
//! in an insertion) and a custom XML part are all needed, each is a few lines of XML, and the
//! bytes must be the same for the same input; no .docx crate was tried against these needs.

pub mod read;
pub mod write;
pub mod zip;

pub use read::{Read, ReadError};
pub use write::{Meta, Tracking};

use crate::document::Document;

/// The .docx of a document: the same document and metadata give the same bytes.
pub fn write(doc: &Document, meta: &Meta) -> Vec<u8> {
    let parts = write::parts(doc, meta);
    zip::write(&parts)
}

/// Read a .docx (see [`read::read`]).
pub fn read(bytes: &[u8]) -> Result<Read, ReadError> {
    read::read(bytes)
}
