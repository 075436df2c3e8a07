'use strict';
// The README pictures: the demo's published results, representation and
// annual report pages, the top of each at a desktop width. Run `make demo`
// first, then from tests/browser: node readme-images.js
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const t = require('./lib.js');

const PAGES = [
  ['fft-results.html', 'fft-results.png', 1300],
  ['representation.html', 'representation.png', 1300],
  ['annual-report.html', 'annual-report.png', 1500],
];

(async () => {
  const demo = path.join(t.TOP, 'demo');
  const out = path.join(t.TOP, 'docs', 'images');
  const browser = await t.launch();
  const page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
  for (const [html, png, height] of PAGES) {
    await page.goto(pathToFileURL(path.join(demo, html)).href);
    await page.screenshot({ path: path.join(out, png),
                            clip: { x: 0, y: 0, width: 1024, height },
                            fullPage: true });
    console.log(`wrote docs/images/${png}`);
  }
  await browser.close();
})();
