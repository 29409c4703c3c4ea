let lastBytes: Uint8Array | undefined;
let lastView: DataView = new DataView(new ArrayBuffer(0));

/**
 * A DataView over the bytes, kept for the next call: the records of one chunk share a buffer, so
 * the hot paths that read them four bytes at a time (dictionary look-ups, line identities) make
 * one view a chunk rather than one a field.
 */
export function dataViewOf(bytes: Uint8Array): DataView {
  if (bytes !== lastBytes) {
    lastBytes = bytes;
    lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return lastView;
}
