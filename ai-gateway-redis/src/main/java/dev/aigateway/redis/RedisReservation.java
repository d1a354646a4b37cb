package dev.aigateway.redis;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reservation of {@link RedisTokenLimitStore}: its id (its member in the store's pending set, and
 * the stem of its in-flight slots in Redis), per charge the counter's key, the quota window it was
 * taken from and its in-flight slot, and whether this JVM has settled it.
 */
final class RedisReservation implements Reservation {

  final RedisTokenLimitStore store;
  final String id;
  final List<LimitCharge> charges;
  final String[] keys;
  final long[] windowStarts;
  final long[] windowEnds;
  final int[] slots;
  final AtomicBoolean settled = new AtomicBoolean();

  RedisReservation(
      RedisTokenLimitStore store,
      String id,
      List<LimitCharge> charges,
      String[] keys,
      long[] windowStarts,
      long[] windowEnds,
      int[] slots) {
    this.store = store;
    this.id = id;
    this.charges = charges;
    this.keys = keys;
    this.windowStarts = windowStarts;
    this.windowEnds = windowEnds;
    this.slots = slots;
  }

  @Override
  public List<LimitCharge> charges() {
    return charges;
  }

  @Override
  public String toString() {
    return "RedisReservation[" + id + ", " + charges + (settled.get() ? ", settled]" : "]");
  }
}
