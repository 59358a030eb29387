import { asBuffer } from './bytes';

export type Utf16Encoding = 'utf-16le' | 'utf-16be';

/**
 * The UTF-16 byte order a file's byte order mark declares (Excel's "Unicode Text" export writes UTF-16LE with one,
 * tab-separated), or undefined. Without a mark, UTF-16 is not guessed: such bytes are refused as binary data.
 */
export function utf16ByteOrder(head: Buffer | Uint8Array): Utf16Encoding | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * UTF-16 text (its byte order mark first) as UTF-8 without a mark, streaming: the rest of the pipeline reads
 * UTF-8 only. Unpaired surrogates become U+FFFD. Linear, and memory holds one piece at a time.
 */
export async function* transcodeUtf16ToUtf8(source: AsyncIterable<Buffer | Uint8Array>, encoding: Utf16Encoding): AsyncGenerator<Buffer> {
  // The decoder drops the byte order mark (ignoreBOM: false) and carries a code unit or surrogate split across pieces.
  const decoder = new TextDecoder(encoding);
  for await (const chunk of source) {
    const text = decoder.decode(asBuffer(chunk), { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

/**
 * The first bytes of a UTF-16 file as UTF-8 (for sniffing); `complete: false` says `head` may stop inside a
 * character, whose bytes are then left out rather than decoded as U+FFFD.
 */
export function utf16HeadToUtf8(head: Buffer, encoding: Utf16Encoding, complete: boolean): Buffer {
  return Buffer.from(new TextDecoder(encoding).decode(head, { stream: !complete }), 'utf8');
}
