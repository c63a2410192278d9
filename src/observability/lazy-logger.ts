import type { FastifyBaseLogger, FastifyChildLoggerFactory } from 'fastify/types/logger.js';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = { level?: string } & Record<string, unknown>;
type LogFn = (...args: unknown[]) => void;

interface LevelAware {
  isLevelEnabled?(level: string): boolean;
}

/**
 * A request logger whose pino child (bindings: the request id) is only built when something is
 * actually written through it. Fastify builds one child per request; building it serialises its
 * bindings (through the redaction paths), which is a measurable part of a cache hit although,
 * at the usual levels, nothing but the one request line is ever written. Lines written through
 * it are exactly those of the child it stands for.
 */
class LazyChildLogger {
  private built: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private real(): FastifyBaseLogger {
    return (this.built ??= this.parent.child(this.bindings, this.options));
  }

  private write(level: Level, args: unknown[]): void {
    // A level the parent drops is dropped by its child too (a child with its own level is built eagerly).
    if (this.built === undefined && (this.parent as LevelAware).isLevelEnabled?.(level) === false) return;
    (this.real()[level] as LogFn)(...args);
  }

  get level(): string {
    return this.built?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  isLevelEnabled(level: string): boolean {
    const real = (this.built ?? this.parent) as LevelAware;
    return real.isLevelEnabled ? real.isLevelEnabled(level) : true;
  }
}

/** Fastify `childLoggerFactory` building request loggers lazily (see LazyChildLogger). */
export const lazyChildLoggerFactory: FastifyChildLoggerFactory = (logger, bindings, options) => {
  // A route-specific level changes what the child writes: build it as Fastify would.
  if (options.level !== undefined) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, options as ChildOptions) as unknown as FastifyBaseLogger;
};
