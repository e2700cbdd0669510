import { h } from '../dom';
import { t, setLang, currentLang } from '../i18n';
import { api, ApiError, saveSession, User, resetCaches } from '../api';
import { errorBox, field, errMsg } from '../ui';

export function renderLogin(onDone: (u: User) => void): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, 'data-testid': 'login-username' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const message = h('div', { class: 'form-message' });
  const params = new URLSearchParams(location.search);
  if (params.get('expired')) message.appendChild(errorBox(t('sessionExpired')));
  const button = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'login-submit' }, t('signIn'));
  const form = h('form', { class: 'login-form', novalidate: true }, 
    h('h1', null, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▦'), ' ', t('app')),
    h('p', { class: 'muted' }, 'citygrid · 数字化城市管理 · Grid-based city governance'),
    field(t('username'), username, { required: true }),
    field(t('password'), password, { required: true }),
    message, button,
    h('button', { type: 'button', class: 'btn-link', 'data-testid': 'lang-switch',
      onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); form.replaceWith(renderLogin(onDone)); } }, t('language')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.textContent = '';
    for (const [el, label] of [[username, t('username')], [password, t('password')]] as const) {
      if (!el.value.trim()) {
        el.setAttribute('aria-invalid', 'true');
        el.focus();
        message.appendChild(errorBox(t('requiredField', { f: label })));
        return;
      }
      el.removeAttribute('aria-invalid');
    }
    button.disabled = true;
    button.textContent = t('signingIn');
    try {
      const r = await api<{ token: string; user: User }>('POST', '/api/v1/auth/login',
        { username: username.value.trim(), password: password.value });
      saveSession(r.token, r.user);
      resetCaches();
      const next = params.get('next');
      if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login')) {
        history.replaceState(null, '', next);
        window.dispatchEvent(new PopStateEvent('popstate'));
      } else {
        onDone(r.user);
      }
    } catch (err) {
      // A refused login says so in the console's language (in English, the server's sentence).
      const refused = err instanceof ApiError && err.code === 'unauthenticated' && currentLang() === 'zh';
      message.appendChild(errorBox(refused ? t('loginRefused') : errMsg(err)));
      button.disabled = false;
      button.textContent = t('signIn');
      password.select();
    }
  });
  return h('div', { class: 'login-page' }, form);
}
