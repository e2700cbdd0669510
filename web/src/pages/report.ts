// 上报: the inspector's mobile report form (locate me or tap the map, category by search or by
// major class, description, photos) and tasks near me; operators record public/hotline reports
// here too.
import L from '../leaflet-global';
import { h, clear, option } from '../dom';
import { t, channelName, currentLang, CHANNELS } from '../i18n';
import { api, allCases, catalog, Case, Catalog } from '../api';
import { districtMap, toMap, fromMap } from '../map';
import { metres, haversine, fmtDeadline } from '../format';
import { errorBox, field, toast, stateBadge, loading, empty, errMsg } from '../ui';
import { uploadPhotos } from './case_detail';
import type { PageContext, Dispose } from '../main';

function newKey(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// The channels a role may report on: the server's rule (domain CheckIntake), which answers 403
// for any other. Inspectors report on their own channel; open311 is Open311 clients' own.
function intakeChannels(role: string): string[] {
  if (role === 'admin') return CHANNELS;
  if (role === 'inspector') return ['inspector'];
  if (role === 'leader') return ['leader'];
  if (role === 'operator' || role === 'dispatcher') return CHANNELS.filter((c) => c !== 'inspector' && c !== 'open311');
  return [];
}

export function renderReport(main: HTMLElement, ctx: PageContext): Dispose {
  const inspector = ctx.user.role === 'inspector';
  const allowed = intakeChannels(ctx.user.role);
  const preferred = allowed.includes('public') ? 'public' : allowed[0];
  const mapEl = h('div', { class: 'map report-map', 'data-testid': 'report-map' });
  const placeText = h('p', { class: 'muted', 'data-testid': 'picked-place' }, t('tapMap'));
  const locate = h('button', { type: 'button', class: 'btn', 'data-testid': 'locate-me' }, `⌖ ${t('locateMe')}`);
  // Keyboard users pan the map with the arrow keys and take its centre.
  const useCenter = h('button', { type: 'button', class: 'btn', 'data-testid': 'use-center' }, `✛ ${t('useCenter')}`);
  const search = h('input', { type: 'search', placeholder: t('categorySearch'), 'aria-label': t('categorySearch'), 'data-testid': 'category-search' });
  const major = h('select', { 'aria-label': t('majorClass'), 'data-testid': 'major-class' }, option('', `${t('majorClass')}: ${t('all')}`));
  const category = h('select', { name: 'category', size: 6, 'data-testid': 'category-select' });
  const condition = h('select', { name: 'condition' });
  const conditionField = field(t('condition'), condition);
  conditionField.hidden = true;
  const description = h('textarea', { name: 'description', rows: 3, 'data-testid': 'report-description' });
  const address = h('input', { name: 'address', 'data-testid': 'report-address' });
  const channel = h('select', { name: 'channel', 'data-testid': 'report-channel' },
    allowed.map((c) => option(c, channelName(c), c === preferred)));
  const reporterName = h('input', { name: 'reporter_name', autocomplete: 'name' });
  const reporterPhone = h('input', { name: 'reporter_phone', type: 'tel', autocomplete: 'tel', pattern: '[0-9+\\- ]{5,20}' });
  const photos = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', multiple: true, 'data-testid': 'report-photos' });
  const msg = h('div', { class: 'form-message', 'data-testid': 'report-message' });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'report-submit' }, t('submit'));
  const tasks = h('section', { class: 'card', 'data-testid': 'tasks-near' }, h('h2', null, t('tasksNear')), loading());

  const form = h('form', { class: 'report-form card', novalidate: true },
    h('div', { class: 'row' }, locate, useCenter, placeText),
    h('fieldset', { class: 'category-pick' }, h('legend', null, `${t('category')} *`), search, major, category),
    conditionField,
    field(t('description'), description, { required: true, wide: true }),
    field(t('address'), address),
    inspector ? null : field(t('channel'), channel),
    inspector ? null : field(t('reporterName'), reporterName),
    inspector ? null : field(t('reporterPhone'), reporterPhone),
    field(t('attach'), photos),
    msg, submit);
  main.append(h('div', { class: 'page-head' }, h('h1', null, inspector ? t('report') : t('newReport'))),
    h('div', { class: 'report-grid' }, h('div', null, mapEl, form), tasks));

  let cat: Catalog | null = null;
  const fillCategories = () => {
    if (!cat) return;
    const q = search.value.trim().toLowerCase();
    const selected = category.value;
    clear(category);
    const list = cat.categories.filter((c) => (!major.value || c.code.startsWith(major.value)) &&
      (!q || c.code.includes(q) || c.name.toLowerCase().includes(q) || (c.name_en ?? '').toLowerCase().includes(q)));
    for (const c of list) {
      const name = currentLang() === 'en' && c.name_en ? c.name_en : c.name;
      category.appendChild(option(c.code, `${c.code} ${name}`, c.code === selected));
    }
    if (list.length === 1) category.value = list[0].code;
    fillConditions();
  };
  const fillConditions = () => {
    const c = cat?.categories.find((x) => x.code === category.value);
    const rows = (c?.deadlines ?? []).map((d) => d.condition).filter(Boolean);
    clear(condition);
    for (const r of rows) condition.appendChild(option(r, r));
    conditionField.hidden = rows.length < 2;
  };
  catalog().then((c) => {
    cat = c;
    for (const m of c.major_classes) major.appendChild(option(m.code, `${m.code} ${currentLang() === 'en' && m.name_en ? m.name_en : m.name}`));
    fillCategories();
  }).catch((e) => msg.replaceChildren(errorBox(errMsg(e))));
  search.addEventListener('input', fillCategories);
  major.addEventListener('change', fillCategories);
  category.addEventListener('change', fillConditions);

  const dm = districtMap(mapEl, { labels: true, control: false, interactive: false });
  dm.ready.then(() => { mapEl.dataset.ready = 'true'; }).catch((e) => msg.replaceChildren(errorBox(errMsg(e))));
  let picked: { lat: number; lon: number } | null = null;
  let marker: L.CircleMarker | null = null;
  const pick = (p: { lat: number; lon: number }) => {
    picked = p;
    const at = toMap(p.lat, p.lon);
    if (!marker) marker = L.circleMarker(at, { radius: 10, color: '#fff', weight: 2, fillColor: '#d7301f', fillOpacity: 1, renderer: dm.renderer }).addTo(dm.map);
    else marker.setLatLng(at);
    placeText.textContent = `${t('picked')}: ${p.lon.toFixed(6)}, ${p.lat.toFixed(6)}`;
    mapEl.dataset.picked = 'true';
    showTasks();
  };
  dm.map.on('click', (e: L.LeafletMouseEvent) => pick(fromMap(e.latlng)));
  useCenter.addEventListener('click', () => pick(fromMap(dm.map.getCenter())));
  locate.addEventListener('click', () => {
    if (!navigator.geolocation) { msg.replaceChildren(errorBox(t('geoFailed', { m: 'geolocation unavailable' }))); return; }
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition((pos) => {
      locate.disabled = false;
      pick({ lat: pos.coords.latitude, lon: pos.coords.longitude });
      if (dm.alive()) dm.map.setView(toMap(pos.coords.latitude, pos.coords.longitude), 16);
    }, (err) => {
      locate.disabled = false;
      msg.replaceChildren(errorBox(t('geoFailed', { m: err.message })));
    }, { enableHighAccuracy: true, timeout: 10000 });
  });

  // Tasks near me: reports to verify and fixes to check, nearest first.
  let taskCases: Case[] | null = null;
  const showTasks = () => {
    if (!taskCases) return;
    const center = picked ?? fromMap(dm.map.getCenter());
    const list = taskCases.map((c) => ({ c, d: haversine(center.lat, center.lon, c.location.lat, c.location.lon) }))
      .sort((a, b) => a.d - b.d).slice(0, 20);
    tasks.replaceChildren(h('h2', null, t('tasksNear'), h('small', { class: 'muted' }, ` (${t('nearestFirst')})`)),
      list.length ? h('ul', { class: 'task-list' }, list.map(({ c, d }) => h('li', null,
        h('a', { href: `/cases/${c.number}`, 'data-link': true }, c.number), ' ', stateBadge(c.state), ' ',
        h('span', null, c.category_name), h('div', { class: 'muted' }, `${metres(d)} · ${c.location.address || c.location.community_name} · ${fmtDeadline(c.stage_deadline)}`)))) : empty());
  };
  const taskStates = inspector ? ['reported', 'checking'] : ['reported', 'pending'];
  allCases(new URLSearchParams({ state: taskStates.join(','), sort: 'deadline_asc' }), 2000)
    .then((list) => { taskCases = list; return dm.ready; })
    .then(showTasks)
    .catch((e) => tasks.replaceChildren(h('h2', null, t('tasksNear')), errorBox(errMsg(e))));

  let key = newKey();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(msg);
    for (const el of [description, category]) el.removeAttribute('aria-invalid');
    if (!picked) { msg.appendChild(errorBox(t('mustPickPlace'))); mapEl.focus(); return; }
    if (!category.value) { category.setAttribute('aria-invalid', 'true'); msg.appendChild(errorBox(t('mustPickCategory'))); search.focus(); return; }
    if (!description.value.trim()) { description.setAttribute('aria-invalid', 'true'); msg.appendChild(errorBox(t('mustDescribe'))); description.focus(); return; }
    if (reporterPhone.value && !reporterPhone.checkValidity()) { reporterPhone.setAttribute('aria-invalid', 'true'); msg.appendChild(errorBox(`${t('reporterPhone')}: ${reporterPhone.value}`)); reporterPhone.focus(); return; }
    submit.disabled = true;
    const body: Record<string, unknown> = {
      channel: inspector ? 'inspector' : channel.value, category: category.value,
      description: description.value.trim(), lon: picked.lon, lat: picked.lat,
    };
    if (!conditionField.hidden && condition.value) body.condition = condition.value;
    if (address.value.trim()) body.address = address.value.trim();
    if (!inspector && (reporterName.value.trim() || reporterPhone.value.trim())) {
      body.reporter = { name: reporterName.value.trim(), phone: reporterPhone.value.trim() };
    }
    try {
      const created = await api<Case & { duplicates: { number: string }[] }>('POST', '/api/v1/cases', body, { 'Idempotency-Key': key });
      if (photos.files?.length) await uploadPhotos(created.number, photos.files);
      key = newKey();
      toast(t('reportDone', { n: created.number }));
      msg.replaceChildren(h('div', { class: 'ok', role: 'status', 'data-testid': 'report-done' }, t('reportDone', { n: '' }),
        h('a', { href: `/cases/${created.number}`, 'data-link': true, 'data-testid': 'report-number' }, created.number), ' ', stateBadge(created.state),
        created.duplicates?.length ? h('div', { class: 'muted' }, `⚠ ${created.duplicates.map((d) => d.number).join(', ')}`) : null));
      description.value = '';
      address.value = '';
      photos.value = '';
    } catch (err) {
      msg.appendChild(errorBox(errMsg(err)));
    } finally {
      submit.disabled = false;
    }
  });
  return () => dm.map.remove();
}
