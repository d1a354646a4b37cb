package dev.aigateway.api;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Names from requests, backends or other instances as a one-line text shows them: control
 * characters (C0, C1 and DEL), the Unicode line and paragraph separators and the text direction
 * controls escaped as in Java source ({@code \n}, {@code \r}, {@code \t}, the others as {@code
 * \}{@code uXXXX}), and each name cut at {@link #MAX_CHARS} characters as written, the cut shown as
 * {@code …(+N chars)} with the number of characters left out. A name a caller chose (a consumer, a
 * model) can then neither break a log line, start a forged one, turn the rest of it round, nor make
 * it a megabyte long. {@link GatewayEvent#toString()} and the core's call log write names so; a
 * listener that writes its own lines from events can use it too.
 */
public final class LogText {

  /** The most characters of one name written (escapes counted as written). */
  public static final int MAX_CHARS = 200;

  private LogText() {}

  /**
   * {@code value} escaped and cut (see above), for a log call's argument; {@code null} as {@code
   * null}.
   */
  public static String of(@Nullable String value) {
    return value == null ? "null" : append(new StringBuilder(), value).toString();
  }

  /**
   * Appends {@code value} escaped and cut (see above); {@code null} as {@code null}.
   *
   * @return {@code line}
   */
  public static StringBuilder append(StringBuilder line, @Nullable String value) {
    return append(line, value, MAX_CHARS);
  }

  /**
   * Appends {@code value} escaped as above and cut at {@code maxChars} characters as written, for a
   * text of another bound than a name's (a remote party's error message quoted in an exception).
   *
   * @return {@code line}
   * @throws IllegalArgumentException when {@code maxChars} is negative
   */
  public static StringBuilder append(StringBuilder line, @Nullable String value, int maxChars) {
    if (maxChars < 0) {
      throw new IllegalArgumentException("maxChars must be >= 0 but was " + maxChars);
    }
    if (value == null) {
      return line.append((String) null);
    }
    int start = line.length();
    int i = 0;
    while (i < value.length()) {
      char c = value.charAt(i);
      int mark = line.length();
      int next = i + 1;
      if (escaped(c)) {
        switch (c) {
          case '\n' -> line.append("\\n");
          case '\r' -> line.append("\\r");
          case '\t' -> line.append("\\t");
          default -> line.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
        }
      } else if (Character.isHighSurrogate(c)
          && next < value.length()
          && Character.isLowSurrogate(value.charAt(next))) {
        line.append(c).append(value.charAt(next)); // a pair is kept whole
        next++;
      } else {
        line.append(c);
      }
      if (line.length() - start > maxChars) {
        line.setLength(mark);
        return line.append("…(+").append(value.length() - i).append(" chars)");
      }
      i = next;
    }
    return line;
  }

  /**
   * Whether a character is written escaped: C0 and C1 controls and DEL, the line and paragraph
   * separators, and the bidirectional formatting characters (marks, embeddings, overrides,
   * isolates).
   */
  private static boolean escaped(char c) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || c == '\u2028'
        || c == '\u2029'
        || c == '\u061c'
        || c == '\u200e'
        || c == '\u200f'
        || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069');
  }
}
