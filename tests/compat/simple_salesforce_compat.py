"""simple-salesforce against the sfkit local org, unchanged: HTTPS, OAuth, CRUD, upsert, a query
of more than 2,000 rows across pages, queryAll, SOSL, describe, collections and composite,
limits, Bulk API 2.0 loads and queries, and an expired session being renewed.

Run by tests/compat/run.sh, which starts `sfkit emulator --tls` and sets SFKIT_URL and
REQUESTS_CA_BUNDLE (the org's CA).
"""

import base64
import datetime
import hashlib
import os
import re
import secrets
import sys
import urllib.parse

import jwt
import requests
from simple_salesforce import (
    Salesforce,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

URL = os.environ["SFKIT_URL"]
CLIENT = {"client_id": "sfkit-local", "client_secret": "sfkit-local-secret"}
passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}", file=sys.stderr)


def password_token():
    r = requests.post(
        f"{URL}/services/oauth2/token",
        data={"grant_type": "password", "username": "admin@sfkit.local", "password": "sfkit-local", **CLIENT},
    )
    r.raise_for_status()
    return r.json()


def code_flow():
    """The web-server flow with PKCE, driven as a browser would: log in, follow the redirect."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://localhost:1717/callback"
    params = {"response_type": "code", "client_id": "sfkit-local", "redirect_uri": redirect,
              "state": "xyz", "code_challenge": challenge}
    page = requests.get(f"{URL}/services/oauth2/authorize", params=params)
    check("authorize page", page.status_code == 200 and "<form" in page.text)
    r = requests.post(f"{URL}/services/oauth2/authorize",
                      data={**params, "username": "admin@sfkit.local", "password": "sfkit-local"},
                      allow_redirects=False)
    check("authorize redirects", r.status_code == 302, r.status_code)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
    check("state kept", query.get("state") == ["xyz"])
    tok = requests.post(f"{URL}/services/oauth2/token", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
        "code_verifier": verifier, **CLIENT}).json()
    check("code exchange gives a refresh token", "refresh_token" in tok, tok)
    return tok


def main():
    tok = password_token()
    check("token shape", re.match(r"^00D\w{12,15}!", tok["access_token"]) is not None, tok["access_token"][:20])
    sf = Salesforce(instance_url=tok["instance_url"], session_id=tok["access_token"], version="59.0")

    # Describe and limits
    names = [o["name"] for o in sf.describe()["sobjects"]]
    check("describeGlobal", "Account" in names and "Invoice__c" in names)
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    check("describe Account", fields["Name"]["nillable"] is False and fields["Name"]["type"] == "string")
    limits = sf.limits()
    check("limits", "DailyApiRequests" in limits, list(limits)[:3])
    check("api usage parsed from Sforce-Limit-Info", sf.api_usage.get("api-usage") is not None, sf.api_usage)

    # CRUD with a hostile name
    name = "O'Brien & Sons \\ \"quoted\" 🚀"
    created = sf.Account.create({"Name": name, "Industry": "Technology"})
    check("create", created["success"] and created["id"].startswith("001"))
    acc = sf.Account.get(created["id"])
    check("read", acc["Name"] == name and acc["attributes"]["type"] == "Account")
    check("update", sf.Account.update(created["id"], {"Phone": "555-0100"}) == 204)
    check("read after update", sf.Account.get(created["id"])["Phone"] == "555-0100")
    contact = sf.Contact.create({"LastName": "Ng", "FirstName": "Ada", "AccountId": created["id"]})
    rows = sf.query(f"SELECT Name, Account.Name FROM Contact WHERE Id = '{contact['id']}'")["records"]
    check("parent path", rows[0]["Account"]["Name"] == name and rows[0]["Name"] == "Ada Ng", rows)
    try:
        sf.Contact.create({"FirstName": "NoLast"})
        check("required field error", False)
    except SalesforceMalformedRequest as e:
        check("required field error", e.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING", e.content)

    # Upsert by external id
    check("upsert creates", sf.Invoice__c.upsert("Number__c/INV-1", {"Name": "First", "Total__c": 10}) == 201)
    check("upsert updates", sf.Invoice__c.upsert("Number__c/INV-1", {"Total__c": 20}) in (200, 204))
    inv = sf.Invoice__c.get_by_custom_id("Number__c", "INV-1")
    check("get by external id", inv["Total__c"] == 20.0, inv.get("Total__c"))

    # Collections: 2,100 accounts in chunks of 200, then a query across pages
    for start in range(0, 2100, 200):
        records = [{"attributes": {"type": "Account"}, "Name": f"Bulk {i:04d}"} for i in range(start, min(start + 200, 2100))]
        res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
        check("collection create", all(r["success"] for r in res))
    result = sf.query_all("SELECT Id, Name FROM Account WHERE Name LIKE 'Bulk %'")
    ids = {r["Id"] for r in result["records"]}
    check("query_all follows nextRecordsUrl", result["totalSize"] == 2100 and len(ids) == 2100, result["totalSize"])
    first = sf.query("SELECT Id FROM Account WHERE Name LIKE 'Bulk %'")
    check("first page of 2,000", len(first["records"]) == 2000 and not first["done"] and "nextRecordsUrl" in first)
    check("iterator", sum(1 for _ in sf.query_all_iter("SELECT Id FROM Account WHERE Name LIKE 'Bulk 1%'")) == 1000)

    # Delete and queryAll
    check("delete", sf.Account.delete(created["id"]) == 204)
    try:
        sf.Account.get(created["id"])
        check("deleted record is gone", False)
    except SalesforceResourceNotFound as e:
        check("deleted record is gone", e.content[0]["errorCode"] == "ENTITY_IS_DELETED", e.content)
    live = sf.query(f"SELECT Id FROM Account WHERE Id = '{created['id']}'")["totalSize"]
    everything = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{created['id']}'", include_deleted=True)
    check("queryAll sees the recycle bin", live == 0 and everything["totalSize"] == 1
          and everything["records"][0]["IsDeleted"] is True)

    # Replication: get deleted / get updated
    now = datetime.datetime.now(datetime.timezone.utc)
    window = (now - datetime.timedelta(hours=1), now + datetime.timedelta(minutes=5))
    gone = sf.Account.deleted(*window)
    check("get deleted", any(r["id"] == created["id"] for r in gone["deletedRecords"]), gone)
    changed = sf.Account.updated(*window)
    check("get updated", len(changed["ids"]) >= 2100 and created["id"] not in changed["ids"], len(changed["ids"]))

    # SOSL
    found = sf.search("FIND {Bulk 0001} IN NAME FIELDS RETURNING Account(Id, Name)")
    check("SOSL", any(r["Name"] == "Bulk 0001" for r in found["searchRecords"]), found)
    quick = sf.quick_search("Invoice")
    check("quick_search", isinstance(quick, dict) and "searchRecords" in quick)

    # Composite with a reference
    comp = sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Account", "referenceId": "acc", "body": {"Name": "Composite Co"}},
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact", "referenceId": "con",
         "body": {"LastName": "Ref", "AccountId": "@{acc.id}"}},
    ]})
    statuses = [r["httpStatusCode"] for r in comp["compositeResponse"]]
    check("composite with references", statuses == [201, 201], comp)

    # Bulk API 2.0: jobs split by batch_size, a failing row reported, upsert by external id, and a
    # query read back page by page behind Sforce-Locator.
    rows = [{"Name": f"B2 {i:03}", "Industry": "Bulk2"} for i in range(120)] + [{"Name": "", "Industry": "Bulk2"}]
    jobs = sf.bulk2.Account.insert(records=rows, batch_size=50, wait=0.1)
    check("bulk2 insert splits into jobs", len(jobs) == 3, jobs)
    check("bulk2 insert counts", sum(j["numberRecordsProcessed"] for j in jobs) == 121
          and sum(j["numberRecordsFailed"] for j in jobs) == 1, jobs)
    failed_csv = sf.bulk2.Account.get_failed_records(jobs[-1]["job_id"])
    check("bulk2 failed records", "REQUIRED_FIELD_MISSING" in failed_csv and "sf__Error" in failed_csv, failed_csv)
    ok_csv = sf.bulk2.Account.get_successful_records(jobs[0]["job_id"])
    check("bulk2 successful records", ok_csv.count("\n") == 51 and '"sf__Created"' in ok_csv, ok_csv[:200])
    up = sf.bulk2.Invoice__c.upsert(records=[{"Number__c": "INV-1", "Total__c": "99"},
                                            {"Number__c": "INV-B2", "Name": "Bulk", "Total__c": "5"}],
                                   external_id_field="Number__c", wait=0.1)
    check("bulk2 upsert", up[0]["numberRecordsFailed"] == 0 and up[0]["numberRecordsProcessed"] == 2, up)
    check("bulk2 upsert updated", sf.Invoice__c.get_by_custom_id("Number__c", "INV-1")["Total__c"] == 99.0)
    pages = list(sf.bulk2.Account.query("SELECT Id, Name FROM Account WHERE Industry = 'Bulk2' ORDER BY Name",
                                        max_records=40, wait=0.1))
    lines = [line for page in pages for line in page.splitlines()[1:]]
    check("bulk2 query pages", len(pages) == 3 and len(lines) == 120, [len(p) for p in pages])
    check("bulk2 query rows", lines[0].endswith('"B2 000"'), lines[:2])

    # An expired session: the client sees SalesforceExpiredSession; a refresh token renews it.
    flow = code_flow()
    sf2 = Salesforce(instance_url=flow["instance_url"], session_id=flow["access_token"], version="59.0")
    requests.post(f"{URL}/services/oauth2/revoke", data={"token": flow["access_token"]})
    try:
        sf2.query("SELECT Id FROM Account LIMIT 1")
        check("revoked session is refused", False)
    except SalesforceExpiredSession:
        check("revoked session is refused", True)
    renewed = requests.post(f"{URL}/services/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": flow["refresh_token"], **CLIENT}).json()
    sf3 = Salesforce(instance_url=renewed["instance_url"], session_id=renewed["access_token"], version="59.0")
    check("renewed session works", sf3.query("SELECT COUNT() FROM Account")["totalSize"] > 2000)

    # JWT bearer: sign an assertion with the org's connected-app key, as simple-salesforce's own
    # JWT login does (it can only aim at *.salesforce.com hosts, so the token request is ours).
    key_file = os.environ.get("SFKIT_JWT_KEY")
    if key_file:
        with open(key_file) as f:
            key = f.read()
        assertion = jwt.encode({"iss": "sfkit-local", "sub": "admin@sfkit.local", "aud": "https://login.salesforce.com",
                                "exp": int(datetime.datetime.now().timestamp()) + 180}, key, algorithm="RS256")
        r = requests.post(f"{URL}/services/oauth2/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
        check("JWT bearer grant", r.status_code == 200 and r.json()["access_token"].startswith("00D"), r.text)
        forged = jwt.encode({"iss": "sfkit-local", "sub": "admin@sfkit.local", "aud": "https://login.salesforce.com",
                             "exp": 9999999999}, "not-the-org-key-but-long-enough-for-hs256", algorithm="HS256")
        bad = requests.post(f"{URL}/services/oauth2/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": forged})
        check("forged assertion refused", bad.status_code == 400 and bad.json()["error"] == "invalid_grant", bad.text)
    else:
        check("SFKIT_JWT_KEY is set", False)

    print(f"simple-salesforce: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
