//! OAuth, sessions, versions, resources and limits over real HTTP: every grant the org serves
//! (good and bad), the token's shape, refresh, revoke, expiry, userinfo and identity, the
//! Authorization header's forms, the read-only user, and the API budget.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::time::Duration;

use common::{TestOrg, data, keys};
use reqwest::Method;
use serde_json::{Value, json};
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, OrgConfig, PASSWORD, VIEWER_USERNAME,
};

fn password_grant<'a>(username: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "password"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("username", username),
        ("password", password),
    ]
}

/// Asserts an OAuth error answer exactly.
fn oauth_error(r: &common::Reply, error: &str, description: &str) {
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let body = r.expect(400);
    assert_eq!(
        body,
        json!({"error": error, "error_description": description})
    );
}

/// Checks a token answer's shape for `user_id`; returns the access token.
fn check_token_answer(t: &TestOrg, body: &Value, user_id: &str) -> String {
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (org_part, rest) = token.split_once('!').expect("token has a '!'");
    assert_eq!(org_part.len(), 15, "{token}");
    assert!(org_part.starts_with("00D"), "{token}");
    assert_eq!(org_part, &t.org.org_id()[..15]);
    assert!(
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_'),
        "{token}"
    );
    assert_eq!(body["instance_url"], t.org.url());
    assert_eq!(body["token_type"], "Bearer");
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        id,
        format!("{}/id/{}/{}", t.org.url(), t.org.org_id(), user_id)
    );
    let segs: Vec<&str> = id.rsplit('/').take(2).collect();
    assert_eq!(segs, [user_id, t.org.org_id()]);
    let issued: i64 = body["issued_at"].as_str().unwrap().parse().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    assert!((now - 60_000..=now + 1_000).contains(&issued), "{issued}");
    assert!(body["signature"].as_str().is_some_and(|s| !s.is_empty()));
    token
}

#[tokio::test]
async fn password_grant_issues_a_salesforce_shaped_token() {
    let t = TestOrg::start().await;
    let r = t
        .token_request(&password_grant(ADMIN_USERNAME, PASSWORD))
        .await;
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let body = r.expect(200);
    let token = check_token_answer(&t, &body, &t.admin_id());
    assert!(body.get("refresh_token").is_none(), "{body}");
    // The token works.
    t.get_as(&token, &data("/limits")).await.expect(200);

    // The viewer logs in the same way, with its own id.
    let r = t
        .token_request(&password_grant(VIEWER_USERNAME, PASSWORD))
        .await;
    check_token_answer(&t, &r.expect(200), &t.user_id(VIEWER_USERNAME));
}

#[tokio::test]
async fn password_grant_errors() {
    let t = TestOrg::start().await;
    let r = t
        .token_request(&password_grant(ADMIN_USERNAME, "wrong"))
        .await;
    oauth_error(&r, "invalid_grant", "authentication failure");
    let r = t
        .token_request(&password_grant("nobody@sfkit.local", PASSWORD))
        .await;
    oauth_error(&r, "invalid_grant", "authentication failure");
    let r = t
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", "someone-else"),
            ("client_secret", CLIENT_SECRET),
            ("username", ADMIN_USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    oauth_error(&r, "invalid_client_id", "client identifier invalid");
    let r = t
        .token_request(&[
            ("grant_type", "password"),
            ("username", ADMIN_USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    oauth_error(&r, "invalid_client_id", "client identifier invalid");
    let r = t
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", "not-the-secret"),
            ("username", ADMIN_USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    oauth_error(&r, "invalid_client", "invalid client credentials");
    for grant in ["implicit", "urn:made:up", ""] {
        let r = t
            .token_request(&[("grant_type", grant), ("client_id", CLIENT_ID)])
            .await;
        oauth_error(&r, "unsupported_grant_type", "grant type not supported");
    }
    let r = t.token_request(&[("client_id", CLIENT_ID)]).await;
    oauth_error(&r, "unsupported_grant_type", "grant type not supported");
}

#[tokio::test]
async fn client_credentials_grant() {
    let t = TestOrg::start().await;
    let admin = t.admin_id();
    // Credentials in the form.
    let r = t
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .await;
    let token = check_token_answer(&t, &r.expect(200), &admin);
    t.get_as(&token, &data("")).await.expect(200);

    // Credentials by HTTP Basic, as simple-salesforce sends them.
    use base64::Engine as _;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let r = t
        .http_form(
            "/services/oauth2/token",
            &[("grant_type", "client_credentials")],
            &[("Authorization", &format!("Basic {basic}"))],
        )
        .await;
    check_token_answer(&t, &r.expect(200), &admin);

    let bad = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:nope"));
    let r = t
        .http_form(
            "/services/oauth2/token",
            &[("grant_type", "client_credentials")],
            &[("Authorization", &format!("Basic {bad}"))],
        )
        .await;
    oauth_error(&r, "invalid_client", "invalid client credentials");

    // No secret at all.
    let r = t
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
        ])
        .await;
    oauth_error(&r, "invalid_client", "invalid client credentials");
}

#[tokio::test]
async fn refresh_token_grant() {
    let t = TestOrg::start().await;
    let refresh = t.org.mint_refresh_token(ADMIN_USERNAME).unwrap();
    assert!(refresh.starts_with("00D"), "{refresh}");
    let grant = |rt: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", CLIENT_ID.to_owned()),
            ("client_secret", CLIENT_SECRET.to_owned()),
            ("refresh_token", rt.to_owned()),
        ]
    };
    let pairs = grant(&refresh);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body = t.token_request(&pairs).await.expect(200);
    let token = check_token_answer(&t, &body, &t.admin_id());
    // A refresh answer carries no new refresh token.
    assert!(body.get("refresh_token").is_none(), "{body}");
    t.get_as(&token, &data("/limits")).await.expect(200);
    // The refresh token can be used again.
    t.token_request(&pairs).await.expect(200);

    // A viewer refresh token logs in the viewer.
    let viewer_rt = t.org.mint_refresh_token(VIEWER_USERNAME).unwrap();
    let vp = grant(&viewer_rt);
    let vp: Vec<(&str, &str)> = vp.iter().map(|(k, v)| (*k, v.as_str())).collect();
    check_token_answer(
        &t,
        &t.token_request(&vp).await.expect(200),
        &t.user_id(VIEWER_USERNAME),
    );

    // Unknown refresh tokens, and access tokens, are not refresh tokens.
    for bad in ["nonsense", "", t.token.as_str()] {
        let p = grant(bad);
        let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        oauth_error(
            &t.token_request(&p).await,
            "invalid_grant",
            "expired access/refresh token",
        );
    }

    // Revoking the refresh token ends it.
    t.http_form("/services/oauth2/revoke", &[("token", &refresh)], &[])
        .await
        .expect(200);
    oauth_error(
        &t.token_request(&pairs).await,
        "invalid_grant",
        "expired access/refresh token",
    );
    assert!(
        t.org.mint_refresh_token("nobody@sfkit.local").is_err(),
        "no refresh token for an unknown user"
    );
}

fn invalid_session(r: &common::Reply) {
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(
        r.text,
        r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
}

#[tokio::test]
async fn revoke_ends_the_session() {
    let t = TestOrg::start().await;
    let token = t.org.mint_token(ADMIN_USERNAME).unwrap();
    t.get_as(&token, &data("/limits")).await.expect(200);
    let r = t
        .http_form("/services/oauth2/revoke", &[("token", &token)], &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    invalid_session(&t.get_as(&token, &data("/limits")).await);
    invalid_session(
        &t.get_as(&token, &data("/query?q=SELECT+Id+FROM+Account"))
            .await,
    );
    // Revoking it again, or revoking nothing, is an error.
    let r = t
        .http_form("/services/oauth2/revoke", &[("token", &token)], &[])
        .await;
    oauth_error(&r, "invalid_token", "invalid token");
    let r = t.http_form("/services/oauth2/revoke", &[], &[]).await;
    oauth_error(&r, "invalid_token", "invalid token");
    // Other sessions live on.
    t.get(&data("/limits")).await.expect(200);
}

#[tokio::test]
async fn expired_token_is_an_invalid_session() {
    let t = TestOrg::start_with(OrgConfig::default().token_ttl(Duration::from_secs(1))).await;
    t.get(&data("/limits")).await.expect(200);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    invalid_session(&t.get(&data("/limits")).await);
    invalid_session(&t.get(&data("/sobjects")).await);
    // A new login works again.
    let r = t
        .token_request(&password_grant(ADMIN_USERNAME, PASSWORD))
        .await;
    let token = r.expect(200)["access_token"].as_str().unwrap().to_owned();
    t.get_as(&token, &data("/limits")).await.expect(200);
}

#[tokio::test]
async fn missing_or_garbage_authorization_is_401() {
    let t = TestOrg::start().await;
    let path = data("/sobjects");
    for auth in [
        None,
        Some("Bearer"),
        Some("Bearer "),
        Some("Bearer not-a-token"),
        Some("garbage"),
        Some("Basic c2ZraXQtbG9jYWw6c2ZraXQtbG9jYWwtc2VjcmV0"),
        Some("Token 00Dabc!def"),
    ] {
        let r = t.send(Method::GET, &path, auth, None, &[]).await;
        invalid_session(&r);
    }
    // Both schemes, any case.
    for scheme in ["Bearer", "OAuth", "bearer", "oauth"] {
        let auth = format!("{scheme} {}", t.token);
        let r = t.send(Method::GET, &path, Some(&auth), None, &[]).await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.text);
    }
    // Every authenticated resource needs a session.
    for p in [
        data(""),
        data("/limits"),
        data("/sobjects/Account"),
        data("/sobjects/Account/describe"),
        data("/query?q=SELECT+Id+FROM+Account"),
        "/services/oauth2/userinfo".to_owned(),
    ] {
        invalid_session(&t.send(Method::GET, &p, None, None, &[]).await);
    }
    let r = t
        .send(
            Method::POST,
            &data("/sobjects/Account"),
            None,
            Some(r#"{"Name":"x"}"#.into()),
            &[],
        )
        .await;
    invalid_session(&r);
}

#[tokio::test]
async fn userinfo_describes_the_user() {
    let t = TestOrg::start().await;
    let admin = t.admin_id();
    let body = t.get("/services/oauth2/userinfo").await.expect(200);
    let id_url = format!("{}/id/{}/{admin}", t.org.url(), t.org.org_id());
    assert_eq!(body["sub"], id_url);
    assert_eq!(body["user_id"], admin);
    assert_eq!(body["organization_id"], t.org.org_id());
    assert_eq!(body["preferred_username"], ADMIN_USERNAME);
    assert_eq!(body["nickname"], ADMIN_USERNAME);
    assert_eq!(body["name"], "Local Admin");
    assert_eq!(body["given_name"], "Local");
    assert_eq!(body["family_name"], "Admin");
    assert_eq!(body["email"], ADMIN_USERNAME);
    assert_eq!(body["active"], true);
    assert_eq!(
        body["urls"]["rest"],
        format!("{}/services/data/v{{version}}/", t.org.url())
    );

    let viewer = t.org.mint_token(VIEWER_USERNAME).unwrap();
    let body = t
        .get_as(&viewer, "/services/oauth2/userinfo")
        .await
        .expect(200);
    assert_eq!(body["preferred_username"], VIEWER_USERNAME);
    assert_eq!(body["user_id"], t.user_id(VIEWER_USERNAME));
}

#[tokio::test]
async fn identity_url_takes_the_token_as_header_or_parameter() {
    let t = TestOrg::start().await;
    let admin = t.admin_id();
    let path = format!("/id/{}/{admin}", t.org.org_id());
    let check = |body: &Value| {
        assert_eq!(body["id"], t.url(&path));
        assert_eq!(body["user_id"], admin);
        assert_eq!(body["organization_id"], t.org.org_id());
        assert_eq!(body["username"], ADMIN_USERNAME);
        assert_eq!(body["display_name"], "Local Admin");
        assert_eq!(body["first_name"], "Local");
        assert_eq!(body["last_name"], "Admin");
        assert_eq!(body["asserted_user"], true);
        assert_eq!(
            body["urls"]["query"],
            format!("{}/services/data/v{{version}}/query/", t.org.url())
        );
    };
    // jsforce: ?format=json&oauth_token=...
    let q = common::form(&[("format", "json"), ("oauth_token", &t.token)]);
    let r = t
        .send(Method::GET, &format!("{path}?{q}"), None, None, &[])
        .await;
    check(&r.expect(200));
    // Others: the Authorization header.
    check(&t.get(&path).await.expect(200));

    let bad_token = |r: common::Reply| {
        r.expect_error(403, "Bad_OAuth_Token", "Bad_OAuth_Token");
    };
    bad_token(t.send(Method::GET, &path, None, None, &[]).await);
    bad_token(
        t.send(
            Method::GET,
            &format!("{path}?oauth_token=nope"),
            None,
            None,
            &[],
        )
        .await,
    );
    // Someone else's identity URL.
    let viewer_path = format!("/id/{}/{}", t.org.org_id(), t.user_id(VIEWER_USERNAME));
    bad_token(t.get(&viewer_path).await);
    // The resources list points at the caller's identity URL.
    let res = t.get(&data("")).await.expect(200);
    assert_eq!(res["identity"], t.url(&path));
}

#[tokio::test]
async fn viewer_can_read_but_not_write() {
    let t = TestOrg::start().await;
    let viewer = t.org.mint_token(VIEWER_USERNAME).unwrap();
    let id = t.create("Account", &json!({"Name": "Visible"})).await;

    let q = format!(
        "{}?{}",
        data("/query"),
        common::form(&[("q", "SELECT Name FROM Account")])
    );
    let body = t.get_as(&viewer, &q).await.expect(200);
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["records"][0]["Name"], "Visible");
    let rec = t
        .get_as(&viewer, &data(&format!("/sobjects/Account/{id}")))
        .await
        .expect(200);
    assert_eq!(rec["Name"], "Visible");

    let auth = format!("Bearer {viewer}");
    let readonly = |r: common::Reply| {
        r.expect_error_fields(
            400,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            &[],
        );
    };
    readonly(
        t.send(
            Method::POST,
            &data("/sobjects/Account"),
            Some(&auth),
            Some(r#"{"Name":"Nope"}"#.into()),
            &[],
        )
        .await,
    );
    readonly(
        t.send(
            Method::PATCH,
            &data(&format!("/sobjects/Account/{id}")),
            Some(&auth),
            Some(r#"{"Name":"Changed"}"#.into()),
            &[],
        )
        .await,
    );
    readonly(
        t.send(
            Method::DELETE,
            &data(&format!("/sobjects/Account/{id}")),
            Some(&auth),
            None,
            &[],
        )
        .await,
    );
    // Nothing changed.
    assert_eq!(
        t.column("SELECT Name FROM Account", "Name").await,
        ["Visible"]
    );
}

#[tokio::test]
async fn versions_need_no_session() {
    let t = TestOrg::start().await;
    for path in ["/services/data", "/services/data/"] {
        let r = t.send(Method::GET, path, None, None, &[]).await;
        assert_eq!(
            r.header("content-type"),
            Some("application/json;charset=UTF-8")
        );
        assert!(r.header("sforce-limit-info").is_none());
        let body = r.expect(200);
        let list = body.as_array().unwrap();
        assert_eq!(list.len(), 47);
        assert_eq!(
            list[0],
            json!({"label": "Winter '11", "url": "/services/data/v20.0", "version": "20.0"})
        );
        assert_eq!(keys(&list[0]), ["label", "url", "version"]);
        assert!(list.contains(
            &json!({"label": "Summer '24", "url": "/services/data/v61.0", "version": "61.0"})
        ));
        assert_eq!(
            list.last().unwrap(),
            &json!({"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"})
        );
        // sfdx-core picks the max by string comparison: that must be the newest.
        let max = list
            .iter()
            .map(|v| v["version"].as_str().unwrap())
            .max()
            .unwrap();
        assert_eq!(max, "66.0");
    }
    // Versions do not count against the budget.
    let r = t.get(&data("/limits")).await;
    assert_eq!(r.header("sforce-limit-info"), Some("api-usage=1/1000000"));
}

#[tokio::test]
async fn resources_by_version() {
    let t = TestOrg::start().await;
    for v in ["66.0", "20.0", "59.0"] {
        for slash in ["", "/"] {
            let body = t
                .get(&format!("/services/data/v{v}{slash}"))
                .await
                .expect(200);
            let base = format!("/services/data/v{v}");
            for (k, rest) in [
                ("sobjects", "/sobjects"),
                ("query", "/query"),
                ("queryAll", "/queryAll"),
                ("limits", "/limits"),
            ] {
                assert_eq!(body[k], format!("{base}{rest}"), "{k}: {body}");
            }
        }
    }
}

#[tokio::test]
async fn unknown_versions_and_paths_are_not_found() {
    let t = TestOrg::start().await;
    for v in ["v19.0", "v67.0", "v66.1", "66.0", "vabc", "v66"] {
        for rest in ["", "/limits", "/sobjects", "/sobjects/Account/describe"] {
            let r = t.get(&format!("/services/data/{v}{rest}")).await;
            r.expect_error(404, "NOT_FOUND", "The requested resource does not exist");
        }
        let r = t
            .get(&format!(
                "/services/data/{v}/query?{}",
                common::form(&[("q", "SELECT Id FROM Account")])
            ))
            .await;
        r.expect_error(404, "NOT_FOUND", "The requested resource does not exist");
    }
    let r = t.get(&data("/no/such/thing")).await;
    r.expect_error(404, "NOT_FOUND", "The requested resource does not exist");
}

fn usage(r: &common::Reply) -> (u64, u64) {
    let h = r.header("sforce-limit-info").expect("Sforce-Limit-Info");
    let (used, max) = h
        .strip_prefix("api-usage=")
        .and_then(|s| s.split_once('/'))
        .unwrap_or_else(|| panic!("bad header {h}"));
    (used.parse().unwrap(), max.parse().unwrap())
}

#[tokio::test]
async fn limits_and_the_usage_header() {
    let t = TestOrg::start().await;
    let r = t.get(&data("/limits")).await;
    let (used, max) = usage(&r);
    assert_eq!((used, max), (1, 1_000_000));
    let body = r.expect(200);
    assert_eq!(
        body["DailyApiRequests"],
        json!({"Max": 1_000_000, "Remaining": 999_999})
    );
    for k in [
        "DailyBulkApiRequests",
        "DailyAsyncApexExecutions",
        "DataStorageMB",
        "FileStorageMB",
    ] {
        let m = &body[k];
        assert!(
            m["Max"].as_u64().is_some() && m["Remaining"].as_u64().is_some(),
            "{k}"
        );
    }
    // Every authenticated call counts, errors included, and carries the header.
    let r = t.get(&data("/sobjects")).await;
    assert_eq!(usage(&r), (2, 1_000_000));
    let r = t.get(&data("/sobjects/Nope/describe")).await;
    assert_eq!(r.status, 404);
    assert_eq!(usage(&r), (3, 1_000_000));
    let r = t.query("SELECT Id FROM Account").await;
    assert_eq!(usage(&r), (4, 1_000_000));
    let r = t
        .post(&data("/sobjects/Account"), &json!({"Name": "A"}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(usage(&r), (5, 1_000_000));
    let body = t.get(&data("/limits/")).await.expect(200);
    assert_eq!(body["DailyApiRequests"]["Remaining"], 1_000_000 - 6);
}

#[tokio::test]
async fn daily_limit_exceeded() {
    let t = TestOrg::start_with(OrgConfig::default().daily_api_limit(3)).await;
    for n in 1..=3 {
        let r = t.get(&data("/limits")).await;
        assert_eq!(r.status, 200);
        assert_eq!(usage(&r), (n, 3));
    }
    for _ in 0..2 {
        let r = t.query("SELECT Id FROM Account").await;
        assert_eq!(
            r.text,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#
        );
        assert_eq!(r.status, 403);
        assert_eq!(usage(&r), (3, 3));
    }
    // Unauthenticated resources still answer, and logins still work.
    t.send(Method::GET, "/services/data", None, None, &[])
        .await
        .expect(200);
    t.token_request(&password_grant(ADMIN_USERNAME, PASSWORD))
        .await
        .expect(200);
    // A bad session is still a bad session.
    invalid_session(&t.get_as("nope", &data("/limits")).await);
}
