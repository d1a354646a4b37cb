package dev.aigateway.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The shapes of JSON events that a walk ({@link ObjectMembers}) accepted, learnt from them and
 * shared by the readers of every stream, so that the next event of the same shape, in any stream,
 * is read without a walk. A stream holds each of its few kinds of events other than deltas once
 * (Anthropic's {@code message_start}, {@code content_block_start}, {@code message_delta}, ...): a
 * reader of its own could not learn them before they are gone.
 *
 * <p>A shape is an event's bytes with holes where its string and number values were (not its member
 * names, not its literals): an event matches it when its bytes are the shape's outside the holes,
 * and each hole holds a string, or a number, as {@link StrictJson} accepts one. Such an event is
 * one the walk accepts, with the same members in the same order, the same nesting, the same kinds
 * of values, each value where the shape's was but for the shift the holes before it make (a string
 * or a number ends where its own bytes say, and what follows it is the shape's again); so the
 * walkers are given the notes the walk of the shape's event left, shifted ({@link
 * ObjectMembers#take}), and what a reader learns from them is what a walk would have taught it. An
 * event that does not match is walked, and may be learnt in turn.
 *
 * <p>Shapes sit in a small table by a hash of the event's first bytes, two per hash (so that two
 * shapes that begin alike, as one kind of event written two ways, are both kept). A shape is
 * immutable; the table is shared by all threads without locks: a thread may not see a shape another
 * one just learnt (it walks and learns it again), and, as a shape's fields are final, it sees a
 * shape it reads whole. The table holds at most {@value #SLOTS} shapes of up to {@value
 * #MAX_SHAPE_BYTES} bytes.
 */
final class EventShapes {

  /** Events longer than this are not learnt (a shape is kept for the life of the process). */
  static final int MAX_SHAPE_BYTES = 1024;

  /** Events with more string and number values than this are not learnt. */
  static final int MAX_HOLES = 24;

  private static final int SLOTS = 64;

  /** The first bytes of an event that pick its pair of slots. */
  private static final int KEY_BYTES = 32;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** The shapes, two per pair of slots {@code 2k, 2k + 1}, the one learnt last first. */
  private final Walked[] slots = new Walked[SLOTS];

  /**
   * Whether {@code data[from, to)} matches a shape learnt by walkers of the same {@link
   * ObjectMembers#tree} as {@code walkers}: then each walker holds the notes a walk of it would
   * have left (as after {@link ObjectMembers#walk} of the root, which returned true), else none is
   * touched. {@code shifts} is the caller's, of {@value #MAX_HOLES} + 1 ints at least.
   */
  boolean read(byte[] data, int from, int to, ObjectMembers[] walkers, int[] shifts) {
    int pair = pair(data, from, to);
    Walked shape = slots[pair];
    if (shape == null) {
      return false;
    } else if (shape.match(data, from, to, walkers, shifts)) {
      return true;
    }
    shape = slots[pair + 1];
    return shape != null && shape.match(data, from, to, walkers, shifts);
  }

  /**
   * Learns the shape of {@code data[from, to)}, which the root of {@code walkers} has just walked
   * (its walk returned true, and nothing was walked since); nothing when the event is too long or
   * has too many values.
   */
  void learn(byte[] data, int from, int to, ObjectMembers[] walkers) {
    Walked shape = Walked.of(data, from, to, walkers);
    if (shape == null) {
      return;
    }
    int pair = pair(data, from, to);
    Walked first = slots[pair];
    if (first != null) {
      slots[pair + 1] = first;
    }
    slots[pair] = shape;
  }

  /** The first slot of the pair the event's first {@value #KEY_BYTES} bytes pick. */
  private static int pair(byte[] data, int from, int to) {
    int end = from + Math.min(KEY_BYTES, to - from);
    long hash = end - from;
    int i = from;
    for (; i + Long.BYTES <= end; i += Long.BYTES) {
      hash = (hash ^ (long) LONGS.get(data, i)) * 0x9E3779B97F4A7C15L;
    }
    for (; i < end; i++) {
      hash = (hash ^ data[i]) * 0x9E3779B97F4A7C15L;
    }
    return (int) (hash >>> 59) << 1;
  }

  /** Whether {@code a[i, i + n)} and {@code b[j, j + n)} hold the same bytes. */
  static boolean same(byte[] a, int i, byte[] b, int j, int n) {
    if (n >= Long.BYTES) {
      int last = n - Long.BYTES;
      for (int k = 0; k < last; k += Long.BYTES) {
        if ((long) LONGS.get(a, i + k) != (long) LONGS.get(b, j + k)) {
          return false;
        }
      }
      return (long) LONGS.get(a, i + last) == (long) LONGS.get(b, j + last);
    }
    for (int k = 0; k < n; k++) {
      if (a[i + k] != b[j + k]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The bytes of one JSON value that a walk accepted, with holes where its string and number values
   * were (not its member names, not its literals); immutable. A value matches it ({@link #match})
   * when its bytes are the shape's outside the holes and each hole holds a string, or a number, as
   * {@link StrictJson} accepts one: such a value is one the walk accepts too, with the same members
   * in the same order, the same nesting and the same kinds of values, each where the shape's was
   * but for the shift the holes before it make. So a place the walk of the shape's value noted,
   * outside a hole or at one's start or end, is found in a matching value by its {@link #segment}
   * and the shifts {@link #match} gave. The one mechanism of the learnt shapes of Anthropic's
   * events (this class) and of OpenAI's chat chunks ({@link ChatChunkScanner}).
   */
  static final class Shape {

    /** The value's bytes. */
    private final byte[] bytes;

    /** Per hole, where its value starts and ends in {@link #bytes}. */
    private final int[] holeStarts;

    private final int[] holeEnds;

    private Shape(byte[] bytes, int[] holeStarts, int[] holeEnds) {
      this.bytes = bytes;
      this.holeStarts = holeStarts;
      this.holeEnds = holeEnds;
    }

    /**
     * The shape of {@code data[from, to)}, a value a walk has just accepted; null when it is longer
     * than {@value #MAX_SHAPE_BYTES} bytes or has more than {@value #MAX_HOLES} string and number
     * values, to be kept.
     */
    static Shape of(byte[] data, int from, int to) {
      if (to - from > MAX_SHAPE_BYTES) {
        return null;
      }
      int[] starts = new int[MAX_HOLES];
      int[] ends = new int[MAX_HOLES];
      int holes = 0;
      int i = from;
      while (i < to) {
        byte b = data[i];
        int end;
        if (b == '"') {
          end = StrictJson.string(data, i, to, true);
          int after = end < 0 ? to : StrictJson.skipSpace(data, end, to);
          if (after < to && data[after] == ':') {
            i = end; // a member's name: part of the shape
            continue;
          }
        } else if (b == '-' || b >= '0' && b <= '9') {
          end = StrictJson.NOT_NOTING.value(data, i, to, 1);
        } else {
          i++; // punctuation, whitespace, a literal's letters: part of the shape
          continue;
        }
        if (end < 0 || holes == MAX_HOLES) {
          return null; // (not after a walk that accepted the value)
        }
        starts[holes] = i - from;
        ends[holes] = end - from;
        holes++;
        i = end;
      }
      return new Shape(
          Arrays.copyOfRange(data, from, to),
          Arrays.copyOf(starts, holes),
          Arrays.copyOf(ends, holes));
    }

    /**
     * The segment the place {@code place} of the shape's value (from its start) lies in: how many
     * holes end at or before it, the index of the shift {@link #match} gives for it. A place inside
     * a hole has none: it is not asked for.
     */
    byte segment(int place) {
      byte before = 0;
      while (before < holeEnds.length && holeEnds[before] <= place) {
        before++;
      }
      return before;
    }

    /**
     * Whether {@code data[from, to)} matches this shape; if it does, {@code shifts[s]} tells how
     * far after the shape's place a place of segment {@code s} lies in {@code data} (the index of
     * its start in {@code data} minus the place in the shape). A value does not match when {@code
     * shifts} holds fewer than {@link #holes()} + 1 ints.
     */
    boolean match(byte[] data, int from, int to, int[] shifts) {
      return matched(data, from, to, shifts, false) >= 0;
    }

    /**
     * Where the value that starts at {@code data[from]} and matches this shape ends, when one does
     * within {@code data[from, to)}, bytes of which may follow it; or -1. The shifts are as {@link
     * #match} gives them.
     */
    int matchEnd(byte[] data, int from, int to, int[] shifts) {
      return matched(data, from, to, shifts, true);
    }

    /**
     * Where the value that matched this shape last ends, from the shifts {@link #match} or {@link
     * #matchEnd} gave.
     */
    int end(int[] shifts) {
      return bytes.length + shifts[holeStarts.length];
    }

    /** How many holes the shape has: {@link #match} needs one more shift. */
    int holes() {
      return holeStarts.length;
    }

    private int matched(byte[] data, int from, int to, int[] shifts, boolean open) {
      byte[] shape = bytes;
      int[] starts = holeStarts;
      int holes = starts.length;
      if (shifts.length <= holes) {
        return -1; // no room for its shifts: a caller that sized them before it was learnt
      }
      int at = from; // in data
      int s = 0; // in the shape
      for (int h = 0; h < holes; h++) {
        int length = starts[h] - s;
        if (to - at <= length || !same(data, at, shape, s, length)) {
          return -1;
        }
        shifts[h] = at - s;
        at += length;
        byte first = data[at];
        int end;
        if (shape[starts[h]] == '"') {
          end = first == '"' ? StrictJson.string(data, at, to, true) : -1;
        } else {
          end = first == '-' || first >= '0' && first <= '9' ? StrictJson.number(data, at, to) : -1;
        }
        if (end < 0) {
          return -1;
        }
        at = end;
        s = holeEnds[h];
      }
      int length = shape.length - s;
      if ((open ? to - at < length : to - at != length) || !same(data, at, shape, s, length)) {
        return -1;
      }
      shifts[holes] = at - s;
      return at + length;
    }

    /**
     * Where the hole that starts at the shape's place {@code start} ends, or -1 when no hole starts
     * there.
     */
    int holeEnd(int start) {
      for (int h = 0; h < holeStarts.length; h++) {
        if (holeStarts[h] == start) {
          return holeEnds[h];
        }
      }
      return -1;
    }

    /** Whether {@code data[from, to)} holds the bytes of the shape's {@code [start, end)}. */
    boolean spells(byte[] data, int from, int to, int start, int end) {
      return to - from == end - start && same(data, from, bytes, start, end - start);
    }
  }

  /** A shape of an event, and the notes the walk of its event left, as places from its start. */
  private static final class Walked {

    private final Shape shape;

    /**
     * Per walker of the tree, the places its walk noted in the shape's bytes, or null when none.
     */
    private final int[][] places;

    /** Per walker and place, the {@linkplain Shape#segment segment} the place lies in. */
    private final byte[][] segments;

    private final boolean[] others;
    private final boolean[] duplicates;

    private Walked(
        Shape shape, int[][] places, byte[][] segments, boolean[] others, boolean[] duplicates) {
      this.shape = shape;
      this.places = places;
      this.segments = segments;
      this.others = others;
      this.duplicates = duplicates;
    }

    /**
     * The shape of {@code data[from, to)}, which the root of {@code walkers} has just walked; null
     * when the event is too long or has too many values to be kept.
     */
    static Walked of(byte[] data, int from, int to, ObjectMembers[] walkers) {
      Shape shape = Shape.of(data, from, to);
      if (shape == null) {
        return null;
      }
      int[][] places = new int[walkers.length][];
      byte[][] segments = new byte[walkers.length][];
      boolean[] others = new boolean[walkers.length];
      boolean[] duplicates = new boolean[walkers.length];
      for (int w = 0; w < walkers.length; w++) {
        ObjectMembers walker = walkers[w];
        others[w] = walker.hasOthers();
        duplicates[w] = walker.hasDuplicates();
        int[] noted = new int[walker.places()];
        byte[] segment = new byte[noted.length];
        boolean any = others[w] || duplicates[w];
        for (int p = 0; p < noted.length; p++) {
          int place = walker.noted(p);
          noted[p] = place < 0 ? -1 : place - from;
          segment[p] = place < 0 ? 0 : shape.segment(place - from);
          any |= place >= 0;
        }
        places[w] = any ? noted : null;
        segments[w] = segment;
      }
      return new Walked(shape, places, segments, others, duplicates);
    }

    /**
     * Whether {@code data[from, to)} matches this shape; if it does, the walkers are given their
     * notes, shifted to it.
     */
    boolean match(byte[] data, int from, int to, ObjectMembers[] walkers, int[] shifts) {
      if (!shape.match(data, from, to, shifts)) {
        return false;
      }
      for (int w = 0; w < walkers.length; w++) {
        int[] noted = places[w];
        if (noted == null) {
          walkers[w].takeNothing();
        } else {
          walkers[w].take(noted, segments[w], shifts, others[w], duplicates[w]);
        }
      }
      return true;
    }
  }
}
