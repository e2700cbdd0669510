// 台账汇总: GET /api/v1/ledgers/{id}/summary?group_by=state|batch|subdistrict|unit|type as a table
// and stacked ECharts bars (rows per state per group), the overdue rows, the completion curve,
// and — for a campaign ledger linked to cases — its case figures against the targets.
import { h, option } from '../dom';
import { t } from '../i18n';
import { get } from '../api';
import { loading, empty, errorBox, field, errMsg } from '../ui';
import { navigate } from '../main';
import type { PageContext, Dispose } from '../main';
import {
  LedgerDef, LedgerSummary, LedgerGroup, ROW_STATES, ROW_STATE_COLORS, rowStateName, getLedger, ledgerHead,
  ledgerPath, apiPath, unitNames, stateChip, pct1, num, L,
} from './ledger_common';

interface CampaignFigure { name: string; value: number; target?: number; at_most?: boolean; met?: boolean }
interface CampaignReport {
  from: string; to: string; figures: CampaignFigure[];
  by_category: { key: string; label: string; figures: CampaignFigure[] }[];
  by_subdistrict: { key: string; label: string; figures: CampaignFigure[] }[];
}
const FIGURES: Record<string, [string, string]> = {
  reported: ['上报数', 'Reported'], registered: ['立案数', 'Registered'], closed: ['结案数', 'Closed'],
  closed_on_time: ['按期结案数', 'Closed on time'], should_close: ['应结案数', 'Should close'],
  closing_rate: ['结案率', 'Closing rate'], on_time_closing_rate: ['按期结案率', 'On-time closing rate'],
  overdue: ['超期数', 'Overdue'], rework: ['返工数', 'Rework'],
};
const isRate = (name: string) => name.endsWith('rate');
const figureValue = (f: { name: string }, v: number) => (isRate(f.name) ? pct1(v) : num(v));
const GROUPS = ['state', 'batch', 'subdistrict', 'unit', 'type'];
const GROUP_KEYS: Record<string, string> = {
  state: 'groupByState', batch: 'groupByBatch', subdistrict: 'groupBySubdistrict', unit: 'groupByUnit', type: 'groupByType',
};

export function renderLedgerSummary(main: HTMLElement, ctx: PageContext, id: string): Dispose {
  const params = new URLSearchParams(location.search);
  const body = h('div', null, loading());
  main.appendChild(body);
  const charts: { dispose(): void; resize(): void }[] = [];
  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);
  let closed = false;
  (async () => {
    const [d, names] = await Promise.all([getLedger(id), unitNames()]);
    const groups = GROUPS.filter((g) => g !== 'type' || d.type_column);
    const group = groups.includes(params.get('group_by') ?? '') ? params.get('group_by')! : (d.batches.length ? 'batch' : 'state');
    const s = await get<LedgerSummary>(apiPath(id, `/summary?group_by=${group}`));
    const campaign = d.campaign ? await get<CampaignReport>(apiPath(id, '/campaign')).catch((e) => errMsg(e)) : null;
    if (closed) return;
    const groupSel = h('select', { name: 'group_by', 'data-testid': 'group-by', onchange: () => navigate(`${ledgerPath(id, '/summary')}?group_by=${groupSel.value}`) },
      groups.map((g) => option(g, t(GROUP_KEYS[g]), g === group)));
    const sumCols = d.columns.filter((c) => (c.type === 'number' || c.type === 'percent') && s.total.sums[c.key] !== undefined);
    const tot = s.total;
    const kpi = (label: string, value: string, cls = '', fig = '') => h('div', { class: `kpi ${cls}`, 'data-kpi': fig },
      h('span', { class: 'kpi-value' }, value), h('span', { class: 'kpi-label' }, label));
    const kpis = h('div', { class: 'kpis lg-kpis', 'data-testid': 'summary-kpis' },
      kpi(t('rowCount'), String(tot.rows), '', 'rows'), kpi(t('completedTotal'), String(tot.completed), 'kpiClosed', 'completed'),
      kpi(t('behindCount'), String(tot.behind), 'kpiOverdue', 'behind'), kpi(t('overdueCount'), String(tot.overdue), 'kpiOverdue', 'overdue'),
      kpi(t('completionRate'), pct1(tot.rows ? tot.completed / tot.rows : 0), '', 'rate'));
    const groupRow = (g: LedgerGroup, isTotal = false) => h('tr', { 'data-group': isTotal ? '__total' : g.key, class: isTotal ? 'lg-total' : '' },
      h(isTotal ? 'th' : 'td', { scope: isTotal ? 'row' : null }, isTotal ? t('total') : (group === 'state' ? rowStateName(g.key) : g.label || g.key || '—')),
      group === 'batch' ? h('td', null, g.deadline ?? '') : null,
      h('td', { 'data-figure': 'rows' }, String(g.rows)),
      ...ROW_STATES.map((st) => h('td', { 'data-figure': st }, String(g.by_state[st] ?? 0))),
      h('td', { 'data-figure': 'completed' }, String(g.completed)),
      h('td', { 'data-figure': 'behind', class: g.behind ? 'late' : '' }, String(g.behind)),
      h('td', { 'data-figure': 'overdue' }, String(g.overdue)),
      h('td', { 'data-figure': 'completion_rate' }, pct1(g.completion_rate)),
      h('td', { 'data-figure': 'progress_avg' }, `${num(g.progress_avg)}%`),
      ...sumCols.map((c) => h('td', { 'data-figure': `sum:${c.key}` }, num(g.sums[c.key] ?? 0))));
    const table = h('table', { class: 'data', 'data-testid': 'summary-table' },
      h('thead', null, h('tr', null,
        [t(GROUP_KEYS[group]), ...(group === 'batch' ? [t('rowDeadline')] : []), t('rowCount'), ...ROW_STATES.map(rowStateName),
          t('completedTotal'), t('behindCount'), t('overdueCount'), t('completionRate'), t('avgProgress'),
          ...sumCols.map((c) => `Σ ${c.name}${c.measure ? ` (${c.measure})` : ''}`)].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, s.groups.map((g) => groupRow(g))),
      h('tfoot', null, groupRow(tot, true)));
    const barsEl = h('div', { class: 'chart', role: 'img', 'aria-label': t(GROUP_KEYS[group]), 'data-testid': 'summary-chart' });
    barsEl.style.height = `${Math.max(220, 90 + s.groups.length * 34)}px`;
    const curveEl = h('div', { class: 'chart', role: 'img', 'aria-label': t('completionCurve'), 'data-testid': 'curve-chart' });
    const overdue = s.overdue_rows.length ? h('table', { class: 'data lg-cards', 'data-testid': 'overdue-rows' },
      h('thead', null, h('tr', null, [t('rowKey'), t('rowTitle'), t('rowUnit'), t('rowBatch'), t('rowDeadline'), t('rowState'), t('rowProgress')]
        .map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, s.overdue_rows.slice(0, 200).map((r) => h('tr', null,
        h('td', { 'data-label': t('rowKey') }, h('a', { href: ledgerPath(id, `/rows/${encodeURIComponent(r.key)}`), 'data-link': true }, r.key)),
        h('td', { 'data-label': t('rowTitle') }, r.title), h('td', { 'data-label': t('rowUnit') }, names.get(r.unit) ?? r.unit),
        h('td', { 'data-label': t('rowBatch') }, r.batch || '—'), h('td', { class: 'late', 'data-label': t('rowDeadline') }, r.deadline),
        h('td', { 'data-label': t('rowState') }, stateChip(r.state)), h('td', { 'data-label': t('rowProgress') }, `${num(r.progress)}%`))))) : empty();
    body.replaceChildren(
      ledgerHead(d, 'summary', ctx.user, names.get(d.owner_unit)),
      h('div', { class: 'filters card' }, field(t('groupBy'), groupSel), h('p', { class: 'muted small' }, `${L('截至', 'As of')} ${s.as_of.slice(0, 16).replace('T', ' ')}`)),
      kpis,
      h('div', { class: 'detail-grid' },
        h('section', { class: 'card' }, h('h2', null, t(GROUP_KEYS[group])), s.groups.length ? barsEl : empty()),
        h('section', { class: 'card' }, h('h2', null, t('completionCurve')), s.completion_curve.length ? curveEl : empty())),
      h('section', { class: 'card results' }, h('h2', null, `${t('summary')} · ${t(GROUP_KEYS[group])}`), table),
      ...(campaign !== null ? [campaignSection(d, campaign)] : []),
      h('section', { class: 'card results' }, h('h2', null, `${t('overdueRows')} (${s.overdue_rows.length})`), overdue));
    const { echarts } = await import('../charts');
    if (closed) return;
    if (s.groups.length) {
      const labels = s.groups.map((g) => (group === 'state' ? rowStateName(g.key) : g.label || g.key || '—'));
      const bars = echarts.init(barsEl);
      bars.setOption({
        // Legend on top: on a phone it wraps to two lines and would cover the axis at the bottom.
        animation: false, tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } }, legend: { top: 0 },
        grid: { left: 8, right: 16, top: barsEl.clientWidth < 480 ? 52 : 32, bottom: 8, containLabel: true },
        xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { fontSize: 11 } },
        series: ROW_STATES.map((st) => ({ type: 'bar', stack: 'rows', name: rowStateName(st), data: s.groups.map((g) => g.by_state[st] ?? 0),
          itemStyle: { color: ROW_STATE_COLORS[st] }, barMaxWidth: 18 })),
      });
      charts.push(bars);
    }
    if (s.completion_curve.length) {
      const curve = echarts.init(curveEl);
      curve.setOption({
        animation: false, tooltip: { trigger: 'axis' }, grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: 'time' }, yAxis: { type: 'value', minInterval: 1, max: tot.rows || undefined },
        series: [{ type: 'line', name: t('completedTotal'), showSymbol: s.completion_curve.length < 15, step: 'end', areaStyle: { opacity: 0.15 },
          data: s.completion_curve.map((p) => [p.date, p.cumulative]), itemStyle: { color: '#31a354' } }],
      });
      charts.push(curve);
    }
    barsEl.dataset.ready = 'true';
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return () => {
    closed = true;
    window.removeEventListener('resize', onResize);
    charts.forEach((c) => c.dispose());
  };
}

function campaignSection(d: LedgerDef, r: CampaignReport | string): HTMLElement {
  if (typeof r === 'string') return h('section', { class: 'card' }, h('h2', null, t('campaignFigures')), errorBox(r));
  const name = (n: string) => (FIGURES[n] ? L(FIGURES[n][0], FIGURES[n][1]) : n);
  const targetText = (f: CampaignFigure) => (f.target === undefined ? '—' : `${f.at_most ? '≤' : '≥'} ${figureValue(f, f.target)}`);
  const overall = h('table', { class: 'data', 'data-testid': 'campaign-figures' },
    h('thead', null, h('tr', null, [t('figure'), t('value'), t('target'), t('met')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, r.figures.map((f) => h('tr', { 'data-figure': f.name },
      h('td', null, name(f.name)), h('td', null, h('b', null, figureValue(f, f.value))), h('td', null, targetText(f)),
      h('td', { class: f.met === false ? 'late' : '' }, f.met === undefined ? '' : f.met ? `✓ ${t('met')}` : `✗ ${t('notMet')}`)))));
  const shown = ['reported', 'registered', 'closed', 'closing_rate', 'on_time_closing_rate', 'overdue'];
  const groupTable = (title: string, gs: CampaignReport['by_category']) => h('div', { class: 'results' }, h('h3', null, title),
    !gs.length ? empty() : h('table', { class: 'data' },
      h('thead', null, h('tr', null, ['', ...shown.map(name)].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, gs.map((g) => h('tr', null, h('td', null, g.label || g.key),
        ...shown.map((n) => { const f = g.figures.find((x) => x.name === n); return h('td', null, f ? figureValue(f, f.value) : '—'); }))))));
  return h('section', { class: 'card results', 'data-testid': 'campaign' },
    h('h2', null, t('campaignFigures')),
    h('p', { class: 'muted small' }, `${t('campaignNote', { c: d.campaign?.categories.join(', ') ?? '' })} · ${r.from.slice(0, 10)} — ${r.to.slice(0, 10)}`),
    overall, groupTable(t('byCategoryShort'), r.by_category), groupTable(t('bySubdistrictShort'), r.by_subdistrict));
}
