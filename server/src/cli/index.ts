import type { Command } from 'commander';

/** Every subcommand module; each adds itself to the program. Keep sorted by name. */
export const commands: Array<(program: Command) => void> = [];
