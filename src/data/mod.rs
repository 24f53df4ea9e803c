//! Data files: the TOML a user writes for one agreement, checked against its template's
//! [`Schema`] and turned into typed [`Value`]s.
//!
//! A data file names its template on its first line (`template = "subscription"`). Every key must
//! be declared by the schema; types are checked with the value's exact place, so each problem is
//! reported with file, line, column and key path. Money is decimal, never a float; dates are TOML
//! dates. Parsing works on `&str` ([`Data::parse`]); reading the file is the caller's business.
// No panic reachable from input (issue 10): no unchecked indexing or arithmetic here; each
// `allow` below says why it is safe.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod roster;
pub mod rules;
pub mod scaffold;
pub mod schema;

use std::ops::Range;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeMap, Serializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Diagnostic, Error, Result, SourceFile, did_you_mean};

/// The largest data file accepted, in bytes (4 MiB; the originals are under 20 KB).
pub const MAX_DATA_BYTES: usize = 4 << 20;
/// The longest text value accepted, in bytes (64 KiB; the longest in the originals is under
/// 1 KB). A document's paragraphs come from values like these, and laying out one paragraph
/// grows faster than its length.
pub const MAX_TEXT_BYTES: usize = 64 << 10;
/// The most problems a check lists one by one; the rest are counted.
pub const MAX_PROBLEMS: usize = 100;
pub use schema::{Field, FieldType, Schema};

/// A typed value from a data file.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A whole number (integers and share counts).
    Integer(i64),
    /// A decimal (money and percentages), keeping the precision it was written with.
    Decimal(Decimal),
    /// A calendar date.
    Date(jiff::civil::Date),
    /// A boolean.
    Bool(bool),
    /// A list.
    List(Vec<Value>),
    /// A table, in the order of the file.
    Table(Vec<(String, Value)>),
}

impl Value {
    /// The value of `key` in a table.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a dotted path (`seller.name`, `notes.0.amount`).
    pub fn at_path(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(self, |v, part| match v {
            Value::List(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => v.get(part),
        })
    }

    /// Set the value at a dotted path of tables, adding the last key if it is not there (the
    /// tables on the way must exist; a path through a list or a missing table does nothing).
    pub fn set_path(&mut self, path: &str, value: Value) {
        let (parent, key) = match path.rsplit_once('.') {
            Some((p, k)) => (Some(p), k),
            None => (None, path),
        };
        let mut target = self;
        if let Some(parent) = parent {
            for part in parent.split('.') {
                let Value::Table(entries) = target else {
                    return;
                };
                match entries.iter_mut().find(|(k, _)| k == part) {
                    Some((_, v)) => target = v,
                    None => return,
                }
            }
        }
        if let Value::Table(entries) = target {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    /// A decimal view of a number (integers and decimals).
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Integer(i) => Some(Decimal::from(*i)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// The value as users write it, for change lists and messages.
    pub fn display(&self) -> String {
        match self {
            Value::Text(s) => format!("{s:?}"),
            Value::Integer(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Value::display)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Table(entries) => format!(
                "{{ {} }}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", v.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The value as a reader would print it: text without quotes, lists joined with commas.
    pub fn plain(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::List(items) => items
                .iter()
                .map(Value::plain)
                .collect::<Vec<_>>()
                .join(", "),
            other => other.display(),
        }
    }

    /// Every scalar leaf with its dotted path, in file order.
    pub fn leaves(&self) -> Vec<(String, &Value)> {
        fn walk<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
            let join = |k: &str| {
                if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                }
            };
            match v {
                Value::Table(entries) => entries.iter().for_each(|(k, v)| walk(v, join(k), out)),
                Value::List(items) if items.iter().any(|i| matches!(i, Value::Table(_))) => items
                    .iter()
                    .enumerate()
                    .for_each(|(i, v)| walk(v, join(&i.to_string()), out)),
                _ => out.push((path, v)),
            }
        }
        let mut out = Vec::new();
        walk(self, String::new(), &mut out);
        out
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Value::Text(t) => s.serialize_str(t),
            Value::Integer(i) => s.serialize_i64(*i),
            // Decimals travel as strings so that Tera never turns them into floats; the legal
            // filters parse them back exactly.
            Value::Decimal(d) => s.serialize_str(&d.to_string()),
            Value::Date(d) => s.serialize_str(&d.to_string()),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::List(items) => s.collect_seq(items),
            Value::Table(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// A validated data file.
#[derive(Debug, Clone)]
pub struct Data {
    /// The file as the user named it.
    pub origin: String,
    /// The file's text.
    pub source: String,
    /// The template it names.
    pub template: String,
    /// Its values (without `template` and `page`), as a table.
    pub values: Value,
    /// Page settings: the schema's, overridden by the data's `[page]` table.
    pub page: PageSettings,
    /// Problems that do not stop rendering (e.g. an executed copy that breaks a rule).
    pub warnings: Vec<Diagnostic>,
}

/// Paper sizes for the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// US Letter, 8.5 × 11 in.
    Letter,
    /// US Legal, 8.5 × 14 in.
    Legal,
    /// ISO A4, 210 × 297 mm.
    A4,
}

impl Paper {
    /// Width and height in points.
    pub fn points(self) -> (f32, f32) {
        match self {
            Paper::Letter => (612.0, 792.0),
            Paper::Legal => (612.0, 1008.0),
            Paper::A4 => (595.28, 841.89),
        }
    }
}

/// Page settings for the PDF, each optional: set in a template's schema (`[page]`) and
/// overridden by a data file's reserved `[page]` table.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSettings {
    /// Paper size.
    pub size: Option<Paper>,
    /// Body type size in points (8 to 16).
    pub font_size: Option<f32>,
    /// Margin on every side, in inches (0.5 to 2).
    pub margin: Option<f32>,
}

/// Where a data file names its template, and which.
#[derive(Debug, Clone)]
pub struct TemplateRef {
    /// The template's name.
    pub name: String,
    /// The byte span of the name in the file.
    pub span: Range<usize>,
}

impl Data {
    /// Read the `template = "…"` line of a data file without checking the rest.
    pub fn template_ref(text: &str, origin: &str) -> Result<TemplateRef> {
        check_size(text, origin)?;
        let table = parse_toml(text, origin)?;
        match table.get_ref().get("template") {
            Some(v) => match v.get_ref() {
                DeValue::String(s) => Ok(TemplateRef {
                    name: s.to_string(),
                    span: v.span(),
                }),
                other => Err(Diagnostic::error(origin, "`template` must be a string")
                    .key("template")
                    .label(format!("found {}", other.type_str()))
                    .at(text, v.span())
                    .into()),
            },
            None => Err(
                Diagnostic::error(origin, "the data file does not name its template")
                    .key("template")
                    .at(text, 0..0)
                    .help("start the file with a line such as: template = \"subscription\"")
                    .into(),
            ),
        }
    }

    /// Parse and check a data file against `schema`, reporting every problem at once.
    pub fn parse(text: &str, origin: &str, schema: &Schema) -> Result<Data> {
        check_size(text, origin)?;
        let table = parse_toml(text, origin)?;
        let mut checker = Checker {
            source: SourceFile::new(text),
            origin,
            problems: Vec::new(),
            omitted: 0,
            scratch: Diagnostic::error(origin, String::new()),
            spans: std::collections::BTreeMap::new(),
        };
        let mut entries = Vec::new();
        let whole = table.span();
        let mut rest = DeTable::new();
        let mut page = schema.page;
        for (k, v) in table.get_ref().iter() {
            match k.get_ref().as_ref() {
                "template" => {}
                "page" => checker.page(v, &mut page),
                _ => {
                    rest.insert(k.clone(), v.clone());
                }
            }
        }
        checker.table(
            &rest,
            &schema.fields,
            "",
            whole.start..whole.start,
            &mut entries,
        );
        let mut values = Value::Table(entries);
        let mut warnings = Vec::new();
        if checker.problems.is_empty() {
            checker.allowed(schema, &values);
            checker.computed(schema, &mut values, &mut warnings);
        }
        if checker.problems.is_empty() {
            checker.rules(schema, &values, &mut warnings);
        }
        if checker.omitted > 0 {
            let d = Diagnostic::omitted(origin, MAX_PROBLEMS, checker.omitted);
            checker.problems.push(d);
        }
        if checker.problems.is_empty() {
            Ok(Data {
                origin: origin.to_string(),
                source: text.to_string(),
                template: schema.kind.clone(),
                values,
                page,
                warnings,
            })
        } else {
            Err(Error::Invalid(checker.problems))
        }
    }
}

/// Fill in what the loader adds to a data file's values by itself: each missing field's
/// default, an empty table for each optional table left out, and the computed amounts whose
/// inputs are there. For values made in code rather than read from a file (extraction's
/// trial renders); nothing is checked.
pub fn complete(schema: &Schema, values: &mut Value) {
    fn tables(fields: &[Field], value: &mut Value) {
        let Value::Table(entries) = value else {
            return;
        };
        for f in fields {
            match entries.iter_mut().find(|(k, _)| *k == f.key) {
                Some((_, v)) => {
                    if f.ty.is_table() {
                        tables(&f.fields, v);
                    } else if let (FieldType::List, Value::List(items)) = (f.ty, v) {
                        for item in items {
                            tables(&f.fields, item);
                        }
                    }
                }
                None => {
                    if let Some(d) = &f.default_value {
                        entries.push((f.key.clone(), d.clone()));
                    } else if !f.required && f.ty.is_table() {
                        entries.push((f.key.clone(), Value::Table(Vec::new())));
                    }
                }
            }
        }
    }
    tables(&schema.fields, values);
    let mut all = Vec::new();
    for f in &schema.fields {
        schema::collect_computed(f, "", &mut all);
    }
    for (path, expr) in all {
        if values.at_path(&path).is_some() {
            continue;
        }
        if let Ok(rules::Quantity::Number(d)) = expr.value(values) {
            let typed = match schema.at_path(&path).map(|f| f.ty) {
                Some(FieldType::Integer | FieldType::Shares) => d
                    .trunc()
                    .to_string()
                    .parse::<i64>()
                    .map_or(Value::Decimal(d), Value::Integer),
                _ => Value::Decimal(d),
            };
            values.set_path(&path, typed);
        }
    }
}

/// A schema's `default` for `field`, typed and checked as a data file's value would be.
fn typed_default(field: &Field, default: &toml::Value) -> std::result::Result<Value, String> {
    let text = format!("v = {default}");
    let table = DeTable::parse(&text).map_err(|e| e.message().trim().to_string())?;
    let v = table
        .get_ref()
        .get("v")
        .ok_or_else(|| "the default cannot be read".to_string())?;
    let mut checker = Checker {
        source: SourceFile::new(&text),
        origin: "",
        problems: Vec::new(),
        omitted: 0,
        scratch: Diagnostic::error("", String::new()),
        spans: std::collections::BTreeMap::new(),
    };
    match checker.value(v, field, &field.key) {
        Some(value) if checker.problems.is_empty() => Ok(value),
        _ => Err(format!("{default} is not {}", field.ty.expected())),
    }
}

/// Whether a data file's value equals a schema's TOML value (for `required_when`).
fn de_equals(v: &DeValue<'_>, want: &toml::Value) -> bool {
    match (v, want) {
        (DeValue::String(a), toml::Value::String(b)) => a.as_ref() == b.as_str(),
        (DeValue::Boolean(a), toml::Value::Boolean(b)) => a == b,
        (DeValue::Integer(a), toml::Value::Integer(b)) => integer(a) == Some(*b),
        _ => false,
    }
}

fn check_size(text: &str, origin: &str) -> Result<()> {
    if text.len() > MAX_DATA_BYTES {
        return Err(Diagnostic::error(
            origin,
            format!(
                "the data file is {} bytes; the limit is {MAX_DATA_BYTES} bytes",
                text.len()
            ),
        )
        .into());
    }
    Ok(())
}

fn parse_toml<'i>(text: &'i str, origin: &str) -> Result<Spanned<DeTable<'i>>> {
    DeTable::parse(text).map_err(|e| {
        let d = Diagnostic::error(origin, format!("invalid TOML: {}", e.message().trim()));
        match e.span() {
            Some(span) => d.at(text, span).into(),
            None => d.into(),
        }
    })
}

struct Checker<'a> {
    /// The file's text, shared by every diagnostic, with its line index.
    source: SourceFile,
    origin: &'a str,
    problems: Vec<Diagnostic>,
    /// Problems past [`MAX_PROBLEMS`], counted but not built.
    omitted: usize,
    /// Where a counted problem's label and help go (never shown).
    scratch: Diagnostic,
    /// Where each value is, by dotted path (`notes.0.amount`).
    spans: std::collections::BTreeMap<String, Range<usize>>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Checker<'_> {
    /// Record an error; past [`MAX_PROBLEMS`] it is only counted. The caller may add a label
    /// and help to the diagnostic returned (a scratch one when the error is only counted).
    fn error(
        &mut self,
        message: impl Into<String>,
        key: &str,
        span: Range<usize>,
    ) -> &mut Diagnostic {
        if self.full() {
            self.omitted = self.omitted.saturating_add(1);
            // Its text is never shown: only the count is.
            self.scratch = Diagnostic::error(self.origin, String::new());
            return &mut self.scratch;
        }
        let d = Diagnostic::error(self.origin, message)
            .key(key)
            .at_shared(&self.source, span);
        self.problems.push(d);
        #[allow(
            clippy::expect_used,
            reason = "the vector was pushed to on the line above"
        )]
        self.problems.last_mut().expect("just pushed")
    }

    /// Whether further problems are only counted.
    fn full(&self) -> bool {
        self.problems.len() >= MAX_PROBLEMS
    }

    /// Every problem found so far, listed or counted.
    fn count(&self) -> usize {
        self.problems.len().saturating_add(self.omitted)
    }

    fn table(
        &mut self,
        table: &DeTable<'_>,
        fields: &[Field],
        path: &str,
        span: Range<usize>,
        out: &mut Vec<(String, Value)>,
    ) {
        for (k, v) in table.iter() {
            let key = k.get_ref().as_ref();
            let full = join(path, key);
            match fields.iter().find(|f| f.key == key) {
                Some(field) => {
                    if let Some(value) = self.value(v, field, &full) {
                        out.push((key.to_string(), value));
                    }
                }
                None if self.full() => {
                    // Past the listed problems, only the count matters.
                    self.omitted = self.omitted.saturating_add(1);
                }
                None => {
                    let suggestion = did_you_mean(key, fields.iter().map(|f| f.key.as_str()));
                    let d = self.error(format!("unknown key `{key}`"), &full, k.span());
                    d.label = Some("not in the template's schema".into());
                    match suggestion {
                        Some(s) => d.help.push(format!("did you mean `{}`?", join(path, s))),
                        None => d.help.push(format!(
                            "expected one of: {}",
                            fields
                                .iter()
                                .map(|f| f.key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    }
                }
            }
        }
        for field in fields {
            if table.contains_key(field.key.as_str()) {
                continue;
            }
            if let Some(v) = &field.default_value {
                out.push((field.key.clone(), v.clone()));
                continue;
            }
            // An optional table left out is an empty table, so templates can test its keys
            // (`{% if as_executed.x %}`) without tripping over two levels of undefined.
            if !field.required && field.ty.is_table() {
                out.push((field.key.clone(), Value::Table(Vec::new())));
            }
            let condition = field.required_when.as_ref().map(|when| {
                when.iter().all(|(k, want)| match table.get(k.as_str()) {
                    Some(v) => de_equals(v.get_ref(), want),
                    None => fields
                        .iter()
                        .find(|f| &f.key == k)
                        .and_then(|f| f.default.as_ref())
                        .is_some_and(|d| d == want),
                })
            });
            let required = match condition {
                Some(holds) => holds,
                None => field.required && field.computed.is_none(),
            };
            if required {
                let full = join(path, &field.key);
                let message = match field.condition() {
                    Some(c) => format!("missing field `{full}`, required when {c}"),
                    None => format!("missing required field `{full}`"),
                };
                let d = self.error(message, &full, span.clone());
                d.label = Some(format!("`{}` is not set here", field.key));
                d.help.push(format!(
                    "{}: {} ({})",
                    field.key,
                    field.description,
                    field.ty.expected()
                ));
            }
        }
    }

    fn value(&mut self, v: &Spanned<DeValue<'_>>, field: &Field, key: &str) -> Option<Value> {
        let span = v.span();
        self.spans
            .insert(key.replace('[', ".").replace(']', ""), span.clone());
        let found = v.get_ref();
        let wrong = |this: &mut Self, help: Option<String>| {
            let d = this.error(
                format!("`{key}` must be of type {}", field.ty.name()),
                key,
                span.clone(),
            );
            d.label = Some(format!(
                "expected {}, found {}",
                field.ty.expected(),
                describe(found)
            ));
            if let Some(h) = help {
                d.help.push(h);
            }
            None
        };
        match (field.ty, found) {
            (FieldType::Text, DeValue::String(s)) if s.len() > MAX_TEXT_BYTES => {
                let d = self.error(
                    format!(
                        "`{key}` is {} bytes long, longer than the limit of {MAX_TEXT_BYTES} bytes for a text value",
                        s.len()
                    ),
                    key,
                    span,
                );
                d.label = Some("too long".into());
                None
            }
            (FieldType::Text, DeValue::String(s)) => Some(Value::Text(s.to_string())),
            (FieldType::Text, _) => wrong(self, Some("put the text in quotes".into())),
            (FieldType::Bool, DeValue::Boolean(b)) => Some(Value::Bool(*b)),
            (FieldType::Integer, DeValue::Integer(i)) => match integer(i) {
                Some(n) => Some(Value::Integer(n)),
                None => wrong(self, Some("the number is out of range".into())),
            },
            (FieldType::Shares, DeValue::Integer(i)) => match integer(i) {
                Some(n) if n > 0 => Some(Value::Integer(n)),
                Some(_) => {
                    let d = self.error(format!("`{key}` must be a positive share count"), key, span);
                    d.label = Some("not positive".into());
                    None
                }
                None => wrong(self, Some("the number is out of range".into())),
            },
            (FieldType::Shares | FieldType::Integer, DeValue::String(s)) => wrong(
                self,
                Some(format!(
                    "write the number without quotes or commas, e.g. {}",
                    s.replace([',', ' '], "_")
                )),
            ),
            (FieldType::Money | FieldType::Percent, DeValue::Integer(i)) => match integer(i) {
                Some(n) => self.amount(Decimal::from(n), field, key, span),
                None => wrong(self, Some("the number is out of range".into())),
            },
            (FieldType::Money | FieldType::Percent, DeValue::String(s)) => {
                match parse_decimal(s) {
                    Some(d) => self.amount(d, field, key, span),
                    None => wrong(
                        self,
                        Some("write digits with an optional decimal point, without $, % or commas, e.g. \"1250000.00\"".into()),
                    ),
                }
            }
            (FieldType::Money | FieldType::Percent, DeValue::Float(f)) => wrong(
                self,
                Some(format!(
                    "TOML floats lose trailing zeros; write the amount as a string: \"{}\"",
                    f.as_str()
                )),
            ),
            (FieldType::Date, DeValue::Datetime(dt)) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => {
                    match jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8) {
                        Ok(date) => Some(Value::Date(date)),
                        Err(_) => wrong(self, Some("that day does not exist".into())),
                    }
                }
                _ => wrong(self, Some("give a date only, without a time".into())),
            },
            (FieldType::Date, DeValue::String(s)) => wrong(
                self,
                Some(format!("write the date without quotes, as YYYY-MM-DD (not {s:?})")),
            ),
            (FieldType::Enum, DeValue::String(s)) => {
                if field.values.iter().any(|x| x == s.as_ref()) {
                    Some(Value::Text(s.to_string()))
                } else {
                    let suggestion = did_you_mean(s, field.values.iter().map(String::as_str));
                    let d = self.error(format!("`{key}` has an unknown value {s:?}"), key, span);
                    d.label = Some(format!("expected one of: {}", field.values.join(", ")));
                    if let Some(x) = suggestion {
                        d.help.push(format!("did you mean \"{x}\"?"));
                    }
                    None
                }
            }
            (FieldType::Party | FieldType::Table, DeValue::Table(t)) => {
                let mut entries = Vec::new();
                let before = self.count();
                self.table(t, &field.fields, key, span, &mut entries);
                (self.count() == before).then_some(Value::Table(entries))
            }
            (FieldType::List, DeValue::Array(items)) => {
                let mut out = Vec::new();
                let before = self.count();
                for (i, item) in items.iter().enumerate() {
                    let item_key = format!("{key}[{i}]");
                    let item_field = Field {
                        key: item_key.clone(),
                        ty: field.item.unwrap_or(FieldType::Table),
                        description: field.description.clone(),
                        required: true,
                        example: None,
                        group: None,
                        fields: field.fields.clone(),
                        item: None,
                        values: field.values.clone(),
                        default: None,
                        required_when: None,
                        allowed_when: None,
                        computed: None,
                        default_value: None,
                        computed_expr: None,
                    };
                    if let Some(v) = self.value(item, &item_field, &item_key) {
                        out.push(v);
                    }
                }
                (self.count() == before).then_some(Value::List(out))
            }
            _ => wrong(self, None),
        }
    }

    /// Refuse a field given where its `allowed_when` does not hold.
    fn allowed(&mut self, schema: &Schema, values: &Value) {
        fn walk<'f>(fields: &'f [Field], path: &str, out: &mut Vec<(String, &'f Field)>) {
            for f in fields {
                let key = join(path, &f.key);
                if f.allowed_when.is_some() {
                    out.push((key.clone(), f));
                }
                if f.ty != FieldType::List {
                    walk(&f.fields, &key, out);
                }
            }
        }
        let mut all = Vec::new();
        walk(&schema.fields, "", &mut all);
        for (path, field) in all {
            let Some(when) = &field.allowed_when else {
                continue;
            };
            let given = match values.at_path(&path) {
                None => continue,
                Some(Value::List(l)) if l.is_empty() => continue,
                Some(Value::Table(t)) if t.is_empty() => continue,
                Some(_) => true,
            };
            let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
            let holds = when.iter().all(|(k, want)| {
                let at = if k.contains('.') {
                    k.clone()
                } else {
                    join(parent, k)
                };
                match (values.at_path(&at), want) {
                    (Some(Value::Text(a)), toml::Value::String(b)) => a == b,
                    (Some(Value::Bool(a)), toml::Value::Boolean(b)) => a == b,
                    (Some(Value::Integer(a)), toml::Value::Integer(b)) => a == b,
                    _ => false,
                }
            });
            if given && !holds {
                let condition = field.allowed().unwrap_or_default();
                let mut d = Diagnostic::error(
                    self.origin,
                    format!("`{path}` is given, but it is allowed only when {condition}"),
                )
                .key(&path)
                .help(format!("{}: {}", field.key, field.description));
                if let Some(span) = self.spans.get(&path) {
                    d = d
                        .at_shared(&self.source, span.clone())
                        .label(format!("only when {condition}"));
                }
                self.problems.push(d);
            }
        }
    }

    /// Fill in the schema's computed fields, and check those the data gives: a given value
    /// must equal the computed one (an error, or a warning for an executed copy).
    fn computed(&mut self, schema: &Schema, values: &mut Value, warnings: &mut Vec<Diagnostic>) {
        let executed = matches!(values.get("as_executed"), Some(Value::Table(t)) if !t.is_empty());
        let mut all = Vec::new();
        for f in &schema.fields {
            schema::collect_computed(f, "", &mut all);
        }
        for (path, expr) in all {
            let Some(field) = schema.at_path(&path) else {
                continue;
            };
            let computed = match expr.value(values) {
                Ok(rules::Quantity::Number(d)) => d,
                Ok(rules::Quantity::Date(_)) | Err(rules::Skip::Missing(_)) => continue,
                Err(rules::Skip::Invalid(why)) => {
                    self.problems.push(
                        Diagnostic::error(
                            self.origin,
                            format!("`{path}` cannot be computed: {why}"),
                        )
                        .key(&path),
                    );
                    continue;
                }
                Err(rules::Skip::Overflow(e)) => {
                    let mut d = Diagnostic::error(
                        self.origin,
                        format!("`{path}` cannot be computed: `{e}` is too large to compute"),
                    )
                    .key(&path)
                    .help(format!(
                        "`{path}` = {}",
                        field.computed.as_deref().unwrap_or("")
                    ));
                    let mut read = Vec::new();
                    expr.paths(&mut read);
                    if let Some(span) = read.iter().find_map(|p| self.spans.get(p)) {
                        d = d.at_shared(&self.source, span.clone());
                    }
                    self.problems.push(d);
                    continue;
                }
            };
            let typed = match field.ty {
                FieldType::Integer | FieldType::Shares => {
                    match (
                        computed.fract().is_zero(),
                        computed.trunc().to_string().parse::<i64>(),
                    ) {
                        (true, Ok(n)) => Value::Integer(n),
                        _ => {
                            self.problems.push(
                                Diagnostic::error(
                                    self.origin,
                                    format!("`{path}` is computed as {computed}, which is not a whole number"),
                                )
                                .key(&path),
                            );
                            continue;
                        }
                    }
                }
                _ => Value::Decimal(computed),
            };
            match values.at_path(&path).and_then(Value::as_decimal) {
                Some(given) if given == computed => {}
                Some(given) => {
                    let mut d = if executed {
                        Diagnostic::warning(
                            self.origin,
                            format!(
                                "`{path}` must equal {}",
                                field.computed.as_deref().unwrap_or("")
                            ),
                        )
                    } else {
                        Diagnostic::error(
                            self.origin,
                            format!(
                                "`{path}` must equal {}",
                                field.computed.as_deref().unwrap_or("")
                            ),
                        )
                    }
                    .key(&path)
                    .help(format!(
                        "`{path}` = {}; leave it out and engross works it out",
                        field.computed.as_deref().unwrap_or("")
                    ));
                    if let Some(span) = self.spans.get(&path) {
                        d = d.at_shared(&self.source, span.clone()).label(format!(
                            "{} is given, but {} is {}",
                            crate::words::format_number(given, None),
                            field.computed.as_deref().unwrap_or(""),
                            crate::words::format_number(computed, None)
                        ));
                    }
                    if executed {
                        warnings.push(d);
                    } else {
                        self.problems.push(d);
                    }
                }
                None => values.set_path(&path, typed),
            }
        }
    }

    /// Check the schema's consistency rules. A broken rule is an error, or a warning when the
    /// rule says so or the data reproduces an executed copy (it has an `[as_executed]` table):
    /// the original is rendered as it stands, and `check` still tells.
    fn rules(&mut self, schema: &Schema, values: &Value, warnings: &mut Vec<Diagnostic>) {
        use rules::{Outcome, Skip};
        let executed = matches!(values.get("as_executed"), Some(Value::Table(t)) if !t.is_empty());
        for rule in &schema.rules {
            let Some(check) = &rule.parsed else {
                continue;
            };
            match check.evaluate(values) {
                Outcome::Holds | Outcome::Skipped(Skip::Missing(_)) => {}
                Outcome::Skipped(Skip::Overflow(expr)) => {
                    let mut paths = Vec::new();
                    check.left.paths(&mut paths);
                    check.right.paths(&mut paths);
                    let mut d = Diagnostic::error(
                        self.origin,
                        format!(
                            "rule `{}` cannot be checked: `{expr}` is too large to compute",
                            rule.name
                        ),
                    );
                    // Point at the first value the overflowing expression reads.
                    let mut read = Vec::new();
                    if let Ok(sub) = rules::parse(&format!("{expr} == 0")) {
                        sub.left.paths(&mut read);
                    }
                    if let Some((path, span)) = read
                        .iter()
                        .chain(&paths)
                        .find_map(|p| self.spans.get(p).map(|s| (p, s.clone())))
                    {
                        d = d.key(path.clone()).at_shared(&self.source, span);
                    }
                    d = d
                        .label("too large for the rule's arithmetic")
                        .help(format!(
                            "numbers in rules are exact decimals up to {}; check the values this rule reads: {}",
                            Decimal::MAX,
                            paths.join(", ")
                        ))
                        .help(format!("rule `{}`: {}", rule.name, rule.check));
                    self.problems.push(d);
                }
                Outcome::Skipped(Skip::Invalid(why)) => self.problems.push(
                    Diagnostic::error(
                        self.origin,
                        format!("rule `{}` cannot be checked: {why}", rule.name),
                    )
                    .key(&rule.check),
                ),
                Outcome::Broken(left, right) => {
                    let mut paths = Vec::new();
                    check.left.paths(&mut paths);
                    check.right.paths(&mut paths);
                    let warning = executed || rule.severity == rules::RuleSeverity::Warning;
                    let mut d = if warning {
                        Diagnostic::warning(self.origin, rule.message.clone())
                    } else {
                        Diagnostic::error(self.origin, rule.message.clone())
                    };
                    // Point at the last value the rule reads: usually the total or the later date.
                    if let Some((path, span)) = paths
                        .iter()
                        .rev()
                        .find_map(|p| self.spans.get(p).map(|s| (p, s.clone())))
                    {
                        d = d.key(path.clone()).at_shared(&self.source, span);
                    }
                    d = d
                        .label(format!(
                            "{} is {left}, but {} is {right}",
                            side(&check.left),
                            side(&check.right)
                        ))
                        .help(format!("rule `{}`: {}", rule.name, rule.check));
                    if executed && rule.severity != rules::RuleSeverity::Warning {
                        d = d.help("a warning, not an error: this file reproduces an executed copy (it has [as_executed])");
                    }
                    if warning {
                        warnings.push(d);
                    } else {
                        self.problems.push(d);
                    }
                }
            }
        }
    }

    /// The reserved `[page]` table: paper size, type size and margins for the PDF.
    fn page(&mut self, v: &Spanned<DeValue<'_>>, page: &mut PageSettings) {
        let DeValue::Table(t) = v.get_ref() else {
            let d = self.error("`page` must be a table", "page", v.span());
            d.help
                .push("write it as [page] with size, font_size and margin".into());
            return;
        };
        for (k, v) in t.iter() {
            let key = format!("page.{}", k.get_ref());
            let number = |v: &DeValue<'_>| match v {
                DeValue::Integer(i) => integer(i).map(|n| n as f32),
                DeValue::Float(f) => f.as_str().replace('_', "").parse::<f32>().ok(),
                _ => None,
            };
            match k.get_ref().as_ref() {
                "size" => match v.get_ref() {
                    DeValue::String(s) if matches!(s.as_ref(), "letter" | "legal" | "a4") => {
                        page.size = Some(match s.as_ref() {
                            "letter" => Paper::Letter,
                            "legal" => Paper::Legal,
                            _ => Paper::A4,
                        })
                    }
                    _ => {
                        let d = self.error("unknown paper size", &key, v.span());
                        d.label = Some("expected \"letter\", \"legal\" or \"a4\"".into());
                    }
                },
                "font_size" => match number(v.get_ref()) {
                    Some(n) if (8.0..=16.0).contains(&n) => page.font_size = Some(n),
                    _ => {
                        let d = self.error("font size out of range", &key, v.span());
                        d.label = Some("expected a number of points from 8 to 16".into());
                    }
                },
                "margin" => match number(v.get_ref()) {
                    Some(n) if (0.5..=2.0).contains(&n) => page.margin = Some(n),
                    _ => {
                        let d = self.error("margin out of range", &key, v.span());
                        d.label = Some("expected inches from 0.5 to 2".into());
                    }
                },
                other => {
                    let suggestion = did_you_mean(other, ["size", "font_size", "margin"]);
                    let d = self.error(format!("unknown key `{other}`"), &key, k.span());
                    d.help.push(match suggestion {
                        Some(s) => format!("did you mean `page.{s}`?"),
                        None => "expected one of: size, font_size, margin".into(),
                    });
                }
            }
        }
    }

    fn amount(
        &mut self,
        d: Decimal,
        field: &Field,
        key: &str,
        span: Range<usize>,
    ) -> Option<Value> {
        if d.is_sign_negative() && !d.is_zero() {
            let e = self.error(format!("`{key}` must not be negative"), key, span);
            e.label = Some("negative".into());
            return None;
        }
        if field.ty == FieldType::Percent && d > Decimal::from(100) {
            let e = self.error(
                format!("`{key}` must be a percentage from 0 to 100"),
                key,
                span,
            );
            e.label = Some("over 100".into());
            return None;
        }
        Some(Value::Decimal(d))
    }
}

/// An expression as written, for messages.
fn side(e: &rules::Expr) -> String {
    match e {
        rules::Expr::Number(d) => d.to_string(),
        rules::Expr::Path(p) => p.clone(),
        rules::Expr::Op(a, op, b) => format!("{} {op} {}", side(a), side(b)),
    }
}

fn integer(i: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
}

/// Digits with an optional fractional part: `"120000"`, `"0.00001"`, `"7000000.00"`.
fn parse_decimal(s: &str) -> Option<Decimal> {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if digits(int) && digits(frac) {
        Decimal::from_str(s).ok()
    } else {
        None
    }
}

fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("the string {s:?}"),
        DeValue::Integer(i) => format!("the integer {}", i.as_str()),
        DeValue::Float(f) => format!("the float {}", f.as_str()),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the datetime {d}"),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    reason = "a test indexes what it just checked the length of; a panic fails it"
)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
kind = "t"
title = "T"
summary = "a test"
[[field]]
key = "price"
type = "money"
description = "the price"
[[field]]
key = "date"
type = "date"
description = "the date"
[[field]]
key = "seller"
type = "party"
description = "the seller"
  [[field.field]]
  key = "name"
  type = "text"
  description = "name"
  [[field.field]]
  key = "state"
  type = "text"
  description = "state"
  required = false
"#;

    fn parse(data: &str) -> Result<Data> {
        Data::parse(
            data,
            "t.toml",
            &Schema::parse(SCHEMA, "schema.toml").unwrap(),
        )
    }

    const BOOKKEEPING: &str = r#"
kind = "b"
title = "B"
summary = "defaults, conditions, formulas"
[[field]]
key = "term"
type = "integer"
description = "years"
default = 2
[[field]]
key = "law"
type = "text"
description = "governing law"
default = "Delaware"
[[field]]
key = "party"
type = "party"
description = "a party"
  [[field.field]]
  key = "kind"
  type = "enum"
  values = ["individual", "entity"]
  description = "which"
  default = "entity"
  [[field.field]]
  key = "state"
  type = "text"
  description = "state"
  required_when = { kind = "entity" }
[[field]]
key = "fee"
type = "table"
description = "fee"
required = false
  [[field.field]]
  key = "monthly"
  type = "money"
  description = "each month"
  [[field.field]]
  key = "months"
  type = "integer"
  description = "months"
  required = false
  [[field.field]]
  key = "total"
  type = "money"
  description = "all"
  computed = "fee.monthly * fee.months"
"#;

    fn book(data: &str) -> Result<Data> {
        Data::parse(
            data,
            "b.toml",
            &Schema::parse(BOOKKEEPING, "schema.toml").unwrap(),
        )
    }

    #[test]
    fn defaults_conditions_and_formulas() {
        // Defaults filled in; the condition holds through the sibling's default.
        let d = book("[party]\nstate = \"Ohio\"\n").unwrap();
        assert_eq!(d.values.get("term"), Some(&Value::Integer(2)));
        assert_eq!(d.values.get("law"), Some(&Value::Text("Delaware".into())));
        assert_eq!(
            d.values.at_path("party.kind"),
            Some(&Value::Text("entity".into()))
        );
        // Required when kind = entity (the default), not for an individual.
        let e = book("[party]\n").unwrap_err().to_string();
        assert!(e.contains("required when kind = \"entity\""), "{e}");
        assert!(book("[party]\nkind = \"individual\"\n").is_ok());
        // Computed: filled in exactly, checked when given, located when it overflows.
        let d =
            book("[party]\nstate = \"Ohio\"\n[fee]\nmonthly = \"1500.00\"\nmonths = 6\n").unwrap();
        assert_eq!(
            d.values.at_path("fee.total"),
            Some(&Value::Decimal(Decimal::new(900_000, 2)))
        );
        let e = book("[party]\nstate = \"Ohio\"\n[fee]\nmonthly = \"1500.00\"\nmonths = 6\ntotal = \"9000.01\"\n")
            .unwrap_err();
        let d = &e.diagnostics()[0];
        assert!(
            d.message.contains("must equal fee.monthly * fee.months"),
            "{}",
            d.message
        );
        assert_eq!(d.line, Some(6));
        assert!(book("[party]\nstate = \"Ohio\"\n[fee]\nmonthly = \"1500\"\nmonths = 6\ntotal = \"9000.00\"\n").is_ok());
        let e = book(&format!(
            "[party]\nstate = \"Ohio\"\n[fee]\nmonthly = \"{}\"\nmonths = {}\n",
            Decimal::MAX,
            i64::MAX
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("too large to compute"), "{e}");
        // A formula whose inputs are missing gives no value, and no error.
        let d = book("[party]\nstate = \"Ohio\"\n[fee]\nmonthly = \"1500.00\"\n").unwrap();
        assert_eq!(d.values.at_path("fee.total"), None);
    }

    #[test]
    fn a_field_allowed_only_when_another_has_a_value() {
        let schema = format!(
            "{BOOKKEEPING}\n[[field]]\nkey = \"joint\"\ntype = \"list\"\nitem = \"text\"\ndescription = \"co-buyers\"\nrequired = false\nallowed_when = {{ \"party.kind\" = \"individual\" }}\n"
        );
        let schema = Schema::parse(&schema, "schema.toml").unwrap();
        let parse = |d: &str| Data::parse(d, "j.toml", &schema);
        let e = parse("joint = [\"Ann\"]\n[party]\nstate = \"Ohio\"\n").unwrap_err();
        let d = &e.diagnostics()[0];
        assert!(
            d.message
                .contains("allowed only when party.kind = \"individual\""),
            "{}",
            d.message
        );
        assert_eq!((d.line, d.column), (Some(1), Some(9)));
        assert!(parse("joint = [\"Ann\"]\n[party]\nkind = \"individual\"\n").is_ok());
        assert!(parse("joint = []\n[party]\nstate = \"Ohio\"\n").is_ok());
        let bad = format!(
            "{BOOKKEEPING}\n[[field]]\nkey = \"joint\"\ntype = \"text\"\ndescription = \"x\"\nrequired = false\nallowed_when = {{ \"party.sort\" = \"individual\" }}\n"
        );
        let e = Schema::parse(&bad, "schema.toml").unwrap_err().to_string();
        assert!(e.contains("reads `party.sort`"), "{e}");
    }

    #[test]
    fn bad_bookkeeping_in_a_schema_is_reported() {
        let bad = BOOKKEEPING
            .replace("default = 2", "default = \"two\"")
            .replace(
                "required_when = { kind = \"entity\" }",
                "required_when = { sort = \"entity\" }",
            )
            .replace(
                "computed = \"fee.monthly * fee.months\"",
                "computed = \"fee.monthly * fee.weeks\"",
            );
        let e = Schema::parse(&bad, "schema.toml").unwrap_err();
        let all: Vec<String> = e.diagnostics().iter().map(|d| d.message.clone()).collect();
        assert!(
            all.iter().any(|m| m.contains("`default` of `term`")),
            "{all:?}"
        );
        assert!(all.iter().any(|m| m.contains("reads `sort`")), "{all:?}");
        assert!(
            all.iter().any(|m| m.contains("reads `fee.weeks`")),
            "{all:?}"
        );
    }

    #[test]
    fn typed_values() {
        let d = parse(
            "template = \"t\"\nprice = \"7000000.00\"\ndate = 2006-04-24\n[seller]\nname = \"A\"\n",
        )
        .unwrap();
        assert_eq!(
            d.values.get("price"),
            Some(&Value::Decimal(Decimal::from_str("7000000.00").unwrap()))
        );
        assert_eq!(
            d.values.at_path("seller.name"),
            Some(&Value::Text("A".into()))
        );
        assert_eq!(d.values.get("date").unwrap().display(), "2006-04-24");
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let err = parse("template = \"t\"\nprice = 4.50\n[seller]\nnmae = \"A\"\n").unwrap_err();
        let d = err.diagnostics();
        assert_eq!(d.len(), 4, "{d:#?}");
        assert_eq!(d[0].key.as_deref(), Some("price"));
        assert_eq!((d[0].line, d[0].column), (Some(2), Some(9)));
        assert_eq!(d[1].key.as_deref(), Some("seller.nmae"));
        assert_eq!(d[1].help, vec!["did you mean `seller.name`?"]);
        assert_eq!(d[2].key.as_deref(), Some("seller.name"));
        assert_eq!(d[3].key.as_deref(), Some("date"));
    }

    #[test]
    fn decimals_are_strict() {
        assert_eq!(
            parse_decimal("0.00001"),
            Some(Decimal::from_str("0.00001").unwrap())
        );
        assert_eq!(parse_decimal("1,000"), None);
        assert_eq!(parse_decimal("$5"), None);
        assert_eq!(parse_decimal("5."), None);
        assert_eq!(parse_decimal("-5"), None);
    }
}
