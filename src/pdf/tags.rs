//! The tagged PDF: a structure tree built from the layout's logical structure (headings,
//! paragraphs, lists, tables, signature blocks, exhibits), each element's marked content on the
//! pages, a Form element for every field widget, and footers marked as artifacts.

use lopdf::{Dictionary, Object, ObjectId};

use crate::error::{Error, Result};
use crate::layout::Layout;

/// Marked content of one page: the structure element of each MCID, in order.
pub type PageMarks = Vec<usize>;

/// A field widget: its page, its object, and the element it sits in.
pub type Widget = (usize, ObjectId, Option<usize>);

/// Open or close marked content in a content stream so that it matches `tag` (an element
/// with the next MCID, or an artifact); `state` is what is open.
pub fn mark(
    out: &mut Vec<u8>,
    state: &mut Option<Option<usize>>,
    tag: Option<usize>,
    layout: &Layout,
    marks: &mut PageMarks,
) {
    if *state == Some(tag) {
        return;
    }
    if state.is_some() {
        out.extend_from_slice(b"EMC\n");
    }
    match tag.and_then(|t| layout.structure.get(t).map(|e| (t, e.role))) {
        Some((t, role)) => {
            out.push(b'/');
            out.extend_from_slice(role.as_bytes());
            out.extend_from_slice(b" <</MCID ");
            decimal(out, marks.len());
            out.extend_from_slice(b">> BDC\n");
            marks.push(t);
        }
        None => out.extend_from_slice(b"/Artifact BMC\n"),
    }
    *state = Some(tag);
}

/// `n` in decimal digits.
fn decimal(out: &mut Vec<u8>, mut n: usize) {
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

/// Close what [`mark`] left open.
pub fn close(out: &mut Vec<u8>, state: &mut Option<Option<usize>>) {
    if state.take().is_some() {
        out.extend_from_slice(b"EMC\n");
    }
}

/// Write the structure tree and mark the document as tagged.
pub fn structure(
    pdf: &mut lopdf::Document,
    layout: &Layout,
    marks: &[PageMarks],
    widgets: &[Widget],
) -> Result<()> {
    if layout.structure.is_empty() {
        return Ok(());
    }
    let page_ids: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    let root = pdf.new_object_id();
    let doc = pdf.new_object_id();
    let ids: Vec<ObjectId> = layout
        .structure
        .iter()
        .map(|_| pdf.new_object_id())
        .collect();
    let mut kids: Vec<Vec<Object>> = vec![Vec::new(); layout.structure.len()];
    let mut doc_kids = Vec::new();
    for (i, e) in layout.structure.iter().enumerate() {
        match e.parent {
            Some(p) if p < kids.len() => kids[p].push(Object::Reference(ids[i])),
            _ => doc_kids.push(Object::Reference(ids[i])),
        }
    }
    let mut nums = Vec::new();
    for (pi, page_marks) in marks.iter().enumerate() {
        let Some(&page) = page_ids.get(pi) else {
            continue;
        };
        let mut parents = Vec::new();
        for (mcid, &e) in page_marks.iter().enumerate() {
            let mut mcr = Dictionary::new();
            mcr.set("Type", Object::Name(b"MCR".to_vec()));
            mcr.set("Pg", Object::Reference(page));
            mcr.set("MCID", Object::Integer(mcid as i64));
            kids[e].push(Object::Dictionary(mcr));
            parents.push(Object::Reference(ids[e]));
        }
        nums.push(Object::Integer(pi as i64));
        nums.push(Object::Array(parents));
        if let Ok(d) = pdf.get_object_mut(page).and_then(Object::as_dict_mut) {
            d.set("StructParents", Object::Integer(pi as i64));
            if d.has(b"Annots") {
                d.set("Tabs", Object::Name(b"S".to_vec()));
            }
        }
    }
    let mut next = marks.len() as i64;
    for &(pi, widget, tag) in widgets {
        let Some(&page) = page_ids.get(pi) else {
            continue;
        };
        let mut objr = Dictionary::new();
        objr.set("Type", Object::Name(b"OBJR".to_vec()));
        objr.set("Obj", Object::Reference(widget));
        objr.set("Pg", Object::Reference(page));
        let mut form = Dictionary::new();
        form.set("Type", Object::Name(b"StructElem".to_vec()));
        form.set("S", Object::Name(b"Form".to_vec()));
        let parent = tag.filter(|t| *t < ids.len());
        form.set("P", Object::Reference(parent.map_or(doc, |t| ids[t])));
        form.set("Pg", Object::Reference(page));
        form.set("K", Object::Dictionary(objr));
        let form = pdf.add_object(Object::Dictionary(form));
        match parent {
            Some(t) => kids[t].push(Object::Reference(form)),
            None => doc_kids.push(Object::Reference(form)),
        }
        if let Ok(d) = pdf.get_object_mut(widget).and_then(Object::as_dict_mut) {
            d.set("StructParent", Object::Integer(next));
        }
        nums.push(Object::Integer(next));
        nums.push(Object::Reference(form));
        next += 1;
    }
    for (i, e) in layout.structure.iter().enumerate() {
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"StructElem".to_vec()));
        d.set("S", Object::Name(e.role.as_bytes().to_vec()));
        let parent = e.parent.filter(|p| *p < ids.len()).map_or(doc, |p| ids[p]);
        d.set("P", Object::Reference(parent));
        d.set("K", Object::Array(std::mem::take(&mut kids[i])));
        pdf.objects.insert(ids[i], Object::Dictionary(d));
    }
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"StructElem".to_vec()));
    d.set("S", Object::Name(b"Document".to_vec()));
    d.set("P", Object::Reference(root));
    d.set("K", Object::Array(doc_kids));
    pdf.objects.insert(doc, Object::Dictionary(d));
    let mut tree = Dictionary::new();
    tree.set("Nums", Object::Array(nums));
    let mut r = Dictionary::new();
    r.set("Type", Object::Name(b"StructTreeRoot".to_vec()));
    r.set("K", Object::Reference(doc));
    r.set("ParentTree", Object::Dictionary(tree));
    r.set("ParentTreeNextKey", Object::Integer(next));
    pdf.objects.insert(root, Object::Dictionary(r));
    let catalog = pdf
        .catalog_mut()
        .map_err(|e| Error::internal("writing the PDF's catalog", e))?;
    catalog.set("StructTreeRoot", Object::Reference(root));
    let mut mark = Dictionary::new();
    mark.set("Marked", Object::Boolean(true));
    catalog.set("MarkInfo", Object::Dictionary(mark));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimals() {
        for n in [0usize, 7, 10, 99, 1234, usize::MAX] {
            let mut out = Vec::new();
            super::decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
