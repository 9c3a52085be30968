'use strict';
// Online state shared by several nodes (issue 15): a redis-server (or a
// 3-master Redis Cluster) and three qpush-server nodes A, B, C with a short
// node_timeout; socket.io 2.x and 4.x clients spread over them. Asserts:
// online reports (namespace and room forms, detail lists, the admin form and
// the namespace list) on ANY node equal the sum over the nodes; a push's
// expectAckCount (and its report's onlineClientCount) counts the room's
// clients on every node, `except` left out; a disconnect and a transfer show
// on every node; kill -9 of a node -> its clients leave the reports of the
// survivors within the bound (node_timeout + a third of it, plus slack for a
// loaded machine); a clean shutdown removes them at once; an APNs
// configuration saved through A is the one node C (the only worker) uses.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const q = require('./qpush');

const { api, createNamespace, connectOk, request, until, freePort } = q;

const T = { timeout: 90000 };
const NODE_TIMEOUT_MS = 3000;
const KINDS = [
  { gen: 2, transports: ['websocket'] },
  { gen: 4, transports: ['websocket'] },
  { gen: 2, transports: ['polling'] },
  { gen: 4, transports: ['polling'] },
];

let seq = 0;
const uniq = (p) => `${p}${++seq}`;

const spawned = new Set();
process.on('exit', () => { for (const c of spawned) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

function spawnRedis(port, dir, cluster) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('redis-server did not start')), 10000);
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (/Ready to accept connections/.test(out)) { clearTimeout(t); resolve(); } });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited ${code}: ${out}`)); });
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  spawned.add(child);
  child.on('exit', () => spawned.delete(child));
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

async function startRedisSetup(cluster) {
  const servers = [];
  for (let i = 0; i < (cluster ? 3 : 1); ++i) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-presence-'));
    const port = await freePort();
    const s = { port, dir, ...spawnRedis(port, dir, cluster) };
    await s.ready;
    servers.push(s);
  }
  if (cluster) {
    const out = await redisCli(servers[0].port, ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas', '0', '--cluster-yes']);
    assert.match(out, /All 16384 slots covered/, out);
    await until(async () => {
      for (const s of servers) if (!/cluster_state:ok/.test(await redisCli(s.port, ['cluster', 'info']))) return false;
      return true;
    }, 30000, 'cluster_state:ok');
  }
  return servers;
}

async function metric(node, name) {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`${node.apiUrl}/metrics`)).text());
  return m ? Number(m[1]) : undefined;
}

function ok200(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

for (const mode of ['single', 'cluster'])
describe(`online state over three nodes (${mode === 'single' ? 'one redis-server' : '3-master Redis Cluster'})`, () => {
  let servers = [];
  const nodes = [];
  let A, B, C;
  let cfg;
  const open = new Set();

  async function client(node, kind, nsp, { uuid, userid, platform, rooms = [] } = {}) {
    const query = { uuid: uuid || uniq('d') };
    if (userid) query.userid = userid;
    if (platform) query.platform = platform;
    const s = await connectOk(node, { gen: kind.gen, transports: kind.transports, nsp, query });
    open.add(s);
    s.clientId = s.okPayload.clientId;
    s.userid = userid || query.uuid;
    if (rooms.length) assert.deepEqual(await request(s, 'joinRoom', rooms), { status: 200, msg: 'ok' });
    return s;
  }

  function close(s) {
    s.close();
    open.delete(s);
  }

  const nsReport = async (node, auth) => ok200(await api(node, 'GET', '/api/auth/report/online?detail=true', { auth }), 'report/online');
  const roomReport = async (node, auth, rooms) =>
    ok200(await api(node, 'GET', `/api/auth/report/online?${rooms.map((r) => `room=${encodeURIComponent(r)}`).join('&')}`, { auth }), 'report/online?room');

  // Waits until every node reports `want` (the writes of a node reach Redis
  // in the event-loop pass after the change), then checks it on each.
  async function reportsEverywhere(what, auth, want, on = nodes) {
    for (const n of on) {
      let last;
      await until(async () => {
        last = await nsReport(n, auth);
        return last.clientCount === want.clientCount && last.userCount === want.userCount && last.roomCount === want.roomCount;
      }, 15000, `${what} on node ${n.apiPort}: ${JSON.stringify(want)}`).catch((e) => { throw new Error(`${e.message}, last ${JSON.stringify(last)}`); });
      if (want.client) assert.deepEqual(last.client, [...want.client].sort(), `${what}: client list on ${n.apiPort}`);
      if (want.user) assert.deepEqual(last.user, [...want.user].sort(), `${what}: user list on ${n.apiPort}`);
      if (want.room) assert.deepEqual(last.room, [...want.room].sort(), `${what}: room list on ${n.apiPort}`);
    }
  }

  before(async () => {
    servers = await startRedisSetup(mode === 'cluster');
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    cfg = { store: 'redis', redis_address: mode === 'cluster' ? addresses : addresses[0], node_timeout: NODE_TIMEOUT_MS, worker_message_timeout: 1500 };
    // C is the only worker: the APNs test sees which configuration C uses.
    A = await q.startQpush({ ...cfg, roles: ['socket', 'api'] });
    B = await q.startQpush({ ...cfg, roles: ['socket', 'api'] });
    C = await q.startQpush({ ...cfg, roles: ['socket', 'api', 'worker'] });
    nodes.push(A, B, C);
    // Namespace saves reach a node over its bus subscription (at-most-once):
    // every node subscribed before the first save.
    for (const n of nodes) await until(async () => (await metric(n, 'qpush_cluster_bus_ready')) === 1, 15000, `bus of ${n.apiPort}`);
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

  async function namespaceOnAll(nsp) {
    const auth = await createNamespace(A, nsp);
    for (const n of [B, C])
      await until(async () => {
        try { const s = await client(n, KINDS[1], nsp); close(s); return true; } catch { return false; }
      }, 10000, `${nsp} known on ${n.apiPort}`);
    // Those probes went away again: nobody is online.
    await reportsEverywhere('empty', auth, { clientCount: 0, userCount: 0, roomCount: 0 }, [A, B, C]);
    return auth;
  }

  it('online reports on any node equal the sum over the nodes', T, async () => {
    const nsp = uniq('/sum');
    const auth = await namespaceOnAll(nsp);
    const room = 'shared';
    const clients = [];
    // 12 clients, 4 per node, both generations and transports; user "twin"
    // has a device on A and one on C (one user, two clients).
    for (const [i, n] of [A, B, C].entries())
      for (const [k, kind] of KINDS.entries())
        clients.push(await client(n, kind, nsp, {
          userid: k === 0 && i !== 1 ? 'twin' : undefined,
          platform: ['web', 'ios', 'android', 'ios'][k],
          rooms: k === 3 ? [room, `own-${i}`] : [room],
        }));
    const users = [...new Set(clients.map((s) => s.userid))];
    await reportsEverywhere('12 clients', auth, {
      clientCount: 12, userCount: users.length, roomCount: 4,
      client: clients.map((s) => s.clientId), user: users, room: [room, 'own-0', 'own-1', 'own-2'],
    });
    for (const n of nodes) {
      const [shared, own1, none] = await roomReport(n, auth, [room, 'own-1', 'nobody-here']);
      assert.equal(shared.name, room);
      assert.equal(shared.clientCount, 12, `room clients on ${n.apiPort}`);
      assert.equal(shared.userCount, users.length, `room users on ${n.apiPort}`);
      assert.equal(shared.iosClientCount, 6);
      assert.equal(shared.androidClientCount, 3);
      assert.equal(shared.totalClientCount, 12);
      assert.deepEqual([own1.clientCount, own1.userCount, own1.iosClientCount], [1, 1, 1]);
      assert.deepEqual([none.clientCount, none.userCount], [0, 0]);
      const userRoom = (await roomReport(n, auth, ['user_twin']))[0];
      assert.equal(userRoom.clientCount, 2, 'both devices of the user, on two nodes');
    }
    // The admin forms: per namespace, summed over all, and the namespace list.
    const adminNs = ok200(await api(B, 'GET', `/api/admin/report/online?namespace=${encodeURIComponent(nsp)}`, { auth: q.ADMIN }), 'admin report');
    assert.equal(adminNs.clientCount, 12);
    const list = ok200(await api(C, 'GET', `/api/admin/namespace/list?key=${encodeURIComponent(nsp)}&online=true`, { auth: q.ADMIN }), 'list');
    assert.equal(list.list[0].clientCount, 12);
    assert.equal(list.list[0].userCount, users.length);

    // Leaving a room, a disconnect on B: every node sees it.
    assert.deepEqual(await request(clients[3], 'leaveRoom', ['own-0']), { status: 200, msg: 'ok' });
    close(clients[4]);
    const left = clients.filter((s, i) => i !== 4);
    const leftUsers = [...new Set(left.map((s) => s.userid))];
    await reportsEverywhere('after a leave and a disconnect', auth, {
      clientCount: 11, userCount: leftUsers.length, roomCount: 3, client: left.map((s) => s.clientId), room: [room, 'own-1', 'own-2'],
    });
    for (const s of left) close(s);
    await reportsEverywhere('all gone', auth, { clientCount: 0, userCount: 0, roomCount: 0, client: [], user: [], room: [] });
  });

  it('expectAckCount and onlineClientCount count the room on every node, except left out', T, async () => {
    const nsp = uniq('/ack');
    const auth = await namespaceOnAll(nsp);
    const room = 'r';
    const members = [];
    for (const n of [A, B, C]) for (const kind of KINDS) members.push(await client(n, kind, nsp, { rooms: [room] }));
    await client(B, KINDS[1], nsp, { rooms: ['elsewhere'] });
    await reportsEverywhere('13 online', auth, { clientCount: 13, userCount: 13, roomCount: 2 });
    for (const via of [A, B, C]) {
      const r = ok200(await api(via, 'POST', '/api/auth/push', { auth, body: { room, pushData: { via: via.apiPort } } }), 'push');
      assert.equal(r.expectAckCount, 12, `expectAckCount of a push through ${via.apiPort}`);
      const rep = ok200(await api(via, 'GET', `/api/auth/report/push/${r.id}`, { auth }), 'report');
      assert.equal(rep.onlineClientCount, 12);
      const ex = ok200(await api(via, 'POST', '/api/auth/push', { auth, body: { room, pushData: {}, except: members[5].clientId } }), 'push except');
      assert.equal(ex.expectAckCount, 11, 'except names a client on another node');
      const lost = ok200(await api(via, 'POST', '/api/auth/push', { auth, body: { room, pushData: {}, extra: 'lost' } }), 'lost');
      assert.equal(lost.expectAckCount, 0, 'a lost push is delivered to nobody');
    }
    // A client's own push: except defaults to the sender.
    const own = await request(members[0], 'push', { room, pushData: { own: 1 } });
    assert.equal(own.status, 200);
    const ownRep = ok200(await api(C, 'GET', `/api/auth/report/push/${own.id}`, { auth }), 'report');
    assert.equal(ownRep.onlineClientCount, 11);
    // A transfer moves online members on every node: the target room counts them.
    ok200(await api(A, 'POST', '/api/auth/transfer', { auth, body: { sourceRooms: [room], targetRoom: 'moved', type: 'join' } }), 'transfer');
    await until(async () => {
      const counts = await Promise.all(nodes.map(async (n) => (await roomReport(n, auth, ['moved']))[0].clientCount));
      return counts.every((c) => c === 12);
    }, 15000, 'the target room counted on every node');
    const moved = ok200(await api(B, 'POST', '/api/auth/push', { auth, body: { room: 'moved', pushData: {} } }), 'push moved');
    assert.equal(moved.expectAckCount, 12);
  });

  it('kill -9 of a node: its clients leave the reports of the survivors within the bound', T, async () => {
    const nsp = uniq('/kill');
    const auth = await namespaceOnAll(nsp);
    const room = 'k';
    const victim = await q.startQpush({ ...cfg, roles: ['socket', 'api'] });
    nodes.push(victim);
    await until(async () => {
      try { const s = await client(victim, KINDS[1], nsp); close(s); return true; } catch { return false; }
    }, 10000, `${nsp} known on the victim`);
    const stay = [];
    for (const n of [A, C]) for (const kind of KINDS.slice(0, 2)) stay.push(await client(n, kind, nsp, { rooms: [room] }));
    const doomed = [];
    for (const kind of KINDS) doomed.push(await client(victim, kind, nsp, { rooms: [room] }));
    const all = [...stay, ...doomed];
    await reportsEverywhere('before the kill', auth, { clientCount: 8, userCount: 8, roomCount: 1, client: all.map((s) => s.clientId) }, [A, B, C, victim]);
    const killedAt = Date.now();
    await victim.kill();
    for (const s of doomed) close(s);
    // The bound: the heartbeat expires after node_timeout, survivors look
    // every third of it; 20 s leaves room for a loaded machine.
    const survivors = [A, B, C];
    await reportsEverywhere('after the kill', auth, { clientCount: 4, userCount: 4, roomCount: 1, client: stay.map((s) => s.clientId) }, survivors);
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`# kill -9: the node's clients left the online reports of every survivor after ${seconds.toFixed(1)} s (node_timeout ${NODE_TIMEOUT_MS / 1000} s)`);
    assert.ok(seconds < 20, `gone after ${seconds} s`);
    const r = ok200(await api(B, 'POST', '/api/auth/push', { auth, body: { room, pushData: {} } }), 'push');
    assert.equal(r.expectAckCount, 4, 'expectAckCount no longer counts the dead node');
  });

  it('a node stalled longer than node_timeout is cleaned up, and counts its clients again when it resumes', T, async () => {
    const nsp = uniq('/stall');
    const auth = await namespaceOnAll(nsp);
    const stalled = await q.startQpush({ ...cfg, roles: ['socket', 'api'] });
    nodes.push(stalled);
    await until(async () => {
      try { const s = await client(stalled, KINDS[1], nsp); close(s); return true; } catch { return false; }
    }, 10000, `${nsp} known on the stalled node`);
    const onA = await client(A, KINDS[1], nsp);
    // WebSocket clients: their connections stay open while the node is stopped.
    const onStalled = [await client(stalled, KINDS[0], nsp, { rooms: ['s'] }), await client(stalled, KINDS[1], nsp, { rooms: ['s'] })];
    const everyone = [onA, ...onStalled].map((s) => s.clientId);
    await reportsEverywhere('before the stall', auth, { clientCount: 3, userCount: 3, roomCount: 1, client: everyone }, [A, B, C]);
    stalled.child.kill('SIGSTOP');
    try {
      await reportsEverywhere('while stalled', auth, { clientCount: 1, userCount: 1, roomCount: 0, client: [onA.clientId] }, [A, B, C]);
    } finally {
      stalled.child.kill('SIGCONT');
    }
    // Its heartbeat key is gone: it writes its clients again under a new id.
    await reportsEverywhere('after the stall', auth, { clientCount: 3, userCount: 3, roomCount: 1, client: everyone }, [A, B, C, stalled]);
    assert.ok(await metric(stalled, 'qpush_presence_resyncs_total') >= 1, 'the stalled node wrote its clients again');
    let reaped = 0;
    for (const n of [A, B, C]) reaped += await metric(n, 'qpush_presence_nodes_reaped_total');
    assert.ok(reaped >= 1, 'a survivor cleaned up');
    const r = ok200(await api(C, 'POST', '/api/auth/push', { auth, body: { room: 's', pushData: {} } }), 'push');
    assert.equal(r.expectAckCount, 2);
  });

  it('a clean shutdown removes the node\'s clients at once', T, async () => {
    const nsp = uniq('/bye');
    const auth = await namespaceOnAll(nsp);
    const leaving = await q.startQpush({ ...cfg, roles: ['socket', 'api'] });
    nodes.push(leaving);
    await until(async () => {
      try { const s = await client(leaving, KINDS[1], nsp); close(s); return true; } catch { return false; }
    }, 10000, `${nsp} known on the leaving node`);
    const stay = await client(A, KINDS[0], nsp);
    const going = [];
    for (const kind of KINDS) going.push(await client(leaving, kind, nsp, { rooms: ['x'] }));
    await reportsEverywhere('before the shutdown', auth, { clientCount: 5, userCount: 5, roomCount: 1 }, [A, B, C]);
    const r = await leaving.stop();
    assert.ok(r && r.code === 0, `a clean exit: ${JSON.stringify(r)}`);
    for (const s of going) close(s);
    // No waiting: gone when the process has exited.
    for (const n of [A, B, C]) {
      const rep = await nsReport(n, auth);
      assert.equal(rep.clientCount, 1, `right after the shutdown on ${n.apiPort}: ${JSON.stringify(rep)}`);
      assert.deepEqual(rep.client, [stay.clientId]);
      assert.equal(rep.roomCount, 0);
    }
  });

  it('an APNs configuration saved through A is the one the worker on C uses', T, async () => {
    const nsp = uniq('/apnscfg');
    const auth = await namespaceOnAll(nsp);
    const room = 'ios-room';
    const entry = (file) => ({ name: 'cfg', apns_env: 'dev', apns_topic: 'com.example.app', token_key: file, token_keyId: 'KEYID00000', token_teamId: 'TEAM000000' });
    const save = async (file) => ok200(await api(A, 'POST', '/api/admin/namespace/save', { auth: q.ADMIN, body: { key: nsp, apns_list: [entry(file)] } }), 'save');
    // An offline iOS device with a token, in the room (connected through B).
    const dev = await client(B, KINDS[1], nsp, { platform: 'ios', rooms: [room] });
    assert.deepEqual(await request(dev, 'info', { device_token: 'ab'.repeat(32) }), { status: 200, msg: 'ok' });
    close(dev);
    await reportsEverywhere('the device offline', auth, { clientCount: 0, userCount: 0, roomCount: 0 }, [A, B, C]);
    const resultOf = async (id) => until(async () => {
      const rep = ok200(await api(A, 'GET', `/api/auth/report/push/${id}`, { auth }), 'report');
      return rep.result ? rep.result : null;
    }, 30000, `APNs result of push ${id}`);
    for (const file of ['first-missing-key', 'second-missing-key']) {
      await save(file);
      // Pushed through A right after the save; only C's worker sends APNs.
      const r = ok200(await api(A, 'POST', '/api/auth/push', { auth, body: { room, pushData: { f: file }, apnsName: 'cfg', leaveMessage: true } }), 'push');
      assert.equal(r.expectAckCount, 0);
      const result = await resultOf(r.id);
      assert.match(result, new RegExp(`\\(${file}\\)`), `C used the configuration saved on A: ${result}`);
    }
  });
});
