'use strict';
// Several qpush-server nodes sharing one Redis (issue 15): a redis-server and
// three nodes A, B, C on free loopback ports, socket.io 2.x and 4.x clients
// spread over the nodes. Asserts: a room push sent to any node reaches every
// online member on every node exactly once; `except` and `extra: 'lost'`
// hold across nodes; a transfer moves members on every node; a namespace
// saved on A is accepted on C, turned offline on A it disconnects and
// refuses clients on C; peopleJoin/peopleLeave reach members on other nodes;
// a node whose subscriber was cut off reloads the namespaces; roles (an api-only node has no client port and its
// pushes reach every node; a socket-only node has no REST port and its clients
// get pushes from the others); Redis restarted mid-run (same port, AOF) -> the
// nodes reconnect, resubscribe and deliver again. Run on one redis-server
// and on a 3-master Redis Cluster (there a master is restarted).
//
// Absence is asserted with a fence (see push.test.js): pushes published by
// one node reach each subscriber in publish order, so after the fence that
// node published arrived everywhere, an earlier push that did not arrive never
// will.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const q = require('./qpush');

const { api, createNamespace, connect, connectOk, request, collect, until, freePort } = q;

const T = { timeout: 60000 };
const CLIENT_KINDS = [
  { gen: 2, transports: ['websocket'] },
  { gen: 4, transports: ['websocket'] },
  { gen: 2, transports: ['polling'] },
  { gen: 4, transports: ['polling'] },
];

let seq = 0;
const uniq = (p) => `${p}${++seq}`;

// Every redis-server this file started dies with the test process.
const spawnedRedis = new Set();
process.on('exit', () => { for (const c of spawnedRedis) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

// redis-server with an append-only file, so that a kill -9 and a start on the
// same port and directory keep the data (namespaces, counters).
function spawnRedis(port, dir, cluster) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('redis-server did not start')), 10000);
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (/Ready to accept connections/.test(out)) { clearTimeout(t); resolve(); } });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited ${code}: ${out}`)); });
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  spawnedRedis.add(child);
  child.on('exit', () => spawnedRedis.delete(child));
  return { child, ready, exited };
}

function redisCli(port, args) {
  return new Promise((resolve) => {
    const c = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('exit', () => resolve(out));
  });
}

// One redis-server, or a 3-master Redis Cluster (redis-cli --cluster create).
async function startRedisSetup(cluster) {
  const count = cluster ? 3 : 1;
  const servers = [];
  for (let i = 0; i < count; ++i) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-cluster-'));
    const port = await freePort();
    const s = { port, dir, ...spawnRedis(port, dir, cluster) };
    await s.ready;
    servers.push(s);
  }
  if (cluster) {
    const out = await redisCli(servers[0].port, ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas', '0', '--cluster-yes']);
    assert.match(out, /All 16384 slots covered/, out);
    await waitClusterOk(servers);
  }
  return servers;
}

async function waitClusterOk(servers) {
  await until(async () => {
    for (const s of servers) if (!/cluster_state:ok/.test(await redisCli(s.port, ['cluster', 'info']))) return false;
    return true;
  }, 30000, 'cluster_state:ok');
}

async function metric(node, name) {
  const r = await fetch(`${node.apiUrl}/metrics`);
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(await r.text());
  return m ? Number(m[1]) : undefined;
}

function ok200(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

for (const mode of ['single', 'cluster'])
describe(`three nodes over one Redis (${mode === 'single' ? 'one redis-server' : '3-master Redis Cluster'})`, () => {
  let servers = []; // redis-server processes
  const nodes = [];
  let A, B, C;
  let apiOnly, socketOnly; // --roles api / --roles socket
  const NSP = '/multi';
  let auth;
  const open = new Set();

  async function client(node, kind, { uuid, rooms = [], nsp = NSP, query = {} } = {}) {
    const s = await connectOk(node, { gen: kind.gen, transports: kind.transports, nsp, query: { uuid: uuid || uniq('u'), ...query } });
    open.add(s);
    s.pushes = collect(s, 'push');
    s.clientId = s.okPayload.clientId;
    s.node = node;
    if (rooms.length) assert.deepEqual(await request(s, 'joinRoom', rooms), { status: 200, msg: 'ok' });
    return s;
  }

  async function push(node, body, what = 'push') {
    const b = ok200(await api(node, 'POST', '/api/auth/push', { auth, body }), what);
    assert.equal(typeof b.id, 'number', what);
    return b;
  }

  // Pushes a fence through `node` and waits until every socket got it.
  async function fence(node, room, sockets) {
    const r = await push(node, { room, pushData: { fence: true } }, 'fence');
    await until(() => sockets.every((s) => s.pushes.some((p) => p.id === r.id)), 10000, `fence ${r.id}`);
  }

  const count = (s, id) => s.pushes.filter((p) => p.id === id).length;

  before(async () => {
    servers = await startRedisSetup(mode === 'cluster');
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const cfg = { store: 'redis', redis_address: mode === 'cluster' ? addresses : addresses[0] };
    for (let i = 0; i < 3; ++i) nodes.push(await q.startQpush(cfg));
    [A, B, C] = nodes;
    apiOnly = await q.startQpush({ ...cfg, roles: ['api', 'worker'] });
    socketOnly = await q.startQpush({ ...cfg, roles: ['socket'] });
    nodes.push(apiOnly, socketOnly);
    auth = await createNamespace(A, NSP);
  });

  after(async () => {
    for (const s of open) s.close();
    for (const n of nodes) await n.cleanup();
    for (const s of servers) {
      s.child.kill('SIGKILL');
      await s.exited;
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('a namespace saved on A is accepted on B and C', T, async () => {
    for (const n of [B, C]) {
      await until(async () => {
        try { const s = await client(n, CLIENT_KINDS[1]); s.close(); open.delete(s); return true; } catch { return false; }
      }, 10000, 'the namespace known on another node');
    }
  });

  it('a room push through any node reaches every member on every node exactly once', T, async () => {
    const room = uniq('room');
    const members = [];
    for (const n of [A, B, C])
      for (const k of CLIENT_KINDS) members.push(await client(n, k, { rooms: [room] }));
    const other = await client(C, CLIENT_KINDS[1], { rooms: [uniq('elsewhere')] });
    for (const via of [A, B, C]) {
      const r = await push(via, { room, pushData: { via: via.apiPort } });
      await until(() => members.every((s) => count(s, r.id) >= 1), 10000, `push ${r.id} everywhere`);
      await fence(via, room, members);
      for (const s of members) assert.equal(count(s, r.id), 1, `client on ${s.node.socketPort} got push ${r.id} once`);
      const ev = members[members.length - 1].pushes.find((p) => p.id === r.id);
      assert.deepEqual(ev.pushData, { via: via.apiPort });
      assert.equal(ev.room, room);
      assert.equal(ev.namespace, NSP);
    }
    assert.equal(other.pushes.length, 0, 'a client outside the room got nothing');
  });

  it('except and extra "lost" hold across nodes', T, async () => {
    const room = uniq('ex');
    const a = await client(A, CLIENT_KINDS[0], { rooms: [room] });
    const b = await client(B, CLIENT_KINDS[1], { rooms: [room] });
    const c = await client(C, CLIENT_KINDS[3], { rooms: [room] });
    const all = [a, b, c];
    const r = await push(B, { room, pushData: { ex: 1 }, except: c.clientId });
    const lost = await push(A, { room, pushData: { lost: 1 }, extra: 'lost' });
    await fence(A, room, all);
    await fence(B, room, all);
    assert.equal(count(a, r.id), 1);
    assert.equal(count(b, r.id), 1);
    assert.equal(count(c, r.id), 0, 'the except client on another node got nothing');
    for (const s of all) assert.equal(count(s, lost.id), 0, 'a lost push is delivered to nobody');
  });

  it('a transfer through A moves and tells the members on every node', T, async () => {
    const src = uniq('src');
    const target = uniq('target');
    const members = [await client(A, CLIENT_KINDS[1], { rooms: [src] }), await client(B, CLIENT_KINDS[0], { rooms: [src] }),
      await client(C, CLIENT_KINDS[2], { rooms: [src] })];
    const joins = members.map((s) => collect(s, 'joinRoom'));
    ok200(await api(A, 'POST', '/api/auth/transfer', { auth, body: { sourceRooms: [src], targetRoom: target, type: 'join' } }), 'transfer');
    await until(() => joins.every((j) => j.length === 1), 10000, 'joinRoom on every node');
    for (const j of joins) assert.deepEqual(j[0], { sourceRooms: [src], targetRoom: target, type: 'join', namespace: NSP });
    const r = await push(C, { room: target, pushData: { t: 1 } });
    await until(() => members.every((s) => count(s, r.id) === 1), 10000, 'push to the target room everywhere');
  });

  it('peopleJoin / peopleLeave reach the room members on every node', T, async () => {
    const room = uniq('people');
    const onB = await client(B, CLIENT_KINDS[0], { rooms: [room] });
    const onC = await client(C, CLIENT_KINDS[3], { rooms: [room] });
    const seen = [onB, onC].map((s) => {
      const ev = [];
      s.on('peopleJoin', (m) => ev.push(['peopleJoin', m]));
      s.on('peopleLeave', (m) => ev.push(['peopleLeave', m]));
      return ev;
    });
    const loud = await client(A, CLIENT_KINDS[1], { query: { userid: 'loud', activityBroadcast: 'true' } });
    const ownJoin = collect(loud, 'peopleJoin');
    assert.deepEqual(await request(loud, 'joinRoom', room), { status: 200, msg: 'ok' });
    await until(() => seen.every((ev) => ev.length === 1), 10000, 'peopleJoin on B and C');
    for (const ev of seen) {
      assert.equal(ev[0][0], 'peopleJoin');
      assert.equal(ev[0][1].sid, loud.clientId);
      assert.equal(ev[0][1].room, room);
      assert.equal(ev[0][1].userid, 'loud');
      assert.equal(ev[0][1].clientOffline, false);
    }
    loud.close();
    open.delete(loud);
    await until(() => seen.every((ev) => ev.length === 2), 10000, 'peopleLeave on B and C');
    for (const ev of seen) {
      assert.equal(ev[1][0], 'peopleLeave');
      assert.equal(ev[1][1].sid, loud.clientId);
      assert.equal(ev[1][1].clientOffline, true);
    }
    assert.deepEqual(ownJoin, [], 'the joining client is not told about itself');
    await fence(A, room, [onB, onC]);
    for (const ev of seen) assert.equal(ev.length, 2, 'each event exactly once');
  });

  it('roles: a node without socket opens no client port, without api no REST port; both take part', T, async () => {
    assert.equal(apiOnly.socketPort, 0, 'roles api,worker: no client port');
    assert.ok(apiOnly.apiPort > 0);
    assert.equal(socketOnly.apiPort, 0, 'roles socket: no REST port');
    assert.ok(socketOnly.socketPort > 0);
    const room = uniq('roles');
    let onSocketOnly;
    await until(async () => {
      try { onSocketOnly = await client(socketOnly, CLIENT_KINDS[1], { rooms: [room] }); return true; } catch { return false; }
    }, 10000, 'the namespace known on the socket-only node');
    const onA = await client(A, CLIENT_KINDS[0], { rooms: [room] });
    const r = await push(apiOnly, { room, pushData: { roles: 1 } });
    await until(() => count(onSocketOnly, r.id) === 1 && count(onA, r.id) === 1, 10000, 'push through the api-only node');
    await fence(apiOnly, room, [onSocketOnly, onA]);
    assert.equal(count(onSocketOnly, r.id), 1);
    assert.equal(count(onA, r.id), 1);
  });

  it('Redis restarted mid-run: the nodes resubscribe and deliver again', T, async () => {
    const room = uniq('restart');
    const members = [await client(A, CLIENT_KINDS[1], { rooms: [room] }), await client(B, CLIENT_KINDS[0], { rooms: [room] }),
      await client(C, CLIENT_KINDS[3], { rooms: [room] })];
    const withApi = [A, B, C, apiOnly];
    for (const n of withApi) assert.equal(await metric(n, 'qpush_cluster_bus_ready'), 1);
    // The first redis-server: on a cluster the master the subscribers use first.
    const victim = servers[0];
    victim.child.kill('SIGKILL');
    await victim.exited;
    for (const n of withApi) await until(async () => (await metric(n, 'qpush_cluster_bus_ready')) === 0, 15000, 'bus down');
    Object.assign(victim, spawnRedis(victim.port, victim.dir, mode === 'cluster'));
    await victim.ready;
    if (mode === 'cluster') await waitClusterOk(servers);
    for (const n of withApi) await until(async () => (await metric(n, 'qpush_cluster_bus_ready')) === 1, 20000, 'bus back');
    // The store reconnects on its own schedule: retry until a push is accepted.
    const r = await until(async () => {
      const res = await api(B, 'POST', '/api/auth/push', { auth, body: { room, pushData: { back: 1 } } });
      return res.status === 200 ? res.body : null;
    }, 20000, 'a push accepted after the restart');
    await until(() => members.every((s) => count(s, r.id) === 1), 10000, 'delivery after the restart');
    for (const n of nodes) assert.equal(n.child.exitCode, null, 'no node crashed');
  });

  it('a node whose subscriber was cut off catches up on namespace changes it missed', T, async () => {
    const nsp2 = '/missed';
    await createNamespace(A, nsp2);
    let onC;
    await until(async () => {
      try { onC = await client(C, CLIENT_KINDS[1], { nsp: nsp2 }); return true; } catch { return false; }
    }, 10000, 'the new namespace known on C');
    const gone = new Promise((resolve) => onC.once('disconnect', resolve));
    // Drop every subscriber connection (the stores' connections stay), then
    // turn the namespace offline at once: the control message is published
    // while C's subscriber is reconnecting; C must learn of it anyway.
    for (const s of servers) await redisCli(s.port, ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    ok200(await api(A, 'POST', '/api/admin/namespace/save', { auth: q.ADMIN, body: { key: nsp2, offline: true } }), 'offline on');
    await Promise.race([gone, new Promise((_, rej) => setTimeout(() => rej(new Error('not disconnected within 15 s')), 15000))]);
  });

  it('a push C missed while cut off from the bus is recovered through sync (serverNum)', T, async () => {
    const room = uniq('missed');
    const s = await client(C, CLIENT_KINDS[1], { rooms: [room] });
    const p0 = await push(A, { room, pushData: { n: 0 } });
    await until(() => count(s, p0.id) === 1, 10000, 'p0 on C');
    const first = s.pushes.find((p) => p.id === p0.id).serverNum;
    // Cut every subscriber connection and push while C resubscribes: pub/sub
    // is at-most-once, so C's client may never see p1 live.
    for (const r of servers) await redisCli(r.port, ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await until(async () => (await metric(C, 'qpush_cluster_bus_ready')) === 0, 5000, 'C off the bus').catch(() => {});
    const p1 = await push(A, { room, pushData: { n: 1 } });
    await until(async () => (await metric(C, 'qpush_cluster_bus_ready')) === 1, 20000, 'C back on the bus');
    // Whether or not it came live, sync on C returns it, once, from the store.
    const r = await request(s, 'sync', { room, clientNum: first + 1, fetch: true });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.serverNum, first + 2, JSON.stringify(r));
    assert.deepEqual(r.msgList.map((m) => m.id), [p1.id], JSON.stringify(r));
    assert.deepEqual(r.msgList[0].pushData, { n: 1 });
  });

  it('a namespace turned offline on A disconnects and refuses its clients on C', T, async () => {
    const onC = await client(C, CLIENT_KINDS[1]);
    const onB = await client(B, CLIENT_KINDS[2]);
    const gone = [onC, onB].map((s) => new Promise((resolve) => s.once('disconnect', resolve)));
    ok200(await api(A, 'POST', '/api/admin/namespace/save', { auth: q.ADMIN, body: { key: NSP, offline: true } }), 'offline on');
    await Promise.race([Promise.all(gone), new Promise((_, rej) => setTimeout(() => rej(new Error('not disconnected within 10 s')), 10000))]);
    const reason = await q.refusal(C, { gen: 4, transports: ['websocket'], nsp: NSP, query: { uuid: 'late' } });
    assert.match(reason, /offline/);
    ok200(await api(A, 'POST', '/api/admin/namespace/save', { auth: q.ADMIN, body: { key: NSP, offline: false } }), 'offline off');
    await until(async () => {
      try { const s = await client(C, CLIENT_KINDS[1]); s.close(); open.delete(s); return true; } catch { return false; }
    }, 10000, 'accepted again on C');
  });
});

// Polling clients through packaging/nginx/qpush-cluster.conf (its upstream
// ports replaced by the test nodes'): the uuid hash keeps every request of a
// session on one node, so sessions survive many polls, clients land on
// several nodes, and a push reaches each exactly once.
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
describe('polling clients through the nginx sample (sticky on uuid)', { skip: NGINX ? false : 'nginx is not installed (scripts/setup.sh installs nginx-light)' }, () => {
  let servers = [];
  const nodes = [];
  let ngx;
  let ngxDir;
  let proxy; // { socketUrl, apiUrl } as the harness expects
  const NSP = '/viaproxy';
  let auth;
  const open = new Set();

  before(async () => {
    servers = await startRedisSetup(false);
    const cfg = { store: 'redis', redis_address: `127.0.0.1:${servers[0].port}` };
    for (let i = 0; i < 3; ++i) nodes.push(await q.startQpush(cfg));
    auth = await createNamespace(nodes[0], NSP);

    const sample = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'packaging', 'nginx', 'qpush-cluster.conf'), 'utf8');
    const port = await freePort();
    const upstream = (name, ports) => (text) => text.replace(new RegExp(`(upstream ${name} \\{[^}]*?)((?:\\s*server [^;]+;[^\\n]*)+)`),
      (_, head) => `${head}\n${ports.map((p) => `    server 127.0.0.1:${p};`).join('\n')}`);
    let site = upstream('qpush_clients', nodes.map((n) => n.socketPort))(sample);
    site = upstream('qpush_api', [nodes[0].apiPort])(site);
    site = site.replace(/listen 80;/, `listen 127.0.0.1:${port};`).replace(/\s*listen \[::\]:80;/, '');
    assert.ok(site.includes(`server 127.0.0.1:${nodes[2].socketPort};`) && !site.includes(':21314;'), site);
    ngxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-nginx-'));
    fs.writeFileSync(path.join(ngxDir, 'site.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${ngxDir}/${t};`).join('\n');
    fs.writeFileSync(path.join(ngxDir, 'nginx.conf'), `daemon off;\nmaster_process off;\npid ${ngxDir}/nginx.pid;\nerror_log ${ngxDir}/error.log;\nevents {}\nhttp {\n  access_log off;\n${temp}\n  include ${ngxDir}/site.conf;\n}\n`);
    ngx = spawn(NGINX, ['-p', ngxDir, '-c', path.join(ngxDir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    spawnedRedis.add(ngx); // killed with the test process too
    proxy = { socketUrl: `http://127.0.0.1:${port}`, apiUrl: `http://127.0.0.1:${port}` };
    await until(async () => { try { return (await fetch(`${proxy.apiUrl}/health`)).status === 200; } catch { return false; } }, 10000, 'nginx up');
  });

  after(async () => {
    for (const s of open) s.close();
    if (ngx) { ngx.kill('SIGKILL'); await new Promise((r) => (ngx.exitCode !== null ? r() : ngx.on('exit', r))); }
    for (const n of nodes) await n.cleanup();
    for (const s of servers) { s.child.kill('SIGKILL'); await s.exited; fs.rmSync(s.dir, { recursive: true, force: true }); }
    if (ngxDir) fs.rmSync(ngxDir, { recursive: true, force: true });
  });

  it('sessions stay on one node, clients spread over the nodes, pushes arrive once', T, async () => {
    const room = 'proxied';
    const clients = [];
    // 12 uuids: with three nodes, all on one node is very unlikely (ports,
    // hence the hash ring, change every run).
    for (let i = 0; i < 12; ++i) {
      const gen = i % 2 ? 2 : 4;
      const s = await connectOk(proxy, { gen, transports: ['polling'], nsp: NSP, query: { uuid: `proxied-uuid-${i}` } });
      open.add(s);
      s.pushes = collect(s, 'push');
      s.drops = collect(s, 'disconnect');
      assert.deepEqual(await request(s, 'joinRoom', room), { status: 200, msg: 'ok' });
      clients.push(s);
    }
    const perNode = [];
    for (const n of nodes) perNode.push(await metric(n, 'qpush_socketio_clients'));
    assert.equal(perNode.reduce((a, b) => a + b, 0), clients.length, `clients per node ${perNode}`);
    assert.ok(perNode.filter((c) => c > 0).length >= 2, `clients spread over the nodes: ${perNode}`);
    for (let round = 0; round < 3; ++round) {
      const r = ok200(await api(proxy, 'POST', '/api/auth/push', { auth, body: { room, pushData: { round } } }), 'push');
      await until(() => clients.every((s) => count(s, r.id) === 1), 10000, `push ${r.id} through nginx`);
    }
    const last = ok200(await api(proxy, 'POST', '/api/auth/push', { auth, body: { room, pushData: { fence: 1 } } }), 'fence');
    await until(() => clients.every((s) => count(s, last.id) === 1), 10000, 'fence');
    for (const s of clients) {
      assert.equal(s.pushes.length, 4, 'every push exactly once');
      assert.deepEqual(s.drops, [], 'no session was lost between polls');
    }
  });

  const count = (s, id) => s.pushes.filter((p) => p.id === id).length;
});
