"""simple-salesforce's query_all_iter streaming a query from the local org, for the sfkit-client
bench (crates/sfkit-client/benches/client/peers.rs, part 3), which runs it and reads the one JSON line
it prints: records, the sum of the Name lengths, the query's time and CPU time, and this process's RSS before
the query and peak RSS (VmHWM) after it.

Environment: SFKIT_URL, SFKIT_TOKEN, SFKIT_SOQL, SFKIT_EXPECT, SFKIT_API_VERSION, and
REQUESTS_CA_BUNDLE (the org's CA: simple-salesforce only speaks HTTPS).
"""

import json
import os
import sys
import time

from simple_salesforce import Salesforce


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def cpu_seconds():
    """User plus system CPU time of this process, from /proc/self/stat (as the other clients)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


def main():
    sf = Salesforce(
        instance_url=os.environ["SFKIT_URL"],
        session_id=os.environ["SFKIT_TOKEN"],
        version=os.environ["SFKIT_API_VERSION"],
    )
    soql = os.environ["SFKIT_SOQL"]
    expect = int(os.environ["SFKIT_EXPECT"])
    rss_start = status_kib("VmRSS")
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    records = name_chars = 0
    for record in sf.query_all_iter(soql):
        name_chars += len(record["Name"])
        records += 1
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    hwm = status_kib("VmHWM")
    if records != expect:
        print(f"expected {expect} records, got {records}", file=sys.stderr)
        return 1
    print(json.dumps({
        "client": "simple-salesforce",
        "records": records,
        "name_chars": name_chars,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_start_kib": rss_start,
        "hwm_kib": hwm,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
