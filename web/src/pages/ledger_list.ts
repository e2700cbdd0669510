// 台账: the ledger pages' router (/ledgers/...) and the list of ledgers with their figures
// (rows, done, behind from each ledger's summary).
import { h } from '../dom';
import { t } from '../i18n';
import { get } from '../api';
import { loading, empty, errorBox, errMsg } from '../ui';
import type { PageContext, Dispose } from '../main';
import { LedgerDef, LedgerSummary, apiPath, ledgerPath, mayCreate, unitNames, pct1 } from './ledger_common';
import { renderLedgerEditor } from './ledger_editor';
import { renderLedgerRows } from './ledger_rows';
import { renderLedgerRow } from './ledger_row';
import { renderLedgerSummary } from './ledger_summary';
import { renderLedgerImport } from './ledger_import';

// /ledgers, /ledgers/new, /ledgers/{id}, /ledgers/{id}/edit|summary|import, /ledgers/{id}/rows/{key}
export function renderLedgers(main: HTMLElement, ctx: PageContext): Dispose {
  const parts = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const id = parts[1];
  if (!id) return renderLedgerList(main, ctx);
  if (id === 'new') return renderLedgerEditor(main, ctx, '');
  const sub = parts[2] ?? '';
  if (sub === '') return renderLedgerRows(main, ctx, id);
  if (sub === 'edit') return renderLedgerEditor(main, ctx, id);
  if (sub === 'summary') return renderLedgerSummary(main, ctx, id);
  if (sub === 'import') return renderLedgerImport(main, ctx, id);
  if (sub === 'rows' && parts[3]) return renderLedgerRow(main, ctx, id, parts[3]);
  main.appendChild(h('p', { class: 'empty' }, t('notFound')));
  return undefined;
}

function renderLedgerList(main: HTMLElement, ctx: PageContext): Dispose {
  const body = h('section', { class: 'card results', 'data-testid': 'ledger-list' }, loading());
  main.append(
    h('div', { class: 'page-head row lg-list-head' },
      h('h1', null, t('ledgerList')),
      mayCreate(ctx.user)
        ? h('a', { class: 'btn primary', href: '/ledgers/new', 'data-link': true, 'data-testid': 'new-ledger' }, `+ ${t('newLedger')}`)
        : null),
    body);
  (async () => {
    const [{ ledgers }, names] = await Promise.all([get<{ ledgers: LedgerDef[] }>('/api/v1/ledgers'), unitNames()]);
    if (!ledgers.length) { body.replaceChildren(empty()); return; }
    const totals = await Promise.all(ledgers.map((d) =>
      get<LedgerSummary>(apiPath(d.id, '/summary?group_by=state')).then((s) => s.total).catch(() => null)));
    const cells = (d: LedgerDef, i: number) => {
      const s = totals[i];
      const period = d.period_start || d.period_end ? `${d.period_start || '…'} — ${d.period_end || '…'}` : '—';
      return [
        h('td', { 'data-label': t('ledgerName') },
          h('a', { href: ledgerPath(d.id), 'data-link': true, class: 'lg-name' }, d.name),
          d.campaign ? h('span', { class: 'badge lg-campaign' }, t('campaign')) : null,
          d.description ? h('div', { class: 'muted small lg-desc' }, d.description) : null),
        h('td', { 'data-label': t('ownerUnit') }, names.get(d.owner_unit) ?? d.owner_unit),
        h('td', { 'data-label': t('period') }, period),
        h('td', { 'data-label': t('rowCount'), class: 'numeric', 'data-figure': 'rows' }, s ? String(s.rows) : '—'),
        h('td', { 'data-label': t('doneCount'), class: 'numeric', 'data-figure': 'done' }, s ? String(s.completed) : '—'),
        h('td', { 'data-label': t('behindCount'), class: `numeric${s && s.behind ? ' late' : ''}`, 'data-figure': 'behind' }, s ? String(s.behind) : '—'),
        h('td', { 'data-label': t('completionRate'), class: 'numeric' }, s && s.rows ? pct1(s.completed / s.rows) : '—'),
      ];
    };
    body.replaceChildren(h('table', { class: 'data lg-cards', 'data-testid': 'ledger-table' },
      h('thead', null, h('tr', null, ['ledgerName', 'ownerUnit', 'period', 'rowCount', 'doneCount', 'behindCount', 'completionRate']
        .map((k, i) => h('th', { scope: 'col', class: i >= 3 ? 'numeric' : null }, t(k))))),
      h('tbody', null, ledgers.map((d, i) => h('tr', { 'data-ledger': d.id }, cells(d, i))))));
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return undefined;
}
