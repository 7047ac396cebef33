// 1:1 chat: the conversation list (GET /conversations), the history of the
// open one (GET /messages/{id}) merged with live chats, a typing indicator
// both ways (typing with to_user_id), and sends that show at once and are
// marked pending until the server's ack (queued while offline).
import { useEffect, useRef, useState } from 'react';
import type { useHerald } from 'herald-client/react';
import type { Conversation } from 'herald-client';
import { api } from './session';
import { remember, useNames } from './names';
import { clock } from './time';

type Herald = ReturnType<typeof useHerald>;

export function Chat({ herald, me, partner, onPick }: { herald: Herald; me: number; partner: number | null; onPick: (id: number) => void }) {
  const name = useNames();
  const [list, setList] = useState<Conversation[]>([]);
  const [text, setText] = useState('');
  const typingSent = useRef(false);
  const stopTimer = useRef<ReturnType<typeof setTimeout>>();
  const bottom = useRef<HTMLDivElement>(null);

  const messages = partner ? herald.conversations[partner] ?? [] : [];
  useEffect(() => {
    api.conversations().then((p) => {
      p.items.forEach((c) => remember(c.user_id, c.username));
      setList(p.items);
    }, () => {});
  }, [herald.isConnected, messages.length]);
  useEffect(() => {
    if (partner && herald.isConnected) void herald.loadConversation(partner).catch(() => {});
  }, [partner, herald.isConnected]); // eslint-disable-line react-hooks/exhaustive-deps
  // Braces: newer Chromium returns a Promise from scrollIntoView, and an
  // effect must return nothing or a cleanup function.
  useEffect(() => {
    void bottom.current?.scrollIntoView({ block: 'end' });
  }, [messages.length]);

  function typing(on: boolean) {
    if (!partner || typingSent.current === on) return;
    typingSent.current = on;
    herald.setTyping(on, `dm:${Math.min(me, partner)}:${Math.max(me, partner)}`, partner);
  }

  function onInput(value: string) {
    setText(value);
    typing(value.length > 0);
    clearTimeout(stopTimer.current);
    stopTimer.current = setTimeout(() => typing(false), 4000);
  }

  function send() {
    const body = text.trim();
    if (!partner || !body) return;
    setText('');
    typing(false);
    void herald.sendChat(partner, body).catch(() => {});
  }

  const partners = new Set(list.map((c) => c.user_id));
  if (partner) partners.add(partner);
  const theyType = partner !== null && herald.typing[partner] !== undefined;

  return (
    <>
      <h2>Chat</h2>
      <div className="chips">
        {[...partners].map((id) => {
          const unread = list.find((c) => c.user_id === id)?.unread_count ?? 0;
          return (
            <button key={id} className={id === partner ? 'chip active' : 'chip'} onClick={() => onPick(id)} data-testid={`conv-${name(id)}`}>
              {name(id)}
              {unread > 0 && id !== partner && <span className="badge">{unread}</span>}
            </button>
          );
        })}
      </div>
      {!partner && <p className="muted">Pick someone in People to chat with.</p>}
      {partner && (
        <div className="conversation" data-testid="conversation">
          <div className="messages">
            {messages.map((m, i) => (
              <div key={m.id ?? m.client_msg_id ?? i} className={`bubble ${m.from_user_id === me ? 'mine' : 'theirs'}`} data-testid="chat-message">
                <span>{m.message}</span>
                <span className="meta">
                  {clock(m.timestamp)}
                  {m.pending && ' · sending'}
                  {m.failed && ` · failed: ${m.failed}`}
                </span>
              </div>
            ))}
            <div ref={bottom} />
          </div>
          <div className="typing" data-testid="typing-indicator">
            {theyType ? `${name(partner)} is typing…` : ''}
          </div>
          <form
            className="composer"
            onSubmit={(e) => {
              e.preventDefault();
              send();
            }}
          >
            <input
              data-testid="chat-input"
              value={text}
              placeholder={`Message ${name(partner)}`}
              onChange={(e) => onInput(e.target.value)}
              onBlur={() => typing(false)}
            />
            <button type="submit" data-testid="chat-send">
              Send
            </button>
          </form>
        </div>
      )}
    </>
  );
}
