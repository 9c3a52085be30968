'use strict';
// APNs end to end (issue 13): the real qpush-server, real socket.io clients,
// and the HTTP/2 + TLS APNs stand-in (tests/support/apns-standin) as Apple.
// Offline iOS devices of a leaveMessage push get one notification each; the
// report counts them exactly; dead tokens are cleared; the configuration
// comes from the namespace's apns_list and a save switches it live; a
// server killed mid-send finishes the job after restart, counting each
// device once.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const q = require('./qpush');
const { startStandIn } = require('../../support/apns-standin/standin-process.js');

const { api, connectOk, request, until } = q;
const T = { timeout: 120000 };
const enc = encodeURIComponent;
const WS4 = { gen: 4, transports: ['websocket'] };
const NSP = '/apns';

function ok200(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}
const hexToken = () => crypto.randomBytes(32).toString('hex');
const uniq = (p) => `${p}${crypto.randomBytes(4).toString('hex')}`;

async function jobsCompleted(server) {
  const text = await (await fetch(`${server.apiUrl}/metrics`)).text();
  const m = /^qpush_offline_jobs_completed_total (\d+)$/m.exec(text);
  assert.ok(m, 'metrics carry qpush_offline_jobs_completed_total');
  return Number(m[1]);
}

async function report(server, auth, id) {
  return ok200(await api(server, 'GET', `/api/auth/report/push/${id}`, { auth }), `report ${id}`);
}

// Waits until the push's report has its APNs result written.
async function apnsReport(server, auth, id, timeoutMs = 60000) {
  return until(async () => {
    const r = await report(server, auth, id);
    return r.result ? r : null;
  }, timeoutMs, `APNs result of push ${id}`);
}

async function onlineIds(server, auth) {
  return ok200(await api(server, 'GET', '/api/auth/report/online?detail=true', { auth }), 'online').client;
}

// An iOS device: connects, joins `room`, sets its token (and optionally
// leaveMessage false / DND for the room), then goes offline unless `stay`.
async function iosDevice(server, auth, room, { token = hexToken(), leaveMessage = true, dnd = false, stay = false, nsp = NSP } = {}) {
  const s = await connectOk(server, { ...WS4, nsp, query: { uuid: uniq('dev'), platform: 'ios' } });
  const clientId = s.okPayload.clientId;
  assert.deepEqual(await request(s, 'joinRoom', [room]), { status: 200, msg: 'ok' });
  const info = { device_token: token };
  if (!leaveMessage) info.leaveMessage = false;
  assert.deepEqual(await request(s, 'info', info), { status: 200, msg: 'ok' });
  if (dnd) assert.deepEqual(await request(s, 'apns', { add: [room] }), { status: 200, msg: 'ok' });
  if (!stay) {
    s.close();
    await until(async () => !(await onlineIds(server, auth)).includes(clientId), 10000, `${clientId} offline`);
  }
  return { s, clientId, token };
}

async function clientInfo(server, auth, clientId) {
  return ok200(await api(server, 'GET', `/api/auth/client/${enc(clientId)}`, { auth }), `client ${clientId}`);
}

function pushOf(requests, id) {
  return requests.filter((r) => r.headers['apns-collapse-id'] === `qpush-${id}`);
}

function tokenEntry(standIn, name, extra = {}) {
  return {
    name, apns_env: 'dev', apns_topic: 'com.example.app',
    token_key: standIn.read('token.p8'), token_keyId: standIn.keyId, token_teamId: standIn.teamId, ...extra,
  };
}

async function saveApns(server, key, entries) {
  ok200(await api(server, 'POST', '/api/admin/namespace/save', { auth: q.ADMIN, body: { key, apns_list: entries } }), `save ${key}`);
}

async function push(server, auth, body) {
  return ok200(await api(server, 'POST', '/api/auth/push', { auth, body }), 'push');
}

describe('APNs through qpush-server (token and certificate auth)', () => {
  let standIn, server, auth;
  before(async () => {
    standIn = await startStandIn();
    server = await q.startQpush({
      apns_host_dev: standIn.host, apns_host_production: standIn.host,
      apns_ca_file: standIn.file('ca.pem'), worker_message_timeout: 1500,
    });
    auth = await q.createNamespace(server, NSP);
    await saveApns(server, NSP, [
      tokenEntry(standIn, 'tok'),
      tokenEntry(standIn, 'wrongkey', { token_key: standIn.read('other-token.p8') }),
      tokenEntry(standIn, 'broken', { token_key: 'no such key file' }),
      { name: 'cert', apns_env: 'production', apns_topic: 'com.example.app',
        apns_production_cert: standIn.read('client.pem'), apns_production_key: standIn.read('client.key') },
    ]);
  });
  after(async () => {
    if (server) await server.cleanup();
    if (standIn) await standIn.cleanup();
  });

  it('offline iOS devices with tokens get one notification each; the report counts them exactly', T, async () => {
    await standIn.reset();
    const room = uniq('r');
    const sent1 = await iosDevice(server, auth, room);
    const sent2 = await iosDevice(server, auth, room);
    const gone = await iosDevice(server, auth, room);
    const noToken = await iosDevice(server, auth, room, { token: '' });
    const quiet = await iosDevice(server, auth, room, { leaveMessage: false });
    const dnd = await iosDevice(server, auth, room, { dnd: true });
    const acker = await iosDevice(server, auth, room, { stay: true });
    acker.s.on('push', (m) => acker.s.emit('ackPush', { id: m.id }));
    await standIn.rules({ [gone.token]: [410] });
    const before = await jobsCompleted(server);
    const apsData = { aps: { alert: 'hello', badge: 1 } };
    const r = await push(server, auth, { room, pushData: { apsData, x: 1 }, apnsName: 'tok', leaveMessage: true });
    const rep = await apnsReport(server, auth, r.id);
    assert.ok(await jobsCompleted(server) > before);
    assert.equal(rep.ackCount, 1, 'the acking client acked');
    assert.equal(rep.apnsCount, 3, JSON.stringify(rep));
    assert.equal(rep.apnsSuccessCount, 2, JSON.stringify(rep));
    assert.equal(rep.apnsEnv, 'dev');
    assert.equal(rep.result, '2 sent, 1 token cleared (Unregistered)');

    const got = pushOf(await standIn.requests(), r.id);
    assert.deepEqual(got.map((x) => x.token).sort(), [sent1.token, sent2.token, gone.token].sort(),
      'only devices with a token, leaveMessage, no DND and no ack');
    for (const x of got) {
      assert.equal(x.path, `/3/device/${x.token}`);
      assert.deepEqual(JSON.parse(x.body), apsData);
      assert.equal(x.headers['apns-topic'], 'com.example.app');
      assert.equal(x.headers['apns-push-type'], 'alert');
      assert.equal(x.headers['apns-priority'], '10');
      assert.match(x.headers['apns-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.ok(Number(x.headers['apns-expiration']) > Date.now() / 1000, 'expires with the push');
      assert.match(x.headers.authorization, /^bearer /);
    }
    assert.equal(new Set(got.map((x) => x.headers.authorization)).size, 1, 'one provider token, reused');
    assert.equal((await clientInfo(server, auth, gone.clientId)).device_token, '', '410 cleared the token');
    assert.equal((await clientInfo(server, auth, sent1.clientId)).device_token, sent1.token);
    assert.equal((await clientInfo(server, auth, noToken.clientId)).device_token, '');
    void quiet; void dnd;
    acker.s.close();

    const metrics = await (await fetch(`${server.apiUrl}/metrics`)).text();
    assert.match(metrics, /^qpush_apns_notifications_sent_total [1-9]\d*$/m);
    assert.match(metrics, /^qpush_apns_notifications_failed_total\{reason="Unregistered"\} [1-9]\d*$/m);
    assert.match(metrics, /^qpush_apns_connections\{state="connected"\} [1-9]\d*$/m);
    assert.match(metrics, /^qpush_apns_token_signs_total [1-9]\d*$/m);
  });

  it('the default pushData gives {"aps":{"alert":apns_aps_alert}}; certificate auth reaches APNs', T, async () => {
    await standIn.reset();
    const room = uniq('c');
    const d = await iosDevice(server, auth, room);
    const r = await push(server, auth, { room, pushData: { plain: true }, apnsName: 'cert', leaveMessage: true });
    const rep = await apnsReport(server, auth, r.id);
    assert.equal(rep.result, '1 sent', JSON.stringify(rep));
    assert.equal(rep.apnsEnv, 'production');
    assert.equal(rep.apnsCount, 1);
    assert.equal(rep.apnsSuccessCount, 1);
    const [x] = pushOf(await standIn.requests(), r.id);
    assert.equal(x.token, d.token);
    assert.equal(x.headers.authorization, undefined, 'no provider token: the TLS client certificate');
    assert.deepEqual(JSON.parse(x.body), { aps: { alert: '通知' } });
  });

  it('a wrong key, a broken entry and an unknown apnsName end in readable results', T, async () => {
    const room = uniq('w');
    await iosDevice(server, auth, room);
    const wrong = await push(server, auth, { room, pushData: {}, apnsName: 'wrongkey', leaveMessage: true });
    const broken = await push(server, auth, { room, pushData: {}, apnsName: 'broken', leaveMessage: true });
    const unknown = await push(server, auth, { room, pushData: {}, apnsName: 'nope', leaveMessage: true });
    const w = await apnsReport(server, auth, wrong.id);
    assert.equal(w.result, '0 sent, 1 failed (InvalidProviderToken)');
    assert.equal(w.apnsCount, 1);
    assert.equal(w.apnsSuccessCount, 0);
    const b = await apnsReport(server, auth, broken.id);
    assert.equal(b.result, "APNs entry 'broken': token_key is neither PEM text nor a readable file (no such key file) (1 iOS recipients)");
    assert.equal(b.apnsCount, 0);
    const u = await apnsReport(server, auth, unknown.id);
    assert.equal(u.result, "unknown apnsName 'nope' (1 iOS recipients)");
    assert.equal(u.apnsCount, 0);
  });

  it('an empty apnsName uses entry "default" of namespace "/"', T, async () => {
    await standIn.reset();
    const room = uniq('d');
    await iosDevice(server, auth, room);
    await saveApns(server, '/', [tokenEntry(standIn, 'default')]);
    const r = await push(server, auth, { room, pushData: {}, leaveMessage: true });
    const rep = await apnsReport(server, auth, r.id);
    assert.equal(rep.result, '1 sent', JSON.stringify(rep));
    assert.equal(pushOf(await standIn.requests(), r.id).length, 1);
  });

  it('a namespace save switches the configuration for the next push, on a new connection', T, async () => {
    await standIn.reset();
    const room = uniq('s');
    await iosDevice(server, auth, room);
    const first = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    assert.equal((await apnsReport(server, auth, first.id)).result, '1 sent');
    await saveApns(server, NSP, [{ name: 'tok', token_keyId: 'WRONGKID00' }]);
    const second = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    assert.equal((await apnsReport(server, auth, second.id)).result, '0 sent, 1 failed (InvalidProviderToken)');
    await saveApns(server, NSP, [{ name: 'tok', token_keyId: standIn.keyId }]);
    const third = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    assert.equal((await apnsReport(server, auth, third.id)).result, '1 sent');
    const reqs = await standIn.requests();
    const c1 = pushOf(reqs, first.id)[0].connection;
    const c2 = pushOf(reqs, second.id)[0].connection;
    const c3 = pushOf(reqs, third.id)[0].connection;
    assert.equal(pushOf(reqs, second.id)[0].kid, 'WRONGKID00');
    assert.ok(c1 !== c2 && c2 !== c3 && c1 !== c3, `a new connection per saved configuration: ${c1} ${c2} ${c3}`);
  });

  it('1 000 notifications of one push travel over one TCP connection', { timeout: 300000 }, async () => {
    await standIn.reset();
    const room = uniq('m');
    const sockets = [];
    const tokens = new Set();
    // 1 000 iOS clients in the room with tokens; online but not acking, so
    // each gets a notification.
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, async () => {
        const s = await connectOk(server, { ...WS4, nsp: NSP, query: { uuid: uniq('m'), platform: 'ios' } });
        sockets.push(s);
        const token = hexToken();
        tokens.add(token);
        assert.deepEqual(await request(s, 'joinRoom', [room]), { status: 200, msg: 'ok' });
        assert.deepEqual(await request(s, 'info', { device_token: token }), { status: 200, msg: 'ok' });
      }));
    }
    try {
      const r = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
      const rep = await apnsReport(server, auth, r.id, 240000);
      assert.equal(rep.result, '1000 sent', JSON.stringify(rep));
      assert.equal(rep.apnsCount, 1000);
      assert.equal(rep.apnsSuccessCount, 1000);
      const got = pushOf(await standIn.requests(), r.id);
      assert.equal(got.length, 1000);
      assert.deepEqual(new Set(got.map((x) => x.token)), tokens);
      assert.equal(new Set(got.map((x) => x.connection)).size, 1, 'one TCP connection');
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('a leaveMessage push whose APNs payload exceeds apns_payload_size is refused (400)', T, async () => {
    const big = { aps: { alert: 'x'.repeat(4100) } };
    const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'big', pushData: { apsData: big }, leaveMessage: true } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), /apns_payload_size/);
    const live = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'big', pushData: { apsData: big } } });
    assert.equal(live.status, 200, 'without leaveMessage nothing goes to APNs');
  });
});

describe('APNs provider token re-signed after apns_token_refresh', () => {
  let standIn, server, auth;
  before(async () => {
    standIn = await startStandIn();
    server = await q.startQpush({
      apns_host_dev: standIn.host, apns_ca_file: standIn.file('ca.pem'), apns_token_refresh: 2,
    });
    auth = await q.createNamespace(server, NSP);
    await saveApns(server, NSP, [tokenEntry(standIn, 'tok')]);
  });
  after(async () => {
    if (server) await server.cleanup();
    if (standIn) await standIn.cleanup();
  });

  it('one token within the window, a new one after it', T, async () => {
    const room = uniq('t');
    await iosDevice(server, auth, room);
    await iosDevice(server, auth, room);
    const a = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    assert.equal((await apnsReport(server, auth, a.id)).result, '2 sent');
    await new Promise((r) => setTimeout(r, 2100));
    const b = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    assert.equal((await apnsReport(server, auth, b.id)).result, '2 sent');
    const reqs = await standIn.requests();
    const ta = pushOf(reqs, a.id);
    const tb = pushOf(reqs, b.id);
    assert.ok(tb[0].iat >= ta[0].iat + 2, `re-signed: iat ${ta[0].iat} then ${tb[0].iat}`);
    assert.notEqual(ta[0].headers.authorization, tb[0].headers.authorization);
  });
});

describe('kill -9 of qpush-server while APNs answers are pending', () => {
  let standIn, server, auth;
  before(async () => {
    standIn = await startStandIn();
    server = await q.startQpush({ apns_host_dev: standIn.host, apns_ca_file: standIn.file('ca.pem') });
    auth = await q.createNamespace(server, NSP);
    await saveApns(server, NSP, [tokenEntry(standIn, 'tok')]);
  });
  after(async () => {
    if (server) await server.cleanup();
    if (standIn) await standIn.cleanup();
  });

  it('after restart the job finishes and every device is counted once', { timeout: 240000 }, async () => {
    const room = uniq('k');
    const devices = [];
    for (let i = 0; i < 12; i++) devices.push(await iosDevice(server, auth, room));
    // The first answer comes at once, the others only after 4 s: the server
    // is killed while they are pending.
    await standIn.rules({ [devices[0].token]: [200], '*': [{ status: 200, delayMs: 4000 }] });
    const r = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    await until(async () => pushOf(await standIn.requests(), r.id).length >= 12, 30000, 'all notifications on the wire');
    await new Promise((res) => setTimeout(res, 600)); // the first answer reaches the store
    await server.kill();
    await standIn.rules({});
    server = await server.restart();
    // The job comes back after its lease (60 s) and sends what has no answer.
    const rep = await apnsReport(server, auth, r.id, 180000);
    assert.equal(rep.apnsCount, 12, JSON.stringify(rep));
    assert.equal(rep.apnsSuccessCount, 12, JSON.stringify(rep));
    assert.equal(rep.result, '12 sent');
    const reqs = pushOf(await standIn.requests(), r.id);
    const perToken = new Map();
    for (const x of reqs) perToken.set(x.token, [...(perToken.get(x.token) || []), x.headers['apns-id']]);
    assert.equal(perToken.size, 12);
    assert.equal(perToken.get(devices[0].token).length, 1, 'the answered device is not sent again');
    for (const [token, ids] of perToken) assert.equal(new Set(ids).size, 1, `a resent notification keeps its apns-id (${token})`);
    assert.ok(reqs.length > 12, 'the unanswered ones were sent again');
  });
});

describe('the APNs stand-in killed and restarted while a push is being sent', () => {
  let standIn, server, auth;
  before(async () => {
    standIn = await startStandIn();
    server = await q.startQpush({ apns_host_dev: standIn.host, apns_ca_file: standIn.file('ca.pem') });
    auth = await q.createNamespace(server, NSP);
    await saveApns(server, NSP, [tokenEntry(standIn, 'tok')]);
  });
  after(async () => {
    if (server) await server.cleanup();
    if (standIn) await standIn.cleanup();
  });

  it('the server reconnects and every notification gets one final answer, counted once', T, async () => {
    const room = uniq('x');
    const devices = [];
    for (let i = 0; i < 20; i++) devices.push(await iosDevice(server, auth, room));
    await standIn.rules({ '*': [{ status: 200, delayMs: 1500 }] });
    const r = await push(server, auth, { room, pushData: {}, apnsName: 'tok', leaveMessage: true });
    await until(async () => pushOf(await standIn.requests(), r.id).length >= 2, 30000, 'notifications on the wire');
    standIn = await standIn.restart(); // kill -9, then the same port again (answers 200 at once)
    const rep = await apnsReport(server, auth, r.id);
    assert.equal(rep.apnsCount, 20, JSON.stringify(rep));
    const m = /^(\d+) sent/.exec(rep.result);
    assert.ok(m, rep.result);
    assert.equal(Number(m[1]), rep.apnsSuccessCount);
    const after = pushOf(await standIn.requests(), r.id);
    assert.ok(after.length > 0, 'the restarted stand-in got the notifications sent again');
    assert.ok(after.every((x) => x.status === 200));
    assert.ok(rep.apnsSuccessCount >= after.length, `${rep.apnsSuccessCount} answered 200, ${after.length} after the restart`);
  });
});
