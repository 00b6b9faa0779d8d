// The Salesforce CLI (`sf`, pinned in sfcli/package.json) against the sfkit local org, unchanged:
// both logins a script uses (access token, JWT bearer), org display and limits, record CRUD,
// queries (table, CSV, JSON, aggregates, COUNT(), deleted rows, more than 2,000 rows across
// pages), SOSL search, sObject list and describe, tree export and import, Bulk API 2.0 import,
// export, delete and results, and a raw REST request.
//
// Run by tests/compat/run.sh sf, which starts `sfkit emulator --tls` and sets SFKIT_URL,
// NODE_EXTRA_CA_CERTS (the org's CA) and SFKIT_JWT_KEY. The CLI gets a home of its own in a
// temporary directory, so nothing reaches the real one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const url = process.env.SFKIT_URL;
const jwtKey = process.env.SFKIT_JWT_KEY;
const bin = path.join(here, 'sfcli', 'node_modules', '.bin');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sfkit-sfcli-'));
const work = path.join(home, 'work');
fs.mkdirSync(work);

const env = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, '.config'),
  XDG_DATA_HOME: path.join(home, '.local', 'share'),
  XDG_CACHE_HOME: path.join(home, '.cache'),
  PATH: `${bin}${path.delimiter}${process.env.PATH}`,
  SF_DISABLE_TELEMETRY: 'true',
  SF_AUTOUPDATE_DISABLE: 'true',
  SF_SKIP_NEW_VERSION_CHECK: 'true',
  SF_HIDE_RELEASE_NOTES: 'true',
  SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
};

let passed = 0;
let failed = 0;
function check(name, condition, detail = '') {
  if (condition) {
    passed += 1;
  } else {
    failed += 1;
    console.error(`FAIL ${name}`, typeof detail === 'string' ? detail.slice(0, 600) : JSON.stringify(detail).slice(0, 600));
  }
}

/** Runs `sf ...args`; returns {code, stdout, stderr}. Data, sObject and API commands target the
 * JWT login (the admin) unless they name an org. */
function sf(args, extraEnv = {}) {
  const targeted = ['data', 'sobject', 'api'].includes(args[0]) && !args.includes('-o');
  const r = spawnSync(path.join(bin, 'sf'), targeted ? [...args, '-o', 'jwt'] : args, {
    cwd: work,
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs `sf ...args --json`; returns {code, json} (json null when stdout is not JSON). */
function sfJson(args, extraEnv = {}) {
  const r = sf([...args, '--json'], extraEnv);
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { code: r.code, json, stdout: r.stdout, stderr: r.stderr };
}

/** The `result` of a JSON command that must succeed (exit 0, status 0). */
function ok(name, args) {
  const r = sfJson(args);
  check(`${name}: exit 0`, r.code === 0 && r.json?.status === 0, r.stdout || r.stderr);
  return r.json?.result;
}

async function main() {
  const version = sf(['--version']);
  check('sf runs', version.code === 0 && /@salesforce\/cli\/2\./.test(version.stdout), version.stdout + version.stderr);
  console.log(`sf: ${version.stdout.trim()}`);

  // Access-token login, as the read-only viewer: the token from the org's password grant.
  const tokenResp = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password', client_id: 'sfkit-local', client_secret: 'sfkit-local-secret',
      username: 'viewer@sfkit.local', password: 'sfkit-local',
    }),
  });
  const token = (await tokenResp.json()).access_token;
  const tokLogin = sfJson(['org', 'login', 'access-token', '--instance-url', url, '--no-prompt', '--alias', 'tok'], {
    SF_ACCESS_TOKEN: token,
  });
  check('login access-token', tokLogin.code === 0 && tokLogin.json?.result?.username === 'viewer@sfkit.local'
    && /^00D/.test(tokLogin.json?.result?.orgId ?? ''), tokLogin.stdout || tokLogin.stderr);
  const orgId = tokLogin.json?.result?.orgId;
  const tokDisplay = ok('org display (access token)', ['org', 'display', '-o', 'tok']);
  check('org display: connected', tokDisplay?.connectedStatus === 'Connected' && tokDisplay?.apiVersion === '66.0'
    && tokDisplay?.id === orgId, tokDisplay);

  // JWT bearer login with the org's key.
  const jwtLogin = sfJson(['org', 'login', 'jwt', '--username', 'admin@sfkit.local', '--jwt-key-file', jwtKey,
    '--client-id', 'sfkit-local', '--instance-url', url, '--alias', 'jwt', '--set-default']);
  check('login jwt', jwtLogin.code === 0 && jwtLogin.json?.result?.username === 'admin@sfkit.local'
    && jwtLogin.json?.result?.orgId === orgId, jwtLogin.stdout || jwtLogin.stderr);
  const display = ok('org display (jwt)', ['org', 'display', '-o', 'jwt']);
  check('org display: instance and client', display?.connectedStatus === 'Connected' && display?.instanceUrl === url
    && display?.clientId === 'sfkit-local', display);
  const limits = ok('org list limits', ['org', 'list', 'limits', '-o', 'jwt']);
  const daily = (limits ?? []).find((l) => l.name === 'DailyApiRequests');
  check('limits: DailyApiRequests', daily?.max > 0 && daily.remaining > 0 && daily.remaining <= daily.max, limits);

  // Records: create, get (by id and by where), update, query, delete.
  const created = ok('data create record', ['data', 'create', 'record', '-s', 'Account', '-v',
    "Name='CLI Compat' Industry=Banking NumberOfEmployees=42"]);
  const id = created?.id ?? '';
  check('create: id', /^001\w{15}$/.test(id) && created?.success === true, created);
  const got = ok('data get record', ['data', 'get', 'record', '-s', 'Account', '-i', id]);
  check('get: values', got?.Name === 'CLI Compat' && got?.Industry === 'Banking' && got?.NumberOfEmployees === 42, got);
  const byWhere = ok('data get record --where', ['data', 'get', 'record', '-s', 'Account', '-w', "Name='CLI Compat'"]);
  check('get --where: same record', byWhere?.Id === id, byWhere);
  ok('data update record', ['data', 'update', 'record', '-s', 'Account', '-i', id, '-v', "Industry=Energy Rating=Hot"]);
  ok('data update record --where', ['data', 'update', 'record', '-s', 'Account', '-w', "Name='CLI Compat'", '-v',
    "Description='set by where'"]);
  const updated = ok('data get record after update', ['data', 'get', 'record', '-s', 'Account', '-i', id]);
  check('update: values', updated?.Industry === 'Energy' && updated?.Rating === 'Hot'
    && updated?.Description === 'set by where', updated);
  const missing = sfJson(['data', 'get', 'record', '-s', 'Account', '-w', "Name='No Such Account'"]);
  check('get of no record fails', missing.code === 1, missing.stdout);

  // Children for the relationship queries.
  for (const last of ['Zeta', 'Alpha']) {
    ok(`create contact ${last}`, ['data', 'create', 'record', '-s', 'Contact', '-v', `LastName=${last} AccountId=${id}`]);
  }

  // Queries: JSON with parent and child relationships.
  const q = `SELECT Id, Name, Industry, Owner.Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Id = '${id}'`;
  const res = ok('data query --json', ['data', 'query', '-q', q]);
  const rec = res?.records?.[0];
  check('query: one record', res?.totalSize === 1 && res?.done === true && rec?.Id === id, res);
  check('query: parent', rec?.Owner?.Name === 'Local Admin', rec);
  check('query: children', rec?.Contacts?.records?.map((c) => c.LastName).join() === 'Alpha,Zeta', rec);

  // The human table: headers from the org's column metadata.
  const table = sf(['data', 'query', '-q', q, '-o', 'jwt']);
  check('query table: exit 0', table.code === 0, table.stderr);
  check('query table: headers', /ID\s.*NAME\s.*INDUSTRY\s.*OWNER\.NAME\s.*CONTACTS\.LASTNAME/.test(table.stdout), table.stdout);
  check('query table: values', /CLI Compat/.test(table.stdout) && /Local Admin/.test(table.stdout)
    && /Alpha/.test(table.stdout) && /Zeta/.test(table.stdout), table.stdout);
  check('query table: count line', /Total number of records retrieved: 1\./.test(table.stdout), table.stdout);

  // CSV.
  const csv = sf(['data', 'query', '-q', `SELECT Id, Name, Owner.Name, Description FROM Account WHERE Id = '${id}'`,
    '--result-format', 'csv']);
  const lines = csv.stdout.trim().split('\n');
  check('query csv', csv.code === 0 && lines[0] === 'Id,Name,Owner.Name,Description'
    && lines[1] === `${id},CLI Compat,Local Admin,set by where` && lines.length === 2, csv.stdout + csv.stderr);

  // Aggregates and COUNT().
  const agg = sf(['data', 'query', '-q',
    "SELECT Industry, COUNT(Id), MAX(NumberOfEmployees) most FROM Account WHERE Name = 'CLI Compat' GROUP BY Industry"]);
  check('aggregate table', agg.code === 0 && /INDUSTRY\s.*COUNT\(ID\)\s.*MOST/.test(agg.stdout)
    && /Energy\s.*1\s.*42/.test(agg.stdout), agg.stdout + agg.stderr);
  const aggJson = ok('aggregate --json', ['data', 'query', '-q',
    "SELECT Industry, COUNT(Id) FROM Account WHERE Name = 'CLI Compat' GROUP BY Industry"]);
  check('aggregate json', aggJson?.records?.[0]?.expr0 === 1 && aggJson.records[0].Industry === 'Energy', aggJson);
  const count = sf(['data', 'query', '-q', `SELECT COUNT() FROM Contact WHERE AccountId = '${id}'`]);
  check('COUNT()', count.code === 0 && /Total number of records retrieved: 2\./.test(count.stdout), count.stdout + count.stderr);

  // Errors come back as the org words them, with exit code 1.
  const bad = sf(['data', 'query', '-q', 'SELECT Id, Bogus FROM Account']);
  check('query error', bad.code === 1 && /No such column 'Bogus' on entity 'Account'/.test(bad.stderr), bad.stderr);
  const badSyntax = sf(['data', 'query', '-q', 'SELECT']);
  check('query syntax error', badSyntax.code === 1 && /unexpected token/i.test(badSyntax.stderr), badSyntax.stderr);

  // SOSL.
  const found = ok('data search', ['data', 'search', '-q', 'FIND {CLI Compat} IN NAME FIELDS RETURNING Account(Id, Name)']);
  check('search: the account', (found?.searchRecords ?? []).some((r) => r.Id === id && r.Name === 'CLI Compat'), found);

  // sObjects.
  const all = ok('sobject list', ['sobject', 'list', '-s', 'all']);
  check('sobject list: standard and custom', Array.isArray(all) && all.includes('Account') && all.includes('Invoice__c'), all);
  const custom = ok('sobject list custom', ['sobject', 'list', '-s', 'custom']);
  check('sobject list custom: only custom', Array.isArray(custom) && custom.includes('Invoice__c')
    && custom.every((n) => n.endsWith('__c')), custom);
  const desc = ok('sobject describe', ['sobject', 'describe', '-s', 'Contact']);
  check('sobject describe', desc?.name === 'Contact' && desc.fields.some((f) => f.name === 'LastName' && !f.nillable)
    && desc.childRelationships !== undefined, desc?.name);

  // More than 2,000 rows: tree-import 2,100 accounts (the CLI sends them 200 at a time), then a
  // query that the CLI pages through with the locator.
  const big = Array.from({ length: 2100 }, (_, i) => ({
    attributes: { type: 'Account', referenceId: `BigRef${i}` }, Name: `CLI Big ${String(i).padStart(4, '0')}`,
  }));
  fs.writeFileSync(path.join(work, 'Big-Account.json'), JSON.stringify({ records: big }));
  fs.writeFileSync(path.join(work, 'big-plan.json'), JSON.stringify([{ sobject: 'Account', saveRefs: false,
    resolveRefs: false, files: ['Big-Account.json'] }]));
  const imported = ok('data import tree (2,100)', ['data', 'import', 'tree', '--plan', path.join(work, 'big-plan.json')]);
  check('import tree: 2,100 ids', imported?.length === 2100 && imported.every((r) => /^001/.test(r.id)), imported?.length);
  const many = ok('data query > 2,000', ['data', 'query', '-q', "SELECT Id, Name FROM Account WHERE Name LIKE 'CLI Big %' ORDER BY Name"]);
  const ids = new Set((many?.records ?? []).map((r) => r.Id));
  check('query > 2,000: every row once', many?.totalSize === 2100 && many.records.length === 2100 && ids.size === 2100
    && many.records[0].Name === 'CLI Big 0000' && many.records[2099].Name === 'CLI Big 2099', many?.totalSize);
  const manyCsv = sf(['data', 'query', '-q', "SELECT Name FROM Account WHERE Name LIKE 'CLI Big %'", '-r', 'csv']);
  check('csv > 2,000', manyCsv.code === 0 && manyCsv.stdout.trim().split('\n').length === 2101, manyCsv.stderr);

  // Tree export (with a plan) and import of the exported files.
  const exportDir = path.join(work, 'export');
  ok('data export tree --plan', ['data', 'export', 'tree', '-q',
    `SELECT Id, Name, Industry, (SELECT LastName FROM Contacts) FROM Account WHERE Id = '${id}'`, '--plan', '--output-dir', exportDir]);
  const planFile = path.join(exportDir, 'Account-Contact-plan.json');
  check('export tree: plan and files', fs.existsSync(planFile) && fs.existsSync(path.join(exportDir, 'Contact.json')),
    fs.existsSync(exportDir) ? fs.readdirSync(exportDir) : 'no dir');
  if (fs.existsSync(planFile)) {
    const accountsFile = path.join(exportDir, 'Account.json');
    const accounts = JSON.parse(fs.readFileSync(accountsFile, 'utf8'));
    check('export tree: account', accounts.records.length === 1 && accounts.records[0].Name === 'CLI Compat'
      && accounts.records[0].Industry === 'Energy', accounts);
    accounts.records[0].Name = 'CLI Compat Copy';
    fs.writeFileSync(accountsFile, JSON.stringify(accounts));
    const contacts = JSON.parse(fs.readFileSync(path.join(exportDir, 'Contact.json'), 'utf8'));
    check('export tree: contacts refer to the account', contacts.records.length === 2
      && contacts.records.every((c) => c.AccountId === `@${accounts.records[0].attributes.referenceId}`), contacts);
    const again = ok('data import tree --plan', ['data', 'import', 'tree', '--plan', planFile]);
    check('import tree: account and contacts', again?.length === 3, again);
    const copy = ok('query the imported copy', ['data', 'query', '-q',
      "SELECT Name, Industry, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'CLI Compat Copy'"]);
    check('imported copy', copy?.totalSize === 1 && copy.records[0].Industry === 'Energy'
      && copy.records[0].Contacts?.records?.map((c) => c.LastName).join() === 'Alpha,Zeta', copy);
  }
  const nestedDir = path.join(work, 'nested');
  ok('data export tree (nested)', ['data', 'export', 'tree', '-q',
    `SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id = '${id}'`, '--output-dir', nestedDir, '--prefix', 'n']);
  const nestedFile = path.join(nestedDir, 'n-Account-Contact.json');
  if (fs.existsSync(nestedFile)) {
    fs.writeFileSync(nestedFile, fs.readFileSync(nestedFile, 'utf8').replace('"CLI Compat"', '"CLI Compat Nested"'));
    const nested = ok('data import tree --files', ['data', 'import', 'tree', '--files', nestedFile]);
    check('import nested tree', nested?.length === 3 && nested[0].type === 'Account', nested);
  } else {
    check('export tree (nested): file', false, fs.existsSync(nestedDir) ? fs.readdirSync(nestedDir) : 'no dir');
  }

  // Bulk API 2.0: import a CSV, export by query, delete by ids.
  const bulkCsv = path.join(work, 'bulk.csv');
  fs.writeFileSync(bulkCsv, `Name,Industry\n${Array.from({ length: 30 }, (_, i) => `CLI Bulk ${String(i).padStart(2, '0')},CliBulk`).join('\n')}\n`);
  const bulkIn = ok('data import bulk', ['data', 'import', 'bulk', '--file', bulkCsv, '--sobject', 'Account', '--wait', '5']);
  check('import bulk: counts', bulkIn?.processedRecords === 30 && bulkIn.successfulRecords === 30 && bulkIn.failedRecords === 0
    && /^750/.test(bulkIn.jobId), bulkIn);
  const exported = path.join(work, 'bulk-out.csv');
  const bulkOut = ok('data export bulk', ['data', 'export', 'bulk', '--query',
    "SELECT Id, Name FROM Account WHERE Industry = 'CliBulk' ORDER BY Name", '--output-file', exported, '--wait', '5',
    '--result-format', 'csv']);
  const exportedLines = fs.existsSync(exported) ? fs.readFileSync(exported, 'utf8').trim().split('\n') : [];
  check('export bulk: file', bulkOut?.totalSize === 30 && exportedLines.length === 31 && exportedLines[0] === '"Id","Name"'
    && exportedLines[1].endsWith('"CLI Bulk 00"'), exportedLines.slice(0, 3));
  const idsCsv = path.join(work, 'bulk-ids.csv');
  fs.writeFileSync(idsCsv, `Id\n${exportedLines.slice(1, 11).map((l) => l.split(',')[0].replaceAll('"', '')).join('\n')}\n`);
  const bulkDel = ok('data delete bulk', ['data', 'delete', 'bulk', '--file', idsCsv, '--sobject', 'Account', '--wait', '5']);
  check('delete bulk: counts', bulkDel?.jobInfo?.numberRecordsProcessed === 10 && bulkDel.jobInfo.numberRecordsFailed === 0
    && bulkDel.jobInfo.state === 'JobComplete', bulkDel);
  const left = ok('query after delete bulk', ['data', 'query', '-q', "SELECT COUNT() FROM Account WHERE Industry = 'CliBulk'"]);
  check('delete bulk: 20 left', left?.totalSize === 20, left);
  fs.writeFileSync(bulkCsv, 'Name,Industry\nCLI Bulk Good,CliBulk\n,CliBulk\n');
  const partial = sfJson(['data', 'import', 'bulk', '--file', bulkCsv, '--sobject', 'Account', '--wait', '5']);
  check('import bulk with a bad row fails', partial.code === 1 && partial.json?.name === 'FailedRecordDetailsError', partial.stdout);
  const partialJob = partial.json?.data?.jobId ?? '';
  const results = ok('data bulk results', ['data', 'bulk', 'results', '--job-id', partialJob]);
  check('bulk results: counts', results?.processedRecords === 2 && results.successfulRecords === 1
    && results.failedRecords === 1, results);
  const failedFile = path.join(work, results?.failedFilePath ?? 'missing');
  const failedText = fs.existsSync(failedFile) ? fs.readFileSync(failedFile, 'utf8') : '';
  check('bulk results: failed file', /sf__Error/.test(failedText) && /REQUIRED_FIELD_MISSING/.test(failedText), failedText);

  // A raw REST request.
  const rest = sf(['api', 'request', 'rest', 'services/data/v66.0/limits']);
  let restJson = null;
  try {
    restJson = JSON.parse(rest.stdout);
  } catch {
    restJson = null;
  }
  check('api request rest', rest.code === 0 && restJson?.DailyApiRequests?.Max > 0, rest.stdout + rest.stderr);
  const post = sf(['api', 'request', 'rest', 'services/data/v66.0/sobjects/Account', '--method', 'POST',
    '--body', '{"Name":"CLI Raw"}']);
  check('api request rest POST', post.code === 0 && /"success": true/.test(post.stdout), post.stdout + post.stderr);

  // Delete; queryAll (--all-rows) still sees the record.
  ok('data delete record', ['data', 'delete', 'record', '-s', 'Account', '-i', id]);
  const gone = ok('query after delete', ['data', 'query', '-q', `SELECT Id FROM Account WHERE Id = '${id}'`]);
  check('deleted: not queried', gone?.totalSize === 0, gone);
  const allRows = ok('query --all-rows', ['data', 'query', '-q', `SELECT Id, IsDeleted FROM Account WHERE Id = '${id}'`, '--all-rows']);
  check('deleted: --all-rows', allRows?.totalSize === 1 && allRows.records[0].IsDeleted === true, allRows);
  const twice = sfJson(['data', 'delete', 'record', '-s', 'Account', '-i', id]);
  check('delete twice fails', twice.code === 1 && twice.json?.name === 'ENTITY_IS_DELETED', twice.stdout);

  // The viewer's access-token login reads but cannot write.
  const viewerRead = ok('viewer query', ['data', 'query', '-q', "SELECT COUNT() FROM Account WHERE Name LIKE 'CLI Big %'", '-o', 'tok']);
  check('viewer reads', viewerRead?.totalSize === 2100, viewerRead);
  const viewerWrite = sfJson(['data', 'create', 'record', '-s', 'Account', '-v', "Name='Viewer Write'", '-o', 'tok']);
  check('viewer cannot create', viewerWrite.code === 1 && /INSUFFICIENT_ACCESS/.test(viewerWrite.stdout), viewerWrite.stdout);
  const users = ok('org list users', ['org', 'list', 'users', '-o', 'jwt']);
  check('org list users', (users ?? []).some((u) => u.username === 'admin@sfkit.local'
    && u.profileName === 'System Administrator'), users);

  // A JWT signed with a key the org does not know is refused (last: a failed login forgets the
  // user's stored authorization).
  const wrongKey = path.join(home, 'other.key');
  fs.writeFileSync(wrongKey, (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const badJwt = sfJson(['org', 'login', 'jwt', '--username', 'admin@sfkit.local', '--jwt-key-file', wrongKey,
    '--client-id', 'sfkit-local', '--instance-url', url, '--alias', 'bad']);
  check('login jwt with a key the org does not know fails', badJwt.code !== 0 && /signature/.test(badJwt.stdout), badJwt.stdout);


  console.log(`sf CLI: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main()
  .catch((e) => {
    console.error('sf CLI compat crashed:', e);
    return 1;
  })
  .then((code) => {
    fs.rmSync(home, { recursive: true, force: true });
    process.exit(code);
  });
