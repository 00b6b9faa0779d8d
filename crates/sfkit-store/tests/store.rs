//! The SQLite store through the `Store` trait, on a file: connections with sealed secrets, API
//! keys, events with their outbox, checkpoints, migrations on reopen.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use serde_json::json;
use sfkit_store::{Cipher, Connection, Error, Event, Scope, open};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!(
            "sfkit-store-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn event(id: &str) -> Event {
    Event::new(
        id,
        "prod",
        "cdc",
        "Lead",
        "created",
        json!({"recordIds": ["00Q1"]}),
    )
}

#[tokio::test]
async fn connections_keep_their_secrets_sealed() {
    let dir = Dir::new("conn");
    let key = Cipher::generate().unwrap();
    let url = format!("sqlite://{}", dir.0.join("state.db").display());
    let store = open(&url, Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    store
        .put_connection(
            Connection::new(
                "prod",
                "https://acme.my.salesforce.com",
                "refresh_token",
                json!({"clientId": "3MVG"}),
            ),
            json!({"refreshToken": "5Aep-very-secret"}),
        )
        .await
        .unwrap();
    let (conn, secrets) = store.get_connection("prod").await.unwrap().unwrap();
    assert_eq!(conn.instance_url, "https://acme.my.salesforce.com");
    assert_eq!(conn.settings["clientId"], "3MVG");
    assert_eq!(secrets["refreshToken"], "5Aep-very-secret");
    assert_eq!(store.list_connections().await.unwrap().len(), 1);
    assert!(store.get_connection("nope").await.unwrap().is_none());
    drop(store);

    // On disk, the secret is not there in any readable form.
    for f in std::fs::read_dir(&dir.0).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(16).any(|w| w == b"5Aep-very-secret"));
    }
    // Reopened: migrations are not applied twice; another key cannot open the secrets.
    let again = open(&url, Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    assert!(again.get_connection("prod").await.unwrap().is_some());
    let wrong = open(
        &url,
        Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
    )
    .await
    .unwrap();
    assert!(matches!(
        wrong.get_connection("prod").await,
        Err(Error::Secret(_))
    ));
    assert!(again.delete_connection("prod").await.unwrap());
    assert!(!again.delete_connection("prod").await.unwrap());
}

#[tokio::test]
async fn api_keys_are_hashed_scoped_and_revocable() {
    let store = open(
        "sqlite::memory:",
        Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
    )
    .await
    .unwrap();
    let (record, key) = store
        .create_api_key("zapier", Scope::new(vec!["prod".into()], true))
        .await
        .unwrap();
    assert!(key.starts_with(&format!("sfk_{}_", record.id)));
    let found = store.verify_api_key(&key).await.unwrap().unwrap();
    assert_eq!(found.name, "zapier");
    assert!(found.scope.read_only);
    assert!(found.scope.allows_connection("prod"));
    assert!(!found.scope.allows_connection("local"));
    // Near misses are refused.
    let mut tampered = key.clone();
    tampered.pop();
    tampered.push('x');
    assert!(store.verify_api_key(&tampered).await.unwrap().is_none());
    assert!(
        store
            .verify_api_key("sfk_nope_nope")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.verify_api_key("").await.unwrap().is_none());
    assert!(matches!(
        store.create_api_key("zapier", Scope::default()).await,
        Err(Error::Exists { .. })
    ));
    let listed = store.list_api_keys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!format!("{listed:?}").contains(&key));
    assert!(store.revoke_api_key("zapier").await.unwrap());
    assert!(store.verify_api_key(&key).await.unwrap().is_none());
    assert!(!store.revoke_api_key("zapier").await.unwrap());
}

#[tokio::test]
async fn events_are_stored_once_and_delivered_at_least_once() {
    let store = open(
        "sqlite::memory:",
        Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
    )
    .await
    .unwrap();
    let targets = vec!["webhook:a".to_owned(), "workflow:b".to_owned()];
    assert!(store.put_event(event("e1"), &targets).await.unwrap());
    assert!(
        !store.put_event(event("e1"), &targets).await.unwrap(),
        "a duplicate is not stored"
    );
    assert_eq!(store.get_event("e1").await.unwrap().unwrap().object, "Lead");

    let claimed = store.claim_deliveries(10, 60_000).await.unwrap();
    assert_eq!(
        claimed.len(),
        2,
        "one per target, not one per copy of the event"
    );
    assert!(
        store.claim_deliveries(10, 60_000).await.unwrap().is_empty(),
        "leased"
    );
    store.complete_delivery(claimed[0].id).await.unwrap();
    // A failure is retried when due, then dead after the last attempt.
    store
        .fail_delivery(claimed[1].id, "503", 0, 2)
        .await
        .unwrap();
    let retry = store.claim_deliveries(10, 0).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    store
        .fail_delivery(retry[0].id, "503 again", 0, 2)
        .await
        .unwrap();
    assert!(
        store.claim_deliveries(10, 0).await.unwrap().is_empty(),
        "dead letters are not claimed"
    );
    // A claim that is never completed comes back after its lease.
    store.put_event(event("e2"), &targets[..1]).await.unwrap();
    let c = store.claim_deliveries(10, 1).await.unwrap();
    assert_eq!(c.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(store.claim_deliveries(10, 60_000).await.unwrap().len(), 1);
}

#[tokio::test]
async fn checkpoints_and_urls() {
    let store = open(
        "sqlite::memory:",
        Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        store.load_checkpoint("prod/LeadChangeEvent").await.unwrap(),
        None
    );
    store
        .save_checkpoint("prod/LeadChangeEvent", "AAA")
        .await
        .unwrap();
    store
        .save_checkpoint("prod/LeadChangeEvent", "AAB")
        .await
        .unwrap();
    assert_eq!(
        store
            .load_checkpoint("prod/LeadChangeEvent")
            .await
            .unwrap()
            .as_deref(),
        Some("AAB")
    );
    let err = open(
        "mysql://x",
        Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::UnsupportedUrl(_)));
}

/// What a server needs to notice a key revoked by another process: the revision changes when a
/// key is revoked through another store on the same file, and not otherwise. Admin scopes round
/// trip; scopes stored before `admin` existed read as not admin.
#[tokio::test]
async fn the_revision_follows_revocations_made_elsewhere() {
    let dir = Dir::new("revision");
    let key = Cipher::generate().unwrap();
    let url = format!("sqlite://{}", dir.0.join("state.db").display());
    let server = open(&url, Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    let cli = open(&url, Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    let (admin, _) = server.create_api_key("ops", Scope::admin()).await.unwrap();
    assert!(admin.scope.may_manage_keys());
    assert!(!Scope::default().may_manage_keys());
    let (_, zap) = server
        .create_api_key("zapier", Scope::default())
        .await
        .unwrap();
    let before = server.api_keys_revision().await.unwrap();
    cli.create_api_key("other", Scope::default()).await.unwrap();
    assert_eq!(server.api_keys_revision().await.unwrap(), before);
    assert!(cli.revoke_api_key("zapier").await.unwrap());
    assert_ne!(server.api_keys_revision().await.unwrap(), before);
    assert!(server.verify_api_key(&zap).await.unwrap().is_none());
    assert!(
        server
            .list_api_keys()
            .await
            .unwrap()
            .iter()
            .any(|k| k.name == "ops" && k.scope.admin)
    );
    let old: Scope = serde_json::from_str(r#"{"connections": [], "read_only": false}"#).unwrap();
    assert!(!old.admin);
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Regression (issue 10): the store's database (sealed secrets, key hashes) was created 0644 in
/// 0755 directories. Now the user's alone, SQLite's side files included.
#[cfg(unix)]
#[tokio::test]
async fn a_new_store_is_readable_by_its_owner_only() {
    let dir = Dir::new("modes");
    let nested = dir.0.join("a").join("b");
    let db = nested.join("state.db");
    let store = open(
        &format!("sqlite://{}", db.display()),
        Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
    )
    .await
    .unwrap();
    store.create_api_key("k", Scope::default()).await.unwrap();
    assert_eq!(mode(&dir.0.join("a")), 0o700);
    assert_eq!(mode(&nested), 0o700);
    assert_eq!(mode(&db), 0o600);
    for side in ["state.db-wal", "state.db-shm"] {
        let p = nested.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
    assert!(
        nested.join("state.db-wal").exists(),
        "WAL: the side files are covered"
    );
}
