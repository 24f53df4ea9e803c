//! A template's schema: every field its template reads, with type, description, example and
//! whether it is required. Parsed from `templates/<kind>/schema.toml`.

use serde::Deserialize;

use crate::error::{Diagnostic, Result};

/// The type of a data field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Free text, printed as written (escaped, so it can never change the document's structure).
    Text,
    /// A whole number.
    Integer,
    /// An amount of money: a TOML integer or a decimal string such as `"7000000.00"`; the written
    /// precision is the printed precision. Never a float.
    Money,
    /// A share count: a positive integer.
    Shares,
    /// A percentage: an integer or a decimal string such as `"4.99"`.
    Percent,
    /// A TOML local date (`2006-04-24`).
    Date,
    /// A party: a table of fields (name, short name, entity type, state …).
    Party,
    /// A table of fields.
    Table,
    /// A list: of scalars (`item`) or of tables (`field`).
    List,
    /// One of `values`.
    Enum,
    /// `true` or `false`.
    Bool,
}

impl FieldType {
    /// The name users see in messages and in `describe`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Money => "money",
            FieldType::Shares => "shares",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::Party => "party",
            FieldType::Table => "table",
            FieldType::List => "list",
            FieldType::Enum => "enum",
            FieldType::Bool => "bool",
        }
    }

    /// What a value of this type looks like, for "expected …" messages.
    pub fn expected(self) -> &'static str {
        match self {
            FieldType::Text => "a string",
            FieldType::Integer => "an integer",
            FieldType::Money => "an amount: an integer, or a decimal string such as \"120000.00\"",
            FieldType::Shares => "a positive whole number of shares",
            FieldType::Percent => "a percentage: an integer, or a decimal string such as \"4.99\"",
            FieldType::Date => "a TOML date such as 2006-04-24",
            FieldType::Party | FieldType::Table => "a table",
            FieldType::List => "an array",
            FieldType::Enum => "one of the listed values",
            FieldType::Bool => "true or false",
        }
    }

    /// Whether values of this type hold named sub-fields.
    pub fn is_table(self) -> bool {
        matches!(self, FieldType::Party | FieldType::Table)
    }
}

/// One field of a schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The key in the data file.
    pub key: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// What it means, for `describe` and `new`.
    pub description: String,
    /// Whether the data must give it (default: yes).
    #[serde(default = "yes")]
    pub required: bool,
    /// An example value, used by `new`.
    #[serde(default)]
    pub example: Option<toml::Value>,
    /// The heading under which `describe` lists it.
    #[serde(default)]
    pub group: Option<String>,
    /// Sub-fields of a party or table, or of each table in a list.
    #[serde(default, rename = "field")]
    pub fields: Vec<Field>,
    /// The type of each element of a list of scalars.
    #[serde(default)]
    pub item: Option<FieldType>,
    /// The allowed values of an enum.
    #[serde(default)]
    pub values: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Field {
    /// The sub-field named `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// A template's schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The template's name (`subscription`), as data files name it.
    pub kind: String,
    /// The document's usual title.
    pub title: String,
    /// One line for `list`.
    pub summary: String,
    /// The dotted data path whose value is the PDF's author (e.g. `company.name`).
    #[serde(default)]
    pub author: Option<String>,
    /// Page settings for the PDF (paper, type size, margins).
    #[serde(default)]
    pub page: super::PageSettings,
    /// A caption printed in the PDF at the foot of every page that holds a signature line, as
    /// written (`"[Signature Page to Release and Severance Agreement]"`). Page furniture, like
    /// the footer: not in the text render, and dropped when a PDF is read back.
    #[serde(default)]
    pub signature_caption: Option<String>,
    /// Every field the template reads, in document order.
    #[serde(default, rename = "field")]
    pub fields: Vec<Field>,
    /// Consistency rules every data file must meet.
    #[serde(default, rename = "rule")]
    pub rules: Vec<super::rules::Rule>,
}

impl Schema {
    /// Parse a schema from its text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Schema> {
        let schema: Schema = toml::from_str(text).map_err(|e| {
            let d = Diagnostic::error(origin, format!("invalid schema: {}", e.message().trim()));
            match e.span() {
                Some(span) => d.at(text, span),
                None => d,
            }
        })?;
        schema.validate(origin)?;
        Ok(schema)
    }

    /// Whether a dotted path (`payment.first.amount`, `notes.0.amount`) names a declared field.
    pub fn declares(&self, path: &str) -> bool {
        let mut fields = &self.fields;
        let mut in_list = false;
        for part in path.split('.') {
            if in_list && part.parse::<usize>().is_ok() {
                in_list = false;
                continue;
            }
            match fields.iter().find(|f| f.key == part) {
                Some(f) => {
                    in_list = f.ty == FieldType::List;
                    fields = &f.fields;
                }
                None => return false,
            }
        }
        true
    }

    /// The top-level field named `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    fn validate(&self, origin: &str) -> Result<()> {
        fn check(fields: &[Field], path: &str, origin: &str, out: &mut Vec<Diagnostic>) {
            let mut seen = std::collections::BTreeSet::new();
            for f in fields {
                let key = if path.is_empty() {
                    f.key.clone()
                } else {
                    format!("{path}.{}", f.key)
                };
                if !seen.insert(f.key.as_str()) {
                    out.push(Diagnostic::error(origin, "field declared twice").key(&key));
                }
                if path.is_empty() && (f.key == "template" || f.key == "page") {
                    out.push(
                        Diagnostic::error(origin, "`template` and `page` are reserved keys")
                            .key(&key),
                    );
                }
                match f.ty {
                    FieldType::Party | FieldType::Table if f.fields.is_empty() => out.push(
                        Diagnostic::error(origin, "a party or table field needs sub-fields")
                            .key(&key),
                    ),
                    FieldType::List if f.fields.is_empty() == f.item.is_none() => out.push(
                        Diagnostic::error(
                            origin,
                            "a list field needs either `item` (a scalar type) or sub-fields",
                        )
                        .key(&key),
                    ),
                    FieldType::Enum if f.values.is_empty() => out
                        .push(Diagnostic::error(origin, "an enum field needs `values`").key(&key)),
                    _ => {}
                }
                if let Some(item) = f.item
                    && matches!(item, FieldType::List | FieldType::Party | FieldType::Table)
                {
                    out.push(
                        Diagnostic::error(origin, "a list's `item` must be a scalar type")
                            .key(&key),
                    );
                }
                check(&f.fields, &key, origin, out);
            }
        }
        let mut problems = Vec::new();
        check(&self.fields, "", origin, &mut problems);
        for rule in &self.rules {
            match super::rules::parse(&rule.check) {
                Err(e) => problems.push(
                    Diagnostic::error(origin, format!("rule `{}` does not parse: {e}", rule.name))
                        .key(&rule.check),
                ),
                Ok(c) => {
                    let mut paths = Vec::new();
                    c.left.paths(&mut paths);
                    c.right.paths(&mut paths);
                    for p in paths {
                        if !self.declares(&p) {
                            problems.push(
                                Diagnostic::error(
                                    origin,
                                    format!(
                                        "rule `{}` reads `{p}`, which no field declares",
                                        rule.name
                                    ),
                                )
                                .key(&p),
                            );
                        }
                    }
                }
            }
            if !matches!(rule.severity.as_deref(), None | Some("error" | "warning")) {
                problems.push(Diagnostic::error(
                    origin,
                    format!(
                        "rule `{}`: severity must be \"error\" or \"warning\"",
                        rule.name
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Invalid(problems))
        }
    }
}
