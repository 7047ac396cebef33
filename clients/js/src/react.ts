// React binding: useHerald, with the seed's useWebSocket shape
// (isConnected, messages, onlineCount, sendMessage, setTyping, setPresence)
// plus notifications, unread count, presence map and conversations.
//
// One HeraldStore per component instance; the client is created in an
// effect (so StrictMode's mount-unmount-mount gets a fresh one and the
// first is closed) and restarted when url or token change.
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { HeraldStore, storeActions, type HeraldSnapshot, type HeraldStoreOptions } from './store.js';

export type UseHeraldOptions = HeraldStoreOptions;

export interface UseHeraldResult extends HeraldSnapshot {
  store: HeraldStore;
  sendMessage: HeraldStore['sendMessage'];
  sendChat: HeraldStore['sendChat'];
  setTyping: HeraldStore['setTyping'];
  setPresence: HeraldStore['setPresence'];
  markRead: HeraldStore['markRead'];
  markAllRead: HeraldStore['markAllRead'];
  loadConversation: HeraldStore['loadConversation'];
}

/** useHerald({ url, token }) or useHerald({ url, getToken }); with no token it stays idle. */
export function useHerald(options: UseHeraldOptions): UseHeraldResult {
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const store = useMemo(() => new HeraldStore(options), []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    store.start(optionsRef.current);
    return () => store.stop();
  }, [store, options.url, options.token, options.getToken]);
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return {
    ...snap,
    store,
    ...storeActions(store),
  };
}

export { HeraldStore };
export type { HeraldSnapshot, HeraldStoreOptions };
