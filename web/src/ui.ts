// Shared widgets: state badges, loading/empty/error states, labelled fields, toasts.
import { h } from './dom';
import { t, stateName, currentLang, STATE_COLORS } from './i18n';
import { ApiError, getBlob } from './api';

export function stateBadge(state: string): HTMLElement {
  return h('span', { class: 'badge state', style: `--c:${STATE_COLORS[state] ?? '#999'}`, 'data-state': state }, stateName(state));
}

export function loading(): HTMLElement {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('loading'));
}

export function empty(text = t('empty')): HTMLElement {
  return h('div', { class: 'empty', role: 'status' }, text);
}

export function errorBox(message: string): HTMLElement {
  return h('div', { class: 'error', role: 'alert', 'data-testid': 'error' }, message);
}

let fieldSeq = 0;
// A label + control pair; the control gets an id the label points at.
export function field(label: string, control: HTMLElement, opts: { required?: boolean; hint?: string; wide?: boolean } = {}): HTMLElement {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  if (opts.required) control.setAttribute('aria-required', 'true');
  return h('div', { class: `field${opts.wide ? ' wide' : ''}` },
    h('label', { for: id }, label, opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    opts.hint ? h('small', { class: 'hint' }, opts.hint) : null);
}

export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  const el = h('div', { class: `toast ${kind}` }, message);
  box.appendChild(el);
  setTimeout(() => el.remove(), 4000);
}

// Marks the first invalid control and returns the message, or '' when all are filled.
export function requireFilled(pairs: [HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, string][]): string {
  for (const [el] of pairs) {
    el.removeAttribute('aria-invalid');
  }
  for (const [el, label] of pairs) {
    if (!el.value.trim()) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
      return t('requiredField', { f: label });
    }
  }
  return '';
}

// Opens a modal dialog; returns a close function. Escape and the close button close it.
export function modal(title: string, body: HTMLElement, onClose?: () => void): () => void {
  const previous = document.activeElement as HTMLElement | null;
  const close = () => {
    overlay.remove();
    document.removeEventListener('keydown', onKey);
    onClose?.();
    previous?.focus?.();
  };
  const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') close(); };
  const dialog = h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
    h('div', { class: 'dialog-head' }, h('h2', null, title),
      h('button', { class: 'btn-icon', 'aria-label': t('close'), onclick: close }, '×')),
    body);
  const overlay = h('div', { class: 'overlay', onclick: (e: Event) => { if (e.target === overlay) close(); } }, dialog);
  document.body.appendChild(overlay);
  document.addEventListener('keydown', onKey);
  const first = dialog.querySelector<HTMLElement>('input, select, textarea, button:not(.btn-icon)');
  first?.focus();
  return close;
}

// What each error code of the API means, in the console's language (the server's message, in
// English, follows it in Chinese; in English it stands alone).
const ERROR_CODE_KEYS: Record<string, string> = {
  invalid_argument: 'errInvalidArgument', not_found: 'errNotFound', already_exists: 'errAlreadyExists',
  failed_precondition: 'errFailedPrecondition', aborted: 'errAborted', unauthenticated: 'errUnauthenticated',
  permission_denied: 'errPermissionDenied', resource_exhausted: 'errResourceExhausted',
  unavailable: 'errUnavailable', internal: 'errInternal', network: 'errNetwork',
};

// The message of anything thrown (ApiError carries the server's own message, which the Chinese
// console prefixes with what its code means).
export function errMsg(e: unknown): string {
  if (e instanceof ApiError && currentLang() === 'zh' && ERROR_CODE_KEYS[e.code]) {
    return `${t(ERROR_CODE_KEYS[e.code])}：${e.message}`;
  }
  if (e instanceof Error) return e.message || e.name || String(e);
  return String(e);
}

// Downloads `path` (an API path answering a file) as `name`; an error is thrown as ApiError.
export async function downloadFile(path: string, name: string): Promise<void> {
  const href = URL.createObjectURL(await getBlob(path));
  const a = h('a', { href, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}
