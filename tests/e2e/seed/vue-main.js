// Mounts a minimal page around the seed's Vue composable (seed-vue.js): it
// shows what the composable returns, nothing more. Render functions, so
// the runtime-only Vue build is enough.
import { createApp, h, ref } from 'vue';
import { useWebSocket } from './seed-vue.js';

const App = {
  setup() {
    const token = ref(localStorage.getItem('access_token'));
    const { isConnected, messages, onlineCount, sendMessage } = useWebSocket(token);
    window.seedSend = sendMessage;
    return () =>
      h('div', [
        h('p', { id: 'connected' }, isConnected.value ? 'connected' : 'disconnected'),
        h('p', { id: 'online' }, String(onlineCount.value)),
        h('ul', { id: 'messages' }, messages.value.map((m, i) => h('li', { key: i }, `${m.type}: ${m.data.title}: ${m.data.message}`))),
      ]);
  },
};

createApp(App).mount('#root');
