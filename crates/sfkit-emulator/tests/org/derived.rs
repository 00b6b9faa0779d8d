//! Fields the org derives: an activity's AccountId from its What or Who, a case's ClosedDate
//! and CaseNumber.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use common::{TestOrg, data};
use serde_json::json;

#[tokio::test]
async fn activities_take_their_account_and_cases_their_closed_date() {
    let org = TestOrg::start().await;
    let acc = org
        .post(&data("/sobjects/Account"), &json!({"Name": "Derive Co"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let con = org
        .post(
            &data("/sobjects/Contact"),
            &json!({"LastName": "Ng", "AccountId": acc}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let opp = org
        .post(&data("/sobjects/Opportunity"), &json!({"Name": "D", "StageName": "Prospecting", "CloseDate": "2026-12-31", "AccountId": acc}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (fields, why) in [
        (
            json!({"Subject": "Call", "WhatId": acc}),
            "what is the account",
        ),
        (
            json!({"Subject": "Call", "WhatId": opp}),
            "what is the account's opportunity",
        ),
        (
            json!({"Subject": "Call", "WhoId": con}),
            "who is the account's contact",
        ),
    ] {
        let id = org.post(&data("/sobjects/Task"), &fields).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let task = org
            .get(&data(&format!("/sobjects/Task/{id}")))
            .await
            .expect(200);
        assert_eq!(task["AccountId"], acc, "{why}");
    }

    let case = org
        .post(&data("/sobjects/Case"), &json!({"Subject": "Broken"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let open = org
        .get(&data(&format!("/sobjects/Case/{case}")))
        .await
        .expect(200);
    assert!(open["ClosedDate"].is_null() && open["IsClosed"] == false);
    assert_eq!(open["CaseNumber"].as_str().unwrap().len(), 8);
    org.patch(
        &data(&format!("/sobjects/Case/{case}")),
        &json!({"Status": "Closed"}),
    )
    .await
    .expect(204);
    let closed = org
        .get(&data(&format!("/sobjects/Case/{case}")))
        .await
        .expect(200);
    assert!(
        closed["IsClosed"] == true && closed["ClosedDate"].as_str().unwrap().ends_with("+0000"),
        "{closed}"
    );
    org.patch(
        &data(&format!("/sobjects/Case/{case}")),
        &json!({"Status": "Working"}),
    )
    .await
    .expect(204);
    let reopened = org
        .get(&data(&format!("/sobjects/Case/{case}")))
        .await
        .expect(200);
    assert!(reopened["ClosedDate"].is_null() && reopened["IsClosed"] == false);
    org.shutdown().await;
}
