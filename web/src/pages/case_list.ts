// 案卷列表: the API's filters, sorting and cursor pages, all kept in the URL.
import { h, option } from '../dom';
import { t, stateName, channelName, ALL_STATES, CHANNELS } from '../i18n';
import { get, units, catalog, CasePage, Case } from '../api';
import { geographyLayer } from '../map';
import { fmtTime, fmtDeadline, localInputToIso } from '../format';
import { stateBadge, loading, empty, errorBox, field, errMsg } from '../ui';
import { navigate } from '../main';
import type { PageContext, Dispose } from '../main';

const FILTERS = ['state', 'category', 'unit', 'subdistrict', 'channel', 'overdue', 'q', 'from', 'to'];

export function caseTable(cases: Case[], opts: { sort?: string; onSort?: (s: string) => void } = {}): HTMLElement {
  const sortHead = (label: string, key: string, values: string[]) => {
    if (!opts.onSort) return h('th', { scope: 'col' }, label);
    const active = values.includes(opts.sort ?? '');
    const next = active && values.length > 1 ? values[(values.indexOf(opts.sort!) + 1) % values.length] : values[0];
    const arrow = active ? (opts.sort!.endsWith('asc') ? ' ↑' : ' ↓') : '';
    return h('th', { scope: 'col', 'aria-sort': active ? (opts.sort!.endsWith('asc') ? 'ascending' : 'descending') : 'none' },
      h('button', { class: 'th-sort', 'data-sort': key, onclick: () => opts.onSort!(next) }, label, arrow));
  };
  return h('table', { class: 'cases', 'data-testid': 'case-table' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('number')), h('th', { scope: 'col' }, t('state')),
      h('th', { scope: 'col' }, t('category')), h('th', { scope: 'col' }, t('address')),
      h('th', { scope: 'col' }, t('unit')),
      sortHead(t('createdAt'), 'created', ['created_desc', 'created_asc']),
      sortHead(t('deadline'), 'deadline', ['deadline_asc']),
      sortHead(t('updatedAt'), 'updated', ['updated_desc']))),
    h('tbody', null, cases.map((c) => h('tr', { class: c.overdue ? 'overdue' : '', 'data-number': c.number },
      h('td', { 'data-label': t('number') }, h('a', { href: `/cases/${c.number}`, 'data-link': true }, c.number)),
      h('td', { 'data-label': t('state') }, stateBadge(c.state), c.overdue ? h('span', { class: 'badge warn' }, t('overdue')) : null),
      h('td', { 'data-label': t('category') }, c.category_name || c.category),
      h('td', { 'data-label': t('address') }, c.location.address || `${c.location.subdistrict_name} ${c.location.community_name}`),
      h('td', { 'data-label': t('unit') }, c.unit_name || c.unit || '—'),
      h('td', { 'data-label': t('createdAt') }, fmtTime(c.created_at)),
      h('td', { 'data-label': t('deadline'), class: c.overdue ? 'late' : '' }, c.stage_deadline ? fmtDeadline(c.stage_deadline) : '—'),
      h('td', { 'data-label': t('updatedAt') }, fmtTime(c.updated_at))))));
}

export function renderCaseList(main: HTMLElement, _ctx: PageContext): Dispose {
  const params = new URLSearchParams(location.search);
  const sort = params.get('sort') ?? 'created_desc';
  const limit = params.get('limit') ?? '20';
  const go = (p: URLSearchParams) => navigate(`/cases?${p}`);

  const state = h('select', { name: 'state', 'data-testid': 'filter-state' }, option('', t('all')),
    ALL_STATES.map((s) => option(s, stateName(s), params.get('state') === s)));
  const category = h('select', { name: 'category', 'data-testid': 'filter-category' }, option('', t('all')));
  const unit = h('select', { name: 'unit', 'data-testid': 'filter-unit' }, option('', t('all')));
  const subdistrict = h('select', { name: 'subdistrict' }, option('', t('all')));
  const channel = h('select', { name: 'channel' }, option('', t('all')),
    CHANNELS.map((c) => option(c, channelName(c), params.get('channel') === c)));
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: params.get('overdue') === 'true' });
  const q = h('input', { type: 'search', name: 'q', value: params.get('q') ?? '', 'data-testid': 'filter-q' });
  const from = h('input', { type: 'date', name: 'from', value: (params.get('from') ?? '').slice(0, 10) });
  const to = h('input', { type: 'date', name: 'to', value: (params.get('to') ?? '').slice(0, 10) });
  catalog().then((cat) => {
    for (const c of cat.categories) category.appendChild(option(c.code, `${c.code} ${c.name}`, params.get('category') === c.code));
  }).catch(() => {});
  units().then((list) => {
    for (const u of list) unit.appendChild(option(u.code, u.name, params.get('unit') === u.code));
  }).catch(() => {});
  geographyLayer('subdistricts').then((fc) => {
    for (const f of fc.features) {
      const p = f.properties as { code: string; name: string };
      subdistrict.appendChild(option(p.code, p.name, params.get('subdistrict') === p.code));
    }
  }).catch(() => {});

  const form = h('form', { class: 'filters card', 'aria-label': t('filters') },
    field(t('state'), state), field(t('category'), category), field(t('unit'), unit),
    field(t('subdistrict'), subdistrict), field(t('channel'), channel), field(t('q'), q),
    field(t('from'), from), field(t('to'), to),
    h('label', { class: 'toggle' }, overdue, ' ', t('overdueOnly')),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'filter-apply' }, t('apply')),
      h('button', { type: 'button', class: 'btn', onclick: () => go(new URLSearchParams()) }, t('reset'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    const set = (k: string, v: string) => { if (v) p.set(k, v); };
    set('state', state.value); set('category', category.value); set('unit', unit.value);
    set('subdistrict', subdistrict.value); set('channel', channel.value); set('q', q.value.trim());
    if (overdue.checked) p.set('overdue', 'true');
    if (from.value) p.set('from', localInputToIso(`${from.value}T00:00`));
    if (to.value) p.set('to', localInputToIso(`${to.value}T23:59`));
    if (sort !== 'created_desc') p.set('sort', sort);
    if (limit !== '20') p.set('limit', limit);
    go(p);
  });

  const results = h('section', { class: 'results', 'aria-live': 'polite' }, loading());
  main.append(h('div', { class: 'page-head' }, h('h1', null, t('cases'))), form, results);

  const query = new URLSearchParams();
  for (const k of FILTERS) { const v = params.get(k); if (v) query.set(k, v); }
  query.set('sort', sort);
  query.set('limit', limit);
  const cursor = params.get('cursor');
  if (cursor) query.set('cursor', cursor);
  const prev = (params.get('prev') ?? '').split(' ').filter(Boolean);
  const pageNo = prev.length + 1;

  get<CasePage>(`/api/v1/cases?${query}`).then((page) => {
    const withParam = (mut: (p: URLSearchParams) => void) => { const p = new URLSearchParams(params); mut(p); return p; };
    const onSort = (s: string) => go(withParam((p) => { p.set('sort', s); p.delete('cursor'); p.delete('prev'); }));
    const perPage = h('select', { 'aria-label': t('perPage'), onchange: (e: Event) =>
      go(withParam((p) => { p.set('limit', (e.target as HTMLSelectElement).value); p.delete('cursor'); p.delete('prev'); })) },
      ['20', '50', '100'].map((n) => option(n, n, n === limit)));
    const pager = h('nav', { class: 'pager', 'aria-label': 'pages' },
      h('button', { class: 'btn', disabled: pageNo <= 1, 'data-testid': 'page-prev', onclick: () => go(withParam((p) => {
        const stack = [...prev];
        const back = stack.pop();
        if (cursor === null) return;
        if (back && back !== '-') p.set('cursor', back); else p.delete('cursor');
        if (stack.length) p.set('prev', stack.join(' ')); else p.delete('prev');
      })) }, t('prev')),
      h('span', { 'data-testid': 'page-number' }, t('page', { n: pageNo })),
      h('button', { class: 'btn', disabled: !page.next_cursor, 'data-testid': 'page-next', onclick: () => go(withParam((p) => {
        p.set('prev', [...prev, cursor ?? '-'].join(' '));
        p.set('cursor', page.next_cursor);
      })) }, t('next')),
      h('label', null, t('perPage'), ' ', perPage));
    results.replaceChildren(
      h('p', { class: 'muted' }, t('results', { n: page.count })),
      page.cases.length ? caseTable(page.cases, { sort, onSort }) : empty(),
      pager);
  }).catch((e) => results.replaceChildren(errorBox(errMsg(e))));
}
