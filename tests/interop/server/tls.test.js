'use strict';
// TLS served by qpush-server itself (tls_cert / tls_key, issue 16): real npm
// clients (socket.io-client 2.5 and 4.8) over wss:// and https:// polling,
// REST over https, curl --cacert against /health, ALPN http/1.1, TLS 1.2+
// only, bad certificate files (config-error exit code 2), and SIGHUP
// certificate reload. The certificates are generated with the openssl
// command at test time; the clients trust exactly that certificate (`ca`),
// with verification on.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const tls = require('node:tls');
const { execFileSync, execFile } = require('node:child_process');
const q = require('./qpush');

const { ADMIN, request, GENERATIONS } = q;
const io4 = require(path.join(__dirname, '..', 'node_modules', 'socket.io-client-4'));
const io2 = require(path.join(__dirname, '..', 'node_modules', 'socket.io-client-2'));

const T = { timeout: 30000 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-tls-'));

function makeCert(name, cn) {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key, pem: fs.readFileSync(cert) };
}

const A = makeCert('a', 'qpush-tls-a');
const B = makeCert('b', 'qpush-tls-b');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// https request to the API port trusting `ca` only.
function httpsApi(server, method, pathAndQuery, { body, ca = A.pem, port = server.apiPort } = {}) {
  return new Promise((resolve, reject) => {
    const auth = 'Basic ' + Buffer.from(`${ADMIN[0]}:${ADMIN[1]}`).toString('base64');
    const data = body === undefined ? null : JSON.stringify(body);
    const req = https.request({ host: '127.0.0.1', port, method, path: pathAndQuery, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'], agent: false,
      headers: { authorization: auth, ...(data ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      const alpn = res.socket.alpnProtocol;
      const protocol = res.socket.getProtocol();
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = text; }
        resolve({ status: res.statusCode, body: parsed, alpn, protocol });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function connectTls(server, { gen, transports, nsp, query }) {
  const url = `https://127.0.0.1:${server.socketPort}${nsp}`;
  const opts = { transports, forceNew: true, reconnection: false, timeout: 5000, ca: A.pem, rejectUnauthorized: true };
  if (gen === 2) {
    const qs = new URLSearchParams(query).toString();
    return io2.connect(`${url}?${qs}`, opts);
  }
  return io4(url, { ...opts, query });
}

function okOf(s) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no ok within 5 s')), 5000);
    s.once('ok', (m) => { clearTimeout(t); resolve(m); });
    s.once('connect_error', (e) => { clearTimeout(t); reject(new Error(`connect_error: ${e.message} ${e.description?.message || ''}`)); });
    s.once('error', (e) => { clearTimeout(t); reject(new Error(`error: ${JSON.stringify(e)}`)); });
  });
}

// Resolves the peer certificate's CN of a fresh TLS connection to `port`.
function peerCn(port, ca) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.end();
      resolve(cn);
    });
    s.on('error', reject);
  });
}

function curl(args) {
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 20000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

describe('TLS on both ports', () => {
  let server;
  before(async () => { server = await q.startQpush({ tls_cert: A.cert, tls_key: A.key }); });
  after(async () => { if (server) await server.cleanup(); });

  it('REST over https: namespace created, ALPN http/1.1, TLS 1.2+', T, async () => {
    const r = await httpsApi(server, 'POST', '/api/admin/namespace/save',
      { body: { key: '/tls', name: 'tls', auth_passwd: 'secret' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.alpn, 'http/1.1');
    assert.match(r.protocol, /^TLSv1\.[23]$/);
  });

  for (const g of GENERATIONS) {
    it(`${g.label} over ${g.transports[0] === 'websocket' ? 'wss://' : 'https:// polling'}: connect, join, receive a push`, T, async () => {
      const room = `r${g.gen}${g.transports[0]}`;
      const s = connectTls(server, { gen: g.gen, transports: g.transports, nsp: '/tls', query: { uuid: `u-${room}` } });
      try {
        await okOf(s);
        assert.deepEqual(await request(s, 'joinRoom', [room]), { status: 200, msg: 'ok' });
        const got = new Promise((resolve) => s.once('push', resolve));
        const auth = 'Basic ' + Buffer.from('/tls:secret').toString('base64');
        const r = await new Promise((resolve, reject) => {
          const data = JSON.stringify({ room, pushData: { hello: room } });
          const req = https.request({ host: '127.0.0.1', port: server.apiPort, method: 'POST', path: '/api/auth/push',
            ca: A.pem, servername: 'localhost', headers: { authorization: auth, 'content-type': 'application/json' } }, (res) => {
            let t = '';
            res.on('data', (d) => { t += d; });
            res.on('end', () => resolve({ status: res.statusCode, body: t }));
          });
          req.on('error', reject);
          req.end(data);
        });
        assert.equal(r.status, 200, r.body);
        const push = await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('no push within 5 s')), 5000))]);
        assert.deepEqual(push.pushData, { hello: room });
        assert.equal(push.room, room);
      } finally {
        s.close();
      }
    });
  }

  it('curl --cacert gets /health on the API port with ALPN http/1.1; without the CA curl refuses', T, async () => {
    const ok = await curl(['-sS', '-v', '--cacert', A.cert, `https://localhost:${server.apiPort}/health`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'hello');
    assert.match(ok.stderr, /ALPN: server accepted http\/1\.1|ALPN, server accepted to use http\/1\.1/);
    const bad = await curl(['-sS', `https://localhost:${server.apiPort}/health`]);
    assert.equal(bad.code, 60, `curl without the CA: exit ${bad.code} ${bad.stderr}`); // peer certificate cannot be authenticated
  });

  it('the client port answers /health over https too; plain http gets no HTTP answer', T, async () => {
    const r = await httpsApi(server, 'GET', '/health', { port: server.socketPort });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello');
    await assert.rejects(fetch(`http://127.0.0.1:${server.socketPort}/health`));
  });

  it('TLS 1.1 is refused by the server (protocol_version alert)', T, async () => {
    const err = await new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.apiPort, ca: A.pem, servername: 'localhost',
        minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => { s.end(); resolve(null); });
      s.on('error', resolve);
    });
    assert.ok(err, 'a TLS 1.1 handshake must fail');
    assert.match(err.code || err.message, /PROTOCOL_VERSION|protocol version/i);
  });
});

describe('certificate files', () => {
  it('a key that does not match the certificate: exit 2 with a clear message', T, async () => {
    await assert.rejects(q.startQpush({ tls_cert: A.cert, tls_key: B.key }),
      (err) => /exited 2/.test(err.message) && /does not match/.test(err.message));
  });

  it('a file that is not a PEM certificate, or missing: exit 2', T, async () => {
    const junk = path.join(dir, 'junk.pem');
    fs.writeFileSync(junk, 'not used\n');
    await assert.rejects(q.startQpush({ tls_cert: junk, tls_key: A.key }),
      (err) => /exited 2/.test(err.message) && /not a usable PEM certificate/.test(err.message));
    await assert.rejects(q.startQpush({ tls_cert: path.join(dir, 'missing.pem'), tls_key: A.key }),
      (err) => /exited 2/.test(err.message) && /missing\.pem/.test(err.message));
  });

  it('SIGHUP reloads the certificate for new connections; a broken file keeps the old one', T, async () => {
    const cert = path.join(dir, 'live.pem');
    const key = path.join(dir, 'live.key');
    fs.copyFileSync(A.cert, cert);
    fs.copyFileSync(A.key, key);
    const server = await q.startQpush({ tls_cert: cert, tls_key: key, log_level: 'info' });
    try {
      assert.equal(await peerCn(server.apiPort, A.pem), 'qpush-tls-a');
      fs.copyFileSync(B.cert, cert);
      fs.copyFileSync(B.key, key);
      server.child.kill('SIGHUP');
      await q.until(async () => { try { return (await peerCn(server.apiPort, B.pem)) === 'qpush-tls-b'; } catch { return false; } },
        10000, 'certificate b served after SIGHUP');
      assert.equal(await peerCn(server.socketPort, B.pem), 'qpush-tls-b');
      fs.writeFileSync(key, 'broken\n');
      server.child.kill('SIGHUP');
      await q.until(() => /TLS reload failed/.test(server.stderr()), 10000, 'reload failure logged');
      assert.equal(await peerCn(server.apiPort, B.pem), 'qpush-tls-b');
      assert.equal(server.child.exitCode, null, 'still running');
    } finally {
      await server.cleanup();
    }
  });
});
