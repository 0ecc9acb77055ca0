// A worker thread's credit with the main thread: the bytes of output it has sent and the main
// thread has not yet written (or set aside). Past a window, the worker waits between input
// chunks — the backpressure a slow reader on stdout puts on a single run — keeping its thread
// alive meanwhile; the port does not otherwise keep it alive once the analysis is over.

import type { MessagePort } from 'node:worker_threads';

export class OutputCredit {
  private unwritten = 0;
  private onWritten: (() => void) | null = null;

  constructor(
    private readonly port: MessagePort,
    private readonly window: number,
    private readonly signal: AbortSignal,
  ) {}

  sent(bytes: number): void {
    this.unwritten += bytes;
  }

  /** The main thread wrote (or set aside) this many bytes. */
  written(bytes: number): void {
    this.unwritten -= bytes;
    this.wake();
  }

  /** Lets a wait end early (the run was aborted). */
  wake(): void {
    const w = this.onWritten;
    this.onWritten = null;
    w?.();
  }

  /** Undefined within the window (or once aborted); else resolves when the main thread has caught up. */
  wait(): Promise<void> | undefined {
    if (this.unwritten <= this.window || this.signal.aborted) return undefined;
    this.port.ref();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.unwritten <= this.window || this.signal.aborted) {
          this.port.unref();
          resolve();
        } else this.onWritten = check;
      };
      check();
    });
  }
}
