import { useState } from 'preact/hooks';
import type { PartnerCenter } from '../../src/sdk/partner-center.js';
import { describe } from './api.js';
import { dateTime } from './format.js';
import { t } from './i18n.js';
import { useLoad } from './use-load.js';

/** Alerts, deliveries and webhook endpoints, over our extension's routes. */
export function AlertsPage({ pc }: { pc: PartnerCenter }) {
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
              <th scope="col">Type</th>
              <th scope="col">{t('customers')}</th>
              <th scope="col">{t('period')}</th>
              <th scope="col">Raised</th>
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
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
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
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => void pc.partnerUsage.replay(d.id).then(reload)}
                  >
                    Replay
                  </button>
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
              <code>{w.url}</code> — {w.enabled ? 'enabled' : 'disabled'} ({w.events.join(', ') || 'all events'}){' '}
              <button
                type="button"
                class="secondary"
                aria-label={`Remove ${w.url}`}
                onClick={() => void act(pc.partnerUsage.removeWebhook(w.id))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
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
        <label for="webhook-url">Endpoint URL</label>
        <input id="webhook-url" type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        <button type="submit">Add endpoint</button>
      </form>
      {created && (
        <p role="status">
          Endpoint <code>{created.id}</code> added. Its signing secret, shown once: <code>{created.secret}</code>
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
