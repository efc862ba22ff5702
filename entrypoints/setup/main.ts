import { mount } from 'svelte';
import '../../src/ui/theme.css';
import { followTheme } from '../../src/ui/theme.ts';
import App from './App.svelte';

void followTheme();
mount(App, { target: document.getElementById('app')! });
