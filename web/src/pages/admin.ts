// 系统管理: users, units, categories (deadlines, public) and routing rules — list, create, edit.
import { h, clear, option } from '../dom';
import { t, roleName } from '../i18n';
import { api, get, units, catalog, Unit, Catalog, Category, RoutingRule, DeadlineRow } from '../api';
import { fmtTime } from '../format';
import { loading, empty, errorBox, field, toast, errMsg } from '../ui';
import { navigate } from '../main';
import type { PageContext, Dispose } from '../main';

interface AdminUser { username: string; display_name: string; role: string; unit: string; disabled: boolean; created_at: string }
const ROLES = ['inspector', 'operator', 'dispatcher', 'handler', 'leader', 'admin'];
const TABS = ['users', 'units', 'categories', 'routingRules'];

function formBox(title: string, controls: HTMLElement[], onSubmit: (msg: HTMLElement) => Promise<void>, testid: string): HTMLFormElement {
  const msg = h('div', { class: 'form-message' });
  const btn = h('button', { type: 'submit', class: 'btn primary', 'data-testid': `${testid}-save` }, t('save'));
  const form = h('form', { class: 'card admin-form', novalidate: true, 'data-testid': testid }, h('h3', null, title), ...controls, msg,
    h('div', { class: 'buttons' }, btn, h('button', { type: 'button', class: 'btn', onclick: () => form.remove() }, t('cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(msg);
    btn.disabled = true;
    try { await onSubmit(msg); } catch (err) { msg.appendChild(errorBox(errMsg(err))); }
    btn.disabled = false;
  });
  return form;
}

function need(msg: HTMLElement, pairs: [HTMLInputElement | HTMLSelectElement, string][]): boolean {
  for (const [el, label] of pairs) {
    el.removeAttribute('aria-invalid');
    if (!el.value.trim()) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
      msg.appendChild(errorBox(t('requiredField', { f: label })));
      return false;
    }
  }
  return true;
}

async function usersTab(box: HTMLElement, reload: () => void): Promise<void> {
  const [{ users }, unitList] = await Promise.all([get<{ users: AdminUser[] }>('/api/v1/users'), units()]);
  const formArea = h('div');
  const unitName = (c: string) => unitList.find((u) => u.code === c)?.name ?? c;
  const createForm = () => {
    const username = h('input', { name: 'username', autocomplete: 'off' });
    const display = h('input', { name: 'display_name' });
    const role = h('select', { name: 'role' }, ROLES.map((r) => option(r, roleName(r))));
    const unit = h('select', { name: 'unit' }, option('', '—'), unitList.map((u) => option(u.code, u.name)));
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password' });
    return formBox(`${t('create')} ${t('user')}`, [field(t('username'), username, { required: true }), field(t('displayName'), display),
      field(t('role'), role, { required: true }), field(t('unit'), unit, { hint: roleName('handler') + ' *' }), field(t('password'), password, { required: true })],
    async (msg) => {
      if (!need(msg, [[username, t('username')], [password, t('password')]])) return;
      if (role.value === 'handler' && !unit.value) { msg.appendChild(errorBox(t('requiredField', { f: t('unit') }))); unit.focus(); return; }
      if (password.value.length < 8) { msg.appendChild(errorBox(t('passwordShort'))); password.focus(); return; }
      const body: Record<string, string> = { username: username.value.trim(), role: role.value, password: password.value };
      if (display.value.trim()) body.display_name = display.value.trim();
      if (unit.value) body.unit = unit.value;
      await api('POST', '/api/v1/users', body);
      toast(t('saved'));
      reload();
    }, 'user-form');
  };
  const editForm = (u: AdminUser) => {
    const password = h('input', { type: 'password', autocomplete: 'new-password' });
    const disabled = h('input', { type: 'checkbox', checked: u.disabled });
    return formBox(`${t('edit')} ${u.username}`, [field(t('newPassword'), password), h('label', { class: 'toggle' }, disabled, ' ', t('disabled'))],
      async (msg) => {
        const body: Record<string, unknown> = { disabled: disabled.checked };
        if (password.value) {
          if (password.value.length < 8) { msg.appendChild(errorBox(t('passwordShort'))); return; }
          body.password = password.value;
        }
        await api('PUT', `/api/v1/users/${encodeURIComponent(u.username)}`, body);
        toast(t('saved'));
        reload();
      }, 'user-edit');
  };
  box.replaceChildren(
    h('div', { class: 'toolbar' }, h('button', { class: 'btn primary', onclick: () => formArea.replaceChildren(createForm()) }, `+ ${t('create')}`)),
    formArea,
    h('table', { class: 'data' }, h('thead', null, h('tr', null, [t('username'), t('displayName'), t('role'), t('unit'), t('disabled'), t('createdOn'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, users.map((u) => h('tr', null, h('td', null, u.username), h('td', null, u.display_name), h('td', null, roleName(u.role)),
        h('td', null, u.unit ? unitName(u.unit) : '—'), h('td', null, u.disabled ? t('yes') : t('no')), h('td', null, fmtTime(u.created_at)),
        h('td', null, h('button', { class: 'btn small', onclick: () => formArea.replaceChildren(editForm(u)) }, t('edit'))))))));
}

async function unitsTab(box: HTMLElement, reload: () => void): Promise<void> {
  const list = await units(true);
  const formArea = h('div');
  const unitForm = (u?: Unit) => {
    const code = h('input', { name: 'code', value: u?.code ?? '', disabled: !!u });
    const name = h('input', { name: 'name', value: u?.name ?? '' });
    const kind = h('select', { name: 'kind' }, option('department', t('department'), u?.kind === 'department'), option('street_office', t('streetOffice'), u?.kind === 'street_office'));
    const type = h('input', { name: 'type', value: u?.type ?? '' });
    const sd = h('input', { name: 'subdistrict', value: u?.subdistrict ?? '', placeholder: '410103001' });
    return formBox(u ? `${t('edit')} ${u.name}` : `${t('create')} ${t('unit')}`,
      [field(t('code'), code, { required: true }), field(t('name'), name, { required: true }), field(t('kind'), kind), field(t('type'), type), field(t('subdistrict'), sd)],
      async (msg) => {
        if (!need(msg, [[code, t('code')], [name, t('name')]])) return;
        const body: Record<string, string> = { name: name.value.trim(), kind: kind.value, type: type.value.trim(), subdistrict: sd.value.trim() };
        await api('PUT', `/api/v1/units/${encodeURIComponent(code.value.trim())}`, body);
        toast(t('saved'));
        await units(true);
        reload();
      }, 'unit-form');
  };
  box.replaceChildren(
    h('div', { class: 'toolbar' }, h('button', { class: 'btn primary', onclick: () => formArea.replaceChildren(unitForm()) }, `+ ${t('create')}`)),
    formArea,
    h('table', { class: 'data' }, h('thead', null, h('tr', null, [t('code'), t('name'), t('kind'), t('type'), t('subdistrict'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, list.map((u) => h('tr', null, h('td', null, u.code), h('td', null, u.name),
        h('td', null, u.kind === 'street_office' ? t('streetOffice') : t('department')), h('td', null, u.type), h('td', null, u.subdistrict || '—'),
        h('td', null, h('button', { class: 'btn small', onclick: () => formArea.replaceChildren(unitForm(u)) }, t('edit')), ' ',
          h('button', { class: 'btn small danger', onclick: async () => {
            if (!confirm(t('confirmDelete', { n: u.name }))) return;
            try { await api('DELETE', `/api/v1/units/${encodeURIComponent(u.code)}`); await units(true); reload(); } catch (e) { toast(errMsg(e), 'error'); }
          } }, t('delete'))))))));
}

const STAGES: (keyof DeadlineRow)[] = ['verify', 'register', 'dispatch', 'handle', 'check'];

async function categoriesTab(box: HTMLElement, reload: () => void): Promise<void> {
  const cat: Catalog = await catalog(true);
  const formArea = h('div');
  const catForm = (c?: Category) => {
    const code = h('input', { value: c?.code ?? '', disabled: !!c, placeholder: '06010', pattern: '\\d{5}' });
    const name = h('input', { value: c?.name ?? '' });
    const kind = h('select', null, option('event', t('kindEvent'), c?.kind === 'event'), option('component', t('kindComponent'), c?.kind === 'component'));
    const pub = h('input', { type: 'checkbox', checked: c ? c.public !== false : true });
    const rows = (c?.deadlines.length ? c.deadlines : [{ condition: '', verify: '1 work_hour', register: '1 work_hour', dispatch: '1 work_hour', handle: '1 work_day', check: '1 work_hour' }])
      .map((d) => ({ ...d }));
    const table = h('table', { class: 'data compact' }, h('thead', null, h('tr', null, [t('condition'), ...STAGES].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((r) => h('tr', null, (['condition', ...STAGES] as (keyof DeadlineRow)[]).map((k) =>
        h('td', null, h('input', { value: r[k], 'aria-label': k, oninput: (e: Event) => { r[k] = (e.target as HTMLInputElement).value; } })))))));
    return formBox(c ? `${t('edit')} ${c.code} ${c.name}` : `${t('create')} ${t('category')}`,
      [field(t('code'), code, { required: true }), field(t('name'), name, { required: true }), field(t('kind'), kind),
        h('label', { class: 'toggle' }, pub, ' ', t('public')), h('div', { class: 'wide' }, h('h4', null, t('deadlines')), table),
        h('small', { class: 'hint' }, 'urgent_hour · work_hour · work_day · natural_day')],
      async (msg) => {
        if (!need(msg, [[code, t('code')], [name, t('name')]])) return;
        if (!/^\d{5}$/.test(code.value.trim())) { code.setAttribute('aria-invalid', 'true'); msg.appendChild(errorBox(`${t('code')}: 5 digits`)); return; }
        const next: Catalog = JSON.parse(JSON.stringify(cat));
        const entry: Category = c ? { ...next.categories.find((x) => x.code === c.code)! } : { code: code.value.trim(), name: '', kind: 'event', deadlines: [] };
        entry.name = name.value.trim();
        entry.kind = kind.value;
        entry.public = pub.checked;
        entry.deadlines = rows;
        if (c) next.categories = next.categories.map((x) => (x.code === c.code ? entry : x));
        else next.categories.push(entry);
        await api('PUT', '/api/v1/categories', next);
        toast(t('saved'));
        reload();
      }, 'category-form');
  };
  box.replaceChildren(
    h('div', { class: 'toolbar' }, h('button', { class: 'btn primary', onclick: () => formArea.replaceChildren(catForm()) }, `+ ${t('create')}`)),
    formArea,
    cat.categories.length ? h('table', { class: 'data' }, h('thead', null, h('tr', null, [t('code'), t('name'), t('kind'), t('public'), t('deadlines'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, cat.categories.map((c) => h('tr', null, h('td', null, c.code), h('td', null, c.name),
        h('td', null, c.kind === 'component' ? t('kindComponent') : t('kindEvent')), h('td', null, c.public === false ? t('no') : t('yes')),
        h('td', { class: 'small' }, c.deadlines.map((d) => `${d.condition ? `${d.condition}: ` : ''}${d.handle}`).join('；')),
        h('td', null, h('button', { class: 'btn small', onclick: () => formArea.replaceChildren(catForm(c)) }, t('edit'))))))) : empty());
}

async function rulesTab(box: HTMLElement, reload: () => void): Promise<void> {
  const [{ rules }, unitList, cat] = await Promise.all([get<{ rules: RoutingRule[] }>('/api/v1/routing-rules'), units(), catalog()]);
  const formArea = h('div');
  const save = async (next: RoutingRule[]) => { await api('PUT', '/api/v1/routing-rules', { rules: next }); toast(t('saved')); reload(); };
  const ruleForm = (r?: RoutingRule) => {
    const id = h('input', { value: r?.id ?? '', disabled: !!r });
    const category = h('select', null, cat.categories.map((c) => option(c.code, `${c.code} ${c.name}`, c.code === r?.category)));
    const scope = h('select', null, ['district', 'subdistrict', 'community', 'grid', 'road', 'zone'].map((s) => option(s, s, s === r?.scope)));
    const scopeId = h('input', { value: r?.scope_id ?? '', placeholder: '410103' });
    const unit = h('select', null, unitList.map((u) => option(u.code, u.name, u.code === r?.unit)));
    return formBox(r ? `${t('edit')} ${r.id}` : `${t('create')} ${t('routingRules')}`,
      [field(t('id'), id, { required: true }), field(t('category'), category), field(t('scope'), scope), field(t('scopeId'), scopeId, { required: true }), field(t('unit'), unit)],
      async (msg) => {
        if (!need(msg, [[id, t('id')], [scopeId, t('scopeId')]])) return;
        const rule: RoutingRule = { id: id.value.trim(), category: category.value, scope: scope.value, scope_id: scopeId.value.trim(), unit: unit.value };
        await save(r ? rules.map((x) => (x.id === r.id ? rule : x)) : [...rules, rule]);
      }, 'rule-form');
  };
  const unitName = (c: string) => unitList.find((u) => u.code === c)?.name ?? c;
  box.replaceChildren(
    h('div', { class: 'toolbar' }, h('button', { class: 'btn primary', onclick: () => formArea.replaceChildren(ruleForm()) }, `+ ${t('create')}`)),
    formArea,
    rules.length ? h('table', { class: 'data' }, h('thead', null, h('tr', null, [t('id'), t('category'), t('scope'), t('scopeId'), t('unit'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rules.map((r) => h('tr', null, h('td', null, r.id), h('td', null, r.category), h('td', null, r.scope), h('td', null, r.scope_id), h('td', null, unitName(r.unit)),
        h('td', null, h('button', { class: 'btn small', onclick: () => formArea.replaceChildren(ruleForm(r)) }, t('edit')), ' ',
          h('button', { class: 'btn small danger', onclick: async () => {
            if (!confirm(t('confirmDelete', { n: r.id }))) return;
            try { await save(rules.filter((x) => x.id !== r.id)); } catch (e) { toast(errMsg(e), 'error'); }
          } }, t('delete'))))))) : empty());
}

export function renderAdmin(main: HTMLElement, _ctx: PageContext): Dispose {
  const params = new URLSearchParams(location.search);
  const tab = TABS.includes(params.get('tab') ?? '') ? params.get('tab')! : 'users';
  const box = h('section', { class: 'tab-body', role: 'tabpanel' }, loading());
  main.append(h('div', { class: 'page-head' }, h('h1', null, t('admin'))),
    h('div', { class: 'tabs', role: 'tablist' }, TABS.map((k) => h('button', { role: 'tab', class: `tab${k === tab ? ' active' : ''}`, 'aria-selected': String(k === tab),
      'data-testid': `tab-${k}`, onclick: () => navigate(`/admin?tab=${k}`) }, t(k)))),
    box);
  const reload = () => { box.replaceChildren(loading()); run(); };
  const run = () => ({ users: usersTab, units: unitsTab, categories: categoriesTab, routingRules: rulesTab } as Record<string, typeof usersTab>)[tab](box, reload)
    .catch((e) => box.replaceChildren(errorBox(errMsg(e))));
  run();
}
