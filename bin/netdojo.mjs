#!/usr/bin/env node
// Entry point of the `netdojo` command: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';
register();
await import('../server/src/cli.ts');
