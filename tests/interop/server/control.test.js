'use strict';
// Control plane of qpush-server (issue 4; SPEC §1-§6, §9, §10) against the real
// binary: connect checks and refusals, handshake / disconnect callbacks, the
// client events joinRoom / leaveRoom / info / apns, activity broadcasts, the
// REST authentication, errors and CORS, namespace management (self and
// admin), destructive admin operations, online reports, room-apns,
// room-leave-message and the client endpoints, and the security rules of §9.
// Client-facing cases run for every client generation and transport
// (GENERATIONS: socket.io-client 2.5 and 4.8 × polling / websocket).
//
// One server per describe block; names are unique per generation so that the
// cases of one block do not see each other.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const q = require('./qpush');

const { ADMIN, api, connect, connectOk, refusal, waitFor, request, collect, until, GENERATIONS } = q;
const io4 = require(path.join(__dirname, '..', 'node_modules', 'socket.io-client-4'));
const io2 = require(path.join(__dirname, '..', 'node_modules', 'socket.io-client-2'));

const T = { timeout: 30000 };
const enc = encodeURIComponent;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const GENS = GENERATIONS.map((g, i) => ({ ...g, tag: `g${i}` }));

// ---- helpers --------------------------------------------------------------------------

// A successful REST answer: 200 with a JSON body; returns the body.
function ok200(r, what = '') {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.match(r.headers.get('content-type') || '', /application\/json/, what);
  assert.equal(typeof r.body, 'object', `${what}: body ${JSON.stringify(r.body)}`);
  assert.notEqual(r.body, null, what);
  return r.body;
}

// A REST error: the status, a JSON body {code: status, msg: non-empty}.
function fails(r, status, what = '') {
  assert.equal(r.status, status, `${what.slice(0, 200)}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.match(r.headers.get('content-type') || '', /application\/json/, what);
  assert.equal(r.body.code, status, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.msg, 'string', what);
  assert.ok(r.body.msg.length > 0, what);
  if (status === 401) assert.match(r.headers.get('www-authenticate') || '', /^Basic/i, `${what}: WWW-Authenticate`);
}

// An event reply {status, msg}.
function replied(reply, status, what = '') {
  assert.equal(typeof reply, 'object', `${what}: ${JSON.stringify(reply)}`);
  assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply)}`);
  assert.equal(typeof reply.msg, 'string', what);
  if (status === 200) assert.equal(reply.msg, 'ok', what);
  else assert.ok(reply.msg.length > 0, what);
}

async function saveNs(server, key, fields = {}, admin = ADMIN) {
  const r = await api(server, 'POST', '/api/admin/namespace/save',
    { auth: admin, body: { key, name: key.slice(1), auth_passwd: 'secret', ...fields } });
  ok200(r, `save ${key}`);
  return [key, 'secret'];
}

function setOffline(server, key, on) {
  return api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key, offline: on ? 'on' : 'off' } });
}

async function getClient(server, auth, id) {
  return api(server, 'GET', `/api/auth/client/${enc(id)}`, { auth });
}

async function clientInfo(server, auth, id) {
  return ok200(await getClient(server, auth, id), `client ${id}`);
}

async function roomReport(server, auth, ...rooms) {
  const r = await api(server, 'GET', `/api/auth/report/online?${rooms.map((x) => `room=${enc(x)}`).join('&')}`, { auth });
  const list = ok200(r, 'room report');
  assert.ok(Array.isArray(list));
  return list;
}

async function roomCount(server, auth, room) {
  return (await roomReport(server, auth, room))[0].clientCount;
}

async function restPush(server, auth, room, pushData = { m: room }) {
  return ok200(await api(server, 'POST', '/api/auth/push', { auth, body: { room, pushData } }), `push ${room}`);
}

// Opens a client and remembers it for closing after the block.
function tracker() {
  const sockets = [];
  return {
    async ok(server, opts) {
      const s = await connectOk(server, opts);
      sockets.push(s);
      return s;
    },
    raw(server, opts) {
      const s = connect(server, opts);
      sockets.push(s);
      return s;
    },
    keep(s) { sockets.push(s); return s; },
    closeAll() { for (const s of sockets) s.close(); sockets.length = 0; },
  };
}

// A client with extra engine options (headers): the harness's connect() plus extraHeaders.
function connectWithHeaders(server, { gen, transports, nsp, query = {}, extraHeaders }) {
  const opts = { transports, forceNew: true, reconnection: false, timeout: 5000, extraHeaders };
  if (gen === 2) return io2.connect(`${server.socketUrl}${nsp}?${new URLSearchParams(query)}`, opts);
  return io4(`${server.socketUrl}${nsp}`, { ...opts, query });
}

function okOf(socket) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no ok within 5 s')), 5000);
    socket.once('ok', (m) => { clearTimeout(t); resolve(m); });
    socket.once('connect_error', (e) => { clearTimeout(t); reject(new Error(`connect_error: ${e.message}`)); });
    socket.once('error', (e) => { clearTimeout(t); reject(new Error(`error: ${JSON.stringify(e)}`)); });
  });
}

function closeAndWait(socket) {
  const gone = new Promise((r) => { if (!socket.connected) r(); else socket.once('disconnect', () => r()); });
  socket.close();
  return gone;
}

// A local HTTP server playing the third-party server of the callbacks.
// routes: path -> { status, body, delayMs, hang }.
async function startHooks() {
  const seen = [];
  const routes = new Map();
  const hanging = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url, 'http://127.0.0.1');
      seen.push({ method: req.method, path: u.pathname, query: Object.fromEntries(u.searchParams),
        headers: req.headers, body: Buffer.concat(chunks).toString() });
      const route = routes.get(u.pathname) || { status: 404 };
      if (route.hang) { hanging.push(res); return; }
      const answer = () => {
        res.writeHead(route.status, { 'content-type': 'application/json' });
        res.end(route.body === undefined ? '' : JSON.stringify(route.body));
      };
      if (route.delayMs) setTimeout(answer, route.delayMs); else answer();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    seen,
    routes,
    requests: (p) => seen.filter((s) => s.path === p),
    async close() {
      for (const res of hanging) res.destroy();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    },
  };
}

const INFO_KEYS = ['userid', 'first_connect_time', 'last_connect_time', 'last_disconnect_time', 'update_date',
  'mobile', 'system', 'device_token', 'no_send_apns', 'leaveMessage'].sort();

// ---- HTTP basics ----------------------------------------------------------------------

describe('REST: health, CORS, authentication, error bodies', () => {
  let server;
  const MAX = 20000;
  const NS = ['/auth', 'p:a:ss'];
  before(async () => {
    server = await q.startQpush({ max_payload: MAX });
    await saveNs(server, '/auth', { auth_passwd: 'p:a:ss', name: 'Auth' });
  });
  after(async () => { if (server) await server.cleanup(); });

  it('GET /health answers "hello"', T, async () => {
    const r = await fetch(`${server.apiUrl}/health`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'hello');
  });

  it('OPTIONS preflight on /api/* needs no credentials', T, async () => {
    for (const p of ['/api/auth/push', '/api/admin/namespace/list', '/api/auth/client/x', '/api/auth/login']) {
      for (const origin of ['http://app.example', undefined]) {
        for (const reqHeaders of ['authorization, content-type', 'x-requested-with', undefined]) {
          const headers = { 'access-control-request-method': 'POST' };
          if (origin) headers.origin = origin;
          if (reqHeaders) headers['access-control-request-headers'] = reqHeaders;
          const r = await fetch(server.apiUrl + p, { method: 'OPTIONS', headers });
          const what = `${p} origin=${origin} request-headers=${reqHeaders}`;
          assert.ok(r.status === 200 || r.status === 204, `${what}: ${r.status}`);
          const allowOrigin = r.headers.get('access-control-allow-origin');
          // SPEC §10: /api/admin/* answers CORS only to origins in cors_origins (none here).
          if (origin && p.startsWith('/api/admin/')) {
            assert.equal(allowOrigin, null, `${what}: allow-origin ${allowOrigin}`);
            continue;
          }
          assert.equal(r.headers.get('access-control-allow-credentials'), null, `${what}: credentials for an unlisted origin`);
          assert.ok(allowOrigin === '*' || (origin && allowOrigin === origin), `${what}: allow-origin ${allowOrigin}`);
          const methods = (r.headers.get('access-control-allow-methods') || '').split(',').map((s) => s.trim().toUpperCase());
          for (const m of ['GET', 'POST', 'OPTIONS']) assert.ok(methods.includes(m), `${what}: methods ${methods}`);
          const allowed = (r.headers.get('access-control-allow-headers') || '').split(',').map((s) => s.trim().toLowerCase());
          for (const hd of ['authorization', 'content-type']) assert.ok(allowed.includes(hd), `${what}: headers ${allowed}`);
        }
      }
    }
  });

  it('answers (errors too) carry Access-Control-Allow-Origin', T, async () => {
    const good = await api(server, 'GET', '/api/auth/namespace', { auth: NS, headers: { origin: 'http://app.example' } });
    ok200(good);
    assert.ok(['*', 'http://app.example'].includes(good.headers.get('access-control-allow-origin')));
    const bad = await api(server, 'GET', '/api/auth/namespace', { headers: { origin: 'http://app.example' } });
    fails(bad, 401);
    assert.ok(['*', 'http://app.example'].includes(bad.headers.get('access-control-allow-origin')));
  });

  it('POST /api/auth/login and /api/admin/login answer {} for the right credentials', T, async () => {
    assert.deepEqual(ok200(await api(server, 'POST', '/api/auth/login', { auth: NS })), {});
    assert.deepEqual(ok200(await api(server, 'POST', '/api/admin/login', { auth: ADMIN })), {});
  });

  it('missing credentials: 401 with WWW-Authenticate: Basic on every protected endpoint', T, async () => {
    const calls = [
      ['POST', '/api/auth/login'], ['GET', '/api/auth/namespace'], ['POST', '/api/auth/namespace/save'],
      ['POST', '/api/auth/push'], ['GET', '/api/auth/report/online'], ['GET', '/api/auth/client/%2Fauth%23u%23web-d'],
      ['POST', '/api/auth/client'], ['POST', '/api/auth/room-apns'], ['POST', '/api/auth/room-leave-message'],
      ['POST', '/api/admin/login'], ['GET', '/api/admin/namespace/list'], ['POST', '/api/admin/namespace/save'],
      ['GET', '/api/admin/namespace/del/auth'], ['GET', '/api/admin/namespace/clear/auth'],
      ['GET', '/api/admin/namespace/flush/auth'], ['POST', '/api/admin/namespace/clear-realtime-data'],
      ['POST', '/api/admin/clear-legacy-client'], ['GET', '/api/admin/report/online'],
    ];
    for (const [m, p] of calls) fails(await api(server, m, p, m === 'POST' ? { body: {} } : {}), 401, `${m} ${p}`);
    // Nothing was deleted by the unauthenticated del/flush calls.
    assert.equal(ok200(await api(server, 'GET', '/api/admin/namespace/list?key=auth', { auth: ADMIN })).total, 1);
  });

  it('wrong password, unknown namespace, wrong admin, crossed credentials: 401', T, async () => {
    const cases = [
      ['/api/auth/login', ['/auth', 'wrong']], ['/api/auth/login', ['/auth', 'p']], ['/api/auth/login', ['/auth', 'p:a']],
      ['/api/auth/login', ['/auth', 'p:a:ss:']], ['/api/auth/login', ['/auth', '']], ['/api/auth/login', ['/nope', 'p:a:ss']],
      ['/api/auth/login', ['auth', 'p:a:ss']], ['/api/auth/login', ADMIN],
      ['/api/admin/login', ['admin', 'wrong']], ['/api/admin/login', ['root', ADMIN[1]]], ['/api/admin/login', NS],
      ['/api/admin/login', [ADMIN[0], '']],
    ];
    for (const [p, auth] of cases) fails(await api(server, 'POST', p, { auth }), 401, `${p} ${auth.join(':')}`);
  });

  it('bare base64 credentials (no "Basic " word) are accepted; broken headers are 401', T, async () => {
    const bare = (u, pw) => Buffer.from(`${u}:${pw}`).toString('base64');
    assert.deepEqual(ok200(await api(server, 'POST', '/api/auth/login', { auth: bare(...NS) })), {});
    assert.deepEqual(ok200(await api(server, 'POST', '/api/admin/login', { auth: bare(...ADMIN) })), {});
    assert.deepEqual(ok200(await api(server, 'POST', '/api/auth/login', { auth: `basic ${bare(...NS)}` })), {});
    fails(await api(server, 'POST', '/api/auth/login', { auth: bare('/auth', 'nope') }), 401, 'bare wrong');
    fails(await api(server, 'POST', '/api/admin/login', { auth: bare('admin', 'nope') }), 401, 'bare wrong admin');
    for (const h of ['Basic !!!', 'Bearer abc', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Basic ', 'garbage%%']) {
      fails(await api(server, 'POST', '/api/auth/login', { auth: h }), 401, h);
      fails(await api(server, 'POST', '/api/admin/login', { auth: h }), 401, h);
    }
  });

  it('a namespace password may contain ":"', T, async () => {
    const ns = ok200(await api(server, 'GET', '/api/auth/namespace', { auth: NS }));
    assert.equal(ns.key, '/auth');
  });

  it('invalid JSON, a non-object body: 400 {code,msg} and nothing changes', T, async () => {
    for (const body of ['{"name": ', '{name: "x"}', '[1,2]', '"text"', 'null', '{"name":"x"} trailing']) {
      fails(await api(server, 'POST', '/api/auth/namespace/save', { auth: NS, body }), 400, `self save ${body}`);
      fails(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body }), 400, `admin save ${body}`);
      fails(await api(server, 'POST', '/api/auth/room-apns', { auth: NS, body }), 400, `room-apns ${body}`);
      fails(await api(server, 'POST', '/api/auth/client', { auth: NS, body }), 400, `client ${body}`);
    }
    assert.equal(ok200(await api(server, 'GET', '/api/auth/namespace', { auth: NS })).name, 'Auth');
  });

  it('a body far over max_payload is refused with 413 and changes nothing', T, async () => {
    for (const size of [MAX + 70000, MAX * 10, 2000000]) {
      const body = JSON.stringify({ name: 'x'.repeat(size) });
      const r = await api(server, 'POST', '/api/auth/namespace/save', { auth: NS, body });
      assert.equal(r.status, 413, `self save ${size}: ${r.status}`);
      const a = await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: JSON.stringify({ key: '/auth', name: 'x'.repeat(size) }) });
      assert.equal(a.status, 413, `admin save ${size}: ${a.status}`);
    }
    assert.equal(ok200(await api(server, 'GET', '/api/auth/namespace', { auth: NS })).name, 'Auth');
    // Just under the limit is fine.
    const name = 'y'.repeat(MAX - 100);
    ok200(await api(server, 'POST', '/api/auth/namespace/save', { auth: NS, body: { name } }));
    assert.equal(ok200(await api(server, 'GET', '/api/auth/namespace', { auth: NS })).name, name);
    ok200(await api(server, 'POST', '/api/auth/namespace/save', { auth: NS, body: { name: 'Auth' } }));
  });

  it('a body of max_payload + 1 bytes: 413 with a JSON {code,msg} body, nothing changes', T, async () => {
    for (const size of [MAX + 1, MAX + 70000]) {
      const body = JSON.stringify({ name: 'x'.repeat(size) });
      fails(await api(server, 'POST', '/api/auth/namespace/save', { auth: NS, body }), 413, `self save ${size}`);
      fails(await api(server, 'POST', '/api/auth/room-apns', { auth: NS, body }), 413, `room-apns ${size}`);
    }
    assert.equal(ok200(await api(server, 'GET', '/api/auth/namespace', { auth: NS })).name, 'Auth');
  });

  it('unknown paths: 404 {code,msg}; wrong method: 4xx {code,msg}', T, async () => {
    fails(await api(server, 'GET', '/api/auth/nothing-here', { auth: NS }), 404, 'unknown auth path');
    fails(await api(server, 'GET', '/api/admin/nothing-here', { auth: ADMIN }), 404, 'unknown admin path');
    fails(await api(server, 'GET', '/nope'), 404, 'unknown path');
    const r = await api(server, 'GET', '/api/auth/login', { auth: NS });
    assert.ok(r.status >= 400 && r.status < 500, `GET login: ${r.status}`);
    assert.equal(r.body.code, r.status);
  });
});

// ---- namespaces ---------------------------------------------------------------------------

describe('namespaces: admin save/list, self get/save', () => {
  let server;
  const tr = tracker();
  before(async () => { server = await q.startQpush(); });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  const list = async (query) => ok200(await api(server, 'GET', `/api/admin/namespace/list?${query}`, { auth: ADMIN }), query);

  it('admin save creates a namespace: offline "off", free-text name, update_date, client_ip', T, async () => {
    const before = Date.now();
    const name = 'Grüße aus Köln — 日本 ☃';
    const r = ok200(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN,
      body: { key: '/ns_new', name, auth_passwd: 'pw', callback_auth: 'Bearer z', connect_callback: '' } }));
    assert.equal(r.key, '/ns_new');
    assert.equal(r.name, name);
    assert.equal(r.offline, 'off');
    // Secrets are write-only (SPEC §10).
    assert.equal(r.callback_auth, undefined);
    assert.equal(r.auth_passwd, undefined);
    assert.equal(r.has_callback_auth, true);
    assert.equal(r.has_auth_passwd, true);
    assert.equal(typeof r.update_date, 'number');
    assert.ok(r.update_date >= before - 1000 && r.update_date <= Date.now() + 1000, `update_date ${r.update_date}`);
    assert.match(r.client_ip, /127\.0\.0\.1/);
    assert.ok(Array.isArray(r.apns_list));
    const l = await list('key=ns_new');
    assert.equal(l.total, 1);
    assert.equal(l.list[0].name, name);
    assert.equal(l.list[0].offline, 'off');
    assert.deepEqual(ok200(await api(server, 'POST', '/api/auth/login', { auth: ['/ns_new', 'pw'] })), {});
    // The longest allowed key (namespace_max_length 50, slash included).
    const longest = '/' + 'k'.repeat(49);
    ok200(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: longest, name: 'long' } }));
    assert.equal((await list(`key=${'k'.repeat(49)}`)).total, 1);
  });

  it('admin save refuses bad input with 400 and changes nothing', T, async () => {
    await saveNs(server, '/ns_keep', { name: 'Keep' });
    const bad = [
      {}, { key: 5 }, { key: '' }, { key: 'noslash' }, { key: '/with space' }, { key: '/bad*chars' },
      { key: '/' + 'k'.repeat(50) }, { key: ['/ns_bad'] }, { key: '/ns_bad#x' },
      { key: '/ns_bad', name: 5 }, { key: '/ns_bad', auth_passwd: 7 }, { key: '/ns_bad', offline: 'maybe' },
      { key: '/ns_bad', offline: 1 }, { key: '/ns_bad', connect_callback: 3 }, { key: '/ns_bad', apns_list: 'x' },
      { key: '/ns_bad', apns_list: [5] }, { key: '/ns_bad', apns_list: [{ apns_topic: 't' }] },
      { key: '/ns_bad', apns_list: [{ name: 'a', apns_env: 'staging' }] },
      { key: '/ns_bad', apns_list: [{ name: 'a', apns_topic: 5 }] },
      { key: '/ns_keep', name: 'Changed', offline: 'maybe' },
      { key: '/ns_keep', name: 'Changed', apns_list: [{ name: 'x', apns_env: 'nope' }] },
      { key: '/ns_keep', name: 'Changed', callback_auth: {} },
    ];
    for (const body of bad) fails(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body }), 400, JSON.stringify(body));
    assert.equal((await list('key=ns_bad')).total, 0);
    assert.equal((await list('key=noslash')).total, 0);
    const keep = await list('key=ns_keep');
    assert.equal(keep.total, 1);
    assert.equal(keep.list[0].name, 'Keep');
    assert.equal(keep.list[0].offline, 'off');
    assert.deepEqual(keep.list[0].apns_list, []);
  });

  it('admin save is a partial update: absent fields keep their values', T, async () => {
    await saveNs(server, '/ns_part', { name: 'N1', connect_callback: 'http://127.0.0.1:1/cb',
      disconnect_callback: 'http://127.0.0.1:1/dc', callback_auth: 'Bearer keep', auth_passwd: 'pw1' });
    const r = ok200(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/ns_part', name: 'N2' } }));
    assert.equal(r.name, 'N2');
    const got = ok200(await api(server, 'GET', '/api/auth/namespace', { auth: ['/ns_part', 'pw1'] }));
    assert.equal(got.name, 'N2');
    assert.equal(got.connect_callback, 'http://127.0.0.1:1/cb');
    assert.equal(got.disconnect_callback, 'http://127.0.0.1:1/dc');
    assert.equal(got.has_callback_auth, true, 'callback_auth kept');
    assert.equal(got.callback_auth, undefined);
    assert.equal(got.offline, 'off');
    ok200(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/ns_part', offline: 'on' } }));
    const after = ok200(await api(server, 'GET', '/api/auth/namespace', { auth: ['/ns_part', 'pw1'] }));
    assert.equal(after.offline, 'on');
    assert.equal(after.name, 'N2');
    assert.equal(after.connect_callback, 'http://127.0.0.1:1/cb');
  });

  it('apns_list entries merge by name field by field; del:true removes one', T, async () => {
    await saveNs(server, '/ns_apns', { apns_list: [
      { name: 'a', apns_env: 'dev', apns_topic: 'com.a', apns_expiration: 3600, token_keyId: 'K1' },
      { name: 'b', apns_env: 'production', apns_topic: 'com.b' },
    ] });
    const auth = ['/ns_apns', 'secret'];
    const byName = (ns) => Object.fromEntries(ns.apns_list.map((e) => [e.name, e]));
    let ns = ok200(await api(server, 'GET', '/api/auth/namespace', { auth }));
    assert.deepEqual(ns.apns_list.map((e) => e.name).sort(), ['a', 'b']);
    assert.equal(byName(ns).a.apns_expiration, 3600);
    ok200(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN,
      body: { key: '/ns_apns', apns_list: [{ name: 'a', apns_topic: 'com.a2' }, { name: 'c', apns_env: 'dev' }] } }));
    ns = ok200(await api(server, 'GET', '/api/auth/namespace', { auth }));
    let m = byName(ns);
    assert.deepEqual(Object.keys(m).sort(), ['a', 'b', 'c']);
    assert.equal(m.a.apns_topic, 'com.a2');
    assert.equal(m.a.apns_env, 'dev');
    assert.equal(m.a.token_keyId, 'K1');
    assert.equal(m.a.apns_expiration, 3600);
    assert.equal(m.b.apns_topic, 'com.b');
    // del:true through the self save.
    ok200(await api(server, 'POST', '/api/auth/namespace/save', { auth, body: { apns_list: [{ name: 'b', del: true }] } }));
    ns = ok200(await api(server, 'GET', '/api/auth/namespace', { auth }));
    m = byName(ns);
    assert.deepEqual(Object.keys(m).sort(), ['a', 'c']);
    assert.equal(m.a.apns_topic, 'com.a2');
    // A save without apns_list keeps it.
    ok200(await api(server, 'POST', '/api/auth/namespace/save', { auth, body: { name: 'renamed' } }));
    assert.deepEqual(ok200(await api(server, 'GET', '/api/auth/namespace', { auth })).apns_list.map((e) => e.name).sort(), ['a', 'c']);
  });

  it('GET /api/auth/namespace returns the caller\'s namespace', T, async () => {
    await saveNs(server, '/ns_self', { name: 'Self', callback_auth: 'cb' });
    await saveNs(server, '/ns_self2', { name: 'Other' });
    const ns = ok200(await api(server, 'GET', '/api/auth/namespace', { auth: ['/ns_self', 'secret'] }));
    assert.equal(ns.key, '/ns_self');
    assert.equal(ns.name, 'Self');
    assert.equal(ns.has_callback_auth, true);
    assert.equal(ns.callback_auth, undefined);
    assert.equal(ns.offline, 'off');
    assert.equal(typeof ns.update_date, 'number');
    assert.ok(Array.isArray(ns.apns_list));
  });

  it('POST /api/auth/namespace/save updates the caller\'s namespace only; bad input 400', T, async () => {
    await saveNs(server, '/ns_me', { name: 'Me' });
    await saveNs(server, '/ns_notme', { name: 'NotMe' });
    const auth = ['/ns_me', 'secret'];
    const r = ok200(await api(server, 'POST', '/api/auth/namespace/save', { auth, body: { key: '/ns_notme', name: 'Mine', callback_auth: 'x' } }));
    assert.equal(r.key, '/ns_me');
    assert.equal(r.name, 'Mine');
    assert.equal(ok200(await api(server, 'GET', '/api/auth/namespace', { auth })).name, 'Mine');
    const other = ok200(await api(server, 'GET', '/api/auth/namespace', { auth: ['/ns_notme', 'secret'] }));
    assert.equal(other.name, 'NotMe');
    assert.equal(other.has_callback_auth, false);
    for (const body of [{ name: 5 }, { offline: 'maybe' }, { apns_list: {} }, { disconnect_callback: false }, { name: 'Bad', apns_list: [{ name: '' }] }])
      fails(await api(server, 'POST', '/api/auth/namespace/save', { auth, body }), 400, JSON.stringify(body));
    const now = ok200(await api(server, 'GET', '/api/auth/namespace', { auth }));
    assert.equal(now.name, 'Mine');
    assert.equal(now.offline, 'off');
  });

  it('GET /api/admin/namespace/list: key/name/offline filters, paging, total, order by key; bad query 400', T, async () => {
    await saveNs(server, '/lst_c', { name: 'Gamma one' });
    await saveNs(server, '/lst_a', { name: 'Alpha one' });
    await saveNs(server, '/lst_b', { name: 'Beta two', offline: 'on' });
    let l = await list('key=lst_');
    assert.equal(l.total, 3);
    assert.deepEqual(l.list.map((n) => n.key), ['/lst_a', '/lst_b', '/lst_c']);
    l = await list('key=lst_&name=one');
    assert.equal(l.total, 2);
    assert.deepEqual(l.list.map((n) => n.key), ['/lst_a', '/lst_c']);
    assert.deepEqual((await list('key=lst_&offline=on')).list.map((n) => n.key), ['/lst_b']);
    assert.deepEqual((await list('key=lst_&offline=off')).list.map((n) => n.key), ['/lst_a', '/lst_c']);
    assert.equal((await list('key=lst_&offline=all')).total, 3);
    l = await list('key=lst_&page=2&pageSize=2');
    assert.equal(l.total, 3);
    assert.deepEqual(l.list.map((n) => n.key), ['/lst_c']);
    l = await list('key=lst_&page=1&pageSize=2');
    assert.deepEqual(l.list.map((n) => n.key), ['/lst_a', '/lst_b']);
    l = await list('key=lst_&page=3&pageSize=2');
    assert.equal(l.total, 3);
    assert.deepEqual(l.list, []);
    assert.equal((await list('name=Beta')).total, 1);
    assert.equal((await list('key=zzz_nothing')).total, 0);
    // Without filters: everything, ordered by key.
    l = await list('pageSize=1000');
    const keys = l.list.map((n) => n.key);
    assert.equal(l.total, keys.length);
    assert.deepEqual(keys, [...keys].sort());
    assert.ok(!('clientCount' in l.list[0]), 'online counts only with online=true');
    for (const bad of ['offline=maybe', 'page=0', 'page=x', 'pageSize=0', 'pageSize=-1', 'pageSize=abc'])
      fails(await api(server, 'GET', `/api/admin/namespace/list?${bad}`, { auth: ADMIN }), 400, bad);
  });

  it('namespace list online=true adds roomCount, userCount, clientCount, totalClientCount', T, async () => {
    await saveNs(server, '/lon');
    const a = await tr.ok(server, { nsp: '/lon', query: { uuid: 'd1', userid: 'u1' } });
    await tr.ok(server, { nsp: '/lon', query: { uuid: 'd2', userid: 'u2' } });
    const c = await tr.ok(server, { nsp: '/lon', query: { uuid: 'd3', userid: 'u2' } });
    replied(await request(a, 'joinRoom', ['r1', 'r2']), 200);
    await closeAndWait(c);
    await until(async () => (await list('key=lon&online=true')).list[0].clientCount === 2, 5000, 'clientCount 2');
    const item = (await list('key=lon&online=true')).list[0];
    assert.equal(item.key, '/lon');
    assert.equal(item.roomCount, 2);
    assert.equal(item.userCount, 2);
    assert.equal(item.clientCount, 2);
    assert.equal(item.totalClientCount, 3);
  });
});

// ---- destructive admin operations -----------------------------------------------------

describe('admin del / clear / flush / clear-realtime-data / clear-legacy-client', () => {
  let server;
  const tr = tracker();
  before(async () => { server = await q.startQpush(); });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  const list = async (key) => ok200(await api(server, 'GET', `/api/admin/namespace/list?key=${enc(key)}`, { auth: ADMIN }));
  // A namespace with one stored (disconnected) client in room "rr".
  async function withClient(key) {
    const auth = await saveNs(server, key);
    const s = await tr.ok(server, { nsp: key, query: { uuid: 'd', userid: 'u' } });
    replied(await request(s, 'joinRoom', 'rr'), 200);
    await closeAndWait(s);
    const id = `${key}#u#web-d`;
    await clientInfo(server, auth, id);
    return { auth, id };
  }

  it('every destructive operation answers 409 while the namespace is online, and changes nothing', T, async () => {
    const { auth, id } = await withClient('/dz');
    const gets = ['/api/admin/namespace/del/dz', '/api/admin/namespace/del/dz?flushAll=true', '/api/admin/namespace/del/%2Fdz',
      '/api/admin/namespace/clear/dz', '/api/admin/namespace/flush/dz', '/api/admin/namespace/flush/%2Fdz'];
    for (const p of gets) fails(await api(server, 'GET', p, { auth: ADMIN }), 409, p);
    for (const p of ['/api/admin/namespace/clear-realtime-data', '/api/admin/clear-legacy-client'])
      fails(await api(server, 'POST', p, { auth: ADMIN, body: { namespace: '/dz' } }), 409, p);
    assert.equal((await list('dz')).total, 1);
    assert.equal((await clientInfo(server, auth, id)).userid, 'u');
    assert.equal((await roomReport(server, auth, 'rr'))[0].totalClientCount, 1);
  });

  it('unknown namespace: 404; missing namespace: 400', T, async () => {
    for (const p of ['del/nope', 'del/nope?flushAll=true', 'clear/nope', 'flush/%2Fnope'])
      fails(await api(server, 'GET', `/api/admin/namespace/${p}`, { auth: ADMIN }), 404, p);
    for (const p of ['/api/admin/namespace/clear-realtime-data', '/api/admin/clear-legacy-client']) {
      fails(await api(server, 'POST', p, { auth: ADMIN, body: { namespace: '/nope' } }), 404, p);
      fails(await api(server, 'POST', p, { auth: ADMIN, body: {} }), 400, `${p} without namespace`);
      fails(await api(server, 'POST', p, { auth: ADMIN, body: '{"namespace":' }), 400, `${p} invalid JSON`);
    }
  });

  it('GET /api/admin/namespace/del/:key (offline) deletes the data and keeps the namespace', T, async () => {
    const { auth, id } = await withClient('/d1');
    ok200(await setOffline(server, '/d1', true));
    assert.deepEqual(ok200(await api(server, 'GET', '/api/admin/namespace/del/d1', { auth: ADMIN })), {});
    fails(await getClient(server, auth, id), 404, 'client after del');
    assert.equal((await roomReport(server, auth, 'rr'))[0].totalClientCount, 0);
    const l = await list('d1');
    assert.equal(l.total, 1);
    assert.equal(l.list[0].offline, 'on');
    assert.deepEqual(ok200(await api(server, 'POST', '/api/auth/login', { auth })), {});
    // Back online, the namespace accepts clients again.
    ok200(await setOffline(server, '/d1', false));
    const s = await tr.ok(server, { nsp: '/d1', query: { uuid: 'd', userid: 'u' } });
    s.close();
  });

  it('GET /api/admin/namespace/clear/%2Fkey is del without flushAll', T, async () => {
    const { auth, id } = await withClient('/d2');
    ok200(await setOffline(server, '/d2', true));
    assert.deepEqual(ok200(await api(server, 'GET', '/api/admin/namespace/clear/%2Fd2', { auth: ADMIN })), {});
    fails(await getClient(server, auth, id), 404, 'client after clear');
    assert.equal((await list('d2')).total, 1);
  });

  it('del/:key?flushAll=true deletes the namespace too (%2F form)', T, async () => {
    const { auth } = await withClient('/d3');
    ok200(await setOffline(server, '/d3', true));
    assert.deepEqual(ok200(await api(server, 'GET', '/api/admin/namespace/del/%2Fd3?flushAll=true', { auth: ADMIN })), {});
    assert.equal((await list('d3')).total, 0);
    fails(await api(server, 'POST', '/api/auth/login', { auth }), 401, 'login after flush');
    assert.match(await refusal(server, { nsp: '/d3', query: { uuid: 'd' } }), /namespace/i);
    fails(await api(server, 'GET', '/api/admin/namespace/del/d3', { auth: ADMIN }), 404, 'second del');
  });

  it('GET /api/admin/namespace/flush/:key is del with flushAll', T, async () => {
    const { auth } = await withClient('/d4');
    ok200(await setOffline(server, '/d4', true));
    assert.deepEqual(ok200(await api(server, 'GET', '/api/admin/namespace/flush/d4', { auth: ADMIN })), {});
    assert.equal((await list('d4')).total, 0);
    fails(await api(server, 'POST', '/api/auth/login', { auth }), 401, 'login after flush');
    // The key can be created again, empty.
    const again = await saveNs(server, '/d4');
    fails(await getClient(server, again, '/d4#u#web-d'), 404, 'client of the recreated namespace');
  });

  it('POST /api/admin/namespace/clear-realtime-data (offline namespace) answers {}', T, async () => {
    const { auth, id } = await withClient('/d5');
    ok200(await setOffline(server, '/d5', true));
    assert.deepEqual(ok200(await api(server, 'POST', '/api/admin/namespace/clear-realtime-data', { auth: ADMIN, body: { namespace: '/d5' } })), {});
    const rep = ok200(await api(server, 'GET', '/api/auth/report/online', { auth }));
    assert.equal(rep.clientCount, 0);
    // Stored data stays: only the online bookkeeping is reset.
    await clientInfo(server, auth, id);
  });

  it('POST /api/admin/clear-legacy-client keeps recently seen clients ([] reply)', T, async () => {
    const { auth, id } = await withClient('/d6');
    ok200(await setOffline(server, '/d6', true));
    const r = await api(server, 'POST', '/api/admin/clear-legacy-client', { auth: ADMIN, body: { namespace: '/d6' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, []);
    await clientInfo(server, auth, id);
  });
});

// ---- offline: "on" ---------------------------------------------------------------------

describe('offline: "on" (per client generation)', () => {
  let server;
  const tr = tracker();
  before(async () => { server = await q.startQpush(); });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    it(`refuses new clients and pushes, disconnects connected clients; other calls work — ${g.label}`, T, async () => {
      const key = `/off_${g.tag}`;
      const auth = await saveNs(server, key);
      const c = { gen: g.gen, transports: g.transports, nsp: key };
      const s1 = await tr.ok(server, { ...c, query: { uuid: 'd1' } });
      const s2 = await tr.ok(server, { ...c, query: { uuid: 'd2', platform: 'android' } });
      replied(await request(s1, 'joinRoom', 'room'), 200);
      const gone = Promise.all([waitFor(s1, 'disconnect'), waitFor(s2, 'disconnect')]);
      ok200(await setOffline(server, key, true));
      await gone;
      assert.match(await refusal(server, { ...c, query: { uuid: 'd3' } }), /offline/i);
      const p = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'room', pushData: { a: 1 } } });
      assert.ok(p.status >= 400 && p.status < 500, `push while offline: ${p.status}`);
      assert.equal(p.body.code, p.status);
      assert.deepEqual(ok200(await api(server, 'GET', '/api/auth/report/push', { auth })), []);
      // Other /api/auth calls keep working.
      assert.equal(ok200(await api(server, 'GET', '/api/auth/namespace', { auth })).offline, 'on');
      assert.equal((await clientInfo(server, auth, `${key}#d1#web-d1`)).userid, 'd1');
      assert.equal(ok200(await api(server, 'GET', '/api/auth/report/online', { auth })).clientCount, 0);
      // Back "off": clients connect again.
      ok200(await setOffline(server, key, false));
      const s3 = await tr.ok(server, { ...c, query: { uuid: 'd1' } });
      assert.equal(s3.okPayload.clientId, `${key}#d1#web-d1`);
    });
  }
});

// ---- connect -----------------------------------------------------------------------------

describe('connect (per client generation)', () => {
  let server;
  let auth;
  const tr = tracker();
  before(async () => {
    server = await q.startQpush();
    auth = await saveNs(server, '/c');
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    const c = { gen: g.gen, transports: g.transports, nsp: '/c' };
    const t = g.tag;

    it(`ok {system, port, clientId} — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `d-${t}`, userid: `u-${t}`, platform: 'ios' } });
      assert.deepEqual(Object.keys(s.okPayload).sort(), ['clientId', 'port', 'system']);
      assert.equal(typeof s.okPayload.system, 'string');
      assert.ok(s.okPayload.system.length > 0);
      assert.equal(s.okPayload.port, server.socketPort);
      assert.equal(s.okPayload.clientId, `/c#u-${t}#ios-d-${t}`);
      s.close();
    });

    it(`defaults: userid = uuid, platform web; user room joined — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `dd-${t}` } });
      assert.equal(s.okPayload.clientId, `/c#dd-${t}#web-dd-${t}`);
      const info = await clientInfo(server, auth, s.okPayload.clientId);
      assert.equal(info.userid, `dd-${t}`);
      assert.equal(await roomCount(server, auth, `user_dd-${t}`), 1);
      const got = waitFor(s, 'push');
      const r = await restPush(server, auth, `user_dd-${t}`, { hello: t });
      assert.equal(r.expectAckCount, 1);
      const m = await got;
      assert.deepEqual(m.pushData, { hello: t });
      assert.equal(m.id, r.id);
      s.close();
    });

    it(`client info: first/last connect time, last disconnect time, leaveMessage reset — ${g.label}`, T, async () => {
      const t0 = Date.now();
      const q1 = { uuid: `ti-${t}`, userid: `tu-${t}`, platform: 'android' };
      const s = await tr.ok(server, { ...c, query: q1 });
      const id = s.okPayload.clientId;
      const a = await clientInfo(server, auth, id);
      assert.deepEqual(Object.keys(a).filter((k) => INFO_KEYS.includes(k)).sort(), INFO_KEYS);
      assert.equal(typeof a.first_connect_time, 'number');
      assert.ok(a.first_connect_time >= t0 - 1000 && a.first_connect_time <= Date.now() + 1000);
      assert.equal(a.last_connect_time, a.first_connect_time);
      assert.equal(a.leaveMessage, true);
      replied(await request(s, 'info', { leaveMessage: false }), 200);
      assert.equal((await clientInfo(server, auth, id)).leaveMessage, false);
      await closeAndWait(s);
      const b = await until(async () => {
        const i = await clientInfo(server, auth, id);
        return i.last_disconnect_time >= a.last_connect_time ? i : null;
      }, 5000, 'last_disconnect_time');
      assert.equal(typeof b.last_disconnect_time, 'number');
      await sleep(5);
      const s2 = await tr.ok(server, { ...c, query: q1 });
      const d = await clientInfo(server, auth, id);
      assert.equal(d.first_connect_time, a.first_connect_time);
      assert.ok(d.last_connect_time > a.last_connect_time, `${d.last_connect_time} > ${a.last_connect_time}`);
      assert.equal(d.leaveMessage, true, 'a reconnect resets leaveMessage');
      s2.close();
    });

    it(`refusals with a readable reason: unknown namespace, uuid, userid, platform — ${g.label}`, T, async () => {
      const cases = [
        [{ nsp: `/nope-${t}`, query: { uuid: 'd' } }, /namespace/i],
        [{ query: {} }, /uuid/],
        [{ query: { userid: 'u' } }, /uuid/],
        [{ query: { uuid: 'bad uuid' } }, /uuid/],
        [{ query: { uuid: 'x'.repeat(101) } }, /uuid/],
        [{ query: { uuid: 'd', userid: 'bad user' } }, /userid/],
        [{ query: { uuid: 'd', userid: 'u'.repeat(101) } }, /userid/],
        [{ query: { uuid: 'd', userid: 'ü' } }, /userid/],
        [{ query: { uuid: 'd', platform: 'windows' } }, /platform/],
        // '#' separates the parts of a client id: not inside a uuid.
        [{ query: { uuid: 'x#web-y', userid: 'u' } }, /uuid/],
      ];
      if (g.gen === 4) cases.push([{ nsp: '/', query: { uuid: 'd' } }, /namespace|no clients/i]);
      for (const [extra, re] of cases) {
        const why = await refusal(server, { ...c, ...extra });
        assert.equal(typeof why, 'string');
        assert.match(why, re, JSON.stringify(extra));
      }
      // Nothing was stored for the refused clients.
      fails(await getClient(server, auth, '/c#bad user#web-d'), 404);
      fails(await getClient(server, auth, '/c#d#windows-d'), 404);
      // The boundaries are accepted.
      const s = await tr.ok(server, { ...c, query: { uuid: 'x'.repeat(100), userid: `u.-$#${t}`.padEnd(100, 'u') } });
      assert.equal(s.okPayload.clientId, `/c#${`u.-$#${t}`.padEnd(100, 'u')}#web-${'x'.repeat(100)}`);
      s.close();
    });

    if (g.gen === 4) {
      it(`identity from the v4 CONNECT auth payload (auth wins over the query) — ${g.label}`, T, async () => {
        const s = await tr.ok(server, { ...c, query: { uuid: 'from-query', userid: 'q' },
          auth: { uuid: `au-${t}`, userid: `aa-${t}`, platform: 'android', activityBroadcast: true } });
        assert.equal(s.okPayload.clientId, `/c#aa-${t}#android-au-${t}`);
        const why = await refusal(server, { ...c, query: { uuid: 'fine' }, auth: { uuid: 'bad uuid' } });
        assert.match(why, /uuid/);
        s.close();
      });
    }

    it(`a second connection with the same client id replaces the first — ${g.label}`, T, async () => {
      const query = { uuid: `rp-${t}`, userid: `ru-${t}` };
      const first = await tr.ok(server, { ...c, query });
      const dropped = waitFor(first, 'disconnect');
      const second = await tr.ok(server, { ...c, query });
      assert.equal(second.okPayload.clientId, first.okPayload.clientId);
      await dropped;
      assert.equal(first.connected, false);
      const firstPushes = collect(first, 'push');
      const got = waitFor(second, 'push');
      const r = await restPush(server, auth, `user_ru-${t}`);
      assert.equal(r.expectAckCount, 1);
      assert.equal((await got).id, r.id);
      assert.deepEqual(firstPushes, []);
      assert.equal(await roomCount(server, auth, `user_ru-${t}`), 1);
      second.close();
    });

    it(`events emitted right after io(), before connect, are handled — ${g.label}`, T, async () => {
      const s = tr.raw(server, { ...c, query: { uuid: `early-${t}` } });
      const okP = waitFor(s, 'ok');
      const [join, info, apns] = await Promise.all([
        request(s, 'joinRoom', `early-room-${t}`),
        request(s, 'info', { mobile: `m-${t}` }),
        request(s, 'apns', {}),
      ]);
      await okP;
      replied(join, 200, 'joinRoom');
      replied(info, 200, 'info');
      replied(apns, 403, 'apns of a web client');
      assert.equal(await roomCount(server, auth, `early-room-${t}`), 1);
      assert.equal((await clientInfo(server, auth, `/c#early-${t}#web-early-${t}`)).mobile, `m-${t}`);
      s.close();
    });
  }
});

// ---- client events -----------------------------------------------------------------------

describe('client events joinRoom / leaveRoom / info / apns (per client generation)', () => {
  let server;
  let auth;
  const tr = tracker();
  before(async () => {
    server = await q.startQpush();
    auth = await saveNs(server, '/ev');
    await saveNs(server, '/ev2');
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    const c = { gen: g.gen, transports: g.transports, nsp: '/ev' };
    const t = g.tag;

    it(`joinRoom: a room or a list; pushes to it arrive — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `j-${t}`, userid: `ju-${t}` } });
      replied(await request(s, 'joinRoom', `ja-${t}`), 200);
      replied(await request(s, 'joinRoom', [`jb-${t}`, `jc-${t}`, `jb-${t}`]), 200);
      replied(await request(s, 'joinRoom', `ja-${t}`), 200, 'joining twice is fine');
      replied(await request(s, 'joinRoom', `user_ju-${t}`), 200, 'own user room');
      replied(await request(s, 'joinRoom', 'r'.repeat(100)), 200, 'longest room name');
      const rep = await roomReport(server, auth, `ja-${t}`, `jb-${t}`, `jc-${t}`);
      assert.deepEqual(rep.map((x) => [x.name, x.clientCount, x.totalClientCount]),
        [[`ja-${t}`, 1, 1], [`jb-${t}`, 1, 1], [`jc-${t}`, 1, 1]]);
      const got = waitFor(s, 'push');
      const r = await restPush(server, auth, `jc-${t}`, { x: 1 });
      assert.equal(r.expectAckCount, 1);
      const m = await got;
      assert.equal(m.room, `jc-${t}`);
      assert.equal(m.namespace, '/ev');
      s.close();
    });

    it(`joinRoom refusals: 400 for bad names / types, 403 for another user's room; nothing joined — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `jr-${t}`, userid: `jru-${t}` } });
      const good = `jgood-${t}`;
      const cases = [
        ['bad room', 400], ['r'.repeat(101), 400], ['', 400], [5, 400], [true, 400], [{ room: good }, 400],
        [null, 400], [[], 400], [[good, 'bad room'], 400], [[good, 7], 400], [[good, ['x']], 400], [[good, 'r'.repeat(101)], 400],
        ['user_somebody', 403], [[good, 'user_somebody'], 403], [`user_jru-${t}x`, 403],
      ];
      for (const [arg, status] of cases) replied(await request(s, 'joinRoom', arg), status, JSON.stringify(arg));
      const [rep] = await roomReport(server, auth, good);
      assert.equal(rep.clientCount, 0);
      assert.equal(rep.totalClientCount, 0);
      assert.equal((await roomReport(server, auth, 'user_somebody'))[0].totalClientCount, 0);
      s.close();
    });

    it(`leaveRoom: a room or a list; not joined is fine; the own user room stays — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `l-${t}`, userid: `lu-${t}` } });
      replied(await request(s, 'joinRoom', [`la-${t}`, `lb-${t}`, `lc-${t}`]), 200);
      replied(await request(s, 'leaveRoom', `la-${t}`), 200);
      replied(await request(s, 'leaveRoom', [`lb-${t}`, `never-${t}`]), 200);
      replied(await request(s, 'leaveRoom', `never2-${t}`), 200);
      replied(await request(s, 'leaveRoom', `user_lu-${t}`), 200, 'own user room');
      const rep = await roomReport(server, auth, `la-${t}`, `lb-${t}`, `lc-${t}`, `user_lu-${t}`);
      assert.deepEqual(rep.map((x) => [x.clientCount, x.totalClientCount]), [[0, 0], [0, 0], [1, 1], [1, 1]]);
      for (const arg of ['bad room', 5, { room: 'x' }, [`lc-${t}`, 'bad room'], ['r'.repeat(101)]])
        replied(await request(s, 'leaveRoom', arg), 400, JSON.stringify(arg));
      assert.equal(await roomCount(server, auth, `lc-${t}`), 1, 'a refused leave changes nothing');
      replied(await request(s, 'leaveRoom', [`lc-${t}`]), 200);
      replied(await request(s, 'leaveRoom', `lc-${t}`), 200, 'leaving the last room again');
      assert.equal(await roomCount(server, auth, `lc-${t}`), 0);
      const got = waitFor(s, 'push');
      assert.equal((await restPush(server, auth, `user_lu-${t}`)).expectAckCount, 1);
      await got;
      s.close();
    });

    it(`info {}: the client's fields — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `i-${t}`, userid: `iu-${t}`, platform: 'ios' } });
      const r = await request(s, 'info', {});
      replied(r, 200);
      assert.deepEqual(Object.keys(r.data).sort(), INFO_KEYS);
      assert.equal(r.data.userid, `iu-${t}`);
      for (const k of ['first_connect_time', 'last_connect_time', 'last_disconnect_time', 'update_date'])
        assert.equal(typeof r.data[k], 'number', k);
      assert.ok(r.data.last_connect_time > 0);
      assert.equal(r.data.leaveMessage, true);
      assert.equal(r.data.no_send_apns, '');
      assert.equal(r.data.device_token, '');
      s.close();
    });

    it(`info set: device_token, mobile, system, leaveMessage; wrong types 400 and nothing changes — ${g.label}`, T, async () => {
      const s = await tr.ok(server, { ...c, query: { uuid: `is-${t}`, userid: `isu-${t}`, platform: 'ios' } });
      const t0 = Date.now();
      const set = await request(s, 'info', { device_token: `tok-${t}`, mobile: '+4912345', system: 'iOS 17', leaveMessage: false });
      assert.deepEqual(set, { status: 200, msg: 'ok' });
      const after = (await request(s, 'info', {})).data;
      assert.equal(after.device_token, `tok-${t}`);
      assert.equal(after.mobile, '+4912345');
      assert.equal(after.system, 'iOS 17');
      assert.equal(after.leaveMessage, false);
      assert.ok(after.update_date >= t0 - 1000, `update_date ${after.update_date}`);
      const rest = await clientInfo(server, auth, s.okPayload.clientId);
      assert.equal(rest.device_token, `tok-${t}`);
      for (const arg of ['text', 5, [1], { mobile: 5 }, { system: {} }, { device_token: null }, { leaveMessage: 'no' },
        { leaveMessage: 0 }, { mobile: 'changed', leaveMessage: 'yes' }, { clientId: 5, mobile: 'changed' }])
        replied(await request(s, 'info', arg), 400, JSON.stringify(arg));
      assert.deepEqual((await request(s, 'info', {})).data, after);
      replied(await request(s, 'info', { device_token: '' }), 200, 'clearing the token');
      assert.equal((await request(s, 'info', {})).data.device_token, '');
      s.close();
    });

    it(`info clientId: another device of the same user yes; another user / namespace 403, nothing changes — ${g.label}`, T, async () => {
      const me = await tr.ok(server, { ...c, query: { uuid: `im1-${t}`, userid: `imu-${t}` } });
      const myOther = await tr.ok(server, { ...c, query: { uuid: `im2-${t}`, userid: `imu-${t}`, platform: 'android' } });
      const stranger = await tr.ok(server, { ...c, query: { uuid: `ix-${t}`, userid: `ixu-${t}` } });
      const foreign = await tr.ok(server, { ...c, nsp: '/ev2', query: { uuid: `im1-${t}`, userid: `imu-${t}` } });
      const otherId = myOther.okPayload.clientId;
      replied(await request(me, 'info', { clientId: otherId, mobile: 'set-by-sibling' }), 200);
      assert.equal((await clientInfo(server, auth, otherId)).mobile, 'set-by-sibling');
      const read = await request(me, 'info', { clientId: otherId });
      replied(read, 200);
      assert.equal(read.data.mobile, 'set-by-sibling');
      const strangerBefore = await clientInfo(server, auth, stranger.okPayload.clientId);
      for (const target of [stranger.okPayload.clientId, foreign.okPayload.clientId, `/ev#ixu-${t}#web-im1-${t}`, 'garbage', '/ev#x']) {
        replied(await request(me, 'info', { clientId: target, mobile: 'hijack', device_token: 'evil', leaveMessage: false }), 403, target);
        replied(await request(me, 'info', { clientId: target }), 403, `read ${target}`);
      }
      assert.deepEqual(await clientInfo(server, auth, stranger.okPayload.clientId), strangerBefore);
      const f = await clientInfo(server, ['/ev2', 'secret'], foreign.okPayload.clientId);
      assert.equal(f.mobile, '');
      assert.equal(f.device_token, '');
      assert.equal(f.leaveMessage, true);
      fails(await getClient(server, auth, `/ev#ixu-${t}#web-im1-${t}`), 404, 'not created');
      for (const s of [me, myOther, stranger, foreign]) s.close();
    });

    it(`apns: iOS do-not-disturb list (add, remove wins, comma list); others 403; bad input 400 — ${g.label}`, T, async () => {
      const web = await tr.ok(server, { ...c, query: { uuid: `aw-${t}` } });
      const android = await tr.ok(server, { ...c, query: { uuid: `aa-${t}`, platform: 'android' } });
      replied(await request(web, 'apns', {}), 403, 'web');
      replied(await request(android, 'apns', { add: ['x'] }), 403, 'android');
      assert.equal((await clientInfo(server, auth, android.okPayload.clientId)).no_send_apns, '');
      const ios = await tr.ok(server, { ...c, query: { uuid: `ai-${t}`, platform: 'ios' } });
      assert.deepEqual(await request(ios, 'apns', {}), { status: 200, msg: 'ok', data: '' });
      assert.deepEqual(await request(ios, 'apns', { add: ['r1', 'r2'] }), { status: 200, msg: 'ok' });
      assert.equal((await request(ios, 'apns', {})).data, 'r1,r2');
      replied(await request(ios, 'apns', { add: ['r2', 'r3', 'r3'], remove: ['r1'] }), 200);
      assert.equal((await request(ios, 'apns', {})).data, 'r2,r3');
      replied(await request(ios, 'apns', { add: ['r4', 'r5'], remove: ['r4'] }), 200, 'remove wins');
      assert.equal((await request(ios, 'apns', {})).data, 'r2,r3,r5');
      replied(await request(ios, 'apns', { remove: 'r5' }), 200, 'a single room');
      assert.equal((await request(ios, 'apns', {})).data, 'r2,r3');
      for (const arg of ['text', 5, { add: 5 }, { add: 'bad room' }, { add: ['ok', 'bad room'] }, { remove: [1] },
        { add: ['r'.repeat(101)] }, { add: ['fine'], remove: {} }])
        replied(await request(ios, 'apns', arg), 400, JSON.stringify(arg));
      assert.equal((await request(ios, 'apns', {})).data, 'r2,r3');
      assert.equal((await request(ios, 'info', {})).data.no_send_apns, 'r2,r3');
      assert.equal((await clientInfo(server, auth, ios.okPayload.clientId)).no_send_apns, 'r2,r3');
      for (const s of [web, android, ios]) s.close();
    });
  }
});

// ---- activity broadcasts ----------------------------------------------------------------

describe('peopleJoin / peopleLeave (per client generation)', () => {
  let server;
  let auth;
  const tr = tracker();
  before(async () => {
    server = await q.startQpush();
    auth = await saveNs(server, '/act');
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  const KEYS = ['clientOffline', 'room', 'rooms', 'sid', 'userid', 'uuid'];

  for (const g of GENS) {
    const c = { gen: g.gen, transports: g.transports, nsp: '/act' };
    const t = g.tag;

    it(`payload {sid, uuid, userid, room, rooms, clientOffline} on join, leave and disconnect — ${g.label}`, T, async () => {
      const room = `act-${t}`;
      const listener = await tr.ok(server, { ...c, query: { uuid: `lis-${t}`, userid: `lis-${t}` } });
      replied(await request(listener, 'joinRoom', room), 200);
      const events = [];
      listener.on('peopleJoin', (m) => events.push(['peopleJoin', m]));
      listener.on('peopleLeave', (m) => events.push(['peopleLeave', m]));

      // Quiet clients first: no activityBroadcast, and activityBroadcast=false.
      const quiet1 = await tr.ok(server, { ...c, query: { uuid: `q1-${t}` } });
      const quiet2 = await tr.ok(server, { ...c, query: { uuid: `q2-${t}`, activityBroadcast: 'false' } });
      replied(await request(quiet1, 'joinRoom', room), 200);
      replied(await request(quiet2, 'joinRoom', [room]), 200);
      replied(await request(quiet2, 'leaveRoom', room), 200);
      await closeAndWait(quiet1);

      const loud = await tr.ok(server, { ...c, query: { uuid: `da-${t}`, userid: `ua-${t}`, activityBroadcast: 'true' } });
      const own = collect(loud, 'peopleJoin');
      const sid = `/act#ua-${t}#web-da-${t}`;
      const base = { sid, uuid: `da-${t}`, userid: `ua-${t}`, room };
      replied(await request(loud, 'joinRoom', room), 200);
      const join = await until(() => events[0], 5000, 'peopleJoin');
      assert.equal(join[0], 'peopleJoin', 'the quiet clients sent no activity');
      assert.deepEqual(Object.keys(join[1]).sort(), KEYS);
      assert.deepEqual(join[1], { ...base, rooms: [room], clientOffline: false });

      replied(await request(loud, 'leaveRoom', room), 200);
      const leave = await until(() => events[1], 5000, 'peopleLeave');
      assert.equal(leave[0], 'peopleLeave');
      assert.deepEqual(leave[1], { ...base, rooms: [room], clientOffline: false });

      replied(await request(loud, 'joinRoom', [room, `other-${t}`]), 200);
      const join2 = await until(() => events[2], 5000, 'second peopleJoin');
      assert.equal(join2[0], 'peopleJoin');
      assert.equal(join2[1].room, room);
      assert.equal(join2[1].clientOffline, false);
      assert.ok(join2[1].rooms.includes(room));

      // A round trip on the loud client: it never hears its own activity.
      replied(await request(loud, 'info', {}), 200);
      assert.deepEqual(own, []);

      loud.close();
      const off = await until(() => events[3], 5000, 'peopleLeave on disconnect');
      assert.equal(off[0], 'peopleLeave');
      assert.deepEqual(Object.keys(off[1]).sort(), KEYS);
      assert.equal(off[1].sid, sid);
      assert.equal(off[1].room, room);
      assert.equal(off[1].clientOffline, true);
      assert.ok(Array.isArray(off[1].rooms) && off[1].rooms.includes(room), JSON.stringify(off[1].rooms));
      // Only the listener's room was told (the loud client's other rooms have no listener).
      const got = waitFor(listener, 'push');
      await restPush(server, auth, room);
      await got;
      assert.equal(events.length, 4, JSON.stringify(events));
      listener.close();
      quiet2.close();
    });
  }
});

// ---- room_activity_broadcast: false, admin password with ':' ---------------------------

describe('server with room_activity_broadcast: false, admin password with ":"', () => {
  let server;
  const ADM = ['boss', 'ad:min:pw'];
  const tr = tracker();
  before(async () => {
    server = await q.startQpush({ room_activity_broadcast: false, admin_name: ADM[0], admin_passwd: ADM[1] });
    await saveNs(server, '/quiet', {}, ADM);
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  it('the admin password may contain ":"', T, async () => {
    assert.deepEqual(ok200(await api(server, 'POST', '/api/admin/login', { auth: ADM })), {});
    for (const pw of ['ad', 'ad:min', 'ad:min:pw:', 'adminpw'])
      fails(await api(server, 'POST', '/api/admin/login', { auth: [ADM[0], pw] }), 401, pw);
    fails(await api(server, 'POST', '/api/admin/login', { auth: ADMIN }), 401, 'the harness default');
  });

  for (const g of GENS) {
    it(`no peopleJoin / peopleLeave even for activityBroadcast=true — ${g.label}`, T, async () => {
      const c = { gen: g.gen, transports: g.transports, nsp: '/quiet' };
      const room = `qr-${g.tag}`;
      const auth = ['/quiet', 'secret'];
      const listener = await tr.ok(server, { ...c, query: { uuid: `l-${g.tag}` } });
      replied(await request(listener, 'joinRoom', room), 200);
      const seen = collect(listener, 'peopleJoin');
      const left = collect(listener, 'peopleLeave');
      const loud = await tr.ok(server, { ...c, query: { uuid: `x-${g.tag}`, activityBroadcast: 'true' } });
      replied(await request(loud, 'joinRoom', room), 200);
      replied(await request(loud, 'leaveRoom', room), 200);
      replied(await request(loud, 'joinRoom', room), 200);
      await closeAndWait(loud);
      await until(async () => (await roomCount(server, auth, room)) === 1, 5000, 'loud gone');
      // The push is written after any activity event would have been.
      const got = waitFor(listener, 'push');
      await restPush(server, auth, room);
      await got;
      assert.deepEqual(seen, []);
      assert.deepEqual(left, []);
      listener.close();
    });
  }

  // clear-legacy-client after client_legacy_expire hours is tested in-process
  // with a fake clock: tests/server/api/tst_restapi.cpp (legacyClientsByTheClock).
});

// ---- callbacks ----------------------------------------------------------------------------

describe('connect_callback / disconnect_callback (per client generation)', () => {
  let server;
  let hooks;
  const tr = tracker();
  before(async () => {
    hooks = await startHooks();
    server = await q.startQpush();
  });
  after(async () => {
    tr.closeAll();
    if (server) await server.cleanup();
    if (hooks) await hooks.close();
  });

  for (const g of GENS) {
    const t = g.tag;
    const c = { gen: g.gen, transports: g.transports };

    it(`200 accepts; the callback sees cookie, authorization, namespace and the query — ${g.label}`, T, async () => {
      const key = `/cba_${t}`;
      const cb = `/accept/${t}`;
      const dc = `/disc/${t}`;
      hooks.routes.set(cb, { status: 200 });
      hooks.routes.set(dc, { status: 200 });
      const auth = await saveNs(server, key, { connect_callback: hooks.url + cb, disconnect_callback: hooks.url + dc,
        callback_auth: `Bearer cb-${t}` });
      const query = { uuid: `d-${t}`, userid: `u-${t}`, platform: 'android', extra: 'v 1&2' };
      const s = tr.keep(connectWithHeaders(server, { ...c, nsp: key, query, extraHeaders: { cookie: `sess=abc-${t}; other=1` } }));
      const okMsg = await okOf(s);
      assert.equal(okMsg.clientId, `${key}#u-${t}#android-d-${t}`);
      const reqs = hooks.requests(cb);
      assert.equal(reqs.length, 1);
      const r = reqs[0];
      assert.equal(r.method, 'GET');
      assert.match(r.headers.cookie || '', new RegExp(`sess=abc-${t}`));
      assert.equal(r.headers.authorization, `Bearer cb-${t}`);
      assert.equal(r.headers.namespace, key);
      for (const [k, v] of Object.entries(query)) assert.equal(r.query[k], v, `query ${k}`);
      // Disconnect: POST {query, clientId, reason}, same headers.
      s.close();
      const [d] = await until(() => hooks.requests(dc).length && hooks.requests(dc), 5000, 'disconnect callback');
      assert.equal(d.method, 'POST');
      assert.equal(d.headers.authorization, `Bearer cb-${t}`);
      assert.equal(d.headers.namespace, key);
      assert.match(d.headers.cookie || '', new RegExp(`sess=abc-${t}`));
      assert.match(d.headers['content-type'] || '', /application\/json/);
      const body = JSON.parse(d.body);
      assert.deepEqual(Object.keys(body).sort(), ['clientId', 'query', 'reason']);
      assert.equal(body.clientId, okMsg.clientId);
      assert.equal(typeof body.reason, 'string');
      assert.ok(body.reason.length > 0);
      assert.equal(typeof body.query, 'object');
      for (const [k, v] of Object.entries(query)) assert.equal(body.query[k], v, `disconnect query ${k}`);
      for (const v of Object.values(body.query)) assert.equal(typeof v, 'string');
      await clientInfo(server, auth, okMsg.clientId);
    });

    it(`200 with {userid, rooms}: the client id uses the userid, the rooms are joined — ${g.label}`, T, async () => {
      const key = `/cbo_${t}`;
      const cb = `/override/${t}`;
      hooks.routes.set(cb, { status: 200, body: { userid: `cbuser-${t}`, rooms: [`cbr1-${t}`, `cbr2-${t}`, 'bad room'] } });
      const auth = await saveNs(server, key, { connect_callback: hooks.url + cb });
      const s = await tr.ok(server, { ...c, nsp: key, query: { uuid: `d-${t}`, userid: `orig-${t}` } });
      assert.equal(s.okPayload.clientId, `${key}#cbuser-${t}#web-d-${t}`);
      assert.equal(hooks.requests(cb)[0].query.userid, `orig-${t}`);
      const info = await clientInfo(server, auth, s.okPayload.clientId);
      assert.equal(info.userid, `cbuser-${t}`);
      fails(await getClient(server, auth, `${key}#orig-${t}#web-d-${t}`), 404, 'the original userid is not used');
      const got = waitFor(s, 'push');
      const r = await restPush(server, auth, `cbr1-${t}`, { via: 'callback room' });
      assert.equal(r.expectAckCount, 1);
      assert.deepEqual((await got).pushData, { via: 'callback room' });
      const rep = await roomReport(server, auth, `cbr2-${t}`, `user_cbuser-${t}`, `user_orig-${t}`);
      assert.deepEqual(rep.map((x) => x.clientCount), [1, 1, 0]);
      s.close();
    });

    it(`403 refuses with a readable reason and stores nothing — ${g.label}`, T, async () => {
      const key = `/cbr_${t}`;
      const cb = `/refuse/${t}`;
      hooks.routes.set(cb, { status: 403, body: { error: 'no' } });
      const auth = await saveNs(server, key, { connect_callback: hooks.url + cb });
      const why = await refusal(server, { ...c, nsp: key, query: { uuid: `d-${t}` } });
      assert.match(why, /callback/i);
      assert.match(why, /403/);
      assert.equal(hooks.requests(cb).length, 1);
      fails(await getClient(server, auth, `${key}#d-${t}#web-d-${t}`), 404, 'refused client');
    });

    it(`a hanging callback times out (callback_timeout) and refuses — ${g.label}`, T, async () => {
      const key = `/cbh_${t}`;
      const cb = `/hang/${t}`;
      hooks.routes.set(cb, { hang: true });
      const auth = await saveNs(server, key, { connect_callback: hooks.url + cb });
      const t0 = Date.now();
      const why = await refusal(server, { ...c, nsp: key, query: { uuid: `d-${t}` } });
      const took = Date.now() - t0;
      assert.match(why, /time/i);
      assert.ok(took >= 1300, `refused after ${took} ms, before callback_timeout`);
      fails(await getClient(server, auth, `${key}#d-${t}#web-d-${t}`), 404, 'refused client');
    });

    it(`an unreachable callback or an invalid callback userid refuses — ${g.label}`, T, async () => {
      const port = await q.freePort();
      await saveNs(server, `/cbu_${t}`, { connect_callback: `http://127.0.0.1:${port}/nothing` });
      assert.match(await refusal(server, { ...c, nsp: `/cbu_${t}`, query: { uuid: 'd' } }), /callback/i);
      const cb = `/baduser/${t}`;
      hooks.routes.set(cb, { status: 200, body: { userid: 'bad user' } });
      await saveNs(server, `/cbb_${t}`, { connect_callback: hooks.url + cb });
      assert.match(await refusal(server, { ...c, nsp: `/cbb_${t}`, query: { uuid: 'd' } }), /userid/i);
      const cb500 = `/err/${t}`;
      hooks.routes.set(cb500, { status: 500 });
      await saveNs(server, `/cbe_${t}`, { connect_callback: hooks.url + cb500 });
      assert.match(await refusal(server, { ...c, nsp: `/cbe_${t}`, query: { uuid: 'd' } }), /500/);
    });

    it(`a namespace going offline while the callback runs refuses the client — ${g.label}`, T, async () => {
      const key = `/cbd_${t}`;
      const cb = `/delay/${t}`;
      hooks.routes.set(cb, { status: 200, delayMs: 700 });
      const auth = await saveNs(server, key, { connect_callback: hooks.url + cb });
      const why = refusal(server, { ...c, nsp: key, query: { uuid: `d-${t}` } });
      await until(() => hooks.requests(cb).length === 1, 5000, 'the callback request');
      ok200(await setOffline(server, key, true));
      assert.match(await why, /offline/i);
      fails(await getClient(server, auth, `${key}#d-${t}#web-d-${t}`), 404, 'refused client');
      assert.equal(ok200(await api(server, 'GET', '/api/auth/report/online', { auth })).clientCount, 0);
    });

    it(`events emitted right after io() with a slow connect_callback are handled — ${g.label}`, T, async () => {
      const key = `/cbs_${t}`;
      const cb = `/slow/${t}`;
      hooks.routes.set(cb, { status: 200, delayMs: 400, body: { rooms: [`slowcb-${t}`] } });
      const auth = await saveNs(server, key, { connect_callback: hooks.url + cb });
      const s = tr.raw(server, { ...c, nsp: key, query: { uuid: `d-${t}` } });
      const okP = waitFor(s, 'ok');
      const replies = await Promise.all([
        request(s, 'joinRoom', `slow-${t}`),
        request(s, 'info', { mobile: 'early' }),
        request(s, 'leaveRoom', `slowcb-${t}`),
      ]);
      await okP;
      for (const r of replies) replied(r, 200);
      const rep = await roomReport(server, auth, `slow-${t}`, `slowcb-${t}`);
      assert.deepEqual(rep.map((x) => x.clientCount), [1, 0]);
      assert.equal((await clientInfo(server, auth, `${key}#d-${t}#web-d-${t}`)).mobile, 'early');
      s.close();
    });
  }
});

// ---- SPEC §9 security rules -----------------------------------------------------------

describe('SPEC §9: clients and namespaces cannot reach into others (per client generation)', () => {
  let server;
  let A;
  let B;
  const tr = tracker();
  before(async () => {
    server = await q.startQpush();
    A = await saveNs(server, '/sa');
    B = await saveNs(server, '/sb');
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  for (const g of GENS) {
    const t = g.tag;
    const c = { gen: g.gen, transports: g.transports };

    it(`joining another user's user_* room: 403 — ${g.label}`, T, async () => {
      const victim = await tr.ok(server, { nsp: '/sa', query: { uuid: `v-${t}`, userid: `victim-${t}` } });
      const s = await tr.ok(server, { ...c, nsp: '/sa', query: { uuid: `m-${t}`, userid: `mallory-${t}` } });
      replied(await request(s, 'joinRoom', `user_victim-${t}`), 403);
      replied(await request(s, 'joinRoom', [`fine-${t}`, `user_victim-${t}`]), 403);
      const spy = collect(s, 'push');
      const got = waitFor(victim, 'push');
      const r = await restPush(server, A, `user_victim-${t}`, { secret: 1 });
      assert.equal(r.expectAckCount, 1);
      await got;
      replied(await request(s, 'info', {}), 200); // round trip
      assert.deepEqual(spy, []);
      assert.equal(await roomCount(server, A, `fine-${t}`), 0);
      victim.close();
      s.close();
    });

    it(`writing another user's info via clientId: 403, nothing changes — ${g.label}`, T, async () => {
      const victim = await tr.ok(server, { nsp: '/sa', query: { uuid: `vi-${t}`, userid: `vict-${t}`, platform: 'ios' } });
      replied(await request(victim, 'info', { device_token: 'real-token', mobile: 'real' }), 200);
      const before = await clientInfo(server, A, victim.okPayload.clientId);
      const s = await tr.ok(server, { ...c, nsp: '/sa', query: { uuid: `vi-${t}`, userid: `mal-${t}`, platform: 'ios' } });
      replied(await request(s, 'info', { clientId: victim.okPayload.clientId, device_token: 'attacker', leaveMessage: false }), 403);
      assert.deepEqual(await clientInfo(server, A, victim.okPayload.clientId), before);
      victim.close();
      s.close();
    });

    it(`a client push goes into the client's own namespace only — ${g.label}`, T, async () => {
      const room = `shared-${t}`;
      const sender = await tr.ok(server, { ...c, nsp: '/sa', query: { uuid: `snd-${t}` } });
      const mate = await tr.ok(server, { nsp: '/sa', query: { uuid: `mate-${t}` } });
      const outsider = await tr.ok(server, { nsp: '/sb', query: { uuid: `out-${t}` } });
      for (const s of [sender, mate, outsider]) replied(await request(s, 'joinRoom', room), 200);
      const outsiderGot = collect(outsider, 'push');
      const mateGot = waitFor(mate, 'push');
      const r = await request(sender, 'push', { room, pushData: { from: 'sa' }, namespace: '/sb' });
      replied(r, 200);
      assert.equal(typeof r.id, 'number');
      const m = await mateGot;
      assert.equal(m.namespace, '/sa');
      assert.equal(m.id, r.id);
      // Barrier: a push in /sb reaches the outsider after anything earlier would have.
      const own = waitFor(outsider, 'push');
      await restPush(server, B, room, { from: 'sb' });
      await own;
      assert.equal(outsiderGot.length, 1, JSON.stringify(outsiderGot));
      assert.equal(outsiderGot[0].namespace, '/sb');
      assert.deepEqual(outsiderGot[0].pushData, { from: 'sb' });
      fails(await api(server, 'GET', `/api/auth/report/push/${r.id}`, { auth: B }), 404, 'the client push in /sb');
      for (const s of [sender, mate, outsider]) s.close();
    });
  }

  it('a client id cannot be forged from another user\'s parts (uuid or namespace with "#")', T, async () => {
    const victim = await tr.ok(server, { nsp: '/sa', query: { uuid: 'y', userid: 'u#web-x' } });
    assert.equal(victim.okPayload.clientId, '/sa#u#web-x#web-y');
    replied(await request(victim, 'info', { mobile: 'mine' }), 200);
    const stays = collect(victim, 'disconnect');
    // User "u" with uuid "x#web-y" would have the victim's client id.
    assert.match(await refusal(server, { nsp: '/sa', query: { uuid: 'x#web-y', userid: 'u' } }), /uuid/);
    // Nor can a namespace "/sa#u" exist, whose user "web-x" with uuid "y" would have it too.
    fails(await api(server, 'POST', '/api/admin/namespace/save', { auth: ADMIN, body: { key: '/sa#u', auth_passwd: 'p' } }), 400, 'key with #');
    replied(await request(victim, 'info', {}), 200);
    assert.deepEqual(stays, []);
    assert.equal((await clientInfo(server, A, victim.okPayload.clientId)).mobile, 'mine');
    victim.close();
  });

  it('reading another namespace\'s push report: 404', T, async () => {
    const r = await restPush(server, B, 'report-room', { x: 1 });
    ok200(await api(server, 'GET', `/api/auth/report/push/${r.id}`, { auth: B }), 'own report');
    fails(await api(server, 'GET', `/api/auth/report/push/${r.id}`, { auth: A }), 404, 'foreign report');
    fails(await api(server, 'GET', `/api/auth/report/push/${r.id}?ackDetail=true`, { auth: A }), 404, 'foreign report with detail');
    const listA = ok200(await api(server, 'GET', '/api/auth/report/push?page=1&size=500', { auth: A }));
    assert.ok(!listA.some((x) => x.id === r.id), 'foreign push not in the list');
  });

  it('another namespace\'s client via /api/auth/client: 404 (read and write), nothing changes', T, async () => {
    const s = await tr.ok(server, { nsp: '/sb', query: { uuid: 'target', userid: 'tu' } });
    const id = s.okPayload.clientId;
    const before = await clientInfo(server, B, id);
    fails(await getClient(server, A, id), 404, 'GET');
    fails(await api(server, 'POST', '/api/auth/client', { auth: A, body: { id } }), 404, 'POST read');
    fails(await api(server, 'POST', '/api/auth/client', { auth: A, body: { id, mobile: 'hijack', leaveMessage: false } }), 404, 'POST write');
    // room-apns / room-leave-message of /sa do not touch /sb's clients in a same-named room.
    replied(await request(s, 'joinRoom', 'same-name'), 200);
    ok200(await api(server, 'POST', '/api/auth/room-leave-message', { auth: A, body: { room: 'same-name', leaveMessage: false } }));
    ok200(await api(server, 'POST', '/api/auth/room-apns', { auth: A, body: { room: 'same-name', add: ['z'] } }));
    const after = await clientInfo(server, B, id);
    assert.deepEqual({ ...after, update_date: 0 }, { ...before, update_date: 0 });
    s.close();
  });
});

// ---- online reports ------------------------------------------------------------------------

describe('online reports (namespace, per room, admin)', () => {
  let server;
  let R;
  let R2;
  const tr = tracker();
  const ids = {};
  before(async () => {
    server = await q.startQpush();
    R = await saveNs(server, '/rep');
    R2 = await saveNs(server, '/rep2');
    // Clients of every generation: ua has an iOS and an Android device.
    const c1 = await tr.ok(server, { ...GENS[0], nsp: '/rep', query: { uuid: 'd1', userid: 'ua', platform: 'ios' } });
    const c2 = await tr.ok(server, { ...GENS[1], nsp: '/rep', query: { uuid: 'd2', userid: 'ua', platform: 'android' } });
    const c3 = await tr.ok(server, { ...GENS[2], nsp: '/rep', query: { uuid: 'd3', userid: 'ub' } });
    const c4 = await tr.ok(server, { ...GENS[3], nsp: '/rep', query: { uuid: 'd4', userid: 'uc', platform: 'android' } });
    const o1 = await tr.ok(server, { nsp: '/rep2', query: { uuid: 'o1', userid: 'ox' } });
    replied(await request(c1, 'joinRoom', ['ra', 'rb']), 200);
    replied(await request(c2, 'joinRoom', 'ra'), 200);
    replied(await request(c3, 'joinRoom', 'rb'), 200);
    replied(await request(c4, 'joinRoom', 'ra'), 200);
    replied(await request(o1, 'joinRoom', 'ra'), 200);
    await closeAndWait(c4); // stays a member: counted in the totals only
    Object.assign(ids, { c1: c1.okPayload.clientId, c2: c2.okPayload.clientId, c3: c3.okPayload.clientId });
    await until(async () => ok200(await api(server, 'GET', '/api/auth/report/online', { auth: R })).clientCount === 3, 5000, 'c4 offline');
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  const NS_REPORT = { roomCount: 2, userCount: 2, clientCount: 3, totalClientCount: 4 };
  const RB = { name: 'rb', userCount: 2, clientCount: 2, totalClientCount: 2, iosClientCount: 1, totalIOSClientCount: 1,
    androidClientCount: 0, totalAndroidClientCount: 0 };
  const RA = { name: 'ra', userCount: 1, clientCount: 2, totalClientCount: 3, iosClientCount: 1, totalIOSClientCount: 1,
    androidClientCount: 1, totalAndroidClientCount: 2 };

  it('GET /api/auth/report/online: {roomCount, userCount, clientCount, totalClientCount}', T, async () => {
    assert.deepEqual(ok200(await api(server, 'GET', '/api/auth/report/online', { auth: R })), NS_REPORT);
    assert.deepEqual(ok200(await api(server, 'GET', '/api/auth/report/online', { auth: R2 })),
      { roomCount: 1, userCount: 1, clientCount: 1, totalClientCount: 1 });
  });

  it('GET /api/auth/report/online?detail=true adds the room, user and client lists', T, async () => {
    const r = ok200(await api(server, 'GET', '/api/auth/report/online?detail=true', { auth: R }));
    assert.equal(r.roomCount, 2);
    assert.deepEqual([...r.room].sort(), ['ra', 'rb']);
    assert.deepEqual([...r.user].sort(), ['ua', 'ub']);
    assert.deepEqual([...r.client].sort(), [ids.c1, ids.c2, ids.c3].sort());
  });

  it('GET /api/auth/report/online?room=rb&room=ra: an array in request order', T, async () => {
    assert.deepEqual(ok200(await api(server, 'GET', '/api/auth/report/online?room=rb&room=ra', { auth: R })), [RB, RA]);
    assert.deepEqual(ok200(await api(server, 'GET', '/api/auth/report/online?room=ra', { auth: R })), [RA]);
    const none = ok200(await api(server, 'GET', '/api/auth/report/online?room=nobody', { auth: R }));
    assert.deepEqual(none, [{ ...RA, name: 'nobody', userCount: 0, clientCount: 0, totalClientCount: 0, iosClientCount: 0,
      totalIOSClientCount: 0, androidClientCount: 0, totalAndroidClientCount: 0 }]);
    const other = ok200(await api(server, 'GET', '/api/auth/report/online?room=ra', { auth: R2 }));
    assert.equal(other[0].clientCount, 1);
    assert.equal(other[0].totalClientCount, 1);
    for (const bad of ['room=bad%20room', `room=${'r'.repeat(101)}`, 'room=ra&room=b%2Fc%20d'])
      fails(await api(server, 'GET', `/api/auth/report/online?${bad}`, { auth: R }), 400, bad);
  });

  it('GET /api/admin/report/online: any namespace, its rooms, or the sum over all', T, async () => {
    assert.deepEqual(ok200(await api(server, 'GET', '/api/admin/report/online?namespace=%2Frep', { auth: ADMIN })), NS_REPORT);
    assert.deepEqual(ok200(await api(server, 'GET', '/api/admin/report/online?namespace=%2Frep&room=rb&room=ra', { auth: ADMIN })), [RB, RA]);
    const d = ok200(await api(server, 'GET', '/api/admin/report/online?namespace=%2Frep&detail=true', { auth: ADMIN }));
    assert.deepEqual([...d.client].sort(), [ids.c1, ids.c2, ids.c3].sort());
    const sum = ok200(await api(server, 'GET', '/api/admin/report/online', { auth: ADMIN }));
    assert.equal(sum.clientCount, 4);
    assert.equal(sum.totalClientCount, 5);
    assert.equal(sum.userCount, 3);
    assert.equal(sum.roomCount, 3);
    fails(await api(server, 'GET', '/api/admin/report/online?namespace=%2Fnope', { auth: ADMIN }), 404, 'unknown namespace');
    fails(await api(server, 'GET', '/api/admin/report/online?namespace=%2Frep&room=bad%20room', { auth: ADMIN }), 400, 'bad room');
    fails(await api(server, 'GET', '/api/admin/report/online', { auth: R }), 401, 'namespace credentials');
  });
});

// ---- room-apns, room-leave-message, client endpoints ------------------------------------

describe('room-apns, room-leave-message, GET/POST client', () => {
  let server;
  let auth;
  const tr = tracker();
  let ios;
  let android;
  let web;
  before(async () => {
    server = await q.startQpush();
    auth = await saveNs(server, '/rm');
    ios = await tr.ok(server, { ...GENS[3], nsp: '/rm', query: { uuid: 'i1', userid: 'ui', platform: 'ios' } });
    android = await tr.ok(server, { ...GENS[0], nsp: '/rm', query: { uuid: 'a1', userid: 'ua', platform: 'android' } });
    web = await tr.ok(server, { ...GENS[2], nsp: '/rm', query: { uuid: 'w1', userid: 'uw' } });
    replied(await request(ios, 'joinRoom', 'grp'), 200);
    replied(await request(android, 'joinRoom', ['grp', 'solo']), 200);
    await closeAndWait(android); // offline members count too
  });
  after(async () => { tr.closeAll(); if (server) await server.cleanup(); });

  const info = (s) => clientInfo(server, auth, s.okPayload.clientId);

  it('POST /api/auth/room-apns edits the DND list of every client in the room', T, async () => {
    ok200(await api(server, 'POST', '/api/auth/room-apns', { auth, body: { room: 'grp', add: ['x', 'y'] } }));
    assert.equal((await info(ios)).no_send_apns, 'x,y');
    assert.equal((await info(android)).no_send_apns, 'x,y');
    assert.equal((await info(web)).no_send_apns, '');
    assert.equal((await request(ios, 'apns', {})).data, 'x,y');
    ok200(await api(server, 'POST', '/api/auth/room-apns', { auth, body: { room: 'grp', remove: 'x', add: 'z' } }));
    assert.equal((await info(ios)).no_send_apns, 'y,z');
    ok200(await api(server, 'POST', '/api/auth/room-apns', { auth, body: { room: 'grp', add: ['q'], remove: ['q', 'y'] } }));
    assert.equal((await info(ios)).no_send_apns, 'z');
    assert.equal((await info(android)).no_send_apns, 'z');
    ok200(await api(server, 'POST', '/api/auth/room-apns', { auth, body: { room: 'empty-room', add: ['x'] } }), 'a room without clients');
  });

  it('room-apns bad input: 400 and nothing changes', T, async () => {
    const beforeIos = (await info(ios)).no_send_apns;
    for (const body of [{}, { add: ['x'] }, { room: 5, add: ['x'] }, { room: 'bad room', add: ['x'] }, { room: ['grp'], add: ['x'] },
      { room: 'r'.repeat(101), add: ['x'] }, { room: 'grp', add: 5 }, { room: 'grp', add: ['bad room'] }, { room: 'grp', add: [1] },
      { room: 'grp', remove: {} }, { room: 'grp', add: ['ok'], remove: [null] }, '{"room": "grp", "add": [', '[]'])
      fails(await api(server, 'POST', '/api/auth/room-apns', { auth, body }), 400, JSON.stringify(body));
    assert.equal((await info(ios)).no_send_apns, beforeIos);
  });

  it('POST /api/auth/room-leave-message sets leaveMessage of every client in the room; bad input 400', T, async () => {
    ok200(await api(server, 'POST', '/api/auth/room-leave-message', { auth, body: { room: 'grp', leaveMessage: false } }));
    assert.equal((await info(ios)).leaveMessage, false);
    assert.equal((await info(android)).leaveMessage, false);
    assert.equal((await info(web)).leaveMessage, true);
    for (const body of [{}, { leaveMessage: true }, { room: 'grp' }, { room: 'grp', leaveMessage: 'true' }, { room: 'grp', leaveMessage: 1 },
      { room: 5, leaveMessage: true }, { room: 'bad room', leaveMessage: true }, '{"room":"grp","leaveMessage":tru}'])
      fails(await api(server, 'POST', '/api/auth/room-leave-message', { auth, body }), 400, JSON.stringify(body));
    assert.equal((await info(ios)).leaveMessage, false);
    ok200(await api(server, 'POST', '/api/auth/room-leave-message', { auth, body: { room: 'solo', leaveMessage: true } }));
    assert.equal((await info(android)).leaveMessage, true);
    assert.equal((await info(ios)).leaveMessage, false);
    ok200(await api(server, 'POST', '/api/auth/room-leave-message', { auth, body: { room: 'grp', leaveMessage: true } }));
    assert.equal((await info(ios)).leaveMessage, true);
  });

  it('GET /api/auth/client/:id (percent-encoded id): the §3.2 fields; unknown or malformed 404', T, async () => {
    const r = await info(ios);
    for (const k of INFO_KEYS) assert.ok(k in r, k);
    assert.equal(r.userid, 'ui');
    for (const k of ['first_connect_time', 'last_connect_time', 'last_disconnect_time', 'update_date']) assert.equal(typeof r[k], 'number', k);
    assert.equal(typeof r.leaveMessage, 'boolean');
    const a = await info(android);
    assert.ok(a.last_disconnect_time >= a.last_connect_time, 'disconnected client');
    for (const id of ['/rm#nobody#web-x', '/rm#ui#ios-other', 'garbage', '/rm', '/rm#ui#desktop-i1'])
      fails(await getClient(server, auth, id), 404, id);
  });

  it('POST /api/auth/client: {id} reads, {id, fields} writes; bad input 400/404, nothing changes', T, async () => {
    const id = web.okPayload.clientId;
    const read = ok200(await api(server, 'POST', '/api/auth/client', { auth, body: { id } }));
    assert.equal(read.userid, 'uw');
    const t0 = Date.now();
    ok200(await api(server, 'POST', '/api/auth/client', { auth, body: { id, mobile: 'm-w', system: 'Linux', device_token: 'tw', leaveMessage: false } }));
    const after = await info(web);
    assert.equal(after.mobile, 'm-w');
    assert.equal(after.system, 'Linux');
    assert.equal(after.device_token, 'tw');
    assert.equal(after.leaveMessage, false);
    assert.ok(after.update_date >= t0 - 1000);
    assert.equal((await request(web, 'info', {})).data.mobile, 'm-w', 'the client sees the REST write');
    for (const body of [{}, { id: 5 }, { id: ['x'] }, { id, mobile: 5 }, { id, leaveMessage: 'no' }, { id, device_token: null },
      { id, mobile: 'changed', system: 7 }])
      fails(await api(server, 'POST', '/api/auth/client', { auth, body }), 400, JSON.stringify(body));
    fails(await api(server, 'POST', '/api/auth/client', { auth, body: { id: '/rm#ghost#web-g', mobile: 'x' } }), 404, 'unknown client');
    fails(await getClient(server, auth, '/rm#ghost#web-g'), 404, 'not created');
    assert.deepEqual(await info(web), after);
  });
});
