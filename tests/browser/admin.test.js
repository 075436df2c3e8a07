'use strict';
// The staff web admin in Chromium: set a password from the reset link,
// sign in, see the care alert first on the home page and acknowledge it,
// search members, import a CSV file (uploaded, previewed first), view,
// change and erase a
// member, create a campaign (the audience counted), preview it, send it and
// see it in the outbox, read the reports, record evidence with a file,
// upload a survey file, approve a comment, enrol a second factor; as an
// admin, save a message template as a new version and revert it; axe-core (WCAG 2.1 A and AA) on every page, screenshots into
// tests/artifacts/browser/, the sign-in page also at a phone's size.

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
  env.ppgd('practice', 'add', 'A81001', '--name', 'Riverside Medical Practice',
           '--email-from', 'ppg@riverside.example');
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
  // Replies for the inbox: one matched (with markup to escape), one not.
  sqlite(`INSERT INTO inbound (provider, provider_msg_id, received_at, channel,
          from_addr, body, member_id, practice_id, disposition) VALUES
          ('test', 'b1', ${now}, 'sms', '+447700900123',
           '<i>Thanks</i> for the reminder', 1, 1, 'feedback'),
          ('test', 'b2', ${now}, 'sms', '+447700900999', 'Who is this?',
           NULL, 1, 'unmatched')`);
  // A join request waiting for the practice.
  sqlite(`INSERT INTO join_requests (practice_id, state, via, source,
          first_name, email, data, email_confirmed_at, created_at, expires_at)
          VALUES (1, 'pending', 'web', 'waiting-room', 'Dev',
          'dev@example.org', '{"first_name":"Dev","last_name":"Patel"}',
          ${now}, ${now}, ${now + 86400})`);
  // A survey by email, so that a member can leave a comment to moderate.
  env.ppgd('survey', 'load', path.join(t.TOP, 'surveys', 'fft.yaml'));
  env.ppgd('campaign', 'add', 'fft-admin', '--practice', 'A81001', '--kind',
           'survey', '--survey', 'fft', '--channels', 'email',
           '--audience', 'carer=yes');
  env.ppgd('member', 'add', '--practice', 'A81001', '--first-name', 'Carol',
           '--email', 'carol@example.org', '--consent-email', 'yes',
           '--carer', 'yes');
  env.ppgd('campaign', 'send', 'fft-admin');
  env.ppgd('user', 'add', 'pm@riverside.example', '--name', 'Pat Manager',
           '--role', 'manager', '--practice', 'A81001');
  env.ppgd('user', 'add', 'admin@ppg.example', '--name', 'Ada Admin',
           '--role', 'admin');
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
  // A refused form or page (403, 404, 409, 422) is logged by Chromium as
  // a failed load; those are expected here. Anything else is a fault.
  ctx.on('console', (m) => {
    if (m.type() === 'error' && !/status of (403|404|409|422)/.test(m.text()))
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
  const c = cookies.find((k) => k.name === '__Host-ppgd_session');
  t.check(c && c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === '/',
          'the session cookie is __Host-, HttpOnly, Secure, SameSite=Strict');
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

  await importCsv(rp, base);
  await memberPages(rp, base);
  await campaign(rp, base);
  await reports(rp, base);
  await comments(rp, base, env);
  await inboxSurveysTemplates(rp, base);
  await joinRequests(rp, base);
  await templateSave(browser, base, env);

  // Second factor: the enrolment page with its QR code.
  await rp.goto(base + '/account/2fa');
  await t.axeCheck(rp, 'admin second factor');
  await t.screenshot(rp, 'admin-2fa');
  t.check(await rp.locator('.qr svg title').count() === 1, 'the QR code has a title');

  await rp.goto(base + '/users');
  await t.axeCheck(rp, 'admin users');
  await users(rp, base);
  await rp.click('button.link');
  checkEq(new URL(rp.url()).pathname, '/login', 'signed out');
  await ctx.close();
  t.check(errors.length === 0, 'no errors in the console: ' + JSON.stringify(errors));
}

// Users: add one (their one-time link shown), their page, the disable
// confirmation.
async function users(p, base) {
  await p.goto(base + '/users/new?practice=A81001');
  await t.axeCheck(p, 'admin add a user');
  await p.fill('#email', 'lee@riverside.example');
  await p.fill('#name', 'Lee Lead');
  await p.check('#role-lead');
  await p.click('main button[type=submit]');
  t.check((await p.textContent('#link')).includes('/reset/'),
          'the new user\'s link is shown');
  await t.axeCheck(p, 'admin user added');
  await p.click('main p a');
  await p.waitForURL(/\/users\/\d+$/);
  await t.axeCheck(p, 'admin user');
  await t.screenshot(p, 'admin-user');
  await p.click('a[href$="/disable"]');
  await t.axeCheck(p, 'admin disable a user');
  await p.click('main button[type=submit]');
  t.check((await p.textContent('main')).includes('disabled since'),
          'the user is disabled');
  await p.goto(base + '/users');
}

const CSV = ['Forename,Surname,Email Address,Shoe size',
             'Dan,Smith,dan@example.org,9',
             'Eve,Brown,not-an-email,5',
             'Fay,Green,fay@example.org,7'].join('\n') + '\n';

// Import: the preview (the column mapping, line 3's error) writes nothing;
// the confirm imports the good rows.
async function importCsv(p, base) {
  await p.goto(base + '/members/import?practice=A81001');
  await t.axeCheck(p, 'admin import form');
  await t.screenshot(p, 'admin-import-form');
  await p.setInputFiles('#file', { name: 'members.csv', mimeType: 'text/csv',
                                   buffer: Buffer.from(CSV) });
  await p.check('#ce');
  await p.fill('#how', 'sign-up sheet at the flu clinic');
  await p.click('button[value=preview]');
  const text = await p.textContent('main');
  t.check(text.includes('Nothing is written yet') && text.includes('(ignored)') &&
          text.includes('first_name'), 'the preview shows the column mapping');
  t.check(text.includes('File: members.csv'), 'the preview names the file uploaded');
  const bad = await p.locator('table:has(caption:has-text("Lines with errors")) td')
    .allTextContents();
  checkEq(bad[0], '3', 'the preview shows the bad line by its number');
  await t.axeCheck(p, 'admin import preview');
  await t.screenshot(p, 'admin-import-preview');
  await p.click('button[value=import]');
  checkEq(await p.textContent('h1'), 'Members imported', 'the import runs on confirm');
  await p.goto(base + '/members?practice=A81001&q=fay');
  t.check((await p.textContent('tbody')).includes('fay@example.org'),
          'an imported member is on the list');
}

// A member's page, the edit form, the erase confirmation.
async function memberPages(p, base) {
  await p.goto(base + '/members?practice=A81001&q=dan@example.org');
  await p.click('tbody a');
  await p.waitForURL(/\/members\/\d+$/);
  const id = new URL(p.url()).pathname.split('/').pop();
  await t.axeCheck(p, 'admin member');
  await t.screenshot(p, 'admin-member');
  t.check((await p.textContent('main')).includes('sign-up sheet at the flu clinic'),
          'the member page shows how consent was given');
  await p.goto(`${base}/members/${id}/edit`);
  await t.axeCheck(p, 'admin member edit');
  await p.fill('#f-last_name', 'Smythe');
  await p.click('button[type=submit]:has-text("Save")');
  const view = await p.textContent('main');
  t.check(view.includes('Smythe') && view.includes('member.update') &&
          view.includes('web:pm@riverside.example'),
          'the change is saved and in the member\'s history, with who made it');
  await p.goto(`${base}/members/${id}/erase`);
  await t.axeCheck(p, 'admin member erase');
  await p.fill('#confirm', '1' + id);
  await p.click('button[type=submit]:has-text("Erase")');
  t.check((await p.textContent('.error-summary')).includes('ID exactly'),
          'a wrong id typed does not erase');
  await p.fill('#confirm', id);
  await p.click('button[type=submit]:has-text("Erase")');
  t.check((await p.textContent('main')).includes('was erased'), 'the member is erased');
  await p.goto(base + '/members/new?practice=A81001');
  await t.axeCheck(p, 'admin member add');
}

// Wait (up to 10 s) for the live check in selector to match re.
async function liveText(p, selector, re) {
  try {
    await p.waitForFunction(([sel, src]) => {
      const e = document.querySelector(sel);
      return e && new RegExp(src).test(e.textContent);
    }, [selector, re.source], { timeout: 10000 });
    return true;
  } catch (e) {
    console.log(`${selector}: ${await p.textContent(selector).catch(() => '?')}`);
    return false;
  }
}

// A broadcast: the audience counted, created, previewed, sent, in the outbox.
async function campaign(p, base) {
  await p.goto(base + '/campaigns/new?practice=A81001');
  await t.axeCheck(p, 'admin campaign form');
  await p.fill('#name', 'Garden day');
  await p.selectOption('#kind', 'broadcast');
  await p.selectOption('#channels', 'email');
  await p.fill('#message', 'Our garden day is on Saturday: come and help.');
  // Counted as you type (admin.js, under the admin's script-src 'self').
  await p.fill('#audience', 'everyone');
  t.check(await liveText(p, '#audience-live', /\d+ members match; \d+ can be sent to/),
          'the audience is counted as you type');
  await p.fill('#audience', 'shoe=9');
  t.check(await liveText(p, '#audience-live', /shoe/),
          'a bad audience is named as you type');
  await p.fill('#audience', '');
  await p.click('button[value=count]');
  t.check(/\d+ members match; \d+ can be sent to/.test(await p.textContent('[role=status]')),
          'the count button shows the audience');
  await t.axeCheck(p, 'admin campaign form with the count');
  await p.click('button[value=create]');
  t.check(/\/campaigns\/\d+$/.test(p.url()), 'the campaign is created');
  const url = p.url();
  await t.axeCheck(p, 'admin campaign');
  await p.goto(url + '/preview');
  t.check((await p.textContent('main')).includes('garden day is on Saturday'),
          'the preview renders the message');
  await t.axeCheck(p, 'admin campaign preview');
  await t.screenshot(p, 'admin-campaign-preview');
  await p.goto(url);
  await p.click('button:has-text("Send now")');
  // The send is a job on the daemon's loop: the page says "Sending" until
  // its run has queued every message, then "Sent".
  let sent = '';
  for (let i = 0; i < 50 && !sent.startsWith('Sent:'); i++) {
    sent = (await p.textContent('[role=status]')) || '';
    if (!sent.startsWith('Sent:')) {
      t.check(sent.startsWith('Sending:'), `while sending, the page says so (${sent})`);
      await p.waitForTimeout(200);
      await p.reload();
    }
  }
  t.check(/^Sent: run \d+ queued \d+ messages/.test(sent), `the campaign is sent (${sent})`);
  await t.screenshot(p, 'admin-campaign');
  await p.goto(url + '/outbox');
  const ob = await p.textContent('main');
  t.check(/pending|sent|sending/.test(ob), 'the campaign\'s messages are in its outbox');
  await t.axeCheck(p, 'admin outbox');
  await t.screenshot(p, 'admin-outbox');
  await p.goto(base + '/campaigns');
  t.check((await p.textContent('main')).includes('Garden day'), 'the campaign is listed');
  await t.axeCheck(p, 'admin campaigns');
}

async function reports(p, base) {
  for (const [path, what] of [
    ['/reports', 'admin reports'],
    ['/meetings?practice=A81001', 'admin meetings'],
    ['/actions?practice=A81001', 'admin action plan'],
    ['/evidence?practice=A81001', 'admin evidence'],
    ['/settings?practice=A81001', 'admin settings'],
    ['/reports/representation?practice=A81001', 'admin representation report'],
    ['/reports/annual?practice=A81001', 'admin annual report'],
    ['/reports/results?practice=A81001&target=fft', 'admin results']]) {
    const r = await p.goto(base + path);
    checkEq(r.status(), 200, `${what}: 200`);
    await t.axeCheck(p, what);
  }
  await p.goto(base + '/reports/annual?practice=A81001');
  await t.screenshot(p, 'admin-annual');
  // An action added on the page, then on the list.
  // Evidence with a file, as `ppgd evidence add --file` stores it.
  await p.goto(base + '/evidence?practice=A81001');
  await p.selectOption('#kind', 'newsletter');
  await p.fill('#day', '2026-01-05');
  await p.setInputFiles('#file', { name: 'Winter newsletter.pdf',
                                   mimeType: 'application/pdf',
                                   buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  await p.click('button:has-text("Record it")');
  t.check((await p.textContent('tbody')).includes('Winter newsletter.pdf'),
          'evidence recorded with its file');
  await t.axeCheck(p, 'admin evidence with a file');
  await p.goto(base + '/actions?practice=A81001');
  await p.fill('#area', 'access');
  await p.fill('#title', 'Open the phone lines at 8am');
  await p.click('button:has-text("Add the action")');
  t.check((await p.textContent('tbody')).includes('Open the phone lines at 8am'),
          'an action added on the page is in the plan');
}

// Carol answers the survey with a comment; the manager approves it.
async function comments(p, base, env) {
  const link = env.emails().filter((m) => /^To: carol@example\.org\r?$/m.test(m))
    .map((m) => /https?:\/\/\S+\/s\/[A-Za-z0-9_-]+/.exec(t.emailText(m) || ''))
    .find(Boolean);
  t.check(link, 'Carol has the survey link');
  if (!link)
    return;
  const r = await fetch(link[0], { method: 'POST', body: new URLSearchParams(
    { experience: '1', what_was_good: 'The nurse was very kind' }) });
  checkEq(r.status, 200, 'Carol answers with a comment');
  await p.goto(base + '/comments?target=fft');
  await t.axeCheck(p, 'admin comments');
  t.check((await p.textContent('main')).includes('The nurse was very kind'),
          'the comment waits for moderation');
  await p.click('button[value=approved]');
  t.check(!(await p.textContent('main')).includes('The nurse was very kind'),
          'approved, it leaves the queue');
}

// The inbox, surveys (a YAML with an error, then a good one) and templates
// (a draft checked), each page through axe.
async function inboxSurveysTemplates(p, base) {
  let r = await p.goto(base + '/inbox');
  checkEq(r.status(), 200, 'admin inbox: 200');
  await t.axeCheck(p, 'admin inbox');
  t.check((await p.textContent('main')).includes('<i>Thanks</i> for the reminder'),
          'the inbox shows a reply\'s text as text');
  await t.screenshot(p, 'admin-inbox');
  await p.selectOption('#show', 'unmatched');
  await p.click('button:has-text("Show")');
  const text = await p.textContent('main');
  t.check(text.includes('Who is this?') && !text.includes('for the reminder'),
          'the inbox filtered to unmatched messages');
  r = await p.goto(base + '/surveys');
  checkEq(r.status(), 200, 'admin surveys: 200');
  await t.axeCheck(p, 'admin surveys');
  await p.setInputFiles('#file', {
    name: 'web.yaml', mimeType: 'application/x-yaml',
    buffer: Buffer.from('slug: web\ntitle: Web\nquestions:\n  - key: a\n' +
                        '    type: wrong\n    text: A?\n') });
  await p.click('button:has-text("Load the survey")');
  t.check(/web\.yaml:\d+:/.test(await p.textContent('.error-summary')),
          'a survey file with an error shows its file and line');
  await t.axeCheck(p, 'admin survey with an error');
  await p.fill('#yaml', 'slug: web\ntitle: Web\nquestions:\n  - key: a\n' +
               '    type: yesno\n    text: Was it easy to book?\n');
  await p.click('button:has-text("Load the survey")');
  t.check((await p.textContent('main')).includes('Was it easy to book?'),
          'a good survey is loaded and shown');
  await t.axeCheck(p, 'admin survey');
  r = await p.goto(base + '/templates');
  checkEq(r.status(), 200, 'admin templates: 200');
  await t.axeCheck(p, 'admin templates');
  r = await p.goto(base + '/templates/sms/broadcast');
  checkEq(r.status(), 200, 'admin template: 200');
  await t.axeCheck(p, 'admin template');
  await p.fill('#text', '{{practice.name}}: {{member.nickname}}');
  await p.click('button:has-text("Check the draft")');
  t.check((await p.textContent('main')).includes('unknown placeholder'),
          'the draft check names an unknown placeholder');
  await t.axeCheck(p, 'admin template check with an error');
  await p.fill('#text', '{{practice.name}}: the flu clinic is on Saturday.');
  await p.click('button:has-text("Check the draft")');
  t.check(/1 segment\b/.test(await p.textContent('main')),
          'the draft check counts the segments');
  await t.axeCheck(p, 'admin template check');
  await t.screenshot(p, 'admin-template-check');
}

// A join request: listed, opened, approved into a member; axe on each.
async function joinRequests(p, base) {
  let r = await p.goto(base + '/joins');
  checkEq(r.status(), 200, 'admin join requests: 200');
  await t.axeCheck(p, 'admin join requests');
  await p.click('a:has-text("Request 1")');
  t.check((await p.textContent('main')).includes('dev@example.org (confirmed)'),
          'the request shows its confirmed address');
  await t.axeCheck(p, 'admin join request');
  await t.screenshot(p, 'admin-join-request');
  await p.fill('#external_ref', 'EMIS-77');
  await Promise.all([p.waitForURL(/\/members\/\d+$/, { timeout: 10000 })
                       .catch(() => {}),
                     p.click('button:has-text("Approve")')]);
  t.check(/\/members\/\d+$/.test(new URL(p.url()).pathname),
          'approved: the new member\'s page');
  t.check((await p.textContent('main')).includes('EMIS-77'),
          'the member has the practice system\'s id');
}

// An admin saves a template as a new version, sees it in use, and goes
// back to the shipped file.
async function templateSave(browser, base, env) {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const p = await ctx.newPage();
  const link = env.ppgdJson('user', 'reset-password', 'admin@ppg.example');
  await p.goto(base + new URL(link.link).pathname);
  await p.fill('#password', PASSWORD);
  await p.click('button[type=submit]');
  await p.goto(base + '/login');
  await p.fill('#email', 'admin@ppg.example');
  await p.fill('#password', PASSWORD);
  await p.click('button[type=submit]');
  const r = await p.goto(base + '/templates/sms/broadcast');
  checkEq(r.status(), 200, 'admin template editor: 200');
  await t.axeCheck(p, 'admin template editor');
  await p.fill('#edit-text', '{{practice.name}}: {{member.nickname}}');
  t.check(await liveText(p, '#edit-live', /unknown placeholder/),
          'an unknown placeholder is named as you type');
  await p.fill('#edit-text', '{{practice.name}}: the flu clinic is on Saturday.');
  t.check(await liveText(p, '#edit-live', /GSM-7, 1 segment\b/),
          'the segments are counted as you type');
  await t.axeCheck(p, 'admin template editor checked as you type');
  await p.fill('#edit-text', '{{practice.name}}: {{member.nickname}}');
  await p.click('button:has-text("Save as a new version")');
  t.check((await p.textContent('.error-summary')).includes('unknown placeholder'),
          'a template with an unknown placeholder is not saved');
  await t.axeCheck(p, 'admin template editor with an error');
  await p.fill('#edit-text', '{{practice.name}} news: {{message.text}} Reply STOP to opt out');
  await p.click('button:has-text("Save as a new version")');
  const text = await p.textContent('main');
  t.check(text.includes('Edited: version 1 is sent') && text.includes('Saved'),
          'the template is saved as version 1');
  await t.axeCheck(p, 'admin template saved');
  await t.screenshot(p, 'admin-template-saved');
  await p.click('button:has-text("Revert to shipped")');
  t.check((await p.textContent('main')).includes('The shipped file is sent'),
          'reverted to the shipped file');
  await ctx.close();
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
    t.check(await env.drained(), 'the survey invitations are sent');
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
