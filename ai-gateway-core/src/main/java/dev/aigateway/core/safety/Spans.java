package dev.aigateway.core.safety;

import java.util.Arrays;

/**
 * Where text checks found something in one text: start, end, kind and the finding rule's tag of
 * each match, in the order found. A finder that does not tag its spans gets the current {@link
 * #tagNext(int)}.
 */
final class Spans {

  /** Up to this many spans are sorted in place, by insertion. */
  private static final int INSERTION_SORT_MAX = 32;

  private int[] bounds = new int[8];
  private int[] tags = new int[4];
  private String[] kinds = new String[4];
  private int size;
  private int tag;

  /** The tag of the spans added from now on without one of their own. */
  void tagNext(int tag) {
    this.tag = tag;
  }

  void add(int start, int end, String kind) {
    add(start, end, kind, tag);
  }

  void add(int start, int end, String kind, int tag) {
    if (size == kinds.length) {
      kinds = Arrays.copyOf(kinds, size * 2);
      tags = Arrays.copyOf(tags, size * 2);
      bounds = Arrays.copyOf(bounds, size * 4);
    }
    bounds[2 * size] = start;
    bounds[2 * size + 1] = end;
    tags[size] = tag;
    kinds[size++] = kind;
  }

  int size() {
    return size;
  }

  int start(int i) {
    return bounds[2 * i];
  }

  int end(int i) {
    return bounds[2 * i + 1];
  }

  String kind(int i) {
    return kinds[i];
  }

  int tag(int i) {
    return tags[i];
  }

  /** The index of the first span tagged {@code tag}, or -1. */
  int firstTagged(int tag) {
    return firstTagged(tag, 0);
  }

  /** The index of the first span tagged {@code tag} that starts at {@code from} or later, or -1. */
  int firstTagged(int tag, int from) {
    for (int i = 0; i < size; i++) {
      if (tags[i] == tag && start(i) >= from) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Moves the bounds of the spans from index {@code from} on through {@code positions}: a bound
   * {@code b} becomes {@code positions[b]} (found in a text read from another, where each position
   * of the one read is at {@code positions} in the other).
   */
  void move(int from, int[] positions) {
    for (int i = 2 * from; i < 2 * size; i++) {
      bounds[i] = positions[bounds[i]];
    }
  }

  /** Drops the spans added after the first {@code size}. */
  void truncate(int size) {
    if (size < 0 || size > this.size) {
      throw new IllegalArgumentException("cannot truncate " + this.size + " spans to " + size);
    }
    this.size = size;
  }

  void clear() {
    size = 0;
    tag = 0;
  }

  /**
   * Sorts the spans by start, then tag (stable). Few spans are sorted in place; many (a long text
   * with a match every few characters, for several rules, each rule's in text order) by a merge
   * sort of their indexes, so the time grows as n log n and never as the square of their number.
   */
  void sort() {
    if (size <= INSERTION_SORT_MAX) {
      for (int i = 1; i < size; i++) {
        for (int j = i; j > 0 && before(j, j - 1); j--) {
          swap(j, j - 1);
        }
      }
      return;
    }
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    Arrays.sort( // a stable merge sort that takes each rule's ordered run as it is
        order,
        (a, b) -> start(a) != start(b) ? Integer.compare(start(a), start(b)) : tags[a] - tags[b]);
    int[] sortedBounds = new int[bounds.length];
    int[] sortedTags = new int[tags.length];
    String[] sortedKinds = new String[kinds.length];
    for (int i = 0; i < size; i++) {
      int from = order[i];
      sortedBounds[2 * i] = bounds[2 * from];
      sortedBounds[2 * i + 1] = bounds[2 * from + 1];
      sortedTags[i] = tags[from];
      sortedKinds[i] = kinds[from];
    }
    bounds = sortedBounds;
    tags = sortedTags;
    kinds = sortedKinds;
  }

  private boolean before(int a, int b) {
    return start(a) < start(b) || (start(a) == start(b) && tags[a] < tags[b]);
  }

  private void swap(int a, int b) {
    int s = bounds[2 * a];
    int e = bounds[2 * a + 1];
    int g = tags[a];
    String k = kinds[a];
    bounds[2 * a] = bounds[2 * b];
    bounds[2 * a + 1] = bounds[2 * b + 1];
    tags[a] = tags[b];
    kinds[a] = kinds[b];
    bounds[2 * b] = s;
    bounds[2 * b + 1] = e;
    tags[b] = g;
    kinds[b] = k;
  }
}
