//! A local org started in-process over HTTPS, and clients for it.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sfkit_client::auth::Password;
use sfkit_client::{Client, ClientBuilder, Record, RetryPolicy};
use sfkit_emulator::store::{Actor, WriteOptions};
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, Org, OrgConfig, OrgHandle, PASSWORD,
};

pub(crate) struct Local {
    pub(crate) org: OrgHandle,
    pub(crate) ca: Vec<u8>,
}

impl Local {
    pub(crate) async fn start() -> Self {
        Self::start_with(OrgConfig::default()).await
    }

    pub(crate) async fn start_with(config: OrgConfig) -> Self {
        let org = Org::start(config.tls(true)).await.expect("the org starts");
        let ca = std::fs::read(org.ca_pem().expect("TLS on")).expect("the CA file");
        Local { org, ca }
    }

    pub(crate) fn url(&self) -> String {
        self.org.url().to_owned()
    }

    /// A builder trusting the org, with fast retries.
    pub(crate) fn builder(&self) -> ClientBuilder {
        Client::builder()
            .trust_pem(self.ca.clone())
            .retry(RetryPolicy {
                max_retries: 8,
                base_delay: Duration::from_millis(2),
                max_delay: Duration::from_millis(20),
            })
    }

    /// A client logged in as the admin with the password flow.
    pub(crate) fn client(&self) -> Client {
        self.builder()
            .token_source(self.password(ADMIN_USERNAME))
            .build()
            .expect("client")
    }

    pub(crate) fn password(&self, username: &str) -> Password {
        Password::new(CLIENT_ID, CLIENT_SECRET, username, PASSWORD).login_url(self.url())
    }

    /// Inserts records straight into the org's store, `fields(i)` for i in 0..n.
    pub(crate) fn seed(
        &self,
        sobject: &str,
        n: usize,
        fields: impl Fn(usize) -> Value,
    ) -> Vec<String> {
        let store = self.org.store();
        let actor = Actor {
            user_id: store.user_id(ADMIN_USERNAME).unwrap().unwrap(),
            read_only: false,
        };
        let mut ids = Vec::with_capacity(n);
        store
            .write_batch(|b| {
                for i in 0..n {
                    let Value::Object(m) = fields(i) else {
                        unreachable!("records are objects")
                    };
                    let m: Map<String, Value> = m;
                    ids.push(b.insert(&actor, sobject, &m, WriteOptions::default())?);
                }
                Ok(())
            })
            .expect("seeding");
        ids
    }
}

pub(crate) fn account(i: usize) -> Value {
    json!({"Name": format!("Acct {i:05}"), "Industry": "Energy"})
}

/// A JSON object as a record (anything else is an empty one).
pub(crate) fn record(v: Value) -> Record {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A custom object with an external id, `Widget__c.Sku__c`.
pub(crate) const WIDGETS: &str = r#"
[[object]]
name = "Widget__c"
label = "Widget"
prefix = "a05"

[[object.fields]]
name = "Sku__c"
type = "string"
label = "SKU"
length = 20
external_id = true
unique = true
"#;

/// An Account as a caller's own type.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) industry: Option<String>,
}
