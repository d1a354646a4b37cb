package dev.aigateway.core.wire;

/**
 * Finds, byte by byte, where the values of a JSON body begin and end without parsing them: the body
 * itself when it is an object, else each element of a top-level array (a Gemini stream sent without
 * {@code alt=sse} is one JSON array, its elements arriving one by one). Strings and escapes are
 * tracked, so braces inside text do not count. One instance per body; not thread-safe.
 */
final class JsonValueScanner {

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

  /** Whether the body is a top-level array (known once its first byte came). */
  boolean array() {
    return top == '[';
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
