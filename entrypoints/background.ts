import { defineBackground } from 'wxt/utils/define-background';
import { startBackground } from '../src/app/background.ts';

export default defineBackground(startBackground);
