'use strict';
// ppgd's pages in a real browser (Debian's chromium driven by playwright-core):
// the web survey and the unsubscribe page from a delivered email, the public
// action plan and the HTML reports, each checked with axe-core (WCAG 2.1 A
// and AA) and screenshotted into tests/artifacts/browser/; the survey and
// unsubscribe pages also at a phone's size.

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const t = require('./lib.js');

const PRACTICE = 'A1';
const DESKTOP = { width: 1024, height: 768 };
const PHONE = { width: 375, height: 667 };
const MIN_TAP = 44; // px: the smallest comfortable tap target's height
const UNKNOWN = 'AAAAAAAAAAAAAAAAAAAAAA'; // a well-formed token nobody was sent
// The FFT answers (1 very good .. 6 don't know) other members send.
const ANSWERS = ['1', '1', '2', '1', '3', '2', '4', '1', '6', '5', '2', '1'];
const checkEq = t.checkEq;

// The database: a practice with the demo's 200 members and Alice, the FFT
// survey sent by email, an agreed action and a population profile.
function setup(env) {
  env.ppgd('init');
  env.ppgd('practice', 'add', PRACTICE, '--name', 'Riverside Medical Practice',
           '--email-from', 'ppg@riverside.example.org');
  env.ppgd('member', 'import', path.join(t.TOP, 'config', 'demo', 'members.csv'),
           '--practice', PRACTICE);
  const m = env.ppgdJson('member', 'add', '--practice', PRACTICE,
                         '--first-name', 'Alice', '--email',
                         'alice@example.org', '--consent-email', 'yes');
  env.ppgd('survey', 'load', path.join(t.TOP, 'surveys', 'fft.yaml'));
  env.ppgd('campaign', 'add', 'fft-browser', '--practice', PRACTICE, '--kind',
           'survey', '--survey', 'fft', '--channels', 'email');
  env.ppgd('campaign', 'send', 'fft-browser');
  const a = env.ppgdJson('action', 'add', '--practice', PRACTICE, '--area',
                         'Getting an appointment', '--title',
                         'Open the phone lines at 8am');
  env.ppgd('action', 'update', a.id, '--status', 'agreed', '--note',
           'Agreed at the March meeting');
  env.ppgd('practice', 'profile', PRACTICE,
           path.join(t.TOP, 'config', 'demo', 'population.csv'));
  return m.id;
}

// Submit the page's form with its button; resolves after the answer loads.
async function submit(page, button) {
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: button }).click();
  const resp = await posted;
  await page.waitForLoadState('load');
  return resp;
}

async function heading(page) {
  return (await page.locator('h1').innerText()).trim();
}

// A page the daemon served: status, heading, axe, a screenshot.
async function served(page, resp, what, status, h1, shot) {
  checkStatus(resp, status, what);
  checkEq(await heading(page), h1, `${what}: heading`);
  await t.axeCheck(page, what);
  await t.screenshot(page, shot);
}

function checkStatus(resp, status, what) {
  t.checkEq(resp ? resp.status() : null, status, `${what}: HTTP status`);
  t.check(resp && /default-src 'none'/.test(resp.headers()['content-security-policy'] || ''),
          `${what}: served with its Content-Security-Policy`);
}

// Console errors (a CSP refusal, a failed load) on the pages of ctx, kept in
// errors, checked at the end; but for the 404 we ask for.
function watchConsole(ctx, errors) {
  ctx.on('console', (m) => {
    const url = m.page() ? m.page().url() : '?';
    if (m.type() === 'error' &&
        !(url.endsWith('/' + UNKNOWN) && /status of 404/.test(m.text())))
      errors.push(`${url}: ${m.text()}`);
  });
  ctx.on('weberror', (e) => errors.push(String(e.error())));
}

async function surveyFresh(page, url) {
  const resp = await page.goto(url);
  await served(page, resp, 'survey page', 200, 'Friends and Family Test',
               'survey');
  t.check(await page.locator('.error-summary').count() === 0,
          'survey page: no error summary before submitting');
  t.check(await page.getByRole('radio').count() === 6,
          'survey page: the six FFT answers are radios with labels');
}

// Submit with the required FFT answer missing: the summary at the top links
// to the field, and the message is beside the field.
async function surveyErrors(page) {
  const resp = await submit(page, 'Send my answers');
  await served(page, resp, 'survey with errors', 200,
               'Friends and Family Test', 'survey-errors');
  const summary = page.locator('.error-summary');
  t.check(await summary.isVisible(), 'errors: an error summary is shown');
  checkEq(await summary.getAttribute('role'), 'alert',
          'errors: the summary is an alert');
  const box = await summary.boundingBox();
  const form = await page.locator('form fieldset').first().boundingBox();
  t.check(box && form && box.y < form.y,
          'errors: the summary is above the questions');
  const link = summary.locator('a');
  checkEq(await link.count(), 1, 'errors: one error listed');
  checkEq(await link.getAttribute('href'), '#experience-1',
          'errors: the summary links to the first FFT answer');
  const field = page.locator('#experience-error');
  t.check(await field.isVisible(), 'errors: a message beside the field');
  const msg = (await field.innerText()).replace(/^Error:\s*/, '').trim();
  t.check(msg.length > 0 && (await link.innerText()).includes(msg),
          `errors: the field's message "${msg}" is also in the summary`);
  t.check(await page.locator('.field-with-error #experience-error').count() === 1 &&
          await page.locator('.field-with-error #experience-1').count() === 1,
          'errors: the message and the answers are in the same field');
  await link.click();
  checkEq(await page.evaluate(() => location.hash), '#experience-1',
          'errors: the summary link goes to the field');
}

async function surveyAnswer(page, url) {
  await page.getByLabel('Very good', { exact: true }).check();
  await page.getByLabel('What was good about your experience?')
    .fill('The nurse listened — and explained everything.');
  let resp = await submit(page, 'Send my answers');
  await served(page, resp, 'survey thank-you page', 200, 'Thank you',
               'survey-thank-you');
  t.check((await page.locator('main').innerText()).includes('We read every comment'),
          "thank-you page: the survey's closing text");
  resp = await page.goto(url);
  await served(page, resp, 'survey reopened', 200,
               'You have already answered this survey',
               'survey-already-answered');
}

async function surveyUnknown(page, env) {
  const resp = await page.goto(env.url + '/s/' + UNKNOWN);
  await served(page, resp, 'unknown survey token', 404,
               'This survey link does not work', 'survey-not-found');
}

// The unsubscribe page from the email: the email choice is preselected;
// pressing the button opts the member out of email (and only email).
async function unsubscribe(page, env, url, memberId) {
  let resp = await page.goto(url);
  await served(page, resp, 'unsubscribe page', 200,
               'Stop messages from the patient group', 'unsubscribe');
  t.check(await page.getByLabel('Emails', { exact: true }).isChecked(),
          'unsubscribe: "Emails" is chosen for a link from an email');
  checkEq(env.ppgdJson('member', 'show', memberId).optout_email, null,
          'unsubscribe: not opted out before the button is pressed');
  resp = await submit(page, 'Unsubscribe');
  await served(page, resp, 'unsubscribe confirmation', 200,
               'You have been unsubscribed', 'unsubscribe-done');
  t.check((await page.locator('main').innerText()).includes('no more emails'),
          'unsubscribe confirmation: says which messages stop');
  const m = env.ppgdJson('member', 'show', memberId);
  t.check(typeof m.optout_email === 'string' && m.optout_email !== '',
          `unsubscribe: optout_email is set in the database (${m.optout_email})`);
  checkEq(m.optout_sms, null, 'unsubscribe: texts are not opted out');
}

async function unsubscribeUnknown(page, env) {
  const resp = await page.goto(env.url + '/u/' + UNKNOWN);
  await served(page, resp, 'unknown unsubscribe token', 404,
               'This link does not work', 'unsubscribe-not-found');
}

async function actions(page, env) {
  const resp = await page.goto(`${env.url}/practice/${PRACTICE}/actions`);
  await served(page, resp, 'public action plan', 200,
               'Riverside Medical Practice: our action plan', 'actions');
  t.check((await page.locator('main, body').first().innerText())
    .includes('Open the phone lines at 8am'), 'action plan: the agreed action');
}

// The HTML reports the CLI writes, opened as file:// URLs.
async function reports(page, env) {
  const year = String(new Date().getUTCFullYear());
  const files = [
    ['FFT results', 'results.html', ['results', 'fft', '--practice', PRACTICE]],
    ['FFT results by month', 'results-by-month.html',
     ['results', 'fft', '--practice', PRACTICE, '--by', 'month']],
    ['FFT results, staff view', 'results-internal.html',
     ['results', 'fft', '--practice', PRACTICE, '--internal']],
    ['representation report', 'representation.html',
     ['report', 'representation', '--practice', PRACTICE]],
    ['representation report, staff view', 'representation-internal.html',
     ['report', 'representation', '--practice', PRACTICE, '--internal']],
    ['annual report', 'annual.html',
     ['report', 'annual', '--practice', PRACTICE, '--year', year]],
    ['annual report, staff view', 'annual-internal.html',
     ['report', 'annual', '--practice', PRACTICE, '--year', year,
      '--internal']],
  ];
  for (const [what, name, args] of files) {
    const file = env.path(name);
    const staff = args.includes('--internal');
    env.ppgd(...args.filter((a) => a !== '--internal'), '--html', file,
             ...(staff ? ['--internal'] : []));
    await page.goto(pathToFileURL(file).href);
    t.check((await heading(page)).length > 0, `${what}: has a heading`);
    const text = await page.locator('body').innerText();
    t.check(/not for publication/i.test(text) === staff,
            `${what}: ${staff ? 'marked' : 'not marked'} not for publication`);
    if (!staff)
      t.check(!text.includes('alice@example.org') && !text.includes('Alice'),
              `${what}: no member's name or email`);
    await t.axeCheck(page, what);
    await t.screenshot(page, name.replace(/\.html$/, ''));
  }
}

// At 375x667: no sideways scrolling, and every radio, its label, each text
// box and each button at least 44px tall.
async function phoneCheck(page, what, shot) {
  const wide = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  t.check(wide.scroll <= wide.client,
          `${what} on a phone: no horizontal scrolling ` +
          `(scrollWidth ${wide.scroll}, clientWidth ${wide.client})`);
  const small = await page.evaluate((min) => Array.from(
    document.querySelectorAll('input[type=radio], input[type=checkbox], ' +
                              'label.choice-label, .input, button'))
    .map((el) => ({ el: el.id || el.getAttribute('for') || el.textContent.trim(),
                    tag: el.tagName.toLowerCase(),
                    h: el.getBoundingClientRect().height }))
    .filter((x) => x.h < min), MIN_TAP);
  t.check(small.length === 0, `${what} on a phone: tap targets at least ` +
          `${MIN_TAP}px tall; too small: ${JSON.stringify(small)}`);
  const n = await page.locator('label.choice-label, button').count();
  t.check(n > 0, `${what} on a phone: there are labels and buttons to measure`);
  await t.screenshot(page, shot);
}

async function phone(browser, surveyUrl, unsubUrl, errors) {
  const ctx = await browser.newContext({ viewport: PHONE, isMobile: true,
                                         hasTouch: true });
  watchConsole(ctx, errors);
  const page = await ctx.newPage();
  await page.goto(surveyUrl);
  await phoneCheck(page, 'survey page', 'phone-survey');
  await submit(page, 'Send my answers');
  await phoneCheck(page, 'survey with errors', 'phone-survey-errors');
  await page.goto(unsubUrl);
  await phoneCheck(page, 'unsubscribe page', 'phone-unsubscribe');
  await ctx.close();
}

// Other members answer over plain HTTP, so that the reports have charts
// (the FFT figures are suppressed under 5 responses).
async function othersAnswer(env, mails) {
  const links = mails.map((m) => /https?:\/\/\S+\/s\/[A-Za-z0-9_-]+/
    .exec(t.emailText(m) || '')).filter(Boolean).slice(0, ANSWERS.length);
  let ok = 0;
  for (let i = 0; i < links.length; i++) {
    const r = await fetch(links[i][0], { method: 'POST', body: new URLSearchParams(
      { experience: ANSWERS[i], what_was_good: 'Kind staff' }) });
    ok += r.status === 200 && (await r.text()).includes('Thank you');
  }
  checkEq(ok, ANSWERS.length, 'other members answer the survey over HTTP');
}

// axe itself, on a page with known faults: it must find them, or a clean
// result elsewhere would mean nothing.
async function axeControl(browser) {
  const page = await browser.newPage();
  await page.setContent('<!DOCTYPE html><html><head><title>x</title></head>' +
                        '<body><main><img src="data:,"><p style="color:#ccc;' +
                        'background:#fff">faint</p></main></body></html>');
  const ids = (await t.axeRun(page)).violations.map((v) => v.id);
  t.check(ids.includes('image-alt') && ids.includes('color-contrast') &&
          ids.includes('html-has-lang'),
          `axe finds the faults of a known-bad page (found ${ids.join(', ')})`);
  await page.close();
}

async function run(env, browser) {
  await axeControl(browser);
  const memberId = setup(env);
  t.check(await env.serve(), `ppgd serve answers /healthz (log: ${env.path('serve.log')})`);
  t.check(await env.drained(), 'the daemon sends the whole campaign');
  const mails = env.emails();
  const alice = mails.filter((m) => /^To: alice@example\.org\r?$/m.test(m));
  checkEq(alice.length, 1, "Alice's invitation is delivered into the email spool");
  await othersAnswer(env, mails.filter((m) => !alice.includes(m)));
  const text = alice.length ? t.emailText(alice[0]) : null;
  t.check(text !== null, 'the email has a text/plain part');
  const su = /https?:\/\/\S+\/s\/[A-Za-z0-9_-]+/.exec(text || '');
  const un = /https?:\/\/\S+\/u\/[A-Za-z0-9_-]+/.exec(text || '');
  t.check(su && su[0].startsWith(env.url + '/s/'), 'the email has the survey link');
  t.check(un && un[0].startsWith(env.url + '/u/'), 'the email has the unsubscribe link');
  if (!su || !un)
    return;
  // The phone checks only look (and post an empty form), so they go first,
  // while the links are fresh.
  const errors = [];
  await phone(browser, su[0], un[0], errors);
  const ctx = await browser.newContext({ viewport: DESKTOP });
  watchConsole(ctx, errors);
  const page = await ctx.newPage();
  await surveyFresh(page, su[0]);
  await surveyErrors(page);
  await surveyAnswer(page, su[0]);
  await surveyUnknown(page, env);
  await unsubscribe(page, env, un[0], memberId);
  await unsubscribeUnknown(page, env);
  await actions(page, env);
  await reports(page, env);
  await ctx.close();
  t.check(errors.length === 0, 'no errors in the browser console: ' +
          JSON.stringify(errors));
}

async function main() {
  t.cleanArtifacts();
  const env = new t.TestEnv('work', await t.freePort());
  let browser = null;
  try {
    browser = await t.launch();
    await run(env, browser);
  } catch (e) {
    t.check(false, 'the test ran to the end: ' + (e.stack || e));
  } finally {
    if (browser)
      await browser.close();
    const code = await env.stop();
    checkEq(code, 0, 'ppgd serve exits 0 on SIGTERM');
  }
  if (t.failures() === 0 && !process.env.PPGD_KEEP)
    fs.rmSync(env.dir, { recursive: true, force: true });
  else
    console.log(`kept ${env.dir}`);
  console.log(`screenshots in ${t.ARTIFACTS}`);
  process.exitCode = t.summary(path.basename(__filename));
}

main();
