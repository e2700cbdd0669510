// 案卷详情: map, photos, every field, the timeline (who/when/deadlines) and exactly the actions
// the API says this user may take now, each with its form.
import L from '../leaflet-global';
import { h, clear, option } from '../dom';
import { t, actionName, roleName, channelName, stageName, stateName } from '../i18n';
import { api, get, units, catalog, photoUrl, CaseDetail, CaseEvent, Unit } from '../api';
import { districtMap, toMap } from '../map';
import { fmtTime, fmtDeadline, localInputToIso } from '../format';
import { stateBadge, loading, errorBox, field, toast, empty, errMsg } from '../ui';
import type { PageContext, Dispose } from '../main';

export function photoStrip(hashes: string[]): HTMLElement {
  const strip = h('div', { class: 'photos' });
  for (const hash of hashes) {
    const img = h('img', { alt: `${t('photos')} ${hash.slice(0, 8)}`, loading: 'lazy' });
    const link = h('a', { href: '#', class: 'photo', onclick: (e: Event) => { e.preventDefault(); if (img.src) window.open(img.src, '_blank'); } }, img);
    photoUrl(hash).then((u) => { img.src = u; }).catch(() => { link.classList.add('broken'); });
    strip.appendChild(link);
  }
  return strip;
}

// Upload chosen files to the case; returns the stored hashes and the case version after it.
export async function uploadPhotos(number: string, files: FileList | File[]): Promise<{ photos: string[]; version: number }> {
  const body = new FormData();
  for (const f of Array.from(files)) body.append('file', f, f.name);
  const r = await api<{ photos: string[]; case: { version: number } }>('POST', `/api/v1/cases/${encodeURIComponent(number)}/photos`, body);
  return { photos: r.photos, version: r.case.version };
}

const REASON_REQUIRED = new Set(['reject', 'return', 'check_fail', 'cancel']);
const NOTE_REQUIRED = new Set(['supervise', 'comment']);

function actionForm(c: CaseDetail, action: string, unitList: Unit[], conditions: string[], done: () => void): HTMLElement {
  const msg = h('div', { class: 'form-message' });
  const controls: HTMLElement[] = [];
  const submit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'action-submit' }, actionName(action));
  let validYes: HTMLInputElement | null = null;
  let unitSel: HTMLSelectElement | null = null;
  let condSel: HTMLSelectElement | null = null;
  let reason: HTMLTextAreaElement | null = null;
  let result: HTMLTextAreaElement | null = null;
  let until: HTMLInputElement | null = null;
  let into: HTMLInputElement | null = null;
  let files: HTMLInputElement | null = null;
  if (action === 'verify') {
    validYes = h('input', { type: 'radio', name: 'valid', value: 'true', checked: true, 'data-testid': 'verify-valid' });
    const no = h('input', { type: 'radio', name: 'valid', value: 'false', 'data-testid': 'verify-invalid' });
    controls.push(h('fieldset', { class: 'radios' }, h('legend', null, t('verify')),
      h('label', null, validYes, ' ', t('valid')), h('label', null, no, ' ', t('invalid'))));
  }
  if (action === 'register' && conditions.length > 1) {
    condSel = h('select', { name: 'condition' }, option('', '—'), conditions.map((x) => option(x, x)));
    controls.push(field(t('condition'), condSel));
  }
  if (action === 'dispatch') {
    const routed = c.suggested_unit;
    const routedName = unitList.find((u) => u.code === routed)?.name ?? routed;
    unitSel = h('select', { name: 'unit', 'data-testid': 'dispatch-unit', required: true },
      !routed ? option('', t('selectUnit')) : null,
      unitList.map((u) => option(u.code, `${u.name}${u.code === routed ? ` (${t('routedUnit')})` : ''}`, u.code === routed)));
    controls.push(h('p', { class: 'routed', 'data-testid': 'routed-unit' }, `${t('routedUnit')}: `, h('b', null, routedName || t('none'))));
    controls.push(field(t('override'), unitSel, { required: true }));
  }
  if (action === 'postpone_request') {
    until = h('input', { type: 'datetime-local', name: 'until', required: true });
    controls.push(field(t('until'), until, { required: true }));
  }
  if (action === 'merge') {
    into = h('input', { name: 'into', required: true, placeholder: '20260310-000001', pattern: '\\d{8}-\\d+' });
    controls.push(field(t('into'), into, { required: true }));
  }
  if (action === 'feedback') {
    result = h('textarea', { name: 'result', rows: 3, required: true, 'data-testid': 'feedback-result' });
    files = h('input', { type: 'file', name: 'photos', accept: 'image/jpeg,image/png,image/webp', multiple: true, capture: 'environment', 'data-testid': 'feedback-photos' });
    controls.push(field(t('result'), result, { required: true, wide: true }), field(t('feedbackPhotos'), files));
  }
  if (REASON_REQUIRED.has(action) || action === 'postpone_request') {
    reason = h('textarea', { name: 'reason', rows: 2, required: true, 'data-testid': 'action-reason' });
    controls.push(field(t('reason'), reason, { required: true, wide: true }));
  }
  const note = h('textarea', { name: 'note', rows: 2, 'data-testid': 'action-note' });
  controls.push(field(t('note'), note, { required: NOTE_REQUIRED.has(action), wide: true }));
  const form = h('form', { class: 'action-form card', 'data-testid': 'action-form', 'data-action': action, novalidate: true },
    h('h3', null, actionName(action)), ...controls, msg,
    h('div', { class: 'buttons' }, submit,
      h('button', { type: 'button', class: 'btn', onclick: () => form.remove() }, t('cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(msg);
    const need: [HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null, string][] = [
      [unitSel, t('unit')], [until, t('until')], [into, t('into')], [result, t('result')], [reason, t('reason')],
      [NOTE_REQUIRED.has(action) ? note : null, t('note')]];
    for (const [el] of need) el?.removeAttribute('aria-invalid');
    for (const [el, label] of need) {
      if (el && !el.value.trim()) {
        el.setAttribute('aria-invalid', 'true');
        el.focus();
        msg.appendChild(errorBox(t('requiredField', { f: label })));
        return;
      }
    }
    if (into && !/^\d{8}-\d+$/.test(into.value.trim())) {
      into.setAttribute('aria-invalid', 'true');
      msg.appendChild(errorBox(`${t('into')}: 20260310-000001`));
      return;
    }
    submit.disabled = true;
    try {
      const body: Record<string, unknown> = { version: c.version };
      if (files?.files?.length) {
        const up = await uploadPhotos(c.number, files.files);
        body.photos = up.photos;
        body.version = up.version;
      }
      if (validYes) body.valid = validYes.checked;
      if (unitSel) body.unit = unitSel.value;
      if (condSel?.value) body.condition = condSel.value;
      if (until) body.until = localInputToIso(until.value);
      if (into) body.into = into.value.trim();
      if (result) body.result = result.value.trim();
      if (reason) body.reason = reason.value.trim();
      if (note.value.trim()) body.note = note.value.trim();
      await api('POST', `/api/v1/cases/${encodeURIComponent(c.number)}/actions/${action}`, body);
      toast(`${actionName(action)} ✓`);
      done();
    } catch (err) {
      msg.appendChild(errorBox(errMsg(err)));
      submit.disabled = false;
    }
  });
  return form;
}

function eventDetails(e: CaseEvent, unitName: (code: string) => string): HTMLElement[] {
  const out: HTMLElement[] = [];
  const p = e.payload ?? {};
  const line = (label: string, value: string) => out.push(h('div', { class: 'ev-line' }, h('span', { class: 'muted' }, `${label}: `), value));
  if (typeof p.valid === 'boolean') line(t('verify'), p.valid ? t('valid') : t('invalid'));
  if (typeof p.unit === 'string') line(t('unit'), unitName(p.unit));
  if (typeof p.result === 'string') line(t('result'), p.result);
  if (typeof p.until === 'string') line(t('until'), fmtTime(p.until));
  if (typeof p.reason === 'string') line(t('reason'), p.reason);
  if (typeof p.into === 'string') line(t('into'), p.into);
  if (typeof p.stage === 'string') line(t('stage'), stageName(p.stage));
  if (typeof p.deadline === 'string') line(t('deadline'), fmtTime(p.deadline));
  if (typeof p.category === 'string') line(t('channel'), channelName(String(p.channel ?? '')));
  const confidence = (p.intake as { confidence?: unknown } | undefined)?.confidence;
  if (typeof confidence === 'number') line(t('confidence'), `${Math.round(confidence * 100)}%`);
  if (e.note) line(t('note'), e.note);
  if (e.photos?.length) out.push(photoStrip(e.photos));
  return out;
}

export function renderCaseDetail(main: HTMLElement, ctx: PageContext): Dispose {
  const number = ctx.params.number;
  let map: L.Map | null = null;
  let closed = false;
  const load = async () => {
    clear(main);
    main.appendChild(loading());
    let c: CaseDetail;
    let unitList: Unit[] = [];
    let conditions: string[] = [];
    try {
      [c, unitList] = await Promise.all([get<CaseDetail>(`/api/v1/cases/${encodeURIComponent(number)}`), units()]);
      const cat = await catalog().catch(() => null);
      conditions = cat?.categories.find((x) => x.code === c.category)?.deadlines.map((d) => d.condition).filter(Boolean) ?? [];
    } catch (e) {
      main.replaceChildren(h('a', { href: '/cases', 'data-link': true }, `← ${t('cases')}`), errorBox(errMsg(e)));
      return;
    }
    if (closed) return;
    const unitName = (code: string) => unitList.find((u) => u.code === code)?.name ?? code;
    const actionsBox = h('div', { class: 'action-area' });
    const buttons = h('div', { class: 'action-buttons', 'data-testid': 'actions' },
      c.available_actions.length ? c.available_actions.map((a) => h('button', {
        class: `btn ${['verify', 'register', 'dispatch', 'accept', 'feedback', 'check_pass', 'close'].includes(a) ? 'primary' : ''}`,
        'data-testid': `action-${a}`, 'data-action': a,
        onclick: () => {
          actionsBox.replaceChildren(actionForm(c, a, unitList, conditions, load));
          actionsBox.querySelector<HTMLElement>('input:not([type=radio]), select, textarea, input[type=radio]:checked')?.focus();
        } }, actionName(a))) : h('p', { class: 'muted' }, t('noActions')));
    const loc = c.location;
    const rows: [string, Node | string][] = [
      [t('state'), stateBadge(c.state)], [t('stage'), stageName(c.stage)],
      [t('deadline'), c.stage_deadline ? `${fmtTime(c.stage_deadline)} (${fmtDeadline(c.stage_deadline)})` : '—'],
      [t('handleDeadline'), fmtTime(c.handle_deadline)],
      [t('category'), `${c.category} ${c.category_name}`], [t('channel'), channelName(c.channel)],
      [t('description'), c.description], [t('address'), loc.address || '—'],
      [t('subdistrict'), loc.subdistrict_name], [t('community'), loc.community_name], [t('grid'), loc.grid],
      [t('road'), loc.road_name || '—'],
      [t('roadChief'), loc.road_chief ? `${loc.road_chief.name} ${loc.road_chief.phone}` : '—'],
      [t('suggestedUnit'), c.suggested_unit ? unitName(c.suggested_unit) : '—'],
      [t('unit'), c.unit ? unitName(c.unit) : '—'],
      [t('reporter'), [c.reporter.name, c.reporter.phone].filter(Boolean).join(' ') || '—'],
      [t('createdAt'), fmtTime(c.created_at)], [t('updatedAt'), fmtTime(c.updated_at)],
      [t('counters'), `${c.counters.rework} / ${c.counters.return} / ${c.counters.supervise}`],
      [t('lonlat'), `${loc.lon.toFixed(6)}, ${loc.lat.toFixed(6)}`], [t('version'), String(c.version)],
    ];
    if (c.postpone_requested_until) rows.push([t('until'), fmtTime(c.postpone_requested_until)]);
    if (c.merged_into) rows.push([t('into'), c.merged_into]);
    const history = c.history ?? [];
    const mapEl = h('div', { class: 'map small', 'data-testid': 'detail-map' });
    main.replaceChildren(
      h('div', { class: 'page-head' },
        h('a', { href: '/cases', 'data-link': true, class: 'back' }, `← ${t('cases')}`),
        h('h1', null, h('span', { 'data-testid': 'case-number' }, c.number), ' ', h('span', { 'data-testid': 'case-state', 'data-state': c.state }, stateBadge(c.state)),
          c.overdue ? h('span', { class: 'badge warn' }, t('overdue')) : null),
        h('p', { class: 'muted' }, `${c.category_name} · ${loc.address || loc.community_name}`)),
      h('section', { class: 'card actions-card', 'aria-label': t('actions') }, h('h2', null, t('actions')), buttons, actionsBox),
      h('div', { class: 'detail-grid' },
        h('section', { class: 'card' }, h('h2', null, t('detail')),
          h('dl', { class: 'fields' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]).flat()),
          h('h2', null, t('photos')), c.photos.length ? photoStrip(c.photos) : empty()),
        h('div', null,
          h('section', { class: 'card' }, h('h2', null, t('map')), mapEl),
          h('section', { class: 'card' }, h('h2', null, t('timeline')),
            h('ol', { class: 'timeline', 'data-testid': 'timeline' }, history.map((e) => h('li', { 'data-action': e.action ?? e.type },
              h('div', { class: 'ev-head' },
                h('b', null, actionName(e.action ?? e.type)), ' ',
                h('time', null, fmtTime(e.at)), ' · ',
                h('span', null, `${e.actor.user || '—'} (${roleName(e.actor.role)}${e.actor.unit ? ` · ${unitName(e.actor.unit)}` : ''})`)),
              ...eventDetails(e, unitName))))))),
    );
    document.title = `${c.number} ${stateName(c.state)} · citygrid`;
    map?.remove();
    const dm = districtMap(mapEl, { grids: true, labels: false, control: false });
    map = dm.map;
    const pt = toMap(loc.lat, loc.lon);
    L.circleMarker(pt, { radius: 9, color: '#fff', weight: 2, fillColor: '#d7301f', fillOpacity: 1, renderer: dm.renderer }).addTo(dm.map);
    dm.ready.then(() => { if (dm.alive()) dm.map.setView(pt, 16, { animate: false }); }).catch(() => {});
  };
  load();
  return () => { closed = true; map?.remove(); };
}
