// A worker thread analysing one share of a capture's flows for shards.ts. It reads every frame
// of the file (pipeline.ts ShardOptions) but analyses only its own flows, and sends each flow
// record (flows) or segment record (packets) with what the main thread needs to put it where a one-thread run would: the record's
// place in that run's order (EmitKey), its local stream number, and the frames at which its
// flows were created. It never touches the process's stdout or stderr.

import { parentPort, workerData } from 'node:worker_threads';
import { analyzeInput, passedToOnFinished, EmitPhase, type EmitKey, type LiveCounters, type PipelineHandlers } from '../pipeline.js';
import type { DecodedPacket } from '../decode/types.js';
import type { Flow } from '../flow/flow.js';
import { flowReport } from '../flow/report.js';
import type { SegmentInfo } from '../flow/tracker.js';
import { flowJson } from '../render/flow-json.js';
import { packetJson } from '../render/packet-json.js';
import { packetRecord } from '../render/packet-record.js';
import { segmentResults } from './packets.js';
import { serializeReport, type MainMessage } from './parallel.js';
import { OutputCredit } from './output-credit.js';
import { RecordBatch, type HumanShardSpec, type NumbersMessage, type ShardInput, type ShardMessage } from './shards.js';
import type { Io } from './io.js';
import { parseFilter, quickMatch, styleFor, viewMatch } from './summary.js';
import { LADDER_ALL_LIMIT } from './ladder.js';
import { SegmentLogBook } from '../flow/segment-log.js';
import { Explainer } from '../render/explain.js';
import { flowView } from '../render/human.js';
import { summaryText } from '../render/summary.js';
import { ladderText } from '../render/ladder.js';

const STREAM_FIRST = '{"stream":';
const STREAM_KEY = ',"stream":';

/** A batch is sent once it holds this many bytes, and after every few input chunks. */
const BATCH_BYTES = 1 << 20;
const CHUNKS_PER_BATCH = 32;

async function main(): Promise<void> {
  const port = parentPort!;
  const { command, human, input, index, count, maxFlows, idleTimeout, window } = workerData as ShardInput;
  const post = (m: ShardMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

  const controller = new AbortController();
  const credit = new OutputCredit(port, window, controller.signal);
  port.on('message', (m: MainMessage | NumbersMessage) => {
    if (m.type === 'abort') {
      controller.abort();
      credit.wake();
    } else if (m.type === 'numbers') numbered(m.streams);
    else if (m.type === 'written') credit.written(m.bytes);
  });
  port.unref();

  const key: EmitKey = { frame: 0, phase: EmitPhase.PortReused, sub: 0 };
  const live: LiveCounters = { bytes: 0, frames: 0, flows: 0 };
  let batch = new RecordBatch();
  /** Every hand-over at a frame up to this one has been sent. */
  let progress = 0;
  let chunks = 0;
  const send = (): void => {
    const { batch: b, transfer } = batch.seal(progress);
    credit.sent(b.bytes.length + (b.texts?.length ?? 0));
    post({ type: 'batch', batch: b }, transfer);
    batch = new RecordBatch();
  };

  // A large batch goes at once; its progress stays where it was (this frame is not done yet).
  const sendIfLarge = (): void => {
    if (batch.byteLength >= BATCH_BYTES) send();
  };
  // As flowLines (flows.ts) writes NDJSON: a flow once, when it settles, else when handed over.
  const emitFlow = (flow: Flow): void => {
    const json = flowJson(flowReport(flow).report);
    // The main thread writes the stream number a one-thread run gives after `{"stream":`.
    batch.add(key, flow.stream, STREAM_FIRST, json.slice(json.indexOf(',')) + '\n');
    sendIfLarge();
  };
  // As packetLines (packets.ts) writes NDJSON: every segment of this shard's flows, one per
  // frame, so the frame alone orders them (no flow records are written alongside).
  const segmentKey: EmitKey = { frame: 0, phase: EmitPhase.PortReused, sub: 0 };
  const emitSegment = (pkt: DecodedPacket, info: SegmentInfo | null): void => {
    const json = packetJson(packetRecord(pkt, segmentResults(pkt, info)));
    const at = json.indexOf(STREAM_KEY) + STREAM_KEY.length;
    segmentKey.frame = pkt.frame;
    // Segments a receiver would drop belong to no flow (stream -1): written as they are.
    batch.add(segmentKey, info === null ? -1 : info.flow.stream, json.slice(0, at), json.slice(json.indexOf(',', at)) + '\n');
    sendIfLarge();
  };
  // summary and ladder: each flow drawn, as runHumanFlows (summary.ts) draws it, once its global
  // stream number (which its text shows) is known; the main thread writes the texts in stream order.
  const draw = human === undefined ? null : humanDrawer(command as 'summary' | 'ladder', human);
  /** Global numbers of this shard's flows, by local number, as the main thread gives them. */
  const globals = new Map<number, number>();
  let told = 0;
  /** Flows handed over before their number came, with their hand-over frame. */
  const waiting = new Map<number, { flow: Flow; frame: number }>();
  let onNumbered: (() => void) | null = null;
  const drawFlow = (flow: Flow, frame: number): void => {
    const stream = globals.get(flow.stream)!;
    globals.delete(flow.stream);
    batch.flowText(stream, frame, draw!.text(flow, stream));
    sendIfLarge();
  };
  function numbered(streams: number[]): void {
    for (const g of streams) {
      const local = told++;
      globals.set(local, g);
      const w = waiting.get(local);
      if (w !== undefined) {
        waiting.delete(local);
        drawFlow(w.flow, w.frame);
      }
    }
    onNumbered?.();
  }
  const handOver = (flow: Flow): void => {
    if (globals.has(flow.stream)) drawFlow(flow, key.frame);
    else waiting.set(flow.stream, { flow, frame: key.frame });
  };

  const handlers: PipelineHandlers = draw !== null
    ? { onSegment: draw.onSegment, onFlow: handOver }
    : command === 'flows'
    ? {
        onFinished: emitFlow,
        onFlow: (flow) => {
          if (!passedToOnFinished(flow)) emitFlow(flow);
          batch.ended(flow.stream);
        },
        settledFlowsDone: true,
      }
    : { onSegment: emitSegment, onFlow: (flow) => batch.ended(flow.stream) };

  const report = await analyzeInput(
    input,
    handlers,
    {
      maxFlows,
      idleTimeoutSeconds: idleTimeout,
      signal: controller.signal,
      live,
      shard: {
        index,
        count,
        key,
        onCreate: (frame) => batch.created(frame),
        onDiverge: (frame, reason) => {
          // Said before any record of a later frame is sent, so the main thread never writes one.
          post({ type: 'diverged', frame, reason });
          controller.abort();
        },
      },
      // Between input chunks every frame read so far is done.
      between: () => {
        progress = live.frames;
        // Every few chunks, or when there is much to write: each message has a fixed cost.
        if (++chunks % CHUNKS_PER_BATCH === 0) send();
        return credit.wait();
      },
    },
  );
  progress = Infinity;
  send();
  if (waiting.size > 0) {
    // The last flows' numbers come once every shard has said where its flows began.
    port.ref();
    await new Promise<void>((resolve) => {
      onNumbered = () => {
        if (waiting.size === 0) resolve();
      };
    });
    port.unref();
    send();
  }
  post({ type: 'done', report: serializeReport(report), tally: draw === null ? undefined : [...draw.tally] });
}

/** Draws flows for summary or ladder, as runHumanFlows does on one thread. */
function humanDrawer(command: 'summary' | 'ladder', h: HumanShardSpec): {
  onSegment: (pkt: DecodedPacket, info: SegmentInfo | null) => void;
  text: (flow: Flow, stream: number) => string;
  tally: Map<string, number>;
} {
  // The terminal facts the main thread's Io gave: width and colour come out the same.
  const style = styleFor(h.opts, { columns: h.columns, stdoutIsTTY: h.stdoutIsTTY, env: h.env } as Io);
  // Sharded only without --explain, whose notes depend on the flows drawn before.
  const explainer = new Explainer(false);
  const filter = parseFilter(h.opts);
  const book = new SegmentLogBook(command === 'ladder' && h.opts.all === true ? { all: true, maxSegments: LADDER_ALL_LIMIT } : {});
  const tally = new Map<string, number>();
  return {
    onSegment: (pkt, info) => {
      if (info !== null && quickMatch(filter, info.flow)) book.add(pkt, info.flow);
    },
    text: (flow, stream) => {
      const log = book.take(flow);
      flow.stream = stream;
      if (!quickMatch(filter, flow)) return '';
      const v = flowView(flow, log);
      if (!viewMatch(filter, v)) return '';
      tally.set(v.verdict, (tally.get(v.verdict) ?? 0) + 1);
      return command === 'summary' ? summaryText(v, style, explainer) : ladderText(v, style, explainer);
    },
    tally,
  };
}

await main();
