// The SDK's own Vue 3 composable (herald-client/vue) on a page: every
// field it returns is shown, so the browser test can read them.
import { createApp, h, ref } from 'vue';
import { useHerald } from 'herald-client/vue';

const App = {
  setup() {
    const token = ref(localStorage.getItem('access_token'));
    const herald = useHerald({ url: location.origin, token });
    return () =>
      h('div', [
        h('p', { id: 'connected' }, herald.isConnected.value ? 'connected' : 'disconnected'),
        h('p', { id: 'online' }, String(herald.onlineCount.value)),
        h('p', { id: 'unread' }, String(herald.unreadCount.value)),
        h('ul', { id: 'present' }, [...herald.presence.value.values()].filter((u) => u.online).map((u) => h('li', { key: u.user_id }, String(u.user_id)))),
        h('ul', { id: 'chats' }, Object.values(herald.conversations.value).flat().map((m, i) => h('li', { key: i }, m.message))),
        h('ul', { id: 'notifications' }, herald.notifications.value.map((n) => h('li', { key: n.id }, n.message))),
      ]);
  },
};

createApp(App).mount('#root');
