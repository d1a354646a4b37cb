package dev.aigateway.core.safety;

import java.util.Arrays;

/** Where text checks found something in one text: start, end and kind of each match, in order. */
final class Spans {

  private int[] bounds = new int[8];
  private String[] kinds = new String[4];
  private int size;

  void add(int start, int end, String kind) {
    if (size == kinds.length) {
      kinds = Arrays.copyOf(kinds, size * 2);
      bounds = Arrays.copyOf(bounds, size * 4);
    }
    bounds[2 * size] = start;
    bounds[2 * size + 1] = end;
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

  void clear() {
    size = 0;
  }

  /** Sorts the spans by start (few, so an insertion sort). */
  void sort() {
    for (int i = 1; i < size; i++) {
      for (int j = i; j > 0 && start(j) < start(j - 1); j--) {
        swap(j, j - 1);
      }
    }
  }

  private void swap(int a, int b) {
    int s = bounds[2 * a];
    int e = bounds[2 * a + 1];
    String k = kinds[a];
    bounds[2 * a] = bounds[2 * b];
    bounds[2 * a + 1] = bounds[2 * b + 1];
    kinds[a] = kinds[b];
    bounds[2 * b] = s;
    bounds[2 * b + 1] = e;
    kinds[b] = k;
  }
}
