import { t, currentLang } from './i18n';

// Times are shown in the district's zone (the API answers at +08:00).
const ZONE = 'Asia/Shanghai';

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
    minute: '2-digit', hour12: false,
  });
}

export function fmtDuration(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60000);
  if (m < 60) return t('minutes', { n: m });
  if (m < 48 * 60) return t('hours', { n: (m / 60).toFixed(1).replace(/\.0$/, '') });
  return t('days', { n: (m / 1440).toFixed(1).replace(/\.0$/, '') });
}

// "剩余 3 小时" or "已超期 2 天" for a stage deadline.
export function fmtDeadline(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return t('noDeadline');
  const left = new Date(iso).getTime() - now;
  return left >= 0 ? `${t('dueIn')} ${fmtDuration(left)}` : `${t('overdueBy')} ${fmtDuration(left)}`;
}

// Today's midnight in the district's zone as ISO-8601 with +08:00.
export function todayStartIso(): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
  return `${parts}T00:00:00+08:00`;
}

export function daysAgoIso(days: number): string {
  const d = new Date(Date.now() - days * 86400000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(d);
  return `${parts}T00:00:00+08:00`;
}

// A datetime-local input value ("2026-03-10T18:00") as ISO-8601 at +08:00.
export function localInputToIso(value: string): string {
  return value.length === 16 ? `${value}:00+08:00` : `${value}+08:00`;
}

export function metres(m: number): string {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`;
}

export function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = 6371000;
  const p = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * p) / 2) ** 2 +
    Math.cos(lat1 * p) * Math.cos(lat2 * p) * Math.sin(((lon2 - lon1) * p) / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}
