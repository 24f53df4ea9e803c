//! The finished document as bytes: the same bytes as lopdf's `save_to` with a cross-reference
//! table (a test holds this), written into one buffer without `format!` machinery or a
//! `dyn Write` call per token, which took a sixth of the writer's instructions.

use lopdf::{Dictionary, Object, StringFormat};

/// `pdf` serialised as lopdf's `save_to` would (setting the trailer's `/Size` as it does), or
/// `None` for a document whose cross-references lopdf would write as a stream.
pub fn serialize(pdf: &mut lopdf::Document) -> Option<Vec<u8>> {
    if !matches!(
        pdf.reference_table.cross_reference_type,
        lopdf::xref::XrefType::CrossReferenceTable
    ) || pdf.binary_mark.iter().any(|&b| b < 128)
    {
        return None;
    }
    let size: usize = pdf
        .objects
        .values()
        .map(|o| match o {
            Object::Stream(s) => s.content.len() + 64,
            _ => 64,
        })
        .sum();
    let mut out = Vec::with_capacity(size + 4096);
    out.extend_from_slice(b"%PDF-");
    out.extend_from_slice(pdf.version.as_bytes());
    out.push(b'\n');
    out.push(b'%');
    out.extend_from_slice(&pdf.binary_mark);
    out.push(b'\n');
    let mut offsets: Vec<Option<(usize, u16)>> = vec![None; pdf.max_id as usize + 1];
    for (&(id, generation), object) in &pdf.objects {
        if let Ok(name) = object.type_name()
            && [
                b"ObjStm".as_slice(),
                b"XRef".as_slice(),
                b"Linearized".as_slice(),
            ]
            .contains(&name)
        {
            continue;
        }
        if let Some(slot) = offsets.get_mut(id as usize) {
            *slot = Some((out.len(), generation));
        }
        integer(&mut out, i64::from(id));
        out.push(b' ');
        integer(&mut out, i64::from(generation));
        out.extend_from_slice(b" obj\n");
        if need_separator(object) {
            out.push(b' ');
        }
        write_object(&mut out, object);
        if need_end_separator(object) {
            out.push(b' ');
        }
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_start = out.len();
    out.extend_from_slice(b"xref\n");
    // Sections of consecutive objects, as lopdf cuts them (object 0 is the free head).
    let mut start = 0usize;
    let mut entries: Vec<Option<(usize, u16)>> = vec![None];
    let flush = |out: &mut Vec<u8>, start: usize, entries: &[Option<(usize, u16)>]| {
        if entries.is_empty() {
            return;
        }
        integer(out, start as i64);
        out.push(b' ');
        integer(out, entries.len() as i64);
        out.push(b'\n');
        for e in entries {
            match e {
                Some((offset, generation)) => {
                    padded(out, *offset as u64, 10);
                    out.push(b' ');
                    padded(out, u64::from(*generation), 5);
                    out.extend_from_slice(b" n \n");
                }
                None => out.extend_from_slice(b"0000000000 65535 f \n"),
            }
        }
    };
    for (id, entry) in offsets.iter().enumerate().skip(1) {
        if entries.is_empty() {
            start = id;
        }
        match entry {
            Some(e) => entries.push(Some(*e)),
            None => {
                if !entries.is_empty() {
                    flush(&mut out, start, &entries);
                    entries.clear();
                    start = id;
                }
            }
        }
    }
    flush(&mut out, start, &entries);
    pdf.trailer.set("Size", i64::from(pdf.max_id + 1));
    out.extend_from_slice(b"trailer\n");
    write_dictionary(&mut out, &pdf.trailer);
    out.extend_from_slice(b"\nstartxref\n");
    integer(&mut out, xref_start as i64);
    out.extend_from_slice(b"\n%%EOF");
    Some(out)
}

fn need_separator(object: &Object) -> bool {
    matches!(
        object,
        Object::Null
            | Object::Boolean(_)
            | Object::Integer(_)
            | Object::Real(_)
            | Object::Reference(_)
    )
}

fn need_end_separator(object: &Object) -> bool {
    matches!(
        object,
        Object::Null
            | Object::Boolean(_)
            | Object::Integer(_)
            | Object::Real(_)
            | Object::Name(_)
            | Object::Reference(_)
            | Object::Stream(_)
    )
}

/// An integer in decimal.
fn integer(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    let mut n = v.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A number in `width` digits, zeros first (wider when it does not fit, as `{:>0width$}`).
fn padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = v;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - at;
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(len)));
    out.extend_from_slice(&digits[at..]);
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn write_object(out: &mut Vec<u8>, object: &Object) {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(true) => out.extend_from_slice(b"true"),
        Object::Boolean(false) => out.extend_from_slice(b"false"),
        Object::Integer(v) => integer(out, *v),
        Object::Real(v) => {
            use std::io::Write;
            let _ = write!(out, "{v}");
        }
        Object::Name(name) => write_name(out, name),
        Object::String(text, format) => write_string(out, text, format),
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 && need_separator(item) {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(dict) => write_dictionary(out, dict),
        Object::Stream(stream) => {
            write_dictionary(out, &stream.dict);
            out.extend_from_slice(b"stream\n");
            out.extend_from_slice(&stream.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((id, generation)) => {
            integer(out, i64::from(*id));
            out.push(b' ');
            integer(out, i64::from(*generation));
            out.extend_from_slice(b" R");
        }
    }
}

fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &byte in name {
        if b" \t\n\r\x0C()<>[]{}/%#".contains(&byte) || !(33..=126).contains(&byte) {
            out.push(b'#');
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 15)]);
        } else {
            out.push(byte);
        }
    }
}

fn write_string(out: &mut Vec<u8>, text: &[u8], format: &StringFormat) {
    match format {
        StringFormat::Literal => {
            // Backslashes, carriage returns and unbalanced parentheses are escaped.
            let mut escape = vec![false; text.len()];
            let mut open = Vec::new();
            let mut any = false;
            for (i, &byte) in text.iter().enumerate() {
                match byte {
                    b'(' => open.push(i),
                    b')' if open.pop().is_none() => {
                        escape[i] = true;
                        any = true;
                    }
                    b'\\' | b'\r' => {
                        escape[i] = true;
                        any = true;
                    }
                    _ => {}
                }
            }
            for i in open {
                escape[i] = true;
                any = true;
            }
            out.push(b'(');
            if any {
                for (&byte, &esc) in text.iter().zip(&escape) {
                    if esc {
                        out.push(b'\\');
                        out.push(if byte == b'\r' { b'r' } else { byte });
                    } else {
                        out.push(byte);
                    }
                }
            } else {
                out.extend_from_slice(text);
            }
            out.push(b')');
        }
        StringFormat::Hexadecimal => {
            out.push(b'<');
            for &byte in text {
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 15)]);
            }
            out.push(b'>');
        }
    }
}

fn write_dictionary(out: &mut Vec<u8>, dict: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (key, value) in dict {
        write_name(out, key);
        if need_separator(value) {
            out.push(b' ');
        }
        write_object(out, value);
    }
    out.extend_from_slice(b">>");
}
