// The console's shell: session, header (user, role, unit, language), client-side routes.
import './leaflet-global';
import './styles.css';
import { h, clear } from './dom';
import { t, setLang, currentLang, roleName } from './i18n';
import { currentUser, clearSession, api, setUnauthenticatedHandler, units, User } from './api';
import { renderLogin } from './pages/login';
import { renderCommand } from './pages/command';
import { renderCaseList } from './pages/case_list';
import { renderCaseDetail } from './pages/case_detail';
import { renderInbox } from './pages/inbox';
import { renderReport } from './pages/report';
import { renderAdmin } from './pages/admin';
import { renderEvaluation } from './pages/evaluation';
import { renderLedgers } from './pages/ledger_list';
import { openSettings } from './pages/settings';

export type Dispose = (() => void) | void;
export interface PageContext { user: User; params: Record<string, string> }

setLang(currentLang());
const root = document.getElementById('app')!;
let dispose: Dispose;

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function homeFor(user: User): string {
  if (user.role === 'handler') return '/inbox';
  if (user.role === 'inspector') return '/report';
  return '/command';
}

interface NavItem { path: string; key: string; roles?: string[] }
const NAV: NavItem[] = [
  { path: '/command', key: 'command' },
  { path: '/cases', key: 'cases' },
  { path: '/inbox', key: 'inbox' },
  { path: '/report', key: 'report', roles: ['inspector', 'operator', 'admin', 'leader', 'dispatcher'] },
  { path: '/evaluation', key: 'evaluation', roles: ['leader', 'admin', 'dispatcher', 'operator'] },
  { path: '/ledgers', key: 'ledgers' },
  { path: '/admin', key: 'admin', roles: ['admin'] },
];

function header(user: User, path: string): HTMLElement {
  const unitLabel = h('span', { class: 'hdr-unit', 'data-testid': 'user-unit' }, user.unit || '');
  if (user.unit) {
    units().then((list) => {
      const u = list.find((x) => x.code === user.unit);
      if (u) unitLabel.textContent = u.name;
    }).catch(() => {});
  }
  const nav = h('nav', { class: 'hdr-nav', id: 'main-nav', 'aria-label': t('menu') },
    NAV.filter((n) => !n.roles || n.roles.includes(user.role)).map((n) =>
      h('a', { href: n.path, 'data-link': true, class: path.startsWith(n.path) ? 'active' : '',
               'aria-current': path.startsWith(n.path) ? 'page' : null }, t(n.key))));
  const menuBtn = h('button', { class: 'hdr-menu', 'aria-controls': 'main-nav', 'aria-expanded': 'false',
    onclick: () => {
      const open = nav.classList.toggle('open');
      menuBtn.setAttribute('aria-expanded', String(open));
    } }, '☰');
  return h('header', { class: 'hdr' },
    h('a', { class: 'skip', href: '#main' }, t('skipToMain')),
    h('a', { class: 'hdr-brand', href: homeFor(user), 'data-link': true },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, '▦'), h('span', { class: 'brand-text' }, t('app'))),
    menuBtn,
    nav,
    h('div', { class: 'hdr-user' },
      h('span', { class: 'hdr-name', 'data-testid': 'user-name' }, user.display_name || user.username),
      h('span', { class: 'badge role', 'data-testid': 'user-role' }, roleName(user.role)),
      unitLabel,
      h('button', { class: 'btn-link', 'data-testid': 'lang-switch', lang: currentLang() === 'zh' ? 'en' : 'zh',
        onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); render(); } }, t('language')),
      h('button', { class: 'btn-link', onclick: () => openSettings(render) }, t('settings')),
      h('button', { class: 'btn-link', 'data-testid': 'logout', onclick: async () => {
        try { await api('POST', '/api/v1/auth/logout'); } catch { /* signed out anyway */ }
        clearSession();
        navigate('/login');
      } }, t('logout'))));
}

function match(path: string): { page: string; params: Record<string, string> } {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'cases' && parts[1]) return { page: 'detail', params: { number: decodeURIComponent(parts[1]) } };
  return { page: parts[0] ?? '', params: {} };
}

export function render(): void {
  if (typeof dispose === 'function') dispose();
  dispose = undefined;
  clear(root);
  const path = location.pathname;
  const user = currentUser();
  if (!user || path === '/login') {
    if (user && path === '/login') { navigate(homeFor(user), true); return; }
    document.title = `${t('login')} · citygrid`;
    if (path !== '/login') history.replaceState(null, '', `/login?next=${encodeURIComponent(path + location.search)}`);
    root.appendChild(renderLogin((u) => navigate(homeFor(u), true)));
    return;
  }
  const { page, params } = match(path);
  if (!page) { navigate(homeFor(user), true); return; }
  root.appendChild(header(user, path));
  const main = h('main', { id: 'main', class: `page page-${page}`, tabindex: '-1' });
  root.appendChild(main);
  const ctx: PageContext = { user, params };
  const pages: Record<string, (m: HTMLElement, c: PageContext) => Dispose> = {
    command: renderCommand, cases: renderCaseList, detail: renderCaseDetail, inbox: renderInbox,
    report: renderReport, admin: renderAdmin, evaluation: renderEvaluation, ledgers: renderLedgers,
  };
  const fn = pages[page];
  document.title = `${t(page === 'detail' ? 'detail' : page)} · citygrid`;
  if (!fn) {
    main.appendChild(h('p', { class: 'empty' }, t('notFound')));
    return;
  }
  dispose = fn(main, ctx);
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => render());
setUnauthenticatedHandler(() => {
  clearSession();
  if (location.pathname !== '/login') navigate(`/login?expired=1&next=${encodeURIComponent(location.pathname + location.search)}`, true);
});
render();
