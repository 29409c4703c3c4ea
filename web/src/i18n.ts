import { uiLocale } from './format.js';

/** The page's words in English, Korean and Traditional Chinese (the browser's language chooses). */
const en = {
  title: 'Azure spending',
  customers: 'Customers',
  alerts: 'Alerts',
  apiReference: 'API reference',
  signOut: 'Sign out',
  accessToken: 'Access token',
  signIn: 'Sign in',
  devToken: 'Use development token',
  signInHelp: 'Paste a Partner Center access token (App+User) for your partner tenant.',
  period: 'Period',
  search: 'Search customers',
  name: 'Name',
  plan: 'Plan',
  currency: 'Currency',
  spend: 'Month to date',
  spendUsd: 'Month to date (USD)',
  budget: 'Budget',
  percentUsed: '% used',
  forecast: 'Forecast',
  flags: 'Flags',
  lastUpdated: 'Last updated',
  overBudget: 'Over budget',
  trendingOver: 'Trending over',
  noBudget: 'No budget',
  anomaly: 'Anomaly',
  azurePlan: 'Azure plan',
  legacy: 'Legacy',
  allPlans: 'All plans',
  allCurrencies: 'All currencies',
  downloadCsv: 'Download CSV',
  previous: 'Previous',
  next: 'Next',
  loading: 'Loading…',
  empty: 'No customers match.',
  totals: 'Totals',
  estimated: 'Estimated; last import at {at}, covering days up to {day}.',
  setBudget: 'Set budget',
  clearBudget: 'Clear budget',
  save: 'Save',
  undo: 'Undo',
  selected: '{n} selected',
  bulkBudget: 'Budget for selected',
  subscriptions: 'Subscriptions',
  meters: 'Meters',
  resources: 'Resources',
  quantity: 'Quantity',
  unit: 'Unit',
  cost: 'Cost',
  daily: 'Daily spend, last 30 days',
  runningTotal: 'Running total against the budget',
  deliveries: 'Deliveries',
  webhooks: 'Webhook endpoints',
  retry: 'Try again',
  select: 'Select {name}',
  selectAll: 'Select all on this page',
  back: 'All customers',
} as const;

type Messages = Record<keyof typeof en, string>;

const ko: Partial<Messages> = {
  title: 'Azure 지출',
  customers: '고객',
  alerts: '알림',
  apiReference: 'API 참조',
  signOut: '로그아웃',
  accessToken: '액세스 토큰',
  signIn: '로그인',
  devToken: '개발용 토큰 사용',
  period: '기간',
  search: '고객 검색',
  name: '이름',
  plan: '플랜',
  currency: '통화',
  spend: '이번 달 사용액',
  spendUsd: '이번 달 사용액 (USD)',
  budget: '예산',
  percentUsed: '사용률',
  forecast: '예측',
  flags: '표시',
  lastUpdated: '마지막 업데이트',
  overBudget: '예산 초과',
  trendingOver: '초과 예상',
  noBudget: '예산 없음',
  anomaly: '이상',
  downloadCsv: 'CSV 다운로드',
  previous: '이전',
  next: '다음',
  loading: '불러오는 중…',
  empty: '일치하는 고객이 없습니다.',
  setBudget: '예산 설정',
  clearBudget: '예산 지우기',
  save: '저장',
  undo: '실행 취소',
  subscriptions: '구독',
  meters: '미터',
  resources: '리소스',
  back: '모든 고객',
};

const zhTW: Partial<Messages> = {
  title: 'Azure 支出',
  customers: '客戶',
  alerts: '警示',
  apiReference: 'API 參考',
  signOut: '登出',
  accessToken: '存取權杖',
  signIn: '登入',
  devToken: '使用開發權杖',
  period: '期間',
  search: '搜尋客戶',
  name: '名稱',
  plan: '方案',
  currency: '貨幣',
  spend: '本月至今',
  spendUsd: '本月至今 (USD)',
  budget: '預算',
  percentUsed: '已使用 %',
  forecast: '預測',
  flags: '標記',
  lastUpdated: '上次更新',
  overBudget: '超出預算',
  trendingOver: '預計超出',
  noBudget: '無預算',
  anomaly: '異常',
  downloadCsv: '下載 CSV',
  previous: '上一頁',
  next: '下一頁',
  loading: '載入中…',
  empty: '沒有符合的客戶。',
  setBudget: '設定預算',
  clearBudget: '清除預算',
  save: '儲存',
  undo: '復原',
  subscriptions: '訂閱',
  meters: '計量',
  resources: '資源',
  back: '所有客戶',
};

function messages(): Messages {
  const lang = uiLocale().toLowerCase();
  const extra = lang.startsWith('ko') ? ko : lang.startsWith('zh') ? zhTW : {};
  return { ...en, ...extra };
}

const m = messages();

/** A message, its {placeholders} filled. */
export function t(key: keyof typeof en, values: Record<string, string | number> = {}): string {
  return m[key].replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
}

/**
 * Accessible names others' tests rely on (issue #14: the "Customers" table, the "Search customers"
 * box, "Access token", "Sign in", "Use development token"): English in every language, so that a
 * test written once works in any browser locale. The visible text beside them is translated.
 */
export const stableName = (key: 'customers' | 'search' | 'accessToken' | 'signIn' | 'devToken'): string => en[key];

/** A stable name with its translation after it where the page is in another language. */
export function bilingual(key: Parameters<typeof stableName>[0]): string {
  const local = t(key);
  return local === en[key] ? local : `${en[key]} (${local})`;
}
