// Browser tests of the ledger (台账) pages: a real `citygrid demo` (temp data dir, free port)
// driven by Debian's Chromium through playwright-core. The owner unit creates a ledger with typed
// columns (the server's validation error shows next to the column), imports a CSV with one bad
// cell (the dry run names line and column; nothing is written), then a good one, exports XLSX and
// re-imports it (nothing changes), reads the roll-up (figures equal the file), adds a column (a
// new definition version); the demo's 老旧小区改造 rolls up to 264 + 203 = 467 rows by batch; a
// street office updates a row's progress with a photo and sees it in the history, a leader reads
// only. Screenshots at 1920×1080 and 390×844, Chinese and English, go to $SCREENSHOT_DIR.
//
// usage: node --test tests/browser/ledgers.test.mjs   with CITYGRID_BINARY=path/to/citygrid
//        [SCREENSHOT_DIR=dir] [CITYGRID_WEB_DIR=web/dist]
// Exits 77 (skipped) when /usr/bin/chromium or the built console is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Demo, DESKTOP, PHONE, shots } from './harness.mjs';

const demo = new Demo({ name: 'ledgers', cases: 30 });
const mark = (what) => demo.mark(what);
const users = demo.users;
let baseUrl;
let dataDir;
before(async () => { await demo.start(); ({ baseUrl, dataDir } = demo); });
after(() => demo.stop());

const apiLogin = (username) => demo.apiLogin(username);
async function apiGet(username, url) {
  const { token } = await apiLogin(username);
  const r = await fetch(`${baseUrl}${url}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, `GET ${url}`);
  return r.json();
}
// A signed-in page of `username` in its own browser context; lang 'zh' or 'en'.
const session = (username, viewport = DESKTOP, lang = 'zh') => demo.session(username, viewport, lang);
const noConsoleErrors = () => demo.noConsoleErrors();

async function screenshot(page, name) {
  mark(`screenshot ${name}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(250);
  // Desktop pages whole; phones as the screen shows them.
  await page.screenshot({ path: path.join(shots, `ledgers-${name}.png`), fullPage: page.viewportSize().width > 1000 });
}

const text = (page, sel) => page.textContent(sel).then((s) => s.trim());

// Street offices of the demo district (the rows' responsible units).
async function streetOffices() {
  const { units } = await apiGet('admin', '/api/v1/units');
  return units.filter((u) => u.kind === 'street_office').slice(0, 2);
}

const LEDGER = 'greening-ui';

test('the owner unit creates a ledger, imports a bad then a good file and reads the roll-up', async () => {
  const owner = Object.values(users).find((u) => u.role === 'handler' && u.unit === 'ZJ');
  assert.ok(owner, 'a handler of ZJ in the demo');
  const [u1, u2] = await streetOffices();
  const { context, page } = await session(owner.username);
  await page.goto(`${baseUrl}/ledgers`);
  await page.waitForSelector('[data-testid=ledger-table] tr[data-ledger=old-compounds]');
  assert.equal(await text(page, 'tr[data-ledger=old-compounds] [data-figure=rows]'), '467');
  await page.click('[data-testid=new-ledger]');
  await page.waitForSelector('[data-testid=ledger-editor]');
  await page.fill('[data-testid=ledger-id]', LEDGER);
  await page.fill('[data-testid=ledger-name-input]', '绿化提升（浏览器测试）');
  assert.equal(await page.inputValue('[data-testid=ledger-owner]'), 'ZJ');
  const col = (i, what) => `[data-column-index="${i}"] [data-col=${what}]`;
  await page.fill(col(0, 'key'), 'kind');
  await page.fill(col(0, 'name'), '类型');
  await page.selectOption(col(0, 'type'), 'choice');
  await page.fill(col(0, 'choices'), '品质型、改善型');
  await page.check(col(0, 'required'));
  const columns = [
    ['area', '面积', 'number', { measure: 'm²', min: '10', max: '5' }],  // min above max: the server refuses
    ['finished', '完工日期', 'date', {}],
    ['green', '绿化率', 'percent', {}],
    ['items', '内容', 'multi_choice', { choices: '绿化,照明,道路' }],
    ['manager', '负责人', 'person', {}],
  ];
  for (const [i, [key, name, type, extra]] of columns.entries()) {
    await page.click('[data-testid=add-column]');
    await page.fill(col(i + 1, 'key'), key);
    await page.fill(col(i + 1, 'name'), name);
    await page.selectOption(col(i + 1, 'type'), type);
    for (const [k, v] of Object.entries(extra)) await page.fill(col(i + 1, k), v);
  }
  await page.selectOption('[data-testid=ledger-type-column]', 'kind');
  await page.click('[data-testid=add-batch]');
  await page.fill('[data-batch=name]', '第一批');
  await page.fill('[data-batch=deadline]', '2099-12-31');
  demo.allowed = [/status of 400/];
  await page.click('[data-testid=save-definition]');
  // The API's message lands next to column 2.
  await page.waitForSelector('[data-column-index="1"] [data-testid=column-error]:not(:empty)');
  demo.allowed = [];
  // In Chinese, from the reason's code and arguments (the API's English: "column 2 'area': min
  // 10 is above max 5").
  assert.equal(await text(page, '[data-column-index="1"] [data-testid=column-error]'), '第 2 列“area”：最小值 10 大于最大值 5');
  await screenshot(page, 'editor-error-1920x1080');
  await page.fill(col(1, 'min'), '0');
  await page.fill(col(1, 'max'), '100000');
  // A second batch of the same name: the reason lands next to that batch.
  await page.click('[data-testid=add-batch]');
  await page.locator('[data-batch=name]').nth(1).fill('第一批');
  demo.allowed = [/status of 400/];
  await page.click('[data-testid=save-definition]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=batch-error]')[1]?.textContent.trim());
  demo.allowed = [];
  assert.equal(await page.locator('[data-testid=batch-error]').nth(1).textContent(), '第 2 个批次：批次名称“第一批”重复');
  assert.equal(await text(page, '[data-column-index="1"] [data-testid=column-error]'), '');
  await page.locator('.lg-batch').nth(1).locator('button').click();
  await page.click('[data-testid=save-definition]');
  await page.waitForURL(`${baseUrl}/ledgers/${LEDGER}`);
  await page.waitForSelector('[data-testid=row-count]');
  assert.equal(await text(page, '[data-testid=ledger-name]'), '绿化提升（浏览器测试）');
  mark('ledger created');

  // Import: a file with one bad cell (line 3, 面积 = -3) imports nothing.
  const header = '编号,名称,责任单位,街道,批次,截止日期,状态,进度,类型,面积,完工日期,绿化率,内容,负责人';
  const good = [
    `G001,一号院,${u1.code},,第一批,,已完成,100,品质型,1200,2026-05-01,35,绿化;照明,张三`,
    `G002,二号院,${u2.code},,第一批,,进行中,40,改善型,800,,20,绿化,李四`,
    `G003,三号院,${u1.code},,第一批,,未开始,0,改善型,500,,,,`,
    `G004,四号院,${u2.code},,第一批,,进行中,60,品质型,1500,,,道路,王五`,
  ];
  const bad = [...good];
  bad[1] = bad[1].replace(',800,', ',-3,');
  await page.click('[data-tab=import]');
  await page.waitForSelector('[data-testid=import-file]');
  await page.setInputFiles('[data-testid=import-file]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${bad.join('\n')}\n`) });
  await page.click('[data-testid=dry-run]');
  await page.waitForSelector('[data-testid=import-errors] tr[data-line="3"]');
  const errorRow = await page.$$eval('[data-testid=import-errors] tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  // The reason in the console's language, from the report's reason_code and reason_args.
  assert.deepEqual(errorRow, [['3', '面积', '—', '-3', '-3 小于最小值 0']]);
  assert.equal(await page.isDisabled('[data-testid=import-all]'), true, 'import all is not offered with errors');
  await screenshot(page, 'import-errors-1920x1080');
  assert.equal((await apiGet('admin', `/api/v1/ledgers/${LEDGER}/rows`)).count, 0, 'nothing imported');

  // The good file: clean dry run, then import all.
  await page.setInputFiles('[data-testid=import-file]', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${good.join('\n')}\n`) });
  await page.click('[data-testid=dry-run]');
  await page.waitForSelector('[data-testid=import-clean]');
  assert.equal(await text(page, '[data-stat=wouldCreate] .kpi-value'), '4');
  await page.click('[data-testid=import-all]');
  await page.waitForSelector('[data-testid=import-applied]');
  assert.match(await text(page, '[data-testid=import-applied]'), /新增 4 行/);
  mark('CSV imported');

  // XLSX: export through the rows page, import the file again: clean, every row unchanged.
  await page.click('[data-tab=rows]');
  await page.waitForSelector('[data-testid=row-table] tr[data-row=G004]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-xlsx]')]);
  const xlsxPath = path.join(dataDir, `${LEDGER}.xlsx`);
  await download.saveAs(xlsxPath);
  assert.equal(fs.readFileSync(xlsxPath).subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');
  await page.click('[data-tab=import]');
  await page.setInputFiles('[data-testid=import-file]', xlsxPath);
  await page.click('[data-testid=dry-run]');
  await page.waitForSelector('[data-testid=import-clean]');
  assert.equal(await text(page, '[data-stat=unchanged] .kpi-value'), '4');
  assert.equal(await text(page, '[data-stat=wouldCreate] .kpi-value'), '0');

  // The roll-up equals the file: 4 rows, 1 done, Σ 面积 4000; by type 2 + 2.
  await page.click('[data-tab=summary]');
  await page.waitForSelector('[data-testid=summary-chart][data-ready=true]');
  const fig = (group, f) => text(page, `[data-testid=summary-table] tr[data-group="${group}"] [data-figure="${f}"]`);
  assert.equal(await fig('第一批', 'rows'), '4');
  assert.equal(await fig('__total', 'rows'), '4');
  assert.equal(await fig('__total', 'completed'), '1');
  assert.equal(await fig('__total', 'in_progress'), '2');
  assert.equal(await fig('__total', 'sum:area'), '4000');
  assert.equal(await fig('__total', 'sum:green'), '55');
  assert.equal(await text(page, '[data-kpi=rows] .kpi-value'), '4');
  await page.selectOption('[data-testid=group-by]', 'type');
  await page.waitForSelector('[data-testid=summary-table] tr[data-group="品质型"]');
  await page.waitForSelector('[data-testid=summary-chart][data-ready=true]');
  assert.equal(await fig('品质型', 'rows'), '2');
  assert.equal(await fig('改善型', 'rows'), '2');
  assert.equal(await fig('品质型', 'sum:area'), '2700');
  await screenshot(page, 'summary-new-1920x1080');

  // Adding a column makes definition version 2, and the page says so before saving.
  await page.click('[data-tab=edit]');
  await page.waitForSelector('[data-testid=version-note]');
  assert.match(await text(page, '[data-testid=version-note]'), /v2/);
  assert.equal(await page.isDisabled(col(0, 'key')), true, 'existing keys cannot change');
  await page.click('[data-testid=add-column]');
  await page.fill(col(6, 'key'), 'lights');
  await page.fill(col(6, 'name'), '路灯数');
  await page.selectOption(col(6, 'type'), 'number');
  await page.check(col(6, 'required'));
  assert.match(await text(page, '[data-column-index="6"] [data-testid=new-version-badge]'), /v2/);
  await page.click('[data-testid=save-definition]');
  await page.waitForURL(`${baseUrl}/ledgers/${LEDGER}`);
  await page.waitForSelector('[data-testid=row-table]');
  assert.match(await text(page, '.lg-meta'), /定义版本 v2/);
  const def = await apiGet('admin', `/api/v1/ledgers/${LEDGER}`);
  assert.equal(def.columns.find((c) => c.key === 'lights').since_version, 2);
  // Under v2 a new row needs 路灯数 while the four old rows stay valid: a file with one good and
  // one incomplete new row imports only the good one when asked to.
  const v2 = [`${header},路灯数`, `G005,五号院,${u1.code},,第一批,,未开始,0,品质型,900,,,,,12`,
    `G006,六号院,${u2.code},,第一批,,未开始,0,改善型,700,,,,,`];
  await page.click('[data-tab=import]');
  await page.setInputFiles('[data-testid=import-file]', { name: 'v2.csv', mimeType: 'text/csv', buffer: Buffer.from(`${v2.join('\n')}\n`) });
  await page.click('[data-testid=dry-run]');
  await page.waitForSelector('[data-testid=import-errors] tr[data-line="3"][data-column="路灯数"]');
  assert.equal(await page.isDisabled('[data-testid=import-all]'), true);
  await page.click('[data-testid=import-valid]');
  await page.waitForSelector('[data-testid=import-applied]');
  assert.match(await text(page, '[data-testid=import-applied]'), /新增 1 行/);
  assert.deepEqual((await apiGet('admin', `/api/v1/ledgers/${LEDGER}/rows`)).rows.map((r) => r.key), ['G001', 'G002', 'G003', 'G004', 'G005']);
  await context.close();
  noConsoleErrors();
});

test('the demo 老旧小区改造 rolls up to 264 + 203 = 467 rows by batch; filters and pages', async () => {
  const { context, page } = await session('leader');
  await page.goto(`${baseUrl}/ledgers`);
  await page.click('tr[data-ledger=old-compounds] a');
  await page.waitForSelector('[data-testid=row-table]');
  assert.match(await text(page, '[data-testid=row-count]'), /共 467 行/);
  await page.selectOption('[data-testid=filter-batch]', '第一批');
  await page.click('[data-testid=row-filters] button[type=submit]');
  await page.waitForURL(/batch=/);
  await page.waitForFunction(() => /共 264 行/.test(document.querySelector('[data-testid=row-count]')?.textContent ?? ''));
  await page.click('[data-testid=next-page]');
  await page.waitForURL(/offset=20/);
  await page.waitForFunction(() => /第 21-40 行/.test(document.querySelector('[data-testid=row-count]')?.textContent ?? ''));
  await page.selectOption('[data-testid=filter-state]', 'behind');
  await page.click('[data-testid=row-filters] button[type=submit]');
  await page.waitForURL(/state=behind/);
  await page.waitForSelector('[data-testid=row-table] [data-testid=behind]');
  const behindShown = await page.$$eval('[data-testid=row-table] tbody tr', (rows) => rows.every((r) => r.querySelector('[data-testid=behind]')));
  assert.ok(behindShown, 'every row shown is 滞后');
  await page.click('[data-tab=summary]');
  await page.waitForSelector('[data-testid=summary-chart][data-ready=true]');
  const fig = (group, f) => text(page, `[data-testid=summary-table] tr[data-group="${group}"] [data-figure="${f}"]`);
  assert.equal(await fig('第一批', 'rows'), '264');
  assert.equal(await fig('第二批', 'rows'), '203');
  assert.equal(await fig('__total', 'rows'), '467');
  const s = await apiGet('leader', '/api/v1/ledgers/old-compounds/summary?group_by=batch');
  assert.equal(await fig('第一批', 'behind'), String(s.groups[0].behind));
  assert.equal(await text(page, '[data-testid=summary-table] tr[data-group="第一批"] td:nth-child(2)'), '2020-12-31');
  await page.waitForSelector('[data-testid=curve-chart] canvas');
  await screenshot(page, 'summary-1920x1080');
  await context.close();

  // The campaign ledger shows its case figures against targets.
  const campaign = await session('leader');
  await campaign.page.goto(`${baseUrl}/ledgers/order-cleanliness/summary`);
  await campaign.page.waitForSelector('[data-testid=campaign-figures] tr[data-figure=closing_rate]');
  await campaign.page.waitForSelector('[data-testid=summary-chart][data-ready=true]');
  await screenshot(campaign.page, 'campaign-1920x1080');
  await campaign.context.close();
  noConsoleErrors();
});

test('a street office updates its row with a photo and sees it in the history; a leader reads only', async () => {
  const row = (await apiGet('leader', '/api/v1/ledgers/old-compounds/rows?batch=第二批&state=in_progress')).rows[0];
  assert.ok(row, 'an unfinished row of batch 2');
  const office = Object.values(users).find((u) => u.role === 'handler' && u.unit === row.unit);
  assert.ok(office, `a handler of ${row.unit}`);
  const { context, page } = await session(office.username);
  await page.goto(`${baseUrl}/ledgers/old-compounds/rows/${row.key}`);
  await page.waitForSelector('[data-testid=progress-form]');
  // A value below its column's minimum: the server refuses it, the form marks the field and says
  // why in Chinese (from the error's reason code), and nothing is written.
  const households = row.values.households ?? '';
  demo.allowed = [/400/];
  await page.fill('[data-testid=progress-form] [data-value=households]', '-3');
  await page.click('[data-testid=progress-submit]');
  await page.waitForSelector('[data-testid=progress-message] .error');
  demo.allowed = [];
  assert.equal(await text(page, '[data-testid=progress-message] .error'), '输入有误：户数：-3 小于最小值 0');
  assert.equal(await page.getAttribute('[data-testid=progress-form] [data-value=households]', 'aria-invalid'), 'true');
  assert.equal((await apiGet('leader', `/api/v1/ledgers/old-compounds/rows/${row.key}`)).version, row.version);
  await page.locator('[data-testid=progress-message]').scrollIntoViewIfNeeded();
  await screenshot(page, 'row-value-refused-1920x1080');
  await page.fill('[data-testid=progress-form] [data-value=households]', households);
  const photo = await page.screenshot({ clip: { x: 0, y: 0, width: 64, height: 48 } });
  await page.fill('[data-testid=progress-pct]', '95');
  await page.fill('[data-testid=progress-note]', '浏览器测试：收尾');
  await page.setInputFiles('[data-testid=progress-photos]', { name: 'site.png', mimeType: 'image/png', buffer: photo });
  await page.click('[data-testid=progress-submit]');
  await page.waitForSelector('[data-testid=row-history] li:first-child .ev-note:has-text("浏览器测试：收尾")');
  await page.waitForSelector('[data-testid=row-history] li:first-child .photos img[src^="blob:"]');
  assert.match(await text(page, '[data-testid=row-history] li:first-child .lg-changes'), /进度: 95%/);
  assert.match(await text(page, '[data-testid=row-history] li:first-child'), new RegExp(office.username));
  assert.match(await text(page, '[data-testid=row-progress]'), /95%/);
  await screenshot(page, 'row-1920x1080');
  await context.close();
  const leader = await session('leader', PHONE);
  await leader.page.goto(`${baseUrl}/ledgers/old-compounds/rows/${row.key}`);
  await leader.page.waitForSelector('[data-testid=read-only]');
  assert.equal(await leader.page.$('[data-testid=progress-form]'), null);
  await leader.page.waitForSelector('[data-testid=row-history] li:first-child .ev-note:has-text("浏览器测试：收尾")');
  await screenshot(leader.page, 'row-390x844');
  await leader.context.close();
  noConsoleErrors();
});

test('screenshots of the ledger pages on a phone and in English', async () => {
  const pages = [
    ['/ledgers', 'list', '[data-testid=ledger-table]'],
    ['/ledgers/old-compounds', 'rows', '[data-testid=row-table]'],
    ['/ledgers/old-compounds/summary', 'summary', '[data-testid=summary-chart][data-ready=true]'],
    [`/ledgers/${LEDGER}/import`, 'import', '[data-testid=import-file]'],
    [`/ledgers/${LEDGER}/edit`, 'editor', '[data-testid=ledger-editor]'],
  ];
  for (const [viewport, vlabel, lang] of [[PHONE, '390x844', 'zh'], [PHONE, '390x844-en', 'en'], [DESKTOP, '1920x1080-en', 'en']]) {
    const { context, page } = await session('admin', viewport, lang);
    for (const [url, name, ready] of pages) {
      await page.goto(`${baseUrl}${url}`);
      await page.waitForSelector(ready, { timeout: 30000 });
      await screenshot(page, `${name}-${vlabel}`);
    }
    if (lang === 'en') assert.match(await text(page, '#main-nav a[href="/ledgers"]'), /Ledgers/);
    await context.close();
  }
  noConsoleErrors();
});
