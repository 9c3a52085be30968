'use strict';
// The info lines of qpush-server (issue 16) in both log formats: one access
// line per REST response (method, path with secret query values masked,
// status, bytes, duration, client address, namespace), one line per client
// connect and disconnect, one per accepted push — and never a password,
// token or body. Categories can be silenced alone.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const q = require('./qpush');

const { api, createNamespace, connectOk, request, until } = q;
const T = { timeout: 60000 };

// The log lines of `server` as { category, message } (text or json format).
function lines(server, format) {
  return server.stderr().split('\n').filter((l) => l.trim() !== '').map((l) => {
    if (format === 'json') {
      const o = JSON.parse(l);
      assert.deepEqual(Object.keys(o), ['time', 'level', 'category', 'message'], l);
      return { level: o.level, category: o.category, message: o.message, raw: l };
    }
    const m = /^\S+ ([DIWCF]) ([^:]+): (.*)$/.exec(l);
    if (!m) return { level: null, category: null, message: l, raw: l };
    return { level: { I: 'info', W: 'warning', D: 'debug', C: 'critical', F: 'fatal' }[m[1]], category: m[2], message: m[3], raw: l };
  });
}

for (const format of ['text', 'json']) {
  describe(`info logs, log_format ${format}`, () => {
    let server;
    after(async () => { if (server) await server.cleanup(); });

    it('writes access, connection and push lines without secrets', T, async () => {
      server = await q.startQpush({ log_level: 'info', log_format: format });
      const nsp = '/logs';
      const auth = await createNamespace(server, nsp, { auth_passwd: 'topsecret-pw' });
      const s = await connectOk(server, { gen: 4, transports: ['websocket'], nsp, query: { uuid: 'log-1', userid: 'lu' } });
      assert.deepEqual(await request(s, 'joinRoom', ['lroom']), { status: 200, msg: 'ok' });
      const got = new Promise((resolve) => s.once('push', resolve));
      const r = await api(server, 'POST', '/api/auth/push?token=tok-123&room=x', {
        auth: [nsp, 'topsecret-pw'], body: { room: 'lroom', pushData: { secretBody: 'body-value-9' } },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await got;
      s.close();
      await until(() => lines(server, format).some((l) => l.category === 'qpush.connections' && l.message.startsWith('disconnect ')),
        10000, 'disconnect line');

      const all = lines(server, format);
      const access = all.filter((l) => l.category === 'qpush.access');
      const pushLine = access.find((l) => l.message.startsWith('POST /api/auth/push'));
      assert.ok(pushLine, `access line of the push: ${access.map((l) => l.message).join('\n')}`);
      assert.equal(pushLine.level, 'info');
      assert.match(pushLine.message,
        /^POST \/api\/auth\/push\?token=\*\*\*&room=x status=200 bytes=\d+ ms=\d+\.\d ip=127\.0\.0\.1 ns=\/logs$/);
      assert.ok(access.some((l) => /^POST \/api\/admin\/namespace\/save status=200 .* user=admin$/.test(l.message)),
        'the admin call is logged with its user');

      const conn = all.filter((l) => l.category === 'qpush.connections');
      const clientId = s.okPayload.clientId;
      assert.ok(conn.some((l) => l.message === `connect client=${clientId} ns=/logs ip=127.0.0.1 sio=5`),
        conn.map((l) => l.message).join('\n'));
      assert.ok(conn.some((l) => l.message.startsWith(`disconnect client=${clientId} ns=/logs reason="`)));

      const pushes = all.filter((l) => l.category === 'qpush.pushes');
      assert.ok(pushes.some((l) => new RegExp(`^push id=${r.body.id} ns=/logs rooms=1 recipients=1 online=1$`).test(l.message)),
        pushes.map((l) => l.message).join('\n'));

      const text = server.stderr();
      for (const secret of ['topsecret-pw', 'tok-123', 'body-value-9', Buffer.from(`${nsp}:topsecret-pw`).toString('base64')])
        assert.ok(!text.includes(secret), `the log holds ${secret}`);
    });
  });
}

describe('silencing a category', () => {
  let server;
  after(async () => { if (server) await server.cleanup(); });
  it('log_rules turns the access log off and leaves the rest', T, async () => {
    server = await q.startQpush({ log_level: 'info', log_rules: 'qpush.access.info=false' });
    const auth = await createNamespace(server, '/quiet');
    const s = await connectOk(server, { gen: 4, transports: ['websocket'], nsp: '/quiet', query: { uuid: 'q-1', userid: 'qu' } });
    const r = await api(server, 'POST', '/api/auth/push', { auth, body: { room: 'user_qu', pushData: {} } });
    assert.equal(r.status, 200);
    await until(() => lines(server, 'text').some((l) => l.category === 'qpush.pushes'), 10000, 'push line');
    s.close();
    assert.equal(lines(server, 'text').filter((l) => l.category === 'qpush.access').length, 0);
    assert.ok(lines(server, 'text').some((l) => l.category === 'qpush.connections'));
  });
});
