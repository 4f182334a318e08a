/**
 * The Electron entry point (built to out/main/index.js): starts the desktop
 * app with the paths of the built preload and renderer, which sit beside this
 * file's folder in `out/`. Everything else lives in `desktop.ts`.
 */
import { join } from 'node:path';
import { startDesktop } from './desktop';

startDesktop({
  preload: join(__dirname, '../preload/index.js'),
  rendererDir: join(__dirname, '../renderer'),
});
