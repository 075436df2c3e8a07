'use strict';
// The public join page in a real browser: the form, its errors (summary at
// the top, message beside each field), the "check it is you" page with the
// SMS code form, and the email link's confirm page; axe-core (WCAG 2.1 A and
// AA) on each, and the form and its errors again on a phone (no sideways
// scrolling, every tap target at least 44px tall). Screenshots in
// tests/artifacts/browser/.

const fs = require('node:fs');
const path = require('node:path');
const t = require('./lib.js');

const PRACTICE = 'A1';
const DESKTOP = { width: 1024, height: 768 };
const PHONE = { width: 375, height: 667 };
const MIN_TAP = 44;

function setup(env) {
  const agreement = env.path('agreement.txt');
  fs.writeFileSync(agreement, 'Version: 2026-1\n\nI will keep private what ' +
                   'I hear about patients and staff at group meetings.\n');
  fs.appendFileSync(env.conf, [
    '[join]', 'rate = 1000', 'privacy_url = https://www.example.org/privacy',
    '[membership]', `confidentiality_file = ${agreement}`, ''].join('\n'));
  env.ppgd('init');
  env.ppgd('practice', 'add', PRACTICE, '--name', 'Riverside Medical Practice',
           '--email-from', 'ppg@riverside.example.org');
}

async function submit(page, button) {
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: button }).click();
  const resp = await posted;
  await page.waitForLoadState('load');
  return resp;
}

async function served(page, resp, what, status, h1, shot) {
  t.checkEq(resp ? resp.status() : null, status, `${what}: HTTP status`);
  t.check(resp && /default-src 'none'/.test(resp.headers()['content-security-policy'] || ''),
          `${what}: served with its Content-Security-Policy`);
  t.checkEq((await page.locator('h1').innerText()).trim(), h1, `${what}: heading`);
  await t.axeCheck(page, what);
  await t.screenshot(page, shot);
}

async function phoneCheck(page, what, shot) {
  const wide = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  t.check(wide.scroll <= wide.client,
          `${what} on a phone: no horizontal scrolling (${wide.scroll} > ${wide.client})`);
  const small = await page.evaluate((min) => Array.from(
    document.querySelectorAll('input[type=radio], input[type=checkbox], ' +
                              'label.choice-label, .input, button'))
    .map((el) => ({ el: el.id || el.getAttribute('for') || el.textContent.trim(),
                    h: el.getBoundingClientRect().height }))
    .filter((x) => x.h < min), MIN_TAP);
  t.check(small.length === 0, `${what} on a phone: tap targets at least ` +
          `${MIN_TAP}px tall; too small: ${JSON.stringify(small)}`);
  await t.axeCheck(page, `${what} on a phone`);
  await t.screenshot(page, shot);
}

async function joinErrors(page) {
  await page.getByLabel('Email address').fill('not-an-email');
  const resp = await submit(page, 'Ask to join');
  await served(page, resp, 'join page with errors', 400,
               'Join the patient group at Riverside Medical Practice', 'join-errors');
  const summary = page.locator('.error-summary');
  t.check(await summary.isVisible(), 'join errors: a summary is shown');
  t.checkEq(await summary.getAttribute('role'), 'alert', 'join errors: an alert');
  const first = summary.locator('a').first();
  t.checkEq(await first.getAttribute('href'), '#first_name',
            'join errors: the first error links to the first name');
  t.check(await page.locator('.field-with-error #first_name-error').isVisible(),
          'join errors: the message is beside the field');
  t.checkEq(await page.getByLabel('Email address').inputValue(), 'not-an-email',
            'join errors: what was typed is kept');
  await first.click();
  t.checkEq(await page.evaluate(() => document.activeElement.id), 'first_name',
            'join errors: the summary link moves focus to the field');
}

async function joinGood(page, env) {
  await page.getByLabel('First name').fill('Amira');
  await page.getByLabel('Last name').fill('Okafor');
  await page.getByLabel('Email address').fill('amira@example.org');
  await page.getByLabel(/Yes, you may email me/).check();
  await page.getByLabel('UK mobile number').fill('07700 900123');
  await page.getByLabel(/Yes, you may text me/).check();
  await page.getByLabel('Your age group').selectOption('25-34');
  await page.locator('#carer-1').check();
  await page.getByLabel(/I have read the confidentiality agreement/).check();
  const resp = await submit(page, 'Ask to join');
  await served(page, resp, 'check-it-is-you page', 200,
               'Nearly done: check it is you', 'join-check');
  t.check(await page.getByLabel('Enter the 6-digit code we texted to you').isVisible(),
          'the code form is there');
  const pending = env.ppgdJson('member', 'pending', '--state', 'unconfirmed');
  t.checkEq(pending.length, 1, 'one unconfirmed request stored');
  const resp2 = await submit(page, 'Confirm my mobile number');
  await served(page, resp2, 'code page with an error', 400,
               'Nearly done: check it is you', 'join-code-error');
}

async function confirmPage(page, env) {
  await new Promise((r) => setTimeout(r, 500));
  const mails = env.emails();
  const link = mails.map((m) => /https?:\/\/\S+\/join\/A1\/confirm\/[A-Za-z0-9_-]+/
    .exec(t.emailText(m) || '')).filter(Boolean)[0];
  t.check(link, 'the confirmation email has its link');
  if (!link)
    return;
  const resp = await page.goto(link[0]);
  await served(page, resp, 'email confirm page', 200, 'Confirm your email address',
               'join-confirm');
  const resp2 = await submit(page, 'Confirm my email address');
  await served(page, resp2, 'confirmed page', 200, 'Thank you, that is confirmed',
               'join-confirmed');
}

async function run(env, browser) {
  setup(env);
  t.check(await env.serve(), 'ppgd serve answers /healthz');
  const url = `${env.url}/join/${PRACTICE}?source=waiting-room`;
  const phone = await browser.newContext({ viewport: PHONE, isMobile: true,
                                           hasTouch: true });
  let page = await phone.newPage();
  await page.goto(url);
  await phoneCheck(page, 'join page', 'phone-join');
  await submit(page, 'Ask to join');
  await phoneCheck(page, 'join page with errors', 'phone-join-errors');
  await phone.close();
  const ctx = await browser.newContext({ viewport: DESKTOP });
  page = await ctx.newPage();
  const resp = await page.goto(url);
  await served(page, resp, 'join page', 200,
               'Join the patient group at Riverside Medical Practice', 'join');
  await joinErrors(page);
  await joinGood(page, env);
  t.check(await env.drained(), 'the confirmation messages are sent');
  await confirmPage(page, env);
  await ctx.close();
}

async function main() {
  const env = new t.TestEnv('join', await t.freePort());
  let browser = null;
  try {
    browser = await t.launch();
    await run(env, browser);
  } catch (e) {
    t.check(false, 'the test ran to the end: ' + (e.stack || e));
  } finally {
    if (browser)
      await browser.close();
    t.checkEq(await env.stop(), 0, 'ppgd serve exits 0 on SIGTERM');
  }
  if (t.failures() === 0 && !process.env.PPGD_KEEP)
    fs.rmSync(env.dir, { recursive: true, force: true });
  else
    console.log(`kept ${env.dir}`);
  process.exitCode = t.summary(path.basename(__filename));
}

main();
