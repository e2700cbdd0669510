// Chinese by default, English on request; the choice is kept in localStorage.
export type Lang = 'zh' | 'en';

const zh: Record<string, string> = {
  app: '城市网格化管理', appShort: 'citygrid', login: '登录', logout: '退出', username: '用户名',
  password: '密码', signIn: '登录', signingIn: '正在登录…', language: 'English', langName: '中文',
  command: '指挥中心', cases: '案卷', inbox: '待办', report: '上报', admin: '系统管理',
  evaluation: '综合评价', settings: '设置', loading: '加载中…', empty: '暂无数据',
  required: '必填', save: '保存', cancel: '取消', submit: '提交', back: '返回', edit: '编辑',
  create: '新建', delete: '删除', search: '搜索', reset: '重置', apply: '查询', close: '关闭',
  prev: '上一页', next: '下一页', page: '第 {n} 页', all: '全部', yes: '是', no: '否',
  kpiNew: '今日新增', kpiRegistered: '今日立案', kpiDispatched: '今日派遣', kpiOverdue: '超期案卷',
  kpiClosed: '今日结案', heat: '热力图', clusters: '案卷点位', grids: '单元网格',
  subdistricts: '街道', communities: '社区', roads: '道路', liveFeed: '实时动态',
  liveConnected: '实时连接', liveOffline: '连接中断', noLive: '等待案卷动态…',
  inView: '地图范围内的案卷', inViewCount: '共 {n} 件，列出最新 {m} 件', inViewNone: '地图范围内没有案卷',
  showOnMap: '在地图上显示 {c}', locate: '定位',
  // What an API error's code means, before the server's (English) sentence; Chinese only: the
  // English console shows the server's sentence alone (ui.ts errMsg, login.ts).
  errInvalidArgument: '输入有误', errNotFound: '未找到', errAlreadyExists: '已存在',
  errFailedPrecondition: '当前状态不允许此操作', errAborted: '数据已被他人更新，请刷新后重试',
  errUnauthenticated: '未登录或登录已失效', errPermissionDenied: '无权执行此操作',
  errResourceExhausted: '超出限制', errUnavailable: '服务暂不可用，请稍后重试', errInternal: '服务器内部错误',
  errNetwork: '网络连接失败', loginRefused: '用户名或密码错误',
  number: '案卷编号', state: '状态', category: '类别', unit: '责任单位', subdistrict: '街道',
  community: '社区', grid: '网格', road: '道路', roadChief: '路长', channel: '来源', confidence: '识别置信度',
  description: '问题描述', address: '地址', createdAt: '上报时间', updatedAt: '更新时间',
  deadline: '阶段时限', handleDeadline: '处置时限', overdue: '超期', overdueOnly: '仅超期',
  stage: '阶段', reporter: '上报人', photos: '照片', timeline: '办理过程', actions: '可办理操作',
  noActions: '当前无可办理操作', q: '关键字', from: '起始日期', to: '截止日期', sort: '排序',
  sortCreatedDesc: '上报时间 ↓', sortCreatedAsc: '上报时间 ↑', sortDeadline: '时限 ↑',
  sortUpdated: '更新时间 ↓', perPage: '每页', filters: '筛选', results: '共 {n} 条（本页）',
  suggestedUnit: '建议单位（路由）', routedUnit: '路由单位', override: '改派其他单位',
  valid: '有效', invalid: '无效', note: '备注', reason: '原因', result: '处理结果',
  until: '延期至', into: '合并到案卷', condition: '立案条件/时限', feedbackPhotos: '处置照片',
  counters: '返工/回退/督办', version: '版本', at: '时间', who: '办理人', payload: '内容',
  openCase: '查看', myUnit: '本单位', dueIn: '剩余', overdueBy: '已超期', noDeadline: '无时限',
  locateMe: '定位我', tapMap: '点击地图选择位置', picked: '已选位置', majorClass: '大类',
  categorySearch: '搜索类别（名称或代码）', attach: '拍照/添加照片', tasksNear: '附近待办任务',
  reportDone: '上报成功：{n}', distance: '距离', mustPickPlace: '请先在地图上选择位置或定位',
  mustPickCategory: '请选择类别', mustDescribe: '请填写问题描述', geoFailed: '无法获取位置：{m}',
  users: '用户', units: '单位', categories: '类别', routingRules: '路由规则', displayName: '姓名',
  role: '角色', disabled: '停用', newPassword: '新密码（至少8位）', code: '代码', name: '名称',
  kind: '类型', type: '单位类别', scope: '范围', scopeId: '范围编码', id: '规则编号',
  public: '公众可报', deadlines: '时限', kindComponent: '部件', kindEvent: '事件',
  streetOffice: '街道', department: '专业部门', saved: '已保存', confirmDelete: '确定删除 {n}？',
  tiles: '底图瓦片', tileUrl: '瓦片地址模板', tileCrs: '瓦片坐标系', noTiles: '无底图（仅显示辖区边界）',
  tileHint: '无网络时留空，地图只绘制本区街道、社区、网格和道路。高德瓦片为 GCJ-02，地图会自动偏移。',
  ranking: '排名', exportCsv: '导出 CSV', exportXlsx: '导出 XLSX', evalNotYet: '综合评价接口尚未提供',
  detail: '案卷详情', map: '地图', user: '用户', notFound: '页面不存在', error: '错误',
  refresh: '刷新', newReport: '受理登记', reporterName: '上报人姓名', reporterPhone: '联系电话',
  lonlat: '经纬度', none: '无', selectUnit: '选择单位', legend: '图例', liveUpdated: '已更新',
  minutes: '{n} 分钟', hours: '{n} 小时', days: '{n} 天', skipToMain: '跳到主要内容',
  menu: '菜单', sessionExpired: '登录已过期，请重新登录', requiredField: '请填写：{f}',
  passwordShort: '密码至少 8 位', ok: '确定', tasks: '我的待办', nearestFirst: '由近到远',
  stateOpen: '在办', terminal: '已办结', rate: '率', score: '综合得分', trend: '趋势',
  ledgers: '台账', byUnit: '按单位', createdOn: '创建时间', useCenter: '使用地图中心', groupBy: '分组', bySubdistrict: '按街道', byCategory: '按类别', window: '统计区间',
};

const en: Record<string, string> = {
  app: 'Grid City Management', appShort: 'citygrid', login: 'Sign in', logout: 'Sign out',
  username: 'Username', password: 'Password', signIn: 'Sign in', signingIn: 'Signing in…',
  language: '中文', langName: 'English', command: 'Command center', cases: 'Cases',
  inbox: 'Inbox', report: 'Report', admin: 'Admin', evaluation: 'Evaluation',
  settings: 'Settings', loading: 'Loading…', empty: 'Nothing here', required: 'required',
  save: 'Save', cancel: 'Cancel', submit: 'Submit', back: 'Back', edit: 'Edit', create: 'New',
  delete: 'Delete', search: 'Search', reset: 'Reset', apply: 'Apply', close: 'Close',
  prev: 'Previous', next: 'Next', page: 'Page {n}', all: 'All', yes: 'Yes', no: 'No',
  kpiNew: 'New today', kpiRegistered: 'Registered today', kpiDispatched: 'Dispatched today',
  kpiOverdue: 'Overdue', kpiClosed: 'Closed today', heat: 'Heat map', clusters: 'Cases',
  grids: 'Unit grids', subdistricts: 'Sub-districts', communities: 'Communities', roads: 'Roads',
  liveFeed: 'Live feed', liveConnected: 'Live', liveOffline: 'Disconnected',
  inView: 'Cases in view', inViewCount: '{n} in view, the newest {m} listed', inViewNone: 'No case in view',
  showOnMap: 'Show {c} on the map', locate: 'Locate',
  noLive: 'Waiting for case changes…', number: 'Case number', state: 'State',
  category: 'Category', unit: 'Unit', subdistrict: 'Sub-district', community: 'Community',
  grid: 'Grid', road: 'Road', roadChief: 'Road chief', channel: 'Channel', confidence: 'Detector confidence',
  description: 'Description', address: 'Address', createdAt: 'Reported', updatedAt: 'Updated',
  deadline: 'Stage deadline', handleDeadline: 'Handling deadline', overdue: 'Overdue',
  overdueOnly: 'Overdue only', stage: 'Stage', reporter: 'Reporter', photos: 'Photos',
  timeline: 'Timeline', actions: 'Available actions', noActions: 'No action available now',
  q: 'Text', from: 'From', to: 'To', sort: 'Sort', sortCreatedDesc: 'Newest first',
  sortCreatedAsc: 'Oldest first', sortDeadline: 'Deadline first', sortUpdated: 'Recently updated',
  perPage: 'Per page', filters: 'Filters', results: '{n} on this page',
  suggestedUnit: 'Suggested unit (routing)', routedUnit: 'Routed unit',
  override: 'Dispatch to another unit', valid: 'Valid', invalid: 'Invalid', note: 'Note',
  reason: 'Reason', result: 'Result', until: 'Postpone until', into: 'Merge into case',
  condition: 'Condition / deadline row', feedbackPhotos: 'Photos of the fix',
  counters: 'Rework / returns / supervisions', version: 'Version', at: 'When', who: 'Who',
  payload: 'Details', openCase: 'Open', myUnit: 'My unit', dueIn: 'Due in',
  overdueBy: 'Overdue by', noDeadline: 'No deadline', locateMe: 'Locate me',
  tapMap: 'Tap the map to choose the place', picked: 'Chosen place', majorClass: 'Major class',
  categorySearch: 'Search categories (name or code)', attach: 'Take / attach photos',
  tasksNear: 'Tasks near me', reportDone: 'Reported: {n}', distance: 'Distance',
  mustPickPlace: 'Choose the place on the map or locate yourself first',
  mustPickCategory: 'Choose a category', mustDescribe: 'Describe the problem',
  geoFailed: 'Cannot get the position: {m}', users: 'Users', units: 'Units',
  categories: 'Categories', routingRules: 'Routing rules', displayName: 'Name', role: 'Role',
  disabled: 'Disabled', newPassword: 'New password (8+)', code: 'Code', name: 'Name',
  kind: 'Kind', type: 'Type', scope: 'Scope', scopeId: 'Scope code', id: 'Rule id',
  public: 'Public', deadlines: 'Deadlines', kindComponent: 'Component', kindEvent: 'Event',
  streetOffice: 'Street office', department: 'Department', saved: 'Saved',
  confirmDelete: 'Delete {n}?', tiles: 'Base map tiles', tileUrl: 'Tile URL template',
  tileCrs: 'Tile coordinates', noTiles: 'No tiles (district boundaries only)',
  tileHint: 'Leave empty offline: the map draws the district\'s sub-districts, communities, grids and roads. Amap tiles are GCJ-02; the overlays are shifted to match.',
  ranking: 'Ranking', exportCsv: 'Export CSV', exportXlsx: 'Export XLSX',
  evalNotYet: 'The evaluation API is not available yet', detail: 'Case detail', map: 'Map',
  user: 'User', notFound: 'Page not found', error: 'Error', refresh: 'Refresh',
  newReport: 'Record a report', reporterName: 'Reporter name', reporterPhone: 'Phone',
  lonlat: 'Lon/lat', none: 'None', selectUnit: 'Choose a unit', legend: 'Legend',
  liveUpdated: 'updated', minutes: '{n} min', hours: '{n} h', days: '{n} d',
  skipToMain: 'Skip to main content', menu: 'Menu',
  sessionExpired: 'Your session expired; please sign in again',
  requiredField: 'Please fill in: {f}', passwordShort: 'Passwords have at least 8 characters',
  ok: 'OK', tasks: 'My tasks', nearestFirst: 'nearest first', stateOpen: 'Open',
  ledgers: 'Ledgers', terminal: 'Finished', rate: 'rate', score: 'Score', trend: 'Trend', byUnit: 'By unit', createdOn: 'Created', useCenter: 'Use the map centre', groupBy: 'Group by',
  bySubdistrict: 'By sub-district', byCategory: 'By category', window: 'Window',
};

const states: Record<Lang, Record<string, string>> = {
  zh: {
    reported: '待核实', pending: '待立案', invalid: '无效', registered: '待派遣',
    not_registered: '不予立案', dispatched: '已派遣', handling: '处置中', suspended: '挂账',
    checking: '待核查', checked: '待结案', closed: '已结案', cancelled: '已作废', merged: '已合并',
  },
  en: {
    reported: 'Reported', pending: 'Pending', invalid: 'Invalid', registered: 'Registered',
    not_registered: 'Not registered', dispatched: 'Dispatched', handling: 'Handling',
    suspended: 'Suspended', checking: 'Checking', checked: 'Checked', closed: 'Closed',
    cancelled: 'Cancelled', merged: 'Merged',
  },
};

const actions: Record<Lang, Record<string, string>> = {
  zh: {
    verify: '核实', register: '立案', reject: '不予立案', dispatch: '派遣', accept: '签收',
    return: '回退', postpone_request: '申请延期', postpone_approve: '批准延期',
    postpone_deny: '驳回延期', suspend: '挂账', resume: '恢复处置', feedback: '处理反馈',
    check_pass: '核查通过', check_fail: '核查不通过', close: '结案', cancel: '作废',
    merge: '合并', supervise: '督办', comment: '备注', created: '上报', overdue: '超期',
    photo_added: '补充照片',
  },
  en: {
    verify: 'Verify', register: 'Register', reject: 'Reject', dispatch: 'Dispatch',
    accept: 'Accept', return: 'Return', postpone_request: 'Request postponement',
    postpone_approve: 'Approve postponement', postpone_deny: 'Deny postponement',
    suspend: 'Suspend', resume: 'Resume', feedback: 'Report back', check_pass: 'Check: pass',
    check_fail: 'Check: fail', close: 'Close', cancel: 'Cancel case', merge: 'Merge',
    supervise: 'Supervise', comment: 'Comment', created: 'Reported', overdue: 'Overdue',
    photo_added: 'Photos added',
  },
};

const roles: Record<Lang, Record<string, string>> = {
  zh: {
    inspector: '监督员', operator: '受理员', dispatcher: '派遣员', handler: '处置人员',
    leader: '领导', admin: '管理员', system: '系统', citizen: '公众',
  },
  en: {
    inspector: 'Inspector', operator: 'Operator', dispatcher: 'Dispatcher', handler: 'Handler',
    leader: 'Leader', admin: 'Admin', system: 'System', citizen: 'Citizen',
  },
};

const channels: Record<Lang, Record<string, string>> = {
  zh: {
    inspector: '监督员上报', public: '公众举报', hotline: '12345热线', open311: 'Open311',
    video_ai: '视频智能识别', leader: '领导交办', media: '媒体曝光',
  },
  en: {
    inspector: 'Inspector', public: 'Public', hotline: '12345 hotline', open311: 'Open311',
    video_ai: 'Video AI', leader: 'Leader', media: 'Media',
  },
};

const stages: Record<Lang, Record<string, string>> = {
  zh: { verify: '核实', register: '立案', dispatch: '派遣', handle: '处置', check: '核查', none: '—' },
  en: { verify: 'Verify', register: 'Register', dispatch: 'Dispatch', handle: 'Handle', check: 'Check', none: '—' },
};

// Pages with many strings of their own (the ledger pages: pages/ledger_i18n.ts) add them here.
export function addStrings(zhMore: Record<string, string>, enMore: Record<string, string>): void {
  Object.assign(zh, zhMore);
  Object.assign(en, enMore);
}

let lang: Lang = (localStorage.getItem('cg.lang') as Lang) === 'en' ? 'en' : 'zh';

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('cg.lang', next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

export function t(key: string, vars: Record<string, string | number> = {}): string {
  let text = (lang === 'zh' ? zh : en)[key] ?? zh[key] ?? key;
  for (const [k, v] of Object.entries(vars)) text = text.replace(`{${k}}`, String(v));
  return text;
}

export const stateName = (s: string) => states[lang][s] ?? s;
export const actionName = (a: string) => actions[lang][a] ?? a;
export const roleName = (r: string) => roles[lang][r] ?? r;
export const channelName = (c: string) => channels[lang][c] ?? c;
export const stageName = (s: string) => stages[lang][s] ?? s;

export const ALL_STATES = Object.keys(states.zh);
export const OPEN_STATES = ['reported', 'pending', 'registered', 'dispatched', 'handling',
  'suspended', 'checking', 'checked'];
export const CHANNELS = Object.keys(channels.zh);

// Colours per state: the map, the legend and the badges use the same.
export const STATE_COLORS: Record<string, string> = {
  reported: '#e6550d', pending: '#fd8d3c', registered: '#f0b400', dispatched: '#3182bd',
  handling: '#08519c', suspended: '#756bb1', checking: '#31a354', checked: '#74c476',
  closed: '#7f8c8d', invalid: '#bdbdbd', not_registered: '#bdbdbd', cancelled: '#bdbdbd',
  merged: '#bdbdbd',
};
