'use strict';
// Socket.IO interop: socket.io-client 2.5 (EIO=3, protocol v4) and 4.8 (EIO=4,
// protocol v5) against the test namespaces served at /socket.io/.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const sio4 = require('socket.io-client-4');
const sio2 = require('socket.io-client-2');

const T = { timeout: 15000 };

const CLIENTS = [
  {
    name: 'socket.io-client 2.5',
    v2: true,
    manager: (url, opts) => new sio2.Manager(url, opts),
    // v2 sends the auth-ish data as a query (engine URL for "/", CONNECT packet for others).
    socketOpts: (data) => (data ? { query: data } : {}),
  },
  {
    name: 'socket.io-client 4.8',
    v2: false,
    manager: (url, opts) => new sio4.Manager(url, opts),
    socketOpts: (data) => (data ? { auth: data } : {}),
  },
];
const MODES = [
  { name: 'polling', transports: ['polling'] },
  { name: 'websocket', transports: ['websocket'] },
  { name: 'polling -> websocket upgrade', transports: ['polling', 'websocket'], upgrade: true },
];

let server;
before(async () => { server = await h.startServer(); });
after(async () => { if (server) await server.stop(); });

// ---- helpers ------------------------------------------------------------------

const managers = new Set();

function newManager(client, mode, extra = {}) {
  const m = client.manager(server.url, {
    path: '/socket.io/',
    transports: mode.transports,
    upgrade: Boolean(mode.upgrade),
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    timeout: 5000,
    forceNew: true,
    ...extra,
  });
  managers.add(m);
  return m;
}

function closeManager(m) {
  managers.delete(m);
  try {
    if (typeof m.reconnection === 'function') m.reconnection(false);
    for (const s of Object.values(m.nsps || {})) {
      try { s.disconnect(); } catch { /* ignore */ }
    }
    if (typeof m._close === 'function') m._close();
    else if (typeof m.close === 'function') m.close();
    if (m.engine && typeof m.engine.close === 'function') m.engine.close();
  } catch { /* already closed */ }
}

// Creates a socket for `nsp` and resolves once connected, with the payload of
// the server's "auth" event that follows the connection.
async function connectSocket(client, manager, nsp, data) {
  const socket = manager.socket(nsp, client.socketOpts(data));
  const authP = h.once(socket, 'auth', 5000);
  authP.catch(() => {});
  await h.once(socket, 'connect', 5000, ['connect_error', 'error']);
  const [auth] = await authP;
  return { socket, auth };
}

// Emits with an acknowledgement; resolves with the ack's argument array.
function emitAck(socket, event, ...args) {
  return h.withTimeout(new Promise((resolve) => {
    socket.emit(event, ...args, (...reply) => resolve(reply));
  }), 5000, `ack for "${event}"`);
}

// Binary-aware structural form: Buffers/ArrayBuffers -> {$bin: hex}.
function norm(x) {
  if (h.isBinary(x)) return { $bin: h.toBuffer(x).toString('hex') };
  if (Array.isArray(x)) return x.map(norm);
  if (x && typeof x === 'object') {
    const o = {};
    for (const k of Object.keys(x)) o[k] = norm(x[k]);
    return o;
  }
  return x;
}

// Records every emission of `event` on each socket of `sockets` (name -> socket).
function recorder(sockets, event) {
  const got = {};
  for (const [name, s] of Object.entries(sockets)) {
    got[name] = [];
    s.on(event, (...args) => got[name].push(norm(args)));
  }
  return got;
}

// Ack-confirmed barrier: one acknowledged round trip per socket. The server
// writes to one connection in order, so anything it emitted to a socket
// before answering is already delivered when the ack arrives; a short settle
// window then catches late duplicates.
async function barrier(sockets) {
  await Promise.all(Object.values(sockets).map((s) => emitAck(s, 'whoami')));
  await h.delay(100);
}

after(() => { for (const m of [...managers]) closeManager(m); });

// ---- tests -----------------------------------------------------------------------

for (const client of CLIENTS) {
  for (const mode of MODES) {
    describe(`${client.name} / ${mode.name}`, () => {
      it('connects "/" and "/custom" multiplexed on one connection, with auth', T, async () => {
        const manager = newManager(client, mode, client.v2 ? { query: { token: 't-root' } } : {});
        let opens = 0;
        manager.on('open', () => { opens += 1; });
        try {
          const root = await connectSocket(client, manager, '/', client.v2 ? null : { token: 't-root' });
          const custom = await connectSocket(client, manager, '/custom', { ns: 'custom' });
          assert.equal(root.socket.io, manager);
          assert.equal(custom.socket.io, manager);
          assert.equal(opens, 1, 'both namespaces must share a single engine connection');
          assert.ok(manager.engine && manager.engine.readyState === 'open');
          if (mode.upgrade) {
            if (manager.engine.transport.name !== 'websocket') {
              await h.once(manager.engine, 'upgrade', 5000, ['upgradeError', 'close']);
            }
            assert.equal(manager.engine.transport.name, 'websocket');
            // both namespaces keep working over the upgraded transport
            const [again] = await emitAck(root.socket, 'message-with-ack', 'upgraded');
            assert.equal(again, 'upgraded');
            assert.ok(custom.socket.connected);
          } else {
            assert.equal(manager.engine.transport.name, mode.transports[0]);
          }
          assert.ok(root.socket.connected && custom.socket.connected);
          // auth payload echoed by the server on connection
          if (client.v2) {
            assert.equal(root.auth.token, 't-root', `"/" handshake query: ${JSON.stringify(root.auth)}`);
            assert.equal(custom.auth.ns, 'custom', `"/custom" handshake query: ${JSON.stringify(custom.auth)}`);
          } else {
            assert.deepEqual(root.auth, { token: 't-root' });
            assert.deepEqual(custom.auth, { ns: 'custom' });
          }
          // the id the client holds is the server's socket.id
          const [id] = await emitAck(root.socket, 'whoami');
          assert.equal(typeof id, 'string');
          assert.equal(id, root.socket.id);
          if (client.v2) {
            assert.equal(root.socket.id, manager.engine.id);
            assert.equal(custom.socket.id, `/custom#${manager.engine.id}`);
          } else {
            assert.notEqual(custom.socket.id, root.socket.id);
          }
          // a socket without auth data gets {}
          if (!client.v2) {
            const m2 = newManager(client, mode);
            try {
              const plain = await connectSocket(client, m2, '/');
              assert.deepEqual(plain.auth, {});
            } finally { closeManager(m2); }
          }
        } finally {
          closeManager(manager);
        }
      });

      it('emits and acknowledges in both directions', T, async () => {
        const manager = newManager(client, mode);
        try {
          const { socket } = await connectSocket(client, manager, '/');
          // client -> server event, server -> client event
          const backP = h.once(socket, 'message-back', 5000);
          socket.emit('message', 'hello', 42, { a: [1, 'b', null], t: true });
          const back = await backP;
          assert.deepEqual(back, ['hello', 42, { a: [1, 'b', null], t: true }]);
          // client -> server with ack
          const args = [1, 'two', { three: [3] }, null, false, 'ünï©ødé ✓'];
          assert.deepEqual(await emitAck(socket, 'message-with-ack', ...args), args);
          assert.deepEqual(await emitAck(socket, 'message-with-ack'), []);
          // server -> client with ack (the server reports the client's ack)
          socket.on('question', (a, b, cb) => cb('answer', a + b));
          const [res] = await emitAck(socket, 'ask', { event: 'question', args: [2, 3] });
          assert.deepEqual(res, { ok: true, reply: ['answer', 5] });
          // ... and several in flight at once are matched by ack id
          socket.on('echo-q', (x, cb) => cb(x * 10));
          const many = await Promise.all([1, 2, 3, 4, 5].map((x) => emitAck(socket, 'ask', { event: 'echo-q', args: [x] })));
          assert.deepEqual(many.map(([r]) => r), [10, 20, 30, 40, 50].map((v) => ({ ok: true, reply: [v] })));
        } finally {
          closeManager(manager);
        }
      });

      it('server-side ack times out when the client never acknowledges', T, async () => {
        const manager = newManager(client, mode);
        try {
          const { socket } = await connectSocket(client, manager, '/');
          let asked = 0;
          socket.on('silent', (x, cb) => { asked += 1; assert.equal(typeof cb, 'function'); });
          const start = Date.now();
          const [res] = await h.withTimeout(new Promise((resolve) => {
            socket.emit('ask', { event: 'silent', args: ['?'] }, (...r) => resolve(r));
          }), 6000, 'ask timeout ack');
          assert.deepEqual(res, { ok: false, error: 'timeout' });
          assert.equal(asked, 1);
          assert.ok(Date.now() - start >= 1500, `timed out too early (${Date.now() - start} ms)`);
        } finally {
          closeManager(manager);
        }
      });

      it('round-trips binary in events and acks, both directions', T, async () => {
        const manager = newManager(client, mode);
        try {
          const { socket } = await connectSocket(client, manager, '/');
          const b1 = h.pattern(1000, 1);
          const b2 = Buffer.from([0, 255, 1, 254]);
          const sent = ['bin', b1, { nested: b2, list: [b2, 'x'], n: 7 }];
          const backP = h.once(socket, 'message-back', 5000);
          socket.emit('message', ...sent);
          const back = await backP;
          assert.ok(h.isBinary(back[1]), 'message-back arg 1 must be binary');
          assert.ok(h.isBinary(back[2].nested), 'nested binary must stay binary');
          assert.deepEqual(norm(back), norm(sent));
          // binary in a client->server ack
          const acked = await emitAck(socket, 'message-with-ack', b2, { deep: { b: b1 } });
          assert.ok(h.isBinary(acked[0]));
          assert.deepEqual(norm(acked), norm([b2, { deep: { b: b1 } }]));
          // binary server->client event with ack, the client acks with binary,
          // and the server's final ack carries it back
          const reply = h.pattern(300, 5);
          let received = null;
          socket.on('bin-q', (buf, cb) => { received = buf; cb(reply, 'ok'); });
          const [res] = await emitAck(socket, 'ask', { event: 'bin-q', args: [b1] });
          assert.ok(received && h.isBinary(received), 'server->client event arg must be binary');
          assert.ok(h.toBuffer(received).equals(b1));
          assert.equal(res.ok, true, JSON.stringify(norm(res)));
          assert.ok(h.isBinary(res.reply[0]), 'binary in server ack must be binary');
          assert.deepEqual(norm(res.reply), norm([reply, 'ok']));
          // a larger binary payload (256 KB)
          const big = h.pattern(256 * 1024, 9);
          const [bigBack] = await emitAck(socket, 'message-with-ack', big);
          assert.ok(h.toBuffer(bigBack).equals(big));
        } finally {
          closeManager(manager);
        }
      });

      it('broadcasts to rooms with exclusion to exactly the right clients', { timeout: 20000 }, async () => {
        // Each manager gets its socket in the same tick: a socket.io-client 2
        // manager that opens with no "/" socket yet drops the server's CONNECT.
        const ms = {};
        try {
          const s = {};
          for (const k of ['A', 'B', 'C']) {
            ms[k] = newManager(client, mode);
            // eslint-disable-next-line no-await-in-loop
            s[k] = (await connectSocket(client, ms[k], '/')).socket;
          }
          const id = {};
          for (const k of Object.keys(s)) {
            // eslint-disable-next-line no-await-in-loop
            [id[k]] = await emitAck(s[k], 'whoami');
          }
          assert.equal(new Set(Object.values(id)).size, 3);
          // r1 = {A, B}, r2 = {B, C}
          assert.deepEqual(await emitAck(s.A, 'join', 'r1'), [true]);
          assert.deepEqual(await emitAck(s.B, 'join', 'r1'), [true]);
          assert.deepEqual(await emitAck(s.B, 'join', 'r2'), [true]);
          assert.deepEqual(await emitAck(s.C, 'join', 'r2'), [true]);

          // 1. r1 ∪ r2 except C: A and B, B only once
          let got = recorder(s, 'news1');
          assert.deepEqual(await emitAck(s.A, 'broadcast',
            { rooms: ['r1', 'r2'], except: [id.C], event: 'news1', args: ['n1', { k: 1 }] }), [true]);
          await barrier(s);
          assert.deepEqual(got, { A: [['n1', { k: 1 }]], B: [['n1', { k: 1 }]], C: [] });

          // 2. r2, nobody excluded, binary payload: B and C
          const buf = Buffer.from([1, 2, 3, 250]);
          got = recorder(s, 'news2');
          assert.deepEqual(await emitAck(s.A, 'broadcast',
            { rooms: ['r2'], except: [], event: 'news2', args: [buf, 'x'] }), [true]);
          await barrier(s);
          const exp2 = [norm([buf, 'x'])];
          assert.deepEqual(got, { A: [], B: exp2, C: exp2 });

          // 3. r1 except the sender itself (A) and B: nobody
          got = recorder(s, 'news3');
          assert.deepEqual(await emitAck(s.A, 'broadcast',
            { rooms: ['r1'], except: [id.A, id.B], event: 'news3', args: [3] }), [true]);
          await barrier(s);
          assert.deepEqual(got, { A: [], B: [], C: [] });

          // 4. after B leaves r2, r2 is only C
          assert.deepEqual(await emitAck(s.B, 'leave', 'r2'), [true]);
          got = recorder(s, 'news4');
          assert.deepEqual(await emitAck(s.C, 'broadcast',
            { rooms: ['r2'], except: [], event: 'news4', args: [] }), [true]);
          await barrier(s);
          assert.deepEqual(got, { A: [], B: [], C: [[]] });

          // 5. unknown room: nobody
          got = recorder(s, 'news5');
          assert.deepEqual(await emitAck(s.A, 'broadcast',
            { rooms: ['no-such-room'], except: [], event: 'news5', args: [5] }), [true]);
          await barrier(s);
          assert.deepEqual(got, { A: [], B: [], C: [] });
        } finally {
          for (const m of Object.values(ms)) closeManager(m);
        }
      });

      it('addresses a socket by its id as a room (socket.io semantics)', T, async () => {
        // Not in the hook list itself: every socket.io server puts each socket
        // in the room named by its id, which makes io.to(socketId) work.
        const ms = {};
        try {
          const s = {};
          const id = {};
          for (const k of ['A', 'B']) {
            ms[k] = newManager(client, mode);
            // eslint-disable-next-line no-await-in-loop
            s[k] = (await connectSocket(client, ms[k], '/')).socket;
            // eslint-disable-next-line no-await-in-loop
            [id[k]] = await emitAck(s[k], 'whoami');
          }
          const got = recorder(s, 'direct');
          assert.deepEqual(await emitAck(s.A, 'broadcast',
            { rooms: [id.B], except: [], event: 'direct', args: ['to-b'] }), [true]);
          await barrier(s);
          assert.deepEqual(got, { A: [], B: [['to-b']] });
        } finally {
          for (const m of Object.values(ms)) closeManager(m);
        }
      });

      it('makes the refusal reason visible ("Invalid namespace")', T, async () => {
        const manager = newManager(client, mode);
        try {
          const root = await connectSocket(client, manager, '/');
          const bad = manager.socket('/no-such-namespace');
          let connected = false;
          bad.on('connect', () => { connected = true; });
          let err;
          if (client.v2) {
            [err] = await h.once(bad, 'error', 5000);
          } else {
            [err] = await h.once(bad, 'connect_error', 5000);
            assert.ok(err instanceof Error);
          }
          const message = typeof err === 'string' ? err : err && err.message;
          assert.equal(message, 'Invalid namespace', `refusal payload: ${JSON.stringify(err)}`);
          assert.equal(connected, false);
          assert.equal(bad.connected, false);
          // the refusal does not affect the connection nor the other namespace
          const [id] = await emitAck(root.socket, 'whoami');
          assert.equal(id, root.socket.id);
          assert.ok(root.socket.connected);
        } finally {
          closeManager(manager);
        }
      });

      it('reports "io server disconnect" after server-disconnect (namespace only)', T, async () => {
        const manager = newManager(client, mode);
        try {
          const root = await connectSocket(client, manager, '/');
          const custom = await connectSocket(client, manager, '/custom');
          const engineId = manager.engine.id;
          let customDisconnected = null;
          custom.socket.on('disconnect', (r) => { customDisconnected = r; });
          const discP = h.once(root.socket, 'disconnect', 5000);
          root.socket.emit('server-disconnect');
          const [reason] = await discP;
          assert.equal(reason, 'io server disconnect');
          assert.equal(root.socket.connected, false);
          if (!client.v2) assert.equal(root.socket.active, false, 'must not auto-reconnect');
          // Barrier on the same connection: a refused namespace round trip.
          const probe = manager.socket('/barrier-refused');
          await h.once(probe, client.v2 ? 'error' : 'connect_error', 5000);
          assert.equal(customDisconnected, null, 'namespace-level disconnect must not close "/custom"');
          assert.ok(custom.socket.connected);
          assert.equal(manager.engine.id, engineId, 'the engine connection must stay open');
          assert.equal(manager.engine.readyState, 'open');
          assert.equal(root.socket.connected, false, 'must not reconnect by itself');
          if (!client.v2) {
            // the namespace can be joined again over the same connection
            const authP = h.once(root.socket, 'auth', 5000);
            root.socket.connect();
            await h.once(root.socket, 'connect', 5000, ['connect_error']);
            await authP;
            const [id] = await emitAck(root.socket, 'whoami');
            assert.equal(id, root.socket.id);
            assert.equal(manager.engine.id, engineId);
          }
        } finally {
          closeManager(manager);
        }
      });

      it('reports "io client disconnect" when the client disconnects', T, async () => {
        const manager = newManager(client, mode);
        try {
          const root = await connectSocket(client, manager, '/');
          const custom = await connectSocket(client, manager, '/custom');
          const discP = h.once(custom.socket, 'disconnect', 5000);
          custom.socket.disconnect();
          const [reason] = await discP;
          assert.equal(reason, 'io client disconnect');
          assert.equal(custom.socket.connected, false);
          // the other namespace keeps working on the same connection
          const [id] = await emitAck(root.socket, 'whoami');
          assert.equal(id, root.socket.id);
          const discRoot = h.once(root.socket, 'disconnect', 5000);
          root.socket.disconnect();
          assert.equal((await discRoot)[0], 'io client disconnect');
        } finally {
          closeManager(manager);
        }
      });

      it('reports "transport close" after server-close and reconnects automatically', { timeout: 20000 }, async () => {
        const manager = newManager(client, mode);
        try {
          const root = await connectSocket(client, manager, '/');
          const custom = await connectSocket(client, manager, '/custom');
          const oldEngineId = manager.engine.id;
          const [oldId] = await emitAck(root.socket, 'whoami');
          const discRoot = h.once(root.socket, 'disconnect', 5000);
          const discCustom = h.once(custom.socket, 'disconnect', 5000);
          const reconnRoot = h.once(root.socket, 'connect', 10000);
          const reconnCustom = h.once(custom.socket, 'connect', 10000);
          const authAgain = h.once(root.socket, 'auth', 10000);
          reconnRoot.catch(() => {}); reconnCustom.catch(() => {}); authAgain.catch(() => {});
          root.socket.emit('server-close');
          assert.equal((await discRoot)[0], 'transport close');
          assert.equal((await discCustom)[0], 'transport close');
          await reconnRoot;
          await reconnCustom;
          await authAgain;
          assert.ok(root.socket.connected && custom.socket.connected);
          assert.notEqual(manager.engine.id, oldEngineId, 'a new engine connection is expected');
          const [newId] = await emitAck(root.socket, 'whoami');
          assert.equal(newId, root.socket.id);
          assert.notEqual(newId, oldId);
          // fully functional after the reconnect
          assert.deepEqual(await emitAck(root.socket, 'message-with-ack', 'again'), ['again']);
        } finally {
          closeManager(manager);
        }
      });
    });
  }
}

// Issue 12: a socket.io 2.x client that asked for base64 (forceBase64: b64=1)
// gets binary attachments as base64 text frames in unicasts AND broadcasts
// (the broadcast path used to send raw binary frames).
describe('socket.io-client 2.5 / websocket, forceBase64', () => {
  it('receives a broadcast with a binary attachment', T, async () => {
    const client = CLIENTS[0];
    const mode = MODES[1];
    const ms = {};
    try {
      const s = {};
      for (const k of ['A', 'B']) {
        ms[k] = newManager(client, mode, { forceBase64: true });
        // eslint-disable-next-line no-await-in-loop
        s[k] = (await connectSocket(client, ms[k], '/')).socket;
        // eslint-disable-next-line no-await-in-loop
        assert.deepEqual(await emitAck(s[k], 'join', 'b64room'), [true]);
      }
      // Frames on the wire: text only (base64 "b4..." for the attachment).
      const frames = [];
      ms.B.engine.transport.ws.addEventListener('message', (ev) => {
        frames.push(typeof ev.data === 'string' ? ev.data : { binary: true });
      });
      const got = recorder(s, 'bin');
      const payload = Buffer.from([0, 1, 2, 253, 254, 255]);
      assert.deepEqual(await emitAck(s.A, 'broadcast',
        { rooms: ['b64room'], except: [], event: 'bin', args: ['x', payload] }), [true]);
      await barrier(s);
      const expected = [['x', { $bin: '000102fdfeff' }]];
      assert.deepEqual(got, { A: expected, B: expected });
      assert.ok(frames.length > 0, 'frames seen');
      assert.ok(frames.every((f) => typeof f === 'string'), `only text frames: ${JSON.stringify(frames)}`);
      assert.ok(frames.some((f) => f === `b4${payload.toString('base64')}`),
        `base64 attachment frame: ${JSON.stringify(frames)}`);
    } finally {
      for (const m of Object.values(ms)) closeManager(m);
    }
  });
});
