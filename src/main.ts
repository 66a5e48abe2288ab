import { mount } from 'svelte';
import './ui/theme.css';
import App from './ui/App.svelte';
import { appUpdate } from './ui/update.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('InfoMax Lab: #app element missing from index.html');
appUpdate.start();
export default mount(App, { target });
