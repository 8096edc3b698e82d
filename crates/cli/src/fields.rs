//! `bidwell field`: custom fields, defined per kind of record. Values are
//! set on the records themselves (`--field NAME=VALUE` on add and edit).

use bidwell_core::*;

use crate::args::FieldCmd;
use crate::input::{id, parsed};
use crate::output::{say, Output};
use crate::privacy::confirm_on_terminal;

pub async fn field(ws: &Workspace, cmd: FieldCmd, out: &Output) -> Result<()> {
    match cmd {
        FieldCmd::Define { kind, name, field_type, choices } => {
            let new = NewCustomField { entity_kind: kind.parse()?, name, field_type: field_type.parse()?, choices };
            out.record(&ws.define_custom_field(new).await?);
        }
        FieldCmd::List { kind } => {
            let fields = ws.custom_fields(parsed(kind.as_deref())?).await?;
            if out.json {
                say!("{}", serde_json::to_value(&fields).unwrap_or_default());
            } else if fields.is_empty() {
                say!("(none)");
            }
            for f in fields.iter().filter(|_| !out.json) {
                let choices =
                    if f.choices.is_empty() { String::new() } else { format!("  ({})", f.choices.join(", ")) };
                say!("{}  {:<9} {}  {}{choices}", f.id, f.entity_kind, f.name, f.field_type);
            }
        }
        FieldCmd::Edit { id: text, name, choices } => {
            let change = CustomFieldPatch { name, choices: (!choices.is_empty()).then_some(choices) };
            out.record(&ws.update_custom_field(id("id", &text)?, change).await?);
        }
        FieldCmd::Rm { id: text, yes } => {
            let field = id("id", &text)?;
            let used = ws.custom_field_usage(field).await?;
            let question = format!("Delete this field and its value on {used} record(s)?");
            if !yes && !confirm_on_terminal(&question, "delete the field")? {
                say!("Nothing deleted.");
                return Ok(());
            }
            let removed = ws.delete_custom_field(field).await?;
            if out.json {
                say!("{}", serde_json::json!({ "id": field, "status": "deleted", "values_removed": removed }));
            } else {
                say!("field {field} deleted, with {removed} value(s)");
            }
        }
    }
    Ok(())
}
