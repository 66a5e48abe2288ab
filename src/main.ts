import { mount } from 'svelte';
import './ui/theme.css';
import App from './ui/App.svelte';
import { registerSW } from './ui/registerSW';

const target = document.getElementById('app');
if (!target) throw new Error('InfoMax Lab: #app element missing from index.html');
registerSW();
export default mount(App, { target });
