// Posts, likes and comments (PROTOCOL.md 6.3), so every notification type
// can be raised by hand: a post mentioning @someone (mention), a like
// (new_like), a comment (new_comment) and a reply (comment_reply). Herald
// has no feed endpoint, so the panel lists your own posts and any post
// opened by number or from a notification.
import { useEffect, useState } from 'react';
import type { Comment, Post } from 'herald-client';
import { api } from './session';
import { useNames } from './names';
import { ago } from './time';

const MINE = 'herald-demo-posts';

// `refresh` changes when a notification arrives (a like or comment on an
// open post shows without a reload).
export function Posts({ me, open, onOpen, refresh }: { me: number; open: number | null; onOpen: (id: number | null) => void; refresh: number }) {
  const [content, setContent] = useState('');
  const [mine, setMine] = useState<number[]>(() => JSON.parse(sessionStorage.getItem(`${MINE}-${me}`) ?? '[]'));
  const [goTo, setGoTo] = useState('');

  async function create() {
    if (!content.trim()) return;
    const post = await api.createPost(content.trim());
    const next = [post.id, ...mine];
    sessionStorage.setItem(`${MINE}-${me}`, JSON.stringify(next));
    setMine(next);
    setContent('');
    onOpen(post.id);
  }

  return (
    <>
      <h2>Posts</h2>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <input data-testid="post-input" value={content} placeholder="Write a post; @name mentions someone" onChange={(e) => setContent(e.target.value)} />
        <button type="submit" data-testid="post-submit">
          Post
        </button>
      </form>
      <form
        className="row small"
        onSubmit={(e) => {
          e.preventDefault();
          if (Number(goTo) > 0) onOpen(Number(goTo));
        }}
      >
        <input value={goTo} onChange={(e) => setGoTo(e.target.value)} placeholder="Open post #" inputMode="numeric" />
        <button className="secondary small">Open</button>
      </form>
      {open !== null && <PostView key={open} id={open} refresh={refresh} />}
      {mine.length > 0 && (
        <>
          <h3>Your posts</h3>
          <ul className="list">
            {mine.map((id) => (
              <li key={id}>
                <button className="link" onClick={() => onOpen(id)}>
                  Post #{id}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function PostView({ id, refresh }: { id: number; refresh: number }) {
  const name = useNames();
  const [post, setPost] = useState<Post | null>(null);
  const [comments, setComments] = useState<Comment[]>([]);
  const [liked, setLiked] = useState(false);
  const [text, setText] = useState('');
  const [replyTo, setReplyTo] = useState<Comment | null>(null);
  const [error, setError] = useState('');

  const reload = () =>
    Promise.all([api.post(id), api.comments(id, { limit: 100 })]).then(
      ([p, c]) => {
        setPost(p);
        setComments([...c.items].reverse());
      },
      (e) => setError(String(e.message ?? e)),
    );
  useEffect(() => void reload(), [id, refresh]); // eslint-disable-line react-hooks/exhaustive-deps

  if (error) return <p className="error">{error}</p>;
  if (!post) return <p className="muted">Loading post #{id}…</p>;
  return (
    <article className="post" data-testid="post" data-post-id={post.id}>
      <div className="muted small">
        #{post.id} by {name(post.author_id)} · {ago(post.created_at)}
      </div>
      <p>{post.content}</p>
      <div className="row">
        <button
          className="secondary small"
          data-testid="like"
          onClick={async () => {
            await (liked ? api.unlike(id) : api.like(id));
            setLiked(!liked);
            void reload();
          }}
        >
          {liked ? '♥ Unlike' : '♡ Like'} ({post.likes_count})
        </button>
        <span className="muted small">{post.comments_count} comments</span>
      </div>
      <ul className="comments">
        {comments.map((c) => (
          <li key={c.id} data-testid="comment" className={c.parent_id ? 'reply' : ''}>
            <strong>{name(c.author_id)}</strong> {c.content}{' '}
            <button className="link small" data-testid="reply" onClick={() => setReplyTo(c)}>
              reply
            </button>
          </li>
        ))}
      </ul>
      <form
        className="composer"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!text.trim()) return;
          await api.comment(id, text.trim(), replyTo?.id);
          setText('');
          setReplyTo(null);
          void reload();
        }}
      >
        <input
          data-testid="comment-input"
          value={text}
          placeholder={replyTo ? `Reply to ${name(replyTo.author_id)}` : 'Comment'}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" data-testid="comment-submit">
          {replyTo ? 'Reply' : 'Comment'}
        </button>
      </form>
    </article>
  );
}
