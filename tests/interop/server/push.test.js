'use strict';
// Data plane of qpush-server (issue 5; SPEC §3.2 ackPush / push / sync, §3.3,
// §4 push / reports / stats / transfer, §7, §10) against the real binary with
// real npm clients (socket.io-client 2.5 and 4.8, polling and websocket):
// live delivery to rooms and user rooms, `except`, `extra: 'lost'`, the push
// event payload, expiry, receipts and reports, expectAckCount, message
// statistics, Android offline lists (delivered at reconnect, kept until acked,
// capped, durable across kill -9), iOS hand-off to the (unconfigured) APNs
// sender, transfer, sync, client pushes and refused pushes.
//
// Absence ("nobody else got it") is never asserted by sleeping: after the push
// under test the test sends a *fence* push to a room every client of the case
// is in, and waits until every client got the fence. The server writes a push
// to its sockets before it answers the REST call, and the REST call of the
// fence starts after that answer, so a socket that did not see the push under
// test before the fence never will.
//
// One server per describe block; rooms and namespaces are unique per case.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const q = require('./qpush');

const { ADMIN, api, createNamespace, connect, connectOk, request, collect, until, GENERATIONS } = q;

const T = { timeout: 30000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = encodeURIComponent;
const GENS = GENERATIONS.map((g, i) => ({ ...g, tag: `g${i}` }));
const WS4 = { gen: 4, transports: ['websocket'] };
const PUSH_EVENT_KEYS = ['id', 'namespace', 'pushData', 'room', 'sendDate', 'serverNum'];

let seq = 0;
const uniq = (prefix) => `${prefix}${++seq}`;

// ---- helpers --------------------------------------------------------------------------

function ok200(r, what = '') {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.equal(typeof r.body, 'object', `${what}: body ${JSON.stringify(r.body)}`);
  assert.notEqual(r.body, null, what);
  return r.body;
}

// A refused REST call: the status and a JSON error {code, msg} whose msg matches.
function refused(r, status, msgRe, what = '') {
  assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.equal(typeof r.body, 'object', `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.msg, 'string', `${what}: ${JSON.stringify(r.body)}`);
  assert.ok(r.body.msg.length > 0, what);
  if (msgRe) assert.match(r.body.msg, msgRe, what);
}

function pushRaw(server, auth, body) {
  return api(server, 'POST', '/api/auth/push', { auth, body });
}

// An accepted push: {id, expectAckCount}, both numbers.
async function pushOk(server, auth, body, what = 'push') {
  const b = ok200(await pushRaw(server, auth, body), what);
  assert.equal(typeof b.id, 'number', `${what}: id ${JSON.stringify(b)}`);
  assert.ok(Number.isSafeInteger(b.id) && b.id > 0, `${what}: id ${b.id}`);
  assert.equal(typeof b.expectAckCount, 'number', `${what}: expectAckCount ${JSON.stringify(b)}`);
  return b;
}

function report(server, auth, id, detail = false) {
  return api(server, 'GET', `/api/auth/report/push/${id}${detail ? '?ackDetail=true' : ''}`, { auth });
}

async function reportOk(server, auth, id, detail = false) {
  return ok200(await report(server, auth, id, detail), `report ${id}`);
}

async function reportList(server, auth, query = '') {
  const r = await api(server, 'GET', `/api/auth/report/push${query}`, { auth });
  assert.equal(r.status, 200, `report list ${query}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.ok(Array.isArray(r.body), `report list is an array: ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

async function stats(server, auth) {
  const b = ok200(await api(server, 'GET', '/api/auth/namespace/current-message-stat', { auth }), 'stat');
  for (const k of ['currMinuteMessageCount', 'currHourMessageCount', 'currDateMessageCount'])
    assert.equal(typeof b[k], 'number', `${k} is a number: ${JSON.stringify(b)}`);
  return b;
}

async function onlineClientIds(server, auth) {
  const b = ok200(await api(server, 'GET', '/api/auth/report/online?detail=true', { auth }), 'online');
  assert.ok(Array.isArray(b.client), `online detail has a client list: ${JSON.stringify(b)}`);
  return b.client;
}

async function roomTotals(server, auth, room) {
  const b = ok200(await api(server, 'GET', `/api/auth/report/online?room=${enc(room)}`, { auth }), 'room report');
  assert.ok(Array.isArray(b) && b.length === 1, `room report: ${JSON.stringify(b)}`);
  return b[0];
}

async function jobsCompleted(server) {
  const r = await fetch(`${server.apiUrl}/metrics`);
  const m = /^qpush_offline_jobs_completed_total (\d+)$/m.exec(await r.text());
  assert.ok(m, 'metrics carry qpush_offline_jobs_completed_total');
  return Number(m[1]);
}

// Waits until the offline worker completed `n` more jobs than `before`.
async function jobsDone(server, before, n = 1) {
  await until(async () => (await jobsCompleted(server)) >= before + n, 10000, `${n} offline job(s) completed`);
}

function tagOf(g) { return g.tag || `${g.gen}${g.transports[0][0]}`; }

// The set of sockets of a describe block, closed at its end.
function clientPool() {
  const open = new Set();
  return {
    // Connects (query: uuid, userid, platform), collects its pushes, joins rooms.
    async add(server, g, { nsp, uuid, userid, platform, rooms = [] }) {
      const query = { uuid };
      if (userid) query.userid = userid;
      if (platform) query.platform = platform;
      const s = await connectOk(server, { gen: g.gen, transports: g.transports, nsp, query });
      open.add(s);
      s.pushes = collect(s, 'push');
      s.clientId = s.okPayload.clientId;
      if (rooms.length) {
        const r = await request(s, 'joinRoom', rooms);
        assert.deepEqual(r, { status: 200, msg: 'ok' }, `joinRoom ${rooms}`);
      }
      return s;
    },
    // Connects, recording offlineMessage events from the start; resolves after
    // a later request round trip, by when the server has sent offlineMessage
    // if it had any (it sends it right after `ok`, before it reads the request).
    async visit(server, g, { nsp, uuid, userid, platform }) {
      const query = { uuid, platform };
      if (userid) query.userid = userid;
      const s = connect(server, { gen: g.gen, transports: g.transports, nsp, query });
      open.add(s);
      const offline = collect(s, 'offlineMessage');
      s.pushes = collect(s, 'push');
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no ok within 5 s')), 5000);
        s.once('ok', (m) => { clearTimeout(t); s.clientId = m.clientId; resolve(); });
        s.once('connect_error', (e) => { clearTimeout(t); reject(new Error(`connect_error: ${e.message}`)); });
        s.once('error', (e) => { clearTimeout(t); reject(new Error(`error: ${JSON.stringify(e)}`)); });
      });
      const info = await request(s, 'info', {});
      assert.equal(info.status, 200, `info: ${JSON.stringify(info)}`);
      return { s, offline };
    },
    close(s) { open.delete(s); s.close(); },
    closeAll() { for (const s of open) s.close(); open.clear(); },
  };
}

// Closes the socket and waits until the server no longer counts it online.
async function goOffline(server, auth, pool, s) {
  const id = s.clientId;
  pool.close(s);
  await until(async () => !(await onlineClientIds(server, auth)).includes(id), 5000, `${id} offline`);
}

// Pushes a fence to `room` and waits until every socket got it.
async function fence(server, auth, room, sockets) {
  const r = await pushOk(server, auth, { room, pushData: { fence: true } }, 'fence');
  await until(() => sockets.every((s) => s.pushes.some((p) => p.id === r.id)), 5000, `fence ${r.id} on ${room}`);
  return r.id;
}

function pushesOf(s, room) { return s.pushes.filter((p) => p.room === room); }

function assertPushEvent(ev, { id, nsp, room, pushData, serverNum }, what = 'push') {
  assert.deepEqual(Object.keys(ev).sort(), PUSH_EVENT_KEYS, `${what}: fields ${JSON.stringify(ev)}`);
  assert.equal(ev.id, id, `${what}: id`);
  assert.equal(ev.namespace, nsp, `${what}: namespace`);
  assert.equal(ev.room, room, `${what}: room`);
  assert.deepEqual(ev.pushData, pushData, `${what}: pushData`);
  assert.equal(typeof ev.sendDate, 'number', `${what}: sendDate is a number`);
  assert.ok(Math.abs(ev.sendDate - Date.now()) < 60000, `${what}: sendDate ${ev.sendDate} is ms since the epoch`);
  if (serverNum !== undefined) assert.equal(ev.serverNum, serverNum, `${what}: serverNum`);
  else assert.equal(typeof ev.serverNum, 'number', `${what}: serverNum is a number`);
}

async function syncReq(s, room, clientNum, fetch) {
  const r = await request(s, 'sync', { room, clientNum, fetch });
  assert.equal(r.status, 200, `sync: ${JSON.stringify(r)}`);
  assert.equal(r.msg, 'ok', `sync: ${JSON.stringify(r)}`);
  assert.equal(typeof r.serverNum, 'number', `sync serverNum: ${JSON.stringify(r)}`);
  assert.ok(Array.isArray(r.msgList), `sync msgList: ${JSON.stringify(r)}`);
  return r;
}

// ======================================================================================

describe('live delivery: rooms, user rooms, except, lost, payload', () => {
  let server;
  let auth;
  const pool = clientPool();
  const NSP = '/live';
  before(async () => {
    server = await q.startQpush();
    auth = await createNamespace(server, NSP);
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    it(`${g.label}: a room push and a user-room push reach exactly their clients, with the exact payload`, T, async () => {
      const t = tagOf(g);
      const room = `news-${t}`;
      const fenceRoom = `fence-${t}`;
      // a1, a2: two devices of user A; c: user C; d: user D in no room of the case.
      const a1 = await pool.add(server, g, { nsp: NSP, uuid: `a1-${t}`, userid: `ua-${t}`, rooms: [room, fenceRoom] });
      const a2 = await pool.add(server, g, { nsp: NSP, uuid: `a2-${t}`, userid: `ua-${t}`, platform: 'ios', rooms: [fenceRoom] });
      const c = await pool.add(server, g, { nsp: NSP, uuid: `c-${t}`, userid: `uc-${t}`, platform: 'android', rooms: [room, fenceRoom] });
      const d = await pool.add(server, g, { nsp: NSP, uuid: `d-${t}`, userid: `ud-${t}`, rooms: [fenceRoom] });
      const all = [a1, a2, c, d];

      const pushData = { title: 'hello', n: 1, nested: { list: [1, 'two', null], ok: true }, text: 'ünïcødé ✓' };
      const r1 = await pushOk(server, auth, { room, pushData: { ...pushData, apsData: { aps: { alert: 'x' } } } });
      assert.equal(r1.expectAckCount, 2, 'two clients online in the room');
      await until(() => pushesOf(a1, room).length && pushesOf(c, room).length, 5000, 'room push at a1 and c');
      for (const s of [a1, c])
        assertPushEvent(pushesOf(s, room)[0], { id: r1.id, nsp: NSP, room, pushData, serverNum: 0 }, `room push at ${s.clientId}`);
      assert.equal(pushesOf(a1, room)[0].sendDate, pushesOf(c, room)[0].sendDate, 'one sendDate for all');

      const userRoom = `user_ua-${t}`;
      const r2 = await pushOk(server, auth, { room: userRoom, pushData: { to: 'A' } });
      assert.equal(r2.expectAckCount, 2, 'both devices of user A are online');
      assert.ok(r2.id > r1.id, 'ids increase');
      await until(() => pushesOf(a1, userRoom).length && pushesOf(a2, userRoom).length, 5000, 'user push at a1 and a2');
      for (const s of [a1, a2])
        assertPushEvent(pushesOf(s, userRoom)[0], { id: r2.id, nsp: NSP, room: userRoom, pushData: { to: 'A' }, serverNum: 0 }, 'user push');

      const r3 = await pushOk(server, auth, { room, pushData: { second: true } });
      await until(() => pushesOf(a1, room).length === 2 && pushesOf(c, room).length === 2, 5000, 'second room push');
      assert.equal(pushesOf(c, room)[1].id, r3.id);
      assert.equal(pushesOf(c, room)[1].serverNum, 1, 'serverNum counts the pushes of the room');

      await fence(server, auth, fenceRoom, all);
      assert.deepEqual(pushesOf(a1, room).map((p) => p.id), [r1.id, r3.id], 'a1: exactly the room pushes, once each');
      assert.deepEqual(pushesOf(c, room).map((p) => p.id), [r1.id, r3.id], 'c: exactly the room pushes, once each');
      assert.deepEqual(pushesOf(a2, room), [], 'a2 is not in the room');
      assert.deepEqual(pushesOf(d, room), [], 'd is not in the room');
      assert.deepEqual(pushesOf(a1, userRoom).length, 1, 'a1: the user push once');
      assert.deepEqual(pushesOf(c, userRoom), [], 'c is another user');
      assert.deepEqual(pushesOf(d, userRoom), [], 'd is another user');

      // The report keeps the stored pushData (apsData included) and counts the live writes.
      const rep = await reportOk(server, auth, r1.id);
      assert.equal(rep.onlineClientCount, 2);
      assert.equal(rep.room, room);
      assert.equal(rep.namespace, NSP);
      assert.equal(rep.pushData.title, 'hello');
      for (const s of all) pool.close(s);
    });

    it(`${g.label}: except leaves out exactly that client`, T, async () => {
      const t = tagOf(g);
      const room = `ex-${t}`;
      const a = await pool.add(server, g, { nsp: NSP, uuid: `exa-${t}`, rooms: [room] });
      const b = await pool.add(server, g, { nsp: NSP, uuid: `exb-${t}`, platform: 'android', rooms: [room] });
      const c = await pool.add(server, g, { nsp: NSP, uuid: `exc-${t}`, rooms: [room] });
      const r = await pushOk(server, auth, { room, pushData: { ex: 1 }, except: b.clientId });
      assert.equal(r.expectAckCount, 2, 'the except client is not expected to ack');
      await fence(server, auth, room, [a, b, c]);
      assert.deepEqual(pushesOf(a, room).map((p) => p.id).filter((id) => id === r.id), [r.id]);
      assert.deepEqual(pushesOf(c, room).map((p) => p.id).filter((id) => id === r.id), [r.id]);
      assert.deepEqual(pushesOf(b, room).filter((p) => p.id === r.id), [], 'the except client got nothing');
      assert.equal((await reportOk(server, auth, r.id)).onlineClientCount, 2);
      // An except naming a client that is not online changes nothing.
      const r2 = await pushOk(server, auth, { room, pushData: { ex: 2 }, except: `${NSP}#nobody#web-nobody` });
      assert.equal(r2.expectAckCount, 3);
      await until(() => [a, b, c].every((s) => s.pushes.some((p) => p.id === r2.id)), 5000, 'push with a foreign except');
      for (const s of [a, b, c]) pool.close(s);
    });

    it(`${g.label}: extra 'lost' stores the push, counts it in serverNum, delivers nothing`, T, async () => {
      const t = tagOf(g);
      const room = `lost-${t}`;
      const a = await pool.add(server, g, { nsp: NSP, uuid: `la-${t}`, rooms: [room] });
      const first = await pushOk(server, auth, { room, pushData: { n: 0 } });
      const lost = await pushOk(server, auth, { room, pushData: { n: 1 }, extra: 'lost' });
      assert.ok(lost.id > first.id);
      const rep = await reportOk(server, auth, lost.id);
      assert.equal(rep.id, lost.id);
      assert.equal(rep.onlineClientCount, 0, 'a lost push is written to nobody');
      const third = await pushOk(server, auth, { room, pushData: { n: 2 } });
      await until(() => a.pushes.some((p) => p.id === third.id), 5000, 'push after the lost one');
      assert.deepEqual(pushesOf(a, room).map((p) => [p.id, p.serverNum]), [[first.id, 0], [third.id, 2]],
        'the lost push was not delivered but counted');
      assert.equal((await syncReq(a, room, 0, false)).serverNum, 3);
      pool.close(a);
    });
  }
});

// ======================================================================================

describe('receipts, reports, expectAckCount, statistics', () => {
  let server;
  let auth;
  const pool = clientPool();
  const NSP = '/rcpt';
  before(async () => {
    server = await q.startQpush();
    auth = await createNamespace(server, NSP);
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  it('acks count once per target client and per platform; non-targets and unknown ids are ignored', T, async () => {
    const room = uniq('ack');
    const web = await pool.add(server, GENS[0], { nsp: NSP, uuid: 'w1', userid: 'uw', rooms: [room] });
    const ios = await pool.add(server, GENS[3], { nsp: NSP, uuid: 'i1', userid: 'ui', platform: 'ios', rooms: [room] });
    const android = await pool.add(server, GENS[1], { nsp: NSP, uuid: 'an1', userid: 'uan', platform: 'android', rooms: [room] });
    const excepted = await pool.add(server, GENS[3], { nsp: NSP, uuid: 'e1', userid: 'ue', rooms: [room] });
    const outsider = await pool.add(server, GENS[2], { nsp: NSP, uuid: 'o1', userid: 'uo', platform: 'ios' });

    const r = await pushOk(server, auth, { room, pushData: { a: 1 }, except: excepted.clientId });
    assert.equal(r.expectAckCount, 3);
    const targets = [web, ios, android];
    await until(() => targets.every((s) => s.pushes.some((p) => p.id === r.id)), 5000, 'push at the targets');

    for (const s of targets) {
      for (let i = 0; i < 2; i++) { // duplicate acks count once
        const a = await request(s, 'ackPush', { id: r.id });
        assert.equal(a.status, 200, `ack: ${JSON.stringify(a)}`);
      }
    }
    // Not targets: the except client and a client outside the room.
    for (const s of [excepted, outsider]) {
      const a = await request(s, 'ackPush', { id: r.id });
      assert.ok(a && typeof a.status === 'number', `non-target ack reply: ${JSON.stringify(a)}`);
    }
    // Unknown id: ignored (not an error for the client).
    const unknown = await request(web, 'ackPush', { id: r.id + 1000000 });
    assert.equal(unknown.status, 200, `unknown id: ${JSON.stringify(unknown)}`);

    const rep = await reportOk(server, auth, r.id, true);
    assert.equal(rep.onlineClientCount, 3);
    assert.equal(rep.ackCount, 3, `ackCount counts each target once: ${JSON.stringify(rep)}`);
    assert.equal(rep.ackIOSCount, 1, 'ackIOSCount');
    assert.equal(rep.ackAndroidCount, 1, 'ackAndroidCount');
    assert.equal(rep.ackWebCount, 1, 'ackWebCount');
    assert.deepEqual(rep.ackIOSDetail, [ios.clientId]);
    assert.deepEqual(rep.ackAndroidDetail, [android.clientId]);
    assert.deepEqual(rep.ackWebDetail, [web.clientId]);
    for (const s of [...targets, excepted, outsider]) pool.close(s);
  });

  it('a member that is offline at send time is a target too (acks from its offline list count)', T, async () => {
    const room = uniq('ackoff');
    const online = await pool.add(server, WS4, { nsp: NSP, uuid: uniq('on'), rooms: [room] });
    const offUuid = uniq('off');
    const off = await pool.add(server, WS4, { nsp: NSP, uuid: offUuid, platform: 'android', rooms: [room] });
    await goOffline(server, auth, pool, off);
    const r = await pushOk(server, auth, { room, pushData: { a: 2 } });
    assert.equal(r.expectAckCount, 1, 'only the online member is expected to ack live');
    const back = await pool.add(server, WS4, { nsp: NSP, uuid: offUuid, platform: 'android' });
    assert.equal(back.clientId, off.clientId);
    assert.equal((await request(back, 'ackPush', { id: r.id })).status, 200);
    const rep = await reportOk(server, auth, r.id, true);
    assert.equal(rep.ackAndroidCount, 1);
    assert.deepEqual(rep.ackAndroidDetail, [off.clientId]);
    pool.close(online); pool.close(back);
  });

  it('report fields: numbers are numbers; detail arrays only with ackDetail=true', T, async () => {
    const room = uniq('fields');
    const s = await pool.add(server, GENS[2], { nsp: NSP, uuid: uniq('f'), rooms: [room] });
    const pushData = { k: 'v', apsData: { aps: { alert: 'hi' } } };
    const before = Date.now();
    const r = await pushOk(server, auth, { room, pushData, apnsName: 'myapp', leaveMessage: true });
    const rep = await reportOk(server, auth, r.id);
    const numbers = ['id', 'sendDate', 'onlineClientCount', 'ackCount', 'ackIOSCount', 'ackAndroidCount', 'ackWebCount', 'apnsCount', 'apnsSuccessCount'];
    for (const k of numbers) assert.equal(typeof rep[k], 'number', `${k} is a number: ${JSON.stringify(rep)}`);
    for (const k of ['room', 'namespace', 'apnsName', 'apnsEnv']) assert.equal(typeof rep[k], 'string', `${k} is a string: ${JSON.stringify(rep)}`);
    assert.equal(rep.id, r.id);
    assert.equal(rep.room, room);
    assert.equal(rep.namespace, NSP);
    assert.equal(rep.apnsName, 'myapp');
    assert.equal(rep.leaveMessage, true);
    assert.deepEqual(rep.pushData, pushData);
    assert.ok(rep.sendDate >= before - 1000 && rep.sendDate <= Date.now() + 1000, `sendDate ${rep.sendDate}`);
    assert.equal(rep.onlineClientCount, 1);
    assert.equal(rep.ackCount, 0);
    for (const k of ['ackIOSDetail', 'ackAndroidDetail', 'ackWebDetail']) assert.ok(!(k in rep), `${k} only with ackDetail`);
    const detailed = await reportOk(server, auth, r.id, true);
    for (const k of ['ackIOSDetail', 'ackAndroidDetail', 'ackWebDetail']) assert.deepEqual(detailed[k], [], `${k} is an empty array`);
    const plain = await reportOk(server, auth, (await pushOk(server, auth, { room, pushData: {} })).id);
    assert.equal(plain.leaveMessage, false, 'leaveMessage defaults to false');
    assert.equal(plain.apnsName, '');
    // Unknown ids, and ids that are not numbers, are 404.
    refused(await report(server, auth, r.id + 100000), 404);
    refused(await report(server, auth, 'abc'), 404);
    pool.close(s);
  });

  it('report list: newest first, paged by page/size, no detail arrays', T, async () => {
    const nspAuth = await createNamespace(server, '/pages');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await pushOk(server, nspAuth, { room: 'r', pushData: { i } })).id);
    const newest = [...ids].reverse();
    const all = await reportList(server, nspAuth);
    assert.deepEqual(all.map((x) => x.id), newest);
    for (const item of all) {
      for (const k of ['id', 'sendDate', 'onlineClientCount', 'ackCount', 'ackIOSCount', 'ackAndroidCount', 'apnsCount', 'apnsSuccessCount'])
        assert.equal(typeof item[k], 'number', `${k}: ${JSON.stringify(item)}`);
      for (const k of ['ackIOSDetail', 'ackAndroidDetail', 'ackWebDetail']) assert.ok(!(k in item), `${k} not in lists`);
      assert.equal(item.namespace, '/pages');
    }
    assert.deepEqual(all.map((x) => x.pushData.i), [4, 3, 2, 1, 0]);
    assert.deepEqual((await reportList(server, nspAuth, '?page=1&size=2')).map((x) => x.id), newest.slice(0, 2));
    assert.deepEqual((await reportList(server, nspAuth, '?page=2&size=2')).map((x) => x.id), newest.slice(2, 4));
    assert.deepEqual((await reportList(server, nspAuth, '?page=3&size=2')).map((x) => x.id), newest.slice(4));
    assert.deepEqual(await reportList(server, nspAuth, '?page=4&size=2'), []);
    assert.deepEqual((await reportList(server, nspAuth, '?size=500')).map((x) => x.id), newest);
  });

  it("another namespace's report is 404 and not in its list", T, async () => {
    const other = await createNamespace(server, '/other');
    const r = await pushOk(server, auth, { room: 'mine', pushData: { secret: 1 } });
    await reportOk(server, auth, r.id);
    refused(await report(server, other, r.id), 404, null, 'foreign report');
    refused(await report(server, other, r.id, true), 404, null, 'foreign report with detail');
    assert.ok(!(await reportList(server, other)).some((x) => x.id === r.id), 'not in the other list');
  });

  it('expectAckCount = clients online in the room at send time, except excluded, offline members not', T, async () => {
    const room = uniq('expect');
    const members = [];
    for (const g of GENS.slice(0, 3)) members.push(await pool.add(server, g, { nsp: NSP, uuid: uniq('m'), rooms: [room] }));
    const gone = await pool.add(server, WS4, { nsp: NSP, uuid: uniq('gone'), platform: 'android', rooms: [room] });
    await goOffline(server, auth, pool, gone);
    const r = await pushOk(server, auth, { room, pushData: {} });
    assert.equal(r.expectAckCount, 3);
    assert.equal((await reportOk(server, auth, r.id)).onlineClientCount, 3);
    const r2 = await pushOk(server, auth, { room, pushData: {}, except: members[0].clientId });
    assert.equal(r2.expectAckCount, 2);
    assert.equal((await reportOk(server, auth, r2.id)).onlineClientCount, 2);
    const r3 = await pushOk(server, auth, { room: uniq('empty'), pushData: {} });
    assert.equal(r3.expectAckCount, 0, 'nobody in an unknown room');
    for (const s of members) await goOffline(server, auth, pool, s);
    assert.equal((await pushOk(server, auth, { room, pushData: {} })).expectAckCount, 0, 'members offline');
  });

  it('message statistics count the pushes of the minute, hour and day, per namespace', T, async () => {
    const sAuth = await createNamespace(server, '/stats');
    const quiet = await createNamespace(server, '/quiet');
    assert.deepEqual(await stats(server, sAuth), { currMinuteMessageCount: 0, currHourMessageCount: 0, currDateMessageCount: 0 });
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await pushOk(server, sAuth, { room: 'r', pushData: { i } });
    await pushOk(server, sAuth, { room: 'r', pushData: {}, extra: 'lost' });
    const st = await stats(server, sAuth);
    const t1 = Date.now();
    const same = (ms) => Math.floor(t0 / ms) === Math.floor(t1 / ms);
    if (same(60000)) assert.equal(st.currMinuteMessageCount, 4, JSON.stringify(st));
    else assert.ok(st.currMinuteMessageCount <= 4, JSON.stringify(st));
    if (same(3600000)) assert.equal(st.currHourMessageCount, 4, JSON.stringify(st));
    if (same(86400000) && new Date(t0).getDate() === new Date(t1).getDate()) assert.equal(st.currDateMessageCount, 4, JSON.stringify(st));
    assert.ok(st.currMinuteMessageCount <= st.currHourMessageCount && st.currHourMessageCount <= st.currDateMessageCount, JSON.stringify(st));
    assert.deepEqual(await stats(server, quiet), { currMinuteMessageCount: 0, currHourMessageCount: 0, currDateMessageCount: 0 });
  });
});

// ======================================================================================

// Expiry (a push, its report, sync and offline entries gone after `expire`
// hours; the default expire) is tested in-process with a fake clock:
// tests/server/push/tst_pushflow.cpp (expiryWithTheClock,
// defaultExpireIsPushMessageExpire, offlineEntryExpiresWithItsMessage).

// ======================================================================================

describe('Android offline lists and the iOS hand-off', () => {
  let server;
  let auth;
  const pool = clientPool();
  const NSP = '/off';
  before(async () => {
    server = await q.startQpush({ android_unread_message_list_max_limit: 3, worker_message_timeout: 800 });
    auth = await createNamespace(server, NSP);
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    it(`${g.label}: delivered at reconnect as offlineMessage, kept until acked`, T, async () => {
      const room = uniq('inbox');
      const uuid = uniq('dev');
      const first = await pool.add(server, g, { nsp: NSP, uuid, platform: 'android', rooms: [room] });
      await goOffline(server, auth, pool, first);
      const done0 = await jobsCompleted(server);
      const pushData = { title: 'while you were away' };
      const tPush = Date.now();
      const r = await pushOk(server, auth, { room, pushData: { ...pushData, apsData: { aps: { alert: 'a' } } }, leaveMessage: true });
      assert.equal(r.expectAckCount, 0);
      const early = await pool.visit(server, g, { nsp: NSP, uuid, platform: 'android' });
      // Only meaningful while the visit ended well inside the 800 ms delay.
      if (Date.now() - tPush < 600) assert.deepEqual(early.offline, [], 'nothing before worker_message_timeout');
      await goOffline(server, auth, pool, early.s);
      await jobsDone(server, done0);

      const v1 = await pool.visit(server, g, { nsp: NSP, uuid, platform: 'android' });
      assert.equal(v1.offline.length, 1, `one offlineMessage event: ${JSON.stringify(v1.offline)}`);
      assert.ok(Array.isArray(v1.offline[0]), 'offlineMessage carries an array');
      assert.equal(v1.offline[0].length, 1, JSON.stringify(v1.offline[0]));
      const m = v1.offline[0][0];
      assert.equal(m.id, r.id);
      assert.equal(m.room, room);
      assert.deepEqual(m.pushData, pushData, 'apsData stripped');
      assert.equal(typeof m.sendDate, 'number');
      await goOffline(server, auth, pool, v1.s);

      const v2 = await pool.visit(server, g, { nsp: NSP, uuid, platform: 'android' });
      assert.deepEqual(v2.offline.map((l) => l.map((x) => x.id)), [[r.id]], 'kept while not acked');
      assert.equal((await request(v2.s, 'ackPush', { id: r.id })).status, 200);
      await goOffline(server, auth, pool, v2.s);

      const v3 = await pool.visit(server, g, { nsp: NSP, uuid, platform: 'android' });
      assert.deepEqual(v3.offline, [], 'gone after the ack');
      const rep = await reportOk(server, auth, r.id);
      assert.equal(rep.ackAndroidCount, 1);
      pool.close(v3.s);
    });
  }

  it('the list is capped at android_unread_message_list_max_limit (the newest stay)', T, async () => {
    const room = uniq('cap');
    const uuid = uniq('capdev');
    const a = await pool.add(server, WS4, { nsp: NSP, uuid, platform: 'android', rooms: [room] });
    await goOffline(server, auth, pool, a);
    const done0 = await jobsCompleted(server);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await pushOk(server, auth, { room, pushData: { i }, leaveMessage: true })).id);
    await jobsDone(server, done0, 5);
    const v = await pool.visit(server, GENS[0], { nsp: NSP, uuid, platform: 'android' });
    assert.equal(v.offline.length, 1, JSON.stringify(v.offline));
    assert.deepEqual(v.offline[0].map((m) => m.id), ids.slice(2), 'the newest 3, oldest first');
    assert.deepEqual(v.offline[0].map((m) => m.pushData.i), [2, 3, 4]);
    pool.close(v.s);
  });

  it('only Android members that have not acked and whose leaveMessage is not false get an entry', T, async () => {
    const room = uniq('who');
    const keep = uniq('keep');
    const quiet = uniq('quiet');
    const acker = uniq('acker');
    const webby = uniq('webby');
    const k = await pool.add(server, WS4, { nsp: NSP, uuid: keep, platform: 'android', rooms: [room] });
    const qd = await pool.add(server, GENS[2], { nsp: NSP, uuid: quiet, platform: 'android', rooms: [room] });
    assert.deepEqual(await request(qd, 'info', { leaveMessage: false }), { status: 200, msg: 'ok' });
    const w = await pool.add(server, GENS[0], { nsp: NSP, uuid: webby, rooms: [room] });
    await goOffline(server, auth, pool, k);
    await goOffline(server, auth, pool, qd);
    await goOffline(server, auth, pool, w);
    // An online Android member that acks at once gets no entry.
    const ack = await pool.add(server, WS4, { nsp: NSP, uuid: acker, platform: 'android', rooms: [room] });
    const done0 = await jobsCompleted(server);
    const r = await pushOk(server, auth, { room, pushData: { who: 1 }, leaveMessage: true });
    assert.equal(r.expectAckCount, 1);
    await until(() => ack.pushes.some((p) => p.id === r.id), 5000, 'live push at the acker');
    assert.equal((await request(ack, 'ackPush', { id: r.id })).status, 200);
    await jobsDone(server, done0);
    await goOffline(server, auth, pool, ack);

    const vk = await pool.visit(server, WS4, { nsp: NSP, uuid: keep, platform: 'android' });
    assert.deepEqual(vk.offline.map((l) => l.map((x) => x.id)), [[r.id]], 'the plain offline member gets it');
    const vq = await pool.visit(server, GENS[2], { nsp: NSP, uuid: quiet, platform: 'android' });
    assert.deepEqual(vq.offline, [], 'leaveMessage:false gets nothing');
    const va = await pool.visit(server, WS4, { nsp: NSP, uuid: acker, platform: 'android' });
    assert.deepEqual(va.offline, [], 'an acked message is not left');
    // A push without leaveMessage leaves nothing.
    const done1 = await jobsCompleted(server);
    for (const v of [vk, vq, va]) await goOffline(server, auth, pool, v.s);
    const plain = await pushOk(server, auth, { room, pushData: { plain: 1 } });
    const marker = await pushOk(server, auth, { room, pushData: { marker: 1 }, leaveMessage: true });
    await jobsDone(server, done1);
    const vk2 = await pool.visit(server, WS4, { nsp: NSP, uuid: keep, platform: 'android' });
    const got = vk2.offline.flat().map((x) => x.id);
    assert.ok(got.includes(marker.id) && !got.includes(plain.id), `offline ids ${got}: ${marker.id} yes, ${plain.id} no`);
    pool.close(vk2.s);
  });

  it('iOS recipients are handed to the APNs sender: no default entry in "/" shows in the report', T, async () => {
    const room = uniq('ios');
    const dev = await pool.add(server, GENS[3], { nsp: NSP, uuid: uniq('iphone'), platform: 'ios', rooms: [room] });
    assert.deepEqual(await request(dev, 'info', { device_token: 'a1b2c3d4' }), { status: 200, msg: 'ok' });
    await goOffline(server, auth, pool, dev);
    const done0 = await jobsCompleted(server);
    const tPush = Date.now();
    const r = await pushOk(server, auth, { room, pushData: { apsData: { aps: { alert: 'ping' } } }, leaveMessage: true });
    const before = await reportOk(server, auth, r.id);
    if (Date.now() - tPush < 600) assert.doesNotMatch(String(before.result || ''), /no APNs entry/, 'not before the delay');
    await jobsDone(server, done0);
    const rep = await reportOk(server, auth, r.id);
    assert.match(String(rep.result), /no APNs entry 'default' in namespace '\/'/, `report result: ${JSON.stringify(rep)}`);
    assert.equal(rep.apnsSuccessCount, 0);
  });
});

// ======================================================================================

describe('durable offline work: kill -9 between a leaveMessage push and its delay', () => {
  let server;
  const pool = clientPool();
  const NSP = '/dur';
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  it('after a restart on the same data dir the offline entry appears exactly once', T, async () => {
    server = await q.startQpush({ worker_message_timeout: 1500 });
    const auth = await createNamespace(server, NSP);
    const room = 'durable';
    const a = await pool.add(server, WS4, { nsp: NSP, uuid: 'phone', platform: 'android', rooms: [room] });
    await goOffline(server, auth, pool, a);
    const r = await pushOk(server, auth, { room, pushData: { survive: true }, leaveMessage: true });
    await server.kill();
    assert.equal(server.child.signalCode, 'SIGKILL');
    server = await server.restart();
    await reportOk(server, auth, r.id);
    await jobsDone(server, 0);
    const v = await pool.visit(server, WS4, { nsp: NSP, uuid: 'phone', platform: 'android' });
    assert.equal(v.offline.length, 1, JSON.stringify(v.offline));
    assert.deepEqual(v.offline[0].map((m) => m.id), [r.id], 'exactly once');
    assert.deepEqual(v.offline[0][0].pushData, { survive: true });
    await goOffline(server, auth, pool, v.s);
    // The job is done: a later poll of the worker does not add it again.
    const after = await jobsCompleted(server);
    await sleep(600);
    assert.equal(await jobsCompleted(server), after, 'no job ran twice');
    const v2 = await pool.visit(server, GENS[1], { nsp: NSP, uuid: 'phone', platform: 'android' });
    assert.deepEqual(v2.offline.map((l) => l.map((m) => m.id)), [[r.id]]);
    pool.close(v2.s);
  });
});

// ======================================================================================

describe('transfer', () => {
  let server;
  let auth;
  const pool = clientPool();
  const NSP = '/xfer';
  before(async () => {
    server = await q.startQpush({ worker_message_timeout: 300 });
    auth = await createNamespace(server, NSP);
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  const transfer = (body) => api(server, 'POST', '/api/auth/transfer', { auth, body });

  it('join then leave: events to the online members, live membership follows, totals count offline members', T, async () => {
    const src1 = uniq('src');
    const src2 = uniq('src');
    const target = uniq('target');
    const fenceRoom = uniq('xf');
    const a = await pool.add(server, GENS[0], { nsp: NSP, uuid: uniq('a'), rooms: [src1, fenceRoom] });
    const b = await pool.add(server, GENS[3], { nsp: NSP, uuid: uniq('b'), platform: 'ios', rooms: [src2, fenceRoom] });
    const d = await pool.add(server, GENS[2], { nsp: NSP, uuid: uniq('d'), rooms: [fenceRoom] });
    const c = await pool.add(server, WS4, { nsp: NSP, uuid: uniq('c'), platform: 'android', rooms: [src1] });
    await goOffline(server, auth, pool, c);
    const ev = new Map([a, b, d].map((s) => [s, { join: collect(s, 'joinRoom'), leave: collect(s, 'leaveRoom') }]));

    const body = { sourceRooms: [src1, src2], targetRoom: target, type: 'join' };
    assert.deepEqual(ok200(await transfer(body), 'transfer join'), {});
    const expected = { sourceRooms: [src1, src2], targetRoom: target, type: 'join', namespace: NSP };
    await until(() => ev.get(a).join.length && ev.get(b).join.length, 5000, 'joinRoom events');
    assert.deepEqual(ev.get(a).join, [expected]);
    assert.deepEqual(ev.get(b).join, [expected]);
    const r = await pushOk(server, auth, { room: target, pushData: { t: 1 } });
    assert.equal(r.expectAckCount, 2, 'a and b are live members now');
    await fence(server, auth, fenceRoom, [a, b, d]);
    assert.ok(a.pushes.some((p) => p.id === r.id) && b.pushes.some((p) => p.id === r.id), 'a and b got the target push');
    assert.ok(!d.pushes.some((p) => p.id === r.id), 'd is not in the sources');
    assert.deepEqual(ev.get(d).join, [], 'd got no joinRoom');
    const totals = await roomTotals(server, auth, target);
    assert.equal(totals.clientCount, 2, JSON.stringify(totals));
    assert.equal(totals.totalClientCount, 3, `the offline member was moved too: ${JSON.stringify(totals)}`);

    assert.deepEqual(ok200(await transfer({ ...body, type: 'leave' }), 'transfer leave'), {});
    await until(() => ev.get(a).leave.length && ev.get(b).leave.length, 5000, 'leaveRoom events');
    assert.deepEqual(ev.get(a).leave, [{ ...expected, type: 'leave' }]);
    assert.deepEqual(ev.get(b).leave, [{ ...expected, type: 'leave' }]);
    const r2 = await pushOk(server, auth, { room: target, pushData: { t: 2 } });
    assert.equal(r2.expectAckCount, 0);
    await fence(server, auth, fenceRoom, [a, b, d]);
    for (const s of [a, b, d]) assert.ok(!s.pushes.some((p) => p.id === r2.id), `${s.clientId} left the target`);
    assert.deepEqual(ev.get(d).leave, []);
    // Their other rooms are untouched.
    const r3 = await pushOk(server, auth, { room: src1, pushData: {} });
    assert.equal(r3.expectAckCount, 1);
    for (const s of [a, b, d]) pool.close(s);
  });

  it('offline members are moved in and out too (their offline lists follow the target room)', T, async () => {
    const src = uniq('osrc');
    const target = uniq('otarget');
    const movedUuid = uniq('moved');
    const directUuid = uniq('direct');
    const moved = await pool.add(server, WS4, { nsp: NSP, uuid: movedUuid, platform: 'android', rooms: [src] });
    const direct = await pool.add(server, WS4, { nsp: NSP, uuid: directUuid, platform: 'android', rooms: [target] });
    await goOffline(server, auth, pool, moved);
    await goOffline(server, auth, pool, direct);

    ok200(await transfer({ sourceRooms: [src], targetRoom: target, type: 'join' }), 'join');
    let done0 = await jobsCompleted(server);
    const inPush = await pushOk(server, auth, { room: target, pushData: { phase: 'in' }, leaveMessage: true });
    await jobsDone(server, done0);
    ok200(await transfer({ sourceRooms: [src], targetRoom: target, type: 'leave' }), 'leave');
    done0 = await jobsCompleted(server);
    const outPush = await pushOk(server, auth, { room: target, pushData: { phase: 'out' }, leaveMessage: true });
    await jobsDone(server, done0);

    const vm = await pool.visit(server, WS4, { nsp: NSP, uuid: movedUuid, platform: 'android' });
    assert.deepEqual(vm.offline.map((l) => l.map((m) => m.id)), [[inPush.id]], 'moved member: only the push while it was in');
    const vd = await pool.visit(server, WS4, { nsp: NSP, uuid: directUuid, platform: 'android' });
    assert.deepEqual(vd.offline.map((l) => l.map((m) => m.id)), [[inPush.id, outPush.id]], 'direct member: both');
    pool.close(vm.s); pool.close(vd.s);
  });

  it('bad transfers are refused and move nobody', T, async () => {
    const src = uniq('bsrc');
    const s = await pool.add(server, WS4, { nsp: NSP, uuid: uniq('bt'), rooms: [src] });
    const events = collect(s, 'joinRoom');
    refused(await transfer({ sourceRooms: src, targetRoom: 'x', type: 'join' }), 400, /sourceRooms/);
    refused(await transfer({ sourceRooms: [src], type: 'join' }), 400, /targetRoom/);
    refused(await transfer({ sourceRooms: [src], targetRoom: 'x', type: 'swap' }), 400, /type/);
    refused(await transfer({ sourceRooms: [src], targetRoom: 'bad room', type: 'join' }), 400, /room/);
    assert.equal((await pushOk(server, auth, { room: 'x', pushData: {} })).expectAckCount, 0);
    assert.deepEqual(events, []);
    pool.close(s);
  });
});

// ======================================================================================

describe('sync', () => {
  let server;
  let auth;
  const pool = clientPool();
  const NSP = '/sync';
  before(async () => {
    server = await q.startQpush();
    auth = await createNamespace(server, NSP);
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    it(`${g.label}: serverNum per room from 0, gap detection and fetch`, T, async () => {
      const room = uniq('feed');
      const uuid = uniq('reader');
      const s = await pool.add(server, g, { nsp: NSP, uuid, rooms: [room] });
      assert.deepEqual(await syncReq(s, room, 0, true), { status: 200, msg: 'ok', serverNum: 0, msgList: [] });
      const p0 = await pushOk(server, auth, { room, pushData: { n: 0 } });
      await until(() => s.pushes.some((p) => p.id === p0.id), 5000, 'p0');
      const seen = pushesOf(s, room)[0];
      assert.equal(seen.serverNum, 0);
      // Away while two pushes go out.
      await goOffline(server, auth, pool, s);
      const p1 = await pushOk(server, auth, { room, pushData: { n: 1, apsData: { aps: {} } } });
      const p2 = await pushOk(server, auth, { room, pushData: { n: 2 } }, 'p2');
      const back = await pool.add(server, g, { nsp: NSP, uuid, rooms: [room] });
      const p3 = await pushOk(server, auth, { room, pushData: { n: 3 } });
      await until(() => back.pushes.some((p) => p.id === p3.id), 5000, 'p3');
      const ev3 = pushesOf(back, room)[0];
      assert.equal(ev3.serverNum, 3, 'the gap shows: last seen 0, now 3');

      const clientNum = seen.serverNum + 1; // what the client has
      const sync = await syncReq(back, room, clientNum, true);
      assert.equal(sync.serverNum, 4);
      assert.deepEqual(sync.msgList.map((m) => m.id), [p1.id, p2.id, p3.id], 'the pushes with serverNum >= clientNum, ascending');
      assert.deepEqual(sync.msgList.map((m) => m.serverNum), [1, 2, 3]);
      for (const m of sync.msgList) assert.deepEqual(Object.keys(m).sort(), PUSH_EVENT_KEYS, JSON.stringify(m));
      assert.deepEqual(sync.msgList[2], ev3, 'the same fields as the push event');
      assert.deepEqual(sync.msgList[0].pushData, { n: 1 }, 'apsData stripped');
      assert.deepEqual(await syncReq(back, room, clientNum, false), { status: 200, msg: 'ok', serverNum: 4, msgList: [] }, 'fetch false');
      assert.deepEqual((await syncReq(back, room, 4, true)).msgList, [], 'up to date');
      assert.deepEqual((await syncReq(back, room, 0, true)).msgList.map((m) => m.id), [p0.id, p1.id, p2.id, p3.id]);
      assert.equal((await syncReq(back, uniq('nothing'), 0, true)).serverNum, 0, 'another room has its own counter');
      pool.close(back);
    });
  }
});

// ======================================================================================

describe('client push', () => {
  let server;
  let auth;
  let otherAuth;
  const pool = clientPool();
  const NSP = '/cp';
  before(async () => {
    server = await q.startQpush({ client_push_interval: 2 });
    auth = await createNamespace(server, NSP);
    otherAuth = await createNamespace(server, '/cpother');
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    it(`${g.label}: own namespace, except defaults to the sender, one per client_push_interval`, T, async () => {
      const room = uniq('chat');
      const sender = await pool.add(server, g, { nsp: NSP, uuid: uniq('snd'), rooms: [room] });
      const peer = await pool.add(server, GENS[3], { nsp: NSP, uuid: uniq('peer'), rooms: [room] });
      const foreign = await pool.add(server, GENS[3], { nsp: '/cpother', uuid: uniq('foreign'), rooms: [room] });
      const reply = await request(sender, 'push', { room, pushData: { hi: 1 }, namespace: '/cpother' });
      assert.equal(reply.status, 200, JSON.stringify(reply));
      assert.equal(reply.msg, 'ok');
      assert.equal(typeof reply.id, 'number');
      await until(() => peer.pushes.some((p) => p.id === reply.id), 5000, 'peer got the client push');
      assertPushEvent(peer.pushes.find((p) => p.id === reply.id), { id: reply.id, nsp: NSP, room, pushData: { hi: 1 }, serverNum: 0 });

      const limited = await request(sender, 'push', { room, pushData: { hi: 2 } });
      assert.equal(limited.status, 429, JSON.stringify(limited));
      assert.equal(typeof limited.msg, 'string');

      await fence(server, auth, room, [sender, peer]);
      assert.ok(!sender.pushes.some((p) => p.id === reply.id), 'the sender is excepted by default');
      assert.equal(pushesOf(peer, room).length, 2, 'the limited push stored and delivered nothing');
      assert.equal((await syncReq(peer, room, 0, false)).serverNum, 2, 'client push + fence');
      await fence(server, otherAuth, room, [foreign]);
      assert.equal(foreign.pushes.length, 1, 'the other namespace got only its own fence');

      const rep = await reportOk(server, auth, reply.id);
      assert.equal(rep.namespace, NSP);
      assert.equal(rep.onlineClientCount, 1);
      refused(await report(server, otherAuth, reply.id), 404);
      for (const s of [sender, peer, foreign]) pool.close(s);
    });
  }

  it('an explicit except wins; refused pushes do not count for the rate limit; the limit ends after the interval', T, async () => {
    const room = uniq('chat');
    const sender = await pool.add(server, GENS[0], { nsp: NSP, uuid: uniq('snd'), rooms: [room] });
    const peer = await pool.add(server, GENS[2], { nsp: NSP, uuid: uniq('peer'), rooms: [room] });
    const bad = await request(sender, 'push', { room: 'no good', pushData: {} });
    assert.equal(bad.status, 400, JSON.stringify(bad));
    assert.match(bad.msg, /room/);
    const bad2 = await request(sender, 'push', { room, pushData: 'text' });
    assert.equal(bad2.status, 400, JSON.stringify(bad2));
    const r1 = await request(sender, 'push', { room, pushData: { n: 1 }, except: peer.clientId });
    assert.equal(r1.status, 200, `a refused push does not start the interval: ${JSON.stringify(r1)}`);
    const t1 = Date.now();
    await until(() => sender.pushes.some((p) => p.id === r1.id), 5000, 'the sender gets its push when another client is excepted');
    await sleep(Math.max(0, 2150 - (Date.now() - t1)));
    const r2 = await request(sender, 'push', { room, pushData: { n: 2 } });
    assert.equal(r2.status, 200, `accepted again after the interval: ${JSON.stringify(r2)}`);
    assert.ok(r2.id > r1.id);
    await fence(server, auth, room, [sender, peer]);
    assert.ok(!peer.pushes.some((p) => p.id === r1.id), 'the excepted peer did not get it');
    assert.ok(peer.pushes.some((p) => p.id === r2.id));
    assert.ok(!sender.pushes.some((p) => p.id === r2.id));
    pool.close(sender); pool.close(peer);
  });
});

// ======================================================================================

describe('refused pushes store nothing', () => {
  let server;
  let auth;
  const pool = clientPool();
  const NSP = '/bad';
  before(async () => {
    server = await q.startQpush({ push_message_max_expire: 10 });
    auth = await createNamespace(server, NSP);
  });
  after(async () => { pool.closeAll(); if (server) await server.cleanup(); });

  const CASES = [
    ['missing room', { pushData: {} }, /room/],
    ['null room', { room: null, pushData: {} }, /room/],
    ['non-string room', { room: 5, pushData: {} }, /room/],
    ['array room', { room: ['r'], pushData: {} }, /room/],
    ['empty room', { room: '', pushData: {} }, /room/],
    ['too-long room', { room: 'r'.repeat(101), pushData: {} }, /room/],
    ['room with a space', { room: 'a b', pushData: {} }, /room/],
    ['room with invalid characters', { room: 'r!*', pushData: {} }, /room/],
    ['missing pushData', { room: 'r' }, /pushData/],
    ['string pushData', { room: 'r', pushData: 'hello' }, /pushData/],
    ['array pushData', { room: 'r', pushData: [1, 2] }, /pushData/],
    ['number pushData', { room: 'r', pushData: 3 }, /pushData/],
    ['expire 0', { room: 'r', pushData: {}, expire: 0 }, /expire/],
    ['expire 11 (> max 10)', { room: 'r', pushData: {}, expire: 11 }, /expire/],
    ['expire -1', { room: 'r', pushData: {}, expire: -1 }, /expire/],
    ['expire "2"', { room: 'r', pushData: {}, expire: '2' }, /expire/],
    ['expire 1.5', { room: 'r', pushData: {}, expire: 1.5 }, /expire/],
    ['leaveMessage "true"', { room: 'r', pushData: {}, leaveMessage: 'true' }, /leaveMessage/],
    ['leaveMessage 1', { room: 'r', pushData: {}, leaveMessage: 1 }, /leaveMessage/],
    ['except 5', { room: 'r', pushData: {}, except: 5 }, /except/],
    ['apnsName 5', { room: 'r', pushData: {}, apnsName: 5 }, /apnsName/],
  ];

  it('each bad field is refused with 400 and a message naming it; nothing is stored or delivered', T, async () => {
    const watcher = await pool.add(server, GENS[1], { nsp: NSP, uuid: 'watcher', rooms: ['r'] });
    const listBefore = await reportList(server, auth);
    const statBefore = await stats(server, auth);
    const syncBefore = await syncReq(watcher, 'r', 0, true);
    for (const [what, body, re] of CASES) refused(await pushRaw(server, auth, body), 400, re, what);
    refused(await pushRaw(server, auth, '{"room": "r", "pushData": '), 400, null, 'malformed JSON');
    refused(await pushRaw(server, auth, '[1,2]'), 400, null, 'a JSON array body');
    assert.deepEqual(await reportList(server, auth), listBefore, 'no report was stored');
    const statAfter = await stats(server, auth);
    assert.equal(statAfter.currDateMessageCount, statBefore.currDateMessageCount, 'no push was counted');
    assert.deepEqual(await syncReq(watcher, 'r', 0, true), syncBefore, 'serverNum unchanged');
    // The boundaries are accepted (so the refusals above are about the values).
    const lo = await pushOk(server, auth, { room: 'r', pushData: {}, expire: 1 });
    const hi = await pushOk(server, auth, { room: 'r', pushData: {}, expire: 10, leaveMessage: false, except: 'x', apnsName: 'n' });
    const longRoom = await pushOk(server, auth, { room: 'r'.repeat(100), pushData: {} });
    await until(() => watcher.pushes.some((p) => p.id === hi.id), 5000, 'the accepted pushes');
    assert.deepEqual(watcher.pushes.map((p) => p.id), [lo.id, hi.id], 'only the accepted pushes were delivered');
    assert.equal((await syncReq(watcher, 'r', 0, false)).serverNum, 2);
    assert.ok(longRoom.id > hi.id);
    pool.close(watcher);
  });

  it('an oversized body is 413 and stores nothing', T, async () => {
    const listBefore = await reportList(server, auth);
    const big = { room: 'big', pushData: { blob: 'x'.repeat(2 * 1024 * 1024) } };
    let r;
    try {
      r = await pushRaw(server, auth, big);
    } catch (e) {
      assert.fail(`the server must answer 413, not drop the connection: ${e.cause ? e.cause.code : e.message}`);
    }
    assert.equal(r.status, 413, `oversized: ${r.status}`);
    assert.deepEqual(await reportList(server, auth), listBefore);
    // The server is still fine afterwards.
    await pushOk(server, auth, { room: 'big', pushData: { small: true } });
  });

  it('a push into an offline namespace is refused and stores nothing', T, async () => {
    const nAuth = await createNamespace(server, '/sleepy');
    const save = (offline) => api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/sleepy', offline } });
    ok200(await save('on'), 'offline on');
    const r = await pushRaw(server, nAuth, { room: 'r', pushData: {} });
    assert.ok(r.status >= 400 && r.status < 500, `refused: ${r.status} ${JSON.stringify(r.body)}`);
    assert.match(String(r.body.msg), /offline/);
    refused(await api(server, 'POST', '/api/auth/transfer', { auth: nAuth, body: { sourceRooms: ['a'], targetRoom: 'b', type: 'join' } }), r.status, /offline/, 'transfer');
    assert.deepEqual(await reportList(server, nAuth), [], 'reports still readable, nothing stored');
    ok200(await save('off'), 'offline off');
    await pushOk(server, nAuth, { room: 'r', pushData: {} });
    assert.equal((await reportList(server, nAuth)).length, 1);
  });
});
