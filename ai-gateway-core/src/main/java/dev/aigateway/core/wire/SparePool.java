package dev.aigateway.core.wire;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * A few spare objects of one kind, shared by every thread: a stream's scratch state (its arrays
 * sized by the streams before it) is given back when the stream has been read to its end and taken
 * by the next stream, instead of being made again for each. Taking and giving back take no lock: a
 * thread looks at a few slots from one its own identity picks and swaps an object out of, or into,
 * the first that has one, or is free. When all it looks at are empty (more streams in flight than
 * spares), {@link #take} gives null and the caller makes a new object; when all are full, the
 * object given back is left to the garbage collector.
 *
 * <p>An object is in at most one slot, and a taken object in none, so two streams never share one.
 * What an object held before it was given back is the giver's business to clear.
 */
final class SparePool<T> {

  /** Slots; a power of two. */
  private static final int SLOTS = 16;

  /** How many slots a thread looks at before it gives up. */
  private static final int PROBES = 4;

  private final AtomicReferenceArray<T> slots = new AtomicReferenceArray<>(SLOTS);

  /** A spare object, out of the pool now; null when none of the slots looked at had one. */
  @Nullable T take() {
    int start = start();
    for (int k = 0; k < PROBES; k++) {
      int i = (start + k) & (SLOTS - 1);
      T spare = slots.get(i);
      if (spare != null && slots.compareAndSet(i, spare, null)) {
        return spare;
      }
    }
    return null;
  }

  /**
   * Puts {@code spare}, which its giver no longer uses and will not use again, in a free slot;
   * nothing when none of those looked at is free.
   */
  void giveBack(T spare) {
    int start = start();
    for (int k = 0; k < PROBES; k++) {
      int i = (start + k) & (SLOTS - 1);
      if (slots.get(i) == null && slots.compareAndSet(i, null, spare)) {
        return;
      }
    }
  }

  /** How many spares the pool holds now (tests). */
  int size() {
    int n = 0;
    for (int i = 0; i < SLOTS; i++) {
      if (slots.get(i) != null) {
        n++;
      }
    }
    return n;
  }

  /** The first slot the current thread looks at: spread by the thread's identity. */
  private static int start() {
    int h = System.identityHashCode(Thread.currentThread());
    return (h ^ (h >>> 16)) * PROBES;
  }
}
