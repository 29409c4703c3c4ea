import { useMemo, useState } from 'preact/hooks';
import { clientFor, forgetToken, savedToken, saveToken } from './api.js';
import { AlertsPage } from './alerts-page.js';
import { CustomerPage } from './customer-page.js';
import { CustomersPage } from './customers-page.js';
import { DocsPage } from './docs-page.js';
import { MarginsPage } from './margins-page.js';
import { t } from './i18n.js';
import { onLinkClick, useRoute } from './route.js';
import { customersUrl, customersViewOf, marginsUrl } from './view-state.js';
import { SignIn } from './sign-in.js';
import { useLoad } from './use-load.js';
import type { May } from './api.js';

/** Until the server says, nothing beyond reading is offered. */
const NOTHING_YET: May = { read: true, export: false, change: false };
const ROLE_LABEL = { admin: 'roleAdmin', analyst: 'roleAnalyst', viewer: 'roleViewer' } as const;

export function App() {
  const route = useRoute();
  const [token, setToken] = useState(savedToken);
  // One client per token: pages' effects depend on it.
  const pc = useMemo(() => (token ? clientFor(token) : undefined), [token]);
  // What the signed-in user may do (its role): the pages show only that.
  const [me] = useLoad(() => (pc ? pc.partnerUsage.me() : Promise.resolve(undefined)), [pc]);
  const may = me.state === 'ok' && me.value ? me.value.may : NOTHING_YET;
  const period = route.period;
  const nav = (href: string, label: string, current: boolean) => (
    <a href={href} onClick={onLinkClick} aria-current={current ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <a class="skip" href="#main">
        {t('skip')}
      </a>
      <header class="top">
        <span class="brand">{t('title')}</span>
        <nav aria-label="Main">
          {nav(customersUrl({ period }), t('customers'), route.page === 'customers' || route.page === 'customer')}
          {nav(marginsUrl({ period }), t('margins'), route.page === 'margins')}
          {nav('/alerts', t('alerts'), route.page === 'alerts')}
          {nav('/docs', t('apiReference'), route.page === 'docs')}
        </nav>
        {me.state === 'ok' && me.value && (
          <span class="who">
            {me.value.user ?? me.value.tenantId}
            {me.value.role && ` · ${t(ROLE_LABEL[me.value.role])}`}
          </span>
        )}
        {token && (
          <button
            type="button"
            class="link"
            onClick={() => {
              forgetToken();
              setToken(null);
            }}
          >
            {t('signOut')}
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'docs' ? (
          <DocsPage />
        ) : !pc ? (
          <SignIn
            onToken={(value) => {
              saveToken(value);
              setToken(value);
            }}
          />
        ) : route.page === 'customer' ? (
          <CustomerPage pc={pc} id={route.customerId!} period={period} may={may} />
        ) : route.page === 'margins' ? (
          <MarginsPage pc={pc} view={route.margins} />
        ) : route.page === 'alerts' ? (
          <AlertsPage pc={pc} may={may} />
        ) : (
          <CustomersPage pc={pc} view={customersViewOf(route)} may={may} />
        )}
      </main>
    </>
  );
}
