// 台账定义: create a ledger or edit its definition — name, owner unit, period, batches, typed
// columns with constraints. Editing says that saving makes a new definition version (columns
// added later do not bind old rows). The server's validation reason is shown next to the field,
// column or batch its detail names ("columns[1]"), in Chinese from its reason code
// (ledger_i18n.ts, lr_*): 第 2 列“area”：最小值 10 大于最大值 5.
import { h, option } from '../dom';
import { t } from '../i18n';
import { api, units, Unit, ApiError } from '../api';
import { loading, errorBox, field, errMsg, toast } from '../ui';
import { navigate } from '../main';
import type { PageContext, Dispose } from '../main';
import {
  LedgerDef, LedgerColumn, COLUMN_TYPES, columnTypeName, getLedger, manages, mayCreate, ledgerHead,
  ledgerPath, apiPath, reasonText,
} from './ledger_common';

interface ColumnForm {
  el: HTMLElement; existing: boolean; since: number; error: HTMLElement;
  key: HTMLInputElement; name: HTMLInputElement; type: HTMLSelectElement; required: HTMLInputElement;
  measure: HTMLInputElement; min: HTMLInputElement; max: HTMLInputElement; choices: HTMLInputElement;
}
interface BatchForm { el: HTMLElement; name: HTMLInputElement; deadline: HTMLInputElement; error: HTMLElement }

const splitChoices = (s: string) => s.split(/[,，、;；\n]/).map((x) => x.trim()).filter(Boolean);

export function renderLedgerEditor(main: HTMLElement, ctx: PageContext, id: string): Dispose {
  const body = h('div', null, loading());
  main.appendChild(body);
  (async () => {
    const [d, unitList] = await Promise.all([id ? getLedger(id) : Promise.resolve(null), units().catch(() => [] as Unit[])]);
    const ownerName = d ? unitList.find((u) => u.code === d.owner_unit)?.name ?? d.owner_unit : '';
    const head = d ? ledgerHead(d, 'edit', ctx.user, ownerName) : h('div', { class: 'page-head' },
      h('a', { href: '/ledgers', 'data-link': true, class: 'back' }, `← ${t('backToList')}`), h('h1', null, t('newLedger')));
    if (d && !manages(ctx.user, d)) { body.replaceChildren(head, readOnlyDefinition(d)); return; }
    if (!d && !mayCreate(ctx.user)) { body.replaceChildren(head, errorBox(t('mayCreateHint'))); return; }
    body.replaceChildren(head, editorForm(ctx, d, unitList));
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return undefined;
}

function readOnlyDefinition(d: LedgerDef): HTMLElement {
  return h('section', { class: 'card results' }, h('h2', null, t('columns')),
    h('table', { class: 'data' },
      h('thead', null, h('tr', null, ['colKey', 'colName', 'colType', 'colRequired', 'colMeasure', 'colMin', 'colMax', 'colChoices', 'colSince']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, d.columns.map((c) => h('tr', null,
        h('td', null, c.key), h('td', null, c.name), h('td', null, columnTypeName(c.type)), h('td', null, c.required ? '✓' : ''),
        h('td', null, c.measure ?? ''), h('td', null, c.min ?? ''), h('td', null, c.max ?? ''),
        h('td', null, (c.choices ?? []).join('、')), h('td', null, `v${c.since_version ?? 1}`))))),
    h('h2', null, t('batches')),
    h('ul', null, d.batches.map((b) => h('li', null, `${b.name}${b.deadline ? ` · ${t('deadlineShort')} ${b.deadline}` : ''}`))));
}

function editorForm(ctx: PageContext, d: LedgerDef | null, unitList: Unit[]): HTMLElement {
  const isNew = !d;
  const idIn = h('input', { name: 'id', value: d?.id ?? '', disabled: !isNew, autocomplete: 'off', 'data-testid': 'ledger-id', pattern: '[a-z0-9][a-z0-9-]{1,63}' });
  const nameIn = h('input', { name: 'name', value: d?.name ?? '', 'data-testid': 'ledger-name-input' });
  const descIn = h('textarea', { name: 'description', rows: 2 }, d?.description ?? '');
  const ownerSel = h('select', { name: 'owner_unit', 'data-testid': 'ledger-owner' });
  const own = ctx.user.role === 'admin' ? unitList : unitList.filter((u) => u.code === ctx.user.unit);
  ownerSel.appendChild(option('', '—'));
  for (const u of own) ownerSel.appendChild(option(u.code, `${u.name} (${u.code})`, u.code === (d?.owner_unit ?? (ctx.user.role === 'admin' ? '' : ctx.user.unit))));
  if (d && !own.some((u) => u.code === d.owner_unit)) ownerSel.appendChild(option(d.owner_unit, d.owner_unit, true));
  const startIn = h('input', { type: 'date', name: 'period_start', value: d?.period_start ?? '' });
  const endIn = h('input', { type: 'date', name: 'period_end', value: d?.period_end ?? '' });
  const typeColSel = h('select', { name: 'type_column', 'data-testid': 'ledger-type-column' });
  const errs: Record<string, HTMLElement> = {};
  const errSlot = (k: string) => (errs[k] = h('div', { class: 'field-error', role: 'alert', 'data-error-for': k }));
  const withErr = (el: HTMLElement, k: string) => { el.appendChild(errSlot(k)); return el; };

  const columns: ColumnForm[] = [];
  const columnBox = h('div', { class: 'lg-columns', 'data-testid': 'columns' });
  const batches: BatchForm[] = [];
  const batchBox = h('div', { class: 'lg-batches' });
  const nextVersion = (d?.version ?? 0) + 1;

  const refreshTypeCol = () => {
    const current = typeColSel.value || d?.type_column || '';
    typeColSel.replaceChildren(option('', t('noTypeColumn')));
    for (const c of columns) {
      if (c.type.value === 'choice' && c.key.value) typeColSel.appendChild(option(c.key.value, c.name.value || c.key.value, c.key.value === current));
    }
  };

  const addColumn = (c: LedgerColumn | null) => {
    const existing = !!c && !isNew;
    const i = columns.length;
    const key = h('input', { name: `col-key-${i}`, value: c?.key ?? '', disabled: existing, autocomplete: 'off', 'data-col': 'key', placeholder: 'area' });
    const name = h('input', { name: `col-name-${i}`, value: c?.name ?? '', 'data-col': 'name', placeholder: '面积' });
    const type = h('select', { name: `col-type-${i}`, disabled: existing, 'data-col': 'type' },
      COLUMN_TYPES.map((ty) => option(ty, columnTypeName(ty), ty === (c?.type ?? 'text'))));
    const required = h('input', { type: 'checkbox', name: `col-required-${i}`, checked: c?.required ?? false, 'data-col': 'required' });
    const measure = h('input', { name: `col-measure-${i}`, value: c?.measure ?? '', 'data-col': 'measure', placeholder: 'm²' });
    const min = h('input', { type: 'number', step: 'any', name: `col-min-${i}`, value: c?.min ?? '', 'data-col': 'min' });
    const max = h('input', { type: 'number', step: 'any', name: `col-max-${i}`, value: c?.max ?? '', 'data-col': 'max' });
    const choices = h('input', { name: `col-choices-${i}`, value: (c?.choices ?? []).join('、'), 'data-col': 'choices', placeholder: '品质型、改善型' });
    const error = h('div', { class: 'field-error', role: 'alert', 'data-testid': 'column-error' });
    const fMeasure = field(t('colMeasure'), measure);
    const fMin = field(t('colMin'), min);
    const fMax = field(t('colMax'), max);
    const fChoices = field(t('colChoices'), choices, { wide: true });
    const since = c?.since_version ?? nextVersion;
    const sync = () => {
      const ty = type.value;
      fMeasure.hidden = ty !== 'number';
      fMin.hidden = fMax.hidden = !(ty === 'number' || ty === 'percent');
      fChoices.hidden = !(ty === 'choice' || ty === 'multi_choice');
      refreshTypeCol();
    };
    type.addEventListener('change', sync);
    key.addEventListener('change', refreshTypeCol);
    name.addEventListener('change', refreshTypeCol);
    const form: ColumnForm = { el: h('div'), existing, since, error, key, name, type, required, measure, min, max, choices };
    const remove = existing ? null : h('button', { type: 'button', class: 'btn small danger', 'aria-label': t('removeColumn'),
      onclick: () => { columns.splice(columns.indexOf(form), 1); form.el.remove(); refreshTypeCol(); } }, t('removeColumn'));
    form.el = h('fieldset', { class: `lg-column${existing ? '' : ' new'}`, 'data-column-index': i },
      h('legend', null, `#${i + 1} `, existing ? h('span', { class: 'muted small' }, `${t('colSince')} v${since}`)
        : !isNew ? h('span', { class: 'badge lg-new', 'data-testid': 'new-version-badge' }, t('versionAfterAdd', { n: nextVersion })) : null),
      h('div', { class: 'lg-column-grid' },
        field(t('colKey'), key, { required: true }), field(t('colName'), name, { required: true }), field(t('colType'), type),
        h('label', { class: 'toggle lg-required' }, required, t('colRequired')),
        fMeasure, fMin, fMax, fChoices),
      error, remove ? h('div', { class: 'buttons' }, remove) : null);
    columns.push(form);
    columnBox.appendChild(form.el);
    sync();
    return form;
  };

  const addBatch = (b: { name: string; deadline: string } | null) => {
    const name = h('input', { value: b?.name ?? '', 'data-batch': 'name', placeholder: '第一批' });
    const deadline = h('input', { type: 'date', value: b?.deadline ?? '', 'data-batch': 'deadline' });
    const error = h('div', { class: 'field-error', role: 'alert', 'data-testid': 'batch-error' });
    const form: BatchForm = { el: h('div'), name, deadline, error };
    form.el = h('div', { class: 'lg-batch' }, field(t('batchName'), name), field(t('batchDeadline'), deadline),
      h('button', { type: 'button', class: 'btn small danger', onclick: () => { batches.splice(batches.indexOf(form), 1); form.el.remove(); } }, '×'),
      error);
    batches.push(form);
    batchBox.appendChild(form.el);
  };

  for (const c of d?.columns ?? []) addColumn(c);
  for (const b of d?.batches ?? []) addBatch(b);
  if (isNew) addColumn(null);
  refreshTypeCol();

  const message = h('div', { class: 'form-message', 'data-testid': 'editor-message' });
  const clearErrors = () => {
    message.replaceChildren();
    for (const e of Object.values(errs)) e.replaceChildren();
    for (const c of columns) { c.error.replaceChildren(); c.el.removeAttribute('aria-invalid'); }
    for (const b of batches) b.error.replaceChildren();
    for (const el of [idIn, nameIn, ownerSel, startIn, endIn, typeColSel]) el.removeAttribute('aria-invalid');
  };
  // The batches of the form sent in the last request, in the order sent (empty ones are not).
  let sentBatches: BatchForm[] = [];
  // Puts the server's message next to what it names: by its detail's field ("columns[1]",
  // "batches[0]", "owner_unit", ...) and in the console's language from its reason code; an
  // error without a detail in the message box under the form.
  const showError = (err: unknown) => {
    const detail = err instanceof ApiError ? err.detail : null;
    const raw = err instanceof Error ? err.message : String(err);
    if (detail?.reason_code) {
      const msg = reasonText({ reason: raw, reason_code: detail.reason_code, reason_args: detail.reason_args });
      const place = /^(columns|batches)\[(\d+)\]$/.exec(detail.field);
      const column = place?.[1] === 'columns' ? columns[Number(place[2])] : undefined;
      if (column) {
        column.error.replaceChildren(msg);
        column.el.setAttribute('aria-invalid', 'true');
        column.el.scrollIntoView({ block: 'center' });
        return;
      }
      const batch = place?.[1] === 'batches' ? sentBatches[Number(place[2])] : undefined;
      if (batch) { batch.error.replaceChildren(msg); return; }
      const own: Record<string, [string, HTMLElement]> = {
        id: ['id', idIn], name: ['name', nameIn], owner_unit: ['owner_unit', ownerSel],
        period_start: ['period', startIn], type_column: ['type_column', typeColSel] };
      const f = own[detail.field];
      if (f && errs[f[0]]) { errs[f[0]].replaceChildren(msg); f[1].setAttribute('aria-invalid', 'true'); f[1].focus(); return; }
      message.replaceChildren(errorBox(msg));
      return;
    }
    // No detail: a stale version, a permission, the network.
    message.replaceChildren(errorBox(errMsg(err)));
  };

  const collect = (): LedgerDef | string => {
    const need: [HTMLInputElement | HTMLSelectElement, string, string][] = [];
    if (isNew) need.push([idIn, t('ledgerId'), 'id']);
    need.push([nameIn, t('ledgerName'), 'name'], [ownerSel, t('ownerUnit'), 'owner_unit']);
    for (const [el, label, k] of need) {
      if (!el.value.trim()) { errs[k]?.replaceChildren(t('requiredField', { f: label })); el.setAttribute('aria-invalid', 'true'); el.focus(); return 'x'; }
    }
    const cols: LedgerColumn[] = [];
    for (const [i, c] of columns.entries()) {
      if (!c.key.value.trim() || !c.name.value.trim()) {
        c.error.replaceChildren(`${t('columnN', { n: i + 1 })}${t('requiredField', { f: `${t('colKey')}/${t('colName')}` })}`);
        c.el.setAttribute('aria-invalid', 'true');
        (c.key.value.trim() ? c.name : c.key).focus();
        return 'x';
      }
      const col: LedgerColumn = { key: c.key.value.trim(), name: c.name.value.trim(), type: c.type.value, required: c.required.checked };
      if (c.type.value === 'number' && c.measure.value.trim()) col.measure = c.measure.value.trim();
      if ((c.type.value === 'number' || c.type.value === 'percent')) {
        if (c.min.value !== '') col.min = Number(c.min.value);
        if (c.max.value !== '') col.max = Number(c.max.value);
      }
      if (c.type.value === 'choice' || c.type.value === 'multi_choice') col.choices = splitChoices(c.choices.value);
      if (c.existing) col.since_version = c.since;
      cols.push(col);
    }
    sentBatches = batches.filter((b) => b.name.value.trim() || b.deadline.value);
    return {
      ...(d ?? {}), id: isNew ? idIn.value.trim() : d!.id, name: nameIn.value.trim(), description: descIn.value.trim(),
      owner_unit: ownerSel.value, period_start: startIn.value, period_end: endIn.value, columns: cols,
      batches: sentBatches.map((b) => ({ name: b.name.value.trim(), deadline: b.deadline.value })),
      type_column: typeColSel.value, version: d?.version ?? 0,
    } as LedgerDef;
  };

  const save = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'save-definition' }, isNew ? t('create') : t('saveDefinition'));
  const form = h('form', { class: 'card lg-editor', novalidate: true, 'data-testid': 'ledger-editor' },
    h('div', { class: 'admin-form' },
      withErr(field(t('ledgerId'), idIn, { required: isNew, hint: t('ledgerIdHint') }), 'id'),
      withErr(field(t('ledgerName'), nameIn, { required: true }), 'name'),
      withErr(field(t('ownerUnit'), ownerSel, { required: true }), 'owner_unit'),
      withErr(field(t('periodStart'), startIn), 'period'),
      field(t('periodEnd'), endIn),
      withErr(field(t('typeColumn'), typeColSel), 'type_column'),
      field(t('ledgerDesc'), descIn, { wide: true })),
    !isNew ? h('p', { class: 'ok lg-version-note', 'data-testid': 'version-note' }, t('newVersionNote', { n: nextVersion })) : null,
    h('h2', null, t('columns')), columnBox,
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'btn', 'data-testid': 'add-column', onclick: () => { addColumn(null).key.focus(); } }, `+ ${t('addColumn')}`)),
    h('h2', null, t('batches')), batchBox,
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'btn', 'data-testid': 'add-batch', onclick: () => addBatch(null) }, `+ ${t('addBatch')}`)),
    message,
    h('div', { class: 'buttons' }, save,
      h('a', { class: 'btn', href: d ? ledgerPath(d.id) : '/ledgers', 'data-link': true }, t('cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    const def = collect();
    if (typeof def === 'string') return;
    save.disabled = true;
    try {
      const saved = isNew ? await api<LedgerDef>('POST', '/api/v1/ledgers', def)
        : await api<LedgerDef>('PUT', apiPath(def.id), def);
      toast(isNew ? t('ledgerCreated') : t('definitionSaved', { n: saved.version }));
      navigate(ledgerPath(saved.id));
    } catch (err) {
      showError(err);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
