#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package works straight from a clone after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
