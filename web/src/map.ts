// The district map: Leaflet on a canvas renderer, drawing the district's own sub-districts,
// communities, unit grids and roads from the API, with an optional base-map tile URL (settings).
import L from './leaflet-global';
import 'leaflet/dist/leaflet.css';
import { get } from './api';
import { t } from './i18n';
import { wgsToGcj, gcjToWgs } from './gcj';

export interface TileSettings { url: string; crs: 'wgs84' | 'gcj02'; subdomains: string }

export const TILE_TEMPLATES: { name: string; url: string; crs: 'wgs84' | 'gcj02'; subdomains: string }[] = [
  { name: '天地图 Tianditu (vec_w, CGCS2000≈WGS84; needs tk)', crs: 'wgs84', subdomains: '01234567',
    url: 'https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=YOUR_KEY' },
  { name: '高德 Amap (GCJ-02)', crs: 'gcj02', subdomains: '1234',
    url: 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}' },
  { name: 'OpenStreetMap (WGS84)', crs: 'wgs84', subdomains: 'abc',
    url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png' },
];

export function tileSettings(): TileSettings {
  try {
    const s = JSON.parse(localStorage.getItem('cg.tiles') ?? 'null') as TileSettings | null;
    if (s && typeof s.url === 'string') return { url: s.url, crs: s.crs === 'gcj02' ? 'gcj02' : 'wgs84', subdomains: s.subdomains || 'abc' };
  } catch { /* fall through */ }
  return { url: '', crs: 'wgs84', subdomains: 'abc' };
}

export function saveTileSettings(s: TileSettings): void {
  localStorage.setItem('cg.tiles', JSON.stringify(s));
}

// Stored (WGS84) → drawn position, shifted when the tiles are GCJ-02.
export function toMap(lat: number, lon: number): L.LatLng {
  if (tileSettings().url && tileSettings().crs === 'gcj02') {
    const [a, b] = wgsToGcj(lat, lon);
    return L.latLng(a, b);
  }
  return L.latLng(lat, lon);
}

// A drawn position (a tap) → the WGS84 point the API stores.
export function fromMap(p: L.LatLng): { lat: number; lon: number } {
  if (tileSettings().url && tileSettings().crs === 'gcj02') {
    const [a, b] = gcjToWgs(p.lat, p.lng);
    return { lat: a, lon: b };
  }
  return { lat: p.lat, lon: p.lng };
}

type Fc = GeoJSON.FeatureCollection & { bbox?: number[] };
const layerCache = new Map<string, Promise<Fc>>();
export function geographyLayer(name: string): Promise<Fc> {
  let p = layerCache.get(name);
  if (!p) {
    p = get<Fc>(`/api/v1/geography/${name}`);
    p.catch(() => layerCache.delete(name));
    layerCache.set(name, p);
  }
  return p;
}

export interface DistrictMap {
  map: L.Map;
  renderer: L.Renderer;
  ready: Promise<void>;
  layers: Record<string, L.GeoJSON>;
  alive: () => boolean;  // false once map.remove() ran (a page left before the data came)
}

export interface MapOptions {
  grids?: boolean;        // draw unit grids (default true)
  communities?: boolean;  // default true
  roads?: boolean;        // default true
  labels?: boolean;       // sub-district names (default true)
  control?: boolean;      // layer switcher (default true)
  interactive?: boolean;  // grid/road tooltips; false leaves every click to the map (default true)
}

export function districtMap(container: HTMLElement, opts: MapOptions = {}): DistrictMap {
  const renderer = L.canvas({ padding: 0.3 });
  const map = L.map(container, { preferCanvas: true, renderer, zoomSnap: 0.25, attributionControl: true, maxZoom: 19, minZoom: 10 });
  map.attributionControl.setPrefix('');
  map.setView([34.73, 113.64], 13);
  const tiles = tileSettings();
  if (tiles.url) {
    L.tileLayer(tiles.url, { subdomains: tiles.subdomains, maxZoom: 18, attribution: '' }).addTo(map);
  }
  const coordsToLatLng = (c: number[]) => toMap(c[1], c[0]);
  const layers: Record<string, L.GeoJSON> = {};
  let alive = true;
  map.on('unload', () => { alive = false; });
  const ready = (async () => {
    const wanted: [string, boolean][] = [
      ['subdistricts', true],
      ['communities', opts.communities !== false],
      ['grids', opts.grids !== false],
      ['roads', opts.roads !== false],
    ];
    const data = await Promise.all(wanted.map(([n, on]) => (on ? geographyLayer(n) : Promise.resolve(null))));
    if (!alive) return;
    const styles: Record<string, L.PathOptions> = {
      grids: { color: '#5b8db8', weight: 0.6, opacity: 0.7, fillColor: '#cfe3f5', fillOpacity: 0.25 },
      communities: { color: '#2c6aa0', weight: 1.2, opacity: 0.8, fill: false },
      subdistricts: { color: '#0f3d6e', weight: 2.5, opacity: 0.95, fill: false },
      roads: { color: '#b5651d', weight: 2, opacity: 0.8 },
    };
    const order = ['grids', 'communities', 'roads', 'subdistricts'];
    for (const name of order) {
      const fc = data[wanted.findIndex(([n]) => n === name)];
      if (!fc) continue;
      const layer = L.geoJSON(fc, {
        style: () => ({ ...styles[name], renderer }),
        coordsToLatLng: coordsToLatLng as (c: [number, number]) => L.LatLng,
        interactive: opts.interactive !== false && (name === 'roads' || name === 'grids'),
        onEachFeature: (f, l) => {
          const p = f.properties as Record<string, unknown>;
          if (name === 'grids') l.bindTooltip(`${t('grid')} ${p.code}`, { sticky: true });
          if (name === 'roads') {
            const chief = p.chief as { name?: string } | undefined;
            l.bindTooltip(`${p.name}${chief?.name ? ` · ${t('roadChief')} ${chief.name}` : ''}`, { sticky: true });
          }
          if (name === 'subdistricts' && opts.labels !== false) {
            l.bindTooltip(String(p.name ?? ''), { permanent: true, direction: 'center', className: 'sd-label' });
          }
        },
      });
      layer.addTo(map);
      layers[name] = layer;
    }
    const sd = data[0];
    if (sd?.bbox && sd.bbox.length === 4) {
      const [minLon, minLat, maxLon, maxLat] = sd.bbox;
      map.invalidateSize({ animate: false });
      map.fitBounds(L.latLngBounds(toMap(minLat, minLon), toMap(maxLat, maxLon)), { padding: [8, 8], animate: false });
    }
    if (opts.control !== false) {
      const overlays: Record<string, L.Layer> = {};
      for (const name of ['subdistricts', 'communities', 'grids', 'roads']) {
        if (layers[name]) overlays[t(name)] = layers[name];
      }
      L.control.layers(undefined, overlays, { collapsed: true, position: 'topright' }).addTo(map);
    }
    container.dataset.grids = String(layers.grids?.getLayers().length ?? 0);
  })();
  return { map, renderer, ready, layers, alive: () => alive };
}
