package dev.aigateway.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds, byte by byte, where the values of a JSON body begin and end without parsing them: the body
 * itself when it is an object, else each element of a top-level array (a Gemini stream sent without
 * {@code alt=sse} is one JSON array, its elements arriving one by one). Strings and escapes are
 * tracked, so braces inside text do not count. {@link #find} reads many bytes a call, the text of
 * strings eight bytes a step. One instance per body; not thread-safe.
 */
final class JsonValueScanner {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long QUOTES = '"' * ONES;
  private static final long BACKSLASHES = '\\' * ONES;

  /** {@link #next} result: the byte is inside or between values. */
  static final int NONE = 0;

  /** {@link #next} result: the byte starts a value. */
  static final int VALUE_START = 1;

  /** {@link #next} result: the byte ends the value started last. */
  static final int VALUE_END = 2;

  /** {@link #next} result: the byte closes the top-level array. */
  static final int ARRAY_END = 3;

  /** Nesting depth: objects and arrays opened and not yet closed. */
  private int depth;

  /** 0 before the first byte that is not whitespace, then '[' or '{' (or another byte). */
  private byte top;

  private boolean inString;
  private boolean escaped;

  /** What the byte {@link #find} stopped at was. */
  private int found;

  /** Whether the body is a top-level array (known once its first byte came). */
  boolean array() {
    return top == '[';
  }

  /**
   * Whether the body's first byte other than white space came and is neither {@code [} nor {@code
   * \{}: no value of it is ever reported.
   */
  boolean neither() {
    return top != 0 && top != '[' && top != '{';
  }

  /**
   * Reads the bytes of {@code b[from, to)} as {@link #next} does, up to the first that is not
   * {@link #NONE}: returns its index (what it was in {@link #found()}), or {@code to} when every
   * byte was {@link #NONE}. The text of a string is skipped eight bytes a step up to its next quote
   * or backslash.
   */
  int find(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      if (inString && !escaped) {
        i = quoteOrBackslash(b, i, to);
        if (i >= to) {
          return to;
        }
      }
      int result = next(b[i]);
      if (result != NONE) {
        found = result;
        return i;
      }
      i++;
    }
    return to;
  }

  /**
   * The value whose start {@link #find} reported last ended at a byte this scanner is not shown
   * (its reader found its end): the next byte read is the one after it.
   */
  void valueEnded() {
    depth = valueDepth() - 1;
    inString = false;
    escaped = false;
  }

  /** What the byte at the index {@link #find} returned was. */
  int found() {
    return found;
  }

  /** The first index at or after {@code i} holding a quote or a backslash, else {@code to}. */
  private static int quoteOrBackslash(byte[] b, int i, int to) {
    for (; i <= to - Long.BYTES; i += Long.BYTES) {
      long word = (long) LONGS.get(b, i);
      long quotes = word ^ QUOTES;
      long backslashes = word ^ BACKSLASHES;
      // A zero byte of either sets its high bit here; a borrow can only flag bytes above the
      // first zero, so the lowest flag is the first quote or backslash.
      long flags = ((quotes - ONES) & ~quotes | (backslashes - ONES) & ~backslashes) & HIGH_BITS;
      if (flags != 0) {
        return i + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == '"' || b[i] == '\\') {
        return i;
      }
    }
    return to;
  }

  /** Reads the next byte of the body and says what it was. */
  int next(byte c) {
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
      }
      return NONE;
    }
    switch (c) {
      case '"' -> {
        inString = true;
        return NONE;
      }
      case '{', '[' -> {
        if (top == 0) {
          top = c;
        }
        depth++;
        // A value starts at depth 1 (the top-level object) or 2 (an element of the top-level
        // array).
        return depth == valueDepth() ? VALUE_START : NONE;
      }
      case '}', ']' -> {
        if (depth == 0) {
          return NONE; // stray: not JSON this scanner follows
        }
        depth--;
        if (depth == valueDepth() - 1) {
          return VALUE_END;
        }
        return depth == 0 && top == '[' ? ARRAY_END : NONE;
      }
      case ' ', '\t', '\n', '\r' -> {
        return NONE;
      }
      default -> {
        if (top == 0) {
          top = c; // neither an object nor an array: no value is ever reported
        }
        return NONE;
      }
    }
  }

  private int valueDepth() {
    return top == '[' ? 2 : top == '{' ? 1 : Integer.MAX_VALUE;
  }
}
