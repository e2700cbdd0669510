// 综合评价: the ranking table of GET /api/v1/evaluation for a window and a grouping, charts of the
// composite score and the closing rates, a weekly trend line, and CSV/XLSX export. All figures come
// from the server; the page only lays them out. Shown once the server lists the route in its
// OpenAPI document.
import { h, option } from '../dom';
import { t, currentLang } from '../i18n';
import { get } from '../api';
import { loading, errorBox, empty, field, errMsg, toast, downloadFile } from '../ui';
import { navigate } from '../main';
import type { PageContext, Dispose } from '../main';

interface Row {
  key: string; name: string; counts: Record<string, number>; rates: Record<string, number | null>;
  avg_handle_hours: number | null; score?: number | null; rank?: number | null;
  score_change?: number | null; score_change_yoy?: number | null;
}
interface Report { from: string; to: string; tables: { group_by: string; rows: Row[]; total: Row }[] }

const GROUPS = ['unit', 'subdistrict', 'category', 'community', 'inspector', 'grid'];
const GROUP_LABEL: Record<string, [string, string]> = {
  unit: ['按单位', 'By unit'], subdistrict: ['按街道', 'By sub-district'], category: ['按类别', 'By category'],
  community: ['按社区', 'By community'], inspector: ['按监督员', 'By inspector'], grid: ['按网格', 'By grid'],
};
const RATE_LABEL: Record<string, [string, string]> = {
  registration_rate: ['立案率', 'Registration'], accurate_dispatch_rate: ['准确派遣率', 'Accurate dispatch'],
  handle_rate: ['处置率', 'Handled'], on_time_handle_rate: ['按期处置率', 'Handled on time'],
  rework_rate: ['返工率', 'Rework'], close_rate: ['结案率', 'Closed'], on_time_close_rate: ['按期结案率', 'Closed on time'],
};
const COUNT_LABEL: Record<string, [string, string]> = {
  reported: ['上报数', 'Reported'], registered: ['立案数', 'Registered'], should_close: ['应结案数', 'Should close'],
  closed: ['结案数', 'Closed'], closed_on_time: ['按期结案数', 'Closed on time'], rework: ['返工数', 'Rework'],
};
const L2 = (pair: [string, string]) => (currentLang() === 'zh' ? pair[0] : pair[1]);

function ymd(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v.toFixed(2)}%`);
const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : String(v));
const delta = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v > 0 ? '▲' : v < 0 ? '▼' : ''}${Math.abs(v).toFixed(2)}`);

export function renderEvaluation(main: HTMLElement, _ctx: PageContext): Dispose {
  const params = new URLSearchParams(location.search);
  const to = params.get('to') ?? ymd(new Date());
  const from = params.get('from') ?? ymd(new Date(Date.now() - 29 * 86400000));
  const group = GROUPS.includes(params.get('group_by') ?? '') ? params.get('group_by')! : 'unit';
  const body = h('section', { 'data-testid': 'evaluation' }, loading());
  main.append(h('div', { class: 'page-head' }, h('h1', null, t('evaluation'))), body);
  const charts: { dispose(): void; resize(): void }[] = [];
  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);
  let closed = false;

  (async () => {
    const doc = await get<{ paths: Record<string, unknown> }>('/api/v1/openapi.json');
    if (!doc.paths['/api/v1/evaluation']) {
      body.replaceChildren(h('p', { class: 'empty', 'data-testid': 'evaluation-unavailable' }, t('evalNotYet')));
      return;
    }
    const q = new URLSearchParams({ from, to, group_by: group });
    const report = await get<Report>(`/api/v1/evaluation?${q}`);
    if (closed) return;
    const table = report.tables[0];
    const fromIn = h('input', { type: 'date', value: from, required: true });
    const toIn = h('input', { type: 'date', value: to, required: true });
    const groupSel = h('select', null, GROUPS.map((g) => option(g, L2(GROUP_LABEL[g]), g === group)));
    const msg = h('div', { class: 'form-message' });
    const form = h('form', { class: 'filters card', novalidate: true },
      field(t('from'), fromIn, { required: true }), field(t('to'), toIn, { required: true }), field(t('groupBy'), groupSel),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'btn primary' }, t('apply')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'export-csv', onclick: () =>
          downloadFile(`/api/v1/evaluation?${q}&format=csv`, `evaluation-${from}-${to}.csv`).catch((e) => toast(errMsg(e), 'error')) }, t('exportCsv')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'export-xlsx', onclick: () =>
          downloadFile(`/api/v1/evaluation?from=${from}&to=${to}&group_by=unit&group_by=subdistrict&group_by=category&format=xlsx`, `evaluation-${from}-${to}.xlsx`)
            .catch((e) => toast(errMsg(e), 'error')) }, t('exportXlsx'))),
      msg);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      msg.replaceChildren();
      if (!fromIn.value || !toIn.value) { msg.appendChild(errorBox(t('requiredField', { f: `${t('from')}/${t('to')}` }))); return; }
      navigate(`/evaluation?${new URLSearchParams({ from: fromIn.value, to: toIn.value, group_by: groupSel.value })}`);
    });
    const rows = [...table.rows].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9));
    const rateKeys = ['close_rate', 'on_time_close_rate', 'handle_rate', 'on_time_handle_rate', 'rework_rate'];
    const countKeys = ['reported', 'registered', 'should_close', 'closed', 'closed_on_time'];
    const ranking = h('table', { class: 'data', 'data-testid': 'ranking' },
      h('thead', null, h('tr', null, [t('ranking'), t('name'), t('score'), '环比 Δ', '同比 Δ',
        ...countKeys.map((k) => L2(COUNT_LABEL[k])), ...rateKeys.map((k) => L2(RATE_LABEL[k]))].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((r) => h('tr', null,
        h('td', null, num(r.rank)), h('td', null, r.name || r.key), h('td', null, h('b', null, r.score?.toFixed(2) ?? '—')),
        h('td', { class: (r.score_change ?? 0) < 0 ? 'late' : '' }, delta(r.score_change)),
        h('td', { class: (r.score_change_yoy ?? 0) < 0 ? 'late' : '' }, delta(r.score_change_yoy)),
        ...countKeys.map((k) => h('td', null, num(r.counts[k]))), ...rateKeys.map((k) => h('td', null, pct(r.rates[k])))))),
      h('tfoot', null, h('tr', null, h('td', null, ''), h('th', { scope: 'row' }, currentLang() === 'zh' ? '合计' : 'Total'), h('td', null, ''), h('td', null, ''), h('td', null, ''),
        ...countKeys.map((k) => h('td', null, num(table.total.counts[k]))), ...rateKeys.map((k) => h('td', null, pct(table.total.rates[k]))))));
    const scoreEl = h('div', { class: 'chart tall', role: 'img', 'aria-label': t('score') });
    const ratesEl = h('div', { class: 'chart tall', role: 'img', 'aria-label': L2(RATE_LABEL.close_rate) });
    const trendEl = h('div', { class: 'chart', role: 'img', 'aria-label': t('trend'), 'data-testid': 'trend-chart' });
    body.replaceChildren(form,
      h('div', { class: 'detail-grid' },
        h('section', { class: 'card' }, h('h2', null, `${t('score')} · ${L2(GROUP_LABEL[group])}`), rows.length ? scoreEl : empty()),
        h('section', { class: 'card' }, h('h2', null, `${L2(RATE_LABEL.close_rate)} / ${L2(RATE_LABEL.on_time_close_rate)}`), rows.length ? ratesEl : empty())),
      h('section', { class: 'card' }, h('h2', null, `${t('trend')} (${currentLang() === 'zh' ? '近 8 周' : 'last 8 weeks'})`), trendEl),
      h('section', { class: 'card results' }, h('h2', null, `${t('ranking')} ${report.from} — ${report.to}`), rows.length ? ranking : empty()));
    const { echarts } = await import('../charts');
    if (closed) return;
    const top = rows.slice(0, 20);
    const names = top.map((r) => r.name || r.key);
    const score = echarts.init(scoreEl);
    score.setOption({ animation: false, tooltip: { trigger: 'axis' }, grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value' }, yAxis: { type: 'category', data: names, inverse: true },
      series: [{ type: 'bar', data: top.map((r) => r.score ?? 0), itemStyle: { color: '#1d5fa0' }, barMaxWidth: 14 }] });
    const rates = echarts.init(ratesEl);
    rates.setOption({ animation: false, tooltip: { trigger: 'axis' }, legend: { bottom: 0 }, grid: { left: 8, right: 16, top: 8, bottom: 30, containLabel: true },
      xAxis: { type: 'value', max: 100 }, yAxis: { type: 'category', data: names, inverse: true },
      series: ['close_rate', 'on_time_close_rate'].map((k, i) => ({ type: 'bar', name: L2(RATE_LABEL[k]), data: top.map((r) => r.rates[k] ?? 0),
        itemStyle: { color: i ? '#31a354' : '#3182bd' }, barMaxWidth: 10 })) });
    charts.push(score, rates);
    // Trend: the district totals of the last eight weeks, one request per week.
    const weeks: { label: string; total: Row }[] = [];
    const end = new Date(`${to}T12:00:00+08:00`).getTime();
    const spans = Array.from({ length: 8 }, (_, i) => {
      const wTo = new Date(end - (7 - i) * 7 * 86400000);
      return { from: ymd(new Date(wTo.getTime() - 6 * 86400000)), to: ymd(wTo) };
    });
    const answers = await Promise.all(spans.map((s) => get<Report>(`/api/v1/evaluation?${new URLSearchParams({ from: s.from, to: s.to, group_by: 'subdistrict' })}`)));
    if (closed) return;
    answers.forEach((a, i) => weeks.push({ label: spans[i].to.slice(5), total: a.tables[0].total }));
    const trend = echarts.init(trendEl);
    trend.setOption({ animation: false, tooltip: { trigger: 'axis' }, legend: { bottom: 0 }, grid: { left: 8, right: 16, top: 16, bottom: 30, containLabel: true },
      xAxis: { type: 'category', data: weeks.map((w) => w.label) },
      yAxis: [{ type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }, { type: 'value', minInterval: 1 }],
      series: [
        ...['close_rate', 'on_time_close_rate'].map((k) => ({ type: 'line', name: L2(RATE_LABEL[k]), data: weeks.map((w) => w.total.rates[k]) })),
        { type: 'bar', name: L2(COUNT_LABEL.registered), yAxisIndex: 1, data: weeks.map((w) => w.total.counts.registered), itemStyle: { color: '#c6dbef' }, barMaxWidth: 24 },
      ] });
    charts.push(trend);
    trendEl.dataset.ready = 'true';
  })().catch((e) => body.replaceChildren(errorBox(errMsg(e))));
  return () => {
    closed = true;
    window.removeEventListener('resize', onResize);
    charts.forEach((c) => c.dispose());
  };
}
