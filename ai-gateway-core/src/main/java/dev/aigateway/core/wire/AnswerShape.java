package dev.aigateway.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The layout of a JSON answer learnt from one that {@link TopLevelMembers} walked whole: the bytes
 * between its scalar values (every brace, bracket, name, colon, comma and space, exactly), with a
 * hole for each scalar value (a string, number or literal), its {@code usage} object laid out as
 * OpenAI writes it ({@link UsageBytes#asOpenAiWritesIt}) and its counts holes of their own. Answers
 * of one API and model are laid out alike call after call and differ in their values (id, time,
 * text, counts), so the next answer is checked against the layout byte for byte and only its values
 * are checked on their own: each as {@link StrictJson} checks a value, the usage's counts as {@link
 * UsageBytes#asOpenAiWritesIt} reads them. An answer that matches is the learnt one with other
 * scalar values in its places, so it is JSON {@link StrictJson} accepts, with the same top-level
 * members, and its usage and model lie in the holes; any difference ends the match, and the answer
 * is walked whole as before.
 *
 * <p>Only the bytes around the values are kept, never a value (no text, id or count of the answer
 * it was learnt from). An instance never changes once made, so threads share it.
 */
final class AnswerShape {

  /**
   * What a hole holds: any scalar; the top-level model (any scalar); or, from {@link #COUNT} on,
   * the usage's counts in the order {@link UsageBytes#asOpenAiWritesIt} reads them (prompt,
   * completion, total, cached, audio, reasoning, audio, accepted and rejected prediction tokens).
   */
  private static final byte SCALAR = 0;

  private static final byte MODEL = 1;
  private static final byte COUNT = 2;

  /** Not a hole: what the value after a top-level {@code usage} name is, while learning. */
  private static final byte USAGE = -1;

  /** Counts of a usage laid out as OpenAI writes it. */
  private static final int COUNTS = 9;

  /** The bytes of that usage before its first count: its brace and first name. */
  private static final int BEFORE_FIRST_COUNT = "{\"prompt_tokens\":".length();

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private static final byte[] USAGE_NAME = {'"', 'u', 's', 'a', 'g', 'e', '"'};
  private static final byte[] MODEL_NAME = {'"', 'm', 'o', 'd', 'e', 'l', '"'};
  private static final byte[] CHOICES_NAME = {'"', 'c', 'h', 'o', 'i', 'c', 'e', 's', '"'};

  /** The bytes around the holes, one run after another. */
  private final byte[] runs;

  /** Where each run ends in {@link #runs}: one more run than holes. */
  private final int[] runEnds;

  /** What each hole holds. */
  private final byte[] holes;

  /** Whether the answer has a top-level {@code choices} member and each is an empty array. */
  private final boolean choicesEmpty;

  private AnswerShape(byte[] runs, int[] runEnds, byte[] holes, boolean choicesEmpty) {
    this.runs = runs;
    this.runEnds = runEnds;
    this.holes = holes;
    this.choicesEmpty = choicesEmpty;
  }

  /** Whether an answer that matches has a {@code choices} member, each an empty array. */
  boolean choicesEmpty() {
    return choicesEmpty;
  }

  /**
   * The layout of the object {@code json[from, to)}, which {@link StrictJson} accepts whole, whose
   * top-level names have no escapes, which has one top-level {@code usage} member, its value read
   * by {@link UsageBytes#asOpenAiWritesIt} and ending at {@code usageEnd}, and at most one
   * top-level {@code model}; null when it has another usage or model member.
   */
  static AnswerShape learn(byte[] json, int from, int to, int usageEnd) {
    byte[] runs = new byte[to - from];
    int runLength = 0;
    int[] runEnds = new int[16];
    byte[] holes = new byte[16];
    int holeCount = 0;
    int usages = 0;
    int models = 0;
    int choices = 0;
    int emptyChoices = 0;
    int depth = 0;
    byte nextHole = SCALAR; // what the next value is, when it is at the top level
    int counts = -1; // the usage's counts met so far, inside the usage
    boolean usageLearnt = false;
    int i = from;
    int run = from;
    while (i < to) {
      byte b = json[i];
      int holeEnd = -1;
      byte hole = SCALAR;
      if (b == '"') {
        int end = StrictJson.string(json, i, to, true);
        int after = StrictJson.skipSpace(json, end, to);
        if (after < to && json[after] == ':') {
          if (depth == 1) { // a top-level name: no escapes, as the walk found
            if (StrictJson.is(json, i, end, USAGE_NAME)) {
              usages++;
              nextHole = USAGE;
            } else if (StrictJson.is(json, i, end, MODEL_NAME)) {
              models++;
              nextHole = MODEL;
            } else {
              if (StrictJson.is(json, i, end, CHOICES_NAME)) {
                choices++;
                int value = StrictJson.skipSpace(json, after + 1, to);
                if (json[value] == '[' && json[StrictJson.skipSpace(json, value + 1, to)] == ']') {
                  emptyChoices++;
                }
              }
              nextHole = SCALAR;
            }
          }
          i = end; // a name stays in the run
          continue;
        }
        holeEnd = end;
      } else if (b == '{' || b == '[') {
        if (depth == 1 && nextHole == USAGE) {
          if (b != '{' || usageEnd < 0) {
            return null; // a usage not read as OpenAI writes it
          }
          counts = 0; // its counts become holes of their own, in order
          nextHole = SCALAR;
        }
        depth++;
        i++;
        continue;
      } else if (b == '}' || b == ']') {
        depth--;
        i++;
        if (depth == 1 && counts >= 0) {
          if (counts != COUNTS || i != usageEnd) {
            return null;
          }
          counts = -1;
          usageLearnt = true;
        }
        continue;
      } else if (b == 't' || b == 'n') {
        holeEnd = i + 4;
      } else if (b == 'f') {
        holeEnd = i + 5;
      } else if (b == '-' || (b >= '0' && b <= '9')) {
        holeEnd = StrictJson.number(json, i, to);
      } else {
        i++; // a comma, colon or space
        continue;
      }
      if (depth == 1 && nextHole == MODEL) {
        hole = MODEL;
      } else if (depth == 1 && nextHole == USAGE) {
        return null; // a usage that is not an object: not one read as OpenAI writes it
      } else if (counts >= 0) {
        if (counts == COUNTS || b == '"' || b == 't' || b == 'f' || b == 'n') {
          return null;
        }
        hole = (byte) (COUNT + counts++);
      }
      nextHole = SCALAR;
      System.arraycopy(json, run, runs, runLength, i - run);
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
    if (usages != 1 || models > 1 || !usageLearnt) {
      return null;
    }
    System.arraycopy(json, run, runs, runLength, to - run);
    runLength += to - run;
    runEnds = Arrays.copyOf(runEnds, holeCount + 1);
    runEnds[holeCount] = runLength;
    return new AnswerShape(
        Arrays.copyOf(runs, runLength),
        runEnds,
        Arrays.copyOf(holes, holeCount),
        choices > 0 && emptyChoices == choices);
  }

  /** Where {@link #match} puts where the usage object starts. */
  static final int USAGE_START = 1;

  /** Where {@link #match} puts where the model's value starts, or -1 when the layout has none. */
  static final int MODEL_START = 2;

  /** Where {@link #match} puts where the model's value ends. */
  static final int MODEL_END = 3;

  /**
   * Where {@link #match} puts where the first scalar value that is the string {@code
   * "content_filter"} starts, or -1 when none is: a value, not a name, is what says an answer was
   * filtered ({@link FailedAnswers#filtered(byte[], int, int)}), and every value lies in a hole.
   */
  static final int CONTENT_FILTER_AT = 4;

  /** How many places {@link #match} puts positions in. */
  static final int PLACES = 5;

  /**
   * Matches the object {@code json[from, to)} against this layout: returns its usage, and puts in
   * {@code at} ({@link #PLACES} places: {@link #USAGE_START}, ...) where its usage and model lie,
   * and where a value {@code "content_filter"} does; null at the first difference (then what was
   * put is meaningless, and the object is to be walked whole).
   */
  dev.aigateway.api.Usage match(byte[] json, int from, int to, int[] at) {
    int i = from;
    int runStart = 0;
    UsageBytes.OpenAiCounts counts = new UsageBytes.OpenAiCounts();
    at[MODEL_START] = -1;
    at[CONTENT_FILTER_AT] = -1;
    for (int h = 0; ; h++) {
      int runEnd = runEnds[h];
      int length = runEnd - runStart;
      if (to - i < length || !same(json, i, runs, runStart, length)) {
        return null;
      }
      i += length;
      runStart = runEnd;
      if (h == holes.length) {
        return i == to ? counts.usage() : null;
      }
      if (i >= to) {
        return null;
      }
      byte hole = holes[h];
      int start = i;
      byte b = json[i];
      if (hole >= COUNT) {
        // As UsageBytes.asOpenAiWritesIt reads a count.
        if (hole == COUNT) {
          at[USAGE_START] = start - BEFORE_FIRST_COUNT;
        }
        i = counts.read(json, i, to, hole - COUNT);
        if (i < 0) {
          return null;
        }
        continue;
      }
      if (b == '"') {
        i = StrictJson.string(json, i, to, true);
        if (i - start == FailedAnswers.CONTENT_FILTER_LENGTH
            && at[CONTENT_FILTER_AT] < 0
            && FailedAnswers.isContentFilter(json, start)) {
          at[CONTENT_FILTER_AT] = start;
        }
      } else if (b == 't' || b == 'n') {
        i = to - i >= 4 && (int) INTS.get(json, i) == (b == 't' ? TRUE_INT : NULL_INT) ? i + 4 : -1;
      } else if (b == 'f') {
        i = to - i >= 5 && (int) INTS.get(json, i + 1) == ALSE_INT ? i + 5 : -1;
      } else {
        i = StrictJson.number(json, i, to);
      }
      if (i < 0) {
        return null;
      }
      if (hole == MODEL) {
        at[MODEL_START] = start;
        at[MODEL_END] = i;
      }
    }
  }

  private static final int TRUE_INT = literalInt("true");
  private static final int NULL_INT = literalInt("null");
  private static final int ALSE_INT = literalInt("alse");

  private static int literalInt(String four) {
    return four.charAt(0) | four.charAt(1) << 8 | four.charAt(2) << 16 | four.charAt(3) << 24;
  }

  /**
   * Whether {@code a[from, from + length)} equals {@code b[at, at + length)}, both in range: eight
   * bytes a step, the last step reading the eight bytes before the end (some compared before).
   */
  static boolean same(byte[] a, int from, byte[] b, int at, int length) {
    if (length >= Long.BYTES) {
      int k = 0;
      for (; k < length - Long.BYTES; k += Long.BYTES) {
        if ((long) LONGS.get(a, from + k) != (long) LONGS.get(b, at + k)) {
          return false;
        }
      }
      int last = length - Long.BYTES;
      return (long) LONGS.get(a, from + last) == (long) LONGS.get(b, at + last);
    }
    if (length >= Integer.BYTES) {
      int last = length - Integer.BYTES;
      return (int) INTS.get(a, from) == (int) INTS.get(b, at)
          && (int) INTS.get(a, from + last) == (int) INTS.get(b, at + last);
    }
    for (int k = 0; k < length; k++) {
      if (a[from + k] != b[at + k]) {
        return false;
      }
    }
    return true;
  }
}
