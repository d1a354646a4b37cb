package dev.aigateway.core.wire;

import java.util.Arrays;

/**
 * The bytes that came before the text of the last delta a stream reader walked: the deltas of one
 * stream are written alike up to their text ({@code {"type":"content_block_delta","index":0,
 * "delta":{"type":"text_delta","text":"} for Anthropic, {@code {"contentBlockIndex":0,"delta":
 * {"text":"} for ConverseStream), so the next delta is read by comparing its first bytes with
 * these, checking its text as a JSON string ({@link StrictJson}) and what follows it ({@link
 * #closes}, {@link #membersAfter}), instead of walking each member.
 *
 * <p>A reader keeps the bytes only of a delta it walked ({@link ObjectMembers}) and that taught
 * nothing but that one string, and accepts another delta this way only when what follows the
 * string leaves the walk's reading unchanged: a delta that repeats the kept bytes, has a string
 * there, and is closed as the reader checks, is one the walk accepts with the same members, the
 * string in the same place. Any other delta is walked as before (and may be kept in turn). One per
 * reader; it serves one thread.
 */
final class TextTemplate {

  /** The kept bytes, up to and with the opening quote of the text; valid to {@link #length}. */
  private byte[] prefix = new byte[0];

  /** How many bytes are kept; -1 before any. */
  private int length = -1;

  /** Keeps {@code json[from, quote]}: a delta's bytes up to its text's opening quote. */
  void keep(byte[] json, int from, int quote) {
    int n = quote + 1 - from;
    if (prefix.length < n) {
      prefix = new byte[Math.max(n, 2 * prefix.length)];
    }
    System.arraycopy(json, from, prefix, 0, n);
    length = n;
  }

  /**
   * Where the opening quote of the text of {@code json[from, to)} is, when it starts with the kept
   * bytes; -1 when it does not (or nothing is kept).
   */
  int quote(byte[] json, int from, int to) {
    int n = length;
    if (n <= 0
        || to - from <= n
        || json[from + n - 1] != '"'
        || !Arrays.equals(json, from, from + n, prefix, 0, n)) {
      return -1;
    }
    return from + n - 1;
  }

  /**
   * As {@link #quote(byte[], int, int)}, when the first {@code known} bytes of {@code json[from,
   * to)} are known to be those kept (the bytes of the last event read, which began with them, left
   * as they were): then they are not compared again.
   */
  int quote(byte[] json, int from, int to, int known) {
    int n = length;
    if (n <= 0 || known < n) {
      return quote(json, from, to);
    }
    return to - from > n ? from + n - 1 : -1;
  }

  /**
   * Where the object ends whose last member's value ends at {@code at}: after the closing brace
   * that follows it (whitespace allowed before it); -1 when anything else follows.
   */
  static int closes(byte[] json, int at, int to) {
    if (at < 0) {
      return -1;
    }
    int i = StrictJson.skipSpace(json, at, to);
    return i < to && json[i] == '}' ? i + 1 : -1;
  }

  /**
   * Where the object ends in which a member's value ends at {@code at}, its members after that one
   * walked as {@link ObjectMembers#walk} walks them (names without escapes, values {@link
   * StrictJson} accepts, {@code depth} objects deep) and none of them named {@code refused} (with
   * its quotes); -1 when one is so named or anything is not accepted.
   */
  static int membersAfter(byte[] json, int at, int to, byte[] refused, int depth) {
    if (at < 0) {
      return -1;
    }
    int i = StrictJson.skipSpace(json, at, to);
    while (true) {
      if (i >= to) {
        return -1;
      } else if (json[i] == '}') {
        return i + 1;
      } else if (json[i] != ',') {
        return -1;
      }
      i = StrictJson.skipSpace(json, i + 1, to);
      if (i >= to || json[i] != '"') {
        return -1;
      }
      int nameEnd = StrictJson.string(json, i, to, false);
      if (nameEnd < 0 || StrictJson.is(json, i, nameEnd, refused)) {
        return -1;
      }
      int colon = StrictJson.skipSpace(json, nameEnd, to);
      if (colon >= to || json[colon] != ':') {
        return -1;
      }
      int valueEnd =
          StrictJson.NOT_NOTING.value(json, StrictJson.skipSpace(json, colon + 1, to), to, depth);
      if (valueEnd < 0) {
        return -1;
      }
      i = StrictJson.skipSpace(json, valueEnd, to);
    }
  }

  /** Whether only whitespace lies from {@code at} to {@code to} ({@code at} not -1). */
  static boolean ends(byte[] json, int at, int to) {
    return at >= 0 && StrictJson.skipSpace(json, at, to) == to;
  }
}
