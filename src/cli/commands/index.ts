import type { CliCommand } from '../command.js';
import { hashCommand } from './hash.js';
import { matchCommand } from './match.js';
import { rescanCommand } from './rescan.js';
import { syncCommand } from './sync.js';
import { exportCommand } from './export.js';

/** Every CLI command, in the order `tidscan --help` lists them. Each issue adds its command module here. */
export const commands: CliCommand[] = [hashCommand, matchCommand, rescanCommand, syncCommand, exportCommand];
