import { t } from './i18n.js';
import { useLoad } from './use-load.js';

interface OpenApi {
  info: { title: string; version: string; description?: string };
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        description?: string;
        parameters?: { name: string; in: string; required?: boolean; description?: string }[];
      }
    >
  >;
}

/** The API reference, rendered from this server's own /openapi.json (no CDN, works offline). */
export function DocsPage() {
  const [doc] = useLoad(async () => (await (await fetch('/openapi.json')).json()) as OpenApi, []);
  if (doc.state !== 'ok') return <p aria-busy="true">{doc.state === 'error' ? doc.message : t('loading')}</p>;
  const d = doc.value;
  return (
    <>
      <h1>
        {t('apiReference')} — {d.info.title} {d.info.version}
      </h1>
      <p>
        <a href="/openapi.json">openapi.json</a>
      </p>
      {Object.entries(d.paths).map(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => (
          <section class="operation" key={`${method} ${path}`}>
            <h2>
              <span class="method">{method.toUpperCase()}</span> <code>{path}</code>
            </h2>
            <p>{op.summary}</p>
            {op.parameters && op.parameters.length > 0 && (
              <ul>
                {op.parameters.map((p) => (
                  <li key={p.name}>
                    <code>{p.name}</code> ({p.in}
                    {p.required ? ', required' : ''}) — {p.description}
                  </li>
                ))}
              </ul>
            )}
          </section>
        )),
      )}
    </>
  );
}
