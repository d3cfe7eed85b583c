// main.js: the people's client (placeholder until the app lands).
import { h, replace } from '../shared/view.js';
replace(document.getElementById('root'), h('main.placeholder', { 'data-ready': 'true' }, h('h1', 'Parley')));
