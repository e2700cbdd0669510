// Browser tests of the web console: a real `citygrid demo` (temp data dir, free port) driven by
// Debian's Chromium through playwright-core. Four roles take one public report through
// verify → register → dispatch → accept → feedback → check → close in the UI; a handler of another
// unit cannot see it; the map shows grids; the command center's live feed catches up after the
// network dropped its stream; the language switch works; screenshots of every main
// page at 1920×1080 and 390×844 go to $SCREENSHOT_DIR. Any console error fails the test.
//
// usage: node --test tests/browser/console.test.mjs   with CITYGRID_BINARY=path/to/citygrid
//        [SCREENSHOT_DIR=dir] [CITYGRID_WEB_DIR=web/dist] [CITYGRID_DATA_FILES=dir]
// Exits 77 (skipped) when /usr/bin/chromium or the built console is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { Demo, DESKTOP, PHONE, shots } from './harness.mjs';

const demo = new Demo({ name: 'browser', cases: 150 });
const mark = (what) => demo.mark(what);
const users = demo.users;
let baseUrl;
let browser;
before(async () => { await demo.start(); ({ baseUrl, browser } = demo); });
after(() => demo.stop());

const apiLogin = (username) => demo.apiLogin(username);
const watch = (page, username) => demo.watch(page, username);
const session = (username, viewport = DESKTOP) => demo.session(username, viewport);
const noConsoleErrors = () => demo.noConsoleErrors();

async function openCase(page, number) {
  await page.goto(`${baseUrl}/cases/${number}`);
  await page.waitForSelector('[data-testid=case-state]');
}

// Takes `action` on the open case page and waits for the state it leads to.
async function act(page, action, fill, nextState) {
  await page.click(`[data-testid=action-${action}]`);
  await page.waitForSelector(`[data-testid=action-form][data-action=${action}]`);
  if (fill) await fill(page);
  await page.click('[data-testid=action-submit]');
  await page.waitForSelector(`[data-testid=case-state][data-state=${nextState}]`, { timeout: 30000 });
}

async function screenshot(page, name) {
  mark(`screenshot ${name}`);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

test('the login page and header switch between Chinese and English', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watch(page, 'operator');
  await page.goto(`${baseUrl}/cases`);
  await page.waitForURL(/\/login\?next=/);
  // The form checks before sending; a refused login is told in Chinese.
  demo.allowed = [/401/];
  mark('login form');
  await page.click('[data-testid=login-submit]');
  assert.match(await page.textContent('[data-testid=error]'), /用户名/);
  await page.fill('[data-testid=login-username]', 'operator');
  await page.fill('[data-testid=login-password]', 'wrong-password');
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=error]:has-text("用户名或密码错误")');
  await screenshot(page, 'login-1920x1080');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'login-390x844');
  await page.setViewportSize(DESKTOP);
  demo.allowed = [];
  // Keyboard only: type the password and press Enter.
  await page.fill('[data-testid=login-password]', users.operator.password);
  await page.focus('[data-testid=login-password]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('header.hdr');
  assert.match(page.url(), /\/cases$/);  // back where the user wanted to go
  assert.equal(await page.textContent('[data-testid=user-role]'), '受理员');
  assert.match(await page.textContent('header nav'), /指挥中心/);
  await page.click('header [data-testid=lang-switch]');
  await page.waitForFunction(() => document.querySelector('[data-testid=user-role]')?.textContent === 'Operator');
  assert.match(await page.textContent('header nav'), /Command center/);
  assert.match(await page.textContent('main h1'), /Cases/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  // The choice survives a reload; switching back restores Chinese.
  await page.reload();
  await page.waitForSelector('header.hdr');
  assert.equal(await page.textContent('[data-testid=user-role]'), 'Operator');
  await page.click('header [data-testid=lang-switch]');
  await page.waitForFunction(() => document.querySelector('[data-testid=user-role]')?.textContent === '受理员');
  assert.match(await page.textContent('main h1'), /案卷/);
  await context.close();
  noConsoleErrors();
});

test('the command center map shows the grids, cases, KPIs and a heat map', async () => {
  for (const [viewport, label] of [[DESKTOP, '1920x1080'], [PHONE, '390x844']]) {
    const { context, page } = await session('dispatcher', viewport);
    await page.goto(`${baseUrl}/command`);
    await page.waitForSelector('[data-testid=command-map][data-ready=true]', { timeout: 30000 });
    const grids = Number(await page.getAttribute('[data-testid=command-map]', 'data-grids'));
    assert.ok(grids > 1000, `grids drawn: ${grids}`);
    assert.ok(Number(await page.getAttribute('[data-testid=command-map]', 'data-cases')) > 0);
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid=kpi-kpiOverdue]')?.textContent ?? ''));
    assert.ok(await page.isVisible('.leaflet-tooltip.sd-label'));
    await screenshot(page, `command-${label}`);
    if (viewport === DESKTOP) {
      // The canvas markers by keyboard: "cases in view" lists the newest open cases within the
      // map's bounds; Tab reaches a case's button, Enter opens its marker's popup and focuses
      // the popup's link to the case.
      await page.waitForSelector('[data-testid=in-view] li');
      const listed = await page.$$eval('[data-testid=in-view] li', (l) => l.map((x) => x.dataset.number));
      assert.ok(listed.length > 0 && listed.length <= 20, `cases in view listed: ${listed.length}`);
      assert.match((await page.textContent('[data-testid=in-view-count]')).trim(), /^共 \d+ 件，列出最新 \d+ 件$/);
      const first = listed[0];
      await page.focus(`[data-testid=in-view] li[data-number="${first}"] a`);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), `在地图上显示 ${first}`);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`.leaflet-popup a[href="/cases/${first}"]`, { timeout: 10000 });
      await page.waitForFunction((n) => document.activeElement?.getAttribute('href') === `/cases/${n}`, first);
      await screenshot(page, `command-in-view-${label}`);
      await page.keyboard.press('Escape');
      await page.check('[data-testid=heat-toggle]');
      await page.waitForSelector('canvas.leaflet-heatmap-layer');
      await screenshot(page, `command-heat-${label}`);
    }
    await context.close();
  }
  noConsoleErrors();
});

test('four roles take one public report from verify to close in the UI', async () => {
  // A dispatcher watches the command center: the live feed shows each step without a reload.
  const watcher = await session('dispatcher');
  await watcher.page.goto(`${baseUrl}/command`);
  await watcher.page.waitForSelector('[data-testid=command-map][data-ready=true]', { timeout: 30000 });

  // The operator records a public report (受理). The form refuses to send without a place.
  const operator = await session('operator');
  await operator.page.goto(`${baseUrl}/report`);
  await operator.page.waitForSelector('[data-testid=report-map][data-ready=true]', { timeout: 30000 });
  await operator.page.click('[data-testid=report-submit]');
  assert.match(await operator.page.textContent('[data-testid=report-message]'), /地图|位置/);
  await operator.page.fill('[data-testid=category-search]', '暴露垃圾');
  await operator.page.waitForFunction(() => document.querySelector('[data-testid=category-select]')?.value === '06010');
  await operator.page.fill('[data-testid=report-description]', '浏览器测试：路边暴露垃圾堆放');
  await operator.page.selectOption('[data-testid=report-channel]', 'public');
  // A point outside the district: the server's message is shown.
  const box = await operator.page.locator('[data-testid=report-map]').boundingBox();
  demo.allowed = [/400/];
  await operator.page.locator('[data-testid=report-map]').click({ position: { x: 12, y: box.height - 12 } });
  await operator.page.click('[data-testid=report-submit]');
  await operator.page.waitForSelector('[data-testid=report-message] [data-testid=error]');
  // The Chinese console says what the error code means before the server's own sentence.
  assert.match(await operator.page.textContent('[data-testid=report-message]'), /^输入有误：.*(outside|district)/);
  await operator.page.locator('[data-testid=report-map]').click({ position: { x: box.width / 2, y: box.height / 2 } });
  await operator.page.click('[data-testid=report-submit]');
  await operator.page.waitForSelector('[data-testid=report-number], [data-testid=report-message] [data-testid=error]:not(:has-text("outside"))', { timeout: 15000 });
  assert.ok(await operator.page.$('[data-testid=report-number]'), await operator.page.textContent('[data-testid=report-message]'));
  demo.allowed = [];
  const number = (await operator.page.textContent('[data-testid=report-number]')).trim();
  assert.match(number, /^\d{8}-\d+$/);

  const inspector = await session('inspector');
  await openCase(inspector.page, number);
  assert.equal(await inspector.page.getAttribute('[data-testid=case-state]', 'data-state'), 'reported');
  await act(inspector.page, 'verify', (p) => p.check('[data-testid=verify-valid]'), 'pending');

  await openCase(operator.page, number);
  // Only the actions of the operator's role in this state are offered.
  const operatorActions = await operator.page.$$eval('[data-testid=actions] button', (b) => b.map((x) => x.dataset.action));
  assert.ok(operatorActions.includes('register') && !operatorActions.includes('dispatch'), operatorActions.join(','));
  await act(operator.page, 'register', null, 'registered');

  const dispatcher = await session('dispatcher');
  await openCase(dispatcher.page, number);
  await dispatcher.page.click('[data-testid=action-dispatch]');
  await dispatcher.page.waitForSelector('[data-testid=routed-unit]');
  const unit = await dispatcher.page.inputValue('[data-testid=dispatch-unit]');
  assert.ok(unit, 'the routed unit is preselected');
  await dispatcher.page.click('[data-testid=action-submit]');
  await dispatcher.page.waitForSelector('[data-testid=case-state][data-state=dispatched]');

  const handlerName = Object.values(users).find((u) => u.role === 'handler' && u.unit === unit)?.username;
  assert.ok(handlerName, `a demo handler of unit ${unit}`);
  const handler = await session(handlerName);
  await handler.page.goto(`${baseUrl}/inbox`);
  await handler.page.waitForSelector(`[data-testid=inbox] tr[data-number="${number}"]`);
  await handler.page.click(`[data-testid=inbox] tr[data-number="${number}"] a`);
  await handler.page.waitForSelector('[data-testid=case-state][data-state=dispatched]');
  await act(handler.page, 'accept', null, 'handling');
  const photo = await handler.page.screenshot({ clip: { x: 0, y: 0, width: 64, height: 48 } });
  await act(handler.page, 'feedback', async (p) => {
    await p.fill('[data-testid=feedback-result]', '已清运完毕，现场恢复整洁');
    await p.setInputFiles('[data-testid=feedback-photos]', { name: 'fixed.png', mimeType: 'image/png', buffer: photo });
  }, 'checking');
  await handler.page.waitForSelector('.photos img[src^="blob:"]');

  await openCase(inspector.page, number);
  await act(inspector.page, 'check_pass', null, 'checked');
  await openCase(operator.page, number);
  await act(operator.page, 'close', null, 'closed');
  const steps = await operator.page.$$eval('[data-testid=timeline] li', (l) => l.map((x) => x.dataset.action));
  for (const a of ['created', 'verify', 'register', 'dispatch', 'accept', 'feedback', 'check_pass', 'close']) {
    assert.ok(steps.includes(a), `timeline has ${a}: ${steps.join(',')}`);
  }
  // A closed case moves no further: at most a comment remains.
  const closedActions = await operator.page.$$eval('[data-testid=actions] button', (b) => b.map((x) => x.dataset.action));
  assert.ok(closedActions.every((a) => a === 'comment'), closedActions.join(','));
  await screenshot(operator.page, 'detail-1920x1080');
  await operator.page.setViewportSize(PHONE);
  await screenshot(operator.page, 'detail-390x844');

  // The watcher saw the case move live.
  await watcher.page.waitForSelector(`[data-testid=live-feed] li[data-number="${number}"]`, { timeout: 15000 });
  assert.ok(await watcher.page.$$eval(`[data-testid=live-feed] li[data-number="${number}"]`, (l) => l.length) >= 7);

  // A handler of another unit sees neither the case nor it in the inbox.
  const otherName = Object.values(users).find((u) => u.role === 'handler' && u.unit && u.unit !== unit).username;
  const other = await session(otherName);
  demo.allowed = [/404/];
  await other.page.goto(`${baseUrl}/cases/${number}`);
  await other.page.waitForSelector('[data-testid=error]');
  assert.match(await other.page.textContent('[data-testid=error]'), /^未找到：/);
  assert.equal(await other.page.$('[data-testid=case-state]'), null);
  demo.allowed = [];
  await other.page.goto(`${baseUrl}/inbox`);
  await other.page.waitForSelector('[data-testid=inbox] table, [data-testid=inbox] .empty');
  assert.equal(await other.page.$(`tr[data-number="${number}"]`), null);
  await other.page.goto(`${baseUrl}/cases?q=${encodeURIComponent('浏览器测试')}`);
  await other.page.waitForSelector('.results table, .results .empty');
  assert.equal(await other.page.$(`tr[data-number="${number}"]`), null);

  for (const s of [watcher, operator, inspector, dispatcher, handler, other]) await s.context.close();
  noConsoleErrors();
});

test('a video-AI batch report shows its snapshot and the detector\'s confidence', async () => {
  const { token } = await apiLogin('operator');
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const r = await fetch(`${baseUrl}/api/v1/cases/batch`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reports: [{ channel: 'video_ai', category: '06010', description: '摄像头识别：暴露垃圾（浏览器测试）',
      lon: 113.6207, lat: 34.7201, confidence: 0.91, snapshot: png, idempotency_key: 'browser-cam-1' }] }),
  });
  assert.equal(r.status, 200);
  const [result] = (await r.json()).results;
  assert.ok(result.status === 201 || result.status === 200, JSON.stringify(result));
  const { context, page } = await session('operator');
  await openCase(page, result.number);
  const created = page.locator('[data-testid=timeline] li[data-action=created]');
  assert.match(await created.textContent(), /识别置信度: 91%/);
  await page.waitForSelector('.photos img[src^="blob:"]');
  await context.close();
  noConsoleErrors();
});

// A TCP relay to the server that the test can cut as a network drops connections (Chromium's
// offline emulation leaves an open EventSource connected): while cut it closes every connection.
function relay(port) {
  const sockets = new Set();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) { client.destroy(); return; }
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    cut() { up = false; for (const s of sockets) s.destroy(); },
    restore() { up = true; },
    close() { this.cut(); server.close(); },
  })));
}

// The browser's EventSource reconnects by itself, naming the last event it received
// (Last-Event-ID); the server replays what it missed, so a report made while the connection was
// down still reaches the command center's feed, and nothing arrives twice.
test('the command center\'s live feed catches up on what it missed while the network was down', async () => {
  const { token } = await apiLogin('operator');
  const report = async (description) => {
    const r = await fetch(`${baseUrl}/api/v1/cases`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel: 'hotline', category: '06010', description, lon: 113.6207, lat: 34.7201 }),
    });
    assert.equal(r.status, 201);
    return (await r.json()).number;
  };
  const network = await relay(Number(new URL(baseUrl).port));
  const { context, page } = await session('dispatcher');
  await page.goto(`${network.url}/command`);
  await page.waitForSelector('[data-testid=live-status].on');
  const online = await report('浏览器测试：在线时的报告');
  await page.waitForSelector(`[data-testid=live-feed] li[data-number="${online}"]`, { timeout: 15000 });
  // The network drops: the stream breaks, and the case reported now is not delivered.
  demo.allowed = [/net::ERR_|Failed to fetch/];
  network.cut();
  await page.waitForSelector('[data-testid=live-status].off', { timeout: 15000 });
  const missed = await report('浏览器测试：断网时的报告');
  await page.waitForTimeout(1000);
  assert.equal(await page.$(`[data-testid=live-feed] li[data-number="${missed}"]`), null);
  network.restore();
  await page.waitForSelector(`[data-testid=live-feed] li[data-number="${missed}"]`, { timeout: 20000 });
  await page.waitForSelector('[data-testid=live-status].on');
  // Each event once: the first report is listed once, not replayed.
  assert.equal(await page.$$eval(`[data-testid=live-feed] li[data-number="${online}"]`, (l) => l.length), 1);
  await context.close();
  network.close();
  demo.allowed = [];
  noConsoleErrors();
});

test('the case list keeps filters, sorting and pages in the URL', async () => {
  const { context, page } = await session('leader');
  await page.goto(`${baseUrl}/cases`);
  await page.waitForSelector('[data-testid=case-table]');
  await page.selectOption('[data-testid=filter-state]', 'closed');
  await page.click('[data-testid=filter-apply]');
  await page.waitForURL(/state=closed/);
  await page.waitForSelector('[data-testid=case-table]');
  const states = await page.$$eval('[data-testid=case-table] [data-state]', (l) => [...new Set(l.map((x) => x.dataset.state))]);
  assert.deepEqual(states, ['closed']);
  await page.click('th button[data-sort=created]');
  await page.waitForURL(/sort=created_asc/);
  await page.click('[data-testid=page-next]');
  await page.waitForURL(/cursor=/);
  assert.equal(await page.textContent('[data-testid=page-number]'), '第 2 页');
  // Reloading the URL gives the same page.
  await page.reload();
  await page.waitForSelector('[data-testid=case-table]');
  assert.equal(await page.textContent('[data-testid=page-number]'), '第 2 页');
  assert.equal(await page.inputValue('[data-testid=filter-state]'), 'closed');
  await page.click('[data-testid=page-prev]');
  await page.waitForFunction(() => document.querySelector('[data-testid=page-number]')?.textContent === '第 1 页');
  await context.close();
  noConsoleErrors();
});

test('an admin creates a unit; forms check before sending and show the server\'s refusal', async () => {
  const { context, page } = await session('admin');
  await page.goto(`${baseUrl}/admin?tab=units`);
  await page.waitForSelector('.tab-body table');
  await page.click('.toolbar button');
  await page.click('[data-testid=unit-form-save]');
  assert.match(await page.textContent('[data-testid=unit-form] [data-testid=error]'), /代码/);
  await page.fill('[data-testid=unit-form] input[name=code]', 'TESTUNIT');
  await page.fill('[data-testid=unit-form] input[name=name]', '浏览器测试单位');
  await page.fill('[data-testid=unit-form] input[name=type]', '测试');
  await page.click('[data-testid=unit-form-save]');
  await page.waitForSelector('.tab-body td:has-text("浏览器测试单位")');
  // A handler without a unit is refused before sending; a short password too.
  await page.goto(`${baseUrl}/admin?tab=users`);
  await page.waitForSelector('.tab-body table');
  await page.click('.toolbar button');
  await page.fill('[data-testid=user-form] input[name=username]', 'browser-handler');
  await page.selectOption('[data-testid=user-form] select[name=role]', 'handler');
  await page.fill('[data-testid=user-form] input[name=password]', 'short');
  await page.click('[data-testid=user-form-save]');
  assert.match(await page.textContent('[data-testid=user-form] [data-testid=error]'), /单位/);
  await page.selectOption('[data-testid=user-form] select[name=unit]', 'TESTUNIT');
  await page.click('[data-testid=user-form-save]');
  assert.match(await page.textContent('[data-testid=user-form] [data-testid=error]'), /8/);
  await context.close();
  noConsoleErrors();
});

test('screenshots of every main page at both viewports', async () => {
  const pages = [
    ['leader', '/cases', 'cases', '[data-testid=case-table]'],
    ['handler-hw', '/inbox', 'inbox', '[data-testid=inbox] table, [data-testid=inbox] .empty'],
    ['inspector', '/report', 'report', '[data-testid=tasks-near] ul, [data-testid=tasks-near] .empty'],
    ['admin', '/admin', 'admin', '.tab-body table'],
    ['admin', '/admin?tab=routingRules', 'admin-rules', '.tab-body table'],
    ['leader', '/evaluation', 'evaluation', '[data-testid=trend-chart][data-ready=true], [data-testid=evaluation-unavailable]'],
  ];
  for (const [viewport, label] of [[DESKTOP, '1920x1080'], [PHONE, '390x844']]) {
    for (const [user, url, name, ready] of pages) {
      if (!users[user]) continue;
      const { context, page } = await session(user, viewport);
      await page.goto(`${baseUrl}${url}`);
      await page.waitForSelector(ready, { timeout: 30000 });
      await screenshot(page, `${name}-${label}`);
      await context.close();
    }
  }
  noConsoleErrors();
});
