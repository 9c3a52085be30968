'use strict';
// Starts standin.js as a child process for the Node.js suites and talks to
// its control port (see standin.js for the rules and records).
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawn } = require('node:child_process');

async function startStandIn({ dir, port, controlPort, requireClientCert = false, keyId = 'KEYID12345', teamId = 'TEAMID1234' } = {}) {
  const pki = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-apns-'));
  const args = [path.join(__dirname, 'standin.js'), '--dir', pki, '--key-id', keyId, '--team-id', teamId];
  if (port) args.push('--port', String(port), '--control-port', String(controlPort));
  if (requireClientCert) args.push('--require-client-cert');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('APNs stand-in not ready within 60 s')), 60000);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`APNs stand-in exited ${code}`)); });
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) { clearTimeout(t); resolve(JSON.parse(out.slice(0, nl))); }
    });
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const control = async (method, p, body) => {
    const r = await fetch(`http://127.0.0.1:${ready.controlPort}${p}`, {
      method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return r.json();
  };
  const standIn = {
    port: ready.port,
    controlPort: ready.controlPort,
    dir: pki,
    host: `127.0.0.1:${ready.port}`,
    file: (name) => path.join(pki, name),
    read: (name) => fs.readFileSync(path.join(pki, name), 'utf8'),
    keyId,
    teamId,
    rules: (r) => control('POST', '/rules', r),
    reset: () => control('POST', '/reset', {}),
    requests: () => control('GET', '/requests'),
    async kill() { child.kill('SIGKILL'); await exited; },
    async restart() { await standIn.kill(); return startStandIn({ dir: pki, port: ready.port, controlPort: ready.controlPort, requireClientCert, keyId, teamId }); },
    async cleanup() { await standIn.kill(); if (!dir) fs.rmSync(pki, { recursive: true, force: true }); },
  };
  process.on('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  return standIn;
}

module.exports = { startStandIn };
