import { useState } from 'preact/hooks';
import { describe, developmentToken, isLocalhost } from './api.js';
import { bilingual, t } from './i18n.js';
import { signInSettings, startSignIn } from './oidc.js';
import { useLoad } from './use-load.js';

/**
 * Signing in: with the configured OpenID provider ("Sign in with Microsoft"), or, for developers,
 * by pasting an access token (or asking this server for a development token on this machine).
 */
export function SignIn({ onToken, notice }: { onToken: (token: string) => void; notice?: string | undefined }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [provider] = useLoad(signInSettings, []);
  return (
    <section class="sign-in">
      <h1>{t('signIn')}</h1>
      {notice && (
        <p role="alert" class="error">
          {notice}
        </p>
      )}
      {provider.state === 'ok' && provider.value && (
        <p>
          <button
            type="button"
            onClick={() => {
              startSignIn(provider.value!).catch((e: unknown) => setError(describe(e)));
            }}
          >
            {`Sign in with ${provider.value.providerName}`}
          </button>
        </p>
      )}
      <p>{t('signInHelp')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label for="token">{bilingual('accessToken')}</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit">{bilingual('signIn')}</button>
      </form>
      {isLocalhost() && (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            developmentToken().then(onToken, (e: unknown) => setError(describe(e)));
          }}
        >
          {bilingual('devToken')}
        </button>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
