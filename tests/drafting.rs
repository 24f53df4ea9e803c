//! `describe` and `new`: a file made by `new`, filled with the schema's examples, renders
//! without error for every template, and `describe` names every field.

use engross::data::scaffold;

use super::engine;

#[test]
fn new_files_render_for_every_template() {
    let engine = engine();
    let mut failures = Vec::new();
    for kind in engine.templates().kinds() {
        let text = scaffold::new_data_file(&kind.schema);
        let origin = format!("new-{}.toml", kind.schema.kind);
        if let Err(e) = engine.run(&text, &origin) {
            let diags: Vec<String> = e.diagnostics().iter().map(|d| d.to_string()).collect();
            failures.push(format!("{origin}: {e}\n{}\n{text}", diags.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn new_files_leave_optional_fields_out() {
    let engine = engine();
    let kind = engine.templates().kind("assignment").unwrap();
    let text = scaffold::new_data_file(&kind.schema);
    assert!(!text.contains("\n[as_executed]"));
    assert!(text.contains("#   as_executed.assignee_in_agreement_clause = "));
    let rendered = engine.run(&text, "new.toml").unwrap();
    let plain = engross::render::text::render(&rendered.document);
    assert!(!plain.contains("Whico"), "{plain}");
}

#[test]
fn describe_names_every_field() {
    let engine = engine();
    for kind in engine.templates().kinds() {
        let out = scaffold::describe(&kind.schema);
        for f in &kind.schema.fields {
            assert!(
                out.contains(&f.key),
                "{}: {} missing",
                kind.schema.kind,
                f.key
            );
        }
    }
}
