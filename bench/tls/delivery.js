'use strict';
// The cost of TLS per delivery (issue 16): runs qpush-server once without
// and once with TLS (self-signed P-256 certificate, both ports) and drives
// the same two loads over WebSocket (Engine.IO 4 / Socket.IO 5, written by
// hand on the `ws` package so that the client stays light):
//   fan-out  N clients in one room, pushes to that room (N deliveries each)
//   unicast  N clients, pushes to one random user room each (1 delivery)
// Pushes go through the REST API (HTTPS in the TLS run, keep-alive) with a
// bounded number in flight. Prints deliveries/s (wall) and the server's CPU
// seconds (utime + stime from /proc) per 1000 deliveries. Not a test: it
// prints figures. Loopback only; the client runs on the same machine, so
// deliveries/s are bounded by it too — the CPU cost per delivery is the
// server's own.
//
//   node bench/tls/delivery.js [--server build/server/qpush-server]
//     [--clients 500] [--fanout-pushes 200] [--unicast-pushes 5000] [--in-flight 16]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const https = require('node:https');
const { spawn, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const WebSocket = require(path.join(ROOT, 'tests/interop/node_modules/ws'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const BIN = path.resolve(opt('server', path.join(ROOT, 'build/server/qpush-server')));
const CLIENTS = Number(opt('clients', 500));
const FAN_PUSHES = Number(opt('fanout-pushes', 200));
const UNI_PUSHES = Number(opt('unicast-pushes', 5000));
const IN_FLIGHT = Number(opt('in-flight', 16));
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const NSP = '/bench';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-tlsbench-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
  '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1',
  '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem')], { stdio: 'ignore' });

let child = null;
process.on('exit', () => {
  if (child) child.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}

async function startServer(tls, tag) {
  const dir = path.join(work, tag);
  fs.mkdirSync(dir);
  const cfg = [
    'socket_ip: 127.0.0.1', 'socket_port: 0', 'logic_ip: 127.0.0.1', 'logic_port: 0',
    `data_dir: "${dir}"`, 'store: sqlite', 'admin_passwd: benchadmin', 'log_level: warning',
    'max_connections_per_ip: 0', 'handshake_rate_per_ip: 0',
  ];
  if (tls) cfg.push(`tls_cert: "${path.join(work, 'cert.pem')}"`, `tls_key: "${path.join(work, 'key.pem')}"`);
  fs.writeFileSync(path.join(dir, 'config.yaml'), cfg.join('\n') + '\n');
  child = spawn(BIN, ['--config', path.join(dir, 'config.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  const ports = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening socket=[^:]+:(\d+) api=[^:]+:(\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve({ socket: Number(m[1]), api: Number(m[2]) }); }
    });
    child.on('exit', (c) => { clearTimeout(t); reject(new Error(`server exited ${c}: ${err}`)); });
  });
  return { ...ports, pid: child.pid, tls };
}

async function stopServer() {
  const c = child;
  child = null;
  c.kill('SIGTERM');
  await new Promise((r) => { c.on('exit', r); setTimeout(() => { c.kill('SIGKILL'); r(); }, 5000); });
}

function rest(server, agent, method, p, body, auth) {
  const mod = server.tls ? https : http;
  const data = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: '127.0.0.1', port: server.api, method, path: p, agent, rejectUnauthorized: false,
      headers: {
        authorization: 'Basic ' + Buffer.from(auth).toString('base64'),
        ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
      },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${p}: ${res.statusCode} ${text}`))));
    });
    req.setTimeout(30000, () => req.destroy(new Error(`${p}: timeout`)));
    req.on('error', reject);
    req.end(data);
  });
}

// One hand-written Socket.IO v5 client: connects, joins `room` (if any) and
// counts push events.
function client(server, i, room, counter) {
  const scheme = server.tls ? 'wss' : 'ws';
  const url = `${scheme}://127.0.0.1:${server.socket}/socket.io/?EIO=4&transport=websocket&uuid=b${i}&userid=u${i}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false });
    const t = setTimeout(() => { ws.terminate(); reject(new Error(`client ${i}: not ready in 30 s`)); }, 30000);
    ws.on('error', (e) => { clearTimeout(t); reject(e); });
    ws.on('message', (data) => {
      const m = data.toString();
      if (m === '2') return ws.send('3');
      if (m.startsWith('0{')) return ws.send(`40${NSP},`);
      if (m.startsWith(`42${NSP},["push"`)) { counter.n++; return undefined; }
      if (m.startsWith(`42${NSP},["ok"`)) {
        if (!room) { clearTimeout(t); return resolve(ws); }
        return ws.send(`42${NSP},1["joinRoom","${room}"]`);
      }
      if (m.startsWith(`43${NSP},1`)) { clearTimeout(t); resolve(ws); }
      return undefined;
    });
  });
}

async function connectAll(server, room, counter) {
  const sockets = [];
  for (let i = 0; i < CLIENTS; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(CLIENTS, i + 50); j++) batch.push(client(server, j, room, counter));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function drive(server, pushes, roomOf, expected, counter) {
  const agent = new (server.tls ? https : http).Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const auth = `${NSP}:x`;
  const cpu0 = cpuTicks(server.pid);
  const t0 = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next < pushes) {
      const k = next++;
      await rest(server, agent, 'POST', '/api/auth/push', { room: roomOf(k), pushData: { k } }, auth);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const deadline = Date.now() + 60000;
  while (counter.n < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (cpuTicks(server.pid) - cpu0) / HZ;
  agent.destroy();
  return { delivered: counter.n, expected, wall, cpu };
}

async function run(tls) {
  const rows = [];
  for (const scenario of ['fanout', 'unicast']) {
    const server = await startServer(tls, `${tls ? 'tls' : 'plain'}-${scenario}`);
    const agent = new (tls ? https : http).Agent({ keepAlive: false });
    await rest(server, agent, 'POST', '/api/admin/namespace/save', { key: NSP, auth_passwd: 'x' }, 'admin:benchadmin');
    const counter = { n: 0 };
    const sockets = await connectAll(server, scenario === 'fanout' ? 'fan' : null, counter);
    const r = scenario === 'fanout'
      ? await drive(server, FAN_PUSHES, () => 'fan', FAN_PUSHES * CLIENTS, counter)
      : await drive(server, UNI_PUSHES, (k) => `user_u${(k * 7919) % CLIENTS}`, UNI_PUSHES, counter);
    for (const s of sockets) s.terminate();
    await stopServer();
    rows.push({ mode: tls ? 'TLS' : 'plain', scenario, ...r });
  }
  return rows;
}

(async () => {
  console.log(`qpush-server TLS cost per delivery: ${CLIENTS} websocket clients (EIO 4), ` +
    `fan-out ${FAN_PUSHES} pushes to one room, unicast ${UNI_PUSHES} pushes to user rooms, ` +
    `${IN_FLIGHT} REST pushes in flight, clients not acking; ${os.cpus().length} cores, ` +
    `load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const rows = [...(await run(false)), ...(await run(true))];
  console.log('| scenario | mode | deliveries | wall s | deliveries/s | server CPU s | CPU s per 1000 deliveries |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.mode} | ${r.delivered}/${r.expected} | ${r.wall.toFixed(2)} | ` +
      `${Math.round(r.delivered / r.wall)} | ${r.cpu.toFixed(2)} | ${(1000 * r.cpu / Math.max(1, r.delivered)).toFixed(4)} |`);
  }
  for (const scenario of ['fanout', 'unicast']) {
    const [p, t] = ['plain', 'TLS'].map((m) => rows.find((r) => r.scenario === scenario && r.mode === m));
    const cp = p.cpu / p.delivered;
    const ct = t.cpu / t.delivered;
    console.log(`${scenario}: TLS costs ${((ct / cp - 1) * 100).toFixed(0)} % more server CPU per delivery ` +
      `(${(1e6 * (ct - cp)).toFixed(1)} µs more each)`);
  }
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
