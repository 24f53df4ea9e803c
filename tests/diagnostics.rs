//! Every user-facing error names the file, line, column and key, with a source snippet and a
//! did-you-mean where it helps. Snapshots of the rendered diagnostics (plain, no colour).

use engross::template::Templates;

use super::{engine, read};

fn diagnose(case: &str) -> String {
    let path = format!("tests/cases/diagnostics/{case}.toml");
    let err = engine()
        .run(&read(&path), &path)
        .expect_err("the case must fail");
    let diags = err.diagnostics();
    assert!(!diags.is_empty(), "{case}: no located diagnostic for {err}");
    diags
        .iter()
        .map(|d| d.render(false))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn malformed_toml() {
    insta::assert_snapshot!(diagnose("malformed-toml"));
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let out = diagnose("unknown-key");
    assert!(out.contains("did you mean `assignor.state`?"));
    assert!(out.contains(":9:1"));
    insta::assert_snapshot!(out);
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(diagnose("wrong-type"));
}

#[test]
fn missing_required_field() {
    insta::assert_snapshot!(diagnose("missing-field"));
}

#[test]
fn unknown_template() {
    let out = diagnose("unknown-template");
    assert!(out.contains("did you mean \"assignment\"?"));
    insta::assert_snapshot!(out);
}

#[test]
fn data_without_a_template_line() {
    insta::assert_snapshot!(diagnose("no-template"));
}

#[test]
fn template_reading_an_undefined_variable() {
    let files = [
        (
            "demo/schema.toml".to_string(),
            "kind = \"demo\"\ntitle = \"Demo\"\nsummary = \"a demo\"\n[[field]]\nkey = \"buyer\"\ntype = \"text\"\ndescription = \"the buyer\"\n".to_string(),
        ),
        (
            "demo/template.dj.tera".to_string(),
            "# DEMO\n\nSold to {{ buyer }}\nunder the laws of {{ governing_law }}.\n".to_string(),
        ),
    ];
    let templates = Templates::from_files(files, "templates/").unwrap();
    let engine = engross::Engine::new(templates);
    let err = engine
        .run("template = \"demo\"\nbuyer = \"Fabrikam\"\n", "demo.toml")
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.key.as_deref(), Some("governing_law"));
    assert_eq!((d.line, d.column), (Some(4), Some(22)));
    insta::assert_snapshot!(d.render(false));
}
