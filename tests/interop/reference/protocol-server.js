#!/usr/bin/env node
'use strict';
// Reference implementation of the qpush-protocol-server contract, built on the
// real npm servers. It exists only to prove the interop tests correct:
//   node reference/protocol-server.js --port 0
// prints "listening 127.0.0.1:<port>" once ready and stops on SIGTERM.
//
//  /engine.io/  engine.io 6 with allowEIO3 (EIO=3 and EIO=4): echo server,
//               "close-me" closes the session from the server side.
//  /socket.io/  EIO=4 -> socket.io 4 (socket.io-client 3/4),
//               EIO=3 -> socket.io 2 (socket.io-client 2.x), on the same port.

const http = require('node:http');
const { Server: Engine6Server } = require('engine.io-6');
const Engine3Server = require('engine.io-3').Server;
const { Server: SIO4Server } = require('socket.io-4');
const SIO2Server = require('socket.io-2');

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;

// ---- raw Engine.IO echo -------------------------------------------------
const eio = new Engine6Server({
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1000000,
  allowEIO3: true,
});
eio.on('connection', (socket) => {
  socket.on('message', (data) => {
    if (data === 'close-me') {
      socket.close();
      return;
    }
    socket.send(data);
  });
});

// ---- Socket.IO ---------------------------------------------------------------
const sioEngine4 = new Engine6Server({ maxHttpBufferSize: 1000000 });
// socket.io 2's attach() makes engine.io send the "/" CONNECT packet ("0") in
// the handshake when "/" has no middleware; bind() does not, so do it here.
const sioEngine3 = new Engine3Server({ maxHttpBufferSize: 1000000, initialPacket: ['0'] });
const io4 = new SIO4Server();
io4.bind(sioEngine4);
const io2 = new SIO2Server();
io2.bind(sioEngine3);

function toPlainQuery(q) {
  const out = {};
  for (const k of Object.keys(q || {})) out[k] = q[k];
  return out;
}

function setup(io, v2) {
  const root = io.of('/');
  const custom = io.of('/custom');
  for (const nsp of [root, custom]) {
    nsp.on('connection', (socket) => {
      socket.emit('auth', v2 ? toPlainQuery(socket.handshake.query) : socket.handshake.auth);
    });
  }
  root.on('connection', (socket) => {
    socket.on('message', (...args) => socket.emit('message-back', ...args));
    socket.on('message-with-ack', (...args) => {
      const ack = args.pop();
      ack(...args);
    });
    socket.on('join', (room, ack) => {
      if (v2) socket.join(room, () => ack(true));
      else { socket.join(room); ack(true); }
    });
    socket.on('leave', (room, ack) => {
      if (v2) socket.leave(room, () => ack(true));
      else { socket.leave(room); ack(true); }
    });
    socket.on('broadcast', ({ rooms, except, event, args }, ack) => {
      if (v2) {
        // socket.io 2 has no except(): compute the target set by hand.
        const ids = new Set();
        for (const r of rooms || []) {
          const room = root.adapter.rooms[r];
          if (room) for (const id of Object.keys(room.sockets)) ids.add(id);
        }
        for (const id of except || []) ids.delete(id);
        for (const id of ids) {
          const s = root.connected[id];
          if (s) s.emit(event, ...(args || []));
        }
      } else {
        root.to(rooms || []).except(except || []).emit(event, ...(args || []));
      }
      ack(true);
    });
    socket.on('server-disconnect', () => socket.disconnect());
    socket.on('server-close', () => socket.conn.close());
    socket.on('ask', ({ event, args }, ack) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        ack({ ok: false, error: 'timeout' });
      }, 2000);
      socket.emit(event, ...(args || []), (...reply) => {
        if (done) return;
        clearTimeout(timer);
        ack({ ok: true, reply });
      });
    });
    socket.on('whoami', (ack) => ack(socket.id));
  });
}
setup(io4, false);
setup(io2, true);

// ---- HTTP routing --------------------------------------------------------------
function route(req) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/engine.io/') return eio;
  if (url.pathname === '/socket.io/') {
    return url.searchParams.get('EIO') === '3' ? sioEngine3 : sioEngine4;
  }
  return null;
}

const server = http.createServer((req, res) => {
  const engine = route(req);
  if (!engine) {
    res.writeHead(404);
    res.end();
    return;
  }
  engine.handleRequest(req, res);
});
server.on('upgrade', (req, socket, head) => {
  const engine = route(req);
  if (!engine) {
    socket.destroy();
    return;
  }
  engine.handleUpgrade(req, socket, head);
});

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening 127.0.0.1:${addr.port}\n`);
});

process.on('SIGTERM', () => {
  eio.close();
  io4.close();
  sioEngine3.close();
  server.close(() => process.exit(0));
  // Keep-alive sockets may hold server.close(): bound the wait.
  setTimeout(() => process.exit(0), 1000).unref();
});
