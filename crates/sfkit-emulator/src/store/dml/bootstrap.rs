//! The org's fixed records, made on first open: the Organization, profiles, users, stages and
//! statuses.

use serde_json::{Map, Value as Json, json};

use super::batch::persist_seq;
use super::{Actor, Batch, WriteOptions};
use crate::ids;
use crate::schema::Schema;
use crate::store::{ADMIN_USERNAME, VIEWER_USERNAME, Writer};

/// The standard opportunity stages: name, default probability, forecast category, closed, won.
const STAGES: [(&str, f64, &str, bool, bool); 10] = [
    ("Prospecting", 10.0, "Pipeline", false, false),
    ("Qualification", 10.0, "Pipeline", false, false),
    ("Needs Analysis", 20.0, "Pipeline", false, false),
    ("Value Proposition", 50.0, "Pipeline", false, false),
    ("Id. Decision Makers", 60.0, "Pipeline", false, false),
    ("Perception Analysis", 70.0, "Pipeline", false, false),
    ("Proposal/Price Quote", 75.0, "Pipeline", false, false),
    ("Negotiation/Review", 90.0, "Pipeline", false, false),
    ("Closed Won", 100.0, "Closed", true, true),
    ("Closed Lost", 0.0, "Omitted", true, false),
];

/// The standard lead statuses: name, converted, default.
const LEAD_STATUSES: [(&str, bool, bool); 4] = [
    ("Open - Not Contacted", false, true),
    ("Working - Contacted", false, false),
    ("Closed - Converted", true, false),
    ("Closed - Not Converted", false, false),
];

/// System fields may be set: the fixed records are the org's, not a user's.
const SYSTEM: WriteOptions = WriteOptions {
    system: true,
    reserved_seq: None,
};

/// Creates the org's fixed records on first open: the Organization, profiles, the two users,
/// opportunity stages and lead statuses. Returns the org id.
pub(crate) fn bootstrap(w: &mut Writer, schema: &Schema) -> Result<String, crate::Error> {
    let Writer { conn, seq } = w;
    let tx = conn.transaction()?;
    let org_prefix = schema
        .get("Organization")
        .map_or("00D", |o| o.key_prefix.as_str())
        .to_owned();
    let org_id = ids::mint(&org_prefix, 1);
    let user_prefix = schema
        .get("User")
        .map_or("005", |o| o.key_prefix.as_str())
        .to_owned();
    // The admin creates everything, itself included: reserve its id first.
    let admin_seq = *seq;
    *seq += 1;
    let admin_id = ids::mint(&user_prefix, admin_seq);
    let mut fixed = Fixed {
        batch: Batch {
            tx: &tx,
            seq,
            schema,
        },
        system: Actor {
            user_id: admin_id,
            read_only: false,
        },
    };
    fixed.users(admin_seq)?;
    fixed.put(
        "Organization",
        json!({
            "Name": "sfkit Local Org", "InstanceName": "LOCAL", "IsSandbox": false,
            "OrganizationType": "Developer Edition", "NamespacePrefix": null,
            "TimeZoneSidKey": "GMT", "DefaultLocaleSidKey": "en_US", "LanguageLocaleKey": "en_US",
            "FiscalYearStartMonth": 1, "Country": "US",
        }),
    )?;
    for (i, (name, probability, forecast, closed, won)) in STAGES.iter().enumerate() {
        fixed.put(
            "OpportunityStage",
            json!({
                "ApiName": name, "MasterLabel": name, "IsActive": true, "IsClosed": closed, "IsWon": won,
                "DefaultProbability": probability, "ForecastCategory": forecast,
                "ForecastCategoryName": forecast, "SortOrder": i + 1,
            }),
        )?;
    }
    for (i, (name, converted, default)) in LEAD_STATUSES.iter().enumerate() {
        fixed.put(
            "LeadStatus",
            json!({"ApiName": name, "MasterLabel": name, "IsConverted": converted, "IsDefault": default, "SortOrder": i + 1}),
        )?;
    }
    let next = *fixed.batch.seq;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('org_id', ?1)",
        [&org_id],
    )?;
    persist_seq(&tx, next).map_err(|e| crate::Error::Schema(e.to_string()))?;
    tx.commit()?;
    Ok(org_id)
}

/// Inserts fixed records as the admin.
struct Fixed<'a> {
    batch: Batch<'a>,
    system: Actor,
}

impl Fixed<'_> {
    /// Inserts a record of the fields this schema declares (a trimmed schema still boots);
    /// `None` when the schema has no such type.
    fn put_with(
        &mut self,
        sobject: &str,
        value: Json,
        opts: WriteOptions,
    ) -> Result<Option<String>, crate::Error> {
        let Some(object) = self.batch.schema.get(sobject) else {
            return Ok(None);
        };
        let Json::Object(map) = value else {
            return Ok(None);
        };
        let fields: Map<String, Json> = map
            .into_iter()
            .filter(|(k, _)| object.field(k).is_some())
            .collect();
        self.batch
            .insert(&self.system, sobject, &fields, opts)
            .map(Some)
            .map_err(|e| crate::Error::Schema(format!("bootstrapping {sobject}: {e}")))
    }

    fn put(&mut self, sobject: &str, value: Json) -> Result<Option<String>, crate::Error> {
        self.put_with(sobject, value, SYSTEM)
    }

    /// The two profiles and the two users; the admin takes the id reserved for it.
    fn users(&mut self, admin_seq: u64) -> Result<(), crate::Error> {
        let admin_profile = self.put(
            "Profile",
            json!({"Name": "System Administrator", "UserType": "Standard"}),
        )?;
        let viewer_profile = self.put(
            "Profile",
            json!({"Name": "Read Only", "UserType": "Standard"}),
        )?;
        let user = |username: &str,
                    first: &str,
                    last: &str,
                    alias: &str,
                    profile: &Option<String>| {
            json!({
                "Username": username, "Email": username, "FirstName": first, "LastName": last,
                "Alias": alias, "CommunityNickname": alias, "IsActive": true, "ProfileId": profile,
                "UserType": "Standard", "TimeZoneSidKey": "GMT", "LocaleSidKey": "en_US",
                "LanguageLocaleKey": "en_US", "EmailEncodingKey": "UTF-8",
            })
        };
        let admin_opts = WriteOptions {
            system: true,
            reserved_seq: Some(admin_seq),
        };
        let admin = self.put_with(
            "User",
            user(ADMIN_USERNAME, "Local", "Admin", "admin", &admin_profile),
            admin_opts,
        )?;
        if admin.as_deref() != Some(self.system.user_id.as_str()) {
            return Err(crate::Error::Schema(
                "the admin user must be the first record".into(),
            ));
        }
        self.put(
            "User",
            user(
                VIEWER_USERNAME,
                "Local",
                "Viewer",
                "viewer",
                &viewer_profile,
            ),
        )?;
        Ok(())
    }
}
