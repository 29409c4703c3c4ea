import { useState } from 'preact/hooks';
import { describe, developmentToken, isLocalhost } from './api.js';
import { bilingual, t } from './i18n.js';

export function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  return (
    <section class="sign-in">
      <h1>{t('signIn')}</h1>
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
