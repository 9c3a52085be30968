'use strict';
// The packaging test's client: socket.io-client 4 (from tests/interop's pinned
// node_modules) connects to the installed server, joins a room, prints
// "ready", then prints the first push it receives as "push <json>" and acks
// it. Exits 1 on any error or after 60 s.
//   node sioclient.js <url of the namespace> <room>
const path = require('node:path');

const { io } = require(path.join(__dirname, '..', 'interop', 'node_modules', 'socket.io-client-4'));

const [url, room] = process.argv.slice(2);
if (!url || !room) {
  console.error('usage: node sioclient.js <namespace url> <room>');
  process.exit(2);
}
const fail = (why) => {
  console.error(`sioclient: ${why}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), 60000).unref();

const socket = io(url, {
  query: { uuid: 'pkg-device-1', userid: 'pkg-user-1', platform: 'web' },
  transports: ['polling', 'websocket'],
  reconnection: false,
  timeout: 20000,
});
socket.on('connect_error', (err) => fail(`connect_error: ${err.message}`));
socket.on('ok', () => {
  socket.emit('joinRoom', room, (reply) => {
    if (!reply || reply.status !== 200) fail(`joinRoom: ${JSON.stringify(reply)}`);
    console.log('ready');
  });
});
socket.on('push', (msg) => {
  console.log(`push ${JSON.stringify(msg)}`);
  socket.emit('ackPush', { id: msg.id });
  // Give the ack a moment to leave before closing.
  setTimeout(() => {
    socket.close();
    process.exit(0);
  }, 500);
});
