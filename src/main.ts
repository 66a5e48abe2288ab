import { mount } from 'svelte';
import './ui/theme.css';
import App from './ui/App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('InfoMax Lab: #app element missing from index.html');
export default mount(App, { target });
