"""simple-salesforce's Bulk API 2.0 insert of a CSV file into the local org, for the sfkit bulk
bench (crates/sfkit/benches/bulk.rs), which times this process, samples its peak RSS, and counts
the org's API requests around it. It prints one JSON line: the rows processed and failed.

simple-salesforce is used as its README shows (`sf.bulk2.Account.insert("file.csv")`), with its
defaults (it waits 5 s before its first status check).

Environment: SFKIT_URL, SFKIT_TOKEN, SFKIT_API_VERSION, SFKIT_CSV, SFKIT_EXPECT, and
REQUESTS_CA_BUNDLE (the org's CA: simple-salesforce only speaks HTTPS).
"""

import json
import os
import sys

from simple_salesforce import Salesforce


def main():
    sf = Salesforce(
        instance_url=os.environ["SFKIT_URL"],
        session_id=os.environ["SFKIT_TOKEN"],
        version=os.environ["SFKIT_API_VERSION"],
    )
    results = sf.bulk2.Account.insert(csv_file=os.environ["SFKIT_CSV"])
    processed = sum(int(r["numberRecordsProcessed"]) for r in results)
    failed = sum(int(r["numberRecordsFailed"]) for r in results)
    expect = int(os.environ["SFKIT_EXPECT"])
    if processed != expect or failed:
        print(f"expected {expect} rows processed, none failed; got {results}", file=sys.stderr)
        return 1
    print(json.dumps({"client": "simple-salesforce", "processed": processed, "jobs": len(results)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
