// The analysis pipeline for one input: capture records → layer decoding → flow tracking.
// Commands plug renderers into its two callbacks (per segment, per finished flow) and get back
// what was read, skipped and damaged, so they can report it and choose the exit status.

import type { Readable } from 'node:stream';
import { readCapture, type CaptureSummary } from './capture/index.js';
import type { CaptureRecord } from './capture/types.js';
import { decodePacket, newDecodedPacket } from './decode/packet.js';
import { formatDecodeError } from './decode/errors.js';
import type { DecodedPacket } from './decode/types.js';
import type { Flow } from './flow/flow.js';
import { FlowTracker, type FlowEndReason, type SegmentInfo, type StreamRules } from './flow/tracker.js';

export interface PipelineHandlers {
  /**
   * Every frame whose TCP header decoded. `info` is null when the segment was not given to the
   * flow engine (a header a receiver would drop, e.g. data offset below 5).
   */
  onSegment?: (pkt: DecodedPacket, info: SegmentInfo | null) => void;
  /** Every flow, once complete (see FlowTracker). */
  onFlow?: (flow: Flow, reason: FlowEndReason) => void;
  /** Non-fatal remarks (flow table full...). */
  onWarning?: (message: string) => void;
}

export interface PipelineOptions {
  streamRules?: StreamRules;
  lingerSeconds?: number;
  idleTimeoutSeconds?: number;
  maxFlows?: number;
}

export interface InputReport {
  capture: CaptureSummary;
  /** Frames read. */
  frames: number;
  /** Frames with a decoded TCP header. */
  tcpSegments: number;
  /** Frames that are not TCP, counted by reason ('ARP', 'UDP', 'unknown link type 147'...). */
  skipped: Map<string, number>;
  /** Frames flagged malformed (decoded as far as they went). */
  malformed: number;
  /** The first few malformed-frame sentences, for the footer. */
  malformedExamples: string[];
  flows: number;
}

const MAX_EXAMPLES = 5;

/** A TCP header a receiver would drop (RFC 9293 §3.1: data offset < 5, or longer than the datagram) is not fed to any state machine. */
function receiverWouldDrop(pkt: DecodedPacket): boolean {
  const err = pkt.error;
  return err !== null && err.layer === 'TCP header' && err.kind === 'invalid';
}

export async function analyzeInput(
  input: string | Readable,
  handlers: PipelineHandlers,
  opts: PipelineOptions = {},
): Promise<InputReport> {
  const pkt = newDecodedPacket();
  const skipped = new Map<string, number>();
  const report: InputReport = {
    capture: null!,
    frames: 0,
    tcpSegments: 0,
    skipped,
    malformed: 0,
    malformedExamples: [],
    flows: 0,
  };
  const onFlow = handlers.onFlow;
  const tracker = new FlowTracker({
    streamRules: opts.streamRules,
    lingerSeconds: opts.lingerSeconds,
    idleTimeoutSeconds: opts.idleTimeoutSeconds,
    maxFlows: opts.maxFlows,
    onWarning: handlers.onWarning,
    onFlow: (flow, reason) => {
      report.flows++;
      onFlow?.(flow, reason);
    },
  });
  const onSegment = handlers.onSegment;

  const onRecord = (rec: CaptureRecord): void => {
    report.frames++;
    decodePacket(rec, pkt);
    if (pkt.error !== null) {
      report.malformed++;
      if (report.malformedExamples.length < MAX_EXAMPLES) {
        report.malformedExamples.push(describeMalformed(pkt));
      }
    }
    if (pkt.tcp === null) {
      const reason = pkt.notTcp ?? (pkt.error ? `${pkt.error.layer} damaged` : 'not TCP');
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      return;
    }
    report.tcpSegments++;
    const info = receiverWouldDrop(pkt) ? null : tracker.onSegment(pkt);
    onSegment?.(pkt, info);
  };

  report.capture = await readCapture(input, onRecord);
  tracker.finishAll();
  return report;
}

function describeMalformed(pkt: DecodedPacket): string {
  return formatDecodeError(pkt.error!, pkt.frame, pkt.dataOffset);
}
