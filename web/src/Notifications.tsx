// The notifications panel: newest first, unread ones marked, a click marks
// one read and follows its link (/posts/N or /users/N); "mark all read".
import type { NotificationData } from 'herald-client';
import type { useHerald } from 'herald-client/react';
import { ago } from './time';

type Herald = ReturnType<typeof useHerald>;

export function Notifications({ herald, onPost, onUser }: { herald: Herald; onPost: (id: number) => void; onUser: (id: number) => void }) {
  function open(n: NotificationData) {
    if (!n.read) void herald.markRead(n.id);
    const post = n.link?.match(/^\/posts\/(\d+)/);
    const user = n.link?.match(/^\/users\/(\d+)/);
    if (post) onPost(Number(post[1]));
    else if (user) onUser(Number(user[1]));
  }
  return (
    <>
      <h2>
        Notifications{' '}
        <span className="muted" data-testid="unread-count">
          {herald.unreadCount} unread
        </span>
      </h2>
      <button className="secondary small" data-testid="mark-all-read" disabled={herald.unreadCount === 0} onClick={() => void herald.markAllRead()}>
        Mark all read
      </button>
      {herald.notifications.length === 0 && <p className="muted">Nothing yet. Follow someone, like or comment on a post.</p>}
      <ul className="list">
        {herald.notifications.map((n) => (
          <li key={n.id} className={n.read ? 'read' : 'unread'} data-testid="notification" data-type={n.type} onClick={() => open(n)}>
            <div className="grow">
              <strong>{n.title}</strong>
              <div>{n.message}</div>
              <div className="muted small">{ago(n.created_at)}</div>
            </div>
            {!n.read && <span className="dot unread" title="unread" />}
          </li>
        ))}
      </ul>
    </>
  );
}
