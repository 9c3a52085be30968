#!/usr/bin/env node
// Reference push server for qpush-bench: the same job as qpush done the
// idiomatic Node.js socket.io@4 way, so that one benchmark run can drive both.
//
//   node server.js [--socket-port N] [--api-port N] [--host 127.0.0.1]
//                  [--auth /bench:x] [--ping-interval 20000] [--ping-timeout 10000]
//
// Client port: Socket.IO at /socket.io/ (EIO 4, and EIO 3 clients too),
// namespace /bench. Clients connect with ?uuid=..&userid=.., join
// user_<userid>, get `ok`, may emit `joinRoom` (ack {status:200}) and `ackPush`.
// API port: POST /api/auth/push {room, pushData} with Basic <ns>:<passwd>
// -> io.of('/bench').to(room).emit('push', {id, room, pushData, sendDate}),
// reply {id, expectAckCount}. Prints
// "reference listening socket=IP:PORT api=IP:PORT pid=PID" when ready.
'use strict';
const http = require('http');
const { Server } = require('socket.io');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const host = arg('--host', '127.0.0.1');
const socketPort = Number(arg('--socket-port', '0'));
const apiPort = Number(arg('--api-port', '0'));
const auth = arg('--auth', '/bench:x');
const nsName = auth.slice(0, auth.indexOf(':'));
const expectedAuth = 'Basic ' + Buffer.from(auth).toString('base64');

const socketServer = http.createServer();
const io = new Server(socketServer, {
  allowEIO3: true,
  transports: ['polling', 'websocket'],
  pingInterval: Number(arg('--ping-interval', '20000')),
  pingTimeout: Number(arg('--ping-timeout', '10000')),
  maxHttpBufferSize: 1e6,
});
const nsp = io.of(nsName);
const validName = /^[\w.\-$#/]+$/;

nsp.use((socket, next) => {
  const { uuid, userid } = socket.handshake.query;
  if (typeof uuid !== 'string' || !validName.test(uuid)) return next(new Error('invalid uuid'));
  if (userid !== undefined && (typeof userid !== 'string' || !validName.test(userid)))
    return next(new Error('invalid userid'));
  next();
});

nsp.on('connection', (socket) => {
  const userid = socket.handshake.query.userid || socket.handshake.query.uuid;
  socket.join('user_' + userid);
  socket.emit('ok', { system: 'node', port: socketServer.address().port, clientId: socket.handshake.query.uuid });
  socket.on('joinRoom', (rooms, ack) => {
    const list = Array.isArray(rooms) ? rooms : [rooms];
    const ok = list.every((r) => typeof r === 'string' && r.length <= 100 && validName.test(r));
    if (ok) socket.join(list);
    if (typeof ack === 'function') ack(ok ? { status: 200, msg: 'ok' } : { status: 400, msg: 'invalid room' });
  });
  socket.on('ackPush', (data) => {
    // Receipt: counted in memory per push, as the idiomatic minimum.
    const id = data && data.id;
    const report = reports.get(id);
    if (report) report.ackCount++;
  });
});

// Push reports kept for a bounded number of recent pushes.
const reports = new Map();
const maxReports = 100000;
let nextId = 1;

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const apiServer = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/auth/push') return reply(res, 404, { code: 404, msg: 'not found' });
  if (req.headers.authorization !== expectedAuth) return reply(res, 401, { code: 401, msg: 'bad credentials' });
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= 1e6) chunks.push(c);
  });
  req.on('end', () => {
    if (size > 1e6) return reply(res, 413, { code: 413, msg: 'too large' });
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      return reply(res, 400, { code: 400, msg: 'bad json' });
    }
    const { room, pushData } = body || {};
    if (typeof room !== 'string' || !validName.test(room) || typeof pushData !== 'object' || pushData === null)
      return reply(res, 400, { code: 400, msg: 'room and pushData required' });
    const id = nextId++;
    const sendDate = Date.now();
    const members = nsp.adapter.rooms.get(room);
    const expectAckCount = members ? members.size : 0;
    reports.set(id, { room, sendDate, ackCount: 0, expectAckCount });
    if (reports.size > maxReports) reports.delete(reports.keys().next().value);
    nsp.to(room).emit('push', { id, room, pushData, sendDate });
    reply(res, 200, { id, expectAckCount });
  });
});
apiServer.keepAliveTimeout = 60000;

socketServer.listen(socketPort, host, () => {
  apiServer.listen(apiPort, host, () => {
    const s = socketServer.address();
    const a = apiServer.address();
    console.log(`reference listening socket=${s.address}:${s.port} api=${a.address}:${a.port} pid=${process.pid}`);
  });
});

function stop() {
  io.close();
  apiServer.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
