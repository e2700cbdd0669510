// Settings: the optional base-map tile URL (天地图 / 高德 / OSM templates; GCJ-02 handled).
import { h, option } from '../dom';
import { t } from '../i18n';
import { tileSettings, saveTileSettings, TILE_TEMPLATES } from '../map';
import { field, modal } from '../ui';

export function openSettings(onSaved: () => void): void {
  const s = tileSettings();
  const url = h('input', { type: 'url', value: s.url, placeholder: 'https://…/{z}/{x}/{y}.png', 'data-testid': 'tile-url' });
  const crs = h('select', null, option('wgs84', 'WGS84 / CGCS2000', s.crs === 'wgs84'), option('gcj02', 'GCJ-02', s.crs === 'gcj02'));
  const subdomains = h('input', { value: s.subdomains });
  const template = h('select', { onchange: () => {
    const tpl = TILE_TEMPLATES[Number(template.value)];
    if (tpl) { url.value = tpl.url; crs.value = tpl.crs; subdomains.value = tpl.subdomains; }
    else { url.value = ''; }
  } }, option('', t('noTiles')), TILE_TEMPLATES.map((tpl, i) => option(String(i), tpl.name)));
  let close = () => {};
  const form = h('form', { class: 'settings-form' },
    h('h3', null, t('tiles')), h('p', { class: 'hint' }, t('tileHint')),
    field('', template), field(t('tileUrl'), url, { wide: true }), field(t('tileCrs'), crs), field('{s}', subdomains),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'btn primary' }, t('save'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    saveTileSettings({ url: url.value.trim(), crs: crs.value === 'gcj02' ? 'gcj02' : 'wgs84', subdomains: subdomains.value.trim() || 'abc' });
    close();
    onSaved();
  });
  close = modal(t('settings'), form);
}
