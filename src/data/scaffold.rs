//! Describing a schema to people: `describe` (fields grouped as in the document) and `new` (a
//! complete, commented data file whose values are the schema's examples).

use std::fmt::Write as _;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value as EditValue};

use super::schema::{Field, FieldType, Schema};

/// A human-readable description of every field, grouped by `group` in document order.
pub fn describe(schema: &Schema) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", schema.title, schema.kind);
    let _ = writeln!(out, "{}", schema.summary);
    let mut groups: Vec<(&str, Vec<&Field>)> = Vec::new();
    for f in &schema.fields {
        let g = f.group.as_deref().unwrap_or("Other");
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, fields)) => fields.push(f),
            None => groups.push((g, vec![f])),
        }
    }
    for (group, fields) in groups {
        let _ = writeln!(out, "\n{group}");
        for f in fields {
            describe_field(f, &f.key, 1, &mut out);
        }
    }
    out
}

fn type_name(f: &Field) -> String {
    match (f.ty, f.item) {
        (FieldType::List, Some(item)) => format!("list of {}", item.name()),
        (FieldType::List, None) => "list of tables".into(),
        (FieldType::Enum, _) => format!("one of {}", f.values.join(" | ")),
        (t, _) => t.name().into(),
    }
}

/// Whether a field must be given, and what the engine does when it is not: "required",
/// "optional", "optional, default \"cashless\"", "required when kind = \"entity\"",
/// "computed: shares * price_per_share".
fn status(f: &Field) -> String {
    if let Some(c) = &f.computed {
        return format!("computed: {c}");
    }
    if let Some(c) = f.condition() {
        return format!("required when {c}");
    }
    if let Some(c) = f.allowed() {
        return format!("optional, only when {c}");
    }
    match &f.default {
        Some(d) => format!("optional, default {d}"),
        None if f.required => "required".into(),
        None => "optional".into(),
    }
}

/// Whether `new` writes the field into a fresh data file: required fields, and fields required
/// when their siblings' example (or default) values meet the condition.
fn in_new_file(f: &Field, siblings: &[Field]) -> bool {
    if let Some(when) = &f.required_when {
        return when.iter().all(|(k, want)| {
            siblings
                .iter()
                .find(|s| &s.key == k)
                .and_then(|s| s.example.as_ref().or(s.default.as_ref()))
                .is_some_and(|v| v == want)
        });
    }
    f.always_required()
}

fn describe_field(f: &Field, path: &str, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}{path}  ({}, {})", type_name(f), status(f));
    let _ = writeln!(out, "{pad}    {}", f.description);
    if let Some(ex) = &f.example {
        let _ = writeln!(out, "{pad}    example: {}", ex);
    }
    for sub in &f.fields {
        let sub_path = if f.ty == FieldType::List {
            format!("{path}[].{}", sub.key)
        } else {
            format!("{path}.{}", sub.key)
        };
        describe_field(sub, &sub_path, depth.saturating_add(1), out);
    }
}

fn comment(f: &Field) -> String {
    format!("# {} ({}, {})\n", f.description, type_name(f), status(f))
}

fn example_value(f: &Field) -> Option<EditValue> {
    f.example
        .as_ref()
        .and_then(|v| v.to_string().parse::<EditValue>().ok())
}

fn fill(table: &mut Table, fields: &[Field], path: &str, optional: &mut Vec<String>) {
    for f in fields {
        let full = if path.is_empty() {
            f.key.clone()
        } else {
            format!("{path}.{}", f.key)
        };
        if !in_new_file(f, fields) {
            // Optional fields stay out of a new draft (an `as_executed` typo must not leak into
            // the next deal); they are listed, commented, at the top of the file.
            collect_optional(f, &full, optional);
            continue;
        }
        match f.ty {
            FieldType::Party | FieldType::Table => {
                let mut sub = Table::new();
                sub.decor_mut().set_prefix(format!("\n{}", comment(f)));
                fill(&mut sub, &f.fields, &full, optional);
                table.insert(&f.key, Item::Table(sub));
            }
            FieldType::List if f.item.is_none() && f.example.is_none() => {
                let mut array = ArrayOfTables::new();
                let mut sub = Table::new();
                sub.decor_mut().set_prefix(format!("\n{}", comment(f)));
                fill(&mut sub, &f.fields, &format!("{full}[]"), optional);
                array.push(sub);
                table.insert(&f.key, Item::ArrayOfTables(array));
            }
            _ => {
                let value = example_value(f).unwrap_or_else(|| EditValue::from(""));
                table.insert(&f.key, Item::Value(value));
                if let Some(mut key) = table.key_mut(&f.key) {
                    key.leaf_decor_mut().set_prefix(comment(f));
                }
            }
        }
    }
}

fn collect_optional(f: &Field, path: &str, out: &mut Vec<String>) {
    if f.fields.is_empty() || f.ty == FieldType::List {
        let example = f
            .example
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "\"\"".into());
        let note = match (&f.computed, &f.default, f.condition()) {
            (Some(c), _, _) => format!("(computed when left out: {c}) "),
            (None, Some(d), _) => format!("(default {d}) "),
            (None, None, Some(c)) => format!("(required when {c}) "),
            (None, None, None) => String::new(),
        };
        out.push(format!(
            "#   {path} = {example}    # {note}{}",
            f.description
        ));
    } else {
        for sub in &f.fields {
            collect_optional(sub, &format!("{path}.{}", sub.key), out);
        }
    }
}

/// A complete data file for `schema`: every field with its description as a comment and its
/// example as the value. Filled in as it stands, it renders.
pub fn new_data_file(schema: &Schema) -> String {
    let mut doc = DocumentMut::new();
    doc.insert("template", toml_edit::value(schema.kind.as_str()));
    let mut optional = Vec::new();
    fill(doc.as_table_mut(), &schema.fields, "", &mut optional);
    let mut header = format!(
        "# {title}: a new data file made by `engross new {kind}`.\n\
         # Replace every example value; check with `engross check FILE`.\n",
        title = schema.title,
        kind = schema.kind
    );
    if !optional.is_empty() {
        header.push_str("# Optional fields, left out (copy a line below this header, without its #, to use it):\n");
        for line in optional {
            header.push_str(&line);
            header.push('\n');
        }
    }
    if let Some(mut key) = doc.key_mut("template") {
        key.leaf_decor_mut().set_prefix(header);
    }
    doc.to_string()
}
