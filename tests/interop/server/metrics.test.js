'use strict';
// /metrics of qpush-server against real traffic (issue 16): the counters an
// operator alerts on move with what the clients and the REST API do —
// sessions by protocol and transport, handshakes (and a refused one),
// pushes accepted and refused, deliveries, acks, a tripped security limit,
// store latency — and the text is well-formed Prometheus 0.0.4.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const q = require('./qpush');

const { api, createNamespace, connectOk, request, collect, until } = q;
const T = { timeout: 60000 };

async function scrape(server) {
  const r = await fetch(`${server.apiUrl}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return r.text();
}

// Parses the exposition, checking its grammar: every sample belongs to the
// family announced by the HELP and TYPE lines before it. Returns a Map of
// 'name{labels}' (as printed) to the value.
function parse(text) {
  const values = new Map();
  const types = new Map();
  let family = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (m) { family = m[1]; assert.ok(!types.has(family), `one HELP per family: ${family}`); continue; }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (m) { assert.equal(m[1], family, `TYPE after HELP: ${line}`); types.set(family, m[2]); continue; }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    assert.ok(m[1].startsWith(family), `${m[1]} inside family ${family}`);
    assert.ok(m[1].startsWith('qpush_'), `qpush_ prefix: ${m[1]}`);
    values.set(m[1] + (m[2] || ''), Number(m[3]));
  }
  values.types = types;
  return values;
}

async function metrics(server) { return parse(await scrape(server)); }

function value(map, key) {
  assert.ok(map.has(key), `series ${key} in /metrics`);
  return map.get(key);
}

describe('/metrics', () => {
  let server;
  let auth;
  const sockets = [];
  before(async () => {
    server = await q.startQpush({ max_rooms_per_message: 4 });
    auth = await createNamespace(server, '/met');
  });
  after(async () => {
    for (const s of sockets) s.close();
    if (server) await server.cleanup();
  });

  it('is well-formed and lists the documented families', T, async () => {
    const m = await metrics(server);
    for (const [name, type] of [
      ['qpush_client_sessions', 'gauge'],
      ['qpush_engineio_handshakes_total', 'counter'],
      ['qpush_engineio_handshakes_refused_total', 'counter'],
      ['qpush_pushes_accepted_total', 'counter'],
      ['qpush_pushes_refused_total', 'counter'],
      ['qpush_push_deliveries_total', 'counter'],
      ['qpush_push_acks_total', 'counter'],
      ['qpush_offline_messages_stored_total', 'counter'],
      ['qpush_offline_messages_delivered_total', 'counter'],
      ['qpush_store_operation_duration_seconds', 'histogram'],
      ['qpush_store_errors_total', 'counter'],
      ['qpush_event_loop_lag_seconds', 'gauge'],
      ['qpush_event_loop_lag_distribution_seconds', 'histogram'],
      ['qpush_limits_tripped_total', 'counter'],
      ['qpush_apns_notifications_sent_total', 'counter'],
      ['qpush_process_cpu_seconds_total', 'counter'],
      ['qpush_process_resident_memory_bytes', 'gauge'],
      ['qpush_process_open_fds', 'gauge'],
      ['qpush_process_start_time_seconds', 'gauge'],
    ]) assert.equal(m.types.get(name), type, `${name} is a ${type}`);
    assert.ok(value(m, 'qpush_process_resident_memory_bytes') > 1e6);
    assert.ok(value(m, 'qpush_process_open_fds') >= 3);
    const start = value(m, 'qpush_process_start_time_seconds');
    assert.ok(Math.abs(start - Date.now() / 1000) < 3600, `start time ${start}`);
    // The store was used at start-up (namespaces loaded, one saved).
    assert.ok(value(m, 'qpush_store_operation_duration_seconds_count') > 0);
    assert.equal(value(m, 'qpush_store_operation_duration_seconds_bucket{le="+Inf"}'),
      value(m, 'qpush_store_operation_duration_seconds_count'));
  });

  it('counts sessions by protocol and transport, handshakes and a refused handshake', T, async () => {
    const before = await metrics(server);
    const ws4 = await connectOk(server, { gen: 4, transports: ['websocket'], nsp: '/met', query: { uuid: 'm-ws4', userid: 'u1' } });
    const poll3 = await connectOk(server, { gen: 2, transports: ['polling'], nsp: '/met', query: { uuid: 'm-poll3', userid: 'u2' } });
    sockets.push(ws4, poll3);
    const bad = await fetch(`${server.socketUrl}/socket.io/?EIO=9&transport=polling`);
    assert.equal(bad.status, 400);
    await bad.text();
    const m = await metrics(server);
    assert.ok(value(m, 'qpush_client_sessions{protocol="4",transport="websocket"}') >= 1);
    assert.ok(value(m, 'qpush_client_sessions{protocol="3",transport="polling"}') >= 1);
    const hs = (map, p, t) => value(map, `qpush_engineio_handshakes_total{protocol="${p}",transport="${t}"}`);
    assert.equal(hs(m, 4, 'websocket') - hs(before, 4, 'websocket'), 1);
    assert.equal(hs(m, 3, 'polling') - hs(before, 3, 'polling'), 1);
    const refusedKey = 'qpush_engineio_handshakes_refused_total{reason="unsupported_protocol_version"}';
    assert.equal(value(m, refusedKey) - value(before, refusedKey), 1);
    assert.equal(value(m, 'qpush_socketio_connects_total') - value(before, 'qpush_socketio_connects_total'), 2);
  });

  it('counts pushes accepted and refused, deliveries and acks', T, async () => {
    const [a, b] = sockets;
    for (const s of [a, b]) assert.deepEqual(await request(s, 'joinRoom', ['mroom']), { status: 200, msg: 'ok' });
    const got = [collect(a, 'push'), collect(b, 'push')];
    const before = await metrics(server);
    const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'mroom', pushData: { n: 1 } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await until(() => got[0].length === 1 && got[1].length === 1, 10000, 'both clients got the push');
    assert.deepEqual(await request(a, 'ackPush', { id: r.body.id }), { status: 200, msg: 'ok' });
    const bad = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'mroom' } });
    assert.equal(bad.status, 400);
    const m = await metrics(server);
    const delta = (key) => value(m, key) - value(before, key);
    assert.equal(delta('qpush_pushes_accepted_total'), 1);
    assert.equal(delta('qpush_push_deliveries_total'), 2);
    assert.equal(delta('qpush_push_acks_total'), 1);
    assert.equal(delta('qpush_pushes_refused_total{reason="invalid"}'), 1);
    assert.ok(delta('qpush_store_operation_duration_seconds_count') >= 2, 'the push and the receipt went to the store');
  });

  it('counts a tripped security limit by its key', T, async () => {
    const [a] = sockets;
    const before = await metrics(server);
    const r = await request(a, 'joinRoom', ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    assert.notEqual(r.status, 200, JSON.stringify(r));
    const key = 'qpush_limits_tripped_total{limit="max_rooms_per_message"}';
    const m = await metrics(server);
    assert.equal(value(m, key) - value(before, key), 1);
    // Limits that did not trip are listed at 0, so alerts see them from the start.
    assert.equal(value(m, 'qpush_limits_tripped_total{limit="max_connections"}'), 0);
  });

  it('counts disconnects and drops the sessions from the gauge', T, async () => {
    const before = await metrics(server);
    const s = await connectOk(server, { gen: 4, transports: ['polling'], nsp: '/met', query: { uuid: 'm-short', userid: 'u3' } });
    const during = await metrics(server);
    const key = 'qpush_client_sessions{protocol="4",transport="polling"}';
    assert.equal(value(during, key) - value(before, key), 1);
    s.close();
    await until(async () => {
      const m = await metrics(server);
      return value(m, key) === value(before, key) &&
        value(m, 'qpush_socketio_disconnects_total') - value(before, 'qpush_socketio_disconnects_total') === 1;
    }, 20000, 'the session is gone from /metrics');
  });
});
