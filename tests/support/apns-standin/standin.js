#!/usr/bin/env node
// APNs stand-in for the tests: real HTTP/2 over TLS on a loopback port
// (Node's built-in http2), with a CA, server and client certificates and
// ES256 provider keys generated at first start with the openssl CLI.
//
//   node standin.js --dir DIR [--port N] [--require-client-cert]
//                   [--key-id KID] [--team-id TEAM] [--max-token-age SECONDS]
//
// Prints one JSON line {port, controlPort, dir} when ready. Control (plain
// HTTP/1.1 on 127.0.0.1:controlPort, JSON):
//   POST /rules  {"<device token>": [answer, ...], "*": [answer, ...]}
//        answer: 200 | 410 | {"status":400,"reason":"BadDeviceToken"} |
//                {"status":200,"delayMs":300} | "goaway" (answer 200, then
//                send GOAWAY and close the connection)
//        each request of that token takes the next answer; the last one
//        repeats; "*" is for tokens without a rule. Default: 200.
//   GET  /requests  every request so far: {connection, path, token, headers,
//                   body, iat, kid, status, reason}
//   POST /reset     forget requests and rules
// Token auth: every request with `authorization: bearer <jwt>` is checked
// (ES256 with token.pub, JOSE signature; kid and iss; iat not older than
// --max-token-age): 403 InvalidProviderToken / ExpiredProviderToken.
// Without a bearer token the TLS client certificate must have been accepted
// (signed by the stand-in CA), else 403 MissingProviderToken.
'use strict';
const http2 = require('node:http2');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');

function arg(name, def) {
    const i = process.argv.indexOf('--' + name);
    return i >= 0 ? process.argv[i + 1] : def;
}
const flag = (name) => process.argv.includes('--' + name);

const dir = arg('dir');
if (!dir) {
    console.error('--dir is required');
    process.exit(2);
}
const keyId = arg('key-id', 'KEYID12345');
const teamId = arg('team-id', 'TEAMID1234');
const maxTokenAge = Number(arg('max-token-age', '3600'));
const requireClientCert = flag('require-client-cert');

fs.mkdirSync(dir, { recursive: true });
const f = (name) => path.join(dir, name);
const ossl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function makePki() {
    if (fs.existsSync(f('ready'))) return;
    const ext = f('ext.cnf');
    fs.writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    const fresh = (name) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(name));
    for (const ca of ['ca', 'rogue-ca']) {
        fresh(ca + '.key');
        ossl('req', '-x509', '-new', '-key', f(ca + '.key'), '-subj', '/CN=qpush test ' + ca, '-days', '30', '-out', f(ca + '.pem'));
    }
    const issue = (name, ca, subj, extra) => {
        fresh(name + '.key');
        ossl('req', '-new', '-key', f(name + '.key'), '-subj', subj, '-out', f(name + '.csr'));
        ossl('x509', '-req', '-in', f(name + '.csr'), '-CA', f(ca + '.pem'), '-CAkey', f(ca + '.key'),
            '-CAcreateserial', '-days', '30', '-out', f(name + '.pem'), ...extra);
    };
    issue('server', 'ca', '/CN=localhost', ['-extfile', ext]);
    issue('client', 'ca', '/CN=com.example.app/UID=com.example.app', []);
    issue('rogue-client', 'rogue-ca', '/CN=com.example.app', []);
    // ES256 provider keys, PKCS#8 like Apple's .p8 files.
    for (const k of ['token', 'other-token']) {
        fresh(k + '.p8');
        ossl('pkey', '-in', f(k + '.p8'), '-pubout', '-out', f(k + '.pub'));
    }
    fs.writeFileSync(f('ready'), '');
}
makePki();

const publicKey = crypto.createPublicKey(fs.readFileSync(f('token.pub')));
let rules = {};
let cursor = {};
let requests = [];
let connectionCount = 0;
const verified = new Map();

function nextAnswer(token) {
    const list = rules[token] || rules['*'];
    if (!list || list.length === 0) return { status: 200 };
    const key = rules[token] ? token : '*';
    const i = cursor[key] || 0;
    cursor[key] = i + 1;
    const a = list[Math.min(i, list.length - 1)];
    if (a === 'goaway') return { status: 200, goaway: true };
    return typeof a === 'number' ? { status: a } : a;
}

function checkJwt(jwt) {
    const parts = jwt.split('.');
    if (parts.length !== 3) return { reason: 'InvalidProviderToken' };
    let header, claims;
    try {
        header = JSON.parse(Buffer.from(parts[0], 'base64url'));
        claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    } catch (e) {
        return { reason: 'InvalidProviderToken' };
    }
    // Like APNs, a token is verified once and then recognised.
    let ok = verified.get(jwt);
    if (ok === undefined) {
        const sig = Buffer.from(parts[2], 'base64url');
        ok = header.alg === 'ES256' && sig.length === 64 &&
            crypto.verify('sha256', Buffer.from(parts[0] + '.' + parts[1]), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
        if (verified.size >= 1000) verified.clear();
        verified.set(jwt, ok);
    }
    const info = { kid: header.kid, iat: claims.iat };
    if (!ok || header.kid !== keyId || claims.iss !== teamId || typeof claims.iat !== 'number')
        return { ...info, reason: 'InvalidProviderToken' };
    const now = Math.floor(Date.now() / 1000);
    if (now - claims.iat > maxTokenAge) return { ...info, reason: 'ExpiredProviderToken' };
    if (claims.iat - now > 60) return { ...info, reason: 'InvalidProviderToken' };
    return info;
}

const server = http2.createSecureServer({
    key: fs.readFileSync(f('server.key')),
    cert: fs.readFileSync(f('server.pem')),
    ca: fs.readFileSync(f('ca.pem')),
    requestCert: true,
    rejectUnauthorized: requireClientCert,
    allowHTTP1: false,
});
server.on('session', (session) => {
    session.qpushId = ++connectionCount;
});
server.on('stream', (stream, headers) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
        const session = stream.session;
        if (!session) return;
        const p = headers[':path'] || '';
        const m = /^\/3\/device\/([0-9a-fA-F]+)$/.exec(p);
        const token = m ? m[1] : '';
        const record = {
            connection: session.qpushId, path: p, token, headers: { ...headers },
            body: Buffer.concat(chunks).toString('utf8'),
        };
        let answer;
        const auth = headers['authorization'] || '';
        if (headers[':method'] !== 'POST' || !m) {
            answer = { status: 404, reason: 'BadPath' };
        } else if (auth.startsWith('bearer ')) {
            const j = checkJwt(auth.slice(7));
            record.iat = j.iat;
            record.kid = j.kid;
            answer = j.reason ? { status: 403, reason: j.reason } : nextAnswer(token);
        } else if (!session.socket || !session.socket.authorized) {
            answer = { status: 403, reason: 'MissingProviderToken' };
        } else if (!headers['apns-topic']) {
            answer = { status: 400, reason: 'MissingTopic' };
        } else {
            answer = nextAnswer(token);
        }
        record.status = answer.status;
        record.reason = answer.reason;
        requests.push(record);
        const reply = () => {
            if (stream.destroyed) return;
            const h = { ':status': answer.status, 'apns-id': headers['apns-id'] || crypto.randomUUID() };
            if (answer.status === 200) {
                stream.respond(h, { endStream: true });
            } else {
                h['content-type'] = 'application/json';
                stream.respond(h);
                const body = { reason: answer.reason || (answer.status === 410 ? 'Unregistered' : answer.status === 429 ? 'TooManyRequests' : 'InternalServerError') };
                if (answer.status === 410) body.timestamp = Date.now();
                stream.end(JSON.stringify(body));
            }
            if (answer.goaway) {
                session.goaway(http2.constants.NGHTTP2_NO_ERROR);
                setTimeout(() => session.destroyed || session.destroy(), 200);
            }
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs); else reply();
    });
});

const control = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const send = (obj) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(obj));
        };
        if (req.method === 'POST' && req.url === '/rules') {
            rules = JSON.parse(Buffer.concat(chunks).toString() || '{}');
            cursor = {};
            return send({});
        }
        if (req.method === 'POST' && req.url === '/reset') {
            rules = {};
            cursor = {};
            requests = [];
            return send({});
        }
        if (req.url === '/requests') return send(requests);
        res.writeHead(404);
        res.end();
    });
});

server.listen(Number(arg('port', '0')), '127.0.0.1', () => {
    control.listen(Number(arg('control-port', '0')), '127.0.0.1', () => {
        console.log(JSON.stringify({ port: server.address().port, controlPort: control.address().port, dir }));
    });
});
// The test that started us may die without stopping us: go with stdin.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
