//! The ZIP container of a .docx, both ways, and nothing more than a .docx needs.
//!
//! - [`write`]: entries in the order given, deflated, every timestamp 1980-01-01 00:00 (the
//!   earliest DOS date), no extra fields: the same parts give the same bytes.
//! - [`read`]: the central directory of an untrusted file, bounded: at most [`MAX_ENTRIES`]
//!   entries, each inflated to at most [`MAX_ENTRY`] bytes and all of them to [`MAX_TOTAL`]
//!   (a zip bomb stops at the cap with an error), stored or deflated only, CRCs checked.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

/// The most entries read from one archive.
pub const MAX_ENTRIES: usize = 2_000;
/// The most bytes one entry may inflate to.
pub const MAX_ENTRY: u64 = 64 << 20;
/// The most bytes all the entries read may inflate to.
pub const MAX_TOTAL: u64 = 256 << 20;

/// DOS date of 1980-01-01 (year 0 = 1980, month 1, day 1), time 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

/// An archive of `(name, bytes)` entries, in that order. Names are ASCII paths (`word/document.xml`).
pub fn write(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, bytes) in entries {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::fast());
        // Writing to a Vec cannot fail.
        let _ = enc.write_all(bytes);
        let packed = enc.finish().unwrap_or_default();
        let offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
        let crc = crc32(bytes);
        let (size, packed_size) = (
            u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            u32::try_from(packed.len()).unwrap_or(u32::MAX),
        );
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&8u16.to_le_bytes()); // deflate
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&packed_size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        // Its central directory record.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by: 2.0, MS-DOS
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&8u16.to_le_bytes());
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&packed_size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk number, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    let central_offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
    let central_size = u32::try_from(central.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// Why an archive could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipError(pub String);

impl std::fmt::Display for ZipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(why: impl Into<String>) -> ZipError {
    ZipError(why.into())
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ZipError> {
    b.get(at..at.saturating_add(2))
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| bad("the archive is cut short"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ZipError> {
    b.get(at..at.saturating_add(4))
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| bad("the archive is cut short"))
}

/// One entry of an archive, not yet inflated.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    method: u16,
    crc: u32,
    packed: usize,
    size: u64,
    local: usize,
}

/// An archive opened for reading.
#[derive(Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
    entries: Vec<Entry>,
    /// Bytes inflated so far, against [`MAX_TOTAL`].
    spent: std::cell::Cell<u64>,
}

/// Open an archive: read its central directory.
pub fn read(bytes: &[u8]) -> Result<Archive<'_>, ZipError> {
    // The end record is in the last 22 + 65,535 bytes.
    let floor = bytes.len().saturating_sub(22 + 0xFFFF);
    let end = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| bytes.get(i..i + 4) == Some(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or_else(|| bad("no ZIP directory (not a .docx, or cut short)"))?;
    let count = usize::from(u16_at(bytes, end + 10)?);
    let dir = u32_at(bytes, end + 16)? as usize;
    if count == 0xFFFF || dir == 0xFFFF_FFFF_usize {
        return Err(bad("ZIP64 archives are not read"));
    }
    if count > MAX_ENTRIES {
        return Err(bad(format!(
            "the archive has {count} entries; at most {MAX_ENTRIES} are read"
        )));
    }
    let mut entries = Vec::with_capacity(count);
    let mut at = dir;
    for _ in 0..count {
        if u32_at(bytes, at)? != 0x0201_4b50 {
            return Err(bad("a damaged ZIP directory"));
        }
        let flags = u16_at(bytes, at + 8)?;
        let method = u16_at(bytes, at + 10)?;
        let crc = u32_at(bytes, at + 16)?;
        let packed = u32_at(bytes, at + 20)? as usize;
        let size = u64::from(u32_at(bytes, at + 24)?);
        let name_len = usize::from(u16_at(bytes, at + 28)?);
        let extra = usize::from(u16_at(bytes, at + 30)?);
        let comment = usize::from(u16_at(bytes, at + 32)?);
        let local = u32_at(bytes, at + 42)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| bad("the archive is cut short"))?;
        if flags & 1 != 0 {
            return Err(bad("the archive is encrypted"));
        }
        entries.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            crc,
            packed,
            size,
            local,
        });
        at += 46 + name_len + extra + comment;
    }
    Ok(Archive {
        bytes,
        entries,
        spent: std::cell::Cell::new(0),
    })
}

impl Archive<'_> {
    /// The entries' names, in the directory's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The bytes of the entry named `name` (case-insensitive, as Office reads part names), or
    /// `None` if there is none.
    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, ZipError> {
        let name = name.trim_start_matches('/');
        let Some(e) = self
            .entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        if e.size > MAX_ENTRY || self.spent.get().saturating_add(e.size) > MAX_TOTAL {
            return Err(bad(format!(
                "{} would inflate to {} bytes, past the limit ({MAX_ENTRY} bytes an entry, \
                 {MAX_TOTAL} in all)",
                e.name, e.size
            )));
        }
        if u32_at(self.bytes, e.local)? != 0x0403_4b50 {
            return Err(bad(format!("a damaged entry {}", e.name)));
        }
        let name_len = usize::from(u16_at(self.bytes, e.local + 26)?);
        let extra = usize::from(u16_at(self.bytes, e.local + 28)?);
        let start = e.local + 30 + name_len + extra;
        let data = self
            .bytes
            .get(start..start.saturating_add(e.packed))
            .ok_or_else(|| bad(format!("{} is cut short", e.name)))?;
        let mut out = Vec::new();
        match e.method {
            0 => out.extend_from_slice(data),
            8 => {
                // Never more than the directory says, and one byte to tell a lie.
                DeflateDecoder::new(data)
                    .take(e.size.saturating_add(1))
                    .read_to_end(&mut out)
                    .map_err(|err| bad(format!("{} cannot be inflated: {err}", e.name)))?;
            }
            m => {
                return Err(bad(format!(
                    "{} is compressed with method {m}; only stored and deflated entries are read",
                    e.name
                )));
            }
        }
        if out.len() as u64 != e.size || crc32(&out) != e.crc {
            return Err(bad(format!(
                "{} is damaged (its size or checksum does not match)",
                e.name
            )));
        }
        self.spent.set(self.spent.get() + out.len() as u64);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_determinism() {
        let entries = vec![
            ("a.xml", b"<a/>".to_vec()),
            ("word/document.xml", vec![b'x'; 10_000]),
            ("empty", Vec::new()),
        ];
        let z = write(&entries);
        assert_eq!(z, write(&entries));
        let a = read(&z).unwrap();
        assert_eq!(
            a.names().collect::<Vec<_>>(),
            ["a.xml", "word/document.xml", "empty"]
        );
        for (name, bytes) in &entries {
            assert_eq!(a.get(name).unwrap().as_ref(), Some(bytes));
        }
        assert_eq!(a.get("WORD/Document.xml").unwrap().unwrap().len(), 10_000);
        assert_eq!(a.get("missing").unwrap(), None);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let z = write(&[("word/document.xml", vec![b'y'; 5000])]);
        for cut in 0..z.len() {
            if let Ok(a) = read(&z[..cut]) {
                let _ = a.get("word/document.xml");
            }
        }
        let mut flipped = z.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0x5a;
            if let Ok(a) = read(&flipped) {
                let _ = a.get("word/document.xml");
            }
            flipped[i] ^= 0x5a;
        }
        // A size that lies: the CRC and size checks catch it.
        let mut lying = z.clone();
        let dir = lying.len() - 22 - 46 - "word/document.xml".len();
        lying[dir + 24] = 1;
        let a = read(&lying).unwrap();
        assert!(a.get("word/document.xml").is_err());
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        // 80 MiB of zeros deflate to about 80 KiB; the directory says 10 bytes.
        let zeros = vec![0u8; 80 << 20];
        let mut z = write(&[("word/document.xml", zeros)]);
        let dir = z.len() - 22 - 46 - "word/document.xml".len();
        z[dir + 24..dir + 28].copy_from_slice(&10u32.to_le_bytes());
        let a = read(&z).unwrap();
        let err = a.get("word/document.xml").unwrap_err();
        assert!(err.0.contains("damaged"), "{err}");
    }
}
