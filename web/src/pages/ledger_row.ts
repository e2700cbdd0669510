// 台账行详情: the row's fields and values, its whole history (every event: who, when, what
// changed, photos) and, for the responsible unit / owner unit / admin, a progress-update form
// (values, progress %, state, photos, note). Everyone else reads only.
import { h, option } from '../dom';
import { t, roleName, currentLang } from '../i18n';
import { api, get, User, ApiError } from '../api';
import { fmtTime } from '../format';
import { loading, empty, errorBox, field, errMsg, toast } from '../ui';
import { render } from '../main';
import type { PageContext, Dispose } from '../main';
import { photoStrip } from './case_detail';
import {
  LedgerDef, LedgerRow, LedgerEvent, LedgerColumn, LedgerSummary, getLedger, ledgerHead, apiPath, unitNames, stateChip,
  behindChip, progressBar, rowStateName, eventName, manages, mayUpdate, reasonText,
} from './ledger_common';
import { cellText } from './ledger_rows';

type RowDetail = LedgerRow & { history: LedgerEvent[] };

export function renderLedgerRow(main: HTMLElement, ctx: PageContext, id: string, key: string): Dispose {
  const body = h('div', null, loading());
  main.appendChild(body);
  (async () => {
    const [d, row, names, bySd] = await Promise.all([
      getLedger(id), get<RowDetail>(apiPath(id, `/rows/${encodeURIComponent(key)}`)), unitNames(),
      get<LedgerSummary>(apiPath(id, '/summary?group_by=subdistrict')).catch(() => null)]);
    // Sub-district codes → names (the ledger's own sub-districts, from its roll-up).
    for (const g of bySd?.groups ?? []) if (g.key && g.label) names.set(g.key, g.label);
    const valueCell = (c: LedgerColumn) => {
      const v = row.values[c.key];
      if (c.type === 'photos' && v) return photoStrip(v.split(';'));
      if (c.type === 'unit' && v) return names.get(v) ?? v;
      return cellText(d, c.key, v) || '—';
    };
    const dl = (pairs: [string, Node | string][]) => h('dl', { class: 'fields' },
      pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    const fixed = dl([
      [t('rowKey'), row.key], [t('rowTitle'), row.title || '—'], [t('rowUnit'), names.get(row.unit) ?? row.unit],
      [t('rowSubdistrict'), names.get(row.subdistrict) ?? (row.subdistrict || '—')], [t('rowBatch'), row.batch || '—'],
      [t('rowDeadline'), h('span', { class: row.behind ? 'late' : '' }, row.effective_deadline || '—')],
      [t('rowState'), h('span', { 'data-testid': 'row-state' }, stateChip(row.state), row.behind ? behindChip() : null)],
      [t('rowProgress'), h('span', { 'data-testid': 'row-progress' }, progressBar(row.progress))],
      [t('version'), String(row.version)]]);
    const values = dl(d.columns.map((c) => [c.name, valueCell(c)] as [string, Node | string]));
    const canUpdate = mayUpdate(ctx.user, d, row);
    body.replaceChildren(
      ledgerHead(d, 'rows', ctx.user, names.get(d.owner_unit)),
      h('h2', { class: 'lg-row-title' }, `${row.key} · ${row.title}`),
      h('div', { class: 'detail-grid' },
        h('div', null,
          h('section', { class: 'card', 'data-testid': 'row-fields' }, h('h2', null, t('fixedFields')), fixed),
          d.columns.length ? h('section', { class: 'card', 'data-testid': 'row-values' }, h('h2', null, t('rowValues')), values) : null,
          h('section', { class: 'card', 'data-testid': 'progress-section' }, h('h2', null, t('progressUpdate')),
            canUpdate ? progressForm(ctx.user, d, row) : h('p', { class: 'muted', 'data-testid': 'read-only' }, t('readOnly')))),
        h('section', { class: 'card' }, h('h2', null, t('history')), historyList(d, row.history, names))));
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return undefined;
}

function changesText(d: LedgerDef, changes: LedgerEvent['changes'], names: Map<string, string>): string[] {
  if (typeof changes === 'string' || !changes) return changes ? [String(changes)] : [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(changes)) {
    if (k === 'values' && v && typeof v === 'object') {
      for (const [ck, cv] of Object.entries(v as Record<string, string>)) {
        out.push(`${d.columns.find((c) => c.key === ck)?.name ?? ck}: ${cellText(d, ck, cv) || '—'}`);
      }
    } else if (k === 'state') {
      out.push(`${t('rowState')}: ${rowStateName(String(v))}`);
    } else if (k === 'progress') {
      out.push(`${t('rowProgress')}: ${v}%`);
    } else if (k === 'unit' || k === 'subdistrict') {
      out.push(`${t(k === 'unit' ? 'rowUnit' : 'rowSubdistrict')}: ${names.get(String(v)) ?? v}`);
    } else {
      const label: Record<string, string> = { title: t('rowTitle'), batch: t('rowBatch'), deadline: t('rowDeadline'), subdistrict: t('rowSubdistrict') };
      out.push(`${label[k] ?? k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    }
  }
  return out;
}

function historyList(d: LedgerDef, events: LedgerEvent[], names: Map<string, string>): HTMLElement {
  if (!events.length) return empty();
  return h('ol', { class: 'timeline', 'data-testid': 'row-history' }, [...events].reverse().map((e) => h('li', { 'data-event': e.type, 'data-version': e.version },
    h('div', { class: 'ev-line' }, h('b', null, eventName(e.type)), ' · ', h('time', { datetime: e.at }, fmtTime(e.at))),
    h('div', { class: 'muted small' }, `${t('who')}: ${e.actor.user} (${roleName(e.actor.role)}${e.actor.unit ? `, ${names.get(e.actor.unit) ?? e.actor.unit}` : ''})`),
    e.note ? h('div', { class: 'ev-note' }, e.note) : null,
    h('ul', { class: 'lg-changes small' }, changesText(d, e.changes, names).map((c) => h('li', null, c))),
    e.photos?.length ? photoStrip(e.photos) : null)));
}

// One input per column, typed; returns the element and a reader of its canonical text.
function valueInput(c: LedgerColumn, current: string): { el: HTMLElement; read: () => string } {
  const attrs = { name: `value-${c.key}`, 'data-value': c.key };
  switch (c.type) {
    case 'number':
    case 'percent': {
      const el = h('input', { ...attrs, type: 'number', step: 'any', value: current, min: c.min ?? (c.type === 'percent' ? 0 : null), max: c.max ?? (c.type === 'percent' ? 100 : null) });
      return { el, read: () => el.value.trim() };
    }
    case 'date': {
      const el = h('input', { ...attrs, type: 'date', value: current });
      return { el, read: () => el.value };
    }
    case 'choice': {
      const el = h('select', attrs, option('', '—'), (c.choices ?? []).map((x) => option(x, x, x === current)));
      return { el, read: () => el.value };
    }
    case 'multi_choice': {
      const chosen = new Set(current ? current.split(';') : []);
      const boxes = (c.choices ?? []).map((x) => h('input', { type: 'checkbox', value: x, checked: chosen.has(x) }));
      const el = h('fieldset', { ...attrs, class: 'lg-multi' }, boxes.map((b) => h('label', { class: 'toggle' }, b, b.value)));
      return { el, read: () => boxes.filter((b) => b.checked).map((b) => b.value).join(';') };
    }
    default: {
      const el = h('input', { ...attrs, value: current });
      return { el, read: () => el.value.trim() };
    }
  }
}

function progressForm(user: User, d: LedgerDef, row: LedgerRow): HTMLElement {
  const states = manages(user, d) ? ['not_started', 'in_progress', 'done', 'accepted'] : ['not_started', 'in_progress', 'done'];
  if (!states.includes(row.state)) states.push(row.state);
  const state = h('select', { name: 'state', 'data-testid': 'progress-state' }, states.map((s) => option(s, rowStateName(s), s === row.state)));
  const progress = h('input', { type: 'number', name: 'progress', min: 0, max: 100, step: 'any', value: row.progress, 'data-testid': 'progress-pct' });
  const note = h('textarea', { name: 'note', rows: 2, 'data-testid': 'progress-note' });
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/jpeg,image/png,image/webp', multiple: true, capture: 'environment', 'data-testid': 'progress-photos' });
  const inputs = d.columns.filter((c) => c.type !== 'photos').map((c) => ({ c, ...valueInput(c, row.values[c.key] ?? '') }));
  const message = h('div', { class: 'form-message', 'data-testid': 'progress-message' });
  const submit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'progress-submit' }, t('submit'));
  const form = h('form', { class: 'action-form lg-progress-form', novalidate: true, 'data-testid': 'progress-form' },
    field(t('rowState'), state), field(t('progressPct'), progress),
    inputs.map(({ c, el }) => field(`${c.name}${c.type === 'number' && c.measure ? ` (${c.measure})` : ''}`, el, { required: c.required })),
    field(t('note'), note, { wide: true }), field(t('addPhotos'), photos, { wide: true }),
    message, h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.replaceChildren();
    for (const { el } of inputs) el.removeAttribute('aria-invalid');
    const p = progress.value === '' ? row.progress : Number(progress.value);
    if (!(p >= 0 && p <= 100)) { message.appendChild(errorBox(`${t('progressPct')}: 0-100`)); progress.setAttribute('aria-invalid', 'true'); return; }
    const body: Record<string, unknown> = { expected_version: row.version };
    if (state.value !== row.state) body.state = state.value;
    if (p !== row.progress) body.progress = p;
    const values: Record<string, string> = {};
    for (const { c, read } of inputs) if (read() !== (row.values[c.key] ?? '')) values[c.key] = read();
    if (Object.keys(values).length) body.values = values;
    if (note.value.trim()) body.note = note.value.trim();
    submit.disabled = true;
    try {
      if (photos.files?.length) {
        const fd = new FormData();
        for (const f of Array.from(photos.files)) fd.append('photos', f, f.name);
        const up = await api<{ photos: string[] }>('POST', apiPath(d.id, `/rows/${encodeURIComponent(row.key)}/photos`), fd);
        body.photos = up.photos;
      }
      if (Object.keys(body).length === 1) { message.appendChild(errorBox(t('nothingChanged'))); return; }
      const saved = await api<LedgerRow>('POST', apiPath(d.id, `/rows/${encodeURIComponent(row.key)}/progress`), body);
      toast(t('updateSaved', { n: saved.version }));
      render();
    } catch (err) {
      // A rejected value comes with its field and reason code: mark the field, and in Chinese
      // word the reason from its code (the English console shows the server's sentence).
      const detail = err instanceof ApiError ? err.detail : null;
      const fixed: Record<string, { el: HTMLElement; label: string }> = {
        progress: { el: progress, label: t('progressPct') }, state: { el: state, label: t('rowState') } };
      const column = detail ? inputs.find((i) => i.c.key === detail.field) : undefined;
      const target = column ? { el: column.el, label: column.c.name } : detail ? fixed[detail.field] : undefined;
      if (target) target.el.setAttribute('aria-invalid', 'true');
      let msg = errMsg(err);
      if (detail && currentLang() === 'zh') {
        const reason = reasonText({ reason: '', reason_code: detail.reason_code, reason_args: detail.reason_args });
        if (reason) msg = `${t('errInvalidArgument')}：${target ? target.label : detail.field}：${reason}`;
      }
      message.appendChild(errorBox(msg));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
