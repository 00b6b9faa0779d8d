// jsforce's autoFetch streaming a query from the local org, for the sfkit-client bench
// (crates/sfkit-client/benches/client/peers.rs, part 3), which runs it and reads the one JSON line it
// prints: records, the sum of the Name lengths, the query's time and CPU time, and this process's RSS before
// the query and peak RSS (VmHWM) after it.
//
// Records are taken from the `record` event as each page arrives (no `await` on the query,
// which would collect them into one array). jsforce 3 still keeps every fetched record in
// `Query#records` while autoFetch runs; that is part of what is measured.
//
// Environment: SFKIT_URL, SFKIT_TOKEN, SFKIT_SOQL, SFKIT_EXPECT, SFKIT_API_VERSION,
// NODE_EXTRA_CA_CERTS (the org's CA), and SFKIT_JSFORCE_FROM: the package.json whose
// node_modules holds jsforce (tests/compat/package.json).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const jsforce = createRequire(process.env.SFKIT_JSFORCE_FROM)('jsforce');

function statusKib(field) {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Number.parseInt(line.split(/\s+/)[1], 10) : -1;
}

// User plus system CPU time of this process, from /proc/self/stat (as the other clients).
function cpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(')').pop().trim().split(/\s+/);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const conn = new jsforce.Connection({
  instanceUrl: process.env.SFKIT_URL,
  accessToken: process.env.SFKIT_TOKEN,
  version: process.env.SFKIT_API_VERSION,
});
const soql = process.env.SFKIT_SOQL;
const expect = Number.parseInt(process.env.SFKIT_EXPECT, 10);

const rssStart = statusKib('VmRSS');
const cpuStart = cpuSeconds();
const start = process.hrtime.bigint();
let records = 0;
let nameChars = 0;
await new Promise((resolve, reject) => {
  conn
    .query(soql)
    .on('record', (record) => {
      nameChars += record.Name.length;
      records += 1;
    })
    .on('end', resolve)
    .on('error', reject)
    .run({ autoFetch: true, maxFetch: expect });
});
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = cpuSeconds() - cpuStart;
const hwm = statusKib('VmHWM');
if (records !== expect) {
  console.error(`expected ${expect} records, got ${records}`);
  process.exit(1);
}
console.log(JSON.stringify({
  client: 'jsforce',
  records,
  name_chars: nameChars,
  seconds,
  cpu_seconds: cpu,
  rss_start_kib: rssStart,
  hwm_kib: hwm,
}));
