'use strict';
// A load loop, not a test: cross-node fan-out. Starts a redis-server and
// FANOUT_NODES qpush-server nodes (QPUSH_SERVER) on loopback, connects
// FANOUT_CLIENTS socket.io-client 4.8 websocket clients spread round-robin
// over the nodes, all in one room, then
//   1. FANOUT_SEQ pushes one at a time (each waits until every client got it):
//      last-client latency p50/p99 from just before the POST;
//   2. FANOUT_BURST pushes with FANOUT_INFLIGHT in flight: deliveries per
//      second, and per CPU-second summed over the nodes and Redis.
// Pushes go through the nodes' REST ports in turn. Bounded in count and time
// (every wait times out); exits non-zero if a client misses a push.
//
//   QPUSH_SERVER=build/server/qpush-server node tests/interop/server/cluster-fanout.js
//   env: FANOUT_NODES (3), FANOUT_CLIENTS (600), FANOUT_SEQ (50), FANOUT_BURST (200),
//        FANOUT_INFLIGHT (8)

const fs = require('node:fs');
const q = require('./qpush');

const NODES = Number(process.env.FANOUT_NODES || 3);
const CLIENTS = Number(process.env.FANOUT_CLIENTS || 600);
const SEQ = Number(process.env.FANOUT_SEQ || 50);
const BURST = Number(process.env.FANOUT_BURST || 200);
const INFLIGHT = Number(process.env.FANOUT_INFLIGHT || 8);
const TICK = 100; // clock ticks per second (/proc/<pid>/stat)

function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime
  } catch { return 0; }
}

function pct(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]; }

async function main() {
  const redis = await q.startRedis();
  const redisPid = Number(require('node:child_process').execFileSync('redis-cli', ['-p', String(redis.port), 'info', 'server'])
    .toString().match(/process_id:(\d+)/)[1]);
  const cfg = { store: 'redis', redis_address: `127.0.0.1:${redis.port}`, log_level: 'warning' };
  const nodes = [];
  for (let i = 0; i < NODES; ++i) nodes.push(await q.startQpush(cfg, { redis }));
  const auth = await q.createNamespace(nodes[0], '/fan');
  // Every node knows the namespace before clients connect.
  for (const n of nodes) await q.until(async () => {
    try { const s = await q.connectOk(n, { nsp: '/fan', query: { uuid: 'probe' } }); s.close(); return true; } catch { return false; }
  }, 10000, 'namespace on every node');

  const arrivals = new Map(); // push id -> count
  const lastArrival = new Map(); // push id -> ms
  const clients = [];
  for (let i = 0; i < CLIENTS; ++i) {
    const s = await q.connectOk(nodes[i % NODES], { nsp: '/fan', query: { uuid: `fan-${i}` } });
    s.on('push', (m) => { arrivals.set(m.id, (arrivals.get(m.id) || 0) + 1); lastArrival.set(m.id, performance.now()); });
    await q.request(s, 'joinRoom', 'fan');
    clients.push(s);
  }
  const push = async (i, pushData) => {
    const r = await q.api(nodes[i % NODES], 'POST', '/api/auth/push', { auth, body: { room: 'fan', pushData } });
    if (r.status !== 200) throw new Error(`push refused: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
  const complete = (id) => (arrivals.get(id) || 0) >= CLIENTS;

  const lat = [];
  for (let i = 0; i < SEQ; ++i) {
    const t0 = performance.now();
    const id = await push(i, { seq: i });
    await q.until(() => complete(id), 20000, `push ${id} to every client`);
    lat.push(lastArrival.get(id) - t0);
  }
  lat.sort((a, b) => a - b);

  const pids = [...nodes.map((n) => n.child.pid), redisPid];
  const cpu0 = pids.map(cpuSeconds);
  const ids = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: INFLIGHT }, async () => {
    while (next < BURST) { const i = next++; ids.push(await push(i, { burst: i })); }
  }));
  await q.until(() => ids.every(complete), 60000, 'burst delivered everywhere');
  const elapsed = (Math.max(...ids.map((id) => lastArrival.get(id))) - t0) / 1000;
  const cpu = pids.map(cpuSeconds).reduce((a, v, k) => a + v - cpu0[k], 0);
  const deliveries = BURST * CLIENTS;
  const dup = [...arrivals.values()].filter((c) => c > CLIENTS).length;

  console.log(`nodes=${NODES} clients=${CLIENTS} (${Math.ceil(CLIENTS / NODES)} per node)`);
  console.log(`sequential ${SEQ} pushes: last-client latency p50=${pct(lat, 0.5).toFixed(1)} ms p99=${pct(lat, 0.99).toFixed(1)} ms`);
  console.log(`burst ${BURST} pushes, ${INFLIGHT} in flight: ${(deliveries / elapsed).toFixed(0)} deliveries/s, ` +
    `${(deliveries / Math.max(cpu, 0.01)).toFixed(0)} deliveries per CPU-second (nodes + Redis: ${cpu.toFixed(2)} CPU-s)`);
  for (const s of clients) s.close();
  for (const n of nodes) await n.cleanup();
  redis.stop();
  if (dup) { console.error(`${dup} pushes delivered more than once`); process.exit(1); }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
