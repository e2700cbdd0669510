// The REST API client: bearer token from the login, errors as ApiError carrying the server's
// message ({"error":{"code","message"}}).
export interface User {
  username: string;
  display_name: string;
  role: string;
  unit: string;
}

export interface Location {
  lon: number; lat: number; address: string; district: string; district_name: string;
  subdistrict: string; subdistrict_name: string; community: string; community_name: string;
  grid: string; road: string; road_name: string;
  road_chief: { name: string; phone: string } | null;
}

export interface Case {
  number: string; state: string; version: number; channel: string; category: string;
  category_name: string; description: string; location: Location; suggested_unit: string;
  unit: string; unit_name: string; stage: string; stage_started: string | null;
  stage_deadline: string | null; handle_deadline: string | null; overdue: boolean;
  handle_overdue: boolean; counters: { rework: number; return: number; supervise: number };
  postpone_requested_until: string | null; merged_into: string; created_at: string;
  updated_at: string; registered_at: string | null; dispatched_at: string | null;
  handled_at: string | null; closed_at: string | null;
  reporter: { name: string; phone: string }; photos: string[];
}

export interface CaseEvent {
  version: number; type: string; action: string | null;
  actor: { user: string; role: string; unit: string }; at: string; note: string;
  photos: string[]; payload: Record<string, unknown>;
}

export interface CaseDetail extends Case {
  history?: CaseEvent[];
  events?: CaseEvent[];
  available_actions: string[];
}

export interface CasePage { count: number; cases: Case[]; next_cursor: string }

export interface Unit { code: string; name: string; kind: string; type: string; subdistrict: string }

export interface DeadlineRow {
  condition: string; verify: string; register: string; dispatch: string; handle: string;
  check: string;
}
export interface Category {
  code: string; name: string; name_en?: string; kind: string; register_standard?: string;
  close_standard?: string; unit_type?: string; public?: boolean; deadlines: DeadlineRow[];
  [key: string]: unknown;
}
export interface Catalog {
  version?: unknown;
  major_classes: { code: string; name: string; name_en?: string; kind: string }[];
  categories: Category[];
  [key: string]: unknown;
}
export interface RoutingRule { id: string; category: string; scope: string; scope_id: string; unit: string }

// What an error is about when the server says (a ledger value's rejection): the field, and the
// reason as a code with its arguments, for the console to word in its own language.
export interface ErrorDetail { field: string; reason_code: string; reason_args: string[] }

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string,
              public detail: ErrorDetail | null = null) {
    super(message);
  }
}

const TOKEN_KEY = 'cg.token';
const USER_KEY = 'cg.user';

export function token(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function currentUser(): User | null {
  const raw = localStorage.getItem(USER_KEY);
  if (!raw || !token()) return null;
  try {
    return JSON.parse(raw) as User;
  } catch {
    return null;
  }
}

export function saveSession(tok: string, user: User): void {
  localStorage.setItem(TOKEN_KEY, tok);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function clearSession(): void {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}

let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

// Sends a request with the bearer token; a failure (network, or a status that is not 2xx) throws
// an ApiError with the server's code and message.
async function send(method: string, path: string, body?: unknown,
                    headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  const h = init.headers as Record<string, string>;
  if (token()) h['Authorization'] = `Bearer ${token()}`;
  if (body instanceof FormData || body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', `network error: ${(e as Error).message}`);
  }
  if (!response.ok) {
    let err: ({ code?: string; message?: string } & Partial<ErrorDetail>) | undefined;
    try {
      err = (JSON.parse(await response.text()) as { error?: typeof err }).error;
    } catch {
      err = undefined;
    }
    if (response.status === 401 && !path.endsWith('/auth/login')) onUnauthenticated();
    const detail = err?.reason_code
      ? { field: err.field ?? '', reason_code: err.reason_code, reason_args: err.reason_args ?? [] } : null;
    throw new ApiError(response.status, err?.code ?? String(response.status),
                       err?.message ?? `${response.status} ${response.statusText}`, detail);
  }
  return response;
}

export async function api<T>(method: string, path: string, body?: unknown,
                             headers: Record<string, string> = {}): Promise<T> {
  const text = await (await send(method, path, body, headers)).text();
  if (!text) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null as T;
  }
}

// A GET whose answer is a file (CSV, XLSX): its bytes.
export async function getBlob(path: string): Promise<Blob> {
  return (await send('GET', path)).blob();
}

export const get = <T>(path: string) => api<T>('GET', path);

// Every page of a case query (bounded by `max`).
export async function allCases(params: URLSearchParams, max = 5000): Promise<Case[]> {
  const out: Case[] = [];
  let cursor = '';
  params.set('limit', '1000');
  while (out.length < max) {
    if (cursor) params.set('cursor', cursor);
    const page = await get<CasePage>(`/api/v1/cases?${params}`);
    out.push(...page.cases);
    if (!page.next_cursor || page.cases.length === 0) break;
    cursor = page.next_cursor;
  }
  return out;
}

// Cached reference data (units, categories): fetched once per session.
let unitsCache: Promise<Unit[]> | null = null;
let catalogCache: Promise<Catalog> | null = null;
export function units(refresh = false): Promise<Unit[]> {
  if (!unitsCache || refresh) {
    unitsCache = get<{ units: Unit[] }>('/api/v1/units').then((r) => r.units);
    unitsCache.catch(() => { unitsCache = null; });
  }
  return unitsCache;
}
export function catalog(refresh = false): Promise<Catalog> {
  if (!catalogCache || refresh) {
    catalogCache = get<Catalog>('/api/v1/categories');
    catalogCache.catch(() => { catalogCache = null; });
  }
  return catalogCache;
}
export function resetCaches(): void {
  unitsCache = null;
  catalogCache = null;
}

// A photo needs the bearer header, so <img> gets an object URL of the fetched bytes.
const photoUrls = new Map<string, Promise<string>>();
export function photoUrl(hash: string): Promise<string> {
  let p = photoUrls.get(hash);
  if (!p) {
    p = fetch(`/api/v1/media/${hash}`, { headers: { Authorization: `Bearer ${token()}` } })
      .then((r) => {
        if (!r.ok) throw new Error(`photo ${hash}: ${r.status}`);
        return r.blob();
      })
      .then((b) => URL.createObjectURL(b));
    photoUrls.set(hash, p);
  }
  return p;
}
