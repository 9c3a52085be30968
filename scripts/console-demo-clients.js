'use strict';
// Demo socket.io clients for scripts/console-screenshots.sh: connects a few
// iOS / Android / web devices to a namespace, joins rooms, acknowledges the
// pushes it gets, prints "ready" once every client is connected, and exits by
// itself after --seconds (default 120) or on SIGTERM.
// usage: node console-demo-clients.js http://127.0.0.1:21314 /demo [--seconds N]
const path = require('node:path');
const io = require(path.join(__dirname, '..', 'tests', 'interop', 'node_modules', 'socket.io-client-4'));

const [url, nsp] = process.argv.slice(2, 4);
const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 120;
const devices = [
  { userid: 'u1', uuid: 'iphone1', platform: 'ios', rooms: ['news', 'sports'] },
  { userid: 'u1', uuid: 'web1', platform: 'web', rooms: ['news'] },
  { userid: 'u2', uuid: 'pixel2', platform: 'android', rooms: ['news', 'weather'] },
  { userid: 'u3', uuid: 'ipad3', platform: 'ios', rooms: ['sports'] },
  { userid: 'u4', uuid: 'web4', platform: 'web', rooms: ['news', 'weather'] },
  { userid: 'u5', uuid: 'galaxy5', platform: 'android', rooms: ['sports', 'weather'] },
];
const sockets = [];
let connected = 0;
for (const d of devices) {
  const s = io(`${url}${nsp}`, {
    transports: ['websocket'], forceNew: true, reconnection: false,
    query: { uuid: d.uuid, userid: d.userid, platform: d.platform },
  });
  s.on('ok', () => {
    s.emit('joinRoom', d.rooms, () => {
      if (d.platform === 'ios') s.emit('info', { device_token: 'a1b2c3d4' + d.uuid });
      if (++connected === devices.length) console.log('ready');
    });
  });
  // Most devices acknowledge; the second Android one does not (the report shows it).
  s.on('push', (m) => { if (d.uuid !== 'galaxy5') s.emit('ackPush', { id: m.id }); });
  s.on('connect_error', (e) => { console.error(`connect_error ${d.uuid}: ${e.message}`); process.exit(1); });
  sockets.push(s);
}
const stop = () => { for (const s of sockets) s.close(); process.exit(0); };
process.on('SIGTERM', stop);
setTimeout(stop, seconds * 1000);
