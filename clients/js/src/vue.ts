// Vue 3 binding: the composable useHerald, with the seed's useWebSocket
// shape (isConnected, messages, onlineCount, sendMessage, setTyping,
// setPresence as refs and functions) plus notifications, unread count,
// presence map and conversations. The client starts on mount, stops on
// unmount, and restarts when a token ref changes.
import { computed, onMounted, onUnmounted, shallowRef, watch, isRef, type ComputedRef, type Ref } from 'vue';
import { HeraldStore, storeActions, type HeraldSnapshot, type HeraldStoreOptions } from './store.js';

export interface UseHeraldVueOptions extends Omit<HeraldStoreOptions, 'token'> {
  /** A token, or a ref to one (the seed passes a ref). */
  token?: string | Ref<string | null | undefined>;
}

type Refs = { [K in keyof HeraldSnapshot]: ComputedRef<HeraldSnapshot[K]> };

export interface UseHeraldVueResult extends Refs {
  store: HeraldStore;
  sendMessage: HeraldStore['sendMessage'];
  sendChat: HeraldStore['sendChat'];
  setTyping: HeraldStore['setTyping'];
  setPresence: HeraldStore['setPresence'];
  markRead: HeraldStore['markRead'];
  markAllRead: HeraldStore['markAllRead'];
  loadConversation: HeraldStore['loadConversation'];
}

export function useHerald(options: UseHeraldVueOptions): UseHeraldVueResult {
  const tokenOf = () => (isRef(options.token) ? options.token.value : options.token) ?? undefined;
  const resolved = (): HeraldStoreOptions => ({ ...options, token: tokenOf() });
  const store = new HeraldStore(resolved());
  const snap = shallowRef<HeraldSnapshot>(store.getSnapshot());
  const off = store.subscribe(() => {
    snap.value = store.getSnapshot();
  });
  onMounted(() => store.start(resolved()));
  onUnmounted(() => {
    off();
    store.stop();
  });
  if (isRef(options.token)) watch(options.token, () => store.start(resolved()));
  const field = <K extends keyof HeraldSnapshot>(k: K) => computed(() => snap.value[k]);
  return {
    state: field('state'),
    isConnected: field('isConnected'),
    userId: field('userId'),
    messages: field('messages'),
    onlineCount: field('onlineCount'),
    presence: field('presence'),
    notifications: field('notifications'),
    unreadCount: field('unreadCount'),
    conversations: field('conversations'),
    typing: field('typing'),
    store,
    ...storeActions(store),
  };
}

export { HeraldStore };
export type { HeraldSnapshot, HeraldStoreOptions };
