package dev.aigateway.core.tokens;

import com.knuddels.jtokkit.api.Encoding;

/**
 * Counts a text's tokens with a bound on the work: exactly, except for runs longer than {@value
 * #MAX_EXACT_RUN} characters of letters (with their marks) or of characters that are neither
 * letters nor digits, which are counted by their UTF-8 size.
 *
 * <p>Why: tiktoken encodings split a text into pieces by a regular expression before byte-pair
 * merging, and each piece is one such run (give or take a leading space or a trailing {@code 's});
 * digits go in groups of three. Merging is cheap for the short pieces of any natural text, but its
 * cost grows faster than a piece's length: a whitespace-free line of a megabyte took jtokkit 3.9 s
 * and 250 MB, and one of 5 MB exhausted a 1 GB heap. With the bound a piece holds at most {@value
 * #MAX_EXACT_RUN} + 4 characters and counting costs at most a few tenths of a microsecond per
 * character, whatever the text.
 *
 * <p>A run past the bound counts its UTF-8 bytes plus {@value #RUN_EDGE_TOKENS}: every token of a
 * byte-level BPE holds at least one byte, so no piece has more tokens than bytes, and the two more
 * cover the pieces cut where the run meets the text around it. The estimate errs high (by up to
 * some four times for such runs of ASCII letters), as a reservation should; the call is settled on
 * the usage the backend reports. No natural text has such runs: they are random strings, long
 * separator lines or indentation, sequences (DNA) and garbage.
 *
 * <p>Unpaired surrogates, which a JSON string may carry as {@code \ud800} escapes, are counted as
 * U+FFFD, the character a UTF-8 encoder puts in their place.
 */
final class PieceBound {

  /** Characters of one letter run or one run of other characters counted exactly, at most. */
  static final int MAX_EXACT_RUN = 256;

  /** Tokens added to a run counted by its size, for the pieces cut at its two ends. */
  static final int RUN_EDGE_TOKENS = 2;

  private static final byte LETTER = 0;
  private static final byte DIGIT = 1;
  private static final byte OTHER = 2;
  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] = Character.isLetter(c) ? LETTER : Character.isDigit(c) ? DIGIT : OTHER;
    }
  }

  private PieceBound() {}

  /** The tokens of {@code text}, with runs above {@link #MAX_EXACT_RUN} counted by size. */
  static long count(Encoding encoding, String text) {
    return count(encoding, text, MAX_EXACT_RUN);
  }

  /** As {@link #count(Encoding, String)}, with runs above {@code maxRun} counted by size. */
  static long count(Encoding encoding, String text, int maxRun) {
    int length = text.length();
    long tokens = 0;
    int exactFrom = 0; // where the text not yet counted starts
    int runStart = 0;
    byte runClass = DIGIT; // a digit ends every run: digits never form long pieces
    boolean unpaired = false;
    for (int i = 0; i < length; ) {
      char c = text.charAt(i);
      byte type;
      int width = 1;
      if (c < 128) {
        type = ASCII[c];
      } else {
        int codePoint = text.codePointAt(i);
        width = Character.charCount(codePoint);
        unpaired |= width == 1 && Character.isSurrogate(c);
        type = typeOf(codePoint);
      }
      if (type != runClass || type == DIGIT) {
        if (runClass != DIGIT && i - runStart > maxRun) {
          tokens +=
              exact(encoding, text, exactFrom, runStart, unpaired)
                  + utf8Length(text, runStart, i)
                  + RUN_EDGE_TOKENS;
          exactFrom = i;
        }
        runStart = i;
        runClass = type;
      }
      i += width;
    }
    if (runClass != DIGIT && length - runStart > maxRun) {
      tokens +=
          exact(encoding, text, exactFrom, runStart, unpaired)
              + utf8Length(text, runStart, length)
              + RUN_EDGE_TOKENS;
      exactFrom = length;
    }
    return tokens + exact(encoding, text, exactFrom, length, unpaired);
  }

  private static byte typeOf(int codePoint) {
    return switch (Character.getType(codePoint)) {
      case Character.UPPERCASE_LETTER,
          Character.LOWERCASE_LETTER,
          Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER,
          Character.OTHER_LETTER,
          Character.NON_SPACING_MARK,
          Character.ENCLOSING_MARK,
          Character.COMBINING_SPACING_MARK ->
          LETTER;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> DIGIT;
      default -> OTHER;
    };
  }

  /** The exact count of {@code text[from, to)}; unpaired surrogates count as U+FFFD. */
  private static long exact(Encoding encoding, String text, int from, int to, boolean unpaired) {
    if (from == to) {
      return 0;
    }
    String part = from == 0 && to == text.length() ? text : text.substring(from, to);
    return encoding.countTokensOrdinary(unpaired ? withoutUnpairedSurrogates(part) : part);
  }

  private static String withoutUnpairedSurrogates(String text) {
    StringBuilder sanitized = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); ) {
      int codePoint = text.codePointAt(i);
      int width = Character.charCount(codePoint);
      sanitized.appendCodePoint(
          width == 1 && Character.isSurrogate(text.charAt(i)) ? 0xFFFD : codePoint);
      i += width;
    }
    return sanitized.toString();
  }

  /** The bytes of {@code text[from, to)} in UTF-8, an unpaired surrogate as U+FFFD (3). */
  private static long utf8Length(String text, int from, int to) {
    long bytes = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < to
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
