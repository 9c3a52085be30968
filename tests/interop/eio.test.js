'use strict';
// Raw Engine.IO interop: engine.io-client 3.5 (EIO=3) and 6.x (EIO=4) against
// the echo server at /engine.io/ (pingInterval 300, pingTimeout 200,
// maxPayload 1000000; "close-me" makes the server close the session).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const { Socket: Socket6 } = require('engine.io-client-6');
const eioClient3 = require('engine.io-client-3');

const T = { timeout: 15000 };

const CLIENTS = [
  { name: 'engine.io-client 3.5', eio: 3, create: (url, opts) => new eioClient3.Socket(url, opts) },
  { name: 'engine.io-client 6', eio: 4, create: (url, opts) => new Socket6(url, opts) },
];
const MODES = [
  { name: 'polling only', transports: ['polling'], upgrade: false, final: 'polling' },
  { name: 'websocket only', transports: ['websocket'], upgrade: false, final: 'websocket' },
  { name: 'polling -> websocket upgrade', transports: ['polling', 'websocket'], upgrade: true, final: 'websocket' },
];

let server;
before(async () => { server = await h.startServer(); });
after(async () => { if (server) await server.stop(); });

// Opens a socket; resolves { socket, handshake } once open (and, in upgrade
// mode with awaitUpgrade, once the transport is websocket).
async function connect(client, mode, { awaitUpgrade = true } = {}) {
  const socket = client.create(server.url, {
    path: '/engine.io/',
    transports: mode.transports,
    upgrade: mode.upgrade,
    rememberUpgrade: false,
  });
  socket.on('error', () => {}); // surfaced through close/timeouts; avoid unhandled errors
  const handshakeP = h.once(socket, 'handshake', 5000, ['close', 'error']);
  const upgradeP = mode.upgrade ? h.once(socket, 'upgrade', 5000, ['upgradeError', 'close']) : null;
  if (upgradeP) upgradeP.catch(() => {});
  const openP = h.once(socket, 'open', 5000, ['close', 'error']);
  openP.catch(() => {});
  const [handshake] = await handshakeP;
  await openP;
  if (upgradeP && awaitUpgrade) await upgradeP;
  return { socket, handshake, upgradeP };
}

function closeQuietly(socket) {
  try { socket.close(); } catch { /* already closed */ }
}

// Collects the next `n` messages.
function nextMessages(socket, n, ms = 10000) {
  return h.withTimeout(new Promise((resolve) => {
    const got = [];
    const onMsg = (data) => {
      got.push(data);
      if (got.length === n) {
        socket.removeListener('message', onMsg);
        resolve(got);
      }
    };
    socket.on('message', onMsg);
  }), ms, `${n} echoed message(s)`);
}

async function echo(socket, messages) {
  const p = nextMessages(socket, messages.length);
  for (const m of messages) socket.send(m);
  return p;
}

function assertSameBinary(actual, expected, what) {
  assert.ok(h.isBinary(actual), `${what}: expected binary, got ${typeof actual} ${String(actual).slice(0, 60)}`);
  const buf = h.toBuffer(actual);
  assert.equal(buf.length, expected.length, `${what}: length`);
  assert.ok(buf.equals(expected), `${what}: content differs`);
}

// Polls the session with a raw request: {status, json|text}. For a polling
// session a noop packet is a harmless POST; for a websocket session the
// server answers 400 (transport mismatch) while it is alive.
async function probeSession(eio, sid) {
  const body = eio === 3 ? '1:6' : '6';
  const res = await h.httpRequest(
    `${server.url}/engine.io/?EIO=${eio}&transport=polling&sid=${encodeURIComponent(sid)}`,
    { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } },
  );
  let json = null;
  try { json = JSON.parse(res.body.toString('utf8')); } catch { /* not JSON */ }
  return { status: res.status, json, text: res.body.toString('utf8') };
}

for (const client of CLIENTS) {
  for (const mode of MODES) {
    describe(`${client.name} / ${mode.name}`, () => {
      it('opens a session with the advertised handshake', T, async () => {
        const { socket, handshake } = await connect(client, mode);
        try {
          assert.equal(typeof handshake.sid, 'string');
          assert.ok(handshake.sid.length > 0);
          assert.equal(socket.id, handshake.sid);
          assert.equal(handshake.pingInterval, 300);
          assert.equal(handshake.pingTimeout, 200);
          if (client.eio === 4) assert.equal(handshake.maxPayload, 1000000);
          assert.ok(Array.isArray(handshake.upgrades));
          if (mode.transports[0] === 'polling') assert.deepEqual(handshake.upgrades, ['websocket']);
          else assert.deepEqual(handshake.upgrades, []);
          assert.equal(socket.readyState, 'open');
          assert.equal(socket.transport.name, mode.final);
        } finally {
          closeQuietly(socket);
        }
      });

      it('echoes text messages in order (both directions)', T, async () => {
        const { socket, upgradeP } = await connect(client, mode, { awaitUpgrade: false });
        try {
          const first = ['hello', 'héllo wörld ✓ 😀', 'x'.repeat(300), '{"json":[1,2]}'];
          // In upgrade mode these go out while the upgrade is in progress.
          assert.deepEqual(await echo(socket, first), first);
          if (upgradeP) await upgradeP;
          assert.equal(socket.transport.name, mode.final);
          const second = ['after', 'upgrade ✓', '42'];
          assert.deepEqual(await echo(socket, second), second);
        } finally {
          closeQuietly(socket);
        }
      });

      it('echoes binary messages (both directions)', T, async () => {
        const { socket } = await connect(client, mode);
        try {
          const msgs = [Buffer.from([0, 1, 2, 255]), h.pattern(4096, 3), Buffer.from('text-like bytes')];
          const got = await echo(socket, msgs);
          got.forEach((g, i) => assertSameBinary(g, msgs[i], `binary #${i}`));
          // Mixed text and binary keep their kind and order.
          const mixed = ['a', Buffer.from([9, 8, 7]), 'b'];
          const got2 = await echo(socket, mixed);
          assert.equal(got2[0], 'a');
          assertSameBinary(got2[1], mixed[1], 'mixed binary');
          assert.equal(got2[2], 'b');
        } finally {
          closeQuietly(socket);
        }
      });

      it('echoes a ~1 MB text message and a 700 KB binary message', { timeout: 30000 }, async () => {
        const { socket } = await connect(client, mode);
        try {
          // 999000 ASCII bytes: under maxPayload (1000000) including framing.
          const big = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(27750);
          assert.equal(big.length, 999000);
          const [back] = await echo(socket, [big]);
          assert.equal(typeof back, 'string');
          assert.equal(back.length, big.length);
          assert.ok(back === big, 'large text content differs');
          // 700000 bytes stay under maxPayload even base64-encoded over polling.
          const bin = h.pattern(700000, 11);
          const [binBack] = await echo(socket, [bin]);
          assertSameBinary(binBack, bin, 'large binary');
        } finally {
          closeQuietly(socket);
        }
      });

      it('keeps the session alive across several heartbeat intervals', T, async () => {
        const { socket } = await connect(client, mode);
        try {
          let beats = 0;
          let closed = null;
          // EIO4: the server pings (client emits "ping" on each).
          // EIO3: the client pings and the server answers (client emits "pong").
          socket.on(client.eio === 4 ? 'ping' : 'pong', () => { beats += 1; });
          socket.on('close', (reason) => { closed = reason; });
          // The point is elapsed time: 1.5 s = 5 pingIntervals of 300 ms.
          await h.delay(1500);
          assert.equal(closed, null, `session closed during heartbeat: ${closed}`);
          assert.ok(beats >= 3, `expected >= 3 heartbeats in 1.5 s, saw ${beats}`);
          assert.equal(socket.readyState, 'open');
          assert.deepEqual(await echo(socket, ['still alive']), ['still alive']);
        } finally {
          closeQuietly(socket);
        }
      });

      it('sees the close when the server closes the session', T, async () => {
        const { socket } = await connect(client, mode);
        const sid = socket.id;
        const closeP = h.once(socket, 'close', 5000);
        socket.send('close-me');
        const [reason] = await closeP;
        assert.equal(reason, 'transport close');
        assert.equal(socket.readyState, 'closed');
        // The session is gone on the server too.
        await h.waitFor(async () => {
          const r = await probeSession(client.eio, sid);
          return r.status === 400 && r.json && r.json.code === 1;
        }, 3000, 50, 'server to forget the session after close-me');
      });

      it('closes from the client side and the server drops the session', T, async () => {
        const { socket } = await connect(client, mode);
        const sid = socket.id;
        const alive = await probeSession(client.eio, sid);
        if (mode.final === 'polling') {
          assert.equal(alive.status, 200, `noop POST on live session: ${alive.status} ${alive.text}`);
        } else {
          // websocket session: a polling request for it is a transport mismatch
          assert.equal(alive.status, 400, `polling POST on websocket session: ${alive.status} ${alive.text}`);
          assert.notEqual(alive.json && alive.json.code, 1, 'live websocket session reported unknown');
        }
        const closeP = h.once(socket, 'close', 5000);
        socket.close();
        const [reason] = await closeP;
        assert.equal(reason, 'forced close');
        let last;
        await h.waitFor(async () => {
          last = await probeSession(client.eio, sid);
          return last.status === 400 && last.json && last.json.code === 1;
        }, 3000, 50, 'server to forget the session after client close').catch((e) => {
          throw new Error(`${e.message}; last answer ${last && last.status} ${last && last.text}`);
        });
        // And the server still serves new sessions.
        const again = await connect(client, mode);
        try {
          assert.deepEqual(await echo(again.socket, ['next']), ['next']);
        } finally {
          closeQuietly(again.socket);
        }
      });
    });
  }
}

describe('unknown session id', () => {
  for (const eio of [3, 4]) {
    it(`EIO=${eio} GET polling with sid=nope -> 400 {code:1,"Session ID unknown"}`, T, async () => {
      const res = await h.httpRequest(`${server.url}/engine.io/?EIO=${eio}&transport=polling&sid=nope`);
      assert.equal(res.status, 400, `body: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(JSON.parse(res.body.toString('utf8')), { code: 1, message: 'Session ID unknown' });
    });
    it(`EIO=${eio} POST polling with sid=nope -> 400 {code:1,"Session ID unknown"}`, T, async () => {
      const res = await h.httpRequest(`${server.url}/engine.io/?EIO=${eio}&transport=polling&sid=nope`,
        { method: 'POST', body: eio === 3 ? '6:4hello' : '4hello', headers: { 'Content-Type': 'text/plain' } });
      assert.equal(res.status, 400, `body: ${res.body}`);
      assert.deepEqual(JSON.parse(res.body.toString('utf8')), { code: 1, message: 'Session ID unknown' });
    });
  }
});

describe('process lifecycle', () => {
  it('stops on SIGTERM with a client connected, exit code 0', { timeout: 20000 }, async () => {
    const own = await h.startServer();
    const socket = new Socket6(own.url, { path: '/engine.io/', transports: ['websocket'] });
    socket.on('error', () => {});
    try {
      await h.once(socket, 'open', 5000, ['close', 'error']);
      const closeP = h.once(socket, 'close', 8000);
      const res = await own.stop();
      assert.deepEqual(res, { code: 0, signal: null }, `stderr: ${own.stderr().slice(-2000)}`);
      await closeP;
    } finally {
      closeQuietly(socket);
      await own.stop().catch(() => {});
    }
  });
});
