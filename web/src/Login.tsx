// Register and log in (PROTOCOL.md 6.2).
import { useState } from 'react';
import { HeraldApiError } from 'herald-client';
import { api, login, type Session } from './session';

export function Login({ onSession }: { onSession: (s: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(register: boolean) {
    setBusy(true);
    setError('');
    try {
      if (register) await api.register(username, password);
      onSession(await login(username, password));
    } catch (e) {
      const d = e instanceof HeraldApiError ? e.detail : String(e);
      setError(typeof d === 'string' ? d : Array.isArray(d) ? d.map((x: any) => x.msg).join('; ') : JSON.stringify(d));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <h1>Herald</h1>
      <p className="muted">Real-time notifications, presence, typing and chat.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
      >
        <label>
          Username
          <input data-testid="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Password (8+ characters)
          <input data-testid="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
        </label>
        {error && <p className="error" data-testid="login-error">{error}</p>}
        <div className="row">
          <button type="submit" data-testid="login" disabled={busy}>Log in</button>
          <button type="button" data-testid="register" className="secondary" disabled={busy} onClick={() => void run(true)}>
            Register
          </button>
        </div>
      </form>
    </main>
  );
}
