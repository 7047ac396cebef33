// Entry: the login screen until this tab has a session, then the app.
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { Login } from './Login';
import { load, save, type Session } from './session';
import './styles.css';

function Root() {
  const [session, setSession] = useState<Session | null>(load);
  if (!session) return <Login onSession={setSession} />;
  return (
    <App
      session={session}
      onLogout={() => {
        save(null);
        setSession(null);
      }}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
