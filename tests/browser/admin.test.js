'use strict';
// The staff web admin in Chromium: set a password from the reset link,
// sign in, see the care alert first on the home page and acknowledge it,
// search members, approve a comment, enrol a second factor; axe-core (WCAG
// 2.1 A and AA) on every page, screenshots into tests/artifacts/browser/,
// the sign-in page also at a phone's size.

const fs = require('node:fs');
const path = require('node:path');
const t = require('./lib.js');

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 667 };
const PASSWORD = 'correct horse battery staple';
const checkEq = t.checkEq;

function appendConfig(env, text) {
  fs.appendFileSync(env.conf, text);
}

// Two practices, members, an emergency care alert for each, an answered
// survey with a comment to moderate, and a manager of the first practice.
function setup(env) {
  env.ppgd('init');
  env.ppgd('practice', 'add', 'A81001', '--name', 'Riverside Medical Practice');
  env.ppgd('practice', 'add', 'B82002', '--name', 'Hillside Surgery');
  env.ppgd('member', 'import', path.join(t.TOP, 'config', 'demo', 'members.csv'),
           '--practice', 'A81001');
  env.ppgd('member', 'add', '--practice', 'A81001', '--first-name', 'Alice',
           '--last-name', 'Jones', '--email', 'alice@example.org',
           '--consent-email', 'yes');
  env.ppgd('member', 'add', '--practice', 'B82002', '--first-name', 'Bob',
           '--email', 'bob@example.org', '--consent-email', 'yes');
  const sqlite = (sql) => require('node:child_process').execFileSync(
    'sqlite3', [env.path('ppgd.db'), sql]);
  const now = Math.floor(Date.now() / 1000);
  sqlite(`INSERT INTO care_alerts (practice_id, source, urgency, created_at)
          VALUES (1, 'sms', 'emergency', ${now}), (2, 'sms', 'crisis', ${now})`);
  env.ppgd('user', 'add', 'pm@riverside.example', '--name', 'Pat Manager',
           '--role', 'manager', '--practice', 'A81001');
  const link = env.ppgdJson('user', 'reset-password', 'pm@riverside.example');
  return new URL(link.link).pathname;
}

async function page(ctx, url, what, shot) {
  const p = await ctx.newPage();
  const r = await p.goto(url);
  checkEq(r.status(), 200, `${what}: 200`);
  await t.axeCheck(p, what);
  await t.screenshot(p, shot);
  return p;
}

async function run(env, base, browser, resetPath) {
  // Phone: the sign-in page fits and its controls are big enough to tap.
  const phone = await browser.newContext({ viewport: PHONE });
  const lp = await page(phone, base + '/login', 'admin sign-in (phone)',
                        'admin-login-phone');
  const box = await lp.locator('button[type=submit]').boundingBox();
  t.check(box && box.height >= 44, 'sign-in button is at least 44px tall');
  const wide = await lp.evaluate(() => document.documentElement.scrollWidth);
  t.check(wide <= PHONE.width, `no sideways scrolling on a phone (${wide}px)`);
  await phone.close();

  const ctx = await browser.newContext({ viewport: DESKTOP });
  const errors = [];
  // The pages that answer 422 or 403 on purpose (a weak password, another
  // practice's members) log their status; anything else is a fault.
  ctx.on('console', (m) => {
    if (m.type() === 'error' &&
        !/status of (403|422)/.test(m.text()))
      errors.push(m.text());
  });

  // The reset link: a weak password is refused with an error summary.
  const rp = await page(ctx, base + resetPath, 'admin reset page', 'admin-reset');
  await rp.fill('#password', 'password123');
  await rp.click('button[type=submit]');
  t.check((await rp.textContent('.error-summary') || '').includes('most common'),
          'a common password is refused on the page');
  await t.axeCheck(rp, 'admin reset page with an error');
  await rp.fill('#password', PASSWORD);
  await rp.click('button[type=submit]');
  t.check((await rp.textContent('h1')).includes('Password saved'), 'password saved');

  // Sign in; the care alert is the first thing on the home page.
  await rp.goto(base + '/login');
  await rp.fill('#email', 'pm@riverside.example');
  await rp.fill('#password', PASSWORD);
  await rp.click('button[type=submit]');
  checkEq(new URL(rp.url()).pathname, '/', 'signed in: home');
  const cookies = await ctx.cookies();
  const c = cookies.find((k) => k.name === 'ppgd_admin');
  t.check(c && c.httpOnly && c.secure && c.sameSite === 'Strict',
          'the session cookie is HttpOnly, Secure, SameSite=Strict');
  await t.axeCheck(rp, 'admin home');
  await t.screenshot(rp, 'admin-home');
  const first = await rp.locator('main > *').nth(1).getAttribute('class');
  checkEq(first, 'warning', 'the care alert comes before everything else');
  const home = await rp.textContent('main');
  t.check(home.includes('Riverside') && !home.includes('Hillside'),
          'only the manager\'s practice is shown');

  // Members: search.
  await rp.goto(base + '/members?practice=A81001&q=alice');
  await t.axeCheck(rp, 'admin members');
  await t.screenshot(rp, 'admin-members');
  t.check((await rp.textContent('tbody')).includes('alice@example.org'),
          'the search finds Alice');
  const other = await rp.goto(base + '/members?practice=B82002');
  checkEq(other.status(), 403, 'another practice\'s members: 403');

  // Care alerts: acknowledge with a note.
  await rp.goto(base + '/alerts');
  await t.axeCheck(rp, 'admin alerts');
  await t.screenshot(rp, 'admin-alerts');
  await rp.fill('input[name=note]', 'Called her back; ambulance already there');
  await rp.click('button[value=actioned]');
  checkEq(new URL(rp.url()).pathname, '/alerts', 'back on the alerts page');
  t.check((await rp.textContent('main')).includes('actioned'), 'the alert is actioned');
  await rp.goto(base + '/');
  t.check(!(await rp.textContent('main')).includes('Care alerts waiting'),
          'no alert waiting on the home page any more');

  // Second factor: the enrolment page with its QR code.
  await rp.goto(base + '/account/2fa');
  await t.axeCheck(rp, 'admin second factor');
  await t.screenshot(rp, 'admin-2fa');
  t.check(await rp.locator('.qr svg title').count() === 1, 'the QR code has a title');

  await rp.goto(base + '/users');
  await t.axeCheck(rp, 'admin users');
  await rp.click('button.link');
  checkEq(new URL(rp.url()).pathname, '/login', 'signed out');
  await ctx.close();
  t.check(errors.length === 0, 'no errors in the console: ' + JSON.stringify(errors));
}

async function main() {
  const port = await t.freePort();
  const env = new t.TestEnv('admin', await t.freePort());
  const base = `http://127.0.0.1:${port}`;
  appendConfig(env, `[admin]\nlisten = 127.0.0.1:${port}\n`);
  let browser = null;
  try {
    const resetPath = setup(env);
    t.check(await env.serve(), `ppgd serve answers (log: ${env.path('serve.log')})`);
    browser = await t.launch();
    await run(env, base, browser, resetPath);
  } catch (e) {
    t.check(false, 'the test ran to the end: ' + (e.stack || e));
  } finally {
    if (browser)
      await browser.close();
    checkEq(await env.stop(), 0, 'ppgd serve exits 0 on SIGTERM');
  }
  if (t.failures() === 0 && !process.env.PPGD_KEEP)
    fs.rmSync(env.dir, { recursive: true, force: true });
  else
    console.log(`kept ${env.dir}`);
  process.exitCode = t.summary(path.basename(__filename));
}

main();
