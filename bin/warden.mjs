#!/usr/bin/env node
// The `warden` command. Runs the TypeScript sources through tsx so that
// `npm ci && npx warden demo` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
