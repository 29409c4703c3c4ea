// Two views, of the two buffers read last: a line's keys are looked up in the decoder's key
// buffer while its other fields are read from the chunk's buffer, so with one view alone a new
// view was made at nearly every call (measured: 5% of a parse worker's time).
let first: Uint8Array | undefined;
let firstView: DataView = new DataView(new ArrayBuffer(0));
let second: Uint8Array | undefined;
let secondView = firstView;
let firstIsRecent = true;

/**
 * A DataView over the bytes, kept for the next calls: the records of one chunk share a buffer, so
 * the hot paths that read them four bytes at a time (dictionary look-ups, line identities, key
 * folding) make one view a chunk rather than one a field.
 */
export function dataViewOf(bytes: Uint8Array): DataView {
  if (bytes === first) {
    firstIsRecent = true;
    return firstView;
  }
  if (bytes === second) {
    firstIsRecent = false;
    return secondView;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The view used less recently gives way.
  if (firstIsRecent) {
    second = bytes;
    secondView = view;
  } else {
    first = bytes;
    firstView = view;
  }
  firstIsRecent = !firstIsRecent;
  return view;
}
