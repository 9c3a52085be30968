'use strict';
// Shared harness for the interop suites: starts the server under test, parses
// its "listening 127.0.0.1:<port>" line, stops it with SIGTERM at the end, and
// offers small event helpers with hard timeouts (no fixed sleeps).
//
// Server under test:
//   QPUSH_PROTOCOL_SERVER=/path/to/qpush-protocol-server   (what CTest sets)
//   QPUSH_INTEROP_REFERENCE=1   -> node reference/protocol-server.js instead

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');

const NODE_MODULES = path.join(__dirname, 'node_modules');
const CLIENT_PACKAGES = ['engine.io-client-3', 'engine.io-client-6', 'socket.io-client-2', 'socket.io-client-4'];
const missing = CLIENT_PACKAGES.filter((p) => !fs.existsSync(path.join(NODE_MODULES, p, 'package.json')));
if (missing.length) {
  throw new Error(
    `${NODE_MODULES} is missing or incomplete (no ${missing.join(', ')}): the interop tests `
    + 'need the pinned npm clients. Run `npm ci --prefix tests/interop` from the repository root.');
}

const READY_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;

function serverCommand() {
  if (process.env.QPUSH_INTEROP_REFERENCE === '1') {
    return {
      cmd: process.execPath,
      args: [path.join(__dirname, 'reference', 'protocol-server.js'), '--port', '0'],
      label: 'reference (npm engine.io 6 / socket.io 4 / socket.io 2)',
    };
  }
  const bin = process.env.QPUSH_PROTOCOL_SERVER;
  if (!bin) {
    throw new Error('QPUSH_PROTOCOL_SERVER is not set: point it at the built '
      + 'qpush-protocol-server binary (CTest does), or set QPUSH_INTEROP_REFERENCE=1 '
      + 'to run against the npm reference servers.');
  }
  if (!fs.existsSync(bin)) throw new Error(`QPUSH_PROTOCOL_SERVER=${bin} does not exist`);
  return { cmd: bin, args: ['--port', '0'], label: bin };
}

// Starts one server; resolves { port, url, host, stop(), exited, stderr() }.
function startServer() {
  const { cmd, args, label } = serverCommand();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 200000) stderr = stderr.slice(-100000);
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${label}: no "listening" line within ${READY_TIMEOUT_MS} ms; `
        + `stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}`));
    }, READY_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${label}: cannot start: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited before ready (code ${code}, signal ${signal}); `
        + `stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}`));
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^listening 127\.0\.0\.1:(\d+)\r?$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return ready.then((port) => {
    if (!(port > 0 && port < 65536)) throw new Error(`${label}: bad port in ${stdout}`);
    let stopping = null;
    const server = {
      port,
      host: `127.0.0.1:${port}`,
      url: `http://127.0.0.1:${port}`,
      child,
      label,
      exited,
      stderr: () => stderr,
      // SIGTERM, then bounded wait; SIGKILL (and a rejection) if it hangs.
      stop() {
        if (stopping) return stopping;
        if (child.exitCode !== null || child.signalCode !== null) {
          stopping = exited;
          return stopping;
        }
        child.kill('SIGTERM');
        stopping = Promise.race([
          exited,
          new Promise((resolve) => setTimeout(() => resolve(null), STOP_TIMEOUT_MS).unref()),
        ]).then((res) => {
          if (res) return res;
          child.kill('SIGKILL');
          throw new Error(`${label}: did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
        });
        return stopping;
      },
    };
    return server;
  }, (err) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  });
}

// Resolves with the first emission of `event` on `emitter` (an array of the
// arguments), rejects after `ms` or when one of `failOn` events fires first.
function once(emitter, event, ms = 5000, failOn = []) {
  return new Promise((resolve, reject) => {
    const cleanups = [];
    const done = (fn, v) => {
      clearTimeout(timer);
      for (const c of cleanups) c();
      fn(v);
    };
    const timer = setTimeout(() => done(reject,
      new Error(`timed out after ${ms} ms waiting for "${event}"`)), ms);
    const onEvent = (...args) => done(resolve, args);
    emitter.on(event, onEvent);
    cleanups.push(() => off(emitter, event, onEvent));
    for (const f of failOn) {
      const onFail = (...args) => done(reject, new Error(`"${f}" before "${event}": `
        + args.map((a) => (a instanceof Error ? a.message : JSON.stringify(a))).join(', ')));
      emitter.on(f, onFail);
      cleanups.push(() => off(emitter, f, onFail));
    }
  });
}

function off(emitter, event, fn) {
  if (typeof emitter.off === 'function') emitter.off(event, fn);
  else if (typeof emitter.removeListener === 'function') emitter.removeListener(event, fn);
  else if (typeof emitter.removeEventListener === 'function') emitter.removeEventListener(event, fn);
}

// Waits until `pred()` is true, checking each `stepMs`; rejects after `ms`.
async function waitFor(pred, ms = 3000, stepMs = 20, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    // eslint-disable-next-line no-await-in-loop
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await delay(stepMs);
  }
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Plain HTTP request; resolves { status, headers, body (Buffer) }.
function httpRequest(url, { method = 'GET', body, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks),
      }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Any binary representation (Buffer, ArrayBuffer, typed array) -> Buffer.
function toBuffer(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  throw new Error(`not binary: ${Object.prototype.toString.call(x)}`);
}

function isBinary(x) {
  return Buffer.isBuffer(x) || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

// Deterministic binary payload of `n` bytes covering all byte values.
function pattern(n, seed = 7) {
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i += 1) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    b[i] = (s >> 16) & 0xff;
  }
  return b;
}

module.exports = {
  startServer, once, waitFor, delay, withTimeout, httpRequest, toBuffer, isBinary, pattern,
};
