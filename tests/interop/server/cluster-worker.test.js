'use strict';
// Durable offline / APNs work shared by several worker nodes over one Redis
// (issue 15): the work of a leaveMessage push goes through the Redis Stream
// job queue (consumer group `workers`). A node without the worker role takes
// the push; worker W1 claims the job and is killed (-9) while the APNs
// answers are pending; worker W2 takes the job over after
// `worker_claim_timeout` (XAUTOCLAIM), finishes it, and the report counts
// every device exactly once. Afterwards no entry is left pending in the
// group and the job is never run again. On one redis-server and on a
// 3-master Redis Cluster.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const q = require('./qpush');
const { startStandIn } = require('../../support/apns-standin/standin-process.js');

const { api, connectOk, request, until, freePort } = q;
const T = { timeout: 240000 };
const WS4 = { gen: 4, transports: ['websocket'] };
const NSP = '/jobs';
const CLAIM_TIMEOUT = 1500;

const spawnedRedis = new Set();
process.on('exit', () => { for (const c of spawnedRedis) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

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
  spawnedRedis.add(child);
  child.on('exit', () => spawnedRedis.delete(child));
  return { child, ready, exited };
}

function redisCli(port, args) {
  return new Promise((resolve) => {
    const c = spawn('redis-cli', ['-c', '-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('exit', () => resolve(out));
  });
}

async function startRedisSetup(cluster) {
  const servers = [];
  for (let i = 0; i < (cluster ? 3 : 1); ++i) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-jobs-'));
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

function ok200(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}
const hexToken = () => crypto.randomBytes(32).toString('hex');
const uniq = (p) => `${p}${crypto.randomBytes(4).toString('hex')}`;

async function jobsCompleted(node) {
  const text = await (await fetch(`${node.apiUrl}/metrics`)).text();
  const m = /^qpush_offline_jobs_completed_total (\d+)$/m.exec(text);
  assert.ok(m, 'metrics carry qpush_offline_jobs_completed_total');
  return Number(m[1]);
}

const pushOf = (requests, id) => requests.filter((r) => r.headers['apns-collapse-id'] === `qpush-${id}`);

for (const mode of ['single', 'cluster'])
describe(`worker nodes share the job stream (${mode === 'single' ? 'one redis-server' : '3-master Redis Cluster'})`, () => {
  let servers = [];
  let standIn, A, W1, W2, auth;
  const nodes = [];

  before(async () => {
    standIn = await startStandIn();
    servers = await startRedisSetup(mode === 'cluster');
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const cfg = {
      store: 'redis', redis_address: mode === 'cluster' ? addresses : addresses[0],
      apns_host_dev: standIn.host, apns_ca_file: standIn.file('ca.pem'),
      worker_message_timeout: 500, worker_claim_timeout: CLAIM_TIMEOUT,
    };
    // A takes clients and pushes but runs no jobs; W1 is the only worker
    // when the push is made, so it is the one holding the job.
    A = await q.startQpush({ ...cfg, roles: ['socket', 'api'] });
    W1 = await q.startQpush({ ...cfg, roles: ['api', 'worker'] });
    nodes.push(A, W1);
    auth = await q.createNamespace(A, NSP);
    ok200(await api(A, 'POST', '/api/admin/namespace/save', { auth: q.ADMIN, body: { key: NSP, apns_list: [{
      name: 'tok', apns_env: 'dev', apns_topic: 'com.example.app',
      token_key: standIn.read('token.p8'), token_keyId: standIn.keyId, token_teamId: standIn.teamId,
    }] } }), 'apns_list');
    // W1 has the namespace's APNs entry (control plane) before the push.
    await until(async () => {
      const r = await api(W1, 'GET', '/api/admin/namespace/list?key=jobs', { auth: q.ADMIN });
      return r.status === 200 && JSON.stringify(r.body).includes('"name":"tok"');
    }, 10000, 'the namespace on W1');
  });

  after(async () => {
    for (const n of nodes) await n.cleanup();
    if (standIn) await standIn.cleanup();
    for (const s of servers) {
      s.child.kill('SIGKILL');
      await s.exited;
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('kill -9 of the worker holding the job: another worker finishes it, each device counted once', T, async () => {
    const room = uniq('k');
    const devices = [];
    for (let i = 0; i < 8; i++) {
      const s = await connectOk(A, { ...WS4, nsp: NSP, query: { uuid: uniq('dev'), platform: 'ios' } });
      assert.deepEqual(await request(s, 'joinRoom', [room]), { status: 200, msg: 'ok' });
      const token = hexToken();
      assert.deepEqual(await request(s, 'info', { device_token: token }), { status: 200, msg: 'ok' });
      s.close();
      devices.push({ clientId: s.okPayload.clientId, token });
    }
    await until(async () => {
      const online = ok200(await api(A, 'GET', '/api/auth/report/online?detail=true', { auth }), 'online').client;
      return devices.every((d) => !online.includes(d.clientId));
    }, 10000, 'devices offline');

    // The first answer comes at once, the others only after 6 s: W1 is killed
    // while they are pending, holding the claimed job.
    await standIn.rules({ [devices[0].token]: [200], '*': [{ status: 200, delayMs: 6000 }] });
    const r = ok200(await api(A, 'POST', '/api/auth/push', { auth, body: { room, pushData: { a: 1 }, apnsName: 'tok', leaveMessage: true } }), 'push');
    await until(async () => pushOf(await standIn.requests(), r.id).length >= devices.length, 30000, 'W1 sends every notification');
    W2 = await q.startQpush({ ...W1.config });
    nodes.push(W2);
    await new Promise((res) => setTimeout(res, 600)); // the first answer reaches the store
    await W1.kill();
    nodes.splice(nodes.indexOf(W1), 1);
    await standIn.rules({});

    const rep = await until(async () => {
      const x = ok200(await api(A, 'GET', `/api/auth/report/push/${r.id}`, { auth }), 'report');
      return x.result ? x : null;
    }, 60000, `W2 finishes push ${r.id}`);
    assert.equal(rep.apnsCount, devices.length, JSON.stringify(rep));
    assert.equal(rep.apnsSuccessCount, devices.length, JSON.stringify(rep));
    assert.equal(rep.result, `${devices.length} sent`);
    assert.equal(await jobsCompleted(W2), 1, 'W2 completed the job');
    const reqs = pushOf(await standIn.requests(), r.id);
    const perToken = new Map();
    for (const x of reqs) perToken.set(x.token, (perToken.get(x.token) || 0) + 1);
    assert.equal(perToken.size, devices.length);
    assert.equal(perToken.get(devices[0].token), 1, 'the answered device is not sent again');
    assert.ok(reqs.length > devices.length, 'W2 sent the unanswered ones again');

    // Acknowledged: nothing pending in the group, and never run again.
    await until(async () => /^0\b/.test(await redisCli(servers[0].port, ['XPENDING', 'p_{jobs}stream', 'workers'])), 10000, 'no pending entry');
    await new Promise((res) => setTimeout(res, 3 * CLAIM_TIMEOUT));
    assert.equal(pushOf(await standIn.requests(), r.id).length, reqs.length, 'no third run');
    const again = ok200(await api(A, 'GET', `/api/auth/report/push/${r.id}`, { auth }), 'report');
    assert.equal(again.apnsCount, devices.length);
    assert.equal(await jobsCompleted(W2), 1);
  });

  it('the surviving worker runs every later job once', T, async () => {
    // Android devices of a leaveMessage push: each gets the message in its
    // offline list exactly once, whichever worker ran the job.
    const room = uniq('a');
    const uuids = [];
    for (let i = 0; i < 3; i++) {
      const uuid = uniq('and');
      const s = await connectOk(A, { ...WS4, nsp: NSP, query: { uuid, platform: 'android' } });
      assert.deepEqual(await request(s, 'joinRoom', [room]), { status: 200, msg: 'ok' });
      s.close();
      uuids.push(uuid);
    }
    const before = await jobsCompleted(W2);
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push(ok200(await api(A, 'POST', '/api/auth/push', { auth, body: { room, pushData: { n: i }, leaveMessage: true } }), 'push').id);
    await until(async () => (await jobsCompleted(W2)) - before >= 5, 30000, 'W2 ran the five jobs');
    for (const uuid of uuids) {
      // The offline list comes right after `ok`: listen before connecting.
      const s = q.connect(A, { ...WS4, nsp: NSP, query: { uuid, platform: 'android' } });
      try {
        const list = await q.waitFor(s, 'offlineMessage', 10000);
        const got = list.map((m) => m.id);
        assert.deepEqual(got.filter((id) => ids.includes(id)), ids, `each message once, in order (${uuid})`);
      } finally { s.close(); }
    }
  });
});
