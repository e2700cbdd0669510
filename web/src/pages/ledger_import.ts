// 台账导入: choose a CSV/XLSX file → dry run (every error: line, column, cell, value, reason;
// nothing written) → "import all" (only offered when the file is clean) or "import the valid
// rows" (when asked) → the result. The file goes as the raw request body.
import { h } from '../dom';
import { t } from '../i18n';
import { api } from '../api';
import { loading, errorBox, field, errMsg, downloadFile } from '../ui';
import type { PageContext, Dispose } from '../main';
import { LedgerDef, getLedger, ledgerHead, ledgerPath, apiPath, unitNames, manages, reasonText } from './ledger_common';

interface ImportReport {
  dry_run: boolean; valid_rows_only: boolean; applied: boolean; rows_read: number; rows_valid: number;
  rows_created: number; rows_updated: number; rows_unchanged: number;
  errors: { row: number; column: string; cell: string; value: string; reason: string;
    reason_code?: string; reason_args?: string[] }[];
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const FIXED = ['编号', '名称', '责任单位', '街道', '批次', '截止日期', '状态', '进度'];

export function renderLedgerImport(main: HTMLElement, ctx: PageContext, id: string): Dispose {
  const body = h('div', null, loading());
  main.appendChild(body);
  (async () => {
    const [d, names] = await Promise.all([getLedger(id), unitNames()]);
    const head = ledgerHead(d, 'import', ctx.user, names.get(d.owner_unit));
    if (!manages(ctx.user, d)) { body.replaceChildren(head, errorBox(t('readOnly'))); return; }
    body.replaceChildren(head, wizard(d));
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return undefined;
}

function wizard(d: LedgerDef): HTMLElement {
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.xlsx,text/csv,' + XLSX_TYPE, 'data-testid': 'import-file' });
  const check = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'dry-run' }, t('dryRun'));
  const step1Msg = h('div', { class: 'form-message' });
  const step2 = h('section', { class: 'card results', 'data-testid': 'import-report', hidden: true });
  const step3 = h('section', { class: 'card', 'data-testid': 'import-result', hidden: true });
  const headers = [...FIXED, ...d.columns.map((c) => c.name)].join(', ');
  const step1 = h('form', { class: 'card', novalidate: true },
    h('h2', null, t('importStep1')),
    h('p', { class: 'muted small' }, t('importHeaders', { h: headers })),
    field(t('chooseFile'), file, { required: true }),
    step1Msg,
    h('div', { class: 'buttons' }, check,
      h('button', { type: 'button', class: 'btn', onclick: () => downloadFile(apiPath(d.id, '/export?format=csv'), `${d.id}.csv`)
        .catch((e) => step1Msg.replaceChildren(errorBox(errMsg(e)))) }, t('downloadTemplate'))));

  const send = async (f: File, query: string) => {
    const xlsx = /\.xlsx$/i.test(f.name);
    return api<ImportReport>('POST', apiPath(d.id, `/import?format=${xlsx ? 'xlsx' : 'csv'}${query}`),
      f, { 'Content-Type': xlsx ? XLSX_TYPE : 'text/csv' });
  };

  const showResult = (r: ImportReport) => {
    step3.hidden = false;
    step3.replaceChildren(h('h2', null, t('importStep3')),
      r.applied
        ? h('p', { class: 'ok', 'data-testid': 'import-applied' }, t('importApplied', { c: r.rows_created, u: r.rows_updated, s: r.rows_unchanged }))
        : h('div', null, errorBox(t('importNothing')), r.errors.length ? errorTable(r) : null),
      h('div', { class: 'buttons' },
        h('a', { class: 'btn', href: ledgerPath(d.id), 'data-link': true }, t('viewRows')),
        h('a', { class: 'btn primary', href: ledgerPath(d.id, '/summary'), 'data-link': true, 'data-testid': 'to-summary' }, t('viewSummary'))));
    step3.scrollIntoView({ block: 'nearest' });
  };

  const showReport = (f: File, r: ImportReport) => {
    step2.hidden = false;
    step3.hidden = true;
    const n = r.errors.length;
    const all = h('button', { type: 'button', class: 'btn primary', disabled: n > 0, 'data-testid': 'import-all' }, t('importAll'));
    const valid = n > 0 && r.rows_valid > 0
      ? h('button', { type: 'button', class: 'btn', 'data-testid': 'import-valid' }, t('importValid', { n: r.rows_valid })) : null;
    const run = async (query: string, btn: HTMLButtonElement) => {
      btn.disabled = true;
      try {
        const res = await send(f, query);
        showResult(res);
        all.disabled = true;
        if (valid) valid.disabled = true;
      } catch (e) {
        step2.appendChild(errorBox(errMsg(e)));
        btn.disabled = false;
      }
    };
    all.addEventListener('click', () => run('', all));
    valid?.addEventListener('click', () => run('&valid_rows_only=1', valid));
    const stat = (k: string, v: number) => h('div', { class: 'kpi', 'data-stat': k }, h('span', { class: 'kpi-value' }, String(v)), h('span', { class: 'kpi-label' }, t(k)));
    step2.replaceChildren(h('h2', null, `${t('importStep2')} · ${f.name}`),
      h('div', { class: 'kpis lg-kpis' }, stat('rowsRead', r.rows_read), stat('rowsValid', r.rows_valid), stat('wouldCreate', r.rows_created),
        stat('wouldUpdate', r.rows_updated), stat('unchanged', r.rows_unchanged)),
      n ? h('div', { class: 'error', role: 'alert', 'data-testid': 'import-errors-note' }, t('importHasErrors', { n }))
        : h('p', { class: 'ok', 'data-testid': 'import-clean' }, t('importClean')),
      ...(n ? [errorTable(r)] : []),
      h('div', { class: 'buttons' }, all, valid));
  };

  step1.addEventListener('submit', async (e) => {
    e.preventDefault();
    step1Msg.replaceChildren();
    const f = file.files?.[0];
    if (!f) { file.setAttribute('aria-invalid', 'true'); step1Msg.appendChild(errorBox(t('mustChooseFile'))); return; }
    file.removeAttribute('aria-invalid');
    check.disabled = true;
    try {
      showReport(f, await send(f, '&dry_run=1'));
    } catch (err) {
      step1Msg.appendChild(errorBox(errMsg(err)));
    } finally {
      check.disabled = false;
    }
  });
  file.addEventListener('change', () => { step2.hidden = true; step3.hidden = true; });
  return h('div', { class: 'lg-import' }, step1, step2, step3);
}

function errorTable(r: ImportReport): HTMLElement {
  return h('table', { class: 'data', 'data-testid': 'import-errors' },
    h('thead', null, h('tr', null, [t('line'), t('column'), t('cell'), t('cellValue'), t('reason')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, r.errors.map((e) => h('tr', { 'data-line': e.row, 'data-column': e.column },
      h('td', null, String(e.row)), h('td', null, e.column || '—'), h('td', null, e.cell || '—'),
      h('td', null, h('code', null, e.value)), h('td', null, reasonText(e))))));
}
