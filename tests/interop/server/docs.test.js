'use strict';
// Keeps the documentation honest (issue 17): runs the examples of
// docs/api.md, the client snippets of docs/client-protocol.md and the steps
// of the README's "Try it" against the real qpush-server binary (QPUSH_SERVER,
// set by CTest), and checks what the documents show against what the server
// answers.
//
// What the documents must look like (so that this file can read them):
// - api.md / README: a ```sh block whose command starts with `curl` is run
//   with bash (cwd: a temporary directory holding the server's `data/`, PW set
//   to the admin password). The URLs 127.0.0.1:56789 / 127.0.0.1:21314 are
//   the default ports; they are replaced by the test server's ports.
//   In api.md the block is followed by a line `→ NNN ...` (the documented
//   status) and optionally by a ```json, ```http or ```text block (the reply).
//   In the README a curl block is followed by its ```json reply (status 200).
// - JSON replies are compared by shape (same keys, same JSON types, nested)
//   and by value, except the values that change from run to run (times, host
//   name, ports, addresses). ```http blocks (curl -i) must have the same
//   status line and the documented header lines (values compared unless the
//   header is in VOLATILE_HEADERS). ```text blocks: every documented line
//   must start an actual line (numbers at the end excepted).
// - client-protocol.md: a ```js block right after `<!-- docs-test: NAME -->`
//   is saved as NAME.js in a directory where `require('socket.io-client')`
//   resolves to the generation the name says (…-v2 → 2.5, otherwise 4.8),
//   run with node, and must print the ```text block after it (line by line,
//   "<label> <json>", compared like JSON replies).
// - Every route registered in server/api/restapi.cpp and
//   server/app/application.cpp must have at least one curl example in api.md.
//
// QPUSH_DOCS_UPDATE=1 rewrites the reply blocks of api.md with what the
// server answered (the way the shown replies were produced); the test still
// fails on a status that differs from the documented one.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..', '..');
const NODE_MODULES = path.join(__dirname, '..', 'node_modules');
for (const p of ['socket.io-client-2', 'socket.io-client-4']) {
  if (!fs.existsSync(path.join(NODE_MODULES, p, 'package.json'))) {
    throw new Error(`${NODE_MODULES} is missing ${p}: run \`npm ci --prefix tests/interop\``);
  }
}
const io4 = require(path.join(NODE_MODULES, 'socket.io-client-4'));

const UPDATE = process.env.QPUSH_DOCS_UPDATE === '1';
const DOC_API_PORT = '56789';
const DOC_SOCKET_PORT = '21314';
const TIMEOUT_MS = 10000;
const T = { timeout: 120000 };

// Values that differ from run to run: compared by type only.
const VOLATILE_KEYS = new Set(['sendDate', 'update_date', 'first_connect_time', 'last_connect_time',
  'last_disconnect_time', 'system', 'port', 'client_ip']);
const VOLATILE_HEADERS = new Set(['date', 'content-length', 'connection', 'keep-alive']);

// ---- the server ---------------------------------------------------------------------------

async function startServer() {
  const bin = process.env.QPUSH_SERVER;
  if (!bin || !fs.existsSync(bin)) throw new Error(`QPUSH_SERVER=${bin} is not the built qpush-server`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qpush-docs-'));
  // An empty config file: the defaults of the documentation, nothing from
  // ./config.yaml or /etc/qpush.
  fs.writeFileSync(path.join(dir, 'empty.yaml'), '# defaults\n');
  const args = ['--config', path.join(dir, 'empty.yaml'), '--data-dir', 'data',
    '--socket-ip', '127.0.0.1', '--socket-port', '0', '--logic-ip', '127.0.0.1', '--logic-port', '0',
    '--log-level', 'warning'];
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; if (err.length > 100000) err = err.slice(-50000); });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ports = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`qpush-server not ready: ${out} ${err}`)), 15000);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`qpush-server exited ${code}: ${out} ${err}`)); });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /qpush-server listening socket=[^:]+:(\d+) api=[^:]+:(\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve({ socketPort: m[1], apiPort: m[2] }); }
    });
  });
  return {
    ...ports,
    dir,
    stdout: () => out,
    password: fs.readFileSync(path.join(dir, 'data', 'admin_passwd'), 'utf8').trim(),
    async stop() {
      child.kill('SIGTERM');
      const r = await Promise.race([exited, new Promise((res) => setTimeout(() => res(null), 5000))]);
      if (!r) { child.kill('SIGKILL'); await exited; }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The documented default ports become the test server's.
function localize(text, server) {
  return text.replaceAll(`127.0.0.1:${DOC_API_PORT}`, `127.0.0.1:${server.apiPort}`)
    .replaceAll(`127.0.0.1:${DOC_SOCKET_PORT}`, `127.0.0.1:${server.socketPort}`);
}

function run(cmd, args, opts) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: TIMEOUT_MS, maxBuffer: 8 << 20, ...opts }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

// Runs a documented curl command; resolves { status, output }.
async function runCurl(command, server) {
  const outFile = path.join(server.dir, 'curl-output');
  fs.rmSync(outFile, { force: true });
  const script = `${localize(command.trim(), server)} -o ${outFile} -w '%{http_code}'`;
  const r = await run('bash', ['-c', script], { cwd: server.dir, env: { ...process.env, PW: server.password } });
  assert.equal(r.code, 0, `${command}\nexit ${r.code}: ${r.stderr}`);
  const output = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  return { status: Number(r.stdout.trim()), output };
}

// ---- comparing documented and actual output -------------------------------------------------

function jsonType(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

// Asserts that `actual` has the shape and the stable values of `doc`.
function sameShape(doc, actual, where) {
  assert.equal(jsonType(actual), jsonType(doc), `${where}: type (documented ${JSON.stringify(doc)}, got ${JSON.stringify(actual)})`);
  if (Array.isArray(doc)) {
    assert.equal(actual.length, doc.length, `${where}: array length (got ${JSON.stringify(actual).slice(0, 300)})`);
    doc.forEach((d, i) => sameShape(d, actual[i], `${where}[${i}]`));
  } else if (jsonType(doc) === 'object') {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(doc).sort(), `${where}: keys`);
    for (const k of Object.keys(doc)) {
      if (VOLATILE_KEYS.has(k)) assert.equal(jsonType(actual[k]), jsonType(doc[k]), `${where}.${k}: type`);
      else sameShape(doc[k], actual[k], `${where}.${k}`);
    }
  } else {
    assert.equal(actual, doc, `${where}: value`);
  }
}

function parseHttp(text) {
  const lines = text.replace(/\r/g, '').split('\n');
  const statusLine = lines.shift();
  const headers = [];
  let i = 0;
  for (; i < lines.length && lines[i] !== ''; ++i) {
    const c = lines[i].indexOf(':');
    headers.push([lines[i].slice(0, c).trim().toLowerCase(), lines[i].slice(c + 1).trim()]);
  }
  return { statusLine, headers, body: lines.slice(i + 1).join('\n').trim() };
}

function compareReply(example, status, output, server) {
  const where = `${example.file}:${example.line}`;
  if (!example.reply) return;
  const { lang, text } = example.reply;
  if (lang === 'json') {
    let actual;
    try { actual = JSON.parse(output); } catch { assert.fail(`${where}: reply is not JSON: ${output.slice(0, 300)}`); }
    sameShape(JSON.parse(text), actual, where);
    if (status >= 400) assert.equal(actual.code, status, `${where}: code`);
  } else if (lang === 'http') {
    const doc = parseHttp(text);
    const got = parseHttp(output);
    assert.equal(got.statusLine.trim(), doc.statusLine.trim(), `${where}: status line`);
    for (const [name, value] of doc.headers) {
      const found = got.headers.filter(([n]) => n === name);
      assert.ok(found.length > 0, `${where}: header ${name} missing; got ${JSON.stringify(got.headers)}`);
      if (!VOLATILE_HEADERS.has(name)) {
        const expected = localize(value, server);
        assert.ok(found.some(([, v]) => v === expected), `${where}: ${name}: ${expected} expected, got ${found.map(([, v]) => v)}`);
      }
    }
    if (doc.body) sameShape(JSON.parse(doc.body), JSON.parse(got.body), `${where} body`);
  } else {
    const actualLines = output.split('\n');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const prefix = line.replace(/[\d.]+$/, '');
      assert.ok(actualLines.some((a) => a.startsWith(prefix)), `${where}: no line starting with ${JSON.stringify(prefix)} in\n${output}`);
    }
  }
}

// The reply block as it is written back in update mode.
function formatReply(lang, output) {
  if (lang === 'json') {
    const v = JSON.parse(output);
    const compact = JSON.stringify(v);
    return compact.length <= 100 ? compact : JSON.stringify(v, null, 2);
  }
  return output.replace(/\r/g, '').trimEnd();
}

// ---- reading the documents -----------------------------------------------------------------

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

// api.md: ```sh curl …``` + `→ NNN` + optional reply block.
function apiExamples(file) {
  const md = fs.readFileSync(file, 'utf8');
  const re = /```sh\n(curl [\s\S]*?)```\n→ (\d{3})[^\n]*\n(?:\n?```(json|http|text)\n([\s\S]*?)```)?/g;
  const list = [];
  let m;
  while ((m = re.exec(md))) {
    const replyIndex = m[4] === undefined ? -1 : m.index + m[0].length - 3 - m[4].length;
    list.push({
      file: path.relative(REPO, file), line: lineOf(md, m.index), command: m[1], status: Number(m[2]),
      reply: m[3] ? { lang: m[3], text: m[4], index: replyIndex } : null,
    });
  }
  return { md, list };
}

// The fenced blocks of a markdown section, in order: [{lang, text, line, before}].
function blocks(md, fromHeading, toHeadingRe = /\n## /) {
  const start = md.indexOf(fromHeading);
  assert.ok(start >= 0, `no section ${fromHeading}`);
  const rest = md.slice(start + fromHeading.length);
  const end = rest.search(toHeadingRe);
  const section = end < 0 ? rest : rest.slice(0, end);
  const re = /```(\w*)\n([\s\S]*?)```/g;
  const out = [];
  let m;
  let last = 0;
  while ((m = re.exec(section))) {
    out.push({ lang: m[1], text: m[2], line: lineOf(md, start + fromHeading.length + m.index), before: section.slice(last, m.index) });
    last = m.index + m[0].length;
  }
  return out;
}

// A directory whose node_modules/socket.io-client is the given generation.
function clientDir(server, gen) {
  const dir = path.join(server.dir, `client-v${gen}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(NODE_MODULES, `socket.io-client-${gen}`), path.join(dir, 'node_modules', 'socket.io-client'));
  }
  return dir;
}

// Starts a node script; collects its stdout lines. lines(), waitLine(re), stop().
function startNode(dir, file, server) {
  const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let buf = '';
  let err = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      for (const w of [...waiters]) w();
    }
  });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => { resolve(code); for (const w of [...waiters]) w(); }));
  let done = false;
  child.on('exit', () => { done = true; });
  return {
    lines,
    exited,
    waitLine(re, timeoutMs = TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => re.test(l));
          if (found !== undefined) { cleanup(); resolve(found); return true; }
          if (done) { cleanup(); reject(new Error(`${file} exited before printing ${re}: ${lines.join('\n')}\n${err}`)); return true; }
          return false;
        };
        const t = setTimeout(() => { cleanup(); reject(new Error(`${file}: no line ${re} within ${timeoutMs} ms: ${lines.join('\n')}\n${err}`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(t); const i = waiters.indexOf(check); if (i >= 0) waiters.splice(i, 1); };
        if (!check()) waiters.push(check);
      });
    },
    stop() { if (!done) child.kill('SIGTERM'); return exited; },
  };
}

// "<label> <json>" lines: the documented ones must match the printed ones.
function compareLines(docText, actualLines, where) {
  const doc = docText.split('\n').filter((l) => l.trim());
  assert.equal(actualLines.length, doc.length, `${where}: printed\n${actualLines.join('\n')}\ndocumented\n${doc.join('\n')}`);
  doc.forEach((line, i) => {
    const sp = line.indexOf(' ');
    const label = sp < 0 ? line : line.slice(0, sp);
    const actual = actualLines[i];
    const asp = actual.indexOf(' ');
    assert.equal(asp < 0 ? actual : actual.slice(0, asp), label, `${where}: line ${i + 1} label (${actual})`);
    if (sp >= 0) sameShape(JSON.parse(line.slice(sp + 1)), JSON.parse(actual.slice(asp + 1)), `${where}: line ${i + 1} (${label})`);
  });
}

// ---- the tests -----------------------------------------------------------------------------

describe('docs/api.md examples', () => {
  let server;
  let client;
  before(async () => { server = await startServer(); });
  after(async () => { client?.close(); await server?.stop(); });

  it('every curl example answers the documented status and reply', T, async () => {
    const file = path.join(REPO, 'docs', 'api.md');
    const { md, list } = apiExamples(file);
    assert.ok(list.length >= 30, `only ${list.length} examples found in docs/api.md`);
    const replacements = [];
    for (const ex of list) {
      const { status, output } = await runCurl(ex.command, server);
      assert.equal(status, ex.status, `${ex.file}:${ex.line}: ${ex.command}\n${output}`);
      if (UPDATE && ex.reply) replacements.push({ ex, text: formatReply(ex.reply.lang, output) + '\n' });
      else compareReply(ex, status, output, server);
      // The documented client (README "Try it"): connected once /demo
      // exists, acks every push before the next example runs.
      if (!client && /namespace\/save/.test(ex.command) && status === 200) {
        client = io4(`http://127.0.0.1:${server.socketPort}/demo`, { query: { uuid: 'd1', userid: 'u1' }, transports: ['websocket'], reconnection: false });
        client.acked = new Set();
        client.on('push', (m) => client.emit('ackPush', { id: m.id }, () => client.acked.add(m.id)));
        await new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('client: no ok')), TIMEOUT_MS);
          client.once('ok', () => { clearTimeout(t); resolve(); });
        });
      }
      if (/\/api\/auth\/push/.test(ex.command) && status === 200) {
        const { id, expectAckCount } = JSON.parse(output);
        if (expectAckCount > 0) {
          const end = Date.now() + TIMEOUT_MS;
          while (!client.acked.has(id)) {
            assert.ok(Date.now() < end, `push ${id} not acked`);
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }
    }
    if (UPDATE) {
      let out = md;
      for (const { ex, text } of replacements.reverse()) {
        out = out.slice(0, ex.reply.index) + text + out.slice(ex.reply.index + ex.reply.text.length);
      }
      fs.writeFileSync(file, out);
    }
  });
});

// Method and path of a documented curl command.
function curlTarget(command) {
  const url = /https?:\/\/[^/\s'"]+(\/[^\s'"?]*)/.exec(command);
  const explicit = /(?:^|\s)-X\s+(\w+)/.exec(command);
  const method = explicit ? explicit[1] : (/(?:^|\s)(-d|--data\S*)\s/.test(command) ? 'POST' : 'GET');
  return { method, path: url ? url[1] : '' };
}

describe('docs/api.md coverage', () => {
  it('every route the server registers has a curl example', () => {
    // The REST route tables (server/api/*routes.cpp) and the application's own routes.
    const apiDir = path.join(REPO, 'server', 'api');
    const sources = fs.readdirSync(apiDir).filter((f) => f.endsWith('routes.cpp')).map((f) => path.join('server', 'api', f))
      .concat(['server/app/application.cpp'])
      .map((f) => fs.readFileSync(path.join(REPO, f), 'utf8')).join('\n');
    const routes = [];
    const re = /\{A::(?:Namespace|Admin),\s*"(GET|POST)",\s*"([^"]+)"|m_router->get\(\s*"([^"]+)"/g;
    let m;
    while ((m = re.exec(sources))) routes.push(m[3] ? { method: 'GET', path: m[3] } : { method: m[1], path: m[2] });
    assert.ok(routes.length >= 20, `only ${routes.length} routes found in the server sources`);
    const targets = apiExamples(path.join(REPO, 'docs', 'api.md')).list.map((ex) => curlTarget(ex.command));
    const missing = routes.filter((r) => !targets.some((t) => t.method === r.method && (r.path.endsWith('/:')
      ? t.path.startsWith(r.path.slice(0, -1)) && t.path.length > r.path.length - 1 && !t.path.slice(r.path.length - 1).includes('/')
      : t.path === r.path)));
    assert.deepEqual(missing, [], 'routes without an example in docs/api.md');
  });
});

describe('docs/client-protocol.md snippets', () => {
  let server;
  before(async () => {
    server = await startServer();
    const r = await runCurl(`curl -s -u "admin:$PW" -H 'content-type: application/json' -d '{"key":"/demo","name":"Demo","auth_passwd":"secret"}' http://127.0.0.1:${DOC_API_PORT}/api/admin/namespace/save`, server);
    assert.equal(r.status, 200, r.output);
  });
  after(async () => { await server?.stop(); });

  const md = fs.readFileSync(path.join(REPO, 'docs', 'client-protocol.md'), 'utf8');
  const re = /<!-- docs-test: ([\w-]+) -->\n```js\n([\s\S]*?)```\n[\s\S]*?```text\n([\s\S]*?)```/g;
  const snippets = [];
  let m;
  while ((m = re.exec(md))) snippets.push({ name: m[1], code: m[2], expected: m[3], line: lineOf(md, m.index) });

  it('has a runnable snippet for each client generation', () => {
    assert.ok(snippets.some((s) => s.name.endsWith('-v2')), 'no socket.io-client 2.x snippet');
    assert.ok(snippets.some((s) => !s.name.endsWith('-v2')), 'no socket.io-client 4.x snippet');
  });

  for (const s of snippets) {
    it(`${s.name} (docs/client-protocol.md:${s.line}) prints what the document shows`, T, async () => {
      const dir = clientDir(server, s.name.endsWith('-v2') ? 2 : 4);
      fs.writeFileSync(path.join(dir, `${s.name}.js`), localize(s.code, server));
      const proc = startNode(dir, `${s.name}.js`, server);
      const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
      if (code === 'timeout') await proc.stop();
      assert.equal(code, 0, `${s.name}.js did not exit 0 by itself: ${proc.lines.join('\n')}`);
      compareLines(s.expected, proc.lines, `docs/client-protocol.md:${s.line}`);
    });
  }
});

describe('README "Try it"', () => {
  let server;
  const procs = [];
  before(async () => { server = await startServer(); });
  after(async () => { for (const p of procs) await p.stop(); await server?.stop(); });

  it('every step runs and shows what the README shows', T, async () => {
    const md = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const list = blocks(md, '\n## Try it\n');
    assert.ok(list.length >= 6, 'the Try it section has too few steps');
    let clientProc = null;
    let lastPushId = null;
    for (let i = 0; i < list.length; ++i) {
      const b = list[i];
      const where = `README.md:${b.line}`;
      const next = list[i + 1];
      if (b.lang !== 'sh') continue;
      const text = b.text.trim();
      if (text.startsWith('build/server/qpush-server')) {
        // Started by the test (same data dir, free ports): the shown output
        // must have the lines it prints.
        assert.equal(next.lang, 'text', `${where}: the server's output should follow`);
        assert.match(next.text, /qpush-server listening socket=\S+:21314 api=\S+:56789 store=sqlite/, where);
        assert.match(server.stdout(), /qpush-server listening socket=/, where);
        assert.match(next.text, /admin password: \S+/, `${where}: the generated password`);
        assert.match(server.stdout(), /admin password: \S+/, `${where}: the generated password`);
        continue;
      }
      if (text.startsWith('curl')) {
        const { status, output } = await runCurl(text, server);
        assert.equal(status, 200, `${where}: ${text}\n${output}`);
        assert.equal(next.lang, 'json', `${where}: the reply should follow`);
        sameShape(JSON.parse(next.text), JSON.parse(output), where);
        if (/\/api\/auth\/push/.test(text)) {
          lastPushId = JSON.parse(output).id;
          assert.ok(clientProc, `${where}: push before the client runs`);
          // The client acks before the report is read.
          await clientProc.waitLine(/^ackPush /);
        }
        continue;
      }
      if (/npm install/.test(text)) {
        // Not run (no network in tests): the test's client directory has
        // the pinned socket.io-client of the same generation.
        assert.match(text, /npm install (--silent )?socket\.io-client@4$/, where);
        continue;
      }
      if (/^node \S+\.js &$/.test(text)) {
        const file = text.split(' ')[1];
        const dir = clientDir(server, 4);
        const source = path.join(server.dir, file);
        assert.ok(fs.existsSync(source), `${where}: ${file} was not written by an earlier step`);
        fs.writeFileSync(path.join(dir, file), localize(fs.readFileSync(source, 'utf8'), server));
        clientProc = startNode(dir, file, server);
        procs.push(clientProc);
        await clientProc.waitLine(/^ok /);
        continue;
      }
      // Any other step (writing client.js, reading the password): run as is.
      const r = await run('bash', ['-e', '-c', text], { cwd: server.dir, env: { ...process.env, PW: server.password } });
      assert.equal(r.code, 0, `${where}: ${text}\n${r.stderr}`);
    }
    assert.ok(lastPushId, 'no push in Try it');
    // What the client printed, as shown (the text block after "node client.js &").
    const shown = list.find((b, i) => i > 0 && b.lang === 'text' && /^node \S+\.js &$/.test(list[i - 1].text.trim()));
    assert.ok(shown, 'the client output is not shown after node client.js &');
    compareLines(shown.text, clientProc.lines, `README.md:${shown.line}`);
  });
});
