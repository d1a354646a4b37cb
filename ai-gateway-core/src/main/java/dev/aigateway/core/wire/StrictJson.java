package dev.aigateway.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Skips JSON values on their UTF-8 bytes without a parser, strictly: RFC 8259 and well-formed UTF-8
 * only, and well inside the limits of the gateway's Jackson parser (nesting, number and name
 * length), so that a value accepted here is one Jackson reads without error. Anything else, even
 * JSON Jackson would read, is refused: the caller then leaves it to Jackson.
 *
 * <p>Each method takes the bytes, where to start, and the end of the input; it returns where the
 * skipped value ends, or -1 when it is not a value accepted here. An instance also notes where the
 * strings it skipped as values (not names) lie, for {@link ChatChunkScanner}; it serves one thread.
 */
final class StrictJson {

  /** Nesting of arrays and objects accepted (Jackson's limit: 1,000). */
  static final int MAX_DEPTH = 64;

  /** Characters of a number accepted (Jackson's limit: 1,000 digits). */
  static final int MAX_NUMBER_LENGTH = 100;

  /**
   * Bytes of input a caller should hand over at most, so that no name reaches Jackson's limit
   * (50,000 characters); these methods do not check it.
   */
  static final int MAX_LENGTH = 1 << 15;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long LOW_BITS = 0x7f7f7f7f7f7f7f7fL;
  private static final long QUOTES = '"' * ONES;

  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * The literals' bytes as {@link #INTS} reads them: {@code true}, {@code null}, and {@code alse}.
   */
  private static final int TRUE_INT = literalInt("true");

  private static final int NULL_INT = literalInt("null");
  private static final int ALSE_INT = literalInt("alse");
  private static final long BACKSLASHES = '\\' * ONES;

  /** Added to a byte below 0x80, sets its high bit when the byte is not a control character. */
  private static final long PRINTABLE = (0x80 - ' ') * ONES;

  /**
   * An instance that notes no strings, shared: for callers that only need values skipped. Its
   * {@link #strings()} is null.
   */
  static final StrictJson NOT_NOTING = new StrictJson(false);

  /**
   * Per value string skipped since {@link #forgetStrings}: its opening quote and its end; null when
   * strings are not noted.
   */
  private int[] strings;

  private int stringCount;

  StrictJson() {
    this(true);
  }

  private StrictJson(boolean notesStrings) {
    strings = notesStrings ? new int[32] : null; // a chat chunk has a handful; grows for more
  }

  /** Forgets the value strings noted so far. */
  void forgetStrings() {
    stringCount = 0;
  }

  /** How many value strings were skipped since {@link #forgetStrings}. */
  int stringCount() {
    return stringCount;
  }

  /**
   * The value strings skipped since {@link #forgetStrings}, in order: for each, the index of its
   * opening quote, then the index after its closing quote.
   */
  int[] strings() {
    return strings;
  }

  /**
   * Skips the value at {@code i}, {@code depth} arrays and objects deep (0 at the root).
   *
   * <p>One loop, without recursion: the arrays and objects open around the value being skipped are
   * one bit each in a {@code long} (an object 1), which {@link #MAX_DEPTH} levels fit.
   */
  int value(byte[] json, int i, int to, int depth) {
    long objects = 0; // bit 0: whether the innermost open container is an object; bit k, k out
    int open = 0; // containers open in this call
    while (true) {
      // At a value (or -1, when a name before it was refused).
      if (i < 0 || i >= to) {
        return -1;
      }
      byte b = json[i];
      if (b == '"') {
        i = valueString(json, i, to);
      } else if (b == '{' || b == '[') {
        if (depth + open >= MAX_DEPTH || open == Long.SIZE) {
          return -1;
        }
        open++;
        boolean object = b == '{';
        objects = objects << 1 | (object ? 1 : 0);
        i = skipSpace(json, i + 1, to);
        if (i < to && json[i] == (object ? '}' : ']')) {
          i++; // empty: closed at once
          open--;
          objects >>>= 1;
        } else {
          if (object) {
            i = name(json, i, to);
          }
          continue; // at the first member's value or the first element
        }
      } else if (b == 't') {
        i = literal(json, i, to, TRUE_INT) ? i + 4 : -1;
      } else if (b == 'f') {
        i = literal(json, i + 1, to, ALSE_INT) ? i + 5 : -1;
      } else if (b == 'n') {
        i = literal(json, i, to, NULL_INT) ? i + 4 : -1;
      } else {
        i = number(json, i, to);
      }
      // After a value: the next member or element, or the ends of the containers it closes.
      while (true) {
        if (i < 0 || open == 0) {
          return i;
        }
        i = skipSpace(json, i, to);
        if (i >= to) {
          return -1;
        }
        b = json[i];
        boolean object = (objects & 1) != 0;
        if (b == ',') {
          i = skipSpace(json, i + 1, to);
          if (object) {
            i = name(json, i, to);
          }
          break; // at the next value
        } else if (b == (object ? '}' : ']')) {
          i++;
          open--;
          objects >>>= 1;
        } else {
          return -1;
        }
      }
    }
  }

  /**
   * Skips a member's name and its colon, from the name's opening quote at {@code i}; returns where
   * its value starts, after any space, or -1.
   */
  private static int name(byte[] json, int i, int to) {
    if (i >= to || json[i] != '"') {
      return -1;
    }
    i = string(json, i, to, true);
    if (i < 0) {
      return -1;
    }
    i = skipSpace(json, i, to);
    if (i >= to || json[i] != ':') {
      return -1;
    }
    return skipSpace(json, i + 1, to);
  }

  private int valueString(byte[] json, int i, int to) {
    int end = string(json, i, to, true);
    if (end >= 0 && strings != null) {
      if (stringCount * 2 == strings.length) {
        strings = Arrays.copyOf(strings, strings.length * 2);
      }
      strings[stringCount * 2] = i;
      strings[stringCount * 2 + 1] = end;
      stringCount++;
    }
    return end;
  }

  /**
   * Skips the string whose opening quote is at {@code i}, refusing it if it holds an escape and
   * {@code escapes} is false.
   */
  static int string(byte[] json, int i, int to, boolean escapes) {
    int j = i + 1;
    while (true) {
      // Eight bytes a step until one needs a look: a quote, a backslash, a control character or
      // a byte of a multi-byte character. For a byte below 0x80 each sum below keeps within the
      // byte and sets its high bit when the byte is fine on that count; a byte of 0x80 or more
      // is flagged by ~word, and a carry out of it can only reach the bytes after it. So the
      // lowest flag marks the first byte that needs a look.
      for (; j <= to - Long.BYTES; j += Long.BYTES) {
        long word = (long) LONGS.get(json, j);
        long fine =
            (word + PRINTABLE)
                & ((word ^ QUOTES) + LOW_BITS)
                & ((word ^ BACKSLASHES) + LOW_BITS)
                & ~word;
        long flags = ~fine & HIGH_BITS;
        if (flags != 0) {
          j += Long.numberOfTrailingZeros(flags) >>> 3;
          break;
        }
      }
      if (j >= to) {
        return -1;
      }
      byte b = json[j];
      if (b == '"') {
        return j + 1;
      } else if (b == '\\') {
        j = escapes ? escape(json, j, to) : -1;
      } else if (b < 0) {
        j = character(json, j, to);
      } else if (b < ' ') {
        return -1;
      } else {
        j++; // the last bytes, looked at one by one
      }
      if (j < 0) {
        return -1;
      }
    }
  }

  /**
   * The index of the first byte from {@code j} that is a quote, a backslash or not ASCII (0x80 or
   * more), or {@code to} when there is none: eight bytes a step, for a reader of strings this class
   * has already accepted, which needs to stop only at those bytes.
   */
  static int quoteBackslashOrHigh(byte[] json, int j, int to) {
    for (; j <= to - Long.BYTES; j += Long.BYTES) {
      // As in string(): for a byte below 0x80 each sum keeps within the byte and sets its high
      // bit when the byte is not the one compared; a byte of 0x80 or more is flagged by ~word, and
      // a carry out of it can only reach the bytes after it.
      long word = (long) LONGS.get(json, j);
      long fine = ((word ^ QUOTES) + LOW_BITS) & ((word ^ BACKSLASHES) + LOW_BITS) & ~word;
      long flags = ~fine & HIGH_BITS;
      if (flags != 0) {
        return j + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    for (; j < to; j++) {
      byte b = json[j];
      if (b == '"' || b == '\\' || b < 0) {
        return j;
      }
    }
    return to;
  }

  /** Whether {@code json[from, to)} is {@code name} (a name with its quotes). */
  static boolean is(byte[] json, int from, int to, byte[] name) {
    return to - from == name.length && startsWith(json, from, to, name);
  }

  /**
   * Whether {@code bytes[at, to)} starts with {@code prefix}; a plain loop, which beats {@code
   * Arrays.equals} on ranges this short (names, field names, literals).
   */
  static boolean startsWith(byte[] bytes, int at, int to, byte[] prefix) {
    if (to - at < prefix.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (bytes[at + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  /** The index of the first byte from {@code i} that is not JSON whitespace. */
  static int skipSpace(byte[] json, int i, int to) {
    // A byte above the space is no whitespace: one comparison for each byte a compact document
    // has here (a byte above ASCII is negative, and found no whitespace by isSpace).
    while (i < to && json[i] <= ' ' && isSpace(json[i])) {
      i++;
    }
    return i;
  }

  /** Four ASCII characters as {@link #INTS} reads their bytes. */
  private static int literalInt(String four) {
    return four.charAt(0) | four.charAt(1) << 8 | four.charAt(2) << 16 | four.charAt(3) << 24;
  }

  static boolean isSpace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }

  /**
   * Whether the four bytes at {@code i} are {@code literal} (four bytes in {@link #INTS}' order): a
   * literal's bytes, or those after the {@code f} of {@code false}.
   */
  private static boolean literal(byte[] json, int i, int to, int literal) {
    return to - i >= Integer.BYTES && (int) INTS.get(json, i) == literal;
  }

  /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}, not too long. */
  static int number(byte[] json, int i, int to) {
    int start = i;
    if (i < to && json[i] == '-') {
      i++;
    }
    if (i >= to || !isDigit(json[i])) {
      return -1;
    }
    i = json[i] == '0' ? i + 1 : digits(json, i, to);
    if (i < to && json[i] == '.') {
      int end = digits(json, i + 1, to);
      if (end == i + 1) {
        return -1;
      }
      i = end;
    }
    if (i < to && (json[i] == 'e' || json[i] == 'E')) {
      i++;
      if (i < to && (json[i] == '+' || json[i] == '-')) {
        i++;
      }
      int end = digits(json, i, to);
      if (end == i) {
        return -1;
      }
      i = end;
    }
    return i - start <= MAX_NUMBER_LENGTH ? i : -1;
  }

  private static int digits(byte[] json, int i, int to) {
    while (i < to && isDigit(json[i])) {
      i++;
    }
    return i;
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  /** Skips the escape whose backslash is at {@code i}. */
  private static int escape(byte[] json, int i, int to) {
    if (i + 1 >= to) {
      return -1;
    }
    switch (json[i + 1]) {
      case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
        return i + 2;
      }
      case 'u' -> {
        if (i + 6 > to) {
          return -1;
        }
        for (int k = i + 2; k < i + 6; k++) {
          if (Character.digit(json[k], 16) < 0) {
            return -1;
          }
        }
        return i + 6;
      }
      default -> {
        return -1;
      }
    }
  }

  /**
   * Skips the multi-byte UTF-8 character whose lead byte is at {@code i}; refuses overlong forms,
   * surrogates and code points past U+10FFFF (RFC 3629).
   */
  private static int character(byte[] json, int i, int to) {
    int lead = json[i] & 0xff;
    int length;
    int min = 0x80;
    int max = 0xbf; // the bounds of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      min = lead == 0xe0 ? 0xa0 : min;
      max = lead == 0xed ? 0x9f : max;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      min = lead == 0xf0 ? 0x90 : min;
      max = lead == 0xf4 ? 0x8f : max;
    } else {
      return -1;
    }
    if (i + length > to) {
      return -1;
    }
    int second = json[i + 1] & 0xff;
    if (second < min || second > max) {
      return -1;
    }
    for (int k = i + 2; k < i + length; k++) {
      if ((json[k] & 0xc0) != 0x80) {
        return -1;
      }
    }
    return i + length;
  }
}
