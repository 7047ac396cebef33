// The signed-in demo: a header (connection state with the reconnect
// countdown, presence selector, unread badge) over four panels. On a phone
// the panels are tabs; on a wide screen they sit side by side.
import { useEffect, useState } from 'react';
import { useHerald } from 'herald-client/react';
import type { PresenceStatus } from 'herald-client';
import { getToken, type Session } from './session';
import { People } from './People';
import { Chat } from './Chat';
import { Posts } from './Posts';
import { Notifications } from './Notifications';

type Tab = 'people' | 'chat' | 'posts' | 'notifications';

export function App({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const herald = useHerald({ url: location.origin, getToken });
  const [tab, setTab] = useState<Tab>('people');
  const [chatWith, setChatWith] = useState<number | null>(null);
  const [openPost, setOpenPost] = useState<number | null>(null);
  const [presence, setPresence] = useState<PresenceStatus>('online');

  const openChat = (id: number) => {
    setChatWith(id);
    setTab('chat');
  };
  const showPost = (id: number) => {
    setOpenPost(id);
    setTab('posts');
  };

  return (
    <div className="app">
      <header>
        <div className="brand">
          <strong>Herald</strong>
          <span className="muted" data-testid="me">{session.username}</span>
        </div>
        <ConnectionBadge state={herald.state} />
        <select
          data-testid="presence-select"
          aria-label="Your status"
          value={presence}
          onChange={(e) => {
            const s = e.target.value as PresenceStatus;
            setPresence(s);
            herald.setPresence(s);
          }}
        >
          <option value="online">Online</option>
          <option value="away">Away</option>
          <option value="busy">Busy</option>
          <option value="offline">Invisible</option>
        </select>
        <button className="link" data-testid="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      <nav className="tabs">
        {(['people', 'chat', 'posts', 'notifications'] as Tab[]).map((t) => (
          <button key={t} data-testid={`tab-${t}`} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t === 'people' ? `People (${herald.onlineCount})` : t[0].toUpperCase() + t.slice(1)}
            {t === 'notifications' && herald.unreadCount > 0 && (
              <span className="badge" data-testid="unread-badge">
                {herald.unreadCount}
              </span>
            )}
          </button>
        ))}
      </nav>
      <div className="panels" data-tab={tab}>
        <section className="panel people">
          <People herald={herald} me={session.userId} onChat={openChat} />
        </section>
        <section className="panel chat">
          <Chat herald={herald} me={session.userId} partner={chatWith} onPick={setChatWith} />
        </section>
        <section className="panel posts">
          <Posts me={session.userId} open={openPost} onOpen={setOpenPost} refresh={herald.notifications.length} />
        </section>
        <section className="panel notifications">
          <Notifications herald={herald} onPost={showPost} onUser={openChat} />
        </section>
      </div>
    </div>
  );
}

function ConnectionBadge({ state }: { state: ReturnType<typeof useHerald>['state'] }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, []);
  let text: string;
  if (state.status === 'connected') text = 'Connected';
  else if (state.status === 'connecting') text = state.attempt > 0 ? `Reconnecting (attempt ${state.attempt + 1})…` : 'Connecting…';
  else if (state.status === 'disconnected' && state.willRetry && state.retryAt)
    text = `Offline, retrying in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))} s`;
  else if (state.status === 'disconnected') text = `Disconnected${state.reason ? `: ${state.reason}` : ''}`;
  else text = 'Idle';
  return (
    <span className={`conn ${state.status}`} data-testid="connection-state" data-status={state.status}>
      {text}
    </span>
  );
}
