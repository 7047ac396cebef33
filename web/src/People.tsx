// Who is online (the SDK's presence map: live from user_status and
// presence, re-read from /online after each connect), with last seen, a
// follow button and a way into a chat. Users seen going offline stay in
// the list with their last-seen time.
import { useEffect, useState } from 'react';
import type { useHerald } from 'herald-client/react';
import { api } from './session';
import { useNames } from './names';
import { ago } from './time';

type Herald = ReturnType<typeof useHerald>;

export function People({ herald, me, onChat }: { herald: Herald; me: number; onChat: (id: number) => void }) {
  const name = useNames();
  const [following, setFollowing] = useState<Set<number>>(new Set());
  const [, tick] = useState(0);
  useEffect(() => {
    api.following(me, { limit: 100 }).then((p) => setFollowing(new Set(p.items.map((f) => f.id))), () => {});
    const t = setInterval(() => tick((n) => n + 1), 10000); // refreshes "last seen"
    return () => clearInterval(t);
  }, [me]);

  async function toggleFollow(id: number) {
    const next = new Set(following);
    if (following.has(id)) {
      await api.unfollow(id);
      next.delete(id);
    } else {
      await api.follow(id);
      next.add(id);
    }
    setFollowing(next);
  }

  const users = [...herald.presence.values()]
    .filter((u) => u.user_id !== me)
    .sort((a, b) => Number(b.online) - Number(a.online) || a.user_id - b.user_id);

  return (
    <>
      <h2>
        People <span className="muted" data-testid="online-count">{herald.onlineCount} online</span>
      </h2>
      {users.length === 0 && <p className="muted">Nobody else is here yet. Open a second window and sign in as someone else.</p>}
      <ul className="list">
        {users.map((u) => (
          <li key={u.user_id} data-testid={`user-${name(u.user_id)}`} data-online={u.online} data-status={u.status}>
            <span className={`dot ${u.online ? u.status : 'offline'}`} />
            <div className="grow">
              <div>{name(u.user_id)}</div>
              <div className="muted small" data-testid="user-status">
                {u.online ? u.status : `offline, last seen ${ago(u.last_seen)}`}
              </div>
            </div>
            <button className="secondary small" data-testid="follow" onClick={() => void toggleFollow(u.user_id)}>
              {following.has(u.user_id) ? 'Unfollow' : 'Follow'}
            </button>
            <button className="small" data-testid="chat" onClick={() => onChat(u.user_id)}>
              Chat
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
