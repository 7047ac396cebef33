// Usernames by id, fetched once each from GET /users/{id} and shared by
// every component (chat events carry from_username; presence does not).
import { useEffect, useState } from 'react';
import { api } from './session';

const names = new Map<number, string>();
const waiting = new Map<number, Promise<void>>();
const listeners = new Set<() => void>();

export function remember(id: number, name: string | undefined): void {
  if (!name || names.get(id) === name) return;
  names.set(id, name);
  listeners.forEach((l) => l());
}

export function nameOf(id: number): string {
  if (!names.has(id) && !waiting.has(id)) {
    waiting.set(
      id,
      api
        .user(id)
        .then((u) => remember(id, u.username))
        .catch(() => {})
        .finally(() => waiting.delete(id)),
    );
  }
  return names.get(id) ?? `user ${id}`;
}

/** Re-renders the caller when a name arrives. */
export function useNames(): (id: number) => string {
  const [, bump] = useState(0);
  useEffect(() => {
    const l = () => bump((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return nameOf;
}
