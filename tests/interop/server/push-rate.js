'use strict';
// A load loop, not a test: how many pushes per second POST /api/auth/push
// accepts, to user rooms with one online client each (issue 5's closing
// figure). Starts qpush-server (QPUSH_SERVER; store from QPUSH_TEST_STORE,
// sqlite by default) through the integration harness, connects N
// socket.io-client 4.8 websocket clients (each in its own user room), then
// pushes to random user rooms over keep-alive HTTP with a fixed number of
// requests in flight, for at most DURATION_MS or MAX_PUSHES, and prints the
// rate. Bounded in time and count; exits non-zero if a push is refused or a
// client misses one.
//
//   QPUSH_SERVER=build/server/qpush-server node tests/interop/server/push-rate.js
//   env: PUSH_RATE_CLIENTS (200), PUSH_RATE_INFLIGHT (16),
//        PUSH_RATE_DURATION_MS (10000), PUSH_RATE_MAX (20000)

const http = require('node:http');
const q = require('./qpush');

const N = Number(process.env.PUSH_RATE_CLIENTS || 200);
const INFLIGHT = Number(process.env.PUSH_RATE_INFLIGHT || 16);
const DURATION_MS = Number(process.env.PUSH_RATE_DURATION_MS || 10000);
const MAX_PUSHES = Number(process.env.PUSH_RATE_MAX || 20000);

function post(agent, server, auth, body) {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent, host: '127.0.0.1', port: server.apiPort, method: 'POST', path: '/api/auth/push',
      headers: {
        authorization: 'Basic ' + Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64'),
        'content-type': 'application/json', 'content-length': data.length,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function main() {
  const store = process.env.QPUSH_TEST_STORE || 'sqlite';
  const server = await q.startQpush({ log_level: 'warning' });
  const sockets = [];
  let received = 0;
  try {
    const auth = await q.createNamespace(server, '/load');
    for (let i = 0; i < N; i += 20) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 20); j++)
        batch.push(q.connectOk(server, { gen: 4, transports: ['websocket'], nsp: '/load', query: { uuid: `d${j}`, userid: `u${j}` } }));
      for (const s of await Promise.all(batch)) {
        s.on('push', () => { received++; });
        sockets.push(s);
      }
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: INFLIGHT });
    let sent = 0;
    let accepted = 0;
    let refused = 0;
    let expectSum = 0;
    const start = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - start) / 1e6;
    async function worker() {
      while (sent < MAX_PUSHES && elapsedMs() < DURATION_MS) {
        sent++;
        const u = Math.floor(Math.random() * N);
        const r = await post(agent, server, auth, { room: `user_u${u}`, pushData: { n: sent, t: 'load' } });
        if (r.status === 200) { accepted++; expectSum += JSON.parse(r.body).expectAckCount; } else {
          refused++;
          if (refused <= 3) console.error(`refused: ${r.status} ${r.body}`);
        }
      }
    }
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
    const ms = elapsedMs();
    agent.destroy();
    // Let the last deliveries arrive (bounded).
    const drainEnd = Date.now() + 5000;
    while (received < accepted && Date.now() < drainEnd) await new Promise((r) => setTimeout(r, 20));
    const rate = accepted / (ms / 1000);
    console.log(`store=${store} clients=${N} inflight=${INFLIGHT} accepted=${accepted} refused=${refused} ` +
      `seconds=${(ms / 1000).toFixed(2)} rate=${rate.toFixed(0)} pushes/s ` +
      `expectAckCount(sum)=${expectSum} delivered=${received}`);
    if (refused || received !== accepted || expectSum !== accepted) process.exitCode = 1;
  } finally {
    for (const s of sockets) s.close();
    await server.cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
