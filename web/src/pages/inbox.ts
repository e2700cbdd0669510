// 待办: the cases waiting for this user's role (a handler: its own unit's, which the API
// enforces), overdue first, then by stage deadline.
import { h } from '../dom';
import { t, stateName } from '../i18n';
import { allCases, Case } from '../api';
import { loading, empty, errorBox, errMsg } from '../ui';
import { caseTable } from './case_list';
import type { PageContext, Dispose } from '../main';

export const INBOX_STATES: Record<string, string[]> = {
  handler: ['dispatched', 'handling'],
  inspector: ['reported', 'checking'],
  operator: ['pending', 'checked'],
  dispatcher: ['registered', 'handling'],
  leader: ['reported', 'pending', 'registered', 'dispatched', 'handling', 'suspended', 'checking', 'checked'],
  admin: ['reported', 'pending', 'registered', 'dispatched', 'handling', 'suspended', 'checking', 'checked'],
};

export function byUrgency(a: Case, b: Case): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  const da = a.stage_deadline ? new Date(a.stage_deadline).getTime() : Infinity;
  const db = b.stage_deadline ? new Date(b.stage_deadline).getTime() : Infinity;
  return da - db;
}

export function renderInbox(main: HTMLElement, ctx: PageContext): Dispose {
  const states = INBOX_STATES[ctx.user.role] ?? INBOX_STATES.admin;
  const body = h('section', { 'data-testid': 'inbox' }, loading());
  main.append(h('div', { class: 'page-head' }, h('h1', null, t('tasks')),
    h('p', { class: 'muted' }, states.map(stateName).join(' · '))), body);
  const params = new URLSearchParams({ state: states.join(','), sort: 'deadline_asc' });
  if (ctx.user.role === 'leader' || ctx.user.role === 'admin') params.set('overdue', 'true');
  allCases(params, 3000).then((list) => {
    // A dispatcher's handling cases are only those with a postponement to decide.
    const mine = ctx.user.role === 'dispatcher' ? list.filter((c) => c.state !== 'handling' || c.postpone_requested_until) : list;
    mine.sort(byUrgency);
    const overdue = mine.filter((c) => c.overdue).length;
    body.replaceChildren(
      h('p', { class: 'summary' }, h('b', null, String(mine.length)), ` ${t('cases')} · `,
        h('b', { class: overdue ? 'late' : '' }, String(overdue)), ` ${t('overdue')}`),
      mine.length ? caseTable(mine) : empty());
  }).catch((e) => body.replaceChildren(errorBox(errMsg(e))));
}
