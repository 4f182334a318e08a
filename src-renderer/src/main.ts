/**
 * Renderer entry: mounts the Vue app with Pinia and the global stylesheet.
 * The bridge is picked lazily by the first store that needs it (see
 * bridge/index.ts).
 */
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import './styles.css';

createApp(App).use(createPinia()).mount('#app');
