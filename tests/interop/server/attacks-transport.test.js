'use strict';
// Attacks on the transport layers of qpush-server (issue 11), against the real
// binary on loopback, each bounded: the attack is reproduced, the server must
// survive it with bounded memory, and a well-behaved client must still be
// served afterwards. The server's RSS after each attack class is printed
// (diagnostic "rss" lines) for the closing note.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const q = require('./qpush');

const { api, createNamespace, connectOk, request, until } = q;

const T = { timeout: 120000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKb(server) {
  const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return { rss: Number(/VmRSS:\s+(\d+)/.exec(status)[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) };
}
function reportRss(t, server, what) {
  const { rss, hwm } = rssKb(server);
  const line = `rss after ${what}: ${(rss / 1024).toFixed(1)} MB (peak ${(hwm / 1024).toFixed(1)} MB)`;
  t.diagnostic(line);
  console.log(line);
  return rss;
}

// A WebSocket client frame (masked, as clients must send).
function wsFrame(payload, opcode = 1) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  let header;
  if (body.length < 126) header = Buffer.from([0x80 | opcode, 0x80 | body.length]);
  else if (body.length < 65536) { header = Buffer.alloc(4); header[0] = 0x80 | opcode; header[1] = 0x80 | 126; header.writeUInt16BE(body.length, 2); }
  else { header = Buffer.alloc(10); header[0] = 0x80 | opcode; header[1] = 0x80 | 127; header.writeBigUInt64BE(BigInt(body.length), 2); }
  return Buffer.concat([header, Buffer.alloc(4) /* mask 0 */, body]);
}

// A raw Engine.IO v4 websocket connection. `received` accumulates bytes.
function rawWs(server, query = '') {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.socketPort, '127.0.0.1');
    const c = { sock, received: Buffer.alloc(0), closed: false };
    sock.on('data', (d) => { c.received = Buffer.concat([c.received, d]); if (c.received.length > 1 << 20) c.received = c.received.subarray(-65536); });
    sock.on('close', () => { c.closed = true; });
    sock.on('error', () => { c.closed = true; });
    sock.once('connect', () => {
      sock.write(`GET /socket.io/?EIO=4&transport=websocket${query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      until(() => c.received.includes('0{'), 5000, 'open packet').then(() => resolve(c), reject);
    });
    sock.once('error', reject);
  });
}

async function metric(server, name) {
  const text = await (await fetch(`${server.apiUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function healthy(server, nsp, tag) {
  const s = await connectOk(server, { gen: 4, nsp, query: { uuid: `healthy-${tag}`, userid: `h-${tag}` } });
  const r = await request(s, 'joinRoom', [`hroom-${tag}`]);
  assert.equal(r.status, 200, JSON.stringify(r));
  const got = new Promise((resolve) => s.once('push', resolve));
  const auth = [nsp, 'secret'];
  const p = await api(server, 'POST', '/api/auth/push', { auth, body: { room: `hroom-${tag}`, pushData: { ok: tag } } });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const m = await Promise.race([got, sleep(5000).then(() => null)]);
  s.close();
  assert.ok(m, 'a healthy client still gets its push');
  const h = await fetch(`${server.apiUrl}/health`);
  assert.equal(h.status, 200);
}

describe('transport attacks', () => {
  let server;
  let auth;
  const nsp = '/atk';
  before(async () => {
    server = await q.startQpush({
      room_activity_broadcast: true,
      connect_timeout: 1500,
      trusted_proxies: ['127.0.0.1'],
      handshake_rate_per_ip: 50,
    });
    auth = await createNamespace(server, nsp);
  });
  after(async () => { if (server) await server.cleanup(); });

  it('finding 1: two slow members of a room cut off during a broadcast (no crash)', T, async (t) => {
    // Two clients of one user that stop reading; large pushes to their room.
    const slow = [];
    for (let i = 0; i < 2; ++i) {
      // eslint-disable-next-line no-await-in-loop
      const c = await rawWs(server, `&uuid=slow${i}&userid=slowpoke`);
      c.sock.write(wsFrame(`40${nsp},`));
      // eslint-disable-next-line no-await-in-loop
      await until(() => c.received.includes('"ok"'), 5000, 'ok event');
      c.sock.pause(); // stop reading: kernel buffers fill, then the server's queue
      slow.push(c);
    }
    const big = 'x'.repeat(900 * 1024);
    let pushes = 0;
    while (!slow.every((c) => c.closed) && pushes < 60) {
      // eslint-disable-next-line no-await-in-loop
      const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'user_slowpoke', pushData: { big } } });
      assert.equal(r.status, 200, `push ${pushes}: ${r.status}`);
      ++pushes;
      for (const c of slow) if (c.sock.readableLength === 0) { /* still paused */ }
      // A paused socket only notices the server's close when it reads again.
      if (pushes % 10 === 0) for (const c of slow) { c.sock.resume(); c.sock.pause(); }
    }
    // Let them read: a socket the server cut off ends.
    for (const c of slow) c.sock.resume();
    await until(() => slow.every((c) => c.closed), 20000, 'slow members closed');
    t.diagnostic(`cut off after ${pushes} pushes of 900 kB`);
    assert.equal(server.child.exitCode, null, 'server alive');
    reportRss(t, server, 'slow-reader broadcast attack');
    await healthy(server, nsp, 'f1');
  });

  it('finding 3/6: a v3 polling client that only POSTs pings is closed (bounded queue)', T, async (t) => {
    const base = `${server.socketUrl}/socket.io/?EIO=3&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = /"sid":"([^"]+)"/.exec(open)[1];
    const pings = '1:2'.repeat(300000); // 300 000 pings in one payload (900 kB)
    let closed = false;
    for (let i = 0; i < 20 && !closed; ++i) {
      // eslint-disable-next-line no-await-in-loop
      const r = await fetch(`${base}&sid=${sid}`, { method: 'POST', body: pings, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
      // eslint-disable-next-line no-await-in-loop
      await r.text();
      if (r.status !== 200) closed = true;
      // eslint-disable-next-line no-await-in-loop
      await sleep(50);
    }
    // The session is gone: a poll is refused as an unknown sid (or gets the close packet).
    const poll = await fetch(`${base}&sid=${sid}`);
    const body = await poll.text();
    assert.ok(poll.status === 400 || /1$/.test(body), `session closed: ${poll.status} ${body.slice(0, 100)}`);
    reportRss(t, server, 'v3 ping-only POST flood');
    await healthy(server, nsp, 'f3');
  });

  it('finding 6: binary attachments beyond max_attachment_bytes close the connection', T, async (t) => {
    const c = await rawWs(server);
    // A binary event announcing 64 attachments, then 1 MB attachments.
    c.sock.write(wsFrame('451-["x",{"_placeholder":true,"num":0}]'.replace('451-', '4564-')));
    const chunk = Buffer.alloc(900 * 1024, 7);
    for (let i = 0; i < 20 && !c.closed; ++i) {
      c.sock.write(wsFrame(chunk, 2));
      // eslint-disable-next-line no-await-in-loop
      await sleep(30);
    }
    await until(() => c.closed, 10000, 'connection closed by the server');
    reportRss(t, server, 'attachment flood');
    await healthy(server, nsp, 'f6');
  });

  it('finding 10: a handshake flood from one address is rate limited; sessions expire', T, async (t) => {
    const flooder = { 'x-forwarded-for': '203.0.113.9' };
    const base = `${server.socketUrl}/socket.io/?EIO=4&transport=polling`;
    let accepted = 0;
    let limited = 0;
    for (let i = 0; i < 600; ++i) {
      // eslint-disable-next-line no-await-in-loop
      const r = await fetch(base, { headers: flooder });
      // eslint-disable-next-line no-await-in-loop
      await r.text();
      if (r.status === 200) ++accepted;
      else if (r.status === 429) ++limited;
    }
    t.diagnostic(`flood: ${accepted} sessions opened, ${limited} refused with 429`);
    assert.ok(limited > 0, 'the flood hits the limit');
    assert.ok(accepted < 600, 'not every handshake is accepted');
    // Another address is not affected.
    const other = await fetch(base, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    assert.equal(other.status, 200);
    await other.text();
    // Sessions that never join a namespace are closed after connect_timeout.
    await until(async () => (await metric(server, 'qpush_engineio_sessions')) === 0, 20000, 'idle sessions closed');
    reportRss(t, server, 'handshake flood');
    await healthy(server, nsp, 'f10');
  });

  it('HTTP: Expect: 100-continue is answered before the body is sent', T, async () => {
    const sock = net.connect(server.apiPort, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => { got += d; });
    await new Promise((r) => sock.once('connect', r));
    const body = JSON.stringify({ room: 'nobody', pushData: { a: 1 } });
    const basic = Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64');
    sock.write(`POST /api/auth/push HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${basic}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    await until(() => got.includes('\r\n\r\n'), 5000, 'interim answer');
    assert.equal(got, 'HTTP/1.1 100 Continue\r\n\r\n');
    sock.write(body);
    await until(() => /HTTP\/1\.1 200[\s\S]*\r\n\r\n/.test(got.slice(25)), 5000, 'final answer');
    assert.match(got, /\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
    sock.destroy();
  });
});

describe('connection caps', () => {
  let server;
  before(async () => { server = await q.startQpush({ max_connections: 20 }); });
  after(async () => { if (server) await server.cleanup(); });

  it('finding 7: with the client port full, it stops accepting and the API port still answers', T, async (t) => {
    const socks = [];
    for (let i = 0; i < 40; ++i) {
      const s = net.connect(server.socketPort, '127.0.0.1');
      s.on('error', () => {});
      socks.push(s);
    }
    await until(async () => (await metric(server, 'qpush_client_connections')) === 20, 10000, '20 connections accepted');
    await sleep(300);
    assert.equal(await metric(server, 'qpush_client_connections'), 20, 'no more than max_connections accepted');
    const h = await fetch(`${server.apiUrl}/health`);
    assert.equal(h.status, 200, 'API port reachable');
    reportRss(t, server, 'connection cap reached');
    // Once connections close, the waiting ones are accepted and served.
    for (const s of socks.slice(0, 30)) s.destroy();
    const r = await fetch(`${server.socketUrl}/socket.io/?EIO=4&transport=polling`);
    assert.equal(r.status, 200);
    await r.text();
    for (const s of socks) s.destroy();
  });
});
