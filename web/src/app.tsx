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

export function App() {
  const route = useRoute();
  const [token, setToken] = useState(savedToken);
  // One client per token: pages' effects depend on it.
  const pc = useMemo(() => (token ? clientFor(token) : undefined), [token]);
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
          <CustomerPage pc={pc} id={route.customerId!} period={period} />
        ) : route.page === 'margins' ? (
          <MarginsPage pc={pc} view={route.margins} />
        ) : route.page === 'alerts' ? (
          <AlertsPage pc={pc} />
        ) : (
          <CustomersPage pc={pc} view={customersViewOf(route)} />
        )}
      </main>
    </>
  );
}
