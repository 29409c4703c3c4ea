import { useState } from 'preact/hooks';
import type { PartnerCenter } from '../../src/sdk/partner-center.js';
import { describe, type May } from './api.js';
import { dateTime } from './format.js';
import { t } from './i18n.js';
import { useLoad } from './use-load.js';

/** Alerts, deliveries and webhook endpoints, over our extension's routes. */
export function AlertsPage({ pc, may }: { pc: PartnerCenter; may: May }) {
  const [alerts] = useLoad(() => pc.partnerUsage.alerts(), [pc]);
  const [deliveries, reload] = useLoad(() => pc.partnerUsage.deliveries(), [pc]);
  const [webhooks, reloadWebhooks] = useLoad(() => pc.partnerUsage.webhooks(), [pc]);
  const [url, setUrl] = useState('');
  const [created, setCreated] = useState<{ id: string; secret: string }>();
  const [error, setError] = useState<string>();
  const act = (work: Promise<unknown>) =>
    work.then(
      () => {
        setError(undefined);
        reloadWebhooks();
      },
      (e: unknown) => setError(describe(e)),
    );
  return (
    <>
      <h1>{t('alerts')}</h1>
      {alerts.state === 'ok' ? (
        <table aria-label={t('alerts')}>
          <thead>
            <tr>
              <th scope="col">{t('type')}</th>
              <th scope="col">{t('customers')}</th>
              <th scope="col">{t('period')}</th>
              <th scope="col">{t('raised')}</th>
            </tr>
          </thead>
          <tbody>
            {alerts.value.items.slice(0, 200).map((a) => {
              const data = a.data as { customer?: { name: string }; period?: string };
              return (
                <tr key={a.id}>
                  <td>{a.type}</td>
                  <td>{data.customer?.name}</td>
                  <td>{data.period}</td>
                  <td>{dateTime(a.timestamp)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p aria-busy={alerts.state === 'loading'}>{alerts.state === 'error' ? alerts.message : t('loading')}</p>
      )}
      <h2>{t('deliveries')}</h2>
      {deliveries.state === 'ok' ? (
        <table aria-label={t('deliveries')}>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">{t('channel')}</th>
              <th scope="col">{t('status')}</th>
              <th scope="col">{t('attempts')}</th>
              <th scope="col">{t('lastError')}</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {deliveries.value.items.slice(0, 200).map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>{d.channel}</td>
                <td>{d.status}</td>
                <td>{String(d.attempts)}</td>
                <td>{d.lastError}</td>
                <td>
                  {may.change && (
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => void pc.partnerUsage.replay(d.id).then(reload)}
                    >
                      {t('replay')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>{deliveries.state === 'error' ? deliveries.message : t('loading')}</p>
      )}
      <h2>{t('webhooks')}</h2>
      {webhooks.state === 'ok' && (
        <ul>
          {webhooks.value.items.map((w) => (
            <li key={w.id}>
              <code>{w.url}</code> — {w.enabled ? t('enabled') : t('disabled')} ({w.events.join(', ') || t('allEvents')}
              ){' '}
              {may.change && (
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Remove ${w.url}`}
                  onClick={() => void act(pc.partnerUsage.removeWebhook(w.id))}
                >
                  {t('remove')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {may.change && (
        <form
          class="budget"
          onSubmit={(e) => {
            e.preventDefault();
            void act(
              pc.partnerUsage.addWebhook(url.trim()).then((w) => {
                setCreated({ id: w.id, secret: w.secret ?? '' });
                setUrl('');
              }),
            );
          }}
        >
          <label for="webhook-url">{t('endpointUrl')}</label>
          <input id="webhook-url" type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
          <button type="submit">{t('addEndpoint')}</button>
        </form>
      )}
      {created && (
        <p role="status">
          {t('secretOnce', { id: created.id })} <code>{created.secret}</code>
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </>
  );
}
