//! Rosters: one agreement per row. A roster is a CSV file (a header row of field paths such as
//! `subscriber.name`), a TOML file with an array of tables, or JSON Lines; each row is merged
//! over a base data file, typed by the template's schema (a CSV cell `1200` for a share count
//! is an integer, `2026-03-16` a date, `250.00` money), and then checked like any data file.
//!
//! Rows are numbered as the user sees them: in a CSV as a spreadsheet shows it (the header is
//! row 1), in JSON Lines by line, in TOML by position (1 for the first table).

use super::schema::{Field, FieldType, Schema};
use crate::error::Diagnostic;

/// The most rows one roster may hold.
pub const MAX_ROWS: usize = 1_000_000;

/// A cell: text to be typed by the schema (CSV), or a value already typed (TOML, JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, typed when merged.
    Text(String),
    /// A typed value.
    Value(toml::Value),
}

/// One row of a roster.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its number as the user sees it (CSV: the header is row 1).
    pub number: usize,
    /// `(field path, 1-based column, cell)`; empty CSV cells are left out (the base's value
    /// stands).
    pub cells: Vec<(String, usize, Cell)>,
}

/// Read a roster; `origin` (its file name) picks the format by extension: `.csv`, `.toml`,
/// `.jsonl`/`.ndjson`/`.json`.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Row>, Box<Diagnostic>> {
    let lower = origin.to_ascii_lowercase();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = if lower.ends_with(".toml") {
        toml_rows(text, origin)?
    } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") || lower.ends_with(".json") {
        json_rows(text, origin)?
    } else {
        csv_rows(text, origin)?
    };
    if rows.len() > MAX_ROWS {
        return fail(Diagnostic::error(
            origin,
            format!(
                "the roster has {} rows; at most {MAX_ROWS} are read",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

fn fail<T>(d: Diagnostic) -> Result<T, Box<Diagnostic>> {
    Err(Box::new(d))
}

/// CSV records (RFC 4180: quoted fields with `""`, embedded newlines, CRLF or LF), each with
/// the line it starts on.
fn csv_records(text: &str, origin: &str) -> Result<Vec<(usize, Vec<String>)>, Box<Diagnostic>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_start = true;
    let mut line: usize = 1;
    let mut start_line: usize = 1;
    let mut quote_line: usize = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line = line.saturating_add(1);
                    field.push('\n');
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                quote_line = line;
                at_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record.first().is_some_and(String::is_empty)) {
                    records.push((start_line, std::mem::take(&mut record)));
                }
                record.clear();
                line = line.saturating_add(1);
                start_line = line;
                at_start = true;
            }
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return fail(
            Diagnostic::error(
                origin,
                format!("a quoted field opened on line {quote_line} is never closed"),
            )
            .at_line(quote_line, 1),
        );
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((start_line, record));
    }
    Ok(records)
}

fn csv_rows(text: &str, origin: &str) -> Result<Vec<Row>, Box<Diagnostic>> {
    let records = csv_records(text, origin)?;
    let Some(((_, header), body)) = records.split_first() else {
        return fail(Diagnostic::error(
            origin,
            "the roster is empty: it needs a header row",
        ));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut seen = std::collections::BTreeSet::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return fail(
                Diagnostic::error(
                    origin,
                    format!("column {} has no name", i.saturating_add(1)),
                )
                .at_line(1, i.saturating_add(1)),
            );
        }
        if !seen.insert(h) {
            return fail(
                Diagnostic::error(origin, format!("column `{h}` is given twice"))
                    .at_line(1, i.saturating_add(1))
                    .key(h.clone()),
            );
        }
    }
    let mut rows = Vec::with_capacity(body.len());
    for (n, (line, record)) in body.iter().enumerate() {
        if record.len() > header.len() {
            return fail(
                Diagnostic::error(
                    origin,
                    format!(
                        "row {} has {} cells but the header names {} columns",
                        n.saturating_add(2),
                        record.len(),
                        header.len()
                    ),
                )
                .at_line(*line, header.len().saturating_add(1)),
            );
        }
        let cells = header
            .iter()
            .zip(record)
            .enumerate()
            .filter(|(_, (_, v))| !v.is_empty())
            .map(|(i, (h, v))| (h.clone(), i.saturating_add(1), Cell::Text(v.clone())))
            .collect();
        rows.push(Row {
            number: n.saturating_add(2),
            cells,
        });
    }
    Ok(rows)
}

/// Flatten a table into `(dotted path, value)`, tables inside it by their keys (arrays stay
/// whole).
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&path, t, out),
            v => out.push((path, v.clone())),
        }
    }
}

fn toml_rows(text: &str, origin: &str) -> Result<Vec<Row>, Box<Diagnostic>> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let d = Diagnostic::error(origin, format!("invalid TOML: {}", e.message().trim()));
        match e.span() {
            Some(span) => d.at(text, span),
            None => d,
        }
    })?;
    let arrays: Vec<&toml::value::Array> = table
        .values()
        .filter_map(|v| match v {
            toml::Value::Array(a) if a.iter().all(toml::Value::is_table) => Some(a),
            _ => None,
        })
        .collect();
    let [rows] = arrays.as_slice() else {
        return fail(Diagnostic::error(
            origin,
            "a TOML roster is one array of tables (`[[row]]` … `[[row]]`)",
        ));
    };
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut cells = Vec::new();
            if let toml::Value::Table(t) = v {
                flatten("", t, &mut cells);
            }
            Row {
                number: i.saturating_add(1),
                cells: cells
                    .into_iter()
                    .enumerate()
                    .map(|(c, (p, v))| (p, c.saturating_add(1), Cell::Value(v)))
                    .collect(),
            }
        })
        .collect())
}

fn json_to_toml(v: &serde_json::Value) -> Option<toml::Value> {
    Some(match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => toml::Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            // A JSON number with a fraction is kept as written (money is never a float).
            None => toml::Value::String(n.to_string()),
        },
        // Text: typed by the schema like a CSV cell (a date, a decimal).
        serde_json::Value::String(s) => toml::Value::String(s.clone()),
        serde_json::Value::Array(a) => {
            toml::Value::Array(a.iter().filter_map(json_to_toml).collect())
        }
        serde_json::Value::Object(o) => toml::Value::Table(
            o.iter()
                .filter_map(|(k, v)| json_to_toml(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
    })
}

fn json_rows(text: &str, origin: &str) -> Result<Vec<Row>, Box<Diagnostic>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            Diagnostic::error(
                origin,
                format!("line {} is not JSON: {e}", i.saturating_add(1)),
            )
            .at_line(i.saturating_add(1), e.column().max(1))
        })?;
        let Some(toml::Value::Table(t)) = json_to_toml(&value) else {
            return fail(
                Diagnostic::error(
                    origin,
                    format!("line {} is not a JSON object", i.saturating_add(1)),
                )
                .at_line(i.saturating_add(1), 1),
            );
        };
        let mut cells = Vec::new();
        flatten("", &t, &mut cells);
        rows.push(Row {
            number: i.saturating_add(1),
            cells: cells
                .into_iter()
                .enumerate()
                .map(|(c, (p, v))| {
                    let cell = match v {
                        toml::Value::String(s) => Cell::Text(s),
                        v => Cell::Value(v),
                    };
                    (p, c.saturating_add(1), cell)
                })
                .collect(),
        });
    }
    Ok(rows)
}

/// The schema field a dotted path names (list indices skipped), if any.
pub fn field_at<'a>(schema: &'a Schema, path: &str) -> Option<&'a Field> {
    let mut fields = &schema.fields;
    let mut found: Option<&Field> = None;
    for part in path.split('.') {
        if found.is_some_and(|f| f.ty == FieldType::List) && part.parse::<usize>().is_ok() {
            continue;
        }
        let f = fields.iter().find(|f| f.key == part)?;
        fields = &f.fields;
        found = Some(f);
    }
    found
}

/// A text cell as the value its field's type wants; `Err` says what was expected.
pub fn typed(text: &str, field: Option<&Field>) -> Result<toml_edit::Value, String> {
    let t = text.trim();
    let ty = field.map(|f| f.ty);
    Ok(match ty {
        Some(FieldType::Integer | FieldType::Shares) => {
            let digits: String = t.chars().filter(|c| *c != ',' && *c != '_').collect();
            toml_edit::Value::from(
                digits
                    .parse::<i64>()
                    .map_err(|_| format!("expected a whole number, found \"{t}\""))?,
            )
        }
        Some(FieldType::Money | FieldType::Percent) => {
            let n: String = t
                .chars()
                .filter(|c| !matches!(c, '$' | ',' | '%' | ' '))
                .collect();
            n.parse::<rust_decimal::Decimal>()
                .map_err(|_| format!("expected an amount such as 250.00, found \"{t}\""))?;
            toml_edit::Value::from(n)
        }
        Some(FieldType::Date) => {
            let d: toml_edit::Value = t
                .parse()
                .ok()
                .filter(|v: &toml_edit::Value| v.as_datetime().is_some())
                .ok_or_else(|| format!("expected a date such as 2026-03-16, found \"{t}\""))?;
            d
        }
        Some(FieldType::Bool) => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => toml_edit::Value::from(true),
            "false" | "no" | "n" | "0" => toml_edit::Value::from(false),
            _ => return Err(format!("expected true or false, found \"{t}\"")),
        },
        Some(FieldType::List) => {
            // A list in one cell: its items separated by `|`.
            let mut a = toml_edit::Array::new();
            for item in text.split('|') {
                a.push(typed(item, None)?);
            }
            toml_edit::Value::Array(a)
        }
        _ => toml_edit::Value::from(text.to_string()),
    })
}

fn toml_to_edit(v: &toml::Value) -> toml_edit::Value {
    // A value printed as TOML reads back as the same value.
    let text = toml::to_string(&toml::Table::from_iter([("v".to_string(), v.clone())]))
        .unwrap_or_default();
    text.parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|d| d.get("v").and_then(|i| i.as_value()).cloned())
        .unwrap_or_else(|| toml_edit::Value::from(""))
}

/// Set a dotted path in a TOML document, making tables (and list elements, by index) on the way.
pub fn set(
    doc: &mut toml_edit::DocumentMut,
    path: &str,
    value: toml_edit::Value,
) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(format!("`{path}` has an empty part"));
    }
    set_in(doc.as_table_mut(), &parts, value, path)
}

fn set_in(
    table: &mut dyn toml_edit::TableLike,
    parts: &[&str],
    value: toml_edit::Value,
    path: &str,
) -> Result<(), String> {
    let Some((first, rest)) = parts.split_first() else {
        return Err(format!("`{path}` cannot be set"));
    };
    if rest.is_empty() {
        table.insert(first, toml_edit::Item::Value(value));
        return Ok(());
    }
    let index = rest.first().and_then(|r| r.parse::<usize>().ok());
    let after = rest.get(1..).unwrap_or_default();
    if table.get(first).is_none() {
        let new = match index {
            Some(_) => toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()),
            None => toml_edit::Item::Table(toml_edit::Table::new()),
        };
        table.insert(first, new);
    }
    let item = table
        .get_mut(first)
        .ok_or_else(|| format!("`{path}` cannot be set"))?;
    match (index, item) {
        (Some(i), toml_edit::Item::ArrayOfTables(a)) => {
            if i > a.len() || i > 10_000 {
                return Err(format!(
                    "`{path}`: list element {i} comes after the end of the list"
                ));
            }
            if i == a.len() {
                a.push(toml_edit::Table::new());
            }
            let t = a
                .get_mut(i)
                .ok_or_else(|| format!("`{path}` cannot be set"))?;
            set_in(t, after, value, path)
        }
        (Some(i), toml_edit::Item::Value(toml_edit::Value::Array(a))) => {
            if i > a.len() || i > 10_000 {
                return Err(format!(
                    "`{path}`: list element {i} comes after the end of the list"
                ));
            }
            if rest.len() == 1 {
                if i == a.len() {
                    a.push(value);
                } else {
                    a.replace(i, value);
                }
                return Ok(());
            }
            if i == a.len() {
                a.push(toml_edit::Value::InlineTable(toml_edit::InlineTable::new()));
            }
            match a.get_mut(i) {
                Some(toml_edit::Value::InlineTable(t)) => set_in(t, after, value, path),
                _ => Err(format!("`{path}`: element {i} is not a table")),
            }
        }
        (_, item) => {
            let inner = item
                .as_table_like_mut()
                .ok_or_else(|| format!("`{path}`: `{first}` is a value, not a table"))?;
            set_in(inner, rest, value, path)
        }
    }
}

/// Merge a row over a base data file's text: the data file's text for that row, or the
/// problems of its cells (each naming the row, column and field, and what was expected).
pub fn merge(
    base: &str,
    row: &Row,
    schema: &Schema,
    origin: &str,
) -> Result<String, Vec<Diagnostic>> {
    let mut doc: toml_edit::DocumentMut = base
        .parse()
        .map_err(|e: toml_edit::TomlError| vec![Diagnostic::error(origin, e.to_string())])?;
    let mut problems = Vec::new();
    for (path, column, cell) in &row.cells {
        let field = field_at(schema, path);
        let here = || {
            Diagnostic::error(origin, String::new())
                .at_line(row.number, *column)
                .key(path.clone())
        };
        if field.is_none() && !schema.declares(path) {
            let mut d = here();
            d.message = format!("row {}: the template has no field `{path}`", row.number);
            problems.push(d);
            continue;
        }
        let value = match cell {
            Cell::Text(t) => typed(t, field),
            Cell::Value(v) => Ok(toml_to_edit(v)),
        };
        match value.and_then(|v| set(&mut doc, path, v)) {
            Ok(()) => {}
            Err(why) => {
                let mut d = here();
                d.message = format!("row {}: `{path}`: {why}", row.number);
                problems.push(d);
            }
        }
    }
    if problems.is_empty() {
        Ok(doc.to_string())
    } else {
        Err(problems)
    }
}

/// The file name of a row's document from a pattern over its fields (`{subscriber.name}`,
/// `{row}`, `{template}`), made safe on every system: letters, digits, `-`, `_` and `.` kept,
/// anything else a `-`, no leading dot, at most 120 characters.
pub fn file_name(pattern: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        let (key, after) = after
            .split_once('}')
            .ok_or_else(|| format!("`{pattern}`: a `{{` without its `}}`"))?;
        let key = key.trim();
        let value = lookup(key).ok_or_else(|| format!("`{pattern}`: no field `{key}`"))?;
        out.push_str(&value);
        rest = after;
    }
    out.push_str(rest);
    let mut safe = String::new();
    for c in out.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            c
        } else {
            '-'
        };
        if !(c == '-' && safe.ends_with('-')) {
            safe.push(c);
        }
    }
    let safe: String = safe.trim_matches(['-', '.']).chars().take(120).collect();
    // Names Windows reserves.
    let stem = safe.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
        || ((stem.starts_with("COM") || stem.starts_with("LPT")) && stem.len() == 4);
    if safe.is_empty() || reserved {
        return Err(format!(
            "`{pattern}` gives the unusable file name \"{out}\""
        ));
    }
    Ok(safe)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_newlines_bom_and_crlf() {
        let text = "\u{feff}a.b,c\r\n\"x, \"\"y\"\"\",2\r\n\"two\nlines\",\r\n\r\nlast,3";
        let rows = parse(text, "r.csv").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].number, 2);
        assert_eq!(
            rows[0].cells,
            [
                ("a.b".to_string(), 1, Cell::Text("x, \"y\"".into())),
                ("c".to_string(), 2, Cell::Text("2".into()))
            ]
        );
        assert_eq!(
            rows[1].cells,
            [("a.b".to_string(), 1, Cell::Text("two\nlines".into()))]
        );
        assert_eq!(rows[2].number, 4);
        assert!(parse("a\n\"open", "r.csv").is_err());
        assert!(parse("a,a\n1,2", "r.csv").is_err());
        assert!(parse("a\n1,2", "r.csv").is_err());
    }

    #[test]
    fn names_are_safe() {
        let look = |k: &str| match k {
            "name" => Some("Cedar Point/Ventures: LLC".to_string()),
            "row" => Some("7".into()),
            _ => None,
        };
        assert_eq!(
            file_name("{row}-{name}", &look).unwrap(),
            "7-Cedar-Point-Ventures-LLC"
        );
        assert!(file_name("{nope}", &look).is_err());
        assert!(file_name("{", &look).is_err());
        assert!(file_name("..", &look).is_err());
        assert!(file_name("con", &look).is_err());
    }
}
