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
    /// The value a data file that leaves the field out gets, as TOML (`default = "cashless"`).
    /// The loader fills it in, so templates read it like any value; `describe` and `new` show
    /// it. A field with a default is optional.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// The field is required when its sibling fields have these values
    /// (`required_when = { kind = "entity" }`); otherwise it is optional.
    #[serde(default)]
    pub required_when: Option<toml::Table>,
    /// The field may be given only when these fields have these values (a key with a dot is
    /// a path from the top of the data file: `allowed_when = { "subscriber.kind" =
    /// "individual" }`; without, a field beside it).
    #[serde(default)]
    pub allowed_when: Option<toml::Table>,
    /// An amount the engine works out from other fields (`computed = "subscriber.shares *
    /// offering.price_per_share"`, paths from the top of the data file; `+ - *`, exact decimals,
    /// checked for overflow). Left out, the loader fills it in; given, it must equal the
    /// computed value.
    #[serde(default)]
    pub computed: Option<String>,
    /// `default`, typed by the field's type when the schema is loaded.
    #[serde(skip)]
    pub default_value: Option<super::Value>,
    /// `computed`, parsed when the schema is loaded.
    #[serde(skip)]
    pub computed_expr: Option<super::rules::Expr>,
}

fn yes() -> bool {
    true
}

impl Field {
    /// The sub-field named `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Whether a data file must give this field, whatever its other values.
    pub fn always_required(&self) -> bool {
        self.required
            && self.default.is_none()
            && self.required_when.is_none()
            && self.computed.is_none()
    }

    /// `required_when` as people read it: `kind = "entity"`.
    pub fn condition(&self) -> Option<String> {
        self.required_when.as_ref().map(condition_text)
    }

    /// `allowed_when` as people read it.
    pub fn allowed(&self) -> Option<String> {
        self.allowed_when.as_ref().map(condition_text)
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
    /// How the template's clauses are numbered and referred to (`[#section]`, `[](#name)`):
    /// see [`crate::template::numbering`].
    #[serde(default)]
    pub numbering: Vec<NumberLevel>,
}

/// One level of a kind's clause numbering.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NumberLevel {
    /// Its name, as templates write it (`[#section]`).
    pub level: String,
    /// The counter's style: `1`, `I`, `i`, `A` or `a`.
    #[serde(default = "decimal")]
    pub style: String,
    /// The level it restarts under (a section's number restarts in each article).
    #[serde(default)]
    pub within: Option<String>,
    /// The label printed at the clause: `{article:1}.{section}` (a level's counter in its own
    /// style, or in the style after the colon).
    pub label: String,
    /// How `[](#name)` prints a reference to it: `Section {label}`.
    pub reference: String,
    /// How `[#](#name)` prints it, the number alone (default: the label). A label with its
    /// punctuation (`4.`) wants `{section}` here.
    #[serde(default)]
    pub number: Option<String>,
}

fn decimal() -> String {
    "1".into()
}

impl Schema {
    /// Parse a schema from its text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Schema> {
        let mut schema: Schema = toml::from_str(text).map_err(|e| {
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
        declares(&self.fields, path)
    }

    /// The field a dotted path names, if any.
    pub fn at_path(&self, path: &str) -> Option<&Field> {
        let mut fields = &self.fields;
        let mut found = None;
        for part in path.split('.') {
            let f = fields.iter().find(|f| f.key == part)?;
            fields = &f.fields;
            found = Some(f);
        }
        found
    }

    /// The top-level field named `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    fn validate(&mut self, origin: &str) -> Result<()> {
        fn check(fields: &mut [Field], path: &str, origin: &str, out: &mut Vec<Diagnostic>) {
            let mut seen = std::collections::BTreeSet::new();
            let siblings: Vec<String> = fields.iter().map(|f| f.key.clone()).collect();
            for f in fields.iter_mut() {
                let key = if path.is_empty() {
                    f.key.clone()
                } else {
                    format!("{path}.{}", f.key)
                };
                if !seen.insert(f.key.clone()) {
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
                if let Some(default) = &f.default {
                    match super::typed_default(f, default) {
                        Ok(v) => f.default_value = Some(v),
                        Err(why) => out.push(
                            Diagnostic::error(origin, format!("`default` of `{key}`: {why}"))
                                .key(&key),
                        ),
                    }
                }
                if let Some(when) = &f.required_when {
                    for k in when.keys() {
                        if !siblings.contains(k) {
                            out.push(
                                Diagnostic::error(
                                    origin,
                                    format!(
                                        "`required_when` of `{key}` reads `{k}`, which is not a field beside it"
                                    ),
                                )
                                .key(&key),
                            );
                        }
                    }
                }
                if let Some(when) = &f.allowed_when {
                    for k in when.keys() {
                        if !k.contains('.') && !siblings.contains(k) {
                            out.push(
                                Diagnostic::error(
                                    origin,
                                    format!(
                                        "`allowed_when` of `{key}` reads `{k}`, which is not a field beside it (a path from the top has a dot)"
                                    ),
                                )
                                .key(&key),
                            );
                        }
                    }
                }
                if let Some(expr) = &f.computed {
                    if !matches!(
                        f.ty,
                        FieldType::Money
                            | FieldType::Percent
                            | FieldType::Integer
                            | FieldType::Shares
                    ) {
                        out.push(
                            Diagnostic::error(
                                origin,
                                format!("`{key}` is computed, so it must be a number type (money, percent, integer or shares)"),
                            )
                            .key(&key),
                        );
                    }
                    match super::rules::parse_expr(expr) {
                        Ok(e) => f.computed_expr = Some(e),
                        Err(why) => out.push(
                            Diagnostic::error(
                                origin,
                                format!("`computed` of `{key}` does not parse: {why}"),
                            )
                            .key(&key),
                        ),
                    }
                }
                check(&mut f.fields, &key, origin, out);
            }
        }
        let mut problems = Vec::new();
        check(&mut self.fields, "", origin, &mut problems);
        let mut dotted = Vec::new();
        fn conditions(fields: &[Field], path: &str, out: &mut Vec<(String, String)>) {
            for f in fields {
                let key = if path.is_empty() {
                    f.key.clone()
                } else {
                    format!("{path}.{}", f.key)
                };
                for k in f.allowed_when.iter().flat_map(|t| t.keys()) {
                    if k.contains('.') {
                        out.push((key.clone(), k.clone()));
                    }
                }
                conditions(&f.fields, &key, out);
            }
        }
        conditions(&self.fields, "", &mut dotted);
        for (key, p) in dotted {
            if !self.declares(&p) {
                problems.push(
                    Diagnostic::error(
                        origin,
                        format!("`allowed_when` of `{key}` reads `{p}`, which no field declares"),
                    )
                    .key(&key),
                );
            }
        }
        for f in &self.fields {
            let mut computed = Vec::new();
            collect_computed(f, "", &mut computed);
            for (key, e) in computed {
                let mut paths = Vec::new();
                e.paths(&mut paths);
                for p in paths {
                    if !self.declares(&p) {
                        problems.push(
                            Diagnostic::error(
                                origin,
                                format!(
                                    "`computed` of `{key}` reads `{p}`, which no field declares"
                                ),
                            )
                            .key(&key),
                        );
                    }
                }
            }
        }
        for (i, level) in self.numbering.iter().enumerate() {
            let earlier = self.numbering.get(..i).unwrap_or_default();
            if earlier.iter().any(|l| l.level == level.level) {
                problems.push(Diagnostic::error(
                    origin,
                    format!("numbering level `{}` is declared twice", level.level),
                ));
            }
            if !matches!(level.style.as_str(), "1" | "I" | "i" | "A" | "a") {
                problems.push(Diagnostic::error(
                    origin,
                    format!(
                        "numbering level `{}`: style must be \"1\", \"I\", \"i\", \"A\" or \"a\", not {:?}",
                        level.level, level.style
                    ),
                ));
            }
            if let Some(w) = &level.within
                && !earlier.iter().any(|l| &l.level == w)
            {
                problems.push(Diagnostic::error(
                    origin,
                    format!(
                        "numbering level `{}` is within `{w}`, which is not declared before it",
                        level.level
                    ),
                ));
            }
        }
        for rule in &mut self.rules {
            match super::rules::parse(&rule.check) {
                Err(e) => problems.push(
                    Diagnostic::error(origin, format!("rule `{}` does not parse: {e}", rule.name))
                        .key(&rule.check),
                ),
                Ok(c) => {
                    let mut paths = Vec::new();
                    c.left.paths(&mut paths);
                    c.right.paths(&mut paths);
                    rule.parsed = Some(c);
                    for p in paths {
                        if !declares(&self.fields, &p) {
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
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Invalid(problems))
        }
    }
}

/// A condition table as people read it: `kind = "entity" and …`.
fn condition_text(t: &toml::Table) -> String {
    t.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Whether a dotted path names one of `fields` (or a field beneath them).
fn declares(fields: &[Field], path: &str) -> bool {
    let mut fields = fields;
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

/// Every computed field under `f`, with its dotted path (not inside lists).
pub fn collect_computed<'a>(
    f: &'a Field,
    path: &str,
    out: &mut Vec<(String, &'a super::rules::Expr)>,
) {
    let key = if path.is_empty() {
        f.key.clone()
    } else {
        format!("{path}.{}", f.key)
    };
    if let Some(e) = &f.computed_expr {
        out.push((key.clone(), e));
    }
    if f.ty != FieldType::List {
        for sub in &f.fields {
            collect_computed(sub, &key, out);
        }
    }
}
