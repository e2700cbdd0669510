// 综合评价: shown once the server offers GET /api/v1/evaluation (listed in its OpenAPI document);
// until then the page says so instead of computing figures of its own.
import { h } from '../dom';
import { t } from '../i18n';
import { get } from '../api';
import { loading, errorBox, errMsg } from '../ui';
import type { PageContext, Dispose } from '../main';

export function renderEvaluation(main: HTMLElement, _ctx: PageContext): Dispose {
  const body = h('section', { class: 'card' }, loading());
  main.append(h('div', { class: 'page-head' }, h('h1', null, t('evaluation'))), body);
  get<{ paths: Record<string, unknown> }>('/api/v1/openapi.json').then((doc) => {
    if (!doc.paths['/api/v1/evaluation']) {
      body.replaceChildren(h('p', { class: 'empty', 'data-testid': 'evaluation-unavailable' }, t('evalNotYet')));
      return;
    }
    body.replaceChildren(h('p', { class: 'empty' }, t('evalNotYet')));
  }).catch((e) => body.replaceChildren(errorBox(errMsg(e))));
}
