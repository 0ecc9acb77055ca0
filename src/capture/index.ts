// Public surface of the capture readers.

export { CaptureError } from './types.js';
export type { CaptureFormat, CaptureInterface, CaptureRecord, CaptureWarning } from './types.js';
export { CaptureParser, parseCapture, type RecordCallback } from './parser.js';
export { readCapture, type CaptureSummary, type ReadOptions } from './read.js';
export { openSource, CHUNK_SIZE, type CaptureSource, type SourceOptions } from './source.js';
export { detectFormat, describeBytes, type Detected } from './magic.js';
