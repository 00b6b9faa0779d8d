//! The local org's database holds live access and refresh tokens: the server makes its
//! directory and files for their owner alone.

use crate::common::Srv;

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Regression (issue 10): the local org's database was made 0644 in a 0755 directory.
#[cfg(unix)]
#[tokio::test]
async fn the_local_org_is_made_for_its_owner_alone() {
    let s = Srv::start(|c, dir| c.local_org_dir = Some(dir.0.join("data").join("org"))).await;
    // A request through the org, so that its database has written (and made its side files).
    let r = s
        .http
        .post(s.url("/v1/actions/getLimits"))
        .bearer_auth(&s.admin)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let org = s.dir.0.join("data").join("org");
    assert_eq!(mode(&s.dir.0.join("data")), 0o700);
    assert_eq!(mode(&org), 0o700);
    let db = org.join("org.sqlite3");
    assert_eq!(mode(&db), 0o600);
    for side in sfkit_store::private::database_files(&db) {
        if side.exists() {
            assert_eq!(mode(&side), 0o600, "{}", side.display());
        }
    }
    s.stop().await;
}
