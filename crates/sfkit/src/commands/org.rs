//! `sfkit org list` and `sfkit org display`: the orgs sfkit can use, and the one a command
//! would use (chosen as `connect` says).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use sfkit_client::auth::LoginKind;
use sfkit_emulator::shared::{Located, locate};

use crate::connect::{self, Choice, LOCAL, Target};
use crate::output;

/// `sfkit org`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit org list\n  sfkit org display\n  sfkit --org prod org display --json\n  sfkit config set target-org local    # make the local org the default"
)]
pub(crate) struct OrgArgs {
    #[command(subcommand)]
    what: OrgCommand,
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// The saved logins and the local org, each with its user and instance; the default is
    /// marked (the one commands use without --org).
    List {
        /// As JSON: `[{name, kind, username, instanceUrl, default}]`, plus `chosenBy`.
        #[arg(long)]
        json: bool,
    },
    /// Connect to the org a command would use (or `--org NAME`) and show who and where.
    Display {
        /// As JSON: `{name, kind, chosenBy, instanceUrl, username, userId, organizationId,
        /// apiVersion}`.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(target: &Target, args: OrgArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        OrgCommand::List { json } => list(target, json),
        OrgCommand::Display { json } => display(target, json),
    }
}

fn list(target: &Target, json_out: bool) -> anyhow::Result<ExitCode> {
    let (choice, why) = connect::choose(target)?;
    let (_, saved) = crate::profiles::Store::new(&target.data_dir).list()?;
    let mut rows: Vec<Value> = Vec::new();
    if let Choice::Env { url } = &choice {
        rows.push(json!({
            "name": "env", "kind": LoginKind::Token.as_str(), "username": null, "instanceUrl": url,
            "default": true,
        }));
    }
    for (name, p) in &saved {
        rows.push(json!({
            "name": name,
            "kind": p.kind.as_str(),
            "username": p.username,
            "instanceUrl": p.instance_url,
            "default": choice == Choice::Login(name.clone()),
        }));
    }
    let dir = target.org_dir();
    let instance = match locate(&dir) {
        Located::Running(r) => Value::String(r.url),
        Located::Free | Located::Starting => Value::Null,
    };
    rows.push(json!({
        "name": LOCAL,
        "kind": LoginKind::Local.as_str(),
        "username": sfkit_emulator::ADMIN_USERNAME,
        "instanceUrl": instance,
        "dataDir": dir,
        "default": choice == Choice::Local,
    }));
    if json_out {
        let out = json!({"orgs": rows, "chosenBy": why});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let mut table = vec![vec![
        String::new(),
        "NAME".to_owned(),
        "KIND".to_owned(),
        "USER".to_owned(),
        "INSTANCE".to_owned(),
    ]];
    for r in &rows {
        let instance = match (&r["instanceUrl"], r["name"].as_str()) {
            (Value::Null, Some(LOCAL)) => format!("not running ({})", text(&r["dataDir"])),
            (v, _) => text(v),
        };
        table.push(vec![
            if r["default"] == true { "*" } else { "" }.to_owned(),
            text(&r["name"]),
            text(&r["kind"]),
            text(&r["username"]),
            instance,
        ]);
    }
    println!("{}", output::table::aligned(&table));
    println!(
        "\n* the default, chosen by: {why}. Choose another with --org NAME or `sfkit config set target-org NAME`"
    );
    Ok(ExitCode::SUCCESS)
}

fn display(target: &Target, json_out: bool) -> anyhow::Result<ExitCode> {
    let (choice, why) = connect::choose(target)?;
    let kind = match &choice {
        Choice::Local => LoginKind::Local.as_str(),
        Choice::Env { .. } => LoginKind::Token.as_str(),
        Choice::Login(name) => crate::profiles::Store::new(&target.data_dir)
            .list()?
            .1
            .get(name)
            .map_or("", |p| p.kind.as_str()),
    };
    super::with_connection(target, json_out, |ctx| async move {
        let who = ctx
            .client
            .userinfo()
            .await
            .map_err(sfkit_actions::ActionError::from)?;
        let instance = ctx
            .client
            .instance_url()
            .await
            .map_err(sfkit_actions::ActionError::from)?;
        let name = match &choice {
            Choice::Local => LOCAL.to_owned(),
            Choice::Login(n) => n.clone(),
            Choice::Env { .. } => "env".to_owned(),
        };
        let out = json!({
            "name": name,
            "kind": kind,
            "chosenBy": why,
            "instanceUrl": instance,
            "username": who.get("preferred_username"),
            "userId": who.get("user_id"),
            "organizationId": who.get("organization_id"),
            "apiVersion": ctx.client.api_version(),
        });
        if json_out {
            println!(
                "{}",
                serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
            );
        } else if let Some(fields) = out.as_object() {
            for (k, v) in fields {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => "-".to_owned(),
                    other => other.to_string(),
                };
                println!("{k:<15} {v}");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
