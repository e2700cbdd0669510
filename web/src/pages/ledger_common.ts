// Shared by the ledger (台账) pages: the API's shapes, who may do what (mirrors docs/ledgers.md;
// the server enforces it), labels of states/types/events and the ledger header with its tabs.
import './ledger_i18n';
import { h } from '../dom';
import { t, currentLang } from '../i18n';
import { get, units, User, Unit } from '../api';

export interface LedgerColumn {
  key: string; name: string; type: string; required: boolean; min?: number; max?: number;
  measure?: string; choices?: string[]; since_version?: number;
}
export interface LedgerBatch { name: string; deadline: string }
export interface CampaignTarget { figure: string; value: number; at_most: boolean }
export interface LedgerDef {
  id: string; name: string; description: string; owner_unit: string; period_start: string;
  period_end: string; columns: LedgerColumn[]; batches: LedgerBatch[]; type_column: string;
  campaign?: { categories: string[]; subdistricts: string[]; from: string; to: string; targets: CampaignTarget[] };
  version: number; created_at?: string; updated_at?: string;
}
export interface LedgerRow {
  ledger_id: string; key: string; version: number; title: string; unit: string; subdistrict: string;
  batch: string; deadline: string; state: string; state_name: string; progress: number;
  values: Record<string, string>; effective_deadline: string; behind: boolean; overdue: boolean;
  created_at: string; updated_at: string; completed_at?: string;
}
export interface LedgerEvent {
  version: number; seq: number; type: string; actor: { user: string; role: string; unit: string };
  at: string; note: string; photos: string[]; changes: Record<string, unknown> | string; hash: string;
}
export interface LedgerGroup {
  key: string; label: string; rows: number; by_state: Record<string, number>; completed: number;
  behind: number; overdue: number; completion_rate: number; progress_avg: number; deadline?: string;
  sums: Record<string, number>;
}
export interface LedgerSummary {
  group_by: string; as_of: string; total: LedgerGroup; groups: LedgerGroup[];
  overdue_rows: { key: string; title: string; unit: string; batch: string; state: string; progress: number; deadline: string }[];
  completion_curve: { date: string; completed: number; cumulative: number }[];
}

export const ROW_STATES = ['not_started', 'in_progress', 'done', 'accepted'];
export const ROW_STATE_COLORS: Record<string, string> = {
  not_started: '#9e9e9e', in_progress: '#3182bd', done: '#31a354', accepted: '#006d2c',
};
const STATE_KEYS: Record<string, string> = {
  not_started: 'lrsNotStarted', in_progress: 'lrsInProgress', done: 'lrsDone', accepted: 'lrsAccepted',
};
export const rowStateName = (s: string) => (STATE_KEYS[s] ? t(STATE_KEYS[s]) : s);

export const COLUMN_TYPES = ['text', 'number', 'date', 'choice', 'multi_choice', 'place', 'unit', 'person', 'photos', 'percent'];
const TYPE_KEYS: Record<string, string> = {
  text: 'colTypeText', number: 'colTypeNumber', date: 'colTypeDate', choice: 'colTypeChoice',
  multi_choice: 'colTypeMultiChoice', place: 'colTypePlace', unit: 'colTypeUnit', person: 'colTypePerson',
  photos: 'colTypePhotos', percent: 'colTypePercent',
};
export const columnTypeName = (type: string) => (TYPE_KEYS[type] ? t(TYPE_KEYS[type]) : type);
const EVENT_KEYS: Record<string, string> = { created: 'evCreated', progress: 'evProgress', edited: 'evEdited', accepted: 'evAccepted' };
export const eventName = (type: string) => (EVENT_KEYS[type] ? t(EVENT_KEYS[type]) : type);

// Owner unit or admin: edits the definition, imports, accepts rows.
export function manages(user: User, d: LedgerDef): boolean {
  return user.role === 'admin' || (!!user.unit && user.unit === d.owner_unit);
}
// Progress updates: also the row's responsible unit.
export function mayUpdate(user: User, d: LedgerDef, row: LedgerRow): boolean {
  return manages(user, d) || (!!user.unit && user.unit === row.unit);
}
// Creating a ledger: an admin, or a member of a unit (for its own unit).
export function mayCreate(user: User): boolean {
  return user.role === 'admin' || (user.role === 'handler' && !!user.unit);
}

export const ledgerPath = (id: string, rest = '') => `/ledgers/${encodeURIComponent(id)}${rest}`;
export const apiPath = (id: string, rest = '') => `/api/v1/ledgers/${encodeURIComponent(id)}${rest}`;
export const getLedger = (id: string) => get<LedgerDef>(apiPath(id));

export async function unitNames(): Promise<Map<string, string>> {
  const list: Unit[] = await units().catch(() => []);
  return new Map(list.map((u) => [u.code, u.name]));
}

export function stateChip(state: string): HTMLElement {
  return h('span', { class: 'badge state', style: `--c:${ROW_STATE_COLORS[state] ?? '#999'}`, 'data-row-state': state }, rowStateName(state));
}
export function behindChip(): HTMLElement {
  return h('span', { class: 'badge warn', 'data-testid': 'behind' }, t('behind'));
}
export function progressBar(p: number): HTMLElement {
  const v = Math.max(0, Math.min(100, p));
  return h('span', { class: 'lg-progress', role: 'img', 'aria-label': `${t('rowProgress')} ${v}%` },
    h('span', { class: 'lg-track' }, h('span', { class: 'lg-bar', style: `width:${v}%` })), h('span', { class: 'lg-pct' }, `${num(v)}%`));
}
export const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;
export const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

// The ledger's title block and tabs (rows, roll-up, import, definition).
export function ledgerHead(d: LedgerDef, active: string, user: User, ownerName = ''): HTMLElement {
  const tabs: [string, string, string][] = [['rows', ledgerPath(d.id), 'rows'], ['summary', ledgerPath(d.id, '/summary'), 'summary']];
  if (manages(user, d)) tabs.push(['import', ledgerPath(d.id, '/import'), 'importFile']);
  tabs.push(['edit', ledgerPath(d.id, '/edit'), manages(user, d) ? 'editDefinition' : 'definition']);
  const period = d.period_start || d.period_end ? `${d.period_start || '…'} — ${d.period_end || '…'}` : '';
  return h('div', { class: 'page-head lg-head' },
    h('a', { href: '/ledgers', 'data-link': true, class: 'back' }, `← ${t('backToList')}`),
    h('h1', { 'data-testid': 'ledger-name' }, d.name, d.campaign ? h('span', { class: 'badge lg-campaign' }, t('campaign')) : null),
    h('p', { class: 'muted small lg-meta' },
      [`${t('ownerUnit')}: ${ownerName || d.owner_unit}`, period ? `${t('period')}: ${period}` : '',
        t('definitionVersion', { n: d.version })].filter(Boolean).join(' · ')),
    h('nav', { class: 'tabs lg-tabs', 'aria-label': d.name },
      tabs.map(([key, href, label]) => h('a', { href, 'data-link': true, class: `tab${key === active ? ' active' : ''}`,
        'aria-current': key === active ? 'page' : null, 'data-tab': key }, t(label)))));
}

// A reason in the console's language: in Chinese from its code and arguments; in English (or for
// a code the console does not know) the server's own sentence.
export function reasonText(e: { reason: string; reason_code?: string; reason_args?: string[] }): string {
  if (currentLang() === 'en') return e.reason;
  const key = `lr_${e.reason_code ?? ''}`;
  const args = [...(e.reason_args ?? [])];
  if (e.reason_code === 'value_in_use' && args.length > 4) {
    // {3} is the value's own reason in English; its code and arguments follow.
    args[3] = reasonText({ reason: args[3], reason_code: args[4], reason_args: args.slice(5) });
  }
  const vars: Record<string, string> = {};
  args.forEach((a, i) => { vars[String(i)] = a; });
  const text = t(key, vars);
  return text === key ? e.reason : text;
}

export const L = (zh: string, en: string) => (currentLang() === 'zh' ? zh : en);
