package dev.aigateway.embeddings.onnx;

import java.util.Arrays;

/**
 * What a BERT tokenizer keeping at most a given number of word pieces needs to see of a text, so
 * that a huge text (a pasted file of megabytes, a run of millions of characters without a space, a
 * letter followed by millions of combining marks) costs the tokenizer what the model reads, not
 * what the text holds. The tokenizer (BERT's normalizer, its pre-tokenizer splitting at whitespace
 * and punctuation, WordPiece with its 100 characters a word) is given:
 *
 * <ul>
 *   <li>the text up to a boundary after which it surely has more pieces than the tokenizer keeps:
 *       every piece kept comes from before the boundary and is the whole text's (a boundary is
 *       right after a space, a punctuation mark or a CJK ideograph, each of which ends the word
 *       before it whatever follows);
 *   <li>of a sequence of non-spacing marks, its first {@value #MARKS}: the normalizer drops every
 *       one of them;
 *   <li>of a word of more than {@value #RUN} characters whose first {@value #RUN} hold more than
 *       {@value #WORD} letters or digits, those {@value #RUN} and its last character: WordPiece
 *       reads a word longer than {@value #WORD} characters as one unknown piece either way;
 *   <li>at most {@value #MOST} characters in all: a text whose first {@value #MOST} characters
 *       (marks and long words shortened as above) hold fewer pieces than the tokenizer keeps (a
 *       text of characters the normalizer drops, such as control characters, or of long runs that
 *       are not words) is read that far, and {@link #cut()} says so.
 * </ul>
 *
 * <p>The offsets of the pieces in what the tokenizer was given are mapped back to the whole text's
 * ({@link #wholeIndex}). A text that needs no shortening is given whole, as the very same string,
 * and all but the last rule give the tokenizer's pieces of the whole text, so the pieces and the
 * embedding of every prompt are what they were unless its first {@value #MOST} characters hold
 * fewer than the pieces kept.
 */
final class ReadableText {

  /** The characters of a run without a word boundary that are given to the tokenizer. */
  static final int RUN = 256;

  /** The non-spacing marks in a row given to the tokenizer (the normalizer drops them all). */
  static final int MARKS = 16;

  /** WordPiece's {@code max_input_chars_per_word}: a longer word is one unknown piece. */
  static final int WORD = 100;

  /** The most characters given to the tokenizer. */
  static final int MOST = 1 << 16;

  private final String text;
  private final boolean cut;
  // Runs shortened: at index k of text, dropped[k] characters of the whole text were left out
  // (cumulative), in increasing order of at[k].
  private final int[] at;
  private final int[] dropped;

  private ReadableText(String text, boolean cut, int[] at, int[] dropped) {
    this.text = text;
    this.cut = cut;
    this.at = at;
    this.dropped = dropped;
  }

  /**
   * What a tokenizer keeping at most {@code pieces} word pieces (its markers among them) needs to
   * see of {@code whole}.
   */
  static ReadableText of(String whole, int pieces) {
    int length = whole.length();
    if (length <= pieces) {
      return new ReadableText(whole, false, new int[0], new int[0]);
    }
    Shortening shortening = new Shortening(whole);
    int definite = 0; // pieces the text surely has so far
    int runStart = 0;
    boolean runDone = false; // the run was looked at as a long run already
    int marks = 0; // non-spacing marks in a row up to i
    boolean runCounted = false;
    int i = 0;
    while (i < length) {
      char c = whole.charAt(i);
      int kind = boundary(c);
      if (kind == NONE) {
        if (c >= 0x0300 && Character.getType(c) == Character.NON_SPACING_MARK) {
          // The normalizer drops every non-spacing mark (after decomposing): past the first
          // MARKS of a sequence, they are left out.
          if (++marks > MARKS) {
            int end = i + 1;
            while (end < length
                && whole.charAt(end) >= 0x0300
                && Character.getType(whole.charAt(end)) == Character.NON_SPACING_MARK) {
              end++;
            }
            shortening.leaveOut(i, end);
            i = end;
            marks = 0;
            continue;
          }
        } else {
          marks = 0;
        }
        if (!runCounted && survives(c)) {
          runCounted = true;
          definite++;
        }
        if (i - runStart >= RUN && !runDone) {
          runDone = true;
          // A long run: when it is one word (no character in it the pre-tokenizer might split
          // at) and its first RUN characters hold more than WORD letters or digits, WordPiece
          // reads it as one unknown piece, as it reads its first RUN characters and its last:
          // the ones between are left out. Otherwise it is given whole (up to MOST).
          int end = runStart;
          int letters = 0;
          while (end < length && boundary(whole.charAt(end)) == NONE) {
            char r = whole.charAt(end);
            if (!inWord(r)) {
              letters = -1;
              break;
            }
            if (end < runStart + RUN && survives(r)) {
              letters++;
            }
            end++;
            if (end == runStart + RUN && letters <= WORD) {
              break; // too few letters: given whole
            }
          }
          // What follows the first RUN characters is left out up to the run's last character the
          // normalizer keeps (where the unknown piece's offsets end), or all of it when it keeps
          // none of them.
          int tail = end - 1;
          while (tail >= i && dropsOut(whole.charAt(tail))) {
            tail--;
          }
          if (tail < i) {
            tail = end;
          }
          if (letters > WORD && tail > i && end - tail <= RUN) {
            if (!runCounted) {
              runCounted = true;
              definite++;
            }
            shortening.leaveOut(i, tail);
            i = tail;
            continue;
          }
        }
        i++;
      } else {
        if (kind == PIECE) {
          definite++;
        }
        runStart = i + 1;
        runCounted = false;
        runDone = false;
        marks = 0;
        i++;
        // Cut only before a character the normalizer keeps as it is, which nothing before it
        // can absorb (a mark or a dropped character after the boundary would be).
        if (definite >= pieces
            && i < length
            && (boundary(whole.charAt(i)) != NONE || survives(whole.charAt(i)))) {
          return shortening.finish(i, true);
        }
      }
      if (i - shortening.droppedSoFar >= MOST && i < length) {
        int end = i;
        if (Character.isLowSurrogate(whole.charAt(end))
            && Character.isHighSurrogate(whole.charAt(end - 1))) {
          end--;
        }
        return shortening.finish(end, true);
      }
    }
    return shortening.finish(length, false);
  }

  /** The text as it is shortened: the runs left out so far, and what is kept before them. */
  private static final class Shortening {

    private final String whole;
    private StringBuilder out; // null until a run is left out
    private int copiedTo; // whole[0, copiedTo) is in out (when out is not null)
    private int[] at = new int[4];
    private int[] dropped = new int[4];
    private int shortened;
    int droppedSoFar;

    Shortening(String whole) {
      this.whole = whole;
    }

    /** Leaves out {@code whole[from, to)}, keeping what comes before it since the last run. */
    void leaveOut(int from, int to) {
      if (out == null) {
        out = new StringBuilder(Math.min(whole.length(), MOST + RUN));
      }
      out.append(whole, copiedTo, from);
      copiedTo = to;
      droppedSoFar += to - from;
      if (shortened == at.length) {
        at = Arrays.copyOf(at, shortened * 2);
        dropped = Arrays.copyOf(dropped, shortened * 2);
      }
      at[shortened] = out.length();
      dropped[shortened] = droppedSoFar;
      shortened++;
    }

    /** What the tokenizer is given: the text kept up to {@code end} of the whole text. */
    ReadableText finish(int end, boolean cut) {
      String text;
      if (out == null) {
        text = end == whole.length() ? whole : whole.substring(0, end);
      } else {
        if (end > copiedTo) {
          out.append(whole, copiedTo, end);
        }
        text = out.toString();
      }
      return new ReadableText(
          text, cut, Arrays.copyOf(at, shortened), Arrays.copyOf(dropped, shortened));
    }
  }

  /** What the tokenizer is given. */
  String text() {
    return text;
  }

  /** Whether {@link #text()} stops before the whole text's end. */
  boolean cut() {
    return cut;
  }

  /** The index in the whole text of {@code index}, an index in {@link #text()}. */
  int wholeIndex(int index) {
    int k = Arrays.binarySearch(at, index);
    if (k < 0) {
      k = -k - 2; // the last shortened run at or before index
    }
    return k < 0 ? index : index + dropped[k];
  }

  private static final int NONE = 0;
  private static final int SPACE = 1;
  private static final int PIECE = 2;

  /**
   * Whether {@code c} ends the word before it whatever follows: {@link #SPACE} for a character the
   * normalizer turns into a space (ASCII's space, tab, line feed and carriage return, and Unicode's
   * spaces but its control characters, which the normalizer drops), {@link #PIECE} for one that is
   * a word (so a piece) of its own: a punctuation mark (ASCII's, and Unicode's of long-assigned
   * blocks) or a CJK ideograph (which the normalizer sets between spaces).
   */
  private static int boundary(char c) {
    if (c < 0x80) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        return SPACE;
      }
      return c > ' ' && c < 0x7f && !Character.isLetterOrDigit(c) ? PIECE : NONE;
    }
    if (c == 0x00a0
        || c == 0x1680
        || c >= 0x2000 && c <= 0x200a
        || c == 0x2028
        || c == 0x2029
        || c == 0x202f
        || c == 0x205f
        || c == 0x3000) {
      return SPACE;
    }
    if (c >= 0x4e00 && c <= 0x9fff || c >= 0x3400 && c <= 0x4dbf || c >= 0xf900 && c <= 0xfaff) {
      return PIECE;
    }
    if ((c < 0x0800
            || c >= 0x2010 && c <= 0x205e
            || c >= 0x3000 && c <= 0x303f
            || c >= 0xff01 && c <= 0xff65)
        && isPunctuation(c)) {
      return PIECE;
    }
    return NONE;
  }

  private static boolean isPunctuation(char c) {
    switch (Character.getType(c)) {
      case Character.CONNECTOR_PUNCTUATION:
      case Character.DASH_PUNCTUATION:
      case Character.START_PUNCTUATION:
      case Character.END_PUNCTUATION:
      case Character.INITIAL_QUOTE_PUNCTUATION:
      case Character.FINAL_QUOTE_PUNCTUATION:
      case Character.OTHER_PUNCTUATION:
        return true;
      default:
        return false;
    }
  }

  /**
   * Whether {@code c} is surely neither a word boundary for the pre-tokenizer nor a word of its own
   * (so a run of such characters is one word): assigned, in the Basic Multilingual Plane, neither
   * punctuation nor space nor a CJK ideograph.
   */
  private static boolean inWord(char c) {
    if (Character.isSurrogate(c)) {
      return false;
    }
    switch (Character.getType(c)) {
      case Character.UNASSIGNED:
      case Character.SPACE_SEPARATOR:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
        return false;
      default:
        return !isPunctuation(c) && boundary(c) == NONE;
    }
  }

  /**
   * Whether the normalizer drops {@code c}: a non-spacing mark, a control, format or private-use
   * character, U+FFFD.
   */
  private static boolean dropsOut(char c) {
    switch (Character.getType(c)) {
      case Character.NON_SPACING_MARK:
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.PRIVATE_USE:
        return true;
      default:
        return c == '\uFFFD';
    }
  }

  /**
   * Whether {@code c} surely stays a character of its word through the normalizer (which drops
   * control characters and combining marks): a letter or digit of a long-assigned script, so the
   * run it is in gives at least one piece.
   */
  private static boolean survives(char c) {
    if (c < 0x80) {
      return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }
    return (c < 0x0800 || c >= 0xac00 && c <= 0xd7a3) && Character.isLetterOrDigit(c);
  }
}
