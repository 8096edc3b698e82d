//! `bidwell rate` and `bidwell currency`: the exchange rates the user keeps
//! and the home currency the dashboard converts into.

use bidwell_core::rates::{ExchangeRate, NewExchangeRate};
use bidwell_core::*;

use crate::args::{CurrencyCmd, RateCmd};
use crate::input::id;
use crate::output::{say, Output};

fn line(r: &ExchangeRate) -> String {
    format!("{}  {}  1 {} = {} {}  ({})", r.id, r.rate_date, r.base, r.rate, r.currency, r.source)
}

pub async fn rate(ws: &Workspace, cmd: RateCmd, out: &Output) -> Result<()> {
    match cmd {
        RateCmd::Set { currency, rate, base, date } => {
            let rate_date = date.unwrap_or_else(|| ws.now().date_naive().to_string());
            out.record(&ws.set_rate(NewExchangeRate { base, currency, rate, rate_date }).await?);
        }
        RateCmd::List { all } => {
            let rates = if all { ws.all_rates().await? } else { ws.list_rates().await? };
            if out.json {
                say!("{}", serde_json::to_value(&rates).unwrap_or_default());
            } else if rates.is_empty() {
                say!("(none)");
            }
            for r in rates.iter().filter(|_| !out.json) {
                say!("{}", line(r));
            }
        }
        RateCmd::Rm { id: text } => {
            let rate = id("id", &text)?;
            ws.delete_rate(rate).await?;
            if out.json {
                say!("{}", serde_json::json!({ "id": rate, "status": "deleted" }));
            } else {
                say!("rate {rate} deleted");
            }
        }
        RateCmd::Import { file } => {
            let summary = ws.import_rates(&file).await?;
            if out.json {
                out.record(&summary);
            } else {
                let span = match (summary.first_date, summary.last_date) {
                    (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
                    (_, Some(b)) => b.to_string(),
                    _ => String::new(),
                };
                say!(
                    "Imported {} rate(s) against {} for {} day(s): {span}.",
                    summary.rates,
                    summary.base,
                    summary.days
                );
                if !summary.skipped_columns.is_empty() {
                    say!("Left out (no longer ISO 4217 currencies): {}.", summary.skipped_columns.join(", "));
                }
            }
        }
    }
    Ok(())
}

pub async fn currency(ws: &Workspace, cmd: CurrencyCmd, out: &Output) -> Result<()> {
    let CurrencyCmd::Home { code, clear } = cmd;
    let home =
        if clear || code.is_some() { ws.set_home_currency(code.as_deref()).await? } else { ws.home_currency().await? };
    if out.json {
        say!("{}", serde_json::json!({ "home_currency": home }));
    } else {
        say!("{}", home.as_deref().unwrap_or("(none: the dashboard shows a chart per currency)"));
    }
    Ok(())
}
