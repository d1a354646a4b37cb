package dev.aigateway.core.wire;

import java.util.Arrays;

/**
 * The layout of a chat completions request learnt from one whose fields and prompt were read by the
 * whole walk ({@code OpenAiRequest}'s, with {@link ChatPromptSpans}): the bytes between its scalar
 * values (every brace, bracket, name, colon, comma and space, exactly), with a hole for each scalar
 * value. An application sends requests laid out alike call after call (the same members in the same
 * order) that differ in their values (texts, model, allowance), so the next request is checked
 * against the layout byte for byte and only its values are checked on their own, each as {@link
 * StrictJson} checks a value.
 *
 * <p>A hole takes a value of one JSON type only, the type the learnt request had there: a string, a
 * number or a literal. A request that matches is therefore the learnt one with other values of the
 * same types in the same places: JSON that {@link StrictJson} accepts, with the same members, names
 * and nesting, so the walk would decide everything as it did for the learnt one but what depends on
 * the values, which the holes read as the walk reads them: the top-level {@code model} (a string of
 * printable ASCII without escapes, else no match), {@code stream} (a literal), {@code
 * max_completion_tokens}, {@code max_tokens}, {@code max_output_tokens} and {@code n} (digits only,
 * at most {@value UsageBytes#MAX_DIGITS}, no leading zero, else no match), and the messages' string
 * values, noted for the prompt's count as {@link ChatPromptSpans} notes them. The tokens that do
 * not depend on a text (per message, per name, the reply's priming) are those of the learnt
 * request. Any difference ends the match, and the request is walked whole.
 *
 * <p>Only a request without {@code stream_options}, whose prompt the walk noted, is learnt from.
 * Only the bytes around the values are kept, never a value. An instance never changes once made, so
 * threads share it.
 */
final class ChatRequestLayout {

  /** A hole's type, and what it holds when it is one of the values read. */
  private static final byte STRING = 0;

  private static final byte NUMBER = 1;
  private static final byte LITERAL = 2;

  /** A message's string value, noted for the prompt's count. */
  private static final byte TEXT = 3;

  /** The top-level {@code model}: a string of printable ASCII without escapes. */
  private static final byte MODEL = 4;

  /** The top-level {@code stream}: a literal. */
  private static final byte STREAM = 5;

  /** The counts read, in this order: digits only. */
  private static final byte MAX_COMPLETION_TOKENS = 6;

  private static final byte MAX_TOKENS = 7;
  private static final byte MAX_OUTPUT_TOKENS = 8;
  private static final byte N = 9;

  private static final byte[][] COUNT_NAMES = {
    quoted("max_completion_tokens"), quoted("max_tokens"), quoted("max_output_tokens"), quoted("n")
  };
  private static final byte[] MODEL_NAME = quoted("model");
  private static final byte[] STREAM_NAME = quoted("stream");
  private static final byte[] MESSAGES_NAME = quoted("messages");

  /** Layouts kept at most, tried in turn: an application may send requests of a few layouts. */
  static final int KEPT = 4;

  /** Requests matched by no layout kept between two layouts learnt in place of a kept one. */
  private static final int MISSES_TO_LEARN = 16;

  /**
   * The layouts learnt, shared by all threads: the array is never changed once published (a layout
   * learnt publishes a new array), its empty places null.
   */
  private static volatile ChatRequestLayout[] kept = new ChatRequestLayout[KEPT];

  /** Requests that matched no layout kept, counted loosely across threads, to learn anew. */
  private static int misses;

  /** Where the next layout learnt goes when every place is taken. */
  private static int nextPlace;

  /** The bytes around the holes, one run after another. */
  private final byte[] runs;

  /** Where each run ends in {@link #runs}: one more run than holes. */
  private final int[] runEnds;

  /** What each hole holds. */
  private final byte[] holes;

  /** The top-level members. */
  private final int members;

  /** Bytes from the top-level object's closing brace to the request's end. */
  private final int closingFromEnd;

  /** The prompt's tokens that do not depend on a text. */
  private final long fixedTokens;

  private ChatRequestLayout(
      byte[] runs, int[] runEnds, byte[] holes, int members, int closingFromEnd, long fixed) {
    this.runs = runs;
    this.runEnds = runEnds;
    this.holes = holes;
    this.members = members;
    this.closingFromEnd = closingFromEnd;
    this.fixedTokens = fixed;
  }

  /**
   * The layout of {@code b}, read whole as {@code walked} (on bytes, strict, understood, its prompt
   * noted in {@code walked.prompt}); null when it is not one learnt from (stream options, a read
   * value of another type than its hole would take, or anything a match would read otherwise).
   */
  static ChatRequestLayout learn(byte[] b, OpenAiRequest.TopLevelFields walked) {
    if (walked.hasStreamOptions || walked.prompt == null || walked.prompt.gaveUp()) {
      return null;
    }
    int to = b.length;
    byte[] runs = new byte[to];
    int runLength = 0;
    int[] runEnds = new int[16];
    byte[] holes = new byte[16];
    int holeCount = 0;
    int depth = 0;
    byte role = STRING; // what the next top-level value is read as (STRING: not read)
    boolean inMessages = false; // within the top-level messages' value
    int run = 0;
    int i = 0;
    while (i < to) {
      byte c = b[i];
      int holeEnd;
      byte hole;
      if (c == '"') {
        int end = StrictJson.string(b, i, to, true);
        int after = StrictJson.skipSpace(b, end, to);
        if (after < to && b[after] == ':') {
          if (depth == 1) { // a top-level name, without escapes as the walk found
            role = roleOf(b, i, end);
            inMessages = StrictJson.is(b, i, end, MESSAGES_NAME);
          }
          i = end; // a name stays in the run
          continue;
        }
        holeEnd = end;
        hole = depth == 1 ? role : inMessages && depth == 3 ? TEXT : STRING;
        if (hole != STRING && hole != TEXT && hole != MODEL) {
          return null; // a read value that is a string where a literal or a count is read
        }
      } else if (c == '{' || c == '[') {
        depth++;
        i++;
        continue;
      } else if (c == '}' || c == ']') {
        depth--;
        i++;
        continue;
      } else if (c == 't' || c == 'f' || c == 'n') {
        holeEnd = i + (c == 'f' ? 5 : 4);
        hole = depth == 1 && role != STRING ? role : LITERAL;
        if (hole != LITERAL && hole != STREAM) {
          return null;
        }
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        holeEnd = StrictJson.number(b, i, to);
        hole = depth == 1 && role != STRING ? role : NUMBER;
        if (hole != NUMBER && hole < MAX_COMPLETION_TOKENS) {
          return null;
        }
      } else {
        i++; // a comma, colon or space
        continue;
      }
      if (depth == 1) {
        role = STRING;
      }
      System.arraycopy(b, run, runs, runLength, i - run);
      runLength += i - run;
      if (holeCount == holes.length) {
        holes = Arrays.copyOf(holes, holeCount * 2);
        runEnds = Arrays.copyOf(runEnds, holeCount * 2 + 1);
      }
      runEnds[holeCount] = runLength;
      holes[holeCount++] = hole;
      i = holeEnd;
      run = holeEnd;
    }
    System.arraycopy(b, run, runs, runLength, to - run);
    runLength += to - run;
    runEnds = Arrays.copyOf(runEnds, holeCount + 1);
    runEnds[holeCount] = runLength;
    ChatRequestLayout layout =
        new ChatRequestLayout(
            Arrays.copyOf(runs, runLength),
            runEnds,
            Arrays.copyOf(holes, holeCount),
            walked.members,
            to - walked.closingBrace,
            walked.prompt.fixedTokens());
    // Kept only when it reads the request it was learnt from exactly as the walk read it.
    OpenAiRequest.TopLevelFields matched = new OpenAiRequest.TopLevelFields();
    matched.prompt = new ChatPromptSpans();
    return layout.match(b, matched) && matched.sameAs(walked) ? layout : null;
  }

  /**
   * The fields of {@code b} (no longer than {@link StrictJson#MAX_LENGTH}), its prompt noted, read
   * by the layout kept that it matches; null when it matches none (then it is to be walked).
   */
  static OpenAiRequest.TopLevelFields matchKept(byte[] b) {
    for (ChatRequestLayout layout : kept) {
      if (layout != null && layout.endsAlike(b)) {
        // Tried with this layout alone: one that ends alike but differs is walked.
        OpenAiRequest.TopLevelFields s = new OpenAiRequest.TopLevelFields();
        s.prompt = new ChatPromptSpans();
        return layout.match(b, s) ? s : null;
      }
    }
    return null;
  }

  /**
   * After {@code b} matched no layout kept and was walked whole into {@code walked} (on bytes, its
   * prompt noted): learns its layout into an empty place, or in place of a kept one once every
   * {@value #MISSES_TO_LEARN} such requests.
   */
  static void learnFrom(byte[] b, OpenAiRequest.TopLevelFields walked) {
    ChatRequestLayout[] layouts = kept;
    int place = -1;
    for (int k = 0; k < layouts.length && place < 0; k++) {
      if (layouts[k] == null) {
        place = k;
      }
    }
    if (place < 0) {
      if (++misses % MISSES_TO_LEARN != 0) {
        return;
      }
      place = nextPlace;
      nextPlace = (place + 1) % KEPT;
    }
    ChatRequestLayout learnt = learn(b, walked);
    if (learnt != null) {
      ChatRequestLayout[] next = layouts.clone();
      next[place] = learnt;
      kept = next;
    }
  }

  /** Forgets the layouts learnt (for tests: the walk then learns anew). */
  static void forgetKept() {
    kept = new ChatRequestLayout[KEPT];
  }

  /**
   * Whether {@code b} ends as a request of this layout would: its last run, then its last value
   * when that is a literal or a number (whose start is found from its end), then the run before
   * that. A cheap look at the end that tells layouts apart that differ only there (a request that
   * streams and one that does not); true when it cannot tell.
   */
  private boolean endsAlike(byte[] b) {
    int n = holes.length;
    int to = b.length;
    int lastRun = runEnds[n] - (n == 0 ? 0 : runEnds[n - 1]);
    if (to < lastRun || !AnswerShape.same(b, to - lastRun, runs, runEnds[n] - lastRun, lastRun)) {
      return false;
    }
    if (n == 0) {
      return true;
    }
    int valueEnd = to - lastRun;
    byte hole = holes[n - 1];
    int start;
    if (hole == LITERAL || hole == STREAM) {
      start = valueEnd >= 5 && b[valueEnd - 5] == 'f' ? valueEnd - 5 : valueEnd - 4;
    } else if (hole == NUMBER || hole >= MAX_COMPLETION_TOKENS) {
      start = valueEnd;
      while (start > 0 && numberByte(b[start - 1])) {
        start--;
      }
    } else {
      return true; // a string: where it starts is not found from its end
    }
    int runBefore = runEnds[n - 1] - (n >= 2 ? runEnds[n - 2] : 0);
    return start >= runBefore
        && AnswerShape.same(b, start - runBefore, runs, runEnds[n - 1] - runBefore, runBefore);
  }

  private static boolean numberByte(byte c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
  }

  /** What a top-level value named {@code b[from, to)} (with its quotes) is read as. */
  private static byte roleOf(byte[] b, int from, int to) {
    if (StrictJson.is(b, from, to, MODEL_NAME)) {
      return MODEL;
    }
    if (StrictJson.is(b, from, to, STREAM_NAME)) {
      return STREAM;
    }
    for (int k = 0; k < COUNT_NAMES.length; k++) {
      if (StrictJson.is(b, from, to, COUNT_NAMES[k])) {
        return (byte) (MAX_COMPLETION_TOKENS + k);
      }
    }
    return STRING;
  }

  /**
   * Matches {@code b}, a request no longer than {@link StrictJson#MAX_LENGTH}, against this layout:
   * on a match, fills {@code s} (fresh, its {@code prompt} set to fresh spans) as the walk would
   * and returns true; false at the first difference, and what was put in {@code s} is then
   * meaningless.
   */
  boolean match(byte[] b, OpenAiRequest.TopLevelFields s) {
    int to = b.length;
    ChatPromptSpans prompt = s.prompt;
    byte[] runs = this.runs;
    int[] runEnds = this.runEnds;
    byte[] holes = this.holes;
    int i = 0;
    int runStart = 0;
    for (int h = 0; ; h++) {
      int runEnd = runEnds[h];
      int length = runEnd - runStart;
      if (to - i < length || !AnswerShape.same(b, i, runs, runStart, length)) {
        return false;
      }
      i += length;
      runStart = runEnd;
      if (h == holes.length) {
        break;
      }
      if (i >= to) {
        return false;
      }
      int start = i;
      byte c = b[i];
      byte hole = holes[h];
      if (hole == TEXT || hole == STRING) {
        if (c != '"') {
          return false;
        }
        i = StrictJson.string(b, i, to, true);
        if (i < 0) {
          return false;
        }
        if (hole == TEXT) {
          prompt.note(start, i);
        }
      } else if (hole == MODEL) {
        // As the walk reads a model without a parser: printable ASCII, no escape.
        if (c != '"') {
          return false;
        }
        int k = i + 1;
        while (k < to && b[k] != '"') {
          if (b[k] < ' ' || b[k] == '\\') { // negative: not ASCII
            return false;
          }
          k++;
        }
        if (k >= to) {
          return false;
        }
        i = k + 1;
        s.model = OpenAiRequest.TopLevelFields.plainModel(b, start + 1, k);
        s.modelStart = start;
        s.modelEnd = i;
      } else if (hole == LITERAL || hole == STREAM) {
        i = StrictJson.literal(b, i, to);
        if (i < 0) {
          return false;
        }
        if (hole == STREAM) {
          s.stream = c == 't';
        }
      } else if (hole == NUMBER) {
        if (c != '-' && (c < '0' || c > '9')) {
          return false;
        }
        i = StrictJson.number(b, i, to);
        if (i < 0) {
          return false;
        }
      } else {
        // A count, read as the walk reads one without a parser: digits, at most MAX_DIGITS.
        long n = 0;
        while (i < to && b[i] >= '0' && b[i] <= '9') {
          n = n * 10 + (b[i] - '0');
          i++;
        }
        if (i == start || i - start > UsageBytes.MAX_DIGITS || (c == '0' && i - start > 1)) {
          return false;
        }
        switch (hole) {
          case MAX_COMPLETION_TOKENS -> s.maxCompletionTokens = n;
          case MAX_TOKENS -> s.maxTokens = n;
          case MAX_OUTPUT_TOKENS -> s.maxOutputTokens = n;
          default -> s.choices = n > 0 && n <= Integer.MAX_VALUE ? (int) n : 1;
        }
      }
    }
    if (i != to) {
      return false;
    }
    s.members = members;
    s.closingBrace = to - closingFromEnd;
    s.understood = true;
    s.strict = true;
    s.byLayout = true;
    prompt.noted(fixedTokens);
    return true;
  }

  private static byte[] quoted(String name) {
    return ('"' + name + '"').getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
