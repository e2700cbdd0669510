// 指挥中心: the district map with cases by state (clustered), a heat-map toggle, today's KPIs
// and live updates from the SSE stream. The markers are drawn on a canvas, which a keyboard
// cannot reach: "cases in view" lists the newest open cases within the map's bounds, each a link
// and a button that zooms to its marker and opens its popup.
import L from '../leaflet-global';
import 'leaflet.markercluster';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import 'leaflet.heat';
import { h, clear } from '../dom';
import { t, stateName, actionName, OPEN_STATES, STATE_COLORS } from '../i18n';
import { allCases, get, token, Case, CasePage } from '../api';
import { districtMap, toMap } from '../map';
import { fmtTime, todayStartIso, daysAgoIso } from '../format';
import { stateBadge, errorBox, errMsg } from '../ui';
import type { PageContext, Dispose } from '../main';

interface FeedData { number: string; version: number; state: string; type: string; action: string | null; at: string; category: string; unit: string; subdistrict: string; overdue: boolean }

const KPIS = ['kpiNew', 'kpiRegistered', 'kpiDispatched', 'kpiOverdue', 'kpiClosed'];

export function renderCommand(main: HTMLElement, _ctx: PageContext): Dispose {
  const kpiEls: Record<string, HTMLElement> = {};
  const kpis = h('section', { class: 'kpis', 'aria-label': t('command') },
    KPIS.map((k) => {
      kpiEls[k] = h('span', { class: 'kpi-value', 'data-testid': `kpi-${k}` }, '…');
      return h('div', { class: `kpi ${k}` }, kpiEls[k], h('span', { class: 'kpi-label' }, t(k)));
    }));
  const mapEl = h('div', { class: 'map', id: 'command-map', 'data-testid': 'command-map', role: 'region', 'aria-label': t('map') });
  const status = h('span', { class: 'live-status', 'data-testid': 'live-status' }, '…');
  const feed = h('ol', { class: 'feed', 'data-testid': 'live-feed' }, h('li', { class: 'muted' }, t('noLive')));
  const inView = h('ol', { class: 'feed in-view', 'data-testid': 'in-view' });
  const inViewCount = h('p', { class: 'muted small', 'data-testid': 'in-view-count', 'aria-live': 'polite' });
  const hidden = new Set<string>();
  const legend = h('div', { class: 'legend', role: 'group', 'aria-label': t('legend') });
  const heatToggle = h('input', { type: 'checkbox', id: 'heat-toggle', 'data-testid': 'heat-toggle' });
  const message = h('div');
  const chartEl = h('div', { class: 'chart', 'data-testid': 'subdistrict-chart', role: 'img', 'aria-label': t('bySubdistrict') });
  let chart: { dispose(): void; resize(): void } | null = null;
  const drawChart = async () => {
    const bySd = new Map<string, Record<string, number>>();
    for (const c of cases.values()) {
      if (!OPEN_STATES.includes(c.state)) continue;
      const name = c.location.subdistrict_name || c.location.subdistrict;
      const row = bySd.get(name) ?? {};
      row[c.state] = (row[c.state] ?? 0) + 1;
      bySd.set(name, row);
    }
    const labels = [...bySd.keys()].sort((a, b) => total(bySd.get(b)!) - total(bySd.get(a)!));
    const { stackedBars } = await import('../charts');
    if (closed) return;
    chart = stackedBars(chartEl, labels, OPEN_STATES.map((s) => ({ name: stateName(s), color: STATE_COLORS[s], data: labels.map((l) => bySd.get(l)![s] ?? 0) })));
  };
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const onResize = () => chart?.resize();
  window.addEventListener('resize', onResize);
  main.append(
    kpis,
    h('div', { class: 'command-grid' },
      h('div', { class: 'map-wrap' }, mapEl, message),
      h('aside', { class: 'side' },
        h('section', { class: 'card' },
          h('div', { class: 'row' }, h('label', { class: 'toggle' }, heatToggle, ' ', t('heat'))),
          h('h2', null, t('legend')), legend),
        h('section', { class: 'card' }, h('h2', null, t('inView')), inViewCount, inView),
        h('section', { class: 'card' }, h('h2', null, t('bySubdistrict')), chartEl),
        h('section', { class: 'card' }, h('h2', null, t('liveFeed'), ' ', status), feed))));

  const dm = districtMap(mapEl);
  const clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45 });
  const markers = new Map<string, L.CircleMarker>();
  const cases = new Map<string, Case>();
  let heat: L.HeatLayer | null = null;
  const heatPoints: [number, number, number][] = [];
  const heatPoint = (c: Case) => {
    const p = toMap(c.location.lat, c.location.lon);
    heatPoints.push([p.lat, p.lng, 1]);
  };

  const markerFor = (c: Case): L.CircleMarker => {
    const m = L.circleMarker(toMap(c.location.lat, c.location.lon), {
      radius: 7, color: '#fff', weight: 1.5, fillColor: STATE_COLORS[c.state] ?? '#999', fillOpacity: 0.95,
      renderer: dm.renderer,
    });
    m.bindPopup(() => h('div', { class: 'popup' },
      h('a', { href: `/cases/${c.number}`, 'data-link': true }, c.number), ' ', stateBadge(c.state),
      h('div', null, c.category_name), h('div', { class: 'muted' }, c.location.address || c.location.community_name),
      h('div', { class: 'muted' }, fmtTime(c.created_at))));
    return m;
  };
  const IN_VIEW_MAX = 20;
  const drawInView = () => {
    if (!dm.alive()) return;
    const bounds = dm.map.getBounds();
    const shown: [Case, L.CircleMarker][] = [];
    for (const [number, m] of markers) {
      const c = cases.get(number);
      if (c && bounds.contains(m.getLatLng())) shown.push([c, m]);
    }
    shown.sort((a, b) => b[0].created_at.localeCompare(a[0].created_at));
    const listed = shown.slice(0, IN_VIEW_MAX);
    inViewCount.textContent = shown.length ? t('inViewCount', { n: shown.length, m: listed.length }) : t('inViewNone');
    inView.replaceChildren(...listed.map(([c, m]) => h('li', { 'data-number': c.number },
      h('a', { href: `/cases/${c.number}`, 'data-link': true }, c.number), stateBadge(c.state),
      h('span', { class: 'in-view-cat' }, c.category_name),
      h('button', { type: 'button', class: 'btn small', 'aria-label': t('showOnMap', { c: c.number }),
        onclick: () => {
          if (heatToggle.checked) { heatToggle.checked = false; heatToggle.dispatchEvent(new Event('change')); }
          clusters.zoomToShowLayer(m, () => {
            m.openPopup();
            dm.map.getContainer().querySelector<HTMLElement>('.leaflet-popup a')?.focus();
          });
        } }, t('locate')))));
  };
  let inViewTimer = 0;
  const scheduleInView = () => { clearTimeout(inViewTimer); inViewTimer = window.setTimeout(drawInView, 200); };
  const visible = (c: Case) => OPEN_STATES.includes(c.state) && !hidden.has(c.state);
  const place = (c: Case) => {
    const old = markers.get(c.number);
    if (old) { clusters.removeLayer(old); markers.delete(c.number); }
    cases.set(c.number, c);
    if (visible(c)) {
      const m = markerFor(c);
      markers.set(c.number, m);
      clusters.addLayer(m);
    }
  };
  const drawLegend = () => {
    clear(legend);
    const counts: Record<string, number> = {};
    for (const c of cases.values()) counts[c.state] = (counts[c.state] ?? 0) + 1;
    for (const s of OPEN_STATES) {
      const on = !hidden.has(s);
      legend.appendChild(h('button', { class: `legend-item${on ? '' : ' off'}`, 'aria-pressed': String(on), 'data-state': s,
        onclick: () => {
          if (hidden.has(s)) hidden.delete(s); else hidden.add(s);
          clusters.clearLayers(); markers.clear();
          for (const c of cases.values()) place(c);
          drawLegend();
          scheduleInView();
        } }, h('span', { class: 'dot', style: `background:${STATE_COLORS[s]}` }), stateName(s), ' ', h('b', null, String(counts[s] ?? 0))));
    }
  };

  const refreshKpis = async () => {
    const today = todayStartIso();
    const since = new Date(today).getTime();
    const after = (iso: string | null) => !!iso && new Date(iso).getTime() >= since;
    try {
      // Cases changed today carry every timestamp the KPIs count; the overdue count is current.
      const touched: Case[] = [];
      for (let cursor = '', more = true; more;) {
        const q = new URLSearchParams({ sort: 'updated_desc', limit: '200' });
        if (cursor) q.set('cursor', cursor);
        const page = await get<CasePage>(`/api/v1/cases?${q}`);
        for (const c of page.cases) {
          if (after(c.updated_at)) touched.push(c); else more = false;
        }
        cursor = page.next_cursor;
        if (!cursor || page.cases.length === 0) more = false;
      }
      const overdue = await allCases(new URLSearchParams({ overdue: 'true', state: OPEN_STATES.join(',') }));
      kpiEls.kpiNew.textContent = String(touched.filter((c) => after(c.created_at)).length);
      kpiEls.kpiRegistered.textContent = String(touched.filter((c) => after(c.registered_at)).length);
      kpiEls.kpiDispatched.textContent = String(touched.filter((c) => after(c.dispatched_at)).length);
      kpiEls.kpiOverdue.textContent = String(overdue.length);
      kpiEls.kpiClosed.textContent = String(touched.filter((c) => c.state === 'closed' && after(c.closed_at)).length);
    } catch (e) {
      message.replaceChildren(errorBox(errMsg(e)));
    }
  };
  let kpiTimer = 0;
  let chartTimer = 0;
  const scheduleChart = () => { clearTimeout(chartTimer); chartTimer = window.setTimeout(() => { drawChart().catch(() => {}); }, 1000); };
  const scheduleKpis = () => { clearTimeout(kpiTimer); kpiTimer = window.setTimeout(refreshKpis, 1500); };

  let closed = false;
  (async () => {
    try {
      await dm.ready;
      if (closed || !dm.alive()) return;
      clusters.addTo(dm.map);
      const [open, recent] = await Promise.all([
        allCases(new URLSearchParams({ state: OPEN_STATES.join(',') })),
        allCases(new URLSearchParams({ from: daysAgoIso(30) })),
      ]);
      if (closed) return;
      for (const c of open) place(c);
      for (const c of recent) heatPoint(c);
      drawLegend();
      drawInView();
      dm.map.on('moveend', scheduleInView);
      await drawChart();
      mapEl.dataset.cases = String(markers.size);
      mapEl.dataset.ready = 'true';
    } catch (e) {
      message.replaceChildren(errorBox(errMsg(e)));
    }
  })();
  refreshKpis();

  heatToggle.addEventListener('change', () => {
    if (heatToggle.checked) {
      heat = L.heatLayer(heatPoints, { radius: 26, blur: 20, maxZoom: 14, max: 0.8, minOpacity: 0.35 });
      heat.addTo(dm.map);
      dm.map.removeLayer(clusters);
    } else {
      if (heat) dm.map.removeLayer(heat);
      heat = null;
      clusters.addTo(dm.map);
    }
  });

  // Live feed: EventSource cannot send headers, the stream takes ?access_token=.
  const source = new EventSource(`/api/v1/stream?access_token=${encodeURIComponent(token())}`);
  source.onopen = () => { status.textContent = `● ${t('liveConnected')}`; status.className = 'live-status on'; };
  source.onerror = () => { status.textContent = `○ ${t('liveOffline')}`; status.className = 'live-status off'; };
  let feedCount = 0;
  const onEvent = async (ev: MessageEvent) => {
    let data: FeedData;
    try { data = JSON.parse(ev.data) as FeedData; } catch { return; }
    if (feedCount === 0) clear(feed);
    feedCount++;
    const label = actionName(data.action ?? data.type);
    feed.prepend(h('li', { 'data-number': data.number },
      h('time', null, fmtTime(data.at)), ' ',
      h('a', { href: `/cases/${data.number}`, 'data-link': true }, data.number), ' ',
      h('span', { class: 'feed-action' }, label), ' → ', stateBadge(data.state)));
    while (feed.children.length > 50) feed.lastElementChild?.remove();
    try {
      const c = await get<Case>(`/api/v1/cases/${encodeURIComponent(data.number)}`);
      if (closed) return;
      place(c);
      if (data.type === 'created') heatPoint(c);
      if (heat) heat.setLatLngs(heatPoints);
      drawLegend();
      scheduleChart();
      scheduleInView();
      mapEl.dataset.cases = String(markers.size);
    } catch { /* the case may be invisible to this user */ }
    scheduleKpis();
  };
  // A reconnecting EventSource sends Last-Event-ID and the server replays what was missed; when
  // it cannot, it sends `reset`: reload the open cases and the KPIs.
  source.addEventListener('reset', () => {
    (async () => {
      const open = await allCases(new URLSearchParams({ state: OPEN_STATES.join(',') }));
      if (closed) return;
      clusters.clearLayers();
      markers.clear();
      cases.clear();
      for (const c of open) place(c);
      drawLegend();
      scheduleChart();
      scheduleInView();
      mapEl.dataset.cases = String(markers.size);
    })().catch((e) => message.replaceChildren(errorBox(errMsg(e))));
    scheduleKpis();
  });
  // The event name is the action; listen to every name the feed can send.
  for (const name of ['created', 'overdue', 'photo_added', 'verify', 'register', 'reject', 'dispatch', 'accept', 'return',
    'postpone_request', 'postpone_approve', 'postpone_deny', 'suspend', 'resume', 'feedback', 'check_pass',
    'check_fail', 'close', 'cancel', 'merge', 'supervise', 'comment', 'message']) {
    source.addEventListener(name, (ev) => { onEvent(ev as MessageEvent); });
  }
  return () => {
    closed = true;
    clearTimeout(kpiTimer);
    clearTimeout(inViewTimer);
    source.close();
    window.removeEventListener('resize', onResize);
    chart?.dispose();
    dm.map.remove();
  };
}
