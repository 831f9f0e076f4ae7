import type { Command } from 'commander';
import { register as bench } from './bench.js';
import { register as dev } from './dev.js';
import { register as docs } from './docs.js';
import { register as images } from './images.js';
import { register as ls } from './ls.js';
import { register as newLab } from './new.js';
import { register as replay } from './replay.js';
import { register as rm } from './rm.js';
import { register as schema } from './schema.js';
import { register as serve } from './serve.js';
import { register as validate } from './validate.js';

/** Every subcommand module; each adds itself to the program. Keep sorted by name. */
export const commands: Array<(program: Command) => void> = [bench, dev, docs, images, ls, newLab, replay, rm, schema, serve, validate];
