/*
 * `syscallmon syscalls [PATTERN]`: every targetable syscall with its number,
 * from the table generated out of the kernel's unistd_64.h.  Needs the addon
 * (which carries the table) but not the module.  Exits 1 when nothing
 * matches, like grep.
 */
import { Command } from 'commander';
import type { SyscallEntry } from '../../lib/binding.js';
import { FAMILIES, type SyscallFamily } from '../../lib/families.js';
import type { Ctx } from '../context.js';
import { EXIT } from '../errors.js';
import { numberColumn, renderTable } from '../../render/table.js';
import type { Palette } from '../../render/colour.js';

/** An argument's index, "-" for none. */
function argText(index: number): string {
  return index < 0 ? '-' : String(index);
}

export function renderSyscalls(rows: readonly SyscallEntry[], colour: Palette): string {
  return renderTable(
    [
      numberColumn('NR'), { header: 'NAME' }, numberColumn('PATH ARG'),
      numberColumn('FD ARG'), { header: 'ENTRY' },
    ],
    rows.map((s) => [String(s.nr), s.name, argText(s.pathArg), argText(s.fdArg), colour.dim(s.symbol)]),
    colour,
  );
}

export function syscallsJson(rows: readonly SyscallEntry[]): string {
  let out = '';
  for (const s of rows) out += JSON.stringify({ nr: s.nr, name: s.name, symbol: s.symbol, path_arg: s.pathArg, fd_arg: s.fdArg }) + '\n';
  return out;
}

export function renderFamilies(families: readonly SyscallFamily[], colour: Palette): string {
  return renderTable(
    [{ header: 'FAMILY' }, { header: 'SYSCALLS' }, { header: 'WHAT' }],
    families.map((f) => ['@' + f.name, f.members.join(', '), colour.dim(f.description)]),
    colour,
  );
}

/** The families "@PATTERN" names ("@" alone: all), by the same match as syscalls: a glob (* and ?), else a substring. */
function matchFamilies(pattern: string): SyscallFamily[] {
  const p = pattern.slice(1).toLowerCase();
  if (/[*?]/.test(p)) {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return FAMILIES.filter((f) => re.test(f.name));
  }
  return FAMILIES.filter((f) => f.name.includes(p));
}

export function syscallsCommand(ctx: Ctx): Command {
  return new Command('syscalls')
    .description('list the syscalls that can be targeted, with their numbers')
    .argument('[pattern]', 'a substring, or a glob such as "open*"; "@" or "@NAME": the families (--syscall @stat)')
    .option('--json', 'one JSON object per syscall: nr, name, symbol, path_arg, fd_arg (the arguments whose path and file events carry)')
    .action(async (pattern: string | undefined, opts: { json?: boolean }) => {
      if (pattern?.startsWith('@')) {
        const families = matchFamilies(pattern);
        if (families.length === 0) {
          await ctx.note(`syscallmon: no family matches "${pattern}" (families: ${FAMILIES.map((f) => '@' + f.name).join(', ')})`);
          ctx.exitCode = EXIT.noMatch;
          return;
        }
        await ctx.out(
          opts.json
            ? families.map((f) => JSON.stringify({ family: f.name, syscalls: f.members, description: f.description }) + '\n').join('')
            : renderFamilies(families, ctx.colour),
        );
        return;
      }
      const table = ctx.syscalls();
      const rows = table.match(pattern);
      if (rows.length === 0) {
        const near = table.suggest(pattern ?? '');
        await ctx.note(`syscallmon: no syscall matches "${pattern ?? ''}"${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
        // Like grep: nothing matched.
        ctx.exitCode = EXIT.noMatch;
        return;
      }
      await ctx.out(opts.json ? syscallsJson(rows) : renderSyscalls(rows, ctx.colour));

    });
}
