// 台账行: the rows of one ledger with the API's filters (state incl. 滞后, batch, sub-district,
// unit, text), pages of rows (offset/limit) and CSV/XLSX export — everything in the URL.
import { h, option } from '../dom';
import { t } from '../i18n';
import { get } from '../api';
import { loading, empty, errorBox, field, errMsg, toast, downloadFile } from '../ui';
import { navigate } from '../main';
import type { PageContext, Dispose } from '../main';
import {
  LedgerDef, LedgerRow, LedgerSummary, ROW_STATES, rowStateName, getLedger, ledgerHead, ledgerPath, apiPath,
  unitNames, stateChip, behindChip, progressBar,
} from './ledger_common';

const FILTERS = ['state', 'batch', 'subdistrict', 'unit', 'q'];
const PAGE_SIZES = ['20', '50', '100'];

// A value as shown in a cell: multi choices and photo lists shortened.
export function cellText(d: LedgerDef, key: string, value: string | undefined): string {
  if (!value) return '';
  const c = d.columns.find((x) => x.key === key);
  if (c?.type === 'photos') return `📷 ${value.split(';').length}`;
  if (c?.type === 'multi_choice') return value.split(';').join('、');
  if (c?.type === 'percent') return `${value}%`;
  if (c?.type === 'number' && c.measure) return `${value} ${c.measure}`;
  return value;
}

export function renderLedgerRows(main: HTMLElement, ctx: PageContext, id: string): Dispose {
  const params = new URLSearchParams(location.search);
  const limit = PAGE_SIZES.includes(params.get('limit') ?? '') ? params.get('limit')! : '20';
  const offset = Math.max(0, Number(params.get('offset') ?? '0') || 0);
  const body = h('div', null, loading());
  main.appendChild(body);
  (async () => {
    const [d, names, bySd, byUnit] = await Promise.all([
      getLedger(id), unitNames(),
      get<LedgerSummary>(apiPath(id, '/summary?group_by=subdistrict')),
      get<LedgerSummary>(apiPath(id, '/summary?group_by=unit'))]);
    const sdNames = new Map(bySd.groups.map((g) => [g.key, g.label]));
    const state = h('select', { name: 'state', 'data-testid': 'filter-state' }, option('', t('all')),
      ROW_STATES.map((s) => option(s, rowStateName(s), params.get('state') === s)),
      option('behind', t('behind'), params.get('state') === 'behind'));
    const batch = h('select', { name: 'batch', 'data-testid': 'filter-batch' }, option('', t('all')),
      d.batches.map((b) => option(b.name, b.name, params.get('batch') === b.name)));
    const subdistrict = h('select', { name: 'subdistrict', 'data-testid': 'filter-subdistrict' }, option('', t('all')),
      bySd.groups.filter((g) => g.key).map((g) => option(g.key, g.label || g.key, params.get('subdistrict') === g.key)));
    const unit = h('select', { name: 'unit', 'data-testid': 'filter-unit' }, option('', t('all')),
      byUnit.groups.filter((g) => g.key).map((g) => option(g.key, g.label || g.key, params.get('unit') === g.key)));
    const q = h('input', { type: 'search', name: 'q', value: params.get('q') ?? '', 'data-testid': 'filter-q', placeholder: `${t('rowKey')} / ${t('rowTitle')}` });
    const per = h('select', { name: 'limit' }, PAGE_SIZES.map((n) => option(n, n, n === limit)));
    const controls: Record<string, HTMLInputElement | HTMLSelectElement> = { state, batch, subdistrict, unit, q };
    const filters = h('form', { class: 'filters card lg-filters', 'data-testid': 'row-filters' },
      field(t('stateFilter'), state), field(t('rowBatch'), batch), field(t('rowSubdistrict'), subdistrict),
      field(t('rowUnit'), unit), field(t('q'), q), field(t('perPageRows'), per),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'btn primary' }, t('apply')),
        h('button', { type: 'button', class: 'btn', onclick: () => navigate(ledgerPath(id)) }, t('reset')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'export-csv', onclick: () =>
          downloadFile(apiPath(id, '/export?format=csv'), `${id}.csv`).catch((e) => toast(errMsg(e), 'error')) }, t('exportCsv')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'export-xlsx', onclick: () =>
          downloadFile(apiPath(id, '/export?format=xlsx'), `${id}.xlsx`).catch((e) => toast(errMsg(e), 'error')) }, t('exportXlsx'))));
    filters.addEventListener('submit', (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      for (const k of FILTERS) if (controls[k].value.trim()) p.set(k, controls[k].value.trim());
      if (per.value !== '20') p.set('limit', per.value);
      navigate(`${ledgerPath(id)}?${p}`);
    });
    const query = new URLSearchParams();
    for (const k of FILTERS) if (params.get(k)) query.set(k, params.get(k)!);
    query.set('offset', String(offset));
    query.set('limit', limit);
    const page = await get<{ rows: LedgerRow[]; count: number }>(apiPath(id, `/rows?${query}`));
    const shown = d.columns.filter((c) => c.type !== 'photos').slice(0, 4);
    const table = h('table', { class: 'data lg-cards lg-rows', 'data-testid': 'row-table' },
      h('thead', null, h('tr', null,
        [t('rowKey'), t('rowTitle'), t('rowUnit'), t('rowSubdistrict'), t('rowBatch'), t('rowDeadline'), t('rowState'), t('rowProgress'),
          ...shown.map((c) => c.name)].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, page.rows.map((r) => h('tr', { class: r.overdue ? 'overdue' : '', 'data-row': r.key },
        h('td', { 'data-label': t('rowKey'), class: 'lg-key' }, h('a', { href: ledgerPath(id, `/rows/${encodeURIComponent(r.key)}`), 'data-link': true }, r.key)),
        h('td', { 'data-label': t('rowTitle'), class: 'lg-title' }, r.title || '—'),
        h('td', { 'data-label': t('rowUnit') }, names.get(r.unit) ?? r.unit),
        h('td', { 'data-label': t('rowSubdistrict') }, sdNames.get(r.subdistrict) ?? r.subdistrict ?? ''),
        h('td', { 'data-label': t('rowBatch') }, r.batch || '—'),
        h('td', { 'data-label': t('rowDeadline'), class: r.behind ? 'late' : '' }, r.effective_deadline || '—'),
        h('td', { 'data-label': t('rowState') }, stateChip(r.state), r.behind ? behindChip() : null),
        h('td', { 'data-label': t('rowProgress') }, progressBar(r.progress)),
        ...shown.map((c) => h('td', { 'data-label': c.name, class: 'lg-extra' }, cellText(d, c.key, r.values[c.key])))))));
    const go = (o: number) => { const p = new URLSearchParams(location.search); p.set('offset', String(o)); navigate(`${ledgerPath(id)}?${p}`); };
    const n = Number(limit);
    const pager = h('div', { class: 'pager' },
      h('button', { class: 'btn', disabled: offset === 0, onclick: () => go(Math.max(0, offset - n)) }, t('prev')),
      h('span', { 'data-testid': 'row-count' }, page.count
        ? t('pageOf', { a: offset + 1, b: Math.min(offset + n, page.count), n: page.count }) : t('noRows')),
      h('button', { class: 'btn', disabled: offset + n >= page.count, 'data-testid': 'next-page', onclick: () => go(offset + n) }, t('next')));
    body.replaceChildren(ledgerHead(d, 'rows', ctx.user, names.get(d.owner_unit)), filters,
      h('section', { class: 'card results' }, page.rows.length ? table : empty(t('noRows')), pager));
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return undefined;
}
