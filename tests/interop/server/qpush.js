'use strict';
// Harness of the qpush-server integration suites: starts the real binary
// (QPUSH_SERVER, set by CTest) on loopback with free ports and a temporary
// data dir, talks REST to its API port, and connects real socket.io clients
// (2.5 over EIO=3, 4.8 over EIO=4). Store under test: QPUSH_TEST_STORE
// (sqlite by default; "redis" starts a redis-server on a free port).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');

const NODE_MODULES = path.join(__dirname, '..', 'node_modules');
if (!fs.existsSync(path.join(NODE_MODULES, 'socket.io-client-4', 'package.json'))) {
  throw new Error(`${NODE_MODULES} is missing: run \`npm ci --prefix tests/interop\``);
}
const io4 = require(path.join(NODE_MODULES, 'socket.io-client-4'));
const io2 = require(path.join(NODE_MODULES, 'socket.io-client-2'));

const ADMIN = ['admin', 'adminpw'];
const EVENT_TIMEOUT_MS = 5000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// redis-server on a free loopback port, for QPUSH_TEST_STORE=redis.
async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('redis-server did not start')), 10000);
    child.stdout.on('data', (d) => { if (/Ready to accept connections/.test(String(d))) { clearTimeout(t); resolve(); } });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited ${code}`)); });
  });
  const redis = { port, stop: () => { child.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); } };
  startedRedis.push(redis);
  child.unref();
  for (const stream of [child.stdout, child.stderr]) stream.unref?.();
  return redis;
}

// Every redis-server the harness started dies with the test process, also
// the ones shared by a restarted qpush-server.
const startedRedis = [];
process.on('exit', () => { for (const r of startedRedis) { try { r.stop(); } catch { /* gone */ } } });

function yamlValue(v) {
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

// Starts qpush-server. `config` overrides keys of the YAML config.
// Resolves { socketPort, apiPort, socketUrl, dataDir, stop(), kill(), restart() }.
async function startQpush(config = {}, { dataDir, redis } = {}) {
  const bin = process.env.QPUSH_SERVER;
  if (!bin || !fs.existsSync(bin)) throw new Error(`QPUSH_SERVER=${bin} is not the built qpush-server`);
  const dir = dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-it-'));
  let redisServer = redis || null;
  const base = {
    socket_ip: '127.0.0.1', socket_port: 0, logic_ip: '127.0.0.1', logic_port: 0,
    data_dir: dir, admin_name: ADMIN[0], admin_passwd: ADMIN[1],
    worker_message_timeout: 300, client_push_interval: 1, callback_timeout: 1500,
    log_level: 'warning',
  };
  if ((process.env.QPUSH_TEST_STORE || 'sqlite') === 'redis') {
    if (!redisServer) redisServer = await startRedis();
    base.store = 'redis';
    base.redis_address = `127.0.0.1:${redisServer.port}`;
  }
  const cfg = { ...base, ...config };
  const cfgFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(cfgFile, Object.entries(cfg).map(([k, v]) => `${k}: ${yamlValue(v)}`).join('\n') + '\n');
  const child = spawn(bin, ['--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(cfg.__env || {}) } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; if (err.length > 100000) err = err.slice(-50000); });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ports = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`qpush-server not ready: ${out} ${err}`)), 15000);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`qpush-server exited ${code}: ${out} ${err}`)); });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /qpush-server listening socket=[^:]+:(\d+) api=[^:]+:(\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve({ socketPort: Number(m[1]), apiPort: Number(m[2]) }); }
    });
  });
  const server = {
    ...ports,
    socketUrl: `http://127.0.0.1:${ports.socketPort}`,
    apiUrl: `http://127.0.0.1:${ports.apiPort}`,
    dataDir: dir,
    config: cfg,
    redis: redisServer,
    child,
    exited,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      const r = await Promise.race([exited, new Promise((res) => setTimeout(() => res(null), 5000))]);
      if (!r) { child.kill('SIGKILL'); await exited; }
      return r;
    },
    async kill() { child.kill('SIGKILL'); await exited; },
    // Same data dir (and Redis), new process.
    async restart(extra = {}) { await server.stop(); return startQpush({ ...config, ...extra }, { dataDir: dir, redis: redisServer }); },
    async cleanup() {
      await server.stop();
      if (redisServer && !redis) redisServer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function authHeader(auth) {
  if (!auth) return {};
  if (typeof auth === 'string') return { authorization: auth };
  return { authorization: 'Basic ' + Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64') };
}

// REST call: resolves { status, body, headers }. `body` is sent as JSON
// unless it is a string (sent as is).
async function api(server, method, pathAndQuery, { auth, body, headers = {} } = {}) {
  const init = { method, headers: { ...authHeader(auth), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!init.headers['content-type']) init.headers['content-type'] = 'application/json';
  }
  const r = await fetch(server.apiUrl + pathAndQuery, init);
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

async function createNamespace(server, key, fields = {}) {
  const r = await api(server, 'POST', '/api/admin/namespace/save',
    { auth: ADMIN, body: { key, name: key.slice(1), auth_passwd: 'secret', ...fields } });
  if (r.status !== 200) throw new Error(`namespace ${key}: ${r.status} ${JSON.stringify(r.body)}`);
  return [key, 'secret'];
}

// A socket.io client of generation 2 (socket.io-client 2.5) or 4 (4.8).
// `query` goes to the handshake query; `auth` (v4 only) to the CONNECT payload.
function connect(server, { gen = 4, nsp = '/demo', query = {}, auth, transports = ['websocket'] } = {}) {
  const opts = { transports, forceNew: true, reconnection: false, timeout: 5000 };
  if (gen === 2) {
    const qs = new URLSearchParams(query).toString();
    return io2.connect(`${server.socketUrl}${nsp}${qs ? '?' + qs : ''}`, opts);
  }
  return io4(`${server.socketUrl}${nsp}`, { ...opts, query, ...(auth ? { auth } : {}) });
}

function waitFor(socket, event, timeoutMs = EVENT_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${event}" within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (...args) => { clearTimeout(t); resolve(args.length > 1 ? args : args[0]); });
  });
}

// Emits with an ack and resolves the reply.
function request(socket, event, arg, timeoutMs = EVENT_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ack for "${event}" within ${timeoutMs} ms`)), timeoutMs);
    socket.emit(event, arg, (reply) => { clearTimeout(t); resolve(reply); });
  });
}

// Connects and waits for `ok`; rejects with the refusal reason otherwise.
async function connectOk(server, opts) {
  const s = connect(server, opts);
  const ok = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no ok within 5 s')), EVENT_TIMEOUT_MS);
    s.once('ok', (m) => { clearTimeout(t); resolve(m); });
    s.once('connect_error', (e) => { clearTimeout(t); reject(new Error(`connect_error: ${e.message}`)); });
    s.once('error', (e) => { clearTimeout(t); reject(new Error(`error: ${typeof e === 'string' ? e : JSON.stringify(e)}`)); });
  });
  s.okPayload = ok;
  return s;
}

// Resolves the refusal reason of a connection that must be refused.
function refusal(server, opts) {
  const s = connect(server, opts);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { s.close(); reject(new Error('not refused within 5 s')); }, EVENT_TIMEOUT_MS);
    s.once('ok', () => { clearTimeout(t); s.close(); reject(new Error('connected although it must be refused')); });
    s.once('connect_error', (e) => { clearTimeout(t); s.close(); resolve(e.message); });
    s.once('error', (e) => { clearTimeout(t); s.close(); resolve(typeof e === 'string' ? e : (e && e.message) || JSON.stringify(e)); });
  });
}

// Collects every `event` the socket receives.
function collect(socket, event) {
  const list = [];
  socket.on(event, (m) => list.push(m));
  return list;
}

// Waits until fn() is truthy (polling every 20 ms) or fails after timeoutMs.
async function until(fn, timeoutMs = EVENT_TIMEOUT_MS, what = 'condition') {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const GENERATIONS = [
  { gen: 2, transports: ['polling'], label: 'socket.io-client 2.5 / polling' },
  { gen: 2, transports: ['websocket'], label: 'socket.io-client 2.5 / websocket' },
  { gen: 4, transports: ['polling'], label: 'socket.io-client 4.8 / polling' },
  { gen: 4, transports: ['websocket'], label: 'socket.io-client 4.8 / websocket' },
];

module.exports = {
  ADMIN, startQpush, startRedis, api, createNamespace, connect, connectOk, refusal, waitFor,
  request, collect, until, freePort, GENERATIONS,
};
