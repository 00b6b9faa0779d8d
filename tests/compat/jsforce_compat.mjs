// jsforce against the sfkit local org, unchanged: OAuth login, CRUD, upsert, a query of more
// than 2,000 rows across pages, queryAll, SOSL, describe, collections and composite, limits, Bulk
// API 2.0 loads and queries, and an expired session renewed with a refresh token.
//
// Run by tests/compat/run.sh, which starts `sfkit emulator --tls` and sets SFKIT_URL and
// NODE_EXTRA_CA_CERTS (the org's CA).
import crypto from 'node:crypto';
import jsforce from 'jsforce';

const url = process.env.SFKIT_URL;
const version = '59.0';
let passed = 0;
let failed = 0;
function check(name, condition, detail = '') {
  if (condition) {
    passed += 1;
  } else {
    failed += 1;
    console.error(`FAIL ${name}`, typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

const oauth2 = new jsforce.OAuth2({
  loginUrl: url,
  clientId: 'sfkit-local',
  clientSecret: 'sfkit-local-secret',
  redirectUri: 'http://localhost:1717/callback',
});

async function codeFlow() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    response_type: 'code', client_id: 'sfkit-local', redirect_uri: oauth2.redirectUri, code_challenge: challenge,
  });
  const login = await fetch(`${url}/services/oauth2/authorize`, {
    method: 'POST',
    body: new URLSearchParams({ ...Object.fromEntries(params), username: 'admin@sfkit.local', password: 'sfkit-local' }),
    redirect: 'manual',
  });
  check('authorize redirects with a code', login.status === 302, String(login.status));
  const code = new URL(login.headers.get('location')).searchParams.get('code');
  return oauth2.requestToken(code, { code_verifier: verifier });
}

async function main() {
  const conn = new jsforce.Connection({ oauth2, version });
  const info = await conn.login('admin@sfkit.local', 'sfkit-local');
  check('login by OAuth password flow', /^00D/.test(conn.accessToken) && info.organizationId === conn.userInfo.organizationId);

  const global = await conn.describeGlobal();
  check('describeGlobal', global.sobjects.some((o) => o.name === 'Invoice__c'));
  const desc = await conn.sobject('Contact').describe();
  check('describe', desc.fields.some((f) => f.name === 'LastName' && !f.nillable));
  const limits = await conn.limits();
  check('limits', limits.DailyApiRequests.Max > 0);
  check('limitInfo from Sforce-Limit-Info', conn.limitInfo?.apiUsage?.used > 0, conn.limitInfo);

  const created = await conn.sobject('Account').create({ Name: 'jsforce "quoted" \\ O\'Neil' });
  check('create', created.success && created.id.startsWith('001'));
  const got = await conn.sobject('Account').retrieve(created.id);
  check('retrieve', got.Name === 'jsforce "quoted" \\ O\'Neil');
  await conn.sobject('Account').update({ Id: created.id, Industry: 'Banking' });
  check('update', (await conn.sobject('Account').retrieve(created.id)).Industry === 'Banking');
  const many = await conn.sobject('Account').retrieve([created.id, created.id]);
  check('multi-retrieve through collections', many.length === 2 && many[0].Id === created.id);

  const up1 = await conn.sobject('Invoice__c').upsert({ Number__c: 'J-1', Name: 'J1', Total__c: 5 }, 'Number__c');
  const up2 = await conn.sobject('Invoice__c').upsert({ Number__c: 'J-1', Total__c: 6 }, 'Number__c');
  check('upsert', up1.success && up2.success && up1.id === up2.id, [up1, up2]);

  for (let start = 0; start < 2100; start += 200) {
    const recs = Array.from({ length: Math.min(200, 2100 - start) }, (_, i) => ({ Name: `Bulk ${String(start + i).padStart(4, '0')}` }));
    const res = await conn.sobject('Account').create(recs, { allOrNone: true });
    check('array create', res.every((r) => r.success));
  }
  const all = await conn.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Bulk %'").run({ autoFetch: true, maxFetch: 10000 });
  const ids = new Set(all.records.map((r) => r.Id));
  check('autoFetch across pages', all.totalSize === 2100 && ids.size === 2100, `${all.totalSize} ${ids.size}`);

  await conn.sobject('Account').destroy(created.id);
  const live = await conn.query(`SELECT Id FROM Account WHERE Id = '${created.id}'`);
  const everything = await conn.query(`SELECT Id, IsDeleted FROM Account WHERE Id = '${created.id}'`, { scanAll: true });
  check('queryAll sees deleted rows', live.totalSize === 0 && everything.totalSize === 1 && everything.records[0].IsDeleted === true);

  const found = await conn.search('FIND {Bulk 0042} IN NAME FIELDS RETURNING Account(Id, Name)');
  check('SOSL', found.searchRecords.some((r) => r.Name === 'Bulk 0042'), found);

  const comp = await conn.requestPost(`/services/data/v${version}/composite`, {
    allOrNone: true,
    compositeRequest: [
      { method: 'POST', url: `/services/data/v${version}/sobjects/Account`, referenceId: 'a', body: { Name: 'jsforce composite' } },
      { method: 'GET', url: `/services/data/v${version}/sobjects/Account/@{a.id}?fields=Name`, referenceId: 'g' },
    ],
  });
  check('composite', comp.compositeResponse[1].body.Name === 'jsforce composite', comp);

  try {
    await conn.sobject('Contact').create({ FirstName: 'NoLast' });
    check('error code on a failed create', false);
  } catch (e) {
    check('error code on a failed create', e.errorCode === 'REQUIRED_FIELD_MISSING' || e.name === 'REQUIRED_FIELD_MISSING', e.message);
  }

  // Bulk API 2.0: a load with one bad row, its per-record results, and a query read back through
  // Sforce-Locator pages (jsforce loops until the locator is the string "null").
  const bulkRows = Array.from({ length: 60 }, (_, i) => ({ Name: `JB2 ${String(i).padStart(3, '0')}`, Industry: 'JsBulk' }));
  bulkRows.push({ Name: '', Industry: 'JsBulk' });
  const loaded = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'insert', input: bulkRows, pollInterval: 100, pollTimeout: 30000,
  });
  check('bulk2 load', loaded.successfulResults.length === 60 && loaded.failedResults.length === 1, {
    ok: loaded.successfulResults.length, failed: loaded.failedResults.length,
  });
  check('bulk2 result fields', /^001/.test(loaded.successfulResults[0].sf__Id) && loaded.successfulResults[0].sf__Created === 'true'
    && loaded.failedResults[0].sf__Error.startsWith('REQUIRED_FIELD_MISSING:'), loaded.failedResults[0]);
  const bulkQuery = await conn.bulk2.query("SELECT Id, Name FROM Account WHERE Industry = 'JsBulk' ORDER BY Name", {
    pollInterval: 100, pollTimeout: 30000,
  });
  const bulkRecords = await bulkQuery.toArray();
  check('bulk2 query', bulkRecords.length === 60 && bulkRecords[0].Name === 'JB2 000', bulkRecords.length);

  // SOAP: login without a connected app, and convertLead (the only way to convert a lead).
  const soapConn = new jsforce.Connection({ loginUrl: url, version });
  const soapInfo = await soapConn.login('admin@sfkit.local', 'sfkit-local');
  check('SOAP login', /^00D/.test(soapConn.accessToken) && soapInfo.organizationId === info.organizationId, soapInfo);
  const lead = await soapConn.sobject('Lead').create({ LastName: 'Prospect', Company: 'Converted Co', Email: 'p@converted.example' });
  const converted = await soapConn.soap.convertLead({ leadId: lead.id, convertedStatus: 'Closed - Converted' });
  check('convertLead', converted.success === true && converted.accountId && converted.contactId && converted.opportunityId, converted);
  const after = await soapConn.sobject('Lead').retrieve(lead.id);
  check('lead marked converted', after.IsConverted === true && after.ConvertedAccountId === converted.accountId, after);
  const again = await soapConn.soap.convertLead({ leadId: lead.id, convertedStatus: 'Closed - Converted' });
  check('converting twice fails', again.success === false, again);

  // Renewal: a session that is no longer valid is refreshed with the refresh token, once.
  const tok = await codeFlow();
  await oauth2.revokeToken(tok.access_token);
  const conn2 = new jsforce.Connection({ oauth2, version, instanceUrl: tok.instance_url, accessToken: tok.access_token, refreshToken: tok.refresh_token });
  let refreshed = false;
  conn2.on('refresh', () => { refreshed = true; });
  const count = await conn2.query('SELECT COUNT() FROM Account');
  check('expired session renewed', refreshed && count.totalSize > 2000 && conn2.accessToken !== tok.access_token);

  console.log(`jsforce: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error('jsforce compat crashed:', e);
  process.exit(1);
});
