import { useEffect, useMemo, useState } from 'preact/hooks';
import { clientFor, describe, forgetToken, savedToken, saveToken } from './api.js';
import { CALLBACK_PATH, completeSignIn, expiryOf } from './oidc.js';
import { AlertsPage } from './alerts-page.js';
import { CustomerPage } from './customer-page.js';
import { CustomersPage } from './customers-page.js';
import { DocsPage } from './docs-page.js';
import { MarginsPage } from './margins-page.js';
import { t } from './i18n.js';
import { navigate, onLinkClick, useRoute } from './route.js';
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
  // Why the sign-in screen shows: a session that expired, a sign-in that failed.
  const [notice, setNotice] = useState<string>();
  // Back from the provider: the code in the URL for a token (then the URL is the plain root again).
  useEffect(() => {
    if (window.location.pathname !== CALLBACK_PATH) return;
    completeSignIn().then(
      (value) => {
        saveToken(value);
        setToken(value);
        navigate('/', true);
      },
      (error: unknown) => {
        setNotice(describe(error));
        navigate('/', true);
      },
    );
  }, []);
  // A token that expires signs the user out, saying so (no call fails half-way with a 401).
  useEffect(() => {
    const expires = token ? expiryOf(token) : undefined;
    if (expires === undefined) return;
    const timer = setTimeout(
      () => {
        forgetToken();
        setToken(null);
        setNotice(t('sessionExpired'));
      },
      Math.max(0, expires - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [token]);
  // One client per token: pages' effects depend on it.
  const pc = useMemo(() => (token ? clientFor(token) : undefined), [token]);
  // What the signed-in user may do (its role): the pages show only that.
  const [me] = useLoad(() => (pc ? pc.partnerUsage.me() : Promise.resolve(undefined)), [pc]);
  const may = me.state === 'ok' && me.value ? me.value.may : NOTHING_YET;
  // A customer's or reseller's user (an access grant): its scope at prices, none of the partner's screens.
  const grant = me.state === 'ok' && me.value ? me.value.grant : null;
  const priced = grant !== null;
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
          {!priced && nav(marginsUrl({ period }), t('margins'), route.page === 'margins')}
          {!priced && nav('/alerts', t('alerts'), route.page === 'alerts')}
          {nav('/docs', t('apiReference'), route.page === 'docs')}
        </nav>
        {me.state === 'ok' && me.value && (
          <span class="who">
            {me.value.user ?? me.value.tenantId}
            {me.value.role && ` · ${t(ROLE_LABEL[me.value.role])}`}
            {grant?.customer && ` · ${t('customerView')}`}
            {grant?.reseller && ` · ${t('resellerView', { id: grant.reseller })}`}
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
            notice={notice}
            onToken={(value) => {
              saveToken(value);
              setToken(value);
              setNotice(undefined);
            }}
          />
        ) : route.page === 'customer' || (grant?.customer && route.page === 'customers') ? (
          // A customer's own user lands on its own page.
          <CustomerPage pc={pc} id={route.customerId ?? grant!.customer!} period={period} may={may} priced={priced} />
        ) : priced && (route.page === 'margins' || route.page === 'alerts') ? (
          <p role="alert" class="error">
            {t('notYours')}
          </p>
        ) : route.page === 'margins' ? (
          <MarginsPage pc={pc} view={route.margins} />
        ) : route.page === 'alerts' ? (
          <AlertsPage pc={pc} may={may} />
        ) : (
          <CustomersPage pc={pc} view={customersViewOf(route)} may={may} priced={priced} />
        )}
      </main>
    </>
  );
}
