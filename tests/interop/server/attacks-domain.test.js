'use strict';
// Attacks on the push domain and the REST API (issue 11, domain half), each
// reproduced against the real qpush-server on loopback, bounded, and followed
// by a check that the server still serves other clients. After each attack
// class the server's resident memory is printed ("[rss] ..." lines) for the
// closing note.
//
// Findings: 2 (quadratic peopleJoin), 3 (unbounded info fields and sync
// replies), 4 (long joinRoom/leaveRoom lists, rooms per client), 5 (sync of
// another user's room), 8 (Basic-auth guessing), 9 (CORS with credentials,
// secrets in namespace reads), 10 (store growth, callback errors and URLs,
// file modes, big apns_list), and the client event rate.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { execFileSync } = require('node:child_process');
const q = require('./qpush');

const { ADMIN, api, connectOk, refusal, waitFor, request, collect, until } = q;

const T = { timeout: 60000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STORE = process.env.QPUSH_TEST_STORE || 'sqlite';

function rssMb(server) {
  const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return Math.round(kb / 102.4) / 10;
}

function printRss(server, what) {
  console.log(`[rss] ${STORE} after ${what}: ${rssMb(server)} MB`);
}

// The server still answers REST and a fresh client still gets its events.
async function healthy(server, auth, nsp) {
  const h = await fetch(`${server.apiUrl}/health`);
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'hello');
  const uuid = `probe${Math.random().toString(36).slice(2, 8)}`;
  const probe = await connectOk(server, { nsp, query: { uuid } });
  try {
    assert.equal((await request(probe, 'joinRoom', 'probe-room')).status, 200);
    const got = waitFor(probe, 'push');
    const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'probe-room', pushData: { p: 1 } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await got).pushData, { p: 1 });
  } finally {
    probe.close();
  }
}

// A REST call from another loopback source address (127.0.0.2).
function apiFrom(server, localAddress, method, p, auth) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (auth) headers.authorization = 'Basic ' + Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64');
    const req = http.request({ host: '127.0.0.1', port: server.apiPort, method, path: p, headers, localAddress }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function saveNs(server, key, fields = {}) {
  const r = await api(server, 'POST', '/api/admin/namespace/save',
    { auth: ADMIN, body: { key, name: key.slice(1), auth_passwd: 'secret', ...fields } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return [key, 'secret'];
}

const rooms = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('domain attacks (issue 11)', () => {
  let server;
  let auth;
  const NSP = '/atk';
  const open = [];
  const track = (s) => { open.push(s); return s; };

  before(async () => {
    server = await q.startQpush({
      max_rooms_per_message: 100, max_rooms_per_client: 150, info_field_max_length: 512,
      sync_max_messages: 5, sync_max_bytes: 3000, client_event_rate: 40,
      auth_failure_limit: 3, auth_failure_window: 2, apns_list_max_entries: 32,
      cors_origins: ['https://console.example'], client_push_interval: 0,
    });
    auth = await saveNs(server, NSP);
    printRss(server, 'start');
  });
  after(async () => { for (const s of open) s.close(); if (server) await server.cleanup(); });

  it('finding 2: joinRoom of 100 rooms sends 100 small peopleJoin events, not 100 × 100 room names', T, async () => {
    const listener = track(await connectOk(server, { nsp: NSP, query: { uuid: 'lis2' } }));
    const many = rooms('pj', 100);
    assert.equal((await request(listener, 'joinRoom', many)).status, 200);
    const seen = collect(listener, 'peopleJoin');
    const loud = track(await connectOk(server, { nsp: NSP, query: { uuid: 'loud2', activityBroadcast: 'true' } }));
    assert.equal((await request(loud, 'joinRoom', many)).status, 200);
    await until(() => seen.length >= 100, 10000, '100 peopleJoin');
    const bytes = seen.reduce((n, m) => n + JSON.stringify(m).length, 0);
    for (const m of seen) assert.deepEqual(m.rooms, [m.room], 'a big operation lists only the event\'s room');
    assert.ok(bytes < 100 * 200, `peopleJoin bytes ${bytes}`);
    // Normal use unchanged: a join of a few rooms lists them all.
    seen.length = 0;
    const few = ['pj0', 'pj1', 'pj2'];
    assert.equal((await request(loud, 'leaveRoom', few)).status, 200);
    assert.equal((await request(loud, 'joinRoom', few)).status, 200);
    await until(() => seen.length >= 3, 5000, '3 peopleJoin');
    for (const m of seen) assert.deepEqual(m.rooms, few);
    // The disconnect of a client in 101 rooms: 101 small peopleLeave events.
    const left = collect(listener, 'peopleLeave');
    loud.close();
    await until(() => left.length >= 100, 10000, '100 peopleLeave');
    for (const m of left) { assert.equal(m.clientOffline, true); assert.deepEqual(m.rooms, [m.room]); }
    printRss(server, 'finding 2 (peopleJoin of 100 rooms)');
    await healthy(server, auth, NSP);
  });

  it('finding 4: a 500 kB joinRoom / leaveRoom list is refused (413) at once; rooms per client are capped', T, async () => {
    const c = track(await connectOk(server, { nsp: NSP, query: { uuid: 'big4' } }));
    const huge = rooms('r'.repeat(8), 50000); // ~600 kB of JSON, under max_payload
    for (const ev of ['joinRoom', 'leaveRoom']) {
      const r = await request(c, ev, huge, 15000);
      assert.equal(r.status, 413, `${ev}: ${JSON.stringify(r)}`);
      assert.match(r.msg, /at most 100 rooms/);
    }
    // 101 names: refused, nothing joined.
    assert.equal((await request(c, 'joinRoom', rooms('c', 101))).status, 413);
    const report = await api(server, 'GET', '/api/auth/report/online?room=c0', { auth });
    assert.equal(report.body[0].totalClientCount, 0, 'nothing joined');
    // Per client: user room + 100 + 49 = 150 is the cap.
    assert.equal((await request(c, 'joinRoom', rooms('c', 100))).status, 200);
    const over = await request(c, 'joinRoom', rooms('d', 50));
    assert.equal(over.status, 413, JSON.stringify(over));
    assert.match(over.msg, /at most 150 rooms/);
    assert.equal((await request(c, 'joinRoom', rooms('d', 49))).status, 200);
    // Rooms already joined are always fine; one more new one is not.
    assert.equal((await request(c, 'joinRoom', ['c0', 'd0'])).status, 200);
    assert.equal((await request(c, 'joinRoom', 'e0')).status, 413);
    // Leaving makes room again.
    assert.equal((await request(c, 'leaveRoom', rooms('d', 10))).status, 200);
    assert.equal((await request(c, 'joinRoom', rooms('e', 10))).status, 200);
    // Two joinRoom events in flight together cannot pass the cap between them.
    const c2 = track(await connectOk(server, { nsp: NSP, query: { uuid: 'race4' } }));
    assert.equal((await request(c2, 'joinRoom', rooms('f', 100))).status, 200);
    const both = await Promise.all([request(c2, 'joinRoom', rooms('g', 30)), request(c2, 'joinRoom', rooms('h', 30))]);
    assert.ok(both.filter((r) => r.status === 200).length <= 1, JSON.stringify(both));
    printRss(server, 'finding 4 (500 kB room lists, rooms per client)');
    await healthy(server, auth, NSP);
  });

  it('finding 3: info fields are capped (400), sync replies are bounded and page on', T, async () => {
    const c = track(await connectOk(server, { nsp: NSP, query: { uuid: 'inf3', userid: 'u3' } }));
    const long = 'x'.repeat(513);
    for (const field of ['device_token', 'mobile', 'system']) {
      const r = await request(c, 'info', { [field]: long });
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r)}`);
      assert.match(r.msg, new RegExp(`${field} is too long`));
    }
    assert.equal((await request(c, 'info', { device_token: 'y'.repeat(512) })).status, 200);
    const rest = await api(server, 'POST', '/api/auth/client', { auth, body: { id: `${NSP}#u3#web-inf3`, mobile: long } });
    assert.equal(rest.status, 400);
    const info = await request(c, 'info', {});
    assert.equal(info.data.device_token.length, 512);
    assert.equal(info.data.mobile, '');

    // 8 pushes of ~1 kB: a sync gets at most sync_max_bytes (3000) of them.
    const sent = [];
    for (let i = 0; i < 8; ++i) {
      const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'sync3', pushData: { i, pad: 'p'.repeat(1000) } } });
      assert.equal(r.status, 200);
      sent.push(r.body.id);
    }
    const first = await request(c, 'sync', { room: 'sync3', clientNum: 0, fetch: true });
    assert.equal(first.status, 200);
    assert.equal(first.serverNum, 8);
    assert.equal(first.msgList.length, 2, `bytes cap: ${first.msgList.length}`);
    // Page through: every push arrives once, in order.
    const got = [];
    let next = 0;
    for (let round = 0; round < 10 && next < 8; ++round) {
      const r = await request(c, 'sync', { room: 'sync3', clientNum: next, fetch: true });
      assert.ok(r.msgList.length >= 1 && r.msgList.length <= 5);
      for (const m of r.msgList) got.push(m.id);
      next = r.msgList[r.msgList.length - 1].serverNum + 1;
    }
    assert.deepEqual(got, sent);
    // Small pushes: the count cap (5).
    for (let i = 0; i < 7; ++i)
      assert.equal((await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'sync3b', pushData: { i } } })).status, 200);
    assert.equal((await request(c, 'sync', { room: 'sync3b', clientNum: 0, fetch: true })).msgList.length, 5);
    // 30 syncs at once stay bounded.
    const many = await Promise.all(Array.from({ length: 30 }, () => request(c, 'sync', { room: 'sync3', clientNum: 0, fetch: true }, 15000)));
    for (const r of many) assert.ok(r.status === 200 || r.status === 429, JSON.stringify(r).slice(0, 200));
    printRss(server, 'finding 3 (info fields, 30 concurrent syncs)');
    await healthy(server, auth, NSP);
  });

  it('finding 3: the offlineMessage event at connect is bounded; the rest comes after acks', T, async () => {
    const query = { uuid: 'and3', userid: 'and3', platform: 'android' };
    const first = await connectOk(server, { nsp: NSP, query });
    assert.equal((await request(first, 'joinRoom', 'off3')).status, 200);
    first.close();
    const ids = [];
    for (let i = 0; i < 5; ++i) {
      const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'off3', leaveMessage: true, pushData: { i, pad: 'o'.repeat(1000) } } });
      assert.equal(r.status, 200);
      ids.push(r.body.id);
    }
    // The worker stores them for the client after worker_message_timeout.
    const got = [];
    await until(async () => {
      const c = q.connect(server, { nsp: NSP, query });
      try {
        const list = await waitFor(c, 'offlineMessage', 2000).catch(() => null);
        if (!list || list.length < 2) return false;
        assert.equal(list.length, 2, 'sync_max_bytes 3000 holds two 1 kB pushes');
        for (const m of list) {
          got.push(m.id);
          assert.equal((await request(c, 'ackPush', { id: m.id })).status, 200);
        }
        return true;
      } finally { c.close(); }
    }, 15000, 'the first offlineMessage');
    for (let round = 0; round < 5 && got.length < 5; ++round) {
      const c = q.connect(server, { nsp: NSP, query });
      const list = await waitFor(c, 'offlineMessage', 5000);
      assert.ok(list.length >= 1 && list.length <= 2, `offlineMessage of ${list.length}`);
      for (const m of list) { got.push(m.id); assert.equal((await request(c, 'ackPush', { id: m.id })).status, 200); }
      c.close();
    }
    assert.deepEqual(got, ids);
    printRss(server, 'finding 3 (bounded offlineMessage)');
    await healthy(server, auth, NSP);
  });

  it('finding 5: sync of another user\'s user room is refused (403); the own one works', T, async () => {
    const bob = track(await connectOk(server, { nsp: NSP, query: { uuid: 'bob5', userid: 'bob' } }));
    assert.equal((await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'user_bob', pushData: { secret: 1 } } })).status, 200);
    const eve = track(await connectOk(server, { nsp: NSP, query: { uuid: 'eve5', userid: 'eve' } }));
    const r = await request(eve, 'sync', { room: 'user_bob', clientNum: 0, fetch: true });
    assert.equal(r.status, 403, JSON.stringify(r));
    assert.equal(r.msgList, undefined);
    assert.equal((await request(eve, 'joinRoom', 'user_bob')).status, 403, 'the same rule as joinRoom');
    const own = await request(bob, 'sync', { room: 'user_bob', clientNum: 0, fetch: true });
    assert.equal(own.status, 200);
    assert.equal(own.msgList.length, 1);
    assert.equal((await request(eve, 'sync', { room: 'user_eve', clientNum: 0, fetch: true })).status, 200);
    printRss(server, 'finding 5 (sync of user_bob)');
    await healthy(server, auth, NSP);
  });

  it('finding 8: wrong Basic-auth credentials are throttled per source address (429 + Retry-After)', T, async () => {
    const attacker = '127.0.0.2';
    // Three wrong admin passwords within the window (auth_failure_limit 3) ...
    for (let i = 0; i < 3; ++i)
      assert.equal((await apiFrom(server, attacker, 'POST', '/api/admin/login', ['admin', `guess${i}`])).status, 401);
    // ... then even the right one gets 429 from that address.
    const blocked = await apiFrom(server, attacker, 'POST', '/api/admin/login', ADMIN);
    assert.equal(blocked.status, 429, blocked.body);
    const retry = Number(blocked.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 2, `Retry-After ${blocked.headers['retry-after']}`);
    assert.equal(JSON.parse(blocked.body).code, 429);
    // Namespace credentials from there too.
    assert.equal((await apiFrom(server, attacker, 'GET', '/api/auth/namespace', auth)).status, 429);
    // Other addresses are not affected; a burst of wrong guesses costs the
    // attacker, not the server.
    assert.equal((await api(server, 'POST', '/api/admin/login', { auth: ADMIN })).status, 200);
    const burst = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      apiFrom(server, attacker, 'GET', '/api/auth/namespace', [NSP, `w${i}`])));
    assert.ok(burst.every((r) => r.status === 429), 'all throttled');
    // After the back-off the right credentials work again.
    await sleep(retry * 1000 + 300);
    const back = await apiFrom(server, attacker, 'POST', '/api/admin/login', ADMIN);
    assert.equal(back.status, 200, back.body);
    // Namespace password guessing is throttled the same way.
    for (let i = 0; i < 3; ++i)
      assert.equal((await apiFrom(server, attacker, 'GET', '/api/auth/namespace', [NSP, `x${i}`])).status, 401);
    const again = await apiFrom(server, attacker, 'GET', '/api/auth/namespace', auth);
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers['retry-after']) >= 2, `a repeat doubles the back-off: ${again.headers['retry-after']}`);
    printRss(server, 'finding 8 (Basic-auth guessing)');
    await healthy(server, auth, NSP);
  });

  it('finding 9: CORS grants credentials only to cors_origins; /api/admin/* answers only them', T, async () => {
    const evil = 'https://evil.example';
    const good = 'https://console.example';
    const adminEvil = await api(server, 'GET', '/api/admin/namespace/list', { auth: ADMIN, headers: { origin: evil } });
    assert.equal(adminEvil.status, 200);
    assert.equal(adminEvil.headers.get('access-control-allow-origin'), null);
    assert.equal(adminEvil.headers.get('access-control-allow-credentials'), null);
    const pre = await fetch(`${server.apiUrl}/api/admin/namespace/list`, { method: 'OPTIONS',
      headers: { origin: evil, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const adminGood = await api(server, 'GET', '/api/admin/namespace/list', { auth: ADMIN, headers: { origin: good } });
    assert.equal(adminGood.headers.get('access-control-allow-origin'), good);
    assert.equal(adminGood.headers.get('access-control-allow-credentials'), 'true');
    const authEvil = await api(server, 'GET', '/api/auth/namespace', { auth, headers: { origin: evil } });
    assert.equal(authEvil.headers.get('access-control-allow-origin'), evil);
    assert.equal(authEvil.headers.get('access-control-allow-credentials'), null);
    const authGood = await fetch(`${server.apiUrl}/api/auth/push`, { method: 'OPTIONS',
      headers: { origin: good, 'access-control-request-method': 'POST' } });
    assert.equal(authGood.headers.get('access-control-allow-credentials'), 'true');
    printRss(server, 'finding 9 (CORS)');
  });

  it('finding 9: secrets are write-only; certificates show subject, topic and expiry', T, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-cert-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '30',
        '-subj', '/UID=com.example.app/CN=Apple Push Services: com.example.app/O=Example'], { stdio: 'ignore' });
      const cert = fs.readFileSync(path.join(dir, 'c.pem'), 'utf8');
      const key = fs.readFileSync(path.join(dir, 'k.pem'), 'utf8');
      const SECRET_KEY = '-----BEGIN PRIVATE KEY-----\nTOKENKEYSECRET\n-----END PRIVATE KEY-----\n';
      await saveNs(server, '/sec9', { callback_auth: 'Bearer CBSECRET', apns_list: [
        { name: 'cert', apns_env: 'dev', apns_dev_cert: cert, apns_dev_key: key, apns_production_cert: 'garbage' },
        { name: 'tok', token_key: SECRET_KEY, token_keyId: 'KID1', token_teamId: 'TEAM1' },
      ] });
      const nsAuth = ['/sec9', 'secret'];
      const reads = [
        (await api(server, 'GET', '/api/auth/namespace', { auth: nsAuth })).body,
        (await api(server, 'GET', '/api/admin/namespace/list?key=sec9', { auth: ADMIN })).body.list[0],
        (await api(server, 'POST', '/api/auth/namespace/save', { auth: nsAuth, body: { name: 'renamed' } })).body,
      ];
      for (const ns of reads) {
        const text = JSON.stringify(ns);
        for (const secret of ['CBSECRET', 'TOKENKEYSECRET', 'PRIVATE KEY', '"secret"'])
          assert.ok(!text.includes(secret), `a read carries ${secret}: ${text.slice(0, 300)}`);
        assert.equal(ns.auth_passwd, undefined);
        assert.equal(ns.has_auth_passwd, true);
        assert.equal(ns.has_callback_auth, true);
        const byName = Object.fromEntries(ns.apns_list.map((e) => [e.name, e]));
        assert.equal(byName.tok.has_token_key, true);
        assert.equal(byName.tok.token_key, undefined);
        assert.equal(byName.tok.token_keyId, 'KID1');
        assert.equal(byName.tok.token_teamId, 'TEAM1');
        assert.equal(byName.cert.has_apns_dev_key, true);
        assert.equal(byName.cert.apns_dev_key, undefined);
        assert.equal(byName.cert.apns_dev_cert_topic, 'com.example.app');
        assert.match(byName.cert.apns_dev_cert_subject, /Apple Push Services: com\.example\.app/);
        const days = (byName.cert.apns_dev_cert_expiry - Date.now()) / 86400000;
        assert.ok(days > 28 && days < 31, `expiry in ${days} days`);
        assert.equal(byName.cert.apns_dev_cert_error, undefined);
        assert.match(byName.cert.apns_production_cert_error, /neither PEM text nor a readable file/);
      }
      // A save without the secrets keeps them (partial save).
      assert.equal((await api(server, 'POST', '/api/auth/login', { auth: nsAuth })).status, 200);
      const after = (await api(server, 'GET', '/api/auth/namespace', { auth: nsAuth })).body;
      assert.equal(after.name, 'renamed');
      assert.equal(after.apns_list.find((e) => e.name === 'tok').has_token_key, true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finding 10: apns_list entries are capped; a client cannot grow the store past its limits', T, async () => {
    const big = Array.from({ length: 33 }, (_, i) => ({ name: `e${i}`, apns_topic: 't' }));
    const r = await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/big10', apns_list: big } });
    assert.equal(r.status, 400);
    assert.match(r.body.msg, /at most 32 entries/);
    // A 20 000-entry list is refused before any entry is merged.
    const huge = Array.from({ length: 20000 }, (_, i) => ({ name: `e${i}` }));
    assert.equal((await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/big10', apns_list: huge } })).status, 400);
    assert.equal((await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/big10', apns_list: big.slice(0, 32) } })).status, 200);
    // The 20 004 memberships of the report: one client now gets at most 150.
    const c = track(await connectOk(server, { nsp: NSP, query: { uuid: 'grow10' } }));
    let accepted = 0;
    for (let i = 0; i < 5; ++i) {
      const reply = await request(c, 'joinRoom', rooms(`g${i}_`, 100));
      if (reply.status === 200) accepted += 100;
    }
    assert.equal(accepted, 100);
    // The do-not-disturb list of an iOS client is capped the same way.
    const ios = track(await connectOk(server, { nsp: NSP, query: { uuid: 'dnd10', platform: 'ios' } }));
    assert.equal((await request(ios, 'apns', { add: rooms('n', 100) })).status, 200);
    const dnd = await request(ios, 'apns', { add: rooms('m', 60) });
    assert.equal(dnd.status, 413, JSON.stringify(dnd));
    assert.equal((await request(ios, 'apns', { add: rooms('m', 40), remove: rooms('n', 10) })).status, 200);
    assert.equal((await request(ios, 'apns', {})).data.split(',').length, 130);
    assert.equal((await request(ios, 'apns', { add: rooms('o', 101) })).status, 413, 'list per message');
    if (STORE === 'sqlite') {
      const db = path.join(server.dataDir, 'qpush.db');
      assert.equal(fs.statSync(db).mode & 0o777, 0o600, 'qpush.db mode');
    }
    printRss(server, 'finding 10 (apns_list, store growth)');
    await healthy(server, auth, NSP);
  });

  it('client events per connection are rate-limited (429) and a flood is disconnected', T, async () => {
    const c = track(await connectOk(server, { nsp: NSP, query: { uuid: 'flood' } }));
    // 100 events at once with client_event_rate 40: some are refused.
    const replies = await Promise.all(Array.from({ length: 100 }, () => request(c, 'info', {}, 15000)));
    const refused = replies.filter((r) => r.status === 429);
    assert.ok(refused.length >= 50, `refused ${refused.length}`);
    assert.match(refused[0].msg, /too many events/);
    // The bucket refills.
    await sleep(1100);
    assert.equal((await request(c, 'info', {})).status, 200);
    // A client that keeps flooding (400 refused events within 10 s) is cut off.
    const gone = new Promise((resolve) => c.once('disconnect', resolve));
    for (let i = 0; i < 600; ++i) c.emit('info', {});
    await Promise.race([gone, sleep(15000).then(() => { throw new Error('flooding client not disconnected'); })]);
    printRss(server, 'client event flood');
    await healthy(server, auth, NSP);
  });
});

describe('callbacks: no network details to clients, no callback password in the log', () => {
  let server;
  before(async () => { server = await q.startQpush({ log_level: 'debug' }); });
  after(async () => { if (server) await server.cleanup(); });

  it('a failing connect callback answers "connect callback failed"; the disconnect URL password is never logged', T, async () => {
    await saveNs(server, '/cb10', { connect_callback: 'http://127.0.0.1:1/cb' });
    const why = await refusal(server, { nsp: '/cb10', query: { uuid: 'cbu' } });
    assert.equal(why, 'connect callback failed');
    await saveNs(server, '/dc10', { disconnect_callback: 'http://cbuser:PWSECRET@127.0.0.1:1/dc' });
    const c = await connectOk(server, { nsp: '/dc10', query: { uuid: 'dcu' } });
    c.close();
    await until(() => /disconnect callback of \/dc10 failed/.test(server.stderr()), 10000, 'the failure line');
    assert.ok(!server.stderr().includes('PWSECRET'), 'the callback password is in the log');
    printRss(server, 'finding 10 (callbacks)');
  });
});
