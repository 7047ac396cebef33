// The signed-in session of this tab: the token pair from /auth/login, kept
// in sessionStorage so two tabs can be two users. getToken hands the SDK a
// token with time left, refreshing (with rotation) when it runs low.
import { HeraldRest, readClaims, type TokenPair } from 'herald-client';

const KEY = 'herald-demo-session';

export interface Session {
  username: string;
  userId: number;
  pair: TokenPair;
}

export const api = new HeraldRest({ url: location.origin, token: () => load()?.pair.access_token });

export function load(): Session | null {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
}

export function save(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

export async function login(username: string, password: string): Promise<Session> {
  const pair = await api.login(username, password);
  const userId = Number(readClaims(pair.access_token).sub);
  const s = { username, userId, pair };
  save(s);
  return s;
}

let refreshing: Promise<string> | null = null;

/** For HeraldClient's getToken: the access token, refreshed when under 90 s remain. */
export function getToken(): Promise<string> {
  const s = load();
  if (!s) return Promise.reject(new Error('signed out'));
  const exp = readClaims(s.pair.access_token).exp ?? 0;
  if (exp * 1000 - Date.now() > 90_000) return Promise.resolve(s.pair.access_token);
  refreshing ??= api
    .refresh(s.pair.refresh_token)
    .then((pair) => {
      save({ ...s, pair });
      return pair.access_token;
    })
    .finally(() => (refreshing = null));
  return refreshing;
}
