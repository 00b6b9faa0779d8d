//! Sessions against a local org: every token source logs in, renewal is single-flight and
//! survives tokens that expire mid-stream or twice in one call, a revoked refresh token asks to
//! reconnect, and no secret shows in `Debug` output.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use sfkit_client::auth::{ClientCredentials, JwtBearer, RefreshToken, StaticToken};
use sfkit_client::{Error, ErrorCode, QueryOptions};
use sfkit_emulator::{ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, OrgConfig, VIEWER_USERNAME};

use crate::common::{Account, Local, account};

/// A token that expires every 2 seconds during a slow 10,000-row read: the stream renews it
/// and delivers every row exactly once.
#[tokio::test]
async fn an_expiring_token_mid_stream_loses_nothing() {
    let l = Local::start_with(OrgConfig::default().token_ttl(Duration::from_secs(2))).await;
    let ids: HashSet<String> = l.seed("Account", 10_000, account).into_iter().collect();
    let c = l.client();
    let before = l.org.token_requests();
    let mut stream = Box::pin(c.query_with::<Account>(
        "SELECT Id, Name, Industry FROM Account",
        QueryOptions {
            batch_size: Some(500),
            ..QueryOptions::default()
        },
    ));
    let mut seen = HashSet::new();
    let mut count = 0;
    while let Some(a) = stream.next().await {
        let a = a.unwrap();
        count += 1;
        seen.insert(a.id);
        if count % 500 == 0 {
            // One page at a time, slowly: 20 pages over about 4 seconds.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(count, 10_000);
    assert_eq!(seen, ids);
    let renewals = l.org.token_requests() - before;
    assert!(
        renewals >= 2,
        "the token expired and was renewed: {renewals}"
    );
}

/// 100 concurrent calls that all find the token expired make one token request.
#[tokio::test]
async fn renewal_is_single_flight() {
    let l = Local::start_with(OrgConfig::default().token_ttl(Duration::from_secs(1))).await;
    let c = l.client();
    c.limits().await.unwrap();
    assert_eq!(l.org.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.limits().await.map(|l| l.len()) })
    });
    for r in futures_util::future::join_all(calls).await {
        assert!(r.unwrap().unwrap() > 0);
    }
    assert_eq!(l.org.token_requests(), 2, "one renewal for 100 callers");
}

#[tokio::test]
async fn every_token_source_logs_in() {
    let l = Local::start().await;
    let url = l.url();
    // Refresh token.
    let refresh = l.org.mint_refresh_token(ADMIN_USERNAME).unwrap();
    let c = l
        .builder()
        .token_source(
            RefreshToken::new(CLIENT_ID, refresh)
                .client_secret(CLIENT_SECRET)
                .login_url(&url),
        )
        .build()
        .unwrap();
    assert_eq!(
        c.userinfo().await.unwrap()["preferred_username"],
        ADMIN_USERNAME
    );
    // Client credentials.
    let c = l
        .builder()
        .token_source(ClientCredentials::new(&url, CLIENT_ID, CLIENT_SECRET))
        .build()
        .unwrap();
    assert!(!c.limits().await.unwrap().is_empty());
    // JWT bearer with the org's key.
    let key = l.org.jwt_files().unwrap().key_pem;
    let jwt = JwtBearer::from_key_file(CLIENT_ID, VIEWER_USERNAME, &key)
        .unwrap()
        .login_url(&url);
    assert!(!format!("{jwt:?}").contains("PRIVATE"));
    let c = l.builder().token_source(jwt).build().unwrap();
    assert_eq!(
        c.userinfo().await.unwrap()["preferred_username"],
        VIEWER_USERNAME
    );
    let denied = c
        .sobjects("Account")
        .create(&json!({"Name": "x"}))
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Some(&ErrorCode::InsufficientAccessOrReadonly),
        "{denied}"
    );
    // A static token, then its rejection.
    let token = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let c = l
        .builder()
        .token_source(StaticToken::new(token.clone(), &url))
        .build()
        .unwrap();
    assert!(!c.describe_global().await.unwrap().sobjects.is_empty());
    let revoke = c
        .http()
        .post(format!("{url}/services/oauth2/revoke"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let err = c.limits().await.unwrap_err();
    assert!(matches!(err, Error::Reconnect { .. }), "{err:?}");
    assert!(err.to_string().contains("reconnect"), "{err}");
    // Wrong password: the OAuth error, explained.
    let bad = l
        .builder()
        .token_source(
            sfkit_client::auth::Password::new(CLIENT_ID, CLIENT_SECRET, ADMIN_USERNAME, "wrong")
                .login_url(&url),
        )
        .build()
        .unwrap();
    let err = bad.limits().await.unwrap_err();
    let Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(auth.error, "invalid_grant");
    assert!(!err.to_string().contains("wrong"));
}

/// A revoked refresh token: the next renewal fails with a clear reconnect error.
#[tokio::test]
async fn a_revoked_refresh_token_asks_to_reconnect() {
    let l = Local::start_with(OrgConfig::default().token_ttl(Duration::from_secs(1))).await;
    let url = l.url();
    let refresh = l.org.mint_refresh_token(ADMIN_USERNAME).unwrap();
    let c = l
        .builder()
        .token_source(
            RefreshToken::new(CLIENT_ID, refresh.clone())
                .client_secret(CLIENT_SECRET)
                .login_url(&url),
        )
        .build()
        .unwrap();
    c.limits().await.unwrap();
    let r = c
        .http()
        .post(format!("{url}/services/oauth2/revoke"))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let err = c.limits().await.unwrap_err();
    let Error::Reconnect { cause } = &err else {
        panic!("{err:?}")
    };
    assert!(cause.contains("invalid_grant"), "{cause}");
    assert!(
        !err.to_string().contains(&refresh),
        "no secret in the message"
    );
}

#[tokio::test]
async fn no_secret_in_debug_output() {
    let l = Local::start().await;
    let c = l.client();
    c.limits().await.unwrap();
    let shown = format!("{c:?}");
    // The local password equals the client id, so look for the field itself.
    assert!(shown.contains("password: Secret(***)"), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert!(!shown.contains("00D"), "no access token: {shown}");
}

/// Hands out tokens from a list, one per fetch; the last one again once the list runs out.
#[derive(Debug)]
struct Sequence {
    url: String,
    tokens: std::sync::Mutex<Vec<String>>,
    fetches: std::sync::atomic::AtomicUsize,
}

impl sfkit_client::auth::TokenSource for Sequence {
    fn fetch<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _why: sfkit_client::auth::Fetch,
    ) -> sfkit_client::auth::BoxFuture<'a, Result<sfkit_client::auth::Token, Error>> {
        Box::pin(async move {
            self.fetches
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut tokens = self.tokens.lock().unwrap();
            let token = if tokens.len() > 1 {
                tokens.remove(0)
            } else {
                tokens[0].clone()
            };
            Ok(sfkit_client::auth::Token::new(
                token,
                Some(self.url.clone()),
            ))
        })
    }
}

/// A token that is already dead when renewed (it expired again within the same call): the
/// client keeps renewing while the source hands out new tokens, and the caller sees the answer,
/// not `INVALID_SESSION_ID`.
#[tokio::test]
async fn a_token_that_expires_twice_in_one_call_is_renewed_again() {
    let l = Local::start().await;
    let good = l.org.mint_token(sfkit_emulator::ADMIN_USERNAME).unwrap();
    let source = Arc::new(Sequence {
        url: l.url(),
        tokens: std::sync::Mutex::new(vec![
            "00Dexpired!first".into(),
            "00Dexpired!second".into(),
            good,
        ]),
        fetches: std::sync::atomic::AtomicUsize::new(0),
    });
    let c = l
        .builder()
        .token_source(Arc::clone(&source))
        .build()
        .unwrap();
    let limits = c.limits().await.unwrap();
    assert!(!limits.is_empty());
    assert_eq!(source.fetches.load(std::sync::atomic::Ordering::SeqCst), 3);

    // A source that only ever hands out dead tokens: the renewals stop, with an error that
    // says to reconnect (bounded, not a loop).
    let dead = Arc::new(Sequence {
        url: l.url(),
        tokens: std::sync::Mutex::new(vec!["00Dexpired!always".into()]),
        fetches: std::sync::atomic::AtomicUsize::new(0),
    });
    let c = l.builder().token_source(Arc::clone(&dead)).build().unwrap();
    let e = c.limits().await.unwrap_err();
    assert!(matches!(e, Error::Reconnect { .. }), "{e:?}");
    let n = dead.fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=6).contains(&n), "bounded renewals: {n}");
}
