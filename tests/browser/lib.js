'use strict';
// Helpers for the browser test (a library, not a test): checks and the
// summary, the ppgd CLI, `ppgd serve`, the delivered .eml, Chromium, axe-core.

const childProcess = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const TOP = process.env.PPGD_TOP || path.resolve(__dirname, '..', '..');
const PPGD = process.env.PPGD || path.join(TOP, 'ppgd');
const ARTIFACTS = path.join(process.env.PPGD_ARTIFACTS ||
                            path.join(TOP, 'tests', 'artifacts'), 'browser');
const CHROMIUM = process.env.PPGD_CHROMIUM || '/usr/bin/chromium';
// As the machine's probe starts it: no GPU, and nothing that reaches out to
// Google's hosts (the network is closed; those connections only add noise).
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync',
];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// -- checks and the summary ---------------------------------------------------

let checks = 0;
let failed = 0;

// Count a check; print FAIL (always) or ok (when $PPGD_VERBOSE).
function check(cond, msg) {
  checks++;
  if (!cond) {
    failed++;
    console.log('FAIL: ' + msg);
  } else if (process.env.PPGD_VERBOSE) {
    console.log('ok: ' + msg);
  }
  return Boolean(cond);
}

// check(got === want) that shows both values when it fails.
function checkEq(got, want, msg) {
  return check(got === want, `${msg} (got ${JSON.stringify(got)}, ` +
               `want ${JSON.stringify(want)})`);
}

function failures() {
  return failed;
}

// Print "N checks, M failed"; the exit status: 1 if any failed or none ran.
function summary(name) {
  if (checks === 0)
    console.log(`${name}: no checks ran: a test that cannot fail`);
  console.log(`${name}: ${checks} checks, ${failed} failed`);
  return failed > 0 || checks === 0 ? 1 : 0;
}

// -- ports, the CLI, the daemon -------------------------------------------------

// A TCP port nothing listens on now.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A work directory under the artefacts with ppgd.conf: file transports into
// DIR/spool/{email,sms}, our templates, a free port.
class TestEnv {
  constructor(name, port) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(ARTIFACTS, name + '-'));
    this.conf = path.join(this.dir, 'ppgd.conf');
    this.url = `http://127.0.0.1:${port}`;
    this.emailSpool = path.join(this.dir, 'spool', 'email');
    fs.writeFileSync(this.conf, [
      '[daemon]',
      `database = ${path.join(this.dir, 'ppgd.db')}`,
      `listen = 127.0.0.1:${port}`,
      `public_url = ${this.url}`,
      'timezone = Europe/London',
      `templates = ${path.join(TOP, 'templates')}`,
      '[email]', 'transport = file', `spool = ${path.join(this.dir, 'spool')}`,
      '[sms]', 'transport = file', `spool = ${path.join(this.dir, 'spool')}`,
      'quiet_start = 00:00', 'quiet_end = 00:00',
      // As ppgdtest.py: no welcome to the members a test adds.
      '[membership]', 'welcome_window = 0', '',
    ].join('\n'));
    this.daemon = null;
  }

  path(...parts) {
    return path.join(this.dir, ...parts);
  }

  // Run `ppgd -c CONF args...`; its stdout. Throws (with stderr) on failure.
  ppgd(...args) {
    const r = childProcess.spawnSync(PPGD, ['-c', this.conf, ...args.map(String)],
                                     { cwd: this.dir, encoding: 'utf8',
                                       timeout: 30000 });
    if (r.status !== 0)
      throw new Error(`ppgd ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  ppgdJson(...args) {
    return JSON.parse(this.ppgd(...args, '--json'));
  }

  // Start `ppgd serve` (stderr to serve.log); resolves once /healthz is 200.
  async serve(timeoutMs = 10000) {
    const log = fs.openSync(this.path('serve.log'), 'w');
    this.daemon = childProcess.spawn(PPGD, ['-c', this.conf, 'serve'], {
      cwd: this.dir, stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.daemonExit = new Promise((resolve) => this.daemon.on('exit', resolve));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.daemon.exitCode === null) {
      try {
        if ((await fetch(this.url + '/healthz')).status === 200)
          return true;
      } catch (e) { /* not listening yet */ }
      await sleep(50);
    }
    return false;
  }

  // SIGTERM the daemon and wait for it; its exit code.
  async stop() {
    if (this.daemon === null)
      return null;
    if (this.daemon.exitCode === null && this.daemon.signalCode === null)
      this.daemon.kill('SIGTERM');
    const code = await this.daemonExit;
    this.daemon = null;
    return code;
  }

  // Wait until the outbox has nothing pending or sending; true if so.
  async drained(timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const o = this.ppgdJson('outbox');
      if (o.pending + o.sending === 0)
        return true;
      await sleep(100);
    }
    return false;
  }

  // The delivered emails (SPOOL/email/*.eml), as latin1 strings.
  emails() {
    if (!fs.existsSync(this.emailSpool))
      return [];
    return fs.readdirSync(this.emailSpool).filter((f) => f.endsWith('.eml'))
      .sort().map((f) => fs.readFileSync(path.join(this.emailSpool, f), 'latin1'));
  }
}

// -- email ---------------------------------------------------------------

// Quoted-printable (RFC 2045) to bytes, read as UTF-8.
function decodeQP(text) {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

// The decoded text/plain part of a MIME message (raw: latin1 string).
function emailText(raw) {
  const m = /boundary="?([^";\r\n]+)"?/i.exec(raw);
  const parts = m ? raw.split('--' + m[1]) : [raw];
  for (const part of parts) {
    const sep = part.search(/\r?\n\r?\n/);
    if (sep < 0)
      continue;
    const head = part.slice(0, sep);
    if (!/^content-type:\s*text\/plain/im.test(head))
      continue;
    const body = part.slice(sep).replace(/^\r?\n\r?\n/, '');
    return /^content-transfer-encoding:\s*quoted-printable/im.test(head)
      ? decodeQP(body) : Buffer.from(body, 'latin1').toString('utf8');
  }
  return null;
}

// -- the browser and axe-core ----------------------------------------------------

async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true,
                           args: CHROMIUM_ARGS });
}

// axe-core's WCAG 2.0/2.1 A and AA results for page ({violations, passes}).
// axe goes in through the DevTools protocol, which the pages' CSP (no
// scripts at all) does not stop: the pages are checked as people get them.
async function axeRun(page) {
  if (!await page.evaluate(() => typeof window.axe !== 'undefined'))
    await page.evaluate(require('axe-core').source);
  return page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
  }), AXE_TAGS);
}

// Run axe on page: one failed check per violation, printing its id, impact,
// the elements (targets) and the rule's help.
async function axeCheck(page, what) {
  const result = await axeRun(page);
  for (const v of result.violations) {
    const targets = v.nodes.map((n) => n.target.join(' ')).join(', ');
    check(false, `${what}: axe ${v.id} (${v.impact}): ${v.help}; ` +
          `target: ${targets}`);
  }
  check(result.passes.length > 0, `${what}: axe ran its rules`);
  if (process.env.PPGD_VERBOSE && result.incomplete.length > 0)
    console.log(`note: ${what}: axe could not decide: ` +
                result.incomplete.map((v) => `${v.id} (${v.nodes.length})`).join(', '));
  return result.violations.length === 0;
}

// A full-page PNG in the artefacts: NN-name.png.
let shots = 0;
async function screenshot(page, name) {
  shots++;
  const file = path.join(ARTIFACTS, `${String(shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Remove the previous run's screenshots (the work directories stay).
function cleanArtifacts() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS))
    if (f.endsWith('.png'))
      fs.rmSync(path.join(ARTIFACTS, f));
}

module.exports = {
  ARTIFACTS, TOP, TestEnv, axeCheck, axeRun, check, checkEq, cleanArtifacts, emailText,
  failures, freePort, launch, screenshot, summary,
};
