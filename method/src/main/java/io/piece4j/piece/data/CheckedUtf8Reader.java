package io.piece4j.piece.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Decodes UTF-8 strictly (a {@link CharsetDecoder} set to REPORT), but instead of stopping at a byte
 * sequence that is not UTF-8 it puts one U+FFFD in its place and remembers the char offset of that
 * U+FFFD. A JSON parser reading through it can then go on to the next record, and the caller asks
 * afterwards whether the chars of one record held such a replacement; a U+FFFD that was in the file as
 * valid UTF-8 is not confused with one.
 *
 * <p>Memory stays bounded: offsets are forgotten once asked about, and more than {@link #MAX_PENDING}
 * unanswered ones (a binary file, not text) stop the read with an error naming file and line.
 */
final class CheckedUtf8Reader extends Reader {
    static final int MAX_PENDING = 1 << 20;

    private final InputStream in;
    private final Path path; // for messages
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes; // read mode: position..limit not yet decoded
    private boolean endOfInput, flushed;
    private long charsDelivered;
    private int carriedLowSurrogate = -1; // second half of a pair that did not fit the last read
    private int line = 1; // of the last char delivered, for the error message
    // char offsets of the U+FFFDs that replaced malformed bytes, oldest first: pending[head..tail)
    private long[] pending = new long[16];
    private int head, tail;

    CheckedUtf8Reader(InputStream in, Path path) { this(in, path, 1 << 16); }

    /** bufferBytes is small only in tests, to put multi-byte characters across refills. */
    CheckedUtf8Reader(InputStream in, Path path, int bufferBytes) {
        this.in = in;
        this.path = path;
        this.bytes = ByteBuffer.allocate(Math.max(bufferBytes, 4)).flip();
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        if (len == 0) return 0;
        CharBuffer out = CharBuffer.wrap(cbuf, off, len); // position starts at off
        if (carriedLowSurrogate >= 0) {
            out.put((char) carriedLowSurrogate);
            carriedLowSurrogate = -1;
        }
        while (out.hasRemaining()) {
            if (flushed) break;
            CoderResult r = decoder.decode(bytes, out, endOfInput);
            if (r.isError()) {
                if (!out.hasRemaining()) break; // the same error comes back on the next call
                remember(charsDelivered + (out.position() - off));
                out.put('\uFFFD');
                bytes.position(bytes.position() + r.length());
            } else if (r.isOverflow()) {
                if (out.position() == off) { // room for one char, but the next is a surrogate pair
                    CharBuffer pair = CharBuffer.allocate(2);
                    decoder.decode(bytes, pair, endOfInput);
                    pair.flip();
                    out.put(pair.get());
                    if (pair.hasRemaining()) carriedLowSurrogate = pair.get();
                }
                break; // a Reader never answers 0 chars to a read of len > 0
            } else if (endOfInput) { // underflow with no more input: a truncated sequence was reported above
                if (decoder.flush(out).isOverflow()) break;
                flushed = true;
            } else if (out.position() > off) {
                break; // give the parser what we have before blocking on the next read
            } else {
                refill();
            }
        }
        int n = out.position() - off;
        for (int i = off; i < off + n; i++) if (cbuf[i] == '\n') line++;
        charsDelivered += n;
        return n == 0 && flushed ? -1 : n;
    }

    private void refill() throws IOException {
        bytes.compact(); // keeps the start of a sequence cut by the end of the last read
        int got = in.read(bytes.array(), bytes.position(), bytes.remaining());
        if (got < 0) endOfInput = true;
        else bytes.position(bytes.position() + got);
        bytes.flip();
    }

    private void remember(long charOffset) throws TaskDataException {
        if (tail - head >= MAX_PENDING) {
            throw new TaskDataException(path + ": line " + line + ": more than " + MAX_PENDING
                    + " byte sequences that are not UTF-8 close together; this does not look like a UTF-8 text file");
        }
        if (tail == pending.length) {
            if (head > 0) { // slide down before growing
                System.arraycopy(pending, head, pending, 0, tail - head);
                tail -= head;
                head = 0;
            }
            if (tail == pending.length) pending = Arrays.copyOf(pending, pending.length * 2);
        }
        pending[tail++] = charOffset;
    }

    /**
     * Whether a malformed sequence was replaced anywhere in chars [from, to] (inclusive). Offsets up to
     * {@code to} are forgotten: callers ask about records in file order.
     */
    boolean malformedBetween(long from, long to) {
        boolean found = false;
        while (head < tail && pending[head] <= to) {
            if (pending[head] >= from) found = true;
            head++;
        }
        return found;
    }

    @Override
    public void close() throws IOException { in.close(); }
}
