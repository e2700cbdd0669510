// What every browser test of the console shares: the prerequisites (Debian's Chromium, the built
// console, playwright-core, the citygrid binary; exit 77 = skipped when one is missing), a real
// `citygrid demo` on a temporary data directory and a free port, its demo users, one headless
// Chromium, API sign-in once per user, signed-in pages per user in their own browser context, and
// the console-error watch (any console error fails the step unless the step allows it).
//
// env: CITYGRID_BINARY=path/to/citygrid, SCREENSHOT_DIR=dir, CITYGRID_WEB_DIR=web/dist,
//      CITYGRID_DATA_FILES=dir, CHROMIUM=/usr/bin/chromium
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const shots = process.env.SCREENSHOT_DIR || path.join(root, 'build/screenshots');
export const DESKTOP = { width: 1920, height: 1080 };
export const PHONE = { width: 390, height: 844 };

const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const webDir = process.env.CITYGRID_WEB_DIR || path.join(root, 'web/dist');
const binary = process.env.CITYGRID_BINARY || path.join(root, 'build/src/citygrid');

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}
if (!fs.existsSync(chromiumPath)) skip(`${chromiumPath} is missing (apt-get install chromium; scripts/install-deps)`);
if (!fs.existsSync(path.join(webDir, 'index.html'))) skip(`${webDir}/index.html is missing (scripts/build builds the console)`);
if (!fs.existsSync(path.join(root, 'web/node_modules/playwright-core'))) skip('web/node_modules/playwright-core is missing (cd web && npm ci)');
if (!fs.existsSync(binary)) skip(`${binary} is missing`);

const { chromium } = createRequire(path.join(root, 'web/package.json'))('playwright-core');

export class Demo {
  // `name` names the temporary directory; `cases` is the demo's generated case count.
  constructor({ name, cases }) {
    this.name = name;
    this.cases = cases;
    this.t0 = Date.now();
    this.users = {};   // username → { username, role, unit, password } from demo-users.txt
    this.allowed = []; // patterns of console errors the current step provokes on purpose
    this.consoleErrors = [];
    this.tokens = {};
  }

  mark(what) {
    console.log(`${((Date.now() - this.t0) / 1000).toFixed(1)} s: ${what}`);
  }

  async start() {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `citygrid-${this.name}-`));
    // Without --web the binary finds the source tree's web/dist itself (what `citygrid demo` does).
    const args = ['demo', '--data', path.join(this.dataDir, 'data'), '--listen', '127.0.0.1:0',
      '--cases', String(this.cases), '--access-log', 'off'];
    if (process.env.CITYGRID_WEB_DIR) args.push('--web', webDir);
    if (process.env.CITYGRID_DATA_FILES) args.push('--data-files', process.env.CITYGRID_DATA_FILES);
    this.server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    this.server.stdout.on('data', (d) => { output += d; });
    this.server.stderr.on('data', (d) => { output += d; });
    this.baseUrl = await new Promise((resolve, reject) => {
      let timeout;
      const timer = setInterval(() => {
        const m = output.match(/http:\/\/127\.0\.0\.1:\d+/);
        if (m) { clearInterval(timer); clearTimeout(timeout); resolve(m[0]); }
      }, 100);
      this.server.on('exit', (code) => {
        clearInterval(timer); clearTimeout(timeout);
        reject(new Error(`citygrid demo exited (${code}):\n${output}`));
      });
      // Cleared once the banner shows, so it does not keep node alive after the tests.
      timeout = setTimeout(() => { clearInterval(timer); reject(new Error(`no banner after 120 s:\n${output}`)); }, 120000);
    });
    for (const line of fs.readFileSync(path.join(this.dataDir, 'data/demo-users.txt'), 'utf8').split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const [username, role, unit, password] = line.split('\t');
      this.users[username] = { username, role, unit: unit === '-' ? '' : unit, password };
    }
    this.mark(`demo serving at ${this.baseUrl}`);
    fs.mkdirSync(shots, { recursive: true });
    this.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--lang=zh-CN'],
    });
    this.mark('chromium started');
  }

  async stop() {
    this.mark('closing');
    await this.browser?.close();
    if (this.server && this.server.exitCode === null) {
      this.server.kill('SIGTERM');
      await new Promise((r) => { this.server.once('exit', r); setTimeout(r, 5000); });
    }
    if (this.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.mark('done');
  }

  // Signs `username` in through the API once per run (Argon2id is deliberately slow).
  async apiLogin(username) {
    assert.ok(this.users[username], `demo user ${username}`);
    if (!this.tokens[username]) {
      const r = await fetch(`${this.baseUrl}/api/v1/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password: this.users[username].password }),
      });
      assert.equal(r.status, 200, `login of ${username}`);
      this.tokens[username] = await r.json();
    }
    return this.tokens[username];
  }

  // Records the page's console errors (those no pattern of `allowed` matches) against `username`.
  watch(page, username) {
    page.on('console', (m) => {
      if (m.type() === 'error' && !this.allowed.some((re) => re.test(m.text()))) {
        this.consoleErrors.push(`${username} ${page.url()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`${username} ${page.url()}: ${e.message}`));
  }

  // A signed-in page of `username` in its own browser context (own localStorage), in language
  // `lang` ('zh' or 'en'; unset = the console's default). The login form itself is exercised by
  // browser.console's first test; the others start with the session the form stores.
  async session(username, viewport = DESKTOP, lang = undefined) {
    const { token, user } = await this.apiLogin(username);
    const context = await this.browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    await context.addInitScript(([tok, u, l]) => {
      if (!localStorage.getItem('cg.token')) {
        localStorage.setItem('cg.token', tok);
        localStorage.setItem('cg.user', u);
        if (l) localStorage.setItem('cg.lang', l);
      }
    }, [token, JSON.stringify(user), lang]);
    const page = await context.newPage();
    this.watch(page, username);
    return { context, page };
  }

  noConsoleErrors() {
    const errors = this.consoleErrors.splice(0);
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
  }
}
