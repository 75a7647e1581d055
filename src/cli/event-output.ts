/*
 * How the commands that print events (tail, log, sandbox) print them: one
 * set of flags and one printer, so each command reads them alike.
 *
 *   --json, --csv, --format table|json|csv|strace   the form of each event
 *   --summary            strace -c's table (or one JSON object) instead
 *   --failed, --slower-than DURATION                 only calls that ended so
 *
 * A command adds the flags with addEventOutputOptions, turns what was
 * given into an EventOutput with eventOutputOf, and hands its events to an
 * EventPrinter: all at once (log, sandbox) or batch by batch as they come
 * (tail, through followOutput).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import type { MonitorEvent } from '../lib/events.js';
import type { FollowOutput } from '../lib/follow.js';
import { DURATION_FORM, outcomeSelection, parseDuration, type OutcomeFilter } from '../lib/outcome.js';
import { resolveSchema } from '../lib/schema.js';
import { CallSummary } from '../lib/summary.js';
import { renderCallSummary, straceText } from '../render/calls.js';
import { CsvEncoder } from '../render/csv.js';
import { eventLine, renderEventTable } from '../render/events.js';
import { jsonLine, NdjsonEncoder } from '../render/ndjson.js';
import type { Ctx } from './context.js';

export type EventFormat = 'table' | 'json' | 'csv' | 'strace';

/** The flags as commander hands them over. */
export interface EventOutputFlags {
  json?: boolean;
  csv?: boolean;
  format?: EventFormat;
  summary?: boolean;
  failed?: boolean;
  slowerThan?: bigint;
}

/** What was asked for, checked whole. */
export interface EventOutput {
  format: EventFormat;
  /** the summary instead of the events: a table, or one JSON object with format json */
  summary: boolean;
  outcome: OutcomeFilter;
}

const FORMAT_HELP: Readonly<Record<EventFormat, string>> = {
  table: 'table: one row per event (the default)',
  json: 'json: NDJSON, as --json',
  csv: 'csv: as --csv',
  strace: 'strace: one line per call as strace -f -T -y writes it',
};

function parseSlowerThan(value: string): bigint {
  try {
    return parseDuration(value);
  } catch {
    throw new InvalidArgumentError(`expected ${DURATION_FORM}`);
  }
}

/**
 * Adds the output flags to cmd.  formats: the forms it prints (a stream
 * has no CSV header to start with, so tail has no csv).
 */
export function addEventOutputOptions(cmd: Command, formats: readonly EventFormat[]): Command {
  cmd.addOption(new Option('--json', 'NDJSON: one event per line').conflicts('csv'));
  if (formats.includes('csv')) cmd.option('--csv', 'CSV with a header row (RFC 4180)');
  return cmd
    .addOption(
      new Option('--format <format>', formats.map((f) => FORMAT_HELP[f]).join('; ')).choices(formats),
    )
    .option('--summary', "instead of the events, strace -c's table: per syscall the calls, errors, total, average and longest time (with --json: one object)")
    .option('--failed', 'only calls that failed (returned an error, or were blocked or ended by a kill rule); exits and configuration changes are left out')
    .addOption(
      new Option('--slower-than <duration>', `only calls that took longer (entry to return): ${DURATION_FORM}`).argParser(parseSlowerThan),
    );
}

/** The flags given, checked whole: a usage error for a combination that says two things. */
export function eventOutputOf(flags: EventOutputFlags): EventOutput {
  const shorthand = flags.json ? 'json' : flags.csv ? 'csv' : undefined;
  if (flags.format !== undefined && shorthand !== undefined && flags.format !== shorthand) {
    throw new UsageError(`--${shorthand} and --format ${flags.format} say two different things: give one`);
  }
  const format = flags.format ?? shorthand ?? 'table';
  if (flags.summary && (format === 'csv' || format === 'strace')) {
    throw new UsageError(`--summary prints a table, or with --json one JSON object; not ${format === 'csv' ? 'CSV' : "strace's lines"}`);
  }
  return {
    format,
    summary: flags.summary === true,
    outcome: { failed: flags.failed === true ? true : undefined, slowerThanNs: flags.slowerThan },
  };
}

/** Whether the outcome filter chooses anything (else every event passes). */
export function filtersOutcome(output: EventOutput): boolean {
  return outcomeSelection(output.outcome) !== null;
}

/**
 * Prints events in one EventOutput, all at once or batch by batch.  It
 * keeps what spans batches: the CSV header, the NDJSON clock, the threads
 * seen (strace -f prefixes each line with its pid once it follows more than
 * one), the summary's counts.
 */
export class EventPrinter {
  private readonly keeps: ((e: MonitorEvent) => boolean) | null;
  private readonly summary = new CallSummary();
  private ndjson: NdjsonEncoder | undefined;
  private csv: CsvEncoder | undefined;
  private readonly threads = new Set<number>();
  /** events shown (lost markers not counted) */
  shown = 0;
  /** events lost, as lost markers said */
  lost = 0;

  constructor(
    private readonly ctx: Ctx,
    readonly output: EventOutput,
  ) {
    this.keeps = outcomeSelection(output.outcome);
  }

  /** The text for events that come after those already printed (tail), filtered already; '' with --summary. */
  batch(events: readonly MonitorEvent[]): string {
    for (const e of events) {
      if (e.type === 'lost') this.lost += e.count;
      else this.shown++;
    }
    if (this.output.summary) {
      for (const e of events) if (e.type === 'syscall') this.summary.add(e);
      return '';
    }
    switch (this.output.format) {
      case 'json':
        this.ndjson ??= new NdjsonEncoder();
        return this.ndjson.batch(events);
      case 'csv': {
        const first = this.csv === undefined;
        this.csv ??= new CsvEncoder(resolveSchema(this.ctx.io.binding()), { sanitize: this.ctx.io.stdoutIsTTY });
        return (first ? this.csv.header() : '') + this.csv.rows(events);
      }
      case 'strace': {
        for (const e of events) if (e.type === 'syscall' || e.type === 'exit') this.threads.add(e.pid);
        const withPid = this.threads.size > 1;
        return events.map((e) => straceText(e, withPid)).join('');
      }
      case 'table':
        return events.map((e) => eventLine(e, this.ctx.colour)).join('');
    }
  }

  /**
   * Every event at once (log, sandbox), filtered here: the table sized to
   * them, or the summary.
   */
  whole(events: readonly MonitorEvent[]): string {
    // A stream's batches come filtered by follow(); these are not.
    const selected = this.keeps === null ? events : events.filter(this.keeps);
    if (this.output.format === 'table' && !this.output.summary) {
      for (const e of selected) {
        if (e.type === 'lost') this.lost += e.count;
        else this.shown++;
      }
      return renderEventTable(selected, this.ctx.colour);
    }
    return this.batch(selected) + this.end();
  }

  /** With --summary, a note for stderr when events were lost: the table cannot count them. */
  lostNote(): string | null {
    if (!this.output.summary || this.lost === 0) return null;
    return `syscallmon: ${this.lost} event${this.lost === 1 ? ' was' : 's were'} lost (the reader was overtaken): the summary does not count ${this.lost === 1 ? 'it' : 'them'}`;
  }

  /** What comes once the events have ended: the summary, with --summary; else ''. */
  end(): string {
    if (!this.output.summary) return '';
    const s = this.summary.summary();
    return this.output.format === 'json' ? jsonLine(s) : renderCallSummary(s);
  }
}

/**
 * Where a follow writes: NDJSON straight from the addon to stdout's fd when
 * nothing needs the events decoded here, else the printer's text.
 */
export async function followOutput(ctx: Ctx, printer: EventPrinter): Promise<FollowOutput> {
  const o = printer.output;
  if (o.format === 'json' && !o.summary && !filtersOutcome(o)) return { ndjsonFd: await ctx.stdoutFd() };
  return {
    onEvents: (events) => {
      const text = printer.batch(events);
      return text === '' ? undefined : ctx.out(text);
    },
  };
}
