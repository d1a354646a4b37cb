package dev.aigateway.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Stream chunks kept, so that their text is read only if it is needed once the stream ended. Each
 * chunk is kept as its difference from the one before (the chunks of an answer differ in a few
 * bytes of text): the length of the start and of the end they share, and the bytes between. Each
 * also remembers how long the stream's text was when it came, so that its text can be put where
 * reading it at once would have put it. Holds at most {@link #LIMIT} bytes, bookkeeping included.
 */
final class DeferredChunks {

  /** Bytes kept at most; past it, the chunks are read at once. */
  static final int LIMIT = 4 << 20;

  /** What a chunk costs besides its bytes, at most: its numbers. */
  private static final int CHUNK_COST = 4 * Integer.BYTES;

  /**
   * The longest start or end a chunk is kept as sharing with the one before: both are noted in one
   * number, 16 bits each (a chunk read without a parser has at most {@link StrictJson#MAX_LENGTH}
   * bytes; a longer one is kept whole).
   */
  private static final int MAX_SHARED = 0xFFFF;

  /** The numbers noted per chunk ({@link #chunks}). */
  private static final int NUMBERS = 3;

  /**
   * The most bytes an instance's arrays may hold together and still be {@linkplain #giveBack given
   * back} for another stream: those of an answer of a few thousand chunks. A larger instance is
   * left to the garbage collector, so that the spares stay small.
   */
  static final int MOST_KEPT_SPARE = 32 << 10;

  /** Instances read to their end, for the next streams. */
  private static final SparePool<DeferredChunks> SPARES = new SparePool<>();

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Room in {@link #bytes} past the first chunk, which it holds whole: the few bytes of text by
   * which each of the next few dozen chunks differs from the one before.
   */
  private static final int ROOM_AFTER_FIRST = 256;

  /**
   * The bytes of each chunk that differ from the one before, one after the other; sized at the
   * first chunk.
   */
  private byte[] bytes;

  private int size;

  /**
   * Per chunk, three numbers: the length of the start it shares with the one before (high 16 bits)
   * and of the end it shares (low 16 bits), where its own bytes end in {@link #bytes}, and the
   * text's length when it came. Room for 32 chunks at first.
   */
  private int[] chunks = new int[32 * NUMBERS];

  private int count;

  /**
   * The chunk added last, whole, to compare the next one with; -1 as its length when not kept. It
   * is in {@link #bytes} from {@link #lastStart} when it was kept whole there (as the first chunk
   * is), else in {@link #last}, made only then.
   */
  private byte[] last;

  private int lastLength = -1;
  private boolean lastInBytes;
  private int lastStart;

  /** The length of the longest chunk kept, and of the one kept last. */
  private int longest;

  private int previousLength;
  private int cost;

  /** The chunk rebuilt last, once the chunks are read, and which one is next. */
  private byte[] rebuilt;

  private int rebuiltLength;
  private int next;

  DeferredChunks() {}

  /**
   * Chunks to keep for one stream: a spare given back by a stream that ended (its arrays cleared,
   * their sizes kept), or a new instance.
   */
  static DeferredChunks take() {
    DeferredChunks spare = SPARES.take();
    return spare != null ? spare : new DeferredChunks();
  }

  /**
   * Gives this instance back for another stream, once its stream is done with it (read to its end:
   * nothing of it is used again). Its arrays are cleared, so that nothing of this stream's answer
   * reaches another; an instance whose arrays grew past {@link #MOST_KEPT_SPARE} is not kept.
   */
  void giveBack() {
    int held = length(bytes) + chunks.length * Integer.BYTES + length(last) + length(rebuilt);
    if (held > MOST_KEPT_SPARE) {
      return;
    }
    if (bytes != null) {
      Arrays.fill(bytes, 0, size, (byte) 0);
    }
    Arrays.fill(chunks, 0, count * NUMBERS, 0);
    if (last != null) {
      Arrays.fill(last, (byte) 0);
    }
    if (rebuilt != null) {
      Arrays.fill(rebuilt, (byte) 0);
    }
    size = 0;
    count = 0;
    lastLength = -1;
    lastInBytes = false;
    lastStart = 0;
    longest = 0;
    previousLength = 0;
    cost = 0;
    rebuiltLength = 0;
    next = 0;
    SPARES.giveBack(this);
  }

  /** Whether every byte this instance's arrays hold is 0, as after {@link #giveBack} (tests). */
  boolean heldBytesAllZero() {
    for (byte[] array : new byte[][] {bytes, last, rebuilt}) {
      if (array != null) {
        for (byte b : array) {
          if (b != 0) {
            return false;
          }
        }
      }
    }
    for (int n : chunks) {
      if (n != 0) {
        return false;
      }
    }
    return true;
  }

  /** How many instances are spare now (tests). */
  static int spares() {
    return SPARES.size();
  }

  private static int length(byte[] array) {
    return array == null ? 0 : array.length;
  }

  /**
   * Keeps the chunk {@code data[from, to)}, which came when the text was {@code textLength} long
   * and whose first {@code sharedStart} and last {@code sharedEnd} bytes are known to be those of
   * the chunk added before (0 when not known); returns false, keeping nothing, when it would take
   * the stash past {@link #LIMIT}. A chunk with a known start or end keeps what lies between, as it
   * is: it is not compared with the one before, which is then not kept either.
   */
  boolean add(byte[] data, int from, int to, int textLength, int sharedStart, int sharedEnd) {
    int length = to - from;
    longest = Math.max(longest, length);
    int previousLength = this.previousLength;
    this.previousLength = length;
    if (count > 0 && sharedStart + sharedEnd > 0) {
      // Known: as nearly every chunk of an answer after its first few.
      int most = Math.min(previousLength, length); // a chunk alike at both ends shares it once
      int start = Math.min(sharedStart, most);
      int end = Math.min(sharedEnd, most - start);
      if (!store(data, from, length, start, end, textLength)) {
        return false;
      }
      lastLength = -1; // not kept: the next chunk compared is kept whole
      return true;
    }
    return addCompared(data, from, to, textLength);
  }

  /**
   * Keeps the chunk {@code data[from, to)} as {@link #add} does when what it shares with the chunk
   * before is not known: found by comparing it with that chunk, when it was kept.
   */
  private boolean addCompared(byte[] data, int from, int to, int textLength) {
    int length = to - from;
    int start = 0;
    int end = 0;
    if (count > 0 && lastLength >= 0) {
      byte[] previous = lastInBytes ? bytes : last;
      int previousStart = lastInBytes ? lastStart : 0;
      int previousEnd = previousStart + lastLength;
      start = Arrays.mismatch(previous, previousStart, previousEnd, data, from, to);
      start = start < 0 ? length : start;
      end = commonEnd(previous, previousEnd, data, to, Math.min(lastLength, length) - start);
    }
    if (!store(data, from, length, start, end, textLength)) {
      return false;
    }
    start = chunkStart(count - 1); // as noted: 0 for a chunk kept whole
    end = chunkEnd(count - 1);
    int differing = length - start - end;
    if (differing == length) {
      lastInBytes = true; // kept whole in the bytes: compared with there
      lastStart = size - length;
      lastLength = length;
    } else {
      if (lastInBytes) {
        lastInBytes = false;
        last = ensure(last, Math.max(lastLength, length));
        System.arraycopy(bytes, lastStart, last, 0, lastLength);
      } else {
        last = ensure(last, length);
      }
      lastLength = change(last, lastLength, start, end, data, from + start, differing);
    }
    return true;
  }

  /**
   * Notes the chunk {@code data[from, from + length)} whose first {@code start} and last {@code
   * end} bytes are those of the chunk before (both 0 when they are not known, or too many to note:
   * kept whole), keeping the bytes between; returns false, keeping nothing, when that would take
   * the stash past {@link #LIMIT}.
   */
  private boolean store(byte[] data, int from, int length, int start, int end, int textLength) {
    if (start > MAX_SHARED || end > MAX_SHARED) {
      start = 0; // kept whole: what it shares is not noted
      end = 0;
    }
    int differing = length - start - end;
    if (differing + CHUNK_COST > LIMIT - cost) {
      return false;
    }
    cost += differing + CHUNK_COST;
    if (bytes == null) {
      bytes = new byte[differing + ROOM_AFTER_FIRST];
    } else if (size + differing > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(size + differing, bytes.length * 2));
    }
    System.arraycopy(data, from + start, bytes, size, differing);
    size += differing;
    if (count * NUMBERS == chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
    }
    chunks[count * NUMBERS] = start << 16 | end;
    chunks[count * NUMBERS + 1] = size;
    chunks[count * NUMBERS + 2] = textLength;
    count++;
    return true;
  }

  /** How many first bytes chunk {@code i} was noted as sharing with the one before. */
  private int chunkStart(int i) {
    return chunks[i * NUMBERS] >>> 16;
  }

  /** How many last bytes chunk {@code i} was noted as sharing with the one before. */
  private int chunkEnd(int i) {
    return chunks[i * NUMBERS] & MAX_SHARED;
  }

  /** {@code chunk}, or a larger copy of it when it has fewer than {@code length} bytes. */
  private static byte[] ensure(byte[] chunk, int length) {
    if (chunk == null) {
      return new byte[length];
    }
    return chunk.length < length ? Arrays.copyOf(chunk, Math.max(length, chunk.length * 2)) : chunk;
  }

  /**
   * Turns {@code chunk[0, length)} into the chunk that shares its first {@code start} and last
   * {@code end} bytes and has {@code bytes[from, from + differing)} between; returns its length.
   * {@code chunk} must be large enough for both.
   */
  private static int change(
      byte[] chunk, int length, int start, int end, byte[] bytes, int from, int differing) {
    System.arraycopy(chunk, length - end, chunk, start + differing, end);
    System.arraycopy(bytes, from, chunk, start, differing);
    return start + differing + end;
  }

  /**
   * The length of the longest common end of {@code a[0, aTo)} and {@code b[.., bTo)}, at most
   * {@code most}; eight bytes a step.
   */
  static int commonEnd(byte[] a, int aTo, byte[] b, int bTo, int most) {
    int n = 0;
    for (; n + Long.BYTES <= most; n += Long.BYTES) {
      long diff =
          (long) LONGS.get(a, aTo - n - Long.BYTES) ^ (long) LONGS.get(b, bTo - n - Long.BYTES);
      if (diff != 0) {
        return n + (Long.numberOfLeadingZeros(diff) >>> 3); // the last byte is the highest
      }
    }
    while (n < most && a[aTo - 1 - n] == b[bTo - 1 - n]) {
      n++;
    }
    return n;
  }

  int count() {
    return count;
  }

  /** How long the text was when chunk {@code i} came. */
  int textAt(int i) {
    return chunks[i * NUMBERS + 2];
  }

  /**
   * Rebuilds the next chunk, whole, in {@link #chunk()}: the first one at the first call, and so
   * on, in order; once only.
   */
  void rebuildNext() {
    if (rebuilt == null || rebuilt.length < longest) {
      rebuilt = new byte[longest];
    }
    int i = next++;
    int start = chunks[i * NUMBERS] >>> 16;
    int end = chunks[i * NUMBERS] & MAX_SHARED;
    int to = chunks[i * NUMBERS + 1];
    int from = i == 0 ? 0 : chunks[(i - 1) * NUMBERS + 1];
    rebuiltLength = change(rebuilt, rebuiltLength, start, end, bytes, from, to - from);
  }

  /** The chunk {@link #rebuildNext} rebuilt. */
  byte[] chunk() {
    return rebuilt;
  }

  /** The length of the chunk {@link #rebuildNext} rebuilt. */
  int chunkLength() {
    return rebuiltLength;
  }
}
