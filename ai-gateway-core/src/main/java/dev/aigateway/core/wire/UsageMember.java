package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * A stream chunk's top-level {@code usage} member, noted while {@link ResponseReadout#readChunk}
 * parses the chunk (or from what {@link ChatChunkScanner} found without parsing it), and what
 * hiding usage does about it so the chunk reads exactly as it would have without {@code
 * stream_options.include_usage}: the usage-only chunk (a usage that is not null, usually an object,
 * and empty {@code choices}) is dropped; from any other chunk whose usage is null, the first
 * top-level {@code "usage":null} member is cut out of the bytes, with one comma, every other byte
 * left as it was. One instance serves one stream, chunk after chunk.
 */
final class UsageMember {

  private static final byte[] KEY = {'"', 'u', 's', 'a', 'g', 'e', '"'};
  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  /** The first token of the last top-level usage value; null when the chunk has none. */
  private JsonToken value;

  private boolean choicesEmpty;
  private int cutFrom = -1;
  private int cutTo;

  /** Forgets the previous chunk. */
  void clear() {
    value = null;
    choicesEmpty = false;
    cutFrom = -1;
  }

  /**
   * Notes the top-level usage value the parser is at (its first token), in a chunk whose bytes are
   * {@code json[from, to)}; locates the first null one's member for {@link #cutsNull()}.
   */
  void note(JsonParser p, byte[] json, int from, int to) {
    value = p.currentToken();
    if (value == JsonToken.VALUE_NULL && cutFrom < 0) {
      locate(json, from, to, from + (int) p.currentTokenLocation().getByteOffset());
    }
  }

  /**
   * Notes, as {@link #note} would have, the top-level usage of a chunk {@code json[from, to)} that
   * {@link ChatChunkScanner#read} found to have only null ones, the first starting at {@code
   * usageValue}, or none ({@link ChatChunkScanner#NO_USAGE}).
   */
  void noteNull(byte[] json, int from, int to, int usageValue) {
    clear();
    if (usageValue >= 0) {
      // Its name has no escapes (ChatChunkScanner sees to it): the first null member is always
      // found.
      value = JsonToken.VALUE_NULL;
      locate(json, from, to, usageValue);
    }
  }

  /**
   * Notes, as {@link #noteNull} would have, a chunk whose first top-level usage value is null and
   * whose member {@code [cutFrom, cutTo)} removes, found already.
   */
  void noteNullCut(int cutFrom, int cutTo) {
    clear();
    value = JsonToken.VALUE_NULL;
    cut(cutFrom, cutTo);
  }

  /**
   * Notes, as {@link #note} and {@link #noteChoices} would have, a chunk that {@link
   * ChatChunkScanner} found to have one top-level usage member, an object, and only empty {@code
   * choices}.
   */
  void noteUsageOnly() {
    clear();
    value = JsonToken.START_OBJECT;
    choicesEmpty = true;
  }

  /** Notes the last top-level {@code choices}: whether it is an empty array. */
  void noteChoices(boolean emptyArray) {
    choicesEmpty = emptyArray;
  }

  /**
   * Whether the chunk is the usage-only chunk the application did not ask for: its usage is not
   * null (an object, or anything else a backend puts there) and its choices are empty.
   */
  boolean usageOnly() {
    return value != null && value != JsonToken.VALUE_NULL && choicesEmpty;
  }

  /** Whether the chunk's usage is null and {@code [cutFrom(), cutTo())} removes its member. */
  boolean cutsNull() {
    return value == JsonToken.VALUE_NULL && cutFrom >= 0;
  }

  int cutFrom() {
    return cutFrom;
  }

  int cutTo() {
    return cutTo;
  }

  /**
   * Finds the member from its null value, which the parser located, back to its key, checking the
   * raw bytes: a key written with escapes is left alone. No scan of the chunk is needed; OpenAI
   * puts the member last, so the usual cut is {@code ,"usage":null} before the final brace.
   */
  private void locate(byte[] json, int from, int to, int valueStart) {
    if (!StrictJson.startsWith(json, valueStart, to, NULL)) {
      return;
    }
    int valueEnd = valueStart + NULL.length;
    int colon = skipSpaceBack(json, from, valueStart);
    if (colon < from || json[colon] != ':') {
      return;
    }
    int keyStart = skipSpaceBack(json, from, colon) - (KEY.length - 1);
    if (keyStart < from || !StrictJson.startsWith(json, keyStart, to, KEY)) {
      return;
    }
    int before = skipSpaceBack(json, from, keyStart);
    if (before >= from && json[before] == ',') {
      cut(before, valueEnd);
      return;
    }
    int after = StrictJson.skipSpace(json, valueEnd, to);
    if (after < to && json[after] == ',') {
      cut(keyStart, StrictJson.skipSpace(json, after + 1, to));
    } else {
      cut(keyStart, valueEnd);
    }
  }

  private void cut(int from, int to) {
    cutFrom = from;
    cutTo = to;
  }

  /** The index of the last byte before {@code index} that is not JSON whitespace. */
  private static int skipSpaceBack(byte[] json, int from, int index) {
    int i = index - 1;
    while (i >= from && StrictJson.isSpace(json[i])) {
      i--;
    }
    return i;
  }
}
